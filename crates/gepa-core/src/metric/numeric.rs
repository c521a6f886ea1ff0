//! Reading numbers out of model output.

use regex_lite::Regex;

fn number_regex() -> Option<Regex> {
    Regex::new(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?|-?\.\d+").ok()
}

/// Every number in `text`, in order (thousands separators allowed: `1,234.5`).
#[must_use]
pub fn numbers(text: &str) -> Vec<f64> {
    let Some(re) = number_regex() else { return Vec::new() };
    re.find_iter(text).filter_map(|m| m.as_str().replace(',', "").parse().ok()).collect()
}

/// The number after `label` (case-insensitive, e.g. `Answer:`), else the last number.
#[must_use]
pub fn extract(text: &str, label: Option<&str>) -> Option<f64> {
    if let Some(label) = label.filter(|l| !l.trim().is_empty()) {
        // Search and slice the lower-cased copy: lower-casing can change byte lengths, so an
        // index into it is not an index into `text`. Digits are unaffected.
        let (lower, needle) = (text.to_lowercase(), label.to_lowercase());
        if let Some(pos) = lower.rfind(&needle)
            && let Some(n) = numbers(&lower[pos + needle.len()..]).first()
        {
            return Some(*n);
        }
    }
    numbers(text).last().copied()
}

/// Shortest readable form of a number.
#[must_use]
pub fn show(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_with_separators_and_labels() {
        assert_eq!(numbers("3 apples cost $1,250.50, not -2 or .5"), [3.0, 1250.5, -2.0, 0.5]);
        assert_eq!(
            extract("First 3, then 4. Answer: 12 (checked 13)", Some("answer:")),
            Some(12.0)
        );
        assert_eq!(extract("First 3, then 4.", None), Some(4.0));
        assert_eq!(extract("no digits", None), None);
        // Lower-casing "İ" grows it by a byte; the label search must not slice mid-character.
        assert_eq!(extract("İİİ ANSWER: 5", Some("Answer:")), Some(5.0));
        assert_eq!(show(12.0), "12");
        assert_eq!(show(0.25), "0.25");
    }
}
