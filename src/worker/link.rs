//! The page's end of the engine worker. The worker (`src/bin/engine_worker.rs`) is started after
//! the first paint; messages sent before it says it is ready wait in a queue, so a user who
//! presses Start at once only waits for the worker to load. Messages cross as JSON text made by
//! serde_json: measured faster than serde-wasm-bindgen values for these messages, and the page
//! already carries serde_json's readers for the same types (BENCHMARKS.md).
//! The page binary hands the link its [`Reader`] of the worker's messages: the readers of the
//! optimiser's events are a large part of the page's code, so the page loads them as a wasm chunk
//! of their own when the first message arrives (after the first paint); messages are read in the
//! order they arrive whatever the chunk's loading takes.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::protocol::{EngineId, FromHost, ToHost};

/// The worker's loader script (`static/engine-worker.js`, relative to the page like every
/// asset).
const WORKER_SCRIPT: &str = "./engine-worker.js";

/// What an engine's messages are handed to.
pub type Handler = Rc<dyn Fn(FromHost)>;

/// Reads one message of the worker (its JSON text), or says why it cannot.
pub type Reader = Rc<dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<FromHost, String>>>>>;

type Ticket = Box<dyn FnOnce(Result<String, String>)>;

/// A worker event listener, kept alive as long as the link.
type Listener = Closure<dyn FnMut(web_sys::Event)>;

/// The session's engine worker. Clones share it.
#[derive(Clone)]
pub struct EngineLink {
    inner: Rc<Inner>,
}

impl std::fmt::Debug for EngineLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineLink").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Inner {
    worker: RefCell<Option<web_sys::Worker>>,
    ready: Cell<bool>,
    /// Messages sent before the worker was ready.
    queue: RefCell<Vec<ToHost>>,
    engines: RefCell<BTreeMap<EngineId, Handler>>,
    tickets: RefCell<BTreeMap<u32, Ticket>>,
    next: Cell<u32>,
    /// Why the worker could not start or stopped (every engine hears it).
    broken: RefCell<Option<String>>,
    listeners: RefCell<Vec<Listener>>,
    reader: RefCell<Option<Reader>>,
    /// Messages received and not read yet, oldest first, and whether a task is reading them.
    inbox: RefCell<VecDeque<String>>,
    reading: Cell<bool>,
}

thread_local! {
    static LINK: EngineLink = EngineLink { inner: Rc::default() };
}

impl EngineLink {
    /// The page's link (one worker per page).
    #[must_use]
    pub fn get() -> EngineLink {
        LINK.with(EngineLink::clone)
    }

    /// Sets how the worker's messages are read (the page does this before anything else).
    pub fn set_reader(&self, reader: Reader) {
        *self.inner.reader.borrow_mut() = Some(reader);
    }

    /// Starts the worker unless it runs (called once the first screen is drawn, and by the
    /// first message at the latest).
    pub fn start(&self) {
        if self.inner.worker.borrow().is_some() || self.inner.broken.borrow().is_some() {
            return;
        }
        let worker = match web_sys::Worker::new(WORKER_SCRIPT) {
            Ok(worker) => worker,
            Err(e) => {
                self.break_down(format!(
                    "the optimiser could not start in this browser ({}): reload the page",
                    describe(&e)
                ));
                return;
            }
        };
        let link = self.clone();
        let on_message = Listener::new(move |event: web_sys::Event| {
            let Some(event) = event.dyn_ref::<web_sys::MessageEvent>() else { return };
            link.inner.inbox.borrow_mut().push_back(event.data().as_string().unwrap_or_default());
            if !link.inner.reading.replace(true) {
                wasm_bindgen_futures::spawn_local(link.clone().read_inbox());
            }
        });
        let link = self.clone();
        let on_error = Listener::new(move |event: web_sys::Event| {
            let detail = event
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(web_sys::ErrorEvent::message)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "its script did not load".into());
            link.break_down(format!(
                "the optimiser stopped ({detail}); your setup is kept: reload the page to start again"
            ));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        self.inner.listeners.borrow_mut().extend([on_message, on_error]);
        *self.inner.worker.borrow_mut() = Some(worker);
    }

    /// A fresh engine id whose messages go to `handler`.
    pub fn register(&self, handler: Handler) -> EngineId {
        let id = self.fresh();
        self.inner.engines.borrow_mut().insert(id, handler.clone());
        if let Some(error) = self.inner.broken.borrow().clone() {
            handler(FromHost::Failed { engine: id, error });
        }
        id
    }

    /// Forgets an engine, here and in the worker.
    pub fn forget(&self, engine: EngineId) {
        self.inner.engines.borrow_mut().remove(&engine);
        self.send(ToHost::Drop { engine });
    }

    /// Scores a row with a metric (and compiles its scripts) in the worker; `done` hears the
    /// answer.
    pub fn try_metric(
        &self,
        metric: gepa_share::metric_form::MetricForm,
        example: gepa_core::Example,
        output: String,
        done: impl FnOnce(Result<String, String>) + 'static,
    ) {
        let ticket = self.fresh();
        self.inner.tickets.borrow_mut().insert(ticket, Box::new(done));
        self.send(ToHost::TryMetric {
            ticket,
            metric: Box::new(metric),
            example: Box::new(example),
            output,
        });
    }

    /// Sends a message (queued until the worker is ready).
    pub fn send(&self, message: ToHost) {
        self.start();
        if !self.inner.ready.get() {
            self.inner.queue.borrow_mut().push(message);
            return;
        }
        self.post(&message);
    }

    fn post(&self, message: &ToHost) {
        let value = match serde_json::to_string(message) {
            Ok(text) => JsValue::from_str(&text),
            Err(e) => {
                self.break_down(format!(
                    "the page could not send a message to the optimiser ({e})"
                ));
                return;
            }
        };
        let worker = self.inner.worker.borrow().clone();
        if let Some(worker) = worker
            && let Err(e) = worker.post_message(&value)
        {
            self.break_down(format!(
                "the page could not send a message to the optimiser ({})",
                describe(&e)
            ));
        }
    }

    /// Reads and hands on the messages in the inbox, one at a time in arrival order, until it is
    /// empty.
    async fn read_inbox(self) {
        loop {
            let next = self.inner.inbox.borrow_mut().pop_front();
            let Some(text) = next else { break };
            let reader = self.inner.reader.borrow().clone();
            let read = match reader {
                Some(reader) => reader(text).await,
                None => Err("this page has no reader for it".into()),
            };
            match read {
                Ok(message) => self.receive(message),
                Err(e) => self.break_down(format!(
                    "the optimiser sent a message the page cannot read ({e}): reload the page"
                )),
            }
        }
        self.inner.reading.set(false);
    }

    fn receive(&self, message: FromHost) {
        let engine = match &message {
            FromHost::Ready => {
                self.inner.ready.set(true);
                let queued = std::mem::take(&mut *self.inner.queue.borrow_mut());
                for message in &queued {
                    self.post(message);
                }
                return;
            }
            FromHost::Tried { ticket, result } => {
                let done = self.inner.tickets.borrow_mut().remove(ticket);
                if let Some(done) = done {
                    done(result.clone());
                }
                return;
            }
            FromHost::Update(update) => update.engine,
            FromHost::Failed { engine, .. } => *engine,
        };
        let handler = self.inner.engines.borrow().get(&engine).cloned();
        if let Some(handler) = handler {
            handler(message);
        }
    }

    /// The worker cannot be used: every engine and every pending question hears why, once.
    fn break_down(&self, error: String) {
        if self.inner.broken.borrow().is_some() {
            return;
        }
        *self.inner.broken.borrow_mut() = Some(error.clone());
        let handlers: Vec<(EngineId, Handler)> =
            self.inner.engines.borrow().iter().map(|(id, h)| (*id, h.clone())).collect();
        for (engine, handler) in handlers {
            handler(FromHost::Failed { engine, error: error.clone() });
        }
        let tickets = std::mem::take(&mut *self.inner.tickets.borrow_mut());
        for (_, done) in tickets {
            done(Err(error.clone()));
        }
    }

    fn fresh(&self) -> u32 {
        let id = self.inner.next.get().wrapping_add(1);
        self.inner.next.set(id);
        id
    }
}

/// Numbers questions so that only the answer to the latest one is used (an answer to an older
/// question can arrive after a newer question was asked). Copy it freely.
#[derive(Debug, Clone, Copy)]
pub struct Latest(leptos::prelude::StoredValue<u32>);

impl Latest {
    /// No question asked yet.
    #[must_use]
    pub fn new() -> Latest {
        Latest(leptos::prelude::StoredValue::new(0))
    }

    /// A new question (every older one is out of date from now on).
    #[must_use]
    pub fn ask(self) -> u32 {
        use leptos::prelude::{GetValue, UpdateValue};
        self.0.update_value(|n| *n = n.wrapping_add(1));
        self.0.get_value()
    }

    /// True while `question` is the latest one.
    #[must_use]
    pub fn is_latest(self, question: u32) -> bool {
        use leptos::prelude::GetValue;
        self.0.try_get_value() == Some(question)
    }
}

impl Default for Latest {
    fn default() -> Self {
        Latest::new()
    }
}

fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".into())
}
