//! `gepa run` rides out transient faults unattended, and pauses at once for causes no retry can
//! fix. The model is scripted (not an LLM): a simulated world where each reflection adds one
//! rule and example i needs i mod 5 rules, served on loopback behind a fault-injecting proxy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]
// The scripted server and the proxy run on plain threads: this test is native-only.
#![allow(clippy::disallowed_methods)]

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gepa_core::config::StopConditions;
use gepa_core::events::{Event, StopReason, charged_rollouts};
use gepa_core::{Candidate, Dataset, Example, MetricSpec, Program, RunConfig, RunSetup};
use gepa_providers::Preset;
use gepa_share::RunFile;
use gepa_share::run_config::RunConfigFile;
use gepa_share::run_file::{ModelSettings, Models};
use support::{gepa, temp_dir};

/// Reads one HTTP request (head and body) from a stream.
fn read_request(stream: &TcpStream) -> Option<(String, Vec<u8>)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut head = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, body))
}

fn respond(mut stream: &TcpStream, status: &str, extra: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn completion(content: &str) -> String {
    serde_json::json!({
        "choices": [{"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5}
    })
    .to_string()
}

/// The simulated world (scripted): a user message `item-<i>` is answered `ans-<i>` when the
/// system prompt holds at least i mod 5 distinct `RULE <k>` lines, else `wrong`; any other
/// request is a reflection, answered with a fenced instruction holding one more rule than the
/// highest one in the request.
fn sim_world() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let Some((_, body)) = read_request(&stream) else { return };
                let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let messages = request["messages"].as_array().cloned().unwrap_or_default();
                let whole: String = messages
                    .iter()
                    .filter_map(|m| m["content"].as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                let last = messages.last().and_then(|m| m["content"].as_str()).unwrap_or("");
                let rules: Vec<u32> = whole
                    .split("RULE ")
                    .skip(1)
                    .filter_map(|rest| {
                        rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
                    })
                    .collect();
                let content =
                    match last.trim().strip_prefix("item-").and_then(|i| i.parse::<u32>().ok()) {
                        Some(i) => {
                            let distinct: std::collections::BTreeSet<u32> =
                                rules.into_iter().collect();
                            if distinct.len() as u32 >= i % 5 {
                                format!("ans-{i}")
                            } else {
                                "wrong".into()
                            }
                        }
                        None => {
                            let next = rules.into_iter().max().unwrap_or(0) + 1;
                            let lines: Vec<String> =
                                (1..=next).map(|k| format!("RULE {k}")).collect();
                            format!(
                                "```\nAnswer with the exact answer token.\n{}\n```",
                                lines.join("\n")
                            )
                        }
                    };
                respond(&stream, "200 OK", "", &completion(&content));
            });
        }
    });
    base
}

/// A tiny seeded generator for the proxy's dice (xorshift64*).
struct Dice(u64);

impl Dice {
    fn roll(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A fault-injecting reverse proxy in front of `upstream`: per request, with the given
/// probabilities, a 429 (Retry-After: 1), a 500, a dropped connection, a malformed 200 body, a
/// reply forwarded but marked cut off (`finish_reason: length`), or a fixed 401/404; otherwise
/// the request is forwarded as it is. Returns its base URL and the faults injected so far.
fn fault_proxy(
    upstream: &str,
    mix: &[(&'static str, f64)],
    seed: u64,
) -> (String, Arc<Mutex<BTreeMap<&'static str, usize>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").split('/').next().unwrap().to_owned();
    let counts = Arc::new(Mutex::new(BTreeMap::new()));
    let seen = counts.clone();
    let dice = Arc::new(Mutex::new(Dice(seed.max(1))));
    let mix = mix.to_vec();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (upstream, seen, dice, mix) =
                (upstream.clone(), seen.clone(), dice.clone(), mix.clone());
            std::thread::spawn(move || {
                let Some((head, body)) = read_request(&stream) else { return };
                let roll = dice.lock().unwrap().roll();
                let mut acc = 0.0;
                let fault = mix
                    .iter()
                    .find(|(_, p)| {
                        acc += p;
                        roll < acc
                    })
                    .map_or("ok", |(f, _)| *f);
                *seen.lock().unwrap().entry(fault).or_default() += 1;
                match fault {
                    "429" => respond(
                        &stream,
                        "429 Too Many Requests",
                        "retry-after: 1\r\n",
                        r#"{"error":{"message":"rate limited"}}"#,
                    ),
                    "500" => respond(
                        &stream,
                        "500 Internal Server Error",
                        "",
                        r#"{"error":{"message":"internal"}}"#,
                    ),
                    "401" => respond(
                        &stream,
                        "401 Unauthorized",
                        "",
                        r#"{"error":{"message":"Incorrect API key provided"}}"#,
                    ),
                    "404" => respond(
                        &stream,
                        "404 Not Found",
                        "",
                        r#"{"error":{"message":"model 'nope' not found"}}"#,
                    ),
                    "garbage" => respond(&stream, "200 OK", "", r#"{"choices": [ {"message": "#),
                    "drop" => {
                        let _ = stream.shutdown(std::net::Shutdown::Both);
                    }
                    _ => {
                        let mut up = TcpStream::connect(&upstream).unwrap();
                        up.write_all(head.as_bytes()).unwrap();
                        up.write_all(&body).unwrap();
                        let mut reply = String::new();
                        up.read_to_string(&mut reply).unwrap();
                        let json = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
                        let mut value: serde_json::Value = serde_json::from_str(json).unwrap();
                        if fault == "length" {
                            value["choices"][0]["finish_reason"] = "length".into();
                        }
                        respond(&stream, "200 OK", "", &value.to_string());
                    }
                }
            });
        }
    });
    (base, counts)
}

/// The 50% mix of the issue: 20% 429 + 10% 500 + 10% dropped + 10% malformed + 10% cut off.
const FIFTY: [(&str, f64); 5] =
    [("429", 0.2), ("500", 0.1), ("drop", 0.1), ("garbage", 0.1), ("length", 0.1)];

/// A run configuration of the simulated world: 12 train and 8 validation items, exact match.
fn world_config(dir: &Path, budget: u64, concurrency: usize) -> PathBuf {
    let item = |i: usize| Example::new([("input", format!("item-{i}"))], format!("ans-{i}"));
    let setup = RunSetup {
        config: RunConfig {
            stop: StopConditions { max_rollouts: Some(budget), ..StopConditions::default() },
            ..RunConfig::default()
        },
        program: Program::single_prompt("system", "{{input}}"),
        seed: Candidate::new([("system", "Answer the question.")]),
        data: Dataset { train: (0..12).map(item).collect(), val: (12..20).map(item).collect() },
        metric: MetricSpec::ExactMatch { case_sensitive: true },
    };
    let settings =
        ModelSettings { preset: Preset::LlamaCpp, model: "sim".into(), params: Default::default() };
    let models = Models { task: settings.clone(), reflection: settings, judge: None };
    let file = RunConfigFile::new("sim world".into(), setup, Vec::new(), models, concurrency);
    let path = dir.join("world.json");
    std::fs::write(&path, file.to_json().unwrap()).unwrap();
    path
}

#[test]
fn half_the_calls_failing_the_run_still_spends_its_budget_without_a_resume() {
    let dir = temp_dir("fifty");
    let config = world_config(&dir, 80, 4);
    let (proxy, counts) = fault_proxy(&sim_world(), &FIFTY, 1);
    let out = gepa(&["run", config.to_str().unwrap(), "--task-url", &proxy, "--quiet"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "finished without a pause: {stderr}");
    let counts = counts.lock().unwrap().clone();
    for fault in ["429", "500", "drop", "garbage", "length"] {
        assert!(counts.get(fault).copied().unwrap_or(0) > 0, "{fault} was injected: {counts:?}");
    }
    let run =
        RunFile::parse(&std::fs::read_to_string(dir.join("world.run.json")).unwrap()).unwrap();
    let engine = run.restore().unwrap();
    assert!(
        matches!(
            run.events.last(),
            Some(Event::RunFinished { reason: StopReason::BudgetExhausted { .. }, .. })
        ),
        "{:?}",
        run.events.last()
    );
    assert!(engine.rollouts_used() <= 80, "never over budget");
    assert!(engine.rollouts_used() >= 60, "spent its budget: {}", engine.rollouts_used());
    assert_eq!(charged_rollouts(&run.events), engine.rollouts_used(), "the ledger adds up");
    assert!(!run.events.iter().any(|e| matches!(e, Event::Paused { .. })), "never paused");
    let accepted: Vec<usize> = run
        .events
        .iter()
        .filter_map(|e| {
            if let Event::ProposalAccepted { candidate, .. } = e { Some(*candidate) } else { None }
        })
        .collect();
    assert!(!accepted.is_empty(), "the optimisation made progress");
    assert_eq!(
        engine.pool().len(),
        1 + accepted.len(),
        "every accepted candidate is in the run file"
    );
    assert!(accepted.iter().all(|c| *c < engine.pool().len()));
}

#[test]
fn causes_no_retry_can_fix_pause_at_once_with_the_cause() {
    let world = sim_world();
    for (fault, needle) in [("401", "API key"), ("404", "model")] {
        let dir = temp_dir(fault);
        let config = world_config(&dir, 40, 4);
        let (proxy, counts) = fault_proxy(&world, &[(fault, 1.0)], 2);
        let out = gepa(&["run", config.to_str().unwrap(), "--task-url", &proxy, "--quiet"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{fault}: {stderr}");
        assert!(stderr.contains(&format!("HTTP {fault}")) && stderr.contains(needle), "{stderr}");
        assert!(stderr.contains("gepa resume"), "{stderr}");
        let sent = counts.lock().unwrap().get(fault).copied().unwrap_or(0);
        assert!(sent <= 4, "{fault}: never retried, only the first wave was sent ({sent})");
    }
}

#[test]
fn a_dead_port_is_retried_until_patience_runs_out_then_pauses_with_the_fix() {
    let dir = temp_dir("dead");
    let config = world_config(&dir, 40, 4);
    let started = std::time::Instant::now();
    let out = gepa(&[
        "run",
        config.to_str().unwrap(),
        "--task-url",
        "http://127.0.0.1:9/v1",
        "--quiet",
        "--patience",
        "3",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(started.elapsed().as_secs_f64() >= 3.0, "retried for the whole patience window");
    assert!(
        stderr.contains("has failed for") && stderr.contains("without one good reply"),
        "{stderr}"
    );
    let run =
        RunFile::parse(&std::fs::read_to_string(dir.join("world.run.json")).unwrap()).unwrap();
    assert_eq!(run.restore().unwrap().rollouts_used(), 0, "nothing charged for failed calls");
}
