//! The example tasks shipped in `static/examples/`: data, a seed program and a metric each.

use gepa_core::{Candidate, MetricSpec, Program};
use serde::{Deserialize, Serialize};

use crate::import::{Format, ParseOptions, Table, parse};
use crate::roles::{Role, guess_roles};

/// One example task, as stored in `static/examples/<id>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExampleTask {
    /// Stable identifier (also the file name).
    pub id: String,
    /// Title shown in the gallery.
    pub title: String,
    /// One or two sentences: what the task is and why a better prompt helps.
    pub description: String,
    /// The data, in `format`.
    pub data: String,
    /// The data's format.
    pub format: Format,
    /// The seed system instruction (the component GEPA evolves).
    pub system: String,
    /// The user message template, with `{{field}}` placeholders.
    pub user_template: String,
    /// How outputs are scored.
    pub metric: MetricSpec,
}

impl ExampleTask {
    /// Parses the task's data.
    ///
    /// # Errors
    /// When the shipped data does not parse (a bug in the task file).
    pub fn table(&self) -> Result<Table, String> {
        parse(&self.data, &ParseOptions { format: Some(self.format), ..ParseOptions::default() })
            .map_err(|e| e.to_string())
    }

    /// Guessed column roles for the task's data.
    ///
    /// # Errors
    /// As [`ExampleTask::table`].
    pub fn roles(&self) -> Result<Vec<Role>, String> {
        Ok(guess_roles(&self.table()?.columns))
    }

    /// The seed candidate: one component, `system`.
    #[must_use]
    pub fn seed(&self) -> Candidate {
        Candidate::new([("system", self.system.as_str())])
    }

    /// The program: the system component plus the user template.
    #[must_use]
    pub fn program(&self) -> Program {
        Program::single_prompt("system", &self.user_template)
    }
}
