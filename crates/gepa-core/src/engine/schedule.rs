//! Moving the run on: the seed, then iterations in flight (each stage completing as its replies
//! arrive), validation granted in iteration order, and commits in iteration order. Events of the
//! oldest flight are published as they happen; a later flight's are held until it is the
//! oldest, so the event stream is the same whatever order the replies arrive in.

use super::batch::Batch;
use super::flight::{Owner, Stage};
use super::{Engine, PendingTarget, Phase};
use crate::events::Event;
use crate::request::Reply;

/// Upper bound on transitions per call, so a run whose iterations need no model call (e.g. an
/// artifact run where every parent is already perfect) still returns control.
const MAX_TRANSITIONS_PER_CALL: usize = 256;

impl Engine {
    /// Moves the run forward as far as it can go without new replies.
    pub(super) fn advance(&mut self) {
        for _ in 0..MAX_TRANSITIONS_PER_CALL {
            let progressed = match &self.phase {
                Phase::NotStarted => {
                    self.start_seed();
                    true
                }
                Phase::Seed { batch } if batch.is_done() => {
                    self.complete_seed();
                    true
                }
                Phase::Running | Phase::Legacy(_) => self.step_flights(),
                Phase::Seed { .. } => self.step_proposing(),
                Phase::Finished { .. } => false,
            };
            if !progressed || self.paused.is_some() || self.is_finished() {
                return;
            }
        }
    }

    /// One transition of the pipeline, if any can be made. A free place in the pipeline is
    /// filled before anything else, so every iteration is planned right after the commit that
    /// made room for it, from the state that commit left, whatever else has happened since.
    /// (Planning that must wait for budget keeps waiting until the next commit: nothing else
    /// gives budget back.)
    fn step_flights(&mut self) -> bool {
        if self.flights.len() < self.depth() && self.fill_pipeline() {
            return true;
        }
        if self.step_proposing() {
            return true;
        }
        if self.grant_validations() {
            return true;
        }
        if self.flights.first().is_some_and(|f| f.stage == Stage::Done) {
            self.commit_head();
            return true;
        }
        false
    }

    /// One transition that brings an iteration closer to its verdict: a stage completed, a
    /// reflection released, settled or read. None needs the seed's scores, so the iterations
    /// planned beside its validation make them while it runs (their events held until it is
    /// in the pool); granting validation and committing wait for it.
    fn step_proposing(&mut self) -> bool {
        if let Some(fi) = self.flights.iter().position(|f| f.stage.is_complete()) {
            self.complete_stage(fi);
            return true;
        }
        self.release_reflections() || self.release_speculations() || self.release_proposals()
    }

    /// Publishes an event of `owner`: the seed's and the oldest flight's go out now, a later
    /// flight's wait until it is the oldest.
    pub(super) fn emit(&mut self, owner: Owner, event: Event) {
        match owner {
            Owner::Seed => self.events.push(event),
            Owner::Flight { seq } => match self.flight_index(seq) {
                Some(0) if !matches!(self.phase, Phase::Seed { .. }) => self.publish_head(event),
                Some(fi) => self.flights[fi].held.push(event),
                None => {}
            },
        }
    }

    /// Publishes an event of the oldest flight; its budget events count from the committed
    /// ledger, so `used` is what the ordered stream says.
    fn publish_head(&mut self, mut event: Event) {
        if let Event::BudgetUpdated { used, delta, remaining, .. } = &mut event
            && let Some(head) = self.flights.first_mut()
        {
            head.published_charge += *delta;
            *used = self.committed_ledger + head.published_charge;
            *remaining = self.setup.config.stop.max_rollouts.map(|m| m.saturating_sub(*used));
        }
        self.events.push(event);
    }

    /// The new oldest flight publishes what it held back.
    pub(super) fn release_head(&mut self) {
        let held =
            self.flights.first_mut().map(|f| std::mem::take(&mut f.held)).unwrap_or_default();
        for event in held {
            self.publish_head(event);
        }
    }

    /// Routes a reply to the rollout or reflection it answers.
    pub(super) fn route_reply(&mut self, target: PendingTarget, reply: Reply) {
        match target {
            PendingTarget::Rollout { owner: Some(owner), index, judge } => {
                self.rollout_reply(owner, index, judge, reply);
            }
            PendingTarget::Rollout { owner: None, .. } => {}
            PendingTarget::Reflection { iteration, job } => {
                let flight = iteration.and_then(|i| self.flight_index(i));
                let slot = flight.and_then(|fi| match &mut self.flights[fi].stage {
                    Stage::Reflecting { jobs } => jobs.get_mut(job),
                    Stage::Speculating { jobs, alternative } => match job.checked_sub(jobs.len()) {
                        None => jobs.get_mut(job),
                        Some(k) => alternative.as_mut().and_then(|a| a.jobs.get_mut(k)),
                    },
                    _ => None,
                });
                if let Some(slot) = slot {
                    slot.reply = Some(reply);
                }
            }
        }
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
        self.start_batch(Owner::Seed);
        self.plan_beside_seed();
    }

    fn complete_seed(&mut self) {
        let Phase::Seed { batch } = std::mem::replace(&mut self.phase, Phase::Running) else {
            return;
        };
        self.emit_evaluated(
            Owner::Seed,
            0,
            crate::events::EvalTarget::Candidate { index: 0 },
            &batch,
            0,
        );
        self.emit_budget(Owner::Seed, 0, batch.charged);
        let results = super::stages::owned_results(&batch, 0);
        self.committed_ledger += batch.charged;
        self.add_to_pool(
            Owner::Seed,
            self.setup.seed.clone(),
            Vec::new(),
            crate::events::Origin::Seed,
            0,
            "seed".into(),
            results,
            0,
        );
        self.pool[0].next_component = self.seed_next_component;
        self.best_seen = Some(self.pool[0].mean());
        if !self.flights.is_empty() {
            // Flights planned beside the validation: a run the seed already ends (a reached
            // target, a candidate cap) ends now, as it would have without them.
            if let Some(reason) = self.stop_at_the_seed() {
                self.finish(reason);
                return;
            }
            let score = self.pool[0].mean();
            for flight in &mut self.flights {
                for event in &mut flight.held {
                    if let Event::ParentSelected { candidate: 0, score: s, .. } = event {
                        *s = score;
                    }
                }
            }
            self.release_head();
        }
        self.fill_pipeline();
    }

    pub(super) fn val_ids(&self) -> Vec<u32> {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "datasets are capped far below u32::MAX"
        )]
        let n = self.setup.data.val_len() as u32;
        (0..n).collect()
    }
}
