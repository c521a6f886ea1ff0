//! Per-endpoint concurrency limiting as a pure state machine (the call machine keeps one per
//! endpoint).
//!
//! At most `limit` calls are in flight. A rate-limit reply pauses the whole endpoint until the
//! server's Retry-After (or an exponential backoff) has passed and halves the effective limit;
//! successes then raise it back one step at a time. So a 429 storm slows every caller down
//! instead of letting each one hammer the endpoint on its own schedule.
//!
//! A storm is one congestion event however many calls it hits: with 256 calls in flight, the
//! 429s of calls that were already out when the limit was cut (or that arrive while the endpoint
//! is backing off) do not cut it again, so concurrency halves once per storm rather than
//! collapsing to one.

use serde::{Deserialize, Serialize};

/// Whether a call may start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// Go ahead; call [`Limiter::start`], then [`Limiter::finish`] when the call ends.
    Go,
    /// The endpoint is backing off until this time (ms).
    WaitUntil(u64),
    /// Every slot is taken: wait until a call finishes.
    WaitForSlot,
}

/// How a call ended, as far as the limiter cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Any reply that was not a rate limit (success or other error).
    Done,
    /// 429 / overloaded; with the server's requested wait, if any.
    RateLimited {
        /// Requested wait in ms.
        retry_after_ms: Option<u64>,
    },
}

/// A snapshot of one endpoint's concurrency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimiterState {
    /// Calls running now.
    pub in_flight: usize,
    /// The current effective limit (below the configured one after rate limits).
    pub effective_limit: usize,
    /// The configured limit.
    pub limit: usize,
    /// When the endpoint may be called again, if it is backing off.
    pub backing_off_until_ms: Option<u64>,
}

/// The limiter for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limiter {
    limit: usize,
    effective: usize,
    in_flight: usize,
    backoff_until: Option<u64>,
    consecutive_limits: u32,
    successes_since_cut: usize,
    /// Calls that were in flight at the last cut and have not ended yet: their rate limits
    /// belong to the storm that caused that cut.
    out_at_cut: usize,
    peak_in_flight: usize,
}

const BASE_BACKOFF_MS: u64 = 1_000;
const MAX_BACKOFF_MS: u64 = 60_000;

impl Limiter {
    /// A limiter allowing `limit` concurrent calls (at least 1).
    #[must_use]
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        Limiter {
            limit,
            effective: limit,
            in_flight: 0,
            backoff_until: None,
            consecutive_limits: 0,
            successes_since_cut: 0,
            out_at_cut: 0,
            peak_in_flight: 0,
        }
    }

    /// Whether a call may start at `now_ms`.
    #[must_use]
    pub fn permit(&self, now_ms: u64) -> Permit {
        match self.backoff_until {
            Some(until) if now_ms < until => Permit::WaitUntil(until),
            _ if self.in_flight >= self.effective => Permit::WaitForSlot,
            _ => Permit::Go,
        }
    }

    /// A call starts (after [`Permit::Go`]).
    pub fn start(&mut self, now_ms: u64) {
        self.backoff_until = self.backoff_until.filter(|until| now_ms < *until);
        self.in_flight += 1;
        self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
    }

    /// A started call ended at `now_ms`.
    pub fn finish(&mut self, outcome: Outcome, now_ms: u64) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let same_storm = self.out_at_cut > 0 || self.backing_off_until(now_ms).is_some();
        self.out_at_cut = self.out_at_cut.saturating_sub(1);
        match outcome {
            Outcome::Done => {
                self.consecutive_limits = 0;
                self.successes_since_cut += 1;
                // Additive increase: one more slot per `effective` successes.
                if self.effective < self.limit && self.successes_since_cut >= self.effective {
                    self.effective += 1;
                    self.successes_since_cut = 0;
                }
            }
            Outcome::RateLimited { retry_after_ms } => {
                self.successes_since_cut = 0;
                if !same_storm {
                    self.consecutive_limits += 1;
                    self.effective = (self.effective / 2).max(1);
                    self.out_at_cut = self.in_flight;
                }
                let exponential = BASE_BACKOFF_MS
                    .saturating_mul(1 << self.consecutive_limits.min(6).saturating_sub(1));
                let wait = retry_after_ms.unwrap_or(exponential).min(MAX_BACKOFF_MS);
                let until = now_ms + wait;
                self.backoff_until = Some(self.backoff_until.map_or(until, |u| u.max(until)));
            }
        }
    }

    /// A call that started was abandoned (cancelled): frees its slot without learning anything.
    pub fn abandon(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.out_at_cut = self.out_at_cut.saturating_sub(1);
    }

    /// When the endpoint may be called again, if it is backing off at `now_ms`.
    #[must_use]
    pub fn backing_off_until(&self, now_ms: u64) -> Option<u64> {
        self.backoff_until.filter(|until| now_ms < *until)
    }

    /// What the UI shows.
    #[must_use]
    pub fn state(&self, now_ms: u64) -> LimiterState {
        LimiterState {
            in_flight: self.in_flight,
            effective_limit: self.effective,
            limit: self.limit,
            backing_off_until_ms: self.backing_off_until(now_ms),
        }
    }

    /// The most calls ever in flight at once.
    #[must_use]
    pub fn peak_in_flight(&self) -> usize {
        self.peak_in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start_all(limiter: &mut Limiter, n: usize, now: u64) -> usize {
        let mut started = 0;
        for _ in 0..n {
            if limiter.permit(now) == Permit::Go {
                limiter.start(now);
                started += 1;
            }
        }
        started
    }

    #[test]
    fn never_more_than_the_limit_in_flight() {
        let mut limiter = Limiter::new(4);
        assert_eq!(start_all(&mut limiter, 8, 0), 4);
        assert_eq!(limiter.permit(0), Permit::WaitForSlot);
        limiter.finish(Outcome::Done, 1);
        assert_eq!(limiter.permit(1), Permit::Go);
        limiter.start(1);
        assert_eq!(
            limiter.state(1),
            LimiterState { in_flight: 4, effective_limit: 4, limit: 4, backing_off_until_ms: None }
        );
        assert_eq!(limiter.peak_in_flight(), 4);
    }

    #[test]
    fn a_rate_limit_pauses_the_endpoint_and_halves_concurrency() {
        let mut limiter = Limiter::new(4);
        assert_eq!(start_all(&mut limiter, 4, 0), 4);
        limiter.finish(Outcome::RateLimited { retry_after_ms: Some(2_000) }, 100);
        assert_eq!(limiter.permit(500), Permit::WaitUntil(2_100));
        assert_eq!(limiter.state(500).backing_off_until_ms, Some(2_100));
        assert_eq!(limiter.state(500).effective_limit, 2);
        // Three calls are still running, above the new limit of 2: no new call may start.
        assert_eq!(limiter.permit(2_100), Permit::WaitForSlot);
        limiter.finish(Outcome::Done, 2_200);
        assert_eq!(limiter.permit(2_200), Permit::WaitForSlot, "2 still running, limit 2");
        limiter.finish(Outcome::Done, 2_300);
        assert_eq!(limiter.permit(2_300), Permit::Go);
    }

    #[test]
    fn repeated_rate_limits_back_off_exponentially_without_a_retry_after() {
        let mut limiter = Limiter::new(2);
        let mut now = 0;
        let mut waits = Vec::new();
        for _ in 0..3 {
            assert_eq!(limiter.permit(now), Permit::Go);
            limiter.start(now);
            limiter.finish(Outcome::RateLimited { retry_after_ms: None }, now);
            let Permit::WaitUntil(until) = limiter.permit(now) else { panic!("should wait") };
            waits.push(until - now);
            now = until;
        }
        assert_eq!(waits, [1_000, 2_000, 4_000]);
    }

    #[test]
    fn successes_restore_concurrency_gradually_and_abandoned_calls_free_their_slot() {
        let mut limiter = Limiter::new(4);
        limiter.start(0);
        limiter.finish(Outcome::RateLimited { retry_after_ms: Some(0) }, 0);
        assert_eq!(limiter.state(0).effective_limit, 2);
        for _ in 0..2 {
            limiter.start(1);
            limiter.finish(Outcome::Done, 1);
        }
        assert_eq!(limiter.state(1).effective_limit, 3);
        for _ in 0..3 {
            limiter.start(1);
            limiter.finish(Outcome::Done, 1);
        }
        assert_eq!(limiter.state(1).effective_limit, 4);
        limiter.start(2);
        limiter.abandon();
        assert_eq!(limiter.state(2).in_flight, 0);
    }

    #[test]
    fn a_storm_of_rate_limits_over_many_calls_in_flight_halves_the_limit_once() {
        let mut limiter = Limiter::new(256);
        assert_eq!(start_all(&mut limiter, 256, 0), 256);
        // The server takes 64 at once: the other 192 come back 429, one after another.
        for i in 0..192 {
            limiter.finish(Outcome::RateLimited { retry_after_ms: Some(0) }, 10 + i);
        }
        assert_eq!(limiter.state(300).effective_limit, 128, "one storm, one cut");
        for _ in 0..64 {
            limiter.finish(Outcome::Done, 300);
        }
        // A new storm among calls sent after the cut cuts again, and backs off from its start.
        assert_eq!(start_all(&mut limiter, 128, 400), 128);
        limiter.finish(Outcome::RateLimited { retry_after_ms: None }, 500);
        limiter.finish(Outcome::RateLimited { retry_after_ms: None }, 510);
        assert_eq!(limiter.state(600).effective_limit, 64);
        assert_eq!(limiter.permit(600), Permit::WaitUntil(1_510), "1 s, not 2 s: one event");
    }
}
