//! The per-example heatmap: candidates × validation examples, with the cells where a candidate
//! holds the best score on that example (what puts it on the Pareto front) marked as wins.

use super::history::CandidateInfo;
use std::fmt::Write as _;

/// How rows are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// Pool order.
    #[default]
    Index,
    /// Highest mean first.
    Mean,
    /// Most wins first.
    Wins,
}

/// One cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// The score, if scored.
    pub score: Option<f64>,
    /// True when no candidate scored higher on this example (and the score is above 0).
    pub win: bool,
}

/// One row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Pool index.
    pub candidate: usize,
    /// Mean validation score.
    pub mean: f64,
    /// Cells, one per example of `Heatmap::examples`.
    pub cells: Vec<Cell>,
    /// Number of wins.
    pub wins: usize,
}

/// The heatmap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Heatmap {
    /// Validation example ids (the columns).
    pub examples: Vec<u32>,
    /// Rows, sorted.
    pub rows: Vec<Row>,
}

/// Builds the heatmap of `candidates`.
#[must_use]
pub fn heatmap(candidates: &[CandidateInfo], sort: SortBy) -> Heatmap {
    let mut examples: Vec<u32> =
        candidates.iter().flat_map(|c| c.val_scores.keys().copied()).collect();
    examples.sort_unstable();
    examples.dedup();
    let best: Vec<f64> = examples
        .iter()
        .map(|e| {
            candidates
                .iter()
                .filter_map(|c| c.val_scores.get(e))
                .copied()
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    let mut rows: Vec<Row> = candidates
        .iter()
        .map(|c| {
            let cells: Vec<Cell> = examples
                .iter()
                .zip(&best)
                .map(|(e, b)| {
                    let score = c.val_scores.get(e).copied();
                    Cell { score, win: score.is_some_and(|s| s >= *b && s > 0.0) }
                })
                .collect();
            let wins = cells.iter().filter(|c| c.win).count();
            Row { candidate: c.index, mean: c.mean, cells, wins }
        })
        .collect();
    match sort {
        SortBy::Index => {}
        SortBy::Mean => {
            rows.sort_by(|a, b| b.mean.total_cmp(&a.mean).then(a.candidate.cmp(&b.candidate)))
        }
        SortBy::Wins => {
            rows.sort_by(|a, b| b.wins.cmp(&a.wins).then(a.candidate.cmp(&b.candidate)))
        }
    }
    Heatmap { examples, rows }
}

/// A colour for a score in [0, 1] from the viridis scale (readable in light and dark themes and
/// by people with colour-vision deficiencies), as `#rrggbb`.
#[must_use]
pub fn colour(score: f64) -> String {
    let c = colorous::VIRIDIS.eval_continuous(score.clamp(0.0, 1.0));
    format!("#{c:x}")
}

/// Black or white, whichever reads better on `colour(score)`.
#[must_use]
pub fn ink(score: f64) -> &'static str {
    let c = colorous::VIRIDIS.eval_continuous(score.clamp(0.0, 1.0));
    let luminance = 0.2126 * f64::from(c.r) + 0.7152 * f64::from(c.g) + 0.0722 * f64::from(c.b);
    if luminance > 140.0 { "#000000" } else { "#ffffff" }
}

/// The hover text of a cell: the score, whether it wins, and the example's input and the
/// candidate's output when known (each cut to `MAX_HOVER_CHARS`).
#[must_use]
pub fn cell_title(score: f64, win: bool, input: Option<&str>, output: Option<&str>) -> String {
    let mut text = format!("{score:.2}{}", if win { ", best on this example" } else { "" });
    for (label, value) in [("Input", input), ("Output", output)] {
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            let mut shown: String = value.chars().take(MAX_HOVER_CHARS).collect();
            if shown.len() < value.len() {
                shown.push('…');
            }
            let _ = write!(text, "\n{label}: {shown}");
        }
    }
    text
}

/// The most characters of an input or output a heatmap cell's hover text shows.
pub const MAX_HOVER_CHARS: usize = 240;

#[cfg(test)]
mod tests {
    #[test]
    fn a_cell_s_hover_shows_the_input_and_output_cut_to_length() {
        let long = "x".repeat(super::MAX_HOVER_CHARS + 10);
        let title = super::cell_title(1.0, true, Some("What is 2+2?"), Some(&long));
        let lines: Vec<&str> = title.lines().collect();
        assert_eq!(lines[0], "1.00, best on this example");
        assert_eq!(lines[1], "Input: What is 2+2?");
        assert!(lines[2].starts_with("Output: xxx") && lines[2].ends_with('…'));
        assert_eq!(lines[2].chars().count(), "Output: ".len() + super::MAX_HOVER_CHARS + 1);
        assert_eq!(super::cell_title(0.5, false, None, Some(" ")), "0.50");
    }

    use super::*;
    use gepa_core::Candidate;
    use gepa_core::events::Origin;

    fn c(index: usize, scores: &[(u32, f64)]) -> CandidateInfo {
        CandidateInfo {
            index,
            parents: vec![],
            origin: Origin::Seed,
            program: Candidate::new([("system", "x")]),
            val_scores: scores.iter().copied().collect(),
            mean: scores.iter().map(|s| s.1).sum::<f64>() / scores.len() as f64,
            iteration: 0,
            discovered_at: 0,
            admitted_at: 0,
            proposal: None,
        }
    }

    #[test]
    fn wins_mark_the_best_per_example_and_rows_sort() {
        let cs = [c(0, &[(0, 1.0), (1, 0.0), (2, 0.0)]), c(1, &[(0, 0.5), (1, 1.0), (2, 1.0)])];
        let h = heatmap(&cs, SortBy::Index);
        assert_eq!(h.examples, [0, 1, 2]);
        assert_eq!(h.rows[0].wins, 1);
        assert_eq!(h.rows[1].wins, 2);
        assert!(!h.rows[0].cells[1].win, "a zero is never a win");
        let by_mean = heatmap(&cs, SortBy::Mean);
        assert_eq!(by_mean.rows[0].candidate, 1);
        let by_wins = heatmap(&cs, SortBy::Wins);
        assert_eq!(by_wins.rows[0].candidate, 1);
    }

    #[test]
    fn colours_span_the_scale_with_readable_ink() {
        assert_eq!(colour(0.0), "#440154");
        assert_eq!(colour(1.0), "#fde725");
        assert_eq!((ink(0.0), ink(1.0)), ("#ffffff", "#000000"));
    }
}
