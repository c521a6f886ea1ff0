//! The native transport (CLI and tests): reqwest with rustls, driven by the call machine.
//!
//! This module only sends bytes, sleeps and reads the response-cache memory: every decision
//! (which call goes next, when to retry, when to give up, what to cache, what a reply costs)
//! comes from [`CallMachine`], exactly as in the browser.

use std::collections::BTreeMap;
use std::time::Duration;

use gepa_core::{ChatMessage, Engine, Event, ModelRole, Reply, Status};
use tokio::task::JoinSet;

use crate::cache::ResponseCache;
use crate::error::{ErrorKind, ProviderError};
use crate::http::{HttpRequest, HttpResponse};
use crate::machine::{Action, CallId, CallMachine};

/// An HTTP client for chat calls (pooled connections, so many calls share few sockets).
#[derive(Debug, Clone)]
pub struct NativeHttp {
    http: reqwest::Client,
}

impl NativeHttp {
    /// A client.
    ///
    /// # Errors
    /// When the TLS backend cannot be initialised.
    pub fn new() -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(1024)
            .build()
            .map_err(|e| {
                ProviderError::new(
                    ErrorKind::Network,
                    format!("could not create the HTTP client: {e}"),
                )
            })?;
        Ok(NativeHttp { http })
    }

    /// Sends one request once, giving up after `timeout_ms`.
    ///
    /// # Errors
    /// `Timeout` or `Network` when no complete response arrived.
    pub async fn send(
        &self,
        request: &HttpRequest,
        timeout_ms: u64,
    ) -> Result<HttpResponse, ProviderError> {
        self.exchange(request, timeout_ms).await.map(|(response, _)| response)
    }

    /// [`NativeHttp::send`], also saying whether the connection went back to the pool (an
    /// HTTP/1.1 or later reply without `connection: close`), so the next send can reuse it.
    async fn exchange(
        &self,
        request: &HttpRequest,
        timeout_ms: u64,
    ) -> Result<(HttpResponse, bool), ProviderError> {
        let timeout = Duration::from_millis(timeout_ms.max(1));
        let mut builder = self.http.post(&request.url).timeout(timeout).body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.map_err(|e| classify(&e, timeout_ms))?;
        let status = response.status().as_u16();
        let closes = response.version() < reqwest::Version::HTTP_11
            || response
                .headers()
                .get(reqwest::header::CONNECTION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned())))
            .collect();
        let body = response.text().await.map_err(|e| classify(&e, timeout_ms))?;
        Ok((HttpResponse { status, headers, body }, !closes))
    }
}

fn classify(error: &reqwest::Error, timeout_ms: u64) -> ProviderError {
    let text = crate::redact::redact_secrets(&error.to_string(), &[]);
    if error.is_timeout() {
        ProviderError::new(
            ErrorKind::Timeout,
            format!("no reply within {}", crate::machine::seconds(timeout_ms)),
        )
    } else if error.is_decode() || error.is_body() {
        ProviderError::new(ErrorKind::Network, format!("the connection dropped mid-reply: {text}"))
    } else {
        ProviderError::new(ErrorKind::Network, text)
    }
}

/// A finished send: its call and attempt, what came back, and whether its connection is now
/// idle in the pool.
type Sent = (CallId, u32, Result<HttpResponse, ProviderError>, bool);

/// A call machine with its native transport and optional in-memory response cache.
#[derive(Debug)]
pub struct NativeCalls {
    /// The decisions.
    pub machine: CallMachine,
    http: NativeHttp,
    cache: Option<ResponseCache>,
    epoch: tokio::time::Instant,
    in_flight: JoinSet<Sent>,
    /// The earliest moment the next send may open a new connection (see [`SEND_SPACING`]).
    next_send: tokio::time::Instant,
    /// Connections that went back to the pool and have not been taken again (an estimate: the
    /// pool may also close idle ones).
    idle: usize,
}

/// Sends that need new connections open them this far apart. A burst of simultaneous connects
/// overflows a small listen backlog (Python's `http.server` keeps 5), and every connect the
/// server's kernel drops costs a 1 s SYN retransmit; spacing them by 2 ms lets such a server
/// accept each in time and costs at most 30 ms for 16 calls. A send that can take an idle
/// pooled connection goes at once, so against a keep-alive server only the first ramp to full
/// concurrency is spaced (about 0.5 s to 256 connections), never the calls after it.
const SEND_SPACING: Duration = Duration::from_millis(2);

impl NativeCalls {
    /// Native calls for `machine`.
    ///
    /// # Errors
    /// When the HTTP client cannot be created.
    pub fn new(machine: CallMachine) -> Result<Self, ProviderError> {
        Ok(NativeCalls {
            machine,
            http: NativeHttp::new()?,
            cache: None,
            epoch: tokio::time::Instant::now(),
            in_flight: JoinSet::new(),
            next_send: tokio::time::Instant::now(),
            idle: 0,
        })
    }

    /// The same, with a response cache (see [`load_cache_file`]).
    #[must_use]
    pub fn with_cache(mut self, cache: ResponseCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The response cache, for saving.
    #[must_use]
    pub fn cache(&self) -> Option<&ResponseCache> {
        self.cache.as_ref()
    }

    /// Milliseconds since these calls were set up (the machine's and the engine's clock).
    #[must_use]
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Carries out what the machine says until it has nothing more to do right now. Replies go
    /// to `reply`; returns how many there were. Once replies were delivered it returns before
    /// starting new calls, so the caller can let its engine react (and pause) first.
    fn act(&mut self, mut reply: impl FnMut(CallId, Reply)) -> usize {
        let mut replies = 0;
        loop {
            let mut actions = self.machine.take_actions();
            if actions.is_empty() {
                if replies > 0 {
                    return replies;
                }
                actions = self.machine.poll(self.now_ms());
            }
            if actions.is_empty() {
                return replies;
            }
            for action in actions {
                match action {
                    Action::LookUp { call, key } => {
                        let hit = self.cache.as_ref().and_then(|c| c.get(&key));
                        self.machine.cached(call, hit);
                    }
                    Action::Store { key, completion } => {
                        if let Some(cache) = &mut self.cache {
                            cache.put(key, &completion);
                        }
                    }
                    Action::Send { call, attempt, request, timeout_ms } => {
                        let http = self.http.clone();
                        let now = tokio::time::Instant::now();
                        let at = if self.idle > 0 {
                            self.idle -= 1;
                            now
                        } else {
                            let at = self.next_send.max(now);
                            self.next_send = at + SEND_SPACING;
                            at
                        };
                        self.in_flight.spawn(async move {
                            tokio::time::sleep_until(at).await;
                            match http.exchange(&request, timeout_ms).await {
                                Ok((response, kept)) => (call, attempt, Ok(response), kept),
                                Err(error) => (call, attempt, Err(error), false),
                            }
                        });
                    }
                    Action::Reply { call, reply: r } => {
                        replies += 1;
                        reply(call, r);
                    }
                }
            }
        }
    }

    /// Waits for the next send to finish or the machine's next wake-up (at most `tick_ms`), and
    /// feeds what finished back. Returns false when there is nothing to wait for.
    async fn wait(&mut self, tick_ms: Option<u64>) -> bool {
        let now = self.now_ms();
        let wake = match (self.machine.next_wake(now), tick_ms.map(|t| now + t)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if self.in_flight.is_empty() && wake.is_none() {
            return false;
        }
        let sleep = wake.map(|w| self.epoch + Duration::from_millis(w));
        tokio::select! {
            Some(joined) = self.in_flight.join_next(), if !self.in_flight.is_empty() => {
                if let Ok((call, attempt, result, kept)) = joined {
                    self.idle += usize::from(kept);
                    let now = self.now_ms();
                    self.machine.sent(call, attempt, result, now);
                }
            }
            () = sleep_until(sleep), if sleep.is_some() => {}
        }
        true
    }

    /// Model calls through the machine (cache, limiter, retries), outside any engine, all at
    /// once: the replies the engine would get, in order.
    pub async fn complete_all(&mut self, calls: Vec<(ModelRole, Vec<ChatMessage>)>) -> Vec<Reply> {
        let ids: Vec<CallId> =
            calls.into_iter().map(|(role, messages)| self.machine.submit(role, messages)).collect();
        let mut answers: BTreeMap<CallId, Reply> = BTreeMap::new();
        loop {
            // Until nothing more happens without waiting: replies first, then new starts.
            while self.act(|call, reply| {
                answers.insert(call, reply);
            }) > 0
            {}
            if answers.len() == ids.len() {
                return ids.iter().filter_map(|id| answers.remove(id)).collect();
            }
            if !self.wait(None).await {
                return ids
                    .iter()
                    .map(|id| {
                        answers.remove(id).unwrap_or_else(|| Reply::Failed {
                            failure: gepa_core::FailureKind::Transport,
                            error: "the call was dropped".into(),
                        })
                    })
                    .collect();
            }
        }
    }

    /// One model call through the machine, outside any engine.
    pub async fn complete(&mut self, role: ModelRole, messages: Vec<ChatMessage>) -> Reply {
        let mut replies = self.complete_all(vec![(role, messages)]).await;
        replies.pop().unwrap_or_else(|| Reply::Failed {
            failure: gepa_core::FailureKind::Transport,
            error: "the call was dropped".into(),
        })
    }

    /// Drops every call in flight (the run was stopped or interrupted).
    pub fn cancel_all(&mut self) {
        self.in_flight.abort_all();
        self.machine.cancel_all();
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Drives an engine until it finishes or pauses: every request goes to the call machine the
/// moment the engine hands it out, and every reply goes back the moment it arrives (no waves).
/// `on_change` sees the engine, the new events and the machine after every step (for the
/// progress line and saving). When the run pauses, calls already in flight are let finish so
/// their replies count; calls waiting to retry are dropped (the engine sends them again on
/// resume).
pub async fn drive(
    engine: &mut Engine,
    calls: &mut NativeCalls,
    mut on_change: impl FnMut(&Engine, Vec<Event>, &CallMachine, u64),
) {
    let mut owners: BTreeMap<CallId, u64> = BTreeMap::new();
    loop {
        let now = calls.now_ms();
        for request in engine.take_requests(now) {
            let call = calls.machine.submit_ranked(request.role, request.messages, request.rank);
            owners.insert(call, request.id);
        }
        let replied = calls.act(|call, reply| {
            if let Some(id) = owners.remove(&call) {
                engine.handle_reply(id, reply, now);
            }
        });
        let events = engine.drain_events();
        on_change(engine, events, &calls.machine, calls.now_ms());
        if engine.is_finished() {
            calls.cancel_all();
            return;
        }
        let paused = !matches!(engine.status(), Status::Running);
        if paused {
            let now = calls.now_ms();
            withdraw_waiting(engine, &mut calls.machine, &mut owners, now);
            if calls.in_flight.is_empty() {
                calls.cancel_all();
                let events = engine.drain_events();
                on_change(engine, events, &calls.machine, calls.now_ms());
                return;
            }
        }
        if replied > 0 {
            continue;
        }
        // While an endpoint is failing, wake once a second so the progress line's countdown
        // moves.
        let now = calls.now_ms();
        let failing = calls.machine.status(now).iter().any(crate::EndpointStatus::retrying);
        if !calls.wait(failing.then_some(1_000)).await {
            // Nothing in flight and nothing to wait for, yet the engine neither finished nor
            // paused: it has nothing to ask, so stop rather than spin.
            return;
        }
    }
}

/// A paused run sends nothing new: its calls that are not in flight are taken back, and the
/// engine hears they were not sent (a transport failure), so it sends them again on resume.
pub fn withdraw_waiting(
    engine: &mut Engine,
    machine: &mut CallMachine,
    owners: &mut BTreeMap<CallId, u64>,
    now_ms: u64,
) {
    let withdrawn: Vec<CallId> =
        owners.keys().copied().filter(|call| machine.withdraw(*call)).collect();
    for call in withdrawn {
        if let Some(id) = owners.remove(&call) {
            let error = "not sent: the run paused".to_owned();
            engine.handle_reply(
                id,
                Reply::Failed { failure: gepa_core::FailureKind::Transport, error },
                now_ms,
            );
        }
    }
}

/// Loads a cache file; a missing file is an empty cache.
///
/// # Errors
/// When the file exists but cannot be read or parsed (the message says to delete it).
pub fn load_cache_file(path: &std::path::Path) -> Result<ResponseCache, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            format!(
                "the response cache {} is damaged ({e}); delete it to start a new one",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ResponseCache::default()),
        Err(e) => Err(format!("cannot read the response cache {}: {e}", path.display())),
    }
}

/// Saves a cache file atomically: a crash mid-write leaves the previous file intact.
///
/// # Errors
/// When the file cannot be written.
pub fn save_cache_file(path: &std::path::Path, cache: &ResponseCache) -> Result<(), String> {
    let text = serde_json::to_string(cache)
        .map_err(|e| format!("cannot encode the response cache: {e}"))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
}
