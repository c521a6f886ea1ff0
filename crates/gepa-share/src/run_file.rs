//! Run files: a whole run as one versioned JSON document — the engine state, the events the
//! views are rebuilt from, the held-out test set and the model settings by role (preset, model
//! name, parameters; never a base URL or a key). The browser exports and autosaves them; the CLI
//! reads and writes the same format.

use gepa_core::{Engine, Event, Example, RunSetup};
use gepa_providers::{ModelParams, Preset};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format name in every run file.
pub const FORMAT: &str = "gepa-playground-run";
/// The version this build writes.
pub const VERSION: u32 = 1;
/// Largest run file accepted (bytes).
pub const MAX_BYTES: usize = 200 * 1024 * 1024;

/// One role's model settings, without anything secret or machine-specific.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSettings {
    /// The provider preset.
    pub preset: Preset,
    /// The model name.
    pub model: String,
    /// Sampling parameters.
    #[serde(default)]
    pub params: ModelParams,
}

impl ModelSettings {
    /// The settings of an endpoint, leaving out its base URL and key.
    #[must_use]
    pub fn of(config: &gepa_providers::EndpointConfig) -> ModelSettings {
        ModelSettings {
            preset: config.preset,
            model: config.model.clone(),
            params: config.params.clone(),
        }
    }

    /// Puts this role's model and sampling parameters on `config` (its address, key and
    /// timeout stay), when `config` is for the same kind of provider; returns whether it did.
    pub fn apply_to(&self, config: &mut gepa_providers::EndpointConfig) -> bool {
        if config.preset != self.preset {
            return false;
        }
        config.model.clone_from(&self.model);
        config.params = self.params.clone();
        true
    }
}

/// The models of a run by role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Models {
    /// Task model.
    pub task: ModelSettings,
    /// Reflection model.
    pub reflection: ModelSettings,
    /// Judge model, when separate.
    #[serde(default)]
    pub judge: Option<ModelSettings>,
}

impl Models {
    /// The model settings of a run's endpoints (no URLs, no keys).
    #[must_use]
    pub fn of(endpoints: &gepa_providers::Endpoints) -> Models {
        Models {
            task: ModelSettings::of(&endpoints.task),
            reflection: ModelSettings::of(&endpoints.reflection),
            judge: endpoints.judge.as_ref().map(ModelSettings::of),
        }
    }

    /// Puts these models and parameters on `endpoints` (addresses and keys stay), so a resumed
    /// run asks what it asked before whatever the form holds now; returns the roles whose
    /// provider differs and keep the endpoint's own settings.
    pub fn apply_to(&self, endpoints: &mut gepa_providers::Endpoints) -> Vec<&'static str> {
        let mut kept = Vec::new();
        if !self.task.apply_to(&mut endpoints.task) {
            kept.push("task");
        }
        if !self.reflection.apply_to(&mut endpoints.reflection) {
            kept.push("reflection");
        }
        if let (Some(judge), Some(config)) = (&self.judge, endpoints.judge.as_mut())
            && !judge.apply_to(config)
        {
            kept.push("judge");
        }
        kept
    }
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version.
    pub version: u32,
    /// A title for lists of saved runs.
    pub title: String,
    /// When it was written, in ms since the epoch (supplied by the caller).
    pub saved_at_ms: u64,
    /// The engine state (`Engine::save`, itself versioned).
    pub engine: Value,
    /// Every event so far, oldest first.
    pub events: Vec<Event>,
    /// The held-out test examples.
    #[serde(default)]
    pub test: Vec<Example>,
    /// Model settings by role.
    pub models: Models,
    /// Concurrent calls per endpoint.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
}

/// Concurrent calls per endpoint when a file does not say (the playground's default).
pub(crate) fn default_concurrency() -> usize {
    4
}

/// Why a run file cannot be opened, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunFileError {
    /// Not JSON, or not a run file.
    NotARunFile(String),
    /// Written by a newer version.
    TooNew(u32),
    /// Too big.
    TooLarge(usize),
    /// The engine state inside does not restore.
    BadState(String),
}

impl std::fmt::Display for RunFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunFileError::NotARunFile(e) => {
                write!(f, "This is not a GEPA Playground run file ({e}).")
            }
            RunFileError::TooNew(v) => write!(
                f,
                "This run file is format version {v}, newer than this build understands ({VERSION}); update GEPA Playground to open it."
            ),
            RunFileError::TooLarge(n) => write!(
                f,
                "The file is {} MB, more than the {} MB a run file may be.",
                n / (1024 * 1024),
                MAX_BYTES / (1024 * 1024)
            ),
            RunFileError::BadState(e) => {
                write!(f, "The run inside the file cannot be restored: {e}.")
            }
        }
    }
}

impl std::error::Error for RunFileError {}

impl RunFile {
    /// Captures `engine` with the events so far.
    ///
    /// # Errors
    /// When the engine state does not serialise.
    pub fn capture(
        engine: &Engine,
        events: Vec<Event>,
        test: Vec<Example>,
        models: Models,
        concurrency: usize,
        title: String,
        saved_at_ms: u64,
    ) -> Result<RunFile, RunFileError> {
        let state = engine.save().map_err(|e| RunFileError::BadState(e.to_string()))?;
        RunFile::from_state(&state, events, test, models, concurrency, title, saved_at_ms)
    }

    /// A run file from an engine's saved state (`Engine::save`) and the events up to it: what
    /// the page writes, whose engine runs in a worker.
    ///
    /// # Errors
    /// When `state` is not JSON.
    pub fn from_state(
        state: &str,
        events: Vec<Event>,
        test: Vec<Example>,
        models: Models,
        concurrency: usize,
        title: String,
        saved_at_ms: u64,
    ) -> Result<RunFile, RunFileError> {
        let engine =
            serde_json::from_str(state).map_err(|e| RunFileError::BadState(e.to_string()))?;
        Ok(RunFile {
            format: FORMAT.into(),
            version: VERSION,
            title,
            saved_at_ms,
            engine,
            events,
            test,
            models,
            concurrency,
        })
    }

    /// The file's text.
    ///
    /// # Errors
    /// Never in practice (all fields serialise); kept for callers that write files.
    pub fn to_json(&self) -> Result<String, RunFileError> {
        serde_json::to_string(self).map_err(|e| RunFileError::NotARunFile(e.to_string()))
    }

    /// Reads a run file, migrating older versions.
    ///
    /// # Errors
    /// When the text is not a run file, is too new or too large.
    pub fn parse(text: &str) -> Result<RunFile, RunFileError> {
        if text.len() > MAX_BYTES {
            return Err(RunFileError::TooLarge(text.len()));
        }
        #[derive(Deserialize)]
        struct Probe {
            format: Option<String>,
            version: Option<u64>,
        }
        let probe: Probe = serde_json::from_str(text)
            .map_err(|e| RunFileError::NotARunFile(format!("not a JSON object: {e}")))?;
        if probe.format.as_deref() != Some(FORMAT) {
            return Err(RunFileError::NotARunFile(
                "its \"format\" is not \"gepa-playground-run\"".into(),
            ));
        }
        let version = u32::try_from(probe.version.unwrap_or(0)).unwrap_or(u32::MAX);
        if version > VERSION {
            return Err(RunFileError::TooNew(version));
        }
        let current = migrate(text, version)?;
        serde_json::from_str(&current).map_err(|e| RunFileError::NotARunFile(e.to_string()))
    }

    /// The run's setup, read from its engine state without restoring the engine.
    ///
    /// # Errors
    /// When the state holds no readable setup.
    pub fn setup(&self) -> Result<RunSetup, RunFileError> {
        let setup = self.engine.get("engine").and_then(|e| e.get("setup")).cloned();
        let setup =
            setup.ok_or_else(|| RunFileError::BadState("the run state has no setup".into()))?;
        serde_json::from_value(setup).map_err(|e| RunFileError::BadState(format!("its setup: {e}")))
    }

    /// The engine state as text (what `Engine::restore` reads).
    #[must_use]
    pub fn state_text(&self) -> String {
        self.engine.to_string()
    }

    /// Restores the engine.
    ///
    /// # Errors
    /// When the state is damaged or from an unknown engine version.
    pub fn restore(&self) -> Result<Engine, RunFileError> {
        Engine::restore(&self.engine.to_string()).map_err(|e| RunFileError::BadState(e.to_string()))
    }
}

/// Brings a file's text from `version` up to [`VERSION`]. Version 1 is the first released
/// format, so there is nothing to migrate yet; each future version adds one step here (on the
/// parsed JSON) and a fixture under `tests/fixtures/`, which the tests open with every later build.
fn migrate(text: &str, version: u32) -> Result<std::borrow::Cow<'_, str>, RunFileError> {
    match version {
        VERSION => Ok(std::borrow::Cow::Borrowed(text)),
        other => Err(RunFileError::NotARunFile(format!(
            "it has no known format version (found {other})"
        ))),
    }
}
