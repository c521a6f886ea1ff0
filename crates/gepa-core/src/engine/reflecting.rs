//! Reflection within a flight: the parents' minibatch results become reflection requests (one
//! per component to rewrite), replies are read, screened and, when unusable, asked for again
//! with what was wrong; then the children are assembled and put on the minibatch.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::Engine;
use super::PendingTarget;
use super::batch::Batch;
use super::flight::{ReflectJob, Stage, Task, Verdict};
use super::stages::owned_results;
use crate::candidate::Candidate;
use crate::config::ComponentSelection;
use crate::events::{EvalTarget, Event, Rejection};
use crate::message::{ChatMessage, Role};
use crate::program::Program;
use crate::reflect::{
    ASKED_AGAIN, ReflectionMode, ReflectiveRecord, ScreenReject, apply_edits, closes_its_blocks,
    extract_proposal, parse_edits, reflection_messages, revised_since, salvage_cut_off,
    screen_text, unwrap_json_instruction,
};
use crate::request::{ModelRole, Purpose, Reply};

/// How one reflection reply reads.
struct Reading {
    raw: String,
    proposal: String,
    problem: Option<Rejection>,
    salvaged: bool,
}

impl Engine {
    /// The components a proposal on `parent` rewrites: all of them, or the next in its round
    /// robin (advancing it).
    pub(super) fn pick_components(&mut self, parent: usize, optimisable: &[String]) -> Vec<String> {
        match self.setup.config.components {
            ComponentSelection::RoundRobin if optimisable.len() > 1 => {
                // The seed while it is being validated has no pool entry yet: its round robin
                // is kept aside and handed to the entry when it is added.
                let next = match self.pool.get_mut(parent) {
                    Some(entry) => &mut entry.next_component,
                    None => &mut self.seed_next_component,
                };
                let pick = *next % optimisable.len();
                *next = (pick + 1) % optimisable.len();
                vec![optimisable[pick].clone()]
            }
            ComponentSelection::All | ComponentSelection::RoundRobin => optimisable.to_vec(),
        }
    }

    pub(super) fn complete_parents(&mut self, fi: usize, batch: &Batch) {
        let owner = self.owner(fi);
        let mut it = self.flights[fi].it.clone();
        for task in 0..it.tasks.len() {
            self.emit_evaluated(
                owner,
                it.iteration,
                EvalTarget::Candidate { index: it.tasks[task].parent },
                batch,
                task,
            );
            it.tasks[task].parent_results =
                owned_results(batch, task).into_iter().map(|(_, r)| r).collect();
        }
        self.emit_budget(owner, it.iteration, batch.charged);
        let optimisable = self.setup.program.used_components(&self.setup.seed);
        let mut jobs = Vec::new();
        let mut skipped = Vec::new();
        for (index, task) in it.tasks.iter().enumerate() {
            let perfect = self.setup.config.perfect_score;
            if self.setup.config.skip_perfect_score
                && task.parent_results.iter().all(|r| r.score.score >= perfect)
            {
                skipped.push(Event::ReflectionSkipped {
                    iteration: it.iteration,
                    task: index,
                    candidate: task.parent,
                });
                continue;
            }
            // Chosen when the iteration was planned (a state saved before pipelining chose here).
            let components = if task.components.is_empty() {
                self.pick_components(task.parent, &optimisable)
            } else {
                task.components.clone()
            };
            for component in components {
                jobs.push(ReflectJob {
                    task: index,
                    component,
                    reply: None,
                    attempt: 1,
                    messages: Vec::new(),
                    verdict: None,
                });
            }
        }
        for event in skipped {
            self.emit(owner, event);
        }
        let flight = &mut self.flights[fi];
        flight.it = it;
        if jobs.is_empty() {
            flight.decided = true;
            flight.stage = Stage::Done;
            return;
        }
        flight.stage = Stage::Queued { jobs };
    }

    /// Asks the reflection model for every job of flight `fi` and reports the asks.
    pub(super) fn start_reflecting(&mut self, fi: usize, mut jobs: Vec<ReflectJob>) {
        self.ask_reflections(fi, &mut jobs, 0, true, &[]);
        self.flights[fi].stage = Stage::Reflecting { jobs };
    }

    /// Asks the reflection model, for every job of flight `fi`, to improve the version its
    /// task improves given the parent's minibatch results, showing each the versions of its
    /// text that older flights on the same parent tried (`show_tried_versions`). The asks are
    /// jobs `first..` of the stage; `report`: whether they are reported now (else when they
    /// are known to stand). A job whose request is the same as that of the job at its place in
    /// `asked` is not asked again (the answer will be the same); returns which ones were not.
    pub(super) fn ask_reflections(
        &mut self,
        fi: usize,
        jobs: &mut [ReflectJob],
        first: usize,
        report: bool,
        asked: &[ReflectJob],
    ) -> Vec<bool> {
        let mut shared = vec![false; jobs.len()];
        let owner = self.owner(fi);
        let it = self.flights[fi].it.clone();
        for (job_index, job) in jobs.iter_mut().enumerate() {
            let task = &it.tasks[job.task];
            let improved = self.version_improved(task);
            let current = improved.get(&job.component).unwrap_or_default().to_owned();
            // The records are the parent's results unless the version built on was scored
            // first: the request then shows the parent's text beside them, and the version
            // to improve as a revision of it.
            let scored = if task.base.is_some() && !task.base_scored {
                self.parent_candidate(task.parent)
                    .get(&job.component)
                    .unwrap_or_default()
                    .to_owned()
            } else {
                current.clone()
            };
            let records = self.records(task);
            let tested = self.tried_alongside(fi, task, &job.component);
            let (style, mode) =
                (self.setup.config.reflection_style, self.setup.config.reflection_mode);
            let mut messages = reflection_messages(
                style,
                mode,
                &job.component,
                &scored,
                &records,
                task.note.as_deref(),
                &tested,
            );
            if scored != current {
                revised_since(&mut messages, mode, &job.component, &current);
            }
            job.messages.clone_from(&messages);
            if asked.get(job_index).is_some_and(|a| a.messages == messages) {
                shared[job_index] = true;
                continue;
            }
            if report {
                let requested = self.reflection_requested(fi, job);
                self.emit(owner, requested);
            }
            let purpose =
                Purpose::Reflect { parent: task.parent, component: job.component.clone() };
            let job = first + job_index;
            let target = PendingTarget::Reflection { iteration: Some(self.flights[fi].seq), job };
            self.issue(ModelRole::Reflection, messages, purpose, target);
        }
        shared
    }

    /// The report of job's first ask.
    pub(super) fn reflection_requested(&self, fi: usize, job: &ReflectJob) -> Event {
        let it = &self.flights[fi].it;
        Event::ReflectionRequested {
            iteration: it.iteration,
            task: job.task,
            parent: it.tasks[job.task].parent,
            component: job.component.clone(),
            prompt: render_chat(&job.messages),
        }
    }

    fn records(&self, task: &Task) -> Vec<ReflectiveRecord> {
        task.minibatch
            .iter()
            .zip(&task.parent_results)
            .filter_map(|(id, result)| {
                let example = self.setup.data.train.get(*id as usize)?;
                let mut inputs: Vec<(String, String)> =
                    example.inputs.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                if let Some(notes) = &example.notes {
                    inputs.push(("notes".into(), notes.clone()));
                }
                let output = if result.steps.len() > 1 {
                    let names = step_names(&self.setup.program);
                    result
                        .steps
                        .iter()
                        .zip(names)
                        .map(|(o, n)| format!("[{n}] {o}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                } else {
                    result.output.clone()
                };
                Some(ReflectiveRecord {
                    inputs,
                    output,
                    feedback: result.score.feedback.clone(),
                    score: result.score.score,
                })
            })
            .collect()
    }

    /// Every ask of this round has its reply: read each in job order; a screened-out proposal
    /// with asks left goes back to the reflection model with what was wrong, the others are
    /// final. Once every job is final, the flight has proposed (see `proposals.rs`).
    pub(super) fn complete_reflecting(&mut self, fi: usize, mut jobs: Vec<ReflectJob>) {
        let owner = self.owner(fi);
        let pool_seen = self.flights[fi].pool_seen;
        let it = self.flights[fi].it.clone();
        let retries = if self.setup.config.screen_proposals {
            self.setup.config.reflection_retries
        } else {
            0
        };
        let mut asking_again = false;
        for (index, job) in jobs.iter_mut().enumerate() {
            if job.verdict.is_some() {
                continue;
            }
            let improved = self.version_improved(&it.tasks[job.task]);
            let reading = self.read_reflection(&improved, job, pool_seen);
            self.emit(
                owner,
                Event::ReflectionReceived {
                    iteration: it.iteration,
                    task: job.task,
                    component: job.component.clone(),
                    raw_reply: reading.raw.clone(),
                    proposal: reading.proposal.clone(),
                    usage: match &job.reply {
                        Some(Reply::Text { usage, .. }) => *usage,
                        _ => crate::request::Usage::default(),
                    },
                    attempt: job.attempt,
                    salvaged: reading.salvaged,
                },
            );
            match reading.problem {
                Some(Rejection::Screened { reason }) if job.attempt <= retries => {
                    let duplicate = matches!(reason, ScreenReject::DuplicateOf { .. })
                        .then_some(reading.proposal.as_str());
                    self.ask_again(fi, index, job, reason, duplicate);
                    asking_again = true;
                }
                problem => {
                    job.verdict = Some(Verdict {
                        proposal: problem.is_none().then_some(reading.proposal),
                        rejection: problem,
                    });
                }
            }
        }
        let stage =
            if asking_again { Stage::Reflecting { jobs } } else { Stage::Proposed { jobs } };
        self.flights[fi].stage = stage;
    }

    /// Asks the reflection model again for job `index` of flight `fi`: the first request once
    /// more, with what was wrong with an earlier reply (and, for a duplicate, the version it
    /// repeated) added to its last message. The earlier reply itself is left out: small models
    /// copy a reply they are shown (Qwen2.5-Coder-0.5B sent the same reply to every re-ask when
    /// it was part of the conversation).
    pub(super) fn ask_again(
        &mut self,
        fi: usize,
        index: usize,
        job: &mut ReflectJob,
        reason: ScreenReject,
        duplicate: Option<&str>,
    ) {
        let owner = self.owner(fi);
        let iteration = self.flights[fi].it.iteration;
        let parent = self.flights[fi].it.tasks[job.task].parent;
        let available = self.available_placeholders(&job.component);
        let correction =
            reason.correction(&job.component, &available, self.setup.config.reflection_mode);
        let mut note = format!("\n\n{ASKED_AGAIN} {correction}");
        if let Some(text) = duplicate {
            let _ = write!(note, "\nThat version was:\n```\n{}\n```", text.trim());
        }
        if job.messages.is_empty() {
            // A run saved by an older build: start the conversation afresh.
            job.messages = vec![ChatMessage::user(correction.clone())];
        }
        let mut messages = job.messages.clone();
        if let Some(last) = messages.iter_mut().rev().find(|m| m.role == Role::User) {
            last.content.push_str(&note);
        }
        job.attempt += 1;
        job.reply = None;
        job.verdict = None;
        self.emit(
            owner,
            Event::ReflectionRetried {
                iteration,
                task: job.task,
                component: job.component.clone(),
                attempt: job.attempt,
                reason,
                correction,
            },
        );
        let purpose = Purpose::Reflect { parent, component: job.component.clone() };
        let target =
            PendingTarget::Reflection { iteration: Some(self.flights[fi].seq), job: index };
        self.issue(ModelRole::Reflection, messages, purpose, target);
    }

    /// Reads one reflection reply: the proposal (a cut-off rewrite salvaged when enough of it is
    /// complete, edits applied, an instruction unwrapped from JSON) and, when screening is on,
    /// what is wrong with it.
    fn read_reflection(
        &self,
        parent_candidate: &Candidate,
        job: &ReflectJob,
        pool_seen: usize,
    ) -> Reading {
        let config = &self.setup.config;
        let parent_text = parent_candidate.get(&job.component).unwrap_or_default();
        let screened = |reason: ScreenReject| Some(Rejection::Screened { reason });
        let (raw, truncated) = match &job.reply {
            Some(Reply::Text { text, truncated, .. }) => (text.clone(), *truncated),
            Some(Reply::Failed { error, .. }) => {
                let problem = Some(Rejection::ReflectionFailed { error: error.clone() });
                return Reading {
                    raw: error.clone(),
                    proposal: String::new(),
                    problem,
                    salvaged: false,
                };
            }
            None => {
                let problem = Some(Rejection::ReflectionFailed { error: "no reply".into() });
                return Reading {
                    raw: String::new(),
                    proposal: String::new(),
                    problem,
                    salvaged: false,
                };
            }
        };
        if !config.screen_proposals {
            // The reference: whatever the reply holds is evaluated.
            let proposal = extract_proposal(&raw);
            let problem = proposal
                .trim()
                .is_empty()
                .then_some(Rejection::Screened { reason: ScreenReject::Empty });
            return Reading { raw, proposal, problem, salvaged: false };
        }
        let cut_short = truncated && !closes_its_blocks(&raw);
        let mut salvaged = false;
        let mut proposal = match config.reflection_mode {
            ReflectionMode::Edit => {
                // A cut-off edit list keeps its complete lines; cut-off prose is not taken.
                let usable = if cut_short {
                    raw.rsplit_once('\n').map_or("", |(complete, _)| complete)
                } else {
                    raw.as_str()
                };
                if cut_short && parse_edits(usable).is_empty() {
                    let problem = screened(ScreenReject::Truncated);
                    return Reading { raw, proposal: String::new(), problem, salvaged: false };
                }
                match apply_edits(parent_text, usable) {
                    Ok(text) => text,
                    Err(reason) => {
                        let problem = screened(ScreenReject::WrongShape { reason });
                        return Reading { raw, proposal: String::new(), problem, salvaged: false };
                    }
                }
            }
            ReflectionMode::Rewrite if cut_short => match salvage_cut_off(&raw, parent_text) {
                Some(kept) => {
                    salvaged = true;
                    kept
                }
                None => {
                    let problem = screened(ScreenReject::Truncated);
                    return Reading { raw, proposal: String::new(), problem, salvaged: false };
                }
            },
            ReflectionMode::Rewrite => extract_proposal(&raw),
        };
        if unwrap_json_instruction(parent_text).is_none()
            && let Some(inner) = unwrap_json_instruction(&proposal)
        {
            proposal = inner;
        }
        let available = self.available_placeholders(&job.component);
        let problem =
            match screen_text(parent_text, &proposal, config.max_component_chars, &available) {
                Err(reason) => screened(reason),
                Ok(()) => {
                    let child = parent_candidate.with_text(&job.component, &proposal);
                    self.seen_in_pool(pool_seen, &child)
                        .and_then(|index| screened(ScreenReject::DuplicateOf { index }))
                }
            };
        Reading { raw, proposal, problem, salvaged }
    }

    /// The placeholders a component's text may use: every input field of the examples, and the
    /// outputs of the steps before the first one that uses the component.
    pub(super) fn available_placeholders(&self, component: &str) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = self
            .setup
            .data
            .train
            .iter()
            .chain(&self.setup.data.val)
            .flat_map(|e| e.inputs.keys().cloned())
            .collect();
        if let Program::Chat { steps } = &self.setup.program {
            let token = format!("{{{{{component}}}}}");
            let uses =
                |s: &crate::program::Step| s.system.contains(&token) || s.user.contains(&token);
            let first = steps.iter().position(uses).unwrap_or(steps.len());
            names.extend(steps[..first].iter().map(|s| s.name.clone()));
        }
        names
    }
}

fn render_chat(messages: &[ChatMessage]) -> String {
    messages
        .iter()
        .map(|m| {
            format!(
                "[{}]\n{}",
                serde_json::to_value(m.role)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                m.content
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn step_names(program: &Program) -> Vec<String> {
    match program {
        Program::Chat { steps } => steps.iter().map(|s| s.name.clone()).collect(),
        Program::Artifact { .. } => Vec::new(),
    }
}
