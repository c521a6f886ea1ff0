//! Keyboard shortcuts for the run controls, as a pure mapping.

/// What a key press asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunAction {
    /// Start a new run.
    Start,
    /// Pause, or resume when paused.
    PauseResume,
    /// One iteration.
    Step,
    /// Stop the run.
    Stop,
}

/// The action for `key`, unless a modifier is held or the user is typing in a field.
#[must_use]
pub fn action_for(key: &str, modifier: bool, typing: bool) -> Option<RunAction> {
    if modifier || typing {
        return None;
    }
    match key {
        "s" | "S" => Some(RunAction::Start),
        "p" | "P" => Some(RunAction::PauseResume),
        "n" | "N" => Some(RunAction::Step),
        "x" | "X" => Some(RunAction::Stop),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_actions_only_outside_fields_and_without_modifiers() {
        assert_eq!(action_for("s", false, false), Some(RunAction::Start));
        assert_eq!(action_for("P", false, false), Some(RunAction::PauseResume));
        assert_eq!(action_for("n", false, false), Some(RunAction::Step));
        assert_eq!(action_for("x", false, false), Some(RunAction::Stop));
        assert_eq!(action_for("s", true, false), None, "Ctrl+S stays the browser's");
        assert_eq!(action_for("s", false, true), None, "typing an s in a field");
        assert_eq!(action_for("q", false, false), None);
    }
}
