//! What an iteration in flight builds on. An iteration planned while an older one was improving
//! the same parent improves the newest child that older iterations proposed on that parent and
//! won validation with (had it been planned once that child was in the pool, that is most likely
//! what it would have improved); the reflection reads the parent's minibatch results and rewrites
//! that version, which is then scored beside the new child (`Stage::Children`).
//!
//! Whether a child wins is known only after its own minibatch, so the reflection does not wait
//! for it: it starts as soon as the older iterations have put their children together, on the
//! newest child not yet known to have lost (stage `Speculating`, nothing reported). Once those
//! iterations have decided, the asks stand if the guess won, and are set aside (their replies
//! only counted in the spend) and made again on what did win if it did not. What a run reports
//! therefore depends only on the verdicts, never on when they arrived.

use super::flight::{Base, ReflectJob, Stage};
use super::{Engine, PendingTarget};
use crate::candidate::Candidate;

impl Engine {
    /// Whether `child`, proposed on `parent` by the flight planned `seq`-th, won validation
    /// (`Some(true)`), lost (`Some(false)`) or is not decided yet (`None`).
    fn fate(&self, seq: u64, parent: usize, child: &Candidate) -> Option<bool> {
        let granted = self.granted_on.get(&seq).is_some_and(|(_, children)| {
            children.iter().any(|(p, c)| *p == parent && c.same_content(child))
        });
        let decided = self.flight_index(seq).is_none_or(|fi| self.flights[fi].decided);
        if granted {
            Some(true)
        } else if decided {
            Some(false)
        } else {
            None
        }
    }

    /// The newest child that a flight planned alongside flight `fi` (and before it) proposed
    /// on `parent` and is not known to have lost, with whether it is known to have won. Once
    /// those flights have all decided, it is the newest winner.
    fn newest_on(&self, fi: usize, parent: usize) -> Option<(Base, bool)> {
        let flight = &self.flights[fi];
        if !flight.may_rebase || flight.window_from >= flight.seq {
            return None;
        }
        for (seq, (iteration, children)) in
            self.proposed.range(flight.window_from..flight.seq).rev()
        {
            let parents = self.proposed_parents.get(seq).map(Vec::as_slice).unwrap_or_default();
            for (child, _) in children.iter().zip(parents).rev().filter(|(_, p)| **p == parent) {
                match self.fate(*seq, parent, child) {
                    Some(false) => {}
                    fate => {
                        let base = Base { iteration: *iteration, candidate: child.clone() };
                        return Some((base, fate.is_some()));
                    }
                }
            }
        }
        None
    }

    /// Sets each of flight `fi`'s tasks on the newest version of its parent and asks for its
    /// reflections: reported at once when every version is known to have won, ahead
    /// (`Speculating`) when one is still a guess.
    pub(super) fn reflect_on_newest(&mut self, fi: usize, mut jobs: Vec<ReflectJob>) {
        let mut certain = true;
        for index in 0..self.flights[fi].it.tasks.len() {
            if !jobs.iter().any(|j| j.task == index) {
                continue;
            }
            let newest = self.newest_on(fi, self.flights[fi].it.tasks[index].parent);
            certain &= newest.as_ref().is_none_or(|(_, won)| *won);
            self.flights[fi].it.tasks[index].base = newest.map(|(base, _)| base);
        }
        if certain {
            self.start_reflecting(fi, jobs);
        } else {
            self.ask_reflections(fi, &mut jobs, false);
            self.flights[fi].stage = Stage::Speculating { jobs };
        }
    }

    /// Settles the oldest flight reflecting ahead whose guesses are known now: the asks stand
    /// (and are reported) when every guess won; they are set aside and made again on the newest
    /// version not known to have lost when one did not. Returns whether one was settled.
    pub(super) fn release_speculations(&mut self) -> bool {
        for fi in 0..self.flights.len() {
            let Stage::Speculating { jobs } = &self.flights[fi].stage else { continue };
            let tasks: Vec<usize> = jobs.iter().map(|j| j.task).collect();
            let mut changed = false;
            let mut certain = true;
            for &index in &tasks {
                let task = &self.flights[fi].it.tasks[index];
                let newest = self.newest_on(fi, task.parent);
                changed |= newest.as_ref().map(|(base, _)| base) != task.base.as_ref();
                certain &= newest.is_none_or(|(_, won)| won);
            }
            if !changed && !certain {
                continue;
            }
            let stage = std::mem::replace(&mut self.flights[fi].stage, Stage::Done);
            let Stage::Speculating { mut jobs } = stage else { return false };
            if changed {
                self.set_aside_asks(fi, &mut jobs);
                self.reflect_on_newest(fi, jobs);
            } else {
                let owner = self.owner(fi);
                for job in &jobs {
                    let event = self.reflection_requested(fi, job);
                    self.emit(owner, event);
                }
                self.flights[fi].stage = Stage::Reflecting { jobs };
            }
            return true;
        }
        false
    }

    /// Sets aside flight `fi`'s reflection asks: unsent ones are dropped, the replies of sent
    /// ones will only be counted in the spend; the jobs are ready to be asked afresh.
    fn set_aside_asks(&mut self, fi: usize, jobs: &mut [ReflectJob]) {
        let seq = self.flights[fi].seq;
        let ids: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| {
                matches!(p.target, PendingTarget::Reflection { iteration: Some(s), .. } if s == seq)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            let Some(pending) = self.pending.remove(&id) else { continue };
            let unsent = self.outbox.remove(&id);
            let to_resend = self.retry.remove(&id);
            if !unsent && !to_resend {
                self.set_aside.insert(id, pending.request.role);
            }
        }
        for job in jobs {
            job.reply = None;
            job.verdict = None;
            job.attempt = 1;
            job.messages.clear();
        }
    }
}
