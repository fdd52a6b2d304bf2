//! The project's DAG drawn left to right, nodes coloured by their last status, test badges,
//! click to open, upstream and downstream highlighted, zoom and pan; and the lineage of a
//! chosen column through it.

use std::collections::{BTreeSet, HashMap, HashSet};

use leptos::prelude::*;

use super::actions;
use super::state::{NodeState, ui};
use crate::layout::{NODE_HEIGHT, NODE_WIDTH, layered};
use modelplay_protocol::{ColumnLineage, NodeInfo, Status};

/// Everything reachable from `start` by following `next`, `start` itself excluded unless a
/// cycle leads back to it.
fn reachable<T: Ord + Clone>(start: T, next: impl Fn(&T) -> Vec<T>) -> BTreeSet<T> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![start];
    while let Some(item) = stack.pop() {
        for n in next(&item) {
            if seen.insert(n.clone()) {
                stack.push(n);
            }
        }
    }
    seen
}

type ColumnId = (String, String);

/// Columns a column is computed from, all the way up (node, column).
pub fn upstream_columns(lineage: &ColumnLineage, node: &str, column: &str) -> BTreeSet<ColumnId> {
    reachable((node.to_string(), column.to_string()), |(n, c)| {
        lineage
            .get(n)
            .and_then(|cols| cols.get(c))
            .into_iter()
            .flatten()
            .map(|up| (up.node.clone(), up.column.clone()))
            .collect()
    })
}

/// Columns computed from a column, all the way down (node, column).
pub fn downstream_columns(lineage: &ColumnLineage, node: &str, column: &str) -> BTreeSet<ColumnId> {
    let mut readers: HashMap<ColumnId, Vec<ColumnId>> = HashMap::new();
    for (down_node, cols) in lineage {
        for (down_col, ups) in cols {
            for up in ups {
                readers
                    .entry((up.node.clone(), up.column.clone()))
                    .or_default()
                    .push((down_node.clone(), down_col.clone()));
            }
        }
    }
    reachable((node.to_string(), column.to_string()), |id| {
        readers.get(id).cloned().unwrap_or_default()
    })
}

fn short(id: &str) -> String {
    id.splitn(3, '.').nth(2).unwrap_or(id).to_string()
}

/// Characters of a name that fit in a node's box at the label's size; longer names are cut
/// with an ellipsis, and the box's tooltip holds the whole name.
const LABEL_CHARS: usize = 25;

fn fitted_label(name: &str) -> String {
    if name.chars().count() <= LABEL_CHARS {
        return name.to_string();
    }
    let cut: String = name.chars().take(LABEL_CHARS - 1).collect();
    format!("{cut}…")
}

/// Mouse travel, in pixels, past which a press is a drag and not a click.
const DRAG_SLOP: f64 = 4.0;

#[component]
fn ColumnLineagePanel() -> impl IntoView {
    let ui = ui();
    view! {
        {move || {
            ui.column.get().map(|(node, column)| {
                let (up, down) = ui.lineage.with(|l| {
                    (upstream_columns(l, &node, &column), downstream_columns(l, &node, &column))
                });
                let list = |cols: BTreeSet<(String, String)>| {
                    if cols.is_empty() {
                        view! { <li class="none">"none"</li> }.into_any()
                    } else {
                        cols.into_iter()
                            .map(|(n, c)| {
                                let label = format!("{}.{c}", short(&n));
                                view! {
                                    <li>
                                        <a
                                            title="Follow this column"
                                            on:click=move |_| ui.column.set(Some((n.clone(), c.clone())))
                                        >
                                            {label}
                                        </a>
                                    </li>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }
                };
                view! {
                    <div class="column-lineage" data-testid="column-lineage">
                        <strong>{format!("{}.{column}", short(&node))}</strong>
                        <button class="icon" title="Close" on:click=move |_| ui.column.set(None)>"×"</button>
                        <div class="cols">
                            <div><h4>"Comes from"</h4><ul data-testid="upstream-columns">{list(up)}</ul></div>
                            <div><h4>"Flows into"</h4><ul data-testid="downstream-columns">{list(down)}</ul></div>
                        </div>
                    </div>
                }
            })
        }}
    }
}

#[component]
pub fn DagView() -> impl IntoView {
    let ui = ui();
    let show_tests = RwSignal::new(false);
    let selected = RwSignal::new(None::<String>);
    let view_box = RwSignal::new((1.0f64, 20.0f64, 20.0f64));
    let drag = RwSignal::new(None::<(f64, f64)>);
    // Whether the mouse moved since it was pressed: a drag that starts on a node pans and
    // does not open it.
    let dragged = RwSignal::new(false);
    let moved = RwSignal::new(0.0f64);
    let svg_ref = NodeRef::<leptos::svg::Svg>::new();

    let shown = Memo::new(move |_| {
        let tests = show_tests.get();
        ui.nodes.with(|nodes| {
            nodes
                .iter()
                .filter(|n| tests || !n.kind.is_test())
                .cloned()
                .collect::<Vec<NodeInfo>>()
        })
    });
    let edges = Memo::new(move |_| {
        shown.with(|nodes| {
            let ids: HashSet<&str> = nodes.iter().map(|n| n.unique_id.as_str()).collect();
            nodes
                .iter()
                .flat_map(|n| {
                    n.depends_on
                        .iter()
                        .filter(|d| ids.contains(d.as_str()))
                        .map(|d| (d.clone(), n.unique_id.clone()))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
    });
    let layout = Memo::new(move |_| {
        let ids: Vec<String> = shown.with(|n| n.iter().map(|n| n.unique_id.clone()).collect());
        layered(&ids, &edges.get())
    });
    let tests_on = Memo::new(move |_| {
        let mut by_node: HashMap<String, Vec<String>> = HashMap::new();
        ui.nodes.with(|nodes| {
            for t in nodes.iter().filter(|n| n.kind.is_test()) {
                for d in &t.depends_on {
                    by_node
                        .entry(d.clone())
                        .or_default()
                        .push(t.unique_id.clone());
                }
            }
        });
        by_node
    });
    let highlight = Memo::new(move |_| {
        let sel = selected.get()?;
        let mut parents: HashMap<String, Vec<String>> = HashMap::new();
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for (p, c) in edges.get() {
            parents.entry(c.clone()).or_default().push(p.clone());
            children.entry(p).or_default().push(c);
        }
        let mut lit = reachable(sel.clone(), |id| {
            parents.get(id).cloned().unwrap_or_default()
        });
        lit.extend(reachable(sel.clone(), |id| {
            children.get(id).cloned().unwrap_or_default()
        }));
        lit.insert(sel);
        Some(lit)
    });
    let column_nodes = Memo::new(move |_| {
        ui.column.get().map(|(node, column)| {
            ui.lineage.with(|l| {
                let mut nodes: HashSet<String> = upstream_columns(l, &node, &column)
                    .into_iter()
                    .chain(downstream_columns(l, &node, &column))
                    .map(|(n, _)| n)
                    .collect();
                nodes.insert(node.clone());
                nodes
            })
        })
    });
    // Scales the whole graph into the view (never above its natural size).
    let fit = move || {
        let (w, h) = svg_ref
            .get_untracked()
            .map(|svg| (svg.client_width() as f64, svg.client_height() as f64))
            .unwrap_or((0.0, 0.0));
        let (lw, lh) = layout.with_untracked(|l| (l.width, l.height));
        const MARGIN: f64 = 20.0;
        let scale = if w > 0.0 && h > 0.0 && lw > 0.0 && lh > 0.0 {
            ((w - 2.0 * MARGIN) / lw)
                .min((h - 2.0 * MARGIN) / lh)
                .clamp(0.1, 1.0)
        } else {
            1.0
        };
        view_box.set((scale, MARGIN, MARGIN));
    };
    // A new graph (tests shown or hidden, nodes added) is fitted once it is drawn.
    Effect::new(move |_| {
        layout.track();
        request_animation_frame(fit);
    });

    let node_view = move |n: NodeInfo| {
        let id = n.unique_id.clone();
        let (x, y) = layout.with(|l| l.positions.get(&id).copied().unwrap_or_default());
        let id_status = id.clone();
        let id_dim = id.clone();
        let id_col = id.clone();
        let id_badge = id.clone();
        let id_click = id.clone();
        let path = n.path.clone();
        let kind = n.kind;
        let label = n.name.clone();
        let title = format!("{} {} ({})", n.kind, n.name, n.materialized);
        view! {
            <g
                class=move || {
                    let status = ui.states.with(|s| s.get(&id_status).map(|st| st.as_str())).unwrap_or_default();
                    let dim = highlight.with(|h| h.as_ref().is_some_and(|h| !h.contains(&id_dim)));
                    let col = column_nodes.with(|c| c.as_ref().is_some_and(|c| c.contains(&id_col)));
                    format!("node {kind} {status}{}{}", if dim { " dim" } else { "" }, if col { " column-hit" } else { "" })
                }
                transform=format!("translate({x},{y})")
                data-node=id.clone()
                on:click=move |_| {
                    if dragged.get_untracked() {
                        return;
                    }
                    selected.set(Some(id_click.clone()));
                    if !path.is_empty() {
                        actions::open_file(ui, path.clone());
                    }
                }
            >
                <title>{title}</title>
                <rect width=NODE_WIDTH height=NODE_HEIGHT rx="5"></rect>
                <text x="8" y="19">{fitted_label(&label)}</text>
                {move || {
                    let tests = tests_on.with(|t| t.get(&id_badge).cloned()).unwrap_or_default();
                    (!tests.is_empty()).then(|| {
                        let worst = ui.states.with(|s| {
                            let st: Vec<NodeState> = tests.iter().filter_map(|t| s.get(t).copied()).collect();
                            let ended = |status| st.contains(&NodeState::Ended(status));
                            if ended(Status::Fail) || ended(Status::Error) { "fail" }
                            else if ended(Status::Warn) { "warn" }
                            else if !st.is_empty() && st.iter().all(|x| *x == NodeState::Ended(Status::Pass)) { "pass" }
                            else { "pending" }
                        });
                        view! {
                            <g class=format!("badge {worst}") transform=format!("translate({},{})", NODE_WIDTH - 14.0, -6.0)>
                                <circle r="9" cx="5" cy="5"></circle>
                                <text x="5" y="9" text-anchor="middle">{tests.len()}</text>
                            </g>
                        }
                    })
                }}
            </g>
        }
    };

    view! {
        <div class="dag-panel" data-testid="lineage">
            <div class="dag-bar">
                <label>
                    <input type="checkbox" prop:checked=move || show_tests.get() on:change=move |_| show_tests.update(|v| *v = !*v) />
                    " Show tests"
                </label>
                <button on:click=move |_| fit()>"Fit"</button>
                <button on:click=move |_| selected.set(None)>"Clear highlight"</button>
                <span class="legend" data-testid="dag-legend">
                    <span class="key model">"model"</span>
                    <span class="key seed">"seed"</span>
                    <span class="key snapshot">"snapshot"</span>
                    <span class="key source">"source"</span>
                    <span class="key success">"built"</span>
                    <span class="key error">"failed"</span>
                    <span class="key skipped">"skipped"</span>
                    <span class="key badge-key">"● tests"</span>
                </span>
                <span data-testid="dag-counts">
                    {move || format!("{} nodes · {} edges", shown.with(Vec::len), edges.with(Vec::len))}
                </span>
            </div>
            <ColumnLineagePanel />
            <svg
                class="dag"
                on:wheel=move |ev: web_sys::WheelEvent| {
                    ev.prevent_default();
                    let factor = if ev.delta_y() < 0.0 { 1.1 } else { 1.0 / 1.1 };
                    let (mx, my) = (ev.offset_x() as f64, ev.offset_y() as f64);
                    view_box.update(|(s, tx, ty)| {
                        let ns = (*s * factor).clamp(0.1, 4.0);
                        *tx = mx - (mx - *tx) * ns / *s;
                        *ty = my - (my - *ty) * ns / *s;
                        *s = ns;
                    });
                }
                node_ref=svg_ref
                on:mousedown=move |ev: web_sys::MouseEvent| {
                    dragged.set(false);
                    moved.set(0.0);
                    drag.set(Some((ev.client_x() as f64, ev.client_y() as f64)));
                }
                on:mousemove=move |ev: web_sys::MouseEvent| {
                    if let Some((x0, y0)) = drag.get_untracked() {
                        let (x, y) = (ev.client_x() as f64, ev.client_y() as f64);
                        moved.update(|m| *m += (x - x0).abs() + (y - y0).abs());
                        if moved.get_untracked() > DRAG_SLOP {
                            dragged.set(true);
                        }
                        view_box.update(|(_, tx, ty)| {
                            *tx += x - x0;
                            *ty += y - y0;
                        });
                        drag.set(Some((x, y)));
                    }
                }
                on:mouseup=move |_| drag.set(None)
                on:mouseleave=move |_| drag.set(None)
            >
                <g transform=move || {
                    let (s, tx, ty) = view_box.get();
                    format!("translate({tx},{ty}) scale({s})")
                }>
                    {move || {
                        let l = layout.get();
                        edges
                            .get()
                            .into_iter()
                            .filter_map(|(p, c)| {
                                let (x1, y1) = *l.positions.get(&p)?;
                                let (x2, y2) = *l.positions.get(&c)?;
                                let (x1, y1) = (x1 + NODE_WIDTH, y1 + NODE_HEIGHT / 2.0);
                                let y2 = y2 + NODE_HEIGHT / 2.0;
                                let mid = (x1 + x2) / 2.0;
                                let lit_p = p.clone();
                                let lit_c = c.clone();
                                Some(view! {
                                    <path
                                        class=move || {
                                            let dim = highlight.with(|h| h.as_ref().is_some_and(|h| !(h.contains(&lit_p) && h.contains(&lit_c))));
                                            if dim { "edge dim" } else { "edge" }
                                        }
                                        data-edge=format!("{p} {c}")
                                        d=format!("M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}")
                                    ></path>
                                })
                            })
                            .collect_view()
                    }}
                    {move || shown.get().into_iter().map(node_view).collect_view()}
                </g>
            </svg>
        </div>
    }
}
