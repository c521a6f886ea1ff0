//! The native transport (CLI and tests): reqwest with rustls, and an async engine driver.
//!
//! The only native code here that touches the network; everything it decides (request shape,
//! parsing, classification, retries, prices) comes from the pure modules.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gepa_core::{ChatMessage, Engine, Request, Rng};

use crate::cache::{ResponseCache, cache_key};
use crate::call::{Endpoints, settle, to_reply};
use crate::endpoint::EndpointConfig;
use crate::error::{ErrorKind, ProviderError};
use crate::http::{HttpRequest, HttpResponse};
use crate::limiter::{Limiter, LimiterState, Outcome, Permit};
use crate::price::PriceTable;
use crate::retry::RetryPolicy;
use crate::wire::{Completion, build_request};

/// An HTTP client for chat calls to one endpoint, with its concurrency limiter. Clones share the
/// limiter, so every task calling the endpoint through a clone is limited together.
#[derive(Debug, Clone)]
pub struct NativeClient {
    http: reqwest::Client,
    limiter: Arc<Mutex<Limiter>>,
    cache: Option<Arc<Mutex<ResponseCache>>>,
    slot_freed: Arc<tokio::sync::Notify>,
    epoch: tokio::time::Instant,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retry settings.
    pub retry: RetryPolicy,
    /// Prices used to fill in costs.
    pub prices: PriceTable,
}

impl NativeClient {
    /// A client with a per-request timeout and default retries and prices.
    ///
    /// # Errors
    /// When the TLS backend cannot be initialised.
    pub fn new(timeout: Duration) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder().build().map_err(|e| {
            ProviderError::new(ErrorKind::Network, format!("could not create the HTTP client: {e}"))
        })?;
        Ok(NativeClient {
            http,
            limiter: Arc::new(Mutex::new(Limiter::new(4))),
            cache: None,
            slot_freed: Arc::new(tokio::sync::Notify::new()),
            epoch: tokio::time::Instant::now(),
            timeout,
            retry: RetryPolicy::default(),
            prices: PriceTable::default(),
        })
    }

    /// The same client with a different concurrency limit (default 4).
    #[must_use]
    pub fn with_concurrency(mut self, limit: usize) -> Self {
        self.limiter = Arc::new(Mutex::new(Limiter::new(limit)));
        self
    }

    /// The same client with a response cache (shared by its clones).
    #[must_use]
    pub fn with_cache(mut self, cache: ResponseCache) -> Self {
        self.cache = Some(Arc::new(Mutex::new(cache)));
        self
    }

    /// A copy of the cache's current contents, for saving.
    #[must_use]
    pub fn cache_snapshot(&self) -> Option<ResponseCache> {
        self.cache
            .as_ref()
            .map(|c| c.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }

    fn cache_get(&self, key: &str) -> Option<Completion> {
        self.cache
            .as_ref()
            .and_then(|c| c.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(key))
    }

    fn cache_put(&self, key: String, completion: &Completion) {
        if let Some(cache) = &self.cache {
            cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).put(key, completion);
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn with_limiter<T>(&self, f: impl FnOnce(&mut Limiter) -> T) -> T {
        // A poisoned lock only means another task panicked mid-update; the counts are still usable.
        let mut guard = self.limiter.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// Queued / in flight / backing off, for display.
    #[must_use]
    pub fn limiter_state(&self) -> LimiterState {
        let now = self.now_ms();
        self.with_limiter(|l| l.state(now))
    }

    /// The most calls that were ever in flight at once.
    #[must_use]
    pub fn peak_in_flight(&self) -> usize {
        self.with_limiter(|l| l.peak_in_flight())
    }

    /// Waits for a permit. Dropping the future while it waits leaves the queue; dropping the
    /// returned slot without [`Slot::finish`] frees it (a cancelled call).
    async fn acquire(&self) -> Slot<'_> {
        let mut queue = QueueTicket { client: self, queued: false };
        loop {
            let now = self.now_ms();
            match self.with_limiter(|l| l.acquire(now, queue.queued)) {
                Permit::Go => {
                    queue.queued = false;
                    return Slot { client: self, finished: false };
                }
                Permit::WaitUntil(until) => {
                    queue.queued = true;
                    tokio::time::sleep(Duration::from_millis(until.saturating_sub(now))).await;
                }
                Permit::WaitForSlot => {
                    queue.queued = true;
                    // Re-check periodically too, so a wake-up between the check and the wait is
                    // never lost.
                    let _ =
                        tokio::time::timeout(Duration::from_millis(50), self.slot_freed.notified())
                            .await;
                }
            }
        }
    }

    fn release(&self, outcome: Outcome) {
        let now = self.now_ms();
        self.with_limiter(|l| l.finish(outcome, now));
        self.slot_freed.notify_waiters();
    }

    /// Sends one request once (no retries).
    ///
    /// # Errors
    /// `Timeout` or `Network` when no response arrived.
    pub async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, ProviderError> {
        let mut builder =
            self.http.post(&request.url).timeout(self.timeout).body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.map_err(classify_reqwest)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned())))
            .collect();
        let body = response.text().await.map_err(classify_reqwest)?;
        Ok(HttpResponse { status, headers, body })
    }

    /// One chat completion with retries; the returned usage carries the cost when the model's
    /// price is known.
    ///
    /// # Errors
    /// The last error once retrying cannot help or attempts are exhausted.
    pub async fn complete(
        &self,
        config: &EndpointConfig,
        messages: &[ChatMessage],
        rng: &mut Rng,
    ) -> Result<Completion, ProviderError> {
        let key = self.cache.as_ref().map(|_| cache_key(config, messages));
        if let Some(hit) = key.as_deref().and_then(|k| self.cache_get(k)) {
            return Ok(hit);
        }
        let request = build_request(config, messages);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let slot = self.acquire().await;
            let (result, outcome) = settle(config.kind, self.send(&request).await);
            slot.finish(outcome);
            match result {
                Ok(mut completion) => {
                    if let Some(key) = key {
                        self.cache_put(key, &completion);
                    }
                    completion.usage = self.prices.priced(&config.model, completion.usage);
                    return Ok(completion);
                }
                Err(error) => match self.retry.next_delay(attempts, &error, rng) {
                    Some(delay) => tokio::time::sleep(Duration::from_millis(delay)).await,
                    None => return Err(error),
                },
            }
        }
    }
}

fn classify_reqwest(error: reqwest::Error) -> ProviderError {
    let text = crate::redact::redact_secrets(&error.to_string(), &[]);
    if error.is_timeout() {
        ProviderError::new(ErrorKind::Timeout, text)
    } else if error.is_decode() || error.is_body() {
        ProviderError::new(
            ErrorKind::Malformed,
            format!("the connection dropped or the body was unreadable: {text}"),
        )
    } else {
        ProviderError::new(ErrorKind::Network, text)
    }
}

/// Drives an engine until it finishes or pauses, running each wave of requests concurrently.
/// `now_ms` supplies the current time (the engine never reads a clock); `on_events` sees every
/// event batch (for progress display and saving). Returns when the run is finished or paused.
pub async fn drive(
    engine: &mut Engine,
    client: &NativeClient,
    endpoints: &Endpoints,
    seed: u64,
    mut now_ms: impl FnMut() -> u64,
    mut on_events: impl FnMut(&Engine, Vec<gepa_core::Event>),
) {
    let mut rng = Rng::from_seed(seed);
    loop {
        let requests: Vec<Request> = engine.take_requests(now_ms());
        let events = engine.drain_events();
        on_events(engine, events);
        let paused = !matches!(engine.status(), gepa_core::Status::Running);
        if engine.is_finished() || (requests.is_empty() && paused) {
            return;
        }
        if requests.is_empty() {
            continue;
        }
        let mut set = tokio::task::JoinSet::new();
        for request in requests {
            let client = client.clone();
            let config = endpoints.for_role(request.role).clone();
            let mut call_rng = Rng::from_seed(rng.next_u64());
            set.spawn(async move {
                let reply =
                    to_reply(client.complete(&config, &request.messages, &mut call_rng).await);
                (request.id, reply)
            });
        }
        while let Some(joined) = set.join_next().await {
            if let Ok((id, reply)) = joined {
                engine.handle_reply(id, reply, now_ms());
            }
        }
    }
}

/// A caller waiting in the limiter's queue; leaves the queue if dropped while waiting.
struct QueueTicket<'a> {
    client: &'a NativeClient,
    queued: bool,
}

impl Drop for QueueTicket<'_> {
    fn drop(&mut self) {
        if self.queued {
            self.client.with_limiter(Limiter::leave_queue);
        }
    }
}

/// A call in flight; frees its slot when finished, or when dropped (cancelled).
struct Slot<'a> {
    client: &'a NativeClient,
    finished: bool,
}

impl Slot<'_> {
    fn finish(mut self, outcome: Outcome) {
        self.finished = true;
        self.client.release(outcome);
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.client.release(Outcome::Done);
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
