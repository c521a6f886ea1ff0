//! The run's history as the views need it: every candidate with its lineage and scores, every
//! proposal with the reflection that produced it and the decision taken, the Pareto front, and
//! the score timeline. Folded from engine events, so a replayed event log rebuilds it exactly.

use std::collections::{BTreeMap, BTreeSet};

use gepa_core::events::{EvalTarget, Origin, Rejection, Steer};
use gepa_core::{Candidate, Event};

/// One candidate of the pool.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateInfo {
    /// Pool index.
    pub index: usize,
    /// Parents (none for the seed, two for a merge).
    pub parents: Vec<usize>,
    /// How it was made.
    pub origin: Origin,
    /// The program.
    pub program: Candidate,
    /// Validation example → score.
    pub val_scores: BTreeMap<u32, f64>,
    /// Mean validation score.
    pub mean: f64,
    /// Iteration that produced it.
    pub iteration: u64,
    /// Rollouts used before its validation pass.
    pub discovered_at: u64,
    /// Rollouts used once it was admitted (its point on the score chart).
    pub admitted_at: u64,
    /// The proposal that produced it (reflection origin).
    pub proposal: Option<usize>,
}

/// Scores, outputs and feedback of one candidate on a minibatch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MiniEval {
    /// Train example ids.
    pub examples: Vec<u32>,
    /// Scores.
    pub scores: Vec<f64>,
    /// Outputs.
    pub outputs: Vec<String>,
    /// Feedback.
    pub feedback: Vec<String>,
}

impl MiniEval {
    /// Sum of the scores.
    #[must_use]
    pub fn sum(&self) -> f64 {
        self.scores.iter().sum()
    }
}

/// What became of a proposal.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Still being evaluated.
    Pending,
    /// Admitted as this candidate.
    Accepted {
        /// Pool index.
        candidate: usize,
        /// Parent's minibatch sum.
        before: f64,
        /// Child's minibatch sum.
        after: f64,
    },
    /// Turned down.
    Rejected(Rejection),
    /// The parent was perfect on its minibatch: nothing to reflect on.
    Skipped,
}

/// One reflective proposal: the parent, the minibatch, the reflection and the decision.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalInfo {
    /// Iteration.
    pub iteration: u64,
    /// Task within the iteration.
    pub task: usize,
    /// The parent.
    pub parent: usize,
    /// True when the user pinned the parent.
    pub pinned: bool,
    /// The component rewritten.
    pub component: String,
    /// The version improved on the minibatch: the parent, or the newer version of it that
    /// the proposal builds on.
    pub parent_eval: MiniEval,
    /// The iteration whose winning child this proposal builds on instead of the parent (an
    /// older iteration in flight on the same parent).
    pub builds_on: Option<u64>,
    /// True when that version was scored before the reflection, which read its outputs (below
    /// three iterations in flight); else the reflection read the parent's.
    pub builds_on_read: bool,
    /// The child on the minibatch.
    pub child_eval: Option<MiniEval>,
    /// The full reflection request.
    pub prompt: String,
    /// The reflection model's raw reply.
    pub raw_reply: String,
    /// The extracted proposal.
    pub proposal: String,
    /// Earlier asks whose proposals were screened out, in order.
    pub retries: Vec<RetryInfo>,
    /// True when the final reply was cut off and its complete lines were kept.
    pub salvaged: bool,
    /// The decision.
    pub outcome: Outcome,
}

/// An ask whose proposal was screened out, and what the reflection model was told.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryInfo {
    /// The ask that was screened out (1 = the first).
    pub attempt: u32,
    /// Its raw reply.
    pub raw_reply: String,
    /// Why it was screened out.
    pub reason: String,
    /// What the reflection model was told.
    pub correction: String,
}

/// The history of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunHistory {
    /// Candidates, by pool index.
    pub candidates: Vec<CandidateInfo>,
    /// Proposals, in order.
    pub proposals: Vec<ProposalInfo>,
    /// Pareto front members.
    pub front: BTreeSet<usize>,
    /// Candidates being improved now: the parents of every iteration in flight (read from the
    /// engine, since a later iteration's events wait until it is the oldest).
    pub improving: BTreeSet<usize>,
    /// Rollouts used so far.
    pub rollouts: u64,
    /// Candidates the user excluded from selection.
    pub excluded: BTreeSet<usize>,
    /// The candidate the user pinned as the next parent, until it is used.
    pub pinned: Option<usize>,
    /// Candidates the user wrote or edited that wait for their validation pass (each the
    /// candidate it was edited from, if any), oldest first.
    pub queued: Vec<Option<usize>>,
    /// Notes the user left for a candidate's next reflection, oldest first.
    pub notes: Vec<(usize, String)>,
    by_task: BTreeMap<(u64, usize), usize>,
}

impl RunHistory {
    /// Folds one event.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::ParentSelected { iteration, task, candidate, pinned, .. } => {
                if *pinned {
                    self.pinned = None;
                }
                self.by_task.insert((*iteration, *task), self.proposals.len());
                self.proposals.push(ProposalInfo {
                    iteration: *iteration,
                    task: *task,
                    parent: *candidate,
                    pinned: *pinned,
                    component: String::new(),
                    parent_eval: MiniEval::default(),
                    child_eval: None,
                    prompt: String::new(),
                    raw_reply: String::new(),
                    proposal: String::new(),
                    retries: Vec::new(),
                    salvaged: false,
                    builds_on: None,
                    builds_on_read: false,
                    outcome: Outcome::Pending,
                });
            }
            Event::MinibatchSampled { iteration, task, examples } => {
                if let Some(p) = self.proposal_mut(*iteration, *task) {
                    p.parent_eval.examples.clone_from(examples);
                }
            }
            Event::Evaluated { iteration, target, examples, scores, outputs, feedback, .. } => {
                let eval = MiniEval {
                    examples: examples.clone(),
                    scores: scores.clone(),
                    outputs: outputs.clone(),
                    feedback: feedback.clone(),
                };
                match target {
                    EvalTarget::Candidate { index } => {
                        // A parent on its minibatch (the examples match a task's sample).
                        let iteration = *iteration;
                        if let Some(p) = self
                            .proposals
                            .iter_mut()
                            .rev()
                            .take_while(|p| p.iteration == iteration)
                            .find(|p| {
                                p.parent == *index
                                    && p.parent_eval.examples == *examples
                                    && p.parent_eval.scores.is_empty()
                            })
                        {
                            p.parent_eval = eval;
                        }
                    }
                    EvalTarget::Proposal { task } => {
                        // The first evaluation of a proposal is on the minibatch; a second one
                        // is its validation pass.
                        if let Some(p) = self.proposal_mut(*iteration, *task)
                            && p.child_eval.is_none()
                        {
                            p.child_eval = Some(eval);
                        }
                    }
                    EvalTarget::BuildsOn { task, on } => {
                        if let Some(p) = self.proposal_mut(*iteration, *task) {
                            p.parent_eval = eval;
                            p.builds_on = Some(*on);
                            p.builds_on_read = p.prompt.is_empty();
                        }
                    }
                    EvalTarget::MergeChild { .. } => {}
                }
            }
            Event::ReflectionSkipped { iteration, task, .. } => {
                if let Some(p) = self.proposal_mut(*iteration, *task) {
                    p.outcome = Outcome::Skipped;
                }
            }
            Event::ReflectionRequested { iteration, task, component, prompt, .. } => {
                if let Some(p) = self.proposal_mut(*iteration, *task) {
                    p.component.clone_from(component);
                    p.prompt.clone_from(prompt);
                }
            }
            Event::ReflectionReceived {
                iteration, task, raw_reply, proposal, salvaged, ..
            } => {
                if let Some(p) = self.proposal_mut(*iteration, *task) {
                    p.raw_reply.clone_from(raw_reply);
                    p.proposal.clone_from(proposal);
                    p.salvaged = *salvaged;
                }
            }
            Event::ReflectionRetried { iteration, task, attempt, reason, correction, .. } => {
                if let Some(p) = self.proposal_mut(*iteration, *task) {
                    let raw_reply = p.raw_reply.clone();
                    p.retries.push(RetryInfo {
                        attempt: attempt.saturating_sub(1),
                        raw_reply,
                        reason: reason.describe(),
                        correction: correction.clone(),
                    });
                }
            }
            Event::ProposalRejected { iteration, task, rejection, .. } => {
                if let Some(p) = self.proposal_mut(*iteration, *task) {
                    p.outcome = Outcome::Rejected(rejection.clone());
                }
            }
            Event::ProposalAccepted { iteration, task, candidate, before, after, .. } => {
                let at = self.by_task.get(&(*iteration, *task)).copied();
                if let Some(p) = self.proposal_mut(*iteration, *task) {
                    p.outcome =
                        Outcome::Accepted { candidate: *candidate, before: *before, after: *after };
                }
                if let Some(c) = self.candidates.get_mut(*candidate) {
                    c.proposal = at;
                }
            }
            Event::CandidateAdded {
                iteration,
                candidate,
                parents,
                origin,
                program,
                val_scores,
                mean,
                discovered_at,
                ..
            } => {
                let info = CandidateInfo {
                    index: *candidate,
                    parents: parents.clone(),
                    origin: *origin,
                    program: program.clone(),
                    val_scores: val_scores.clone(),
                    mean: *mean,
                    iteration: *iteration,
                    discovered_at: *discovered_at,
                    admitted_at: self.rollouts,
                    proposal: None,
                };
                if *candidate == self.candidates.len() {
                    self.candidates.push(info);
                }
                if *origin == Origin::Human && !self.queued.is_empty() {
                    self.queued.remove(0);
                }
            }
            Event::Steered { steer: Some(steer), .. } => self.steer(steer),
            Event::ParetoFrontChanged { members, .. } => {
                self.front = members.iter().copied().collect();
            }
            Event::BudgetUpdated { used, .. } => self.rollouts = *used,
            Event::RunFinished { .. } => {
                self.improving.clear();
                self.queued.clear();
            }
            _ => {}
        }
    }

    /// The notes the user left on `candidate`, oldest first.
    #[must_use]
    pub fn notes_on(&self, candidate: usize) -> Vec<String> {
        self.notes.iter().filter(|(c, _)| *c == candidate).map(|(_, n)| n.clone()).collect()
    }

    fn steer(&mut self, steer: &Steer) {
        match steer {
            Steer::CandidateQueued { parent } => self.queued.push(*parent),
            Steer::NoteAdded { candidate, note } => self.notes.push((*candidate, note.clone())),
            Steer::Pinned { candidate } => self.pinned = Some(*candidate),
            Steer::Unpinned { .. } => self.pinned = None,
            Steer::Excluded { candidate } => {
                self.excluded.insert(*candidate);
            }
            Steer::Included { candidate } => {
                self.excluded.remove(candidate);
            }
        }
    }

    fn proposal_mut(&mut self, iteration: u64, task: usize) -> Option<&mut ProposalInfo> {
        let at = *self.by_task.get(&(iteration, task))?;
        self.proposals.get_mut(at)
    }

    /// The index of the best candidate (highest mean, first on ties).
    #[must_use]
    pub fn best(&self) -> Option<usize> {
        self.candidates
            .iter()
            .max_by(|a, b| a.mean.total_cmp(&b.mean).then(b.index.cmp(&a.index)))
            .map(|c| c.index)
    }

    /// A synthetic history of `n` candidates in a random tree (every tenth a merge), for the
    /// tree benchmark and tests. Scores grow loosely with depth; the front is the top tenth.
    #[must_use]
    pub fn synthetic(n: usize, seed: u64) -> RunHistory {
        let mut rng = gepa_core::Rng::from_seed(seed);
        let mut history = RunHistory::default();
        for index in 0..n {
            history.push_synthetic(index, &mut rng);
        }
        history
    }

    /// Adds one synthetic candidate (see [`RunHistory::synthetic`]).
    pub fn push_synthetic(&mut self, index: usize, rng: &mut gepa_core::Rng) {
        let mut parents = Vec::new();
        if index > 0 {
            parents.push(rng.below(index));
            if index.is_multiple_of(10) && index > 2 {
                parents.push(rng.below(index));
            }
        }
        let mean = ((index as f64).ln_1p() / 8.0 + rng.below(100) as f64 / 400.0).min(1.0);
        self.rollouts += 10;
        self.candidates.push(CandidateInfo {
            index,
            parents,
            origin: if index == 0 { Origin::Seed } else { Origin::Reflection },
            program: Candidate::new([("system", format!("prompt {index}"))]),
            val_scores: (0..8u32).map(|e| (e, mean)).collect(),
            mean,
            iteration: index as u64,
            discovered_at: self.rollouts,
            admitted_at: self.rollouts,
            proposal: None,
        });
        if index.is_multiple_of(10) {
            self.front.insert(index);
        }
    }

    /// Proposals that were turned down (the tree's optional ghost nodes).
    pub fn rejected(&self) -> impl Iterator<Item = (usize, &ProposalInfo)> {
        self.proposals.iter().enumerate().filter(|(_, p)| matches!(p.outcome, Outcome::Rejected(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gepa_core::{Split, Usage};

    fn evaluated(target: EvalTarget, scores: Vec<f64>) -> Event {
        Event::Evaluated {
            iteration: 3,
            target,
            split: Split::Train,
            examples: vec![4, 7],
            outputs: scores.iter().map(|s| format!("out {s}")).collect(),
            feedback: vec![String::new(), String::new()],
            scores,
            charged: 2,
            usage: Usage::default(),
        }
    }

    /// Iteration 3 planned on candidate 1, which is scored on its minibatch.
    fn parent_scored() -> RunHistory {
        let mut history = RunHistory::default();
        history.apply(&Event::ParentSelected {
            iteration: 3,
            task: 0,
            candidate: 1,
            score: 0.5,
            pinned: false,
        });
        history.apply(&Event::MinibatchSampled { iteration: 3, task: 0, examples: vec![4, 7] });
        history.apply(&evaluated(EvalTarget::Candidate { index: 1 }, vec![0.0, 0.0]));
        history
    }

    #[test]
    fn a_proposal_built_on_a_newer_version_shows_that_version_on_its_minibatch() {
        let mut history = parent_scored();
        assert_eq!(history.proposals[0].builds_on, None);
        history.apply(&evaluated(EvalTarget::BuildsOn { task: 0, on: 2 }, vec![1.0, 0.0]));
        let proposal = &history.proposals[0];
        assert_eq!(proposal.builds_on, Some(2));
        assert_eq!(proposal.parent, 1, "planned on its parent");
        assert_eq!(proposal.parent_eval.scores, vec![1.0, 0.0], "the version it improves");
        assert_eq!(proposal.parent_eval.outputs[0], "out 1");
        assert!(proposal.builds_on_read, "scored before its reflection, which read it");
    }

    #[test]
    fn a_proposal_whose_reflection_was_asked_ahead_read_its_parents_outputs() {
        let mut history = parent_scored();
        history.apply(&Event::ReflectionRequested {
            iteration: 3,
            task: 0,
            parent: 1,
            component: "system".into(),
            prompt: "improve it".into(),
        });
        history.apply(&evaluated(EvalTarget::BuildsOn { task: 0, on: 2 }, vec![1.0, 0.0]));
        let proposal = &history.proposals[0];
        assert_eq!(proposal.builds_on, Some(2));
        assert!(!proposal.builds_on_read, "scored beside the child, after the reflection");
    }
}
