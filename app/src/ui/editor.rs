//! The code editor (CodeMirror 6, bundled from npm into `editor.js`), bound to the open
//! file and to the problems the engine found in it.

use leptos::html;
use leptos::prelude::*;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::actions;
use super::state::ui;
use modelplay_protocol::Body;

#[wasm_bindgen]
extern "C" {
    type EditorHandle;

    #[wasm_bindgen(js_namespace = ModelplayEditor, js_name = create, catch)]
    fn create_editor(
        parent: &web_sys::HtmlElement,
        on_change: &js_sys::Function,
        on_run: &js_sys::Function,
        on_definition: &js_sys::Function,
    ) -> Result<EditorHandle, JsValue>;

    #[wasm_bindgen(method)]
    fn open(this: &EditorHandle, path: &str, text: &str, read_only: bool);

    #[wasm_bindgen(method)]
    fn diagnostics(this: &EditorHandle, list: JsValue);

    #[wasm_bindgen(method)]
    fn goto(this: &EditorHandle, line: u32, column: u32);

    #[wasm_bindgen(method, js_name = setCompletions)]
    fn set_completions(this: &EditorHandle, names: JsValue);
}

#[derive(Serialize)]
struct Mark<'a> {
    line: usize,
    column: usize,
    message: String,
    severity: &'a str,
}

thread_local! {
    static EDITOR: std::cell::RefCell<Option<EditorHandle>> = const { std::cell::RefCell::new(None) };
}

/// Moves the cursor to a line of the open file. A file opened just before is put in the
/// editor by an effect, which runs before a timeout does: the cursor moves in the new file.
pub fn goto(line: usize, column: usize) {
    set_timeout(
        move || {
            EDITOR.with(|e| {
                if let Some(e) = e.borrow().as_ref() {
                    e.goto(line as u32, column as u32);
                }
            });
        },
        std::time::Duration::ZERO,
    );
}

/// Opens where a model `ref` names or a macro is defined (Ctrl+click, F12).
fn go_to_definition(ui: super::state::Ui, name: &str) {
    let place = ui.nodes.with_untracked(|nodes| {
        ui.files
            .with_untracked(|files| crate::completions::definition(name, nodes, files))
    });
    if let Some((path, line)) = place {
        actions::open_file(ui, path);
        goto(line, 1);
    }
}

#[component]
pub fn Editor() -> impl IntoView {
    let ui = ui();
    let host = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        let Some(el) = host.get() else {
            return;
        };
        if EDITOR.with(|e| e.borrow().is_some()) {
            return;
        }
        let on_change =
            Closure::<dyn FnMut(String, String)>::new(move |path: String, text: String| {
                actions::edit(ui, path, text);
            });
        let on_run = Closure::<dyn FnMut()>::new(move || actions::run_open(ui));
        let on_definition =
            Closure::<dyn FnMut(String)>::new(move |name: String| go_to_definition(ui, &name));
        match create_editor(
            &el,
            on_change.as_ref().unchecked_ref(),
            on_run.as_ref().unchecked_ref(),
            on_definition.as_ref().unchecked_ref(),
        ) {
            Ok(handle) => EDITOR.with(|e| *e.borrow_mut() = Some(handle)),
            Err(e) => ui
                .notice
                .set(Some(format!("The editor could not start: {e:?}"))),
        }
        // The editor lives as long as the page.
        on_change.forget();
        on_run.forget();
        on_definition.forget();
    });
    // Opening a file replaces the editor's text; typing does not come back here, because
    // only the open path is tracked.
    Effect::new(move |_| {
        let path = ui.open.get();
        let body = path
            .as_ref()
            .and_then(|p| ui.files.with_untracked(|f| f.get(p).cloned()));
        let (text, read_only) = match &body {
            Some(Body::Text(text)) => (text.clone(), false),
            Some(Body::Binary { base64: bytes }) => (binary_placeholder(bytes.len()), true),
            None => (String::new(), true),
        };
        EDITOR.with(|e| {
            if let Some(e) = e.borrow().as_ref() {
                e.open(path.as_deref().unwrap_or(""), &text, read_only);
            }
        });
    });
    Effect::new(move |_| {
        let open = ui.open.get().unwrap_or_default();
        let mut marks: Vec<Mark> = ui.problems.with(|ps| {
            ps.iter()
                .filter(|p| p.file == open && p.line > 0)
                .map(|p| Mark {
                    line: p.line,
                    column: p.column,
                    message: match &p.hint {
                        Some(h) => format!("{}\n{h}", p.message),
                        None => p.message.clone(),
                    },
                    severity: p.severity.as_str(),
                })
                .collect()
        });
        ui.outcomes.with(|o| {
            for outcome in o.values() {
                if let Some(p) = &outcome.problem
                    && p.file == open
                    && p.line > 0
                    && !marks
                        .iter()
                        .any(|m| m.line == p.line && m.message.starts_with(&p.message))
                {
                    marks.push(Mark {
                        line: p.line,
                        column: p.column,
                        message: p.message.clone(),
                        severity: "error",
                    });
                }
            }
        });
        let list = to_js(&marks);
        EDITOR.with(|e| {
            if let Some(e) = e.borrow().as_ref() {
                e.diagnostics(list);
            }
        });
    });
    // Completion offers what the project holds now: its nodes, sources, macros, and the
    // columns the last check or build found in the models in scope.
    Effect::new(move |_| {
        let open = ui.open_node();
        let names = ui.nodes.with(|nodes| {
            ui.column_types.with(|types| {
                ui.files
                    .with(|files| crate::completions::names(nodes, types, files, open.as_ref()))
            })
        });
        let value = to_js(&names);
        EDITOR.with(|e| {
            if let Some(e) = e.borrow().as_ref() {
                e.set_completions(value);
            }
        });
    });
    view! { <div class="editor" node_ref=host data-testid="editor"></div> }
}

/// A value as the editor's JavaScript takes it (null if it cannot be written).
fn to_js(value: &impl Serialize) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|s| js_sys::JSON::parse(&s).ok())
        .unwrap_or(JsValue::NULL)
}

/// What the editor shows for a file it cannot: the bytes travel with the project as they are.
fn binary_placeholder(len: usize) -> String {
    format!(
        "-- A binary file ({len} bytes): kept, built, shared and downloaded as it is,\n\
         -- but not editable here. Replace it by adding the data again (Add data).\n"
    )
}
