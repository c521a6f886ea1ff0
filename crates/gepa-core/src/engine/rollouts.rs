//! Running a batch's rollouts: cache lookups, model calls step by step, scoring (with a judge
//! when the metric needs one), charging the ledger and writing the evaluation cache.

use super::batch::{Batch, RolloutResult};
use super::flight::Owner;
use super::{Engine, PendingTarget, Phase};
use crate::message::ChatMessage;
use crate::metric::{MetricStep, Score};
use crate::program::Program;
use crate::request::{FailureKind, ModelRole, Purpose, Reply};

impl Engine {
    /// The index of the flight planned `seq`-th.
    pub(super) fn flight_index(&self, seq: u64) -> Option<usize> {
        self.flights.iter().position(|f| f.seq == seq)
    }

    /// The batch `owner` is evaluating.
    pub(super) fn batch(&self, owner: Owner) -> Option<&Batch> {
        match owner {
            Owner::Seed => match &self.phase {
                Phase::Seed { batch } => Some(batch),
                _ => None,
            },
            Owner::Flight { seq } => self.flights.iter().find(|f| f.seq == seq)?.stage.batch(),
        }
    }

    /// The batch `owner` is evaluating, mutably.
    pub(super) fn batch_mut(&mut self, owner: Owner) -> Option<&mut Batch> {
        match owner {
            Owner::Seed => match &mut self.phase {
                Phase::Seed { batch } => Some(batch),
                _ => None,
            },
            Owner::Flight { seq } => {
                self.flights.iter_mut().find(|f| f.seq == seq)?.stage.batch_mut()
            }
        }
    }

    /// A cached result `owner` may use: its own writes, then entries committed before it was
    /// planned (so what it sees does not depend on when other iterations finish).
    fn cached(&self, owner: Owner, key: &str) -> Option<RolloutResult> {
        let visible_until = match owner {
            Owner::Seed => u64::MAX,
            Owner::Flight { seq } => {
                let flight = self.flights.iter().find(|f| f.seq == seq)?;
                if let Some(hit) = flight.cache_writes.get(key) {
                    return Some(hit.clone());
                }
                flight.epoch
            }
        };
        let epoch = self.cache_epochs.get(key).copied().unwrap_or(0);
        (epoch <= visible_until).then(|| self.cache.get(key).cloned()).flatten()
    }

    /// Starts every rollout of `owner`'s batch: cache hits complete at once, the rest issue
    /// their first request (or, in artifact mode, score straight away).
    pub(super) fn start_batch(&mut self, owner: Owner) {
        let Some(batch) = self.batch(owner) else { return };
        let read_cache = batch.read_cache && self.setup.config.cache_evaluations;
        let keys: Vec<String> = batch
            .rollouts
            .iter()
            .map(|r| Engine::cache_key(batch.hashes[r.candidate], r.split, r.example))
            .collect();
        for (index, key) in keys.iter().enumerate() {
            if read_cache && let Some(hit) = self.cached(owner, key) {
                self.set_result(owner, index, RolloutResult { cached: true, ..hit });
                continue;
            }
            self.continue_rollout(owner, index);
        }
    }

    /// Issues the next call of rollout `index`, or scores it when its program is done.
    fn continue_rollout(&mut self, owner: Owner, index: usize) {
        enum Next {
            Score(String),
            Call(Vec<ChatMessage>, Purpose),
            Missing,
        }
        let next = {
            let Some(batch) = self.batch(owner) else { return };
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
            Next::Missing => self.fail_rollout(owner, index, "the example no longer exists"),
            Next::Score(text) => {
                if matches!(self.setup.program, Program::Artifact { .. })
                    && let Some(batch) = self.batch_mut(owner)
                {
                    batch.rollouts[index].outputs = vec![text.clone()];
                }
                self.score_rollout(owner, index, text);
            }
            Next::Call(messages, purpose) => {
                let target = PendingTarget::Rollout { owner: Some(owner), index, judge: false };
                self.issue(ModelRole::Task, messages, purpose, target);
            }
        }
    }

    fn score_rollout(&mut self, owner: Owner, index: usize, output: String) {
        let Some(batch) = self.batch(owner) else { return };
        let (split, example_id) = (batch.rollouts[index].split, batch.rollouts[index].example);
        let Some(example) = self.setup.data.example(split, example_id) else {
            self.fail_rollout(owner, index, "the example no longer exists");
            return;
        };
        match self.setup.metric.begin(&output, example) {
            MetricStep::Done(score) => self.complete_rollout(owner, index, output, score),
            MetricStep::Judge(messages) => {
                let purpose = Purpose::Judge { split, example: example_id };
                let target = PendingTarget::Rollout { owner: Some(owner), index, judge: true };
                self.issue(ModelRole::Judge, messages, purpose, target);
            }
        }
    }

    fn finish_judge(
        &self,
        owner: Owner,
        index: usize,
        reply: &str,
        output: &str,
    ) -> Result<Score, String> {
        let batch = self.batch(owner).ok_or("no evaluation is running")?;
        let rollout = &batch.rollouts[index];
        let example = self
            .setup
            .data
            .example(rollout.split, rollout.example)
            .ok_or("the example no longer exists")?;
        self.setup.metric.finish_judge(reply, output, example)
    }

    fn complete_rollout(&mut self, owner: Owner, index: usize, output: String, mut score: Score) {
        let Some(batch) = self.batch(owner) else { return };
        let rollout = &batch.rollouts[index];
        let steps = if rollout.outputs.len() > 1 { rollout.outputs.clone() } else { Vec::new() };
        if rollout.truncated {
            score.feedback.push_str(" (The reply was cut off by the token limit.)");
        }
        self.set_result(
            owner,
            index,
            RolloutResult { output, steps, score, failed: false, cached: false },
        );
    }

    fn fail_rollout(&mut self, owner: Owner, index: usize, error: &str) {
        let score =
            Score::new(self.setup.config.failure_score, format!("The model call failed: {error}"));
        let result = RolloutResult {
            output: String::new(),
            steps: Vec::new(),
            score,
            failed: true,
            cached: false,
        };
        self.set_result(owner, index, result);
    }

    /// Records a rollout's result: charges it (unless cached) and writes the cache (never for a
    /// failure). A flight's writes stay its own until it commits.
    fn set_result(&mut self, owner: Owner, index: usize, result: RolloutResult) {
        let cache_on = self.setup.config.cache_evaluations;
        let Some(batch) = self.batch_mut(owner) else { return };
        let charge = !result.cached;
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
        batch.rollouts[index].result = Some(result.clone());
        if charge {
            self.ledger += 1;
        }
        match owner {
            Owner::Seed => {
                if let Some(key) = key {
                    self.cache_epochs.entry(key.clone()).or_insert(self.commits);
                    self.cache.entry(key).or_insert(result);
                }
            }
            Owner::Flight { seq } => {
                if let Some(fi) = self.flight_index(seq) {
                    let flight = &mut self.flights[fi];
                    if charge {
                        flight.charged += 1;
                    }
                    if let Some(key) = key {
                        flight.cache_writes.entry(key).or_insert(result);
                    }
                }
            }
        }
    }

    /// A reply to one of `owner`'s rollout requests.
    pub(super) fn rollout_reply(&mut self, owner: Owner, index: usize, judge: bool, reply: Reply) {
        match (judge, reply) {
            (false, Reply::Text { text, truncated, .. }) => {
                // Scored as the model said it; the cut-off goes into the feedback.
                if let Some(batch) = self.batch_mut(owner) {
                    batch.rollouts[index].truncated |= truncated;
                    batch.rollouts[index].outputs.push(text);
                }
                self.continue_rollout(owner, index);
            }
            (true, Reply::Text { text, .. }) => {
                let output = self
                    .batch(owner)
                    .and_then(|b| b.rollouts[index].outputs.last().cloned())
                    .unwrap_or_default();
                match self.finish_judge(owner, index, &text, &output) {
                    Ok(score) => self.complete_rollout(owner, index, output, score),
                    Err(problem) => {
                        let score = Score::new(self.setup.config.failure_score, problem);
                        let result = RolloutResult {
                            output,
                            steps: Vec::new(),
                            score,
                            failed: true,
                            cached: false,
                        };
                        self.set_result(owner, index, result);
                    }
                }
            }
            (judge, Reply::Failed { error, failure: FailureKind::Content }) => {
                let error = if judge { format!("judge: {error}") } else { error };
                self.fail_rollout(owner, index, &error);
            }
            (_, Reply::Failed { failure: FailureKind::Transport, .. }) => {}
        }
    }
}
