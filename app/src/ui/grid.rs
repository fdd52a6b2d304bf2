//! The open model's rows: a virtual grid (only the rows in view are in the page, so that
//! 100,000 rows scroll smoothly), sortable by column, with a profile of each column.

use leptos::prelude::*;

use super::state::{Tab, ui};
use crate::profile::{compare, profile};
use modelplay_protocol::Table;

const ROW_HEIGHT: f64 = 24.0;
const VIEW_ROWS: usize = 40;
const OVERSCAN: usize = 10;

#[component]
pub fn Grid() -> impl IntoView {
    let ui = ui();
    let sort = RwSignal::new(None::<(usize, bool)>);
    let scroll = RwSignal::new(0.0f64);
    let show_profile = RwSignal::new(false);
    let table = Memo::new(move |_| {
        let open = ui.open_node().map(|n| n.unique_id);
        ui.rows.with(|r| match (r, open) {
            (Some((id, t)), Some(open)) if *id == open => Some(t.clone()),
            _ => None,
        })
    });
    let order = Memo::new(move |_| {
        table.with(|t| {
            let Some(t) = t else { return Vec::new() };
            let mut order: Vec<usize> = (0..t.rows.len()).collect();
            if let Some((c, ascending)) = sort.get() {
                order.sort_by(|&a, &b| {
                    let o = compare(&t.rows[a][c], &t.rows[b][c]);
                    if ascending { o } else { o.reverse() }
                });
            }
            order
        })
    });
    let header = move |t: &Table| {
        t.columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let name = c.name.clone();
                let lineage_name = c.name.clone();
                let arrow = move || match sort.get() {
                    Some((s, true)) if s == i => " ▲",
                    Some((s, false)) if s == i => " ▼",
                    _ => "",
                };
                view! {
                    <th data-column=name.clone()>
                        <a
                            class="sort"
                            title="Sort"
                            on:click=move |_| {
                                sort.update(|s| {
                                    *s = match *s {
                                        Some((c, true)) if c == i => Some((i, false)),
                                        _ => Some((i, true)),
                                    }
                                })
                            }
                        >
                            {name.clone()}
                            {arrow}
                        </a>
                        <span class="type">{c.data_type.clone()}</span>
                        <button
                            class="icon lineage-button"
                            title="Column lineage"
                            on:click=move |_| {
                                if let Some(node) = ui.open_node() {
                                    ui.column.set(Some((node.unique_id, lineage_name.clone())));
                                    ui.tab.set(Tab::Lineage);
                                }
                            }
                        >
                            "⇄"
                        </button>
                    </th>
                }
            })
            .collect_view()
    };
    let profiles = move |t: &Table| {
        t.columns
            .iter()
            .enumerate()
            .map(|(i, _)| {
                let p = profile(t.rows.iter().map(|r| &r[i]));
                let peak = p.bars.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f64;
                let bars = p
                    .bars
                    .iter()
                    .enumerate()
                    .map(|(j, (label, n))| {
                        let h = 28.0 * *n as f64 / peak;
                        view! {
                            <rect x=format!("{}", j * 9) y=format!("{}", 30.0 - h) width="8" height=format!("{h}")>
                                <title>{format!("{label}: {n}")}</title>
                            </rect>
                        }
                    })
                    .collect_view();
                view! {
                    <td class="profile">
                        <svg width="92" height="30">{bars}</svg>
                        <div>{format!("nulls {} · distinct {}", p.nulls, p.distinct)}</div>
                        <div class="range">{format!("{} … {}", p.min.unwrap_or_default(), p.max.unwrap_or_default())}</div>
                    </td>
                }
            })
            .collect_view()
    };
    view! {
        <div class="grid-panel" data-testid="grid">
            {move || match table.get() {
                None => view! {
                    <p class="empty">
                        {move || match ui.open_node() {
                            Some(n) => format!("Run {} (Ctrl+Enter) to see its rows.", n.name),
                            None => "Open a model to see its rows.".to_string(),
                        }}
                    </p>
                }
                    .into_any(),
                Some(t) => {
                    let total = t.rows.len();
                    let summary = if t.total_rows > total {
                        format!("{} rows (first {total} shown) · {} columns", t.total_rows, t.columns.len())
                    } else {
                        format!("{total} rows · {} columns", t.columns.len())
                    };
                    let t_body = t.clone();
                    let t_profile = t.clone();
                    view! {
                        <div class="grid-bar">
                            <span data-testid="row-count">{summary}</span>
                            <label>
                                <input type="checkbox" prop:checked=move || show_profile.get() on:change=move |_| show_profile.update(|v| *v = !*v) />
                                " Profile columns"
                            </label>
                            <button
                                data-testid="write-unit-test"
                                title="Write a unit test from these rows: the first rows are expected, from the input rows they come from"
                                on:click=move |_| super::actions::write_unit_test(ui)
                            >
                                "Write unit test"
                            </button>
                        </div>
                        <div
                            class="grid-scroll"
                            on:scroll=move |ev| {
                                let el: web_sys::Element = event_target(&ev);
                                scroll.set(el.scroll_top() as f64);
                            }
                        >
                            <table>
                                <thead>
                                    <tr>{header(&t)}</tr>
                                    {move || show_profile.get().then(|| view! { <tr>{profiles(&t_profile)}</tr> })}
                                </thead>
                                <tbody>
                                    {move || {
                                        let first = ((scroll.get() / ROW_HEIGHT) as usize).saturating_sub(OVERSCAN);
                                        let last = (first + VIEW_ROWS + 2 * OVERSCAN).min(total);
                                        let before = first as f64 * ROW_HEIGHT;
                                        let after = (total - last) as f64 * ROW_HEIGHT;
                                        let rows = order.with(|order| {
                                            order[first.min(order.len())..last.min(order.len())]
                                                .iter()
                                                .map(|&r| {
                                                    t_body.rows[r]
                                                        .iter()
                                                        .map(|cell| match cell {
                                                            Some(v) => view! { <td>{v.clone()}</td> }.into_any(),
                                                            None => view! { <td class="null">"NULL"</td> }.into_any(),
                                                        })
                                                        .collect_view()
                                                })
                                                .map(|cells| view! { <tr>{cells}</tr> })
                                                .collect_view()
                                        });
                                        view! {
                                            <tr class="spacer" style=format!("height:{before}px")></tr>
                                            {rows}
                                            <tr class="spacer" style=format!("height:{after}px")></tr>
                                        }
                                    }}
                                </tbody>
                            </table>
                        </div>
                    }
                        .into_any()
                }
            }}
        </div>
    }
}
