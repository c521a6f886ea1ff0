//! Reflection: the meta-prompt that asks a model to rewrite one component, the extraction of the
//! new text from its reply, and the screening that rejects unusable proposals before any rollout
//! is spent on them.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::candidate::normalize_whitespace;
use crate::message::ChatMessage;
use crate::template::placeholders;

/// One reflective record: what the model saw, what it produced, and the grader's feedback.
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

const SYSTEM_PROMPT: &str = "You improve the instructions given to a language-model assistant. \
You study where it went wrong, work out the general rules behind the expected answers, and \
write a better instruction. You always reply with the complete new text inside one fenced \
code block (```), and nothing else.";

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
    /// Ours: state general rules that explain the feedback across all records, keep what works,
    /// keep placeholders, reply with only the new text (the default).
    #[default]
    Rules,
    /// The reference's structure, in our words (spec §5.3): infer the input format, write a
    /// detailed task description, fold in domain facts from the feedback, keep successful
    /// strategies.
    Reference,
}

/// Builds the reflection request for rewriting `component` (currently `current_text`).
///
/// `user_note` is optional guidance from the person steering the run; it is shown verbatim.
#[must_use]
pub fn reflection_messages(
    style: ReflectionStyle,
    component: &str,
    current_text: &str,
    records: &[ReflectiveRecord],
    user_note: Option<&str>,
) -> Vec<ChatMessage> {
    match style {
        ReflectionStyle::Rules => rules_messages(component, current_text, records, user_note),
        ReflectionStyle::Reference => reference_messages(current_text, records, user_note),
    }
}

fn reference_messages(
    current_text: &str,
    records: &[ReflectiveRecord],
    user_note: Option<&str>,
) -> Vec<ChatMessage> {
    let mut prompt = format!(
        "An assistant was given these instructions:\n```\n{}\n```\n\nBelow are task inputs it received, \
         its responses, and feedback on how each response could have been better:\n```\n{}```\n\n\
         Write a new instruction for the assistant. Read the inputs closely, work out their format, \
         and describe the task in detail. Study the responses and the feedback: write into the \
         instruction every niche or domain-specific fact they reveal, because the assistant will \
         not see this feedback later, and keep any general approach that worked.\n",
        current_text.trim(),
        render_records(records)
    );
    if let Some(note) = user_note.map(str::trim).filter(|n| !n.is_empty()) {
        let _ = write!(prompt, "\nGuidance from the person running this optimisation:\n{note}\n");
    }
    prompt.push_str("\nGive the new instruction inside ``` blocks.");
    vec![ChatMessage::user(prompt)]
}

fn rules_messages(
    component: &str,
    current_text: &str,
    records: &[ReflectiveRecord],
    user_note: Option<&str>,
) -> Vec<ChatMessage> {
    let mut prompt = String::new();
    let _ = write!(
        prompt,
        "An assistant worked from the text below, called `{component}`:\n\n```\n{}\n```\n\n",
        current_text.trim()
    );
    let _ = write!(
        prompt,
        "Here is how it did on {} example(s): the inputs it saw, what it answered, its score \
         (1 is perfect) and the grader's feedback, which may state the correct answer.\n\n{}",
        records.len(),
        render_records(records)
    );
    prompt.push_str(
        "Write an improved version of the text:\n\
         1. Find the general rules that explain the feedback across ALL the examples: which \
         features of an input lead to which expected answer, and exactly what answer format the \
         grader accepts. State these rules plainly in the new text. Do not copy the examples or \
         their answers; the text must work on new inputs.\n\
         2. Keep every part of the current text that already leads to correct answers.\n\
         3. Add the facts from the feedback that the assistant could not know otherwise.\n\
         4. Keep it clear and concise.\n",
    );
    let kept: BTreeSet<String> = placeholders(current_text).collect();
    if !kept.is_empty() {
        let list: Vec<String> = kept.iter().map(|p| format!("{{{{{p}}}}}")).collect();
        let _ = writeln!(
            prompt,
            "5. Keep these placeholders exactly as written; they are filled in later: {}.",
            list.join(", ")
        );
    }
    if let Some(note) = user_note.map(str::trim).filter(|n| !n.is_empty()) {
        let _ = write!(prompt, "\nGuidance from the person running this optimisation:\n{note}\n");
    }
    let _ = write!(
        prompt,
        "\nReply with only the complete new text of `{component}` inside a single ``` fenced block."
    );
    vec![ChatMessage::system(SYSTEM_PROMPT), ChatMessage::user(prompt)]
}

const FENCE: &str = "```";

/// Extracts the proposed text from a reflection reply (spec §5.4).
///
/// The reply is trimmed; with two or more fences the text between the first and the last one is
/// taken (inner fences are kept) and a leading language tag line is dropped; with one fence at
/// the start or end it is removed; otherwise the trimmed reply is returned as it is. Unlike the
/// reference, a first line is only dropped when it looks like a language tag (or is empty), so a
/// legitimate first line such as `Instructions:` survives.
#[must_use]
pub fn extract_proposal(reply: &str) -> String {
    let trimmed = reply.trim();
    let (Some(open), Some(close)) = (trimmed.find(FENCE), trimmed.rfind(FENCE)) else {
        return trimmed.to_owned();
    };
    let start = open + FENCE.len();
    if start <= close {
        let inner = &trimmed[start..close];
        return drop_tag_line(inner).trim().to_owned();
    }
    if let Some(rest) = trimmed.strip_prefix(FENCE) {
        return drop_tag_line(rest).trim().to_owned();
    }
    if let Some(rest) = trimmed.strip_suffix(FENCE) {
        return rest.trim().to_owned();
    }
    trimmed.to_owned()
}

/// Whether every fenced block in `reply` is closed (an even number, at least two, of fences).
/// A reply cut off by the token limit after its block closed still holds a complete proposal.
#[must_use]
pub fn closes_its_blocks(reply: &str) -> bool {
    let fences = reply.matches(FENCE).count();
    fences >= 2 && fences.is_multiple_of(2)
}

fn drop_tag_line(text: &str) -> &str {
    match text.split_once('\n') {
        Some((first, rest)) if is_tag_line(first) => rest,
        _ => text,
    }
}

fn is_tag_line(line: &str) -> bool {
    let line = line.trim();
    line.len() <= 24
        && line
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '_' | '.' | '#'))
}

/// Why a proposal was rejected before any rollout was spent on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScreenReject {
    /// Nothing usable in the reply.
    Empty,
    /// The reply was cut off by the token limit.
    Truncated,
    /// Same text as the parent (after whitespace normalisation).
    SameAsParent,
    /// Same program as candidate `index` already in the pool.
    DuplicateOf {
        /// Pool index of the existing candidate.
        index: usize,
    },
    /// Longer than the configured maximum.
    TooLong {
        /// Characters in the proposal.
        chars: usize,
        /// The limit.
        limit: usize,
    },
    /// Does not look like the component it replaces (JSON, an echo of the examples, looping text,
    /// lost placeholders…).
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
            ScreenReject::TooLong { chars, limit } => {
                format!("the proposal is {chars} characters, over the limit of {limit}")
            }
            ScreenReject::WrongShape { reason } => format!("the proposal {reason}"),
        }
    }
}

/// Checks a proposed text against the text it replaces. Pool duplicates are checked by the
/// engine, which knows the pool.
///
/// # Errors
/// The reason the proposal is unusable.
pub fn screen_text(
    parent_text: &str,
    proposal: &str,
    truncated: bool,
    max_chars: Option<usize>,
) -> Result<(), ScreenReject> {
    if truncated {
        return Err(ScreenReject::Truncated);
    }
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
    if let Some(reason) = shape_problem(parent_text, proposal) {
        return Err(ScreenReject::WrongShape { reason });
    }
    Ok(())
}

fn shape_problem(parent: &str, proposal: &str) -> Option<String> {
    let looks_json = |t: &str| {
        let t = t.trim_start();
        (t.starts_with('{') || t.starts_with('['))
            && serde_json::from_str::<serde_json::Value>(t.trim()).is_ok()
    };
    if looks_json(proposal) && !looks_json(parent) {
        return Some("is a JSON value, not instruction text".into());
    }
    let echoes = proposal.lines().filter(|l| l.trim_start().starts_with("### Example")).count();
    if echoes >= 2 || proposal.contains("Assistant's output:") {
        return Some("echoes the example records instead of stating rules".into());
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
    if let Some(added) = after.difference(&before).next() {
        return Some(format!("adds an unknown placeholder {{{{{added}}}}}"));
    }
    None
}

/// A line repeated like a generation loop: a long line (30+ characters) three times, or a
/// shorter one (8+) five times, comparing lines without trailing punctuation.
fn repeated_line(text: &str) -> Option<String> {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for line in text
        .lines()
        .map(|l| l.trim().trim_end_matches(['.', '!', ',', ';', ':']))
        .filter(|l| l.len() >= 8)
    {
        let n = counts.entry(line).or_default();
        *n += 1;
        if *n >= 5 || (*n >= 3 && line.len() >= 30) {
            return Some(line.chars().take(60).collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    // Spec §11 item 14: the fence-extraction cases.
    #[test]
    fn extraction_drops_language_tag() {
        assert_eq!(extract_proposal("```markdown\nBe precise.\n```"), "Be precise.");
        assert_eq!(extract_proposal("```\nBe precise.\n```"), "Be precise.");
    }

    #[test]
    fn extraction_ignores_text_outside_fences() {
        assert_eq!(
            extract_proposal("Here you go:\n```\nNew text.\n```\nHope it helps!"),
            "New text."
        );
    }

    #[test]
    fn extraction_keeps_inner_fences_using_the_outermost_pair() {
        let reply = "```\nUse this format:\n```json\n{\"a\": 1}\n```\nDone.\n```";
        assert_eq!(extract_proposal(reply), "Use this format:\n```json\n{\"a\": 1}\n```\nDone.");
    }

    #[test]
    fn extraction_trims_whitespace() {
        assert_eq!(extract_proposal("  \n```\n\n  Spaced out.  \n\n```  \n"), "Spaced out.");
    }

    #[test]
    fn extraction_handles_unterminated_opening_fence() {
        assert_eq!(extract_proposal("```text\nNever closed."), "Never closed.");
    }

    #[test]
    fn extraction_handles_trailing_fence_only() {
        assert_eq!(extract_proposal("Only a closing fence.\n```"), "Only a closing fence.");
    }

    #[test]
    fn extraction_keeps_a_lone_fence_in_the_middle() {
        assert_eq!(extract_proposal("Before ``` after"), "Before ``` after");
    }

    #[test]
    fn extraction_without_fences_returns_trimmed_text() {
        assert_eq!(extract_proposal("  Just text.  "), "Just text.");
    }

    #[test]
    fn extraction_keeps_a_meaningful_first_line() {
        // The reference drops any single-token first line; we only drop tag-like ones.
        assert_eq!(
            extract_proposal("```\nInstructions:\nBe brief.\n```"),
            "Instructions:\nBe brief."
        );
        assert_eq!(extract_proposal("```one-liner```"), "one-liner");
    }

    #[test]
    fn a_block_is_complete_only_when_every_fence_is_closed() {
        assert!(closes_its_blocks("```\nBe brief.\n```\nThis rewrite makes the"));
        assert!(closes_its_blocks("```a``` and ```b```"));
        assert!(!closes_its_blocks("```\nBe brief and"));
        assert!(!closes_its_blocks("```a``` and then ```b is cut"));
        assert!(!closes_its_blocks("No fences, cut off mid"));
    }

    #[test]
    fn screening_rejects_unusable_proposals() {
        let parent = "Answer the question about {{question}} with a number.";
        assert_eq!(screen_text(parent, "", false, None), Err(ScreenReject::Empty));
        assert_eq!(screen_text(parent, "x {{question}}", true, None), Err(ScreenReject::Truncated));
        assert_eq!(
            screen_text(
                parent,
                " Answer the question about {{question}}\nwith a number. ",
                false,
                None
            ),
            Err(ScreenReject::SameAsParent)
        );
        assert!(matches!(
            screen_text(parent, "{\"instruction\": \"be good {{question}}\"}", false, None),
            Err(ScreenReject::WrongShape { .. })
        ));
        assert!(matches!(
            screen_text(parent, "### Example 1\nfoo {{question}}\n### Example 2\nbar", false, None),
            Err(ScreenReject::WrongShape { .. })
        ));
        assert!(matches!(
            screen_text(parent, "Answer with a number.", false, None),
            Err(ScreenReject::WrongShape { reason }) if reason.contains("{{question}}")
        ));
        assert!(matches!(
            screen_text(parent, &"Repeat this line please.\n".repeat(6), false, None),
            Err(ScreenReject::WrongShape { .. })
        ));
        // Seen with a real model: a looping paragraph whose copies differ only in a final period.
        let looped =
            "The expected answer should be the date in ISO form and nothing else {{question}}.\n\n"
                .repeat(2)
                + "The expected answer should be the date in ISO form and nothing else {{question}}\n";
        assert!(matches!(
            screen_text(parent, &looped, false, None),
            Err(ScreenReject::WrongShape { .. })
        ));
        let fine = "Answer {{question}} with digits.\nUse digits only.\nNo words.";
        assert_eq!(screen_text(parent, fine, false, None), Ok(()));
        assert_eq!(
            screen_text(parent, "Reply with digits only for {{question}}.", false, Some(10)),
            Err(ScreenReject::TooLong { chars: 40, limit: 10 })
        );
        assert_eq!(
            screen_text(parent, "Reply with digits only for {{question}}.", false, None),
            Ok(())
        );
    }

    #[test]
    fn reference_style_prompt_has_the_reference_structure() {
        let records = vec![ReflectiveRecord {
            inputs: vec![("q".into(), "x".into())],
            output: "y".into(),
            feedback: "wrong".into(),
            score: 0.0,
        }];
        let messages =
            reflection_messages(ReflectionStyle::Reference, "system", "Be good.", &records, None);
        assert_eq!(messages.len(), 1, "a single user message, like the reference");
        let text = &messages[0].content;
        assert!(
            text.contains("```\nBe good.\n```")
                && text.contains("### Example 1")
                && text.contains("domain-specific")
        );
        assert!(text.ends_with("inside ``` blocks."));
    }

    #[test]
    fn reflection_prompt_shows_text_records_placeholders_and_note() {
        let records = vec![ReflectiveRecord {
            inputs: vec![("question".into(), "2+2?".into())],
            output: "four".into(),
            feedback: "Expected 4 (digits).".into(),
            score: 0.0,
        }];
        let messages = reflection_messages(
            ReflectionStyle::Rules,
            "system",
            "Answer {{question}}.",
            &records,
            Some("Prefer digits."),
        );
        assert_eq!(messages.len(), 2);
        let user = &messages[1].content;
        assert!(user.contains("```\nAnswer {{question}}.\n```"));
        assert!(user.contains("### Example 1"));
        assert!(user.contains("- question: 2+2?"));
        assert!(user.contains("Feedback: Expected 4 (digits)."));
        assert!(user.contains(
            "Keep these placeholders exactly as written; they are filled in later: {{question}}."
        ));
        assert!(user.contains("Prefer digits."));
    }
}
