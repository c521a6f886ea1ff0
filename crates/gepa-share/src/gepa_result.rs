//! A result written by Python gepa (`GEPAResult.to_dict()`, gepa 0.1.x, validation schema
//! versions 0 to 2), read so the page can show that run: candidates and their lineage, the
//! validation scores per example, the per-example front, when each candidate was found, and
//! the best outputs when gepa tracked them.
//!
//! The file is treated as hostile like every other input: size limits, every index checked, and
//! a message that says what is wrong for each way it can be broken (including a JSON file that
//! is something else altogether).

use std::collections::{BTreeMap, BTreeSet};

use gepa_core::Candidate;
use serde_json::{Map, Value};

/// The largest file read (bytes).
pub const MAX_BYTES: usize = 32 * 1024 * 1024;
/// The most candidates read.
pub const MAX_CANDIDATES: usize = 20_000;
/// The most validation examples read.
pub const MAX_EXAMPLES: usize = 100_000;
/// The newest `validation_schema_version` understood (gepa 0.1.4 writes 2).
pub const SCHEMA_VERSION: u64 = 2;

/// One validation example's best outputs: (candidate, output) pairs.
pub type BestOutputs = Vec<(usize, String)>;

/// A Python gepa run, as its result file describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct GepaResult {
    /// Every candidate, in discovery order (index 0 is the seed).
    pub candidates: Vec<Candidate>,
    /// Each candidate's parents (none for the seed, two for a merge).
    pub parents: Vec<Vec<usize>>,
    /// Each candidate's mean validation score.
    pub scores: Vec<f64>,
    /// Each candidate's score per validation example (by position in `val_ids`).
    pub subscores: Vec<BTreeMap<u32, f64>>,
    /// gepa's ids of the validation examples, as written (numbers first, in order).
    pub val_ids: Vec<String>,
    /// Candidates best on at least one validation example (gepa's per-example front).
    pub front: BTreeSet<usize>,
    /// Metric calls spent when each candidate was found.
    pub discovered_at: Vec<u64>,
    /// The best candidate (gepa's `best_idx`, else the highest mean, first on ties).
    pub best: usize,
    /// Metric calls spent in all.
    pub total_metric_calls: Option<u64>,
    /// The best outputs per validation example (by position in `val_ids`), when tracked.
    pub best_outputs: BTreeMap<u32, BestOutputs>,
    /// The run's random seed, when written.
    pub seed: Option<u64>,
}

/// Why a file is not a readable gepa result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GepaResultError {
    /// Larger than `MAX_BYTES`.
    TooLarge {
        /// Its size.
        bytes: usize,
    },
    /// Not JSON at all.
    NotJson(String),
    /// JSON, but not a gepa result (no `candidates` and scores).
    NotAResult {
        /// What is missing.
        missing: &'static str,
    },
    /// Written by a newer gepa.
    NewerSchema {
        /// Its `validation_schema_version`.
        version: u64,
    },
    /// A field has the wrong shape or an index out of range.
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
}

impl std::fmt::Display for GepaResultError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { bytes } => write!(
                f,
                "This file is {} MB; a gepa result read here can be at most {} MB.",
                bytes / (1024 * 1024),
                MAX_BYTES / (1024 * 1024)
            ),
            Self::NotJson(e) => write!(f, "This file is not JSON ({e})."),
            Self::NotAResult { missing } => write!(
                f,
                "This JSON is neither a run file of this playground nor a Python gepa result: it has no '{missing}'. A gepa result is what GEPAResult.to_dict() returns, saved with json.dump (it has candidates, parents, val_aggregate_scores, val_subscores, …)."
            ),
            Self::NewerSchema { version } => write!(
                f,
                "This gepa result was written by a newer gepa (validation_schema_version {version}); this page reads versions up to {SCHEMA_VERSION} (gepa 0.1.x)."
            ),
            Self::Field { field, problem } => {
                write!(f, "This gepa result cannot be read: '{field}' {problem}.")
            }
        }
    }
}

impl std::error::Error for GepaResultError {}

fn field_error(field: &'static str, problem: impl Into<String>) -> GepaResultError {
    GepaResultError::Field { field, problem: problem.into() }
}

/// Entries of a per-example field: an object keyed by example id (schema 2) or a list indexed
/// by position (schemas 0 and 1), as (id, value) pairs.
fn per_example<'a>(
    field: &'static str,
    value: &'a Value,
) -> Result<Vec<(String, &'a Value)>, GepaResultError> {
    match value {
        Value::Object(map) => Ok(map.iter().map(|(k, v)| (k.clone(), v)).collect()),
        Value::Array(items) => {
            Ok(items.iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect())
        }
        _ => Err(field_error(field, "is neither an object nor a list")),
    }
}

fn index(field: &'static str, value: &Value, n: usize) -> Result<usize, GepaResultError> {
    match value.as_u64() {
        Some(i) if (i as usize) < n => Ok(i as usize),
        Some(i) => Err(field_error(field, format!("names candidate {i}, but there are {n}"))),
        None => Err(field_error(field, format!("holds {value}, not a candidate index"))),
    }
}

/// An output as people read it: a string as is, gepa's default adapter's
/// `{"full_assistant_response": …}` (or any one-string object) as its string, else compact JSON.
fn output_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(map) => match map.get("full_assistant_response") {
            Some(Value::String(s)) => s.clone(),
            _ => match map.values().collect::<Vec<_>>().as_slice() {
                [Value::String(s)] => s.clone(),
                _ => value.to_string(),
            },
        },
        _ => value.to_string(),
    }
}

impl GepaResult {
    /// Whether `text` looks like a gepa result (a JSON object with `candidates` and
    /// `val_aggregate_scores`), to tell it from this playground's own run files cheaply.
    #[must_use]
    pub fn looks_like(text: &str) -> bool {
        let head = &text[..text.len().min(1 << 20)];
        text.trim_start().starts_with('{')
            && head.contains("\"val_aggregate_scores\"")
            && text.contains("\"candidates\"")
    }

    /// Reads a gepa result.
    ///
    /// # Errors
    /// When the text is too large, not JSON, not a gepa result, from a newer gepa, or broken
    /// (each with a message that names the field and what is wrong).
    pub fn parse(text: &str) -> Result<GepaResult, GepaResultError> {
        if text.len() > MAX_BYTES {
            return Err(GepaResultError::TooLarge { bytes: text.len() });
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| GepaResultError::NotJson(e.to_string()))?;
        let Value::Object(d) = value else {
            return Err(GepaResultError::NotAResult { missing: "candidates" });
        };
        let version = d.get("validation_schema_version").and_then(Value::as_u64).unwrap_or(0);
        if version > SCHEMA_VERSION {
            return Err(GepaResultError::NewerSchema { version });
        }
        let candidates = read_candidates(&d)?;
        let n = candidates.len();
        let parents = read_parents(&d, n)?;
        let scores = read_scores(&d, n)?;
        let (subscores, val_ids) = read_subscores(&d, n)?;
        let position: BTreeMap<&str, u32> =
            val_ids.iter().enumerate().map(|(i, id)| (id.as_str(), i as u32)).collect();
        let front = read_front(&d, n)?;
        let discovered_at = match d.get("discovery_eval_counts") {
            None | Some(Value::Null) => vec![0; n],
            Some(Value::Array(counts)) if counts.len() == n => counts
                .iter()
                .map(|c| {
                    c.as_u64().ok_or_else(|| {
                        field_error("discovery_eval_counts", format!("holds {c}, not a count"))
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(field_error(
                    "discovery_eval_counts",
                    format!("is not a list of {n} counts (one per candidate)"),
                ));
            }
        };
        let mut best_outputs = BTreeMap::new();
        if let Some(outputs) = d.get("best_outputs_valset").filter(|v| !v.is_null()) {
            for (id, pairs) in per_example("best_outputs_valset", outputs)? {
                let Some(&at) = position.get(id.as_str()) else { continue };
                let Value::Array(pairs) = pairs else {
                    return Err(field_error(
                        "best_outputs_valset",
                        format!("for example {id} is not a list"),
                    ));
                };
                let mut list = Vec::new();
                for pair in pairs {
                    let Some([candidate, output]) = pair
                        .as_array()
                        .map(Vec::as_slice)
                        .and_then(|p| <&[Value; 2]>::try_from(p).ok())
                    else {
                        return Err(field_error(
                            "best_outputs_valset",
                            format!(
                                "for example {id} holds {pair}, not a [candidate, output] pair"
                            ),
                        ));
                    };
                    list.push((index("best_outputs_valset", candidate, n)?, output_text(output)));
                }
                best_outputs.insert(at, list);
            }
        }
        let highest = (0..n)
            .max_by(|a, b| scores[*a].total_cmp(&scores[*b]).then(b.cmp(a)))
            .unwrap_or_default();
        let best = match d.get("best_idx").filter(|v| !v.is_null()) {
            Some(v) => index("best_idx", v, n)?,
            None => highest,
        };
        Ok(GepaResult {
            candidates,
            parents,
            scores,
            subscores,
            val_ids,
            front,
            discovered_at,
            best,
            total_metric_calls: d.get("total_metric_calls").and_then(Value::as_u64),
            best_outputs,
            seed: d.get("seed").and_then(Value::as_u64),
        })
    }
}

fn read_candidates(d: &Map<String, Value>) -> Result<Vec<Candidate>, GepaResultError> {
    let Some(list) = d.get("candidates") else {
        return Err(GepaResultError::NotAResult { missing: "candidates" });
    };
    let Value::Array(list) = list else {
        return Err(field_error("candidates", "is not a list"));
    };
    if list.is_empty() {
        return Err(field_error("candidates", "is empty (a run has at least its seed)"));
    }
    if list.len() > MAX_CANDIDATES {
        return Err(field_error(
            "candidates",
            format!("has {} entries; at most {MAX_CANDIDATES} are read", list.len()),
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, c)| match c {
            Value::Object(map) if !map.is_empty() => {
                let mut texts = Vec::with_capacity(map.len());
                for (name, text) in map {
                    let Value::String(text) = text else {
                        return Err(field_error(
                            "candidates",
                            format!("#{i}'s component '{name}' is not text"),
                        ));
                    };
                    texts.push((name.clone(), text.clone()));
                }
                Ok(Candidate::new(texts))
            }
            Value::String(text) => Ok(Candidate::new([("system".to_owned(), text.clone())])),
            _ => Err(field_error(
                "candidates",
                format!("#{i} is not a map of component names to texts"),
            )),
        })
        .collect()
}

fn read_parents(d: &Map<String, Value>, n: usize) -> Result<Vec<Vec<usize>>, GepaResultError> {
    let Some(Value::Array(rows)) = d.get("parents") else {
        return Err(match d.get("parents") {
            None => GepaResultError::NotAResult { missing: "parents" },
            Some(_) => field_error("parents", "is not a list"),
        });
    };
    if rows.len() != n {
        return Err(field_error(
            "parents",
            format!("has {} entries but there are {n} candidates", rows.len()),
        ));
    }
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let Value::Array(row) = row else {
                return Err(field_error("parents", format!("of #{i} is not a list")));
            };
            let mut out = Vec::new();
            for p in row.iter().filter(|p| !p.is_null()) {
                let p = index("parents", p, n)?;
                if p >= i {
                    return Err(field_error(
                        "parents",
                        format!("of #{i} names #{p}, which was not found before it"),
                    ));
                }
                out.push(p);
            }
            Ok(out)
        })
        .collect()
}

fn read_scores(d: &Map<String, Value>, n: usize) -> Result<Vec<f64>, GepaResultError> {
    let Some(scores) = d.get("val_aggregate_scores") else {
        return Err(GepaResultError::NotAResult { missing: "val_aggregate_scores" });
    };
    match scores {
        Value::Array(s) if s.len() == n => s
            .iter()
            .map(|v| {
                v.as_f64().ok_or_else(|| {
                    field_error("val_aggregate_scores", format!("holds {v}, not a number"))
                })
            })
            .collect(),
        _ => Err(field_error(
            "val_aggregate_scores",
            format!("is not a list of {n} numbers (one per candidate)"),
        )),
    }
}

/// Per-candidate scores by example position, and the example ids in order (numbers sorted
/// numerically when every id is a number, else in order of first appearance).
type Subscores = (Vec<BTreeMap<u32, f64>>, Vec<String>);

fn read_subscores(d: &Map<String, Value>, n: usize) -> Result<Subscores, GepaResultError> {
    let rows: Vec<Vec<(String, f64)>> = match d.get("val_subscores") {
        None | Some(Value::Null) => vec![Vec::new(); n],
        Some(Value::Array(rows)) if rows.len() == n => rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                per_example("val_subscores", row)?
                    .into_iter()
                    .map(|(id, s)| {
                        s.as_f64().map(|s| (id.clone(), s)).ok_or_else(|| {
                            field_error(
                                "val_subscores",
                                format!("of #{i} on example {id} is {s}, not a number"),
                            )
                        })
                    })
                    .collect()
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(field_error(
                "val_subscores",
                format!("is not a list of {n} entries (one per candidate)"),
            ));
        }
    };
    let mut ids: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for (id, _) in rows.iter().flatten() {
        if seen.insert(id.clone()) {
            ids.push(id.clone());
        }
    }
    if ids.len() > MAX_EXAMPLES {
        return Err(field_error(
            "val_subscores",
            format!("covers {} examples; at most {MAX_EXAMPLES} are read", ids.len()),
        ));
    }
    if ids.iter().all(|id| id.parse::<u64>().is_ok()) {
        ids.sort_by_key(|id| id.parse::<u64>().unwrap_or(u64::MAX));
    }
    let position: BTreeMap<&str, u32> =
        ids.iter().enumerate().map(|(i, id)| (id.as_str(), i as u32)).collect();
    let subscores = rows
        .iter()
        .map(|row| {
            row.iter().filter_map(|(id, s)| position.get(id.as_str()).map(|at| (*at, *s))).collect()
        })
        .collect();
    Ok((subscores, ids))
}

fn read_front(d: &Map<String, Value>, n: usize) -> Result<BTreeSet<usize>, GepaResultError> {
    let mut front = BTreeSet::new();
    if let Some(per) = d.get("per_val_instance_best_candidates").filter(|v| !v.is_null()) {
        for (id, members) in per_example("per_val_instance_best_candidates", per)? {
            let Value::Array(members) = members else {
                return Err(field_error(
                    "per_val_instance_best_candidates",
                    format!("for example {id} is not a list"),
                ));
            };
            for m in members {
                front.insert(index("per_val_instance_best_candidates", m, n)?);
            }
        }
    }
    Ok(front)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../tests/fixtures/gepa-results/sim-world.json");
    const FIXTURE_SEED1: &str =
        include_str!("../../../tests/fixtures/gepa-results/sim-world-seed1.json");

    #[test]
    fn a_result_written_by_gepa_reads_with_its_lineage_scores_front_and_outputs() {
        // Written by real gepa 0.1.4 (tests/fixtures/gepa-results/make.sh).
        let r = GepaResult::parse(FIXTURE).unwrap();
        assert_eq!(r.candidates.len(), 4);
        assert_eq!(r.candidates[0].get("system"), Some("Answer the question."));
        assert_eq!(r.parents, [vec![], vec![0], vec![1], vec![2]]);
        assert_eq!(r.scores, [0.2, 0.4, 0.6, 0.8]);
        assert_eq!(r.best, 3);
        assert_eq!(r.discovered_at, [0, 38, 64, 96]);
        assert_eq!(r.total_metric_calls, Some(122));
        assert_eq!(r.val_ids.len(), 20);
        assert_eq!(r.val_ids[..3], ["0", "1", "2"]);
        assert_eq!(r.val_ids[10], "10", "numeric ids in numeric order");
        assert_eq!(r.subscores[0].len(), 20);
        assert_eq!(r.subscores[3].values().sum::<f64>() / 20.0, 0.8);
        assert_eq!(r.front, [0, 1, 2, 3].into_iter().collect());
        assert_eq!(r.best_outputs[&0][0], (0, "ans-20".to_owned()), "the adapter's response text");
        assert_eq!(r.seed, Some(0));
        let r = GepaResult::parse(FIXTURE_SEED1).unwrap();
        assert_eq!((r.candidates.len(), r.best, r.scores[4]), (5, 4, 1.0));
        assert!(r.best_outputs.is_empty(), "not tracked in this one");
        assert!(GepaResult::looks_like(FIXTURE) && GepaResult::looks_like(FIXTURE_SEED1));
    }

    #[test]
    fn older_schemas_with_lists_and_merges_read_too() {
        // Hand-written in the shape of schema 0 (lists indexed by position), with a merge.
        let old = r#"{"candidates":[{"a":"x","b":"y"},{"a":"x2","b":"y"},{"a":"x","b":"y2"},{"a":"x2","b":"y2"}],
            "parents":[[null],[0],[0],[1,2]],"val_aggregate_scores":[0.0,0.5,0.5,1.0],
            "val_subscores":[[0,0],[1,0],[0,1],[1,1]],"per_val_instance_best_candidates":[[3,1],[3,2]],
            "discovery_eval_counts":[0,5,9,14],"best_outputs_valset":[[[3,"yes"]],[[3,{"answer":"no"}]]]}"#;
        let r = GepaResult::parse(old).unwrap();
        assert_eq!(r.parents[3], [1, 2]);
        assert_eq!(r.subscores[2], [(0, 0.0), (1, 1.0)].into_iter().collect());
        assert_eq!(r.front, [1, 2, 3].into_iter().collect());
        assert_eq!(r.best, 3, "the highest mean when best_idx is not written");
        assert_eq!(r.best_outputs[&1], [(3, "no".to_owned())]);
    }

    #[test]
    fn other_shapes_and_broken_results_say_what_is_wrong() {
        let cases: [(&str, &str); 9] = [
            ("not json", "not JSON"),
            ("[1, 2]", "has no 'candidates'"),
            (
                r#"{"format":"gepa-playground-run","version":3}"#,
                "neither a run file of this playground nor a Python gepa result: it has no 'candidates'",
            ),
            (r#"{"candidates":[{"s":"a"}],"parents":[[null]]}"#, "no 'val_aggregate_scores'"),
            (
                r#"{"candidates":[{"s":"a"}],"parents":[[null]],"val_aggregate_scores":[1],"validation_schema_version":3}"#,
                "newer gepa (validation_schema_version 3)",
            ),
            (
                r#"{"candidates":[{"s":"a"},{"s":"b"}],"parents":[[null]],"val_aggregate_scores":[1,1]}"#,
                "'parents' has 1 entries but there are 2 candidates",
            ),
            (
                r#"{"candidates":[{"s":"a"},{"s":"b"}],"parents":[[null],[7]],"val_aggregate_scores":[1,1]}"#,
                "'parents' names candidate 7, but there are 2",
            ),
            (
                r#"{"candidates":[{"s":"a"},{"s":1}],"parents":[[null],[0]],"val_aggregate_scores":[1,1]}"#,
                "#1's component 's' is not text",
            ),
            (
                r#"{"candidates":[{"s":"a"}],"parents":[[null]],"val_aggregate_scores":[1],"best_idx":4}"#,
                "'best_idx' names candidate 4, but there are 1",
            ),
        ];
        for (text, expected) in cases {
            let message = GepaResult::parse(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{text}: {message}");
        }
        let huge = " ".repeat(MAX_BYTES + 1);
        assert!(matches!(GepaResult::parse(&huge), Err(GepaResultError::TooLarge { .. })));
        assert!(!GepaResult::looks_like(r#"{"format":"gepa-playground-run","candidates":[]}"#));
    }
}
