//! Presentational components, one per file.

pub mod diagnosis_view;
pub mod endpoint_settings;
pub mod region_panel;
pub mod site_header;
