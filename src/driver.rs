//! The browser run driver: executes an engine's requests with `fetch`, through one concurrency
//! limiter per endpoint, the retry policy and the response cache, and feeds the replies back.
//!
//! Everything it decides comes from pure code (`gepa_providers::{call, retry, limiter, wire}`);
//! it only schedules. Requests are sent as soon as the engine hands them out and each reply is
//! fed back the moment it arrives, so the page never blocks: engine work per reply is well
//! under a millisecond. Stop aborts every call in flight through one `AbortController`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use futures_channel::oneshot;
use gepa_core::{Command, Engine, Event, FailureKind, Reply, Request, Rng};
use gepa_providers::call::{Endpoints, settle, to_reply};
use gepa_providers::limiter::{Limiter, LimiterState, Outcome, Permit};
use gepa_providers::price::PriceTable;
use gepa_providers::retry::RetryPolicy;
use gepa_providers::wire::build_request;
use gepa_providers::{ErrorKind, ProviderError};
use leptos::task::spawn_local;
use web_sys::AbortController;

use crate::storage::response_cache::BrowserCache;
use crate::transport::{FetchFailure, fetch_once, now_ms};

/// Per-request timeout.
const TIMEOUT_MS: u32 = 120_000;

/// What every run of a session shares: endpoints, their limiters, the cache and the abort
/// switch. The optimisation run and the held-out evaluations use the same one, so they are
/// limited together.
#[derive(Debug)]
pub struct Shared {
    /// Endpoints by role (replaceable, so a broken one can be fixed before resuming).
    endpoints: RefCell<Endpoints>,
    limiters: RefCell<BTreeMap<String, Limiter>>,
    concurrency: usize,
    cache: BrowserCache,
    retry: RetryPolicy,
    prices: PriceTable,
    rng: RefCell<Rng>,
    abort: RefCell<Option<AbortController>>,
    /// Calls queued for a slot, woken when one frees (no polling, so background tabs, whose
    /// timers browsers throttle, keep their pace).
    waiters: RefCell<Vec<oneshot::Sender<()>>>,
}

impl Shared {
    /// Shared state for runs against `endpoints`.
    #[must_use]
    pub fn new(
        endpoints: Endpoints,
        concurrency: usize,
        prices: PriceTable,
        cache: BrowserCache,
        seed: u64,
    ) -> Rc<Shared> {
        Rc::new(Shared {
            endpoints: RefCell::new(endpoints),
            limiters: RefCell::new(BTreeMap::new()),
            concurrency,
            cache,
            retry: RetryPolicy::default(),
            prices,
            rng: RefCell::new(Rng::from_seed(seed ^ 0x5eed_cafe)),
            abort: RefCell::new(AbortController::new().ok()),
            waiters: RefCell::new(Vec::new()),
        })
    }

    /// Points later calls at fixed endpoints (for example a corrected URL or key after the run
    /// paused on a connection failure).
    pub fn set_endpoints(&self, endpoints: Endpoints) {
        *self.endpoints.borrow_mut() = endpoints;
    }

    /// Limiter state per endpoint (base URL), for the live header.
    #[must_use]
    pub fn endpoint_states(&self) -> Vec<(String, LimiterState)> {
        let now = now_ms() as u64;
        self.limiters.borrow().iter().map(|(k, l)| (k.clone(), l.state(now))).collect()
    }

    /// Aborts every call in flight and refuses new ones.
    pub fn abort_all(&self) {
        if let Some(controller) = self.abort.borrow_mut().take() {
            controller.abort();
        }
        self.wake_waiters();
    }

    fn wake_waiters(&self) {
        for waiter in self.waiters.borrow_mut().drain(..) {
            let _ = waiter.send(());
        }
    }

    fn release(&self, endpoint: &str, outcome: Outcome) {
        self.with_limiter(endpoint, |l| l.finish(outcome, now_ms() as u64));
        self.wake_waiters();
    }

    /// Arms a fresh abort switch after a stop, so later calls (the held-out evaluation) run.
    pub fn rearm(&self) {
        let mut abort = self.abort.borrow_mut();
        if abort.is_none() {
            *abort = AbortController::new().ok();
        }
    }

    fn controller(&self) -> Option<AbortController> {
        self.abort.borrow().clone()
    }

    fn with_limiter<T>(&self, endpoint: &str, f: impl FnOnce(&mut Limiter) -> T) -> T {
        let mut limiters = self.limiters.borrow_mut();
        let limiter =
            limiters.entry(endpoint.to_owned()).or_insert_with(|| Limiter::new(self.concurrency));
        f(limiter)
    }

    /// Waits for a slot on `endpoint`; false when the run was aborted meanwhile.
    async fn acquire(&self, endpoint: &str) -> bool {
        let mut queued = false;
        loop {
            if self.controller().is_none() {
                if queued {
                    self.with_limiter(endpoint, Limiter::leave_queue);
                }
                return false;
            }
            let now = now_ms() as u64;
            let permit = self.with_limiter(endpoint, |l| l.acquire(now, queued));
            queued = true;
            match permit {
                Permit::Go => return true,
                Permit::WaitUntil(until) => {
                    let wait = u32::try_from(until.saturating_sub(now)).unwrap_or(u32::MAX);
                    gloo_timers::future::TimeoutFuture::new(wait.max(1)).await;
                }
                Permit::WaitForSlot => {
                    let (tx, rx) = oneshot::channel();
                    self.waiters.borrow_mut().push(tx);
                    let _ = rx.await;
                }
            }
        }
    }

    /// One model call with cache, limiter and retries, as an engine reply.
    pub async fn call(&self, request: &Request) -> Reply {
        let config = self.endpoints.borrow().for_role(request.role).clone();
        let key = BrowserCache::key(&config, &request.messages);
        if let Some(hit) = self.cache.get(&key).await {
            return to_reply(Ok(hit));
        }
        let mut call_rng = Rng::from_seed(self.rng.borrow_mut().next_u64());
        let mut attempts = 0;
        loop {
            attempts += 1;
            // Re-read the endpoint each attempt: a fix made while the run was paused applies to
            // calls still retrying, not only to new ones.
            let config = self.endpoints.borrow().for_role(request.role).clone();
            let http = build_request(&config, &request.messages);
            let endpoint = config.base().to_owned();
            let cancelled =
                || Reply::Failed { failure: FailureKind::Transport, error: "cancelled".into() };
            if !self.acquire(&endpoint).await {
                return cancelled();
            }
            let Some(controller) = self.controller() else {
                self.release(&endpoint, Outcome::Done);
                return cancelled();
            };
            let sent = match fetch_once(&http, TIMEOUT_MS, &controller).await {
                Ok(response) => Ok(response),
                Err(FetchFailure::TimedOut) => Err(ProviderError::new(
                    ErrorKind::Timeout,
                    format!("no reply within {} s", TIMEOUT_MS / 1000),
                )),
                Err(FetchFailure::NoResponse(message)) => Err(ProviderError::new(
                    ErrorKind::Network,
                    format!(
                        "could not reach {endpoint} ({message}); run Test connection for the cause"
                    ),
                )),
                Err(FetchFailure::Aborted) => {
                    Err(ProviderError::new(ErrorKind::Cancelled, "cancelled"))
                }
            };
            let (result, outcome) = settle(config.kind, sent);
            self.release(&endpoint, outcome);
            match result {
                Ok(mut completion) => {
                    self.cache
                        .put(BrowserCache::key(&config, &request.messages), &completion)
                        .await;
                    completion.usage = self.prices.priced(&config.model, completion.usage);
                    return to_reply(Ok(completion));
                }
                Err(error) if error.kind == ErrorKind::Cancelled => return cancelled(),
                Err(error) => match self.retry.next_delay(attempts, &error, &mut call_rng) {
                    Some(delay) => {
                        let delay = u32::try_from(delay).unwrap_or(u32::MAX);
                        gloo_timers::future::TimeoutFuture::new(delay).await;
                    }
                    None => return to_reply(Err(error)),
                },
            }
        }
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
    pumping: Rc<Cell<bool>>,
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
        Driver {
            engine: Rc::new(RefCell::new(engine)),
            shared,
            on_change,
            pumping: Rc::new(Cell::new(false)),
        }
    }

    /// Reads the engine.
    pub fn with_engine<T>(&self, f: impl FnOnce(&Engine) -> T) -> T {
        f(&self.engine.borrow())
    }

    /// The shared endpoint state.
    #[must_use]
    pub fn shared(&self) -> &Rc<Shared> {
        &self.shared
    }

    /// Applies a command and moves the run on. Stop also aborts every call in flight.
    pub fn command(&self, command: Command) {
        let stop = command == Command::Stop;
        self.engine.borrow_mut().command(command, now_ms() as u64);
        if stop {
            self.shared.abort_all();
        }
        self.pump();
    }

    /// Hands out whatever the engine wants sent, reports changes, and sends.
    pub fn pump(&self) {
        if self.pumping.replace(true) {
            return;
        }
        let (requests, events) = {
            let mut engine = self.engine.borrow_mut();
            let requests = engine.take_requests(now_ms() as u64);
            (requests, engine.drain_events())
        };
        self.pumping.set(false);
        (self.on_change)(&self.engine.borrow(), events);
        for request in requests {
            let driver = self.clone();
            spawn_local(async move {
                let reply = driver.shared.call(&request).await;
                driver.engine.borrow_mut().handle_reply(request.id, reply, now_ms() as u64);
                driver.pump();
            });
        }
    }
}
