//! The Web Worker's side of the message channel: numbered requests arrive as JSON text (with
//! their binary bodies as `ArrayBuffer`s beside it, see `modelplay_protocol::wire`) and are
//! served one at a time, in order; every answer is posted back as it is produced, with the
//! number of the request it answers.
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
use modelplay_protocol::{Answer, Ask, Request, Response, UNASKED, wire};

/// Posts an answer: its text alone, or `[text, ...buffers]` with the buffers moved, not copied.
fn post(scope: &DedicatedWorkerGlobalScope, id: u64, response: Response) {
    let (text, parts) = wire::encode(&Answer { id, response });
    if parts.is_empty() {
        let _ = scope.post_message(&JsValue::from_str(&text));
        return;
    }
    let message = js_sys::Array::of1(&JsValue::from_str(&text));
    let transfer = js_sys::Array::new();
    for part in &parts {
        let buffer = js_sys::Uint8Array::from(part.as_slice()).buffer();
        message.push(&buffer);
        transfer.push(&buffer);
    }
    let _ = scope.post_message_with_transfer(&message, &transfer);
}

/// A message's text, the file it brings (`AddData`), and its binary bodies, in order.
fn unpack(data: &JsValue) -> (String, Option<web_sys::File>, Vec<Vec<u8>>) {
    if !js_sys::Array::is_array(data) {
        return (data.as_string().unwrap_or_default(), None, Vec::new());
    }
    let items = js_sys::Array::from(data);
    let text = items.get(0).as_string().unwrap_or_default();
    let mut file = None;
    let mut parts = Vec::new();
    for item in items.iter().skip(1) {
        match item.dyn_into::<web_sys::File>() {
            Ok(f) => file = Some(f),
            Err(item) => parts.push(js_sys::Uint8Array::new(&item).to_vec()),
        }
    }
    (text, file, parts)
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
        let (text, file, parts) = unpack(&event.data());
        let Ask { id, request } = match wire::decode::<Ask>(&text, parts) {
            Ok(r) => r,
            Err(message) => {
                post(
                    &reply,
                    UNASKED,
                    Response::Failed {
                        what: "read the page's request".into(),
                        message,
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
