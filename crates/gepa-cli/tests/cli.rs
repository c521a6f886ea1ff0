//! The `gepa` binary end to end: against a scripted fault-injecting server on loopback (always),
//! and against the real local LLM (feature `real-llm`, run by `./dev test`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]
// The scripted server runs on plain threads: this test is native-only.
#![allow(clippy::disallowed_methods)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gepa_core::config::StopConditions;
use gepa_core::events::charged_rollouts;
use gepa_core::{RunConfig, RunSetup};
use gepa_datasets::example_task::ExampleTask;
use gepa_datasets::{SplitPlan, split};
use gepa_providers::Preset;
use gepa_share::RunFile;
use gepa_share::run_config::RunConfigFile;
use gepa_share::run_file::{ModelSettings, Models};
use support::{completion, gepa, response, scripted_server, temp_dir};

/// A configuration for the support-triage example: `budget` rollouts, small splits.
fn write_config(dir: &Path, budget: u64, model: &str) -> PathBuf {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../static/examples/support-triage.json");
    let task: ExampleTask = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let table = task.table().unwrap();
    let s =
        split(&table, &task.roles().unwrap(), &SplitPlan { train: 6, val: 4, test: 4, seed: 1 })
            .unwrap();
    let setup = RunSetup {
        config: RunConfig {
            stop: StopConditions { max_rollouts: Some(budget), ..StopConditions::default() },
            ..RunConfig::default()
        },
        program: task.program(),
        seed: task.seed(),
        data: s.data,
        metric: task.metric.clone(),
    };
    let settings = ModelSettings {
        preset: Preset::LlamaCpp,
        model: model.into(),
        params: gepa_providers::ModelParams { max_tokens: Some(24), ..Default::default() },
    };
    let models = Models {
        task: settings.clone(),
        reflection: ModelSettings {
            params: gepa_providers::ModelParams { max_tokens: Some(200), ..Default::default() },
            ..settings
        },
        judge: None,
    };
    let config = RunConfigFile::new("triage".into(), setup, s.test, models, 4);
    let out = dir.join("triage.json");
    std::fs::write(&out, config.to_json().unwrap()).unwrap();
    out
}

/// A scripted OpenAI-compatible server (not an LLM) that injects faults into the first requests
/// (a 429 with Retry-After, a 500, a dropped connection) and then labels every ticket "billing"
/// and proposes a fixed instruction when asked to reflect. Returns its base URL and a request
/// counter.
fn fault_server() -> (String, Arc<AtomicUsize>) {
    scripted_server(|n, body| match n {
        0 => Some(response("429 Too Many Requests", "retry-after: 1\r\n", "{}")),
        1 => Some(response("500 Internal Server Error", "", "{\"error\":\"boom\"}")),
        2 => None, // dropped connection
        _ if body.contains("Ticket:") => Some(completion("billing")),
        _ => Some(completion(
            "```\\nClassify the support ticket. Payment problems are billing.\\n```",
        )),
    })
}

#[test]
fn help_documents_every_command_and_the_exit_codes() {
    let out = gepa(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["run", "resume", "eval", "show", "Exit codes", "130"] {
        assert!(text.contains(word), "{word} missing from --help:\n{text}");
    }
    let bad = gepa(&["run", "/nonexistent/config.json", "--task-url", "http://127.0.0.1:9/v1"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot read /nonexistent/config.json"));
}

#[test]
fn a_run_survives_429_500_and_a_dropped_connection_with_a_ledger_that_adds_up() {
    let dir = temp_dir("faults");
    let config = write_config(&dir, 40, "scripted");
    let (base, count) = fault_server();
    let out = gepa(&["run", config.to_str().unwrap(), "--task-url", &base, "--quiet"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(count.load(Ordering::SeqCst) > 3, "the faults were served");
    assert!(stdout.contains("Share link: http://127.0.0.1:8642/#prompt=v1."), "{stdout}");
    let run =
        RunFile::parse(&std::fs::read_to_string(dir.join("triage.run.json")).unwrap()).unwrap();
    let engine = run.restore().unwrap();
    assert!(engine.is_finished());
    assert!(engine.rollouts_used() <= 40);
    assert_eq!(
        charged_rollouts(&run.events),
        engine.rollouts_used(),
        "the ledger equals the charged rollouts in the log"
    );
    let show = gepa(&["show", dir.join("triage.run.json").to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&show.stdout).contains("★ best"));
}

#[test]
fn events_stream_as_json_lines_to_the_finish_and_the_summary_matches_show() {
    let dir = temp_dir("jsonl");
    let config = write_config(&dir, 40, "scripted");
    let (base, _) = fault_server();
    // No --quiet: the progress bar and the text report must keep out of stdout.
    let out = gepa(&[
        "run",
        config.to_str().unwrap(),
        "--task-url",
        &base,
        "--events",
        "jsonl",
        "--json",
    ]);
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("Best candidate: #"), "the text report goes to stderr: {stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let (summary, events) = lines.split_last().unwrap();
    assert!(
        events.iter().all(|e| e["event"].is_string()),
        "every line before the summary is an event"
    );
    let finish = events.last().unwrap();
    assert_eq!(finish["event"], "run_finished", "the stream ends with the finish");
    let run_file = dir.join("triage.run.json");
    let run = RunFile::parse(&std::fs::read_to_string(&run_file).unwrap()).unwrap();
    assert_eq!(events.len(), run.events.len(), "the stream holds every event of the run file");
    let engine = run.restore().unwrap();
    assert_eq!(summary["format"], "gepa-run-summary/1");
    assert_eq!(summary["status"], "finished");
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(summary["rollouts"], engine.rollouts_used());
    assert_eq!(summary["rollouts"], finish["rollouts"]);
    assert_eq!(summary["candidates"], engine.pool().len());
    assert_eq!(summary["run_file"], run_file.display().to_string());
    let best = summary["best"]["candidate"].as_u64().unwrap();
    assert_eq!(summary["best"]["candidate"], finish["best"]);
    let link = summary["share_link"].as_str().unwrap();
    assert!(link.starts_with("http://127.0.0.1:8642/#prompt=v1."), "{link}");
    let prompt = engine.pool()[usize::try_from(best).unwrap()].candidate.get("system").unwrap();
    assert_eq!(summary["best"]["prompt"]["system"], prompt);
    // `gepa show` tells the same numbers.
    let show = gepa(&["show", run_file.to_str().unwrap()]);
    let shown = String::from_utf8_lossy(&show.stdout);
    let head = format!("{} rollouts, {} iterations", summary["rollouts"], summary["iterations"]);
    assert!(shown.lines().next().unwrap().contains(&head), "{head} in\n{shown}");
    let val = format!("{:.3}", summary["best"]["val"].as_f64().unwrap());
    let best_row = shown.lines().find(|l| l.contains('★') && !l.contains("best")).unwrap();
    assert!(
        best_row.trim_start().starts_with(&best.to_string()) && best_row.contains(&val),
        "{best_row}"
    );
    assert_eq!(
        shown
            .lines()
            .filter(|l| l.contains("  ") && l.trim_start().starts_with(char::is_numeric))
            .count(),
        engine.pool().len()
    );
}

#[test]
fn an_endpoint_that_is_down_pauses_saves_and_says_how_to_resume() {
    let dir = temp_dir("down");
    let config = write_config(&dir, 40, "scripted");
    let out = gepa(&[
        "run",
        config.to_str().unwrap(),
        "--task-url",
        "http://127.0.0.1:9/v1",
        "--quiet",
        "--timeout",
        "2",
        "--patience",
        "2",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gepa resume"));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((&summary["status"], &summary["exit_code"]), (&"paused".into(), &3.into()));
    assert!(summary["reason"].as_str().unwrap().contains("127.0.0.1:9"), "{summary}");
    let run =
        RunFile::parse(&std::fs::read_to_string(dir.join("triage.run.json")).unwrap()).unwrap();
    assert_eq!(run.restore().unwrap().rollouts_used(), 0, "nothing charged for failed calls");
    // Resuming against a working endpoint finishes the same run.
    let (base, _) = fault_server();
    let resumed = gepa(&[
        "resume",
        dir.join("triage.run.json").to_str().unwrap(),
        "--task-url",
        &base,
        "--quiet",
    ]);
    assert_eq!(resumed.status.code(), Some(0), "{}", String::from_utf8_lossy(&resumed.stderr));
}

#[cfg(feature = "real-llm")]
mod real_llm {
    use std::process::Command;

    use super::*;

    fn llm() -> (String, String) {
        let base =
            std::env::var("GEPA_LLM_BASE_URL").expect("GEPA_LLM_BASE_URL: run through ./dev test");
        (base, std::env::var("GEPA_LLM_MODEL").unwrap_or_else(|_| "smollm2".into()))
    }

    #[test]
    fn a_tiny_run_completes_and_eval_scores_the_best_prompt() {
        let (base, model) = llm();
        let dir = temp_dir("llm-run");
        let config = write_config(&dir, 24, &model);
        let out = gepa(&["run", config.to_str().unwrap(), "--task-url", &base, "--quiet"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("Best candidate: #") && stdout.contains("#prompt=v1."));
        let eval = gepa(&[
            "eval",
            "--config",
            config.to_str().unwrap(),
            "--prompt",
            "Reply with one word: billing, login, bug or feature.",
            "--task-url",
            &base,
        ]);
        let text = String::from_utf8_lossy(&eval.stdout);
        assert_eq!(eval.status.code(), Some(0), "{text}");
        assert!(text.contains("on 4 examples"), "{text}");
    }

    #[test]
    fn ctrl_c_saves_a_run_file_that_resumes_to_the_end() {
        let (base, model) = llm();
        let dir = temp_dir("llm-interrupt");
        let config = write_config(&dir, 60, &model);
        let run_file = dir.join("triage.run.json");
        let mut child = Command::new(env!("CARGO_BIN_EXE_gepa"))
            .args(["run", config.to_str().unwrap(), "--task-url", &base, "--quiet"])
            .spawn()
            .unwrap();
        // Wait for the first save (after the seed's validation), then interrupt.
        for _ in 0..600 {
            if run_file.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(run_file.exists(), "the run saved while running");
        let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
        assert!(kill.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130));
        let saved = RunFile::parse(&std::fs::read_to_string(&run_file).unwrap()).unwrap();
        let before = saved.restore().unwrap();
        assert!(!before.is_finished(), "interrupted mid-run");
        let resumed = gepa(&["resume", run_file.to_str().unwrap(), "--task-url", &base, "--quiet"]);
        assert_eq!(resumed.status.code(), Some(0), "{}", String::from_utf8_lossy(&resumed.stderr));
        let after = RunFile::parse(&std::fs::read_to_string(&run_file).unwrap()).unwrap();
        let engine = after.restore().unwrap();
        assert!(engine.is_finished());
        assert!(engine.rollouts_used() >= before.rollouts_used());
        assert!(engine.pool().len() >= before.pool().len());
        assert!(engine.rollouts_used() <= 60);
    }
}
