//! One endpoint as the call machine sees it: its concurrency limiter, the calls waiting for a
//! slot, and how long it has been failing.

use std::collections::VecDeque;

use crate::error::ProviderError;
use crate::limiter::{Limiter, Permit};

use super::CallId;

/// An endpoint (one base URL, whatever roles it serves).
#[derive(Debug, Clone)]
pub(super) struct Lane {
    pub(super) limiter: Limiter,
    /// Calls waiting for a slot with their rank: lowest rank first, then oldest first.
    pub(super) queue: VecDeque<(u64, CallId)>,
    /// When the current run of failures began (no good reply since); `None` while healthy.
    pub(super) failing_since: Option<u64>,
    /// The last transient failure, for display.
    pub(super) last_error: Option<String>,
    /// Transient failures seen (each one retried or, past patience, given up).
    pub(super) faults: u64,
    /// Retries scheduled.
    pub(super) retries: u64,
    /// A call here failed in a way that pauses the run (refused, or given up): nothing more
    /// starts until the run resumes ([`super::CallMachine::forgive`]), so a wrong key costs one
    /// refused call, not one per slot, whatever the engine is still doing.
    pub(super) held: bool,
}

impl Lane {
    pub(super) fn new(concurrency: usize) -> Lane {
        Lane {
            limiter: Limiter::new(concurrency),
            queue: VecDeque::new(),
            failing_since: None,
            last_error: None,
            faults: 0,
            retries: 0,
            held: false,
        }
    }

    /// The next queued call that may start now, if any (the caller starts it).
    pub(super) fn next_to_start(&mut self, now_ms: u64) -> Option<CallId> {
        if self.held || self.queue.is_empty() || self.limiter.permit(now_ms) != Permit::Go {
            return None;
        }
        let (_, call) = self.queue.pop_front()?;
        self.limiter.start(now_ms);
        Some(call)
    }

    /// Queues `call` behind every call of the same or a lower rank.
    pub(super) fn push(&mut self, rank: u64, call: CallId) {
        let at = self.queue.partition_point(|(r, _)| *r <= rank);
        self.queue.insert(at, (rank, call));
    }

    /// A good reply arrived: the endpoint is healthy again.
    pub(super) fn succeeded(&mut self) {
        self.failing_since = None;
        self.last_error = None;
    }

    /// A transient failure at `now_ms`; returns how long the endpoint has been failing.
    pub(super) fn failed(&mut self, now_ms: u64, error: &ProviderError) -> u64 {
        self.faults += 1;
        self.last_error = Some(error.to_string());
        let since = *self.failing_since.get_or_insert(now_ms);
        now_ms.saturating_sub(since)
    }

    /// When the endpoint next lets a queued call start because a backoff ends, if it is waiting
    /// for one.
    pub(super) fn wake_at(&self, now_ms: u64) -> Option<u64> {
        if self.held || self.queue.is_empty() {
            return None;
        }
        match self.limiter.permit(now_ms) {
            Permit::WaitUntil(until) => Some(until),
            Permit::Go | Permit::WaitForSlot => None,
        }
    }
}
