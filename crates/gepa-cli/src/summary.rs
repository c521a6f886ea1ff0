//! What scripts read: engine events as JSON lines, and the final summary as one JSON object.

use std::io::Write as _;
use std::path::Path;

use gepa_core::advice::Advice;
use gepa_core::{Engine, Event, Status};
use gepa_providers::Endpoints;
use gepa_share::{SharedPrompt, SharedScores};
use serde_json::{Value, json};

/// Writes `events` to stdout, one JSON object per line, flushed so a reader sees each at once.
/// A closed pipe is not an error (`gepa run … --events jsonl | head`).
pub fn write_events(events: &[Event]) {
    let mut out = std::io::stdout().lock();
    for event in events {
        if let Ok(line) = serde_json::to_string(event) {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = out.flush();
}

/// The share link of the run's best candidate on `app_url`.
///
/// # Errors
/// When the run has no candidate yet, or the link cannot be built.
pub fn share_link(engine: &Engine, endpoints: &Endpoints, app_url: &str) -> Result<String, String> {
    let best = engine.best().ok_or("no candidate has been scored yet")?;
    let entry = &engine.pool()[best];
    let scores = SharedScores {
        seed_val: engine.pool().first().map(|e| e.mean_score),
        best_val: Some(entry.mean_score),
        seed_test: None,
        best_test: None,
    };
    let shared = SharedPrompt::from_run(
        entry.candidate.clone(),
        engine.setup().program.clone(),
        engine.setup().metric.clone(),
        endpoints,
        scores,
    );
    shared.link(app_url).map_err(|e| e.to_string())
}

/// The end-of-run summary. `stopped` says how the command ended ("finished", "paused",
/// "interrupted"); `link` is the share link or why there is none; `advice` says why the run is
/// not improving, when one reason dominates.
#[must_use]
pub fn summary(
    engine: &Engine,
    stopped: &str,
    exit_code: u8,
    run_file: &Path,
    link: Result<String, String>,
    advice: Option<&Advice>,
) -> Value {
    let reason = match engine.status() {
        Status::Finished { reason } => reason.describe(),
        Status::Paused { reason } => reason,
        Status::Running => String::new(),
    };
    let best = engine.best().map(|b| {
        let entry = &engine.pool()[b];
        let prompt: serde_json::Map<String, Value> =
            entry.candidate.iter().map(|(n, t)| (n.to_owned(), Value::from(t))).collect();
        json!({ "candidate": b, "val": entry.mean_score, "prompt": prompt })
    });
    let spend = engine.spend();
    let usd = match (spend.task.cost_usd, spend.reflection.cost_usd, spend.judge.cost_usd) {
        (None, None, None) => None,
        (a, b, c) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0) + c.unwrap_or(0.0)),
    };
    let tokens =
        |u: &gepa_core::Usage| json!({ "input": u.input_tokens, "output": u.output_tokens });
    let (share_link, share_error) = match link {
        Ok(link) => (Some(link), None),
        Err(e) => (None, Some(e)),
    };
    json!({
        "format": "gepa-run-summary/1",
        "status": stopped,
        "reason": reason,
        "exit_code": exit_code,
        "best": best,
        "seed_val": engine.pool().first().map(|e| e.mean_score),
        "rollouts": engine.rollouts_used(),
        "budget": engine.setup().config.stop.max_rollouts,
        "iterations": engine.finished_iterations(),
        "candidates": engine.pool().len(),
        "calls": { "task": spend.calls[0], "reflection": spend.calls[1], "judge": spend.calls[2] },
        "tokens": { "task": tokens(&spend.task), "reflection": tokens(&spend.reflection), "judge": tokens(&spend.judge) },
        "cost_usd": usd,
        "run_file": run_file.display().to_string(),
        "share_link": share_link,
        "share_link_error": share_error,
        "advice": advice,
    })
}
