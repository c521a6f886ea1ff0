//! Test support: a scripted model and a synchronous driver.
//!
//! The scripted model is NOT a real LLM. It is a deterministic stand-in that pins down exact
//! optimizer behaviour: the task model answers "A plus B" questions correctly only when the
//! system prompt mentions "add", and "A times B" questions only when it mentions "times"; the
//! reflection model proposes a rule for whichever component it is asked to rewrite.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use gepa_core::{
    Candidate, Dataset, Engine, Event, Example, MetricSpec, Program, Purpose, Reply, Request,
    RunConfig, RunSetup,
};

/// A dataset of "A plus B" / "A times B" questions with digit answers.
pub fn arithmetic_data(n_train: usize, n_val: usize) -> Dataset {
    let make = |k: usize| {
        let (a, b) = (k % 7 + 2, k % 5 + 3);
        if k.is_multiple_of(2) {
            Example::new([("q", format!("{a} plus {b}"))], (a + b).to_string())
        } else {
            Example::new([("q", format!("{a} times {b}"))], (a * b).to_string())
        }
    };
    Dataset { train: (0..n_train).map(make).collect(), val: (100..100 + n_val).map(make).collect() }
}

/// Two components, both used in the system message.
pub fn two_component_setup(config: RunConfig, data: Dataset) -> RunSetup {
    RunSetup {
        config,
        program: Program::Chat {
            steps: vec![gepa_core::Step {
                name: "answer".into(),
                system: "{{add_rule}}\n{{mul_rule}}".into(),
                user: "Q: {{q}}".into(),
            }],
        },
        seed: Candidate::new([("add_rule", "Be helpful."), ("mul_rule", "Be polite.")]),
        data,
        metric: MetricSpec::ExactMatch { case_sensitive: false },
    }
}

/// The scripted task model (see module docs).
pub fn scripted_task(request: &Request) -> Reply {
    let system = request
        .messages
        .iter()
        .find(|m| m.role == gepa_core::Role::System)
        .map(|m| m.content.as_str())
        .unwrap_or("");
    let user = &request.messages.last().unwrap().content;
    let q = user.trim_start_matches("Q: ");
    let parts: Vec<&str> = q.split_whitespace().collect();
    let (a, op, b): (i64, &str, i64) =
        (parts[0].parse().unwrap(), parts[1], parts[2].parse().unwrap());
    let answer = match op {
        "plus" if system.contains("add") => a + b,
        "times" if system.contains("times") => a * b,
        _ => a + b + 100,
    };
    Reply::text(answer.to_string())
}

/// The scripted reflection model: proposes a numbered rule for the component it is asked about.
pub fn scripted_reflection(request: &Request, counter: &mut u32) -> Reply {
    *counter += 1;
    let Purpose::Reflect { component, .. } = &request.purpose else {
        panic!("not a reflection request")
    };
    let text = match component.as_str() {
        "add_rule" => format!("When the question says plus, add the two numbers (rule {counter})."),
        _ => {
            format!("When the question says times, multiply: times means product (rule {counter}).")
        }
    };
    Reply::text(format!("Here is the new text:\n```\n{text}\n```"))
}

/// An order-free scripted model: every reply is a function of its request alone (no counter),
/// so the order in which replies are asked for cannot leak into a run through the model. A
/// reflection proposes a rule with a variant number drawn from a hash of its request, so
/// different parents and minibatches give different proposals.
pub fn order_free_reply(request: &Request) -> Reply {
    match &request.purpose {
        Purpose::Reflect { component, .. } => {
            let variant = request
                .messages
                .iter()
                .flat_map(|m| m.content.bytes())
                .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                    (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                })
                % 1000;
            let text = if component == "add_rule" {
                format!("When the question says plus, add the two numbers (variant {variant}).")
            } else {
                format!(
                    "When the question says times, multiply: times means product (variant {variant})."
                )
            };
            Reply::text(format!("```\n{text}\n```"))
        }
        Purpose::Generate { .. } => scripted_task(request),
        Purpose::Judge { .. } => Reply::text("Reasoning: fine.\nScore: 3"),
    }
}

/// Drives `engine` to the end like a network would: requests pile up as they are handed out,
/// and each turn answers one to four of the outstanding ones, picked at random (`order_seed`),
/// so replies of different iterations in flight interleave in any order. Returns every event.
pub fn drive_shuffled(
    engine: &mut Engine,
    mut answer: impl FnMut(&Request) -> Reply,
    order_seed: u64,
) -> Vec<Event> {
    let mut state = order_seed | 1;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut events = Vec::new();
    let mut outstanding: Vec<Request> = Vec::new();
    let mut now = 0;
    for _ in 0..100_000 {
        outstanding.extend(engine.take_requests(now));
        events.extend(engine.drain_events());
        if engine.is_finished() {
            return events;
        }
        assert!(!outstanding.is_empty(), "the run waits for nothing but is not finished");
        for _ in 0..=next(4).min(outstanding.len() - 1) {
            let request = outstanding.swap_remove(next(outstanding.len()));
            now += 1;
            let reply = answer(&request);
            engine.handle_reply(request.id, reply, now);
        }
    }
    panic!("the run did not finish");
}

/// A scripted model for every role.
pub struct ScriptedModel {
    pub reflections: u32,
    pub generate_replies: u64,
}

impl ScriptedModel {
    pub fn new() -> Self {
        ScriptedModel { reflections: 0, generate_replies: 0 }
    }

    pub fn reply(&mut self, request: &Request) -> Reply {
        match request.purpose {
            Purpose::Reflect { .. } => scripted_reflection(request, &mut self.reflections),
            Purpose::Generate { .. } => {
                self.generate_replies += 1;
                scripted_task(request)
            }
            Purpose::Judge { .. } => Reply::text("Reasoning: fine.\nScore: 3"),
        }
    }
}

/// Drives `engine` to the end, answering with `answer`; `reverse` answers each wave of requests
/// in reverse order. Returns every event.
pub fn drive(
    engine: &mut Engine,
    mut answer: impl FnMut(&Request) -> Reply,
    reverse: bool,
) -> Vec<Event> {
    let mut events = Vec::new();
    let mut now = 0;
    for _ in 0..100_000 {
        let mut requests = engine.take_requests(now);
        events.extend(engine.drain_events());
        if engine.is_finished() {
            return events;
        }
        if reverse {
            requests.reverse();
        }
        for request in requests {
            let reply = answer(&request);
            now += 1;
            engine.handle_reply(request.id, reply, now);
        }
    }
    panic!("the run did not finish");
}

/// Where two event streams part: the index and both events there (clipped), or `None` when
/// they are equal. Keeps a failing comparison's message readable.
pub fn first_difference(left: &[Event], right: &[Event]) -> Option<String> {
    let clip = |e: Option<&Event>| {
        let text = format!("{e:?}");
        text.chars().take(600).collect::<String>()
    };
    let at = (0..left.len().max(right.len())).find(|&i| left.get(i) != right.get(i))?;
    Some(format!(
        "event {at} of {}/{} differs:\n  left:  {}\n  right: {}",
        left.len(),
        right.len(),
        clip(left.get(at)),
        clip(right.get(at))
    ))
}

/// Every proposal rejection, in order.
pub fn rejections(events: &[Event]) -> Vec<&gepa_core::events::Rejection> {
    events
        .iter()
        .filter_map(|e| {
            if let Event::ProposalRejected { rejection, .. } = e { Some(rejection) } else { None }
        })
        .collect()
}

/// A compact, human-readable line per event, for snapshots.
pub fn summarize(events: &[Event]) -> String {
    let mut out = String::new();
    for event in events {
        let line = match event {
            Event::RunStarted { train, val, max_overshoot } => {
                format!("run started: train {train}, val {val}, overshoot ≤ {max_overshoot}")
            }
            Event::IterationStarted { iteration, .. } => format!("iteration {iteration}"),
            Event::ParentSelected { task, candidate, score, pinned, .. } => format!(
                "  task {task}: parent #{candidate} ({score:.2}){}",
                if *pinned { " pinned" } else { "" }
            ),
            Event::MinibatchSampled { task, examples, .. } => {
                format!("  task {task}: minibatch {examples:?}")
            }
            Event::Evaluated { target, split, scores, charged, .. } => {
                format!("  evaluated {target:?} on {split:?}: {scores:?} (charged {charged})")
            }
            Event::ReflectionSkipped { task, .. } => {
                format!("  task {task}: parent perfect, reflection skipped")
            }
            Event::ReflectionRequested { task, component, .. } => {
                format!("  task {task}: reflect on {component}")
            }
            Event::ReflectionReceived { task, proposal, attempt, salvaged, .. } => format!(
                "  task {task}: proposal {proposal:?}{}{}",
                if *attempt > 1 { format!(" (ask {attempt})") } else { String::new() },
                if *salvaged { " (salvaged)" } else { "" }
            ),
            Event::ReflectionRetried { task, attempt, reason, .. } => {
                format!("  task {task}: asked again (ask {attempt}): {}", reason.describe())
            }
            Event::ValidationSkipped { task, needed, remaining, .. } => format!(
                "  task {task}: accepted, not validated ({needed} rollouts needed, {remaining} left)"
            ),
            Event::ProposalRejected { task, rejection, .. } => {
                format!("  task {task}: rejected {rejection:?}")
            }
            Event::ProposalAccepted { task, candidate, before, after, .. } => {
                format!("  task {task}: accepted as #{candidate} ({before} -> {after})")
            }
            Event::CandidateAdded { candidate, parents, origin, mean, is_best, .. } => format!(
                "  + #{candidate} {origin:?} from {parents:?}: val {mean:.3}{}",
                if *is_best { " (best)" } else { "" }
            ),
            Event::ParetoFrontChanged { members, displaced, .. } => {
                format!("  front {members:?} displaced {displaced:?}")
            }
            Event::MergeAttempted { parents, ancestor, .. } => {
                format!("  merge {parents:?} via #{ancestor}")
            }
            Event::MergeAccepted { candidate, .. } => format!("  merge accepted as #{candidate}"),
            Event::MergeRejected { reason, .. } => format!("  merge rejected: {reason}"),
            Event::BudgetUpdated { used, delta, remaining, .. } => {
                format!("  budget {used} (+{delta}) left {remaining:?}")
            }
            Event::Steered { description, .. } => format!("steered: {description}"),
            Event::Paused { reason } => format!("paused: {reason}"),
            Event::Resumed => "resumed".into(),
            Event::Warning { message, .. } => format!("warning: {message}"),
            Event::IterationFinished { admitted, .. } => format!("  end, admitted {admitted:?}"),
            Event::RunFinished { reason, best, iterations, rollouts } => format!(
                "finished: {reason:?}, best #{best}, {iterations} iterations, {rollouts} rollouts"
            ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}
