//! A Python gepa result opened on the page, read-only: its candidates, lineage, scores per
//! validation example and front as the history the tree, chart, heatmap and inspector already
//! draw, and the programs a new run can start from.

use gepa_core::events::{Origin, StopReason};
use gepa_core::{Candidate, Status};
use gepa_share::GepaResult;

use super::history::{CandidateInfo, RunHistory};
use super::run_view::RunView;
use super::setup::{ProgramDraft, SYSTEM_COMPONENT};

/// The history of a gepa run: a seed, reflections (one parent) and merges (two), each placed on
/// the score chart where gepa found it (its discovery count of metric calls).
#[must_use]
pub fn history_of(result: &GepaResult) -> RunHistory {
    let mut history = RunHistory::default();
    for (index, program) in result.candidates.iter().enumerate() {
        let parents = result.parents.get(index).cloned().unwrap_or_default();
        let origin = match parents.len() {
            0 => Origin::Seed,
            1 => Origin::Reflection,
            _ => Origin::Merge,
        };
        let at = result.discovered_at.get(index).copied().unwrap_or(0);
        history.candidates.push(CandidateInfo {
            index,
            parents,
            origin,
            program: program.clone(),
            val_scores: result.subscores.get(index).cloned().unwrap_or_default(),
            mean: result.scores.get(index).copied().unwrap_or(0.0),
            iteration: index as u64,
            discovered_at: at,
            admitted_at: at,
            proposal: None,
        });
    }
    history.front.clone_from(&result.front);
    history.rollouts = result
        .total_metric_calls
        .unwrap_or_else(|| result.discovered_at.iter().copied().max().unwrap_or(0));
    history
}

/// One sentence on what was opened.
#[must_use]
pub fn describe(result: &GepaResult) -> String {
    let best = result.scores.get(result.best).copied().unwrap_or(0.0);
    let calls =
        result.total_metric_calls.map_or_else(String::new, |n| format!(", {n} metric calls"));
    format!(
        "A Python gepa result, opened read-only: {} candidates on {} validation examples, best #{} ({best:.3}){calls}.",
        result.candidates.len(),
        result.val_ids.len(),
        result.best,
    )
}

/// The view of a gepa result: finished, with its best and seed scores, and `describe` as its
/// status line.
#[must_use]
pub fn view_of(result: &GepaResult) -> RunView {
    let history = history_of(result);
    let mut view = RunView::of_history(history);
    view.counters.status = Status::Finished { reason: StopReason::Stopped };
    view.counters.iterations = result.candidates.len().saturating_sub(1) as u64;
    view.counters.budget = None;
    view.seed_score = result.scores.first().copied();
    view.best = Some(result.best);
    view.best_score = result.scores.get(result.best).copied();
    view.accepted = result.candidates.len().saturating_sub(1) as u64;
    view.stop_reason = Some(describe(result));
    view
}

/// How the inspector names validation example `id` of a gepa result (its inputs are not in
/// the file): "gepa validation example 7".
#[must_use]
pub fn example_label(result: &GepaResult, id: u32) -> String {
    let name = result.val_ids.get(id as usize).map_or_else(|| id.to_string(), Clone::clone);
    format!("gepa validation example {name}")
}

/// `candidate`'s output on validation example `id`, when gepa tracked it (only the best
/// outputs per example are kept).
#[must_use]
pub fn output_of(result: &GepaResult, candidate: usize, id: u32) -> Option<String> {
    result.best_outputs.get(&id)?.iter().find(|(c, _)| *c == candidate).map(|(_, o)| o.clone())
}

/// The text of a gepa candidate that becomes this page's system instruction: its only
/// component, else the one named like an instruction, else the first.
#[must_use]
pub fn instruction_of(candidate: &Candidate) -> Option<String> {
    let names: Vec<&str> = candidate.names().collect();
    let pick = match names.as_slice() {
        [] => return None,
        [only] => *only,
        _ => ["system", "system_prompt", "instruction", "instructions", "prompt"]
            .into_iter()
            .find(|n| names.contains(n))
            .unwrap_or(names[0]),
    };
    candidate.get(pick).map(str::to_owned)
}

/// The program draft seeded with the result's best candidate (the user template kept), and
/// the other front members as extra starting candidates (best first), each in this page's
/// single-instruction shape.
#[must_use]
pub fn seeds_of(result: &GepaResult, draft: &ProgramDraft) -> (ProgramDraft, Vec<Candidate>) {
    let mut seeded = draft.clone();
    if let Some(text) = result.candidates.get(result.best).and_then(instruction_of) {
        seeded.system = text;
    }
    let mut others: Vec<usize> =
        result.front.iter().copied().filter(|&i| i != result.best).collect();
    others.sort_by(|a, b| result.scores[*b].total_cmp(&result.scores[*a]).then(a.cmp(b)));
    let mut extra: Vec<Candidate> = Vec::new();
    for text in others.into_iter().filter_map(|i| instruction_of(&result.candidates[i])) {
        if text != seeded.system
            && !extra.iter().any(|c| c.get(SYSTEM_COMPONENT) == Some(text.as_str()))
        {
            extra.push(Candidate::new([(SYSTEM_COMPONENT, text)]));
        }
    }
    (seeded, extra)
}

/// What the page says once a new run is seeded from gepa's best (#`best`) and `extra` more
/// front members.
#[must_use]
pub fn seeded_note(best: usize, extra: usize) -> String {
    let more = match extra {
        0 => String::new(),
        n => format!("; {n} more of its front will be scored as starting candidates"),
    };
    format!(
        "The seed instruction is now gepa's best (#{best}){more}. Press Start to run on your data."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> GepaResult {
        let path = format!("{}/tests/fixtures/gepa-results/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).expect("fixture");
        GepaResult::parse(&text).expect("a gepa result")
    }

    #[test]
    fn a_gepa_run_becomes_a_chain_of_reflections_placed_by_discovery_count() {
        let result = fixture("sim-world.json");
        let history = history_of(&result);
        assert_eq!(history.candidates.len(), 4);
        assert_eq!(history.candidates[0].origin, Origin::Seed);
        assert!(history.candidates[1..].iter().all(|c| c.origin == Origin::Reflection));
        let parents: Vec<_> = history.candidates.iter().map(|c| c.parents.clone()).collect();
        assert_eq!(parents, [vec![], vec![0], vec![1], vec![2]]);
        let at: Vec<_> = history.candidates.iter().map(|c| c.admitted_at).collect();
        assert_eq!(at, [0, 38, 64, 96]);
        assert_eq!(history.rollouts, 122);
        assert_eq!(history.best(), Some(3));
        assert_eq!(history.candidates[3].val_scores.len(), 20);
        assert!((history.candidates[3].mean - 0.8).abs() < 1e-9);
        assert!(history.front.contains(&3));
    }

    #[test]
    fn its_view_is_finished_and_says_what_was_opened() {
        let result = fixture("sim-world-seed1.json");
        let view = view_of(&result);
        assert!(matches!(view.counters.status, Status::Finished { .. }));
        assert_eq!(view.best, Some(4));
        assert_eq!(view.best_score, Some(1.0));
        assert_eq!(view.counters.pool, 5);
        let line = view.stop_reason.expect("a status line");
        assert!(line.contains("Python gepa result"), "{line}");
        assert!(line.contains("5 candidates on 20 validation examples, best #4 (1.000)"), "{line}");
    }

    #[test]
    fn a_new_run_starts_from_the_best_with_the_rest_of_the_front_after_it() {
        let result = fixture("sim-world.json");
        let draft = ProgramDraft { system: "old".into(), user_template: "{{input}}".into() };
        let (seeded, extra) = seeds_of(&result, &draft);
        assert_eq!(seeded.system, "Answer with the exact answer token.\nRULE 1\nRULE 2\nRULE 3");
        assert_eq!(seeded.user_template, "{{input}}");
        let front_others: Vec<usize> =
            result.front.iter().copied().filter(|&i| i != result.best).collect();
        assert_eq!(extra.len(), front_others.len());
        for c in &extra {
            assert!(c.get(SYSTEM_COMPONENT).is_some_and(|t| t != seeded.system));
        }
    }

    #[test]
    fn the_inspector_names_gepa_examples_and_shows_the_outputs_gepa_kept() {
        let result = fixture("sim-world.json");
        assert_eq!(example_label(&result, 7), "gepa validation example 7");
        let (id, kept) = result.best_outputs.iter().next().expect("tracked outputs");
        let (candidate, text) = kept.first().expect("one output");
        assert_eq!(output_of(&result, *candidate, *id).as_ref(), Some(text));
        assert_eq!(output_of(&result, 99, *id), None);
        assert!(output_of(&fixture("sim-world-seed1.json"), 0, 0).is_none());
    }

    #[test]
    fn the_seeded_note_counts_the_extra_starting_candidates() {
        assert_eq!(
            seeded_note(3, 0),
            "The seed instruction is now gepa's best (#3). Press Start to run on your data."
        );
        assert!(seeded_note(3, 2).contains("(#3); 2 more of its front will be scored"));
    }

    #[test]
    fn the_instruction_is_the_only_component_or_the_one_named_like_one() {
        let one = Candidate::new([("whatever", "Be brief.")]);
        assert_eq!(instruction_of(&one).as_deref(), Some("Be brief."));
        let two = Candidate::new([("examples", "x"), ("instruction", "Do it.")]);
        assert_eq!(instruction_of(&two).as_deref(), Some("Do it."));
        let other = Candidate::new([("b", "second"), ("a", "first")]);
        assert!(instruction_of(&other).is_some());
    }
}
