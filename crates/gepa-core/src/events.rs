//! Everything that happens in a run, for the UI, the CLI and the run file.
//!
//! Events are emitted when a stage completes, in a fixed order, never as replies arrive, so the
//! same configuration, seed and replies give the same events whatever order the replies came in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::candidate::Candidate;
use crate::data::Split;
use crate::reflect::ScreenReject;
use crate::request::Usage;

/// Reads a map whose keys are example ids, written as JSON strings (run files) or as numbers
/// (the worker's messages, which keep map keys as they are). Needed because events are an
/// internally tagged enum: serde buffers their content, and a buffered string key does not turn
/// back into a number by itself.
fn u32_keys<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<u32, f64>, D::Error> {
    #[derive(Deserialize, PartialEq, Eq, PartialOrd, Ord)]
    #[serde(untagged)]
    enum Key {
        Number(u32),
        Text(String),
    }
    let raw = BTreeMap::<Key, f64>::deserialize(d)?;
    raw.into_iter()
        .map(|(k, v)| match k {
            Key::Number(k) => Ok((k, v)),
            Key::Text(k) => k
                .parse::<u32>()
                .map(|k| (k, v))
                .map_err(|_| serde::de::Error::custom(format!("example id {k:?} is not a number"))),
        })
        .collect()
}

fn first_attempt() -> u32 {
    1
}

/// How a pool candidate came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The seed program.
    Seed,
    /// A reflective mutation of its parent.
    Reflection,
    /// A merge of two candidates.
    Merge,
    /// Written or edited by the person running the optimiser.
    Human,
}

/// What an evaluation was of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EvalTarget {
    /// A pool candidate (parent on a minibatch, or a new candidate on validation).
    Candidate {
        /// Pool index.
        index: usize,
    },
    /// A proposed child of task `task` (not yet in the pool).
    Proposal {
        /// Task index within the iteration.
        task: usize,
    },
    /// A merged child of two candidates (not yet in the pool).
    MergeChild {
        /// Its two parents.
        parents: [usize; 2],
    },
    /// The newer version of its parent that task `task` builds on (a child an older
    /// iteration on the same parent won validation with), on the task's minibatch: the results
    /// its reflection reads and its child must beat.
    BuildsOn {
        /// Task index within the iteration.
        task: usize,
        /// The iteration that proposed that version.
        on: u64,
    },
}

/// Where in an iteration a proposal was rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Rejection {
    /// Rejected before any rollout was spent on it.
    Screened {
        /// Why.
        reason: ScreenReject,
    },
    /// The reflection call failed.
    ReflectionFailed {
        /// The error.
        error: String,
    },
    /// Did not beat its parent on the minibatch.
    NotBetter {
        /// Parent's minibatch sum.
        before: f64,
        /// Child's minibatch sum.
        after: f64,
    },
    /// Improved, but the proposal-selection strategy kept others.
    NotSelected {
        /// Parent's minibatch sum.
        before: f64,
        /// Child's minibatch sum.
        after: f64,
    },
    /// Same program as another proposal admitted in this iteration.
    DuplicateInIteration,
    /// Same program as a child of an earlier iteration still in flight, already granted its
    /// validation pass.
    DuplicateInFlight {
        /// That iteration.
        iteration: u64,
    },
}

/// Why the run stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StopReason {
    /// The rollout budget is spent (or the next step would not fit in what is left).
    BudgetExhausted {
        /// Rollouts used.
        used: u64,
        /// The budget.
        budget: u64,
    },
    /// No better candidate for the configured number of iterations.
    NoImprovement {
        /// Iterations without improvement.
        iterations: u32,
    },
    /// The best score reached the threshold.
    ScoreThreshold {
        /// The best mean validation score.
        score: f64,
    },
    /// The pool reached its size cap.
    MaxCandidates {
        /// Pool size.
        count: usize,
    },
    /// The iteration cap was reached.
    MaxIterations {
        /// Iterations run.
        count: u64,
    },
    /// The active-time limit passed.
    TimeLimit {
        /// Active milliseconds.
        elapsed_ms: u64,
    },
    /// The reflection model's cost reached the cap.
    ReflectionCost {
        /// Dollars spent on reflection.
        usd: f64,
    },
    /// Iterations kept ending without spending a rollout (every parent chosen was already
    /// perfect on its minibatch's remembered results, or every proposal was screened out), so
    /// more of them would change nothing.
    NothingToImprove {
        /// Consecutive iterations that spent no rollout.
        iterations: u32,
    },
    /// The user stopped the run.
    Stopped,
}

impl StopReason {
    /// One sentence for people.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            StopReason::BudgetExhausted { used, budget } => {
                format!(
                    "Rollout budget spent: {used} of {budget} used; another step would not fit."
                )
            }
            StopReason::NoImprovement { iterations } => {
                format!("No improvement for {iterations} iterations.")
            }
            StopReason::ScoreThreshold { score } => {
                format!("Reached the target score ({score:.3}).")
            }
            StopReason::MaxCandidates { count } => format!("The pool reached {count} candidates."),
            StopReason::MaxIterations { count } => {
                format!("Ran the maximum of {count} iterations.")
            }
            StopReason::TimeLimit { elapsed_ms } => {
                format!("Time limit reached after {:.1} s.", *elapsed_ms as f64 / 1000.0)
            }
            StopReason::ReflectionCost { usd } => {
                format!("Reflection cost cap reached (${usd:.4}).")
            }
            StopReason::NothingToImprove { iterations } => format!(
                "Nothing left to improve: the last {iterations} iterations spent no rollout (their parents were already perfect on their minibatches, or no proposal was usable)."
            ),
            StopReason::Stopped => "Stopped by the user.".into(),
        }
    }
}

/// What a user did to steer a run, as folded by a run's history (so a reopened run shows the
/// same pins, exclusions and queued candidates as the live page did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Steer {
    /// A candidate the user wrote or edited was queued for validation.
    CandidateQueued {
        /// The candidate it was edited from, if any.
        parent: Option<usize>,
    },
    /// A note for the next reflection on a candidate.
    NoteAdded {
        /// Pool index.
        candidate: usize,
        /// The note.
        note: String,
    },
    /// A candidate pinned as the next parent.
    Pinned {
        /// Pool index.
        candidate: usize,
    },
    /// The pin was taken off before it was used.
    Unpinned {
        /// Pool index.
        candidate: usize,
    },
    /// A candidate excluded from parent selection.
    Excluded {
        /// Pool index.
        candidate: usize,
    },
    /// An excluded candidate returned to parent selection.
    Included {
        /// Pool index.
        candidate: usize,
    },
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The run began; the seed is about to be scored on the validation set.
    RunStarted {
        /// Train examples.
        train: usize,
        /// Validation examples.
        val: usize,
        /// Worst-case overshoot of the rollout budget (0 in strict budget mode).
        max_overshoot: u64,
    },
    /// An iteration began (1-based).
    IterationStarted {
        /// Iteration number.
        iteration: u64,
        /// Random 8-hex id.
        iteration_id: String,
    },
    /// A parent was chosen for proposal task `task`.
    ParentSelected {
        /// Iteration.
        iteration: u64,
        /// Task index.
        task: usize,
        /// Pool index of the parent.
        candidate: usize,
        /// Its mean validation score.
        score: f64,
        /// True when the user pinned it.
        pinned: bool,
    },
    /// A minibatch was drawn for task `task`.
    MinibatchSampled {
        /// Iteration.
        iteration: u64,
        /// Task index.
        task: usize,
        /// Train example indices.
        examples: Vec<u32>,
    },
    /// An evaluation finished.
    Evaluated {
        /// Iteration (0 for the seed).
        iteration: u64,
        /// What was evaluated.
        target: EvalTarget,
        /// The split.
        split: Split,
        /// Example indices, in order.
        examples: Vec<u32>,
        /// Scores, aligned with `examples`.
        scores: Vec<f64>,
        /// Outputs, aligned with `examples`.
        outputs: Vec<String>,
        /// Feedback, aligned with `examples`.
        feedback: Vec<String>,
        /// Rollouts charged (cache hits are free).
        charged: u64,
        /// Tokens and cost of the calls made for this evaluation.
        usage: Usage,
    },
    /// A parent was perfect on its minibatch, so no reflection was made for the task.
    ReflectionSkipped {
        /// Iteration.
        iteration: u64,
        /// Task index.
        task: usize,
        /// The parent.
        candidate: usize,
    },
    /// A reflection request was sent.
    ReflectionRequested {
        /// Iteration.
        iteration: u64,
        /// Task index.
        task: usize,
        /// The parent.
        parent: usize,
        /// The component being rewritten.
        component: String,
        /// The full request sent to the reflection model.
        prompt: String,
    },
    /// A reflection reply arrived (emitted in task order once all replies are in).
    ReflectionReceived {
        /// Iteration.
        iteration: u64,
        /// Task index.
        task: usize,
        /// The component.
        component: String,
        /// The raw reply (or the error).
        raw_reply: String,
        /// The extracted text.
        proposal: String,
        /// Tokens and cost of the reflection call.
        usage: Usage,
        /// Which ask this answers (1 = the first; more when earlier proposals were screened out).
        #[serde(default = "first_attempt")]
        attempt: u32,
        /// True when the reply was cut off by the token limit and its complete lines were kept.
        #[serde(default)]
        salvaged: bool,
    },
    /// A proposal was screened out and the reflection model is asked again, told what was wrong
    /// (costs a reflection call, never rollouts).
    ReflectionRetried {
        /// Iteration.
        iteration: u64,
        /// Task index.
        task: usize,
        /// The component.
        component: String,
        /// The ask now being made (2 = the first retry).
        attempt: u32,
        /// What was wrong with the previous proposal.
        reason: ScreenReject,
        /// What the reflection model is told.
        correction: String,
    },
    /// A child beat its parent on the minibatch, but its validation pass no longer fits in the
    /// rollout budget (strict mode): accepted, not validated, so not added to the pool.
    ValidationSkipped {
        /// Iteration.
        iteration: u64,
        /// Task index.
        task: usize,
        /// The parent.
        parent: usize,
        /// Rollouts the validation pass needs.
        needed: u64,
        /// Rollouts left.
        remaining: u64,
    },
    /// A proposal was rejected.
    ProposalRejected {
        /// Iteration.
        iteration: u64,
        /// Task index.
        task: usize,
        /// The parent.
        parent: usize,
        /// Where and why.
        rejection: Rejection,
    },
    /// A proposal beat its parent and was admitted as pool candidate `candidate`.
    ProposalAccepted {
        /// Iteration.
        iteration: u64,
        /// Task index.
        task: usize,
        /// The parent.
        parent: usize,
        /// Its new pool index.
        candidate: usize,
        /// Parent's minibatch sum.
        before: f64,
        /// Child's minibatch sum.
        after: f64,
    },
    /// A candidate joined the pool with its validation scores.
    CandidateAdded {
        /// Iteration (0 for the seed).
        iteration: u64,
        /// Pool index.
        candidate: usize,
        /// Its parents.
        parents: Vec<usize>,
        /// How it was made.
        origin: Origin,
        /// The program.
        program: Candidate,
        /// Validation example → score.
        #[serde(deserialize_with = "u32_keys")]
        val_scores: BTreeMap<u32, f64>,
        /// Mean validation score.
        mean: f64,
        /// True when it is now the best candidate.
        is_best: bool,
        /// Rollouts used before its validation pass (its "discovery" cost).
        discovered_at: u64,
    },
    /// The Pareto front's membership after an addition (emitted on every addition).
    ParetoFrontChanged {
        /// Iteration.
        iteration: u64,
        /// Sorted members.
        members: Vec<usize>,
        /// Members that dropped out.
        displaced: Vec<usize>,
    },
    /// A merge of two candidates was tried.
    MergeAttempted {
        /// Iteration.
        iteration: u64,
        /// The two parents.
        parents: [usize; 2],
        /// Their common ancestor.
        ancestor: usize,
    },
    /// A merged child was admitted.
    MergeAccepted {
        /// Iteration.
        iteration: u64,
        /// The two parents.
        parents: [usize; 2],
        /// Its pool index.
        candidate: usize,
    },
    /// A merged child was not good enough.
    MergeRejected {
        /// Iteration.
        iteration: u64,
        /// The two parents.
        parents: [usize; 2],
        /// Why.
        reason: String,
    },
    /// The rollout ledger moved.
    BudgetUpdated {
        /// Iteration.
        iteration: u64,
        /// Rollouts used so far.
        used: u64,
        /// This change.
        delta: u64,
        /// Rollouts left, when there is a budget.
        remaining: Option<u64>,
    },
    /// A steering command took effect.
    Steered {
        /// What the user did; absent in runs saved before steering events were typed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        steer: Option<Steer>,
        /// What happened, for people.
        description: String,
    },
    /// The run paused (by the user, or because an endpoint failed).
    Paused {
        /// Why; the error text when an endpoint failed.
        reason: String,
    },
    /// The run resumed.
    Resumed,
    /// Something went wrong that did not stop the run.
    Warning {
        /// Iteration.
        iteration: u64,
        /// What.
        message: String,
    },
    /// An iteration ended.
    IterationFinished {
        /// Iteration.
        iteration: u64,
        /// Candidates admitted in it.
        admitted: Vec<usize>,
    },
    /// The run ended.
    RunFinished {
        /// Why.
        reason: StopReason,
        /// Pool index of the best candidate.
        best: usize,
        /// Iterations run.
        iterations: u64,
        /// Rollouts used.
        rollouts: u64,
    },
}

impl Event {
    /// Whether a run is worth saving after this event: a candidate was admitted, an iteration
    /// ended, the user steered, the run paused or finished. The CLI and the page both save their run file there.
    #[must_use]
    pub fn is_save_point(&self) -> bool {
        matches!(
            self,
            Self::CandidateAdded { .. }
                | Self::Steered { .. }
                | Self::IterationFinished { .. }
                | Self::Paused { .. }
                | Self::RunFinished { .. }
        )
    }
}

/// Rollouts charged by a stream of events (the sum of its budget updates): for a whole run it
/// equals the ledger, which tests and replays check.
#[must_use]
pub fn charged_rollouts(events: &[Event]) -> u64 {
    events
        .iter()
        .filter_map(
            |e| if let Event::BudgetUpdated { delta, .. } = e { Some(*delta) } else { None },
        )
        .sum()
}
