//! Writes a run configuration for the simulated world of `../shared/tools/sim_world_server.py`
//! (used by `bench/faults.sh` and the speed benchmarks): examples `item-<i>` whose answer is
//! `ans-<i>`, 20 train and 20 validation items, minibatch 3, exact match, seed prompt "Answer the
//! question.", user message `{{input}}`, reflection's default settings.
//!
//! Usage: sim_world_config OUT.json BUDGET CONCURRENCY [SEED] [STOP_AT_SCORE]
//! (with STOP_AT_SCORE, the run also stops once the best validation score reaches it)
#![allow(clippy::print_stderr)]

use gepa_core::config::StopConditions;
use gepa_core::{Candidate, Dataset, Example, MetricSpec, Program, RunConfig, RunSetup};
use gepa_providers::Preset;
use gepa_share::run_config::RunConfigFile;
use gepa_share::run_file::{ModelSettings, Models};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, budget, concurrency, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: sim_world_config OUT.json BUDGET CONCURRENCY [SEED] [STOP_AT_SCORE]".into()
        );
    };
    let number = |s: &str| s.parse::<u64>().map_err(|e| format!("{s}: {e}"));
    let item = |i: usize| Example::new([("input", format!("item-{i}"))], format!("ans-{i}"));
    let setup = RunSetup {
        config: RunConfig {
            seed: rest.first().map_or(Ok(0), |s| number(s))?,
            minibatch_size: 3,
            stop: StopConditions {
                max_rollouts: Some(number(budget)?),
                score_threshold: match rest.get(1) {
                    Some(s) => Some(s.parse::<f64>().map_err(|e| format!("{s}: {e}"))?),
                    None => None,
                },
                ..StopConditions::default()
            },
            ..RunConfig::default()
        },
        program: Program::single_prompt("system", "{{input}}"),
        seed: Candidate::new([("system", "Answer the question.")]),
        data: Dataset { train: (0..20).map(item).collect(), val: (20..40).map(item).collect() },
        metric: MetricSpec::ExactMatch { case_sensitive: true },
    };
    let settings =
        ModelSettings { preset: Preset::LlamaCpp, model: "sim".into(), params: Default::default() };
    let models = Models { task: settings.clone(), reflection: settings, judge: None };
    let concurrency = usize::try_from(number(concurrency)?).map_err(|e| e.to_string())?;
    let file = RunConfigFile::new("simulated world".into(), setup, Vec::new(), models, concurrency);
    std::fs::write(out, file.to_json().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}
