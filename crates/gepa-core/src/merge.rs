//! Merge, the system-aware crossover of two candidates that share an ancestor (spec §6).

use std::collections::{BTreeMap, BTreeSet};

use crate::candidate::Candidate;
use crate::frontier::prune_redundant;
use crate::rng::Rng;

/// What the merge search looks at.
#[derive(Debug)]
pub struct MergeInput<'a> {
    /// Mean validation score per pool index.
    pub means: &'a [f64],
    /// Parents per pool index.
    pub parents: &'a [Vec<usize>],
    /// Programs per pool index.
    pub candidates: &'a [Candidate],
    /// Scored validation ids per pool index.
    pub scored: &'a [BTreeSet<u32>],
    /// Front holder sets.
    pub holder_sets: &'a [&'a BTreeSet<usize>],
    /// Minimum commonly scored validation ids.
    pub overlap_floor: usize,
}

/// A merge to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundMerge {
    /// The two parents, lower index first.
    pub parents: [usize; 2],
    /// Their common ancestor.
    pub ancestor: usize,
    /// The merged program.
    pub child: Candidate,
}

const OUTER_ATTEMPTS: usize = 10;
const PAIR_ATTEMPTS: usize = 10;

/// Every ancestor of `idx` (transitive over parent lists).
#[must_use]
pub fn ancestors(parents: &[Vec<usize>], idx: usize) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = parents.get(idx).cloned().unwrap_or_default();
    while let Some(p) = stack.pop() {
        if seen.insert(p) {
            stack.extend(parents.get(p).cloned().unwrap_or_default());
        }
    }
    seen
}

/// True when some component equals the ancestor on exactly one side while the sides differ.
#[must_use]
pub fn desirable(ancestor: &Candidate, i: &Candidate, j: &Candidate) -> bool {
    ancestor.names().any(|name| {
        let (a, x, y) = (ancestor.get(name), i.get(name), j.get(name));
        x != y && (a == x || a == y)
    })
}

/// Finds a merge, recording tried triples and produced descriptions so nothing is tried twice.
pub fn find_merge(
    input: &MergeInput<'_>,
    tried: &mut BTreeSet<(usize, usize, usize)>,
    produced: &mut BTreeSet<String>,
    rng: &mut Rng,
) -> Option<FoundMerge> {
    let n = input.candidates.len();
    let holders: Vec<usize> = prune_redundant(input.holder_sets, input.means).into_iter().collect();
    if holders.len() < 2 || n < 3 {
        return None;
    }
    let mean = |idx: usize| input.means.get(idx).copied().unwrap_or(f64::NEG_INFINITY);
    for _ in 0..OUTER_ATTEMPTS {
        let Some((i, j, a)) = find_pair(input, &holders, tried, rng) else { continue };
        let (ci, cj, ca) = (&input.candidates[i], &input.candidates[j], &input.candidates[a]);
        let mut child = ca.clone();
        let mut description = format!("{i}+{j}@{a}:");
        for name in ca.names() {
            let (x, y, base) = (ci.get(name), cj.get(name), ca.get(name));
            // Same on both sides, or only i changed it: take i. Only j changed it: take j.
            // Both changed it differently: the better-scoring side, a coin flip on ties.
            let source = if x == y || base == y {
                i
            } else if base == x {
                j
            } else if mean(i) > mean(j) {
                i
            } else if mean(j) > mean(i) {
                j
            } else if rng.below(2) == 0 {
                i
            } else {
                j
            };
            let text = input.candidates[source].get(name).unwrap_or_default();
            child = child.with_text(name, text);
            description.push_str(&format!("{name}={source};"));
        }
        if produced.contains(&description) {
            continue;
        }
        let overlap = input.scored[i].intersection(&input.scored[j]).count();
        if overlap < input.overlap_floor {
            continue;
        }
        produced.insert(description);
        tried.insert((i, j, a));
        if input.candidates.iter().any(|c| c.same_content(&child)) {
            continue;
        }
        return Some(FoundMerge { parents: [i, j], ancestor: a, child });
    }
    None
}

fn find_pair(
    input: &MergeInput<'_>,
    holders: &[usize],
    tried: &BTreeSet<(usize, usize, usize)>,
    rng: &mut Rng,
) -> Option<(usize, usize, usize)> {
    let mean = |idx: usize| input.means.get(idx).copied().unwrap_or(f64::NEG_INFINITY);
    for _ in 0..PAIR_ATTEMPTS {
        let picks = rng.sample_indices(holders.len(), 2);
        let (mut i, mut j) = (holders[picks[0]], holders[picks[1]]);
        if i > j {
            std::mem::swap(&mut i, &mut j);
        }
        let (anc_i, anc_j) = (ancestors(input.parents, i), ancestors(input.parents, j));
        if anc_i.contains(&j) || anc_j.contains(&i) {
            continue;
        }
        let common: Vec<usize> = anc_i
            .intersection(&anc_j)
            .copied()
            .filter(|a| !tried.contains(&(i, j, *a)))
            .filter(|a| mean(*a) <= mean(i) && mean(*a) <= mean(j))
            .filter(|a| {
                desirable(&input.candidates[*a], &input.candidates[i], &input.candidates[j])
            })
            .collect();
        if common.is_empty() {
            continue;
        }
        // Weight by ancestor score; all-zero weights fall back to a uniform choice (the
        // reference raises here).
        let weights: Vec<f64> = common.iter().map(|a| mean(*a)).collect();
        let a = common[rng.weighted_index(&weights)?];
        return Some((i, j, a));
    }
    None
}

/// Up to `size` validation ids on which to compare the merged child with its parents: a third
/// each (rounded up) from ids where i is better, where j is better, and ties, then random fill;
/// draws with replacement when the common ids are too few.
pub fn subsample(
    common: &[u32],
    scores_i: &BTreeMap<u32, f64>,
    scores_j: &BTreeMap<u32, f64>,
    size: usize,
    rng: &mut Rng,
) -> Vec<u32> {
    if common.is_empty() {
        return Vec::new();
    }
    let per_bucket = size.div_ceil(3);
    let score = |m: &BTreeMap<u32, f64>, id: &u32| m.get(id).copied().unwrap_or(0.0);
    let mut buckets: [Vec<u32>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for id in common {
        let (x, y) = (score(scores_i, id), score(scores_j, id));
        let bucket = if x > y {
            0
        } else if y > x {
            1
        } else {
            2
        };
        buckets[bucket].push(*id);
    }
    let mut picked: Vec<u32> = Vec::new();
    for bucket in &buckets {
        for k in rng.sample_indices(bucket.len(), per_bucket) {
            if picked.len() < size {
                picked.push(bucket[k]);
            }
        }
    }
    let unused: Vec<u32> = common.iter().copied().filter(|id| !picked.contains(id)).collect();
    for k in rng.sample_indices(unused.len(), size.saturating_sub(picked.len())) {
        picked.push(unused[k]);
    }
    while picked.len() < size {
        picked.push(common[rng.below(common.len())]);
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(a: &str, b: &str) -> Candidate {
        Candidate::new([("a", a), ("b", b)])
    }

    /// Root 0; child 1 changed `a`; child 2 changed `b`; both children on the front.
    struct Fixture {
        candidates: Vec<Candidate>,
        parents: Vec<Vec<usize>>,
        scored: Vec<BTreeSet<u32>>,
        holder_sets: [BTreeSet<usize>; 2],
    }

    impl Fixture {
        fn new(n_scored: u32) -> Self {
            Fixture {
                candidates: vec![cand("a0", "b0"), cand("a1", "b0"), cand("a0", "b2")],
                parents: vec![vec![], vec![0], vec![0]],
                scored: vec![(0..n_scored).collect(); 3],
                holder_sets: [BTreeSet::from([1]), BTreeSet::from([2])],
            }
        }

        fn find(
            &self,
            means: &[f64],
            floor: usize,
            tried: &mut BTreeSet<(usize, usize, usize)>,
            produced: &mut BTreeSet<String>,
            seed: u64,
        ) -> Option<FoundMerge> {
            let holder_sets: Vec<&BTreeSet<usize>> = self.holder_sets.iter().collect();
            let input = MergeInput {
                means,
                parents: &self.parents,
                candidates: &self.candidates,
                scored: &self.scored,
                holder_sets: &holder_sets,
                overlap_floor: floor,
            };
            find_merge(&input, tried, produced, &mut Rng::from_seed(seed))
        }
    }

    #[test]
    fn pair_finder_returns_two_children_of_a_root_and_merges_their_changes() {
        let fixture = Fixture::new(5);
        let (mut tried, mut produced) = (BTreeSet::new(), BTreeSet::new());
        let found = fixture.find(&[0.2, 0.5, 0.6], 5, &mut tried, &mut produced, 0).unwrap();
        assert_eq!(found.parents, [1, 2]);
        assert_eq!(found.ancestor, 0);
        assert_eq!(found.child, cand("a1", "b2"));
        assert!(tried.contains(&(1, 2, 0)));
        // The same merge is never produced again.
        assert_eq!(fixture.find(&[0.2, 0.5, 0.6], 5, &mut tried, &mut produced, 0), None);
    }

    #[test]
    fn overlap_floor_blocks_pairs_without_recording_them() {
        let (mut tried, mut produced) = (BTreeSet::new(), BTreeSet::new());
        assert_eq!(Fixture::new(3).find(&[0.2, 0.5, 0.6], 5, &mut tried, &mut produced, 0), None);
        assert!(tried.is_empty() && produced.is_empty());
    }

    #[test]
    fn all_zero_ancestor_weights_fall_back_to_uniform() {
        let found = Fixture::new(5).find(
            &[0.0, 0.5, 0.6],
            1,
            &mut BTreeSet::new(),
            &mut BTreeSet::new(),
            3,
        );
        assert_eq!(found.map(|f| f.ancestor), Some(0));
    }

    #[test]
    fn ancestor_relationships_and_desirability() {
        let parents = vec![vec![], vec![0], vec![1], vec![1, 0]];
        assert_eq!(ancestors(&parents, 2), BTreeSet::from([0, 1]));
        assert_eq!(ancestors(&parents, 3), BTreeSet::from([0, 1]));
        assert!(desirable(&cand("x", "y"), &cand("x", "z"), &cand("w", "y")));
        assert!(!desirable(&cand("x", "y"), &cand("x", "y"), &cand("x", "y")));
        assert!(
            !desirable(&cand("x", "y"), &cand("p", "y"), &cand("q", "y"))
                || cand("x", "y").get("b") == Some("y")
        );
    }

    #[test]
    fn subsample_is_stratified_and_padded() {
        let si = BTreeMap::from([(0, 1.0), (1, 1.0), (2, 0.0), (3, 0.5), (4, 0.0)]);
        let sj = BTreeMap::from([(0, 0.0), (1, 0.0), (2, 1.0), (3, 0.5), (4, 1.0)]);
        let mut rng = Rng::from_seed(1);
        let picked = subsample(&[0, 1, 2, 3, 4], &si, &sj, 5, &mut rng);
        assert_eq!(picked.len(), 5);
        let distinct: BTreeSet<u32> = picked.iter().copied().collect();
        assert_eq!(distinct.len(), 5);
        let short = subsample(&[7, 8], &si, &sj, 5, &mut rng);
        assert_eq!(short.len(), 5);
        assert!(short.iter().all(|id| *id == 7 || *id == 8));
        assert!(subsample(&[], &si, &sj, 5, &mut rng).is_empty());
    }
}
