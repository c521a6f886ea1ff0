//! The engine: a serialisable state machine that emits model requests and consumes replies.
//!
//! Drive it with [`Engine::take_requests`] (requests to send now) and [`Engine::handle_reply`]
//! (one reply, in any order), read what happened with [`Engine::drain_events`], and steer it with
//! [`Engine::command`]. Every call takes the current time in milliseconds; the engine never reads
//! a clock. [`Engine::save`] and [`Engine::restore`] persist the complete state between any two
//! calls; after a restore, requests that were in flight are handed out again.

mod batch;
mod commit;
mod flight;
mod legacy;
mod plan;
mod pool;
mod proposals;
mod rebasing;
mod reflecting;
mod rollouts;
mod schedule;
mod speculation;
mod stages;
mod steering;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use batch::RolloutResult;
pub use flight::FlightView;
pub use pool::PoolEntry;

use crate::STATE_FORMAT_VERSION;
use crate::candidate::Candidate;
use crate::config::RunConfig;
use crate::data::{Dataset, Split};
use crate::events::{Event, StopReason};
use crate::frontier::ParetoFront;
use crate::metric::MetricSpec;
use crate::program::Program;
use crate::request::{FailureKind, ModelRole, Reply, Request, Usage};
use crate::rng::Rng;
use crate::sampler::EpochSampler;
use batch::Batch;
use flight::{Flight, FlightKind, HumanCandidate, Owner};

/// Everything needed to start a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSetup {
    /// Engine options.
    pub config: RunConfig,
    /// How a candidate becomes model calls.
    pub program: Program,
    /// The seed candidate.
    pub seed: Candidate,
    /// Train and validation examples.
    pub data: Dataset,
    /// How outputs are scored.
    pub metric: MetricSpec,
}

/// A setup the engine cannot run, with what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError(pub String);

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

/// A saved run that cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreError(pub String);

impl std::fmt::Display for RestoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RestoreError {}

/// Where the run is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Working (or waiting for replies).
    Running,
    /// Paused by the user or by an endpoint failure; `reason` says which.
    Paused {
        /// Why.
        reason: String,
    },
    /// Done.
    Finished {
        /// Why it stopped.
        reason: StopReason,
    },
}

/// Something the user asks of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Stop handing out requests (replies still in flight are still taken).
    Pause,
    /// Continue; requests that failed for transport reasons are sent again.
    Resume,
    /// End the run now; requests in flight are abandoned and their replies ignored.
    Stop,
    /// Run until the current (or, when paused between iterations, the next) iteration ends,
    /// then pause. Resumes a paused run.
    Step,
    /// Add a hand-written or edited candidate: it is scored on the validation set (charged to
    /// the budget) at the next iteration boundary and marked as human-made.
    AddCandidate {
        /// The program (must have the seed's components).
        program: Candidate,
        /// The candidate it was edited from, if any.
        parent: Option<usize>,
    },
    /// A note added to the next reflection on this candidate.
    Feedback {
        /// Pool index.
        candidate: usize,
        /// The note.
        note: String,
    },
    /// Make this candidate the parent of the next proposal.
    Pin {
        /// Pool index.
        candidate: usize,
    },
    /// Take the pin off the pinned candidate before it is used.
    Unpin,
    /// Exclude a candidate from (or return it to) parent selection.
    Exclude {
        /// Pool index.
        candidate: usize,
        /// True to exclude, false to include again.
        excluded: bool,
    },
}

/// Tokens and cost per model role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Spend {
    /// Task-model calls.
    pub task: Usage,
    /// Reflection-model calls.
    pub reflection: Usage,
    /// Judge-model calls.
    pub judge: Usage,
    /// Number of calls per role: task, reflection, judge.
    pub calls: [u64; 3],
}

impl Spend {
    fn add(&mut self, role: ModelRole, usage: &Usage) {
        let (slot, n) = match role {
            ModelRole::Task => (&mut self.task, 0),
            ModelRole::Reflection => (&mut self.reflection, 1),
            ModelRole::Judge => (&mut self.judge, 2),
        };
        slot.add(usage);
        self.calls[n] += 1;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum PendingTarget {
    Rollout {
        /// Whose batch (absent in states saved before pipelining: the only batch there was).
        #[serde(default)]
        owner: Option<Owner>,
        index: usize,
        judge: bool,
    },
    Reflection {
        /// The flight's planning sequence number (absent in states saved before pipelining).
        #[serde(default)]
        iteration: Option<u64>,
        job: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Pending {
    request: Request,
    target: PendingTarget,
}

/// Where the run as a whole is; iterations in flight keep their own stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
enum Phase {
    NotStarted,
    Seed {
        batch: Batch,
    },
    /// Iterations are planned, run in flight and committed in order.
    Running,
    Finished {
        reason: StopReason,
    },
    /// A phase of a state saved before pipelining (format version 1), converted on restore.
    #[serde(untagged)]
    Legacy(Box<legacy::LegacyPhase>),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Clock {
    last_ms: Option<u64>,
    active_ms: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Steering {
    pinned: Option<usize>,
    excluded: BTreeSet<usize>,
    notes: BTreeMap<usize, String>,
    queued: Vec<HumanCandidate>,
    /// Every steering command, with the iteration count when it arrived (for replay).
    log: Vec<(u64, Command)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct MergeState {
    due: usize,
    accepted: usize,
    last_iteration_admitted: bool,
    tried_triples: BTreeSet<(usize, usize, usize)>,
    produced: BTreeSet<String>,
}

/// The GEPA optimizer as a state machine. See the module docs for how to drive it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Engine {
    setup: RunSetup,
    rng: Rng,
    sampler: EpochSampler,
    pool: Vec<PoolEntry>,
    front: ParetoFront,
    ledger: u64,
    iterations: u64,
    phase: Phase,
    next_request_id: u64,
    pending: BTreeMap<u64, Pending>,
    outbox: BTreeSet<u64>,
    retry: BTreeSet<u64>,
    paused: Option<String>,
    cache: BTreeMap<String, RolloutResult>,
    spend: Spend,
    clock: Clock,
    best_seen: Option<f64>,
    iterations_without_improvement: u32,
    merge: MergeState,
    steering: Steering,
    /// Pause when the current iteration ends (set by [`Command::Step`]).
    #[serde(default)]
    pause_after_iteration: bool,
    /// Iterations in flight, oldest first; only the oldest commits.
    #[serde(default)]
    flights: Vec<Flight>,
    /// Rollouts charged by the seed and by committed iterations (the ledger as the ordered event
    /// stream tells it).
    #[serde(default)]
    committed_ledger: u64,
    /// Iterations committed so far (the epoch of cache entries they wrote).
    #[serde(default)]
    commits: u64,
    /// The commit after which each evaluation-cache entry became visible (absent: from the start).
    #[serde(default)]
    cache_epochs: BTreeMap<String, u64>,
    /// Children granted a validation pass, by iteration, not yet known to every flight's pool
    /// view (so a later flight's duplicate is caught before its validation).
    #[serde(default)]
    granted: Vec<(u64, Candidate)>,
    /// The children each flight put on its minibatch, by planning sequence number (with its
    /// iteration), kept while a flight planned alongside it may still propose the same.
    #[serde(default)]
    proposed: BTreeMap<u64, (u64, Vec<Candidate>)>,
    /// The parent of each of those children, in the same order.
    #[serde(default)]
    proposed_parents: BTreeMap<u64, Vec<usize>>,
    /// The children each flight was granted validation for, by planning sequence number (with
    /// its iteration), each with the parent it improves: what flights planned alongside it on
    /// the same parent build on.
    #[serde(default)]
    granted_on: BTreeMap<u64, (u64, Vec<(usize, Candidate)>)>,
    /// Requests sent whose answer is no longer wanted (a reflection made ahead on a version
    /// that lost), with their role: their replies only count in the spend.
    #[serde(default)]
    set_aside: BTreeMap<u64, ModelRole>,
    /// A stop condition fired: no new iterations, and the run finishes once those in flight are
    /// committed.
    #[serde(default)]
    draining: Option<StopReason>,
    /// The next flight's planning sequence number.
    #[serde(default)]
    next_seq: u64,
    /// The seed's round robin of components while iterations planned beside its validation
    /// pick from it (it has no pool entry yet).
    #[serde(default)]
    seed_next_component: usize,
    /// Consecutive committed iterations that charged no rollout.
    #[serde(default)]
    free_iterations: u32,
    #[serde(skip)]
    events: Vec<Event>,
}

#[derive(Serialize, Deserialize)]
struct SavedRun {
    format: String,
    version: u32,
    engine: Engine,
}

const SAVE_FORMAT: &str = "gepa-playground-run-state";

/// The rank of the seed's validation calls: after the first iteration's (rank 1), level with
/// the second's, which are issued after them.
const SEED_RANK: u64 = 2;

impl Engine {
    /// A new run. Nothing happens until the first [`Engine::take_requests`].
    ///
    /// # Errors
    /// When the setup cannot run; the message says what to fix.
    pub fn new(setup: RunSetup) -> Result<Engine, SetupError> {
        validate_setup(&setup).map_err(SetupError)?;
        let rng = Rng::from_seed(setup.config.seed);
        let sampler = EpochSampler::new(setup.config.minibatch_size);
        let front = ParetoFront::new(setup.config.frontier);
        Ok(Engine {
            setup,
            rng,
            sampler,
            pool: Vec::new(),
            front,
            ledger: 0,
            iterations: 0,
            phase: Phase::NotStarted,
            next_request_id: 1,
            pending: BTreeMap::new(),
            outbox: BTreeSet::new(),
            retry: BTreeSet::new(),
            paused: None,
            cache: BTreeMap::new(),
            spend: Spend::default(),
            clock: Clock::default(),
            best_seen: None,
            iterations_without_improvement: 0,
            merge: MergeState::default(),
            steering: Steering::default(),
            pause_after_iteration: false,
            flights: Vec::new(),
            committed_ledger: 0,
            commits: 0,
            cache_epochs: BTreeMap::new(),
            granted: Vec::new(),
            proposed: BTreeMap::new(),
            proposed_parents: BTreeMap::new(),
            granted_on: BTreeMap::new(),
            set_aside: BTreeMap::new(),
            draining: None,
            next_seq: 0,
            seed_next_component: 0,
            free_iterations: 0,
            events: Vec::new(),
        })
    }

    /// A separate run that only scores `candidate` on `examples`, such as the held-out test
    /// set: the same program, metric and options as `setup`, no proposals, and its own ledger,
    /// so its rollouts are never charged to the optimisation run. It finishes with
    /// [`StopReason::MaxIterations`] once the candidate is scored; read the scores from
    /// `pool()[0]`.
    ///
    /// # Errors
    /// When `examples` is empty or the candidate does not fit the program.
    pub fn evaluation(
        setup: &RunSetup,
        candidate: Candidate,
        examples: Vec<crate::data::Example>,
    ) -> Result<Engine, SetupError> {
        if examples.is_empty() {
            return Err(SetupError("there are no examples to evaluate on".into()));
        }
        let mut config = setup.config.clone();
        config.stop =
            crate::config::StopConditions { max_iterations: Some(0), ..Default::default() };
        config.budget_mode = crate::config::BudgetMode::Reference;
        Engine::new(RunSetup {
            config,
            program: setup.program.clone(),
            seed: candidate,
            data: Dataset { train: examples, val: Vec::new() },
            metric: setup.metric.clone(),
        })
    }

    /// Requests to send now (none while paused or finished). Each is handed out once; answer
    /// each with [`Engine::handle_reply`].
    pub fn take_requests(&mut self, now_ms: u64) -> Vec<Request> {
        self.tick(now_ms);
        if self.paused.is_some() || self.is_finished() {
            return Vec::new();
        }
        self.advance();
        let ids = std::mem::take(&mut self.outbox);
        ids.into_iter().filter_map(|id| self.pending.get(&id).map(|p| p.request.clone())).collect()
    }

    /// Feeds one reply. Unknown or stale ids (for example replies to a stopped run) are ignored.
    pub fn handle_reply(&mut self, id: u64, reply: Reply, now_ms: u64) {
        self.tick(now_ms);
        if self.is_finished() || self.retry.contains(&id) {
            return;
        }
        if let Some(role) = self.set_aside.remove(&id) {
            if let Reply::Text { usage, .. } = &reply {
                self.spend.add(role, usage);
            }
            return;
        }
        let Some(pending) = self.pending.remove(&id) else { return };
        if let Reply::Failed { error, failure: FailureKind::Transport } = &reply {
            // Not the candidate's fault: pause, charge nothing, send it again on resume.
            self.retry.insert(id);
            self.pending.insert(id, pending);
            if self.paused.is_none() {
                let reason = format!("Paused: {error}");
                self.paused = Some(reason.clone());
                self.clock.last_ms = None;
                self.events.push(Event::Paused { reason });
            }
            return;
        }
        if let Reply::Text { usage, .. } = &reply {
            self.spend.add(pending.request.role, usage);
            if let PendingTarget::Rollout { owner: Some(owner), index, .. } = pending.target
                && let Some(batch) = self.batch_mut(owner)
                && let Some(rollout) = batch.rollouts.get_mut(index)
            {
                rollout.usage.add(usage);
            }
        }
        self.route_reply(pending.target, reply);
        if self.paused.is_none() {
            self.advance();
        }
    }

    /// Applies a user command.
    pub fn command(&mut self, command: Command, now_ms: u64) {
        self.tick(now_ms);
        if self.is_finished() {
            return;
        }
        match command {
            Command::Pause => {
                if self.paused.is_none() {
                    let reason = "Paused by you".to_owned();
                    self.paused = Some(reason.clone());
                    self.clock.last_ms = None;
                    self.events.push(Event::Paused { reason });
                }
            }
            Command::Resume => {
                if self.paused.take().is_some() {
                    self.outbox.extend(std::mem::take(&mut self.retry));
                    self.clock.last_ms = Some(now_ms);
                    self.events.push(Event::Resumed);
                }
            }
            Command::Stop => self.finish(StopReason::Stopped),
            Command::Step => {
                self.pause_after_iteration = true;
                self.command(Command::Resume, now_ms);
            }
            steer => self.steer(steer),
        }
    }

    /// Events since the last call, oldest first.
    pub fn drain_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Where the run is.
    #[must_use]
    pub fn status(&self) -> Status {
        if let Phase::Finished { reason } = &self.phase {
            return Status::Finished { reason: reason.clone() };
        }
        match &self.paused {
            Some(reason) => Status::Paused { reason: reason.clone() },
            None => Status::Running,
        }
    }

    /// True once the run has stopped.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Finished { .. })
    }

    /// Requests sent and not yet answered.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.pending.len() - self.outbox.len() - self.retry.len()
    }

    /// The candidate pool, in admission order (index 0 is the seed).
    #[must_use]
    pub fn pool(&self) -> &[PoolEntry] {
        &self.pool
    }

    /// The validation Pareto front.
    #[must_use]
    pub fn front(&self) -> &ParetoFront {
        &self.front
    }

    /// Rollouts charged so far.
    #[must_use]
    pub fn rollouts_used(&self) -> u64 {
        self.ledger
    }

    /// Iterations started so far (finished and in flight).
    #[must_use]
    pub fn iterations(&self) -> u64 {
        self.iterations
    }

    /// Iterations finished so far: started ones not in flight any more (what "Paused after
    /// iteration N" counts to).
    #[must_use]
    pub fn finished_iterations(&self) -> u64 {
        let in_flight =
            self.flights.iter().filter(|f| !matches!(f.kind, FlightKind::Human { .. })).count();
        self.iterations.saturating_sub(in_flight as u64)
    }

    /// The iterations in flight, oldest first, with the candidates they improve.
    #[must_use]
    pub fn in_flight_iterations(&self) -> Vec<FlightView> {
        self.flights
            .iter()
            .map(|f| FlightView {
                iteration: f.it.iteration,
                parents: f.parents(),
                stage: f.stage.name().to_owned(),
            })
            .collect()
    }

    /// Tokens and cost so far.
    #[must_use]
    pub fn spend(&self) -> &Spend {
        &self.spend
    }

    /// The setup this run was started with.
    #[must_use]
    pub fn setup(&self) -> &RunSetup {
        &self.setup
    }

    /// Active (unpaused) milliseconds so far.
    #[must_use]
    pub fn active_ms(&self) -> u64 {
        self.clock.active_ms
    }

    /// The best candidate: highest mean validation score; ties go to the larger number of scored
    /// examples, then to the earlier candidate. `None` before the seed is scored.
    #[must_use]
    pub fn best(&self) -> Option<usize> {
        pool::best_index(&self.pool)
    }

    /// The complete state as versioned JSON.
    ///
    /// # Errors
    /// Only if serialisation fails (non-finite numbers are written as null and fail to restore).
    pub fn save(&self) -> Result<String, RestoreError> {
        let saved = SavedRun {
            format: SAVE_FORMAT.into(),
            version: STATE_FORMAT_VERSION,
            engine: self.clone(),
        };
        serde_json::to_string(&saved)
            .map_err(|e| RestoreError(format!("could not save the run: {e}")))
    }

    /// Restores a saved run. Requests that were in flight when it was saved are handed out again
    /// by the next [`Engine::take_requests`]; nothing already charged is charged again.
    ///
    /// # Errors
    /// When the text is not a saved run of a version this build can read.
    pub fn restore(json: &str) -> Result<Engine, RestoreError> {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| RestoreError(format!("not a saved run (invalid JSON: {e})")))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(SAVE_FORMAT) {
            return Err(RestoreError("not a GEPA Playground run state".into()));
        }
        let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
        if version == 0 || version > u64::from(STATE_FORMAT_VERSION) {
            return Err(RestoreError(format!(
                "this run state is version {version}; this build reads versions 1 to {STATE_FORMAT_VERSION}"
            )));
        }
        let saved: SavedRun = serde_json::from_value(value)
            .map_err(|e| RestoreError(format!("the run state is damaged: {e}")))?;
        let mut engine = saved.engine;
        validate_setup(&engine.setup).map_err(RestoreError)?;
        engine.upgrade();
        // Replies to requests in flight at save time are lost: hand those requests out again,
        // unless they are parked for a paused endpoint (asks set aside are not: nothing waits).
        let parked = engine.retry.clone();
        engine.outbox = engine.pending.keys().copied().filter(|id| !parked.contains(id)).collect();
        engine.set_aside.clear();
        engine.clock.last_ms = None;
        Ok(engine)
    }

    // --- internals shared by the flow ---------------------------------------------------------

    fn tick(&mut self, now_ms: u64) {
        let running = self.paused.is_none() && !self.is_finished();
        if running && let Some(last) = self.clock.last_ms {
            self.clock.active_ms += now_ms.saturating_sub(last);
        }
        self.clock.last_ms = running.then_some(now_ms);
    }

    fn issue(
        &mut self,
        role: ModelRole,
        messages: Vec<crate::message::ChatMessage>,
        purpose: crate::request::Purpose,
        target: PendingTarget,
    ) {
        let id = self.next_request_id;
        self.next_request_id += 1;
        let rank = match &target {
            // Behind the first iteration: its minibatch and reflection do not need the seed's
            // scores (its child's validation does, and waits for them).
            PendingTarget::Rollout { owner: Some(Owner::Seed), .. } => SEED_RANK,
            PendingTarget::Rollout { owner: Some(Owner::Flight { seq }), .. }
            | PendingTarget::Reflection { iteration: Some(seq), .. } => seq.saturating_add(1),
            PendingTarget::Rollout { owner: None, .. }
            | PendingTarget::Reflection { iteration: None, .. } => 0,
        };
        let request = Request { id, role, messages, purpose, rank };
        self.pending.insert(id, Pending { request, target });
        self.outbox.insert(id);
    }

    fn finish(&mut self, reason: StopReason) {
        // Charges of iterations abandoned in flight were never published: publish them, so the
        // budget events always add up to the ledger.
        let published =
            self.committed_ledger + self.flights.first().map_or(0, |f| f.published_charge);
        let unpublished = self.ledger.saturating_sub(published);
        self.flights.clear();
        self.granted.clear();
        self.granted_on.clear();
        if unpublished > 0 {
            self.events.push(Event::BudgetUpdated {
                iteration: self.iterations,
                used: self.ledger,
                delta: unpublished,
                remaining: self.budget_remaining(),
            });
        }
        self.pending.clear();
        self.outbox.clear();
        self.set_aside.clear();
        self.retry.clear();
        self.paused = None;
        self.clock.last_ms = None;
        let best = self.best().unwrap_or(0);
        self.events.push(Event::RunFinished {
            reason: reason.clone(),
            best,
            iterations: self.iterations,
            rollouts: self.ledger,
        });
        self.phase = Phase::Finished { reason };
    }

    fn budget_remaining(&self) -> Option<u64> {
        self.setup.config.stop.max_rollouts.map(|max| max.saturating_sub(self.ledger))
    }

    /// The pipeline depth of this run (at least 1).
    fn depth(&self) -> usize {
        self.setup.config.depth()
    }

    fn cache_key(candidate_hash: u64, split: Split, example: u32) -> String {
        format!(
            "{candidate_hash:016x}:{}:{example}",
            match split {
                Split::Train => "train",
                Split::Val => "val",
            }
        )
    }
}

fn validate_setup(setup: &RunSetup) -> Result<(), String> {
    setup.validate_shape()?;
    setup.metric.validate()
}

impl RunSetup {
    /// Checks what [`Engine::new`] checks, except that custom metric scripts compile (see
    /// [`MetricSpec::validate_shape`]): what a page can check without the script interpreter.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn validate_shape(&self) -> Result<(), String> {
        let setup = self;
        if setup.seed.is_empty() {
            return Err("the seed program needs at least one component".into());
        }
        setup.config.validate()?;
        setup.program.validate(&setup.seed)?;
        setup.metric.validate_shape()?;
        if setup.data.train.is_empty() {
            return Err("the training set is empty: add examples".into());
        }
        if setup.program.used_components(&setup.seed).is_empty() {
            return Err(
                "the program uses none of the seed's components, so there is nothing to optimise"
                    .into(),
            );
        }
        if setup.config.frontier.needs_objectives() && !setup.metric.reports_objectives() {
            return Err(
                "objective, hybrid and cartesian fronts need a metric that reports objectives: \
                    use a combination of metrics with objectives on"
                    .into(),
            );
        }
        Ok(())
    }
}
