//! Steering a run: a user's candidate, a note for the next reflection, a pinned parent, an
//! excluded candidate. Each takes effect when the next iteration is planned, and each is an
//! event (`Event::Steered` with its typed `Steer`), so a run's history shows it on reopening.

use super::flight::HumanCandidate;
use super::{Command, Engine};
use crate::events::{Event, Steer};

impl Engine {
    pub(super) fn steer(&mut self, command: Command) {
        let n = self.pool.len();
        let done: Result<(Steer, String), String> = match &command {
            Command::AddCandidate { program, parent } => {
                let same_keys = program.len() == self.setup.seed.len()
                    && self.setup.seed.names().all(|k| program.get(k).is_some());
                if !same_keys {
                    Err("the added candidate must have exactly the seed's components".to_owned())
                } else if let Some(dup) =
                    self.pool.iter().position(|p| p.candidate.same_content(program))
                {
                    Err(format!("the added candidate is identical to #{dup}"))
                } else if parent.is_some_and(|p| p >= n) {
                    Err("the added candidate names a parent that does not exist".to_owned())
                } else {
                    self.steering
                        .queued
                        .push(HumanCandidate { program: program.clone(), parent: *parent });
                    Ok((
                        Steer::CandidateQueued { parent: *parent },
                        "Queued your candidate; it will be scored on the validation set before the next iteration.".to_owned(),
                    ))
                }
            }
            Command::Feedback { candidate, note } if *candidate < n => {
                self.steering.notes.insert(*candidate, note.clone());
                Ok((
                    Steer::NoteAdded { candidate: *candidate, note: note.clone() },
                    format!("Your note will be added to the next reflection on #{candidate}."),
                ))
            }
            Command::Pin { candidate } if *candidate < n => {
                self.steering.pinned = Some(*candidate);
                Ok((
                    Steer::Pinned { candidate: *candidate },
                    format!("#{candidate} will be the parent of the next proposal."),
                ))
            }
            Command::Unpin => match self.steering.pinned.take() {
                Some(candidate) => Ok((
                    Steer::Unpinned { candidate },
                    format!(
                        "#{candidate} is no longer pinned; the next parent is chosen as usual."
                    ),
                )),
                None => {
                    Err("no candidate is pinned (a pin is used by the next iteration)".to_owned())
                }
            },
            Command::Exclude { candidate, excluded } if *candidate < n => {
                let candidate = *candidate;
                if *excluded {
                    if self.steering.excluded.len() + 1 >= n {
                        Err("at least one candidate must stay selectable".to_owned())
                    } else {
                        self.steering.excluded.insert(candidate);
                        Ok((
                            Steer::Excluded { candidate },
                            format!("#{candidate} is excluded from parent selection."),
                        ))
                    }
                } else {
                    self.steering.excluded.remove(&candidate);
                    Ok((
                        Steer::Included { candidate },
                        format!("#{candidate} can be selected as a parent again."),
                    ))
                }
            }
            _ => Err("that candidate does not exist".to_owned()),
        };
        match done {
            Ok((steer, description)) => {
                self.steering.log.push((self.iterations, command));
                self.events.push(Event::Steered { steer: Some(steer), description });
            }
            Err(message) => {
                self.events.push(Event::Warning { iteration: self.iterations, message })
            }
        }
    }
}
