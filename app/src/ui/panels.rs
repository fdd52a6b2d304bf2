//! The panels under the editor: tests with their failing rows, the compiled and exported
//! SQL of the open model, and the problems list.

use leptos::prelude::*;

use super::actions;
use super::browser;
use super::editor;
use super::state::{Tab, ui};
use modelplay_protocol::{NodeOutcome, Table};

fn small_table(t: &Table) -> impl IntoView + use<> {
    let head = t
        .columns
        .iter()
        .map(|c| view! { <th>{c.name.clone()}</th> })
        .collect_view();
    let body = t
        .rows
        .iter()
        .map(|r| {
            let cells = r
                .iter()
                .map(|c| match c {
                    Some(v) => view! { <td>{v.clone()}</td> }.into_any(),
                    None => view! { <td class="null">"NULL"</td> }.into_any(),
                })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! { <table class="small"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table> }
}

/// A test in the list: unique id, name, and its status word.
type TestRow = (String, String, String);

#[component]
pub fn TestsPanel() -> impl IntoView {
    let ui = ui();
    // Tests grouped under the node they test (a test of several nodes under the first),
    // groups with failures first, and within a group the failures first.
    let groups = Memo::new(move |_| {
        let rank = |s: &str| match s {
            "fail" | "error" => 0,
            "warn" => 1,
            "pass" => 3,
            _ => 2,
        };
        let mut groups: std::collections::BTreeMap<String, Vec<TestRow>> = Default::default();
        ui.nodes.with(|nodes| {
            let name_of = |id: &str| {
                nodes
                    .iter()
                    .find(|n| n.unique_id == id)
                    .map(|n| n.name.clone())
                    .unwrap_or_else(|| id.to_string())
            };
            for n in nodes.iter().filter(|n| n.kind.is_test()) {
                let status = ui
                    .states
                    .with(|s| s.get(&n.unique_id).map(|st| st.as_str()))
                    .unwrap_or("not run")
                    .to_string();
                let of = n
                    .depends_on
                    .first()
                    .map(|d| name_of(d))
                    .unwrap_or_else(|| "(no model)".into());
                groups
                    .entry(of)
                    .or_default()
                    .push((n.unique_id.clone(), n.name.clone(), status));
            }
        });
        let mut groups: Vec<(String, Vec<TestRow>)> = groups.into_iter().collect();
        for (_, tests) in &mut groups {
            tests.sort_by(|a, b| rank(&a.2).cmp(&rank(&b.2)).then(a.1.cmp(&b.1)));
        }
        groups.sort_by_key(|(_, tests)| tests.iter().map(|t| rank(&t.2)).min().unwrap_or(3));
        groups
    });
    view! {
        <div class="tests-panel" data-testid="tests">
            <ul class="tests">
                {move || {
                    groups
                        .get()
                        .into_iter()
                        .map(|(model, tests)| {
                            let items = tests
                                .into_iter()
                                .map(|(id, name, status)| {
                                    let pick = id.clone();
                                    let full = name.clone();
                                    view! {
                                        <li class=format!("test {status}") data-test=id.clone() title=full on:click=move |_| ui.test.set(Some(pick.clone()))>
                                            <span class="status">{status.clone()}</span>
                                            <span>{name}</span>
                                        </li>
                                    }
                                })
                                .collect_view();
                            let full = model.clone();
                            view! {
                                <li class="test-group" title=full>{model}</li>
                                {items}
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <div class="failing">
                {move || {
                    let id = ui.test.get()?;
                    let outcome: Option<NodeOutcome> = ui.outcomes.with(|o| o.get(&id).cloned());
                    let unit = ui.unit_tests.with(|u| u.iter().find(|t| t.unique_id == id).cloned());
                    if let Some(info) = unit {
                        return Some(super::unit_tests::unit_test_detail(info, outcome).into_any());
                    }
                    Some(match outcome {
                        None => view! { <p>"Not run yet."</p> }.into_any(),
                        Some(o) => view! {
                            <h4>{format!("{}: {}", o.name, o.status)}</h4>
                            <p>{o.message.clone().unwrap_or_default()}</p>
                            {o.failing_rows.as_ref().map(small_table)}
                            <details>
                                <summary>"SQL"</summary>
                                <pre>{o.compiled_sql.clone().unwrap_or_default()}</pre>
                            </details>
                        }
                            .into_any(),
                    })
                }}
            </div>
        </div>
    }
}

#[component]
pub fn CompiledPanel() -> impl IntoView {
    let ui = ui();
    let compiled = move || {
        let node = ui.open_node()?;
        ui.outcomes
            .with(|o| o.get(&node.unique_id).and_then(|o| o.compiled_sql.clone()))
            .map(|sql| (node.name, sql))
    };
    let exported = move || {
        let node = ui.open_node()?;
        ui.export.with(|e| {
            e.as_ref()?
                .iter()
                .find(|(p, _)| {
                    p.ends_with(&format!("/{}.sql", node.name)) && p.starts_with("models/")
                })
                .cloned()
        })
    };
    view! {
        <div class="compiled-panel" data-testid="compiled">
            <section>
                <h4>"SQL that ran in the browser"</h4>
                {move || match compiled() {
                    None => view! { <p class="empty">"Run the open model to see its compiled SQL."</p> }.into_any(),
                    Some((name, sql)) => {
                        let copy = sql.clone();
                        let file = sql.clone();
                        view! {
                            <div class="buttons">
                                <button on:click=move |_| browser::copy_to_clipboard(&copy)>"Copy"</button>
                                <button on:click=move |_| browser::download(&format!("{name}.sql"), file.as_bytes(), "text/plain")>"Download"</button>
                            </div>
                            <pre data-testid="compiled-sql">{sql}</pre>
                        }
                            .into_any()
                    }
                }}
            </section>
            <section>
                <h4>"Redshift SQL the export deploys"</h4>
                <div class="buttons">
                    <button data-testid="export" on:click=move |_| actions::export(ui)>"Export for Redshift (.zip)"</button>
                </div>
                {move || exported().map(|(path, sql)| {
                    let copy = sql.clone();
                    view! {
                        <p class="path">{path}</p>
                        <button on:click=move |_| browser::copy_to_clipboard(&copy)>"Copy"</button>
                        <pre data-testid="exported-sql">{sql}</pre>
                    }
                })}
            </section>
        </div>
    }
}

#[component]
pub fn ProblemsPanel() -> impl IntoView {
    let ui = ui();
    let all = move || {
        let mut list = ui.problems.get();
        ui.outcomes.with(|o| {
            for p in o.values().filter_map(|o| o.problem.clone()) {
                if !list
                    .iter()
                    .any(|q| q.file == p.file && q.line == p.line && q.message == p.message)
                {
                    list.push(p);
                }
            }
        });
        list
    };
    view! {
        <div class="problems-panel" data-testid="problems">
            {move || {
                let list = all();
                if list.is_empty() {
                    return view! { <p class="empty">"No problems."</p> }.into_any();
                }
                list.into_iter()
                    .map(|p| {
                        let file = p.file.clone();
                        let (line, column) = (p.line, p.column);
                        view! {
                            <div
                                class=format!("problem {}", p.severity)
                                on:click=move |_| {
                                    if !file.is_empty() {
                                        actions::open_file(ui, file.clone());
                                        editor::goto(line, column);
                                    }
                                }
                            >
                                <span class="where">{format!("{}:{}:{}", p.file, p.line, p.column)}</span>
                                <span class="code">{p.code.clone()}</span>
                                <span class="message">{p.message.clone()}</span>
                                {p.hint.clone().map(|h| view! { <span class="hint">{h}</span> })}
                                {p.related.iter().map(|r| {
                                    let (file, line, column) = (r.file.clone(), r.line, r.column);
                                    view! {
                                        <span
                                            class="related"
                                            on:click=move |ev| {
                                                ev.stop_propagation();
                                                actions::open_file(ui, file.clone());
                                                editor::goto(line, column);
                                            }
                                        >
                                            {format!("{}:{}:{}: {}", r.file, r.line, r.column, r.message)}
                                        </span>
                                    }
                                }).collect_view()}
                            </div>
                        }
                    })
                    .collect_view()
                    .into_any()
            }}
        </div>
    }
}

pub fn tab_button(tab: Tab, label: &'static str) -> impl IntoView {
    let ui = ui();
    let count = move || match tab {
        Tab::Problems => {
            let n = ui.problems.with(Vec::len)
                + ui.outcomes
                    .with(|o| o.values().filter(|o| o.problem.is_some()).count());
            if n > 0 {
                format!(" ({n})")
            } else {
                String::new()
            }
        }
        _ => String::new(),
    };
    view! {
        <button
            class="tab"
            class:active=move || ui.tab.get() == tab
            data-tab=label
            on:click=move |_| actions::show_tab(ui, tab)
        >
            {label}
            {count}
        </button>
    }
}
