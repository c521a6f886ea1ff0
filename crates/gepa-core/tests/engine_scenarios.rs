//! Whole-run scenarios against the scripted model (see `support`), pinning exact optimizer
//! behaviour: call sequence, ledger, acceptance, screening, merge, pausing, steering, stopping,
//! determinism and save/restore.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gepa_core::config::{BudgetMode, MergeConfig, StopConditions};
use gepa_core::events::{EvalTarget, Origin, Rejection, Steer, charged_rollouts};
use gepa_core::reflect::{ReflectionMode, ScreenReject};
use gepa_core::{
    Candidate, Command, Dataset, Engine, Event, Example, FailureKind, MetricSpec, Program, Purpose,
    Reply, RunConfig, RunSetup, Split, Status, StopReason,
};
use support::{ScriptedModel, arithmetic_data, drive, summarize, two_component_setup};

fn budget(n: u64) -> StopConditions {
    StopConditions { max_rollouts: Some(n), ..StopConditions::default() }
}

#[test]
fn call_sequence_for_one_accepted_mutation_with_one_train_and_one_val_example() {
    // Spec §11 item 3: seed on val → parent on train → (reflect) → child on train → child on val.
    let data = Dataset {
        train: vec![Example::new([("q", "2 plus 3")], "5")],
        val: vec![Example::new([("q", "4 plus 4")], "8")],
    };
    let config = RunConfig {
        stop: StopConditions { max_iterations: Some(1), ..budget(100) },
        ..RunConfig::default()
    };
    let mut engine = Engine::new(two_component_setup(config, data)).unwrap();
    let mut model = ScriptedModel::new();
    let mut sequence = Vec::new();
    let events = drive(
        &mut engine,
        |r| {
            sequence.push(match &r.purpose {
                Purpose::Generate { split, .. } => format!("generate {split:?}"),
                Purpose::Reflect { component, .. } => format!("reflect {component}"),
                Purpose::Judge { .. } => "judge".into(),
            });
            model.reply(r)
        },
        false,
    );
    assert_eq!(
        sequence,
        ["generate Val", "generate Train", "reflect add_rule", "generate Train", "generate Val"]
    );
    assert!(events.iter().any(|e| matches!(e, Event::ProposalAccepted { candidate: 1, .. })));
    assert_eq!(engine.pool().len(), 2);
    assert_eq!(engine.best(), Some(1));
}

#[test]
fn ledger_counts_generate_replies_and_budget_events_chain() {
    let config =
        RunConfig { seed: 3, cache_evaluations: false, stop: budget(60), ..RunConfig::default() };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(8, 4))).unwrap();
    let mut model = ScriptedModel::new();
    let events = drive(&mut engine, |r| model.reply(r), false);
    assert_eq!(engine.rollouts_used(), model.generate_replies, "one rollout per Generate reply");
    assert_eq!(charged_rollouts(&events), engine.rollouts_used());
    let mut previous = 0;
    for event in &events {
        if let Event::BudgetUpdated { used, delta, remaining, .. } = event {
            assert_eq!(*used, previous + delta);
            assert_eq!(*remaining, Some(60 - used));
            previous = *used;
        }
    }
    assert!(engine.rollouts_used() <= 60, "strict budget never exceeded");
    let accepted = events.iter().filter(|e| matches!(e, Event::ProposalAccepted { .. })).count();
    assert_eq!(engine.pool().len(), 1 + accepted);
    for (idx, entry) in engine.pool().iter().enumerate() {
        assert!(entry.parents.iter().all(|p| *p < idx), "parents precede children");
    }
}

#[test]
fn strict_budget_is_never_exceeded_and_reference_mode_may_overshoot() {
    for max in [4, 7, 10, 13, 20, 31, 45] {
        let config = RunConfig {
            seed: 1,
            cache_evaluations: false,
            stop: budget(max),
            ..RunConfig::default()
        };
        let mut engine = Engine::new(two_component_setup(config, arithmetic_data(8, 4))).unwrap();
        let mut model = ScriptedModel::new();
        let events = drive(&mut engine, |r| model.reply(r), false);
        assert!(
            engine.rollouts_used() <= max.max(4),
            "budget {max}: used {}",
            engine.rollouts_used()
        );
        assert!(matches!(
            events.last(),
            Some(Event::RunFinished { reason: StopReason::BudgetExhausted { .. }, .. })
        ));
    }
    let config = RunConfig {
        seed: 1,
        cache_evaluations: false,
        budget_mode: BudgetMode::Reference,
        stop: budget(5),
        ..RunConfig::default()
    };
    let overshoot = config.max_overshoot(4);
    assert_eq!(overshoot, 2 * 3 + 4);
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(8, 4))).unwrap();
    let mut model = ScriptedModel::new();
    drive(&mut engine, |r| model.reply(r), false);
    assert!(engine.rollouts_used() > 5 && engine.rollouts_used() <= 5 + overshoot);
}

#[test]
fn the_minibatch_is_never_shrunk_and_a_winner_that_cannot_be_validated_is_reported() {
    // Seed costs 4; the iteration's two minibatches cost 2·3 = 6 ≤ 8 left, so it starts with the
    // full minibatch; the child wins, but its validation (4) no longer fits in the 2 left.
    let config =
        RunConfig { seed: 2, cache_evaluations: false, stop: budget(12), ..RunConfig::default() };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(8, 4))).unwrap();
    let mut model = ScriptedModel::new();
    let events = drive(&mut engine, |r| model.reply(r), false);
    let sizes: Vec<usize> = events
        .iter()
        .filter_map(|e| {
            if let Event::MinibatchSampled { examples, .. } = e {
                Some(examples.len())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(sizes, [3]);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ValidationSkipped { needed: 4, remaining: 2, .. })),
        "{}",
        summarize(&events)
    );
    assert_eq!(engine.rollouts_used(), 10);
    assert_eq!(engine.pool().len(), 1, "not validated, so not admitted");
}

#[test]
fn strict_runs_spend_at_least_95_percent_of_their_budget() {
    for (budget_size, seed) in [(60, 1), (97, 2), (150, 3), (203, 4)] {
        let config = RunConfig {
            seed,
            skip_perfect_score: false,
            stop: budget(budget_size),
            ..RunConfig::default()
        };
        let mut engine = Engine::new(two_component_setup(config, arithmetic_data(12, 6))).unwrap();
        let mut model = ScriptedModel::new();
        drive(&mut engine, |r| model.reply(r), false);
        let used = engine.rollouts_used();
        assert!(used <= budget_size, "never over: {used} of {budget_size}");
        assert!(used * 100 >= budget_size * 95, "spent {used} of {budget_size}");
    }
}

#[test]
fn same_seed_and_replies_give_identical_events_whatever_the_reply_order() {
    let config = RunConfig {
        seed: 11,
        proposals_per_iteration: 2,
        merge: Some(MergeConfig { val_overlap_floor: 2, ..MergeConfig::default() }),
        stop: budget(120),
        ..RunConfig::default()
    };
    let run = |reverse: bool| {
        let mut engine =
            Engine::new(two_component_setup(config.clone(), arithmetic_data(10, 4))).unwrap();
        let mut model = ScriptedModel::new();
        // Reflection replies depend only on the request, not on a counter, for this comparison.
        let events = drive(
            &mut engine,
            |r| {
                let reply = model.reply(r);
                normalize_counter(reply)
            },
            reverse,
        );
        (events, engine.save().unwrap())
    };
    let (forward, forward_state) = run(false);
    let (backward, backward_state) = run(true);
    assert_eq!(forward, backward);
    // Request ids are assigned in issue order, so the states agree too.
    assert_eq!(forward_state, backward_state);
}

fn normalize_counter(reply: Reply) -> Reply {
    match reply {
        Reply::Text { text, truncated, usage } => {
            let text = text.split(" (rule").next().unwrap().to_owned()
                + if text.contains("```") && !text.trim_end().ends_with("```") {
                    ""
                } else {
                    "\n```"
                };
            Reply::Text { text, truncated, usage }
        }
        other => other,
    }
}

#[test]
fn merge_and_parallel_proposals_scenario_snapshot() {
    let config = RunConfig {
        // The scripted model replies with whole texts.
        reflection_mode: ReflectionMode::Rewrite,
        seed: 5,
        proposals_per_iteration: 2,
        merge: Some(MergeConfig { max_merges: 2, subsample_size: 3, val_overlap_floor: 2 }),
        stop: budget(100),
        ..RunConfig::default()
    };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(10, 4))).unwrap();
    let mut model = ScriptedModel::new();
    let events = drive(&mut engine, |r| model.reply(r), false);
    let summary = summarize(&events);
    assert!(events.iter().any(|e| matches!(e, Event::MergeAccepted { .. })), "{summary}");
    let merged = engine.pool().iter().position(|p| p.origin == Origin::Merge).unwrap();
    assert_eq!(engine.pool()[merged].parents.len(), 2);
    assert!(engine.pool()[merged].mean() >= 1.0, "the merge combines both rules:\n{summary}");
    check_snapshot("merge_parallel.log", &summary);
}

fn check_snapshot(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!("missing snapshot {}; run with UPDATE_SNAPSHOTS=1", path.display())
    });
    assert_eq!(
        actual, expected,
        "snapshot {name} changed; review and rerun with UPDATE_SNAPSHOTS=1"
    );
}

#[test]
fn unusable_proposals_are_screened_at_zero_rollout_cost() {
    let config = RunConfig {
        // The scripted model replies with whole texts.
        reflection_mode: ReflectionMode::Rewrite,
        seed: 0,
        cache_evaluations: false,
        reflection_retries: 0,
        stop: StopConditions { max_iterations: Some(4), ..budget(500) },
        ..RunConfig::default()
    };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 4))).unwrap();
    let mut k = 0;
    let events = drive(
        &mut engine,
        |r| match &r.purpose {
            Purpose::Reflect { .. } => {
                k += 1;
                // The current text is the first fenced block of the reflection prompt.
                let current = r.messages[1].content.split("```").nth(1).unwrap().trim().to_owned();
                Reply::text(match k {
                    1 => "```\n```".to_owned(),            // empty
                    2 => format!("```\n{current}\n```"),   // same as parent
                    3 => "{\"rules\": [\"add\"]}".to_owned(), // JSON, not text
                    // The reflection prompt's own record scaffold, echoed back.
                    _ => "### Example 1\nInputs:\n- q: 2 plus 3\nAssistant's output:\n105\nScore: 0\nFeedback: wrong".to_owned(),
                })
            }
            _ => support::scripted_task(r),
        },
        false,
    );
    let rejections = support::rejections(&events);
    assert_eq!(rejections.len(), 4);
    assert!(matches!(rejections[0], Rejection::Screened { reason: ScreenReject::Empty }));
    assert!(matches!(rejections[1], Rejection::Screened { reason: ScreenReject::SameAsParent }));
    assert!(matches!(
        rejections[2],
        Rejection::Screened { reason: ScreenReject::WrongShape { .. } }
    ));
    assert!(matches!(
        rejections[3],
        Rejection::Screened { reason: ScreenReject::WrongShape { .. } }
    ));
    // Only the seed (4) and four parent minibatches (4 × 3) were paid for: no child rollouts.
    assert_eq!(engine.rollouts_used(), 4 + 4 * 3);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Evaluated { target: EvalTarget::Proposal { .. }, .. }))
    );
}

#[test]
fn a_duplicate_of_a_pool_candidate_is_rejected_before_evaluation() {
    let config = RunConfig {
        // The scripted model replies with whole texts.
        reflection_mode: ReflectionMode::Rewrite,
        seed: 0,
        stop: StopConditions { max_iterations: Some(3), ..budget(500) },
        selection: gepa_core::select::Selection::CurrentBest,
        ..RunConfig::default()
    };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 4))).unwrap();
    // Always proposes the same add rule.
    let events = drive(
        &mut engine,
        |r| match &r.purpose {
            Purpose::Reflect { .. } => Reply::text("```\nWhen it says plus, add them.\n```"),
            _ => support::scripted_task(r),
        },
        false,
    );
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::ProposalRejected {
                rejection: Rejection::Screened {
                    reason: ScreenReject::DuplicateOf { .. } | ScreenReject::SameAsParent
                },
                ..
            }
        )),
        "{}",
        summarize(&events)
    );
    let programs: Vec<&Candidate> = engine.pool().iter().map(|p| &p.candidate).collect();
    for (i, a) in programs.iter().enumerate() {
        for b in &programs[i + 1..] {
            assert!(!a.same_content(b), "the pool never holds duplicates");
        }
    }
}

#[test]
fn truncated_and_failed_reflections_are_rejected_without_rollouts() {
    let config = RunConfig {
        seed: 0,
        cache_evaluations: false,
        reflection_retries: 0,
        stop: StopConditions { max_iterations: Some(2), ..budget(500) },
        ..RunConfig::default()
    };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 4))).unwrap();
    let mut k = 0;
    let events = drive(
        &mut engine,
        |r| match &r.purpose {
            Purpose::Reflect { .. } => {
                k += 1;
                if k == 1 {
                    Reply::Text {
                        text: "```\nWhen it says plus, add".into(),
                        truncated: true,
                        usage: Default::default(),
                    }
                } else {
                    Reply::Failed {
                        error: "400 prompt too long".into(),
                        failure: FailureKind::Content,
                    }
                }
            }
            _ => support::scripted_task(r),
        },
        false,
    );
    let rejections = support::rejections(&events);
    assert!(matches!(rejections[0], Rejection::Screened { reason: ScreenReject::Truncated }));
    assert!(
        matches!(rejections[1], Rejection::ReflectionFailed { error } if error.contains("400"))
    );
    assert_eq!(engine.rollouts_used(), 4 + 2 * 3);
}

#[test]
fn save_points_are_admissions_iteration_ends_pauses_and_the_finish() {
    let config = RunConfig { seed: 3, stop: budget(40), ..RunConfig::default() };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 4))).unwrap();
    let mut model = ScriptedModel::new();
    let events = drive(&mut engine, |r| model.reply(r), false);
    let saves = events.iter().filter(|e| e.is_save_point()).count();
    let iterations = events.iter().filter(|e| matches!(e, Event::IterationStarted { .. })).count();
    assert!(iterations > 0);
    // Every admitted candidate (the seed included), every iteration's end and the finish.
    assert_eq!(saves, engine.pool().len() + iterations + 1);
    assert!(matches!(events.iter().rfind(|e| e.is_save_point()), Some(Event::RunFinished { .. })));
    assert!(!events.iter().any(|e| matches!(e, Event::BudgetUpdated { .. }) && e.is_save_point()));
}

#[test]
fn a_reply_cut_off_after_its_block_closed_is_evaluated() {
    let config = RunConfig {
        seed: 0,
        cache_evaluations: false,
        stop: StopConditions { max_iterations: Some(1), ..budget(500) },
        ..RunConfig::default()
    };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 4))).unwrap();
    let events = drive(
        &mut engine,
        |r| match &r.purpose {
            Purpose::Reflect { .. } => Reply::Text {
                text: "```\nWhen it says plus, add the numbers.\n```\nThis rewrite makes the"
                    .into(),
                truncated: true,
                usage: Default::default(),
            },
            _ => support::scripted_task(r),
        },
        false,
    );
    assert!(
        !support::rejections(&events).iter().any(|r| matches!(r, Rejection::Screened { .. })),
        "a whole proposal is not screened out"
    );
    // Seed on validation (4) + parent and child on the minibatch (3 + 3).
    assert!(engine.rollouts_used() >= 4 + 2 * 3);
}

#[test]
fn a_transport_failure_pauses_charges_nothing_and_resumes_to_the_same_result() {
    let config = RunConfig { seed: 7, stop: budget(50), ..RunConfig::default() };
    let setup = two_component_setup(config, arithmetic_data(8, 4));
    let mut reference = Engine::new(setup.clone()).unwrap();
    let mut model = ScriptedModel::new();
    let reference_events = drive(&mut reference, |r| model.reply(r), false);

    let mut engine = Engine::new(setup).unwrap();
    let mut model = ScriptedModel::new();
    let mut failed_once = false;
    let mut events = Vec::new();
    let mut now = 0;
    while !engine.is_finished() {
        let requests = engine.take_requests(now);
        events.extend(engine.drain_events());
        if requests.is_empty() && matches!(engine.status(), Status::Paused { .. }) {
            let used = engine.rollouts_used();
            engine.command(Command::Resume, now);
            assert_eq!(engine.rollouts_used(), used);
            continue;
        }
        for request in requests {
            now += 1;
            if !failed_once
                && matches!(request.purpose, Purpose::Generate { split: Split::Train, .. })
            {
                failed_once = true;
                let used = engine.rollouts_used();
                engine.handle_reply(
                    request.id,
                    Reply::Failed { error: "network down".into(), failure: FailureKind::Transport },
                    now,
                );
                assert_eq!(engine.rollouts_used(), used, "a transport failure is not charged");
                assert!(
                    matches!(engine.status(), Status::Paused { reason } if reason.contains("network down"))
                );
                continue;
            }
            let reply = model.reply(&request);
            engine.handle_reply(request.id, reply, now);
        }
    }
    events.extend(engine.drain_events());
    assert!(failed_once);
    let strip = |events: &[Event]| {
        events
            .iter()
            .filter(|e| !matches!(e, Event::Paused { .. } | Event::Resumed))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&events), strip(&reference_events));
    assert_eq!(engine.rollouts_used(), reference.rollouts_used());
}

#[test]
fn content_failures_score_the_failure_score_with_the_error_as_feedback() {
    let config = RunConfig {
        seed: 0,
        failure_score: 0.0,
        stop: StopConditions { max_iterations: Some(0), ..budget(50) },
        ..RunConfig::default()
    };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(4, 2))).unwrap();
    let events = drive(
        &mut engine,
        |_| Reply::Failed { error: "content filter".into(), failure: FailureKind::Content },
        false,
    );
    let feedback: Vec<String> = events
        .iter()
        .filter_map(|e| {
            if let Event::Evaluated { feedback, .. } = e { Some(feedback.clone()) } else { None }
        })
        .flatten()
        .collect();
    assert!(feedback.iter().all(|f| f.contains("content filter")));
    assert_eq!(engine.rollouts_used(), 2, "content failures are charged");
}

#[test]
fn stale_and_unknown_reply_ids_are_ignored() {
    let config = RunConfig { seed: 0, stop: budget(30), ..RunConfig::default() };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 3))).unwrap();
    let requests = engine.take_requests(0);
    let in_flight = engine.in_flight();
    engine.handle_reply(9_999, Reply::text("nope"), 1);
    assert_eq!((engine.in_flight(), engine.rollouts_used()), (in_flight, 0));
    let id = requests[0].id;
    engine.handle_reply(id, support::scripted_task(&requests[0]), 2);
    let after_first = engine.rollouts_used();
    engine.handle_reply(id, support::scripted_task(&requests[0]), 3);
    assert_eq!(engine.rollouts_used(), after_first, "a repeated reply is ignored");
}

#[test]
fn stop_abandons_in_flight_requests_and_ignores_their_replies() {
    let config = RunConfig { seed: 0, stop: budget(30), ..RunConfig::default() };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 3))).unwrap();
    let requests = engine.take_requests(0);
    assert_eq!(engine.in_flight(), 3);
    engine.command(Command::Stop, 1);
    assert_eq!(engine.in_flight(), 0);
    for r in &requests {
        engine.handle_reply(r.id, support::scripted_task(r), 2);
    }
    assert!(matches!(engine.status(), Status::Finished { reason: StopReason::Stopped }));
    assert!(engine.take_requests(3).is_empty());
    assert_eq!(engine.rollouts_used(), 0);
}

#[test]
fn saving_mid_run_and_restoring_hands_out_in_flight_requests_again() {
    let config = RunConfig { seed: 9, stop: budget(40), ..RunConfig::default() };
    let setup = two_component_setup(config, arithmetic_data(8, 4));
    let mut reference = Engine::new(setup.clone()).unwrap();
    let mut model = ScriptedModel::new();
    drive(&mut reference, |r| model.reply(r), false);

    let mut engine = Engine::new(setup).unwrap();
    let mut model = ScriptedModel::new();
    let mut now = 0;
    // Answer two waves, then take a third wave and "crash" with it in flight.
    for _ in 0..2 {
        for r in engine.take_requests(now) {
            now += 1;
            let reply = model.reply(&r);
            engine.handle_reply(r.id, reply, now);
        }
    }
    let lost = engine.take_requests(now);
    assert!(!lost.is_empty());
    let saved = engine.save().unwrap();
    let mut restored = Engine::restore(&saved).unwrap();
    let again = restored.take_requests(now);
    assert_eq!(
        again.iter().map(|r| r.id).collect::<Vec<_>>(),
        lost.iter().map(|r| r.id).collect::<Vec<_>>()
    );
    for r in again {
        now += 1;
        let reply = model.reply(&r);
        restored.handle_reply(r.id, reply, now);
    }
    drive(&mut restored, |r| model.reply(r), false);
    assert_eq!(restored.rollouts_used(), reference.rollouts_used());
    assert_eq!(restored.pool(), reference.pool());
}

#[test]
fn restore_rejects_foreign_and_future_states_with_a_clear_message() {
    assert!(Engine::restore("not json").unwrap_err().0.contains("invalid JSON"));
    assert!(
        Engine::restore("{\"format\":\"x\"}")
            .unwrap_err()
            .0
            .contains("not a GEPA Playground run state")
    );
    let err =
        Engine::restore("{\"format\":\"gepa-playground-run-state\",\"version\":99}").unwrap_err();
    assert!(err.0.contains("version 99"), "{err}");
}

#[test]
fn artifact_mode_scores_the_text_itself_with_no_task_model_calls() {
    let data = Dataset {
        train: vec![Example::new([("x", "1")], "42"), Example::new([("x", "2")], "42")],
        val: vec![Example::new([("x", "3")], "42")],
    };
    let setup = RunSetup {
        config: RunConfig {
            seed: 0,
            stop: StopConditions { max_iterations: Some(2), ..budget(50) },
            ..RunConfig::default()
        },
        program: Program::Artifact { component: "answer".into() },
        seed: Candidate::new([("answer", "41")]),
        data,
        metric: MetricSpec::ExactMatch { case_sensitive: true },
    };
    let mut engine = Engine::new(setup).unwrap();
    let mut generates = 0;
    drive(
        &mut engine,
        |r| match r.purpose {
            Purpose::Reflect { .. } => Reply::text("```\n42\n```"),
            _ => {
                generates += 1;
                Reply::text("unused")
            }
        },
        false,
    );
    assert_eq!(generates, 0);
    assert_eq!(engine.pool().len(), 2);
    assert_eq!(engine.pool()[engine.best().unwrap()].candidate.get("answer"), Some("42"));
}

#[test]
fn judge_metric_issues_judge_requests_and_uses_their_reasoning() {
    let setup = RunSetup {
        config: RunConfig {
            seed: 0,
            stop: StopConditions { max_iterations: Some(0), ..budget(50) },
            ..RunConfig::default()
        },
        program: Program::single_prompt("system", "{{q}}"),
        seed: Candidate::new([("system", "Be kind.")]),
        data: Dataset {
            train: vec![Example::new([("q", "hi")], "")],
            val: vec![Example::new([("q", "hello")], "")],
        },
        metric: MetricSpec::Judge { rubric: "Polite.".into(), scale: 5 },
    };
    let mut engine = Engine::new(setup).unwrap();
    let mut judged = 0;
    let events = drive(
        &mut engine,
        |r| match r.purpose {
            Purpose::Judge { .. } => {
                judged += 1;
                Reply::text("Reasoning: polite enough.\nScore: 5")
            }
            _ => Reply::text("Hello there!"),
        },
        false,
    );
    assert_eq!(judged, 1);
    assert_eq!(engine.pool()[0].mean(), 1.0);
    assert!(events.iter().any(
        |e| matches!(e, Event::Evaluated { feedback, .. } if feedback[0].contains("polite enough"))
    ));
}

#[test]
fn perfect_parents_skip_reflection_but_still_pay_for_the_minibatch() {
    let config = RunConfig {
        seed: 0,
        stop: StopConditions { max_iterations: Some(2), ..budget(100) },
        ..RunConfig::default()
    };
    let mut setup = two_component_setup(config, arithmetic_data(6, 2));
    setup.seed = Candidate::new([("add_rule", "add"), ("mul_rule", "times")]);
    let mut engine = Engine::new(setup).unwrap();
    let events = drive(&mut engine, support::scripted_task, false);
    assert_eq!(events.iter().filter(|e| matches!(e, Event::ReflectionSkipped { .. })).count(), 2);
    assert_eq!(engine.rollouts_used(), 2 + 2 * 3);
}

#[test]
fn steering_pin_feedback_exclude_and_human_candidates() {
    let config = RunConfig {
        seed: 4,
        stop: StopConditions { max_iterations: Some(8), ..budget(400) },
        ..RunConfig::default()
    };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(8, 4))).unwrap();
    let mut model = ScriptedModel::new();
    let mut events = Vec::new();
    let mut prompts: Vec<(usize, String)> = Vec::new();
    let mut now = 0;
    let mut steered = false;
    let human = Candidate::new([("add_rule", "You add numbers."), ("mul_rule", "Be polite.")]);
    while !engine.is_finished() {
        let requests = engine.take_requests(now);
        events.extend(engine.drain_events());
        for r in requests {
            if let Purpose::Reflect { parent, .. } = r.purpose {
                prompts.push((parent, r.messages[1].content.clone()));
            }
            now += 1;
            let reply = model.reply(&r);
            engine.handle_reply(r.id, reply, now);
        }
        if !steered && engine.pool().len() >= 2 {
            // Steer as soon as there is a second candidate; it applies from the next boundary.
            steered = true;
            events.extend(engine.drain_events());
            events.push(Event::Steered { steer: None, description: "marker".into() });
            engine.command(Command::AddCandidate { program: human.clone(), parent: Some(0) }, now);
            engine.command(
                Command::Feedback { candidate: 0, note: "Mention the word times.".into() },
                now,
            );
            engine.command(Command::Pin { candidate: 0 }, now);
            engine.command(Command::Exclude { candidate: 1, excluded: true }, now);
            engine.command(Command::Pin { candidate: 42 }, now);
        }
    }
    events.extend(engine.drain_events());
    assert!(steered);
    let marker = events
        .iter()
        .position(|e| matches!(e, Event::Steered { description, .. } if description == "marker"))
        .unwrap();
    let after = &events[marker..];
    let human_idx = engine
        .pool()
        .iter()
        .position(|p| p.origin == Origin::Human)
        .expect("human candidate admitted");
    assert_eq!(engine.pool()[human_idx].parents, [0]);
    assert_eq!(
        engine.pool()[human_idx].scores.per_example.len(),
        4,
        "scored on the whole validation set"
    );
    let first_selection = after.iter().find_map(|e| {
        if let Event::ParentSelected { candidate, pinned, .. } = e {
            Some((*candidate, *pinned))
        } else {
            None
        }
    });
    assert_eq!(first_selection, Some((0, true)), "the pinned candidate is the next parent");
    assert!(
        !after.iter().any(|e| matches!(e, Event::ParentSelected { candidate: 1, .. })),
        "excluded candidates are never parents"
    );
    let noted: Vec<&(usize, String)> =
        prompts.iter().filter(|(_, p)| p.contains("Mention the word times.")).collect();
    assert_eq!(noted.len(), 1, "the note is used by exactly one reflection");
    assert_eq!(noted[0].0, 0);
    assert!(events.iter().any(
        |e| matches!(e, Event::Warning { message, .. } if message.contains("does not exist"))
    ));
    let steers: Vec<&Steer> = after
        .iter()
        .filter_map(|e| if let Event::Steered { steer, .. } = e { steer.as_ref() } else { None })
        .collect();
    assert_eq!(
        steers,
        [
            &Steer::CandidateQueued { parent: Some(0) },
            &Steer::NoteAdded { candidate: 0, note: "Mention the word times.".into() },
            &Steer::Pinned { candidate: 0 },
            &Steer::Excluded { candidate: 1 },
        ],
        "each steering command is one typed event, in the order given"
    );
    let saved = engine.save().unwrap();
    assert!(saved.contains("Mention the word times."), "steering is recorded in the run state");
}

#[test]
fn unpin_takes_the_pin_off_before_it_is_used() {
    let config = RunConfig {
        seed: 4,
        stop: StopConditions { max_iterations: Some(6), ..budget(400) },
        ..RunConfig::default()
    };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(8, 4))).unwrap();
    let mut model = ScriptedModel::new();
    let mut events = Vec::new();
    let mut now = 0;
    let mut steered = false;
    while !engine.is_finished() {
        let requests = engine.take_requests(now);
        events.extend(engine.drain_events());
        for r in requests {
            now += 1;
            let reply = model.reply(&r);
            engine.handle_reply(r.id, reply, now);
        }
        if !steered && engine.pool().len() >= 2 {
            steered = true;
            engine.command(Command::Unpin, now);
            engine.command(Command::Pin { candidate: 1 }, now);
            engine.command(Command::Unpin, now);
        }
    }
    events.extend(engine.drain_events());
    assert!(steered);
    let warned = events.iter().position(
        |e| matches!(e, Event::Warning { message, .. } if message.contains("no candidate is pinned")),
    );
    let unpinned = events.iter().position(|e| {
        matches!(e, Event::Steered { steer: Some(Steer::Unpinned { candidate: 1 }), .. })
    });
    assert!(
        warned.is_some() && unpinned.is_some(),
        "an unpin with no pin warns; one after a pin is an event"
    );
    assert!(warned < unpinned);
    assert!(
        !events.iter().any(|e| matches!(e, Event::ParentSelected { pinned: true, .. })),
        "an unpinned candidate is not used as a pinned parent"
    );
}

#[test]
fn steered_events_saved_before_they_were_typed_still_read() {
    let old =
        r##"{"event":"steered","description":"#2 will be the parent of the next proposal."}"##;
    let event: Event = serde_json::from_str(old).unwrap();
    assert_eq!(
        event,
        Event::Steered {
            steer: None,
            description: "#2 will be the parent of the next proposal.".into()
        }
    );
    let typed =
        Event::Steered { steer: Some(Steer::Pinned { candidate: 2 }), description: "x".into() };
    let json = serde_json::to_string(&typed).unwrap();
    assert!(json.contains(r#""steer":{"kind":"pinned","candidate":2}"#), "{json}");
    assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), typed);
}

#[test]
fn stop_conditions_each_fire_with_their_reason() {
    type Expect = fn(&StopReason) -> bool;
    let cases: Vec<(StopConditions, Expect)> = vec![
        (StopConditions { max_iterations: Some(2), ..StopConditions::default() }, |r| {
            matches!(r, StopReason::MaxIterations { count: 2 })
        }),
        (StopConditions { max_candidates: Some(1), ..StopConditions::default() }, |r| {
            matches!(r, StopReason::MaxCandidates { count: 1 })
        }),
        (StopConditions { score_threshold: Some(0.0), ..StopConditions::default() }, |r| {
            matches!(r, StopReason::ScoreThreshold { .. })
        }),
        (
            StopConditions {
                no_improvement_iterations: Some(2),
                max_rollouts: Some(400),
                ..StopConditions::default()
            },
            |r| {
                matches!(
                    r,
                    StopReason::NoImprovement { iterations: 2 }
                        | StopReason::BudgetExhausted { .. }
                )
            },
        ),
        (StopConditions { time_limit_ms: Some(5), ..StopConditions::default() }, |r| {
            matches!(r, StopReason::TimeLimit { .. })
        }),
    ];
    for (stop, expected) in cases {
        let config = RunConfig { seed: 0, stop, ..RunConfig::default() };
        let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 3))).unwrap();
        let mut model = ScriptedModel::new();
        let events = drive(&mut engine, |r| model.reply(r), false);
        let Some(Event::RunFinished { reason, .. }) = events.last() else { panic!("no finish") };
        assert!(expected(reason), "{stop:?} ended with {reason:?}");
    }
}

#[test]
fn reflection_cost_cap_stops_the_run() {
    let config = RunConfig {
        seed: 0,
        stop: StopConditions {
            max_reflection_cost_usd: Some(0.01),
            max_rollouts: Some(500),
            ..StopConditions::default()
        },
        ..RunConfig::default()
    };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 3))).unwrap();
    let mut model = ScriptedModel::new();
    let events = drive(
        &mut engine,
        |r| match model.reply(r) {
            Reply::Text { text, truncated, .. } if matches!(r.purpose, Purpose::Reflect { .. }) => {
                Reply::Text {
                    text,
                    truncated,
                    usage: gepa_core::Usage {
                        input_tokens: 100,
                        output_tokens: 20,
                        cost_usd: Some(0.006),
                    },
                }
            }
            Reply::Text { text, truncated, .. } => Reply::Text {
                text,
                truncated,
                usage: gepa_core::Usage { input_tokens: 10, output_tokens: 1, cost_usd: None },
            },
            other => other,
        },
        false,
    );
    assert!(
        matches!(
            events.last(),
            Some(Event::RunFinished { reason: StopReason::ReflectionCost { .. }, .. })
        ),
        "{}",
        summarize(&events)
    );
    assert_eq!(engine.spend().calls[1], 2);
    // Per-proposal accounting: each reflection's usage is on its event, and the evaluations'
    // usage adds up to the run's task spend.
    let reflection_cost: f64 = events
        .iter()
        .filter_map(|e| match e {
            Event::ReflectionReceived { usage, .. } => usage.cost_usd,
            _ => None,
        })
        .sum();
    assert!((reflection_cost - 0.012).abs() < 1e-12);
    let evaluated_calls: u64 = events
        .iter()
        .filter_map(|e| match e {
            Event::Evaluated { usage, .. } => Some(usage.input_tokens),
            _ => None,
        })
        .sum();
    assert_eq!(evaluated_calls, engine.spend().task.input_tokens);
    assert_eq!(evaluated_calls, 10 * engine.rollouts_used());
    assert_eq!(engine.spend().reflection.input_tokens, 200);
}

#[test]
fn invalid_setups_are_refused_with_what_to_fix() {
    let base = || two_component_setup(RunConfig::default(), arithmetic_data(4, 2));
    let mut empty_seed = base();
    empty_seed.seed = Candidate::new(Vec::<(String, String)>::new());
    assert!(Engine::new(empty_seed).unwrap_err().0.contains("at least one component"));
    let mut no_stop = base();
    no_stop.config.stop = StopConditions::default();
    assert!(Engine::new(no_stop).unwrap_err().0.contains("stop condition"));
    let mut no_train = base();
    no_train.data.train.clear();
    assert!(Engine::new(no_train).unwrap_err().0.contains("training set is empty"));
    let mut zero_batch = base();
    zero_batch.config.minibatch_size = 0;
    assert!(Engine::new(zero_batch).unwrap_err().0.contains("minibatch"));
}

/// Answers every request handed out until none are left; returns the events.
fn answer_until_idle(engine: &mut Engine, model: &mut ScriptedModel, now: &mut u64) -> Vec<Event> {
    let mut events = Vec::new();
    loop {
        let requests = engine.take_requests(*now);
        events.extend(engine.drain_events());
        if requests.is_empty() {
            return events;
        }
        for request in requests {
            *now += 1;
            engine.handle_reply(request.id, model.reply(&request), *now);
        }
    }
}

#[test]
fn step_runs_exactly_one_iteration_then_pauses() {
    let config = RunConfig { seed: 3, stop: budget(200), ..RunConfig::default() };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 3))).unwrap();
    let mut model = ScriptedModel::new();
    let mut now = 0;
    engine.command(Command::Pause, now);
    let events = answer_until_idle(&mut engine, &mut model, &mut now);
    assert!(matches!(events[..], [Event::Paused { .. }]), "paused before the seed: {events:?}");
    for expected in 1..=3 {
        engine.command(Command::Step, now);
        let events = answer_until_idle(&mut engine, &mut model, &mut now);
        let finished: Vec<u64> = events
            .iter()
            .filter_map(|e| match e {
                Event::IterationFinished { iteration, .. } => Some(*iteration),
                _ => None,
            })
            .collect();
        assert_eq!(finished, [expected], "one Step, one iteration");
        assert!(
            matches!(engine.status(), Status::Paused { ref reason } if reason.contains("Step")),
            "{:?}",
            engine.status()
        );
        assert_eq!(engine.in_flight(), 0, "nothing is left in flight at the pause");
    }
    engine.command(Command::Resume, now);
    let events = answer_until_idle(&mut engine, &mut model, &mut now);
    assert!(engine.is_finished(), "Resume after Step runs on to the end");
    assert!(events.iter().filter(|e| matches!(e, Event::IterationFinished { .. })).count() > 1);
}

#[test]
fn held_out_evaluation_scores_one_candidate_on_its_own_ledger() {
    let setup = two_component_setup(
        RunConfig { seed: 1, stop: budget(40), ..RunConfig::default() },
        arithmetic_data(6, 3),
    );
    let test = arithmetic_data(5, 0).train;
    assert!(Engine::evaluation(&setup, setup.seed.clone(), Vec::new()).is_err());
    let mut engine = Engine::evaluation(&setup, setup.seed.clone(), test.clone()).unwrap();
    let mut model = ScriptedModel::new();
    let events = drive(&mut engine, |r| model.reply(r), false);
    assert!(matches!(
        engine.status(),
        Status::Finished { reason: StopReason::MaxIterations { .. } }
    ));
    assert_eq!(engine.pool().len(), 1, "no proposals in an evaluation");
    assert_eq!(engine.pool()[0].outputs.len(), test.len());
    assert_eq!(engine.rollouts_used(), test.len() as u64);
    assert_eq!(model.reflections, 0);
    assert_eq!(charged_rollouts(&events), test.len() as u64);
}

#[test]
fn every_event_of_a_run_round_trips_through_json() {
    let config = RunConfig { seed: 5, stop: budget(60), ..RunConfig::default() };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 3))).unwrap();
    let mut model = ScriptedModel::new();
    let events = drive(&mut engine, |r| model.reply(r), false);
    assert!(events.iter().any(|e| matches!(e, Event::CandidateAdded { .. })));
    let json = serde_json::to_string(&events).unwrap();
    let back: Vec<Event> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, events);
}
