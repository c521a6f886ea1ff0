//! The epoch-shuffled minibatch sampler (spec §4.2).
//!
//! The position in the shuffled epoch is tied to the iteration number (`i · b`), so iterations
//! that draw no minibatch (merges) skip a chunk, and extra draws within one iteration (parallel
//! proposals) take the following chunks without shifting what later iterations get.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// Sampler state; lives in the run state so a resumed run continues the same stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochSampler {
    /// Minibatch size b.
    pub batch_size: usize,
    shuffled: Vec<u32>,
    epoch: Option<u64>,
    last_train_len: usize,
    last_iteration: Option<u64>,
    calls_this_iteration: u64,
}

impl EpochSampler {
    /// A sampler drawing minibatches of `batch_size` (at least 1).
    #[must_use]
    pub fn new(batch_size: usize) -> Self {
        EpochSampler {
            batch_size: batch_size.max(1),
            shuffled: Vec::new(),
            epoch: None,
            last_train_len: 0,
            last_iteration: None,
            calls_this_iteration: 0,
        }
    }

    /// The next minibatch of train example indices for iteration `iteration` (0-based), of size
    /// `size` (normally `batch_size`; smaller for a budget-trimmed final step). `None` if the
    /// train set is empty.
    pub fn next_minibatch(
        &mut self,
        train_len: usize,
        iteration: u64,
        size: usize,
        rng: &mut Rng,
    ) -> Option<Vec<u32>> {
        if train_len == 0 {
            return None;
        }
        if self.last_iteration == Some(iteration) {
            self.calls_this_iteration += 1;
        } else {
            self.calls_this_iteration = 0;
            self.last_iteration = Some(iteration);
        }
        let b = self.batch_size as u64;
        let base = iteration * b;
        let cur_epoch = match self.epoch {
            None => 0,
            Some(_) if self.shuffled.is_empty() => 0,
            Some(_) => base / self.shuffled.len() as u64,
        };
        let stale = self.shuffled.is_empty()
            || train_len != self.last_train_len
            || self.epoch.is_none_or(|e| cur_epoch > e);
        if stale {
            self.reshuffle(train_len, cur_epoch, rng);
        }
        let len = self.shuffled.len() as u64;
        let start = (base + self.calls_this_iteration * b) % len;
        let size = size.clamp(1, self.batch_size);
        #[expect(clippy::cast_possible_truncation, reason = "indices are below the epoch length")]
        let picks = (0..size as u64).map(|k| self.shuffled[((start + k) % len) as usize]).collect();
        Some(picks)
    }

    fn reshuffle(&mut self, train_len: usize, epoch: u64, rng: &mut Rng) {
        self.epoch = Some(epoch);
        self.last_train_len = train_len;
        #[expect(
            clippy::cast_possible_truncation,
            reason = "datasets are capped far below u32::MAX"
        )]
        let mut ids: Vec<u32> = (0..train_len as u32).collect();
        rng.shuffle(&mut ids);
        let remainder = train_len % self.batch_size;
        if remainder != 0 {
            // Pad to a whole number of minibatches with the least-used ids, preferring ids that
            // come latest in the shuffled order on ties.
            let mut freq: BTreeMap<u32, usize> = ids.iter().map(|id| (*id, 1)).collect();
            for _ in 0..(self.batch_size - remainder) {
                let pick = ids
                    .iter()
                    .rev()
                    .copied()
                    .min_by_key(|id| freq[id])
                    .unwrap_or(ids[ids.len() - 1]);
                if let Some(count) = freq.get_mut(&pick) {
                    *count += 1;
                }
                ids.push(pick);
            }
        }
        self.shuffled = ids;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_covers_every_example_before_repeating() {
        let mut rng = Rng::from_seed(0);
        let mut sampler = EpochSampler::new(3);
        let mut seen = Vec::new();
        for i in 0..3 {
            seen.extend(sampler.next_minibatch(9, i, 3, &mut rng).unwrap());
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..9).collect::<Vec<_>>());
    }

    #[test]
    fn padding_repeats_the_last_shuffled_ids() {
        let mut rng = Rng::from_seed(1);
        let mut sampler = EpochSampler::new(3);
        let first = sampler.next_minibatch(4, 0, 3, &mut rng).unwrap();
        let second = sampler.next_minibatch(4, 1, 3, &mut rng).unwrap();
        let mut all: Vec<u32> = first.iter().chain(&second).copied().collect();
        assert_eq!(all.len(), 6);
        all.sort_unstable();
        all.dedup();
        assert_eq!(all, [0, 1, 2, 3], "every id appears in the padded epoch");
    }

    #[test]
    fn extra_draws_in_an_iteration_do_not_shift_later_iterations() {
        let mut a_rng = Rng::from_seed(2);
        let mut a = EpochSampler::new(2);
        let mut b_rng = Rng::from_seed(2);
        let mut b = EpochSampler::new(2);
        let a0 = a.next_minibatch(10, 0, 2, &mut a_rng).unwrap();
        let a0_extra = a.next_minibatch(10, 0, 2, &mut a_rng).unwrap();
        let b0 = b.next_minibatch(10, 0, 2, &mut b_rng).unwrap();
        assert_eq!(a0, b0);
        assert_ne!(a0, a0_extra, "repeated calls give the next chunk");
        assert_eq!(a.next_minibatch(10, 1, 2, &mut a_rng), b.next_minibatch(10, 1, 2, &mut b_rng));
    }

    #[test]
    fn a_growing_train_set_reshuffles_and_includes_new_ids() {
        let mut rng = Rng::from_seed(3);
        let mut sampler = EpochSampler::new(2);
        sampler.next_minibatch(4, 0, 2, &mut rng).unwrap();
        let mut seen = Vec::new();
        for i in 1..6 {
            seen.extend(sampler.next_minibatch(6, i, 2, &mut rng).unwrap());
        }
        assert!(seen.contains(&4) || seen.contains(&5));
    }

    #[test]
    fn empty_train_set_gives_none_and_state_round_trips() {
        let mut rng = Rng::from_seed(4);
        let mut sampler = EpochSampler::new(3);
        assert_eq!(sampler.next_minibatch(0, 0, 3, &mut rng), None);
        sampler.next_minibatch(7, 0, 3, &mut rng).unwrap();
        let saved = serde_json::to_string(&sampler).unwrap();
        let mut restored: EpochSampler = serde_json::from_str(&saved).unwrap();
        let mut rng2 = rng.clone();
        assert_eq!(
            sampler.next_minibatch(7, 1, 3, &mut rng),
            restored.next_minibatch(7, 1, 3, &mut rng2)
        );
    }

    #[test]
    fn a_trimmed_final_minibatch_is_smaller() {
        let mut rng = Rng::from_seed(5);
        let mut sampler = EpochSampler::new(3);
        assert_eq!(sampler.next_minibatch(9, 0, 1, &mut rng).unwrap().len(), 1);
    }
}
