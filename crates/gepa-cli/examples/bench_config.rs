//! Writes the run configuration of the orchestration and quality benchmarks (`bench/`): an
//! example task (`BENCH_TASK`, default support-triage) with a fixed split (8 held-out rows, the
//! rest halved into train and validation) and budget, at a given concurrency and number of
//! parallel proposals; optionally the seed, the task and reflection models' reply limits (0 = the
//! server's own) and the budget mode (`strict`, the default, or `reference`).
//! `BENCH_REFLECTION_MODE=edit` selects edit-mode reflection; `BENCH_SKIP_PERFECT=1` skips
//! reflection on a parent that is perfect on its minibatch (the default of both optimisers).
//!
//! Usage: bench_config OUT.json BUDGET CONCURRENCY PROPOSALS [SEED TASK_MAX_TOKENS REFLECTION_MAX_TOKENS [BUDGET_MODE]]
#![allow(clippy::print_stderr)]

use gepa_core::config::{BudgetMode, StopConditions};
use gepa_core::{RunConfig, RunSetup};
use gepa_datasets::example_task::ExampleTask;
use gepa_datasets::{SplitPlan, split};
use gepa_providers::{ModelParams, Preset};
use gepa_share::run_config::RunConfigFile;
use gepa_share::run_file::{ModelSettings, Models};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, budget, concurrency, proposals, rest) = match args.as_slice() {
        [o, b, c, p, rest @ ..] if matches!(rest.len(), 0 | 3 | 4) => (o, b, c, p, rest),
        _ => return Err("usage: bench_config OUT.json BUDGET CONCURRENCY PROPOSALS [SEED TASK_MAX_TOKENS REFLECTION_MAX_TOKENS [strict|reference]]".into()),
    };
    let number = |s: &str| s.parse::<u64>().map_err(|e| format!("{s}: {e}"));
    let budget_mode = match rest.get(3).map(String::as_str) {
        None | Some("strict") => BudgetMode::Strict,
        Some("reference") => BudgetMode::Reference,
        Some(other) => return Err(format!("budget mode {other}: use strict or reference")),
    };
    let id = std::env::var("BENCH_TASK").unwrap_or_else(|_| "support-triage".into());
    let path = format!("{}/../../static/examples/{id}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let task: ExampleTask = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let table = task.table()?;
    let others = table.rows.len().saturating_sub(8);
    let plan = SplitPlan { train: others / 2, val: others - others / 2, test: 8, seed: 1 };
    let s = split(&table, &task.roles()?, &plan)?;
    let reflection_mode = match std::env::var("BENCH_REFLECTION_MODE").as_deref() {
        Ok("edit") => gepa_core::reflect::ReflectionMode::Edit,
        _ => gepa_core::reflect::ReflectionMode::Rewrite,
    };
    let mut setup = RunSetup {
        config: RunConfig {
            stop: StopConditions {
                max_rollouts: Some(number(budget)?),
                ..StopConditions::default()
            },
            proposals_per_iteration: usize::try_from(number(proposals)?)
                .map_err(|e| e.to_string())?,
            skip_perfect_score: std::env::var("BENCH_SKIP_PERFECT").is_ok_and(|v| v == "1"),
            budget_mode,
            reflection_mode,
            seed: rest.first().map_or(Ok(0), |s| number(s))?,
            ..RunConfig::default()
        },
        program: task.program(),
        seed: task.seed(),
        data: s.data,
        metric: task.metric.clone(),
    };
    // The task model answers at temperature 0 so scores are reproducible; the reflection model
    // samples at the server's default, for varied proposals.
    let max_tokens = |i: usize| {
        rest.get(i)
            .map(|s| number(s).map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
            .transpose()
            .map(|n| n.filter(|n| *n > 0))
    };
    let settings = |params: ModelParams| ModelSettings {
        preset: Preset::LlamaCpp,
        model: "bench".into(),
        params,
    };
    let task = ModelParams {
        temperature: Some(0.0),
        max_tokens: max_tokens(1)?,
        ..ModelParams::default()
    };
    let reflection = ModelParams { max_tokens: max_tokens(2)?, ..ModelParams::default() };
    setup.config.reuse_minibatch_results = task.greedy();
    let models = Models { task: settings(task), reflection: settings(reflection), judge: None };
    let concurrency = usize::try_from(number(concurrency)?).map_err(|e| e.to_string())?;
    let config =
        RunConfigFile::new("orchestration benchmark".into(), setup, s.test, models, concurrency);
    std::fs::write(out, config.to_json().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    Ok(())
}
