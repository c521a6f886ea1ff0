//! The setup form as it is kept in this browser between visits: data, program, metric, budget
//! and options (endpoint settings are kept on their own, and keys only where the user chose).

use gepa_core::{Program, RunSetup};
use gepa_datasets::{Role, SplitPlan};
use serde::{Deserialize, Serialize};

use super::dataset_draft::DatasetDraft;
use super::metric_form::MetricForm;
use super::setup::{ProgramDraft, SYSTEM_COMPONENT, StrategyDraft};

/// The version this build writes; other versions are ignored (the form starts at defaults).
pub const VERSION: u32 = 1;

/// Data larger than this is not kept (browsers allow about 5 MB per page in localStorage).
pub const MAX_DATA_BYTES: usize = 2 * 1024 * 1024;

/// What to tell the user about keeping the form: why it could not be kept (`problem`), or that
/// data of `data_bytes` is too large to be kept with it; `None` when all is kept.
#[must_use]
pub fn keeping_note(problem: Option<&str>, data_bytes: usize) -> Option<String> {
    match problem {
        Some(problem) => Some(format!(
            "Your setup cannot be kept in this browser ({problem}); it will be lost on reload."
        )),
        None if data_bytes > MAX_DATA_BYTES => Some(format!(
            "The data ({} MB) is too large to keep in this browser: after a reload, paste or drop it again (everything else is kept).",
            data_bytes.div_ceil(1024 * 1024)
        )),
        None => None,
    }
}

/// The setup form, serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSetup {
    /// Always [`VERSION`].
    pub version: u32,
    /// The data as typed (empty when it was too large to keep).
    pub data_text: String,
    /// Where the data came from.
    pub data_origin: String,
    /// Column roles.
    pub roles: Vec<Role>,
    /// Split sizes and seed.
    pub split: SplitPlan,
    /// Whether the sizes follow the data.
    pub split_auto: bool,
    /// Seed instruction.
    pub system: String,
    /// User template.
    pub user_template: String,
    /// Metric form.
    pub metric: MetricForm,
    /// Rollout budget.
    pub budget: u64,
    /// Engine options.
    pub config: gepa_core::RunConfig,
    /// Concurrent calls per endpoint.
    pub concurrency: usize,
    /// Patience before pausing, in minutes.
    pub patience_minutes: f64,
    /// Options as JSON, when edited that way.
    pub options_json: Option<String>,
    /// Price table as JSON, when edited.
    pub prices_json: Option<String>,
    /// A separate reflection model.
    pub separate_reflection: bool,
    /// A separate judge model.
    pub separate_judge: bool,
}

impl SavedSetup {
    /// What to keep of the form's parts (`separate` = reflection, judge).
    #[must_use]
    pub fn of(
        dataset: &DatasetDraft,
        program: &ProgramDraft,
        metric: &MetricForm,
        strategy: &StrategyDraft,
        separate: [bool; 2],
    ) -> SavedSetup {
        let keep_data = dataset.text.len() <= MAX_DATA_BYTES;
        SavedSetup {
            version: VERSION,
            data_text: if keep_data { dataset.text.clone() } else { String::new() },
            data_origin: dataset.origin.clone(),
            roles: dataset.roles.clone(),
            split: dataset.split,
            split_auto: dataset.split_auto,
            system: program.system.clone(),
            user_template: program.user_template.clone(),
            metric: metric.clone(),
            budget: strategy.budget,
            config: strategy.config.clone(),
            concurrency: strategy.concurrency,
            patience_minutes: strategy.patience_minutes,
            options_json: strategy.json.clone(),
            prices_json: strategy.prices_json.clone(),
            separate_reflection: separate[0],
            separate_judge: separate[1],
        }
    }
}

/// The form's parts, as restored (defaults: a fresh form).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SetupForm {
    /// Data.
    pub dataset: DatasetDraft,
    /// Program.
    pub program: ProgramDraft,
    /// Metric.
    pub metric: MetricForm,
    /// Budget and options.
    pub strategy: StrategyDraft,
    /// A separate reflection model.
    pub separate_reflection: bool,
    /// A separate judge model.
    pub separate_judge: bool,
}

impl SetupForm {
    /// What to keep of it.
    #[must_use]
    pub fn saved(&self) -> SavedSetup {
        SavedSetup::of(
            &self.dataset,
            &self.program,
            &self.metric,
            &self.strategy,
            [self.separate_reflection, self.separate_judge],
        )
    }

    /// The form a saved setup describes, or `None` for another version or broken text.
    #[must_use]
    pub fn restore(text: &str) -> Option<SetupForm> {
        let saved: SavedSetup = serde_json::from_str(text).ok()?;
        if saved.version != VERSION {
            return None;
        }
        let mut dataset = DatasetDraft {
            split: saved.split,
            split_auto: saved.split_auto,
            roles: saved.roles.clone(),
            ..DatasetDraft::default()
        };
        if !saved.data_text.is_empty() {
            dataset.set_text(saved.data_text, saved.data_origin);
            // The user's roles and sizes, not fresh guesses.
            if dataset.parsed.as_ref().is_ok_and(|t| t.columns.len() == saved.roles.len()) {
                dataset.roles = saved.roles;
            }
            dataset.split = saved.split;
        }
        Some(SetupForm {
            dataset,
            program: ProgramDraft { system: saved.system, user_template: saved.user_template },
            metric: saved.metric,
            strategy: StrategyDraft {
                budget: saved.budget,
                config: saved.config,
                concurrency: saved.concurrency,
                patience_minutes: saved.patience_minutes,
                json: saved.options_json,
                prices_json: saved.prices_json,
            },
            separate_reflection: saved.separate_reflection,
            separate_judge: saved.separate_judge,
        })
    }

    /// Puts a run's data (laid out so the same split gives back the same sets), program,
    /// metric, budget and options into the form.
    pub fn take_run(&mut self, setup: &RunSetup, test: &[gepa_core::Example], concurrency: usize) {
        let (columns, rows, roles, plan) =
            gepa_datasets::split::unsplit(&setup.data, test, self.dataset.split.seed);
        self.dataset =
            DatasetDraft::from_rows(&columns, &rows, &roles, Some(plan), "Data of the opened run");
        if let Some(system) = setup.seed.get(SYSTEM_COMPONENT) {
            self.program.system = system.to_owned();
        }
        if let Program::Chat { steps } = &setup.program
            && let [step] = steps.as_slice()
        {
            self.program.user_template.clone_from(&step.user);
        }
        self.metric = MetricForm::from_spec(&setup.metric);
        if let Some(budget) = setup.config.stop.max_rollouts {
            self.strategy.budget = budget;
        }
        self.strategy.config = setup.config.clone();
        self.strategy.json = None;
        self.strategy.concurrency = concurrency;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gepa_core::MetricSpec;

    fn edited() -> SetupForm {
        let mut dataset = DatasetDraft::default();
        dataset.set_text(
            "ticket,label,comment\nmy card,billing,x\nlogin fails,account,y\n".into(),
            "tickets.csv",
        );
        dataset.set_role(2, Role::Ignore);
        dataset.set_size("test", 0);
        let mut strategy =
            StrategyDraft { budget: 150, concurrency: 8, ..StrategyDraft::default() };
        strategy.config.minibatch_size = 5;
        SetupForm {
            dataset,
            program: ProgramDraft {
                system: "Label it.".into(),
                user_template: "{{ticket}}".into(),
            },
            metric: MetricForm::from_spec(&MetricSpec::Choice {
                labels: vec!["billing".into(), "account".into()],
            }),
            strategy,
            separate_reflection: true,
            separate_judge: false,
        }
    }

    #[test]
    fn an_edited_form_comes_back_as_it_was_typed() {
        let form = edited();
        let text = serde_json::to_string(&form.saved()).expect("json");
        let back = SetupForm::restore(&text).expect("restores");
        assert_eq!(back, form);
        assert_eq!(back.dataset.roles[2], Role::Ignore);
        assert!(!back.dataset.split_auto);
    }

    #[test]
    fn the_user_hears_when_the_form_or_its_data_is_not_kept() {
        assert_eq!(keeping_note(None, 10), None);
        let full = keeping_note(Some("this browser's storage for the page is full"), 10);
        assert!(full.is_some_and(
            |n| n.contains("storage for the page is full") && n.contains("lost on reload")
        ));
        let big = keeping_note(None, MAX_DATA_BYTES + 1).expect("a note");
        assert!(big.contains("3 MB") && big.contains("paste or drop it again"), "{big}");
    }

    #[test]
    fn other_versions_and_broken_text_leave_the_defaults() {
        let mut saved = edited().saved();
        saved.version = VERSION + 1;
        assert!(SetupForm::restore(&serde_json::to_string(&saved).expect("json")).is_none());
        assert!(SetupForm::restore("{ not json").is_none());
    }

    #[test]
    fn data_too_large_to_keep_is_left_out_and_the_rest_kept() {
        let mut form = edited();
        let big = format!("q,answer\n{}", "x,y\n".repeat(MAX_DATA_BYTES / 4 + 1));
        form.dataset.set_text(big, "big.csv");
        let back = SetupForm::restore(&serde_json::to_string(&form.saved()).expect("json"))
            .expect("restores");
        assert!(back.dataset.text.is_empty());
        assert_eq!(back.program, form.program);
        assert_eq!(back.strategy, form.strategy);
    }

    #[test]
    fn opening_a_run_puts_its_data_program_metric_and_budget_into_the_form() {
        let mut form = edited();
        let examples: Vec<gepa_core::Example> = (0..6)
            .map(|i| {
                gepa_core::Example::new(
                    [("question", format!("q{i}, with a comma"))],
                    format!("a{i}"),
                )
            })
            .collect();
        let setup = RunSetup {
            config: gepa_core::RunConfig {
                stop: gepa_core::config::StopConditions {
                    max_rollouts: Some(77),
                    ..Default::default()
                },
                ..Default::default()
            },
            program: Program::single_prompt(SYSTEM_COMPONENT, "Q: {{question}}"),
            seed: gepa_core::Candidate::new([(SYSTEM_COMPONENT, "Answer briefly.")]),
            data: gepa_core::Dataset {
                train: examples[..3].to_vec(),
                val: examples[3..5].to_vec(),
            },
            metric: MetricSpec::ExactMatch { case_sensitive: true },
        };
        form.take_run(&setup, &examples[5..], 3);
        assert_eq!(form.program.system, "Answer briefly.");
        assert_eq!(form.program.user_template, "Q: {{question}}");
        assert_eq!(
            form.metric,
            MetricForm::from_spec(&MetricSpec::ExactMatch { case_sensitive: true })
        );
        assert_eq!(form.strategy.budget, 77);
        assert_eq!(form.strategy.concurrency, 3);
        assert_eq!(form.dataset.origin, "Data of the opened run");
        let split = form.dataset.split().expect("the form's data splits");
        assert_eq!(split.data, setup.data);
        assert_eq!(split.test, examples[5..]);
    }
}
