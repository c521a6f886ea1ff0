//! Presentational components, one per file.

pub mod copy_button;
pub mod data_preview;
pub mod dataset_panel;
pub mod diagnosis_view;
pub mod endpoint_settings;
pub mod endpoints_panel;
pub mod event_log_view;
pub mod example_gallery;
pub mod metric_picker;
pub mod program_editor;
pub mod region_panel;
pub mod result_panel;
pub mod run_controls;
pub mod run_header;
pub mod site_header;
pub mod strategy_panel;
