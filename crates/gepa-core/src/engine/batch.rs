//! A batch of rollouts (candidates × examples) evaluated together, and their results.

use serde::{Deserialize, Serialize};

use crate::candidate::Candidate;
use crate::data::Split;
use crate::metric::Score;
use crate::request::Usage;

/// The finished evaluation of one candidate on one example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutResult {
    /// The final output (last step's reply, or the artifact text).
    pub output: String,
    /// Each step's output (chains), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
    /// The metric's verdict.
    pub score: Score,
    /// True when a call failed and the failure score was given.
    pub failed: bool,
    /// True when served from the evaluation cache (not charged).
    pub cached: bool,
}

/// One candidate on one example, possibly several calls long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Rollout {
    /// Index into the batch's candidates.
    pub(crate) candidate: usize,
    pub(crate) split: Split,
    pub(crate) example: u32,
    /// Outputs of the steps done so far.
    pub(crate) outputs: Vec<String>,
    pub(crate) result: Option<RolloutResult>,
    /// Tokens and cost of this rollout's calls (task steps and judge).
    #[serde(default)]
    pub(crate) usage: Usage,
    /// A step's reply was cut off by the token limit (it is scored as it is; the feedback says so).
    #[serde(default)]
    pub(crate) truncated: bool,
}

/// Rollouts evaluated together; a stage of an iteration completes when all are done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Batch {
    pub(crate) candidates: Vec<Candidate>,
    /// Content hash per candidate (cache keys), computed once.
    pub(crate) hashes: Vec<u64>,
    /// Rollouts without a result yet.
    pub(crate) remaining: usize,
    pub(crate) rollouts: Vec<Rollout>,
    /// Whether cached results may be used (validation and merge subsamples only).
    pub(crate) read_cache: bool,
    /// Rollouts charged so far.
    pub(crate) charged: u64,
}

impl Batch {
    /// A batch evaluating each candidate on its own list of examples.
    pub(crate) fn new(jobs: Vec<(Candidate, Split, Vec<u32>)>, read_cache: bool) -> Batch {
        let mut candidates = Vec::with_capacity(jobs.len());
        let mut rollouts = Vec::new();
        for (index, (candidate, split, examples)) in jobs.into_iter().enumerate() {
            candidates.push(candidate);
            rollouts.extend(examples.into_iter().map(|example| Rollout {
                candidate: index,
                split,
                example,
                outputs: Vec::new(),
                result: None,
                usage: Usage::default(),
                truncated: false,
            }));
        }
        let hashes = candidates.iter().map(Candidate::content_hash).collect();
        let remaining = rollouts.len();
        Batch { candidates, hashes, remaining, rollouts, read_cache, charged: 0 }
    }

    pub(crate) fn is_done(&self) -> bool {
        self.remaining == 0
    }

    /// The results of candidate `index`, in example order: (example, result).
    pub(crate) fn results_of(&self, index: usize) -> Vec<(u32, &RolloutResult)> {
        self.rollouts
            .iter()
            .filter(|r| r.candidate == index)
            .filter_map(|r| r.result.as_ref().map(|res| (r.example, res)))
            .collect()
    }

    /// Total usage of candidate `index`'s rollouts.
    pub(crate) fn usage_of(&self, index: usize) -> Usage {
        let mut total = Usage::default();
        for rollout in self.rollouts.iter().filter(|r| r.candidate == index) {
            total.add(&rollout.usage);
        }
        total
    }

    /// Sum of candidate `index`'s scores.
    pub(crate) fn sum_of(&self, index: usize) -> f64 {
        self.results_of(index).iter().map(|(_, r)| r.score.score).sum()
    }
}
