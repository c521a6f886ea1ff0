//! The metric picker as plain data: a kind, its options as typed, and conversion to and from
//! the core's `MetricSpec` (with a JSON view for combinations and anything the form lacks).

use gepa_core::metric::MetricStep;
use gepa_core::{Example, MetricSpec};

/// The metrics the picker offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Exact match.
    Exact,
    /// Normalised match.
    Normalized,
    /// Output contains the answer.
    Contains,
    /// Token F1.
    TokenF1,
    /// A number within tolerance.
    Numeric,
    /// One label from a set.
    Choice,
    /// A regular expression.
    Regex,
    /// JSON fields.
    Json,
    /// A judge model with a rubric.
    Judge,
    /// A Rhai script.
    Custom,
    /// Any spec, written as JSON (combinations, format checks).
    Spec,
}

impl MetricKind {
    /// Every kind, in menu order.
    pub const ALL: [MetricKind; 11] = [
        MetricKind::Exact,
        MetricKind::Normalized,
        MetricKind::Contains,
        MetricKind::TokenF1,
        MetricKind::Numeric,
        MetricKind::Choice,
        MetricKind::Regex,
        MetricKind::Json,
        MetricKind::Judge,
        MetricKind::Custom,
        MetricKind::Spec,
    ];

    /// Stable id for `<option value>`.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            MetricKind::Exact => "exact",
            MetricKind::Normalized => "normalized",
            MetricKind::Contains => "contains",
            MetricKind::TokenF1 => "token_f1",
            MetricKind::Numeric => "numeric",
            MetricKind::Choice => "choice",
            MetricKind::Regex => "regex",
            MetricKind::Json => "json",
            MetricKind::Judge => "judge",
            MetricKind::Custom => "custom",
            MetricKind::Spec => "spec",
        }
    }

    /// The kind with this id.
    #[must_use]
    pub fn from_id(id: &str) -> Option<MetricKind> {
        MetricKind::ALL.into_iter().find(|k| k.id() == id)
    }

    /// Menu label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            MetricKind::Exact => "Exact match",
            MetricKind::Normalized => "Normalised match (case, punctuation, articles)",
            MetricKind::Contains => "Output contains the answer",
            MetricKind::TokenF1 => "Token F1 (partial credit)",
            MetricKind::Numeric => "Number within tolerance",
            MetricKind::Choice => "One label from a set",
            MetricKind::Regex => "Regular expression",
            MetricKind::Json => "JSON fields",
            MetricKind::Judge => "LLM judge with a rubric",
            MetricKind::Custom => "Custom script (Rhai)",
            MetricKind::Spec => "Written as JSON (combinations, format checks)",
        }
    }
}

/// The picker's state: every option as typed, so switching kinds loses nothing.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MetricForm {
    /// Chosen kind.
    pub kind: MetricKind,
    /// Exact / contains: compare case-sensitively.
    pub case_sensitive: bool,
    /// Regex pattern.
    pub pattern: String,
    /// Choice labels, comma-separated.
    pub labels: String,
    /// Numeric absolute tolerance.
    pub tolerance: String,
    /// Numeric: read the number after this label.
    pub number_label: String,
    /// JSON fields to check, comma-separated (empty = all).
    pub fields: String,
    /// Judge rubric.
    pub rubric: String,
    /// Judge scale top.
    pub scale: String,
    /// Rhai script.
    pub script: String,
    /// The spec as JSON (kind `Spec`).
    pub json: String,
}

impl Default for MetricForm {
    fn default() -> Self {
        MetricForm {
            kind: MetricKind::Normalized,
            case_sensitive: false,
            pattern: String::new(),
            labels: String::new(),
            tolerance: "0".into(),
            number_label: String::new(),
            fields: String::new(),
            rubric: "A correct, complete and concise answer.".into(),
            scale: "5".into(),
            script: "let ok = output.trim() == expected.trim();\n#{ score: if ok { 1.0 } else { 0.0 }, feedback: if ok { \"correct\" } else { `expected ${expected}` } }".into(),
            json: String::new(),
        }
    }
}

fn list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

impl MetricForm {
    /// A form showing `spec`.
    #[must_use]
    pub fn from_spec(spec: &MetricSpec) -> MetricForm {
        let mut form = MetricForm {
            json: serde_json::to_string_pretty(spec).unwrap_or_default(),
            ..MetricForm::default()
        };
        form.kind = match spec {
            MetricSpec::ExactMatch { case_sensitive } => {
                form.case_sensitive = *case_sensitive;
                MetricKind::Exact
            }
            MetricSpec::NormalizedMatch => MetricKind::Normalized,
            MetricSpec::Contains { case_sensitive } => {
                form.case_sensitive = *case_sensitive;
                MetricKind::Contains
            }
            MetricSpec::TokenF1 => MetricKind::TokenF1,
            MetricSpec::Numeric { abs_tol, label, .. } => {
                form.tolerance = abs_tol.to_string();
                form.number_label = label.clone().unwrap_or_default();
                MetricKind::Numeric
            }
            MetricSpec::Choice { labels } => {
                form.labels = labels.join(", ");
                MetricKind::Choice
            }
            MetricSpec::Regex { pattern, full_match: false, group: None } => {
                form.pattern.clone_from(pattern);
                MetricKind::Regex
            }
            MetricSpec::Json { fields } => {
                form.fields = fields.join(", ");
                MetricKind::Json
            }
            MetricSpec::Judge { rubric, scale } => {
                form.rubric.clone_from(rubric);
                form.scale = scale.to_string();
                MetricKind::Judge
            }
            MetricSpec::Custom { script } => {
                form.script.clone_from(script);
                MetricKind::Custom
            }
            _ => MetricKind::Spec,
        };
        form
    }

    /// The spec this form describes, checked.
    ///
    /// # Errors
    /// What is wrong with the options, for people.
    pub fn to_spec(&self) -> Result<MetricSpec, String> {
        let spec = match self.kind {
            MetricKind::Exact => MetricSpec::ExactMatch { case_sensitive: self.case_sensitive },
            MetricKind::Normalized => MetricSpec::NormalizedMatch,
            MetricKind::Contains => MetricSpec::Contains { case_sensitive: self.case_sensitive },
            MetricKind::TokenF1 => MetricSpec::TokenF1,
            MetricKind::Numeric => {
                let abs_tol = self.tolerance.trim().parse::<f64>().ok().filter(|t| *t >= 0.0);
                let abs_tol =
                    abs_tol.ok_or("the tolerance must be a number of 0 or more (e.g. 0.01)")?;
                let label = Some(self.number_label.trim().to_owned()).filter(|l| !l.is_empty());
                MetricSpec::Numeric { abs_tol, rel_tol: 0.0, label }
            }
            MetricKind::Choice => MetricSpec::Choice { labels: list(&self.labels) },
            MetricKind::Regex => {
                MetricSpec::Regex { pattern: self.pattern.clone(), full_match: false, group: None }
            }
            MetricKind::Json => MetricSpec::Json { fields: list(&self.fields) },
            MetricKind::Judge => {
                let scale = self.scale.trim().parse::<u32>().map_err(|_| {
                    "the judge scale must be a whole number such as 5 (grades 1 to 5)".to_owned()
                })?;
                MetricSpec::Judge { rubric: self.rubric.clone(), scale }
            }
            MetricKind::Custom => MetricSpec::Custom { script: self.script.clone() },
            MetricKind::Spec => serde_json::from_str(&self.json)
                .map_err(|e| format!("the metric JSON does not describe a metric: {e}"))?,
        };
        // Scripts are compiled where the interpreter is (the engine, or `try_on`).
        spec.validate_shape().map_err(|e| format!("metric: {e}"))?;
        Ok(spec)
    }

    /// "Try it on a row": scores `output` against `example`, or says why it cannot.
    ///
    /// # Errors
    /// When the options are invalid.
    pub fn try_on(&self, example: &Example, output: &str) -> Result<String, String> {
        let spec = self.to_spec()?;
        Ok(match spec.begin(output, example) {
            MetricStep::Done(score) => format!("Score {:.2}. {}", score.score, score.feedback),
            MetricStep::Judge(_) => {
                "This metric asks the judge model; it is scored during the run.".to_owned()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_round_trips_through_the_form() {
        let specs = [
            MetricSpec::ExactMatch { case_sensitive: true },
            MetricSpec::NormalizedMatch,
            MetricSpec::TokenF1,
            MetricSpec::Numeric { abs_tol: 0.5, rel_tol: 0.0, label: Some("Answer:".into()) },
            MetricSpec::Choice { labels: vec!["a".into(), "b".into()] },
            MetricSpec::Json { fields: vec!["name".into()] },
            MetricSpec::Judge { rubric: "good".into(), scale: 5 },
            MetricSpec::Format {
                min_chars: Some(1),
                max_chars: None,
                pattern: None,
                single_line: true,
            },
        ];
        for spec in specs {
            assert_eq!(MetricForm::from_spec(&spec).to_spec().unwrap(), spec);
        }
    }

    #[test]
    fn bad_options_are_named_and_try_it_scores_a_row() {
        let mut form = MetricForm { kind: MetricKind::Numeric, ..MetricForm::default() };
        form.tolerance = "lots".into();
        assert!(form.to_spec().unwrap_err().contains("tolerance"));
        form.kind = MetricKind::Choice;
        assert!(form.to_spec().is_err(), "a choice with no labels is refused");
        form.labels = "billing, bug".into();
        let example = Example::new([("ticket", "refund")], "billing");
        assert!(form.try_on(&example, "billing").unwrap().starts_with("Score 1.00"));
        assert!(form.try_on(&example, "bug").unwrap().starts_with("Score 0.00"));
        form.kind = MetricKind::Judge;
        assert!(form.try_on(&example, "x").unwrap().contains("judge"));
        form.kind = MetricKind::Spec;
        form.json = "{\"nope\": 1}".into();
        assert!(form.to_spec().unwrap_err().contains("JSON"));
    }
}
