//! Reflection: the meta-prompt that asks a model to rewrite (or edit) one component, getting the
//! new text out of its reply, and the screening that rejects unusable proposals before any
//! rollout is spent on them, with the correction to send when asking again.

mod edits;
mod extract;
mod prompt;
mod screen;

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

pub use edits::{Edit, apply_edits, parse_edits};
pub use extract::{closes_its_blocks, extract_proposal, salvage_cut_off, unwrap_json_instruction};
pub use prompt::{reflection_messages, revised_since};
pub use screen::{ASKED_AGAIN, ScreenReject, screen_text};

/// One reflective record: what the model saw, what it produced, and the feedback on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReflectiveRecord {
    /// Input fields shown to the task model, in order.
    pub inputs: Vec<(String, String)>,
    /// The task model's output (for chains: each step's output, labelled).
    pub output: String,
    /// The metric's feedback, including the expected answer where it has one.
    pub feedback: String,
    /// The score the metric gave, in [0, 1].
    pub score: f64,
}

/// Renders the records as compact markdown, one `### Example n` section each.
#[must_use]
pub fn render_records(records: &[ReflectiveRecord]) -> String {
    let mut out = String::new();
    for (n, record) in records.iter().enumerate() {
        let _ = writeln!(out, "### Example {}", n + 1);
        out.push_str("Inputs:\n");
        for (name, value) in &record.inputs {
            let _ = writeln!(out, "- {name}: {}", value.trim());
        }
        let _ = writeln!(out, "Assistant's output:\n{}", record.output.trim());
        let _ = writeln!(out, "Score: {}", format_score(record.score));
        let _ = writeln!(out, "Feedback: {}\n", record.feedback.trim());
    }
    out
}

fn format_score(score: f64) -> String {
    let text = format!("{score:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Which meta-prompt asks for the rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReflectionStyle {
    /// Ours: work out what the expected answers have in common across all records, keep what
    /// works, keep placeholders, plain prose, reply with only the new text (the default).
    #[default]
    Rules,
    /// The reference's structure, in our words (spec §5.3): infer the input format, write a
    /// detailed task description, fold in domain facts from the feedback, keep successful
    /// strategies.
    Reference,
}

/// What the reflection model writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReflectionMode {
    /// The complete new text (the reference's way).
    #[default]
    Rewrite,
    /// A few edits to the current text (`ADD:`, `REPLACE:`/`WITH:`, `DELETE:`), applied by the
    /// engine: short replies that are not cut off and keep what earlier iterations learned.
    Edit,
}

#[cfg(test)]
mod tests;
