//! What the header and the CLI progress line show for each endpoint.

use serde::{Deserialize, Serialize};

/// One endpoint's state: calls running and waiting, rate-limit slowdowns, and, while it is
/// failing, since when and when the next try is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointStatus {
    /// The endpoint's base URL.
    pub endpoint: String,
    /// Calls in flight.
    pub in_flight: usize,
    /// Calls waiting: for a slot, or for their next retry.
    pub queued: usize,
    /// The current concurrency limit (below `limit` after rate limits).
    pub effective_limit: usize,
    /// The configured concurrency limit.
    pub limit: usize,
    /// While the whole endpoint is backing off (after a 429): until when.
    pub backing_off_until_ms: Option<u64>,
    /// While the endpoint is failing: since when (no good reply since).
    pub retrying_since_ms: Option<u64>,
    /// While calls wait to retry: the earliest next attempt.
    pub next_try_ms: Option<u64>,
    /// The last transient failure, while failing.
    pub last_error: Option<String>,
    /// Retries scheduled so far.
    pub retries: u64,
    /// The most calls ever in flight at once.
    pub peak_in_flight: usize,
}

impl EndpointStatus {
    /// One line, e.g. `http://…/v1: 3 in flight, 5 waiting, slowed to 2 of 4, retrying since
    /// 14:02:11 (HTTP 500: internal), next try in 3 s`. `clock` formats an absolute time.
    #[must_use]
    pub fn describe(&self, now_ms: u64, clock: impl Fn(u64) -> String) -> String {
        let mut text =
            format!("{}: {} in flight, {} waiting", self.endpoint, self.in_flight, self.queued);
        if self.effective_limit < self.limit {
            text.push_str(&format!(", slowed to {} of {}", self.effective_limit, self.limit));
        }
        if let Some(since) = self.retrying_since_ms {
            text.push_str(&format!(", retrying since {}", clock(since)));
            if let Some(error) = &self.last_error {
                let short: String = error.chars().take(80).collect();
                text.push_str(&format!(" ({short})"));
            }
        }
        let next = match (self.next_try_ms, self.backing_off_until_ms) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if let Some(next) = next.filter(|n| *n > now_ms) {
            text.push_str(&format!(", next try in {}", seconds(next - now_ms)));
        }
        text
    }

    /// True while the endpoint is failing and its calls are being retried.
    #[must_use]
    pub fn retrying(&self) -> bool {
        self.retrying_since_ms.is_some()
    }
}

/// A short duration: `0.4 s`, `12 s`, `3 min 05 s`.
#[must_use]
pub fn seconds(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{:.1} s", ms as f64 / 1000.0),
        1_000..60_000 => format!("{} s", ms.div_ceil(1000)),
        _ => format!("{} min {:02} s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_endpoint_says_since_when_and_when_it_tries_next() {
        let status = EndpointStatus {
            endpoint: "http://127.0.0.1:9/v1".into(),
            in_flight: 1,
            queued: 5,
            effective_limit: 2,
            limit: 4,
            backing_off_until_ms: Some(12_000),
            retrying_since_ms: Some(1_000),
            next_try_ms: Some(13_500),
            last_error: Some("HTTP 500: internal".into()),
            retries: 7,
            peak_in_flight: 4,
        };
        assert_eq!(
            status.describe(10_000, |t| format!("t={t}")),
            "http://127.0.0.1:9/v1: 1 in flight, 5 waiting, slowed to 2 of 4, retrying since \
             t=1000 (HTTP 500: internal), next try in 4 s"
        );
        let healthy = EndpointStatus {
            retrying_since_ms: None,
            next_try_ms: None,
            backing_off_until_ms: None,
            effective_limit: 4,
            ..status
        };
        assert_eq!(
            healthy.describe(10_000, |_| String::new()),
            "http://127.0.0.1:9/v1: 1 in flight, 5 waiting"
        );
        assert_eq!(seconds(400), "0.4 s");
        assert_eq!(seconds(125_000), "2 min 05 s");
    }
}
