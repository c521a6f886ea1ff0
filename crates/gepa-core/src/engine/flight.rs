//! An iteration in flight: what it was planned with, the stage it is in (each stage owning its
//! batch), what it reserved of the budget, and the events it holds back until it is the oldest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::batch::{Batch, RolloutResult};
use crate::candidate::Candidate;
use crate::events::{Event, Rejection};
use crate::message::ChatMessage;
use crate::request::Reply;

/// Whose batch a rollout belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "owner", rename_all = "snake_case")]
pub(crate) enum Owner {
    /// The seed's validation pass.
    Seed,
    /// The flight planned `seq`-th.
    Flight {
        /// Its planning sequence number.
        seq: u64,
    },
}

/// One proposal task: a parent, its minibatch, the components to rewrite, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Task {
    pub(crate) parent: usize,
    pub(crate) minibatch: Vec<u32>,
    pub(crate) parent_results: Vec<RolloutResult>,
    pub(crate) child: Option<Candidate>,
    pub(crate) child_results: Vec<RolloutResult>,
    /// Components to rewrite, chosen when the iteration was planned.
    #[serde(default)]
    pub(crate) components: Vec<String>,
    /// The steering note for this parent, taken when the iteration was planned.
    #[serde(default)]
    pub(crate) note: Option<String>,
    /// The child's validation results, once granted and run.
    #[serde(default)]
    pub(crate) val_results: Vec<(u32, RolloutResult)>,
    /// The newer version of the parent this task builds on: a child an older flight on the
    /// same parent won validation with while this one was in flight (while `Speculating`, the
    /// guess). The reflection reads the parent's results (shown with the parent's text, this
    /// version as a revision of it not yet scored) and rewrites this version; the version
    /// is scored on the minibatch beside the child, and its results then replace the parent's
    /// (what the child must beat).
    #[serde(default)]
    pub(crate) base: Option<Base>,
    /// True once `base` was scored on the minibatch before the reflection (stage `Rebasing`):
    /// `parent_results` are then its results, and it is not scored again beside the child.
    #[serde(default)]
    pub(crate) base_scored: bool,
}

/// A child granted validation by an older flight on the same parent, which a flight planned
/// beside it builds on instead of the parent (what the parent would have been had it been
/// planned once that child was in the pool).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Base {
    /// The iteration that proposed it.
    pub(crate) iteration: u64,
    pub(crate) candidate: Candidate,
}

impl Task {
    pub(crate) fn before(&self) -> f64 {
        self.parent_results.iter().map(|r| r.score.score).sum()
    }

    pub(crate) fn after(&self) -> f64 {
        self.child_results.iter().map(|r| r.score.score).sum()
    }
}

/// The iteration's identity and tasks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct IterCtx {
    pub(crate) iteration: u64,
    pub(crate) id: String,
    pub(crate) tasks: Vec<Task>,
    /// Tasks admitted to validation, in order.
    pub(crate) admitted: Vec<usize>,
}

/// One component's reflection: the current ask and, once no more asks will be made, its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ReflectJob {
    pub(crate) task: usize,
    pub(crate) component: String,
    pub(crate) reply: Option<Reply>,
    /// The ask in flight (1 = the first).
    #[serde(default = "first_ask")]
    pub(crate) attempt: u32,
    /// The conversation so far (the request, and for a retry the earlier replies and
    /// corrections).
    #[serde(default)]
    pub(crate) messages: Vec<ChatMessage>,
    /// The final word: the proposal, or why there is none.
    #[serde(default)]
    pub(crate) verdict: Option<Verdict>,
}

fn first_ask() -> u32 {
    1
}

/// What a reflection job came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Verdict {
    pub(crate) proposal: Option<String>,
    pub(crate) rejection: Option<Rejection>,
}

/// A merge being evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MergePlan {
    pub(crate) parents: [usize; 2],
    pub(crate) ancestor: usize,
    pub(crate) child: Candidate,
    pub(crate) subsample: Vec<u32>,
}

/// A candidate added by the user, waiting for its validation pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct HumanCandidate {
    pub(crate) program: Candidate,
    pub(crate) parent: Option<usize>,
}

/// The asks a flight reflecting ahead makes in case the versions it guessed lose: each task's
/// next newest version (`bases[task]`; none: the parent) and the same jobs on them (asked as
/// jobs `jobs.len()..` of the stage), except those whose request is the same as the guess's
/// (`shared[k]`: job `k`'s ask serves both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Alternative {
    pub(crate) bases: Vec<Option<Base>>,
    pub(crate) jobs: Vec<ReflectJob>,
    #[serde(default)]
    pub(crate) shared: Vec<bool>,
}

/// What the flight does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum FlightKind {
    /// Reflective mutation (one or more proposal tasks).
    Reflective,
    /// A merge of two candidates.
    Merge {
        /// The merge.
        plan: MergePlan,
    },
    /// Scoring a candidate the user added.
    Human {
        /// The candidate.
        human: HumanCandidate,
    },
}

/// Where a flight is. Each stage that evaluates owns its batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub(crate) enum Stage {
    /// The parents on their minibatches.
    Parents { batch: Batch },
    /// The parents are evaluated; the reflection waits until every older flight on one of
    /// its parents has put its children together, so that it can build on the newest of them
    /// and be shown what the others tried.
    Queued { jobs: Vec<ReflectJob> },
    /// Asking the reflection model to improve the newest children of older flights on the same
    /// parents before those are decided (each task's `base` is the guess), and what it would
    /// improve if they lose (`alternative`). Replies are kept, and nothing is reported, until
    /// the guesses are settled: the asks on what won stand (stage `Reflecting`), the others are
    /// set aside.
    Speculating {
        jobs: Vec<ReflectJob>,
        #[serde(default)]
        alternative: Option<Alternative>,
    },
    /// The older iterations' winners its tasks build on, on their minibatches, before the
    /// reflection (below `REFLECT_AHEAD_FROM_DEPTH`; `tasks[k]` is the task of the batch's
    /// `k`-th candidate).
    Rebasing { jobs: Vec<ReflectJob>, tasks: Vec<usize>, batch: Batch },
    /// Asking the reflection model.
    Reflecting { jobs: Vec<ReflectJob> },
    /// Every reflection has its verdict; the children are put together once every older
    /// flight has proposed its own, so that none of them is tested twice.
    Proposed { jobs: Vec<ReflectJob> },
    /// The children on the parents' minibatches, followed by the newer versions some of them
    /// build on (`bases[k]` is the task of the batch's candidate after the children's).
    Children {
        batch: Batch,
        #[serde(default)]
        bases: Vec<usize>,
    },
    /// Winners waiting for their validation to be granted (in iteration order).
    AwaitingValidation,
    /// The winners on the validation set.
    Validating { batch: Batch },
    /// A merged child on its validation subsample.
    MergeSubsample { batch: Batch },
    /// A merged child on the validation set.
    MergeValidating { batch: Batch },
    /// A user's candidate on the validation set.
    HumanValidating { batch: Batch },
    /// Nothing more to evaluate: waiting to be committed.
    Done,
}

impl Stage {
    /// True while the flight may still propose (its proposals are not known yet).
    pub(crate) fn proposing(&self) -> bool {
        matches!(
            self,
            Stage::Parents { .. }
                | Stage::Queued { .. }
                | Stage::Speculating { .. }
                | Stage::Rebasing { .. }
                | Stage::Reflecting { .. }
                | Stage::Proposed { .. }
        )
    }

    /// The batch being evaluated, if this stage evaluates.
    pub(crate) fn batch(&self) -> Option<&Batch> {
        match self {
            Stage::Parents { batch }
            | Stage::Rebasing { batch, .. }
            | Stage::Children { batch, .. }
            | Stage::Validating { batch }
            | Stage::MergeSubsample { batch }
            | Stage::MergeValidating { batch }
            | Stage::HumanValidating { batch } => Some(batch),
            Stage::Queued { .. }
            | Stage::Speculating { .. }
            | Stage::Reflecting { .. }
            | Stage::Proposed { .. }
            | Stage::AwaitingValidation
            | Stage::Done => None,
        }
    }

    /// The batch being evaluated, mutably.
    pub(crate) fn batch_mut(&mut self) -> Option<&mut Batch> {
        match self {
            Stage::Parents { batch }
            | Stage::Rebasing { batch, .. }
            | Stage::Children { batch, .. }
            | Stage::Validating { batch }
            | Stage::MergeSubsample { batch }
            | Stage::MergeValidating { batch }
            | Stage::HumanValidating { batch } => Some(batch),
            Stage::Queued { .. }
            | Stage::Speculating { .. }
            | Stage::Reflecting { .. }
            | Stage::Proposed { .. }
            | Stage::AwaitingValidation
            | Stage::Done => None,
        }
    }

    /// True when the stage has everything it waits for.
    pub(crate) fn is_complete(&self) -> bool {
        match self {
            Stage::Reflecting { jobs } => {
                jobs.iter().all(|j| j.reply.is_some() || j.verdict.is_some())
            }
            Stage::Queued { .. }
            | Stage::Speculating { .. }
            | Stage::Proposed { .. }
            | Stage::AwaitingValidation
            | Stage::Done => false,
            other => other.batch().is_some_and(Batch::is_done),
        }
    }

    /// A short name, for display.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Stage::Parents { .. } => "parents",
            Stage::Queued { .. } => "waiting to reflect",
            Stage::Speculating { .. } => "reflecting ahead",
            Stage::Rebasing { .. } => "building on a newer version",
            Stage::Reflecting { .. } => "reflecting",
            Stage::Proposed { .. } => "proposed",
            Stage::Children { .. } => "children",
            Stage::AwaitingValidation => "awaiting validation",
            Stage::Validating { .. } => "validating",
            Stage::MergeSubsample { .. } => "merge subsample",
            Stage::MergeValidating { .. } => "merge validating",
            Stage::HumanValidating { .. } => "validating your candidate",
            Stage::Done => "done",
        }
    }
}

/// An iteration in flight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Flight {
    /// Planning sequence number (users' candidates have no iteration of their own).
    pub(crate) seq: u64,
    pub(crate) it: IterCtx,
    pub(crate) kind: FlightKind,
    pub(crate) stage: Stage,
    /// Commits made before it was planned: the evaluation-cache entries it may read.
    pub(crate) epoch: u64,
    /// Pool size when it was planned: the candidates its proposals are screened against.
    pub(crate) pool_seen: usize,
    /// The oldest flight in flight when it was planned (its own `seq` if none): its proposals
    /// are also screened against those of the flights from this one on.
    #[serde(default)]
    pub(crate) window_from: u64,
    /// Rollouts reserved for it (strict budget).
    pub(crate) reserved: u64,
    /// True when its reservation covers validation too, so a winner is validated at once.
    pub(crate) ample: bool,
    /// True once its validation was granted or refused (or it needs none).
    pub(crate) decided: bool,
    /// True when its reservation covers building on a newer version of a parent (an older
    /// iteration in flight was improving one of its parents when it was planned).
    #[serde(default)]
    pub(crate) may_rebase: bool,
    /// Rollouts charged so far.
    pub(crate) charged: u64,
    /// Budget deltas already published (for the `used` figure of its budget events).
    pub(crate) published_charge: u64,
    /// Events held back until it is the oldest flight.
    pub(crate) held: Vec<Event>,
    /// Evaluation-cache entries it wrote, visible to others once it commits.
    pub(crate) cache_writes: BTreeMap<String, RolloutResult>,
    /// A merged child's or a user's candidate's finished validation batch, reported at commit.
    #[serde(default)]
    pub(crate) single: Option<Batch>,
}

impl Flight {
    /// True when it is a reflective iteration on `parent` (whose winner a later iteration on
    /// `parent` may build on).
    pub(crate) fn improves(&self, parent: usize) -> bool {
        matches!(self.kind, FlightKind::Reflective)
            && self.it.tasks.iter().any(|t| t.parent == parent)
    }

    /// The parents it improves (merge: the two merged; a user's candidate: its parent).
    pub(crate) fn parents(&self) -> Vec<usize> {
        match &self.kind {
            FlightKind::Reflective => self.it.tasks.iter().map(|t| t.parent).collect(),
            FlightKind::Merge { plan } => plan.parents.to_vec(),
            FlightKind::Human { human } => human.parent.into_iter().collect(),
        }
    }
}

/// What the UI shows of an iteration in flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlightView {
    /// Iteration number.
    pub iteration: u64,
    /// The candidates it improves.
    pub parents: Vec<usize>,
    /// Where it is.
    pub stage: String,
}
