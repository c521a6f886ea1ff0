//! What went wrong with a call, whether retrying can help, and what the user should do.

use gepa_core::FailureKind;

use crate::http::HttpResponse;
use crate::preset::Preset;

/// The cause of a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 401/403: the key is missing, wrong, or lacks access.
    Auth,
    /// 404: wrong base URL or model.
    NotFound,
    /// 429 (or Anthropic's 529 overloaded): slow down.
    RateLimited,
    /// 402: the account is out of credit.
    Payment,
    /// 5xx: the server failed.
    Server,
    /// The request took too long.
    Timeout,
    /// No HTTP response at all: network down, DNS, refused, or blocked by CORS (a browser cannot
    /// tell these apart; the connection doctor probes further).
    Network,
    /// 400/413/422 about this request's content (too long, filtered): not the endpoint's fault.
    BadContent,
    /// 400/422 about the configuration (bad parameter, unknown model).
    BadRequest,
    /// A 2xx reply that could not be understood (an empty or cut-off body, not a completion).
    Malformed,
    /// The browser refused to make the call: the server does not allow this page (CORS), an
    /// https page calling plain http (mixed content), or a denied local-network permission.
    /// Retrying cannot help until the setup changes.
    Blocked,
    /// Cancelled by the user.
    Cancelled,
}

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    /// The cause.
    pub kind: ErrorKind,
    /// HTTP status, when there was a response.
    pub status: Option<u16>,
    /// The provider's own message (already free of secrets: providers do not echo keys).
    pub message: String,
    /// How long the server asked us to wait, when it said.
    pub retry_after_ms: Option<u64>,
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(status) => write!(f, "HTTP {status}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ProviderError {}

impl ProviderError {
    /// An error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ProviderError { kind, status: None, message: message.into(), retry_after_ms: None }
    }

    /// A reply that could not be understood.
    pub fn malformed(message: impl Into<String>) -> Self {
        ProviderError::new(ErrorKind::Malformed, message)
    }

    /// Classifies a non-2xx response.
    #[must_use]
    pub fn from_status(response: &HttpResponse) -> Self {
        let message = error_message(&response.body);
        let lower = message.to_lowercase();
        let kind = match response.status {
            401 | 403 => ErrorKind::Auth,
            402 => ErrorKind::Payment,
            404 => ErrorKind::NotFound,
            408 => ErrorKind::Timeout,
            429 | 529 => ErrorKind::RateLimited,
            400 | 413 | 422 if is_content_problem(&lower) => ErrorKind::BadContent,
            400 | 413 | 422
                if lower.contains("model")
                    && (lower.contains("not found")
                        || lower.contains("does not exist")
                        || lower.contains("unknown")) =>
            {
                ErrorKind::NotFound
            }
            400..=499 => ErrorKind::BadRequest,
            _ => ErrorKind::Server,
        };
        let retry_after_ms = retry_after(response).or_else(|| body_retry_hint(&lower));
        ProviderError { kind, status: Some(response.status), message, retry_after_ms }
    }

    /// True when trying again later can succeed.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::RateLimited
                | ErrorKind::Server
                | ErrorKind::Timeout
                | ErrorKind::Network
                | ErrorKind::Malformed
        )
    }

    /// How the engine should treat this failure once retries are exhausted: content problems
    /// score the example as failed; everything else pauses the run.
    #[must_use]
    pub fn failure_kind(&self) -> FailureKind {
        match self.kind {
            ErrorKind::BadContent => FailureKind::Content,
            _ => FailureKind::Transport,
        }
    }

    /// One or two sentences for the user: the cause and what to do about it.
    #[must_use]
    pub fn explain(&self, preset: Preset) -> String {
        let detail = if self.message.is_empty() {
            String::new()
        } else {
            format!(" (The endpoint said: {})", self.message)
        };
        let text = match self.kind {
            ErrorKind::Auth => format!("The endpoint rejected the API key. Check that the key is right and allowed to use this model.{detail}"),
            ErrorKind::NotFound => format!("The base URL or model name is wrong: the endpoint could not find it. Check both (a base URL usually ends in /v1).{detail}"),
            ErrorKind::RateLimited => format!("The endpoint is rate-limiting us; the playground slows down and retries. Lower the concurrency if this keeps happening.{detail}"),
            ErrorKind::Payment => format!("The account has no credit left. Add credit with the provider, or switch endpoints.{detail}"),
            ErrorKind::Server => format!("The endpoint had an internal error; retrying. If it persists, the service may be down.{detail}"),
            ErrorKind::Timeout => "The endpoint did not answer within the endpoint's timeout. It may be overloaded, or the model is slow: raise the timeout in the endpoint settings (CLI: --timeout) or lower the concurrency.".to_owned(),
            ErrorKind::Network => format!(
                "No response reached the page: the server is down or unreachable, or it does not allow calls from this page (CORS). {}",
                preset.cors_fix()
            ),
            ErrorKind::BadContent => format!("The endpoint refused this example's content (too long or filtered); it is scored as a failure.{detail}"),
            ErrorKind::BadRequest => format!("The endpoint rejected the request settings. Check the parameters and the extra JSON.{detail}"),
            ErrorKind::Malformed => format!("The endpoint answered with something that is not a chat completion. Check that the base URL points at an OpenAI-compatible /v1 API.{detail}"),
            ErrorKind::Blocked => format!("The browser blocked the call, so no retry can succeed until the setup changes. {}{detail}", preset.cors_fix()),
            ErrorKind::Cancelled => "Cancelled.".to_owned(),
        };
        crate::redact::redact_secrets(&text, &[])
    }
}

fn error_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let from_json = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("message"))
            .or_else(|| v.get("error").filter(|e| e.is_string()))
            .or_else(|| v.get("detail"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    });
    let text = from_json.unwrap_or_else(|| body.trim().chars().take(200).collect());
    crate::redact::redact_secrets(&text, &[])
}

fn is_content_problem(lower: &str) -> bool {
    [
        "context length",
        "context_length",
        "maximum context",
        "too long",
        "too many tokens",
        "content filter",
        "content_filter",
        "safety",
        "content policy",
        "exceeds the",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

fn retry_after(response: &HttpResponse) -> Option<u64> {
    if let Some(ms) = response.header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return Some(ms.max(0.0) as u64);
    }
    let value = response.header("retry-after")?.trim();
    // Seconds; an HTTP date cannot be interpreted without a clock, so it falls back to backoff.
    value.parse::<f64>().ok().map(|s| (s.max(0.0) * 1000.0) as u64)
}

/// Hints in error bodies: OpenAI's "try again in 1.5s" / "in 350ms", Gemini's "retryDelay": "13s".
fn body_retry_hint(lower: &str) -> Option<u64> {
    for marker in ["try again in ", "retrydelay\": \"", "retry after "] {
        if let Some(pos) = lower.find(marker) {
            let rest = &lower[pos + marker.len()..];
            let number: String =
                rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
            let value: f64 = number.parse().ok()?;
            let unit = rest[number.len()..].trim_start();
            return Some(if unit.starts_with("ms") {
                value as u64
            } else {
                (value * 1000.0) as u64
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            body: body.into(),
        }
    }

    #[test]
    fn statuses_map_to_causes() {
        let kind =
            |status, body: &str| ProviderError::from_status(&response(status, &[], body)).kind;
        assert_eq!(kind(401, r#"{"error":{"message":"Incorrect API key"}}"#), ErrorKind::Auth);
        assert_eq!(kind(403, ""), ErrorKind::Auth);
        assert_eq!(kind(404, "not found"), ErrorKind::NotFound);
        assert_eq!(kind(429, ""), ErrorKind::RateLimited);
        assert_eq!(
            kind(
                529,
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
            ),
            ErrorKind::RateLimited
        );
        assert_eq!(kind(402, ""), ErrorKind::Payment);
        assert_eq!(kind(500, ""), ErrorKind::Server);
        assert_eq!(kind(503, ""), ErrorKind::Server);
        assert_eq!(
            kind(
                400,
                r#"{"error":{"message":"This model's maximum context length is 8192 tokens"}}"#
            ),
            ErrorKind::BadContent
        );
        assert_eq!(
            kind(400, r#"{"error":{"message":"The model `gpt-9` does not exist"}}"#),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind(400, r#"{"error":{"message":"temperature must be <= 2"}}"#),
            ErrorKind::BadRequest
        );
    }

    #[test]
    fn retry_hints_come_from_headers_then_bodies() {
        let e = ProviderError::from_status(&response(429, &[("Retry-After", "7")], ""));
        assert_eq!(e.retry_after_ms, Some(7000));
        let e = ProviderError::from_status(&response(429, &[("retry-after-ms", "250")], ""));
        assert_eq!(e.retry_after_ms, Some(250));
        let e = ProviderError::from_status(&response(
            429,
            &[],
            r#"{"error":{"message":"Rate limit reached. Please try again in 1.5s."}}"#,
        ));
        assert_eq!(e.retry_after_ms, Some(1500));
        let e = ProviderError::from_status(&response(
            429,
            &[],
            r#"{"error":{"details":[{"retryDelay": "13s"}]}}"#,
        ));
        assert_eq!(e.retry_after_ms, Some(13000));
        let e = ProviderError::from_status(&response(
            429,
            &[("Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT")],
            "",
        ));
        assert_eq!(e.retry_after_ms, None);
    }

    #[test]
    fn retryability_and_engine_treatment() {
        let e = |kind| ProviderError::new(kind, "");
        assert!(!e(ErrorKind::Auth).is_retryable());
        assert!(!e(ErrorKind::NotFound).is_retryable());
        assert!(!e(ErrorKind::BadContent).is_retryable());
        assert!(e(ErrorKind::RateLimited).is_retryable());
        assert!(e(ErrorKind::Server).is_retryable());
        assert!(e(ErrorKind::Timeout).is_retryable());
        assert_eq!(e(ErrorKind::BadContent).failure_kind(), FailureKind::Content);
        assert_eq!(e(ErrorKind::Auth).failure_kind(), FailureKind::Transport);
        assert_eq!(e(ErrorKind::Network).failure_kind(), FailureKind::Transport);
    }

    #[test]
    fn explanations_name_the_fix() {
        let net = ProviderError::new(ErrorKind::Network, "Failed to fetch");
        assert!(net.explain(Preset::Ollama).contains("OLLAMA_ORIGINS"));
        assert!(net.explain(Preset::LmStudio).contains("Enable CORS"));
        assert!(net.explain(Preset::Vllm).contains("--allowed-origins"));
        assert!(net.explain(Preset::LlamaCpp).contains("--cors-origins"));
        let auth =
            ProviderError::from_status(&response(401, &[], r#"{"error":{"message":"bad key"}}"#));
        assert!(
            auth.explain(Preset::OpenAi).contains("API key")
                && auth.explain(Preset::OpenAi).contains("bad key")
        );
    }
}
