//! Against the real local LLM (llama-server + SmolLM2) that `./dev test` starts and announces in
//! `GEPA_LLM_BASE_URL`. Compiled only with `--features real-llm`. These check protocol and
//! bookkeeping, not answer quality (a 135M model answers poorly).
#![cfg(feature = "real-llm")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use gepa_core::config::StopConditions;
use gepa_core::events::charged_rollouts;
use gepa_core::{
    Candidate, ChatMessage, Dataset, Engine, Example, MetricSpec, Program, Rng, RunConfig,
    RunSetup, Status,
};
use gepa_providers::Endpoints;
use gepa_providers::native::{NativeClient, drive};
use gepa_providers::{EndpointConfig, Preset};

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

#[tokio::test]
async fn real_llm_completion_returns_text_and_usage() {
    let client = NativeClient::new(Duration::from_secs(60)).unwrap();
    let messages = [
        ChatMessage::system("You are a concise assistant."),
        ChatMessage::user("What is the capital of France?"),
    ];
    let completion = client.complete(&endpoint(), &messages, &mut Rng::from_seed(0)).await.unwrap();
    assert!(!completion.text.trim().is_empty());
    assert!(completion.usage.input_tokens > 0 && completion.usage.output_tokens > 0);
    assert_eq!(completion.usage.cost_usd, None, "a local model has no price");
}

#[tokio::test]
async fn real_llm_wrong_model_path_is_classified_not_found() {
    let client = NativeClient::new(Duration::from_secs(30)).unwrap();
    let mut config = endpoint();
    config.base_url = format!("{}/no-such-prefix", config.base());
    let err = client
        .complete(&config, &[ChatMessage::user("hi")], &mut Rng::from_seed(0))
        .await
        .unwrap_err();
    assert_eq!(err.kind, gepa_providers::ErrorKind::NotFound, "{err}");
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
    let client = NativeClient::new(Duration::from_secs(120)).unwrap();
    let mut reflection = endpoint();
    reflection.params.max_tokens = Some(200);
    let endpoints = Endpoints { task: endpoint(), reflection, judge: None };
    #[expect(clippy::disallowed_methods, reason = "native test: the shell supplies the time")]
    let start = Instant::now();
    let mut events = Vec::new();
    let now = move || u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    drive(&mut engine, &client, &endpoints, 7, now, |_, batch| events.extend(batch)).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_llm_eight_concurrent_requests_with_limit_four_all_succeed() {
    let client = NativeClient::new(Duration::from_secs(120)).unwrap().with_concurrency(4);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8u64 {
        let client = client.clone();
        let config = endpoint();
        set.spawn(async move {
            let messages = [ChatMessage::user(format!("Name a colour. (request {i})"))];
            client.complete(&config, &messages, &mut Rng::from_seed(i)).await
        });
    }
    while let Some(joined) = set.join_next().await {
        assert!(!joined.unwrap().unwrap().text.trim().is_empty());
    }
    assert_eq!(client.peak_in_flight(), 4, "never more than 4 in flight, and the limit was used");
    assert_eq!(client.limiter_state().in_flight, 0);
}

#[tokio::test]
async fn real_llm_a_cancelled_request_stops_and_frees_its_slot() {
    let client = NativeClient::new(Duration::from_secs(120)).unwrap().with_concurrency(1);
    let mut long = endpoint();
    long.params.max_tokens = Some(2000);
    let task = {
        let client = client.clone();
        tokio::spawn(async move {
            let messages = [ChatMessage::user("Write a very long story about the sea.")];
            client.complete(&long, &messages, &mut Rng::from_seed(0)).await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(client.limiter_state().in_flight, 1);
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert_eq!(client.limiter_state().in_flight, 0, "the slot is freed");
    let quick =
        client.complete(&endpoint(), &[ChatMessage::user("Say hi.")], &mut Rng::from_seed(1)).await;
    assert!(quick.is_ok(), "the endpoint is usable right after");
}
