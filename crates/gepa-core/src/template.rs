//! `{{name}}` placeholders: listing them and filling them in.
//!
//! A placeholder is `{{` + a name of letters, digits, `_`, `-` or `.` (surrounding spaces
//! allowed) + `}}`. Anything else between braces is left as literal text, so JSON examples in a
//! prompt survive rendering.

/// The placeholder names in `text`, in order of appearance (repeats included).
pub fn placeholders(text: &str) -> impl Iterator<Item = String> + '_ {
    Placeholders { rest: text }.map(|(_, name, _)| name.to_owned())
}

struct Placeholders<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Placeholders<'a> {
    /// (text before, name, whole match length)
    type Item = (&'a str, &'a str, usize);

    fn next(&mut self) -> Option<Self::Item> {
        let mut offset = 0;
        loop {
            let open = self.rest[offset..].find("{{")? + offset;
            let close_rel = self.rest[open + 2..].find("}}")?;
            let inner = &self.rest[open + 2..open + 2 + close_rel];
            let name = inner.trim();
            if is_name(name) {
                let before = &self.rest[..open];
                let len = 2 + close_rel + 2;
                let consumed = open + len;
                let item = (before, name, len);
                self.rest = &self.rest[consumed..];
                return Some(item);
            }
            offset = open + 1;
        }
    }
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Fills every placeholder with `lookup(name)`; a name the lookup does not know stays as
/// written, so a missing field is visible in the preview rather than silently blank.
pub fn render(text: &str, mut lookup: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut parts = Placeholders { rest: text };
    for (before, name, _len) in parts.by_ref() {
        out.push_str(before);
        match lookup(name) {
            Some(value) => out.push_str(&value),
            None => out.push_str(&format!("{{{{{name}}}}}")),
        }
    }
    out.push_str(parts.rest);
    out
}

/// The known name closest to `name`, for a "did you mean" hint: the same name in another case,
/// or one at most a third of its length in single-character edits away (at least one edit).
/// Ties go to the earlier name.
#[must_use]
pub fn closest<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    let lower = name.to_lowercase();
    if let Some(same) = known.iter().find(|k| k.to_lowercase() == lower) {
        return Some(same);
    }
    let allowed = (name.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (edit_distance(&lower, &k.to_lowercase()), k))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

/// Levenshtein distance with adjacent transpositions counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best =
                (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::{placeholders, render};

    #[test]
    fn lists_placeholders_and_skips_non_names() {
        let text =
            "Q: {{question}} ctx {{ context }} json {\"a\": {\"b\": 1}} {{not a name}} {{x.y}}";
        assert_eq!(placeholders(text).collect::<Vec<_>>(), ["question", "context", "x.y"]);
        assert_eq!(placeholders("{{a}}{{a}}").count(), 2);
        assert_eq!(placeholders("{{unclosed").count(), 0);
    }

    #[test]
    fn renders_known_names_and_keeps_unknown_ones() {
        let out = render("Q: {{question}} / {{ missing }} / {\"k\": 1}", |name| {
            (name == "question").then(|| "2+2?".to_owned())
        });
        assert_eq!(out, "Q: 2+2? / {{missing}} / {\"k\": 1}");
    }

    #[test]
    fn values_are_not_re_rendered() {
        // A field value containing braces must not be expanded again (no template injection).
        let out = render("{{a}}", |name| (name == "a").then(|| "{{b}}".to_owned()));
        assert_eq!(out, "{{b}}");
    }

    #[test]
    fn a_misspelt_placeholder_gets_the_closest_column() {
        let known: Vec<String> = ["text", "ticket", "Question"].map(String::from).to_vec();
        assert_eq!(super::closest("txt", &known), Some("text"));
        assert_eq!(super::closest("tikcet", &known), Some("ticket"));
        assert_eq!(super::closest("question", &known), Some("Question"));
        assert_eq!(super::closest("answer", &known), None);
        assert_eq!(super::closest("x", &[]), None);
    }
}
