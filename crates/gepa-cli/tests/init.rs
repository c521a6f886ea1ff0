//! `gepa init` and `gepa run` from a data file: every data format, line-numbered problems,
//! an error naming the flag for each thing the data cannot tell, and a run from flags alone
//! against a scripted server on loopback (not an LLM; the real local LLM runs it too, under the
//! `real-llm` feature, from `./dev test`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]
// The scripted server runs on plain threads: this test is native-only.
#![allow(clippy::disallowed_methods)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use gepa_core::MetricSpec;
use gepa_share::RunFile;
use gepa_share::run_config::RunConfigFile;
use support::{completion, gepa, response, scripted_server, temp_dir};

const LABELS: [&str; 3] = ["billing", "login", "bug"];

/// 24 tickets (id, ticket, label) in `format`.
fn tickets(format: &str) -> String {
    let rows: Vec<(usize, String, &str)> = (0..24)
        .map(|i| (i, format!("ticket {i} about {}", LABELS[i % 3]), LABELS[i % 3]))
        .collect();
    match format {
        "csv" => std::iter::once("id,ticket,label".to_owned())
            .chain(rows.iter().map(|(i, t, l)| format!("{i},{t},{l}")))
            .collect::<Vec<_>>()
            .join("\n"),
        "tsv" => std::iter::once("id\tticket\tlabel".to_owned())
            .chain(rows.iter().map(|(i, t, l)| format!("{i}\t{t}\t{l}")))
            .collect::<Vec<_>>()
            .join("\n"),
        "json" => serde_json::to_string(
            &rows
                .iter()
                .map(|(i, t, l)| serde_json::json!({"id": i, "ticket": t, "label": l}))
                .collect::<Vec<_>>(),
        )
        .unwrap(),
        _ => rows
            .iter()
            .map(|(i, t, l)| serde_json::json!({"id": i, "ticket": t, "label": l}).to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

const CHOICE: [&str; 6] =
    ["--prompt", "Label the ticket.", "--metric", "choice", "--labels", "billing,login,bug"];

#[test]
fn init_reads_every_data_format_as_the_page_does() {
    let dir = temp_dir("formats");
    for format in ["csv", "tsv", "json", "jsonl"] {
        let data = write(&dir, &format!("tickets.{format}"), &tickets(format));
        let mut args = vec!["init", data.to_str().unwrap(), "--task-model", "m"];
        args.extend(CHOICE);
        let out = gepa(&args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{format}: {stdout}\n{stderr}");
        assert!(stdout.contains("inputs: ticket; expected: label"), "{format}: {stdout}");
        let written = dir.join("tickets.gepa.json");
        let config = RunConfigFile::parse(&std::fs::read_to_string(&written).unwrap()).unwrap();
        // The page's split for 24 rows: 4 test, then half of the rest for validation.
        let data = &config.setup.data;
        assert_eq!((data.train.len(), data.val_len(), config.test.len()), (10, 10, 4), "{format}");
        assert_eq!(
            config.setup.metric,
            MetricSpec::Choice { labels: LABELS.iter().map(|l| (*l).to_owned()).collect() }
        );
        assert_eq!(config.setup.seed.get("system"), Some("Label the ticket."));
        let example = &data.train[0];
        assert!(example.inputs.contains_key("ticket") && !example.inputs.contains_key("id"));
        assert!(LABELS.contains(&example.expected.as_str()), "{format}");
        let messages = config.setup.program.messages(0, &config.setup.seed, example, &[]);
        assert!(messages.iter().any(|m| m.content.starts_with("ticket ")), "{messages:?}");
        std::fs::remove_file(written).unwrap();
    }
}

#[test]
fn problems_in_the_data_are_reported_by_line() {
    let dir = temp_dir("problems");
    let mut csv = tickets("csv");
    csv.push_str("\n99,a ticket with,an extra field,billing");
    let data = write(&dir, "tickets.csv", &csv);
    let mut args = vec!["init", data.to_str().unwrap(), "--task-model", "m"];
    args.extend(CHOICE);
    let out = gepa(&args);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("tickets.csv: line 26"), "the skipped row is named: {stderr}");
    let broken = write(&dir, "broken.json", "[{\"ticket\": \"a\", \"label\": \"b\"},\n {oops}]");
    let out = gepa(&["init", broken.to_str().unwrap(), "--task-model", "m", "--prompt", "x"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("broken.json") && stderr.contains("ine"), "{stderr}");
}

#[test]
fn each_missing_answer_names_its_flag() {
    let dir = temp_dir("flags");
    let data = write(&dir, "tickets.csv", &tickets("csv"));
    let path = data.to_str().unwrap();
    let cases: [(&[&str], &str); 8] = [
        (&["--task-model", "m"], "--prompt"),
        (&["--task-model", "m", "--prompt", "x", "--metric", "choice"], "--labels"),
        (&["--task-model", "m", "--prompt", "x", "--metric", "closeness"], "--metric closeness"),
        (&["--task-model", "m", "--prompt", "x", "--inputs", "text"], "--inputs"),
        (&["--task-model", "m", "--prompt", "x", "--template", "{{txt}}"], "{{txt}}"),
        (
            &["--task-model", "m", "--prompt", "x", "--template", "{{tikcet}}"],
            "Did you mean {{ticket}}?",
        ),
        (&["--prompt", "x"], "--task-model"),
        (&["--task-model", "m", "--prompt", "x", "--budget", "5"], "--budget"),
    ];
    for (flags, named) in cases {
        let mut args = vec!["init", path];
        args.extend(flags);
        let out = gepa(&args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{flags:?}: {stderr}");
        assert!(stderr.contains(named), "{flags:?} should name {named}: {stderr}");
    }
    // A data file passed to `gepa run` without the init flags says how to use it.
    let out = gepa(&["run", path, "--task-url", "http://127.0.0.1:9/v1"]);
    assert!(text(&out).1.contains("--prompt"), "{}", text(&out).1);
}

/// A scripted OpenAI-compatible server (not an LLM): labels every ticket "billing" and, when
/// asked to reflect, proposes an instruction. Returns its base URL.
fn triage_server() -> String {
    scripted_server(|_, body| {
        Some(if body.contains("ticket ") && !body.contains("```") {
            completion("billing")
        } else {
            completion("```\\nLabel the ticket: billing, login or bug. Tickets about billing are billing.\\n```")
        })
    })
    .0
}

#[test]
fn one_command_goes_from_a_csv_to_a_share_link() {
    let dir = temp_dir("run");
    let data = write(&dir, "tickets.csv", &tickets("csv"));
    let base = triage_server();
    let mut args = vec![
        "run",
        data.to_str().unwrap(),
        "--task-url",
        &base,
        "--task-model",
        "scripted",
        "--budget",
        "40",
        "--json",
        "--quiet",
    ];
    args.extend(CHOICE);
    let out = gepa(&args);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(summary["share_link"].as_str().unwrap().contains("#prompt=v1."), "{summary}");
    let run_file = dir.join("tickets.run.json");
    assert_eq!(summary["run_file"], run_file.display().to_string());
    let run = RunFile::parse(&std::fs::read_to_string(&run_file).unwrap()).unwrap();
    let engine = run.restore().unwrap();
    assert!(engine.is_finished() && engine.rollouts_used() <= 40);
    assert_eq!(summary["rollouts"], engine.rollouts_used());
}

#[test]
fn a_run_whose_reflections_are_all_cut_off_says_so_with_the_fix() {
    // A scripted server (not an LLM) whose reflection replies all stop at the token limit, as
    // when a task model's Max tokens of 8 also caps reflection.
    let base = scripted_server(|_, body| {
        Some(if body.contains("ticket ") && !body.contains("```") {
            completion("billing")
        } else {
            response(
                "200 OK",
                "",
                r#"{"choices":[{"message":{"content":"```\nLabel"},"finish_reason":"length"}],"usage":{"prompt_tokens":10,"completion_tokens":8}}"#,
            )
        })
    })
    .0;
    let dir = temp_dir("cut-off");
    let data = write(&dir, "tickets.csv", &tickets("csv"));
    let mut args =
        vec!["run", data.to_str().unwrap(), "--task-url", &base, "--task-model", "scripted"];
    args.extend(["--budget", "40", "--json"]);
    args.extend(CHOICE);
    let out = gepa(&args);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let advice = &summary["advice"];
    assert_eq!(advice["stall"]["kind"], "cut_off", "{summary}");
    assert_eq!(advice["count"], advice["of"], "every ask was cut off: {advice}");
    let said = format!(
        "Not improving: {} {}",
        advice["headline"].as_str().unwrap(),
        advice["fix"].as_str().unwrap()
    );
    assert!(said.contains("Raise Max tokens for the reflection model"), "{said}");
    assert!(stderr.contains(&said), "the text report says it too: {stderr}");
    // And so does `gepa show` on the saved run.
    let show = gepa(&["show", dir.join("tickets.run.json").to_str().unwrap()]);
    assert!(text(&show).0.contains(&said), "{}", text(&show).0);
}

#[cfg(feature = "real-llm")]
#[test]
fn a_run_from_flags_alone_completes_against_the_local_llm() {
    let base =
        std::env::var("GEPA_LLM_BASE_URL").expect("GEPA_LLM_BASE_URL: run through ./dev test");
    let model = std::env::var("GEPA_LLM_MODEL").unwrap_or_else(|_| "smollm2".into());
    let dir = temp_dir("llm");
    let data = write(&dir, "tickets.csv", &tickets("csv"));
    let mut args = vec![
        "run",
        data.to_str().unwrap(),
        "--task-url",
        &base,
        "--task-model",
        &model,
        "--budget",
        "24",
        "--val",
        "4",
        "--test",
        "2",
        "--max-tokens",
        "8",
        "--json",
        "--quiet",
    ];
    args.extend(CHOICE);
    let out = gepa(&args);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["status"], "finished");
    assert!(summary["rollouts"].as_u64().unwrap() <= 24, "{summary}");
    assert!(summary["calls"]["task"].as_u64().unwrap() > 0, "{summary}");
}
