//! The whole run setup as the user edits it, and the check that turns it into a runnable plan
//! (or the list of what is missing: an invalid setup cannot start).

use gepa_core::template::placeholders;
use gepa_core::{Candidate, ChatMessage, Example, Program, RunConfig, RunSetup};
use gepa_datasets::example_task::ExampleTask;
use gepa_providers::Endpoints;
use gepa_providers::price::PriceTable;

use super::budget::Sizes;
use super::dataset_draft::DatasetDraft;
use super::endpoint_form::EndpointForm;
use super::metric_form::MetricForm;

/// The component GEPA evolves in a single-prompt program.
pub const SYSTEM_COMPONENT: &str = "system";

/// The seed program as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramDraft {
    /// The seed system instruction.
    pub system: String,
    /// The user message template with `{{field}}` placeholders.
    pub user_template: String,
}

impl Default for ProgramDraft {
    fn default() -> Self {
        ProgramDraft {
            system: "You are a helpful assistant. Answer the question.".into(),
            user_template: "{{question}}".into(),
        }
    }
}

impl ProgramDraft {
    /// The core program.
    #[must_use]
    pub fn program(&self) -> Program {
        Program::single_prompt(SYSTEM_COMPONENT, &self.user_template)
    }

    /// The seed candidate.
    #[must_use]
    pub fn seed(&self) -> Candidate {
        Candidate::new([(SYSTEM_COMPONENT, self.system.as_str())])
    }

    /// The exact messages the task model receives for `example`.
    #[must_use]
    pub fn messages_for(&self, example: &Example) -> Vec<ChatMessage> {
        self.program().messages(0, &self.seed(), example, &[])
    }

    /// Placeholders in the template that name neither an input column nor a component.
    #[must_use]
    pub fn unknown_fields(&self, inputs: &[String]) -> Vec<String> {
        let mut unknown: Vec<String> = placeholders(&self.user_template)
            .chain(placeholders(&self.system))
            .filter(|name| name != SYSTEM_COMPONENT && !inputs.contains(name))
            .collect();
        unknown.dedup();
        unknown
    }
}

/// Inserts `{{field}}` into `text` at character offset `at` (clamped); returns the new text
/// and the offset just after the insertion, for the caret.
#[must_use]
pub fn insert_placeholder(text: &str, at: usize, field: &str) -> (String, usize) {
    let at = text.char_indices().nth(at).map_or(text.len(), |(i, _)| i);
    let token = format!("{{{{{field}}}}}");
    let mut out = String::with_capacity(text.len() + token.len());
    out.push_str(&text[..at]);
    out.push_str(&token);
    out.push_str(&text[at..]);
    let caret = text[..at].chars().count() + token.chars().count();
    (out, caret)
}

/// Budget and engine options.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyDraft {
    /// Rollout budget.
    pub budget: u64,
    /// Engine options (the budget is written into its stop conditions).
    pub config: RunConfig,
    /// Concurrent calls per endpoint.
    pub concurrency: usize,
    /// How long a failing endpoint is retried before the run pauses, in minutes.
    pub patience_minutes: f64,
    /// Every option as JSON, when the user edits them that way (takes precedence).
    pub json: Option<String>,
    /// The price table as JSON, when the user edits it (model → USD per million tokens).
    pub prices_json: Option<String>,
}

impl Default for StrategyDraft {
    fn default() -> Self {
        StrategyDraft {
            budget: 60,
            config: RunConfig::default(),
            concurrency: 4,
            patience_minutes: 10.0,
            json: None,
            prices_json: None,
        }
    }
}

impl StrategyDraft {
    /// The options that will run.
    ///
    /// # Errors
    /// When the JSON does not parse or an option is out of range.
    pub fn effective_config(&self) -> Result<RunConfig, String> {
        let mut config = match &self.json {
            Some(text) => serde_json::from_str::<RunConfig>(text)
                .map_err(|e| format!("the options JSON is not valid: {e}"))?,
            None => self.config.clone(),
        };
        config.stop.max_rollouts = Some(self.budget);
        config.validate()?;
        Ok(config)
    }

    /// The prices used for costs (the built-in table unless edited).
    ///
    /// # Errors
    /// When the edited JSON is not a price table.
    pub fn prices(&self) -> Result<PriceTable, String> {
        match &self.prices_json {
            None => Ok(PriceTable::default()),
            Some(text) => serde_json::from_str(text).map_err(|e| {
                format!("the price table is not valid ({e}); each entry looks like \"gpt-4o-mini\": {{\"input_per_mtok\": 0.15, \"output_per_mtok\": 0.6}}")
            }),
        }
    }
}

/// Everything a run needs, checked.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// The engine setup.
    pub setup: RunSetup,
    /// The held-out test set.
    pub test: Vec<Example>,
    /// Endpoints by role.
    pub endpoints: Endpoints,
    /// Concurrent calls per endpoint.
    pub concurrency: usize,
    /// How long a failing endpoint is retried before the run pauses, in ms.
    pub patience_ms: u64,
    /// Prices for costs.
    pub prices: PriceTable,
    /// Things to know that do not block the run.
    pub warnings: Vec<String>,
    /// Where the data came from ("Example: Support ticket triage", a file name, "Pasted").
    pub task: String,
}

impl RunPlan {
    /// A title for saved-run lists and exported configurations.
    #[must_use]
    pub fn title(&self) -> String {
        let task = self.task.strip_prefix("Example: ").unwrap_or(&self.task);
        let task = if task.trim().is_empty() { "Own data" } else { task };
        format!(
            "{task} · {} · {} rollouts",
            self.endpoints.task.model,
            self.setup.config.stop.max_rollouts.unwrap_or(0)
        )
    }

    /// The plan as a run configuration for the `gepa` CLI (model names, never URLs or keys).
    #[must_use]
    pub fn config_file(&self) -> gepa_share::run_config::RunConfigFile {
        gepa_share::run_config::RunConfigFile::new(
            self.title(),
            self.setup.clone(),
            self.test.clone(),
            gepa_share::run_file::Models::of(&self.endpoints),
            self.concurrency,
        )
    }
}

/// The pieces of the setup form.
#[derive(Debug, Clone, Copy)]
pub struct SetupParts<'a> {
    /// Data.
    pub dataset: &'a DatasetDraft,
    /// Program.
    pub program: &'a ProgramDraft,
    /// Metric.
    pub metric: &'a MetricForm,
    /// Budget and options.
    pub strategy: &'a StrategyDraft,
    /// Task model.
    pub task: &'a EndpointForm,
    /// Reflection model (`None` = same as the task model).
    pub reflection: Option<&'a EndpointForm>,
    /// Judge model for model-graded metrics (`None` = the reflection model).
    pub judge: Option<&'a EndpointForm>,
}

impl SetupParts<'_> {
    /// The runnable plan, or every problem (each says where and what to do).
    ///
    /// # Errors
    /// The list of problems, in page order.
    pub fn plan(&self) -> Result<RunPlan, Vec<String>> {
        let mut problems = Vec::new();
        let endpoints = self.endpoints();
        if let Err(endpoint_problems) = &endpoints {
            problems.extend(endpoint_problems.iter().cloned());
        }
        let mut note = |area: &str, result: Result<(), String>| {
            if let Err(e) = result {
                problems.push(format!("{area}: {e}"));
            }
        };
        let split = self.dataset.split();
        note("Dataset", split.as_ref().map(|_| ()).map_err(Clone::clone));
        if self.program.system.trim().is_empty() {
            note("Program", Err("write a seed instruction for GEPA to improve".into()));
        }
        if self.program.user_template.trim().is_empty() {
            note("Program", Err("write the user message template, e.g. {{question}}".into()));
        }
        if self.dataset.parsed.is_ok() {
            let inputs = self.dataset.input_fields();
            let unknown = self.program.unknown_fields(&inputs);
            if !unknown.is_empty() {
                let names: Vec<String> = unknown
                    .iter()
                    .map(|n| match gepa_core::template::closest(n, &inputs) {
                        Some(near) => format!("{{{{{n}}}}} (did you mean {{{{{near}}}}}?)"),
                        None => format!("{{{{{n}}}}}"),
                    })
                    .collect();
                note(
                    "Program",
                    Err(format!(
                        "{} is not an input column of the dataset: fix the name or mark the column as an input",
                        names.join(", ")
                    )),
                );
            }
        }
        let metric = self.metric.to_spec();
        note("Metric", metric.as_ref().map(|_| ()).map_err(Clone::clone));
        let config = self.strategy.effective_config();
        note("Budget and strategy", config.as_ref().map(|_| ()).map_err(Clone::clone));
        let prices = self.strategy.prices();
        note("Budget and strategy", prices.as_ref().map(|_| ()).map_err(Clone::clone));
        if self.strategy.concurrency == 0 {
            note("Budget and strategy", Err("concurrency must be at least 1".into()));
        }
        if self.strategy.patience_minutes.is_nan() || self.strategy.patience_minutes <= 0.0 {
            note(
                "Budget and strategy",
                Err("keep retrying a failing endpoint for more than 0 minutes".into()),
            );
        }
        let (Ok(endpoints), Ok(split), Ok(metric), Ok(config), Ok(prices), true) =
            (endpoints, split, metric, config, prices, problems.is_empty())
        else {
            return Err(problems);
        };
        let val = split.data.val_len() as u64;
        if self.strategy.budget <= val {
            return Err(vec![format!(
                "Budget and strategy: a budget of {} rollouts does not cover even the seed's validation pass ({val}); raise it or shrink the validation set",
                self.strategy.budget
            )]);
        }
        // A greedy task model gives a parent the same minibatch results again: reuse them.
        // Unless set, the iterations in flight follow the concurrency (RunConfig's rule).
        let config = RunConfig {
            reuse_minibatch_results: config.reuse_minibatch_results
                || endpoints.task.params.greedy(),
            pipeline_depth: Some(config.depth_or_for(self.strategy.concurrency)),
            ..config
        };
        let setup = RunSetup {
            config,
            program: self.program.program(),
            seed: self.program.seed(),
            data: split.data,
            metric,
        };
        // What the engine checks, but the compile of custom scripts: the worker does that
        // (`SetupSignals::script_problem`), the page does not carry the interpreter.
        if let Err(e) = setup.validate_shape() {
            return Err(vec![format!("Setup: {e}")]);
        }
        Ok(RunPlan {
            setup,
            test: split.test,
            endpoints,
            concurrency: self.strategy.concurrency,
            patience_ms: (self.strategy.patience_minutes * 60_000.0) as u64,
            prices,
            warnings: split.warnings,
            task: self.dataset.origin.clone(),
        })
    }

    /// The endpoints by role, checked (also used to fix an endpoint before resuming a run).
    ///
    /// # Errors
    /// Each endpoint problem, prefixed with the model's role.
    pub fn endpoints(&self) -> Result<Endpoints, Vec<String>> {
        let mut problems = Vec::new();
        let mut check = |area: &str, form: &EndpointForm| {
            form.to_config().map_err(|e| problems.push(format!("{area}: {e}"))).ok()
        };
        let task = check("Task model", self.task);
        let reflection = match self.reflection {
            Some(form) => check("Reflection model", form),
            None => task.clone(),
        };
        let judge = self.judge.and_then(|form| check("Judge model", form));
        match (task, reflection) {
            (Some(task), Some(reflection)) if problems.is_empty() => {
                Ok(Endpoints { task, reflection, judge })
            }
            _ => Err(problems),
        }
    }

    /// Sizes for the budget estimate.
    #[must_use]
    pub fn sizes(&self) -> Sizes {
        let split = self.dataset.split().ok();
        let val = split.as_ref().map_or(0, |s| s.data.val_len());
        let first = split.as_ref().and_then(|s| s.data.train.first());
        let prompt_chars = first.map_or(self.program.system.len(), |e| {
            self.program.messages_for(e).iter().map(|m| m.content.len()).sum()
        });
        let answers: Vec<usize> = split
            .as_ref()
            .map(|s| s.data.train.iter().map(|e| e.expected.len()).collect())
            .unwrap_or_default();
        let answer_chars = answers.iter().sum::<usize>() / answers.len().max(1);
        Sizes { val, prompt_chars, answer_chars, component_chars: self.program.system.len() }
    }
}

/// The setup pieces an example task fills in.
#[must_use]
pub fn from_example(task: &ExampleTask) -> (DatasetDraft, ProgramDraft, MetricForm) {
    let mut dataset = DatasetDraft::default();
    dataset.set_text(task.data.clone(), format!("Example: {}", task.title));
    let program =
        ProgramDraft { system: task.system.clone(), user_template: task.user_template.clone() };
    (dataset, program, MetricForm::from_spec(&task.metric))
}

/// True when loading an example over `before` replaces something the user made (data they
/// pasted or dropped, or a seed program that is neither the page's default nor one of the
/// `examples`' own) with something different, so the page offers Undo.
#[must_use]
pub fn replaces_work(
    before: (&DatasetDraft, &ProgramDraft),
    after: (&DatasetDraft, &ProgramDraft),
    examples: &[ProgramDraft],
) -> bool {
    let own_data = !before.0.text.trim().is_empty() && !before.0.origin.starts_with("Example: ");
    let own_program = *before.1 != ProgramDraft::default() && !examples.contains(before.1);
    (own_data && before.0.text != after.0.text) || (own_program && before.1 != after.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gepa_providers::Preset;

    fn example(id: &str) -> ExampleTask {
        crate::state::example_tasks::get(id).unwrap()
    }

    fn local_endpoint() -> EndpointForm {
        EndpointForm { model: "smollm2".into(), ..EndpointForm::for_preset(Preset::LlamaCpp) }
    }

    #[test]
    fn every_example_task_plans_a_runnable_setup() {
        for id in ["support-triage", "word-problems", "contact-extraction", "date-normalization"] {
            let (dataset, program, metric) = from_example(&example(id));
            let strategy = StrategyDraft { budget: 200, ..StrategyDraft::default() };
            let task = local_endpoint();
            let parts = SetupParts {
                dataset: &dataset,
                program: &program,
                metric: &metric,
                strategy: &strategy,
                task: &task,
                reflection: None,
                judge: None,
            };
            let plan = parts.plan().unwrap_or_else(|e| panic!("{id}: {e:?}"));
            assert_eq!(plan.setup.config.stop.max_rollouts, Some(200));
            assert!(!plan.test.is_empty(), "{id} has a held-out set");
            let preview = program.messages_for(&plan.setup.data.train[0]);
            assert!(preview.iter().all(|m| !m.content.contains("{{")), "{id}: {preview:?}");
            assert!(parts.sizes().prompt_chars > 0);
            // Saved runs are listed by task, model and budget.
            let title = plan.title();
            assert!(title.ends_with(" · smollm2 · 200 rollouts"), "{title}");
            assert!(!title.starts_with("Example:"), "{title}");
        }
    }

    #[test]
    fn an_empty_setup_lists_everything_that_is_missing() {
        let dataset = DatasetDraft::default();
        let program = ProgramDraft { system: " ".into(), user_template: String::new() };
        let metric = MetricForm::default();
        let strategy = StrategyDraft { concurrency: 0, ..StrategyDraft::default() };
        let task = EndpointForm::for_preset(Preset::OpenAi);
        let problems = SetupParts {
            dataset: &dataset,
            program: &program,
            metric: &metric,
            strategy: &strategy,
            task: &task,
            reflection: None,
            judge: None,
        }
        .plan()
        .unwrap_err();
        let joined = problems.join("\n");
        for needle in
            ["Task model:", "Dataset: Paste data", "seed instruction", "template", "concurrency"]
        {
            assert!(joined.contains(needle), "{needle} missing from {joined}");
        }
    }

    #[test]
    fn a_separate_judge_is_checked_and_routed() {
        let (dataset, program, metric) = from_example(&example("support-triage"));
        let strategy = StrategyDraft::default();
        let task = local_endpoint();
        let mut judge = EndpointForm::for_preset(Preset::OpenAi);
        let plan = |judge: &EndpointForm| {
            SetupParts {
                dataset: &dataset,
                program: &program,
                metric: &metric,
                strategy: &strategy,
                task: &task,
                reflection: None,
                judge: Some(judge),
            }
            .plan()
        };
        assert!(plan(&judge).unwrap_err()[0].starts_with("Judge model:"));
        judge.model = "gpt-4o-mini".into();
        judge.api_key = "sk-test".into();
        let endpoints = plan(&judge).unwrap().endpoints;
        assert_eq!(endpoints.judge.map(|j| j.model), Some("gpt-4o-mini".to_owned()));
        assert_eq!(endpoints.reflection.model, "smollm2", "reflection defaults to the task model");
    }

    #[test]
    fn placeholders_insert_at_the_caret_even_after_multibyte_text() {
        assert_eq!(insert_placeholder("Q: ", 3, "question"), ("Q: {{question}}".into(), 15));
        assert_eq!(insert_placeholder("é!", 1, "x"), ("é{{x}}!".into(), 6));
        assert_eq!(insert_placeholder("ab", 99, "x").0, "ab{{x}}");
    }

    #[test]
    fn loading_an_example_over_typed_work_offers_undo() {
        let (triage, triage_program, _) = from_example(&example("support-triage"));
        let (words, words_program, _) = from_example(&example("word-problems"));
        let examples = [triage_program.clone(), words_program.clone()];
        let undo = |data: &DatasetDraft, program: &ProgramDraft| {
            replaces_work((data, program), (&words, &words_program), &examples)
        };
        let fresh = (DatasetDraft::default(), ProgramDraft::default());
        assert!(!undo(&fresh.0, &fresh.1), "nothing to lose");
        assert!(!undo(&triage, &triage_program), "one example for another: nothing typed");
        let typed = ProgramDraft { system: "My own prompt.".into(), ..triage_program.clone() };
        assert!(undo(&triage, &typed), "a typed prompt");
        let mut pasted = DatasetDraft::default();
        pasted.set_text("q,a\n1,2\n".into(), "Pasted");
        assert!(undo(&pasted, &fresh.1), "pasted data");
    }

    #[test]
    fn unknown_placeholders_and_tiny_budgets_are_refused_with_the_fix() {
        let (dataset, mut program, metric) = from_example(&example("support-triage"));
        program.user_template = "Ticket: {{tikcet}}".into();
        let mut strategy = StrategyDraft::default();
        let task = local_endpoint();
        let parts = |program: &ProgramDraft, strategy: &StrategyDraft| {
            SetupParts {
                dataset: &dataset,
                program,
                metric: &metric,
                strategy,
                task: &task,
                reflection: None,
                judge: None,
            }
            .plan()
        };
        let problems = parts(&program, &strategy).unwrap_err();
        assert!(
            problems[0].contains("{{tikcet}} (did you mean {{ticket}}?) is not an input column"),
            "{problems:?}"
        );
        program.user_template = "Ticket: {{ticket}}".into();
        strategy.budget = 2;
        let problems = parts(&program, &strategy).unwrap_err();
        assert!(problems[0].contains("does not cover even the seed"), "{problems:?}");
        strategy.budget = 100;
        strategy.json = Some("{\"minibatch_size\": 0}".into());
        assert!(parts(&program, &strategy).unwrap_err()[0].contains("minibatch"));
        strategy.json = Some("{nope".into());
        assert!(parts(&program, &strategy).unwrap_err()[0].contains("options JSON"));
        strategy.json = None;
        strategy.prices_json = Some("{\"my-model\": 3}".into());
        assert!(parts(&program, &strategy).unwrap_err()[0].contains("price table"));
        strategy.prices_json =
            Some("{\"smollm2\": {\"input_per_mtok\": 1.0, \"output_per_mtok\": 2.0}}".into());
        let plan = parts(&program, &strategy).unwrap();
        assert!(plan.prices.price("smollm2").is_some(), "an edited table prices local models");
    }
}
