//! A unit test in the tests panel: dbt's diff when it fails (rows added, removed and
//! changed, the changed cells marked), and its fixtures as grids whose cells can be edited,
//! rows added and removed, and saved back into the YAML.

use leptos::prelude::*;

use super::actions;
use super::state::ui;
use modelplay_protocol::NodeOutcome;
use modelplay_protocol::checking::{Cell, FixtureInfo, RowChange, UnitDiff, UnitTestInfo};

fn shown(cell: &Cell) -> String {
    cell.clone().unwrap_or_else(|| "NULL".into())
}

/// dbt's diff as a table: `+++` rows only in the actual output, `---` rows only expected,
/// `→` rows whose marked cells changed from expected to actual.
pub fn diff_table(diff: &UnitDiff) -> impl IntoView + use<> {
    let head = diff
        .columns
        .iter()
        .map(|c| view! { <th>{c.clone()}</th> })
        .collect_view();
    let body = diff
        .rows
        .iter()
        .map(|r| {
            let (marker, cells) = match r.change {
                RowChange::Same => (
                    "",
                    r.expected
                        .iter()
                        .map(|c| (shown(c), None))
                        .collect::<Vec<_>>(),
                ),
                RowChange::Added => ("+++", r.actual.iter().map(|c| (shown(c), None)).collect()),
                RowChange::Removed => {
                    ("---", r.expected.iter().map(|c| (shown(c), None)).collect())
                }
                RowChange::Changed => (
                    "→",
                    r.expected
                        .iter()
                        .zip(&r.actual)
                        .map(|(e, a)| {
                            if e == a {
                                (shown(a), None)
                            } else {
                                (shown(a), Some(shown(e)))
                            }
                        })
                        .collect(),
                ),
            };
            let cells = cells
                .into_iter()
                .map(|(now, was)| match was {
                    Some(was) => {
                        let title = format!("expected {was}");
                        view! {
                        <td class="changed-cell" title=title>
                            <span class="was">{was}</span>" → "<span class="now">{now}</span>
                        </td>
                        }
                        .into_any()
                    }
                    None => view! { <td>{now}</td> }.into_any(),
                })
                .collect_view();
            view! {
                <tr class=format!("diff-{}", r.change)>
                    <td class="marker">{marker}</td>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="small diff" data-testid="unit-diff">
            <thead><tr><th>"@@"</th>{head}</tr></thead>
            <tbody>{body}</tbody>
        </table>
    }
}

/// One fixture as an editable grid; Save writes its rows back into `file`.
#[component]
fn FixtureGrid(fixture: FixtureInfo, file: String) -> impl IntoView {
    let ui = ui();
    let rows_line = fixture.rows_line;
    let editable = rows_line > 0;
    let columns = fixture.columns.clone();
    let rows = RwSignal::new(fixture.rows.clone());
    let dirty = RwSignal::new(false);
    let label = fixture.label.clone();
    let head = columns
        .iter()
        .map(|c| view! { <th>{c.clone()}</th> })
        .collect_view();
    let width = columns.len();
    let save_columns = columns.clone();
    view! {
        <div class="fixture" data-fixture=label.clone()>
            <h5>{label.clone()}</h5>
            <table class="small fixture-grid">
                <thead><tr>{head}{editable.then(|| view! { <th></th> })}</tr></thead>
                <tbody>
                    {move || {
                        let count = rows.with(Vec::len);
                        (0..count)
                            .map(|r| {
                                let cells = (0..width)
                                    .map(|c| {
                                        let value = rows.with(|rows| rows[r].get(c).cloned().flatten());
                                        if editable {
                                            view! {
                                                <td>
                                                    <input
                                                        data-row=r.to_string()
                                                        data-col=c.to_string()
                                                        placeholder="NULL"
                                                        prop:value=value.unwrap_or_default()
                                                        on:change=move |ev| {
                                                            let text = event_target_value(&ev);
                                                            rows.update(|rows| {
                                                                if let Some(cell) = rows[r].get_mut(c) {
                                                                    *cell = (!text.is_empty()).then_some(text);
                                                                }
                                                            });
                                                            dirty.set(true);
                                                        }
                                                    />
                                                </td>
                                            }
                                            .into_any()
                                        } else {
                                            view! { <td><pre>{value.unwrap_or_else(|| "NULL".into())}</pre></td> }.into_any()
                                        }
                                    })
                                    .collect_view();
                                view! {
                                    <tr>
                                        {cells}
                                        {editable.then(|| view! {
                                            <td>
                                                <button class="icon" title="Remove this row" on:click=move |_| {
                                                    rows.update(|rows| { rows.remove(r); });
                                                    dirty.set(true);
                                                }>"×"</button>
                                            </td>
                                        })}
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
            {if editable {
                view! {
                    <div class="buttons">
                        <button data-testid="fixture-add-row" on:click=move |_| {
                            rows.update(|rows| rows.push(vec![None; width]));
                            dirty.set(true);
                        }>"Add row"</button>
                        <button
                            data-testid="fixture-save"
                            disabled=move || !dirty.get()
                            on:click=move |_| {
                                let current = rows.get_untracked();
                                actions::save_fixture_rows(ui, &file, rows_line, &save_columns, &current);
                                dirty.set(false);
                            }
                        >"Save rows"</button>
                    </div>
                }
                    .into_any()
            } else {
                view! { <p class="empty">"Written as csv or sql, or in a fixture file: edit it in the YAML."</p> }.into_any()
            }}
        </div>
    }
}

/// The selected unit test: its result (the diff when it fails) and its fixtures.
pub fn unit_test_detail(info: UnitTestInfo, outcome: Option<NodeOutcome>) -> impl IntoView {
    let result = match &outcome {
        None => view! { <p>"Not run yet."</p> }.into_any(),
        Some(o) => match (&o.unit_diff, o.problem.as_ref()) {
            (_, Some(p)) => view! {
                <p class="error">{format!("{}:{}:{}: {}", p.file, p.line, p.column, p.message)}</p>
            }
            .into_any(),
            (Some(diff), None) if o.status == modelplay_protocol::Status::Fail => view! {
                <p>"actual differs from expected:"</p>
                {diff_table(diff)}
            }
            .into_any(),
            (Some(diff), None) => view! {
                <p>{format!("actual matches expected ({} rows)", diff.rows.len())}</p>
            }
            .into_any(),
            (None, None) => view! { <p>{o.message.clone().unwrap_or_default()}</p> }.into_any(),
        },
    };
    let file = info.file.clone();
    let given = info
        .given
        .into_iter()
        .map(|f| view! { <FixtureGrid fixture=f file=file.clone() /> })
        .collect_view();
    let expect = view! { <FixtureGrid fixture=info.expect file=file.clone() /> };
    view! {
        <div class="unit-test" data-testid="unit-test-detail">
            {result}
            <h4>"Given"</h4>
            {given}
            <h4>"Expect"</h4>
            {expect}
        </div>
    }
}
