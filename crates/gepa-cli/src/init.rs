//! `gepa init`, and `gepa run` on a data file: a run configuration built as the page builds one
//! (the same importer, role guessing, seeded split and metric names), with a flag named in
//! every error about something the data cannot tell.

use std::path::Path;

use gepa_core::template::placeholders;
use gepa_core::{Candidate, Engine, Program, RunConfig, RunSetup};
use gepa_datasets::import::ParseOptions;
use gepa_datasets::{Role, SplitPlan, guess_roles, parse, split};
use gepa_providers::{ModelParams, Preset};
use gepa_share::metric_form::{MetricForm, MetricKind};
use gepa_share::run_config::RunConfigFile;
use gepa_share::run_file::{ModelSettings, Models};

use crate::args::InitArgs;
use crate::files::read;

/// The component GEPA evolves (the page's name for it).
const SYSTEM: &str = "system";

/// A configuration and what the user should know about how it was read.
pub struct Built {
    /// The configuration.
    pub config: RunConfigFile,
    /// Rows skipped or repaired while reading, by line.
    pub warnings: Vec<String>,
    /// One line saying what was built.
    pub summary: String,
}

/// Builds a run configuration from `data` and the flags.
///
/// # Errors
/// What is wrong, naming the flag that fixes it.
pub fn build(
    data: &Path,
    args: &InitArgs,
    task_model: Option<&str>,
    reflection_model: Option<&str>,
) -> Result<Built, String> {
    let shown = data.display();
    let text = read(data)?;
    let table = parse(&text, &ParseOptions::default()).map_err(|e| format!("{shown}: {e}"))?;
    let warnings =
        table.problems.iter().map(|p| format!("{shown}: line {}: {}", p.line, p.message)).collect();
    let roles = roles(&table.columns, args)?;
    let column = |role: Role| -> Vec<String> {
        table
            .columns
            .iter()
            .zip(&roles)
            .filter(|(_, r)| **r == role)
            .map(|(c, _)| c.clone())
            .collect()
    };
    let inputs = column(Role::Input);
    let expected = column(Role::Expected);
    let n = table.rows.len();
    let default = SplitPlan::default_for(n);
    let plan = SplitPlan {
        train: args.train.unwrap_or(default.train),
        val: args.val.unwrap_or(default.val),
        test: args.test.unwrap_or(default.test),
        seed: args.split_seed,
    };
    let parts = split(&table, &roles, &plan)
        .map_err(|e| format!("{shown}: {e} (set the sizes with --train, --val and --test)"))?;
    let prompt = match &args.prompt {
        None => return Err(
            "--prompt: give the seed instruction GEPA improves (the text, or a file holding it)"
                .into(),
        ),
        Some(p) if Path::new(p).is_file() => read(Path::new(p))?,
        Some(p) => p.clone(),
    };
    if prompt.trim().is_empty() {
        return Err("--prompt: the seed instruction is empty".into());
    }
    let template = args.template.clone().unwrap_or_else(|| default_template(&inputs));
    for name in placeholders(&template).chain(placeholders(&prompt)) {
        if name != SYSTEM && !inputs.contains(&name) {
            let hint = gepa_core::template::closest(&name, &inputs)
                .map_or_else(String::new, |near| format!(" Did you mean {{{{{near}}}}}?"));
            return Err(format!(
                "{{{{{name}}}}} is not an input column of {shown} (inputs: {}); fix --prompt / --template or choose the inputs with --inputs.{hint}",
                inputs.join(", ")
            ));
        }
    }
    let metric = metric(args)?;
    let val = parts.data.val_len() as u64;
    if args.budget <= val {
        return Err(format!(
            "--budget {}: does not cover even the seed's validation pass ({val} rollouts); raise it or shrink --val",
            args.budget
        ));
    }
    let mut run = RunConfig { seed: args.seed, ..RunConfig::default() };
    run.stop.max_rollouts = Some(args.budget);
    let setup = RunSetup {
        config: run,
        program: Program::single_prompt(SYSTEM, &template),
        seed: Candidate::new([(SYSTEM, prompt.as_str())]),
        data: parts.data,
        metric,
    };
    Engine::new(setup.clone()).map_err(|e| e.to_string())?;
    let models = models(args, task_model, reflection_model, &setup)?;
    if args.concurrency == 0 {
        return Err("--concurrency: at least 1 call at a time".into());
    }
    let title = args.title.clone().unwrap_or_else(|| {
        data.file_stem().map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned())
    });
    let summary = format!(
        "{n} rows → {} train / {} validation / {} test; inputs: {}; expected: {}; metric: {}; budget {} rollouts",
        setup.data.train.len(),
        val,
        parts.test.len(),
        inputs.join(", "),
        if expected.is_empty() { "none".into() } else { expected.join(", ") },
        args.metric,
        args.budget
    );
    let config = RunConfigFile::new(title, setup, parts.test, models, args.concurrency);
    Ok(Built { config, warnings, summary })
}

/// The guessed roles, with `--inputs` and `--expected` applied.
fn roles(columns: &[String], args: &InitArgs) -> Result<Vec<Role>, String> {
    let mut roles = guess_roles(columns);
    let index = |flag: &str, name: &str| {
        columns.iter().position(|c| c == name).ok_or_else(|| {
            format!("{flag}: there is no column \"{name}\" (columns: {})", columns.join(", "))
        })
    };
    if let Some(name) = &args.expected {
        let at = index("--expected", name)?;
        for role in roles.iter_mut().filter(|r| **r == Role::Expected) {
            *role = Role::Input;
        }
        roles[at] = Role::Expected;
    }
    if !args.inputs.is_empty() {
        let chosen =
            args.inputs.iter().map(|n| index("--inputs", n)).collect::<Result<Vec<_>, _>>()?;
        for (i, role) in roles.iter_mut().enumerate() {
            if chosen.contains(&i) {
                *role = Role::Input;
            } else if *role == Role::Input {
                *role = Role::Ignore;
            }
        }
    }
    Ok(roles)
}

/// One input: `{{it}}`; several: `name: {{name}}` lines.
fn default_template(inputs: &[String]) -> String {
    match inputs {
        [one] => format!("{{{{{one}}}}}"),
        many => many.iter().map(|c| format!("{c}: {{{{{c}}}}}")).collect::<Vec<_>>().join("\n"),
    }
}

/// The metric the flags name, with the flag for each missing option.
fn metric(args: &InitArgs) -> Result<gepa_core::MetricSpec, String> {
    let ids: Vec<&str> = MetricKind::ALL.iter().map(|k| k.id()).collect();
    let kind = MetricKind::from_id(&args.metric).ok_or_else(|| {
        format!("--metric {}: unknown metric (one of {})", args.metric, ids.join(", "))
    })?;
    let defaults = MetricForm::default();
    let script = match &args.script {
        Some(path) => read(path)?,
        None if kind == MetricKind::Custom => {
            return Err("--metric custom: give the Rhai script with --script FILE".into());
        }
        None => defaults.script.clone(),
    };
    let form = MetricForm {
        kind,
        case_sensitive: args.case_sensitive,
        pattern: args.pattern.clone().unwrap_or_default(),
        labels: args.labels.clone().unwrap_or_default(),
        tolerance: args.tolerance.clone().unwrap_or(defaults.tolerance),
        number_label: args.number_label.clone().unwrap_or_default(),
        fields: args.fields.clone().unwrap_or_default(),
        rubric: args.rubric.clone().unwrap_or(defaults.rubric),
        scale: args.scale.clone().unwrap_or(defaults.scale),
        script,
        json: args.metric_json.clone().unwrap_or_default(),
    };
    let hint = match kind {
        MetricKind::Choice => " (the labels: --labels a,b,c)",
        MetricKind::Regex => " (the pattern: --pattern)",
        MetricKind::Numeric => " (--tolerance, --number-label)",
        MetricKind::Json => " (--fields)",
        MetricKind::Judge => " (--rubric, --scale)",
        MetricKind::Custom => " (--script)",
        MetricKind::Spec => " (--metric-json)",
        _ => "",
    };
    // The CLI has the script interpreter: a custom script that does not compile is an error here.
    let spec = form.to_spec().map_err(|e| format!("--metric {}: {e}{hint}", args.metric))?;
    spec.validate().map_err(|e| format!("--metric {}: metric: {e}{hint}", args.metric))?;
    Ok(spec)
}

/// The model settings: the preset and names from the flags.
fn models(
    args: &InitArgs,
    task_model: Option<&str>,
    reflection_model: Option<&str>,
    setup: &RunSetup,
) -> Result<Models, String> {
    let preset = Preset::from_id(&args.preset).ok_or_else(|| {
        let ids: Vec<String> = Preset::ALL.iter().map(|p| p.id()).collect();
        format!("--preset {}: unknown provider (one of {})", args.preset, ids.join(", "))
    })?;
    let task = task_model
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or("--task-model: name the task model (e.g. gpt-4o-mini, llama3.2, or the alias your server gives)")?;
    let settings = |model: &str, params: ModelParams| ModelSettings {
        preset,
        model: model.to_owned(),
        params,
    };
    let task_params = ModelParams {
        max_tokens: args.max_tokens,
        temperature: args.temperature,
        ..ModelParams::default()
    };
    let reflection = reflection_model.map_or(task, str::trim);
    let judge = matches!(setup.metric, gepa_core::MetricSpec::Judge { .. })
        .then(|| settings(reflection, ModelParams::default()));
    Ok(Models {
        task: settings(task, task_params),
        reflection: settings(reflection, ModelParams::default()),
        judge,
    })
}
