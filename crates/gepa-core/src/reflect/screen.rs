//! Screening: rejecting an unusable proposal before any rollout is spent on it, and telling the
//! reflection model exactly what was wrong so it can try again.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::ReflectionMode;
use crate::candidate::normalize_whitespace;
use crate::template::placeholders;

/// How a re-ask opens the note it adds to the reflection request.
pub const ASKED_AGAIN: &str = "An earlier reply to this request could not be used.";

/// Why a proposal was rejected before any rollout was spent on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScreenReject {
    /// Nothing usable in the reply.
    Empty,
    /// The reply was cut off by the token limit, and too little of it was complete to keep.
    Truncated,
    /// Same text as the parent (after whitespace normalisation).
    SameAsParent,
    /// Same program as candidate `index` already in the pool.
    DuplicateOf {
        /// Pool index of the existing candidate.
        index: usize,
    },
    /// Same program as a proposal another iteration in flight is testing.
    BeingTested {
        /// That iteration.
        iteration: u64,
    },
    /// Longer than the configured maximum.
    TooLong {
        /// Characters in the proposal.
        chars: usize,
        /// The limit.
        limit: usize,
    },
    /// Does not look like the component it replaces (JSON, an echo of the examples, looping text,
    /// lost placeholders, edits that do not apply…).
    WrongShape {
        /// A short explanation.
        reason: String,
    },
}

impl ScreenReject {
    /// One sentence for the event log.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            ScreenReject::Empty => "the reflection reply held no usable text".into(),
            ScreenReject::Truncated => "the reflection reply was cut off by the token limit".into(),
            ScreenReject::SameAsParent => "the proposal is identical to its parent".into(),
            ScreenReject::DuplicateOf { index } => {
                format!("the proposal duplicates candidate #{index}")
            }
            ScreenReject::BeingTested { iteration } => {
                format!("the proposal is the same as the one iteration {iteration} is testing")
            }
            ScreenReject::TooLong { chars, limit } => {
                format!("the proposal is {chars} characters, over the limit of {limit}")
            }
            ScreenReject::WrongShape { reason } => format!("the proposal {reason}"),
        }
    }

    /// What to tell the reflection model when asking again: what was wrong and what to do
    /// instead, in the terms of the reply format `mode` asked for (a whole text, or edit lines).
    /// `available` lists the placeholders the text may use.
    #[must_use]
    pub fn correction(
        &self,
        component: &str,
        available: &BTreeSet<String>,
        mode: ReflectionMode,
    ) -> String {
        let edit = mode == ReflectionMode::Edit;
        let what = match self {
            ScreenReject::Empty if edit => "Your reply held no edits. Reply with one to three edit lines: ADD: a new rule that fixes a failure shown above.".to_owned(),
            ScreenReject::Empty => format!(
                "Your reply held no text for `{component}`. Write the complete new text, as plain sentences, inside one ``` block."
            ),
            ScreenReject::Truncated if edit => "Your reply was cut off by the length limit. Reply with at most two short edit lines.".to_owned(),
            ScreenReject::Truncated => "Your reply was cut off by the length limit before the text was complete. Write a shorter text: only the rules that matter, each stated once.".to_owned(),
            ScreenReject::SameAsParent if edit => "Your edits changed nothing: the current text already says that. Pick one failing example above, work out why its expected answer is right, and ADD: that rule, in words the current text does not already use.".to_owned(),
            ScreenReject::SameAsParent => "Your text was identical to the current one. Change it so that it fixes the failures shown above.".to_owned(),
            ScreenReject::DuplicateOf { .. } if edit => "Your edits give a version that was already tried. Reply with different edit lines: a rule about another failure shown above.".to_owned(),
            ScreenReject::DuplicateOf { .. } => "Your text is identical to a version that was already tried. Write a different one that fixes the failures shown above.".to_owned(),
            ScreenReject::BeingTested { .. } if edit => "Your edits give a version another iteration in flight tried. Reply with different edit lines: a rule about another failure shown above.".to_owned(),
            ScreenReject::BeingTested { .. } => "Your text is identical to a version another iteration in flight tried. Write a different one that fixes the failures shown above.".to_owned(),
            ScreenReject::TooLong { chars, limit } if edit => format!(
                "Your edits make the text {chars} characters long; the limit is {limit}. Shorten it: REPLACE: long sentences WITH: shorter ones, or DELETE: ones that do not help."
            ),
            ScreenReject::TooLong { chars, limit } => format!(
                "Your text is {chars} characters long; the limit is {limit}. Write a shorter text."
            ),
            ScreenReject::WrongShape { reason } => {
                format!("Your {} {reason}. {}", if edit { "edited text" } else { "text" }, shape_fix(reason, edit))
            }
        };
        let mut text = what;
        if !available.is_empty() {
            let list: Vec<String> = available.iter().map(|p| format!("{{{{{p}}}}}")).collect();
            text.push_str(&format!(" These placeholders exist: {}.", list.join(", ")));
        }
        text
    }
}

fn shape_fix(reason: &str, edit: bool) -> &'static str {
    if reason.contains("edits") || reason.contains("changes nothing") {
        "Reply with edit lines only: ADD: …, REPLACE: … then WITH: …, or DELETE: …, quoting sentences of the current text exactly."
    } else if edit && reason.contains("JSON") {
        "Write edit lines in plain text, not JSON: ADD: a sentence addressed to the assistant."
    } else if edit && (reason.contains("echoes") || reason.contains("copies")) {
        "ADD: the general rule the examples show, in one sentence addressed to the assistant; do not copy the records or your instructions."
    } else if reason.contains("JSON") {
        "Write plain text, not JSON: the instruction itself, as sentences addressed to the assistant, inside one ``` block."
    } else if reason.contains("copies the instructions") {
        "Write the new text for the assistant itself: the rules for this task, not the steps you were asked to follow."
    } else if reason.contains("echoes") {
        "Do not copy the example records; state the general rules they show."
    } else if reason.contains("repeats") || reason.contains("runaway") {
        "State each rule once and keep the text short."
    } else if reason.contains("placeholder") {
        "Use only the placeholders listed below, exactly as written, and keep the ones the current text has."
    } else if edit {
        "Reply with one to three edit lines: ADD: …, REPLACE: … then WITH: …, or DELETE: …."
    } else {
        "Write the complete new text inside one ``` block."
    }
}

/// Checks a proposed text against the text it replaces. `available` names every placeholder the
/// text may use (the example's input fields and earlier steps' outputs). Pool duplicates are
/// checked by the engine, which knows the pool.
///
/// # Errors
/// The reason the proposal is unusable.
pub fn screen_text(
    parent_text: &str,
    proposal: &str,
    max_chars: Option<usize>,
    available: &BTreeSet<String>,
) -> Result<(), ScreenReject> {
    if proposal.trim().is_empty() {
        return Err(ScreenReject::Empty);
    }
    if normalize_whitespace(parent_text) == normalize_whitespace(proposal) {
        return Err(ScreenReject::SameAsParent);
    }
    let chars = proposal.chars().count();
    if let Some(limit) = max_chars.filter(|limit| chars > *limit) {
        return Err(ScreenReject::TooLong { chars, limit });
    }
    if let Some(reason) = shape_problem(parent_text, proposal, available) {
        return Err(ScreenReject::WrongShape { reason });
    }
    Ok(())
}

fn shape_problem(parent: &str, proposal: &str, available: &BTreeSet<String>) -> Option<String> {
    let looks_json = |t: &str| {
        let t = t.trim_start();
        (t.starts_with('{') || t.starts_with('['))
            && serde_json::from_str::<serde_json::Value>(t.trim()).is_ok()
    };
    if looks_json(proposal) && !looks_json(parent) {
        return Some("is a JSON value, not instruction text".into());
    }
    if echoes_the_records(proposal) {
        return Some("echoes the example records instead of stating rules".into());
    }
    if copies_the_instructions(proposal) {
        return Some(
            "copies the instructions you were given instead of being the new text for the assistant"
                .into(),
        );
    }
    let parent_chars = parent.chars().count();
    let chars = proposal.chars().count();
    if chars > (parent_chars * 8).max(parent_chars + 6000) {
        return Some(format!(
            "is runaway text ({chars} characters from a {parent_chars}-character parent)"
        ));
    }
    if let Some(line) = repeated_line(proposal) {
        return Some(format!("repeats the line \"{line}\" over and over"));
    }
    let before: BTreeSet<String> = placeholders(parent).collect();
    let after: BTreeSet<String> = placeholders(proposal).collect();
    if let Some(lost) = before.difference(&after).next() {
        return Some(format!("drops the placeholder {{{{{lost}}}}}"));
    }
    if let Some(added) = after.iter().find(|p| !before.contains(*p) && !available.contains(*p)) {
        return Some(format!("uses {{{{{added}}}}}, which is not a placeholder"));
    }
    None
}

/// The reflection prompt's own record scaffold copied into the text, in any syntax
/// (`Assistant's output:`, or the records' score and feedback fields, as `Feedback:` or
/// `feedback = …`). Few-shot demonstrations written as the instruction's own examples (`Input:` /
/// `Answer:`) are not echoes.
fn echoes_the_records(proposal: &str) -> bool {
    let field = |line: &str, name: &str| {
        let line = line.trim_start_matches(|c: char| !c.is_alphabetic()).to_lowercase();
        line.strip_prefix(name).is_some_and(|rest| {
            let rest = rest.trim_start();
            rest.starts_with(':') || rest.starts_with('=')
        })
    };
    let fields = proposal
        .lines()
        .filter(|l| {
            ["feedback", "score", "assistant_output", "assistant's output"]
                .iter()
                .any(|n| field(l, n))
        })
        .count();
    proposal.contains("Assistant's output:") || fields >= 3
}

/// Phrases of our own meta-prompts, of the edit format's line descriptions and of the notes a
/// re-ask adds: a proposal holding one copied the instructions instead of following them (all
/// seen with Qwen2.5-Coder-0.5B).
pub(super) const INSTRUCTION_PHRASES: [&str; 13] = [
    "work out what the correct answers have in common",
    "keep every part of the current text",
    "add the facts from the feedback",
    "say this plainly in the new text",
    "reply with only the complete new text",
    "improve the text with one to three edits",
    "the text must work on new inputs",
    "a sentence to add to the text",
    "a sentence of the current text",
    "the sentence that replaces it",
    "an earlier reply to this request could not be used",
    "versions of the text were tried alongside this one",
    "these placeholders exist:",
];

fn copies_the_instructions(proposal: &str) -> bool {
    let lower = proposal.to_lowercase();
    INSTRUCTION_PHRASES.iter().any(|p| lower.contains(p))
}

/// A line repeated like a generation loop: a long line (30+ characters, trailing punctuation
/// ignored) three times anywhere, or any line of 8+ characters five times in a row. A short line
/// that recurs between others (a label in each of several demonstrations) is not a loop.
fn repeated_line(text: &str) -> Option<String> {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut run: (Option<&str>, usize) = (None, 0);
    // List markers ("9.", "-", "*") are not part of a line's content.
    let lines = text
        .lines()
        .map(|l| {
            l.trim()
                .trim_start_matches(|c: char| {
                    c.is_ascii_digit() || matches!(c, '.' | ')' | '-' | '*' | '•')
                })
                .trim()
                .trim_end_matches(['.', '!', ',', ';', ':'])
        })
        .filter(|l| !l.is_empty());
    for line in lines {
        run = if run.0 == Some(line) { (run.0, run.1 + 1) } else { (Some(line), 1) };
        if line.len() >= 8 && run.1 >= 5 {
            return Some(line.chars().take(60).collect());
        }
        if line.len() >= 30 {
            let n = counts.entry(line).or_default();
            *n += 1;
            if *n >= 3 {
                return Some(line.chars().take(60).collect());
            }
        }
    }
    None
}
