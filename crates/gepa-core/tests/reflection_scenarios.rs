//! Zero-waste reflection, pinned down with a scripted model (NOT a real LLM; see
//! `support/mod.rs`): a screened-out proposal is asked for again with what was wrong, a cut-off
//! rewrite keeps its complete lines, an instruction wrapped in JSON is unwrapped, edit mode
//! applies edits, placeholders naming inputs are valid, a cut-off task reply is scored as it is,
//! and a deterministic parent's minibatch comes from the cache.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gepa_core::config::StopConditions;
use gepa_core::events::{EvalTarget, Rejection};
use gepa_core::reflect::{ReflectionMode, ScreenReject};
use gepa_core::{Engine, Event, Purpose, Reply, Request, RunConfig, Usage};
use support::{arithmetic_data, drive, scripted_task, summarize, two_component_setup};

/// One iteration, in rewrite mode unless a test says otherwise.
fn one_iteration(mut config: RunConfig) -> RunConfig {
    config.seed = 0;
    config.reflection_mode = ReflectionMode::Rewrite;
    config.cache_evaluations = false;
    config.stop =
        StopConditions { max_iterations: Some(1), max_rollouts: Some(500), ..Default::default() };
    config
}

/// The current text of the component a reflection request is about (the first fenced block of
/// the prompt).
fn current(request: &Request) -> String {
    let user = request.messages.iter().find(|m| m.role == gepa_core::Role::User).unwrap();
    user.content.split("```").nth(1).unwrap().trim().to_owned()
}

const GOOD_ADD_RULE: &str = "When the question says plus, add the two numbers.";

fn run(
    config: RunConfig,
    mut reflect: impl FnMut(&Request, u32) -> Reply,
) -> (Engine, Vec<Event>, Vec<Request>) {
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 4))).unwrap();
    let mut asks = Vec::new();
    let events = drive(
        &mut engine,
        |r| match &r.purpose {
            Purpose::Reflect { .. } => {
                asks.push(r.clone());
                reflect(r, u32::try_from(asks.len()).unwrap())
            }
            _ => scripted_task(r),
        },
        false,
    );
    (engine, events, asks)
}

fn retried(events: &[Event]) -> Vec<(u32, ScreenReject, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ReflectionRetried { attempt, reason, correction, .. } => {
                Some((*attempt, reason.clone(), correction.clone()))
            }
            _ => None,
        })
        .collect()
}

fn accepted(events: &[Event]) -> usize {
    events.iter().filter(|e| matches!(e, Event::ProposalAccepted { .. })).count()
}

#[test]
fn a_screened_proposal_is_asked_for_again_with_what_was_wrong_and_no_rollout_is_paid_twice() {
    let (engine, events, asks) = run(one_iteration(RunConfig::default()), |r, n| match n {
        1 => Reply::text(format!("```\n{}\n```", current(r))),
        2 => Reply::text("{\"rules\": [\"add the numbers\"]}"),
        _ => Reply::text(format!("```\n{GOOD_ADD_RULE}\n```")),
    });
    let retries = retried(&events);
    assert_eq!(retries.len(), 2, "{}", summarize(&events));
    assert_eq!((retries[0].0, &retries[0].1), (2, &ScreenReject::SameAsParent));
    assert!(retries[0].2.contains("identical to the current one"));
    assert!(
        matches!(&retries[1].1, ScreenReject::WrongShape { reason } if reason.contains("JSON"))
    );
    assert!(retries[1].2.contains("plain text, not JSON"));
    // Each retry is the first request again with the latest correction added, and without the
    // earlier reply (which a small model would copy).
    for (ask, (_, _, correction)) in asks[1..].iter().zip(&retries) {
        assert_eq!(ask.messages.len(), asks[0].messages.len());
        assert!(ask.messages.iter().all(|m| m.role != gepa_core::Role::Assistant));
        let last = &ask.messages.last().unwrap().content;
        assert!(last.starts_with(&asks[0].messages.last().unwrap().content));
        assert!(last.ends_with(&format!("could not be used. {correction}")), "{last}");
    }
    assert!(!asks[2].messages.last().unwrap().content.contains(&retries[0].2));
    assert_eq!(accepted(&events), 1);
    // Seed (4) + parent minibatch (3) once + child minibatch (3) + validation (4).
    assert_eq!(engine.rollouts_used(), 4 + 3 + 3 + 4);
    assert_eq!(engine.spend().calls[1], 3, "three reflection calls, counted in reflection spend");
    let attempts: Vec<u32> = events
        .iter()
        .filter_map(|e| {
            if let Event::ReflectionReceived { attempt, .. } = e { Some(*attempt) } else { None }
        })
        .collect();
    assert_eq!(attempts, [1, 2, 3]);
}

#[test]
fn asks_stop_after_the_configured_retries() {
    let config = RunConfig { reflection_retries: 1, ..one_iteration(RunConfig::default()) };
    let (engine, events, asks) =
        run(config, |r, _| Reply::text(format!("```\n{}\n```", current(r))));
    assert_eq!(asks.len(), 2);
    assert_eq!(retried(&events).len(), 1);
    assert!(matches!(
        support::rejections(&events)[..],
        [Rejection::Screened { reason: ScreenReject::SameAsParent }]
    ));
    assert_eq!(engine.rollouts_used(), 4 + 3, "no child rollout for a screened proposal");
}

#[test]
fn a_cut_off_rewrite_keeps_its_complete_lines_when_they_are_enough() {
    let (_, events, asks) = run(one_iteration(RunConfig::default()), |_, _| Reply::Text {
        text: format!("```\n{GOOD_ADD_RULE}\nAlso, when it says tim"),
        truncated: true,
        usage: Usage::default(),
    });
    assert_eq!(asks.len(), 1, "salvaged, not asked again");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::ReflectionReceived { salvaged: true, proposal, .. } if proposal == GOOD_ADD_RULE
    )));
    assert_eq!(accepted(&events), 1, "{}", summarize(&events));
}

#[test]
fn a_cut_off_rewrite_with_too_little_kept_is_asked_for_again_and_shorter() {
    let (_, events, asks) = run(one_iteration(RunConfig::default()), |_, n| match n {
        1 => Reply::Text { text: "```\nWhen the".into(), truncated: true, usage: Usage::default() },
        _ => Reply::text(format!("```\n{GOOD_ADD_RULE}\n```")),
    });
    assert_eq!(asks.len(), 2);
    let retries = retried(&events);
    assert_eq!(retries[0].1, ScreenReject::Truncated);
    assert!(retries[0].2.contains("cut off") && retries[0].2.contains("shorter"));
    assert_eq!(accepted(&events), 1);
}

// The issue's case: a coder model put a usable instruction inside a JSON string.
#[test]
fn an_instruction_wrapped_in_json_is_evaluated_as_that_instruction() {
    let (_, events, asks) = run(one_iteration(RunConfig::default()), |_, _| {
        Reply::text(format!("{{\"text\": \"{GOOD_ADD_RULE}\"}}"))
    });
    assert_eq!(asks.len(), 1);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::ReflectionReceived { proposal, .. } if proposal == GOOD_ADD_RULE
    )));
    assert_eq!(accepted(&events), 1);
}

#[test]
fn edit_mode_applies_the_edits_and_asks_again_when_they_change_nothing() {
    let config =
        RunConfig { reflection_mode: ReflectionMode::Edit, ..one_iteration(RunConfig::default()) };
    let (engine, events, asks) = run(config, |_, n| match n {
        1 => Reply::text("DELETE: Be very helpful."),
        _ => Reply::text(format!("ADD: {GOOD_ADD_RULE}")),
    });
    assert!(asks[0].messages[1].content.contains("REPLACE:"), "the edit-mode prompt");
    let retries = retried(&events);
    assert_eq!(retries.len(), 1);
    assert!(
        retries[0].2.contains("quoting sentences of the current text exactly"),
        "{}",
        retries[0].2
    );
    assert_eq!(accepted(&events), 1);
    assert_eq!(
        engine.pool()[1].candidate.get("add_rule"),
        Some(format!("Be helpful.\n{GOOD_ADD_RULE}").as_str()),
        "the parent's text is kept and the rule added"
    );
}

// Both replies seen with Qwen2.5-Coder-0.5B in edit mode: an ADD of a sentence the text already
// has, then the rule in plain prose without an edit line.
#[test]
fn edit_mode_corrects_in_edit_terms_and_takes_a_prose_reply_as_a_rule_to_add() {
    let config =
        RunConfig { reflection_mode: ReflectionMode::Edit, ..one_iteration(RunConfig::default()) };
    let (engine, events, asks) = run(config, |_, n| match n {
        1 => Reply::text("ADD: Be helpful."),
        _ => Reply::text(GOOD_ADD_RULE),
    });
    assert_eq!(asks.len(), 2);
    let retries = retried(&events);
    assert_eq!(retries.len(), 1);
    assert_eq!(retries[0].1, ScreenReject::SameAsParent);
    assert!(
        retries[0].2.contains("already says that") && retries[0].2.contains("ADD:"),
        "{}",
        retries[0].2
    );
    assert!(!retries[0].2.contains("``` block"), "no whole text is asked for: {}", retries[0].2);
    assert_eq!(accepted(&events), 1);
    assert_eq!(
        engine.pool()[1].candidate.get("add_rule"),
        Some(format!("Be helpful.\n{GOOD_ADD_RULE}").as_str()),
        "the prose is a rule added to the parent's text"
    );
}

#[test]
fn placeholders_naming_example_inputs_are_valid_and_unknown_ones_are_corrected() {
    let (_, events, asks) = run(one_iteration(RunConfig::default()), |_, n| match n {
        1 => Reply::text("```\nWhen {{question}} says plus, add the two numbers.\n```"),
        _ => Reply::text("```\nWhen {{q}} says plus, add the two numbers.\n```"),
    });
    assert_eq!(asks.len(), 2);
    let retries = retried(&events);
    assert!(retries[0].2.contains("These placeholders exist: {{q}}."), "{}", retries[0].2);
    assert_eq!(accepted(&events), 1, "{{{{q}}}} is an input of the examples");
}

#[test]
fn a_cut_off_task_reply_is_scored_as_it_is_and_the_feedback_says_it_was_cut_off() {
    let config = one_iteration(RunConfig::default());
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 4))).unwrap();
    let events = drive(
        &mut engine,
        |r| match &r.purpose {
            Purpose::Reflect { .. } => Reply::text(format!("```\n{GOOD_ADD_RULE}\n```")),
            _ => match scripted_task(r) {
                Reply::Text { text, .. } => {
                    Reply::Text { text, truncated: true, usage: Usage::default() }
                }
                other => other,
            },
        },
        false,
    );
    let Some(Event::Evaluated { scores, feedback, outputs, .. }) = events
        .iter()
        .find(|e| matches!(e, Event::Evaluated { target: EvalTarget::Proposal { .. }, .. }))
    else {
        panic!("{}", summarize(&events))
    };
    assert!(scores.contains(&1.0), "a right answer that was cut off still counts: {scores:?}");
    assert!(outputs.iter().all(|o| !o.contains("cut off")), "the output is what the model said");
    assert!(feedback.iter().all(|f| f.contains("cut off by the token limit")), "{feedback:?}");
}

#[test]
fn a_deterministic_parents_minibatch_comes_from_the_cache() {
    let charged_parent_minibatches = |reuse: bool| {
        let config = RunConfig {
            seed: 0,
            minibatch_size: 3,
            reuse_minibatch_results: reuse,
            skip_perfect_score: false,
            selection: gepa_core::select::Selection::CurrentBest,
            stop: StopConditions {
                max_iterations: Some(3),
                max_rollouts: Some(500),
                ..Default::default()
            },
            ..RunConfig::default()
        };
        let mut engine = Engine::new(two_component_setup(config, arithmetic_data(3, 4))).unwrap();
        // Proposals that never help, so the seed stays the parent on the same three examples.
        let mut n = 0;
        let events = drive(
            &mut engine,
            |r| match &r.purpose {
                Purpose::Reflect { .. } => {
                    n += 1;
                    Reply::text(format!("```\nBe kind ({n}).\n```"))
                }
                _ => scripted_task(r),
            },
            false,
        );
        events
            .iter()
            .filter_map(|e| match e {
                Event::Evaluated {
                    target: EvalTarget::Candidate { index: 0 },
                    split: gepa_core::Split::Train,
                    charged,
                    ..
                } => Some(*charged),
                _ => None,
            })
            .collect::<Vec<u64>>()
    };
    assert_eq!(charged_parent_minibatches(false), [3, 3, 3]);
    assert_eq!(
        charged_parent_minibatches(true),
        [3, 0, 0],
        "paid once, then served from the cache"
    );
}
