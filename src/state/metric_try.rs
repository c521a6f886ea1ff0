//! "Try it on a row": what the metric picker shows for the output a user typed, before (or
//! instead of) asking the worker to score it.

use gepa_core::Example;

/// What to do with the typed output.
#[derive(Debug, Clone, PartialEq)]
pub enum TryRow {
    /// No data yet: show nothing.
    Nothing,
    /// Nothing typed: say what the row expects.
    Hint(String),
    /// Score `output` against `example` (in the worker, which has the script interpreter).
    Score {
        /// The first training row.
        example: Example,
        /// What the user typed.
        output: String,
    },
}

impl TryRow {
    /// The step for the first training row (if the data has one) and the typed output.
    #[must_use]
    pub fn of(example: Option<Example>, output: String) -> TryRow {
        match example {
            None => TryRow::Nothing,
            Some(example) if output.is_empty() => TryRow::Hint(format!(
                "Expected answer of the first training row: \"{}\". Type an output to score it.",
                example.expected
            )),
            Some(example) => TryRow::Score { example, output },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_output_gets_the_rows_answer_and_a_typed_one_is_scored() {
        let row = Example::new([("ticket", "refund")], "billing");
        assert_eq!(TryRow::of(None, "x".into()), TryRow::Nothing);
        assert_eq!(
            TryRow::of(Some(row.clone()), String::new()),
            TryRow::Hint(
                "Expected answer of the first training row: \"billing\". Type an output to score it."
                    .into()
            )
        );
        assert_eq!(
            TryRow::of(Some(row.clone()), "bug".into()),
            TryRow::Score { example: row, output: "bug".into() }
        );
    }
}
