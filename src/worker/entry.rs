//! The worker's end: runs in the `engine_worker` binary, turns each message into a call of
//! [`Host::handle`] and posts the answers back. Nothing is decided here.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::host::Host;
use super::protocol::{FromHost, ToHost};

/// Listens for the page's messages (the worker's whole life).
pub fn serve() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let host = Rc::new(RefCell::new(Host::new()));
    let reply_to = scope.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let text = event.data().as_string().unwrap_or_default();
            let answers = match serde_json::from_str::<ToHost>(&text) {
                Ok(message) => host.borrow_mut().handle(message),
                // A page of another version (an old tab after an update) gets told, not ignored.
                Err(e) => vec![FromHost::Failed {
                    engine: 0,
                    error: format!("the optimiser could not read a message ({e}): reload the page"),
                }],
            };
            for answer in &answers {
                post(&reply_to, answer);
            }
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&scope, &FromHost::Ready);
}

fn post(scope: &web_sys::DedicatedWorkerGlobalScope, message: &FromHost) {
    if let Ok(text) = serde_json::to_string(message) {
        let _ = scope.post_message(&JsValue::from_str(&text));
    }
}
