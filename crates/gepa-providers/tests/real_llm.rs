//! Against the real local LLM (llama-server + SmolLM2) that `./dev test` starts and announces in
//! `GEPA_LLM_BASE_URL`. Compiled only with `--features real-llm`. These check protocol and
//! bookkeeping, not answer quality (a 135M model answers poorly).
#![cfg(feature = "real-llm")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gepa_core::config::StopConditions;
use gepa_core::events::charged_rollouts;
use gepa_core::{
    Candidate, ChatMessage, Dataset, Engine, Example, FailureKind, MetricSpec, ModelRole, Program,
    Reply, RunConfig, RunSetup, Status,
};
use gepa_providers::native::{NativeCalls, drive};
use gepa_providers::price::PriceTable;
use gepa_providers::{CallMachine, CallSettings, EndpointConfig, Endpoints, Preset};

fn endpoint() -> EndpointConfig {
    let base = std::env::var("GEPA_LLM_BASE_URL").expect(
        "GEPA_LLM_BASE_URL is not set: run through ./dev test, or ./dev llm start and export it",
    );
    let model = std::env::var("GEPA_LLM_MODEL").unwrap_or_else(|_| "smollm2-135m".into());
    let mut config = EndpointConfig::from_preset(Preset::LlamaCpp, model);
    config.base_url = base;
    config.params.max_tokens = Some(48);
    config.params.temperature = Some(0.0);
    config
}

fn calls(task: EndpointConfig, reflection: EndpointConfig, concurrency: usize) -> NativeCalls {
    let endpoints = Endpoints { task, reflection, judge: None };
    let settings = CallSettings { concurrency, use_cache: false, ..CallSettings::default() };
    NativeCalls::new(CallMachine::new(endpoints, settings, PriceTable::default(), 0)).unwrap()
}

#[tokio::test]
async fn real_llm_completion_returns_text_and_usage() {
    let mut native = calls(endpoint(), endpoint(), 4);
    let messages = vec![
        ChatMessage::system("You are a concise assistant."),
        ChatMessage::user("What is the capital of France?"),
    ];
    let Reply::Text { text, usage, .. } = native.complete(ModelRole::Task, messages).await else {
        panic!("the local model should answer")
    };
    assert!(!text.trim().is_empty());
    assert!(usage.input_tokens > 0 && usage.output_tokens > 0);
    assert_eq!(usage.cost_usd, None, "a local model has no price");
}

#[tokio::test]
async fn real_llm_wrong_model_path_pauses_at_once_with_the_fix() {
    let mut config = endpoint();
    config.base_url = format!("{}/no-such-prefix", config.base());
    let mut native = calls(config.clone(), config, 4);
    let reply = native.complete(ModelRole::Task, vec![ChatMessage::user("hi")]).await;
    let Reply::Failed { failure: FailureKind::Transport, error } = reply else {
        panic!("{reply:?}")
    };
    assert!(error.contains("HTTP 404") && error.contains("base URL or model"), "{error}");
    assert_eq!(native.machine.fault_counts(), (0, 0), "a 404 is not retried");
}

#[tokio::test(flavor = "current_thread")]
async fn real_llm_drives_the_engine_to_completion_with_a_valid_ledger() {
    let qa = |q: &str, a: &str| Example::new([("question", q)], a);
    let data = Dataset {
        train: vec![
            qa("What is 2 plus 2?", "4"),
            qa("What is 3 plus 5?", "8"),
            qa("What is 10 minus 3?", "7"),
            qa("What is 6 plus 1?", "7"),
        ],
        val: vec![qa("What is 1 plus 1?", "2"), qa("What is 4 plus 4?", "8")],
    };
    let budget = 14;
    let setup = RunSetup {
        config: RunConfig {
            seed: 1,
            stop: StopConditions { max_rollouts: Some(budget), ..StopConditions::default() },
            ..RunConfig::default()
        },
        program: Program::single_prompt("system", "{{question}}"),
        seed: Candidate::new([("system", "Answer the question.")]),
        data,
        metric: MetricSpec::Contains { case_sensitive: false },
    };
    let mut engine = Engine::new(setup).unwrap();
    let mut reflection = endpoint();
    reflection.params.max_tokens = Some(200);
    let mut native = calls(endpoint(), reflection, 4);
    let mut events = Vec::new();
    drive(&mut engine, &mut native, |_, batch, _, _| events.extend(batch)).await;
    assert!(matches!(engine.status(), Status::Finished { .. }), "{:?}", engine.status());
    assert_eq!(
        charged_rollouts(&events),
        engine.rollouts_used(),
        "budget events add up to the ledger"
    );
    assert!(engine.rollouts_used() <= budget, "never over budget");
    assert!(engine.spend().calls[0] >= 2, "the task model was called");
    assert!(engine.spend().task.input_tokens > 0, "usage was recorded");
    assert_eq!(engine.pool()[0].scores.per_example.len(), 2, "the seed was scored on validation");
}

#[tokio::test]
async fn real_llm_eight_concurrent_requests_with_limit_four_all_succeed() {
    let mut native = calls(endpoint(), endpoint(), 4);
    let batch = (0..8u64)
        .map(|i| {
            (ModelRole::Task, vec![ChatMessage::user(format!("Name a colour. (request {i})"))])
        })
        .collect();
    for reply in native.complete_all(batch).await {
        assert!(
            matches!(reply, Reply::Text { ref text, .. } if !text.trim().is_empty()),
            "{reply:?}"
        );
    }
    assert_eq!(native.machine.peak_in_flight(), 4, "never more than 4 in flight, and all 4 used");
    assert_eq!(native.machine.in_flight(), 0);
}

#[tokio::test]
async fn real_llm_a_cancelled_request_stops_and_frees_its_slot() {
    let mut long = endpoint();
    long.params.max_tokens = Some(2000);
    let mut native = calls(long, endpoint(), 1);
    let story = vec![ChatMessage::user("Write a very long story about the sea.")];
    let cut =
        tokio::time::timeout(Duration::from_millis(300), native.complete(ModelRole::Task, story))
            .await;
    assert!(cut.is_err(), "the long call was still running");
    assert_eq!(native.machine.in_flight(), 1);
    native.cancel_all();
    assert_eq!(native.machine.in_flight(), 0, "the slot is freed");
    let quick = native.complete(ModelRole::Task, vec![ChatMessage::user("Say hi.")]).await;
    assert!(matches!(quick, Reply::Text { .. }), "the endpoint is usable right after: {quick:?}");
}
