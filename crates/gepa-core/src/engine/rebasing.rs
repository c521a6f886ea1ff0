//! Building on an older iteration's winner by waiting for it (below
//! [`crate::config::REFLECT_AHEAD_FROM_DEPTH`]; from there on `speculation.rs` reflects ahead).
//! A flight whose parent an older flight in flight is improving reflects once every such flight
//! has decided. When one of them won validation, the newest winner is what the flight improves
//! (had it been planned once that child was in the pool, that is most likely what it would have
//! improved): it is scored on the flight's minibatch first (stage `Rebasing`), its results
//! replace the parent's (what the reflection reads and the child must beat), and a version
//! already perfect there needs no reflection.

use super::Engine;
use super::batch::Batch;
use super::flight::{ReflectJob, Stage};
use super::stages::owned_results;
use crate::data::Split;
use crate::events::{EvalTarget, Event};

impl Engine {
    /// Reflects for flight `fi` (every older flight on its parents has decided), or first puts
    /// on their minibatches the winners its tasks build on.
    pub(super) fn rebase_or_reflect(&mut self, fi: usize, jobs: Vec<ReflectJob>) {
        let (bases, _) = self.newest_versions(fi, &jobs);
        let mut tasks = Vec::new();
        let mut batch_jobs = Vec::new();
        for (index, base) in bases.into_iter().enumerate() {
            let Some(base) = base else { continue };
            let task = &mut self.flights[fi].it.tasks[index];
            batch_jobs.push((base.candidate.clone(), Split::Train, task.minibatch.clone()));
            task.base = Some(base);
            tasks.push(index);
        }
        if tasks.is_empty() {
            self.start_reflecting(fi, jobs);
            return;
        }
        let batch = Batch::new(batch_jobs, self.setup.config.reuse_minibatch_results);
        self.start_stage(fi, Stage::Rebasing { jobs, tasks, batch });
    }

    /// The winners flight `fi`'s tasks build on are scored on their minibatches: their results
    /// replace the parents', and the reflection is asked (for the tasks whose winner is not
    /// already perfect there).
    pub(super) fn complete_rebasing(
        &mut self,
        fi: usize,
        mut jobs: Vec<ReflectJob>,
        tasks: &[usize],
        batch: &Batch,
    ) {
        let owner = self.owner(fi);
        let iteration = self.flights[fi].it.iteration;
        let perfect = self.setup.config.perfect_score;
        let mut skipped = Vec::new();
        for (index, task) in tasks.iter().copied().enumerate() {
            self.take_base_results(fi, task, batch, index);
            let slot = &mut self.flights[fi].it.tasks[task];
            slot.base_scored = true;
            if self.setup.config.skip_perfect_score
                && slot.parent_results.iter().all(|r| r.score.score >= perfect)
            {
                let candidate = slot.parent;
                skipped.push((task, Event::ReflectionSkipped { iteration, task, candidate }));
            }
        }
        self.emit_budget(owner, iteration, batch.charged);
        jobs.retain(|j| !skipped.iter().any(|(task, _)| *task == j.task));
        for (_, event) in skipped {
            self.emit(owner, event);
        }
        if jobs.is_empty() {
            let flight = &mut self.flights[fi];
            flight.decided = true;
            flight.stage = Stage::Done;
            return;
        }
        self.start_reflecting(fi, jobs);
    }

    /// Reports the version flight `fi`'s `task` builds on, scored as the batch's `index`-th
    /// candidate, and takes its results as what the task's child must beat.
    pub(super) fn take_base_results(
        &mut self,
        fi: usize,
        task: usize,
        batch: &Batch,
        index: usize,
    ) {
        let owner = self.owner(fi);
        let iteration = self.flights[fi].it.iteration;
        let on = self.flights[fi].it.tasks[task].base.as_ref().map_or(0, |b| b.iteration);
        self.emit_evaluated(owner, iteration, EvalTarget::BuildsOn { task, on }, batch, index);
        self.flights[fi].it.tasks[task].parent_results =
            owned_results(batch, index).into_iter().map(|(_, r)| r).collect();
    }
}
