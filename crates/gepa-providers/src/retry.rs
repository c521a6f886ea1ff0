//! When to try a failed call again: exponential backoff with seeded full jitter, honouring the
//! server's Retry-After, bounded attempts, and never for errors retrying cannot fix.

use gepa_core::Rng;
use serde::{Deserialize, Serialize};

use crate::error::ProviderError;

/// Retry settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 = never retry).
    pub max_attempts: u32,
    /// Backoff ceiling for the first retry, in ms; doubles per attempt.
    pub base_delay_ms: u64,
    /// Largest wait, in ms (also caps a server's Retry-After).
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 5, base_delay_ms: 500, max_delay_ms: 60_000 }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt, after `attempts_made` attempts ended with `error`, or
    /// `None` to give up.
    pub fn next_delay(
        &self,
        attempts_made: u32,
        error: &ProviderError,
        rng: &mut Rng,
    ) -> Option<u64> {
        if !error.is_retryable() || attempts_made >= self.max_attempts {
            return None;
        }
        let exponent = attempts_made.saturating_sub(1).min(20);
        let ceiling = self.base_delay_ms.saturating_mul(1 << exponent).min(self.max_delay_ms);
        // Full jitter spreads retries from many requests so they do not arrive together.
        let jitter =
            rng.below(usize::try_from(ceiling).unwrap_or(usize::MAX).saturating_add(1)) as u64;
        Some(match error.retry_after_ms {
            Some(asked) => asked.min(self.max_delay_ms).max(jitter / 4),
            None => jitter,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn backoff_grows_is_bounded_and_stops() {
        let policy = RetryPolicy { max_attempts: 4, base_delay_ms: 100, max_delay_ms: 1000 };
        let mut rng = Rng::from_seed(1);
        let server = ProviderError::new(ErrorKind::Server, "");
        for attempt in 1..4 {
            let d = policy.next_delay(attempt, &server, &mut rng).unwrap();
            assert!(d <= 100 * (1 << (attempt - 1)), "attempt {attempt}: {d}");
        }
        assert_eq!(policy.next_delay(4, &server, &mut rng), None, "bounded attempts");
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
    fn auth_and_not_found_are_never_retried() {
        let policy = RetryPolicy::default();
        let mut rng = Rng::from_seed(3);
        for kind in [
            ErrorKind::Auth,
            ErrorKind::NotFound,
            ErrorKind::BadContent,
            ErrorKind::BadRequest,
            ErrorKind::Payment,
        ] {
            assert_eq!(
                policy.next_delay(1, &ProviderError::new(kind, ""), &mut rng),
                None,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn jitter_is_seeded() {
        let policy = RetryPolicy::default();
        let e = ProviderError::new(ErrorKind::Server, "");
        let a: Vec<_> = {
            let mut r = Rng::from_seed(9);
            (1..4).map(|n| policy.next_delay(n, &e, &mut r)).collect()
        };
        let b: Vec<_> = {
            let mut r = Rng::from_seed(9);
            (1..4).map(|n| policy.next_delay(n, &e, &mut r)).collect()
        };
        assert_eq!(a, b);
    }
}
