//! Presentational components, one per file.

pub mod region_panel;
pub mod site_header;
