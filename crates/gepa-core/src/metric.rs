//! Scoring: every metric returns a score in [0, 1] and feedback text saying why.
//!
//! Deterministic metrics score immediately; a model-graded metric first asks for a `Judge`
//! request and finishes when the judge's reply arrives. The full metric library extends
//! [`MetricSpec`]; the engine only relies on [`MetricSpec::begin`] and [`MetricSpec::finish_judge`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::Example;
use crate::message::ChatMessage;

/// A metric's verdict on one output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// In [0, 1]; higher is better.
    pub score: f64,
    /// Why: what was expected, what was wrong. Reflection learns from this text.
    pub feedback: String,
    /// Optional named objectives (for objective / hybrid / cartesian fronts), each in [0, 1].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub objectives: BTreeMap<String, f64>,
}

impl Score {
    /// A score with feedback and no objectives; the score is clamped into [0, 1] (NaN → 0).
    pub fn new(score: f64, feedback: impl Into<String>) -> Self {
        let score = if score.is_nan() { 0.0 } else { score.clamp(0.0, 1.0) };
        Score { score, feedback: feedback.into(), objectives: BTreeMap::new() }
    }
}

/// The first stage of scoring an output.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricStep {
    /// Scored.
    Done(Score),
    /// Needs a judge model: send these messages, then call [`MetricSpec::finish_judge`].
    Judge(Vec<ChatMessage>),
}

/// A configured metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MetricSpec {
    /// 1 when the trimmed output equals the expected answer.
    ExactMatch {
        /// Compare case-sensitively.
        #[serde(default)]
        case_sensitive: bool,
    },
    /// 1 when the output contains the expected answer.
    Contains {
        /// Compare case-sensitively.
        #[serde(default)]
        case_sensitive: bool,
    },
    /// A judge model grades the output against a rubric on a 1..=scale scale; its reasoning
    /// becomes the feedback.
    Judge {
        /// What a good answer looks like.
        rubric: String,
        /// Top of the scale (at least 2).
        scale: u32,
    },
}

impl MetricSpec {
    /// Checks the parameters.
    ///
    /// # Errors
    /// A message naming the bad parameter.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            MetricSpec::Judge { scale, .. } if *scale < 2 => {
                Err("a judge scale needs at least 2 points".into())
            }
            MetricSpec::Judge { rubric, .. } if rubric.trim().is_empty() => {
                Err("the judge needs a rubric".into())
            }
            _ => Ok(()),
        }
    }

    /// True when scoring needs a judge model.
    #[must_use]
    pub fn needs_judge(&self) -> bool {
        matches!(self, MetricSpec::Judge { .. })
    }

    /// Starts scoring `output` against `example`.
    #[must_use]
    pub fn begin(&self, output: &str, example: &Example) -> MetricStep {
        match self {
            MetricSpec::ExactMatch { case_sensitive } => {
                let (got, want) = fold(output.trim(), example.expected.trim(), *case_sensitive);
                MetricStep::Done(if got == want {
                    Score::new(
                        1.0,
                        format!("Correct: the answer is exactly \"{}\".", example.expected.trim()),
                    )
                } else {
                    Score::new(
                        0.0,
                        format!(
                            "Incorrect: expected exactly \"{}\" and nothing else, got \"{}\".",
                            example.expected.trim(),
                            clip(output.trim(), 200)
                        ),
                    )
                })
            }
            MetricSpec::Contains { case_sensitive } => {
                let (got, want) = fold(output, example.expected.trim(), *case_sensitive);
                MetricStep::Done(if got.contains(&want) {
                    Score::new(
                        1.0,
                        format!("Correct: the answer contains \"{}\".", example.expected.trim()),
                    )
                } else {
                    Score::new(
                        0.0,
                        format!(
                            "Incorrect: the correct answer is \"{}\", which must appear verbatim in the response.",
                            example.expected.trim()
                        ),
                    )
                })
            }
            MetricSpec::Judge { rubric, scale } => {
                MetricStep::Judge(judge_messages(rubric, *scale, output, example))
            }
        }
    }

    /// Finishes a judge-graded score from the judge's reply.
    ///
    /// # Errors
    /// When the reply holds no score on the scale; the engine scores that as a failure with this
    /// message as feedback.
    pub fn finish_judge(&self, reply: &str) -> Result<Score, String> {
        let MetricSpec::Judge { scale, .. } = self else {
            return Err("this metric does not use a judge".into());
        };
        let value = parse_judge_score(reply).ok_or_else(|| {
            format!("the judge's reply had no \"Score: N\" line: {}", clip(reply.trim(), 200))
        })?;
        if !(1.0..=f64::from(*scale)).contains(&value) {
            return Err(format!("the judge gave {value}, outside the scale 1..{scale}"));
        }
        let reasoning = reply
            .lines()
            .filter(|l| !l.trim_start().to_ascii_lowercase().starts_with("score"))
            .collect::<Vec<_>>()
            .join("\n");
        let reasoning = reasoning.trim().trim_start_matches("Reasoning:").trim();
        Ok(Score::new(
            (value - 1.0) / f64::from(*scale - 1),
            format!(
                "Judge: {value}/{scale}. {}",
                if reasoning.is_empty() { "No reasoning given." } else { reasoning }
            ),
        ))
    }
}

fn fold(a: &str, b: &str, case_sensitive: bool) -> (String, String) {
    if case_sensitive { (a.to_owned(), b.to_owned()) } else { (a.to_lowercase(), b.to_lowercase()) }
}

fn clip(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max_chars).collect();
    format!("{cut}…")
}

fn judge_messages(rubric: &str, scale: u32, output: &str, example: &Example) -> Vec<ChatMessage> {
    let mut inputs = String::new();
    for (name, value) in &example.inputs {
        inputs.push_str(&format!("- {name}: {value}\n"));
    }
    let reference = if example.expected.trim().is_empty() {
        String::new()
    } else {
        format!("Reference answer:\n{}\n\n", example.expected.trim())
    };
    let notes = example
        .notes
        .as_deref()
        .map(|n| format!("Notes for grading:\n{n}\n\n"))
        .unwrap_or_default();
    vec![
        ChatMessage::system(format!(
            "You grade answers strictly and fairly against a rubric. Explain the main problems in \
             one or two sentences, then end with a line \"Score: N\" where N is an integer from 1 \
             (worst) to {scale} (best)."
        )),
        ChatMessage::user(format!(
            "Rubric:\n{rubric}\n\nInputs:\n{inputs}\n{reference}{notes}Answer to grade:\n{output}\n\n\
             Reply as:\nReasoning: <one or two sentences>\nScore: <1-{scale}>"
        )),
    ]
}

fn parse_judge_score(reply: &str) -> Option<f64> {
    reply.lines().rev().find_map(|line| {
        let lower = line.trim().trim_start_matches(['*', '#', ' ']).to_ascii_lowercase();
        let rest = lower.strip_prefix("score")?.trim_start_matches([':', '=', ' ', '*']);
        let number: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
        number.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(expected: &str) -> Example {
        Example::new([("q", "?")], expected)
    }

    fn done(step: MetricStep) -> Score {
        match step {
            MetricStep::Done(score) => score,
            MetricStep::Judge(_) => panic!("expected a direct score"),
        }
    }

    #[test]
    fn exact_match_scores_and_explains() {
        let m = MetricSpec::ExactMatch { case_sensitive: false };
        let hit = done(m.begin(" Paris ", &ex("paris")));
        assert_eq!(hit.score, 1.0);
        assert_eq!(hit.feedback, "Correct: the answer is exactly \"paris\".");
        let miss = done(m.begin("The capital is Paris.", &ex("Paris")));
        assert_eq!(miss.score, 0.0);
        assert_eq!(
            miss.feedback,
            "Incorrect: expected exactly \"Paris\" and nothing else, got \"The capital is Paris.\"."
        );
        let strict = MetricSpec::ExactMatch { case_sensitive: true };
        assert_eq!(done(strict.begin("paris", &ex("Paris"))).score, 0.0);
    }

    #[test]
    fn contains_scores_and_explains() {
        let m = MetricSpec::Contains { case_sensitive: false };
        assert_eq!(done(m.begin("It is PARIS.", &ex("Paris"))).score, 1.0);
        let miss = done(m.begin("Lyon", &ex("Paris")));
        assert_eq!(miss.score, 0.0);
        assert_eq!(
            miss.feedback,
            "Incorrect: the correct answer is \"Paris\", which must appear verbatim in the response."
        );
    }

    #[test]
    fn judge_asks_then_parses_score_and_reasoning() {
        let m = MetricSpec::Judge { rubric: "Must be polite.".into(), scale: 5 };
        let MetricStep::Judge(messages) = m.begin("Go away.", &ex("")) else {
            panic!("expected judge")
        };
        assert!(messages[1].content.contains("Must be polite."));
        assert!(messages[1].content.contains("Go away."));
        let score = m.finish_judge("Reasoning: Rude and curt.\nScore: 2").unwrap();
        assert!((score.score - 0.25).abs() < 1e-12);
        assert_eq!(score.feedback, "Judge: 2/5. Rude and curt.");
        assert!(m.finish_judge("I think it is fine.").is_err());
        assert!(m.finish_judge("Score: 9").is_err());
        assert!(m.finish_judge("**Score:** 5").is_ok());
    }

    #[test]
    fn score_is_clamped_and_nan_is_zero() {
        assert_eq!(Score::new(1.5, "").score, 1.0);
        assert_eq!(Score::new(f64::NAN, "").score, 0.0);
        assert!(MetricSpec::Judge { rubric: "x".into(), scale: 1 }.validate().is_err());
    }
}
