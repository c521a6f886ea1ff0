//! Behaviours pinned by the reference's tests (spec §11), against the scripted model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gepa_core::config::{Acceptance, ComponentSelection, ProposalSelection, StopConditions};
use gepa_core::events::{EvalTarget, Rejection};
use gepa_core::{Dataset, Engine, Event, Purpose, Reply, RunConfig, Split};
use support::{ScriptedModel, arithmetic_data, drive, two_component_setup};

fn stop_after(iterations: u64) -> StopConditions {
    StopConditions {
        max_iterations: Some(iterations),
        max_rollouts: Some(1000),
        ..StopConditions::default()
    }
}

#[test]
fn acceptance_strict_rejects_equal_and_improvement_or_equal_accepts_it() {
    assert!(!Acceptance::Strict.accepts(1.0, 1.0));
    assert!(!Acceptance::Strict.accepts(1.0, 0.5));
    assert!(Acceptance::Strict.accepts(1.0, 1.000_001));
    assert!(Acceptance::ImprovementOrEqual.accepts(1.0, 1.0));
    assert!(!Acceptance::ImprovementOrEqual.accepts(1.0, 0.999));
}

#[test]
fn event_order_of_one_reflective_iteration_and_one_based_numbering() {
    let config = RunConfig { seed: 0, stop: stop_after(1), ..RunConfig::default() };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 3))).unwrap();
    let mut model = ScriptedModel::new();
    let events = drive(&mut engine, |r| model.reply(r), false);
    let start = events.iter().position(|e| matches!(e, Event::IterationStarted { .. })).unwrap();
    let names: Vec<&str> = events[start..]
        .iter()
        .map(|e| match e {
            Event::IterationStarted { iteration: 1, .. } => "iteration_started(1)",
            Event::ParentSelected { .. } => "parent_selected",
            Event::MinibatchSampled { .. } => "minibatch_sampled",
            Event::Evaluated {
                target: EvalTarget::Candidate { .. }, split: Split::Train, ..
            } => "evaluated(parent)",
            Event::Evaluated {
                target: EvalTarget::Proposal { .. }, split: Split::Train, ..
            } => "evaluated(child)",
            Event::Evaluated { split: Split::Val, .. } => "evaluated(val)",
            Event::BudgetUpdated { .. } => "budget",
            Event::ReflectionRequested { .. } => "reflection_requested",
            Event::ReflectionReceived { .. } => "reflection_received",
            Event::CandidateAdded { .. } => "candidate_added",
            Event::ParetoFrontChanged { .. } => "front_changed",
            Event::ProposalAccepted { .. } => "accepted",
            Event::ProposalRejected { .. } => "rejected",
            Event::IterationFinished { iteration: 1, .. } => "iteration_finished(1)",
            Event::RunFinished { .. } => "run_finished",
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            "iteration_started(1)",
            "parent_selected",
            "minibatch_sampled",
            "evaluated(parent)",
            "budget",
            "reflection_requested",
            "reflection_received",
            "evaluated(child)",
            "budget",
            "evaluated(val)",
            "budget",
            "candidate_added",
            "front_changed",
            "accepted",
            "iteration_finished(1)",
            "run_finished",
        ]
    );
}

/// Runs the scripted model and returns the engine and the components reflected on, in order.
fn reflected_components(config: RunConfig) -> (Engine, Vec<String>) {
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 3))).unwrap();
    let mut model = ScriptedModel::new();
    let mut components = Vec::new();
    drive(
        &mut engine,
        |r| {
            if let Purpose::Reflect { component, .. } = &r.purpose {
                components.push(component.clone());
            }
            model.reply(r)
        },
        false,
    );
    (engine, components)
}

#[test]
fn round_robin_is_the_default_and_all_rewrites_every_component() {
    let config = RunConfig { seed: 0, stop: stop_after(2), ..RunConfig::default() };
    assert_eq!(config.components, ComponentSelection::RoundRobin);
    let (_, components) = reflected_components(config.clone());
    assert_eq!(components, ["add_rule", "mul_rule"], "one component per proposal, in seed order");

    let config = RunConfig { components: ComponentSelection::All, stop: stop_after(1), ..config };
    let (engine, components) = reflected_components(config);
    assert_eq!(components, ["add_rule", "mul_rule"], "every component in one iteration");
    let child = &engine.pool()[1].candidate;
    assert!(
        child.get("add_rule").unwrap().contains("plus")
            && child.get("mul_rule").unwrap().contains("times")
    );
}

/// Three independent proposals from the seed, each improving by a different margin.
fn three_proposals(selection: ProposalSelection) -> (Vec<Event>, Engine) {
    let config = RunConfig {
        seed: 2,
        proposals_per_iteration: 3,
        proposal_selection: selection,
        components: ComponentSelection::All,
        stop: stop_after(1),
        ..RunConfig::default()
    };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(9, 4))).unwrap();
    let mut n = 0;
    let events = drive(
        &mut engine,
        |r| match &r.purpose {
            Purpose::Reflect { component, .. } => {
                n += 1;
                // Task 0: add only; task 1: both rules; task 2: times only.
                let task = (n - 1) / 2;
                let text = match (task, component.as_str()) {
                    (0 | 1, "add_rule") => format!("You add when it says plus (v{n})."),
                    (1 | 2, "mul_rule") => format!("Multiply when it says times (v{n})."),
                    _ => format!("Stay calm (v{n})."),
                };
                Reply::text(format!("```\n{text}\n```"))
            }
            _ => support::scripted_task(r),
        },
        false,
    );
    (events, engine)
}

#[test]
fn proposal_selection_all_best_and_top_k() {
    let accepted = |events: &[Event]| {
        events.iter().filter(|e| matches!(e, Event::ProposalAccepted { .. })).count()
    };
    let not_selected = |events: &[Event]| {
        events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    Event::ProposalRejected { rejection: Rejection::NotSelected { .. }, .. }
                )
            })
            .count()
    };

    let (all, _) = three_proposals(ProposalSelection::All);
    let improving = accepted(&all);
    assert!(improving >= 2, "{}", support::summarize(&all));

    let (best, engine) = three_proposals(ProposalSelection::Best);
    assert_eq!(accepted(&best), 1);
    assert_eq!(
        not_selected(&best),
        improving - 1,
        "improving but not selected are reported as such"
    );
    // The best margin is task 1 (both rules).
    assert!(engine.pool()[1].candidate.get("mul_rule").unwrap().contains("times"));
    assert!(engine.pool()[1].candidate.get("add_rule").unwrap().contains("plus"));

    let (top2, _) = three_proposals(ProposalSelection::TopK { k: 2 });
    assert_eq!(accepted(&top2), 2.min(improving));
}

#[test]
fn cache_namespaces_splits_and_shares_rollouts_when_val_is_train() {
    // Separate val set: a child's val pass never reuses its train rollouts (ids 0..n collide).
    let config = RunConfig { seed: 0, stop: stop_after(1), ..RunConfig::default() };
    let data = arithmetic_data(4, 4);
    let mut engine = Engine::new(two_component_setup(config.clone(), data.clone())).unwrap();
    let mut model = ScriptedModel::new();
    let events = drive(&mut engine, |r| model.reply(r), false);
    let val_charges: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::Evaluated {
                split: Split::Val,
                charged,
                target: EvalTarget::Proposal { .. },
                ..
            } => Some(*charged),
            _ => None,
        })
        .collect();
    assert_eq!(val_charges, [4]);

    // Val = train (inference-time search): the child's minibatch rollouts are reused.
    let shared = Dataset { train: data.train.clone(), val: Vec::new() };
    let mut engine = Engine::new(two_component_setup(config, shared)).unwrap();
    let mut model = ScriptedModel::new();
    let events = drive(&mut engine, |r| model.reply(r), false);
    let val_charges: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::Evaluated {
                split: Split::Train,
                charged,
                target: EvalTarget::Proposal { .. },
                examples,
                ..
            } if examples.len() == 4 => Some(*charged),
            _ => None,
        })
        .collect();
    assert_eq!(val_charges, [1], "three of four examples were already scored on the minibatch");
}

#[test]
fn a_finished_run_restored_does_no_more_work() {
    let config = RunConfig {
        seed: 0,
        stop: StopConditions { max_rollouts: Some(20), ..StopConditions::default() },
        ..RunConfig::default()
    };
    let mut engine = Engine::new(two_component_setup(config, arithmetic_data(6, 3))).unwrap();
    let mut model = ScriptedModel::new();
    drive(&mut engine, |r| model.reply(r), false);
    let used = engine.rollouts_used();
    assert!(engine.is_finished(), "the run ends: {:?}", engine.status());
    let mut restored = Engine::restore(&engine.save().unwrap()).unwrap();
    assert!(restored.is_finished());
    assert!(restored.take_requests(0).is_empty());
    assert_eq!(restored.rollouts_used(), used);
}

#[test]
fn failed_evaluations_are_never_cached() {
    // Val = train, so a child's minibatch results are reused by its validation pass; the one
    // minibatch rollout that failed must be run (and charged) again instead.
    let config = RunConfig {
        seed: 0,
        acceptance: Acceptance::ImprovementOrEqual,
        stop: stop_after(1),
        ..RunConfig::default()
    };
    let data = Dataset { train: arithmetic_data(4, 0).train, val: Vec::new() };
    let mut engine = Engine::new(two_component_setup(config, data)).unwrap();
    let mut model = ScriptedModel::new();
    let mut failed: Option<u32> = None;
    let mut child_generates: Vec<u32> = Vec::new();
    let events = drive(
        &mut engine,
        |r| match r.purpose {
            Purpose::Generate { example, .. } if r.messages[0].content.contains("plus, add") => {
                child_generates.push(example);
                if failed.is_none() {
                    failed = Some(example);
                    return Reply::Failed {
                        error: "filtered".into(),
                        failure: gepa_core::FailureKind::Content,
                    };
                }
                model.reply(r)
            }
            _ => model.reply(r),
        },
        false,
    );
    let failed = failed.expect("the child was evaluated");
    assert_eq!(
        child_generates.iter().filter(|e| **e == failed).count(),
        2,
        "the failed rollout ran again: {child_generates:?}"
    );
    let val_pass = events.iter().rev().find_map(|e| match e {
        Event::Evaluated { target: EvalTarget::Proposal { .. }, examples, charged, .. }
            if examples.len() == 4 =>
        {
            Some(*charged)
        }
        _ => None,
    });
    assert_eq!(
        val_pass,
        Some(2),
        "two successful minibatch results reused; the failed one and the unseen one charged"
    );
}

#[test]
fn objective_hybrid_and_cartesian_fronts_run_with_a_metric_that_reports_objectives() {
    use gepa_core::frontier::{FrontKey, FrontierType};
    use gepa_core::metric::Part;
    let metric = gepa_core::MetricSpec::Combination {
        parts: vec![
            Part {
                name: "exact".into(),
                weight: 1.0,
                metric: gepa_core::MetricSpec::ExactMatch { case_sensitive: false },
            },
            Part {
                name: "short".into(),
                weight: 1.0,
                metric: gepa_core::MetricSpec::Format {
                    min_chars: None,
                    max_chars: Some(2),
                    pattern: None,
                    single_line: true,
                },
            },
        ],
        objectives: true,
    };
    for (frontier, key_count) in [
        (FrontierType::Objective, 2),
        (FrontierType::Hybrid, 3 + 2),
        (FrontierType::Cartesian, 3 * 2),
    ] {
        let config = RunConfig { seed: 0, frontier, stop: stop_after(2), ..RunConfig::default() };
        let mut setup = two_component_setup(config, arithmetic_data(6, 3));
        setup.metric = metric.clone();
        let mut engine = Engine::new(setup).unwrap();
        let mut model = ScriptedModel::new();
        drive(&mut engine, |r| model.reply(r), false);
        assert_eq!(engine.front().entries().len(), key_count, "{frontier:?}");
        let has_objective_key = engine
            .front()
            .entries()
            .keys()
            .any(|k| matches!(k, FrontKey::Objective { .. } | FrontKey::Cell { .. }));
        assert!(has_objective_key, "{frontier:?}");
    }
    let mut plain = two_component_setup(
        RunConfig { frontier: FrontierType::Objective, ..RunConfig::default() },
        arithmetic_data(6, 3),
    );
    plain.metric = gepa_core::MetricSpec::ExactMatch { case_sensitive: false };
    assert!(Engine::new(plain).unwrap_err().0.contains("reports objectives"));
}
