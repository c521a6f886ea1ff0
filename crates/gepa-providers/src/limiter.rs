//! Per-endpoint concurrency limiting as a pure state machine, shared by both transports.
//!
//! At most `limit` calls are in flight. A rate-limit reply pauses the whole endpoint until the
//! server's Retry-After (or an exponential backoff) has passed and halves the effective limit;
//! successes then raise it back one step at a time. So a 429 storm slows every caller down
//! instead of letting each one hammer the endpoint on its own schedule.

use serde::{Deserialize, Serialize};

/// What a caller should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// Go ahead; call [`Limiter::finish`] when the call ends.
    Go,
    /// Wait until this time (ms) and ask again.
    WaitUntil(u64),
    /// Wait until another call finishes and ask again.
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

/// A snapshot for the UI: "3 in flight, 5 queued, backing off until …".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimiterState {
    /// Calls running now.
    pub in_flight: usize,
    /// Callers waiting for a permit.
    pub queued: usize,
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
    queued: usize,
    backoff_until: Option<u64>,
    consecutive_limits: u32,
    successes_since_cut: usize,
    peak_in_flight: usize,
}

const BASE_BACKOFF_MS: u64 = 1_000;
const MAX_BACKOFF_MS: u64 = 60_000;

impl Limiter {
    /// A limiter allowing `limit` concurrent calls (at least 1; the playground's default is 4).
    #[must_use]
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        Limiter {
            limit,
            effective: limit,
            in_flight: 0,
            queued: 0,
            backoff_until: None,
            consecutive_limits: 0,
            successes_since_cut: 0,
            peak_in_flight: 0,
        }
    }

    /// Asks to start a call at `now_ms`. A caller told to wait is counted as queued until it
    /// is given [`Permit::Go`] or calls [`Limiter::leave_queue`].
    pub fn acquire(&mut self, now_ms: u64, already_queued: bool) -> Permit {
        let permit = match self.backoff_until {
            Some(until) if now_ms < until => Permit::WaitUntil(until),
            _ if self.in_flight >= self.effective => Permit::WaitForSlot,
            _ => Permit::Go,
        };
        match (permit, already_queued) {
            (Permit::Go, true) => self.queued -= 1,
            (Permit::Go, false) => {}
            (_, false) => self.queued += 1,
            (_, true) => {}
        }
        if permit == Permit::Go {
            self.backoff_until = self.backoff_until.filter(|until| now_ms < *until);
            self.in_flight += 1;
            self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
        }
        permit
    }

    /// A queued caller gave up (cancelled).
    pub fn leave_queue(&mut self) {
        self.queued = self.queued.saturating_sub(1);
    }

    /// A call that was given [`Permit::Go`] ended at `now_ms`.
    pub fn finish(&mut self, outcome: Outcome, now_ms: u64) {
        self.in_flight = self.in_flight.saturating_sub(1);
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
                self.consecutive_limits += 1;
                self.successes_since_cut = 0;
                self.effective = (self.effective / 2).max(1);
                let exponential = BASE_BACKOFF_MS
                    .saturating_mul(1 << self.consecutive_limits.min(6).saturating_sub(1));
                let wait = retry_after_ms.unwrap_or(exponential).min(MAX_BACKOFF_MS);
                let until = now_ms + wait;
                self.backoff_until = Some(self.backoff_until.map_or(until, |u| u.max(until)));
            }
        }
    }

    /// What the UI shows.
    #[must_use]
    pub fn state(&self, now_ms: u64) -> LimiterState {
        LimiterState {
            in_flight: self.in_flight,
            queued: self.queued,
            effective_limit: self.effective,
            limit: self.limit,
            backing_off_until_ms: self.backoff_until.filter(|until| now_ms < *until),
        }
    }

    /// The most calls ever in flight at once (for tests and diagnostics).
    #[must_use]
    pub fn peak_in_flight(&self) -> usize {
        self.peak_in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_more_than_the_limit_in_flight() {
        let mut limiter = Limiter::new(4);
        let permits: Vec<Permit> = (0..8).map(|_| limiter.acquire(0, false)).collect();
        assert_eq!(permits.iter().filter(|p| **p == Permit::Go).count(), 4);
        assert_eq!(limiter.state(0).queued, 4);
        limiter.finish(Outcome::Done, 1);
        assert_eq!(limiter.acquire(1, true), Permit::Go);
        assert_eq!(
            limiter.state(1),
            LimiterState {
                in_flight: 4,
                queued: 3,
                effective_limit: 4,
                limit: 4,
                backing_off_until_ms: None
            }
        );
        assert_eq!(limiter.peak_in_flight(), 4);
    }

    #[test]
    fn a_rate_limit_pauses_the_endpoint_and_halves_concurrency() {
        let mut limiter = Limiter::new(4);
        for _ in 0..4 {
            assert_eq!(limiter.acquire(0, false), Permit::Go);
        }
        limiter.finish(Outcome::RateLimited { retry_after_ms: Some(2_000) }, 100);
        assert_eq!(limiter.acquire(500, false), Permit::WaitUntil(2_100));
        assert_eq!(limiter.state(500).backing_off_until_ms, Some(2_100));
        assert_eq!(limiter.state(500).effective_limit, 2);
        // Three calls are still running, above the new limit of 2: no new call may start.
        assert_eq!(limiter.acquire(2_100, true), Permit::WaitForSlot);
        limiter.finish(Outcome::Done, 2_200);
        assert_eq!(limiter.acquire(2_200, true), Permit::WaitForSlot, "2 still running, limit 2");
        limiter.finish(Outcome::Done, 2_300);
        assert_eq!(limiter.acquire(2_300, true), Permit::Go);
    }

    #[test]
    fn repeated_rate_limits_back_off_exponentially_without_a_retry_after() {
        let mut limiter = Limiter::new(2);
        let mut now = 0;
        let mut waits = Vec::new();
        for _ in 0..3 {
            assert_eq!(limiter.acquire(now, false), Permit::Go);
            limiter.finish(Outcome::RateLimited { retry_after_ms: None }, now);
            let Permit::WaitUntil(until) = limiter.acquire(now, false) else {
                panic!("should wait")
            };
            limiter.leave_queue();
            waits.push(until - now);
            now = until;
        }
        assert_eq!(waits, [1_000, 2_000, 4_000]);
    }

    #[test]
    fn successes_restore_concurrency_gradually() {
        let mut limiter = Limiter::new(4);
        limiter.acquire(0, false);
        limiter.finish(Outcome::RateLimited { retry_after_ms: Some(0) }, 0);
        assert_eq!(limiter.state(0).effective_limit, 2);
        for _ in 0..2 {
            limiter.acquire(1, false);
            limiter.finish(Outcome::Done, 1);
        }
        assert_eq!(limiter.state(1).effective_limit, 3);
        for _ in 0..3 {
            limiter.acquire(1, false);
            limiter.finish(Outcome::Done, 1);
        }
        assert_eq!(limiter.state(1).effective_limit, 4);
    }
}
