//! Edit-mode reflection: instead of rewriting the whole text, the reflection model replies with a
//! few edits to it (add a rule, replace a sentence, delete one). Short replies that small models
//! can write without being cut off, and that cannot lose what earlier iterations learned.
//!
//! The reply format, one edit per line (a value may continue on the following lines):
//!
//! ```text
//! ADD: a sentence to add at the end
//! REPLACE: a sentence of the current text
//! WITH: what replaces it
//! DELETE: a sentence of the current text
//! ```

use super::extract::extract_proposal;

/// One edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Append this text.
    Add(String),
    /// Replace the first text with the second.
    Replace(String, String),
    /// Remove this text.
    Delete(String),
}

/// Reads the edits of a reply (fences and blank lines ignored).
#[must_use]
pub fn parse_edits(reply: &str) -> Vec<Edit> {
    #[derive(PartialEq)]
    enum Slot {
        None,
        Add,
        Replace,
        With,
        Delete,
    }
    let mut edits: Vec<Edit> = Vec::new();
    let mut pending_replace: Option<String> = None;
    let mut slot = Slot::None;
    let mut value = String::new();
    let mut flush = |slot: &Slot, value: &mut String, pending: &mut Option<String>| {
        let text = value.trim().to_owned();
        value.clear();
        if text.is_empty() {
            return;
        }
        match slot {
            Slot::Add => edits.push(Edit::Add(text)),
            Slot::Delete => edits.push(Edit::Delete(text)),
            Slot::Replace => *pending = Some(text),
            Slot::With => {
                if let Some(old) = pending.take() {
                    edits.push(Edit::Replace(old, text));
                }
            }
            Slot::None => {}
        }
    };
    for line in reply.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            continue;
        }
        let label = label_of(trimmed).map(|l| {
            let next = match l {
                "ADD:" => Slot::Add,
                "REPLACE:" => Slot::Replace,
                "WITH:" => Slot::With,
                _ => Slot::Delete,
            };
            (l, next)
        });
        match label {
            Some((l, next)) => {
                flush(&slot, &mut value, &mut pending_replace);
                slot = next;
                value.push_str(trimmed[l.len()..].trim());
            }
            None if slot != Slot::None && !trimmed.is_empty() => {
                value.push('\n');
                value.push_str(trimmed);
            }
            None => {}
        }
    }
    flush(&slot, &mut value, &mut pending_replace);
    edits
}

/// Applies a reply's edits to `text`, leniently: a `REPLACE` whose quote is not in the text adds
/// its replacement (that is the sentence the model wants), and a `DELETE` of a sentence that is
/// not there does nothing, as long as some edit changes the text. A reply in plain prose,
/// without edit lines, is taken for what it evidently is (seen with Qwen2.5-Coder-0.5B): a
/// whole new text when it keeps at least half of the words of `text`, else a rule to add; a
/// remark about the text ("no changes are needed") is not an edit.
///
/// # Errors
/// What could not be applied, phrased for the reflection model: no edits at all, or edits none
/// of which changes the text (quotes that are not in it).
pub fn apply_edits(text: &str, reply: &str) -> Result<String, String> {
    let edits = parse_edits(reply);
    if edits.is_empty() {
        if has_labels(reply) {
            return Err("holds no complete edit: a REPLACE: needs the WITH: line that replaces \
                        it, and every edit line a sentence"
                .into());
        }
        return prose_as_edit(text, reply).ok_or_else(|| {
            "holds no edits: write lines starting with ADD:, REPLACE: and WITH:, or DELETE:".into()
        });
    }
    let mut out = text.to_owned();
    let mut misquoted: Option<String> = None;
    for edit in edits {
        match edit {
            Edit::Add(new) => {
                if !out.contains(&new) {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push_str(&new);
                }
            }
            Edit::Replace(old, new) => match find(&out, &old) {
                Some((start, end)) => out.replace_range(start..end, &new),
                None if !out.contains(&new) => {
                    misquoted.get_or_insert(old);
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push_str(&new);
                }
                None => {
                    misquoted.get_or_insert(old);
                }
            },
            Edit::Delete(old) => {
                let Some((start, mut end)) = find(&out, &old) else {
                    misquoted.get_or_insert(old);
                    continue;
                };
                if out[end..].starts_with('.') {
                    end += 1;
                }
                while out[end..].starts_with([' ', '\n']) {
                    end += 1;
                }
                out.replace_range(start..end, "");
            }
        }
    }
    let out = out.trim().to_owned();
    match misquoted {
        Some(old) if out == text.trim() => Err(missing(&old)),
        _ => Ok(out),
    }
}

/// Phrases of a reply that talks about the text instead of changing it.
const REMARKS: [&str; 8] = [
    "no edit",
    "no change",
    "already correct",
    "already covers",
    "current text",
    "edit line",
    "the text is",
    "the text above",
];

/// Whether a reply has edit labels (that came to nothing, e.g. a REPLACE without its WITH: a
/// broken edit, not prose).
fn has_labels(reply: &str) -> bool {
    reply.lines().any(|l| label_of(l.trim_start()).is_some())
}

/// The edit labels a line may start with (in any case).
const LABELS: [&str; 4] = ["ADD:", "REPLACE:", "WITH:", "DELETE:"];

/// The label `line` starts with, if any.
fn label_of(line: &str) -> Option<&'static str> {
    LABELS.into_iter().find(|l| line.get(..l.len()).is_some_and(|p| p.eq_ignore_ascii_case(l)))
}

/// A prose reply read as a rewrite or an addition (see [`apply_edits`]); `None` when there is
/// nothing to take.
fn prose_as_edit(text: &str, reply: &str) -> Option<String> {
    let prose = extract_proposal(reply);
    let lower = prose.to_lowercase();
    if prose.is_empty() || REMARKS.iter().any(|r| lower.contains(r)) {
        return None;
    }
    let words = |t: &str| -> std::collections::BTreeSet<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect()
    };
    let (old, new) = (words(text), words(&prose));
    if old.is_empty() || 2 * old.intersection(&new).count() >= old.len() {
        return Some(prose);
    }
    Some(format!("{}\n{prose}", text.trim_end()).trim().to_owned())
}

fn missing(sentence: &str) -> String {
    let short: String = sentence.chars().take(80).collect();
    format!("changes nothing: \"{short}\" is not in the current text (quote its sentences exactly)")
}

/// Where `needle` is in `haystack`: exactly, or without its trailing full stop.
fn find(haystack: &str, needle: &str) -> Option<(usize, usize)> {
    let needle = needle.trim();
    [needle, needle.trim_end_matches('.')]
        .into_iter()
        .filter(|n| !n.is_empty())
        .find_map(|n| haystack.find(n).map(|at| (at, at + n.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_are_read_and_applied_in_order() {
        let parent = "Classify the ticket.\nReply with one label.";
        let reply = "```\nREPLACE: Reply with one label.\nWITH: Reply with one label only: billing, login, bug or feature.\nADD: Refund requests are billing.\nDELETE: Classify the ticket\n```";
        assert_eq!(
            apply_edits(parent, reply).unwrap(),
            "Reply with one label only: billing, login, bug or feature.\nRefund requests are billing."
        );
    }

    #[test]
    fn a_line_starting_with_wide_characters_is_not_cut_inside_one() {
        assert_eq!(
            parse_edits("é€ rules\nADD: Ünïcode stays."),
            vec![Edit::Add("Ünïcode stays.".into())]
        );
    }

    #[test]
    fn values_may_continue_on_the_next_lines() {
        assert_eq!(
            parse_edits("ADD: Examples:\n  input A -> x\n  input B -> y\nDELETE: old"),
            vec![
                Edit::Add("Examples:\ninput A -> x\ninput B -> y".into()),
                Edit::Delete("old".into())
            ]
        );
    }

    #[test]
    fn a_reply_without_edits_or_with_a_wrong_quote_is_explained() {
        assert!(apply_edits("Be brief.", "").unwrap_err().contains("no edits"));
        assert!(
            apply_edits("Be brief.", "No changes are needed.").unwrap_err().contains("no edits")
        );
        let err = apply_edits("Be brief.", "REPLACE: Be short.\nWITH: Be brief.").unwrap_err();
        assert!(err.contains("\"Be short.\" is not in the current text"), "{err}");
        let err = apply_edits("Be brief.", "DELETE: Be short.").unwrap_err();
        assert!(err.contains("changes nothing"), "{err}");
    }

    // Seen with Qwen2.5-Coder-0.5B: it "replaces" a sentence that is not in the text; the
    // replacement is what it wants the text to say.
    #[test]
    fn a_misquoted_replace_adds_its_replacement_and_a_misquoted_delete_is_skipped() {
        let reply = "REPLACE: The correct answers take the form of an acronym (K7, H2, F4, B1, G0).\nWITH: Chilled or frozen goods go to K7.\nDELETE: The text is already correct.";
        assert_eq!(
            apply_edits("Give the storage bin code for the item.", reply).unwrap(),
            "Give the storage bin code for the item.\nChilled or frozen goods go to K7."
        );
    }

    // Seen with Qwen2.5-Coder-0.5B in edit mode: a reply in plain prose, sometimes fenced,
    // without a single edit line. One that keeps the text's words is its new text; another, a
    // rule to add.
    #[test]
    fn a_prose_reply_is_taken_as_a_rewrite_or_an_addition() {
        let parent = "Give the storage bin code for the item.";
        let rewrite = "```\nGive the bin code for the item. Chilled or frozen goods go to K7; hazardous goods go to H2.\n```";
        assert_eq!(
            apply_edits(parent, rewrite).unwrap(),
            "Give the bin code for the item. Chilled or frozen goods go to K7; hazardous goods go to H2."
        );
        assert_eq!(
            apply_edits(parent, "Frozen goods go to K7.").unwrap(),
            format!("{parent}\nFrozen goods go to K7.")
        );
        assert!(apply_edits(parent, "The current text already covers this.").is_err());
        // Seen with Qwen2.5-Coder-0.5B: a REPLACE without its WITH is not a rule to add.
        let err = apply_edits(parent, "REPLACE: The correct answer is FRM-6.").unwrap_err();
        assert!(err.contains("a REPLACE: needs the WITH: line"), "{err}");
    }
}
