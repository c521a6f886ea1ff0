//! The validation Pareto front: per key, the best score seen and every candidate holding it.
//!
//! Keys depend on the frontier type (spec §1.5): one per validation example (`instance`), one per
//! objective (`objective`), both (`hybrid`), or one per (example, objective) cell (`cartesian`).

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Which key space the front is kept over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrontierType {
    /// One key per validation example (the default).
    #[default]
    Instance,
    /// One key per objective, over the candidate's mean objective scores.
    Objective,
    /// Instance keys and objective keys together.
    Hybrid,
    /// One key per (validation example, objective).
    Cartesian,
}

impl FrontierType {
    /// True when this type needs objective scores from the metric.
    #[must_use]
    pub fn needs_objectives(self) -> bool {
        !matches!(self, FrontierType::Instance)
    }
}

/// One key of the front.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FrontKey {
    /// A validation example.
    Example {
        /// Validation example index.
        id: u32,
    },
    /// An objective's mean score.
    Objective {
        /// Objective name.
        name: String,
    },
    /// An objective on one validation example.
    Cell {
        /// Validation example index.
        id: u32,
        /// Objective name.
        name: String,
    },
}

/// The best score and its holders for one key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontEntry {
    /// Best score seen for the key.
    pub best: f64,
    /// Every candidate (pool index) holding exactly that score.
    pub holders: BTreeSet<usize>,
}

/// Scores of one candidate, as the front needs them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CandidateScores {
    /// Validation example index → score.
    pub per_example: BTreeMap<u32, f64>,
    /// Validation example index → objective → score.
    pub per_example_objectives: BTreeMap<u32, BTreeMap<String, f64>>,
}

impl CandidateScores {
    /// Mean over the scored examples, or −∞ when none were scored.
    #[must_use]
    pub fn mean(&self) -> f64 {
        if self.per_example.is_empty() {
            return f64::NEG_INFINITY;
        }
        #[expect(clippy::cast_precision_loss, reason = "example counts are small")]
        let n = self.per_example.len() as f64;
        self.per_example.values().sum::<f64>() / n
    }

    /// Per objective, the mean over the examples that report it.
    #[must_use]
    pub fn objective_means(&self) -> BTreeMap<String, f64> {
        let mut sums: BTreeMap<String, (f64, u32)> = BTreeMap::new();
        for objectives in self.per_example_objectives.values() {
            for (name, score) in objectives {
                let slot = sums.entry(name.clone()).or_default();
                slot.0 += score;
                slot.1 += 1;
            }
        }
        sums.into_iter().map(|(name, (sum, n))| (name, sum / f64::from(n))).collect()
    }
}

/// The front over one key space.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParetoFront {
    /// Key space.
    pub kind: FrontierType,
    #[serde(with = "entries_as_pairs")]
    entries: BTreeMap<FrontKey, FrontEntry>,
}

mod entries_as_pairs {
    //! JSON object keys must be strings; the front's keys are structured, so store pairs.
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{FrontEntry, FrontKey};

    pub(super) fn serialize<S: Serializer>(
        map: &BTreeMap<FrontKey, FrontEntry>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        map.iter().collect::<Vec<_>>().serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<FrontKey, FrontEntry>, D::Error> {
        Ok(Vec::<(FrontKey, FrontEntry)>::deserialize(d)?.into_iter().collect())
    }
}

impl ParetoFront {
    /// An empty front of the given type.
    #[must_use]
    pub fn new(kind: FrontierType) -> Self {
        ParetoFront { kind, entries: BTreeMap::new() }
    }

    /// All keys with their best score and holders.
    #[must_use]
    pub fn entries(&self) -> &BTreeMap<FrontKey, FrontEntry> {
        &self.entries
    }

    /// The sorted union of every key's holders.
    #[must_use]
    pub fn members(&self) -> BTreeSet<usize> {
        self.entries.values().flat_map(|e| e.holders.iter().copied()).collect()
    }

    /// Mean of the best score over the keys (the "Pareto aggregate").
    #[must_use]
    pub fn aggregate(&self) -> f64 {
        if self.entries.is_empty() {
            return 0.0;
        }
        #[expect(clippy::cast_precision_loss, reason = "key counts are small")]
        let n = self.entries.len() as f64;
        self.entries.values().map(|e| e.best).sum::<f64>() / n
    }

    /// Records candidate `idx`'s scores: a strictly better score takes the key over; an exactly
    /// equal score joins the holders (exact float comparison, as in the reference).
    pub fn add(&mut self, idx: usize, scores: &CandidateScores) {
        let mut offer = |key: FrontKey, score: f64| match self.entries.get_mut(&key) {
            Some(entry) if score > entry.best => {
                entry.best = score;
                entry.holders = BTreeSet::from([idx]);
            }
            #[expect(clippy::float_cmp, reason = "ties are exact by definition (spec §12.16)")]
            Some(entry) if score == entry.best => {
                entry.holders.insert(idx);
            }
            Some(_) => {}
            None => {
                self.entries
                    .insert(key, FrontEntry { best: score, holders: BTreeSet::from([idx]) });
            }
        };
        let instance = matches!(self.kind, FrontierType::Instance | FrontierType::Hybrid);
        let objective = matches!(self.kind, FrontierType::Objective | FrontierType::Hybrid);
        if instance {
            for (id, score) in &scores.per_example {
                offer(FrontKey::Example { id: *id }, *score);
            }
        }
        if objective {
            for (name, score) in scores.objective_means() {
                offer(FrontKey::Objective { name }, score);
            }
        }
        if self.kind == FrontierType::Cartesian {
            for (id, objectives) in &scores.per_example_objectives {
                for (name, score) in objectives {
                    offer(FrontKey::Cell { id: *id, name: name.clone() }, *score);
                }
            }
        }
    }

    /// Holder sets per key, restricted by `keep` (used by top-k selection).
    #[must_use]
    pub fn holder_sets(&self) -> Vec<&BTreeSet<usize>> {
        self.entries.values().map(|e| &e.holders).collect()
    }
}

/// Removes redundant candidates (spec §3 step 2): in ascending order of mean score (stable by
/// first appearance across the keys), repeatedly drop the first candidate all of whose keys are
/// also held by another remaining candidate. Every key keeps at least one holder.
#[must_use]
pub fn prune_redundant<S: Borrow<BTreeSet<usize>>>(
    holder_sets: &[S],
    means: &[f64],
) -> BTreeSet<usize> {
    let n = holder_sets.iter().filter_map(|set| set.borrow().last()).max().map_or(0, |m| m + 1);
    // First appearance order, then a stable sort by ascending mean.
    let mut order: Vec<usize> = Vec::new();
    let mut keys_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut alive: Vec<usize> = Vec::with_capacity(holder_sets.len());
    for (key, set) in holder_sets.iter().enumerate() {
        let set = set.borrow();
        alive.push(set.len());
        for idx in set {
            if keys_of[*idx].is_empty() {
                order.push(*idx);
            }
            keys_of[*idx].push(key);
        }
    }
    let mean = |idx: usize| means.get(idx).copied().unwrap_or(f64::NEG_INFINITY);
    order.sort_by(|a, b| mean(*a).total_cmp(&mean(*b)));
    // The reference restarts its scan after every removal, but a removal only lowers other
    // candidates' alive counts, so a candidate found necessary stays necessary: one pass in the
    // same order removes exactly the same candidates, in O(total memberships).
    let mut survivors = BTreeSet::new();
    for idx in order {
        let keys = &keys_of[idx];
        if keys.iter().all(|k| alive[*k] >= 2) {
            for k in keys {
                alive[*k] -= 1;
            }
        } else {
            survivors.insert(idx);
        }
    }
    survivors
}

/// How many keys each surviving candidate holds after pruning (its Pareto sampling weight).
#[must_use]
pub fn key_weights<S: Borrow<BTreeSet<usize>>>(
    holder_sets: &[S],
    survivors: &BTreeSet<usize>,
) -> BTreeMap<usize, usize> {
    let mut weights = BTreeMap::new();
    for set in holder_sets {
        for idx in set.borrow().intersection(survivors) {
            *weights.entry(*idx).or_insert(0) += 1;
        }
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(raw: &[&[usize]]) -> Vec<BTreeSet<usize>> {
        raw.iter().map(|s| s.iter().copied().collect()).collect()
    }

    #[test]
    fn worked_example_from_the_spec() {
        // Fronts {v0:{0,1}, v1:{1}, v2:{2}, v3:{1,2}}, S = [0.3, 0.7, 0.5]:
        // 0 is pruned, w(1) = 3, w(2) = 2.
        let holder_sets = sets(&[&[0, 1], &[1], &[2], &[1, 2]]);
        let survivors = prune_redundant(&holder_sets, &[0.3, 0.7, 0.5]);
        assert_eq!(survivors, BTreeSet::from([1, 2]));
        let w = key_weights(&holder_sets, &survivors);
        assert_eq!(w, BTreeMap::from([(1, 3), (2, 2)]));
    }

    #[test]
    fn identical_key_sets_prune_the_lower_scoring_one() {
        let holder_sets = sets(&[&[0, 1], &[0, 1]]);
        assert_eq!(prune_redundant(&holder_sets, &[0.9, 0.4]), BTreeSet::from([0]));
    }

    #[test]
    fn front_update_takes_over_on_better_and_joins_on_equal() {
        let mut front = ParetoFront::new(FrontierType::Instance);
        let scores = |pairs: &[(u32, f64)]| CandidateScores {
            per_example: pairs.iter().copied().collect(),
            ..CandidateScores::default()
        };
        front.add(0, &scores(&[(0, 0.5), (1, 1.0)]));
        front.add(1, &scores(&[(0, 0.5), (1, 0.0)]));
        front.add(2, &scores(&[(0, 0.7), (1, 0.9)]));
        let e = front.entries();
        assert_eq!(e[&FrontKey::Example { id: 0 }].holders, BTreeSet::from([2]));
        assert_eq!(e[&FrontKey::Example { id: 1 }].holders, BTreeSet::from([0]));
        assert_eq!(front.members(), BTreeSet::from([0, 2]));
        assert!((front.aggregate() - 0.85).abs() < 1e-12);
    }

    #[test]
    fn objective_and_cartesian_fronts_use_objective_scores() {
        let scores = CandidateScores {
            per_example: BTreeMap::from([(0, 1.0), (1, 0.0)]),
            per_example_objectives: BTreeMap::from([
                (0, BTreeMap::from([("acc".to_owned(), 1.0), ("brevity".to_owned(), 0.2)])),
                (1, BTreeMap::from([("acc".to_owned(), 0.0), ("brevity".to_owned(), 0.4)])),
            ]),
        };
        let mut objective = ParetoFront::new(FrontierType::Objective);
        objective.add(0, &scores);
        assert_eq!(objective.entries().len(), 2);
        let brevity = &objective.entries()[&FrontKey::Objective { name: "brevity".into() }];
        assert!((brevity.best - 0.3).abs() < 1e-12);
        let mut hybrid = ParetoFront::new(FrontierType::Hybrid);
        hybrid.add(0, &scores);
        assert_eq!(hybrid.entries().len(), 4);
        let mut cartesian = ParetoFront::new(FrontierType::Cartesian);
        cartesian.add(0, &scores);
        assert_eq!(cartesian.entries().len(), 4);
    }

    #[test]
    fn mean_of_unscored_candidate_is_negative_infinity() {
        assert_eq!(CandidateScores::default().mean(), f64::NEG_INFINITY);
    }
}
