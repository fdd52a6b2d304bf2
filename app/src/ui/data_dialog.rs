//! Add data: a CSV or Parquet file the user picked or dropped, mapped to a source table (as
//! a new load) or to a seed, with the rows to keep, and a progress bar while the worker
//! reads it. Before anything is added, the dialog shows the file's columns and whether it
//! fits where it would go; a file that would be refused cannot be added.

use leptos::prelude::*;

use super::actions;
use super::state::ui;
use modelplay_protocol::KeepRows;
use modelplay_protocol::data_target::{self, Destination};

/// Files above this size are sampled by default: the page keeps the project in memory and
/// in browser storage.
const SAMPLE_ABOVE_BYTES: f64 = 20e6;
/// Rows a sample keeps unless the user says otherwise.
const DEFAULT_ROWS: usize = 10_000;

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

#[component]
pub fn DataDialog() -> impl IntoView {
    let ui = ui();
    let choices = Memo::new(move |_| {
        let mut c = ui
            .nodes
            .with(|nodes| data_target::sources(nodes.iter().map(|n| n.unique_id.as_str())));
        c.push(Destination::Seed);
        c
    });
    let destination = RwSignal::new(String::new());
    let load_date = RwSignal::new(today());
    let mode = RwSignal::new("all".to_string());
    let rows = RwSignal::new(DEFAULT_ROWS.to_string());
    let error = RwSignal::new(None::<String>);
    // A newly picked file gets the defaults that suit it.
    Effect::new(move |_| {
        if let Some(file) = ui.picked_data.get() {
            let choices = choices.get_untracked();
            destination.set(data_target::default_destination(&choices, &file.name()).key());
            mode.set(
                if file.size() > SAMPLE_ABOVE_BYTES {
                    "random"
                } else {
                    "all"
                }
                .into(),
            );
            error.set(None);
        }
    });
    // Where the file would land, as the dialog stands.
    let target = Memo::new(move |_| {
        let file = ui.picked_data.get()?;
        let dest = Destination::from_key(&destination.get())?;
        Some(data_target::target_path(
            &dest,
            &load_date.get(),
            &file.name(),
        ))
    });
    Effect::new(move |_| {
        if let (Some(Ok(target)), Some(file)) = (target.get(), ui.picked_data.get_untracked()) {
            actions::preview_data(ui, &file, target);
        }
    });
    let preview = move || {
        let preview = ui.data_preview.get()?;
        (target.get()? == Ok(preview.target.clone())).then_some(preview)
    };
    let refused = move || preview().is_some_and(|p| p.refused.is_some());
    let add = move || {
        let Some(file) = ui.picked_data.get_untracked() else {
            return;
        };
        let Some(dest) = Destination::from_key(&destination.get_untracked()) else {
            return;
        };
        let target = match data_target::target_path(&dest, &load_date.get_untracked(), &file.name())
        {
            Ok(t) => t,
            Err(e) => return error.set(Some(e)),
        };
        let n = match rows.get_untracked().trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                return error.set(Some(
                    "the number of rows must be a whole number above 0".into(),
                ));
            }
        };
        let keep = match mode.get_untracked().as_str() {
            "first" => KeepRows::First(n),
            "random" => KeepRows::Random {
                rows: n,
                seed: js_sys::Date::now() as u64,
            },
            _ => KeepRows::All,
        };
        actions::add_data(ui, file, target, keep);
    };
    view! {
        {move || ui.adding.get().map(|(name, fraction)| view! {
            <div class="adding" data-testid="adding-data">
                <span>{format!("Reading {name}…")}</span>
                <progress max="1" value=fraction.to_string()></progress>
            </div>
        })}
        {move || ui.picked_data.get().map(|file| view! {
            <div class="dialog" role="dialog" data-testid="data-dialog">
                <h3>{format!("Add data: {} ({:.1} MB)", file.name(), file.size() / 1e6)}</h3>
                <label>
                    "Load into "
                    <select
                        data-testid="data-destination"
                        on:change=move |ev| destination.set(event_target_value(&ev))
                    >
                        {move || choices.get().into_iter().map(|d| {
                            let label = match &d {
                                Destination::Source { source, table } => format!("source {source}.{table} (a new load)"),
                                Destination::Seed => "a seed (CSV only)".into(),
                            };
                            let key = d.key();
                            let mine = key.clone();
                            view! { <option value=key selected=move || destination.get() == mine>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    "Load date "
                    <input
                        type="date"
                        data-testid="data-load-date"
                        prop:value=move || load_date.get()
                        on:input=move |ev| load_date.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "Rows "
                    <select
                        data-testid="data-keep"
                        on:change=move |ev| mode.set(event_target_value(&ev))
                    >
                        <option value="all" selected=move || mode.get() == "all">"all of them"</option>
                        <option value="first" selected=move || mode.get() == "first">"the first N"</option>
                        <option value="random" selected=move || mode.get() == "random">"a random sample of N"</option>
                    </select>
                    <input
                        type="number"
                        min="1"
                        data-testid="data-rows"
                        disabled=move || mode.get() == "all"
                        prop:value=move || rows.get()
                        on:input=move |ev| rows.set(event_target_value(&ev))
                    />
                </label>
                {move || match preview() {
                    None if matches!(target.get(), Some(Err(_))) => {
                        let why = target.get().and_then(Result::err).unwrap_or_default();
                        view! { <p class="error" data-testid="data-preview">{why}</p> }.into_any()
                    }
                    None => view! { <p class="preview" data-testid="data-preview">"Looking at the file…"</p> }.into_any(),
                    Some(p) => match p.refused {
                        Some(why) => view! {
                            <p class="error" data-testid="data-preview">{format!("It would be refused: {why}")}</p>
                        }.into_any(),
                        None => view! {
                            <p class="preview ok" data-testid="data-preview">
                                {format!("Fits, with {} columns: {}", p.columns.len(), p.columns.join(", "))}
                            </p>
                        }.into_any(),
                    },
                }}
                {move || error.get().map(|e| view! { <p class="error" data-testid="data-error">{e}</p> })}
                <div class="dialog-buttons">
                    <button data-testid="data-add" disabled=refused on:click=move |_| add()>"Add"</button>
                    <button on:click=move |_| ui.picked_data.set(None)>"Cancel"</button>
                </div>
            </div>
        })}
    }
}
