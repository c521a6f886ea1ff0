//! The example tasks of the gallery, built into the page: the first screen shows them at once,
//! with no request after the page has loaded (six fetches in a row used to hold the gallery back
//! by a third of a second). The files stay in `static/examples/`, where the CLI, the benchmarks
//! and the tests read them.

use gepa_datasets::example_task::ExampleTask;

/// The tasks in gallery order (the order of `static/examples/index.json`).
const TASKS: [(&str, &str); 5] = [
    ("support-triage", include_str!("../../static/examples/support-triage.json")),
    ("word-problems", include_str!("../../static/examples/word-problems.json")),
    ("contact-extraction", include_str!("../../static/examples/contact-extraction.json")),
    ("date-normalization", include_str!("../../static/examples/date-normalization.json")),
    ("warehouse-bins", include_str!("../../static/examples/warehouse-bins.json")),
];

/// Every example task, in gallery order.
///
/// # Errors
/// When a task file does not describe a task (a build with a broken file; tested).
pub fn all() -> Result<Vec<ExampleTask>, String> {
    TASKS
        .iter()
        .map(|(id, text)| {
            serde_json::from_str(text).map_err(|e| format!("examples/{id}.json: {e}"))
        })
        .collect()
}

/// One example task by id.
#[must_use]
pub fn get(id: &str) -> Option<ExampleTask> {
    all().ok()?.into_iter().find(|t| t.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_listed_in_the_index_is_built_in_in_its_order() {
        let index: Vec<String> =
            serde_json::from_str(include_str!("../../static/examples/index.json")).unwrap();
        let built_in: Vec<&str> = TASKS.iter().map(|(id, _)| *id).collect();
        assert_eq!(built_in, index);
        let tasks = all().unwrap();
        assert_eq!(tasks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), index);
        assert!(get("warehouse-bins").is_some_and(|t| !t.data.is_empty()));
    }
}
