//! The engine's side of the boundary: holds the engines of a session (the run and its held-out
//! evaluations) and answers the page's messages. Plain Rust with no browser in it, so the whole
//! exchange is tested natively; `super::entry` only moves its messages through `postMessage`.

use std::collections::BTreeMap;

use gepa_core::{Command, Engine, Event, Status};

use super::protocol::{EngineId, FromHost, Snapshot, ToHost, Update};

/// The engines of one page.
#[derive(Debug, Default)]
pub struct Host {
    engines: BTreeMap<EngineId, Hosted>,
}

#[derive(Debug)]
struct Hosted {
    engine: Engine,
    /// Pool entries already sent.
    admitted: usize,
    /// The status of the last update (a change is a save point).
    status: Option<Status>,
    /// Whether its state is sent for saving (runs are; held-out evaluations are not).
    saved: bool,
}

impl Host {
    /// A host with no engines.
    #[must_use]
    pub fn new() -> Host {
        Host::default()
    }

    /// Applies one message; returns what the page should hear.
    pub fn handle(&mut self, message: ToHost) -> Vec<FromHost> {
        match message {
            ToHost::Start { engine: id, setup, extra, command, now } => match Engine::new(*setup) {
                Ok(mut engine) => {
                    // Starting candidates are queued before the first iteration, so they are
                    // scored on the validation set like any hand-written one.
                    for program in extra {
                        engine.command(Command::AddCandidate { program, parent: None }, now);
                    }
                    engine.command(command, now);
                    self.adopt(id, engine, true, now)
                }
                Err(e) => failed(id, format!("Setup: {e}")),
            },
            ToHost::Restore { engine: id, state, command, now } => match Engine::restore(&state) {
                Ok(mut engine) => {
                    engine.command(command, now);
                    self.adopt(id, engine, true, now)
                }
                Err(e) => failed(id, e.to_string()),
            },
            ToHost::Evaluate { engine: id, setup, candidate, test, now } => {
                match Engine::evaluation(&setup, candidate, test) {
                    Ok(engine) => self.adopt(id, engine, false, now),
                    Err(e) => failed(id, e.to_string()),
                }
            }
            ToHost::Command { engine: id, command, now } => {
                self.with(id, now, |engine| engine.command(command, now))
            }
            ToHost::Replies { engine: id, replies, now } => self.with(id, now, |engine| {
                for (request, reply) in replies {
                    engine.handle_reply(request, reply, now);
                }
            }),
            ToHost::Drop { engine } => {
                self.engines.remove(&engine);
                Vec::new()
            }
            ToHost::TryMetric { ticket, metric, example, output } => {
                vec![FromHost::Tried { ticket, result: try_metric(&metric, &example, &output) }]
            }
        }
    }

    fn adopt(&mut self, id: EngineId, engine: Engine, saved: bool, now: u64) -> Vec<FromHost> {
        self.engines.insert(id, Hosted { engine, admitted: 0, status: None, saved });
        self.with(id, now, |_| ())
    }

    /// Changes an engine, then reports what it did (nothing for an engine it does not hold:
    /// a message for a run the page has already replaced).
    fn with(&mut self, id: EngineId, now: u64, change: impl FnOnce(&mut Engine)) -> Vec<FromHost> {
        let Some(hosted) = self.engines.get_mut(&id) else { return Vec::new() };
        change(&mut hosted.engine);
        vec![FromHost::Update(Box::new(hosted.update(id, now)))]
    }
}

impl Hosted {
    fn update(&mut self, id: EngineId, now: u64) -> Update {
        let engine = &mut self.engine;
        let requests = engine.take_requests(now);
        let events = engine.drain_events();
        let status = engine.status();
        let admitted = engine.pool()[self.admitted.min(engine.pool().len())..].to_vec();
        self.admitted = engine.pool().len();
        let save_point =
            events.iter().any(Event::is_save_point) || self.status.as_ref() != Some(&status);
        let state = (self.saved && save_point).then(|| engine.save().ok()).flatten();
        let snapshot = Snapshot {
            rollouts: engine.rollouts_used(),
            iterations: engine.finished_iterations(),
            spend: engine.spend().clone(),
            active_ms: engine.active_ms(),
            status: status.clone(),
            in_flight: engine.in_flight_iterations(),
            best: engine.best(),
        };
        self.status = Some(status);
        Update { engine: id, requests, events, snapshot, admitted, state }
    }
}

fn failed(engine: EngineId, error: String) -> Vec<FromHost> {
    vec![FromHost::Failed { engine, error }]
}

/// The metric picker's check: the metric as the form describes it, its scripts compiled, and
/// `output` scored against `example` (nothing to score for an empty output).
fn try_metric(
    metric: &gepa_share::metric_form::MetricForm,
    example: &gepa_core::Example,
    output: &str,
) -> Result<String, String> {
    let spec = metric.to_spec()?;
    spec.validate()?;
    if output.is_empty() {
        return Ok(String::new());
    }
    metric.try_on(example, output)
}

#[cfg(test)]
mod tests;
