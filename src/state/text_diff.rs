//! Word-level diffs (through the `similar` crate) and the length of a prompt in characters and
//! approximate tokens.

use similar::{ChangeTag, TextDiff};

/// A run of text that is unchanged, removed or added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// In both.
    Same(String),
    /// Only in the old text.
    Removed(String),
    /// Only in the new text.
    Added(String),
}

/// The word-level diff of `old` → `new`, with neighbouring pieces of one kind joined.
#[must_use]
pub fn word_diff(old: &str, new: &str) -> Vec<Piece> {
    let diff = TextDiff::from_words(old, new);
    let mut pieces: Vec<Piece> = Vec::new();
    for change in diff.iter_all_changes() {
        let text = change.value();
        match (change.tag(), pieces.last_mut()) {
            (ChangeTag::Equal, Some(Piece::Same(s)))
            | (ChangeTag::Delete, Some(Piece::Removed(s)))
            | (ChangeTag::Insert, Some(Piece::Added(s))) => s.push_str(text),
            (ChangeTag::Equal, _) => pieces.push(Piece::Same(text.to_owned())),
            (ChangeTag::Delete, _) => pieces.push(Piece::Removed(text.to_owned())),
            (ChangeTag::Insert, _) => pieces.push(Piece::Added(text.to_owned())),
        }
    }
    pieces
}

/// Length of a text: characters and approximate tokens (one per four characters, the usual
/// rule of thumb for English with BPE tokenizers).
#[must_use]
pub fn length(text: &str) -> (usize, usize) {
    let chars = text.chars().count();
    (chars, chars.div_ceil(4))
}

/// "412 chars · ≈103 tokens · 0.4× the seed".
#[must_use]
pub fn describe_length(text: &str, seed: &str) -> String {
    let (chars, tokens) = length(text);
    let seed_chars = length(seed).0;
    let ratio = if seed_chars == 0 {
        String::new()
    } else {
        format!(" · {:.1}× the seed", chars as f64 / seed_chars as f64)
    };
    format!("{chars} chars · ≈{tokens} tokens{ratio}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_are_word_level_and_joined() {
        let d = word_diff("Classify the ticket.", "Classify the support ticket carefully.");
        let added: Vec<&str> = d
            .iter()
            .filter_map(|p| if let Piece::Added(s) = p { Some(s.as_str()) } else { None })
            .collect();
        assert!(added.iter().any(|s| s.contains("support")), "{d:?}");
        let rebuilt_new: String = d
            .iter()
            .filter_map(|p| match p {
                Piece::Same(s) | Piece::Added(s) => Some(s.as_str()),
                Piece::Removed(_) => None,
            })
            .collect();
        assert_eq!(rebuilt_new, "Classify the support ticket carefully.");
        assert_eq!(word_diff("same", "same"), [Piece::Same("same".into())]);
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert_eq!(length("héllo"), (5, 2));
        assert_eq!(describe_length("abcd", "abcdefgh"), "4 chars · ≈1 tokens · 0.5× the seed");
    }
}
