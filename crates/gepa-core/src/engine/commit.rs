//! Committing the oldest flight once it is done: its winners join the pool (a duplicate of a
//! candidate admitted meanwhile is turned away), its cache writes become visible, its charges
//! become committed, and the iteration's bookkeeping runs. Only the oldest flight commits, so
//! admissions happen in iteration order.

use super::Engine;
use super::flight::{FlightKind, Owner, Task};
use super::stages::owned_results;
use crate::events::{EvalTarget, Event, Origin, Rejection};
use crate::reflect::ScreenReject;

impl Engine {
    /// Commits `flights[0]` (its stage is done).
    pub(super) fn commit_head(&mut self) {
        let owner = self.owner(0);
        let kind = self.flights[0].kind.clone();
        let iteration = self.flights[0].it.iteration;
        let charged = self.flights[0].charged;
        let mut admitted = Vec::new();
        match kind {
            FlightKind::Reflective => admitted = self.admit_winners(owner),
            FlightKind::Merge { plan } => {
                if let Some(batch) = self.flights[0].single.take() {
                    let target = EvalTarget::MergeChild { parents: plan.parents };
                    self.emit_evaluated(owner, iteration, target, &batch, 0);
                    self.emit_budget(owner, iteration, batch.charged);
                    let discovered_at = self.committed_ledger + charged - batch.charged;
                    let id = self.flights[0].it.id.clone();
                    let idx = self.add_to_pool(
                        owner,
                        plan.child,
                        plan.parents.to_vec(),
                        Origin::Merge,
                        iteration,
                        id,
                        owned_results(&batch, 0),
                        discovered_at,
                    );
                    self.merge.accepted += 1;
                    self.merge.due = self.merge.due.saturating_sub(1);
                    self.emit(
                        owner,
                        Event::MergeAccepted { iteration, parents: plan.parents, candidate: idx },
                    );
                    admitted.push(idx);
                }
            }
            FlightKind::Human { human } => {
                if let Some(batch) = self.flights[0].single.take() {
                    let index = self.pool.len();
                    self.emit_evaluated(
                        owner,
                        iteration,
                        EvalTarget::Candidate { index },
                        &batch,
                        0,
                    );
                    self.emit_budget(owner, iteration, batch.charged);
                    let discovered_at = self.committed_ledger + charged - batch.charged;
                    self.add_to_pool(
                        owner,
                        human.program,
                        human.parent.into_iter().collect(),
                        Origin::Human,
                        iteration,
                        format!("human-{index}"),
                        owned_results(&batch, 0),
                        discovered_at,
                    );
                }
            }
        }
        let is_iteration = !matches!(self.flights[0].kind, FlightKind::Human { .. });
        if is_iteration {
            self.emit(owner, Event::IterationFinished { iteration, admitted });
        }
        let flight = self.flights.remove(0);
        self.commits += 1;
        for (key, result) in flight.cache_writes {
            self.cache_epochs.entry(key.clone()).or_insert(self.commits);
            self.cache.entry(key).or_insert(result);
        }
        self.committed_ledger += flight.charged;
        let oldest = self.flights.first().map_or(u64::MAX, |f| f.it.iteration);
        let depth = self.depth() as u64;
        self.granted.retain(|(i, _)| i + depth >= oldest);
        self.forget_proposals();
        if is_iteration {
            self.free_iterations = if flight.charged == 0 { self.free_iterations + 1 } else { 0 };
            self.end_iteration(iteration);
        }
        self.release_head();
    }

    /// The validated winners of the oldest flight join the pool, in task order.
    fn admit_winners(&mut self, owner: Owner) -> Vec<usize> {
        let it = self.flights[0].it.clone();
        let val_charged: u64 = it
            .admitted
            .iter()
            .map(|t| it.tasks[*t].val_results.iter().filter(|(_, r)| !r.cached).count() as u64)
            .sum();
        // Rollouts used before each candidate's own validation pass.
        let mut discovered_at = self.committed_ledger + self.flights[0].charged - val_charged;
        let mut pool_indices = Vec::new();
        for (k, task_index) in it.admitted.iter().enumerate() {
            let task = &it.tasks[*task_index];
            let Some(child) = task.child.clone() else { continue };
            let own = task.val_results.iter().filter(|(_, r)| !r.cached).count() as u64;
            if task.val_results.is_empty() {
                continue;
            }
            if let Some(index) = self.pool.iter().position(|p| p.candidate.same_content(&child)) {
                let reason = ScreenReject::DuplicateOf { index };
                self.emit(
                    owner,
                    Event::ProposalRejected {
                        iteration: it.iteration,
                        task: *task_index,
                        parent: task.parent,
                        rejection: Rejection::Screened { reason },
                    },
                );
                discovered_at += own;
                continue;
            }
            let iteration_id = if k == 0 { it.id.clone() } else { format!("{}-{k}", it.id) };
            let parent = self.lineage_parent(task);
            let idx = self.add_to_pool(
                owner,
                child,
                vec![parent],
                Origin::Reflection,
                it.iteration,
                iteration_id,
                task.val_results.clone(),
                discovered_at,
            );
            discovered_at += own;
            self.emit(
                owner,
                Event::ProposalAccepted {
                    iteration: it.iteration,
                    task: *task_index,
                    parent,
                    candidate: idx,
                    before: task.before(),
                    after: task.after(),
                },
            );
            pool_indices.push(idx);
            if let Some(config) = self.setup.config.merge {
                self.merge.last_iteration_admitted = true;
                if self.merge.accepted < config.max_merges {
                    self.merge.due += 1;
                }
            }
        }
        pool_indices
    }

    /// The pool member a winner descends from: the newer version it was built on (admitted by
    /// an older iteration, so already in the pool), else the parent it was planned on.
    fn lineage_parent(&self, task: &Task) -> usize {
        task.base
            .as_ref()
            .and_then(|base| {
                self.pool.iter().position(|p| p.candidate.same_content(&base.candidate))
            })
            .unwrap_or(task.parent)
    }

    /// The iteration's bookkeeping once committed: improvement tracking and Step's pause.
    fn end_iteration(&mut self, iteration: u64) {
        let best = self.best().map_or(f64::NEG_INFINITY, |b| self.pool[b].mean());
        if self.best_seen.is_none_or(|seen| best > seen) {
            self.best_seen = Some(best);
            self.iterations_without_improvement = 0;
        } else {
            self.iterations_without_improvement += 1;
        }
        if std::mem::take(&mut self.pause_after_iteration) && self.stop_reason().is_none() {
            let reason = format!("Paused after iteration {iteration} (Step)");
            self.paused = Some(reason.clone());
            self.clock.last_ms = None;
            self.events.push(Event::Paused { reason });
        }
    }
}
