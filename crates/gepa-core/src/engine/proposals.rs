//! From older flights to this one's reflection, and from verdicts to children. A flight
//! reflects once every older flight on its parents has decided (below depth 3, `rebasing.rs`)
//! or put its children together (from depth 3, `speculation.rs`); it builds on the newest of
//! them that wins validation, and may be shown what the others tried (`show_tried_versions`).
//! Its children are put together once every older flight has proposed its own, and are
//! screened against those too: only one of two equal texts should pay for its minibatch. A duplicate goes back to the reflection model while it has asks left
//! ("another iteration in flight tried that version"), and is rejected before any rollout when
//! it has none. Waiting for the older flights, and comparing only with the flights that were in
//! flight when this one was planned, keeps the outcome independent of reply timing. With one
//! iteration at a time nothing waits.

use super::Engine;
use super::flight::{Flight, ReflectJob, Stage, Task, Verdict};
use crate::candidate::Candidate;
use crate::data::Split;
use crate::events::{Event, Rejection};
use crate::reflect::ScreenReject;

use super::batch::Batch;

impl Engine {
    /// Puts together the children of the oldest flight that has proposed and whose older
    /// flights all have too. Returns whether one was.
    pub(super) fn release_proposals(&mut self) -> bool {
        for fi in 0..self.flights.len() {
            if !matches!(self.flights[fi].stage, Stage::Proposed { .. }) {
                continue;
            }
            if !self.older_flights_proposed(fi) {
                return false;
            }
            let stage = std::mem::replace(&mut self.flights[fi].stage, Stage::Done);
            if let Stage::Proposed { jobs } = stage {
                self.assemble_children(fi, jobs);
            }
            return true;
        }
        false
    }

    /// Drops the proposals no flight in flight can still be compared with.
    pub(super) fn forget_proposals(&mut self) {
        let keep_from = self.flights.iter().map(|f| f.window_from).min().unwrap_or(u64::MAX);
        self.proposed.retain(|seq, _| *seq >= keep_from);
        self.proposed_parents.retain(|seq, _| *seq >= keep_from);
        self.granted_on.retain(|seq, _| *seq >= keep_from);
    }

    /// True when no older flight can still propose (screening off: nothing is compared, so
    /// nothing waits).
    fn older_flights_proposed(&self, fi: usize) -> bool {
        if !self.setup.config.screen_proposals {
            return true;
        }
        self.flights[..fi].iter().all(|f| !f.stage.proposing())
    }

    /// The version `task` improves: the newer one it builds on, else its parent.
    pub(super) fn version_improved(&self, task: &Task) -> Candidate {
        match &task.base {
            Some(base) => base.candidate.clone(),
            None => self.parent_candidate(task.parent),
        }
    }

    /// The texts of `component` that flights planned alongside flight `fi` (and before it)
    /// tried on `task`'s parent, oldest first, other than the version `task` improves: what its
    /// reflection is shown so as not to repeat them.
    pub(super) fn tried_alongside(&self, fi: usize, task: &Task, component: &str) -> Vec<String> {
        let flight = &self.flights[fi];
        let config = &self.setup.config;
        if !config.screen_proposals
            || !config.show_tried_versions
            || flight.window_from >= flight.seq
        {
            return Vec::new();
        }
        let improved = self.version_improved(task);
        let current = improved.get(component);
        let mut texts: Vec<String> = Vec::new();
        for (seq, (_, children)) in self.proposed.range(flight.window_from..flight.seq) {
            let parents = self.proposed_parents.get(seq).map(Vec::as_slice).unwrap_or_default();
            for (child, _) in children.iter().zip(parents).filter(|(_, p)| **p == task.parent) {
                if let Some(text) = child.get(component)
                    && Some(text) != current
                    && !texts.iter().any(|t| t == text)
                {
                    texts.push(text.to_owned());
                }
            }
        }
        texts
    }

    /// Starts the reflection of the oldest queued flight whose older flights on the same
    /// parents have all decided, or, reflecting ahead, put their children together (see
    /// `rebasing.rs` and `speculation.rs` for what it builds on). Returns whether one was
    /// started.
    pub(super) fn release_reflections(&mut self) -> bool {
        let ahead = self.setup.config.reflects_ahead();
        for fi in 0..self.flights.len() {
            if !matches!(self.flights[fi].stage, Stage::Queued { .. })
                || self
                    .older_on_parents(fi, |f| if ahead { f.stage.proposing() } else { !f.decided })
            {
                continue;
            }
            let stage = std::mem::replace(&mut self.flights[fi].stage, Stage::Done);
            match stage {
                Stage::Queued { jobs } if ahead => self.reflect_on_newest(fi, jobs),
                Stage::Queued { jobs } => self.rebase_or_reflect(fi, jobs),
                _ => {}
            }
            return true;
        }
        false
    }

    /// True while an older iteration on one of flight `fi`'s parents is `pending`.
    pub(super) fn older_on_parents(&self, fi: usize, pending: impl Fn(&Flight) -> bool) -> bool {
        let parents = self.flights[fi].parents();
        self.flights[..fi].iter().any(|f| pending(f) && parents.iter().any(|p| f.improves(*p)))
    }

    /// The iteration of a flight planned alongside flight `fi` (and before it) that proposed
    /// `child` too.
    fn proposed_alongside(&self, fi: usize, child: &Candidate) -> Option<u64> {
        let flight = &self.flights[fi];
        if !self.setup.config.screen_proposals || flight.window_from >= flight.seq {
            return None;
        }
        self.proposed
            .range(flight.window_from..flight.seq)
            .find(|(_, (_, children))| children.iter().any(|c| c.same_content(child)))
            .map(|(_, (iteration, _))| *iteration)
    }

    /// Each task's child (its parent with every accepted rewrite), whether any rewrite was
    /// accepted, and the first rejection among its jobs.
    fn outcomes(
        &self,
        fi: usize,
        jobs: &[ReflectJob],
    ) -> Vec<(Candidate, bool, Option<Rejection>)> {
        let it = &self.flights[fi].it;
        let mut outcomes: Vec<(Candidate, bool, Option<Rejection>)> =
            it.tasks.iter().map(|t| (self.version_improved(t), false, None)).collect();
        for job in jobs {
            let slot = &mut outcomes[job.task];
            match &job.verdict {
                Some(Verdict { proposal: Some(proposal), rejection: None }) => {
                    slot.0 = slot.0.with_text(&job.component, proposal);
                    slot.1 = true;
                }
                Some(Verdict { rejection: Some(rejection), .. }) if slot.2.is_none() => {
                    slot.2 = Some(rejection.clone());
                }
                _ => {}
            }
        }
        outcomes
    }

    /// Children that a flight planned alongside proposed already go back to the reflection
    /// model while their job has asks left. Returns the jobs and whether any was asked again.
    fn ask_again_for_duplicates(
        &mut self,
        fi: usize,
        mut jobs: Vec<ReflectJob>,
    ) -> (Vec<ReflectJob>, bool) {
        let retries = self.setup.config.reflection_retries;
        let mut asked = false;
        for (task, (child, changed, _)) in self.outcomes(fi, &jobs).into_iter().enumerate() {
            if !changed {
                continue;
            }
            let Some(iteration) = self.proposed_alongside(fi, &child) else { continue };
            let Some(index) = jobs.iter().position(|j| {
                j.task == task
                    && j.attempt <= retries
                    && j.verdict.as_ref().is_some_and(|v| v.proposal.is_some())
            }) else {
                continue;
            };
            let proposal =
                jobs[index].verdict.as_ref().and_then(|v| v.proposal.clone()).unwrap_or_default();
            let reason = ScreenReject::BeingTested { iteration };
            self.ask_again(fi, index, &mut jobs[index], reason, Some(&proposal));
            asked = true;
        }
        (jobs, asked)
    }

    /// Puts flight `fi`'s children together and on their minibatch (or ends the flight when
    /// none is left).
    fn assemble_children(&mut self, fi: usize, jobs: Vec<ReflectJob>) {
        let (jobs, asked) = self.ask_again_for_duplicates(fi, jobs);
        if asked {
            self.flights[fi].stage = Stage::Reflecting { jobs };
            return;
        }
        let owner = self.owner(fi);
        let pool_seen = self.flights[fi].pool_seen;
        let screen = self.setup.config.screen_proposals;
        let outcomes = self.outcomes(fi, &jobs);
        let mut it = self.flights[fi].it.clone();
        let mut seen: Vec<Candidate> = Vec::new();
        let mut seen_parents: Vec<usize> = Vec::new();
        for (index, (child, changed, rejection)) in outcomes.into_iter().enumerate() {
            let parent = it.tasks[index].parent;
            let rejection = if !changed {
                Some(rejection.unwrap_or(Rejection::Screened { reason: ScreenReject::Empty }))
            } else if !screen {
                None
            } else if let Some(dup) = self.seen_in_pool(pool_seen, &child) {
                Some(Rejection::Screened { reason: ScreenReject::DuplicateOf { index: dup } })
            } else if seen.iter().any(|s| s.same_content(&child)) {
                Some(Rejection::DuplicateInIteration)
            } else {
                self.proposed_alongside(fi, &child)
                    .map(|iteration| Rejection::DuplicateInFlight { iteration })
            };
            if let Some(rejection) = rejection {
                let iteration = it.iteration;
                self.emit(
                    owner,
                    Event::ProposalRejected { iteration, task: index, parent, rejection },
                );
                continue;
            }
            seen.push(child.clone());
            seen_parents.push(parent);
            it.tasks[index].child = Some(child);
        }
        if !seen.is_empty() {
            self.proposed.insert(self.flights[fi].seq, (it.iteration, seen));
            self.proposed_parents.insert(self.flights[fi].seq, seen_parents);
        }
        let mut jobs: Vec<_> = it
            .tasks
            .iter()
            .filter_map(|t| t.child.clone().map(|c| (c, Split::Train, t.minibatch.clone())))
            .collect();
        if jobs.is_empty() {
            self.flights[fi].it = it;
            let flight = &mut self.flights[fi];
            flight.decided = true;
            flight.stage = Stage::Done;
            return;
        }
        // The versions children build on are scored beside them, on the same minibatch.
        let mut bases = Vec::new();
        for (index, task) in it.tasks.iter().enumerate() {
            if let (Some(_), Some(base), false) = (&task.child, &task.base, task.base_scored) {
                jobs.push((base.candidate.clone(), Split::Train, task.minibatch.clone()));
                bases.push(index);
            }
        }
        self.flights[fi].it = it;
        self.start_stage(fi, Stage::Children { batch: Batch::new(jobs, false), bases });
    }
}
