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
    /// Write a run configuration from a data file (CSV, TSV, JSON, JSONL), a seed prompt and a
    /// metric: the page's importer, role guessing, seeded split and metric names. The file opens
    /// in the playground and runs with `gepa run`.
    Init {
        /// The data file.
        data: PathBuf,
        /// Where to write the configuration (default: the data file's name with `.gepa.json`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The task model's name, e.g. gpt-4o-mini or qwen2.5:0.5b.
        #[arg(long)]
        task_model: Option<String>,
        /// The reflection model's name (default: the task model).
        #[arg(long)]
        reflection_model: Option<String>,
        /// What to put in the configuration.
        #[command(flatten)]
        init: InitArgs,
    },
    /// Start a run from a configuration (`gepa init`, or the playground's Run panel → "Download
    /// run configuration"), or straight from a data file with the `gepa init` flags, writing the
    /// run file after every iteration.
    Run {
        /// The configuration file; with --prompt, a data file (an implicit `gepa init`).
        config: PathBuf,
        /// With --prompt: what to put in the configuration built from the data file.
        #[command(flatten)]
        init: InitArgs,
        /// Where to write the run file (default: the configuration's name with `.run.json`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Iterations in flight at once, 1 to 8 (1 runs one iteration at a time, as the reference
        /// does). Default: the configuration's, else chosen from its concurrency (1 for one
        /// slot; 2 for up to 6 slots, 4 for 16 or more, with the default minibatch of 3).
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
    #[arg(long, default_value = "http://127.0.0.1:8642/")]
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

/// What `gepa init` (and `gepa run` on a data file) builds a configuration from. Model names
/// come from `--task-model` / `--reflection-model`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The seed instruction GEPA improves: the text, or a file holding it. May use
    /// `{{column}}` placeholders.
    #[arg(long)]
    pub prompt: Option<String>,
    /// The user message template with `{{column}}` placeholders (default: the input columns,
    /// one per line).
    #[arg(long)]
    pub template: Option<String>,
    /// The columns the task model sees, comma-separated (default: guessed from the header, as
    /// the page does).
    #[arg(long, value_delimiter = ',')]
    pub inputs: Vec<String>,
    /// The column holding the expected answer (default: guessed from the header).
    #[arg(long)]
    pub expected: Option<String>,
    /// The metric, by the page's names: exact, normalized, contains, token_f1, numeric, choice,
    /// regex, json, judge, custom, spec.
    #[arg(long, default_value = "normalized")]
    pub metric: String,
    /// choice: the labels, comma-separated.
    #[arg(long)]
    pub labels: Option<String>,
    /// regex: the pattern.
    #[arg(long)]
    pub pattern: Option<String>,
    /// numeric: the absolute tolerance.
    #[arg(long)]
    pub tolerance: Option<String>,
    /// numeric: read the number after this label (e.g. `Answer:`).
    #[arg(long)]
    pub number_label: Option<String>,
    /// json: the fields to check, comma-separated (default: all).
    #[arg(long)]
    pub fields: Option<String>,
    /// judge: the rubric.
    #[arg(long)]
    pub rubric: Option<String>,
    /// judge: the top of the grading scale.
    #[arg(long)]
    pub scale: Option<String>,
    /// custom: the Rhai script file.
    #[arg(long)]
    pub script: Option<PathBuf>,
    /// spec: the metric as JSON (combinations, format checks).
    #[arg(long)]
    pub metric_json: Option<String>,
    /// exact, contains: compare case-sensitively.
    #[arg(long)]
    pub case_sensitive: bool,
    /// The rollout budget.
    #[arg(long, default_value_t = 200)]
    pub budget: u64,
    /// Training rows (default: the page's split for the row count).
    #[arg(long)]
    pub train: Option<usize>,
    /// Validation rows (default: the page's split).
    #[arg(long)]
    pub val: Option<usize>,
    /// Held-out test rows (default: the page's split).
    #[arg(long)]
    pub test: Option<usize>,
    /// The seed of the split's shuffle.
    #[arg(long, default_value_t = 0)]
    pub split_seed: u64,
    /// The run's random seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The provider preset: openai, anthropic, ollama, vllm, llama_cpp, … (`gepa init --help`
    /// lists them in the error when one is unknown).
    #[arg(long, default_value = "llama_cpp")]
    pub preset: String,
    /// Calls at once to the endpoint.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// The task model's reply limit in tokens (default: the provider's own).
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// The task model's temperature (default: the provider's own).
    #[arg(long)]
    pub temperature: Option<f64>,
    /// The run's title (default: the data file's name).
    #[arg(long)]
    pub title: Option<String>,
}
