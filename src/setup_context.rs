//! The setup form's signals, shared through context by the setup components.

use leptos::prelude::*;

use crate::state::budget::Sizes;
use crate::state::dataset_draft::DatasetDraft;
use crate::state::endpoint_form::EndpointForm;
use crate::state::metric_form::MetricForm;
use crate::state::setup::{ProgramDraft, RunPlan, SetupParts, StrategyDraft};

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
}

impl SetupSignals {
    /// Fresh signals, with endpoint settings restored from this browser when saved.
    #[must_use]
    pub fn new() -> SetupSignals {
        let task = crate::storage::keys::load("task").unwrap_or_default();
        let reflection = crate::storage::keys::load("reflection").unwrap_or_default();
        let judge = crate::storage::keys::load("judge").unwrap_or_default();
        SetupSignals {
            task: RwSignal::new(task),
            reflection: RwSignal::new(reflection),
            separate_reflection: RwSignal::new(false),
            judge: RwSignal::new(judge),
            separate_judge: RwSignal::new(false),
            dataset: RwSignal::new(DatasetDraft::default()),
            program: RwSignal::new(ProgramDraft::default()),
            metric: RwSignal::new(MetricForm::default()),
            strategy: RwSignal::new(StrategyDraft::default()),
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
        self.with_parts(|p| p.plan())
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
