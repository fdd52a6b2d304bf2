//! What the user's gestures do: edit, run, build, cancel, export, share, manage files.

use std::cell::RefCell;
use std::time::Duration;

use leptos::prelude::*;

use super::browser;
use super::client::{self, send};
use super::state::{EngineStatus, Tab, Ui};
use crate::protocol::{Files, Request};
use crate::workspace::{self, Saved};

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
    if let Err(e) = browser::save(&saved) {
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
    ui.sample.set(Some(sample.clone()));
    // The saved workspace comes back first, so that a link that turns out to be damaged
    // (or that the user declines) leaves it as it was.
    let saved: Option<Saved> = browser::load_saved();
    let files = match &saved {
        Some(s) => workspace::restore(&sample, s),
        None => sample,
    };
    let open = first_file(&files, saved.and_then(|s| s.open));
    ui.files.set(files);
    ui.open.set(open);
    let link = browser::fragment();
    // A constant only: the page does not link the engine's code.
    if link.starts_with(modelplay_engine::share::LINK_PREFIX) {
        browser::clear_fragment();
        send(&Request::OpenLink { link });
    } else {
        build_all(ui);
    }
}

/// A project from a link or an archive arrived: it replaces the workspace only if the user
/// agrees, when the workspace holds work of their own.
pub fn project_opened(ui: Ui, files: Files) {
    let has_own_work = browser::load_saved()
        .is_some_and(|saved| !saved.changed.is_empty() || !saved.deleted.is_empty());
    if has_own_work
        && !browser::confirm(
            "Replace your workspace with the project you opened?\n\n\
             Cancel keeps your workspace (download it first with Download .zip to keep both).",
        )
    {
        build_all(ui);
        return;
    }
    let open = first_file(&files, None);
    ui.files.set(files);
    ui.open.set(open);
    save(ui);
    build_all(ui);
}

fn start_build(ui: Ui, select: Vec<String>, reuse: bool) {
    if !matches!(ui.engine.get_untracked(), EngineStatus::Ready) {
        ui.build_when_ready.set(true);
        return;
    }
    ui.build_when_ready.set(false);
    ui.notice.set(None);
    ui.engine.set(EngineStatus::Busy("building".into()));
    let files = ui.files.get_untracked();
    send(&Request::Build {
        files,
        select,
        reuse,
    });
}

/// Builds the whole DAG from scratch.
pub fn build_all(ui: Ui) {
    ui.outcomes.set(Default::default());
    ui.states.set(Default::default());
    start_build(ui, Vec::new(), false);
}

/// Runs the open model and everything downstream of it, keeping what was built upstream.
pub fn run_open(ui: Ui) {
    match ui.open_node() {
        Some(node) => start_build(ui, vec![format!("{}+", node.name)], true),
        None => build_all(ui),
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
        .with_untracked(|s| s.get(&node.unique_id).is_some_and(|st| st == "success"));
    if built {
        send(&Request::Rows {
            unique_id: node.unique_id,
            limit: GRID_ROWS,
        });
    }
}

pub fn open_file(ui: Ui, path: String) {
    ui.open.set(Some(path));
    ui.column.set(None);
    save(ui);
    show_rows_of_open_node(ui);
}

/// A change typed in the editor: kept, saved, and checked once typing pauses.
pub fn edit(ui: Ui, path: String, text: String) {
    ui.files.update(|f| {
        f.insert(path, text);
    });
    save(ui);
    PENDING_CHECK.with(|p| {
        if let Some(h) = p.borrow_mut().take() {
            h.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                if matches!(ui.engine.get_untracked(), EngineStatus::Ready) {
                    send(&Request::Check {
                        files: ui.files.get_untracked(),
                    });
                }
            },
            CHECK_AFTER,
        );
        *p.borrow_mut() = handle.ok();
    });
}

/// Whether `path` may be given to a new or renamed file; if not, the notice says why.
fn path_is_free(ui: Ui, path: &str, gesture: &str) -> bool {
    if let Err(e) = workspace::valid_new_path(path) {
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
    let Some(path) = browser::prompt("New file (path in the project):", "models/new_model.sql")
    else {
        return;
    };
    let path = path.trim().to_string();
    if !path_is_free(ui, &path, "create") {
        return;
    }
    ui.files.update(|f| {
        f.insert(path.clone(), String::new());
    });
    open_file(ui, path);
}

pub fn rename_file(ui: Ui, from: String) {
    let Some(to) = browser::prompt("Rename to:", &from) else {
        return;
    };
    let to = to.trim().to_string();
    if to == from {
        return;
    }
    if !path_is_free(ui, &to, "rename to") {
        return;
    }
    ui.files.update(|f| {
        if let Some(text) = f.remove(&from) {
            f.insert(to.clone(), text);
        }
    });
    if ui.open.get_untracked().as_deref() == Some(from.as_str()) {
        ui.open.set(Some(to));
    }
    save(ui);
}

pub fn delete_file(ui: Ui, path: String) {
    if !browser::confirm(&format!("Delete `{path}`?")) {
        return;
    }
    ui.files.update(|f| {
        f.remove(&path);
    });
    if ui.open.get_untracked().as_deref() == Some(path.as_str()) {
        let next = ui.files.with_untracked(|f| first_file(f, None));
        ui.open.set(next);
    }
    save(ui);
}

pub fn reset_to_sample(ui: Ui) {
    if !browser::confirm("Reset to the sample project? Every edit in this workspace will be lost.")
    {
        return;
    }
    let Some(sample) = ui.sample.get_untracked() else {
        return;
    };
    browser::forget_saved();
    ui.open.set(first_file(&sample, None));
    ui.files.set(sample);
    build_all(ui);
}

pub fn export(ui: Ui) {
    if !matches!(ui.engine.get_untracked(), EngineStatus::Ready) {
        ui.notice
            .set(Some("Wait for the engine to finish, then export.".into()));
        return;
    }
    ui.engine.set(EngineStatus::Busy("exporting".into()));
    send(&Request::Export {
        files: ui.files.get_untracked(),
    });
}

pub fn download_project(ui: Ui) {
    send(&Request::Zip {
        files: ui.files.get_untracked(),
    });
}

/// Reads a `.zip` the user picked and hands it to the engine to unpack.
pub fn open_zip(ui: Ui, file: web_sys::File) {
    leptos::task::spawn_local(async move {
        let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await;
        match buffer {
            Ok(buffer) => {
                use base64::Engine as _;
                let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                send(&Request::OpenZip {
                    zip_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
                });
            }
            Err(e) => ui
                .notice
                .set(Some(format!("Could not read {}: {e:?}", file.name()))),
        }
    });
}

/// Folders a dbt project folder holds that are build output or tooling, not the project.
const SKIPPED_FOLDERS: [&str; 5] = ["target", "logs", "dbt_packages", ".git", "node_modules"];

/// Reads a project folder the user picked (every file, with its path inside the folder) and
/// opens it as the workspace.
pub fn open_folder(ui: Ui, list: web_sys::FileList) {
    leptos::task::spawn_local(async move {
        let mut files = Files::new();
        let mut binary = Vec::new();
        for i in 0..list.length() {
            let Some(file) = list.get(i) else { continue };
            // web-sys has no binding for it: every browser supports it, no standard names it.
            let full = js_sys::Reflect::get(&file, &"webkitRelativePath".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_else(|| file.name());
            // The first segment is the folder the user picked.
            let path = full
                .split_once('/')
                .map_or(full.as_str(), |(_, rest)| rest)
                .to_string();
            if path.split('/').any(|seg| SKIPPED_FOLDERS.contains(&seg)) {
                continue;
            }
            let bytes = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
                Err(e) => {
                    ui.notice.set(Some(format!("Could not read {full}: {e:?}")));
                    return;
                }
            };
            match String::from_utf8(bytes) {
                Ok(text) => {
                    files.insert(path, text);
                }
                Err(_) => binary.push(path),
            }
        }
        if !binary.is_empty() {
            ui.notice.set(Some(format!(
                "Could not open the folder: the page holds text files only, and these are binary: {}",
                binary.join(", ")
            )));
            return;
        }
        if !files.contains_key("dbt_project.yml") {
            ui.notice.set(Some(
                "Could not open the folder: it has no dbt_project.yml at its top; pick the \
                 project's own folder."
                    .into(),
            ));
            return;
        }
        project_opened(ui, files);
    });
}

pub fn share(ui: Ui) {
    send(&Request::Share {
        files: ui.files.get_untracked(),
    });
}

pub fn link_made(ui: Ui, link: &str) {
    let address = format!("{}#{link}", browser::page_address());
    browser::copy_to_clipboard(&address);
    ui.notice.set(Some(format!(
        "Share link copied ({} characters): {address}",
        address.len()
    )));
}

pub fn show_tab(ui: Ui, tab: Tab) {
    ui.tab.set(tab);
}
