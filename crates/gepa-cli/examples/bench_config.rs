//! Writes the run configuration of the orchestration benchmark (`bench/orchestration.sh`):
//! the support-triage example with a fixed split and budget, at a given concurrency and number
//! of parallel proposals.
//!
//! Usage: bench_config OUT.json BUDGET CONCURRENCY PROPOSALS [SEED TASK_MAX_TOKENS REFLECTION_MAX_TOKENS]
#![allow(clippy::print_stderr)]

use gepa_core::config::StopConditions;
use gepa_core::{RunConfig, RunSetup};
use gepa_datasets::example_task::ExampleTask;
use gepa_datasets::{SplitPlan, split};
use gepa_providers::{ModelParams, Preset};
use gepa_share::run_config::RunConfigFile;
use gepa_share::run_file::{ModelSettings, Models};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, budget, concurrency, proposals, rest) = match args.as_slice() {
        [o, b, c, p, rest @ ..] if rest.is_empty() || rest.len() == 3 => (o, b, c, p, rest),
        _ => return Err("usage: bench_config OUT.json BUDGET CONCURRENCY PROPOSALS [SEED TASK_MAX_TOKENS REFLECTION_MAX_TOKENS]".into()),
    };
    let number = |s: &str| s.parse::<u64>().map_err(|e| format!("{s}: {e}"));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../static/examples/support-triage.json");
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let task: ExampleTask = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let table = task.table()?;
    let s = split(&table, &task.roles()?, &SplitPlan { train: 14, val: 14, test: 8, seed: 1 })?;
    let setup = RunSetup {
        config: RunConfig {
            stop: StopConditions {
                max_rollouts: Some(number(budget)?),
                ..StopConditions::default()
            },
            proposals_per_iteration: usize::try_from(number(proposals)?)
                .map_err(|e| e.to_string())?,
            skip_perfect_score: false,
            seed: rest.first().map_or(Ok(0), |s| number(s))?,
            ..RunConfig::default()
        },
        program: task.program(),
        seed: task.seed(),
        data: s.data,
        metric: task.metric.clone(),
    };
    let settings = ModelSettings {
        preset: Preset::LlamaCpp,
        model: "bench".into(),
        params: ModelParams::default(),
    };
    let models = Models { task: settings.clone(), reflection: settings, judge: None };
    let concurrency = usize::try_from(number(concurrency)?).map_err(|e| e.to_string())?;
    let config =
        RunConfigFile::new("orchestration benchmark".into(), setup, s.test, models, concurrency);
    std::fs::write(out, config.to_json().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    Ok(())
}
