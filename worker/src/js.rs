//! The Web Worker's side of the message channel: numbered requests arrive as JSON text and
//! are served one at a time, in order; every answer is posted back as it is produced, with
//! the number of the request it answers.
//!
//! Each request runs to completion inside a single-threaded tokio runtime, as in the CLI:
//! DataFusion spawns tasks on it (to merge partitions, say), and nothing the engine awaits
//! depends on the browser, so blocking the worker's own thread is safe and keeps the page's
//! thread free.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::Worker;
use modelplay_protocol::{Answer, Ask, Request, Response, UNASKED};

fn post(scope: &DedicatedWorkerGlobalScope, id: u64, response: Response) {
    let _ = scope.post_message(&JsValue::from_str(&Answer { id, response }.to_json()));
}

/// Starts serving requests; called by the worker binary's `main`.
pub fn start() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(r) => r,
        Err(e) => {
            post(
                &scope,
                UNASKED,
                Response::Failed {
                    what: "start the engine".into(),
                    message: e.to_string(),
                },
            );
            return;
        }
    };
    let worker = Rc::new(RefCell::new(Worker::default()));
    let reply = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        // A request comes as JSON text, or as [JSON text, File] when it brings a file.
        let data = event.data();
        let (text, file) = if js_sys::Array::is_array(&data) {
            let parts = js_sys::Array::from(&data);
            (
                parts.get(0).as_string().unwrap_or_default(),
                parts.get(1).dyn_into::<web_sys::File>().ok(),
            )
        } else {
            (data.as_string().unwrap_or_default(), None)
        };
        let Ask { id, request } = match serde_json::from_str::<Ask>(&text) {
            Ok(r) => r,
            Err(e) => {
                post(
                    &reply,
                    UNASKED,
                    Response::Failed {
                        what: "read the page's request".into(),
                        message: e.to_string(),
                    },
                );
                return;
            }
        };
        let Ok(mut worker) = worker.try_borrow_mut() else {
            return;
        };
        let clock = || js_sys::Date::now() / 1000.0;
        let now = chrono::Utc::now().naive_utc();
        match (request, file) {
            (Request::AddData(spec), Some(file)) => {
                let file = super::picked_file::PickedFile::open(file);
                worker.add_data(&spec, file, &mut |r| post(&reply, id, r));
            }
            (request, _) => {
                runtime.block_on(worker.handle(request, now, &clock, &mut |r| post(&reply, id, r)))
            }
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&scope, UNASKED, Response::Ready);
}
