//! The host driven the way the page drives it, with a scripted model (not an LLM): the task
//! model echoes the number when the prompt says "ALWAYS", and reflection proposes such a prompt.

use super::*;
use crate::worker::protocol::Update;
use gepa_core::config::StopConditions;
use gepa_core::{
    Candidate, Dataset, Example, MetricSpec, Program, Purpose, Reply, Request, RunConfig, RunSetup,
};
use gepa_share::metric_form::{MetricForm, MetricKind};

fn scripted(request: &Request) -> Reply {
    let all: String = request.messages.iter().map(|m| m.content.as_str()).collect();
    match request.purpose {
        Purpose::Reflect { .. } => Reply::text("```\nALWAYS give the number only.\n```"),
        _ if all.contains("ALWAYS") => {
            let q = request.messages.last().map_or("", |m| m.content.as_str());
            Reply::text(q.trim_start_matches("n="))
        }
        _ => Reply::text("no idea"),
    }
}

fn examples(range: std::ops::Range<usize>) -> Vec<Example> {
    range.map(|i| Example::new([("q", format!("n={i}"))], i.to_string())).collect()
}

fn setup(metric: MetricSpec) -> RunSetup {
    RunSetup {
        config: RunConfig {
            stop: StopConditions { max_rollouts: Some(40), ..StopConditions::default() },
            ..RunConfig::default()
        },
        program: Program::single_prompt("system", "{{q}}"),
        seed: Candidate::new([("system", "Answer.")]),
        data: Dataset { train: examples(0..3), val: examples(3..6) },
        metric,
    }
}

fn exact() -> MetricSpec {
    MetricSpec::ExactMatch { case_sensitive: false }
}

/// Every message crosses as a serialised value, as through `postMessage`.
fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(message: &T) -> T {
    serde_json::from_str(&serde_json::to_string(message).unwrap()).unwrap()
}

fn updates(out: Vec<FromHost>) -> Vec<Update> {
    out.iter()
        .map(|m| match round_trip(m) {
            FromHost::Update(update) => *update,
            other => panic!("expected an update, got {other:?}"),
        })
        .collect()
}

/// Answers every request of engine 1 until it finishes; returns all its updates.
fn drive(host: &mut Host, first: Vec<FromHost>) -> Vec<Update> {
    let mut all = Vec::new();
    let mut out = first;
    for now in 1..1_000 {
        let batch = updates(out);
        let replies: Vec<(u64, Reply)> =
            batch.iter().flat_map(|u| u.requests.iter().map(|r| (r.id, scripted(r)))).collect();
        let finished =
            batch.iter().any(|u| matches!(u.snapshot.status, gepa_core::Status::Finished { .. }));
        all.extend(batch);
        if finished {
            break;
        }
        out = host.handle(round_trip(&ToHost::Replies { engine: 1, replies, now }));
    }
    all
}

fn start(host: &mut Host, setup: RunSetup, extra: Vec<Candidate>) -> Vec<FromHost> {
    host.handle(round_trip(&ToHost::Start {
        engine: 1,
        setup: Box::new(setup),
        extra,
        command: Command::Resume,
        now: 0,
    }))
}

#[test]
fn a_run_reports_requests_events_admissions_and_its_state_at_save_points() {
    let mut host = Host::new();
    let first = start(&mut host, setup(exact()), Vec::new());
    let all = drive(&mut host, first);
    let last = all.last().unwrap();
    assert!(matches!(last.snapshot.status, gepa_core::Status::Finished { .. }));
    assert_eq!(last.snapshot.best, Some(1), "the scripted prompt wins");
    let admitted: Vec<&gepa_core::engine::PoolEntry> =
        all.iter().flat_map(|u| u.admitted.iter()).collect();
    assert_eq!(admitted.len(), 2, "each admitted candidate is sent once");
    assert!(admitted[1].candidate.get("system").unwrap().ends_with("ALWAYS give the number only."));
    for update in &all {
        let save_point = update.events.iter().any(gepa_core::Event::is_save_point);
        if save_point {
            assert!(update.state.is_some(), "a save point carries the state");
        }
    }
    assert!(last.state.is_some(), "the finished run's state is sent");
    let quiet = all.iter().filter(|u| u.state.is_none()).count();
    assert!(quiet > 0, "updates between save points carry no state");
}

#[test]
fn a_state_from_an_update_restores_and_finishes_the_same_run() {
    let mut host = Host::new();
    let first = start(&mut host, setup(exact()), Vec::new());
    let all = drive(&mut host, first);
    // The state after the seed was admitted, restored in another worker.
    let cut = all.iter().position(|u| !u.admitted.is_empty()).unwrap();
    let state = all[cut].state.clone().expect("admitting the seed is a save point");
    let mut again = Host::new();
    let restored = again.handle(round_trip(&ToHost::Restore {
        engine: 1,
        state,
        command: Command::Resume,
        now: 0,
    }));
    let rest = drive(&mut again, restored);
    let end = |u: &[Update]| u.last().map(|u| (u.snapshot.best, u.snapshot.rollouts));
    assert_eq!(end(&rest), end(&all), "same best, same rollouts");
}

#[test]
fn starting_candidates_are_scored_beside_the_seed() {
    let mut host = Host::new();
    let extra = Candidate::new([("system", "ALWAYS reply with the number.")]);
    let first = start(&mut host, setup(exact()), vec![extra]);
    let all = drive(&mut host, first);
    let origins: Vec<_> = all.iter().flat_map(|u| &u.admitted).map(|e| e.origin).collect();
    assert!(origins.contains(&gepa_core::events::Origin::Human), "{origins:?}");
}

#[test]
fn a_setup_or_state_the_engine_refuses_is_reported_and_nothing_runs() {
    let mut host = Host::new();
    let broken = MetricSpec::Custom { script: "let x = ;".into() };
    let out = start(&mut host, setup(broken), Vec::new());
    let [FromHost::Failed { engine: 1, error }] = out.as_slice() else { panic!("{out:?}") };
    assert!(error.starts_with("Setup: custom metric"), "{error}");
    assert!(error.contains("line 1"), "the script's line is named: {error}");
    let out = host.handle(ToHost::Restore {
        engine: 2,
        state: "{\"format\":\"something else\"}".into(),
        command: Command::Resume,
        now: 0,
    });
    let [FromHost::Failed { engine: 2, error }] = out.as_slice() else { panic!("{out:?}") };
    assert!(error.contains("not a GEPA Playground run state"), "{error}");
    // Messages for engines it does not hold (refused, or dropped) are answered with nothing.
    assert!(host.handle(ToHost::Command { engine: 1, command: Command::Pause, now: 1 }).is_empty());
}

#[test]
fn a_dropped_engine_is_forgotten() {
    let mut host = Host::new();
    let first = start(&mut host, setup(exact()), Vec::new());
    assert_eq!(updates(first).len(), 1);
    assert!(host.handle(ToHost::Drop { engine: 1 }).is_empty());
    assert!(
        host.handle(ToHost::Command { engine: 1, command: Command::Resume, now: 1 }).is_empty()
    );
}

#[test]
fn an_evaluation_scores_one_candidate_on_its_own_ledger_and_is_not_saved() {
    let mut host = Host::new();
    let best = Candidate::new([("system", "ALWAYS give the number only.")]);
    let out = host.handle(round_trip(&ToHost::Evaluate {
        engine: 1,
        setup: Box::new(setup(exact())),
        candidate: best,
        test: examples(6..10),
        now: 0,
    }));
    let all = drive(&mut host, out);
    let scored: Vec<_> = all.iter().flat_map(|u| &u.admitted).collect();
    assert_eq!(scored.len(), 1);
    assert_eq!((scored[0].mean_score, scored[0].outputs.len()), (1.0, 4));
    assert_eq!(all.last().unwrap().snapshot.rollouts, 4);
    assert!(all.iter().all(|u| u.state.is_none()), "evaluations are never saved");
}

#[test]
fn trying_a_metric_compiles_its_script_and_scores_a_row() {
    let mut host = Host::new();
    let row = Example::new([("q", "n=1")], "1");
    let script = MetricForm {
        kind: MetricKind::Custom,
        script: "if output == expected { 1.0 } else { 0.0 }".into(),
        ..MetricForm::default()
    };
    let mut ask = |metric: &MetricForm, output: &str| {
        let out = host.handle(round_trip(&ToHost::TryMetric {
            ticket: 7,
            metric: Box::new(metric.clone()),
            example: Box::new(row.clone()),
            output: output.into(),
        }));
        let [FromHost::Tried { ticket: 7, result }] = out.as_slice() else { panic!("{out:?}") };
        result.clone()
    };
    assert_eq!(ask(&script, ""), Ok(String::new()), "no output: only the compile check");
    assert!(ask(&script, "1").unwrap().starts_with("Score 1.00"));
    assert!(ask(&script, "2").unwrap().starts_with("Score 0.00"));
    let broken = MetricForm { script: "if output == {".into(), ..script };
    let error = ask(&broken, "").unwrap_err();
    assert!(error.starts_with("custom metric") && error.contains("line 1"), "{error}");
}
