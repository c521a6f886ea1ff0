//! When to try a failed call again: capped exponential backoff with seeded jitter, honouring the
//! server's Retry-After, never for errors retrying cannot fix, and with no attempt limit: a
//! transient fault is retried until the endpoint has failed continuously for the patience window
//! (the call machine keeps that clock per endpoint).

use gepa_core::Rng;
use serde::{Deserialize, Serialize};

use crate::error::ProviderError;

/// Retry settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetryPolicy {
    /// Backoff ceiling for the first retry, in ms; doubles per attempt.
    pub base_delay_ms: u64,
    /// Largest wait between attempts, in ms (also caps a server's Retry-After).
    pub max_delay_ms: u64,
    /// How long an endpoint may fail continuously (no successful reply at all) before its calls
    /// give up and the run pauses, in ms.
    pub patience_ms: u64,
}

/// Ten minutes: an overnight run rides out a restarting server or a rate-limit storm, and a
/// dead endpoint still pauses the run the same morning.
pub const DEFAULT_PATIENCE_MS: u64 = 10 * 60 * 1000;

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { base_delay_ms: 500, max_delay_ms: 30_000, patience_ms: DEFAULT_PATIENCE_MS }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt, after `attempts_made` attempts of one call ended with
    /// `error`, or `None` when retrying cannot help.
    ///
    /// The wait is drawn from [ceiling/2, ceiling] (ceiling = base × 2^(attempts−1), capped):
    /// jitter spreads retries from many calls apart, and the floor keeps them from hammering a
    /// struggling server. A server's Retry-After is honoured (capped at the largest wait).
    pub fn next_delay(
        &self,
        attempts_made: u32,
        error: &ProviderError,
        rng: &mut Rng,
    ) -> Option<u64> {
        if !error.is_retryable() {
            return None;
        }
        let exponent = attempts_made.saturating_sub(1).min(20);
        let ceiling = self.base_delay_ms.saturating_mul(1 << exponent).min(self.max_delay_ms);
        let half = ceiling / 2;
        let spread = usize::try_from(ceiling - half).unwrap_or(usize::MAX).saturating_add(1);
        let jittered = half + rng.below(spread) as u64;
        Some(match error.retry_after_ms {
            Some(asked) => asked.min(self.max_delay_ms).max(jittered / 4),
            None => jittered,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn backoff_grows_is_capped_and_never_gives_up_by_count() {
        let policy = RetryPolicy { base_delay_ms: 100, max_delay_ms: 1000, patience_ms: 0 };
        let mut rng = Rng::from_seed(1);
        let server = ProviderError::new(ErrorKind::Server, "");
        for attempt in 1..40 {
            let d = policy.next_delay(attempt, &server, &mut rng).unwrap();
            let ceiling = (100u64 << (attempt - 1).min(20)).min(1000);
            assert!(d <= ceiling && d >= ceiling / 2, "attempt {attempt}: {d} vs {ceiling}");
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let policy = RetryPolicy::default();
        let mut rng = Rng::from_seed(2);
        let mut limited = ProviderError::new(ErrorKind::RateLimited, "");
        limited.retry_after_ms = Some(7000);
        assert_eq!(policy.next_delay(1, &limited, &mut rng), Some(7000));
        limited.retry_after_ms = Some(10_000_000);
        assert_eq!(policy.next_delay(1, &limited, &mut rng), Some(policy.max_delay_ms));
    }

    #[test]
    fn causes_a_retry_cannot_fix_are_never_retried() {
        let policy = RetryPolicy::default();
        let mut rng = Rng::from_seed(3);
        for kind in [
            ErrorKind::Auth,
            ErrorKind::NotFound,
            ErrorKind::BadContent,
            ErrorKind::BadRequest,
            ErrorKind::Payment,
            ErrorKind::Blocked,
            ErrorKind::Cancelled,
        ] {
            assert_eq!(
                policy.next_delay(1, &ProviderError::new(kind, ""), &mut rng),
                None,
                "{kind:?}"
            );
        }
        for kind in [
            ErrorKind::RateLimited,
            ErrorKind::Server,
            ErrorKind::Timeout,
            ErrorKind::Network,
            ErrorKind::Malformed,
        ] {
            assert!(policy.next_delay(1, &ProviderError::new(kind, ""), &mut rng).is_some());
        }
    }

    #[test]
    fn jitter_is_seeded() {
        let policy = RetryPolicy::default();
        let e = ProviderError::new(ErrorKind::Server, "");
        let draw = |seed| {
            let mut r = Rng::from_seed(seed);
            (1..6).map(|n| policy.next_delay(n, &e, &mut r)).collect::<Vec<_>>()
        };
        assert_eq!(draw(9), draw(9));
        assert_ne!(draw(9), draw(10));
    }
}
