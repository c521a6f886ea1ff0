//! The messages between the page and the engine worker. The page never holds an `Engine`: it
//! sends these and folds what comes back into an [`crate::state::engine_mirror::EngineMirror`].
//! Both sides are plain serde values, sent through `postMessage` as JSON text; the host that
//! answers them is [`super::host::Host`], tested natively.

use gepa_core::engine::{FlightView, PoolEntry, Spend};
use gepa_core::{Candidate, Command, Event, Example, Reply, Request, RunSetup, Status};
use gepa_share::metric_form::MetricForm;
use serde::{Deserialize, Serialize};

/// The page's name for one engine in the worker (a run, or one held-out evaluation).
pub type EngineId = u32;

/// From the page to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToHost {
    /// A new run of `setup`; `extra` programs are queued as starting candidates beside the seed,
    /// then `command` (resume, step or pause) is applied.
    Start {
        engine: EngineId,
        setup: Box<RunSetup>,
        extra: Vec<Candidate>,
        command: Command,
        now: u64,
    },
    /// A saved run (`Engine::save` text), then `command`.
    Restore { engine: EngineId, state: String, command: Command, now: u64 },
    /// Scores `candidate` on `test` on its own ledger (`Engine::evaluation`).
    Evaluate {
        engine: EngineId,
        setup: Box<RunSetup>,
        candidate: Candidate,
        test: Vec<Example>,
        now: u64,
    },
    /// A command (pause, resume, step, stop, steer).
    Command { engine: EngineId, command: Command, now: u64 },
    /// Replies to the engine's requests, by request id.
    Replies { engine: EngineId, replies: Vec<(u64, Reply)>, now: u64 },
    /// Forget an engine (a new run replaced it).
    Drop { engine: EngineId },
    /// "Try it on a row" and the compile check of a custom script: scores `output` against
    /// `example` with the metric as the form describes it.
    TryMetric { ticket: u32, metric: Box<MetricForm>, example: Box<Example>, output: String },
}

/// From the worker to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromHost {
    /// The worker is listening (sent once, when it has started).
    Ready,
    /// What changed in one engine.
    Update(Box<Update>),
    /// An engine could not be made (setup, saved state or evaluation refused).
    Failed { engine: EngineId, error: String },
    /// The answer to [`ToHost::TryMetric`]: a score line, or why the metric cannot score.
    Tried { ticket: u32, result: Result<String, String> },
}

/// What one engine did since its last update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Update {
    /// Which engine.
    pub engine: EngineId,
    /// Requests to send.
    pub requests: Vec<Request>,
    /// New events, in order.
    pub events: Vec<Event>,
    /// Counters after them.
    pub snapshot: Snapshot,
    /// Candidates admitted since the last update (pool entries never change once admitted).
    pub admitted: Vec<PoolEntry>,
    /// The engine's saved state (`Engine::save`) after these events, when they hold a save
    /// point or the status changed: what a run file is written from.
    pub state: Option<String>,
}

/// An engine's counters after an update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Rollouts charged.
    pub rollouts: u64,
    /// Iterations finished.
    pub iterations: u64,
    /// Tokens and cost by role.
    pub spend: Spend,
    /// Active milliseconds.
    pub active_ms: u64,
    /// Running, paused or finished.
    pub status: Status,
    /// Iterations in flight, oldest first.
    pub in_flight: Vec<FlightView>,
    /// Pool index of the best candidate.
    pub best: Option<usize>,
}
