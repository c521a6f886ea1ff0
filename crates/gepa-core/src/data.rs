//! Examples and the train / validation sets the engine works on.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// One dataset row as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    /// Input fields, usable as `{{name}}` in templates, in column order.
    pub inputs: IndexMap<String, String>,
    /// The expected answer (may be empty for judge-only metrics).
    #[serde(default)]
    pub expected: String,
    /// Optional per-row feedback, rubric or notes, passed to the metric and to reflection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl Example {
    /// An example from `(field, value)` pairs and an expected answer.
    pub fn new<N: Into<String>, V: Into<String>>(
        inputs: impl IntoIterator<Item = (N, V)>,
        expected: impl Into<String>,
    ) -> Self {
        Example {
            inputs: inputs.into_iter().map(|(n, v)| (n.into(), v.into())).collect(),
            expected: expected.into(),
            notes: None,
        }
    }
}

/// Which split an example id belongs to. Ids are positions inside their split, so the split is
/// part of every cache key: train example 3 and validation example 3 never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// The feedback set minibatches come from.
    Train,
    /// The Pareto set accepted candidates are scored on.
    Val,
}

/// The examples of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    /// Source of reflection minibatches.
    pub train: Vec<Example>,
    /// Scores accepted candidates, builds the front, picks the best. When empty, the train set
    /// is used as the validation set (inference-time search), sharing its cache namespace.
    pub val: Vec<Example>,
}

impl Dataset {
    /// True when validation reuses the train set.
    #[must_use]
    pub fn val_is_train(&self) -> bool {
        self.val.is_empty()
    }

    /// The validation examples (the train set when no separate validation set was given).
    #[must_use]
    pub fn val_examples(&self) -> &[Example] {
        if self.val_is_train() { &self.train } else { &self.val }
    }

    /// The cache namespace of validation evaluations.
    #[must_use]
    pub fn val_split(&self) -> Split {
        if self.val_is_train() { Split::Train } else { Split::Val }
    }

    /// One example of a split.
    #[must_use]
    pub fn example(&self, split: Split, id: u32) -> Option<&Example> {
        let list = match split {
            Split::Train => &self.train,
            Split::Val => self.val_examples(),
        };
        list.get(id as usize)
    }

    /// Number of validation examples.
    #[must_use]
    pub fn val_len(&self) -> usize {
        self.val_examples().len()
    }
}
