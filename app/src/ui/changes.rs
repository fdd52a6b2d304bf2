//! Compare changes: what the last re-run did to the model and everything built from it, or
//! how the workspace differs from the sample or another workspace. Each model says how many
//! rows were added, removed and changed (matched on its unique key), how many values each
//! column changed and how its columns changed; its differing rows are shown side by side
//! with the changed cells marked, a page at a time; then the tests whose status changed.

use leptos::prelude::*;

use super::actions;
use super::state::ui;
use modelplay_protocol::checking::{ChangedRow, ModelChanges, RowChange};

fn shown(cell: &Option<String>) -> String {
    cell.clone().unwrap_or_else(|| "NULL".into())
}

fn rows_table(m: &ModelChanges) -> impl IntoView + use<> {
    let head = m
        .columns
        .iter()
        .map(|c| view! { <th>{c.clone()}</th> })
        .collect_view();
    let body = m
        .rows
        .iter()
        .map(|r: &ChangedRow| {
            let cells = match r.change {
                RowChange::Added | RowChange::Same => r
                    .current
                    .iter()
                    .map(|c| view! { <td>{shown(c)}</td> }.into_any())
                    .collect_view(),
                RowChange::Removed => r
                    .base
                    .iter()
                    .map(|c| view! { <td>{shown(c)}</td> }.into_any())
                    .collect_view(),
                RowChange::Changed => r
                    .base
                    .iter()
                    .zip(&r.current)
                    .zip(&r.changed)
                    .map(|((b, c), changed)| {
                        if *changed {
                            view! {
                                <td class="changed-cell">
                                    <span class="was">{shown(b)}</span>" → "<span class="now">{shown(c)}</span>
                                </td>
                            }
                            .into_any()
                        } else {
                            view! { <td>{shown(c)}</td> }.into_any()
                        }
                    })
                    .collect_view(),
            };
            view! {
                <tr class=format!("diff-{}", r.change)>
                    <td class="marker">{r.change.as_str()}</td>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="small diff changed-rows">
            <thead><tr><th>"change"</th>{head}</tr></thead>
            <tbody>{body}</tbody>
        </table>
    }
}

fn model_section(m: ModelChanges, why_not_built: Option<String>) -> impl IntoView {
    use modelplay_protocol::checking::Compared;
    let summary = match m.compared {
        Compared::OnlyBase => match why_not_built {
            Some(why) => format!("built before, not now ({why})"),
            None => "built before, not now".to_string(),
        },
        Compared::OnlyCurrent => format!("new: {} rows", m.current_rows),
        Compared::Neither => "built on neither side".to_string(),
        Compared::Both if m.added + m.removed + m.changed == 0 && m.schema.is_empty() => {
            format!("no change ({} rows)", m.current_rows)
        }
        Compared::Both => format!(
            "{} rows before, {} after: {} added, {} removed, {} changed",
            m.base_rows, m.current_rows, m.added, m.removed, m.changed
        ),
    };
    let keyed = match m.key_source.as_str() {
        "unique_test" => format!("keyed by {} (its unique test)", m.key.join(", ")),
        "unique_key" => format!("keyed by {} (its unique_key)", m.key.join(", ")),
        "chosen" => format!("keyed by {}", m.key.join(", ")),
        _ => "matched by whole rows".to_string(),
    };
    let counts = m
        .changed_by_column
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(
            |(c, n)| view! { <span class="chip" data-column=c.clone()>{format!("{c} {n}")}</span> },
        )
        .collect_view();
    let schema = m
        .schema
        .iter()
        .map(|s| {
            let text = match s.change.as_str() {
                "added" => format!("+ {} {}", s.column, s.to.clone().unwrap_or_default()),
                "removed" => format!("− {} {}", s.column, s.from.clone().unwrap_or_default()),
                _ => format!(
                    "~ {} {} → {}",
                    s.column,
                    s.from.clone().unwrap_or_default(),
                    s.to.clone().unwrap_or_default()
                ),
            };
            view! { <li class=format!("schema-{}", s.change)>{text}</li> }
        })
        .collect_view();
    let more = (m.rows.len() < m.rows_total).then(|| {
        let id = m.unique_id.clone();
        let offset = m.rows.len();
        view! {
            <button on:click=move |_| actions::more_changed_rows(id.clone(), offset)>
                {format!("Show more ({} of {})", offset, m.rows_total)}
            </button>
        }
    });
    let changed = m.added + m.removed + m.changed > 0 || !m.schema.is_empty();
    view! {
        <section class="model-changes" class:changed=changed data-model=m.name.clone()>
            <h4>{m.name.clone()}" "<span class="summary">{summary}</span></h4>
            {changed.then(|| view! { <p class="key">{keyed}</p> })}
            {m.key_note.clone().map(|n| view! { <p class="note">{n}</p> })}
            {(!m.schema.is_empty()).then(|| view! { <ul class="schema">{schema}</ul> })}
            <div class="counts">{counts}</div>
            {(!m.rows.is_empty()).then(|| rows_table(&m))}
            {more}
        </section>
    }
}

#[component]
pub fn ChangesPanel() -> impl IntoView {
    let ui = ui();
    let against = RwSignal::new(String::from("sample"));
    let compare = move |_| {
        use modelplay_protocol::Other;
        let choice = against.get_untracked();
        let (other, label) = match choice.as_str() {
            "sample" => (
                ui.sample.get_untracked().map(Other::Files),
                "the sample".to_string(),
            ),
            "link" => {
                let question = "Paste a share link to compare with:";
                return super::ask::text(ui, question, "", "Compare", move |l| {
                    let fragment = l.split_once('#').map_or(l.as_str(), |(_, f)| f);
                    let other = Other::Link(fragment.trim().to_string());
                    actions::compare_with(ui, other, "the shared link".to_string());
                });
            }
            id => {
                let id: u32 = id.parse().unwrap_or_default();
                let name = ui
                    .shelf
                    .with_untracked(|s| s.name_of(id).map(str::to_string))
                    .unwrap_or_default();
                (
                    actions::workspace_files(ui, id).map(Other::Files),
                    format!("workspace {name}"),
                )
            }
        };
        if let Some(other) = other {
            actions::compare_with(ui, other, label);
        }
    };
    let others = move || {
        ui.shelf.with(|s| {
            s.list
                .iter()
                .filter(|e| e.id != s.current)
                .map(|e| view! { <option value=e.id.to_string()>{format!("workspace {}", e.name)}</option> })
                .collect_view()
        })
    };
    view! {
        <div class="changes-panel" data-testid="changes">
            <div class="changes-bar">
                <span>"Compare the last build with"</span>
                <select data-testid="compare-with" on:change=move |ev| against.set(event_target_value(&ev))>
                    <option value="sample">"the sample"</option>
                    {others}
                    <option value="link">"a share link…"</option>
                </select>
                <button data-testid="compare" on:click=compare>"Compare"</button>
                <span class="hint">"Each re-run (Ctrl+Enter) is compared with the build it replaces."</span>
            </div>
            {move || match ui.changes.get() {
                None => view! { <p class="empty">"Edit a model and re-run it (Ctrl+Enter) to see what the edit changed."</p> }.into_any(),
                Some(report) => {
                    let tests = report
                        .tests
                        .iter()
                        .map(|t| {
                            let word = |s: Option<modelplay_protocol::Status>| s.map_or("not run", |s| s.as_str());
                            view! {
                                <li data-test=t.unique_id.clone()>{format!("{}: {} → {}", t.name, word(t.base), word(t.current))}</li>
                            }
                        })
                        .collect_view();
                    let any_tests = !report.tests.is_empty();
                    view! {
                        <p class="against" data-testid="changes-against">{format!("Compared with {}", report.against)}</p>
                        {report
                            .models
                            .into_iter()
                            .map(|m| {
                                // A model the last build skipped says why (a unit test of it
                                // failed, or something upstream did).
                                let why = ui.outcomes.with_untracked(|o| {
                                    o.get(&m.unique_id)
                                        .filter(|o| o.status == modelplay_protocol::Status::Skipped)
                                        .and_then(|o| o.message.clone())
                                });
                                model_section(m, why)
                            })
                            .collect_view()}
                        {any_tests.then(|| view! {
                            <h4>"Tests whose status changed"</h4>
                            <ul class="test-changes" data-testid="test-changes">{tests}</ul>
                        })}
                    }
                        .into_any()
                }
            }}
        </div>
    }
}
