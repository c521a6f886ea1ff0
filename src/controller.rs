//! The run controller: owns the driver of the current run, exposes its display state as
//! signals, and turns the buttons (Start, Pause, Resume, Step, Stop, evaluate on the test set)
//! into engine commands. Views read its signals and call its methods; no run logic lives in a
//! view closure.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use gepa_core::{Candidate, Command, Event, Status};
use gepa_providers::EndpointStatus;
use gepa_providers::retry::RetryPolicy;
use gepa_share::RunFile;
use gepa_share::run_file::Models;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::driver::{Driver, Shared, Source};
use crate::state::engine_mirror::EngineMirror;
use crate::state::run_view::RunView;
use crate::state::setup::RunPlan;
use crate::state::test_eval::{TestEval, TestScore};
use crate::storage::response_cache::BrowserCache;
use crate::storage::runs::RunSummary;
use crate::transport::now_ms;

/// Reactive handle on the current run. Copy it freely.
#[derive(Debug, Clone, Copy)]
pub struct RunController {
    /// The run's display state (`None` before the first Start).
    pub view: RwSignal<Option<RunView>>,
    /// In flight / waiting / backing off / retrying since, per endpoint.
    pub endpoints: RwSignal<Vec<EndpointStatus>>,
    /// The held-out evaluation.
    pub test: RwSignal<TestEval>,
    /// Why the optimiser refused or stopped the run (a setup its engine cannot run, a saved
    /// state it cannot read, a worker that stopped).
    pub failure: RwSignal<Option<String>>,
    /// The best candidate's program.
    pub best: RwSignal<Option<Candidate>>,
    /// The seed program of the current run.
    pub seed: RwSignal<Option<Candidate>>,
    /// Use the response cache.
    pub use_cache: RwSignal<bool>,
    /// The candidate shown in the inspector.
    pub selected: RwSignal<Option<usize>>,
    /// The rejected proposal shown in the inspector when no candidate is selected (a ghost
    /// node clicked in the tree), by index into the history's proposals.
    pub ghost: RwSignal<Option<usize>>,
    /// The candidate compared with the selected one.
    pub compare: RwSignal<Option<usize>>,
    /// Show rejected proposals as ghost nodes in the tree.
    pub show_ghosts: RwSignal<bool>,
    /// The last autosave: rollouts saved, or what went wrong.
    pub save_status: RwSignal<Option<Result<u64, String>>>,
    /// The Python gepa result shown read-only (instead of a run of this page).
    pub imported: RwSignal<Option<gepa_share::GepaResult>>,
    /// Programs the next Start adds as starting candidates beside the seed (taken from an
    /// opened gepa result's front); cleared once a run takes them.
    pub extra_seeds: RwSignal<Vec<Candidate>>,
    driver: StoredValue<Option<Driver>, LocalStorage>,
    plan: StoredValue<Option<RunPlan>, LocalStorage>,
    events: StoredValue<Vec<Event>, LocalStorage>,
    saved: StoredValue<Option<Saved>, LocalStorage>,
    saving: StoredValue<bool, LocalStorage>,
    save_again: StoredValue<bool, LocalStorage>,
}

/// Where the current run is saved.
#[derive(Debug, Clone)]
struct Saved {
    id: String,
    title: String,
}

/// A run about to be driven: what [`RunController::drive`] takes.
#[derive(Debug)]
pub struct Launch {
    source: Source,
    plan: RunPlan,
    past: Vec<Event>,
    saved: Saved,
    use_cache: bool,
}

/// Calls [`RunController::drive`], or says why it cannot (the part of the page that drives runs
/// could not be loaded). The page binary gives it (`RunController::set_starter`), so that with a
/// split build the driver's code is a wasm chunk of its own.
pub type Starter = fn(RunController, Launch) -> Pin<Box<dyn Future<Output = Result<(), String>>>>;

thread_local! {
    static STARTER: Cell<Option<Starter>> = const { Cell::new(None) };
}

impl RunController {
    /// A controller with no run; refreshes the endpoint state twice a second.
    #[must_use]
    pub fn new() -> RunController {
        let controller = RunController {
            view: RwSignal::new(None),
            endpoints: RwSignal::new(Vec::new()),
            test: RwSignal::new(TestEval::default()),
            failure: RwSignal::new(None),
            best: RwSignal::new(None),
            seed: RwSignal::new(None),
            use_cache: RwSignal::new(true),
            selected: RwSignal::new(None),
            ghost: RwSignal::new(None),
            compare: RwSignal::new(None),
            show_ghosts: RwSignal::new(false),
            save_status: RwSignal::new(None),
            imported: RwSignal::new(None),
            extra_seeds: RwSignal::new(Vec::new()),
            driver: StoredValue::new_local(None),
            plan: StoredValue::new_local(None),
            events: StoredValue::new_local(Vec::new()),
            saved: StoredValue::new_local(None),
            saving: StoredValue::new_local(false),
            save_again: StoredValue::new_local(false),
        };
        let _ = set_interval_with_handle(
            move || controller.refresh_endpoints(),
            Duration::from_millis(500),
        );
        controller
    }

    fn refresh_endpoints(self) {
        let states = self.driver.with_value(|d| d.as_ref().map(|d| d.shared().endpoint_states()));
        if let Some(states) = states
            && self.endpoints.with_untracked(|old| *old != states)
        {
            self.endpoints.set(states);
        }
    }

    /// The run's status, or `None` before the first Start.
    #[must_use]
    pub fn status(self) -> Option<Status> {
        self.view.with(|v| v.as_ref().map(|v| v.counters.status.clone()))
    }

    /// True while a run is going (running or paused, not finished).
    #[must_use]
    pub fn active(self) -> bool {
        matches!(self.status(), Some(Status::Running | Status::Paused { .. }))
    }

    /// Starts a new run from `plan`, replacing any finished one. With `one_step`, the run
    /// pauses after its first iteration.
    pub fn start(self, plan: RunPlan, one_step: bool) {
        if self.active() {
            return;
        }
        // Starting candidates from an opened gepa result are queued before the first
        // iteration, so they are scored on the validation set like any hand-written one.
        let extra = self.extra_seeds.get_untracked();
        if !extra.is_empty() {
            self.extra_seeds.set(Vec::new());
        }
        let command = if one_step { Command::Step } else { Command::Resume };
        let source = Source::Run { setup: Box::new(plan.setup.clone()), extra, command };
        let id = format!("run-{}", now_ms() as u64);
        let title = plan.title();
        self.launch(source, plan, Vec::new(), Saved { id, title });
    }

    /// Shows a Python gepa result read-only: its tree, front, chart, heatmap and prompts. The
    /// current run, if any, stops being driven (it stays saved in this browser).
    pub fn open_gepa_result(self, result: gepa_share::GepaResult) {
        if let Some(old) = self.driver.get_value() {
            old.shared().abort_all();
            old.forget();
        }
        self.driver.set_value(None);
        self.failure.set(None);
        self.plan.set_value(None);
        self.events.set_value(Vec::new());
        self.saved.set_value(None);
        self.test.set(TestEval::default());
        self.best.set(result.candidates.get(result.best).cloned());
        self.seed.set(result.candidates.first().cloned());
        self.selected.set(None);
        self.ghost.set(None);
        self.compare.set(None);
        self.endpoints.set(Vec::new());
        self.view.set(Some(crate::state::imported::view_of(&result)));
        self.imported.set(Some(result));
    }

    /// Opens a run file: its tree and log for inspection and, with `go`, continues it against
    /// the endpoints of `plan` (the file holds model names, never URLs or keys).
    ///
    /// Returns what the user should know (a role whose provider changed keeps the form's
    /// settings) and the run's setup (for the form).
    ///
    /// # Errors
    /// When the file's setup cannot be read (a state the engine cannot restore is reported
    /// through [`RunController::failure`] once the worker has tried).
    pub fn open_run(
        self,
        file: RunFile,
        id: Option<String>,
        endpoints: gepa_providers::Endpoints,
        go: bool,
    ) -> Result<(Vec<String>, gepa_core::RunSetup), String> {
        let run_setup = file.setup().map_err(|e| e.to_string())?;
        // The run goes on asking what it asked before: its own models and parameters, at the
        // addresses (and with the keys) the form holds now.
        let mut endpoints = endpoints;
        let warnings: Vec<String> = file
            .models
            .apply_to(&mut endpoints)
            .into_iter()
            .map(|role| format!("The {role} endpoint in the form is another provider than the run used, so the run goes on with the form's model and parameters for it."))
            .collect();
        let plan = RunPlan {
            setup: run_setup.clone(),
            test: file.test.clone(),
            endpoints,
            concurrency: file.concurrency,
            patience_ms: gepa_providers::retry::DEFAULT_PATIENCE_MS,
            prices: gepa_providers::price::PriceTable::default(),
            warnings: Vec::new(),
            task: file.title.clone(),
        };
        let id = id.unwrap_or_else(|| format!("run-{}", now_ms() as u64));
        // A run saved while paused (after a Step, or by the user) goes on too: the user asked
        // to resume it. Opened for inspection, nothing is sent until Resume.
        let command = if go { Command::Resume } else { Command::Pause };
        let source = Source::Saved { state: file.state_text(), command };
        self.launch(source, plan, file.events, Saved { id, title: file.title });
        Ok((warnings, run_setup))
    }

    /// Sets what drives a run (the page does this before anything else).
    pub fn set_starter(starter: Starter) {
        STARTER.set(Some(starter));
    }

    fn launch(self, source: Source, plan: RunPlan, past: Vec<Event>, saved: Saved) {
        if let Some(old) = self.driver.get_value() {
            old.shared().abort_all();
            old.forget();
        }
        self.failure.set(None);
        let launch =
            Launch { source, plan, past, saved, use_cache: self.use_cache.get_untracked() };
        spawn_local(async move {
            let started = match STARTER.get() {
                Some(start) => start(self, launch).await,
                None => Err("this page cannot drive a run (it has no starter)".into()),
            };
            if let Err(why) = started {
                self.fail(why);
            }
        });
    }

    /// Drives `launch`: opens the response cache, shows the run and starts its driver.
    pub async fn drive(self, launch: Launch) {
        let Launch { source, plan, past, saved, use_cache } = launch;
        let cache = BrowserCache::open().await;
        cache.set_enabled(use_cache);
        let settings = gepa_providers::CallSettings {
            concurrency: plan.concurrency,
            retry: RetryPolicy { patience_ms: plan.patience_ms, ..RetryPolicy::default() },
            use_cache,
        };
        let shared = Shared::new(
            plan.endpoints.clone(),
            settings,
            plan.prices.clone(),
            cache,
            plan.setup.config.seed,
        );
        self.imported.set(None);
        let mirror = EngineMirror::new(plan.setup.config.stop.max_rollouts, past.len());
        // A new run shows at once; a saved run once the worker has restored it (its
        // counters are in its state, not in the page).
        let new_run = matches!(source, Source::Run { .. });
        self.view.set(new_run.then(|| RunView::new(&mirror)));
        self.events.set_value(past);
        self.saved.set_value(Some(saved));
        self.test.set(TestEval::default());
        self.best.set(None);
        self.selected.set(None);
        self.ghost.set(None);
        self.compare.set(None);
        self.seed.set(Some(plan.setup.seed.clone()));
        let on_change = Rc::new(move |engine: &EngineMirror, events: Vec<gepa_core::Event>| {
            self.view.update(|v| {
                let view = v.get_or_insert_with(|| {
                    // The first update of a saved run: its history so far comes first.
                    let mut view = RunView::new(engine);
                    self.events.with_value(|past| view.update(engine, past));
                    view
                });
                view.update(engine, &events);
            });
            let best = engine.best_candidate();
            if self.best.with_untracked(|old| *old != best) {
                self.best.set(best);
            }
            // The endpoint line moves with the counters, not half a second behind them (a
            // run paused right after a change would otherwise look idle while calls fly).
            self.refresh_endpoints();
            let worth_saving = events.iter().any(Event::is_save_point);
            self.events.update_value(|all| all.extend(events));
            if worth_saving {
                self.autosave();
            }
        });
        let on_fail = Rc::new(move |error: String| self.fail(error));
        let driver = Driver::launch(source, mirror, shared, on_change, on_fail);
        self.driver.set_value(Some(driver));
        self.plan.set_value(Some(plan));
    }

    /// The run could not go on: say why, and leave the setup as it is for a new Start.
    fn fail(self, error: String) {
        if let Some(driver) = self.driver.get_value() {
            driver.shared().abort_all();
            driver.forget();
        }
        self.driver.set_value(None);
        self.view.set(None);
        self.failure.set(Some(error));
    }

    /// The current plan (for share links).
    #[must_use]
    pub fn plan(self) -> Option<RunPlan> {
        self.plan.get_value()
    }

    /// The current run as a run file.
    #[must_use]
    pub fn run_file(self) -> Option<RunFile> {
        let driver = self.driver.get_value()?;
        let plan = self.plan.get_value()?;
        let saved = self.saved.get_value()?;
        let events = self.events.get_value();
        // The engine's last saved state, with the events it includes.
        let (state, count) = driver.with_mirror(|m| m.saved.clone())?;
        let events = events.get(..count).map(<[Event]>::to_vec)?;
        RunFile::from_state(
            &state,
            events,
            plan.test.clone(),
            Models::of(&plan.endpoints),
            plan.concurrency,
            saved.title.clone(),
            now_ms() as u64,
        )
        .ok()
    }

    /// Saves the run to this browser (atomically; one save at a time, the latest state wins).
    pub fn autosave(self) {
        if self.saving.get_value() {
            self.save_again.set_value(true);
            return;
        }
        let Some(file) = self.run_file() else { return };
        let Some(saved) = self.saved.get_value() else { return };
        let summary = self.view.with_untracked(|v| {
            v.as_ref().map(|v| RunSummary {
                id: saved.id.clone(),
                title: saved.title.clone(),
                saved_at_ms: file.saved_at_ms,
                rollouts: v.counters.rollouts,
                candidates: v.counters.pool,
                best: v.best_score,
                finished: matches!(v.counters.status, Status::Finished { .. }),
            })
        });
        let Some(summary) = summary else { return };
        self.saving.set_value(true);
        spawn_local(async move {
            let result = match file.to_json() {
                Ok(json) => crate::storage::runs::save(&summary, &json).await,
                Err(e) => Err(e.to_string()),
            };
            self.save_status.set(Some(match result {
                Ok(()) => Ok(summary.rollouts),
                Err(e) => Err(format!(
                    "Could not save the run in this browser: {e}. Download the run file to keep it."
                )),
            }));
            self.saving.set_value(false);
            if self.save_again.get_value() {
                self.save_again.set_value(false);
                self.autosave();
            }
        });
    }

    /// Sends a command to the current run.
    pub fn command(self, command: Command) {
        if let Some(driver) = self.driver.get_value() {
            driver.command(command);
        }
    }

    /// A steering command (edit, feedback, pin, unpin, exclude): applied by the engine, whose
    /// `Steered` event the history folds into the tree's markers (so a reopened run shows them).
    pub fn steer(self, command: Command) {
        self.command(command);
    }

    /// A pool entry of the current run (outputs and feedback per validation example).
    #[must_use]
    pub fn pool_entry(self, index: usize) -> Option<gepa_core::engine::PoolEntry> {
        self.driver
            .with_value(|d| d.as_ref().and_then(|d| d.with_mirror(|m| m.pool.get(index).cloned())))
    }

    /// An example of the current run's data.
    #[must_use]
    pub fn example(self, split: gepa_core::Split, id: u32) -> Option<gepa_core::Example> {
        self.plan.with_value(|p| p.as_ref().and_then(|p| p.setup.data.example(split, id).cloned()))
    }

    /// The split validation scores live in (the train split when validation reuses it).
    #[must_use]
    pub fn val_split(self) -> gepa_core::Split {
        self.plan
            .with_value(|p| p.as_ref().map_or(gepa_core::Split::Val, |p| p.setup.data.val_split()))
    }

    /// Resumes a paused run, first pointing it at `endpoints` when given (the user may have
    /// fixed the URL, model or key that made it pause).
    pub fn resume(self, endpoints: Option<gepa_providers::Endpoints>) {
        if let Some(driver) = self.driver.get_value() {
            if let Some(endpoints) = endpoints {
                driver.shared().set_endpoints(endpoints);
            }
            driver.command(Command::Resume);
        }
    }

    /// Scores the seed and the best candidate on the held-out test set, side by side, each on
    /// its own ledger (never charged to the run's budget).
    pub fn evaluate_test(self) {
        let (Some(driver), Some(plan)) = (self.driver.get_value(), self.plan.get_value()) else {
            return;
        };
        if plan.test.is_empty() {
            self.test.set(TestEval::failed(
                "There is no held-out test set: give the test split some rows.",
            ));
            return;
        }
        let best = driver.with_mirror(EngineMirror::best_candidate);
        let Some(best) = best else { return };
        self.test.set(TestEval::running(plan.test.len()));
        // When the best is the seed itself, one evaluation serves both sides.
        let same = best.same_content(&plan.setup.seed);
        let jobs = if same {
            vec![(None, best)]
        } else {
            vec![(Some(false), plan.setup.seed.clone()), (Some(true), best)]
        };
        for (side, candidate) in jobs {
            let record = move |done: Option<TestScore>, paused: Option<String>| {
                self.test.update(|t| match side {
                    Some(is_best) => t.record(is_best, done, paused),
                    None => {
                        t.record(false, done.clone(), paused.clone());
                        t.record(true, done, paused);
                    }
                });
            };
            let on_change =
                Rc::new(move |engine: &EngineMirror, _events: Vec<gepa_core::Event>| {
                    let done = engine.is_finished().then(|| TestScore::of(engine));
                    let paused = match &engine.snapshot.status {
                        Status::Paused { reason } => Some(reason.clone()),
                        _ => None,
                    };
                    record(done, paused);
                });
            let on_fail = Rc::new(move |error: String| self.test.set(TestEval::failed(&error)));
            let source = Source::Evaluation {
                setup: Box::new(plan.setup.clone()),
                candidate,
                test: plan.test.clone(),
            };
            let mirror = EngineMirror::new(None, 0);
            let _ = Driver::launch(source, mirror, driver.shared().clone(), on_change, on_fail);
        }
    }
}

impl Default for RunController {
    fn default() -> Self {
        RunController::new()
    }
}
