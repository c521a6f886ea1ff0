//! Parent selection strategies (spec §3).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::frontier::{key_weights, prune_redundant};
use crate::rng::Rng;

/// How the parent of the next proposal is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Selection {
    /// Sample from the pruned Pareto front, weighted by the number of keys each holds.
    #[default]
    Pareto,
    /// Always the best mean validation score (first on ties).
    CurrentBest,
    /// With probability `epsilon` a uniformly random candidate, else the current best.
    EpsilonGreedy {
        /// Exploration probability in [0, 1].
        epsilon: f64,
    },
    /// Pareto sampling over each key's `k` best holders.
    TopKPareto {
        /// Holders kept per key.
        k: usize,
    },
}

impl Selection {
    /// Checks the parameters.
    ///
    /// # Errors
    /// A message naming the bad parameter.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Selection::EpsilonGreedy { epsilon } if !(0.0..=1.0).contains(epsilon) => {
                Err(format!("epsilon must be between 0 and 1, got {epsilon}"))
            }
            Selection::TopKPareto { k: 0 } => Err("top-k Pareto needs k of at least 1".into()),
            _ => Ok(()),
        }
    }
}

/// Everything a selector looks at.
#[derive(Debug)]
pub struct SelectionInput<'a> {
    /// Mean validation score per pool index (−∞ if unscored).
    pub means: &'a [f64],
    /// Holder set per front key.
    pub holder_sets: &'a [&'a BTreeSet<usize>],
    /// Candidates the user excluded from selection.
    pub excluded: &'a BTreeSet<usize>,
}

/// Index of the highest mean (first on ties), skipping excluded candidates.
#[must_use]
pub fn best_index(means: &[f64], excluded: &BTreeSet<usize>) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (idx, mean) in means.iter().enumerate() {
        if excluded.contains(&idx) {
            continue;
        }
        if best.is_none_or(|b| *mean > means[b]) {
            best = Some(idx);
        }
    }
    best
}

/// Picks a parent. Returns `None` only when every candidate is excluded.
pub fn select_parent(
    strategy: Selection,
    input: &SelectionInput<'_>,
    rng: &mut Rng,
) -> Option<usize> {
    let allowed = |idx: &usize| !input.excluded.contains(idx);
    match strategy {
        Selection::CurrentBest => best_index(input.means, input.excluded),
        Selection::EpsilonGreedy { epsilon } => {
            if rng.unit() < epsilon {
                let pool: Vec<usize> = (0..input.means.len()).filter(allowed).collect();
                (!pool.is_empty()).then(|| pool[rng.below(pool.len())])
            } else {
                best_index(input.means, input.excluded)
            }
        }
        Selection::Pareto if input.excluded.is_empty() => {
            pareto_sample(input.holder_sets, input, rng)
        }
        Selection::Pareto => {
            let sets =
                filtered_sets(input.holder_sets, |idx| allowed(&idx), usize::MAX, input.means);
            pareto_sample(&sets, input, rng)
        }
        Selection::TopKPareto { k } => {
            let sets = filtered_sets(input.holder_sets, |idx| allowed(&idx), k, input.means);
            pareto_sample(&sets, input, rng)
        }
    }
}

fn filtered_sets(
    holder_sets: &[&BTreeSet<usize>],
    keep: impl Fn(usize) -> bool,
    k: usize,
    means: &[f64],
) -> Vec<BTreeSet<usize>> {
    let mean = |idx: usize| means.get(idx).copied().unwrap_or(f64::NEG_INFINITY);
    holder_sets
        .iter()
        .map(|set| {
            let mut members: Vec<usize> = set.iter().copied().filter(|idx| keep(*idx)).collect();
            if members.len() > k {
                // Stable descending sort by mean, then keep the k best.
                members.sort_by(|a, b| mean(*b).total_cmp(&mean(*a)));
                members.truncate(k);
            }
            members.into_iter().collect::<BTreeSet<_>>()
        })
        .filter(|set| !set.is_empty())
        .collect()
}

fn pareto_sample<S: std::borrow::Borrow<BTreeSet<usize>>>(
    sets: &[S],
    input: &SelectionInput<'_>,
    rng: &mut Rng,
) -> Option<usize> {
    if sets.is_empty() {
        return best_index(input.means, input.excluded);
    }
    let survivors = prune_redundant(sets, input.means);
    let weights = key_weights(sets, &survivors);
    let total: usize = weights.values().sum();
    // Equivalent to the reference's "each candidate appears w times, then a uniform choice".
    let mut target = rng.below(total);
    for (idx, weight) in &weights {
        if target < *weight {
            return Some(*idx);
        }
        target -= weight;
    }
    best_index(input.means, input.excluded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(raw: &[&[usize]]) -> Vec<BTreeSet<usize>> {
        raw.iter().map(|s| s.iter().copied().collect()).collect()
    }

    fn draw_counts(
        strategy: Selection,
        means: &[f64],
        holder_sets: &[BTreeSet<usize>],
        n: usize,
    ) -> Vec<usize> {
        let excluded = BTreeSet::new();
        let refs: Vec<&BTreeSet<usize>> = holder_sets.iter().collect();
        let input = SelectionInput { means, holder_sets: &refs, excluded: &excluded };
        let mut rng = Rng::from_seed(0);
        let mut counts = vec![0; means.len()];
        for _ in 0..n {
            counts[select_parent(strategy, &input, &mut rng).unwrap()] += 1;
        }
        counts
    }

    #[test]
    fn pareto_sampling_follows_the_worked_example_probabilities() {
        let holder_sets = sets(&[&[0, 1], &[1], &[2], &[1, 2]]);
        let counts = draw_counts(Selection::Pareto, &[0.3, 0.7, 0.5], &holder_sets, 5000);
        assert_eq!(counts[0], 0);
        let p1 = counts[1] as f64 / 5000.0;
        assert!((p1 - 0.6).abs() < 0.03, "P(1) = {p1}");
    }

    #[test]
    fn pareto_sampling_has_a_frequency_bias() {
        // Spec §11 item 10: fronts {v0:{0,1}, v1:{1}}, scores [0.3, 0.6] ⇒ always 1.
        let counts = draw_counts(Selection::Pareto, &[0.3, 0.6], &sets(&[&[0, 1], &[1]]), 50);
        assert_eq!(counts, [0, 50]);
    }

    #[test]
    fn pareto_sampling_is_seed_deterministic() {
        let holder_sets = sets(&[&[0], &[1], &[2]]);
        let a = draw_counts(Selection::Pareto, &[0.1, 0.2, 0.3], &holder_sets, 30);
        let b = draw_counts(Selection::Pareto, &[0.1, 0.2, 0.3], &holder_sets, 30);
        assert_eq!(a, b);
    }

    #[test]
    fn current_best_and_epsilon_extremes() {
        let holder_sets = sets(&[&[0], &[1], &[2]]);
        let means = [0.2, 0.9, 0.9];
        assert_eq!(draw_counts(Selection::CurrentBest, &means, &holder_sets, 10), [0, 10, 0]);
        assert_eq!(
            draw_counts(Selection::EpsilonGreedy { epsilon: 0.0 }, &means, &holder_sets, 10),
            [0, 10, 0]
        );
        let explore =
            draw_counts(Selection::EpsilonGreedy { epsilon: 1.0 }, &means, &holder_sets, 300);
        assert!(explore.iter().all(|c| *c > 50), "{explore:?}");
        assert!(Selection::EpsilonGreedy { epsilon: 1.5 }.validate().is_err());
        assert!(Selection::EpsilonGreedy { epsilon: -0.1 }.validate().is_err());
    }

    #[test]
    fn top_k_keeps_only_the_best_holders_per_key() {
        let holder_sets = sets(&[&[0, 1, 2]]);
        let counts =
            draw_counts(Selection::TopKPareto { k: 1 }, &[0.1, 0.5, 0.3], &holder_sets, 20);
        assert_eq!(counts, [0, 20, 0]);
    }

    #[test]
    fn excluded_candidates_are_never_selected() {
        let holder_sets = sets(&[&[0], &[1]]);
        let excluded = BTreeSet::from([1]);
        let refs: Vec<&BTreeSet<usize>> = holder_sets.iter().collect();
        let input = SelectionInput { means: &[0.1, 0.9], holder_sets: &refs, excluded: &excluded };
        let mut rng = Rng::from_seed(5);
        for strategy in
            [Selection::Pareto, Selection::CurrentBest, Selection::EpsilonGreedy { epsilon: 1.0 }]
        {
            for _ in 0..20 {
                assert_eq!(select_parent(strategy, &input, &mut rng), Some(0));
            }
        }
    }
}
