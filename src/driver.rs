//! The browser run driver: the page's shell around `gepa_providers::CallMachine`.
//!
//! Engines hand out requests; the driver submits them to the one call machine the session
//! shares and then only does what the machine says: look up the IndexedDB response cache, send
//! bytes with `fetch`, store a reply, hand a reply back to its engine, and wake up when the
//! machine's next retry is due. Every decision (queues and concurrency per endpoint, retries,
//! patience, what is cached, what a reply costs) is the machine's, exactly as in the CLI. Each
//! reply is fed back the moment it arrives, so the page never blocks.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use gepa_core::{Command, Engine, Event, FailureKind, Reply, Status};
use gepa_providers::call::Endpoints;
use gepa_providers::price::PriceTable;
use gepa_providers::{
    Action, CallId, CallMachine, CallSettings, EndpointStatus, ErrorKind, ProviderError,
};
use leptos::task::spawn_local;
use web_sys::AbortController;

use crate::storage::response_cache::BrowserCache;
use crate::transport::{now_ms, send_attempt};

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

/// Called after every change with the engine and the new events.
pub type OnChange = Rc<dyn Fn(&Engine, Vec<Event>)>;

/// Drives one engine. Clones drive the same engine.
#[derive(Clone)]
pub struct Driver {
    engine: Rc<RefCell<Engine>>,
    shared: Rc<Shared>,
    on_change: OnChange,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver").finish_non_exhaustive()
    }
}

impl Driver {
    /// A driver for `engine`; nothing is sent until [`Driver::pump`].
    #[must_use]
    pub fn new(engine: Engine, shared: Rc<Shared>, on_change: OnChange) -> Driver {
        Driver { engine: Rc::new(RefCell::new(engine)), shared, on_change }
    }

    /// Reads the engine.
    pub fn with_engine<T>(&self, f: impl FnOnce(&Engine) -> T) -> T {
        f(&self.engine.borrow())
    }

    /// The shared call state.
    #[must_use]
    pub fn shared(&self) -> &Rc<Shared> {
        &self.shared
    }

    fn same(&self, other: &Driver) -> bool {
        Rc::ptr_eq(&self.engine, &other.engine)
    }

    /// Applies a command and moves the run on. Resume and Step give every endpoint a fresh
    /// patience window; Stop aborts this run's calls in flight.
    pub fn command(&self, command: Command) {
        let stop = command == Command::Stop;
        let resume = matches!(command, Command::Resume | Command::Step);
        self.engine.borrow_mut().command(command, now());
        if resume {
            self.shared.machine.borrow_mut().forgive();
        }
        if stop {
            self.shared.cancel_owned_by(self);
        }
        self.pump();
    }

    /// Hands whatever the engine wants sent to the machine, reports changes, and lets the
    /// machine act.
    pub fn pump(&self) {
        self.react();
        self.shared.turn();
    }

    fn deliver(&self, id: u64, reply: Reply) {
        self.engine.borrow_mut().handle_reply(id, reply, now());
    }

    /// Takes the engine's new requests, holds a paused run's waiting calls back, and reports
    /// the new events.
    fn react(&self) {
        let (requests, paused) = {
            let mut engine = self.engine.borrow_mut();
            let requests = engine.take_requests(now());
            (requests, !matches!(engine.status(), Status::Running))
        };
        for request in requests {
            let call = self.shared.machine.borrow_mut().submit(request.role, request.messages);
            self.shared.owners.borrow_mut().insert(call, (self.clone(), request.id));
        }
        if paused {
            self.shared.withdraw_waiting(self);
        }
        let events = self.engine.borrow_mut().drain_events();
        (self.on_change)(&self.engine.borrow(), events);
    }
}
