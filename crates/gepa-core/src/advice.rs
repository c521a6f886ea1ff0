//! Why a run is not improving: a tally folded from the run's events that names the one reason
//! most proposals fail for, with the fix a user can make. The page shows it during and after a
//! run, the CLI at the end; both read the same events, so a reopened run file tells the same.

use serde::{Deserialize, Serialize};

use crate::events::{Event, Rejection};
use crate::reflect::ScreenReject;

/// The reason most proposals fail for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Stall {
    /// Reflection replies were cut off by the token limit.
    CutOff,
    /// Proposals repeated the current text or an earlier one.
    Repeats,
    /// Proposals were not usable instructions (JSON, echoed examples, lost placeholders…).
    WrongShape {
        /// The most common reason given.
        reason: String,
    },
    /// Reflection replies held no usable text.
    Empty,
    /// Proposals were longer than the configured limit.
    TooLong {
        /// The limit in characters.
        limit: usize,
    },
    /// Reflection calls failed.
    ReflectionFails {
        /// The last error.
        error: String,
    },
    /// Proposals were evaluated but did not beat their parents on the minibatch.
    NotBetter,
    /// Parents were already perfect on their minibatches, so there was nothing to reflect on.
    AlreadyPerfect,
}

/// What to tell the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    /// The reason.
    pub stall: Stall,
    /// Asks (or iterations, for [`Stall::AlreadyPerfect`]) it accounts for.
    pub count: u64,
    /// Of how many.
    pub of: u64,
    /// One sentence: what happened.
    pub headline: String,
    /// One or two sentences: what to change.
    pub fix: String,
}

/// Reflection asks that must have concluded before advice is given.
const MIN_ASKS: u64 = 4;

/// Counts, folded event by event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdviceTally {
    cut_off: u64,
    repeats: u64,
    wrong_shape: Vec<String>,
    empty: u64,
    too_long: (u64, usize),
    failed: (u64, String),
    not_better: u64,
    accepted: u64,
    skipped: u64,
}

impl AdviceTally {
    /// Folds one event.
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::ReflectionRetried { reason, .. } => self.screened(reason),
            Event::ProposalRejected { rejection, .. } => match rejection {
                Rejection::Screened { reason } => self.screened(reason),
                Rejection::ReflectionFailed { error } => {
                    self.failed = (self.failed.0 + 1, error.clone());
                }
                Rejection::NotBetter { .. } => self.not_better += 1,
                Rejection::NotSelected { .. }
                | Rejection::DuplicateInIteration
                | Rejection::DuplicateInFlight { .. } => {}
            },
            Event::ProposalAccepted { .. } | Event::ValidationSkipped { .. } => self.accepted += 1,
            Event::ReflectionSkipped { .. } => self.skipped += 1,
            _ => {}
        }
    }

    fn screened(&mut self, reason: &ScreenReject) {
        match reason {
            ScreenReject::Truncated => self.cut_off += 1,
            ScreenReject::SameAsParent
            | ScreenReject::DuplicateOf { .. }
            | ScreenReject::BeingTested { .. } => self.repeats += 1,
            ScreenReject::WrongShape { reason } => self.wrong_shape.push(reason.clone()),
            ScreenReject::Empty => self.empty += 1,
            ScreenReject::TooLong { limit, .. } => self.too_long = (self.too_long.0 + 1, *limit),
        }
    }

    /// Every reflection ask that concluded: screened, failed, or evaluated.
    fn asks(&self) -> u64 {
        self.cut_off
            + self.repeats
            + self.wrong_shape.len() as u64
            + self.empty
            + self.too_long.0
            + self.failed.0
            + self.not_better
            + self.accepted
    }

    /// The advice, when one reason accounts for most of the asks (at least 3 in 5) and few were
    /// accepted; `None` while the run is doing well or too little has happened to tell.
    #[must_use]
    pub fn advice(&self) -> Option<Advice> {
        let asks = self.asks();
        let iterations = self.skipped + asks;
        if self.skipped >= MIN_ASKS && self.skipped * 5 >= iterations * 3 && self.accepted == 0 {
            return Some(advise(Stall::AlreadyPerfect, self.skipped, iterations));
        }
        if asks < MIN_ASKS || self.accepted * 4 > asks {
            return None;
        }
        let shape = most_common(&self.wrong_shape);
        let candidates = [
            (Stall::CutOff, self.cut_off),
            (Stall::Repeats, self.repeats),
            (
                Stall::WrongShape { reason: shape.unwrap_or_default() },
                self.wrong_shape.len() as u64,
            ),
            (Stall::Empty, self.empty),
            (Stall::TooLong { limit: self.too_long.1 }, self.too_long.0),
            (Stall::ReflectionFails { error: self.failed.1.clone() }, self.failed.0),
            (Stall::NotBetter, self.not_better),
        ];
        let (stall, count) = candidates.into_iter().max_by_key(|(_, n)| *n)?;
        (count * 5 >= asks * 3).then(|| advise(stall, count, asks))
    }
}

/// The advice for `events` (a whole run, or the run so far).
#[must_use]
pub fn advise_on(events: &[Event]) -> Option<Advice> {
    let mut tally = AdviceTally::default();
    for event in events {
        tally.observe(event);
    }
    tally.advice()
}

fn most_common(reasons: &[String]) -> Option<String> {
    let mut counts: Vec<(&String, usize)> = Vec::new();
    for reason in reasons {
        match counts.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => counts.push((reason, 1)),
        }
    }
    // The first of the most common, so ties go to the earliest reason.
    let most = counts.iter().map(|(_, n)| *n).max()?;
    counts.into_iter().find(|(_, n)| *n == most).map(|(r, _)| r.clone())
}

fn advise(stall: Stall, count: u64, of: u64) -> Advice {
    let share = if count == of { "All".to_owned() } else { format!("{count} of {of}") };
    let (headline, fix) = match &stall {
        Stall::CutOff => (
            format!("{share} reflection replies were cut off by the token limit."),
            "Raise Max tokens for the reflection model, or leave it empty for the provider's own limit. Without a separate reflection model, the task model's Max tokens caps reflection too.".to_owned(),
        ),
        Stall::Repeats => (
            format!("{share} proposals repeated the current text or one already tried."),
            "Use a stronger reflection model, or give it a higher temperature so its replies vary.".to_owned(),
        ),
        Stall::WrongShape { reason } => (
            format!("{share} proposals were not a usable instruction (most often: it {reason})."),
            "Use a stronger reflection model, or switch reflection to edit mode in the advanced options: its short edits are easier for small models to write.".to_owned(),
        ),
        Stall::Empty => (
            format!("{share} reflection replies held no usable text."),
            "Look at the replies in the inspector: a reflection model that answers with nothing may need a higher Max tokens or a different model.".to_owned(),
        ),
        Stall::TooLong { limit } => (
            format!("{share} proposals were longer than the limit of {limit} characters."),
            "Raise the proposal length limit in the advanced options.".to_owned(),
        ),
        Stall::ReflectionFails { error } => (
            format!("{share} reflection calls failed (last: {error})."),
            "Check the reflection model's endpoint with Test connection.".to_owned(),
        ),
        Stall::NotBetter => (
            format!("{share} proposals did not beat their parent on the minibatch."),
            "Check that the metric's feedback says what was wrong and what was expected; a stronger reflection model or a larger minibatch also helps.".to_owned(),
        ),
        Stall::AlreadyPerfect => (
            format!("{share} iterations found their parent already perfect on the minibatch, so there was nothing to reflect on."),
            "The training examples may be too easy for the task model: add harder ones, or turn off skipping perfect minibatches in the advanced options.".to_owned(),
        ),
    };
    Advice { stall, count, of, headline, fix }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(rejection: Rejection) -> Event {
        Event::ProposalRejected { iteration: 1, task: 0, parent: 0, rejection }
    }

    fn screened(reason: ScreenReject) -> Event {
        rejected(Rejection::Screened { reason })
    }

    fn retried(reason: ScreenReject) -> Event {
        Event::ReflectionRetried {
            iteration: 1,
            task: 0,
            component: "system".into(),
            attempt: 2,
            reason,
            correction: String::new(),
        }
    }

    #[test]
    fn replies_cut_off_by_the_token_limit_are_named_with_the_fix() {
        // As in the user test: Max tokens 8 shared by reflection, every ask cut off.
        let events: Vec<Event> = (0..4)
            .flat_map(|_| {
                [
                    retried(ScreenReject::Truncated),
                    retried(ScreenReject::Truncated),
                    screened(ScreenReject::Truncated),
                ]
            })
            .collect();
        let advice = advise_on(&events).expect("advice");
        assert_eq!(advice.stall, Stall::CutOff);
        assert_eq!((advice.count, advice.of), (12, 12));
        assert!(advice.headline.starts_with("All reflection replies were cut off"));
        assert!(advice.fix.contains("Raise Max tokens for the reflection model"));
    }

    #[test]
    fn the_most_common_shape_problem_is_quoted() {
        let json = || ScreenReject::WrongShape { reason: "is JSON, not plain text".into() };
        let echo = ScreenReject::WrongShape { reason: "echoes the examples".into() };
        let events =
            [retried(json()), screened(json()), retried(echo), screened(json()), screened(json())];
        let advice = advise_on(&events).expect("advice");
        assert_eq!(advice.stall, Stall::WrongShape { reason: "is JSON, not plain text".into() });
        assert!(advice.headline.starts_with("All proposals"), "{}", advice.headline);
        assert!(advice.headline.contains("it is JSON, not plain text"), "{}", advice.headline);
    }

    #[test]
    fn no_advice_while_the_run_improves_or_before_enough_has_happened() {
        let accepted = || Event::ProposalAccepted {
            iteration: 1,
            task: 0,
            parent: 0,
            candidate: 1,
            before: 0.0,
            after: 1.0,
        };
        let not_better = || rejected(Rejection::NotBetter { before: 1.0, after: 1.0 });
        assert_eq!(advise_on(&[not_better(), not_better(), not_better()]), None, "too early");
        let mixed = [not_better(), accepted(), not_better(), accepted(), not_better()];
        assert_eq!(advise_on(&mixed), None, "two of five accepted: doing fine");
        let stuck = [not_better(), not_better(), not_better(), not_better(), accepted()];
        assert_eq!(advise_on(&stuck).map(|a| a.stall), Some(Stall::NotBetter));
    }

    #[test]
    fn no_advice_when_no_reason_dominates() {
        let events = [
            screened(ScreenReject::Truncated),
            screened(ScreenReject::SameAsParent),
            screened(ScreenReject::Empty),
            rejected(Rejection::NotBetter { before: 0.0, after: 0.0 }),
            rejected(Rejection::ReflectionFailed { error: "HTTP 500".into() }),
        ];
        assert_eq!(advise_on(&events), None);
    }

    #[test]
    fn parents_perfect_on_their_minibatches_are_named() {
        let skipped = || Event::ReflectionSkipped { iteration: 1, task: 0, candidate: 0 };
        let events = [skipped(), skipped(), skipped(), skipped(), skipped()];
        let advice = advise_on(&events).expect("advice");
        assert_eq!(advice.stall, Stall::AlreadyPerfect);
        assert!(advice.fix.contains("skipping perfect minibatches"));
    }
}
