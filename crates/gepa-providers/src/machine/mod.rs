//! The call machine: everything that happens around a model call, as a sans-IO state machine
//! that both transports (the page's `fetch` and the CLI's reqwest) drive the same way.
//!
//! A shell submits the engine's requests and then only does what the machine's [`Action`]s say:
//! look a key up in its response cache, send these bytes (with this timeout), store this reply,
//! hand this reply to the engine. It feeds back what happened ([`CallMachine::cached`],
//! [`CallMachine::sent`]) and sleeps until [`CallMachine::next_wake`] or the next result. The
//! machine owns the decisions: one concurrency limiter per endpoint, queues by rank (the oldest
//! iteration's calls first), the retry schedule (capped exponential backoff with jitter,
//! Retry-After honoured, no attempt limit),
//! the patience window after which a failing endpoint pauses the run, the cache policy, and the
//! price of each reply. It never reads a clock (every call takes `now_ms`) and its jitter comes
//! from a seeded generator, so a scripted test replays it exactly.

mod lane;
mod status;

use std::collections::BTreeMap;

use gepa_core::{ChatMessage, FailureKind, ModelRole, Reply, Rng};

use crate::cache::{cache_key, storable};
use crate::call::{Endpoints, settle};
use crate::endpoint::ProviderKind;
use crate::error::{ErrorKind, ProviderError};
use crate::http::{HttpRequest, HttpResponse};
use crate::preset::Preset;
use crate::price::PriceTable;
use crate::retry::RetryPolicy;
use crate::wire::{Completion, build_request};
use lane::Lane;
pub use status::{EndpointStatus, seconds};

/// A call's identity within one machine (several engines may share a machine, so shells map it
/// back to their own request ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId(pub u64);

/// How calls are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallSettings {
    /// Calls in flight at once, per endpoint.
    pub concurrency: usize,
    /// Backoff and patience.
    pub retry: RetryPolicy,
    /// Read and write the response cache.
    pub use_cache: bool,
}

impl Default for CallSettings {
    fn default() -> Self {
        CallSettings { concurrency: 4, retry: RetryPolicy::default(), use_cache: true }
    }
}

/// What the shell should do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Look `key` up in the response cache and answer with [`CallMachine::cached`].
    LookUp {
        /// The call.
        call: CallId,
        /// The cache key (free of the API key).
        key: String,
    },
    /// Send `request`, giving up after `timeout_ms`, and answer with [`CallMachine::sent`].
    Send {
        /// The call.
        call: CallId,
        /// Which attempt this is (1-based); echo it back.
        attempt: u32,
        /// The bytes to send.
        request: HttpRequest,
        /// The endpoint's per-attempt timeout.
        timeout_ms: u64,
    },
    /// Store a complete reply in the response cache.
    Store {
        /// The cache key.
        key: String,
        /// The reply.
        completion: Completion,
    },
    /// The call is over: hand `reply` to whoever submitted it.
    Reply {
        /// The call.
        call: CallId,
        /// The engine's reply (text, or a failure that scores the example or pauses the run).
        reply: Reply,
    },
}

/// Where a call is.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    LookingUp,
    Queued { lane: String },
    Backoff { lane: String, until: u64 },
    Sending { lane: String, attempt: u32, preset: Preset, kind: ProviderKind },
}

#[derive(Debug, Clone)]
struct Call {
    role: ModelRole,
    messages: Vec<ChatMessage>,
    /// Lower starts first when the endpoint has no free slot.
    rank: u64,
    cache_key: Option<String>,
    attempts: u32,
    stage: Stage,
}

/// The call machine. See the module docs.
#[derive(Debug, Clone)]
pub struct CallMachine {
    endpoints: Endpoints,
    settings: CallSettings,
    prices: PriceTable,
    rng: Rng,
    lanes: BTreeMap<String, Lane>,
    calls: BTreeMap<CallId, Call>,
    next_id: u64,
    actions: Vec<Action>,
    sending: usize,
    peak_sending: usize,
}

impl CallMachine {
    /// A machine calling `endpoints`; `seed` fixes the retry jitter.
    #[must_use]
    pub fn new(
        endpoints: Endpoints,
        settings: CallSettings,
        prices: PriceTable,
        seed: u64,
    ) -> CallMachine {
        CallMachine {
            endpoints,
            settings,
            prices,
            rng: Rng::from_seed(seed ^ 0x5eed_ca11),
            lanes: BTreeMap::new(),
            calls: BTreeMap::new(),
            next_id: 1,
            actions: Vec::new(),
            sending: 0,
            peak_sending: 0,
        }
    }

    /// The endpoints calls go to.
    #[must_use]
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Points later attempts at fixed endpoints (a corrected URL, model, key or timeout): calls
    /// waiting for a slot or a retry move to the new endpoint, and every endpoint gets a fresh
    /// patience window.
    pub fn set_endpoints(&mut self, endpoints: Endpoints) {
        self.endpoints = endpoints;
        let waiting: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| matches!(c.stage, Stage::Queued { .. }))
            .map(|(id, _)| *id)
            .collect();
        for lane in self.lanes.values_mut() {
            lane.queue.retain(|(_, id)| !waiting.contains(id));
        }
        for id in waiting {
            self.enqueue(id);
        }
        for call in self.calls.values_mut() {
            if let Stage::Backoff { lane, .. } = &mut call.stage {
                *lane = self.endpoints.for_role(call.role).base().to_owned();
            }
        }
        self.forgive();
    }

    /// Turns the response cache on or off for calls submitted from now on.
    pub fn set_use_cache(&mut self, on: bool) {
        self.settings.use_cache = on;
    }

    /// Starts every endpoint's patience window afresh and lets endpoints held after a failure
    /// start calls again (the user resumed a paused run: its calls deserve the whole window
    /// again).
    pub fn forgive(&mut self) {
        for lane in self.lanes.values_mut() {
            lane.failing_since = None;
            lane.held = false;
        }
    }

    /// A new call of the model serving `role`. Nothing is sent until [`CallMachine::poll`].
    pub fn submit(&mut self, role: ModelRole, messages: Vec<ChatMessage>) -> CallId {
        self.submit_ranked(role, messages, 0)
    }

    /// A new call that waits for a slot behind every queued call of the same or a lower `rank`
    /// (the engine's [`gepa_core::Request::rank`]: the oldest iteration's calls first), and
    /// ahead of those of a higher one.
    pub fn submit_ranked(
        &mut self,
        role: ModelRole,
        messages: Vec<ChatMessage>,
        rank: u64,
    ) -> CallId {
        let id = CallId(self.next_id);
        self.next_id += 1;
        let cache_key =
            self.settings.use_cache.then(|| cache_key(self.endpoints.for_role(role), &messages));
        let call = Call { role, messages, rank, cache_key, attempts: 0, stage: Stage::LookingUp };
        self.calls.insert(id, call);
        match self.calls[&id].cache_key.clone() {
            Some(key) => self.actions.push(Action::LookUp { call: id, key }),
            None => self.enqueue(id),
        }
        id
    }

    /// The cache's answer to a [`Action::LookUp`].
    pub fn cached(&mut self, call: CallId, hit: Option<Completion>) {
        if !self.calls.get(&call).is_some_and(|c| c.stage == Stage::LookingUp) {
            return;
        }
        match hit {
            Some(completion) => {
                self.calls.remove(&call);
                self.reply(call, text_reply(completion));
            }
            None => self.enqueue(call),
        }
    }

    /// Moves the machine on at `now_ms`: calls whose retry wait is over rejoin their endpoint's
    /// queue, and queued calls start where a slot is free. Returns what to do.
    pub fn poll(&mut self, now_ms: u64) -> Vec<Action> {
        let due: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| matches!(c.stage, Stage::Backoff { until, .. } if until <= now_ms))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            self.enqueue(id);
        }
        let lanes: Vec<String> = self.lanes.keys().cloned().collect();
        for name in lanes {
            while let Some(id) = self.lanes.get_mut(&name).and_then(|l| l.next_to_start(now_ms)) {
                self.start(id, &name);
            }
        }
        std::mem::take(&mut self.actions)
    }

    /// What is to do without starting anything new: lookups, stores and replies produced by
    /// [`CallMachine::submit`], [`CallMachine::cached`] and [`CallMachine::sent`]. A shell that
    /// hands replies to an engine takes these first, so the engine can pause before
    /// [`CallMachine::poll`] starts the next queued call.
    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    /// What came of a [`Action::Send`]: a response, or no response with its cause (a timeout,
    /// a dropped connection, a refusal by the browser…). Stale answers (a cancelled call, an
    /// old attempt) are ignored.
    pub fn sent(
        &mut self,
        call: CallId,
        attempt: u32,
        result: Result<HttpResponse, ProviderError>,
        now_ms: u64,
    ) {
        let Some(entry) = self.calls.get(&call) else { return };
        let Stage::Sending { lane, attempt: current, preset, kind } = entry.stage.clone() else {
            return;
        };
        if current != attempt {
            return;
        }
        self.sending -= 1;
        let (result, outcome) = settle(kind, result);
        let Some(lane_state) = self.lanes.get_mut(&lane) else { return };
        lane_state.limiter.finish(outcome, now_ms);
        match result {
            Ok(completion) => {
                lane_state.succeeded();
                let Some(entry) = self.calls.remove(&call) else { return };
                let model = &self.endpoints.for_role(entry.role).model;
                let completion =
                    Completion { usage: self.prices.priced(model, completion.usage), ..completion };
                if let Some(key) = entry.cache_key.filter(|_| storable(&completion)) {
                    self.actions.push(Action::Store { key, completion: completion.clone() });
                }
                self.reply(call, text_reply(completion));
            }
            Err(error) if error.is_retryable() => {
                let failing_for = lane_state.failed(now_ms, &error);
                let patience = self.settings.retry.patience_ms;
                let Some(entry) = self.calls.get_mut(&call) else { return };
                let delay = self.settings.retry.next_delay(entry.attempts, &error, &mut self.rng);
                match delay.filter(|_| failing_for < patience) {
                    Some(delay) => {
                        lane_state.retries += 1;
                        entry.stage = Stage::Backoff { lane, until: now_ms + delay };
                    }
                    None => {
                        let role = entry.role;
                        self.calls.remove(&call);
                        lane_state.held = true;
                        let message = gave_up(role, &lane, preset, &error, failing_for);
                        self.reply(
                            call,
                            Reply::Failed { failure: FailureKind::Transport, error: message },
                        );
                    }
                }
            }
            Err(error) => {
                let Some(entry) = self.calls.remove(&call) else { return };
                let reply = match error.failure_kind() {
                    FailureKind::Content => {
                        Reply::Failed { failure: FailureKind::Content, error: error.to_string() }
                    }
                    FailureKind::Transport => {
                        lane_state.held = true;
                        Reply::Failed {
                            failure: FailureKind::Transport,
                            error: refused(entry.role, &lane, preset, &error),
                        }
                    }
                };
                self.reply(call, reply);
            }
        }
    }

    /// Takes back a call that is not in flight (looking up the cache, waiting for a slot or for
    /// its next retry): it will never be sent. Returns false when the call is in flight or
    /// unknown. A shell withdraws a paused run's waiting calls and answers its engine with a
    /// transport failure, so the engine sends them again when it resumes.
    pub fn withdraw(&mut self, call: CallId) -> bool {
        let Some(entry) = self.calls.get(&call) else { return false };
        match &entry.stage {
            Stage::Sending { .. } => false,
            Stage::Queued { lane } => {
                if let Some(lane) = self.lanes.get_mut(lane) {
                    lane.queue.retain(|(_, id)| *id != call);
                }
                self.calls.remove(&call);
                true
            }
            Stage::LookingUp | Stage::Backoff { .. } => {
                self.calls.remove(&call);
                true
            }
        }
    }

    /// Forgets one call wherever it is (its run was stopped): a slot it held is freed, and an
    /// answer that still arrives for it is ignored.
    pub fn cancel(&mut self, call: CallId) {
        if self.withdraw(call) {
            return;
        }
        if let Some(entry) = self.calls.remove(&call)
            && let Stage::Sending { lane, .. } = &entry.stage
        {
            self.sending -= 1;
            if let Some(lane) = self.lanes.get_mut(lane) {
                lane.limiter.abandon();
            }
        }
    }

    /// Forgets every call (the run was stopped): slots in use are freed, and answers that still
    /// arrive for these calls are ignored. The shell aborts what it has in flight.
    pub fn cancel_all(&mut self) {
        for call in self.calls.values() {
            if let Stage::Sending { lane, .. } = &call.stage
                && let Some(lane) = self.lanes.get_mut(lane)
            {
                lane.limiter.abandon();
            }
        }
        for lane in self.lanes.values_mut() {
            lane.queue.clear();
        }
        self.calls.clear();
        self.actions.clear();
        self.sending = 0;
    }

    /// When the machine next has something to do without any new result (a retry wait or an
    /// endpoint backoff ends), if ever.
    #[must_use]
    pub fn next_wake(&self, now_ms: u64) -> Option<u64> {
        let retries = self.calls.values().filter_map(|c| match c.stage {
            Stage::Backoff { until, .. } => Some(until),
            _ => None,
        });
        let lanes = self.lanes.values().filter_map(|l| l.wake_at(now_ms));
        retries.chain(lanes).min()
    }

    /// Calls not yet answered (looking up, waiting or in flight).
    #[must_use]
    pub fn pending(&self) -> usize {
        self.calls.len()
    }

    /// Calls in flight now.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.sending
    }

    /// The most calls ever in flight at once, over all endpoints.
    #[must_use]
    pub fn peak_in_flight(&self) -> usize {
        self.peak_sending
    }

    /// Each endpoint's state, for the header and the progress line.
    #[must_use]
    pub fn status(&self, now_ms: u64) -> Vec<EndpointStatus> {
        self.lanes
            .iter()
            .map(|(name, lane)| {
                let waiting_retry: Vec<u64> = self
                    .calls
                    .values()
                    .filter_map(|c| match &c.stage {
                        Stage::Backoff { lane, until } if lane == name => Some(*until),
                        _ => None,
                    })
                    .collect();
                // Calls still asking the cache count as waiting: they are the run's, not yet sent.
                let looking_up = self
                    .calls
                    .values()
                    .filter(|c| {
                        c.stage == Stage::LookingUp
                            && self.endpoints.for_role(c.role).base() == name
                    })
                    .count();
                let state = lane.limiter.state(now_ms);
                EndpointStatus {
                    endpoint: name.clone(),
                    in_flight: state.in_flight,
                    queued: lane.queue.len() + waiting_retry.len() + looking_up,
                    effective_limit: state.effective_limit,
                    limit: state.limit,
                    backing_off_until_ms: state.backing_off_until_ms,
                    retrying_since_ms: lane.failing_since,
                    next_try_ms: waiting_retry.iter().copied().min(),
                    last_error: lane.failing_since.and(lane.last_error.clone()),
                    retries: lane.retries,
                    peak_in_flight: lane.limiter.peak_in_flight(),
                }
            })
            .collect()
    }

    /// Transient failures seen and retries scheduled, over all endpoints.
    #[must_use]
    pub fn fault_counts(&self) -> (u64, u64) {
        self.lanes.values().fold((0, 0), |(f, r), l| (f + l.faults, r + l.retries))
    }

    fn enqueue(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let lane = self.endpoints.for_role(call.role).base().to_owned();
        call.stage = Stage::Queued { lane: lane.clone() };
        let (concurrency, rank) = (self.settings.concurrency, call.rank);
        self.lanes.entry(lane).or_insert_with(|| Lane::new(concurrency)).push(rank, id);
    }

    fn start(&mut self, id: CallId, lane: &str) {
        let Some(call) = self.calls.get_mut(&id) else {
            // Cannot happen (queues only hold live calls); free the slot all the same.
            if let Some(l) = self.lanes.get_mut(lane) {
                l.limiter.abandon();
            }
            return;
        };
        // Re-read the endpoint on every attempt: a fix made while the run waited applies.
        let config = self.endpoints.for_role(call.role);
        call.attempts += 1;
        call.stage = Stage::Sending {
            lane: lane.to_owned(),
            attempt: call.attempts,
            preset: config.preset,
            kind: config.kind,
        };
        self.sending += 1;
        self.peak_sending = self.peak_sending.max(self.sending);
        self.actions.push(Action::Send {
            call: id,
            attempt: call.attempts,
            request: build_request(config, &call.messages),
            timeout_ms: config.timeout_ms,
        });
    }

    fn reply(&mut self, call: CallId, reply: Reply) {
        self.actions.push(Action::Reply { call, reply });
    }
}

fn text_reply(completion: Completion) -> Reply {
    Reply::Text {
        truncated: completion.truncated(),
        text: completion.text,
        usage: completion.usage,
    }
}

fn role_name(role: ModelRole) -> &'static str {
    match role {
        ModelRole::Task => "task",
        ModelRole::Reflection => "reflection",
        ModelRole::Judge => "judge",
    }
}

/// The pause message for a cause no retry can fix: which endpoint, what it said, what to do.
fn refused(role: ModelRole, endpoint: &str, preset: Preset, error: &ProviderError) -> String {
    let status = error.status.map(|s| format!(", HTTP {s}")).unwrap_or_default();
    format!("The {} endpoint ({endpoint}{status}): {}", role_name(role), error.explain(preset))
}

/// The pause message once patience ran out: how long it failed, the last cause, what to do.
fn gave_up(
    role: ModelRole,
    endpoint: &str,
    preset: Preset,
    error: &ProviderError,
    failing_for_ms: u64,
) -> String {
    let timeout = if error.kind == ErrorKind::Timeout { " (the endpoint's timeout)" } else { "" };
    format!(
        "The {} endpoint ({endpoint}) has failed for {} without one good reply; the last \
         attempt: {error}{timeout}. {} Resume retries with a fresh patience window.",
        role_name(role),
        seconds(failing_for_ms),
        error.explain(preset)
    )
}

#[cfg(test)]
mod tests;
