//! The browser run driver: the page's shell around `gepa_providers::CallMachine`.
//!
//! Engines run in the worker (`worker/`) and hand out requests in their updates; the driver
//! submits them to the one call machine the session
//! shares and then only does what the machine says: look up the IndexedDB response cache, send
//! bytes with `fetch`, store a reply, hand a reply back to its engine, and wake up when the
//! machine's next retry is due. Every decision (queues and concurrency per endpoint, retries,
//! patience, what is cached, what a reply costs) is the machine's, exactly as in the CLI. The
//! replies of one turn of the machine go back to the worker in one message.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use gepa_core::{Candidate, Command, Event, Example, FailureKind, Reply, RunSetup};
use gepa_providers::call::Endpoints;
use gepa_providers::price::PriceTable;
use gepa_providers::{
    Action, CallId, CallMachine, CallSettings, EndpointStatus, ErrorKind, ProviderError,
};
use leptos::task::spawn_local;
use web_sys::AbortController;

use crate::state::engine_mirror::EngineMirror;
use crate::storage::response_cache::BrowserCache;
use crate::transport::{now_ms, send_attempt};
use crate::worker::link::EngineLink;
use crate::worker::protocol::{EngineId, FromHost, ToHost, Update};

/// What every run of a session shares: the call machine (endpoints, queues, retries), the
/// response cache and the fetches in flight. The optimisation run and its held-out evaluations
/// use the same one, so they are limited together.
pub struct Shared {
    machine: RefCell<CallMachine>,
    cache: BrowserCache,
    /// Fetches in flight, each with its own abort switch: a timeout aborts only its own call;
    /// Stop aborts a run's calls.
    fetches: RefCell<BTreeMap<CallId, AbortController>>,
    /// Which engine (and which of its requests) each call answers.
    owners: RefCell<BTreeMap<CallId, (Driver, u64)>>,
    turning: Cell<bool>,
    again: Cell<bool>,
    /// The timer for the machine's next retry (replacing it cancels the old one).
    wake: RefCell<Option<gloo_timers::callback::Timeout>>,
    /// Endpoints (request URLs) that have sent this page a response: CORS works for them, so a
    /// later call that gets no response was dropped, not refused.
    answered: Rc<RefCell<std::collections::BTreeSet<String>>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

fn now() -> u64 {
    now_ms() as u64
}

impl Shared {
    /// Shared state for runs against `endpoints`.
    #[must_use]
    pub fn new(
        endpoints: Endpoints,
        settings: CallSettings,
        prices: PriceTable,
        cache: BrowserCache,
        seed: u64,
    ) -> Rc<Shared> {
        Rc::new(Shared {
            machine: RefCell::new(CallMachine::new(endpoints, settings, prices, seed)),
            cache,
            fetches: RefCell::new(BTreeMap::new()),
            owners: RefCell::new(BTreeMap::new()),
            turning: Cell::new(false),
            again: Cell::new(false),
            wake: RefCell::new(None),
            answered: Rc::default(),
        })
    }

    /// Points later attempts at fixed endpoints (a corrected URL, model, key or timeout after
    /// the run paused), including calls still waiting to retry.
    pub fn set_endpoints(&self, endpoints: Endpoints) {
        self.machine.borrow_mut().set_endpoints(endpoints);
    }

    /// Each endpoint's state, for the live header.
    #[must_use]
    pub fn endpoint_states(&self) -> Vec<EndpointStatus> {
        self.machine.borrow().status(now())
    }

    /// Aborts every call of every run and forgets them (a new run replaces this one).
    pub fn abort_all(&self) {
        self.machine.borrow_mut().cancel_all();
        for (_, controller) in std::mem::take(&mut *self.fetches.borrow_mut()) {
            controller.abort();
        }
        self.owners.borrow_mut().clear();
        *self.wake.borrow_mut() = None;
    }

    /// Aborts and forgets the calls of one run (Stop).
    fn cancel_owned_by(&self, driver: &Driver) {
        let mine: Vec<CallId> = self
            .owners
            .borrow()
            .iter()
            .filter(|(_, (owner, _))| owner.same(driver))
            .map(|(call, _)| *call)
            .collect();
        for call in mine {
            self.owners.borrow_mut().remove(&call);
            self.machine.borrow_mut().cancel(call);
            if let Some(controller) = self.fetches.borrow_mut().remove(&call) {
                controller.abort();
            }
        }
    }

    /// A paused run sends nothing new: its calls not yet in flight are taken back, and its
    /// engine hears they were not sent, so it sends them again on resume.
    fn withdraw_waiting(&self, driver: &Driver) {
        let mine: Vec<(CallId, u64)> = self
            .owners
            .borrow()
            .iter()
            .filter(|(_, (owner, _))| owner.same(driver))
            .map(|(call, (_, id))| (*call, *id))
            .collect();
        for (call, id) in mine {
            if self.machine.borrow_mut().withdraw(call) {
                self.owners.borrow_mut().remove(&call);
                let error = "not sent: the run paused".to_owned();
                driver.deliver(id, Reply::Failed { failure: FailureKind::Transport, error });
            }
        }
    }

    /// Does what the machine says until it has nothing to do right now, letting engines react
    /// to their replies before new calls start, then sets the timer for the next retry.
    fn turn(self: &Rc<Self>) {
        if self.turning.replace(true) {
            self.again.set(true);
            return;
        }
        loop {
            self.again.set(false);
            let mut actions = self.machine.borrow_mut().take_actions();
            if actions.is_empty() {
                actions = self.machine.borrow_mut().poll(now());
            }
            if actions.is_empty() {
                if self.again.get() {
                    continue;
                }
                break;
            }
            let mut touched: Vec<Driver> = Vec::new();
            for action in actions {
                if let Some(driver) = self.perform(action)
                    && !touched.iter().any(|d| d.same(&driver))
                {
                    touched.push(driver);
                }
            }
            for driver in touched {
                driver.react();
            }
        }
        self.turning.set(false);
        self.schedule_wake();
    }

    /// Carries out one action; returns the driver whose engine got a reply.
    fn perform(self: &Rc<Self>, action: Action) -> Option<Driver> {
        match action {
            Action::LookUp { call, key } => {
                let shared = self.clone();
                spawn_local(async move {
                    let hit = shared.cache.get(&key).await;
                    shared.machine.borrow_mut().cached(call, hit);
                    shared.turn();
                });
                None
            }
            Action::Store { key, completion } => {
                let cache = self.cache.clone();
                spawn_local(async move { cache.put(key, &completion).await });
                None
            }
            Action::Send { call, attempt, request, timeout_ms } => {
                let Ok(controller) = AbortController::new() else {
                    let error = ProviderError::new(
                        ErrorKind::Network,
                        "the browser refused to start a request",
                    );
                    self.machine.borrow_mut().sent(call, attempt, Err(error), now());
                    return None;
                };
                self.fetches.borrow_mut().insert(call, controller.clone());
                let shared = self.clone();
                spawn_local(async move {
                    let result =
                        send_attempt(&request, timeout_ms, &controller, &shared.answered).await;
                    shared.fetches.borrow_mut().remove(&call);
                    shared.machine.borrow_mut().sent(call, attempt, result, now());
                    shared.turn();
                });
                None
            }
            Action::Reply { call, reply } => {
                let (driver, id) = self.owners.borrow_mut().remove(&call)?;
                driver.deliver(id, reply);
                Some(driver)
            }
        }
    }

    fn schedule_wake(self: &Rc<Self>) {
        let now = now();
        let next = self.machine.borrow().next_wake(now);
        let timer = next.map(|at| {
            let shared = self.clone();
            let delay = u32::try_from(at.saturating_sub(now)).unwrap_or(u32::MAX).max(1);
            gloo_timers::callback::Timeout::new(delay, move || shared.turn())
        });
        *self.wake.borrow_mut() = timer;
    }
}

/// Called after every change with what the page knows of the engine and the new events.
pub type OnChange = Rc<dyn Fn(&EngineMirror, Vec<Event>)>;

/// Called when the worker refuses an engine (a setup, a saved state or an evaluation it cannot
/// make) or stops; the message says what to do.
pub type OnFail = Rc<dyn Fn(String)>;

/// Drives one engine in the worker. Clones drive the same engine.
#[derive(Clone)]
pub struct Driver {
    inner: Rc<DriverInner>,
}

struct DriverInner {
    id: Cell<EngineId>,
    link: EngineLink,
    mirror: RefCell<EngineMirror>,
    /// Replies not yet sent to the worker (sent together once the machine has done its turn).
    replies: RefCell<Vec<(u64, Reply)>>,
    shared: Rc<Shared>,
    on_change: OnChange,
    on_fail: OnFail,
    /// A held-out evaluation: forgotten in the worker once finished.
    transient: bool,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver").field("engine", &self.inner.id.get()).finish_non_exhaustive()
    }
}

/// What a driver's engine is made from.
#[derive(Debug)]
pub enum Source {
    /// A new run, its starting candidates, and the first command (resume, step or pause).
    Run { setup: Box<RunSetup>, extra: Vec<Candidate>, command: Command },
    /// A saved run's engine state, and the first command.
    Saved { state: String, command: Command },
    /// A held-out evaluation of one candidate.
    Evaluation { setup: Box<RunSetup>, candidate: Candidate, test: Vec<Example> },
}

impl Driver {
    /// Makes the engine in the worker and drives it; `mirror` is what is known before its first
    /// update (the budget, the events the run already had).
    #[must_use]
    pub fn launch(
        source: Source,
        mirror: EngineMirror,
        shared: Rc<Shared>,
        on_change: OnChange,
        on_fail: OnFail,
    ) -> Driver {
        let link = EngineLink::get();
        let transient = matches!(source, Source::Evaluation { .. });
        let driver = Driver {
            inner: Rc::new(DriverInner {
                id: Cell::new(0),
                link: link.clone(),
                mirror: RefCell::new(mirror),
                replies: RefCell::new(Vec::new()),
                shared,
                on_change,
                on_fail,
                transient,
            }),
        };
        // The link holds the driver until it is forgotten (a replaced run, a finished or
        // failed evaluation).
        let held = driver.clone();
        let id = link.register(Rc::new(move |message| held.receive(message)));
        driver.inner.id.set(id);
        let now = now();
        link.send(match source {
            Source::Run { setup, extra, command } => {
                ToHost::Start { engine: id, setup, extra, command, now }
            }
            Source::Saved { state, command } => ToHost::Restore { engine: id, state, command, now },
            Source::Evaluation { setup, candidate, test } => {
                ToHost::Evaluate { engine: id, setup, candidate, test, now }
            }
        });
        driver
    }

    /// Reads what the page knows of the engine.
    pub fn with_mirror<T>(&self, f: impl FnOnce(&EngineMirror) -> T) -> T {
        f(&self.inner.mirror.borrow())
    }

    /// The shared call state.
    #[must_use]
    pub fn shared(&self) -> &Rc<Shared> {
        &self.inner.shared
    }

    fn same(&self, other: &Driver) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// Sends a command. Resume and Step give every endpoint a fresh patience window; Stop
    /// aborts this run's calls in flight.
    pub fn command(&self, command: Command) {
        let stop = command == Command::Stop;
        let resume = matches!(command, Command::Resume | Command::Step);
        if resume {
            self.inner.shared.machine.borrow_mut().forgive();
        }
        if stop {
            self.inner.shared.cancel_owned_by(self);
        }
        self.react();
        let engine = self.inner.id.get();
        self.inner.link.send(ToHost::Command { engine, command, now: now() });
    }

    /// Forgets the engine in the worker (a new run replaces this one).
    pub fn forget(&self) {
        self.inner.link.forget(self.inner.id.get());
    }

    fn deliver(&self, id: u64, reply: Reply) {
        self.inner.replies.borrow_mut().push((id, reply));
    }

    /// Sends the replies gathered during the machine's turn, in one message.
    fn react(&self) {
        let replies = std::mem::take(&mut *self.inner.replies.borrow_mut());
        if !replies.is_empty() {
            let engine = self.inner.id.get();
            self.inner.link.send(ToHost::Replies { engine, replies, now: now() });
        }
    }

    fn receive(&self, message: FromHost) {
        match message {
            FromHost::Update(update) => self.update(*update),
            FromHost::Failed { error, .. } => {
                if self.inner.transient {
                    self.forget();
                }
                (self.inner.on_fail)(error);
            }
            FromHost::Ready | FromHost::Tried { .. } => {}
        }
    }

    /// Hands the engine's new requests to the machine, holds a paused run's waiting calls back,
    /// reports the new events, and lets the machine act.
    fn update(&self, mut update: Update) {
        let requests = std::mem::take(&mut update.requests);
        self.inner.mirror.borrow_mut().apply(&mut update);
        let shared = &self.inner.shared;
        for request in requests {
            let call = shared.machine.borrow_mut().submit_ranked(
                request.role,
                request.messages,
                request.rank,
            );
            shared.owners.borrow_mut().insert(call, (self.clone(), request.id));
        }
        let (running, finished) = self.with_mirror(|m| (m.is_running(), m.is_finished()));
        if !running {
            shared.withdraw_waiting(self);
        }
        (self.inner.on_change)(&self.inner.mirror.borrow(), update.events);
        if finished && self.inner.transient {
            self.forget();
        }
        self.react();
        shared.turn();
    }
}
