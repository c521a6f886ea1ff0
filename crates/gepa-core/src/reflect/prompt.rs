//! The meta-prompts: ours (rewrite or edit), and the reference's structure.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{ReflectionMode, ReflectionStyle, ReflectiveRecord, render_records};
use crate::message::ChatMessage;
use crate::template::placeholders;

const REWRITE_SYSTEM: &str = "You improve the instructions given to a language-model assistant. \
You study where its answers went wrong, work out what the expected answers have in common, and \
write a better instruction in plain sentences. You always reply with the complete new text \
inside one fenced code block (```), and nothing else.";

const EDIT_SYSTEM: &str = "You improve the instructions given to a language-model assistant by \
editing them. You study where its answers went wrong and reply with a few precise edit lines, \
and nothing else.";

/// At most this many versions being tested are shown in a reflection request.
const MAX_TESTED_SHOWN: usize = 3;

/// Builds the reflection request for improving `component` (currently `current_text`).
///
/// `user_note` is optional guidance from the person steering the run; it is shown verbatim.
/// `tested` are other new versions of this text that iterations in flight are testing right
/// now (the last few are shown, so the reply differs from them).
#[must_use]
pub fn reflection_messages(
    style: ReflectionStyle,
    mode: ReflectionMode,
    component: &str,
    current_text: &str,
    records: &[ReflectiveRecord],
    user_note: Option<&str>,
    tested: &[String],
) -> Vec<ChatMessage> {
    let mut messages = match (mode, style) {
        (ReflectionMode::Edit, _) => edit_messages(component, current_text, records, user_note),
        (ReflectionMode::Rewrite, ReflectionStyle::Rules) => {
            rules_messages(component, current_text, records, user_note)
        }
        (ReflectionMode::Rewrite, ReflectionStyle::Reference) => {
            reference_messages(current_text, records, user_note)
        }
    };
    if let Some(last) = messages.last_mut()
        && !tested.is_empty()
    {
        last.content.push_str(&being_tested(mode, tested));
    }
    messages
}

/// Appends to a request built on the text the examples were run with that this text of
/// `component` has since been revised to `revised`, not tried on them yet, and that the reply
/// must improve the revision (keeping its changes). Used when an iteration builds on an older
/// iteration's child before that child's own results exist: the outputs shown stay attributed
/// to the text that produced them. Only this component's revision is named; a program whose
/// other components changed is not described.
pub fn revised_since(
    messages: &mut [ChatMessage],
    mode: ReflectionMode,
    component: &str,
    revised: &str,
) {
    let Some(last) = messages.last_mut() else { return };
    let _ = write!(
        last.content,
        "\n\nSince these answers were given, `{component}` was revised to the text below, \
         which has not been tried on these examples yet:\n```\n{}\n```\nImprove this revised \
         text, not the one above: keep its changes, and fix the failures above that it does \
         not already address. ",
        revised.trim()
    );
    last.content.push_str(match mode {
        ReflectionMode::Edit => {
            "Quote sentences of the revised text in REPLACE and DELETE. Reply with the edit lines only."
        }
        ReflectionMode::Rewrite => {
            "Reply with only the complete new text inside a single ``` fenced block."
        }
    });
}

/// The versions in flight, and that the reply must differ from them.
fn being_tested(mode: ReflectionMode, tested: &[String]) -> String {
    let shown = &tested[tested.len().saturating_sub(MAX_TESTED_SHOWN)..];
    let mut text = String::from(
        "\n\nThese new versions of the text were tried alongside this one, so do not propose them again:\n",
    );
    for version in shown {
        let _ = write!(text, "```\n{}\n```\n", version.trim());
    }
    text.push_str(match mode {
        ReflectionMode::Edit => {
            "Your edits must give a different text: fix a failure these versions do not address. \
             Reply with the edit lines only."
        }
        ReflectionMode::Rewrite => {
            "Your text must differ from them: fix a failure these versions do not address. \
             Reply with only the complete new text inside a single ``` fenced block."
        }
    });
    text
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
    push_note(&mut prompt, user_note);
    prompt.push_str("\nGive the new instruction inside ``` blocks.");
    vec![ChatMessage::user(prompt)]
}

/// The shared opening: the current text and how it did.
fn situation(component: &str, current_text: &str, records: &[ReflectiveRecord]) -> String {
    format!(
        "An assistant worked from the text below, called `{component}`:\n\n```\n{}\n```\n\n\
         Here is how it did on {} example(s): the inputs it saw, what it answered, its score \
         (1 is perfect) and feedback on the answer, which often states the correct answer.\n\n{}",
        current_text.trim(),
        records.len(),
        render_records(records)
    )
}

fn push_note(prompt: &mut String, user_note: Option<&str>) {
    if let Some(note) = user_note.map(str::trim).filter(|n| !n.is_empty()) {
        let _ = write!(prompt, "\nGuidance from the person running this optimisation:\n{note}\n");
    }
}

fn kept_placeholders(current_text: &str) -> Option<String> {
    let kept: BTreeSet<String> = placeholders(current_text).collect();
    (!kept.is_empty())
        .then(|| kept.iter().map(|p| format!("{{{{{p}}}}}")).collect::<Vec<_>>().join(", "))
}

fn rules_messages(
    component: &str,
    current_text: &str,
    records: &[ReflectiveRecord],
    user_note: Option<&str>,
) -> Vec<ChatMessage> {
    let mut prompt = situation(component, current_text, records);
    prompt.push_str(
        "Write an improved version of the text:\n\
         1. Work out what the correct answers have in common across ALL the examples: which \
         features of an input lead to which answer, and exactly what form the answer must take. \
         Say this plainly in the new text, as instructions to the assistant. Do not copy the \
         examples or their answers; the text must work on new inputs.\n\
         2. Keep every part of the current text that already leads to correct answers.\n\
         3. Add the facts from the feedback that the assistant could not know otherwise.\n\
         4. Write plain sentences (a short list is fine), not JSON or code, and keep it concise.\n",
    );
    if let Some(list) = kept_placeholders(current_text) {
        let _ = writeln!(
            prompt,
            "5. Keep these placeholders exactly as written; they are filled in later: {list}."
        );
    }
    push_note(&mut prompt, user_note);
    let _ = write!(
        prompt,
        "\nReply with only the complete new text of `{component}` inside a single ``` fenced block."
    );
    vec![ChatMessage::system(REWRITE_SYSTEM), ChatMessage::user(prompt)]
}

fn edit_messages(
    component: &str,
    current_text: &str,
    records: &[ReflectiveRecord],
    user_note: Option<&str>,
) -> Vec<ChatMessage> {
    let mut prompt = situation(component, current_text, records);
    prompt.push_str(
        "Improve the text with one to three edits that fix these failures and would work on new \
         inputs: state what the correct answers have in common, and what form they take, as \
         instructions to the assistant; do not copy the examples' answers. Keep what already \
         works. Write each edit on its own line, in one of these forms:\n\
         ADD: a sentence to add to the text\n\
         REPLACE: a sentence of the current text, quoted exactly\n\
         WITH: the sentence that replaces it\n\
         DELETE: a sentence of the current text, quoted exactly\n",
    );
    if let Some(list) = kept_placeholders(current_text) {
        let _ = writeln!(prompt, "Keep these placeholders exactly as written: {list}.");
    }
    push_note(&mut prompt, user_note);
    prompt.push_str("\nReply with the edit lines only.");
    vec![ChatMessage::system(EDIT_SYSTEM), ChatMessage::user(prompt)]
}
