//! View-model state: plain types with the logic, reachable by native tests.

pub mod budget;
pub mod dataset_draft;
pub mod endpoint_form;
pub mod event_log;
pub mod metric_form;
pub mod run_view;
pub mod setup;
pub mod shortcuts;
pub mod test_eval;
