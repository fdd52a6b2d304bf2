//! The open model's rows: a virtual grid (only the rows in view are in the page, so that
//! 100,000 rows scroll smoothly), sortable by column, with a profile of each column. Sorts
//! and profiles are the engine's, over every row of the table, not over the rows the page
//! holds. What the grid shows is said to be what it is: a failed or running build is shown
//! above the rows it left.

use leptos::prelude::*;

use super::actions;
use super::state::{NodeState, Tab, Ui, ui};
use modelplay_protocol::{SortBy, Status, Table};

/// The next order after a click on a column's header: ascending, descending, then the
/// table's own order.
fn next_sort(current: Option<&SortBy>, column: &str) -> Option<SortBy> {
    match current {
        Some(s) if s.column == column && s.ascending => Some(SortBy {
            column: column.to_string(),
            ascending: false,
        }),
        Some(s) if s.column == column => None,
        _ => Some(SortBy {
            column: column.to_string(),
            ascending: true,
        }),
    }
}

/// What the open node's last build means for its rows, if anything needs saying.
fn banner(ui: Ui) -> Option<(&'static str, String)> {
    let node = ui.open_node()?;
    let state = ui.states.with(|s| s.get(&node.unique_id).copied());
    let outcome_message = || {
        ui.outcomes.with(|o| {
            o.get(&node.unique_id).and_then(|o| {
                o.problem
                    .as_ref()
                    .map(|p| format!("{}:{}:{}: {}", p.file, p.line, p.column, p.message))
                    .or_else(|| o.message.clone())
            })
        })
    };
    match state {
        Some(NodeState::Queued) | Some(NodeState::Running) => {
            Some(("running", format!("Running {}…", node.name)))
        }
        Some(NodeState::Ended(Status::Error)) => Some((
            "failed",
            format!(
                "The last run of {} failed{}",
                node.name,
                outcome_message()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ),
        )),
        Some(NodeState::Ended(Status::Skipped)) => Some((
            "failed",
            format!(
                "{} was skipped: something it is built from failed",
                node.name
            ),
        )),
        _ => ui.stopped.get().map(|why| {
            (
                "failed",
                format!("Nothing is built: {why}. Build all or Run to see rows."),
            )
        }),
    }
}

const ROW_HEIGHT: f64 = 24.0;
const VIEW_ROWS: usize = 40;
const OVERSCAN: usize = 10;

#[component]
pub fn Grid() -> impl IntoView {
    let ui = ui();
    let scroll = RwSignal::new(0.0f64);
    let show_profile = RwSignal::new(false);
    let table = Memo::new(move |_| {
        let open = ui.open_node().map(|n| n.unique_id);
        ui.rows.with(|r| match (r, open) {
            (Some((id, t, _)), Some(open)) if *id == open => Some(t.clone()),
            _ => None,
        })
    });
    // The profile is asked for when it is shown, and again after each build.
    Effect::new(move |_| {
        let wanted = show_profile.get() && table.with(Option::is_some);
        let have = ui.profile.with(|p| p.is_some());
        if wanted && !have {
            actions::profile_open(ui);
        }
    });
    let header = move |t: &Table| {
        t.columns
            .iter()
            .map(|c| {
                let name = c.name.clone();
                let lineage_name = c.name.clone();
                let arrow_name = name.clone();
                let arrow = move || {
                    ui.sort.with(|s| match s {
                        Some(s) if s.column == arrow_name && s.ascending => " ▲",
                        Some(s) if s.column == arrow_name => " ▼",
                        _ => "",
                    })
                };
                let sort_name = name.clone();
                view! {
                    <th data-column=name.clone()>
                        <a
                            class="sort"
                            title="Sort all rows by this column (ascending, descending, then as built)"
                            on:click=move |_| {
                                let next = ui.sort.with_untracked(|s| next_sort(s.as_ref(), &sort_name));
                                actions::sort_rows(ui, next);
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
        let open = ui.open_node().map(|n| n.unique_id);
        let Some(columns) = ui.profile.with(|p| match (p, &open) {
            (Some((id, columns)), Some(open)) if id == open => Some(columns.clone()),
            _ => None,
        }) else {
            return view! {
                <td class="profile" colspan=t.columns.len().to_string()>"Profiling every row…"</td>
            }
            .into_any();
        };
        columns
            .into_iter()
            .map(|p| {
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
            .into_any()
    };
    view! {
        <div class="grid-panel" data-testid="grid">
            {move || banner(ui).map(|(kind, text)| view! {
                <div class=format!("grid-banner {kind}") data-testid="grid-banner">{text}</div>
            })}
            {move || match table.get() {
                None => view! {
                    <p class="empty">
                        {move || match ui.open_node() {
                            _ if banner(ui).is_some() => String::new(),
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
                    let show_sorted = move || ui.rows.with(|r| r.as_ref().and_then(|r| r.2.clone()));
                    view! {
                        <div class="grid-bar">
                            <span data-testid="row-count">{summary}</span>
                            <span class="sorted" data-testid="sorted-by">
                                {move || show_sorted().map(|s| format!(
                                    "sorted by {} {} over all rows",
                                    s.column,
                                    if s.ascending { "ascending" } else { "descending" },
                                ))}
                            </span>
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
                                        let rows = t_body.rows[first.min(total)..last]
                                            .iter()
                                            .map(|row| {
                                                row.iter()
                                                    .map(|cell| match cell {
                                                        Some(v) => view! { <td>{v.clone()}</td> }.into_any(),
                                                        None => view! { <td class="null">"NULL"</td> }.into_any(),
                                                    })
                                                    .collect_view()
                                            })
                                            .map(|cells| view! { <tr>{cells}</tr> })
                                            .collect_view();
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
