//! Run files: capture mid-run, round trip, restore and finish like the uninterrupted run; no
//! secrets; every released version's fixture still opens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gepa_core::config::StopConditions;
use gepa_core::{
    Candidate, Dataset, Engine, Event, Example, MetricSpec, Program, Purpose, Reply, Request,
    RunConfig, RunSetup,
};
use gepa_providers::{EndpointConfig, Endpoints, Preset};
use gepa_share::RunFile;
use gepa_share::run_file::{Models, RunFileError};

const SECRET: &str = "sk-run-file-SECRET-42";

/// A scripted model (not an LLM): answers right once the prompt says ALWAYS.
fn scripted(request: &Request) -> Reply {
    let all: String = request.messages.iter().map(|m| m.content.as_str()).collect();
    match request.purpose {
        Purpose::Reflect { .. } => Reply::text("```\nALWAYS give the number only.\n```"),
        _ if all.contains("ALWAYS") => {
            Reply::text(request.messages.last().unwrap().content.trim_start_matches("n="))
        }
        _ => Reply::text("no idea"),
    }
}

fn setup() -> RunSetup {
    let examples: Vec<Example> =
        (0..8).map(|i| Example::new([("q", format!("n={i}"))], i.to_string())).collect();
    RunSetup {
        config: RunConfig {
            stop: StopConditions { max_rollouts: Some(40), ..StopConditions::default() },
            ..RunConfig::default()
        },
        program: Program::single_prompt("system", "{{q}}"),
        seed: Candidate::new([("system", "Answer.")]),
        data: Dataset { train: examples[..4].to_vec(), val: examples[4..].to_vec() },
        metric: MetricSpec::ExactMatch { case_sensitive: false },
    }
}

/// Runs until `stop_after` replies have been handled (or the end); returns the events.
fn run(engine: &mut Engine, stop_after: usize) -> Vec<Event> {
    let mut events = Vec::new();
    let mut handled = 0;
    for now in 0..10_000 {
        let requests = engine.take_requests(now);
        events.extend(engine.drain_events());
        if engine.is_finished() || handled >= stop_after {
            break;
        }
        for r in requests {
            engine.handle_reply(r.id, scripted(&r), now);
            handled += 1;
        }
    }
    events
}

fn models() -> Models {
    let mut task =
        EndpointConfig::from_preset(Preset::OpenRouter, "meta-llama/llama-3.1-8b-instruct");
    task.api_key = SECRET.into();
    task.base_url = format!("https://openrouter.ai/api/v1?token={SECRET}");
    let reflection = task.clone();
    Models::of(&Endpoints { task, reflection, judge: None })
}

#[test]
fn a_run_saved_mid_way_restores_and_finishes_like_the_uninterrupted_one() {
    let mut whole = Engine::new(setup()).unwrap();
    let all_events = run(&mut whole, usize::MAX);

    let mut engine = Engine::new(setup()).unwrap();
    let first = run(&mut engine, 9);
    let file = RunFile::capture(
        &engine,
        first.clone(),
        Vec::new(),
        models(),
        4,
        "triage".into(),
        1_700_000_000_000,
    )
    .unwrap();
    let text = file.to_json().unwrap();
    assert!(!text.contains(SECRET), "no key, no key-bearing URL");
    assert!(!text.contains("openrouter.ai"), "no endpoint URL at all");
    let back = RunFile::parse(&text).unwrap();
    assert_eq!(back, file);
    let mut restored = back.restore().unwrap();
    let rest = run(&mut restored, usize::MAX);
    let mut events = first;
    events.extend(rest);
    assert_eq!(restored.rollouts_used(), whole.rollouts_used());
    assert_eq!(restored.pool().len(), whole.pool().len());
    let accepted =
        |e: &[Event]| e.iter().filter(|e| matches!(e, Event::ProposalAccepted { .. })).count();
    assert_eq!(accepted(&events), accepted(&all_events));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    #[test]
    fn saving_at_any_point_round_trips_and_finishes_the_same(stop_after in 0usize..60, seed in 0u64..4) {
        let mut config = setup();
        config.config.seed = seed;
        let mut whole = Engine::new(config.clone()).unwrap();
        run(&mut whole, usize::MAX);
        let mut engine = Engine::new(config).unwrap();
        let events = run(&mut engine, stop_after);
        let file = RunFile::capture(&engine, events, Vec::new(), models(), 2, "p".into(), 7).unwrap();
        let back = RunFile::parse(&file.to_json().unwrap()).unwrap();
        proptest::prop_assert_eq!(&back, &file);
        let mut restored = back.restore().unwrap();
        run(&mut restored, usize::MAX);
        proptest::prop_assert_eq!(restored.rollouts_used(), whole.rollouts_used());
        proptest::prop_assert_eq!(restored.pool().len(), whole.pool().len());
    }
}

#[test]
fn foreign_newer_and_damaged_files_are_refused_with_a_reason() {
    assert!(matches!(RunFile::parse("not json"), Err(RunFileError::NotARunFile(_))));
    assert!(matches!(
        RunFile::parse(r#"{"format":"something-else"}"#),
        Err(RunFileError::NotARunFile(_))
    ));
    assert_eq!(
        RunFile::parse(r#"{"format":"gepa-playground-run","version":99}"#),
        Err(RunFileError::TooNew(99))
    );
    let engine = Engine::new(setup()).unwrap();
    let mut file =
        RunFile::capture(&engine, Vec::new(), Vec::new(), models(), 4, "t".into(), 0).unwrap();
    file.engine = serde_json::json!({"format": "gepa-playground-run-state", "version": 1, "engine": {"nope": true}});
    let reparsed = RunFile::parse(&file.to_json().unwrap()).unwrap();
    assert!(matches!(reparsed.restore(), Err(RunFileError::BadState(_))));
    for e in [
        RunFileError::TooNew(2),
        RunFileError::TooLarge(300 << 20),
        RunFileError::NotARunFile("x".into()),
    ] {
        assert!(e.to_string().len() > 25);
    }
}

#[test]
fn every_released_run_file_version_still_opens_and_restores() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("run-v") {
            let text = std::fs::read_to_string(&path).unwrap();
            let file = RunFile::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut engine = file.restore().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // The page reads the setup without restoring the engine (that happens in its worker).
            assert_eq!(&file.setup().unwrap(), engine.setup(), "{}", path.display());
            assert!(Engine::restore(&file.state_text()).is_ok());
            run(&mut engine, usize::MAX);
            assert!(engine.is_finished(), "{} can be continued to the end", path.display());
            seen += 1;
        }
    }
    assert!(seen >= 1, "keep a fixture of every released run-file version");
}

/// Writes the fixtures of the current version (run with `UPDATE_FIXTURES=1` when a version is
/// released; never overwrite an older version's fixture).
#[test]
fn write_current_fixtures_when_asked() {
    if std::env::var_os("UPDATE_FIXTURES").is_none() {
        return;
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut engine = Engine::new(setup()).unwrap();
    let events = run(&mut engine, 9);
    let file = RunFile::capture(
        &engine,
        events,
        Vec::new(),
        models(),
        4,
        "fixture".into(),
        1_800_000_000_000,
    )
    .unwrap();
    std::fs::write(
        format!("{dir}/run-v{}.json", gepa_share::run_file::VERSION),
        file.to_json().unwrap(),
    )
    .unwrap();
    let base = gepa_share::SharedPrompt {
        components: Candidate::new([(
            "system",
            "Classify the support ticket. Rules: payment problems are billing.",
        )]),
        program: Program::single_prompt("system", "Ticket: {{ticket}}"),
        metric: MetricSpec::Choice {
            labels: vec!["billing".into(), "login".into(), "bug".into(), "feature".into()],
        },
        provider: "open_ai_compatible".into(),
        task_model: "smollm2".into(),
        reflection_model: "smollm2".into(),
        scores: gepa_share::SharedScores {
            seed_val: Some(0.2),
            best_val: Some(0.6),
            seed_test: Some(0.25),
            best_test: Some(0.5),
        },
        data: None,
    };
    std::fs::write(
        format!("{dir}/prompt-link-{}.txt", gepa_share::link::VERSION),
        base.link("http://127.0.0.1:8080/").unwrap(),
    )
    .unwrap();
}

#[test]
fn run_configurations_round_trip_and_refuse_other_files() {
    use gepa_share::run_config::RunConfigFile;
    let config = RunConfigFile::new("t".into(), setup(), Vec::new(), models(), 3);
    let text = config.to_json().unwrap();
    assert!(!text.contains(SECRET) && !text.contains("openrouter.ai/api"), "no key, no URL");
    assert_eq!(RunConfigFile::parse(&text).unwrap(), config);
    let run = RunFile::capture(
        &Engine::new(setup()).unwrap(),
        Vec::new(),
        Vec::new(),
        models(),
        4,
        "r".into(),
        0,
    )
    .unwrap();
    let err = RunConfigFile::parse(&run.to_json().unwrap()).unwrap_err();
    assert!(err.to_string().contains("gepa-playground-config"), "{err}");
    assert!(matches!(
        RunConfigFile::parse(r#"{"format":"gepa-playground-config","version":5}"#),
        Err(RunFileError::TooNew(5))
    ));
}

#[test]
fn a_reopened_run_asks_with_its_own_models_and_parameters_at_the_form_s_address() {
    // The form now holds other parameters (the user test: max_tokens 4 instead of 60) and a
    // judge of another provider; the file's models and parameters win where the provider
    // matches, the address and key stay the form's.
    let mut saved = models();
    saved.task.params.max_tokens = Some(60);
    saved.reflection.params.max_tokens = Some(60);
    let mut form = EndpointConfig::from_preset(Preset::OpenRouter, "something-else");
    form.base_url = "http://127.0.0.1:9999/v1".into();
    form.params.max_tokens = Some(4);
    let mut judge = EndpointConfig::from_preset(Preset::Anthropic, "claude");
    judge.params.max_tokens = Some(7);
    let mut endpoints = Endpoints { task: form.clone(), reflection: form, judge: Some(judge) };
    let mut with_judge = saved.clone();
    with_judge.judge = Some(saved.reflection.clone());

    let kept = with_judge.apply_to(&mut endpoints);

    assert_eq!(kept, ["judge"]);
    assert_eq!(Models::of(&endpoints).task, saved.task);
    assert_eq!(Models::of(&endpoints).reflection, saved.reflection);
    assert_eq!(endpoints.reflection.params.max_tokens, Some(60));
    assert_eq!(endpoints.task.base_url, "http://127.0.0.1:9999/v1");
    assert_eq!(endpoints.judge.as_ref().map(|j| j.params.max_tokens), Some(Some(7)));
}
