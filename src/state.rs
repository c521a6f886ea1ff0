//! View-model state: plain types with the logic, reachable by native tests.

pub mod budget;
pub mod chart;
pub mod dataset_draft;
pub mod endpoint_form;
pub mod engine_mirror;
pub mod event_log;
pub mod example_tasks;
pub mod heatmap;
pub mod history;
pub mod imported;
pub mod metric_try;
pub mod problems;
pub mod quick_start;
pub use gepa_share::metric_form;
pub mod run_view;
pub mod saved_setup;
pub mod setup;
pub mod share;
pub mod shortcuts;
pub mod test_eval;
pub mod text_diff;
pub mod tree_layout;
pub mod tree_model;
pub mod viewport;
pub mod workspace;
