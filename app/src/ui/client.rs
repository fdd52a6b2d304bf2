//! The page's end of the engine worker: starting it (with download progress), sending
//! requests, applying answers to the state, and starting a new worker when one dies or a
//! build is cancelled. The workspace lives in the page, so a lost worker loses no edits; the
//! worker keeps a copy, sent once and then kept up to date with what changed.

use std::cell::RefCell;

use js_sys::Array;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag, ErrorEvent, MessageEvent, Url, Worker};

use super::actions;
use super::browser;
use super::state::{EngineStatus, NodeState, Tab, Ui};
use modelplay_protocol::{Answer, Ask, Files, Request, Response, UNASKED, wire};

struct Running {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

/// Requests whose answers a later request of the same slot makes stale: the answer to a
/// check of text the user has since changed must not overwrite the newer check's problems.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// A check or a build: both answer with the project's problems.
    Problems,
    Rows,
    Profile,
    DataPreview,
}

fn slot(request: &Request) -> Option<Slot> {
    match request {
        Request::Check | Request::Build { .. } => Some(Slot::Problems),
        Request::Rows { .. } => Some(Slot::Rows),
        Request::Profile { .. } => Some(Slot::Profile),
        Request::AddData(spec) if spec.preview => Some(Slot::DataPreview),
        _ => None,
    }
}

/// The number of the last request sent, and of the latest request of each slot.
#[derive(Default)]
struct Asked {
    last: u64,
    latest: Vec<(Slot, u64)>,
}

impl Asked {
    fn number(&mut self, request: &Request) -> u64 {
        self.last += 1;
        if let Some(slot) = slot(request) {
            self.latest.retain(|(s, _)| *s != slot);
            self.latest.push((slot, self.last));
        }
        self.last
    }

    /// Whether an answer came for a request that a later one of its slot has replaced.
    fn superseded(&self, id: u64, response: &Response) -> bool {
        let slot = match response {
            Response::Checked { .. } => Slot::Problems,
            Response::Rows { .. } => Slot::Rows,
            Response::Profile { .. } => Slot::Profile,
            Response::DataPreview(_) => Slot::DataPreview,
            _ => return false,
        };
        self.latest
            .iter()
            .any(|(s, latest)| *s == slot && *latest > id)
    }
}

thread_local! {
    static WORKER: RefCell<Option<Running>> = const { RefCell::new(None) };
    static ASKED: RefCell<Asked> = RefCell::new(Asked::default());
    /// The page's state, for bringing the worker's copy of the workspace up to date.
    static UI: RefCell<Option<Ui>> = const { RefCell::new(None) };
    /// The workspace as the running worker has it (empty for a new worker).
    static SYNCED: RefCell<Files> = const { RefCell::new(Files::new()) };
}

/// The loader the worker runs: the wasm-bindgen glue, then the engine's WebAssembly, compiled
/// while it streams in (`instantiateStreaming`, which also lets the browser keep the compiled
/// code in its cache for the next visit), with a copy of the stream counted so that the page
/// can show how much has arrived.
fn loader_script(base: &str) -> String {
    format!(
        r#"importScripts({glue:?});
const progress = (loaded, total) =>
  postMessage(JSON.stringify({{ id: {unasked}, response: {{ Progress: {{ loaded, total }} }} }}));
(async () => {{
  try {{
    const res = await fetch({wasm:?});
    if (!res.ok) throw new Error("HTTP " + res.status + " for the engine's WebAssembly");
    // A compressed answer's length counts compressed bytes, where the stream gives the
    // module's own: progress then shows the bytes that arrived, without a share.
    const total = res.headers.get("content-encoding") ? 0 : Number(res.headers.get("content-length")) || 0;
    const counted = res.clone().body.getReader();
    (async () => {{
      let loaded = 0, told = 0;
      for (;;) {{
        const {{ done, value }} = await counted.read();
        if (done) break;
        loaded += value.length;
        if (loaded - told > 262144) {{
          told = loaded;
          progress(loaded, total);
        }}
      }}
    }})().catch(() => {{}});
    await wasm_bindgen({{ module_or_path: res }});
  }} catch (e) {{
    postMessage(JSON.stringify({{ id: {unasked}, response: {{ Failed: {{ what: "load the engine", message: String(e) }} }} }}));
  }}
}})();
"#,
        glue = format!("{base}worker.js"),
        wasm = format!("{base}worker_bg.wasm"),
        unasked = UNASKED,
    )
}

/// The folder the page is served from, ending in `/`.
fn base_url() -> String {
    let href = browser::page_address();
    match href.rfind('/') {
        Some(i) => href[..=i].to_string(),
        None => format!("{}/", browser::origin()),
    }
}

pub fn start(ui: Ui) {
    UI.with(|u| *u.borrow_mut() = Some(ui));
    // A new worker holds no files: the first request that reads them sends them all.
    SYNCED.with(|s| s.borrow_mut().clear());
    let script = loader_script(&base_url());
    let parts = Array::of1(&JsValue::from_str(&script));
    let options = BlobPropertyBag::new();
    options.set_type("text/javascript");
    let worker = Blob::new_with_str_sequence_and_options(&parts, &options)
        .and_then(|blob| Url::create_object_url_with_blob(&blob))
        .and_then(|url| Worker::new(&url));
    let worker = match worker {
        Ok(w) => w,
        Err(e) => {
            ui.notice.set(Some(format!(
                "The engine could not start in this browser: {e:?}"
            )));
            return;
        }
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        // An answer is JSON text, or `[text, ...buffers]` when it carries binary bodies.
        let data = event.data();
        let (text, parts) = if Array::is_array(&data) {
            let items = Array::from(&data);
            let parts = items
                .iter()
                .skip(1)
                .map(|b| js_sys::Uint8Array::new(&b).to_vec())
                .collect();
            (items.get(0).as_string().unwrap_or_default(), parts)
        } else {
            (data.as_string().unwrap_or_default(), Vec::new())
        };
        match wire::decode::<Answer>(&text, parts) {
            Ok(Answer { id, response }) => {
                if !ASKED.with(|a| a.borrow().superseded(id, &response)) {
                    apply(ui, response)
                }
            }
            Err(e) => ui
                .notice
                .set(Some(format!("The engine sent something unreadable: {e}"))),
        }
    });
    let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
        event.prevent_default();
        let why = format!("the engine stopped: {}", event.message());
        ui.notice.set(Some(format!(
            "{why}. A new engine was started and your edits are safe; run again, and if it \
             stops again, the last edit is the likely cause."
        )));
        restart(ui, &why);
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    WORKER.with(|w| {
        *w.borrow_mut() = Some(Running {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    });
}

pub fn send(request: &Request) {
    if request.reads_workspace() {
        sync_workspace();
    }
    post_ask(request, None);
}

/// Posts a numbered request: its text, then the file it brings, then its binary bodies as
/// buffers moved to the worker (copied once out of this module's memory, never encoded).
fn post_ask(request: &Request, file: Option<&web_sys::File>) {
    let (text, parts) = wire::encode(&numbered(request));
    if parts.is_empty() && file.is_none() {
        post(&JsValue::from_str(&text), None);
        return;
    }
    let message = Array::of1(&JsValue::from_str(&text));
    if let Some(file) = file {
        message.push(file);
    }
    let transfer = Array::new();
    for part in &parts {
        let buffer = js_sys::Uint8Array::from(part.as_slice()).buffer();
        message.push(&buffer);
        transfer.push(&buffer);
    }
    post(&message, Some(&transfer));
}

/// Sends the worker what changed in the workspace since it last heard, if anything did.
fn sync_workspace() {
    let Some(ui) = UI.with(|u| *u.borrow()) else {
        return;
    };
    let changes = ui.files.with_untracked(|files| {
        SYNCED.with(|synced| {
            let mut synced = synced.borrow_mut();
            let changes = modelplay_protocol::changes(&synced, files);
            if !changes.is_empty() {
                synced.clone_from(files);
            }
            changes
        })
    });
    if !changes.is_empty() {
        post_ask(&Request::Edit { changes }, None);
    }
}

fn numbered(request: &Request) -> Ask<&Request> {
    Ask {
        id: ASKED.with(|a| a.borrow_mut().number(request)),
        request,
    }
}

fn post(message: &JsValue, transfer: Option<&Array>) {
    WORKER.with(|w| {
        if let Some(running) = w.borrow().as_ref() {
            let _ = match transfer {
                Some(t) => running.worker.post_message_with_transfer(message, t),
                None => running.worker.post_message(message),
            };
        }
    });
}

/// Sends a request that brings a file: the `File` itself goes to the worker (the browser
/// shares it, it does not copy the bytes), which reads it slice by slice.
pub fn send_with_file(request: &Request, file: &web_sys::File) {
    post_ask(request, Some(file));
}

/// Stops the worker (whatever it is doing) and starts a new one.
pub fn restart(ui: Ui, why: &str) {
    WORKER.with(|w| {
        if let Some(running) = w.borrow_mut().take() {
            running.worker.terminate();
        }
    });
    // The new worker holds no tables: no status, row or test result of the old one may
    // claim otherwise.
    ui.states.set(Default::default());
    ui.outcomes.set(Default::default());
    ui.summary.set(None);
    ui.rows.set(None);
    ui.profile.set(None);
    ui.changes.set(None);
    ui.stopped.set(Some(why.to_string()));
    ui.engine.set(EngineStatus::Restarting(why.to_string()));
    start(ui);
}

fn apply(ui: Ui, response: Response) {
    match response {
        Response::Ready => {
            ui.engine.set(EngineStatus::Ready);
            if ui.sample.with_untracked(Option::is_none) {
                send(&Request::Sample);
            } else if ui.build_when_ready.get_untracked() {
                actions::build_all(ui);
            } else {
                actions::check_if_pending(ui);
            }
        }
        Response::Progress { loaded, total } => ui.engine.set(EngineStatus::Loading(loaded, total)),
        Response::Sample { files } => actions::sample_arrived(ui, files),
        Response::Opened { files } => actions::project_opened(ui, files),
        Response::Project {
            nodes,
            problems,
            unit_tests,
        } => {
            ui.nodes.set(nodes);
            ui.problems.set(problems);
            ui.unit_tests.set(unit_tests);
        }
        Response::Planned { unique_ids } => ui.states.update(|states| {
            for id in unique_ids {
                states.insert(id, NodeState::Queued);
            }
        }),
        Response::NodeStarted { unique_id, name } => {
            ui.engine.set(EngineStatus::Busy(format!("running {name}")));
            ui.states.update(|s| {
                s.insert(unique_id, NodeState::Running);
            });
        }
        Response::NodeFinished { outcome } => {
            ui.states.update(|s| {
                s.insert(outcome.unique_id.clone(), NodeState::Ended(outcome.status));
            });
            ui.outcomes.update(|o| {
                o.insert(outcome.unique_id.clone(), *outcome);
            });
        }
        Response::BuildDone(summary) => {
            ui.problems.set(summary.problems.clone());
            ui.lineage.set(summary.lineage.clone());
            ui.column_types.set(summary.columns.clone());
            ui.summary.set(Some(*summary));
            ui.stopped.set(None);
            ui.builds.update(|n| *n += 1);
            ui.engine.set(EngineStatus::Ready);
            ui.profile.set(None);
            actions::show_rows_of_open_node(ui);
            // Text typed during the build was not checked; the build's problems are of the
            // text it started from.
            actions::check_if_pending(ui);
        }
        Response::Checked {
            problems,
            lineage,
            columns,
            elapsed_ms,
        } => {
            ui.checks.update(|(n, ms)| {
                *n += 1;
                *ms = elapsed_ms;
            });
            ui.problems.set(problems);
            if !lineage.is_empty() {
                ui.lineage.set(lineage);
            }
            if !columns.is_empty() {
                ui.column_types.set(columns);
            }
        }
        Response::Rows {
            unique_id,
            table,
            sort,
        } => ui.rows.set(Some((unique_id, table, sort))),
        Response::Profile { unique_id, columns } => ui.profile.set(Some((unique_id, columns))),
        Response::Exported {
            files,
            zip,
            problems,
        } => {
            ui.engine.set(EngineStatus::Ready);
            if !zip.is_empty() {
                browser::download("redshift-export.zip", &zip, "application/zip");
                ui.export.set(Some(files));
            }
            if !problems.is_empty() {
                let errors = problems
                    .iter()
                    .filter(|p| p.severity == modelplay_protocol::Severity::Error)
                    .count();
                ui.problems.set(problems);
                ui.tab.set(Tab::Problems);
                ui.notice.set(Some(if zip.is_empty() {
                    "The export stopped: fix the problems listed first.".into()
                } else if errors == 0 {
                    "Exported, with warnings: see Problems.".into()
                } else {
                    format!(
                        "Exported without what does not compile ({errors} node{}) and what is built from it: see Problems.",
                        if errors == 1 { "" } else { "s" }
                    )
                }));
            }
        }
        Response::Link { link } => actions::link_made(ui, &link),
        Response::Zipped { zip } => browser::download("project.zip", &zip, "application/zip"),
        Response::LinkNotOpened { message } => {
            ui.opening.set(None);
            ui.engine.set(EngineStatus::Ready);
            // The workspace is as it was; build that instead (before the notice: starting a
            // build clears the last one).
            actions::build_all(ui);
            ui.notice
                .set(Some(format!("Could not open the link: {message}")));
        }
        Response::AddingData { name, fraction } => ui.adding.set(Some((name, fraction))),
        Response::DataAdded {
            path,
            body,
            rows_read,
            rows_kept,
        } => {
            ui.adding.set(None);
            ui.engine.set(EngineStatus::Ready);
            actions::data_added(ui, path, body, rows_read, rows_kept);
        }
        Response::UnitTestWritten {
            name,
            model,
            path,
            text,
        } => {
            ui.engine.set(EngineStatus::Ready);
            actions::unit_test_written(ui, &name, &model, path, text);
        }
        Response::Changes(report) => {
            ui.engine.set(EngineStatus::Ready);
            ui.changes.set(Some(*report));
        }
        Response::ChangedRows {
            unique_id,
            offset,
            rows,
        } => ui.changes.update(|c| {
            if let Some(m) = c
                .as_mut()
                .and_then(|c| c.models.iter_mut().find(|m| m.unique_id == unique_id))
                && m.rows.len() == offset
            {
                m.rows.extend(rows);
            }
        }),
        Response::DataPreview(preview) => ui.data_preview.set(Some(preview)),
        Response::Failed { what, message } => {
            ui.adding.set(None);
            ui.opening.set(None);
            ui.engine.set(EngineStatus::Ready);
            ui.notice.set(Some(format!("Could not {what}: {message}")));
        }
    }
}
