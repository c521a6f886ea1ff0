//! The subcommands.

use std::path::{Path, PathBuf};

use gepa_core::advice::{Advice, advise_on};
use gepa_core::{Candidate, Engine, Event, Status};
use gepa_datasets::import::ParseOptions;
use gepa_datasets::{Role, SplitPlan, guess_roles, parse, split};
use gepa_providers::CallMachine;
use gepa_providers::native::drive;
use gepa_share::RunFile;
use gepa_share::run_config::RunConfigFile;
use gepa_share::run_file::Models;

use crate::args::{Cli, Command, EndpointArgs, OutputArgs};
use crate::endpoints::{calls, resolve, save_cache};
use crate::exit;
use crate::files::{read, write_atomic};
use crate::init::build;
use crate::progress::Progress;
use crate::summary::{share_link, summary, write_events};

fn epoch_ms() -> u64 {
    std::time::UNIX_EPOCH.elapsed().map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Runs a command; returns the exit code.
///
/// # Errors
/// A message saying what went wrong and what to do.
pub async fn run(cli: Cli) -> Result<u8, String> {
    match cli.command {
        Command::Init { data, out, task_model, reflection_model, init } => {
            let built = build(&data, &init, task_model.as_deref(), reflection_model.as_deref())?;
            for warning in &built.warnings {
                eprintln!("warning: {warning}");
            }
            let out = out.unwrap_or_else(|| data.with_extension("gepa.json"));
            write_atomic(&out, &built.config.to_json().map_err(|e| e.to_string())?)?;
            println!("Wrote {}: {}.", out.display(), built.summary);
            println!("Run it with: gepa run {} --task-url <base URL>", out.display());
            Ok(exit::FINISHED)
        }
        Command::Run { config, init, out, in_flight, endpoints, output } => {
            let mut file = if init.prompt.is_some() {
                // An implicit `gepa init`: the positional file holds the data.
                let built = build(
                    &config,
                    &init,
                    endpoints.task_model.as_deref(),
                    endpoints.reflection_model.as_deref(),
                )?;
                for warning in &built.warnings {
                    eprintln!("warning: {warning}");
                }
                eprintln!("{}: {}.", config.display(), built.summary);
                built.config
            } else {
                let text = read(&config)?;
                RunConfigFile::parse(&text).map_err(|e| {
                    let data = ["csv", "tsv", "json", "jsonl"]
                        .iter()
                        .any(|x| config.extension().is_some_and(|ext| ext.eq_ignore_ascii_case(x)));
                    let hint = if data {
                        " (to start from a data file, add --prompt and the other `gepa init` flags)"
                    } else {
                        ""
                    };
                    format!("{}: {e}{hint}", config.display())
                })?
            };
            if let Some(n) = in_flight.filter(|n| !(1..=gepa_core::MAX_PIPELINE_DEPTH).contains(n))
            {
                return Err(format!(
                    "--in-flight {n}: iterations in flight must be between 1 and {}",
                    gepa_core::MAX_PIPELINE_DEPTH
                ));
            }
            let run = &mut file.setup.config;
            run.pipeline_depth =
                Some(in_flight.unwrap_or_else(|| run.depth_or_for(file.concurrency)));
            let engine = Engine::new(file.setup.clone())
                .map_err(|e| format!("{}: {e}", config.display()))?;
            let out = out.unwrap_or_else(|| config.with_extension("run.json"));
            let title = if file.title.is_empty() {
                config.display().to_string()
            } else {
                file.title.clone()
            };
            let state = Session {
                engine,
                events: Vec::new(),
                test: file.test,
                models: file.models,
                concurrency: file.concurrency,
                title,
            };
            optimise(state, &out, &endpoints, &output).await
        }
        Command::Resume { run_file, endpoints, output } => {
            let file = RunFile::parse(&read(&run_file)?)
                .map_err(|e| format!("{}: {e}", run_file.display()))?;
            let mut engine = file.restore().map_err(|e| format!("{}: {e}", run_file.display()))?;
            if matches!(engine.status(), Status::Paused { .. }) {
                engine.command(gepa_core::Command::Resume, 0);
            }
            let state = Session {
                engine,
                events: file.events,
                test: file.test,
                models: file.models,
                concurrency: file.concurrency,
                title: file.title,
            };
            optimise(state, &run_file, &endpoints, &output).await
        }
        Command::Eval { config, prompt, data, endpoints } => {
            evaluate(&config, prompt, data, &endpoints).await
        }
        Command::Show { run_file } => show(&run_file),
    }
}

/// A run in progress.
struct Session {
    engine: Engine,
    events: Vec<Event>,
    test: Vec<gepa_core::Example>,
    models: Models,
    concurrency: usize,
    title: String,
}

impl Session {
    fn save(&self, path: &Path) -> Result<(), String> {
        let file = RunFile::capture(
            &self.engine,
            self.events.clone(),
            self.test.clone(),
            self.models.clone(),
            self.concurrency,
            self.title.clone(),
            epoch_ms(),
        )
        .map_err(|e| e.to_string())?;
        write_atomic(path, &file.to_json().map_err(|e| e.to_string())?)
    }
}

async fn optimise(
    mut s: Session,
    out: &Path,
    args: &EndpointArgs,
    output: &OutputArgs,
) -> Result<u8, String> {
    let endpoints = resolve(&s.models, args)?;
    let seed = s.engine.setup().config.seed;
    let mut native = calls(endpoints.clone(), args, s.concurrency, seed)?;
    let progress = Progress::new(&s.engine, output.quiet, epoch_ms());
    let mut save_error = None;
    let interrupted = {
        let Session { engine, events, test, models, concurrency, title } = &mut s;
        let stream = output.events.is_some();
        let mut on_change = |engine: &Engine, new: Vec<Event>, machine: &CallMachine, now: u64| {
            progress.update(engine, &new, machine, now);
            if stream {
                write_events(&new);
            }
            let boundary = new.iter().any(Event::is_save_point);
            events.extend(new);
            if boundary {
                let file = RunFile::capture(
                    engine,
                    events.clone(),
                    test.clone(),
                    models.clone(),
                    *concurrency,
                    title.clone(),
                    epoch_ms(),
                );
                let written = file
                    .map_err(|e| e.to_string())
                    .and_then(|f| f.to_json().map_err(|e| e.to_string()))
                    .and_then(|json| write_atomic(out, &json));
                if let Err(e) = written {
                    save_error = Some(e);
                }
            }
        };
        tokio::select! {
            () = drive(engine, &mut native, &mut on_change) => false,
            _ = tokio::signal::ctrl_c() => true,
        }
    };
    native.cancel_all();
    progress.finish();
    save_cache(args, &native);
    let last = s.engine.drain_events();
    if output.events.is_some() {
        write_events(&last);
    }
    s.events.extend(last);
    s.save(out)?;
    if let Some(e) = save_error {
        eprintln!("warning: a save during the run failed ({e}); the final save succeeded");
    }
    let (stopped, code) = if interrupted {
        eprintln!(
            "Interrupted. The run is saved in {}; continue it with `gepa resume {}`.",
            out.display(),
            out.display()
        );
        ("interrupted", exit::INTERRUPTED)
    } else {
        match s.engine.status() {
            Status::Paused { reason } => {
                eprintln!(
                    "{reason}\nThe run is saved in {}; fix the endpoint and run `gepa resume {}`.",
                    out.display(),
                    out.display()
                );
                ("paused", exit::PAUSED)
            }
            Status::Finished { reason } => {
                let advice = advise_on(&s.events);
                let text =
                    report(&s.engine, &endpoints, output, out, &reason.describe(), advice.as_ref());
                if output.machine_stdout() {
                    eprint!("{text}");
                } else {
                    print!("{text}");
                }
                ("finished", exit::FINISHED)
            }
            Status::Running => ("finished", exit::FINISHED),
        }
    };
    if output.json {
        let link = share_link(&s.engine, &endpoints, &output.app_url);
        let advice = advise_on(&s.events);
        println!("{}", summary(&s.engine, stopped, code, out, link, advice.as_ref()));
    }
    Ok(code)
}

/// The text report of a finished run: the best candidate, its share link, the run file.
fn report(
    engine: &Engine,
    endpoints: &gepa_providers::Endpoints,
    output: &OutputArgs,
    out: &Path,
    stopped: &str,
    advice: Option<&Advice>,
) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    if let Some(best) = engine.best() {
        let entry = &engine.pool()[best];
        let seed_mean = engine.pool().first().map(|e| e.mean_score);
        let _ = writeln!(
            text,
            "Best candidate: #{best}, validation {:.3} (seed {:.3}), {} rollouts, {} candidates.",
            entry.mean_score,
            seed_mean.unwrap_or(f64::NAN),
            engine.rollouts_used(),
            engine.pool().len()
        );
        for (name, prompt) in entry.candidate.iter() {
            let _ = writeln!(text, "--- {name} ---\n{prompt}");
        }
        match share_link(engine, endpoints, &output.app_url) {
            Ok(link) => {
                let _ = writeln!(text, "Share link: {link}");
            }
            Err(e) => {
                let _ = writeln!(text, "No share link: {e}");
            }
        }
        let _ = writeln!(text, "Run file: {}", out.display());
    }
    if let Some(advice) = advice {
        let _ = writeln!(text, "Not improving: {} {}", advice.headline, advice.fix);
    }
    let _ = writeln!(text, "Stopped: {stopped}");
    text
}

async fn evaluate(
    config: &Path,
    prompt: Option<String>,
    data: Option<PathBuf>,
    args: &EndpointArgs,
) -> Result<u8, String> {
    let file =
        RunConfigFile::parse(&read(config)?).map_err(|e| format!("{}: {e}", config.display()))?;
    let mut candidate = file.setup.seed.clone();
    if let Some(prompt) = prompt {
        let text = if Path::new(&prompt).is_file() { read(Path::new(&prompt))? } else { prompt };
        let name = candidate.names().next().unwrap_or("system").to_owned();
        candidate = Candidate::new(
            candidate
                .iter()
                .map(|(n, t)| (n.to_owned(), if n == name { text.clone() } else { t.to_owned() })),
        );
    }
    let examples = match data {
        None => file.test.clone(),
        Some(path) => {
            let table = parse(&read(&path)?, &ParseOptions::default())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let roles: Vec<Role> = guess_roles(&table.columns);
            let n = table.rows.len();
            split(&table, &roles, &SplitPlan { train: n, val: 0, test: 0, seed: 0 })
                .map_err(|e| format!("{}: {e}", path.display()))?
                .data
                .train
        }
    };
    let n = examples.len();
    let mut engine =
        Engine::evaluation(&file.setup, candidate, examples).map_err(|e| e.to_string())?;
    let endpoints = resolve(&file.models, args)?;
    let mut native = calls(endpoints, args, file.concurrency, 0)?;
    drive(&mut engine, &mut native, |_, _, _, _| {}).await;
    save_cache(args, &native);
    if let Status::Paused { reason } = engine.status() {
        eprintln!("{reason}");
        return Ok(exit::PAUSED);
    }
    let entry = engine.pool().first().ok_or("nothing was scored")?;
    println!(
        "Score {:.3} on {n} examples ({} rollouts).",
        entry.mean_score,
        engine.rollouts_used()
    );
    Ok(exit::FINISHED)
}

fn show(path: &Path) -> Result<u8, String> {
    use std::io::Write as _;
    let file = RunFile::parse(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
    let engine = file.restore().map_err(|e| e.to_string())?;
    let best = engine.best();
    let front = engine.front().members();
    // Write through a lock and ignore a closed pipe (`gepa show … | head`).
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{} — {:?}, {} rollouts, {} iterations",
        file.title,
        engine.status(),
        engine.rollouts_used(),
        engine.finished_iterations()
    );
    let _ = writeln!(
        out,
        "{:>4}  {:>8}  {:<10}  {:>7}  {:<5}  prompt",
        "#", "parents", "origin", "val", ""
    );
    for (i, entry) in engine.pool().iter().enumerate() {
        let parents: Vec<String> = entry.parents.iter().map(ToString::to_string).collect();
        let marks = format!(
            "{}{}",
            if best == Some(i) { "★" } else { "" },
            if front.contains(&i) { "◆" } else { "" }
        );
        let text: String = entry
            .candidate
            .iter()
            .map(|(_, t)| t)
            .collect::<Vec<_>>()
            .join(" | ")
            .replace('\n', " ");
        let clipped: String = text.chars().take(60).collect();
        let origin = format!("{:?}", entry.origin).to_lowercase();
        if writeln!(
            out,
            "{i:>4}  {:>8}  {origin:<10}  {:>7.3}  {marks:<5}  {clipped}",
            parents.join(","),
            entry.mean_score
        )
        .is_err()
        {
            return Ok(exit::FINISHED);
        }
    }
    let _ = writeln!(out, "★ best  ◆ Pareto front");
    if let Some(advice) = advise_on(&file.events) {
        let _ = writeln!(out, "Not improving: {} {}", advice.headline, advice.fix);
    }
    Ok(exit::FINISHED)
}
