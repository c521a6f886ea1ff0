//! Run configurations: everything needed to start a run (the engine setup, the held-out test set,
//! model settings by role, concurrency) as a versioned JSON file. The playground exports them;
//! `gepa run` reads them. Endpoints (URLs, keys) come from flags or the environment, never from
//! the file.

use gepa_core::{Example, RunSetup};
use serde::{Deserialize, Serialize};

use crate::run_file::{Models, RunFileError};

/// The format name of a run configuration.
pub const FORMAT: &str = "gepa-playground-config";
/// The version this build writes.
pub const VERSION: u32 = 1;

/// A run configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfigFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version.
    pub version: u32,
    /// A title.
    #[serde(default)]
    pub title: String,
    /// The engine setup.
    pub setup: RunSetup,
    /// The held-out test examples.
    #[serde(default)]
    pub test: Vec<Example>,
    /// Model settings by role.
    pub models: Models,
    /// Concurrent calls per endpoint.
    #[serde(default = "crate::run_file::default_concurrency")]
    pub concurrency: usize,
}

impl RunConfigFile {
    /// A configuration of the current version.
    #[must_use]
    pub fn new(
        title: String,
        setup: RunSetup,
        test: Vec<Example>,
        models: Models,
        concurrency: usize,
    ) -> RunConfigFile {
        RunConfigFile {
            format: FORMAT.into(),
            version: VERSION,
            title,
            setup,
            test,
            models,
            concurrency,
        }
    }

    /// Reads a configuration.
    ///
    /// # Errors
    /// When the text is not a configuration of a version this build knows.
    pub fn parse(text: &str) -> Result<RunConfigFile, RunFileError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| RunFileError::NotARunFile(format!("not JSON: {e}")))?;
        if value.get("format").and_then(serde_json::Value::as_str) != Some(FORMAT) {
            return Err(RunFileError::NotARunFile("its \"format\" is not \"gepa-playground-config\" (export one from the playground's Run panel)".into()));
        }
        let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
        if version > u64::from(VERSION) {
            return Err(RunFileError::TooNew(u32::try_from(version).unwrap_or(u32::MAX)));
        }
        serde_json::from_str(text).map_err(|e| RunFileError::NotARunFile(e.to_string()))
    }

    /// The file's text.
    ///
    /// # Errors
    /// Never in practice.
    pub fn to_json(&self) -> Result<String, RunFileError> {
        serde_json::to_string_pretty(self).map_err(|e| RunFileError::NotARunFile(e.to_string()))
    }
}
