//! Text normalisation and token overlap, shared by several metrics.

/// Lower-cases, drops punctuation and the articles a/an/the, and collapses whitespace.
#[must_use]
pub fn normalize_answer(text: &str) -> String {
    let lowered: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() || c.is_whitespace() { c } else { ' ' })
        .collect();
    lowered
        .split_whitespace()
        .filter(|w| !matches!(*w, "a" | "an" | "the"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Token-level F1 between a prediction and a reference, after [`normalize_answer`]:
/// (precision, recall, f1).
#[must_use]
pub fn token_f1(prediction: &str, reference: &str) -> (f64, f64, f64) {
    let predicted = normalize_answer(prediction);
    let expected = normalize_answer(reference);
    let p_tokens: Vec<&str> = predicted.split_whitespace().collect();
    let r_tokens: Vec<&str> = expected.split_whitespace().collect();
    if p_tokens.is_empty() || r_tokens.is_empty() {
        let same = p_tokens.is_empty() && r_tokens.is_empty();
        return if same { (1.0, 1.0, 1.0) } else { (0.0, 0.0, 0.0) };
    }
    let mut remaining = r_tokens.clone();
    let mut common = 0usize;
    for token in &p_tokens {
        if let Some(pos) = remaining.iter().position(|r| r == token) {
            remaining.swap_remove(pos);
            common += 1;
        }
    }
    if common == 0 {
        return (0.0, 0.0, 0.0);
    }
    #[expect(clippy::cast_precision_loss, reason = "token counts are small")]
    let (precision, recall) =
        (common as f64 / p_tokens.len() as f64, common as f64 / r_tokens.len() as f64);
    (precision, recall, 2.0 * precision * recall / (precision + recall))
}

/// The first `max_chars` characters, with an ellipsis when cut.
#[must_use]
pub fn clip(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max_chars).collect();
    format!("{cut}…")
}

/// The content of the first fenced code block, or the trimmed text when there is none.
#[must_use]
pub fn strip_fence(text: &str) -> &str {
    let trimmed = text.trim();
    let Some(open) = trimmed.find("```") else { return trimmed };
    let after = &trimmed[open + 3..];
    let body_start = after.find('\n').map_or(0, |n| n + 1);
    let body = &after[body_start..];
    body.find("```").map_or(body, |close| &body[..close]).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_drops_case_punctuation_and_articles() {
        assert_eq!(normalize_answer("The  Eiffel Tower!"), "eiffel tower");
        assert_eq!(normalize_answer("An apple, a pear."), "apple pear");
    }

    #[test]
    fn token_f1_counts_overlap() {
        assert_eq!(token_f1("Paris", "paris").2, 1.0);
        let (p, r, f) = token_f1("the big red barn", "red barn");
        assert!(
            (p - 2.0 / 3.0).abs() < 1e-12 && (r - 1.0).abs() < 1e-12 && (f - 0.8).abs() < 1e-12
        );
        assert_eq!(token_f1("", "x").2, 0.0);
        assert_eq!(token_f1("", "").2, 1.0);
    }

    #[test]
    fn fences_are_stripped() {
        assert_eq!(strip_fence("Here:\n```json\n{\"a\": 1}\n```\nDone"), "{\"a\": 1}");
        assert_eq!(strip_fence("  {\"a\": 1} "), "{\"a\": 1}");
    }
}
