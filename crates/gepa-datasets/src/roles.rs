//! What each column is for, guessed from its header and changeable by the user.

use serde::{Deserialize, Serialize};

/// A column's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An input field, usable as `{{name}}` in templates.
    Input,
    /// The expected answer the metric compares against.
    Expected,
    /// Per-row feedback, rubric or notes, passed to the metric and to reflection.
    Notes,
    /// Not used.
    Ignore,
}

const EXPECTED: [&str; 12] = [
    "answer",
    "expected",
    "label",
    "output",
    "target",
    "gold",
    "solution",
    "ground_truth",
    "reference",
    "correct",
    "y",
    "class",
];
const NOTES: [&str; 8] =
    ["feedback", "rubric", "notes", "note", "explanation", "rationale", "comment", "hint"];
const IGNORE: [&str; 4] = ["id", "index", "idx", "uuid"];

fn normalise(name: &str) -> String {
    name.trim().to_lowercase().replace([' ', '-'], "_")
}

/// Guesses roles: at most one expected-answer column (by name, else the last column when there
/// are several), notes by name, ids ignored, everything else an input.
#[must_use]
pub fn guess_roles(columns: &[String]) -> Vec<Role> {
    let names: Vec<String> = columns.iter().map(|c| normalise(c)).collect();
    let mut roles: Vec<Role> = names
        .iter()
        .map(|n| {
            if NOTES.contains(&n.as_str()) {
                Role::Notes
            } else if IGNORE.contains(&n.as_str()) {
                Role::Ignore
            } else {
                Role::Input
            }
        })
        .collect();
    let by_name = EXPECTED.iter().find_map(|wanted| {
        names.iter().position(|n| n == wanted || n.starts_with(&format!("{wanted}_")))
    });
    let expected = by_name.or_else(|| {
        let inputs: Vec<usize> = (0..roles.len()).filter(|i| roles[*i] == Role::Input).collect();
        (inputs.len() >= 2).then(|| inputs[inputs.len() - 1])
    });
    if let Some(i) = expected {
        roles[i] = Role::Expected;
    }
    roles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guess(cols: &[&str]) -> Vec<Role> {
        guess_roles(&cols.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn common_headers() {
        assert_eq!(guess(&["question", "answer"]), [Role::Input, Role::Expected]);
        assert_eq!(
            guess(&["id", "text", "Label", "notes"]),
            [Role::Ignore, Role::Input, Role::Expected, Role::Notes]
        );
        assert_eq!(
            guess(&["context", "question", "Expected Output"]),
            [Role::Input, Role::Input, Role::Expected]
        );
        assert_eq!(
            guess(&["review", "sentiment"]),
            [Role::Input, Role::Expected],
            "last column by default"
        );
        assert_eq!(guess(&["input"]), [Role::Input]);
        assert_eq!(
            guess(&["answer", "label"]),
            [Role::Expected, Role::Input],
            "only one expected column"
        );
    }
}
