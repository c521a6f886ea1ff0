//! Presentational components, one per file.

pub mod candidate_compare;
pub mod candidate_inspector;
pub mod candidate_tree;
pub mod copy_button;
pub mod data_preview;
pub mod dataset_panel;
pub mod diagnosis_view;
pub mod diff_view;
pub mod endpoint_settings;
pub mod endpoints_panel;
pub mod event_log_view;
pub mod example_gallery;
pub mod metric_picker;
pub mod program_editor;
pub mod reflection_view;
pub mod region_panel;
pub mod result_panel;
pub mod run_controls;
pub mod run_header;
pub mod score_chart;
pub mod score_heatmap;
pub mod site_header;
pub mod steering_panel;
pub mod strategy_panel;
pub mod tree_bench;
