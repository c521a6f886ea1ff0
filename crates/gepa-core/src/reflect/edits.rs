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
        let label = [
            ("ADD:", Slot::Add),
            ("REPLACE:", Slot::Replace),
            ("WITH:", Slot::With),
            ("DELETE:", Slot::Delete),
        ]
        .into_iter()
        .find(|(l, _)| trimmed.len() >= l.len() && trimmed[..l.len()].eq_ignore_ascii_case(l));
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

/// Applies a reply's edits to `text`.
///
/// # Errors
/// What could not be applied, phrased for the reflection model (no edits at all, or a sentence
/// to replace or delete that is not in the text).
pub fn apply_edits(text: &str, reply: &str) -> Result<String, String> {
    let edits = parse_edits(reply);
    if edits.is_empty() {
        return Err(
            "holds no edits: write lines starting with ADD:, REPLACE: and WITH:, or DELETE:".into(),
        );
    }
    let mut out = text.to_owned();
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
            Edit::Replace(old, new) => {
                let (start, end) = find(&out, &old).ok_or_else(|| missing("replace", &old))?;
                out.replace_range(start..end, &new);
            }
            Edit::Delete(old) => {
                let (start, mut end) = find(&out, &old).ok_or_else(|| missing("delete", &old))?;
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
    Ok(out.trim().to_owned())
}

fn missing(what: &str, sentence: &str) -> String {
    let short: String = sentence.chars().take(80).collect();
    format!(
        "asks to {what} \"{short}\", which is not in the current text: quote its sentences exactly"
    )
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
        assert!(apply_edits("Be brief.", "Be briefer.").unwrap_err().contains("no edits"));
        let err = apply_edits("Be brief.", "REPLACE: Be short.\nWITH: Be brief.").unwrap_err();
        assert!(err.contains("\"Be short.\", which is not in the current text"), "{err}");
    }
}
