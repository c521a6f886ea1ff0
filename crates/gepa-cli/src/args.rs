//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// GEPA reflective prompt optimisation from the command line: the playground's engine, run
/// files and share links, without a browser.
///
/// Exit codes: 0 the run finished; 1 bad input (file, flag or setup; the message says what to
/// fix); 2 bad usage; 3 the run paused because an endpoint kept failing (the run file is saved:
/// fix the endpoint and `gepa resume` it); 130 interrupted by Ctrl-C (saved: resume it).
#[derive(Debug, Parser)]
#[command(
    name = "gepa",
    version,
    about,
    long_about = None,
    after_help = "Exit codes: 0 the run finished; 1 bad input (the message says what to fix); 2 bad usage;\n3 the run paused because an endpoint refused the calls or kept failing past --patience (the run\nfile is saved: fix the endpoint and `gepa resume` it); 130 interrupted by Ctrl-C (saved: resume it).\n\nTransient faults (429, 408, 5xx, timeouts, dropped connections, malformed replies) are retried\nwith backoff until an endpoint has failed continuously for --patience seconds.\n\nKeys come from --task-key / GEPA_TASK_API_KEY and --reflection-key / GEPA_REFLECTION_API_KEY and\nare never written to a file."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a run from a configuration exported by the playground (Run panel → "Download run
    /// configuration"), writing the run file after every iteration.
    Run {
        /// The configuration file.
        config: PathBuf,
        /// Where to write the run file (default: the configuration's name with `.run.json`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Iterations in flight at once, 1 to 8 (1 runs one iteration at a time, as the reference
        /// does). Default: the configuration's, else chosen from its concurrency (1 for one
        /// slot; 2 for up to 6 slots, 4 for 16, with the default minibatch of 3).
        #[arg(long, value_name = "N")]
        in_flight: Option<usize>,
        /// Endpoints.
        #[command(flatten)]
        endpoints: EndpointArgs,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Continue a run file (from `gepa run`, or exported or autosaved by the playground).
    Resume {
        /// The run file; it is updated in place.
        run_file: PathBuf,
        /// Endpoints.
        #[command(flatten)]
        endpoints: EndpointArgs,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Score a prompt on a dataset with the program and metric of a configuration.
    Eval {
        /// The configuration (program, metric, models and, by default, its held-out test set).
        #[arg(long)]
        config: PathBuf,
        /// The system prompt to score: a file path, or the text itself (default: the seed).
        #[arg(long)]
        prompt: Option<String>,
        /// A dataset (CSV, TSV, JSON, JSONL) to score on instead of the held-out test set.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Endpoints.
        #[command(flatten)]
        endpoints: EndpointArgs,
    },
    /// Summarise a run file: every candidate with its lineage and validation score.
    Show {
        /// The run file.
        run_file: PathBuf,
    },
}

/// Where the models are. Keys come from flags or the environment and are never written to a
/// file; model names default to the configuration's.
#[derive(Debug, Args)]
pub struct EndpointArgs {
    /// Base URL of the task model's endpoint, e.g. http://127.0.0.1:8080/v1.
    #[arg(long, env = "GEPA_TASK_URL")]
    pub task_url: Option<String>,
    /// Task model name (default: the configuration's).
    #[arg(long, env = "GEPA_TASK_MODEL")]
    pub task_model: Option<String>,
    /// Task endpoint API key.
    #[arg(long, env = "GEPA_TASK_API_KEY", hide_env_values = true)]
    pub task_key: Option<String>,
    /// Base URL of the reflection model's endpoint (default: the task endpoint).
    #[arg(long, env = "GEPA_REFLECTION_URL")]
    pub reflection_url: Option<String>,
    /// Reflection model name (default: the configuration's).
    #[arg(long, env = "GEPA_REFLECTION_MODEL")]
    pub reflection_model: Option<String>,
    /// Reflection endpoint API key (default: the task key when the URL is the same).
    #[arg(long, env = "GEPA_REFLECTION_API_KEY", hide_env_values = true)]
    pub reflection_key: Option<String>,
    /// Per-attempt timeout in seconds; an attempt that takes longer is retried like any
    /// transient failure.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// How long, in seconds, an endpoint may fail continuously (429s, 5xx, timeouts, dropped
    /// connections, malformed replies, all retried with backoff) before the run pauses.
    #[arg(long, default_value_t = 600)]
    pub patience: u64,
    /// A response-cache file (reused across runs; errors and cut-off replies are never cached).
    #[arg(long)]
    pub cache: Option<PathBuf>,
}

/// Output options.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// No progress bar (for logs and CI).
    #[arg(long)]
    pub quiet: bool,
    /// Stream every engine event to stdout as it happens: `jsonl`, one JSON object per line
    /// (`{"event": "candidate_added", …}`; the last is `run_finished` when the run ends). The
    /// progress bar and the text report go to stderr.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub events: Option<EventFormat>,
    /// When the run stops, print one JSON object to stdout (after any events): status, stop
    /// reason, exit code, best prompt and score, seed score, rollouts, iterations, candidates,
    /// tokens and cost, the run file and the share link. The text report goes to stderr.
    #[arg(long)]
    pub json: bool,
    /// The playground page the printed share link opens.
    #[arg(long, default_value = "http://127.0.0.1:8080/")]
    pub app_url: String,
}

/// How `--events` writes events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventFormat {
    /// One JSON object per line.
    Jsonl,
}

impl OutputArgs {
    /// True when stdout is for machines (events or a JSON summary), so text goes to stderr.
    #[must_use]
    pub fn machine_stdout(&self) -> bool {
        self.json || self.events.is_some()
    }
}
