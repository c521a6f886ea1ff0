//! Getting the proposed text out of a reflection reply: the fenced block, an instruction
//! wrapped in a JSON string, and what can be kept of a reply cut off by its token limit.

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

/// What is worth keeping of a reply cut off by the token limit before its text was complete:
/// its complete lines (the last, unfinished line dropped), when they make a plausible
/// instruction, i.e. at least half as long as the text they replace. `None` when too little is
/// left, so the reflection model is asked again instead.
#[must_use]
pub fn salvage_cut_off(reply: &str, parent_text: &str) -> Option<String> {
    let trimmed = reply.trim_start();
    let body = match trimmed.find(FENCE) {
        // Inside the (unclosed) block: what follows the opening fence and its tag line.
        Some(open) => drop_tag_line(&trimmed[open + FENCE.len()..]),
        None => trimmed,
    };
    let (complete, _unfinished) = body.rsplit_once('\n')?;
    let kept = complete.trim();
    let enough = parent_text.trim().chars().count().div_ceil(2).max(1);
    (kept.chars().count() >= enough).then(|| kept.to_owned())
}

/// Keys under which models put an instruction when they answer with JSON.
const INSTRUCTION_KEYS: [&str; 8] = [
    "text",
    "instruction",
    "instructions",
    "new_text",
    "new_instruction",
    "prompt",
    "system_prompt",
    "content",
];

/// An instruction a model wrapped in JSON (`{"text": "…"}`, `{"instruction": "…"}`,
/// `{"new_text": "…"}`, or an object with a single string value): that string. `None` when the
/// proposal is not such an object.
#[must_use]
pub fn unwrap_json_instruction(proposal: &str) -> Option<String> {
    let text = proposal.trim();
    if !text.starts_with('{') {
        return None;
    }
    let serde_json::Value::Object(map) = serde_json::from_str(text).ok()? else { return None };
    let named = INSTRUCTION_KEYS
        .iter()
        .find_map(|key| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v));
    let only = (map.len() == 1).then(|| map.values().next()).flatten();
    let value = named.or(only)?.as_str()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

pub(super) fn drop_tag_line(text: &str) -> &str {
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
