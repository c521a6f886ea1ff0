//! The GEPA loop as phase transitions (spec §2.2–§2.5), plus steering and budget planning.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::batch::{Batch, RolloutResult};
use super::pool::PoolEntry;
use super::{Command, Engine, PendingTarget, Phase};
use crate::candidate::Candidate;
use crate::config::{BudgetMode, ComponentSelection, ProposalSelection};
use crate::data::Split;
use crate::events::{EvalTarget, Event, Origin, Rejection, StopReason};
use crate::frontier::CandidateScores;
use crate::merge;
use crate::message::ChatMessage;
use crate::metric::{MetricStep, Score};
use crate::program::Program;
use crate::reflect::{
    ReflectionMode, ReflectiveRecord, ScreenReject, apply_edits, closes_its_blocks,
    extract_proposal, reflection_messages, salvage_cut_off, screen_text, unwrap_json_instruction,
};
use crate::request::{FailureKind, ModelRole, Purpose, Reply};
use crate::select::{SelectionInput, select_parent};

/// Upper bound on phase transitions per call, so a run whose iterations need no model call
/// (e.g. an artifact run where every parent is already perfect) still returns control.
const MAX_TRANSITIONS_PER_CALL: usize = 256;

/// One proposal task: a parent, its minibatch, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Task {
    pub(crate) parent: usize,
    pub(crate) minibatch: Vec<u32>,
    pub(crate) parent_results: Vec<RolloutResult>,
    pub(crate) child: Option<Candidate>,
    pub(crate) child_results: Vec<RolloutResult>,
}

impl Task {
    fn before(&self) -> f64 {
        self.parent_results.iter().map(|r| r.score.score).sum()
    }

    fn after(&self) -> f64 {
        self.child_results.iter().map(|r| r.score.score).sum()
    }
}

/// The iteration in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// How one reflection reply reads.
struct Reading {
    raw: String,
    proposal: String,
    problem: Option<Rejection>,
    salvaged: bool,
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

impl Engine {
    /// Moves the run forward as far as it can go without new replies.
    pub(super) fn advance(&mut self) {
        for _ in 0..MAX_TRANSITIONS_PER_CALL {
            let progressed = match &self.phase {
                Phase::NotStarted => {
                    self.start_seed();
                    true
                }
                Phase::Between => {
                    self.begin_next();
                    true
                }
                Phase::Finished { .. } => false,
                _ => self.try_complete_phase(),
            };
            if !progressed || self.paused.is_some() {
                return;
            }
        }
    }

    pub(super) fn current_batch(&mut self) -> Option<&mut Batch> {
        match &mut self.phase {
            Phase::Seed { batch }
            | Phase::Parents { batch, .. }
            | Phase::Children { batch, .. }
            | Phase::Validating { batch, .. }
            | Phase::MergeSubsample { batch, .. }
            | Phase::MergeValidating { batch, .. }
            | Phase::Human { batch, .. } => Some(batch),
            _ => None,
        }
    }

    // --- rollouts -----------------------------------------------------------------------------

    /// Starts every rollout of the current batch: cache hits complete at once, the rest issue
    /// their first request (or, in artifact mode, score straight away).
    fn start_batch(&mut self) {
        let Some(batch) = self.current_batch() else { return };
        let read_cache = batch.read_cache;
        let n = batch.rollouts.len();
        for index in 0..n {
            let Some(batch) = self.current_batch() else { return };
            let rollout = &batch.rollouts[index];
            let key =
                Engine::cache_key(batch.hashes[rollout.candidate], rollout.split, rollout.example);
            if read_cache
                && self.setup.config.cache_evaluations
                && let Some(hit) = self.cache.get(&key).cloned()
            {
                self.set_result(index, RolloutResult { cached: true, ..hit });
                continue;
            }
            self.continue_rollout(index);
        }
    }

    /// Issues the next call of rollout `index`, or scores it when its program is done.
    fn continue_rollout(&mut self, index: usize) {
        enum Next {
            Score(String),
            Call(Vec<ChatMessage>, Purpose),
            Missing,
        }
        let next = {
            let Some(batch) = self.batch_ref() else { return };
            let rollout = &batch.rollouts[index];
            let candidate = &batch.candidates[rollout.candidate];
            match (self.setup.data.example(rollout.split, rollout.example), &self.setup.program) {
                (None, _) => Next::Missing,
                (Some(_), Program::Artifact { component }) => {
                    Next::Score(candidate.get(component).unwrap_or_default().to_owned())
                }
                (Some(_), Program::Chat { steps }) if rollout.outputs.len() >= steps.len() => {
                    Next::Score(rollout.outputs.last().cloned().unwrap_or_default())
                }
                (Some(example), Program::Chat { .. }) => {
                    let step = rollout.outputs.len();
                    let messages =
                        self.setup.program.messages(step, candidate, example, &rollout.outputs);
                    let purpose =
                        Purpose::Generate { split: rollout.split, example: rollout.example, step };
                    Next::Call(messages, purpose)
                }
            }
        };
        match next {
            Next::Missing => self.fail_rollout(index, "the example no longer exists"),
            Next::Score(text) => {
                if matches!(self.setup.program, Program::Artifact { .. })
                    && let Some(batch) = self.current_batch()
                {
                    batch.rollouts[index].outputs = vec![text.clone()];
                }
                self.score_rollout(index, text);
            }
            Next::Call(messages, purpose) => {
                self.issue(
                    ModelRole::Task,
                    messages,
                    purpose,
                    PendingTarget::Rollout { index, judge: false },
                );
            }
        }
    }

    fn batch_ref(&self) -> Option<&Batch> {
        match &self.phase {
            Phase::Seed { batch }
            | Phase::Parents { batch, .. }
            | Phase::Children { batch, .. }
            | Phase::Validating { batch, .. }
            | Phase::MergeSubsample { batch, .. }
            | Phase::MergeValidating { batch, .. }
            | Phase::Human { batch, .. } => Some(batch),
            _ => None,
        }
    }

    fn score_rollout(&mut self, index: usize, output: String) {
        let Some(batch) = self.batch_ref() else { return };
        let (split, example_id) = (batch.rollouts[index].split, batch.rollouts[index].example);
        let Some(example) = self.setup.data.example(split, example_id) else {
            self.fail_rollout(index, "the example no longer exists");
            return;
        };
        match self.setup.metric.begin(&output, example) {
            MetricStep::Done(score) => self.complete_rollout(index, output, score),
            MetricStep::Judge(messages) => {
                let purpose = Purpose::Judge { split, example: example_id };
                self.issue(
                    ModelRole::Judge,
                    messages,
                    purpose,
                    PendingTarget::Rollout { index, judge: true },
                );
            }
        }
    }

    fn finish_judge(&mut self, index: usize, reply: &str, output: &str) -> Result<Score, String> {
        let batch = self.batch_ref().ok_or("no evaluation is running")?;
        let rollout = &batch.rollouts[index];
        let example = self
            .setup
            .data
            .example(rollout.split, rollout.example)
            .ok_or("the example no longer exists")?;
        self.setup.metric.finish_judge(reply, output, example)
    }

    fn complete_rollout(&mut self, index: usize, output: String, mut score: Score) {
        let Some(batch) = self.current_batch() else { return };
        let steps = if batch.rollouts[index].outputs.len() > 1 {
            batch.rollouts[index].outputs.clone()
        } else {
            Vec::new()
        };
        if batch.rollouts[index].truncated {
            score.feedback.push_str(" (The reply was cut off by the token limit.)");
        }
        self.set_result(
            index,
            RolloutResult { output, steps, score, failed: false, cached: false },
        );
    }

    fn fail_rollout(&mut self, index: usize, error: &str) {
        let score =
            Score::new(self.setup.config.failure_score, format!("The model call failed: {error}"));
        self.set_result(
            index,
            RolloutResult {
                output: String::new(),
                steps: Vec::new(),
                score,
                failed: true,
                cached: false,
            },
        );
    }

    fn set_result(&mut self, index: usize, result: RolloutResult) {
        let cache_on = self.setup.config.cache_evaluations;
        let Some(batch) = self.current_batch() else { return };
        let charge = !result.cached;
        // Failed evaluations are never cached.
        let store = cache_on && !result.cached && !result.failed;
        let rollout = &batch.rollouts[index];
        let key = store.then(|| {
            Engine::cache_key(batch.hashes[rollout.candidate], rollout.split, rollout.example)
        });
        if batch.rollouts[index].result.is_none() {
            batch.remaining -= 1;
        }
        if charge {
            batch.charged += 1;
        }
        match key {
            Some(key) => {
                batch.rollouts[index].result = Some(result.clone());
                self.cache.insert(key, result);
            }
            None => batch.rollouts[index].result = Some(result),
        }
        if charge {
            self.ledger += 1;
        }
    }

    pub(super) fn route_reply(&mut self, target: PendingTarget, reply: Reply) {
        match target {
            PendingTarget::Rollout { index, judge: false } => match reply {
                Reply::Text { text, truncated, .. } => {
                    // Scored as the model said it; the cut-off goes into the feedback.
                    if let Some(batch) = self.current_batch() {
                        batch.rollouts[index].truncated |= truncated;
                        batch.rollouts[index].outputs.push(text);
                    }
                    self.continue_rollout(index);
                }
                Reply::Failed { error, failure: FailureKind::Content } => {
                    self.fail_rollout(index, &error)
                }
                Reply::Failed { failure: FailureKind::Transport, .. } => {}
            },
            PendingTarget::Rollout { index, judge: true } => match reply {
                Reply::Text { text, .. } => {
                    let output = self
                        .current_batch()
                        .and_then(|b| b.rollouts[index].outputs.last().cloned())
                        .unwrap_or_default();
                    match self.finish_judge(index, &text, &output) {
                        Ok(score) => self.complete_rollout(index, output, score),
                        Err(problem) => {
                            let score = Score::new(self.setup.config.failure_score, problem);
                            self.set_result(
                                index,
                                RolloutResult {
                                    output,
                                    steps: Vec::new(),
                                    score,
                                    failed: true,
                                    cached: false,
                                },
                            );
                        }
                    }
                }
                Reply::Failed { error, failure: FailureKind::Content } => {
                    self.fail_rollout(index, &format!("judge: {error}"))
                }
                Reply::Failed { failure: FailureKind::Transport, .. } => {}
            },
            PendingTarget::Reflection { job } => {
                if let Phase::Reflecting { jobs, .. } = &mut self.phase
                    && let Some(slot) = jobs.get_mut(job)
                {
                    slot.reply = Some(reply);
                }
            }
        }
    }

    // --- phase completion ---------------------------------------------------------------------

    fn try_complete_phase(&mut self) -> bool {
        let done = match &self.phase {
            Phase::Reflecting { jobs, .. } => {
                jobs.iter().all(|j| j.reply.is_some() || j.verdict.is_some())
            }
            _ => self.batch_ref().is_some_and(Batch::is_done),
        };
        if !done {
            return false;
        }
        match std::mem::replace(&mut self.phase, Phase::Between) {
            Phase::Seed { batch } => self.complete_seed(&batch),
            Phase::Parents { it, batch } => self.complete_parents(it, &batch),
            Phase::Reflecting { it, jobs } => self.complete_reflecting(it, jobs),
            Phase::Children { it, batch } => self.complete_children(it, &batch),
            Phase::Validating { it, batch } => self.complete_validating(it, &batch),
            Phase::MergeSubsample { it, merge, batch } => {
                self.complete_merge_subsample(it, merge, &batch)
            }
            Phase::MergeValidating { it, merge, batch } => {
                self.complete_merge_validating(it, merge, &batch)
            }
            Phase::Human { human, batch } => self.complete_human(human, &batch),
            other => self.phase = other,
        }
        true
    }

    fn start_seed(&mut self) {
        let data = &self.setup.data;
        self.events.push(Event::RunStarted {
            train: data.train.len(),
            val: data.val_len(),
            max_overshoot: self.setup.config.max_overshoot(data.val_len()),
        });
        let batch =
            Batch::new(vec![(self.setup.seed.clone(), data.val_split(), self.val_ids())], true);
        self.phase = Phase::Seed { batch };
        self.start_batch();
    }

    fn val_ids(&self) -> Vec<u32> {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "datasets are capped far below u32::MAX"
        )]
        let n = self.setup.data.val_len() as u32;
        (0..n).collect()
    }

    fn emit_evaluated(&mut self, iteration: u64, target: EvalTarget, batch: &Batch, index: usize) {
        let results = batch.results_of(index);
        let split =
            batch.rollouts.iter().find(|r| r.candidate == index).map_or(Split::Train, |r| r.split);
        let charged = results.iter().filter(|(_, r)| !r.cached).count() as u64;
        self.events.push(Event::Evaluated {
            iteration,
            target,
            split,
            examples: results.iter().map(|(id, _)| *id).collect(),
            scores: results.iter().map(|(_, r)| r.score.score).collect(),
            outputs: results.iter().map(|(_, r)| r.output.clone()).collect(),
            feedback: results.iter().map(|(_, r)| r.score.feedback.clone()).collect(),
            charged,
            usage: batch.usage_of(index),
        });
    }

    fn emit_budget(&mut self, iteration: u64, delta: u64) {
        self.events.push(Event::BudgetUpdated {
            iteration,
            used: self.ledger,
            delta,
            remaining: self.budget_remaining(),
        });
    }

    fn complete_seed(&mut self, batch: &Batch) {
        self.emit_evaluated(0, EvalTarget::Candidate { index: 0 }, batch, 0);
        self.emit_budget(0, batch.charged);
        let results = owned_results(batch, 0);
        self.add_to_pool(
            self.setup.seed.clone(),
            Vec::new(),
            Origin::Seed,
            0,
            "seed".into(),
            results,
            batch.charged,
        );
        self.best_seen = Some(self.pool[0].mean());
        self.phase = Phase::Between;
    }

    /// Adds an evaluated candidate and updates the front; returns its pool index.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call site per origin; a struct would only rename them"
    )]
    fn add_to_pool(
        &mut self,
        candidate: Candidate,
        parents: Vec<usize>,
        origin: Origin,
        iteration: u64,
        iteration_id: String,
        results: Vec<(u32, RolloutResult)>,
        charged: u64,
    ) -> usize {
        let idx = self.pool.len();
        let mut scores = CandidateScores::default();
        let mut outputs = BTreeMap::new();
        let mut feedback = BTreeMap::new();
        for (id, result) in results {
            scores.per_example.insert(id, result.score.score);
            if !result.score.objectives.is_empty() {
                scores.per_example_objectives.insert(id, result.score.objectives);
            }
            outputs.insert(id, result.output);
            feedback.insert(id, result.score.feedback);
        }
        let next_component = parents
            .iter()
            .filter_map(|p| self.pool.get(*p))
            .map(|p| p.next_component)
            .max()
            .unwrap_or(0);
        let before = self.front.members();
        self.front.add(idx, &scores);
        let after = self.front.members();
        self.pool.push(PoolEntry {
            candidate: candidate.clone(),
            parents: parents.clone(),
            origin,
            mean_score: scores.mean(),
            scores: scores.clone(),
            outputs,
            feedback,
            iteration,
            iteration_id,
            discovered_at: self.ledger - charged,
            next_component,
        });
        let mean = self.pool[idx].mean();
        self.events.push(Event::CandidateAdded {
            iteration,
            candidate: idx,
            parents,
            origin,
            program: candidate,
            val_scores: scores.per_example,
            mean,
            is_best: self.best() == Some(idx),
            discovered_at: self.ledger - charged,
        });
        self.events.push(Event::ParetoFrontChanged {
            iteration,
            members: after.iter().copied().collect(),
            displaced: before.difference(&after).copied().collect(),
        });
        idx
    }

    // --- between iterations -------------------------------------------------------------------

    fn begin_next(&mut self) {
        if let Some(reason) = self.stop_reason() {
            self.finish(reason);
            return;
        }
        if !self.steering.queued.is_empty() {
            let human = self.steering.queued.remove(0);
            let needed = self.setup.data.val_len() as u64;
            if self.setup.config.budget_mode == BudgetMode::Strict
                && self.budget_remaining().is_some_and(|r| r < needed)
            {
                self.events.push(Event::Warning {
                    iteration: self.iterations,
                    message: format!("Not enough budget left to score the added candidate ({needed} rollouts needed)."),
                });
                return;
            }
            let batch = Batch::new(
                vec![(human.program.clone(), self.setup.data.val_split(), self.val_ids())],
                true,
            );
            self.phase = Phase::Human { human, batch };
            self.start_batch();
            return;
        }
        let plan = match self.plan_iteration() {
            Ok(plan) => plan,
            Err(reason) => {
                self.finish(reason);
                return;
            }
        };
        self.iterations += 1;
        #[expect(clippy::cast_possible_truncation, reason = "an 8-hex id keeps the low 32 bits")]
        let id = format!("{:08x}", self.rng.next_u64() as u32);
        let iteration = self.iterations;
        self.events.push(Event::IterationStarted { iteration, iteration_id: id.clone() });
        let mut it = IterCtx { iteration, id, tasks: Vec::new(), admitted: Vec::new() };
        if self.try_start_merge(&mut it) {
            return;
        }
        for task in 0..plan.tasks {
            let (parent, pinned) = match self.steering.pinned.take() {
                Some(p) => (p, true),
                None => (self.select(), false),
            };
            let Some(minibatch) = self.sampler.next_minibatch(
                self.setup.data.train.len(),
                iteration - 1,
                plan.minibatch,
                &mut self.rng,
            ) else {
                continue;
            };
            self.events.push(Event::ParentSelected {
                iteration,
                task,
                candidate: parent,
                score: self.pool[parent].mean(),
                pinned,
            });
            self.events.push(Event::MinibatchSampled {
                iteration,
                task,
                examples: minibatch.clone(),
            });
            it.tasks.push(Task {
                parent,
                minibatch,
                parent_results: Vec::new(),
                child: None,
                child_results: Vec::new(),
            });
        }
        let jobs = it
            .tasks
            .iter()
            .map(|t| (self.pool[t.parent].candidate.clone(), Split::Train, t.minibatch.clone()))
            .collect();
        // A deterministic task model gives a parent the same results on examples it already ran.
        let reuse = self.setup.config.reuse_minibatch_results;
        self.phase = Phase::Parents { it, batch: Batch::new(jobs, reuse) };
        self.start_batch();
    }

    fn select(&mut self) -> usize {
        let means: Vec<f64> = self.pool.iter().map(PoolEntry::mean).collect();
        let holder_sets = self.front.holder_sets();
        let input = SelectionInput {
            means: &means,
            holder_sets: &holder_sets,
            excluded: &self.steering.excluded,
        };
        select_parent(self.setup.config.selection, &input, &mut self.rng).unwrap_or(0)
    }

    fn stop_reason(&self) -> Option<StopReason> {
        let stop = &self.setup.config.stop;
        let best = self.best().map_or(f64::NEG_INFINITY, |b| self.pool[b].mean());
        if let Some(max) = stop.max_rollouts
            && self.ledger >= max
        {
            return Some(StopReason::BudgetExhausted { used: self.ledger, budget: max });
        }
        if let Some(max) = stop.max_iterations.filter(|max| self.iterations >= *max) {
            return Some(StopReason::MaxIterations { count: max });
        }
        if let Some(max) = stop.max_candidates.filter(|max| self.pool.len() >= *max) {
            return Some(StopReason::MaxCandidates { count: max });
        }
        if stop.score_threshold.is_some_and(|t| best >= t) {
            return Some(StopReason::ScoreThreshold { score: best });
        }
        if let Some(k) =
            stop.no_improvement_iterations.filter(|k| self.iterations_without_improvement >= *k)
        {
            return Some(StopReason::NoImprovement { iterations: k });
        }
        if stop.time_limit_ms.is_some_and(|limit| self.clock.active_ms >= limit) {
            return Some(StopReason::TimeLimit { elapsed_ms: self.clock.active_ms });
        }
        let reflection_cost = self.spend.reflection.cost_usd.unwrap_or(0.0);
        if stop.max_reflection_cost_usd.is_some_and(|cap| reflection_cost >= cap) {
            return Some(StopReason::ReflectionCost { usd: reflection_cost });
        }
        None
    }

    /// Sizes the next iteration (strict mode): it starts when its parents' and children's
    /// minibatches fit in what remains, with fewer parallel proposals when not all of them do;
    /// the minibatch is never shrunk. Validation is checked when a child has won.
    fn plan_iteration(&self) -> Result<IterationPlan, StopReason> {
        let config = &self.setup.config;
        // A minibatch larger than the train set would only repeat examples.
        let minibatch = config.minibatch_size.min(self.setup.data.train.len()).max(1);
        let mut plan = IterationPlan { tasks: config.proposals_per_iteration, minibatch };
        let (Some(remaining), BudgetMode::Strict) = (self.budget_remaining(), config.budget_mode)
        else {
            return Ok(plan);
        };
        let cost = |p: &IterationPlan| p.tasks as u64 * 2 * p.minibatch as u64;
        while plan.tasks > 1 && cost(&plan) > remaining {
            plan.tasks -= 1;
        }
        if cost(&plan) > remaining {
            let budget = config.stop.max_rollouts.unwrap_or(self.ledger);
            return Err(StopReason::BudgetExhausted { used: self.ledger, budget });
        }
        Ok(plan)
    }

    // --- reflective iteration -----------------------------------------------------------------

    fn complete_parents(&mut self, mut it: IterCtx, batch: &Batch) {
        for task in 0..it.tasks.len() {
            self.emit_evaluated(
                it.iteration,
                EvalTarget::Candidate { index: it.tasks[task].parent },
                batch,
                task,
            );
            it.tasks[task].parent_results =
                owned_results(batch, task).into_iter().map(|(_, r)| r).collect();
        }
        self.emit_budget(it.iteration, batch.charged);
        let optimisable = self.setup.program.used_components(&self.setup.seed);
        let mut jobs = Vec::new();
        for (index, task) in it.tasks.iter().enumerate() {
            let perfect = self.setup.config.perfect_score;
            if self.setup.config.skip_perfect_score
                && task.parent_results.iter().all(|r| r.score.score >= perfect)
            {
                self.events.push(Event::ReflectionSkipped {
                    iteration: it.iteration,
                    task: index,
                    candidate: task.parent,
                });
                continue;
            }
            let components = match self.setup.config.components {
                ComponentSelection::All => optimisable.clone(),
                ComponentSelection::RoundRobin => {
                    let entry = &mut self.pool[task.parent];
                    let pick = entry.next_component % optimisable.len();
                    entry.next_component = (pick + 1) % optimisable.len();
                    vec![optimisable[pick].clone()]
                }
            };
            for component in components {
                jobs.push(ReflectJob {
                    task: index,
                    component,
                    reply: None,
                    attempt: 1,
                    messages: Vec::new(),
                    verdict: None,
                });
            }
        }
        if jobs.is_empty() {
            self.end_iteration(it);
            return;
        }
        for (job_index, job) in jobs.iter_mut().enumerate() {
            let task = &it.tasks[job.task];
            let parent = &self.pool[task.parent];
            let current = parent.candidate.get(&job.component).unwrap_or_default().to_owned();
            let records = self.records(task);
            let note = self.steering.notes.get(&task.parent).cloned();
            let (style, mode) =
                (self.setup.config.reflection_style, self.setup.config.reflection_mode);
            let messages = reflection_messages(
                style,
                mode,
                &job.component,
                &current,
                &records,
                note.as_deref(),
            );
            job.messages.clone_from(&messages);
            self.events.push(Event::ReflectionRequested {
                iteration: it.iteration,
                task: job.task,
                parent: task.parent,
                component: job.component.clone(),
                prompt: render_chat(&messages),
            });
            let purpose =
                Purpose::Reflect { parent: task.parent, component: job.component.clone() };
            self.issue(
                ModelRole::Reflection,
                messages,
                purpose,
                PendingTarget::Reflection { job: job_index },
            );
        }
        // A steering note is used by one reflection round on that candidate.
        for task in &it.tasks {
            self.steering.notes.remove(&task.parent);
        }
        self.phase = Phase::Reflecting { it, jobs };
    }

    fn records(&self, task: &Task) -> Vec<ReflectiveRecord> {
        task.minibatch
            .iter()
            .zip(&task.parent_results)
            .filter_map(|(id, result)| {
                let example = self.setup.data.train.get(*id as usize)?;
                let mut inputs: Vec<(String, String)> =
                    example.inputs.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                if let Some(notes) = &example.notes {
                    inputs.push(("notes".into(), notes.clone()));
                }
                let output = if result.steps.len() > 1 {
                    let names = step_names(&self.setup.program);
                    result
                        .steps
                        .iter()
                        .zip(names)
                        .map(|(o, n)| format!("[{n}] {o}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                } else {
                    result.output.clone()
                };
                Some(ReflectiveRecord {
                    inputs,
                    output,
                    feedback: result.score.feedback.clone(),
                    score: result.score.score,
                })
            })
            .collect()
    }

    /// Every ask of this round has its reply: read each in job order; a screened-out proposal
    /// with asks left goes back to the reflection model with what was wrong, the others are
    /// final. Once every job is final, the children are assembled.
    fn complete_reflecting(&mut self, mut it: IterCtx, mut jobs: Vec<ReflectJob>) {
        let retries = if self.setup.config.screen_proposals {
            self.setup.config.reflection_retries
        } else {
            0
        };
        let mut asking_again = false;
        for (index, job) in jobs.iter_mut().enumerate() {
            if job.verdict.is_some() {
                continue;
            }
            let parent = it.tasks[job.task].parent;
            let reading = self.read_reflection(parent, job);
            self.events.push(Event::ReflectionReceived {
                iteration: it.iteration,
                task: job.task,
                component: job.component.clone(),
                raw_reply: reading.raw.clone(),
                proposal: reading.proposal.clone(),
                usage: match &job.reply {
                    Some(Reply::Text { usage, .. }) => *usage,
                    _ => crate::request::Usage::default(),
                },
                attempt: job.attempt,
                salvaged: reading.salvaged,
            });
            match reading.problem {
                Some(Rejection::Screened { reason }) if job.attempt <= retries => {
                    let available = self.available_placeholders(&job.component);
                    let correction = reason.correction(&job.component, &available);
                    if job.messages.is_empty() {
                        // A run saved by an older build: start the conversation afresh.
                        job.messages = vec![ChatMessage::user(correction.clone())];
                    } else {
                        // The earlier reply, clipped: small models have small contexts.
                        job.messages.push(ChatMessage::assistant(clip_reply(&reading.raw)));
                        job.messages.push(ChatMessage::user(correction.clone()));
                    }
                    job.attempt += 1;
                    job.reply = None;
                    self.events.push(Event::ReflectionRetried {
                        iteration: it.iteration,
                        task: job.task,
                        component: job.component.clone(),
                        attempt: job.attempt,
                        reason,
                        correction,
                    });
                    let purpose = Purpose::Reflect { parent, component: job.component.clone() };
                    let messages = job.messages.clone();
                    self.issue(
                        ModelRole::Reflection,
                        messages,
                        purpose,
                        PendingTarget::Reflection { job: index },
                    );
                    asking_again = true;
                }
                problem => {
                    job.verdict = Some(Verdict {
                        proposal: problem.is_none().then_some(reading.proposal),
                        rejection: problem,
                    });
                }
            }
        }
        if asking_again {
            self.phase = Phase::Reflecting { it, jobs };
            return;
        }
        let mut outcomes: Vec<(Option<Candidate>, Option<Rejection>)> =
            it.tasks.iter().map(|t| (Some(self.pool[t.parent].candidate.clone()), None)).collect();
        let mut changed = vec![false; it.tasks.len()];
        for job in jobs {
            let slot = &mut outcomes[job.task];
            match job.verdict {
                Some(Verdict { proposal: Some(proposal), rejection: None }) => {
                    if let Some(child) = &slot.0 {
                        slot.0 = Some(child.with_text(&job.component, &proposal));
                        changed[job.task] = true;
                    }
                }
                Some(Verdict { rejection: Some(rejection), .. }) if slot.1.is_none() => {
                    slot.1 = Some(rejection);
                }
                _ => {}
            }
        }
        let screen = self.setup.config.screen_proposals;
        let mut seen: Vec<Candidate> = Vec::new();
        for (index, (child, rejection)) in outcomes.into_iter().enumerate() {
            let parent = it.tasks[index].parent;
            if !changed[index] {
                let rejection =
                    rejection.unwrap_or(Rejection::Screened { reason: ScreenReject::Empty });
                self.events.push(Event::ProposalRejected {
                    iteration: it.iteration,
                    task: index,
                    parent,
                    rejection,
                });
                continue;
            }
            let Some(child) = child else { continue };
            if screen {
                if let Some(dup) = self.pool.iter().position(|p| p.candidate.same_content(&child)) {
                    let rejection =
                        Rejection::Screened { reason: ScreenReject::DuplicateOf { index: dup } };
                    self.events.push(Event::ProposalRejected {
                        iteration: it.iteration,
                        task: index,
                        parent,
                        rejection,
                    });
                    continue;
                }
                if seen.iter().any(|s| s.same_content(&child)) {
                    self.events.push(Event::ProposalRejected {
                        iteration: it.iteration,
                        task: index,
                        parent,
                        rejection: Rejection::DuplicateInIteration,
                    });
                    continue;
                }
            }
            seen.push(child.clone());
            it.tasks[index].child = Some(child);
        }
        let jobs: Vec<_> = it
            .tasks
            .iter()
            .filter_map(|t| t.child.clone().map(|c| (c, Split::Train, t.minibatch.clone())))
            .collect();
        if jobs.is_empty() {
            self.end_iteration(it);
            return;
        }
        self.phase = Phase::Children { it, batch: Batch::new(jobs, false) };
        self.start_batch();
    }

    /// Reads one reflection reply: the proposal (a cut-off rewrite salvaged when enough of it is
    /// complete, edits applied, an instruction unwrapped from JSON) and, when screening is on,
    /// what is wrong with it.
    fn read_reflection(&self, parent: usize, job: &ReflectJob) -> Reading {
        let config = &self.setup.config;
        let parent_candidate = &self.pool[parent].candidate;
        let parent_text = parent_candidate.get(&job.component).unwrap_or_default();
        let screened = |reason: ScreenReject| Some(Rejection::Screened { reason });
        let (raw, truncated) = match &job.reply {
            Some(Reply::Text { text, truncated, .. }) => (text.clone(), *truncated),
            Some(Reply::Failed { error, .. }) => {
                let problem = Some(Rejection::ReflectionFailed { error: error.clone() });
                return Reading {
                    raw: error.clone(),
                    proposal: String::new(),
                    problem,
                    salvaged: false,
                };
            }
            None => {
                let problem = Some(Rejection::ReflectionFailed { error: "no reply".into() });
                return Reading {
                    raw: String::new(),
                    proposal: String::new(),
                    problem,
                    salvaged: false,
                };
            }
        };
        if !config.screen_proposals {
            // The reference: whatever the reply holds is evaluated.
            let proposal = extract_proposal(&raw);
            let problem = proposal
                .trim()
                .is_empty()
                .then_some(Rejection::Screened { reason: ScreenReject::Empty });
            return Reading { raw, proposal, problem, salvaged: false };
        }
        let cut_short = truncated && !closes_its_blocks(&raw);
        let mut salvaged = false;
        let mut proposal = match config.reflection_mode {
            ReflectionMode::Edit => {
                // A cut-off edit list keeps its complete lines.
                let usable = if cut_short {
                    raw.rsplit_once('\n').map_or("", |(complete, _)| complete)
                } else {
                    raw.as_str()
                };
                match apply_edits(parent_text, usable) {
                    Ok(text) => text,
                    Err(reason) => {
                        let problem = screened(ScreenReject::WrongShape { reason });
                        return Reading { raw, proposal: String::new(), problem, salvaged: false };
                    }
                }
            }
            ReflectionMode::Rewrite if cut_short => match salvage_cut_off(&raw, parent_text) {
                Some(kept) => {
                    salvaged = true;
                    kept
                }
                None => {
                    let problem = screened(ScreenReject::Truncated);
                    return Reading { raw, proposal: String::new(), problem, salvaged: false };
                }
            },
            ReflectionMode::Rewrite => extract_proposal(&raw),
        };
        if unwrap_json_instruction(parent_text).is_none()
            && let Some(inner) = unwrap_json_instruction(&proposal)
        {
            proposal = inner;
        }
        let available = self.available_placeholders(&job.component);
        let problem =
            match screen_text(parent_text, &proposal, config.max_component_chars, &available) {
                Err(reason) => screened(reason),
                Ok(()) => {
                    let child = parent_candidate.with_text(&job.component, &proposal);
                    self.pool
                        .iter()
                        .position(|p| p.candidate.same_content(&child))
                        .and_then(|index| screened(ScreenReject::DuplicateOf { index }))
                }
            };
        Reading { raw, proposal, problem, salvaged }
    }

    /// The placeholders a component's text may use: every input field of the examples, and the
    /// outputs of the steps before the first one that uses the component.
    pub(super) fn available_placeholders(&self, component: &str) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = self
            .setup
            .data
            .train
            .iter()
            .chain(&self.setup.data.val)
            .flat_map(|e| e.inputs.keys().cloned())
            .collect();
        if let Program::Chat { steps } = &self.setup.program {
            let token = format!("{{{{{component}}}}}");
            let uses =
                |s: &crate::program::Step| s.system.contains(&token) || s.user.contains(&token);
            let first = steps.iter().position(uses).unwrap_or(steps.len());
            names.extend(steps[..first].iter().map(|s| s.name.clone()));
        }
        names
    }

    fn complete_children(&mut self, mut it: IterCtx, batch: &Batch) {
        let with_child: Vec<usize> =
            (0..it.tasks.len()).filter(|t| it.tasks[*t].child.is_some()).collect();
        for (batch_index, task) in with_child.iter().copied().enumerate() {
            self.emit_evaluated(it.iteration, EvalTarget::Proposal { task }, batch, batch_index);
            it.tasks[task].child_results =
                owned_results(batch, batch_index).into_iter().map(|(_, r)| r).collect();
        }
        self.emit_budget(it.iteration, batch.charged);
        let acceptance = self.setup.config.acceptance;
        let accepted: Vec<usize> = with_child
            .iter()
            .copied()
            .filter(|t| acceptance.accepts(it.tasks[*t].before(), it.tasks[*t].after()))
            .collect();
        let mut selected = accepted.clone();
        match self.setup.config.proposal_selection {
            ProposalSelection::All => {}
            ProposalSelection::Best | ProposalSelection::TopK { .. } => {
                let k = match self.setup.config.proposal_selection {
                    ProposalSelection::TopK { k } => k,
                    _ => 1,
                };
                let margin = |t: &usize| it.tasks[*t].after() - it.tasks[*t].before();
                selected.sort_by(|a, b| margin(b).total_cmp(&margin(a)));
                selected.truncate(k);
                selected.sort_unstable();
            }
        }
        // Identical children admitted in one iteration collapse to the first (only possible when
        // screening is off, which otherwise catches them before any rollout).
        let mut admitted: Vec<usize> = Vec::new();
        for task in &with_child {
            let (before, after) = (it.tasks[*task].before(), it.tasks[*task].after());
            let parent = it.tasks[*task].parent;
            let rejection = if !accepted.contains(task) {
                Some(Rejection::NotBetter { before, after })
            } else if !selected.contains(task) {
                Some(Rejection::NotSelected { before, after })
            } else if admitted.iter().any(|a| it.tasks[*a].child == it.tasks[*task].child) {
                Some(Rejection::DuplicateInIteration)
            } else {
                admitted.push(*task);
                None
            };
            if let Some(rejection) = rejection {
                self.events.push(Event::ProposalRejected {
                    iteration: it.iteration,
                    task: *task,
                    parent,
                    rejection,
                });
            }
        }
        // Strict budget: a winner is validated only when its whole validation pass still fits.
        if self.setup.config.budget_mode == BudgetMode::Strict
            && let Some(mut remaining) = self.budget_remaining()
        {
            let needed = self.setup.data.val_len() as u64;
            admitted.retain(|task| {
                if needed <= remaining {
                    remaining -= needed;
                    return true;
                }
                self.events.push(Event::ValidationSkipped {
                    iteration: it.iteration,
                    task: *task,
                    parent: it.tasks[*task].parent,
                    needed,
                    remaining,
                });
                false
            });
        }
        if admitted.is_empty() {
            self.end_iteration(it);
            return;
        }
        let val_split = self.setup.data.val_split();
        let jobs = admitted
            .iter()
            .filter_map(|t| it.tasks[*t].child.clone().map(|c| (c, val_split, self.val_ids())))
            .collect();
        it.admitted = admitted;
        self.phase = Phase::Validating { it, batch: Batch::new(jobs, true) };
        self.start_batch();
    }

    fn complete_validating(&mut self, it: IterCtx, batch: &Batch) {
        for (batch_index, task) in it.admitted.iter().enumerate() {
            self.emit_evaluated(
                it.iteration,
                EvalTarget::Proposal { task: *task },
                batch,
                batch_index,
            );
        }
        self.emit_budget(it.iteration, batch.charged);
        let mut admitted_idx = Vec::new();
        let mut charged_before = batch.charged;
        for (batch_index, task_index) in it.admitted.iter().enumerate() {
            let task = &it.tasks[*task_index];
            let Some(child) = task.child.clone() else { continue };
            let results = owned_results(batch, batch_index);
            let own_charge = results.iter().filter(|(_, r)| !r.cached).count() as u64;
            charged_before -= own_charge;
            let iteration_id =
                if batch_index == 0 { it.id.clone() } else { format!("{}-{batch_index}", it.id) };
            // `discovered_at` counts the rollouts of candidates admitted earlier in this batch.
            let idx = self.add_to_pool(
                child,
                vec![task.parent],
                Origin::Reflection,
                it.iteration,
                iteration_id,
                results,
                own_charge + charged_before,
            );
            self.events.push(Event::ProposalAccepted {
                iteration: it.iteration,
                task: *task_index,
                parent: task.parent,
                candidate: idx,
                before: task.before(),
                after: task.after(),
            });
            admitted_idx.push(idx);
            if let Some(config) = self.setup.config.merge {
                self.merge.last_iteration_admitted = true;
                if self.merge.accepted < config.max_merges {
                    self.merge.due += 1;
                }
            }
        }
        let mut it = it;
        it.admitted = admitted_idx;
        self.end_iteration(it);
    }

    /// Ends the iteration; `it.admitted` holds the pool indices admitted in it (or nothing).
    fn end_iteration(&mut self, it: IterCtx) {
        self.events
            .push(Event::IterationFinished { iteration: it.iteration, admitted: it.admitted });
        let best = self.best().map_or(f64::NEG_INFINITY, |b| self.pool[b].mean());
        if self.best_seen.is_none_or(|seen| best > seen) {
            self.best_seen = Some(best);
            self.iterations_without_improvement = 0;
        } else {
            self.iterations_without_improvement += 1;
        }
        self.phase = Phase::Between;
        if std::mem::take(&mut self.pause_after_iteration) && self.stop_reason().is_none() {
            let reason = format!("Paused after iteration {} (Step)", it.iteration);
            self.paused = Some(reason.clone());
            self.clock.last_ms = None;
            self.events.push(Event::Paused { reason });
        }
    }

    // --- merge ----------------------------------------------------------------------------------

    /// Starts a merge in place of the reflective step when one is due (spec §6). Returns true
    /// when a merge was started.
    fn try_start_merge(&mut self, it: &mut IterCtx) -> bool {
        let Some(config) = self.setup.config.merge else { return false };
        if !(self.merge.due > 0 && self.merge.last_iteration_admitted) {
            self.merge.last_iteration_admitted = false;
            return false;
        }
        self.merge.last_iteration_admitted = false;
        let val = self.setup.data.val_len() as u64;
        let cost = config.subsample_size as u64 + val;
        if self.setup.config.budget_mode == BudgetMode::Strict
            && self.budget_remaining().is_some_and(|r| r < cost)
        {
            return false;
        }
        let means: Vec<f64> = self.pool.iter().map(PoolEntry::mean).collect();
        let parents: Vec<Vec<usize>> = self.pool.iter().map(|p| p.parents.clone()).collect();
        let candidates: Vec<Candidate> = self.pool.iter().map(|p| p.candidate.clone()).collect();
        let scored: Vec<BTreeSet<u32>> =
            self.pool.iter().map(|p| p.scores.per_example.keys().copied().collect()).collect();
        let holder_sets = self.front.holder_sets();
        let found = merge::find_merge(
            &merge::MergeInput {
                means: &means,
                parents: &parents,
                candidates: &candidates,
                scored: &scored,
                holder_sets: &holder_sets,
                overlap_floor: config.val_overlap_floor,
            },
            &mut self.merge.tried_triples,
            &mut self.merge.produced,
            &mut self.rng,
        );
        let Some(found) = found else { return false };
        let [i, j] = found.parents;
        let common: Vec<u32> = scored[i].intersection(&scored[j]).copied().collect();
        let subsample = merge::subsample(
            &common,
            &self.pool[i].scores.per_example,
            &self.pool[j].scores.per_example,
            config.subsample_size,
            &mut self.rng,
        );
        self.events.push(Event::MergeAttempted {
            iteration: it.iteration,
            parents: found.parents,
            ancestor: found.ancestor,
        });
        let plan = MergePlan {
            parents: found.parents,
            ancestor: found.ancestor,
            child: found.child.clone(),
            subsample: subsample.clone(),
        };
        let batch = Batch::new(vec![(found.child, self.setup.data.val_split(), subsample)], true);
        let ctx = std::mem::replace(
            it,
            IterCtx {
                iteration: it.iteration,
                id: String::new(),
                tasks: Vec::new(),
                admitted: Vec::new(),
            },
        );
        self.phase = Phase::MergeSubsample { it: ctx, merge: plan, batch };
        self.start_batch();
        true
    }

    fn complete_merge_subsample(&mut self, it: IterCtx, plan: MergePlan, batch: &Batch) {
        self.emit_evaluated(
            it.iteration,
            EvalTarget::MergeChild { parents: plan.parents },
            batch,
            0,
        );
        self.emit_budget(it.iteration, batch.charged);
        let child_sum = batch.sum_of(0);
        let parent_sum = |p: usize| {
            plan.subsample
                .iter()
                .map(|id| self.pool[p].scores.per_example.get(id).copied().unwrap_or(0.0))
                .sum::<f64>()
        };
        let best_parent = parent_sum(plan.parents[0]).max(parent_sum(plan.parents[1]));
        if child_sum < best_parent {
            self.events.push(Event::MergeRejected {
                iteration: it.iteration,
                parents: plan.parents,
                reason: format!("merged child scored {child_sum} on the subsample, below its better parent's {best_parent}"),
            });
            self.end_iteration(it);
            return;
        }
        let jobs = vec![(plan.child.clone(), self.setup.data.val_split(), self.val_ids())];
        self.phase = Phase::MergeValidating { it, merge: plan, batch: Batch::new(jobs, true) };
        self.start_batch();
    }

    fn complete_merge_validating(&mut self, mut it: IterCtx, plan: MergePlan, batch: &Batch) {
        self.emit_evaluated(
            it.iteration,
            EvalTarget::MergeChild { parents: plan.parents },
            batch,
            0,
        );
        self.emit_budget(it.iteration, batch.charged);
        let results = owned_results(batch, 0);
        let idx = self.add_to_pool(
            plan.child,
            plan.parents.to_vec(),
            Origin::Merge,
            it.iteration,
            it.id.clone(),
            results,
            batch.charged,
        );
        self.merge.accepted += 1;
        self.merge.due = self.merge.due.saturating_sub(1);
        self.events.push(Event::MergeAccepted {
            iteration: it.iteration,
            parents: plan.parents,
            candidate: idx,
        });
        it.admitted = vec![idx];
        self.end_iteration(it);
    }

    // --- steering -------------------------------------------------------------------------------

    pub(super) fn steer(&mut self, command: Command) {
        let n = self.pool.len();
        let description = match &command {
            Command::AddCandidate { program, parent } => {
                let same_keys = program.len() == self.setup.seed.len()
                    && self.setup.seed.names().all(|k| program.get(k).is_some());
                if !same_keys {
                    Err("the added candidate must have exactly the seed's components".to_owned())
                } else if let Some(dup) =
                    self.pool.iter().position(|p| p.candidate.same_content(program))
                {
                    Err(format!("the added candidate is identical to #{dup}"))
                } else if parent.is_some_and(|p| p >= n) {
                    Err("the added candidate names a parent that does not exist".to_owned())
                } else {
                    self.steering
                        .queued
                        .push(HumanCandidate { program: program.clone(), parent: *parent });
                    Ok("Queued your candidate; it will be scored on the validation set before the next iteration.".to_owned())
                }
            }
            Command::Feedback { candidate, note } if *candidate < n => {
                self.steering.notes.insert(*candidate, note.clone());
                Ok(format!("Your note will be added to the next reflection on #{candidate}."))
            }
            Command::Pin { candidate } if *candidate < n => {
                self.steering.pinned = Some(*candidate);
                Ok(format!("#{candidate} will be the parent of the next proposal."))
            }
            Command::Exclude { candidate, excluded } if *candidate < n => {
                if *excluded {
                    if self.steering.excluded.len() + 1 >= n {
                        Err("at least one candidate must stay selectable".to_owned())
                    } else {
                        self.steering.excluded.insert(*candidate);
                        Ok(format!("#{candidate} is excluded from parent selection."))
                    }
                } else {
                    self.steering.excluded.remove(candidate);
                    Ok(format!("#{candidate} can be selected as a parent again."))
                }
            }
            _ => Err("that candidate does not exist".to_owned()),
        };
        match description {
            Ok(description) => {
                self.steering.log.push((self.iterations, command));
                self.events.push(Event::Steered { description });
            }
            Err(message) => {
                self.events.push(Event::Warning { iteration: self.iterations, message })
            }
        }
    }

    fn complete_human(&mut self, human: HumanCandidate, batch: &Batch) {
        let index = self.pool.len();
        self.emit_evaluated(self.iterations, EvalTarget::Candidate { index }, batch, 0);
        self.emit_budget(self.iterations, batch.charged);
        let results = owned_results(batch, 0);
        let parents = human.parent.into_iter().collect();
        self.add_to_pool(
            human.program,
            parents,
            Origin::Human,
            self.iterations,
            format!("human-{index}"),
            results,
            batch.charged,
        );
        self.phase = Phase::Between;
    }
}

#[derive(Debug, Clone, Copy)]
struct IterationPlan {
    tasks: usize,
    minibatch: usize,
}

/// A reply as it is kept in a retry conversation: at most 1,200 characters.
fn clip_reply(raw: &str) -> String {
    const KEEP: usize = 1_200;
    if raw.chars().count() <= KEEP {
        return raw.to_owned();
    }
    let kept: String = raw.chars().take(KEEP).collect();
    format!("{kept}\n[… the rest of this reply is not repeated here]")
}

fn owned_results(batch: &Batch, index: usize) -> Vec<(u32, RolloutResult)> {
    batch.results_of(index).into_iter().map(|(id, r)| (id, r.clone())).collect()
}

fn render_chat(messages: &[ChatMessage]) -> String {
    messages
        .iter()
        .map(|m| {
            format!(
                "[{}]\n{}",
                serde_json::to_value(m.role)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                m.content
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn step_names(program: &Program) -> Vec<String> {
    match program {
        Program::Chat { steps } => steps.iter().map(|s| s.name.clone()).collect(),
        Program::Artifact { .. } => Vec::new(),
    }
}
