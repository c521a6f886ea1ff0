//! The LLM-as-judge prompt and the parsing of its verdict.

use std::fmt::Write as _;

use super::Score;
use super::text::clip;
use crate::data::Example;
use crate::message::ChatMessage;

/// The judge request for one output.
pub(super) fn messages(
    rubric: &str,
    scale: u32,
    output: &str,
    example: &Example,
) -> Vec<ChatMessage> {
    let mut inputs = String::new();
    for (name, value) in &example.inputs {
        let _ = writeln!(inputs, "- {name}: {value}");
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

/// Reads "Score: N" (last one wins) and the reasoning from a judge's reply.
pub(super) fn finish(reply: &str, scale: u32) -> Result<Score, String> {
    let value = parse_score(reply).ok_or_else(|| {
        format!("the judge's reply had no \"Score: N\" line: {}", clip(reply.trim(), 200))
    })?;
    if !(1.0..=f64::from(scale)).contains(&value) {
        return Err(format!("the judge gave {value}, outside the scale 1..{scale}"));
    }
    let reasoning = reply
        .lines()
        .filter(|l| {
            !l.trim_start()
                .trim_start_matches(['*', '#', ' '])
                .to_ascii_lowercase()
                .starts_with("score")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let reasoning = reasoning.trim().trim_start_matches("Reasoning:").trim();
    Ok(Score::new(
        (value - 1.0) / f64::from(scale - 1),
        format!(
            "Judge: {value}/{scale}. {}",
            if reasoning.is_empty() { "No reasoning given." } else { reasoning }
        ),
    ))
}

fn parse_score(reply: &str) -> Option<f64> {
    reply.lines().rev().find_map(|line| {
        let lower = line.trim().trim_start_matches(['*', '#', ' ']).to_ascii_lowercase();
        let rest = lower.strip_prefix("score")?.trim_start_matches([':', '=', ' ', '*']);
        let number: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
        number.parse().ok()
    })
}
