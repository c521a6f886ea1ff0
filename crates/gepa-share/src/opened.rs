//! A file given to the page to open: a run file of this playground or a Python gepa result,
//! told apart once, with the message that fits when it is neither.

use crate::gepa_result::GepaResult;
use crate::run_file::{RunFile, RunFileError};

/// What a file turned out to be.
#[derive(Debug)]
pub enum OpenedFile {
    /// A run of this playground (or of the CLI).
    Run(Box<RunFile>),
    /// A Python gepa result, to show read-only.
    Gepa(Box<GepaResult>),
}

/// Reads `text` as a gepa result when it looks like one, else as a run file.
///
/// # Errors
/// Why it cannot be opened: the gepa result's broken field, the run file's problem, or (for JSON
/// that is neither) a message naming both kinds.
pub fn open_file(text: &str) -> Result<OpenedFile, String> {
    if GepaResult::looks_like(text) {
        return GepaResult::parse(text)
            .map(|r| OpenedFile::Gepa(Box::new(r)))
            .map_err(|e| e.to_string());
    }
    match RunFile::parse(text) {
        Ok(file) => Ok(OpenedFile::Run(Box::new(file))),
        // Not a run file: a gepa result whose keys sit past the quick look still opens, and
        // anything else gets gepa's message, which names both kinds.
        Err(RunFileError::NotARunFile(_)) => GepaResult::parse(text)
            .map(|r| OpenedFile::Gepa(Box::new(r)))
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GEPA: &str = include_str!("../../../tests/fixtures/gepa-results/sim-world.json");
    const RUN: &str = include_str!("../tests/fixtures/run-v1.json");

    #[test]
    fn each_kind_opens_as_itself() {
        assert!(matches!(open_file(GEPA), Ok(OpenedFile::Gepa(r)) if r.candidates.len() == 4));
        assert!(matches!(open_file(RUN), Ok(OpenedFile::Run(_))));
    }

    #[test]
    fn json_of_neither_kind_names_both_and_broken_files_name_their_problem() {
        let neither = open_file(r#"{"hello": 1}"#).unwrap_err();
        assert!(
            neither.contains("neither a run file of this playground nor a Python gepa result"),
            "{neither}"
        );
        let broken_gepa = GEPA.replacen("\"parents\": [", "\"parents\": [[9], ", 1);
        assert!(open_file(&broken_gepa).unwrap_err().contains("'parents'"));
        let newer_run = RUN.replacen("\"version\":1", "\"version\":99", 1);
        assert!(open_file(&newer_run).unwrap_err().contains("newer"), "a run file's own problem");
    }
}
