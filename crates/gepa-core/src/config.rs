//! Run configuration: every engine option, with the playground's defaults.

use serde::{Deserialize, Serialize};

use crate::frontier::FrontierType;
use crate::reflect::{ReflectionMode, ReflectionStyle};
use crate::select::Selection;

/// Which components a proposal rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentSelection {
    /// One component per proposal, cycling per candidate in the seed's order.
    #[default]
    RoundRobin,
    /// Every component, each with its own reflection call.
    All,
}

/// When a child beats its parent on their shared minibatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acceptance {
    /// Child's sum strictly greater than the parent's (the reference default).
    #[default]
    Strict,
    /// Child's sum at least the parent's.
    ImprovementOrEqual,
}

impl Acceptance {
    /// Whether `after` (child sum) is accepted against `before` (parent sum).
    #[must_use]
    pub fn accepts(self, before: f64, after: f64) -> bool {
        match self {
            Acceptance::Strict => after > before,
            Acceptance::ImprovementOrEqual => after >= before,
        }
    }
}

/// Which accepted proposals of one iteration enter the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProposalSelection {
    /// Every accepted proposal, in task order.
    #[default]
    All,
    /// Only the accepted proposal with the largest margin (first on ties).
    Best,
    /// The `k` accepted proposals with the largest margins.
    TopK {
        /// How many.
        k: usize,
    },
}

/// Merge (system-aware crossover) settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeConfig {
    /// Cap on accepted merges.
    pub max_merges: usize,
    /// Validation examples the merged child is first compared on.
    pub subsample_size: usize,
    /// Minimum commonly scored validation examples for a pair.
    pub val_overlap_floor: usize,
}

impl Default for MergeConfig {
    fn default() -> Self {
        MergeConfig { max_merges: 5, subsample_size: 5, val_overlap_floor: 5 }
    }
}

/// How the rollout budget is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetMode {
    /// Never exceed the budget: an iteration starts when its parents' and children's minibatches
    /// fit in what remains (fewer parallel proposals when not all do; the minibatch is never
    /// shrunk), and a winning child is validated only when its validation pass still fits
    /// (otherwise the run says it was accepted but not validated). When not even one proposal's
    /// minibatches fit, the run stops.
    #[default]
    Strict,
    /// The reference behaviour: the budget is checked only between iterations, so the last
    /// iteration may overshoot (by at most [`RunConfig::max_overshoot`]).
    Reference,
}

/// Stop conditions; the run stops when any fires. At least one must be set.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct StopConditions {
    /// Rollout budget (one rollout = one candidate evaluated on one example).
    pub max_rollouts: Option<u64>,
    /// Stop after this many consecutive iterations without a better best mean.
    pub no_improvement_iterations: Option<u32>,
    /// Stop once the best mean validation score reaches this.
    pub score_threshold: Option<f64>,
    /// Stop once the pool holds this many candidates.
    pub max_candidates: Option<usize>,
    /// Stop after this many iterations.
    pub max_iterations: Option<u64>,
    /// Stop after this much active (unpaused) time, in milliseconds.
    pub time_limit_ms: Option<u64>,
    /// Stop once the reflection model has cost this much (USD; needs reported costs).
    pub max_reflection_cost_usd: Option<f64>,
}

impl StopConditions {
    fn any(&self) -> bool {
        self.max_rollouts.is_some()
            || self.no_improvement_iterations.is_some()
            || self.score_threshold.is_some()
            || self.max_candidates.is_some()
            || self.max_iterations.is_some()
            || self.time_limit_ms.is_some()
            || self.max_reflection_cost_usd.is_some()
    }
}

/// The most iterations a run keeps in flight.
pub const MAX_PIPELINE_DEPTH: usize = 8;

/// The most iterations in flight the default picks from the concurrency, however many slots:
/// deeper pipelines plan from staler states, and in the simulated world of `bench/pipeline.sh`
/// depth 8 (at 64 and 256 slots) reached validation 1.0 later than depth 4 (6.7 s vs 5.0 s).
/// A user may still set up to [`MAX_PIPELINE_DEPTH`].
pub const MAX_DEFAULT_PIPELINE_DEPTH: usize = 4;

/// The depth from which an iteration reflects ahead of its older iterations' verdicts (see
/// [`RunConfig::reflects_ahead`]).
pub const REFLECT_AHEAD_FROM_DEPTH: usize = 3;

/// Every engine option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunConfig {
    /// Seed of the run's one RNG.
    pub seed: u64,
    /// Train examples per reflection minibatch (b).
    pub minibatch_size: usize,
    /// Parent selection.
    pub selection: Selection,
    /// Component selection.
    pub components: ComponentSelection,
    /// Acceptance on the minibatch.
    pub acceptance: Acceptance,
    /// Merge, when enabled.
    pub merge: Option<MergeConfig>,
    /// Skip reflection when the parent is already perfect on its minibatch.
    pub skip_perfect_score: bool,
    /// The score counted as perfect.
    pub perfect_score: f64,
    /// Key space of the Pareto front.
    pub frontier: FrontierType,
    /// Reuse validation and merge-subsample results for identical (candidate, example) pairs.
    pub cache_evaluations: bool,
    /// Independent proposals per iteration (parent + minibatch each).
    pub proposals_per_iteration: usize,
    /// Which accepted proposals of an iteration are admitted.
    pub proposal_selection: ProposalSelection,
    /// Score given to a rollout whose call failed because of its content.
    pub failure_score: f64,
    /// Reject unusable proposals (empty, duplicate, truncated, wrong shape) before spending
    /// rollouts on them. Off = reference behaviour.
    pub screen_proposals: bool,
    /// Show a reflection the versions of the text that other iterations in flight tried on the
    /// same parent, asking for a different one (a repeat is caught and asked for again either
    /// way). On by default: hiding them scored lower on the quality benchmark (held-out 0.375 vs
    /// 0.417, BENCHMARKS.md 2026-12-07) and slowed the simulated world (4 slots 11.0 s vs 8.2 s).
    pub show_tried_versions: bool,
    /// Optional cap on a component's length, in characters.
    pub max_component_chars: Option<usize>,
    /// The meta-prompt used for reflection (`Reference` = the reference's structure).
    pub reflection_style: ReflectionStyle,
    /// Whether the reflection model rewrites the whole text or replies with edits to it. The
    /// default is edits, picked by `bench/quality.sh` (BENCHMARKS.md: with Qwen2.5-Coder-0.5B,
    /// edit mode scored higher held-out in every paired run and took a fraction of the time;
    /// rewrite replies are long and often cut off).
    pub reflection_mode: ReflectionMode,
    /// How many more times the reflection model is asked, with what was wrong, when screening
    /// rejects its proposal (0 = the reference: give up and move on). Costs reflection calls,
    /// never rollouts.
    pub reflection_retries: u32,
    /// Take a parent's minibatch results from the evaluation cache when it already ran on those
    /// examples. Right when the task model is deterministic (temperature 0); the shells turn it
    /// on then.
    pub reuse_minibatch_results: bool,
    /// Budget enforcement.
    pub budget_mode: BudgetMode,
    /// Iterations in flight at once (L). 1 is the reference's loop: each iteration starts when
    /// the one before it has been decided. With L > 1, iteration i is planned from the state as
    /// it stood once iteration i − L had been decided, and decisions apply in iteration order,
    /// so a run stays a pure function of (configuration, seed, replies). `None` lets the shell
    /// choose with [`RunConfig::pipeline_depth_for`].
    pub pipeline_depth: Option<usize>,
    /// Stop conditions.
    pub stop: StopConditions,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            seed: 0,
            minibatch_size: 3,
            selection: Selection::Pareto,
            components: ComponentSelection::RoundRobin,
            acceptance: Acceptance::Strict,
            merge: None,
            skip_perfect_score: true,
            perfect_score: 1.0,
            frontier: FrontierType::Instance,
            cache_evaluations: true,
            proposals_per_iteration: 1,
            proposal_selection: ProposalSelection::All,
            failure_score: 0.0,
            screen_proposals: true,
            show_tried_versions: true,
            max_component_chars: None,
            reflection_style: ReflectionStyle::Rules,
            reflection_mode: ReflectionMode::Edit,
            reflection_retries: 2,
            reuse_minibatch_results: false,
            budget_mode: BudgetMode::Strict,
            pipeline_depth: None,
            stop: StopConditions { max_rollouts: Some(150), ..StopConditions::default() },
        }
    }
}

impl RunConfig {
    /// Checks every option.
    ///
    /// # Errors
    /// A message naming the first bad option and what to do.
    pub fn validate(&self) -> Result<(), String> {
        if self.minibatch_size == 0 {
            return Err("the minibatch size must be at least 1".into());
        }
        if self.proposals_per_iteration == 0 {
            return Err("proposals per iteration must be at least 1".into());
        }
        if let ProposalSelection::TopK { k: 0 } = self.proposal_selection {
            return Err("top-k proposal selection needs k of at least 1".into());
        }
        self.selection.validate()?;
        if !(0.0..=1.0).contains(&self.failure_score) {
            return Err("the failure score must be between 0 and 1".into());
        }
        if !self.stop.any() {
            return Err("set at least one stop condition, such as a rollout budget".into());
        }
        if let Some(merge) = self.merge
            && (merge.subsample_size == 0 || merge.val_overlap_floor == 0)
        {
            return Err("merge subsample size and overlap floor must be at least 1".into());
        }
        if let Some(depth) = self.pipeline_depth
            && !(1..=MAX_PIPELINE_DEPTH).contains(&depth)
        {
            return Err(format!(
                "iterations in flight must be between 1 and {MAX_PIPELINE_DEPTH} (1 runs one iteration at a time)"
            ));
        }
        Ok(())
    }

    /// The pipeline depth for an endpoint that takes `concurrency` calls at once. One slot
    /// gives 1, the reference's loop. Otherwise one iteration per two minibatches' worth of
    /// slots (an iteration runs `minibatch_size × proposals_per_iteration` rollouts at a time,
    /// on its parents and then on its children), plus one so that the next iteration's parents
    /// are evaluated while the current one reflects or validates; at most
    /// [`MAX_DEFAULT_PIPELINE_DEPTH`]. Deeper pipelines plan from staler states and spend budget on
    /// parents that a newer candidate has overtaken: in the simulated world of `bench/pipeline.sh`
    /// at 16 slots, depths 2–4 reached validation 1.0 in 4.6–5.1 s (median of three seeds) and
    /// depth 6 in 6.5 s. With the default minibatch of 3: 2 or 4 slots → 2, 8 → 3, 16 or more
    /// → 4.
    #[must_use]
    pub fn pipeline_depth_for(&self, concurrency: usize) -> usize {
        if concurrency <= 1 {
            return 1;
        }
        let per_iteration = (self.minibatch_size * self.proposals_per_iteration).max(1);
        (concurrency.div_ceil(2 * per_iteration) + 1).clamp(1, MAX_DEFAULT_PIPELINE_DEPTH)
    }

    /// The configured depth, or else the one [`RunConfig::pipeline_depth_for`] picks for
    /// `concurrency` (what a shell stores in the setup before a run starts).
    #[must_use]
    pub fn depth_or_for(&self, concurrency: usize) -> usize {
        self.pipeline_depth.unwrap_or_else(|| self.pipeline_depth_for(concurrency))
    }

    /// The depth this configuration runs at: the configured one, else 1.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.pipeline_depth.unwrap_or(1).clamp(1, MAX_PIPELINE_DEPTH)
    }

    /// Whether an iteration that builds on an older iteration's child reflects before knowing
    /// if that child wins (reading its parent's minibatch results, the child scored beside
    /// its own child afterwards), rather than waiting for the verdict, scoring the winner on
    /// its minibatch and reflecting on the winner's own results. From
    /// [`REFLECT_AHEAD_FROM_DEPTH`] on: reflecting ahead is what brings 16 slots to 2.7x the
    /// reference's speed in the simulated world, and at 4 slots waiting is no slower (8.3 s
    /// against 8.8 s). Held-out with Qwen2.5-Coder-0.5B, depth 2 waiting scored 0.250 against
    /// 0.208 one at a time (three tasks), and depth 4 reflecting ahead, its requests showing the
    /// parent's results with the parent's text, 0.313 against 0.313 (two tasks); shown as the
    /// newer version's own, those results had scored lower (BENCHMARKS.md, 2026-12-08).
    #[must_use]
    pub fn reflects_ahead(&self) -> bool {
        self.depth() >= REFLECT_AHEAD_FROM_DEPTH
    }

    /// Minibatches one proposal task can evaluate: its parent's and its child's, and with
    /// iterations in flight a newer version of the parent it may build on.
    #[must_use]
    pub fn minibatches_per_task(&self) -> u64 {
        if self.depth() > 1 { 3 } else { 2 }
    }

    /// The most rollouts one iteration can cost with `val_len` validation examples: the bound on
    /// overshoot in reference mode (0 in strict mode, which never exceeds the budget).
    #[must_use]
    pub fn max_overshoot(&self, val_len: usize) -> u64 {
        if self.budget_mode == BudgetMode::Strict {
            return 0;
        }
        let n = self.proposals_per_iteration as u64;
        let reflective =
            n * (self.minibatches_per_task() * self.minibatch_size as u64 + val_len as u64);
        let merge = self.merge.map_or(0, |m| (m.subsample_size + val_len) as u64);
        // Every iteration in flight may overshoot once.
        reflective.max(merge) * self.depth() as u64
    }
}
