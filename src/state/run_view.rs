//! What the page shows about a run: counters, scores, spend, ETA and the readable log, folded
//! from the engine's events plus a snapshot of its counters.

use gepa_core::advice::{Advice, AdviceTally};
use gepa_core::engine::{FlightView, Spend};
use gepa_core::{Event, Status};

use super::engine_mirror::EngineMirror;

use super::event_log::{LogLine, Narrator};
use super::history::RunHistory;

/// Counters read from the engine after every change.
#[derive(Debug, Clone, PartialEq)]
pub struct Counters {
    /// Rollouts charged.
    pub rollouts: u64,
    /// The rollout budget.
    pub budget: Option<u64>,
    /// Iterations finished (those in flight are in `in_flight`).
    pub iterations: u64,
    /// Candidates in the pool.
    pub pool: usize,
    /// Tokens and cost by role.
    pub spend: Spend,
    /// Active milliseconds.
    pub active_ms: u64,
    /// Running / paused / finished.
    pub status: Status,
    /// Iterations in flight, oldest first, with the candidates they improve.
    pub in_flight: Vec<FlightView>,
}

impl Counters {
    /// Reads them from what the page knows of the engine.
    #[must_use]
    pub fn of(engine: &EngineMirror) -> Counters {
        let s = &engine.snapshot;
        Counters {
            rollouts: s.rollouts,
            budget: engine.budget,
            iterations: s.iterations,
            pool: engine.pool.len(),
            spend: s.spend.clone(),
            active_ms: s.active_ms,
            status: s.status.clone(),
            in_flight: s.in_flight.clone(),
        }
    }

    /// "2 (#7 validating, #8 reflecting)" or "none".
    #[must_use]
    pub fn describe_in_flight(&self) -> String {
        if self.in_flight.is_empty() {
            return "none".into();
        }
        let each: Vec<String> =
            self.in_flight.iter().map(|f| format!("#{} {}", f.iteration, f.stage)).collect();
        format!("{} ({})", self.in_flight.len(), each.join(", "))
    }
}

/// The display state of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    /// Engine counters.
    pub counters: Counters,
    /// The seed's mean validation score.
    pub seed_score: Option<f64>,
    /// The best mean validation score.
    pub best_score: Option<f64>,
    /// Pool index of the best candidate.
    pub best: Option<usize>,
    /// Proposals admitted.
    pub accepted: u64,
    /// Proposals rejected (screened, failed, not better, not selected).
    pub rejected: u64,
    /// The stop reason, once finished.
    pub stop_reason: Option<String>,
    /// The readable log, oldest first.
    pub log: Vec<LogLine>,
    /// Candidates, proposals, front and timeline.
    pub history: RunHistory,
    narrator: Narrator,
    tally: AdviceTally,
}

impl RunView {
    /// The view of a run that has not produced events yet.
    #[must_use]
    pub fn new(engine: &EngineMirror) -> RunView {
        RunView {
            counters: Counters::of(engine),
            seed_score: None,
            best_score: None,
            best: None,
            accepted: 0,
            rejected: 0,
            stop_reason: None,
            log: Vec::new(),
            history: RunHistory::default(),
            narrator: Narrator::default(),
            tally: AdviceTally::default(),
        }
    }

    /// A view holding only `history` (for the tree benchmark).
    #[must_use]
    pub fn of_history(history: RunHistory) -> RunView {
        RunView {
            counters: Counters {
                rollouts: history.rollouts,
                budget: Some(history.rollouts),
                iterations: 0,
                pool: history.candidates.len(),
                spend: Spend::default(),
                active_ms: 0,
                status: Status::Running,
                in_flight: Vec::new(),
            },
            seed_score: None,
            best_score: None,
            best: history.best(),
            accepted: 0,
            rejected: 0,
            stop_reason: None,
            log: Vec::new(),
            history,
            narrator: Narrator::default(),
            tally: AdviceTally::default(),
        }
    }

    /// Folds new events and refreshes the counters.
    pub fn update(&mut self, engine: &EngineMirror, events: &[Event]) {
        for event in events {
            self.apply(event);
        }
        self.counters = Counters::of(engine);
        self.history.improving =
            self.counters.in_flight.iter().flat_map(|f| f.parents.iter().copied()).collect();
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::CandidateAdded { candidate, mean, is_best, .. } => {
                if *candidate == 0 {
                    self.seed_score = Some(*mean);
                }
                if *is_best || self.best.is_none() {
                    self.best = Some(*candidate);
                    self.best_score = Some(*mean);
                }
            }
            Event::ProposalAccepted { .. } | Event::MergeAccepted { .. } => self.accepted += 1,
            Event::ProposalRejected { .. } | Event::MergeRejected { .. } => self.rejected += 1,
            Event::RunFinished { reason, .. } => self.stop_reason = Some(reason.describe()),
            _ => {}
        }
        self.history.apply(event);
        self.tally.observe(event);
        if let Some(line) = self.narrator.describe(event) {
            self.log.push(line);
        }
    }

    /// Why the run is not improving, when one reason dominates its proposals.
    #[must_use]
    pub fn advice(&self) -> Option<Advice> {
        self.tally.advice()
    }

    /// Change of the best score from the seed's.
    #[must_use]
    pub fn improvement(&self) -> Option<f64> {
        Some(self.best_score? - self.seed_score?)
    }

    /// Estimated milliseconds to spend the rest of the budget at the pace so far.
    #[must_use]
    pub fn eta_ms(&self) -> Option<u64> {
        let c = &self.counters;
        if !matches!(c.status, Status::Running) || c.rollouts == 0 {
            return None;
        }
        let left = c.budget?.saturating_sub(c.rollouts);
        Some(c.active_ms.saturating_mul(left) / c.rollouts)
    }
}

/// 95_000 ms → "1 min 35 s".
#[must_use]
pub fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::host::Host;
    use crate::worker::protocol::{FromHost, ToHost};
    use gepa_core::config::StopConditions;
    use gepa_core::{
        Candidate, Command, Dataset, Example, MetricSpec, Program, Purpose, Reply, Request,
        RunConfig, RunSetup,
    };

    /// A scripted model (not an LLM): the task model answers correctly once the system prompt
    /// says "ALWAYS", and reflection proposes such a prompt.
    fn scripted(request: &Request, proposal: &str) -> Reply {
        let all: String = request.messages.iter().map(|m| m.content.as_str()).collect();
        match request.purpose {
            Purpose::Reflect { .. } => Reply::text(format!("```\n{proposal}\n```")),
            _ if all.contains("ALWAYS") => {
                let q = request.messages.last().map_or("", |m| m.content.as_str());
                Reply::text(q.trim_start_matches("n="))
            }
            _ => Reply::text("no idea"),
        }
    }

    fn run() -> (EngineMirror, RunView) {
        run_reflecting("ALWAYS give the number only.")
    }

    fn run_reflecting(proposal: &str) -> (EngineMirror, RunView) {
        let (engine, view, _) = run_steering(proposal, |_, _| Vec::new());
        (engine, view)
    }

    /// The scripted run through the worker's host (each message round-tripped through serde,
    /// as `postMessage` would), with `steer` asked for commands between every two steps.
    fn run_steering(
        proposal: &str,
        mut steer: impl FnMut(&EngineMirror, &RunView) -> Vec<Command>,
    ) -> (EngineMirror, RunView, Vec<Event>) {
        let examples: Vec<Example> =
            (0..6).map(|i| Example::new([("q", format!("n={i}"))], i.to_string())).collect();
        let setup = RunSetup {
            config: RunConfig {
                stop: StopConditions { max_rollouts: Some(40), ..StopConditions::default() },
                ..RunConfig::default()
            },
            program: Program::single_prompt("system", "{{q}}"),
            seed: Candidate::new([("system", "Answer.")]),
            data: Dataset { train: examples[..3].to_vec(), val: examples[3..].to_vec() },
            metric: MetricSpec::ExactMatch { case_sensitive: false },
        };
        let mut host = Host::new();
        let mut mirror = EngineMirror::new(setup.config.stop.max_rollouts, 0);
        let mut view = RunView::new(&mirror);
        let mut all = Vec::new();
        let start = ToHost::Start {
            engine: 1,
            setup: Box::new(setup),
            extra: Vec::new(),
            command: Command::Resume,
            now: 0,
        };
        let mut out = host.handle(start);
        for now in 1..1_000 {
            let mut replies = Vec::new();
            for message in out {
                let FromHost::Update(mut update) = round_trip(&message) else {
                    panic!("{message:?}")
                };
                mirror.apply(&mut update);
                view.update(&mirror, &update.events);
                all.extend(update.events);
                replies.extend(update.requests.iter().map(|r| (r.id, scripted(r, proposal))));
            }
            if mirror.is_finished() {
                break;
            }
            let commands = steer(&mirror, &view);
            out = host.handle(round_trip(&ToHost::Replies { engine: 1, replies, now }));
            for command in commands {
                out.extend(host.handle(ToHost::Command { engine: 1, command, now }));
            }
        }
        (mirror, view, all)
    }

    fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(message: &T) -> T {
        serde_json::from_str(&serde_json::to_string(message).unwrap()).unwrap()
    }

    #[test]
    fn steering_shows_in_the_history_and_a_reopened_run_shows_the_same() {
        use crate::state::tree_model::TreeModel;
        use gepa_core::Steer;
        let mut seen_pending = false;
        let mut steered = false;
        let (_, live, events) = run_steering("ALWAYS give the number only.", |engine, view| {
            if !steered && engine.pool.len() == 2 {
                steered = true;
                let edit = Candidate::new([("system", "ALWAYS answer with the number.")]);
                return vec![
                    Command::Pin { candidate: 1 },
                    Command::Unpin,
                    Command::Pin { candidate: 0 },
                    Command::Exclude { candidate: 1, excluded: true },
                    Command::Feedback { candidate: 0, note: "Digits only.".into() },
                    Command::AddCandidate { program: edit, parent: Some(0) },
                ];
            } else if steered && !seen_pending {
                // The step right after steering: the markers are there, the edit is pending.
                let h = &view.history;
                assert_eq!((h.pinned, h.queued.as_slice()), (Some(0), [Some(0)].as_slice()));
                assert!(h.excluded.contains(&1));
                assert_eq!(h.notes, [(0, "Digits only.".to_owned())]);
                assert_eq!(
                    (h.notes_on(0), h.notes_on(1)),
                    (vec!["Digits only.".to_owned()], vec![])
                );
                let tree = TreeModel::build(h, false);
                let pending: Vec<_> = tree.nodes.iter().filter(|n| n.look.pending).collect();
                assert_eq!(pending.len(), 1, "the queued edit is drawn");
                assert!(tree.node(0).is_some_and(|n| n.look.pinned));
                assert!(tree.node(1).is_some_and(|n| n.look.excluded));
                seen_pending = true;
            }
            Vec::new()
        });
        assert!(seen_pending);
        let h = &live.history;
        assert!(h.queued.is_empty(), "the edit was validated and admitted");
        assert!(h.candidates.iter().any(|c| c.origin == gepa_core::events::Origin::Human));
        assert!(h.excluded.contains(&1), "still excluded at the end");
        assert_eq!(h.pinned, None, "the pin was used by the next iteration");
        let steers =
            events.iter().filter(|e| matches!(e, Event::Steered { steer: Some(_), .. })).count();
        assert_eq!(steers, 6);
        assert!(events.iter().any(|e| matches!(
            e,
            Event::Steered { steer: Some(Steer::Unpinned { candidate: 1 }), .. }
        )));
        // Reopened from its events in one go (as a run file or a saved run is), the history,
        // the tree and the log are exactly what the live page folded step by step.
        let engine = EngineMirror::new(Some(40), 0);
        let mut reopened = RunView::new(&engine);
        reopened.update(&engine, &events);
        assert_eq!(reopened.history, live.history);
        assert_eq!(TreeModel::build(&reopened.history, true), TreeModel::build(h, true));
        assert_eq!(reopened.log, live.log);
    }

    #[test]
    fn a_run_whose_proposals_repeat_the_seed_says_so_and_a_winning_run_does_not() {
        let (_, stuck) = run_reflecting("Answer.");
        let advice = stuck.advice().expect("advice");
        assert_eq!(advice.stall, gepa_core::advice::Stall::Repeats);
        assert!(advice.headline.starts_with("All proposals repeated"), "{}", advice.headline);
        assert_eq!(run().1.advice(), None);
    }

    #[test]
    fn the_view_follows_a_scripted_run_to_the_end() {
        let (engine, view) = run();
        assert_eq!(view.seed_score, Some(0.0));
        assert_eq!(view.best_score, Some(1.0));
        assert_eq!(view.improvement(), Some(1.0));
        assert_eq!(view.best, engine.snapshot.best);
        assert_eq!(view.counters.rollouts, engine.snapshot.rollouts);
        assert!(view.counters.rollouts <= 40);
        assert_eq!(view.accepted, 1);
        assert!(view.stop_reason.is_some());
        assert_eq!(view.eta_ms(), None, "no ETA once finished");
    }

    #[test]
    fn the_log_reads_like_sentences() {
        let (_, view) = run();
        let text: Vec<&str> = view.log.iter().map(|l| l.text.as_str()).collect();
        assert!(text[0].starts_with("Run started with 3 training and 3 validation examples"));
        assert!(text.contains(&"Seed scored 0.00 on validation."), "{text:#?}");
        assert!(
            text.contains(
                &"Iteration 1: improved 'system' of #0 on 3 examples, 0/3 → 3/3, accepted as #1, val 0.00 → 1.00. New best."
            ),
            "{text:#?}"
        );
        assert!(text.last().unwrap().starts_with("Finished: "), "{text:#?}");
    }

    #[test]
    fn the_history_links_each_candidate_to_its_reflection_and_decision() {
        use crate::state::history::Outcome;
        let (engine, view) = run();
        let h = &view.history;
        assert_eq!(h.candidates.len(), engine.pool.len());
        let child = &h.candidates[1];
        assert_eq!((child.parents.as_slice(), child.mean), ([0].as_slice(), 1.0));
        let proposal = &h.proposals[child.proposal.expect("linked to its proposal")];
        assert_eq!(proposal.parent, 0);
        assert_eq!(proposal.component, "system");
        assert!(proposal.prompt.contains("Answer."), "the request shows the parent's text");
        // The scripted reply is prose; edit mode (the default) adds it to the parent's text.
        assert_eq!(proposal.proposal, "Answer.\nALWAYS give the number only.");
        assert_eq!(proposal.parent_eval.examples.len(), 3);
        assert_eq!(proposal.parent_eval.sum(), 0.0);
        assert_eq!(proposal.child_eval.as_ref().map(|e| e.sum()), Some(3.0));
        assert_eq!(proposal.outcome, Outcome::Accepted { candidate: 1, before: 0.0, after: 3.0 });
        assert!(h.proposals[1..].iter().all(|p| p.outcome == Outcome::Skipped));
        assert_eq!(h.front, [1].into_iter().collect());
        assert_eq!(h.best(), Some(1));
        assert!(child.admitted_at > h.candidates[0].admitted_at);
        assert_eq!(h.rollouts, engine.snapshot.rollouts);
    }

    #[test]
    fn eta_extrapolates_the_pace_and_durations_read_well() {
        let (engine, mut view) = run();
        view.counters = Counters {
            rollouts: 10,
            budget: Some(40),
            active_ms: 5_000,
            status: Status::Running,
            ..Counters::of(&engine)
        };
        assert_eq!(view.eta_ms(), Some(15_000));
        assert_eq!(duration(15_000), "15 s");
        assert_eq!(duration(95_000), "1 min 35 s");
        assert_eq!(duration(7_260_000), "2 h 1 min");
    }
}
