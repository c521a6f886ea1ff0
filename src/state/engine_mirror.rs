//! What the page knows of an engine that runs in the worker: its counters, its admitted
//! candidates and its last saved state, folded from the worker's updates. The views, the
//! autosave and the held-out comparison read this instead of an `Engine`.

use gepa_core::engine::PoolEntry;
use gepa_core::{Candidate, Status};

use crate::worker::protocol::{Snapshot, Update};

/// One engine as the page sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineMirror {
    /// The rollout budget (from the run's setup).
    pub budget: Option<u64>,
    /// Counters after the last update.
    pub snapshot: Snapshot,
    /// Admitted candidates, in pool order.
    pub pool: Vec<PoolEntry>,
    /// The last saved state and how many of the run's events it includes.
    pub saved: Option<(String, usize)>,
    /// Events seen so far (those the run had before it was opened included).
    events: usize,
}

impl EngineMirror {
    /// An engine that has not reported yet, for a run that had `events` events before.
    #[must_use]
    pub fn new(budget: Option<u64>, events: usize) -> EngineMirror {
        EngineMirror {
            budget,
            snapshot: Snapshot {
                rollouts: 0,
                iterations: 0,
                spend: gepa_core::engine::Spend::default(),
                active_ms: 0,
                status: Status::Running,
                in_flight: Vec::new(),
                best: None,
            },
            pool: Vec::new(),
            saved: None,
            events,
        }
    }

    /// Folds one update in (its requests and events are the caller's).
    pub fn apply(&mut self, update: &mut Update) {
        self.events += update.events.len();
        self.pool.append(&mut update.admitted);
        self.snapshot = update.snapshot.clone();
        if let Some(state) = update.state.take() {
            self.saved = Some((state, self.events));
        }
    }

    /// The best candidate's program.
    #[must_use]
    pub fn best_candidate(&self) -> Option<Candidate> {
        self.pool.get(self.snapshot.best?).map(|entry| entry.candidate.clone())
    }

    /// True once the engine has finished.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        matches!(self.snapshot.status, Status::Finished { .. })
    }

    /// True while it runs (it sends nothing new when paused or finished).
    #[must_use]
    pub fn is_running(&self) -> bool {
        matches!(self.snapshot.status, Status::Running)
    }
}
