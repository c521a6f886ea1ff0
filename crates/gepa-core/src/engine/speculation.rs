//! What an iteration in flight builds on. An iteration planned while an older one was improving
//! the same parent improves the newest child that older iterations proposed on that parent and
//! won validation with (had it been planned once that child was in the pool, that is most likely
//! what it would have improved); the reflection reads the parent's minibatch results and rewrites
//! that version, which is then scored beside the new child (`Stage::Children`). The request
//! shows those results with the parent's text that produced them, and the version as a revision
//! of it not tried on them yet (`reflect::revised_since`), so that the reflection model does
//! not read them as that version's own.
//!
//! Whether a child wins is known only after its own minibatch, so the reflection does not wait
//! for it: it starts as soon as the older iterations have put their children together, on the
//! newest child not yet known to have lost and, beside it, on what the iteration would build on
//! should that child lose (stage `Speculating`, nothing reported; an ask that would be the same
//! either way is made once). Once those iterations have decided, the asks on what won stand, the
//! others are set aside (their replies only counted in the spend); if neither won, they are made
//! again on what did. What a run reports therefore depends only on the verdicts, never on when
//! they arrived.

use super::flight::{Alternative, Base, ReflectJob, Stage};
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
    /// on `parent`, is not known to have lost and is not `skip`, with whether it is known to
    /// have won. Once those flights have all decided, it is the newest winner.
    fn newest_on(&self, fi: usize, parent: usize, skip: Option<&Base>) -> Option<(Base, bool)> {
        let flight = &self.flights[fi];
        if !flight.may_rebase || flight.window_from >= flight.seq {
            return None;
        }
        for (seq, (iteration, children)) in
            self.proposed.range(flight.window_from..flight.seq).rev()
        {
            let parents = self.proposed_parents.get(seq).map(Vec::as_slice).unwrap_or_default();
            for (child, _) in children.iter().zip(parents).rev().filter(|(_, p)| **p == parent) {
                if skip
                    .is_some_and(|s| s.iteration == *iteration && s.candidate.same_content(child))
                {
                    continue;
                }
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

    /// For each of flight `fi`'s tasks with a job (by task index), the newest version of its
    /// parent (none: the parent itself) and whether it is known to stand (known to have won,
    /// or the parent).
    pub(super) fn newest_versions(
        &self,
        fi: usize,
        jobs: &[ReflectJob],
    ) -> (Vec<Option<Base>>, Vec<bool>) {
        let tasks = &self.flights[fi].it.tasks;
        let mut known = vec![true; tasks.len()];
        let mut bases = vec![None; tasks.len()];
        for (index, task) in tasks.iter().enumerate() {
            if !jobs.iter().any(|j| j.task == index) {
                continue;
            }
            if let Some((base, won)) = self.newest_on(fi, task.parent, None) {
                known[index] = won;
                bases[index] = Some(base);
            }
        }
        (bases, known)
    }

    /// What each task would build on should its guess in `bases` lose (a guess `known` to
    /// stand stands).
    fn next_versions(
        &self,
        fi: usize,
        bases: &[Option<Base>],
        known: &[bool],
    ) -> Vec<Option<Base>> {
        let tasks = &self.flights[fi].it.tasks;
        bases
            .iter()
            .zip(known)
            .zip(tasks)
            .map(|((base, known), task)| {
                let guess = base.as_ref()?;
                if *known {
                    return Some(guess.clone());
                }
                self.newest_on(fi, task.parent, Some(guess)).map(|(next, _)| next)
            })
            .collect()
    }

    fn set_bases(&mut self, fi: usize, bases: &[Option<Base>]) {
        for (task, base) in self.flights[fi].it.tasks.iter_mut().zip(bases) {
            task.base.clone_from(base);
        }
    }

    /// Sets each of flight `fi`'s tasks on the newest version of its parent and asks for its
    /// reflections: reported at once when every version is known to stand; else ahead
    /// (`Speculating`), both on the guesses and on what the tasks would build on should they
    /// lose, so that neither outcome waits for another reflection.
    pub(super) fn reflect_on_newest(&mut self, fi: usize, mut jobs: Vec<ReflectJob>) {
        let (bases, known) = self.newest_versions(fi, &jobs);
        self.set_bases(fi, &bases);
        if known.iter().all(|k| *k) {
            self.start_reflecting(fi, jobs);
            return;
        }
        self.ask_reflections(fi, &mut jobs, 0, false, &[]);
        let next = self.next_versions(fi, &bases, &known);
        let mut others = jobs.clone();
        reset(&mut others);
        self.set_bases(fi, &next);
        let shared = self.ask_reflections(fi, &mut others, jobs.len(), false, &jobs);
        self.set_bases(fi, &bases);
        let alternative = Some(Alternative { bases: next, jobs: others, shared });
        self.flights[fi].stage = Stage::Speculating { jobs, alternative };
    }

    /// Settles the oldest flight reflecting ahead whose guesses are known now: the asks on
    /// what won stand (and are reported), the others are set aside; when neither set of
    /// guesses won, they are all set aside and made again on the newest versions not known to
    /// have lost. Returns whether one was settled.
    pub(super) fn release_speculations(&mut self) -> bool {
        for fi in 0..self.flights.len() {
            let Stage::Speculating { jobs, alternative } = &self.flights[fi].stage else {
                continue;
            };
            let (now, known) = self.newest_versions(fi, jobs);
            let certain = known.iter().all(|k| *k);
            let guessed = self.flights[fi].it.tasks.iter().map(|t| &t.base).eq(now.iter());
            let other = alternative.as_ref().is_some_and(|a| a.bases == now);
            if !certain && (guessed || other) {
                continue;
            }
            let first_other = jobs.len();
            let stage = std::mem::replace(&mut self.flights[fi].stage, Stage::Done);
            let Stage::Speculating { mut jobs, alternative } = stage else { return false };
            if certain && guessed {
                self.set_aside_asks(fi, |job| job >= first_other);
                self.asks_stand(fi, jobs);
            } else if let (true, true, Some(Alternative { bases, jobs: others, shared })) =
                (certain, other, alternative)
            {
                let serves_both = |job: usize| shared.get(job).copied().unwrap_or(false);
                self.set_aside_asks(fi, |job| job < first_other && !serves_both(job));
                self.renumber_asks(fi, first_other);
                self.set_bases(fi, &bases);
                let stands = others
                    .into_iter()
                    .zip(jobs)
                    .enumerate()
                    .map(|(k, (other, guess))| if serves_both(k) { guess } else { other })
                    .collect();
                self.asks_stand(fi, stands);
            } else {
                self.set_aside_asks(fi, |_| true);
                reset(&mut jobs);
                self.reflect_on_newest(fi, jobs);
            }
            return true;
        }
        false
    }

    /// Flight `fi`'s asks made ahead stand: they are reported, and read once answered.
    fn asks_stand(&mut self, fi: usize, jobs: Vec<ReflectJob>) {
        let owner = self.owner(fi);
        for job in &jobs {
            let event = self.reflection_requested(fi, job);
            self.emit(owner, event);
        }
        self.flights[fi].stage = Stage::Reflecting { jobs };
    }

    /// Sets aside flight `fi`'s reflection asks for the jobs `which` picks: unsent ones are
    /// dropped, the replies of sent ones will only be counted in the spend.
    fn set_aside_asks(&mut self, fi: usize, which: impl Fn(usize) -> bool) {
        let seq = self.flights[fi].seq;
        let ids: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| {
                matches!(p.target, PendingTarget::Reflection { iteration: Some(s), job } if s == seq && which(job))
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
    }

    /// The asks flight `fi` made in case its guesses lost become its jobs `0..` (where they
    /// were not the guesses' own).
    fn renumber_asks(&mut self, fi: usize, first_other: usize) {
        let seq = self.flights[fi].seq;
        for pending in self.pending.values_mut() {
            if let PendingTarget::Reflection { iteration: Some(s), job } = &mut pending.target
                && *s == seq
                && *job >= first_other
            {
                *job -= first_other;
            }
        }
    }
}

/// Jobs ready to be asked afresh.
fn reset(jobs: &mut [ReflectJob]) {
    for job in jobs {
        job.reply = None;
        job.verdict = None;
        job.attempt = 1;
        job.messages.clear();
    }
}
