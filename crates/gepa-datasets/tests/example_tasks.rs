//! Every example task shipped in `static/examples/` loads, splits, builds a valid run, and its
//! expected answers score 1.0 on its own metric (so a perfect prompt can reach a perfect score).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gepa_core::config::StopConditions;
use gepa_core::metric::MetricStep;
use gepa_core::{Engine, RunConfig, RunSetup};
use gepa_datasets::example_task::ExampleTask;
use gepa_datasets::{Role, SplitPlan, split};

fn tasks() -> Vec<ExampleTask> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../static/examples");
    let index: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    index
        .iter()
        .map(|id| {
            let text = std::fs::read_to_string(dir.join(format!("{id}.json"))).unwrap();
            let task: ExampleTask =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(&task.id, id);
            task
        })
        .collect()
}

#[test]
fn there_are_four_to_six_tasks_of_twenty_to_sixty_rows() {
    let tasks = tasks();
    assert!((4..=6).contains(&tasks.len()));
    for task in &tasks {
        let rows = task.table().unwrap().rows.len();
        assert!((20..=60).contains(&rows), "{}: {rows} rows", task.id);
        assert!(task.table().unwrap().problems.is_empty(), "{}", task.id);
    }
}

#[test]
fn every_task_builds_a_valid_run_with_the_default_split() {
    for task in tasks() {
        let table = task.table().unwrap();
        let roles = task.roles().unwrap();
        assert!(roles.contains(&Role::Expected), "{}: no expected column guessed", task.id);
        let plan = SplitPlan::default_for(table.rows.len());
        let result = split(&table, &roles, &plan).unwrap();
        assert!(result.data.val.len() >= 5, "{}: validation set too small", task.id);
        assert!(!result.test.is_empty(), "{}: no held-out test set", task.id);
        let setup = RunSetup {
            config: RunConfig {
                stop: StopConditions { max_rollouts: Some(200), ..StopConditions::default() },
                ..RunConfig::default()
            },
            program: task.program(),
            seed: task.seed(),
            data: result.data,
            metric: task.metric.clone(),
        };
        Engine::new(setup).unwrap_or_else(|e| panic!("{}: {e}", task.id));
        for placeholder in gepa_core::template::placeholders(&task.user_template) {
            assert!(
                table.columns.contains(&placeholder),
                "{}: template uses {{{{{placeholder}}}}}, not a column",
                task.id
            );
        }
    }
}

#[test]
fn expected_answers_score_perfectly_on_their_own_metric() {
    for task in tasks() {
        let table = task.table().unwrap();
        let roles = task.roles().unwrap();
        let all =
            split(&table, &roles, &SplitPlan { train: table.rows.len(), val: 0, test: 0, seed: 0 })
                .unwrap();
        for example in &all.data.train {
            let MetricStep::Done(score) = task.metric.begin(&example.expected, example) else {
                panic!("{}: example metrics must be deterministic", task.id)
            };
            assert_eq!(
                score.score, 1.0,
                "{}: {:?} scored {} ({})",
                task.id, example.inputs, score.score, score.feedback
            );
        }
    }
}
