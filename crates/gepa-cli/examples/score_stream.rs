//! Scores outputs with a run configuration's metric, one JSON line in, one out, so another
//! optimiser (the quality benchmark's Python gepa) gets exactly our score and feedback text.
//!
//! Usage: score_stream CONFIG.json < lines of {"inputs": {..}, "expected": "..", "output": ".."}
//! Each answer line is {"score": 0.0-1.0, "feedback": ".."}. Model-graded metrics are refused.
#![allow(clippy::print_stdout)]

use std::io::{BufRead, Write};

use gepa_core::metric::MetricStep;
use gepa_core::{Example, Score};
use gepa_share::run_config::RunConfigFile;

fn main() -> Result<(), String> {
    let path = std::env::args().nth(1).ok_or("usage: score_stream CONFIG.json")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let config = RunConfigFile::parse(&text).map_err(|e| format!("{path}: {e}"))?;
    let metric = config.setup.metric;
    if metric.needs_judge() {
        return Err("model-graded metrics cannot be scored offline".into());
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("bad line: {e}"))?;
        let text = |key: &str| value[key].as_str().unwrap_or_default().to_owned();
        let inputs: Vec<(String, String)> = value["inputs"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let example = Example::new(inputs, text("expected"));
        let score = match metric.begin(&text("output"), &example) {
            MetricStep::Done(score) => score,
            MetricStep::Judge(_) => Score::new(0.0, "needs a judge"),
        };
        let answer = serde_json::json!({"score": score.score, "feedback": score.feedback});
        writeln!(out, "{answer}").map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    Ok(())
}
