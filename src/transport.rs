//! The browser transport: the only place in the app that sends HTTP (through `fetch`).
//!
//! What to send and how to read the reply come from `gepa_providers`; this module only moves
//! bytes, enforces a per-request timeout, and lets the caller cancel through an
//! `AbortController` it owns (Stop aborts every in-flight call).

pub mod doctor;

use std::cell::Cell;
use std::rc::Rc;

use gepa_providers::{ErrorKind, HttpRequest, HttpResponse, ProviderError};
use web_sys::{AbortController, RequestMode};

/// Why no response arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchFailure {
    /// `fetch` rejected: network down, CORS refusal, mixed content, permission denied.
    NoResponse(String),
    /// The per-request timeout fired.
    TimedOut,
    /// The caller aborted the request.
    Aborted,
}

/// Sends `request` once. `abort` is the caller's controller; the timeout aborts it too.
///
/// # Errors
/// When no response arrived.
pub async fn fetch_once(
    request: &HttpRequest,
    timeout_ms: u32,
    abort: &AbortController,
) -> Result<HttpResponse, FetchFailure> {
    let timed_out = Rc::new(Cell::new(false));
    let timer = {
        let (flag, controller) = (timed_out.clone(), abort.clone());
        gloo_timers::callback::Timeout::new(timeout_ms, move || {
            flag.set(true);
            controller.abort();
        })
    };
    let signal = abort.signal();
    let mut builder = gloo_net::http::RequestBuilder::new(&request.url)
        .method(gloo_net::http::Method::POST)
        .abort_signal(Some(&signal));
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let outcome = match builder.body(request.body.clone()) {
        Ok(req) => req.send().await,
        Err(e) => Err(e),
    };
    let result = match outcome {
        Ok(response) => {
            let status = response.status();
            let headers = response.headers().entries().collect();
            match response.text().await {
                Ok(body) => Ok(HttpResponse { status, headers, body }),
                Err(e) => Err(failure(&timed_out, abort, e.to_string())),
            }
        }
        Err(e) => Err(failure(&timed_out, abort, e.to_string())),
    };
    drop(timer);
    result
}

fn failure(timed_out: &Cell<bool>, abort: &AbortController, message: String) -> FetchFailure {
    if timed_out.get() {
        FetchFailure::TimedOut
    } else if abort.signal().aborted() {
        FetchFailure::Aborted
    } else {
        FetchFailure::NoResponse(message)
    }
}

/// Sends one attempt of a model call and says what came of it, as the call machine wants it.
///
/// A `fetch` that gets no response is told apart: a mixed-content or CORS refusal is `Blocked`, which no retry can fix; a dropped
/// connection or a server that is down is a network failure, which is retried. An endpoint that
/// already answered this page, or that answers a CORS GET of its model list now, is not
/// refusing the page, so only a server that answers `no-cors` probes and nothing else is
/// taken for a CORS refusal.
///
/// # Errors
/// The cause when no usable response arrived.
pub async fn send_attempt(
    request: &HttpRequest,
    timeout_ms: u64,
    controller: &AbortController,
    answered: &std::cell::RefCell<std::collections::BTreeSet<String>>,
) -> Result<HttpResponse, ProviderError> {
    let timeout = u32::try_from(timeout_ms).unwrap_or(u32::MAX);
    let message = match fetch_once(request, timeout, controller).await {
        Ok(response) => {
            answered.borrow_mut().insert(request.url.clone());
            return Ok(response);
        }
        Err(FetchFailure::TimedOut) => {
            return Err(ProviderError::new(
                ErrorKind::Timeout,
                format!("no reply within {}", gepa_providers::machine::seconds(timeout_ms)),
            ));
        }
        Err(FetchFailure::Aborted) => {
            return Err(ProviderError::new(ErrorKind::Cancelled, "cancelled"));
        }
        Err(FetchFailure::NoResponse(message)) => message,
    };
    let unreachable = || {
        ProviderError::new(
            ErrorKind::Network,
            format!("could not reach {} ({message})", request.url),
        )
    };
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    if origin.starts_with("https://")
        && request.url.starts_with("http://")
        && !gepa_providers::doctor::is_loopback(&request.url)
    {
        return Err(ProviderError::new(
            ErrorKind::Blocked,
            format!(
                "this https page may not call the plain-http address {} (mixed content)",
                request.url
            ),
        ));
    }
    if answered.borrow().contains(&request.url) {
        return Err(unreachable());
    }
    let base =
        request.url.trim_end_matches("/chat/completions").trim_end_matches("/messages").to_owned();
    if answers_with_cors(&format!("{base}/models"), 5_000).await {
        return Err(unreachable());
    }
    if reachable_without_cors(&request.url, 5_000).await {
        return Err(ProviderError::new(
            ErrorKind::Blocked,
            format!(
                "the server at {} answers, but does not allow calls from this page (CORS)",
                request.url
            ),
        ));
    }
    Err(unreachable())
}

/// True when something answers at `url` at all, ignoring CORS: a `no-cors` GET resolves (with an
/// opaque response) whenever a server replies, and rejects when nothing is there.
pub async fn reachable_without_cors(url: &str, timeout_ms: u32) -> bool {
    let Ok(abort) = AbortController::new() else { return false };
    let timer = {
        let controller = abort.clone();
        gloo_timers::callback::Timeout::new(timeout_ms, move || controller.abort())
    };
    let signal = abort.signal();
    let result = gloo_net::http::RequestBuilder::new(url)
        .mode(RequestMode::NoCors)
        .abort_signal(Some(&signal))
        .send()
        .await;
    drop(timer);
    result.is_ok()
}

/// True when `url` answers a plain cross-origin GET (any status) with CORS allowed: the server
/// is up and lets this page read its replies, so a request to it that got no response was cut
/// off on the way (a dropped connection), not refused.
pub async fn answers_with_cors(url: &str, timeout_ms: u32) -> bool {
    let Ok(abort) = AbortController::new() else { return false };
    let timer = {
        let controller = abort.clone();
        gloo_timers::callback::Timeout::new(timeout_ms, move || controller.abort())
    };
    let signal = abort.signal();
    let result = gloo_net::http::RequestBuilder::new(url).abort_signal(Some(&signal)).send().await;
    drop(timer);
    result.is_ok()
}

/// Milliseconds since the epoch (for latency and the engine's clock).
#[must_use]
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The local time of day of `epoch_ms`, as `HH:MM:SS`.
#[must_use]
pub fn clock_label(epoch_ms: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_ms as f64));
    format!("{:02}:{:02}:{:02}", date.get_hours(), date.get_minutes(), date.get_seconds())
}

/// The local date and time of `epoch_ms`, as the browser writes them ("06/12/2026, 18:05").
#[must_use]
pub fn date_label(epoch_ms: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_ms as f64));
    let options = js_sys::Object::new();
    for (key, value) in [("dateStyle", "medium"), ("timeStyle", "short")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    String::from(date.to_locale_string("default", &options))
}

/// A high-resolution timer in milliseconds (for benchmarks).
#[must_use]
pub fn precise_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or_else(js_sys::Date::now, |p| p.now())
}

/// GETs a text file of the app itself (the example tasks).
///
/// # Errors
/// When the file cannot be fetched.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    let response = gloo_net::http::Request::get(url).send().await.map_err(|e| e.to_string())?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    response.text().await.map_err(|e| e.to_string())
}
