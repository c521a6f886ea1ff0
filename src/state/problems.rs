//! Where each setup problem is fixed: the form field it belongs to, so the checklist can link
//! to it and the field can show it.

/// The element id of the field where `problem` (one of `SetupParts::plan`'s messages, "Area:
/// what is wrong") is fixed, or `None` when no one field is.
#[must_use]
pub fn field_of(problem: &str) -> Option<String> {
    let (area, what) = problem.split_once(": ")?;
    let what = what.to_lowercase();
    let endpoint = match area {
        "Task model" => Some("task"),
        "Reflection model" => Some("reflection"),
        "Judge model" => Some("judge"),
        _ => None,
    };
    if let Some(endpoint) = endpoint {
        let field = [
            ("url", "base-url"),
            ("max tokens", "max-tokens"),
            ("temperature", "temperature"),
            ("top_p", "top-p"),
            ("timeout", "timeout"),
            ("extra parameters", "extra"),
            ("seed", "seed"),
            ("key", "key"),
            ("model", "model"),
        ]
        .into_iter()
        .find(|(word, _)| what.contains(word))
        .map_or("endpoint", |(_, field)| field);
        return Some(format!("{endpoint}-{field}"));
    }
    let field = match area {
        "Dataset" if what.contains("training") || what.contains("split") => "split-train",
        "Dataset" => "data-text",
        "Program" if what.contains("seed instruction") => "seed-instruction",
        "Program" => "user-template",
        "Metric" => "metric-kind",
        "Budget and strategy" if what.contains("options json") => "opt-json",
        "Budget and strategy" if what.contains("price") => "opt-prices",
        "Budget and strategy" if what.contains("concurrency") => "opt-concurrency",
        "Budget and strategy" if what.contains("retrying") => "opt-patience",
        "Budget and strategy" => "budget",
        _ => return None,
    };
    Some(field.to_owned())
}

/// The endpoint forms, each a group of fields (`task-base-url`, `task-model`, …).
pub const ENDPOINT_GROUPS: [&str; 3] = ["task", "reflection", "judge"];

/// True when `field` (an element id) or, for an endpoint group like `task`, one of its fields
/// (`task-…`) is where `problem` is fixed.
#[must_use]
pub fn belongs_to(problem: &str, field: &str) -> bool {
    field_of(problem).is_some_and(|f| {
        f == field
            || (ENDPOINT_GROUPS.contains(&field)
                && f.strip_prefix(field).is_some_and(|rest| rest.starts_with('-')))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::endpoint_form::EndpointForm;
    use crate::state::setup::{ProgramDraft, SetupParts, StrategyDraft};

    #[test]
    fn each_kind_of_problem_points_at_its_field() {
        let cases = [
            ("Task model: give the base URL of the server", Some("task-base-url")),
            (
                "Reflection model: max tokens must be a number, got \"x\"",
                Some("reflection-max-tokens"),
            ),
            ("Task model: give a model name", Some("task-model")),
            ("Program: write a seed instruction for GEPA to improve", Some("seed-instruction")),
            (
                "Program: {{txt}} (did you mean {{text}}?) is not an input column",
                Some("user-template"),
            ),
            ("Dataset: Line 2: a quote opened on this line is not closed", Some("data-text")),
            ("Metric: give a regular expression", Some("metric-kind")),
            ("Budget and strategy: the options JSON is not valid: x", Some("opt-json")),
            ("Budget and strategy: a budget of 3 rollouts does not cover", Some("budget")),
            ("Setup: something the engine refused", None),
            ("no area at all", None),
        ];
        for (problem, want) in cases {
            assert_eq!(field_of(problem).as_deref(), want, "{problem}");
        }
    }

    #[test]
    fn a_group_holds_its_fields_and_not_its_namesakes() {
        assert!(belongs_to("Task model: give a model name", "task"));
        assert!(belongs_to("Task model: give a model name", "task-model"));
        assert!(!belongs_to("Task model: give a model name", "task-base-url"));
        assert!(!belongs_to("Program: write a seed instruction", "seed"));
    }

    #[test]
    fn the_plan_s_own_problems_all_have_a_field() {
        // A form with a bad placeholder, no data and a broken options JSON: every problem the
        // checklist lists can be linked to the field that fixes it.
        let dataset = crate::state::dataset_draft::DatasetDraft::default();
        let program = ProgramDraft { system: String::new(), user_template: "{{txt}}".into() };
        let metric = crate::state::metric_form::MetricForm::default();
        let strategy = StrategyDraft { json: Some("{".into()), ..StrategyDraft::default() };
        let task = EndpointForm::default();
        let parts = SetupParts {
            dataset: &dataset,
            program: &program,
            metric: &metric,
            strategy: &strategy,
            task: &task,
            reflection: None,
            judge: None,
        };
        let problems = parts.plan().expect_err("not runnable");
        assert!(problems.len() >= 3, "{problems:?}");
        for problem in &problems {
            assert!(field_of(problem).is_some(), "no field for {problem}");
        }
    }
}
