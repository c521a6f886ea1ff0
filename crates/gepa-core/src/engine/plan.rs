//! Planning iterations: when one commits, the next starts from the state it left (parent
//! selection, minibatch, components, steering notes, merges: every random draw happens here, in
//! iteration order), with a share of the budget reserved so that no interleaving of replies can
//! make the run overspend.

use std::collections::{BTreeMap, BTreeSet};

use super::batch::Batch;
use super::flight::{Flight, FlightKind, HumanCandidate, IterCtx, MergePlan, Stage, Task};
use super::pool::PoolEntry;
use super::{Engine, Phase};
use crate::candidate::Candidate;
use crate::config::BudgetMode;
use crate::data::Split;
use crate::events::{Event, StopReason};
use crate::merge;
use crate::select::{SelectionInput, select_parent};

/// What planning came to.
enum Planned {
    /// A flight was started (or a user's candidate set aside).
    Started,
    /// Nothing fits the budget until a flight in flight commits.
    Wait,
    /// Nothing will ever fit again.
    Exhausted,
}

/// The shape of the next reflective iteration and its share of the budget.
#[derive(Debug, Clone, Copy)]
struct Shape {
    tasks: usize,
    minibatch: usize,
    reserved: u64,
    ample: bool,
}

impl Engine {
    /// Plans iterations until `depth` are in flight or nothing more may start; finishes the run
    /// when a stop condition fired and nothing is left in flight. Returns whether anything
    /// changed.
    pub(super) fn fill_pipeline(&mut self) -> bool {
        let mut changed = false;
        while !self.is_finished() {
            if let Some(reason) = self.draining.clone() {
                if self.flights.is_empty() {
                    self.finish(reason);
                    return true;
                }
                return changed;
            }
            if self.flights.len() >= self.depth() {
                return changed;
            }
            if let Some(reason) = self.stop_reason() {
                changed = true;
                if drains(&reason) {
                    self.draining = Some(reason);
                } else {
                    self.finish(reason);
                }
                continue;
            }
            match self.plan_next() {
                Planned::Started => changed = true,
                Planned::Wait => return changed,
                Planned::Exhausted => {
                    let budget = self.setup.config.stop.max_rollouts.unwrap_or(self.ledger);
                    self.draining =
                        Some(StopReason::BudgetExhausted { used: self.committed_ledger, budget });
                    changed = true;
                }
            }
        }
        changed
    }

    /// Rollouts that may still be spent without any reservation being broken (`None`: no strict
    /// budget).
    fn room(&self) -> Option<u64> {
        let max = self.setup.config.stop.max_rollouts?;
        if self.setup.config.budget_mode != BudgetMode::Strict {
            return None;
        }
        let held: u64 = self.flights.iter().map(|f| f.reserved.max(f.charged)).sum();
        let seed = match &self.phase {
            Phase::Seed { .. } => self.setup.data.val_len() as u64,
            _ => 0,
        };
        Some(max.saturating_sub(self.committed_ledger + held + seed))
    }

    pub(super) fn stop_reason(&self) -> Option<StopReason> {
        self.stop_reason_counting(true)
    }

    /// A stop condition that the seed's validation fired: the iterations planned beside it do
    /// not count (the run without them would still have started them).
    pub(super) fn stop_at_the_seed(&self) -> Option<StopReason> {
        self.stop_reason_counting(false)
    }

    fn stop_reason_counting(&self, iterations: bool) -> Option<StopReason> {
        let stop = &self.setup.config.stop;
        let best = self.best().map_or(f64::NEG_INFINITY, |b| self.pool[b].mean());
        if let Some(max) = stop.max_rollouts
            && self.committed_ledger >= max
        {
            return Some(StopReason::BudgetExhausted { used: self.committed_ledger, budget: max });
        }
        if let Some(max) = stop.max_iterations.filter(|max| iterations && self.iterations >= *max) {
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
        let idle = self.idle_limit();
        if self.free_iterations >= idle {
            return Some(StopReason::NothingToImprove { iterations: self.free_iterations });
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

    /// Consecutive rollout-free iterations after which the run ends: two passes over the train
    /// set in minibatches, plus ten. Such iterations cost no budget (a parent already perfect on
    /// its minibatch's remembered results, or proposals all screened out), so without this a
    /// run that reuses results could go on forever.
    fn idle_limit(&self) -> u32 {
        let minibatch = self.setup.config.minibatch_size.max(1);
        let epoch = self.setup.data.train.len().div_ceil(minibatch);
        u32::try_from(2 * epoch + 10).unwrap_or(u32::MAX)
    }

    /// The next iteration's shape: as many parallel proposals as the parents' and children's
    /// minibatches allow (never a smaller minibatch); ample when validation fits too. The room
    /// it plans in leaves out the validation passes that older iterations in flight did not
    /// reserve (they reserved their minibatches only): a winner among them must not find its
    /// validation crowded out by iterations planned after it.
    fn shape(&self) -> Result<Shape, Planned> {
        let config = &self.setup.config;
        // A minibatch larger than the train set would only repeat examples.
        let minibatch = config.minibatch_size.min(self.setup.data.train.len()).max(1);
        let val = self.setup.data.val_len() as u64;
        let mut shape =
            Shape { tasks: config.proposals_per_iteration, minibatch, reserved: 0, ample: true };
        let Some(room) = self.room() else { return Ok(shape) };
        let unreserved: u64 = self
            .flights
            .iter()
            .filter(|f| !f.ample && matches!(f.kind, FlightKind::Reflective))
            .map(|f| f.it.tasks.len() as u64 * val)
            .sum();
        let room = room.saturating_sub(unreserved);
        let least = |tasks: usize| tasks as u64 * 2 * minibatch as u64;
        while shape.tasks > 1 && least(shape.tasks) > room {
            shape.tasks -= 1;
        }
        if least(shape.tasks) > room {
            return Err(if self.flights.is_empty() { Planned::Exhausted } else { Planned::Wait });
        }
        let worst = least(shape.tasks) + shape.tasks as u64 * val;
        shape.ample = worst <= room;
        shape.reserved = if shape.ample { worst } else { least(shape.tasks) };
        Ok(shape)
    }

    fn plan_next(&mut self) -> Planned {
        if !self.steering.queued.is_empty() {
            return self.plan_human();
        }
        let shape = match self.shape() {
            Ok(shape) => shape,
            Err(planned) => return planned,
        };
        self.iterations += 1;
        #[expect(clippy::cast_possible_truncation, reason = "an 8-hex id keeps the low 32 bits")]
        let id = format!("{:08x}", self.rng.next_u64() as u32);
        let iteration = self.iterations;
        let started = Event::IterationStarted { iteration, iteration_id: id.clone() };
        let it = IterCtx { iteration, id, tasks: Vec::new(), admitted: Vec::new() };
        if let Some(plan) = self.plan_merge() {
            let reserved = plan.subsample.len() as u64 + self.setup.data.val_len() as u64;
            let attempted =
                Event::MergeAttempted { iteration, parents: plan.parents, ancestor: plan.ancestor };
            let batch = Batch::new(
                vec![(plan.child.clone(), self.setup.data.val_split(), plan.subsample.clone())],
                true,
            );
            let fi = self.launch(it, FlightKind::Merge { plan }, reserved, true);
            let owner = self.owner(fi);
            self.emit(owner, started);
            self.emit(owner, attempted);
            self.flights[fi].decided = true;
            self.start_stage(fi, Stage::MergeSubsample { batch });
            return Planned::Started;
        }
        let optimisable = self.setup.program.used_components(&self.setup.seed);
        let mut tasks = Vec::new();
        let mut events = vec![started];
        for task in 0..shape.tasks {
            let (parent, pinned) = match self.steering.pinned.take() {
                Some(p) => (p, true),
                None => (self.select(), false),
            };
            let Some(minibatch) = self.sampler.next_minibatch(
                self.setup.data.train.len(),
                iteration - 1,
                shape.minibatch,
                &mut self.rng,
            ) else {
                continue;
            };
            events.push(Event::ParentSelected {
                iteration,
                task,
                candidate: parent,
                // Beside the seed's validation the seed has no score yet: it is filled in when
                // the held event is published (`complete_seed`).
                score: self.pool.get(parent).map_or(0.0, PoolEntry::mean),
                pinned,
            });
            events.push(Event::MinibatchSampled { iteration, task, examples: minibatch.clone() });
            let components = self.pick_components(parent, &optimisable);
            tasks.push(Task {
                parent,
                minibatch,
                parent_results: Vec::new(),
                child: None,
                child_results: Vec::new(),
                components,
                note: None,
                val_results: Vec::new(),
                base: None,
                base_scored: false,
            });
        }
        // A steering note is used by one reflection round on that candidate.
        for task in &mut tasks {
            task.note = self.steering.notes.remove(&task.parent);
        }
        let jobs: Vec<(Candidate, Split, Vec<u32>)> = tasks
            .iter()
            .map(|t| (self.parent_candidate(t.parent), Split::Train, t.minibatch.clone()))
            .collect();
        // A task whose parent an older iteration in flight is improving may build on that
        // iteration's winner (one more minibatch), when the budget has room for it.
        let rebasing = tasks.iter().filter(|t| self.improved_in_flight(t.parent)).count() as u64;
        let extra = rebasing * shape.minibatch as u64;
        let may_rebase =
            rebasing > 0 && self.room().is_none_or(|room| shape.reserved + extra <= room);
        let reserved = shape.reserved + if may_rebase { extra } else { 0 };
        let fi =
            self.launch(IterCtx { tasks, ..it }, FlightKind::Reflective, reserved, shape.ample);
        self.flights[fi].may_rebase = may_rebase;
        let owner = self.owner(fi);
        for event in events {
            self.emit(owner, event);
        }
        // A deterministic task model gives a parent the same results on examples it already ran.
        let reuse = self.setup.config.reuse_minibatch_results;
        self.start_stage(fi, Stage::Parents { batch: Batch::new(jobs, reuse) });
        Planned::Started
    }

    /// With iterations in flight (depth above 1), the first ones start beside the seed's
    /// validation instead of after it: their parent can only be the seed, so nothing they plan
    /// depends on its scores, and their parents' minibatches fill the slots that the
    /// validation's last wave leaves idle. Until the seed is in the pool they only run those
    /// minibatches (`advance` moves no flight while the seed is validating) and their events are
    /// held, so the event stream reads as if they had started after it.
    pub(super) fn plan_beside_seed(&mut self) {
        if self.depth() <= 1 {
            return;
        }
        while self.flights.len() < self.depth()
            && self.steering.queued.is_empty()
            && self.stop_reason().is_none()
            && matches!(self.plan_next(), Planned::Started)
        {}
    }

    /// True when an iteration in flight is improving `parent` (a reflective one: its winner is
    /// what a new iteration on `parent` may build on).
    fn improved_in_flight(&self, parent: usize) -> bool {
        self.flights.iter().any(|f| f.improves(parent))
    }

    /// The candidate at `index` in the pool; the seed while it is still being validated.
    pub(super) fn parent_candidate(&self, index: usize) -> Candidate {
        self.pool.get(index).map_or_else(|| self.setup.seed.clone(), |p| p.candidate.clone())
    }

    /// Which of the first `seen` pool members has `candidate`'s content; the seed counts as
    /// member 0 while it is still being validated.
    pub(super) fn seen_in_pool(&self, seen: usize, candidate: &Candidate) -> Option<usize> {
        if self.pool.is_empty() {
            return (seen > 0 && self.setup.seed.same_content(candidate)).then_some(0);
        }
        self.pool[..seen.min(self.pool.len())]
            .iter()
            .position(|p| p.candidate.same_content(candidate))
    }

    /// Adds a planned flight at the back of the pipeline; returns its index.
    fn launch(&mut self, it: IterCtx, kind: FlightKind, reserved: u64, ample: bool) -> usize {
        let seq = self.next_seq;
        self.next_seq += 1;
        let window_from = self.flights.first().map_or(seq, |f| f.seq);
        self.flights.push(Flight {
            seq,
            it,
            kind,
            stage: Stage::Done,
            epoch: self.commits,
            // A flight planned beside the seed's validation sees the seed as a pool member.
            pool_seen: self.pool.len().max(1),
            window_from,
            reserved,
            ample,
            decided: false,
            may_rebase: false,
            charged: 0,
            published_charge: 0,
            held: Vec::new(),
            cache_writes: BTreeMap::new(),
            single: None,
        });
        self.flights.len() - 1
    }

    /// A user's candidate is scored on the validation set in a flight of its own.
    fn plan_human(&mut self) -> Planned {
        let needed = self.setup.data.val_len() as u64;
        if self.room().is_some_and(|room| room < needed) {
            if !self.flights.is_empty() {
                return Planned::Wait;
            }
            self.steering.queued.remove(0);
            self.events.push(Event::Warning {
                iteration: self.iterations,
                message: format!(
                    "Not enough budget left to score the added candidate ({needed} rollouts needed)."
                ),
            });
            return Planned::Started;
        }
        let human: HumanCandidate = self.steering.queued.remove(0);
        let batch = Batch::new(
            vec![(human.program.clone(), self.setup.data.val_split(), self.val_ids())],
            true,
        );
        let it = IterCtx { iteration: self.iterations, ..IterCtx::default() };
        let fi = self.launch(it, FlightKind::Human { human }, needed, true);
        self.flights[fi].decided = true;
        self.start_stage(fi, Stage::HumanValidating { batch });
        Planned::Started
    }

    pub(super) fn select(&mut self) -> usize {
        let means: Vec<f64> = self.pool.iter().map(PoolEntry::mean).collect();
        let holder_sets = self.front.holder_sets();
        let input = SelectionInput {
            means: &means,
            holder_sets: &holder_sets,
            excluded: &self.steering.excluded,
        };
        select_parent(self.setup.config.selection, &input, &mut self.rng).unwrap_or(0)
    }

    /// A merge in place of the reflective step, when one is due and fits (spec §6).
    fn plan_merge(&mut self) -> Option<MergePlan> {
        let config = self.setup.config.merge?;
        if !(self.merge.due > 0 && self.merge.last_iteration_admitted) {
            self.merge.last_iteration_admitted = false;
            return None;
        }
        self.merge.last_iteration_admitted = false;
        let cost = config.subsample_size as u64 + self.setup.data.val_len() as u64;
        if self.room().is_some_and(|room| room < cost) {
            return None;
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
        )?;
        let [i, j] = found.parents;
        let common: Vec<u32> = scored[i].intersection(&scored[j]).copied().collect();
        let subsample = merge::subsample(
            &common,
            &self.pool[i].scores.per_example,
            &self.pool[j].scores.per_example,
            config.subsample_size,
            &mut self.rng,
        );
        Some(MergePlan {
            parents: found.parents,
            ancestor: found.ancestor,
            child: found.child,
            subsample,
        })
    }
}

/// Stop conditions whose iterations in flight still finish (and are admitted) before the run
/// ends; the others (a reached target, time, cost) end it at once.
fn drains(reason: &StopReason) -> bool {
    matches!(
        reason,
        StopReason::BudgetExhausted { .. }
            | StopReason::NothingToImprove { .. }
            | StopReason::MaxIterations { .. }
            | StopReason::MaxCandidates { .. }
            | StopReason::NoImprovement { .. }
    )
}
