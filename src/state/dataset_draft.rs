//! The dataset as the user is editing it: the raw text, its parse, column roles and split sizes.

use gepa_core::Example;
use gepa_datasets::import::ParseOptions;
use gepa_datasets::{Role, SplitPlan, SplitResult, Table, guess_roles, parse, split};

/// What the user pasted, dropped or picked, and how it is to be used.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetDraft {
    /// The raw text.
    pub text: String,
    /// Where it came from, for display ("Example: …", "Pasted", a file name).
    pub origin: String,
    /// The parse of `text` (kept in step by [`DatasetDraft::set_text`]).
    pub parsed: Result<Table, String>,
    /// One role per parsed column.
    pub roles: Vec<Role>,
    /// Split sizes and shuffle seed.
    pub split: SplitPlan,
    /// True until the user edits the sizes: they then stop following the data.
    pub split_auto: bool,
}

impl Default for DatasetDraft {
    fn default() -> Self {
        DatasetDraft {
            text: String::new(),
            origin: String::new(),
            parsed: Err("Paste data, drop a file, or pick an example task.".into()),
            roles: Vec::new(),
            split: SplitPlan::default_for(0),
            split_auto: true,
        }
    }
}

impl DatasetDraft {
    /// A draft holding `columns` and `rows` (written as CSV), with `roles`, and with `plan`'s
    /// sizes and seed when given (they then stop following the data).
    #[must_use]
    pub fn from_rows(
        columns: &[String],
        rows: &[Vec<String>],
        roles: &[Role],
        plan: Option<SplitPlan>,
        origin: &str,
    ) -> DatasetDraft {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record(columns);
        for row in rows {
            let _ = writer.write_record(row);
        }
        let text = String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default();
        let mut draft = DatasetDraft::default();
        draft.set_text(text, origin);
        for (i, role) in roles.iter().enumerate() {
            draft.set_role(i, *role);
        }
        if let Some(plan) = plan {
            draft.split = plan;
            draft.split_auto = false;
        }
        draft
    }

    /// Replaces the text and re-parses it; roles are re-guessed when the columns change and the
    /// split follows the row count unless the user has set it.
    pub fn set_text(&mut self, text: String, origin: impl Into<String>) {
        self.origin = origin.into();
        self.parsed = if text.trim().is_empty() {
            Err("Paste data, drop a file, or pick an example task.".into())
        } else {
            parse(&text, &ParseOptions::default()).map_err(|e| e.to_string())
        };
        self.text = text;
        if let Ok(table) = &self.parsed {
            if self.roles.len() != table.columns.len() || self.split_auto {
                self.roles = guess_roles(&table.columns);
            }
            if self.split_auto {
                self.split =
                    SplitPlan { seed: self.split.seed, ..SplitPlan::default_for(table.rows.len()) };
            }
        }
    }

    /// Sets one column's role.
    pub fn set_role(&mut self, column: usize, role: Role) {
        if let Some(slot) = self.roles.get_mut(column) {
            *slot = role;
        }
    }

    /// Sets a split size by name (`train`, `val`, `test`); the sizes stop following the data.
    pub fn set_size(&mut self, which: &str, n: usize) {
        self.split_auto = false;
        match which {
            "train" => self.split.train = n,
            "val" => self.split.val = n,
            _ => self.split.test = n,
        }
    }

    /// Rows parsed, or 0.
    #[must_use]
    pub fn row_count(&self) -> usize {
        self.parsed.as_ref().map_or(0, |t| t.rows.len())
    }

    /// Names of the input columns (usable as `{{name}}`).
    #[must_use]
    pub fn input_fields(&self) -> Vec<String> {
        let Ok(table) = &self.parsed else { return Vec::new() };
        table
            .columns
            .iter()
            .zip(&self.roles)
            .filter(|(_, r)| **r == Role::Input)
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// The split examples.
    ///
    /// # Errors
    /// The parse error, or what is wrong with the roles or sizes.
    pub fn split(&self) -> Result<SplitResult, String> {
        let table = self.parsed.as_ref().map_err(Clone::clone)?;
        split(table, &self.roles, &self.split)
    }

    /// The first training example, for previews.
    #[must_use]
    pub fn first_train_example(&self) -> Option<Example> {
        self.split().ok().and_then(|s| s.data.train.into_iter().next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasting_guesses_roles_and_sizes_then_respects_edits() {
        let mut d = DatasetDraft::default();
        assert!(d.parsed.is_err());
        let rows: String = (0..30).map(|i| format!("q{i},a{i}\n")).collect();
        d.set_text(format!("question,answer\n{rows}"), "Pasted");
        assert_eq!(d.roles, [Role::Input, Role::Expected]);
        assert_eq!(d.split, SplitPlan { seed: 0, ..SplitPlan::default_for(30) });
        assert_eq!(d.input_fields(), ["question"]);
        d.set_size("test", 0);
        d.set_text(format!("question,answer\n{rows}x,y\n"), "Pasted");
        assert_eq!(d.split.test, 0, "an edited split is kept");
        let s = d.split().unwrap();
        assert_eq!(s.test.len(), 0);
        assert!(d.first_train_example().is_some());
    }

    #[test]
    fn bad_data_and_bad_roles_say_what_to_do() {
        let mut d = DatasetDraft::default();
        d.set_text("   ".into(), "Pasted");
        assert!(d.split().unwrap_err().contains("Paste data"));
        d.set_text("a,b\n1,2\n3,4\n5,6\n".into(), "Pasted");
        d.set_role(0, Role::Ignore);
        d.set_role(1, Role::Ignore);
        assert!(d.split().unwrap_err().contains("input"));
    }
}
