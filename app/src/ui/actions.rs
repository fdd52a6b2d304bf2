//! What the user's gestures do: edit, run, build, cancel, export, share, manage files.

use std::cell::RefCell;
use std::time::Duration;

use leptos::prelude::*;

use super::ask;
use super::browser;
use super::client::{self, send};
use super::state::{EngineStatus, NodeState, Tab, Ui};
use crate::workspace::{self, Saved};
use modelplay_protocol::{AddData, Body, Files, KeepRows, Request, Status};

/// The first file the sample opens on.
const FIRST_FILE: &str = "models/staging/stg_salesforce_leads.sql";
/// Rows of a model the grid receives.
pub const GRID_ROWS: usize = 100_000;
/// Quiet time after typing before the project is checked again.
const CHECK_AFTER: Duration = Duration::from_millis(400);

thread_local! {
    static PENDING_CHECK: RefCell<Option<TimeoutHandle>> = const { RefCell::new(None) };
}

fn save(ui: Ui) {
    let Some(sample) = ui.sample.get_untracked() else {
        return;
    };
    let saved = ui
        .files
        .with_untracked(|files| workspace::diff(&sample, files, ui.open.get_untracked()));
    if let Err(e) = browser::save_workspace(ui.shelf.with_untracked(|s| s.current), &saved) {
        ui.notice.set(Some(format!(
            "{e}. Your edits are still here; download the project to keep them."
        )));
    }
}

fn first_file(files: &Files, preferred: Option<String>) -> Option<String> {
    preferred
        .filter(|p| files.contains_key(p))
        .or_else(|| {
            files
                .contains_key(FIRST_FILE)
                .then(|| FIRST_FILE.to_string())
        })
        .or_else(|| {
            files
                .keys()
                .find(|p| p.starts_with("models/") && p.ends_with(".sql"))
                .cloned()
        })
        .or_else(|| files.keys().next().cloned())
}

pub fn sample_arrived(ui: Ui, sample: Files) {
    ui.sample.set(Some(sample));
    ui.shelf.set(browser::shelf());
    // The saved workspace comes back first, so that a link that turns out to be damaged
    // leaves it as it was.
    show_saved_workspace(ui);
    let link = browser::fragment();
    // A constant only: the page does not link the engine's code.
    if link.starts_with(modelplay_protocol::LINK_PREFIX) {
        browser::clear_fragment();
        ui.opening.set(Some("Shared link".into()));
        send(&Request::OpenLink { link });
    } else {
        build_all(ui);
    }
}

/// Shows the open workspace as saved (the sample, if nothing was saved for it).
fn show_saved_workspace(ui: Ui) {
    let Some(sample) = ui.sample.get_untracked() else {
        return;
    };
    let saved: Option<Saved> = browser::load_workspace(ui.shelf.with_untracked(|s| s.current));
    let files = match &saved {
        Some(s) => workspace::restore(&sample, s),
        None => sample,
    };
    let open = first_file(&files, saved.and_then(|s| s.open));
    ui.files.set(files);
    ui.open.set(open);
    ui.rows.set(None);
}

/// A project from a link, an archive or a folder arrived: it opens in a workspace of its
/// own, so that nothing the user had is overwritten.
pub fn project_opened(ui: Ui, files: Files) {
    let name = ui
        .opening
        .get_untracked()
        .unwrap_or_else(|| "Opened project".into());
    ui.opening.set(None);
    let mut shelf = ui.shelf.get_untracked();
    shelf.add(&name);
    if let Err(e) = browser::save_shelf(&shelf) {
        ui.notice
            .set(Some(format!("{e}; the project is open but not saved")));
    }
    ui.shelf.set(shelf);
    let open = first_file(&files, None);
    ui.files.set(files);
    ui.open.set(open);
    save(ui);
    build_all(ui);
}

fn store_shelf(ui: Ui, shelf: crate::workspaces::Shelf) {
    if let Err(e) = browser::save_shelf(&shelf) {
        ui.notice.set(Some(e));
    }
    ui.shelf.set(shelf);
}

pub fn switch_workspace(ui: Ui, id: u32) {
    let mut shelf = ui.shelf.get_untracked();
    if shelf.current == id || shelf.name_of(id).is_none() {
        return;
    }
    shelf.current = id;
    store_shelf(ui, shelf);
    show_saved_workspace(ui);
    build_all(ui);
}

/// A new workspace, starting from the sample project.
pub fn new_workspace(ui: Ui) {
    let free = ui.shelf.with_untracked(|s| s.free_name("Workspace"));
    ask::text(
        ui,
        "Name of the new workspace:",
        free,
        "Create",
        move |name| {
            let mut shelf = ui.shelf.get_untracked();
            shelf.add(&name);
            store_shelf(ui, shelf);
            // Ids are never reused, so nothing is saved under the new one yet: it shows the sample.
            show_saved_workspace(ui);
            save(ui);
            build_all(ui);
        },
    );
}

pub fn rename_workspace(ui: Ui) {
    let old = ui
        .shelf
        .with_untracked(|s| s.name_of(s.current).unwrap_or_default().to_string());
    ask::text(ui, "Rename the workspace to:", old, "Rename", move |name| {
        let mut shelf = ui.shelf.get_untracked();
        match shelf.rename(shelf.current, &name) {
            Ok(()) => store_shelf(ui, shelf),
            Err(e) => ui
                .notice
                .set(Some(format!("Cannot rename the workspace: {e}"))),
        }
    });
}

pub fn delete_workspace(ui: Ui) {
    let name = ui
        .shelf
        .with_untracked(|s| s.name_of(s.current).unwrap_or_default().to_string());
    let question = format!(
        "Delete the workspace `{name}`? Its files are gone for good (Download .zip keeps a copy)."
    );
    ask::confirm(ui, question, "Delete", move || {
        let mut shelf = ui.shelf.get_untracked();
        let id = shelf.current;
        browser::forget_workspace(id);
        shelf.remove(id);
        store_shelf(ui, shelf);
        show_saved_workspace(ui);
        build_all(ui);
    });
}

fn start_build(ui: Ui, select: Vec<String>, reuse: bool) {
    if !matches!(ui.engine.get_untracked(), EngineStatus::Ready) {
        ui.build_when_ready.set(true);
        return;
    }
    ui.build_when_ready.set(false);
    ui.notice.set(None);
    ui.engine.set(EngineStatus::Busy("building".into()));
    send(&Request::Build { select, reuse });
}

/// Builds the whole DAG from scratch.
pub fn build_all(ui: Ui) {
    ui.outcomes.set(Default::default());
    ui.states.set(Default::default());
    start_build(ui, Vec::new(), false);
}

/// Runs the open model and everything downstream of it, keeping what was built upstream.
/// A model file the last build did not know (new, or renamed) runs by its name, as dbt
/// names a model after its file; with nothing built yet, everything builds.
pub fn run_open(ui: Ui) {
    let built_before = ui.states.with_untracked(|s| !s.is_empty());
    let name = ui.open_node().map(|n| n.name).or_else(|| {
        let path = ui.open.get_untracked()?;
        let stem = path.strip_suffix(".sql")?.rsplit('/').next()?.to_string();
        (path.starts_with("models/") || path.starts_with("snapshots/")).then_some(stem)
    });
    match name {
        Some(name) if built_before => start_build(ui, vec![format!("{name}+")], true),
        _ => build_all(ui),
    }
}

pub fn cancel(ui: Ui) {
    client::restart(ui, "the build was cancelled");
}

pub fn show_rows_of_open_node(ui: Ui) {
    let Some(node) = ui.open_node() else {
        return;
    };
    let built = ui
        .states
        .with_untracked(|s| s.get(&node.unique_id) == Some(&NodeState::Ended(Status::Success)));
    if built {
        send(&Request::Rows {
            unique_id: node.unique_id,
            limit: GRID_ROWS,
            sort: ui.sort.get_untracked(),
        });
    }
}

/// Orders the open node's rows by a column (or back to the table's own order), over all of
/// its rows.
pub fn sort_rows(ui: Ui, sort: Option<modelplay_protocol::SortBy>) {
    ui.sort.set(sort);
    show_rows_of_open_node(ui);
}

/// Profiles every column of the open node over all of its rows.
pub fn profile_open(ui: Ui) {
    if let Some(node) = ui.open_node() {
        send(&Request::Profile {
            unique_id: node.unique_id,
        });
    }
}

pub fn open_file(ui: Ui, path: String) {
    if ui.open.get_untracked().as_deref() != Some(path.as_str()) {
        ui.sort.set(None);
        ui.profile.set(None);
    }
    ui.open.set(Some(path));
    ui.column.set(None);
    save(ui);
    show_rows_of_open_node(ui);
}

/// A change typed in the editor: kept, saved, and checked once typing pauses. A run's error
/// in the edited file was about the text before the edit: it goes, and the check says what
/// holds of the new text.
pub fn edit(ui: Ui, path: String, text: String) {
    let stale = ui.outcomes.with_untracked(|o| {
        o.values()
            .any(|o| o.problem.as_ref().is_some_and(|p| p.file == path))
    });
    if stale {
        ui.outcomes.update(|o| {
            for outcome in o.values_mut() {
                if outcome.problem.as_ref().is_some_and(|p| p.file == path) {
                    outcome.problem = None;
                }
            }
        });
    }
    ui.files.update(|f| {
        f.insert(path, Body::Text(text));
    });
    save(ui);
    ui.check_pending.set(true);
    PENDING_CHECK.with(|p| {
        if let Some(h) = p.borrow_mut().take() {
            h.clear();
        }
        let handle = set_timeout_with_handle(move || check_if_pending(ui), CHECK_AFTER);
        *p.borrow_mut() = handle.ok();
    });
}

/// Checks the workspace if an edit has not been checked and the engine is free; a busy
/// engine is asked again when it is done.
pub fn check_if_pending(ui: Ui) {
    if ui.check_pending.get_untracked() && matches!(ui.engine.get_untracked(), EngineStatus::Ready)
    {
        ui.check_pending.set(false);
        send(&Request::Check);
    }
}

/// Whether `path` may be given to a new or renamed file; if not, the notice says why.
fn path_is_free(ui: Ui, path: &str, gesture: &str) -> bool {
    if let Err(e) = modelplay_protocol::paths::valid_new_path(path) {
        ui.notice
            .set(Some(format!("Cannot {gesture} `{path}`: {e}")));
        return false;
    }
    if ui.files.with_untracked(|f| f.contains_key(path)) {
        ui.notice.set(Some(format!("`{path}` already exists")));
        return false;
    }
    true
}

pub fn new_file(ui: Ui) {
    let question = "New file (path in the project):";
    ask::text(
        ui,
        question,
        "models/new_model.sql",
        "Create",
        move |path| {
            let path = path.trim().to_string();
            if !path_is_free(ui, &path, "create") {
                return;
            }
            ui.files.update(|f| {
                f.insert(path.clone(), Body::Text(String::new()));
            });
            open_file(ui, path);
        },
    );
}

pub fn rename_file(ui: Ui, from: String) {
    let question = format!("Rename `{from}` to:");
    ask::text(ui, question, from.clone(), "Rename", move |to| {
        let to = to.trim().to_string();
        if to == from || !path_is_free(ui, &to, "rename to") {
            return;
        }
        ui.files.update(|f| {
            if let Some(text) = f.remove(&from) {
                f.insert(to.clone(), text);
            }
        });
        if ui.open.get_untracked().as_deref() == Some(from.as_str()) {
            ui.open.set(Some(to.clone()));
        }
        save(ui);
    });
}

pub fn delete_file(ui: Ui, path: String) {
    ask::confirm(ui, format!("Delete `{path}`?"), "Delete", move || {
        ui.files.update(|f| {
            f.remove(&path);
        });
        if ui.open.get_untracked().as_deref() == Some(path.as_str()) {
            let next = ui.files.with_untracked(|f| first_file(f, None));
            ui.open.set(next);
        }
        save(ui);
        // Without the file the tables differ: what was built from it is built again.
        if path.starts_with("data/") || path.starts_with("seeds/") {
            build_all(ui);
        } else {
            ui.check_pending.set(true);
            check_if_pending(ui);
        }
    });
}

pub fn reset_to_sample(ui: Ui) {
    let question = "Reset to the sample project? Every edit in this workspace will be lost.";
    ask::confirm(ui, question, "Reset", move || {
        let Some(sample) = ui.sample.get_untracked() else {
            return;
        };
        browser::forget_workspace(ui.shelf.with_untracked(|s| s.current));
        ui.open.set(first_file(&sample, None));
        ui.files.set(sample);
        build_all(ui);
    });
}

pub fn export(ui: Ui) {
    if !matches!(ui.engine.get_untracked(), EngineStatus::Ready) {
        ui.notice
            .set(Some("Wait for the engine to finish, then export.".into()));
        return;
    }
    ui.engine.set(EngineStatus::Busy("exporting".into()));
    send(&Request::Export);
}

pub fn download_project() {
    send(&Request::Zip);
}

/// Reads a `.zip` the user picked and hands it to the engine to unpack.
pub fn open_zip(ui: Ui, file: web_sys::File) {
    leptos::task::spawn_local(async move {
        let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await;
        match buffer {
            Ok(buffer) => {
                let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                ui.opening.set(Some(
                    file.name()
                        .trim_end_matches(".zip")
                        .trim_end_matches(".ZIP")
                        .to_string(),
                ));
                send(&Request::OpenZip { zip: bytes });
            }
            Err(e) => ui
                .notice
                .set(Some(format!("Could not read {}: {e:?}", file.name()))),
        }
    });
}

/// Reads a project folder the user picked (every file, with its path inside the folder) and
/// opens it in a workspace of its own.
pub fn open_folder(ui: Ui, list: web_sys::FileList) {
    leptos::task::spawn_local(async move {
        let mut files = Files::new();
        let mut folder_name = String::from("Opened folder");
        for i in 0..list.length() {
            let Some(file) = list.get(i) else { continue };
            // web-sys has no binding for it: every browser supports it, no standard names it.
            let full = js_sys::Reflect::get(&file, &"webkitRelativePath".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_else(|| file.name());
            // The first segment is the folder the user picked.
            if let Some((folder, _)) = full.split_once('/') {
                folder_name = folder.to_string();
            }
            let path = full
                .split_once('/')
                .map_or(full.as_str(), |(_, rest)| rest)
                .to_string();
            if !modelplay_protocol::paths::kept_in_project(&path) {
                continue;
            }
            let bytes = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
                Err(e) => {
                    ui.notice.set(Some(format!("Could not read {full}: {e:?}")));
                    return;
                }
            };
            files.insert(path, Body::from_bytes(bytes));
        }
        if !files.contains_key("dbt_project.yml") {
            ui.notice.set(Some(
                "Could not open the folder: it has no dbt_project.yml at its top; pick the \
                 project's own folder."
                    .into(),
            ));
            return;
        }
        ui.opening.set(Some(folder_name));
        project_opened(ui, files);
    });
}

pub fn share() {
    send(&Request::Share);
}

pub fn link_made(ui: Ui, link: &str) {
    let address = format!("{}#{link}", browser::page_address());
    browser::copy_to_clipboard(&address);
    ui.notice.set(Some(format!(
        "Share link copied ({} characters): {address}",
        address.len()
    )));
}

/// A data file the user picked or dropped: CSV and Parquet wait for a destination, anything
/// else is refused at once.
pub fn data_picked(ui: Ui, file: web_sys::File) {
    match modelplay_protocol::data_target::DataFormat::required(&file.name()) {
        Ok(_) => ui.picked_data.set(Some(file)),
        Err(why) => ui.notice.set(Some(format!(
            "{why}; Add data takes those two (open a project with Open folder or Open .zip)"
        ))),
    }
}

/// Sends the picked file to the worker, to be read into `target` keeping `keep`.
pub fn add_data(ui: Ui, file: web_sys::File, target: String, keep: KeepRows) {
    ui.picked_data.set(None);
    ui.adding.set(Some((file.name(), 0.0)));
    ui.engine
        .set(EngineStatus::Busy(format!("reading {}", file.name())));
    client::send_with_file(
        &Request::AddData(AddData {
            name: file.name(),
            target,
            keep,
            preview: false,
        }),
        &file,
    );
}

/// Asks the worker what adding `file` at `target` would do; the dialog shows the answer.
pub fn preview_data(ui: Ui, file: &web_sys::File, target: String) {
    ui.data_preview.set(None);
    client::send_with_file(
        &Request::AddData(AddData {
            name: file.name(),
            target,
            keep: KeepRows::All,
            preview: true,
        }),
        file,
    );
}

/// The worker read a data file: it joins (or replaces) the project file and the project
/// builds again.
pub fn data_added(ui: Ui, path: String, body: Body, rows_read: u64, rows_kept: u64) {
    let replaced = ui.files.with_untracked(|f| f.contains_key(&path));
    ui.files.update(|f| {
        f.insert(path.clone(), body);
    });
    save(ui);
    build_all(ui);
    ui.notice.set(Some(format!(
        "{} {path}: kept {rows_kept} of the {rows_read} rows read.",
        if replaced { "Replaced" } else { "Added" }
    )));
}

pub fn show_tab(ui: Ui, tab: Tab) {
    ui.tab.set(tab);
}

/// Output rows a unit test written from a model expects.
const UNIT_TEST_ROWS: usize = 3;

/// Asks for a unit test of the open model, written from its last build.
pub fn write_unit_test(ui: Ui) {
    let Some(node) = ui.open_node() else {
        return;
    };
    if !matches!(ui.engine.get_untracked(), EngineStatus::Ready) {
        ui.notice.set(Some(
            "Wait for the engine to finish, then write the test.".into(),
        ));
        return;
    }
    ui.engine.set(EngineStatus::Busy(format!(
        "writing a unit test for {}",
        node.name
    )));
    send(&Request::WriteUnitTest {
        model: node.unique_id,
        rows: UNIT_TEST_ROWS,
    });
}

/// A unit test was written: its file joins the workspace, opens, and the model runs with
/// its unit tests.
pub fn unit_test_written(ui: Ui, name: &str, model: &str, path: String, text: String) {
    ui.files.update(|f| {
        f.insert(path.clone(), Body::Text(text));
    });
    ui.open.set(Some(path.clone()));
    save(ui);
    ui.tab.set(Tab::Tests);
    ui.test.set(ui.nodes.with_untracked(|n| {
        n.iter()
            .find(|n| n.name == name)
            .map(|n| n.unique_id.clone())
    }));
    ui.notice.set(Some(format!(
        "Wrote unit test `{name}` to {path}; it runs with `{model}` now."
    )));
    start_build(ui, vec![model.to_string()], true);
}

/// Writes a fixture's rows, edited in the grid, back into its properties file.
pub fn save_fixture_rows(
    ui: Ui,
    file: &str,
    rows_line: usize,
    columns: &[String],
    rows: &[Vec<Option<String>>],
) {
    let Some(text) = ui
        .files
        .with_untracked(|f| f.get(file).and_then(|b| b.text().map(str::to_string)))
    else {
        return;
    };
    match modelplay_protocol::checking::replace_rows(&text, rows_line, columns, rows) {
        Ok(new) => {
            edit(ui, file.to_string(), new);
            run_open_or_all(ui);
        }
        Err(e) => ui.notice.set(Some(format!("Could not save the rows: {e}"))),
    }
}

/// Runs the open model and its descendants, or everything when no model is open (the
/// unit tests of what runs run with it).
fn run_open_or_all(ui: Ui) {
    match ui.open_node() {
        Some(node) => start_build(ui, vec![format!("{}+", node.name)], true),
        None => start_build(ui, Vec::new(), true),
    }
}

/// Compares the workspace's last build with another project, built as well.
pub fn compare_with(ui: Ui, with: modelplay_protocol::Other, label: String) {
    if !matches!(ui.engine.get_untracked(), EngineStatus::Ready) {
        ui.notice
            .set(Some("Wait for the engine to finish, then compare.".into()));
        return;
    }
    ui.engine
        .set(EngineStatus::Busy(format!("building {label} to compare")));
    send(&Request::CompareWith { with, label });
}

/// The files of another workspace, as saved.
pub fn workspace_files(ui: Ui, id: u32) -> Option<Files> {
    let sample = ui.sample.get_untracked()?;
    let saved: Option<Saved> = browser::load_workspace(id);
    Some(match saved {
        Some(s) => workspace::restore(&sample, &s),
        None => sample,
    })
}

/// More differing rows of a model of the last comparison.
pub fn more_changed_rows(unique_id: String, offset: usize) {
    send(&Request::ChangedRows {
        unique_id,
        offset,
        limit: 200,
    });
}
