//! Scoring: every metric returns a score in [0, 1] and feedback text saying why.
//!
//! GEPA learns from the feedback, not just the score, so each metric explains a miss: what was
//! expected, what was found, what to change. Deterministic metrics score at once; a model-graded
//! metric (or a combination that includes one) first asks for a `Judge` request and finishes
//! when the reply arrives ([`MetricSpec::finish_judge`]).

pub mod custom;
mod judge;
pub mod numeric;
pub(crate) mod structured;
pub mod text;

use std::collections::BTreeMap;

use regex_lite::Regex;
use serde::{Deserialize, Serialize};

use crate::data::Example;
use crate::message::ChatMessage;
use text::{clip, normalize_answer, token_f1};

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

/// One weighted part of a combination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// Name shown in feedback (and the objective's name).
    pub name: String,
    /// Relative weight (> 0).
    pub weight: f64,
    /// The metric.
    pub metric: MetricSpec,
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
    /// 1 when the outputs match after lower-casing and dropping punctuation, articles and
    /// extra whitespace.
    NormalizedMatch,
    /// 1 when the output contains the expected answer.
    Contains {
        /// Compare case-sensitively.
        #[serde(default)]
        case_sensitive: bool,
    },
    /// A regular expression: a match (anywhere, or of the whole output) scores 1; with `group`,
    /// the captured text must equal the expected answer.
    Regex {
        /// The pattern (Rust `regex` syntax, without Unicode classes).
        pattern: String,
        /// Require the whole (trimmed) output to match.
        #[serde(default)]
        full_match: bool,
        /// Compare this capture group to the expected answer.
        #[serde(default)]
        group: Option<usize>,
    },
    /// Token-level F1 against the expected answer (after normalisation).
    TokenF1,
    /// A number read from the output (after `label`, else the last one) within tolerance of
    /// the expected number.
    Numeric {
        /// Absolute tolerance.
        #[serde(default)]
        abs_tol: f64,
        /// Relative tolerance (fraction of the expected value).
        #[serde(default)]
        rel_tol: f64,
        /// Read the number that follows this label (e.g. `Answer:`).
        #[serde(default)]
        label: Option<String>,
    },
    /// The output parsed as JSON (even inside a fenced block) and compared field by field with
    /// the expected JSON object; the score is the fraction of checked fields that are right.
    Json {
        /// Fields to check; empty = every field of the expected object.
        #[serde(default)]
        fields: Vec<String>,
    },
    /// One label from a fixed set, read from the output and compared with the expected label.
    Choice {
        /// The allowed labels.
        labels: Vec<String>,
    },
    /// Length and shape constraints on the output (no expected answer needed); the score is
    /// the fraction of constraints met.
    Format {
        /// Minimum characters.
        #[serde(default)]
        min_chars: Option<usize>,
        /// Maximum characters.
        #[serde(default)]
        max_chars: Option<usize>,
        /// The whole trimmed output must match this pattern.
        #[serde(default)]
        pattern: Option<String>,
        /// The output must be a single line.
        #[serde(default)]
        single_line: bool,
    },
    /// A judge model grades the output against a rubric on a 1..=scale scale; its reasoning
    /// becomes the feedback.
    Judge {
        /// What a good answer looks like.
        rubric: String,
        /// Top of the scale (at least 2).
        scale: u32,
    },
    /// A user-written Rhai script (see [`custom`]).
    Custom {
        /// The script.
        script: String,
    },
    /// A weighted mean of several metrics (at most one judge among them). With `objectives`,
    /// each part is also reported as a named objective for objective / hybrid / cartesian fronts.
    Combination {
        /// The parts.
        parts: Vec<Part>,
        /// Report each part as an objective.
        #[serde(default)]
        objectives: bool,
    },
}

impl MetricSpec {
    /// Checks the parameters.
    ///
    /// # Errors
    /// A message naming the bad parameter.
    pub fn validate(&self) -> Result<(), String> {
        self.check(true)
    }

    /// Checks every parameter except that custom scripts compile: what a page can check
    /// without the script interpreter (the engine checks the scripts when a run starts).
    ///
    /// # Errors
    /// A message naming the bad parameter.
    pub fn validate_shape(&self) -> Result<(), String> {
        self.check(false)
    }

    fn check(&self, scripts: bool) -> Result<(), String> {
        match self {
            MetricSpec::Judge { scale, .. } if *scale < 2 => {
                Err("a judge scale needs at least 2 points".into())
            }
            MetricSpec::Judge { rubric, .. } if rubric.trim().is_empty() => {
                Err("the judge needs a rubric".into())
            }
            MetricSpec::Regex { pattern, .. } => compile(pattern).map(|_| ()),
            MetricSpec::Format { pattern: Some(pattern), .. } => compile(pattern).map(|_| ()),
            MetricSpec::Numeric { abs_tol, rel_tol, .. } if *abs_tol < 0.0 || *rel_tol < 0.0 => {
                Err("tolerances cannot be negative".into())
            }
            MetricSpec::Choice { labels }
                if labels.iter().filter(|l| !l.trim().is_empty()).count() < 2 =>
            {
                Err("a choice metric needs at least two labels".into())
            }
            MetricSpec::Custom { script } if scripts => {
                custom::check(script).map_err(|e| format!("custom metric, {e}"))
            }
            MetricSpec::Combination { parts, .. } => {
                if parts.is_empty() {
                    return Err("a combination needs at least one metric".into());
                }
                if parts.iter().filter(|p| p.metric.needs_judge()).count() > 1 {
                    return Err("a combination can include at most one judge".into());
                }
                for part in parts {
                    if !(part.weight.is_finite() && part.weight > 0.0) {
                        return Err(format!(
                            "the weight of \"{}\" must be a positive number",
                            part.name
                        ));
                    }
                    if matches!(part.metric, MetricSpec::Combination { .. }) {
                        return Err("combinations cannot be nested".into());
                    }
                    part.metric.check(scripts).map_err(|e| format!("{}: {e}", part.name))?;
                }
                let mut names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                if names.len() != parts.len() {
                    return Err("each metric in a combination needs its own name".into());
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// True when it runs a custom script (which only the engine's interpreter can check).
    #[must_use]
    pub fn has_script(&self) -> bool {
        match self {
            MetricSpec::Custom { .. } => true,
            MetricSpec::Combination { parts, .. } => parts.iter().any(|p| p.metric.has_script()),
            _ => false,
        }
    }

    /// True when scoring needs a judge model.
    #[must_use]
    pub fn needs_judge(&self) -> bool {
        match self {
            MetricSpec::Judge { .. } => true,
            MetricSpec::Combination { parts, .. } => parts.iter().any(|p| p.metric.needs_judge()),
            _ => false,
        }
    }

    /// True when the metric reports named objectives.
    #[must_use]
    pub fn reports_objectives(&self) -> bool {
        matches!(self, MetricSpec::Combination { objectives: true, .. })
    }

    /// Starts scoring `output` against `example`. This is also the "try the metric" helper:
    /// call it with a sample output before a run.
    #[must_use]
    pub fn begin(&self, output: &str, example: &Example) -> MetricStep {
        match self {
            MetricSpec::Judge { rubric, scale } => {
                MetricStep::Judge(judge::messages(rubric, *scale, output, example))
            }
            MetricSpec::Combination { parts, objectives } => {
                match parts.iter().find(|p| p.metric.needs_judge()) {
                    Some(part) => part.metric.begin(output, example),
                    None => MetricStep::Done(teaches(
                        combine(parts, *objectives, output, example, None),
                        example,
                    )),
                }
            }
            deterministic => {
                MetricStep::Done(teaches(deterministic.score_now(output, example), example))
            }
        }
    }

    /// Finishes a judge-graded score from the judge's reply (for a combination, the other
    /// parts are scored again here: they are deterministic).
    ///
    /// # Errors
    /// When the reply holds no score on the scale; the engine scores that as a failure with this
    /// message as feedback.
    pub fn finish_judge(
        &self,
        reply: &str,
        output: &str,
        example: &Example,
    ) -> Result<Score, String> {
        match self {
            MetricSpec::Judge { scale, .. } => {
                judge::finish(reply, *scale).map(|score| teaches(score, example))
            }
            MetricSpec::Combination { parts, objectives } => {
                let judged = parts
                    .iter()
                    .find_map(|p| match &p.metric {
                        MetricSpec::Judge { scale, .. } => Some(judge::finish(reply, *scale)),
                        _ => None,
                    })
                    .ok_or("this combination has no judge")??;
                Ok(teaches(combine(parts, *objectives, output, example, Some(judged)), example))
            }
            _ => Err("this metric does not use a judge".into()),
        }
    }

    /// Scores a deterministic metric.
    fn score_now(&self, output: &str, example: &Example) -> Score {
        let expected = example.expected.trim();
        match self {
            MetricSpec::ExactMatch { case_sensitive } => {
                let (got, want) = fold(output.trim(), expected, *case_sensitive);
                if got == want {
                    Score::new(1.0, format!("Correct: the answer is exactly \"{expected}\"."))
                } else {
                    Score::new(0.0, exact_miss(output.trim(), expected, *case_sensitive))
                }
            }
            MetricSpec::NormalizedMatch => {
                let (got, want) = (normalize_answer(output), normalize_answer(expected));
                if got == want {
                    Score::new(1.0, format!("Correct: the answer matches \"{expected}\"."))
                } else if !want.is_empty() && format!(" {got} ").contains(&format!(" {want} ")) {
                    Score::new(0.0, wrapped_answer(output.trim(), expected))
                } else {
                    Score::new(
                        0.0,
                        format!(
                            "Incorrect: expected \"{expected}\", got \"{}\".",
                            clip(output.trim(), 200)
                        ),
                    )
                }
            }
            MetricSpec::Contains { case_sensitive } => {
                let (got, want) = fold(output, expected, *case_sensitive);
                if got.contains(&want) {
                    Score::new(1.0, format!("Correct: the answer contains \"{expected}\"."))
                } else {
                    Score::new(
                        0.0,
                        format!(
                            "Incorrect: the correct answer is \"{expected}\", which must appear verbatim in the response."
                        ),
                    )
                }
            }
            MetricSpec::Regex { pattern, full_match, group } => {
                score_regex(pattern, *full_match, *group, output, expected)
            }
            MetricSpec::TokenF1 => {
                let (precision, recall, f1) = token_f1(output, expected);
                let feedback = if f1 >= 1.0 {
                    format!("Correct: the answer matches \"{expected}\".")
                } else {
                    format!(
                        "Token F1 {f1:.2} (precision {precision:.2}, recall {recall:.2}) against \"{}\"; {}",
                        clip(expected, 200),
                        if recall < precision {
                            "the answer leaves out words of the expected answer."
                        } else {
                            "the answer adds words that are not in the expected answer."
                        }
                    )
                };
                Score::new(f1, feedback)
            }
            MetricSpec::Numeric { abs_tol, rel_tol, label } => {
                score_numeric(output, expected, *abs_tol, *rel_tol, label.as_deref())
            }
            MetricSpec::Json { fields } => structured::score_json(output, expected, fields),
            MetricSpec::Choice { labels } => score_choice(output, expected, labels),
            MetricSpec::Format { min_chars, max_chars, pattern, single_line } => {
                score_format(output, *min_chars, *max_chars, pattern.as_deref(), *single_line)
            }
            MetricSpec::Custom { script } => match custom::run(script, output, example) {
                Ok(score) => score,
                Err(e) => Score::new(0.0, format!("The custom metric failed: {e}")),
            },
            MetricSpec::Judge { .. } | MetricSpec::Combination { .. } => {
                Score::new(0.0, "this metric is not deterministic")
            }
        }
    }
}

/// Feedback that teaches: a miss on an example that has an expected answer always states it (a
/// custom script's or a judge's own words may not), so the reflection model can learn what was
/// right.
fn teaches(mut score: Score, example: &Example) -> Score {
    let expected = example.expected.trim();
    let stated =
        score.feedback.contains(expected) || score.feedback.contains("The expected answer is");
    if score.score < 1.0 && !expected.is_empty() && !stated {
        let sep = if score.feedback.trim().is_empty() { "" } else { " " };
        score.feedback = format!(
            "{}{sep}The expected answer is \"{}\".",
            score.feedback.trim_end(),
            clip(expected, 300)
        );
    }
    score
}

/// Why an exact answer missed, so that reflection can tell a format slip from a wrong answer:
/// the right answer wrapped in other text, a difference in letter case only, or another answer.
/// Every form states the expected answer.
fn exact_miss(output: &str, expected: &str, case_sensitive: bool) -> String {
    let got = clip(output, 200);
    if case_sensitive && output.to_lowercase() == expected.to_lowercase() {
        format!(
            "Incorrect: expected exactly \"{expected}\", got \"{got}\": only the letter case differs."
        )
    } else if !expected.is_empty() && {
        let (output, expected) = fold(output, expected, case_sensitive);
        output.contains(&expected)
    } {
        wrapped_answer(output, expected)
    } else {
        format!("Incorrect: expected exactly \"{expected}\" and nothing else, got \"{got}\".")
    }
}

/// The feedback on a reply that holds the right answer inside other text.
fn wrapped_answer(output: &str, expected: &str) -> String {
    format!(
        "Incorrect: the reply \"{}\" holds the right answer but adds other text around it. \
         The reply must be the answer alone, exactly \"{expected}\".",
        clip(output, 200)
    )
}

fn fold(a: &str, b: &str, case_sensitive: bool) -> (String, String) {
    if case_sensitive { (a.to_owned(), b.to_owned()) } else { (a.to_lowercase(), b.to_lowercase()) }
}

fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern)
        .map_err(|e| format!("the pattern {pattern:?} is not a valid regular expression: {e}"))
}

fn score_regex(
    pattern: &str,
    full_match: bool,
    group: Option<usize>,
    output: &str,
    expected: &str,
) -> Score {
    let re = match compile(pattern) {
        Ok(re) => re,
        Err(e) => return Score::new(0.0, e),
    };
    let subject = output.trim();
    let captures = re.captures(subject).filter(|c| {
        !full_match || c.get(0).is_some_and(|m| m.start() == 0 && m.end() == subject.len())
    });
    let Some(captures) = captures else {
        let how =
            if full_match { "the whole answer must match" } else { "the answer has no match for" };
        let want = if expected.is_empty() {
            String::new()
        } else {
            format!(" The expected answer is \"{}\".", clip(expected, 200))
        };
        return Score::new(
            0.0,
            format!(
                "Incorrect: {how} the pattern {pattern}; got \"{}\".{want}",
                clip(subject, 200)
            ),
        );
    };
    match group {
        None => Score::new(1.0, format!("Correct: the answer matches {pattern}.")),
        Some(g) => {
            let found = captures.get(g).map_or("", |m| m.as_str()).trim();
            if found.eq_ignore_ascii_case(expected) {
                Score::new(1.0, format!("Correct: extracted \"{found}\"."))
            } else {
                Score::new(
                    0.0,
                    format!(
                        "Incorrect: extracted \"{}\" but expected \"{expected}\".",
                        clip(found, 120)
                    ),
                )
            }
        }
    }
}

fn score_numeric(
    output: &str,
    expected: &str,
    abs_tol: f64,
    rel_tol: f64,
    label: Option<&str>,
) -> Score {
    let Some(want) = numeric::numbers(expected).first().copied() else {
        return Score::new(
            0.0,
            format!(
                "The expected answer \"{}\" has no number to compare with.",
                clip(expected, 80)
            ),
        );
    };
    let Some(got) = numeric::extract(output, label) else {
        let hint = label.map(|l| format!(" after \"{l}\"")).unwrap_or_default();
        return Score::new(
            0.0,
            format!(
                "Incorrect: no number found{hint} in the answer; expected {}. End the answer with the number.",
                numeric::show(want)
            ),
        );
    };
    let tolerance = abs_tol.max(rel_tol * want.abs());
    if (got - want).abs() <= tolerance {
        Score::new(
            1.0,
            format!("Correct: {} (expected {}).", numeric::show(got), numeric::show(want)),
        )
    } else {
        let tol = if tolerance > 0.0 {
            format!(" ± {}", numeric::show(tolerance))
        } else {
            String::new()
        };
        Score::new(
            0.0,
            format!(
                "Incorrect: the answer was read as {}, but the correct answer is {}{tol}.",
                numeric::show(got),
                numeric::show(want)
            ),
        )
    }
}

fn score_choice(output: &str, expected: &str, labels: &[String]) -> Score {
    let options = labels.join(", ");
    match structured::extract_choice(output, labels) {
        None => Score::new(
            0.0,
            format!(
                "Incorrect: the answer names none of the labels ({options}); expected \"{expected}\". Answer with exactly one label."
            ),
        ),
        Some(found) if found.trim().eq_ignore_ascii_case(expected) => {
            Score::new(1.0, format!("Correct: answered \"{found}\"."))
        }
        Some(found) => {
            Score::new(0.0, format!("Incorrect: answered \"{found}\", expected \"{expected}\"."))
        }
    }
}

fn score_format(
    output: &str,
    min_chars: Option<usize>,
    max_chars: Option<usize>,
    pattern: Option<&str>,
    single_line: bool,
) -> Score {
    let text = output.trim();
    let chars = text.chars().count();
    let mut checks: Vec<(bool, String)> = Vec::new();
    if let Some(min) = min_chars {
        checks.push((chars >= min, format!("at least {min} characters (has {chars})")));
    }
    if let Some(max) = max_chars {
        checks.push((chars <= max, format!("at most {max} characters (has {chars})")));
    }
    if let Some(pattern) = pattern {
        let ok = compile(pattern)
            .is_ok_and(|re| re.find(text).is_some_and(|m| m.start() == 0 && m.end() == text.len()));
        checks.push((ok, format!("the whole answer matches {pattern}")));
    }
    if single_line {
        checks.push((!text.contains('\n'), "a single line".to_owned()));
    }
    if checks.is_empty() {
        return Score::new(1.0, "No format constraints are set.");
    }
    let met = checks.iter().filter(|(ok, _)| *ok).count();
    let failed: Vec<&str> =
        checks.iter().filter(|(ok, _)| !ok).map(|(_, what)| what.as_str()).collect();
    #[expect(clippy::cast_precision_loss, reason = "a handful of checks")]
    let score = met as f64 / checks.len() as f64;
    let feedback = if failed.is_empty() {
        "Correct: the answer meets every format rule.".to_owned()
    } else {
        format!("The answer must be: {}.", failed.join("; "))
    };
    Score::new(score, feedback)
}

fn combine(
    parts: &[Part],
    objectives: bool,
    output: &str,
    example: &Example,
    judged: Option<Score>,
) -> Score {
    let mut total = 0.0;
    let mut weight = 0.0;
    let mut lines = Vec::new();
    let mut named = BTreeMap::new();
    for part in parts {
        let score = match (&part.metric, &judged) {
            (MetricSpec::Judge { .. }, Some(j)) => j.clone(),
            (MetricSpec::Judge { .. }, None) => continue,
            (metric, _) => metric.score_now(output, example),
        };
        total += part.weight * score.score;
        weight += part.weight;
        lines.push(format!("{} ({:.2}): {}", part.name, score.score, score.feedback));
        named.insert(part.name.clone(), score.score);
    }
    let mut score = Score::new(if weight > 0.0 { total / weight } else { 0.0 }, lines.join("\n"));
    if objectives {
        score.objectives = named;
    }
    score
}

#[cfg(test)]
mod tests;
