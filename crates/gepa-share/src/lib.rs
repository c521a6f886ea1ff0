//! `gepa-share`: what leaves the optimiser as data — prompt share links and run files.
//!
//! Both are allow-listed, versioned formats built from plain values: nothing here can hold an API
//! key or an endpoint URL, because the types that would carry them are never part of a payload.
//! Decoding treats its input as hostile: bounded decompression, size limits on every field, and
//! a clear message for each way a link or file can be broken.
//!
//! It also reads results written by Python gepa (`gepa_result`), so the page can show them.
//!
//! It also holds the metric's names and options as people type them (`metric_form`), so the
//! page's picker and the CLI's `--metric` flags mean the same.

pub mod gepa_result;
pub mod link;
pub mod metric_form;
pub mod opened;
pub mod run_config;
pub mod run_file;

pub use gepa_result::{GepaResult, GepaResultError};
pub use link::{LinkError, SharedData, SharedPrompt, SharedScores};
pub use opened::{OpenedFile, open_file};
pub use run_file::{RunFile, RunFileError};
