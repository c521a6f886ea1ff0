//! JSON output checking: parse (even inside a fenced block), then compare fields.

use serde_json::Value;

use super::Score;
use super::text::{clip, strip_fence};

/// Scores `output` against the JSON object in `expected`: the fraction of checked fields that
/// are present and equal. `fields` empty = every field of the expected object.
pub(crate) fn score_json(output: &str, expected: &str, fields: &[String]) -> Score {
    let want: Value = match serde_json::from_str(expected.trim()) {
        Ok(Value::Object(map)) => Value::Object(map),
        _ => {
            return Score::new(
                0.0,
                format!(
                    "The expected answer is not a JSON object, so it cannot be compared: {}",
                    clip(expected, 120)
                ),
            );
        }
    };
    let got: Value = match serde_json::from_str(strip_fence(output)) {
        Ok(v) => v,
        Err(e) => {
            return Score::new(
                0.0,
                format!(
                    "The output is not valid JSON ({e}). Reply with a single JSON object such as {}.",
                    clip(&want.to_string(), 160)
                ),
            );
        }
    };
    let Value::Object(got) = got else {
        return Score::new(
            0.0,
            format!(
                "The output is JSON but not an object. Reply with an object such as {}.",
                clip(&want.to_string(), 160)
            ),
        );
    };
    let Value::Object(want) = want else { return Score::new(0.0, "unreachable") };
    let checked: Vec<String> =
        if fields.is_empty() { want.keys().cloned().collect() } else { fields.to_vec() };
    let (mut missing, mut wrong, mut right) = (Vec::new(), Vec::new(), 0usize);
    for field in &checked {
        match (got.get(field), want.get(field)) {
            (None, _) => missing.push(field.clone()),
            (Some(g), Some(w)) if same_value(g, w) => right += 1,
            (Some(g), Some(w)) => wrong.push(format!(
                "\"{field}\" is {} but should be {}",
                clip(&g.to_string(), 60),
                clip(&w.to_string(), 60)
            )),
            (Some(_), None) => right += 1,
        }
    }
    let extra: Vec<&String> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    #[expect(clippy::cast_precision_loss, reason = "field counts are small")]
    let score = if checked.is_empty() { 1.0 } else { right as f64 / checked.len() as f64 };
    let mut notes = Vec::new();
    if !missing.is_empty() {
        notes.push(format!("missing fields: {}", missing.join(", ")));
    }
    if !wrong.is_empty() {
        notes.push(format!("wrong values: {}", wrong.join("; ")));
    }
    if !extra.is_empty() {
        notes.push(format!(
            "unexpected extra fields: {}",
            extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    let feedback = if notes.is_empty() {
        format!("Correct: all {} fields match.", checked.len())
    } else {
        format!(
            "{right} of {} fields correct; {}. The expected answer is {}.",
            checked.len(),
            notes.join("; "),
            clip(expected.trim(), 300)
        )
    };
    Score::new(score, feedback)
}

fn same_value(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            a.as_f64().zip(b.as_f64()).is_some_and(|(a, b)| (a - b).abs() < 1e-9)
        }
        (Value::String(a), Value::String(b)) => a.trim() == b.trim(),
        (Value::String(a), Value::Number(b)) | (Value::Number(b), Value::String(a)) => {
            a.trim() == b.to_string()
        }
        _ => got == want,
    }
}

/// Picks which of `labels` the output chose: an exact (normalised) answer, else the label
/// mentioned last as a whole word. Case-insensitive.
pub(crate) fn extract_choice<'a>(output: &str, labels: &'a [String]) -> Option<&'a String> {
    let clean = |s: &str| s.trim().trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    let whole = clean(output);
    if let Some(exact) = labels.iter().find(|l| clean(l) == whole) {
        return Some(exact);
    }
    let lower = output.to_lowercase();
    let mut best: Option<(usize, &String)> = None;
    for label in labels {
        let needle = label.trim().to_lowercase();
        if needle.is_empty() {
            continue;
        }
        for (pos, _) in lower.match_indices(&needle) {
            let before = lower[..pos].chars().next_back();
            let after = lower[pos + needle.len()..].chars().next();
            let bounded = before.is_none_or(|c| !c.is_alphanumeric())
                && after.is_none_or(|c| !c.is_alphanumeric());
            if bounded && best.is_none_or(|(p, _)| pos >= p) {
                best = Some((pos, label));
            }
        }
    }
    best.map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields_missing_wrong_and_extra() {
        let s = score_json(
            "```json\n{\"name\": \"Ada\", \"age\": \"36\", \"x\": 1}\n```",
            r#"{"name": "Ada", "age": 36, "city": "London"}"#,
            &[],
        );
        assert!((s.score - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            s.feedback,
            "2 of 3 fields correct; missing fields: city; unexpected extra fields: x. The expected answer is {\"name\": \"Ada\", \"age\": 36, \"city\": \"London\"}."
        );
        let s = score_json(r#"{"name": "Bob"}"#, r#"{"name": "Ada", "age": 36}"#, &["name".into()]);
        assert_eq!(s.score, 0.0);
        assert_eq!(
            s.feedback,
            "0 of 1 fields correct; wrong values: \"name\" is \"Bob\" but should be \"Ada\". The expected answer is {\"name\": \"Ada\", \"age\": 36}."
        );
        let bad = score_json("name: Ada", r#"{"name": "Ada"}"#, &[]);
        assert_eq!(bad.score, 0.0);
        assert!(bad.feedback.starts_with("The output is not valid JSON"));
        assert_eq!(
            score_json(r#"{"a":1}"#, r#"{"a":1.0}"#, &[]).feedback,
            "Correct: all 1 fields match."
        );
    }

    #[test]
    fn choice_extraction() {
        let labels = vec!["positive".to_owned(), "negative".to_owned(), "neutral".to_owned()];
        assert_eq!(extract_choice("Positive.", &labels).map(String::as_str), Some("positive"));
        assert_eq!(
            extract_choice("Not negative; it is positive", &labels).map(String::as_str),
            Some("positive")
        );
        assert_eq!(extract_choice("nonpositive", &labels), None, "whole words only");
        assert_eq!(extract_choice("I cannot tell", &labels), None);
    }
}
