//! The page: files on the left, the editor in the middle, results, lineage, tests, compiled
//! SQL and problems below; the engine in a worker behind it all.

mod actions;
mod ask;
mod browser;
mod changes;
mod client;
mod dag_view;
mod data_dialog;
mod editor;
mod files;
mod grid;
mod panels;
pub mod state;
mod unit_tests;

use leptos::ev;
use leptos::prelude::*;

use ask::AskDialog;
use changes::ChangesPanel;
use dag_view::DagView;
use data_dialog::DataDialog;
use editor::Editor;
use files::FileTree;
use grid::Grid;
use panels::{CompiledPanel, ProblemsPanel, TestsPanel, tab_button};
use state::{EngineStatus, Tab, Ui};

pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

fn engine_label(status: &EngineStatus) -> String {
    match status {
        EngineStatus::Loading(loaded, total) if *total > 0 => {
            format!("Loading engine… {}%", (loaded * 100 / total).min(100))
        }
        EngineStatus::Loading(loaded, _) => {
            format!("Loading engine… {:.1} MB", *loaded as f64 / 1e6)
        }
        EngineStatus::Ready => "Engine ready".into(),
        EngineStatus::Busy(what) => format!("Engine {what}…"),
        EngineStatus::Restarting(why) => format!("Restarting engine ({why}); your edits are safe"),
    }
}

/// The build summary as the top bar shows it: dbt's counts, or why there are none.
fn summary_label(
    summary: Option<&modelplay_protocol::BuildSummary>,
    stopped: Option<&str>,
) -> String {
    match (summary, stopped) {
        (_, Some(why)) => format!("Not built: {why}"),
        (None, None) => String::new(),
        // The project did not load: nothing ran, and the problems say why.
        (Some(s), None) if s.total == 0 && s.error > 0 => format!(
            "Not built: {} problem{} · see Problems",
            s.error,
            if s.error == 1 { "" } else { "s" }
        ),
        (Some(s), None) => format!(
            "PASS={} WARN={} ERROR={} SKIP={} TOTAL={} · {:.0} ms{}",
            s.pass,
            s.warn,
            s.error,
            s.skip,
            s.total,
            s.elapsed_ms,
            if s.reused > 0 {
                format!(" · {} reused", s.reused)
            } else {
                String::new()
            }
        ),
    }
}

/// A button that picks one file and hands it to `picked`; the input is cleared afterwards,
/// so that picking the same file again counts.
fn file_button(
    label: &'static str,
    title: &'static str,
    accept: &'static str,
    test_id: &'static str,
    picked: impl Fn(web_sys::File) + 'static,
) -> impl IntoView {
    view! {
        <label class="button" title=title>
            {label}
            <input
                type="file"
                accept=accept
                data-testid=test_id
                on:change=move |ev| {
                    let input: web_sys::HtmlInputElement = event_target(&ev);
                    if let Some(file) = input.files().and_then(|f| f.get(0)) {
                        picked(file);
                    }
                    input.set_value("");
                }
            />
        </label>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let ui = state::ui();
    let busy = move || matches!(ui.engine.get(), EngineStatus::Busy(_));
    // `webkitdirectory` turns the file picker into a folder picker; the view macro knows no
    // such attribute, so it is set on the element.
    let folder_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = folder_input.get() {
            let _ = input.set_attribute("webkitdirectory", "");
        }
    });
    // The project menu closes once an item is chosen, or on a click anywhere else.
    let menu = NodeRef::<leptos::html::Details>::new();
    let close_menu = move || {
        if let Some(menu) = menu.get_untracked() {
            menu.set_open(false);
        }
    };
    let _ = window_event_listener(ev::pointerdown, move |e: web_sys::PointerEvent| {
        let inside = menu
            .get_untracked()
            .zip(e.target())
            .is_some_and(|(menu, target)| {
                use wasm_bindgen::JsCast;
                target
                    .dyn_into::<web_sys::Node>()
                    .is_ok_and(|n| menu.contains(Some(&n)))
            });
        if !inside {
            close_menu();
        }
    });
    view! {
        <header class="top">
            <span class="brand">"modelplay"</span>
            <button data-testid="build-all" on:click=move |_| actions::build_all(ui)>"Build all"</button>
            <button data-testid="run" title="Run the open model and its descendants (Ctrl+Enter)" on:click=move |_| actions::run_open(ui)>
                "Run ▸"
            </button>
            <button data-testid="cancel" disabled=move || !busy() on:click=move |_| actions::cancel(ui)>"Cancel"</button>
            {file_button("Add data", "Add a CSV or Parquet file as a source load or a seed (or drop it on the page)",
                ".csv,.parquet", "add-data", move |file| actions::data_picked(ui, file))}
            <details class="menu" node_ref=menu>
                <summary class="button" data-testid="project-menu" title="Share, download, open or reset the project">"Project ▾"</summary>
                <div class="menu-items" on:click=move |_| close_menu()>
                    <button data-testid="share" on:click=move |_| actions::share()>"Share link"</button>
                    <button data-testid="download-project" title="The workspace as a dbt project .zip" on:click=move |_| actions::download_project()>
                        "Download .zip"
                    </button>
                    <label class="button" title="Open a dbt project folder">
                        "Open folder…"
                        <input
                            type="file"
                            multiple=""
                            node_ref=folder_input
                            data-testid="open-folder"
                            on:change=move |ev| {
                                let input: web_sys::HtmlInputElement = event_target(&ev);
                                if let Some(list) = input.files() {
                                    actions::open_folder(ui, list);
                                }
                            }
                        />
                    </label>
                    {file_button("Open .zip…", "Open a dbt project from a .zip", ".zip,application/zip", "open-zip",
                        move |file| actions::open_zip(ui, file))}
                    <button data-testid="reset" on:click=move |_| actions::reset_to_sample(ui)>"Reset to sample…"</button>
                </div>
            </details>
            <span class="engine" data-testid="engine-status">{move || engine_label(&ui.engine.get())}</span>
            <span
                class="summary"
                data-testid="summary"
                data-builds=move || ui.builds.get().to_string()
                data-checks=move || ui.checks.get().0.to_string()
                data-check-ms=move || format!("{:.1}", ui.checks.get().1)
            >
                {move || summary_label(ui.summary.get().as_ref(), ui.stopped.get().as_deref())}
            </span>
        </header>
    }
}

#[component]
fn App() -> impl IntoView {
    let ui = Ui::new();
    provide_context(ui);
    client::start(ui);
    // Ctrl/Cmd+Enter anywhere in the page runs the open model, as in the editor.
    let _ = window_event_listener(ev::keydown, move |e: web_sys::KeyboardEvent| {
        if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) && !e.default_prevented() {
            e.prevent_default();
            actions::run_open(ui);
        }
    });
    // A file dropped anywhere on the page is data to add.
    let _ = window_event_listener(ev::dragover, |e: web_sys::DragEvent| e.prevent_default());
    let _ = window_event_listener(ev::drop, move |e: web_sys::DragEvent| {
        e.prevent_default();
        if let Some(file) = e
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            actions::data_picked(ui, file);
        }
    });
    view! {
        <TopBar />
        <DataDialog />
        <AskDialog />
        {move || ui.notice.get().map(|n| view! {
            <div class="notice" data-testid="notice">
                <span>{n}</span>
                <button class="icon" on:click=move |_| ui.notice.set(None)>"×"</button>
            </div>
        })}
        <main class="layout">
            <FileTree />
            <section class="work">
                <div class="open-path" data-testid="open-path">{move || ui.open.get().unwrap_or_default()}</div>
                <Editor />
                <div class="tabs">
                    {tab_button(Tab::Results, "Results")}
                    {tab_button(Tab::Lineage, "Lineage")}
                    {tab_button(Tab::Tests, "Tests")}
                    {tab_button(Tab::Changes, "Changes")}
                    {tab_button(Tab::Compiled, "Compiled SQL")}
                    {tab_button(Tab::Problems, "Problems")}
                </div>
                <div class="panel">
                    {move || match ui.tab.get() {
                        Tab::Results => view! { <Grid /> }.into_any(),
                        Tab::Lineage => view! { <DagView /> }.into_any(),
                        Tab::Tests => view! { <TestsPanel /> }.into_any(),
                        Tab::Changes => view! { <ChangesPanel /> }.into_any(),
                        Tab::Compiled => view! { <CompiledPanel /> }.into_any(),
                        Tab::Problems => view! { <ProblemsPanel /> }.into_any(),
                    }}
                </div>
            </section>
        </main>
    }
}
