//! Turns engine events into sentences a person can follow, e.g. "Iteration 7: improved
//! 'system' of #3 on 3 examples, 1/3 → 3/3, accepted as #9, val 0.62 → 0.71".

use std::collections::BTreeMap;

use gepa_core::Event;
use gepa_core::events::{Origin, Rejection};

/// How a line should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Neutral progress.
    Info,
    /// Something got better.
    Good,
    /// A proposal was turned down.
    Rejected,
    /// Needs attention (pauses, warnings).
    Warn,
}

/// One line of the event log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// Iteration (0 before the first).
    pub iteration: u64,
    /// Look.
    pub tone: Tone,
    /// The sentence.
    pub text: String,
}

/// Remembers what earlier events said so later ones can be described in full.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Narrator {
    means: BTreeMap<usize, f64>,
    minibatch: BTreeMap<(u64, usize), usize>,
    component: BTreeMap<(u64, usize), String>,
    added: BTreeMap<usize, (f64, bool)>,
}

fn fraction(sum: f64, n: usize) -> String {
    if (sum - sum.round()).abs() < 1e-9 {
        format!("{}/{n}", sum.round())
    } else {
        format!("{sum:.2}/{n}")
    }
}

/// Why a proposal was turned down, for people; `n` is the minibatch size.
#[must_use]
pub fn rejection_reason(rejection: &Rejection, n: usize) -> String {
    match rejection {
        Rejection::Screened { reason } => {
            format!("discarded before evaluation: {}", reason.describe())
        }
        Rejection::ReflectionFailed { error } => format!("the reflection call failed: {error}"),
        Rejection::NotBetter { before, after } => {
            format!(
                "not better on the minibatch ({} → {})",
                fraction(*before, n),
                fraction(*after, n)
            )
        }
        Rejection::NotSelected { before, after } => format!(
            "improved ({} → {}) but another proposal was kept",
            fraction(*before, n),
            fraction(*after, n)
        ),
        Rejection::DuplicateInIteration => "same as another proposal in this iteration".into(),
        Rejection::DuplicateInFlight { iteration } => {
            format!("same as the proposal iteration {iteration} is already testing")
        }
    }
}

impl Narrator {
    /// The line for `event`, if it deserves one.
    pub fn describe(&mut self, event: &Event) -> Option<LogLine> {
        let line =
            |iteration: u64, tone: Tone, text: String| Some(LogLine { iteration, tone, text });
        match event {
            Event::RunStarted { train, val, .. } => line(
                0,
                Tone::Info,
                format!(
                    "Run started with {train} training and {val} validation examples; scoring the seed."
                ),
            ),
            Event::ParentSelected { iteration, candidate, pinned: true, .. } => line(
                *iteration,
                Tone::Info,
                format!("Iteration {iteration}: reflecting on #{candidate}, as you pinned it."),
            ),
            Event::MinibatchSampled { iteration, task, examples } => {
                self.minibatch.insert((*iteration, *task), examples.len());
                None
            }
            Event::ReflectionRequested { iteration, task, component, .. } => {
                self.component.insert((*iteration, *task), component.clone());
                None
            }
            Event::ReflectionSkipped { iteration, candidate, .. } => line(
                *iteration,
                Tone::Info,
                format!(
                    "Iteration {iteration}: #{candidate} was perfect on its minibatch, nothing to improve."
                ),
            ),
            Event::ReflectionRetried { iteration, task, attempt, reason, .. } => {
                let component = self.component_of(*iteration, *task);
                line(
                    *iteration,
                    Tone::Info,
                    format!(
                        "Iteration {iteration}: the new '{component}' was unusable ({}); asked the reflection model again, saying what was wrong (ask {attempt}).",
                        reason.describe().trim_start_matches("the ")
                    ),
                )
            }
            Event::ReflectionReceived { iteration, task, salvaged: true, .. } => {
                let component = self.component_of(*iteration, *task);
                line(
                    *iteration,
                    Tone::Info,
                    format!(
                        "Iteration {iteration}: the reflection reply for '{component}' was cut off by its token limit; kept its complete lines."
                    ),
                )
            }
            Event::ValidationSkipped { iteration, task, parent, needed, remaining } => {
                let component = self.component_of(*iteration, *task);
                line(
                    *iteration,
                    Tone::Rejected,
                    format!(
                        "Iteration {iteration}: the new '{component}' beat #{parent} on its minibatch but was not validated: that needs {needed} rollouts and {remaining} are left."
                    ),
                )
            }
            Event::ProposalRejected { iteration, task, parent, rejection } => {
                let component = self.component_of(*iteration, *task);
                let why = rejection_reason(rejection, self.minibatch_of(*iteration, *task));
                line(
                    *iteration,
                    Tone::Rejected,
                    format!(
                        "Iteration {iteration}: new '{component}' for #{parent} rejected, {why}."
                    ),
                )
            }
            Event::ProposalAccepted { iteration, task, parent, candidate, before, after } => {
                // Emitted after the candidate's CandidateAdded, which recorded its score.
                let n = self.minibatch_of(*iteration, *task);
                let (mean, is_best) = self.added.remove(candidate).unwrap_or((f64::NAN, false));
                let parent_mean =
                    self.means.get(parent).map_or_else(|| "?".to_owned(), |m| format!("{m:.2}"));
                line(
                    *iteration,
                    if is_best { Tone::Good } else { Tone::Info },
                    format!(
                        "Iteration {iteration}: improved '{}' of #{parent} on {n} examples, {} → {}, accepted as #{candidate}, val {parent_mean} → {mean:.2}.{}",
                        self.component_of(*iteration, *task),
                        fraction(*before, n),
                        fraction(*after, n),
                        if is_best { " New best." } else { "" },
                    ),
                )
            }
            Event::CandidateAdded {
                iteration, candidate, parents, origin, mean, is_best, ..
            } => {
                self.means.insert(*candidate, *mean);
                let best = if *is_best { " New best." } else { "" };
                let text = match origin {
                    Origin::Seed => format!("Seed scored {mean:.2} on validation."),
                    Origin::Reflection => {
                        self.added.insert(*candidate, (*mean, *is_best));
                        return None;
                    }
                    Origin::Merge => format!(
                        "Iteration {iteration}: merged #{} and #{} into #{candidate}, val {mean:.2}.{best}",
                        parents.first().copied().unwrap_or_default(),
                        parents.get(1).copied().unwrap_or_default(),
                    ),
                    Origin::Human => {
                        format!("Your candidate was added as #{candidate}, val {mean:.2}.{best}")
                    }
                };
                let tone =
                    if *is_best || *origin == Origin::Seed { Tone::Good } else { Tone::Info };
                line(*iteration, tone, text)
            }
            Event::MergeRejected { iteration, parents, reason } => line(
                *iteration,
                Tone::Rejected,
                format!(
                    "Iteration {iteration}: merge of #{} and #{} not kept: {reason}.",
                    parents[0], parents[1]
                ),
            ),
            Event::Steered { description, .. } => line(0, Tone::Info, description.clone()),
            Event::Paused { reason } => line(0, Tone::Warn, reason.clone()),
            Event::Resumed => line(0, Tone::Info, "Resumed.".into()),
            Event::Warning { iteration, message } => line(*iteration, Tone::Warn, message.clone()),
            Event::RunFinished { reason, best, iterations, rollouts } => line(
                *iterations,
                Tone::Good,
                format!(
                    "Finished: {} Best is #{best}{} after {iterations} iterations and {rollouts} rollouts.",
                    reason.describe(),
                    self.means.get(best).map_or_else(String::new, |m| format!(" (val {m:.2})")),
                ),
            ),
            _ => None,
        }
    }

    fn component_of(&self, iteration: u64, task: usize) -> String {
        self.component.get(&(iteration, task)).cloned().unwrap_or_else(|| "?".into())
    }

    fn minibatch_of(&self, iteration: u64, task: usize) -> usize {
        self.minibatch.get(&(iteration, task)).copied().unwrap_or_default()
    }
}
