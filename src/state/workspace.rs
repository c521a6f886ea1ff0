//! The page's two states (setting up, or a run on the stage) and when the setup drawer opens
//! by itself.

use gepa_core::Status;

/// Where the page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No run yet: the setup is the page.
    Setup,
    /// A run is going.
    Running,
    /// A run is paused (by the user, after a step, or by an endpoint problem).
    Paused,
    /// A run has finished, or a finished run or a gepa result is open.
    Finished,
}

impl Phase {
    /// The phase of a run with `status` (`None`: no run).
    #[must_use]
    pub fn of(status: Option<&Status>) -> Phase {
        match status {
            None => Phase::Setup,
            Some(Status::Running) => Phase::Running,
            Some(Status::Paused { .. }) => Phase::Paused,
            Some(Status::Finished { .. }) => Phase::Finished,
        }
    }

    /// True when the run, not the setup, is on the main stage.
    #[must_use]
    pub fn run_on_stage(self) -> bool {
        self != Phase::Setup
    }
}

/// Whether the setup drawer is open after the page goes from `from` to `to`: it closes when a
/// run starts (or a finished run is opened) so the run has the stage, and opens when there is no
/// run or the run pauses (the fix for a paused run, a URL or a key, is usually in the setup);
/// otherwise it stays as the user left it.
#[must_use]
pub fn drawer_open(from: Phase, to: Phase, was_open: bool) -> bool {
    if from == to {
        return was_open;
    }
    match to {
        Phase::Setup | Phase::Paused => true,
        Phase::Running => false,
        Phase::Finished => from != Phase::Setup && was_open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_takes_the_stage_and_a_pause_brings_the_setup_back() {
        let mut open = true;
        let mut phase = Phase::Setup;
        let mut seen = Vec::new();
        for next in [Phase::Running, Phase::Paused, Phase::Running, Phase::Finished, Phase::Setup] {
            open = drawer_open(phase, next, open);
            phase = next;
            seen.push(open);
        }
        assert_eq!(seen, [false, true, false, false, true]);
    }

    #[test]
    fn the_user_s_choice_holds_until_the_phase_changes() {
        assert!(drawer_open(Phase::Running, Phase::Running, true));
        assert!(!drawer_open(Phase::Paused, Phase::Paused, false));
        // Opening a finished run or a gepa result from the setup gives it the stage.
        assert!(!drawer_open(Phase::Setup, Phase::Finished, true));
        // A run that finishes while the user has the setup open leaves it open.
        assert!(drawer_open(Phase::Paused, Phase::Finished, true));
    }

    #[test]
    fn phases_follow_the_status() {
        assert_eq!(Phase::of(None), Phase::Setup);
        assert_eq!(Phase::of(Some(&Status::Running)), Phase::Running);
        assert_eq!(Phase::of(Some(&Status::Paused { reason: "x".into() })), Phase::Paused);
        assert!(!Phase::of(None).run_on_stage());
        assert!(Phase::Paused.run_on_stage());
    }
}
