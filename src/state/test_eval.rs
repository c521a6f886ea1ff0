//! The held-out evaluation: the seed and the best candidate scored side by side on the test
//! split, each with its own rollout count.

use super::engine_mirror::EngineMirror;

/// One candidate's test score.
#[derive(Debug, Clone, PartialEq)]
pub struct TestScore {
    /// Mean score.
    pub mean: f64,
    /// Examples scored.
    pub n: usize,
    /// Rollouts spent (separate from the run's budget).
    pub rollouts: u64,
}

impl TestScore {
    /// Reads a finished evaluation engine (see `Engine::evaluation`).
    #[must_use]
    pub fn of(engine: &EngineMirror) -> TestScore {
        let entry = engine.pool.first();
        TestScore {
            mean: entry.map_or(0.0, |e| e.mean_score),
            n: entry.map_or(0, |e| e.outputs.len()),
            rollouts: engine.snapshot.rollouts,
        }
    }
}

/// The evaluation's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestEval {
    /// Test examples being scored (0 = not started).
    pub size: usize,
    /// The seed's score, once done.
    pub seed: Option<TestScore>,
    /// The best candidate's score, once done.
    pub best: Option<TestScore>,
    /// Why it stopped early.
    pub error: Option<String>,
}

impl TestEval {
    /// Started on `size` examples.
    #[must_use]
    pub fn running(size: usize) -> TestEval {
        TestEval { size, ..TestEval::default() }
    }

    /// Could not run.
    #[must_use]
    pub fn failed(message: &str) -> TestEval {
        TestEval { error: Some(message.to_owned()), ..TestEval::default() }
    }

    /// True while scores are still coming.
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.size > 0 && self.error.is_none() && (self.seed.is_none() || self.best.is_none())
    }

    /// Records progress of one side: its score when done, or the reason it paused (an endpoint
    /// failure stops the evaluation with that message).
    pub fn record(&mut self, is_best: bool, done: Option<TestScore>, paused: Option<String>) {
        if let Some(score) = done {
            if is_best {
                self.best = Some(score);
            } else {
                self.seed = Some(score);
            }
        }
        if let Some(reason) = paused {
            self.error = Some(reason);
        }
    }

    /// "+0.25" when both are in.
    #[must_use]
    pub fn gain(&self) -> Option<f64> {
        Some(self.best.as_ref()?.mean - self.seed.as_ref()?.mean)
    }
}
