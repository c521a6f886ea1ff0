//! The setup form's signals, shared through context by the setup components.

use leptos::prelude::*;

use crate::state::budget::Sizes;
use crate::state::dataset_draft::DatasetDraft;
use crate::state::endpoint_form::EndpointForm;
use crate::state::metric_form::MetricForm;
use crate::state::saved_setup::{SavedSetup, SetupForm};
use crate::state::setup::{ProgramDraft, RunPlan, SetupParts, StrategyDraft};
use crate::worker::link::{EngineLink, Latest};

/// Every part of the setup, as signals. Copy it freely.
#[derive(Debug, Clone, Copy)]
pub struct SetupSignals {
    /// Task model.
    pub task: RwSignal<EndpointForm>,
    /// Reflection model (used when `separate_reflection`).
    pub reflection: RwSignal<EndpointForm>,
    /// Use a different model for reflection.
    pub separate_reflection: RwSignal<bool>,
    /// Judge model (used when `separate_judge`).
    pub judge: RwSignal<EndpointForm>,
    /// Use a different model as the judge of model-graded metrics.
    pub separate_judge: RwSignal<bool>,
    /// Data.
    pub dataset: RwSignal<DatasetDraft>,
    /// Program.
    pub program: RwSignal<ProgramDraft>,
    /// Metric.
    pub metric: RwSignal<MetricForm>,
    /// Budget and options.
    pub strategy: RwSignal<StrategyDraft>,
    /// Why the form could not be kept in this browser, when it could not.
    pub keep_status: RwSignal<Option<String>>,
    /// Why the metric's custom script does not compile, as the worker found (the page does not
    /// carry the script interpreter).
    pub script_problem: RwSignal<Option<String>>,
}

impl SetupSignals {
    /// Signals holding the form as it was left in this browser (endpoint settings and the
    /// rest of the setup are kept separately), or defaults; from then on every change is kept.
    #[must_use]
    pub fn new() -> SetupSignals {
        let task = crate::storage::keys::load("task").unwrap_or_default();
        let reflection = crate::storage::keys::load("reflection").unwrap_or_default();
        let judge = crate::storage::keys::load("judge").unwrap_or_default();
        let form = crate::storage::setup_form::load().unwrap_or_default();
        let signals = SetupSignals {
            task: RwSignal::new(task),
            reflection: RwSignal::new(reflection),
            separate_reflection: RwSignal::new(form.separate_reflection),
            judge: RwSignal::new(judge),
            separate_judge: RwSignal::new(form.separate_judge),
            dataset: RwSignal::new(form.dataset),
            program: RwSignal::new(form.program),
            metric: RwSignal::new(form.metric),
            strategy: RwSignal::new(form.strategy),
            keep_status: RwSignal::new(None),
            script_problem: RwSignal::new(None),
        };
        signals.check_scripts();
        Effect::new(move |_| {
            let separate = [signals.separate_reflection.get(), signals.separate_judge.get()];
            let saved = signals.dataset.with(|d| {
                signals.program.with(|p| {
                    signals
                        .metric
                        .with(|m| signals.strategy.with(|s| SavedSetup::of(d, p, m, s, separate)))
                })
            });
            let problem = crate::storage::setup_form::save(&saved).err();
            if signals.keep_status.with_untracked(|old| *old != problem) {
                signals.keep_status.set(problem);
            }
        });
        signals
    }

    /// Has the worker compile the metric's custom scripts whenever the metric changes, and
    /// keeps its latest answer in `script_problem` (older answers are dropped).
    fn check_scripts(self) {
        let latest = Latest::new();
        Effect::new(move |_| {
            let form = self.metric.get();
            let has_script = form.to_spec().is_ok_and(|spec| spec.has_script());
            let question = latest.ask();
            if !has_script {
                self.script_problem.set(None);
                return;
            }
            let blank = gepa_core::Example::new([("input", String::new())], String::new());
            EngineLink::get().try_metric(form, blank, String::new(), move |answer| {
                if latest.is_latest(question) {
                    self.script_problem.set(answer.err().map(|e| format!("Metric: {e}")));
                }
            });
        });
    }

    /// Puts an opened run's data, program, metric, budget and options into the form.
    pub fn take_run(
        &self,
        setup: &gepa_core::RunSetup,
        test: &[gepa_core::Example],
        concurrency: usize,
    ) {
        let mut form = self.form_untracked();
        form.take_run(setup, test, concurrency);
        self.dataset.set(form.dataset);
        self.program.set(form.program);
        self.metric.set(form.metric);
        self.strategy.set(form.strategy);
    }

    fn form_untracked(&self) -> SetupForm {
        SetupForm {
            dataset: self.dataset.get_untracked(),
            program: self.program.get_untracked(),
            metric: self.metric.get_untracked(),
            strategy: self.strategy.get_untracked(),
            separate_reflection: self.separate_reflection.get_untracked(),
            separate_judge: self.separate_judge.get_untracked(),
        }
    }

    fn with_parts<T>(&self, f: impl FnOnce(SetupParts<'_>) -> T) -> T {
        let separate = self.separate_reflection.get();
        let separate_judge = self.separate_judge.get();
        self.task.with(|task| {
            self.judge.with(|judge| {
                self.reflection.with(|reflection| {
                    self.dataset.with(|dataset| {
                        self.program.with(|program| {
                            self.metric.with(|metric| {
                                self.strategy.with(|strategy| {
                                    f(SetupParts {
                                        dataset,
                                        program,
                                        metric,
                                        strategy,
                                        task,
                                        reflection: separate.then_some(reflection),
                                        judge: separate_judge.then_some(judge),
                                    })
                                })
                            })
                        })
                    })
                })
            })
        })
    }

    /// The runnable plan or the problems (tracked: re-evaluates when any part changes).
    ///
    /// # Errors
    /// Everything that blocks Start.
    pub fn plan(&self) -> Result<RunPlan, Vec<String>> {
        let plan = self.with_parts(|p| p.plan());
        match (plan, self.script_problem.get()) {
            (Ok(_), Some(problem)) => Err(vec![problem]),
            (Err(mut problems), Some(problem)) => {
                problems.push(problem);
                Err(problems)
            }
            (plan, None) => plan,
        }
    }

    /// The endpoints as the form now describes them (tracked).
    ///
    /// # Errors
    /// Each endpoint problem.
    pub fn endpoints(&self) -> Result<gepa_providers::Endpoints, Vec<String>> {
        self.with_parts(|p| p.endpoints())
    }

    /// Sizes for the budget estimate (tracked).
    #[must_use]
    pub fn sizes(&self) -> Sizes {
        self.with_parts(|p| p.sizes())
    }
}

impl Default for SetupSignals {
    fn default() -> Self {
        SetupSignals::new()
    }
}
