//! The candidate pool: every admitted candidate with its lineage and validation results.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::candidate::Candidate;
use crate::events::Origin;
use crate::frontier::CandidateScores;

/// One admitted candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolEntry {
    /// The program.
    pub candidate: Candidate,
    /// Parents (none for the seed, two for a merge).
    pub parents: Vec<usize>,
    /// How it was made.
    pub origin: Origin,
    /// Validation scores (and objectives).
    pub scores: CandidateScores,
    /// Mean validation score, computed once at admission (scores never change afterwards).
    pub mean_score: f64,
    /// Validation outputs, per example.
    pub outputs: BTreeMap<u32, String>,
    /// Validation feedback, per example.
    pub feedback: BTreeMap<u32, String>,
    /// Iteration that produced it (0 for the seed and for candidates added between iterations
    /// before the first one).
    pub iteration: u64,
    /// Id of that iteration (`seed` for the seed).
    pub iteration_id: String,
    /// Rollouts used before its own validation pass.
    pub discovered_at: u64,
    /// Round-robin pointer: index (into the optimisable components) of the next one to rewrite.
    pub next_component: usize,
}

impl PoolEntry {
    /// Mean validation score (−∞ if unscored).
    #[must_use]
    pub fn mean(&self) -> f64 {
        self.mean_score
    }
}

/// Highest mean; ties → more scored examples; then the earlier index.
pub(crate) fn best_index(pool: &[PoolEntry]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (idx, entry) in pool.iter().enumerate() {
        let better = match best {
            None => true,
            Some(b) => {
                let (m, bm) = (entry.mean(), pool[b].mean());
                m > bm
                    || (m == bm
                        && entry.scores.per_example.len() > pool[b].scores.per_example.len())
            }
        };
        if better {
            best = Some(idx);
        }
    }
    best
}
