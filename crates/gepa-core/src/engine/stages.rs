//! What happens when a flight's stage completes: the children's minibatch decides which
//! proposals won; winners wait for their validation to be granted (in iteration order, within
//! the budget, duplicates caught first); merges and users' candidates are scored.

use std::collections::BTreeMap;

use super::Engine;
use super::batch::{Batch, RolloutResult};
use super::flight::{FlightKind, Owner, Stage};
use super::pool::PoolEntry;
use crate::candidate::Candidate;
use crate::config::{BudgetMode, ProposalSelection};
use crate::data::Split;
use crate::events::{EvalTarget, Event, Origin, Rejection};
use crate::frontier::CandidateScores;

impl Engine {
    /// Completes the stage of flight `fi` (which has everything it waited for).
    pub(super) fn complete_stage(&mut self, fi: usize) {
        let stage = std::mem::replace(&mut self.flights[fi].stage, Stage::Done);
        match stage {
            Stage::Parents { batch } => self.complete_parents(fi, &batch),
            Stage::Rebasing { jobs, tasks, batch } => {
                self.complete_rebasing(fi, jobs, &tasks, &batch);
            }
            Stage::Reflecting { jobs } => self.complete_reflecting(fi, jobs),
            Stage::Children { batch, bases } => self.complete_children(fi, &batch, &bases),
            Stage::Validating { batch } => self.complete_validating(fi, &batch),
            Stage::MergeSubsample { batch } => self.complete_merge_subsample(fi, &batch),
            Stage::MergeValidating { batch } | Stage::HumanValidating { batch } => {
                self.complete_single_validation(fi, &batch);
            }
            other => self.flights[fi].stage = other,
        }
    }

    /// The owner handle of flight `fi`.
    pub(super) fn owner(&self, fi: usize) -> Owner {
        Owner::Flight { seq: self.flights[fi].seq }
    }

    /// Puts flight `fi` on a new batch and starts it.
    pub(super) fn start_stage(&mut self, fi: usize, stage: Stage) {
        self.flights[fi].stage = stage;
        let owner = self.owner(fi);
        self.start_batch(owner);
    }

    pub(super) fn emit_evaluated(
        &mut self,
        owner: Owner,
        iteration: u64,
        target: EvalTarget,
        batch: &Batch,
        index: usize,
    ) {
        let results = batch.results_of(index);
        let split =
            batch.rollouts.iter().find(|r| r.candidate == index).map_or(Split::Train, |r| r.split);
        let charged = results.iter().filter(|(_, r)| !r.cached).count() as u64;
        let event = Event::Evaluated {
            iteration,
            target,
            split,
            examples: results.iter().map(|(id, _)| *id).collect(),
            scores: results.iter().map(|(_, r)| r.score.score).collect(),
            outputs: results.iter().map(|(_, r)| r.output.clone()).collect(),
            feedback: results.iter().map(|(_, r)| r.score.feedback.clone()).collect(),
            charged,
            usage: batch.usage_of(index),
        };
        self.emit(owner, event);
    }

    pub(super) fn emit_budget(&mut self, owner: Owner, iteration: u64, delta: u64) {
        // The seed's charge is committed on its own (iterations planned beside its validation
        // may have charged the ledger too); a flight's `used` is set when it is published.
        let used = match owner {
            Owner::Seed => self.committed_ledger + delta,
            Owner::Flight { .. } => self.ledger,
        };
        let remaining = self.setup.config.stop.max_rollouts.map(|max| max.saturating_sub(used));
        let event = Event::BudgetUpdated { iteration, used, delta, remaining };
        self.emit(owner, event);
    }

    /// Adds an evaluated candidate and updates the front; returns its pool index.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call site per origin; a struct would only rename them"
    )]
    pub(super) fn add_to_pool(
        &mut self,
        owner: Owner,
        candidate: Candidate,
        parents: Vec<usize>,
        origin: Origin,
        iteration: u64,
        iteration_id: String,
        results: Vec<(u32, RolloutResult)>,
        discovered_at: u64,
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
            discovered_at,
            next_component,
        });
        let mean = self.pool[idx].mean();
        let is_best = self.best() == Some(idx);
        self.emit(
            owner,
            Event::CandidateAdded {
                iteration,
                candidate: idx,
                parents,
                origin,
                program: candidate,
                val_scores: scores.per_example,
                mean,
                is_best,
                discovered_at,
            },
        );
        self.emit(
            owner,
            Event::ParetoFrontChanged {
                iteration,
                members: after.iter().copied().collect(),
                displaced: before.difference(&after).copied().collect(),
            },
        );
        idx
    }

    /// The children and the versions they build on are scored: a child must beat the version
    /// it rewrote (its parent, or the newer version it builds on) on the minibatch.
    fn complete_children(&mut self, fi: usize, batch: &Batch, bases: &[usize]) {
        let owner = self.owner(fi);
        let iteration = self.flights[fi].it.iteration;
        let with_child: Vec<usize> = (0..self.flights[fi].it.tasks.len())
            .filter(|t| self.flights[fi].it.tasks[*t].child.is_some())
            .collect();
        for (k, task) in bases.iter().copied().enumerate() {
            self.take_base_results(fi, task, batch, with_child.len() + k);
        }
        for (batch_index, task) in with_child.iter().copied().enumerate() {
            self.emit_evaluated(
                owner,
                iteration,
                EvalTarget::Proposal { task },
                batch,
                batch_index,
            );
            self.flights[fi].it.tasks[task].child_results =
                owned_results(batch, batch_index).into_iter().map(|(_, r)| r).collect();
        }
        self.emit_budget(owner, iteration, batch.charged);
        let tasks = &self.flights[fi].it.tasks;
        let acceptance = self.setup.config.acceptance;
        let accepted: Vec<usize> = with_child
            .iter()
            .copied()
            .filter(|t| acceptance.accepts(tasks[*t].before(), tasks[*t].after()))
            .collect();
        let mut selected = accepted.clone();
        match self.setup.config.proposal_selection {
            ProposalSelection::All => {}
            ProposalSelection::Best | ProposalSelection::TopK { .. } => {
                let k = match self.setup.config.proposal_selection {
                    ProposalSelection::TopK { k } => k,
                    _ => 1,
                };
                let margin = |t: &usize| tasks[*t].after() - tasks[*t].before();
                selected.sort_by(|a, b| margin(b).total_cmp(&margin(a)));
                selected.truncate(k);
                selected.sort_unstable();
            }
        }
        // Identical children admitted in one iteration collapse to the first (only possible when
        // screening is off, which otherwise catches them before any rollout).
        let mut admitted: Vec<usize> = Vec::new();
        let mut rejections = Vec::new();
        for task in &with_child {
            let (before, after) = (tasks[*task].before(), tasks[*task].after());
            let rejection = if !accepted.contains(task) {
                Some(Rejection::NotBetter { before, after })
            } else if !selected.contains(task) {
                Some(Rejection::NotSelected { before, after })
            } else if admitted.iter().any(|a| tasks[*a].child == tasks[*task].child) {
                Some(Rejection::DuplicateInIteration)
            } else {
                admitted.push(*task);
                None
            };
            if let Some(rejection) = rejection {
                rejections.push((*task, tasks[*task].parent, rejection));
            }
        }
        for (task, parent, rejection) in rejections {
            self.emit(owner, Event::ProposalRejected { iteration, task, parent, rejection });
        }
        self.flights[fi].it.admitted = admitted;
        if self.flights[fi].it.admitted.is_empty() {
            self.flights[fi].decided = true;
            self.flights[fi].stage = Stage::Done;
        } else {
            self.flights[fi].stage = Stage::AwaitingValidation;
        }
    }

    /// Grants validation passes, in iteration order: a flight waits until every older flight
    /// has decided its own. An ample flight (its reservation covers validation) is granted at
    /// once; a tight one only when it is the oldest, and only what still fits. A winner that
    /// duplicates a candidate its planning saw, or a child granted to an older flight, is
    /// rejected before any validation rollout. Returns whether anything was decided.
    pub(super) fn grant_validations(&mut self) -> bool {
        for fi in 0..self.flights.len() {
            if self.flights[fi].decided {
                continue;
            }
            if self.flights[fi].stage != Stage::AwaitingValidation {
                return false;
            }
            if !self.flights[fi].ample && fi != 0 {
                return false;
            }
            self.grant(fi);
            return true;
        }
        false
    }

    fn grant(&mut self, fi: usize) {
        let owner = self.owner(fi);
        let iteration = self.flights[fi].it.iteration;
        let pool_seen = self.flights[fi].pool_seen;
        let mut granted = Vec::new();
        let mut events = Vec::new();
        // What may still be charged: everything reserved by the other flights, this flight's
        // charges so far, and each validation granted here.
        let val = self.setup.data.val_len() as u64;
        let strict = self.setup.config.budget_mode == BudgetMode::Strict;
        let mut headroom =
            match (self.setup.config.stop.max_rollouts, strict, self.flights[fi].ample) {
                (Some(max), true, false) => {
                    let others: u64 = self
                        .flights
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != fi)
                        .map(|(_, f)| f.reserved.max(f.charged))
                        .sum();
                    Some(
                        max.saturating_sub(
                            self.committed_ledger + others + self.flights[fi].charged,
                        ),
                    )
                }
                _ => None,
            };
        for task in self.flights[fi].it.admitted.clone() {
            let t = &self.flights[fi].it.tasks[task];
            let Some(child) = t.child.clone() else { continue };
            let parent = t.parent;
            let in_pool = self.seen_in_pool(pool_seen, &child);
            let in_flight = self
                .granted
                .iter()
                .find(|(i, c)| *i < iteration && c.same_content(&child))
                .map(|(i, _)| *i);
            let rejection = match (in_pool, in_flight) {
                (Some(index), _) => Some(Rejection::Screened {
                    reason: crate::reflect::ScreenReject::DuplicateOf { index },
                }),
                (None, Some(earlier)) => Some(Rejection::DuplicateInFlight { iteration: earlier }),
                (None, None) => None,
            };
            if let Some(rejection) = rejection {
                events.push(Event::ProposalRejected { iteration, task, parent, rejection });
                continue;
            }
            if let Some(room) = headroom.as_mut() {
                if *room < val {
                    events.push(Event::ValidationSkipped {
                        iteration,
                        task,
                        parent,
                        needed: val,
                        remaining: *room,
                    });
                    continue;
                }
                *room -= val;
            }
            granted.push(task);
            let seq = self.flights[fi].seq;
            self.granted_on
                .entry(seq)
                .or_insert_with(|| (iteration, Vec::new()))
                .1
                .push((parent, child.clone()));
            self.granted.push((iteration, child));
        }
        for event in events {
            self.emit(owner, event);
        }
        let flight = &mut self.flights[fi];
        flight.decided = true;
        if !flight.ample {
            flight.reserved += val * granted.len() as u64;
        }
        flight.it.admitted = granted;
        if flight.it.admitted.is_empty() {
            flight.stage = Stage::Done;
            return;
        }
        let val_split = self.setup.data.val_split();
        let ids = self.val_ids();
        let jobs = self.flights[fi]
            .it
            .admitted
            .iter()
            .filter_map(|t| self.flights[fi].it.tasks[*t].child.clone())
            .map(|c| (c, val_split, ids.clone()))
            .collect();
        self.start_stage(fi, Stage::Validating { batch: Batch::new(jobs, true) });
    }

    fn complete_validating(&mut self, fi: usize, batch: &Batch) {
        let owner = self.owner(fi);
        let iteration = self.flights[fi].it.iteration;
        for (batch_index, task) in self.flights[fi].it.admitted.clone().into_iter().enumerate() {
            self.emit_evaluated(
                owner,
                iteration,
                EvalTarget::Proposal { task },
                batch,
                batch_index,
            );
            self.flights[fi].it.tasks[task].val_results = owned_results(batch, batch_index);
        }
        self.emit_budget(owner, iteration, batch.charged);
        self.flights[fi].stage = Stage::Done;
    }

    fn complete_merge_subsample(&mut self, fi: usize, batch: &Batch) {
        let owner = self.owner(fi);
        let iteration = self.flights[fi].it.iteration;
        let FlightKind::Merge { plan } = self.flights[fi].kind.clone() else { return };
        self.emit_evaluated(
            owner,
            iteration,
            EvalTarget::MergeChild { parents: plan.parents },
            batch,
            0,
        );
        self.emit_budget(owner, iteration, batch.charged);
        let child_sum = batch.sum_of(0);
        let parent_sum = |p: usize| {
            plan.subsample
                .iter()
                .map(|id| self.pool[p].scores.per_example.get(id).copied().unwrap_or(0.0))
                .sum::<f64>()
        };
        let best_parent = parent_sum(plan.parents[0]).max(parent_sum(plan.parents[1]));
        if child_sum < best_parent {
            self.emit(
                owner,
                Event::MergeRejected {
                    iteration,
                    parents: plan.parents,
                    reason: format!("merged child scored {child_sum} on the subsample, below its better parent's {best_parent}"),
                },
            );
            self.flights[fi].stage = Stage::Done;
            return;
        }
        let jobs = vec![(plan.child.clone(), self.setup.data.val_split(), self.val_ids())];
        self.start_stage(fi, Stage::MergeValidating { batch: Batch::new(jobs, true) });
    }

    /// A merged child's or a user's candidate's validation pass: reported and admitted at
    /// commit, when its pool index is known.
    fn complete_single_validation(&mut self, fi: usize, batch: &Batch) {
        let flight = &mut self.flights[fi];
        flight.single = Some(batch.clone());
        flight.stage = Stage::Done;
    }
}

pub(super) fn owned_results(batch: &Batch, index: usize) -> Vec<(u32, RolloutResult)> {
    batch.results_of(index).into_iter().map(|(id, r)| (id, r.clone())).collect()
}
