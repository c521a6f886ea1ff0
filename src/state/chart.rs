//! The maths of the score-vs-rollouts chart: linear scales, nice ticks, the best-so-far step
//! line and the Pareto aggregate (the mean over validation examples of the best score any
//! candidate reached on each: what a per-example oracle over the pool would score).
//!
//! Written by hand: the chart is two step lines and a scatter in SVG with accessible labels; a
//! plotting crate would add hundreds of kilobytes of wasm for that.

use super::history::CandidateInfo;

/// A linear map from a data domain onto a pixel range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// Domain start.
    pub d0: f64,
    /// Domain end.
    pub d1: f64,
    /// Range start.
    pub r0: f64,
    /// Range end.
    pub r1: f64,
}

impl Scale {
    /// Maps `v` (a degenerate domain maps everything to the range start).
    #[must_use]
    pub fn at(&self, v: f64) -> f64 {
        let span = self.d1 - self.d0;
        if span.abs() < f64::EPSILON {
            return self.r0;
        }
        self.r0 + (v - self.d0) / span * (self.r1 - self.r0)
    }
}

/// About `count` round tick values covering `[lo, hi]` (steps of 1, 2 or 5 × 10ⁿ).
#[must_use]
pub fn ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) || count == 0 {
        return vec![lo];
    }
    let raw = (hi - lo) / count as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step =
        [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(raw);
    let first = (lo / step).ceil();
    // Round to the step's decimals so 3 × 0.2 reads 0.6, not 0.6000000000000001.
    let unit = 10f64.powi((-step.log10().floor()).max(0.0) as i32);
    (0..=count * 2 + 2)
        .map(|i| ((first + i as f64) * step * unit).round() / unit)
        .take_while(|v| *v <= hi + step * 1e-9)
        .collect()
}

/// Points (rollouts, best mean so far) as a step line, from the candidates in admission order.
#[must_use]
pub fn best_so_far(candidates: &[CandidateInfo], end: u64) -> Vec<(f64, f64)> {
    let mut points = Vec::new();
    let mut best = f64::NEG_INFINITY;
    for c in candidates {
        if c.mean > best {
            if let Some(&(_, y)) = points.last() {
                points.push((c.admitted_at as f64, y));
            }
            best = c.mean;
            points.push((c.admitted_at as f64, best));
        }
    }
    if let Some(&(x, y)) = points.last()
        && (end as f64) > x
    {
        points.push((end as f64, y));
    }
    points
}

/// The Pareto aggregate after each admission: (rollouts, mean over examples of the best score
/// any candidate so far reached on that example).
#[must_use]
pub fn pareto_aggregate(candidates: &[CandidateInfo]) -> Vec<(f64, f64)> {
    let mut best: std::collections::BTreeMap<u32, f64> = Default::default();
    candidates
        .iter()
        .map(|c| {
            for (example, score) in &c.val_scores {
                let slot = best.entry(*example).or_insert(f64::NEG_INFINITY);
                *slot = slot.max(*score);
            }
            let mean = best.values().sum::<f64>() / best.len().max(1) as f64;
            (c.admitted_at as f64, mean)
        })
        .collect()
}

/// An SVG path through `points` under the two scales.
#[must_use]
pub fn path(points: &[(f64, f64)], x: Scale, y: Scale) -> String {
    points
        .iter()
        .enumerate()
        .map(|(i, (px, py))| {
            format!("{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, x.at(*px), y.at(*py))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use gepa_core::Candidate;
    use gepa_core::events::Origin;

    fn candidate(index: usize, at: u64, scores: &[f64]) -> CandidateInfo {
        let val_scores: std::collections::BTreeMap<u32, f64> =
            scores.iter().enumerate().map(|(i, s)| (i as u32, *s)).collect();
        CandidateInfo {
            index,
            parents: vec![],
            origin: Origin::Seed,
            program: Candidate::new([("system", "x")]),
            mean: scores.iter().sum::<f64>() / scores.len() as f64,
            val_scores,
            iteration: 0,
            discovered_at: at,
            admitted_at: at,
            proposal: None,
        }
    }

    #[test]
    fn scales_and_ticks_are_round_and_inclusive() {
        let s = Scale { d0: 0.0, d1: 10.0, r0: 100.0, r1: 0.0 };
        assert_eq!((s.at(0.0), s.at(5.0), s.at(10.0)), (100.0, 50.0, 0.0));
        assert_eq!(Scale { d0: 3.0, d1: 3.0, r0: 7.0, r1: 9.0 }.at(3.0), 7.0);
        assert_eq!(ticks(0.0, 1.0, 5), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(ticks(0.0, 150.0, 3), [0.0, 50.0, 100.0, 150.0]);
        assert_eq!(ticks(2.0, 2.0, 4), [2.0]);
    }

    #[test]
    fn best_so_far_steps_up_only_and_runs_to_the_end() {
        let cs = [
            candidate(0, 4, &[0.0, 0.5]),
            candidate(1, 10, &[0.0, 0.0]),
            candidate(2, 20, &[1.0, 0.5]),
        ];
        assert_eq!(best_so_far(&cs, 30), [(4.0, 0.25), (20.0, 0.25), (20.0, 0.75), (30.0, 0.75)]);
        assert_eq!(
            path(
                &best_so_far(&cs[..1], 4),
                Scale { d0: 0.0, d1: 4.0, r0: 0.0, r1: 8.0 },
                Scale { d0: 0.0, d1: 1.0, r0: 10.0, r1: 0.0 }
            ),
            "M8.0,7.5"
        );
    }

    #[test]
    fn the_pareto_aggregate_takes_the_best_per_example() {
        let cs = [candidate(0, 4, &[1.0, 0.0]), candidate(1, 10, &[0.0, 1.0])];
        assert_eq!(pareto_aggregate(&cs), [(4.0, 0.5), (10.0, 1.0)]);
    }
}
