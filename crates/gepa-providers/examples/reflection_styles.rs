//! Compares reflection meta-prompts on the shipped example tasks with a real model.
//!
//!   GEPA_LLM=qwen0.5b ./dev llm start            # prints the base URL
//!   cargo run --release -p gepa-providers --features native --example reflection_styles -- \
//!       BASE_URL MODEL [BUDGET] [SEEDS] [TASKS]
//!
//! For each task, style and seed it runs GEPA with the same budget, then scores the seed and
//! the best candidate on the held-out test set, and prints a markdown table.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use gepa_core::config::StopConditions;
use gepa_core::metric::MetricStep;
use gepa_core::reflect::ReflectionStyle;
use gepa_core::{
    Candidate, Engine, Event, Example, ModelRole, Program, Reply, RunConfig, RunSetup,
};
use gepa_datasets::example_task::ExampleTask;
use gepa_datasets::{SplitPlan, split};
use gepa_providers::native::{NativeCalls, drive};
use gepa_providers::price::PriceTable;
use gepa_providers::{CallMachine, CallSettings, EndpointConfig, Endpoints, Preset};

fn endpoint(base: &str, model: &str, max_tokens: u32, temperature: f64) -> EndpointConfig {
    let mut config = EndpointConfig::from_preset(Preset::LlamaCpp, model);
    config.base_url = base.to_owned();
    config.params.max_tokens = Some(max_tokens);
    config.params.temperature = Some(temperature);
    config
}

async fn test_score(
    calls: &mut NativeCalls,
    program: &Program,
    candidate: &Candidate,
    metric: &gepa_core::MetricSpec,
    test: &[Example],
) -> f64 {
    let mut total = 0.0;
    for example in test {
        let messages = program.messages(0, candidate, example, &[]);
        let output = match calls.complete(ModelRole::Task, messages).await {
            Reply::Text { text, .. } => text,
            Reply::Failed { .. } => String::new(),
        };
        if let MetricStep::Done(score) = metric.begin(&output, example) {
            total += score.score;
        }
    }
    total / test.len().max(1) as f64
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args.get(1).expect("usage: BASE_URL MODEL [BUDGET] [SEEDS] [TASKS]").clone();
    let model = args.get(2).cloned().unwrap_or_else(|| "qwen0.5b".into());
    let budget: u64 = args.get(3).and_then(|b| b.parse().ok()).unwrap_or(80);
    let seeds: Vec<u64> =
        args.get(4).map_or(vec![1, 2], |s| s.split(',').filter_map(|x| x.parse().ok()).collect());
    let tasks: Vec<String> =
        args.get(5).map_or(vec!["support-triage".into(), "date-normalization".into()], |t| {
            t.split(',').map(str::to_owned).collect()
        });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../static/examples");
    let mut task_endpoint = endpoint(&base, &model, 96, 0.0);
    task_endpoint.timeout_ms = 300_000;
    let endpoints = Endpoints {
        task: task_endpoint,
        reflection: endpoint(&base, &model, 400, 0.7),
        judge: None,
    };
    let machine = CallMachine::new(endpoints, CallSettings::default(), PriceTable::default(), 0);
    let mut calls = NativeCalls::new(machine).unwrap();
    println!(
        "| task | style | seed | seed val | best val | seed test | best test | pool | screened | rollouts | best chars | minutes |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for id in &tasks {
        let task: ExampleTask =
            serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{id}.json"))).unwrap())
                .unwrap();
        let table = task.table().unwrap();
        let roles = task.roles().unwrap();
        let parts = split(&table, &roles, &SplitPlan::default_for(table.rows.len())).unwrap();
        for style in [ReflectionStyle::Rules, ReflectionStyle::Reference] {
            for seed in &seeds {
                #[expect(
                    clippy::disallowed_methods,
                    reason = "a native benchmark measures wall time"
                )]
                let started = Instant::now();
                let setup = RunSetup {
                    config: RunConfig {
                        seed: *seed,
                        reflection_style: style,
                        stop: StopConditions {
                            max_rollouts: Some(budget),
                            ..StopConditions::default()
                        },
                        ..RunConfig::default()
                    },
                    program: task.program(),
                    seed: task.seed(),
                    data: parts.data.clone(),
                    metric: task.metric.clone(),
                };
                let mut engine = Engine::new(setup).unwrap();
                let mut screened = 0;
                drive(&mut engine, &mut calls, |_, events, _, _| {
                    screened += events
                        .iter()
                        .filter(|e| {
                            matches!(
                                e,
                                Event::ProposalRejected {
                                    rejection: gepa_core::events::Rejection::Screened { .. },
                                    ..
                                }
                            )
                        })
                        .count();
                })
                .await;
                let best = engine.best().unwrap();
                let best_candidate = engine.pool()[best].candidate.clone();
                let seed_test = test_score(
                    &mut calls,
                    &task.program(),
                    &task.seed(),
                    &task.metric,
                    &parts.test,
                )
                .await;
                let best_test = test_score(
                    &mut calls,
                    &task.program(),
                    &best_candidate,
                    &task.metric,
                    &parts.test,
                )
                .await;
                println!(
                    "| {id} | {style:?} | {seed} | {:.3} | {:.3} | {seed_test:.3} | {best_test:.3} | {} | {screened} | {} | {} | {:.1} |",
                    engine.pool()[0].mean(),
                    engine.pool()[best].mean(),
                    engine.pool().len(),
                    engine.rollouts_used(),
                    best_candidate.get("system").unwrap_or_default().chars().count(),
                    started.elapsed().as_secs_f64() / 60.0,
                );
                eprintln!(
                    "best prompt ({id}, {style:?}, seed {seed}):\n{}\n",
                    best_candidate.get("system").unwrap_or_default()
                );
            }
        }
    }
}
