//! Seeded train / validation / held-out test splits, with sensible defaults and warnings.

use gepa_core::{Dataset, Example, Rng};
use serde::{Deserialize, Serialize};

use crate::import::Table;
use crate::roles::Role;

/// How many rows go where. `val == 0` means validation reuses the training set
/// (inference-time search on the examples themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitPlan {
    /// Training (feedback) examples.
    pub train: usize,
    /// Validation (Pareto) examples.
    pub val: usize,
    /// Held-out test examples, never seen by the optimizer.
    pub test: usize,
    /// Shuffle seed.
    pub seed: u64,
}

impl SplitPlan {
    /// Defaults for `n` rows: a 20 % test set once there are 20 rows, then of the rest half for
    /// validation up to 200 rows (the reference's advice for small data) and a fifth above that.
    #[must_use]
    pub fn default_for(n: usize) -> SplitPlan {
        let test = if n >= 20 { n / 5 } else { 0 };
        let rest = n - test;
        let val = if rest < 4 {
            0
        } else if rest <= 200 {
            rest / 2
        } else {
            rest / 5
        };
        SplitPlan { train: rest - val, val, test, seed: 0 }
    }
}

/// The split examples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitResult {
    /// Train and validation sets for the engine.
    pub data: Dataset,
    /// The held-out test set.
    pub test: Vec<Example>,
    /// Things the user should know (small sets and the like).
    pub warnings: Vec<String>,
}

/// Builds examples from `table` with the given column roles and splits them.
///
/// # Errors
/// When the roles or sizes cannot work; the message says what to change.
pub fn split(table: &Table, roles: &[Role], plan: &SplitPlan) -> Result<SplitResult, String> {
    if roles.len() != table.columns.len() {
        return Err("every column needs a role".into());
    }
    if !roles.contains(&Role::Input) {
        return Err("mark at least one column as an input".into());
    }
    if roles.iter().filter(|r| **r == Role::Expected).count() > 1 {
        return Err("mark only one column as the expected answer".into());
    }
    let total = plan.train + plan.val + plan.test;
    if total > table.rows.len() {
        return Err(format!(
            "the split asks for {total} rows but the data has {}",
            table.rows.len()
        ));
    }
    if plan.train == 0 {
        return Err("the training set needs at least one example".into());
    }
    let mut order: Vec<usize> = (0..table.rows.len()).collect();
    Rng::from_seed(plan.seed).shuffle(&mut order);
    let examples: Vec<Example> = order
        .iter()
        .take(total)
        .map(|i| to_example(&table.columns, &table.rows[*i], roles))
        .collect();
    let (train, rest) = examples.split_at(plan.train);
    let (val, test) = rest.split_at(plan.val);
    let mut warnings = Vec::new();
    if !roles.contains(&Role::Expected) {
        warnings.push("No column is marked as the expected answer; only a model-graded or custom metric can score this data.".into());
    }
    if plan.val == 0 {
        warnings.push("Validation reuses the training set: good for solving these exact examples, but scores will not show how well a prompt generalises.".into());
    } else if plan.val < 5 {
        warnings.push(format!("A validation set of {} is too small to tell candidates apart reliably; 5 or more is better.", plan.val));
    }
    if plan.train < 3 {
        warnings.push(format!(
            "Only {} training example(s): reflection sees very little per step.",
            plan.train
        ));
    }
    if plan.test == 0 {
        warnings.push(
            "No held-out test set: the final score will come from examples the optimiser saw."
                .into(),
        );
    }
    let unused = table.rows.len() - total;
    if unused > 0 {
        warnings.push(format!("{unused} row(s) are left out of every split."));
    }
    Ok(SplitResult {
        data: Dataset { train: train.to_vec(), val: val.to_vec() },
        test: test.to_vec(),
        warnings,
    })
}

/// Rows, column names and roles, and the plan under which [`split`] gives back exactly
/// `data` and `test` (the inverse of `split`, to put a saved run's data back into a form). The
/// rows are laid out so that the plan's seeded shuffle puts them in the run's order. Notes come
/// back as one column named by their common `name: ` prefix, else as a column `notes`.
#[must_use]
pub fn unsplit(
    data: &Dataset,
    test: &[Example],
    seed: u64,
) -> (Vec<String>, Vec<Vec<String>>, Vec<Role>, SplitPlan) {
    let all: Vec<&Example> = data.train.iter().chain(&data.val).chain(test).collect();
    let mut columns: Vec<String> = Vec::new();
    for example in &all {
        for name in example.inputs.keys() {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
    }
    let inputs = columns.len();
    let fresh = |base: &str, taken: &[String]| {
        let mut name = base.to_owned();
        while taken.contains(&name) {
            name.push('_');
        }
        name
    };
    let expected = fresh("expected", &columns);
    columns.push(expected);
    let notes: Vec<Option<&str>> = all.iter().map(|e| e.notes.as_deref()).collect();
    let prefix = common_note_prefix(&notes);
    if notes.iter().any(Option::is_some) {
        let name = prefix.map_or_else(|| fresh("notes", &columns), |p| fresh(p, &columns));
        columns.push(name);
    }
    let mut roles = vec![Role::Input; inputs];
    roles.push(Role::Expected);
    if columns.len() > inputs + 1 {
        roles.push(Role::Notes);
    }
    let mut order: Vec<usize> = (0..all.len()).collect();
    Rng::from_seed(seed).shuffle(&mut order);
    let mut rows = vec![Vec::new(); all.len()];
    for (k, example) in all.iter().enumerate() {
        let mut row: Vec<String> = columns[..inputs]
            .iter()
            .map(|c| example.inputs.get(c).cloned().unwrap_or_default())
            .collect();
        row.push(example.expected.clone());
        if roles.len() > inputs + 1 {
            let note = example.notes.as_deref().unwrap_or_default();
            let note = prefix.and_then(|p| note.strip_prefix(p)).and_then(|n| n.strip_prefix(": "));
            row.push(note.map_or_else(|| example.notes.clone().unwrap_or_default(), str::to_owned));
        }
        rows[order[k]] = row;
    }
    let plan = SplitPlan { train: data.train.len(), val: data.val.len(), test: test.len(), seed };
    (columns, rows, roles, plan)
}

/// The column name every present note starts with (`name: …`, one line), if they share one.
fn common_note_prefix<'a>(notes: &[Option<&'a str>]) -> Option<&'a str> {
    let mut prefix = None;
    for note in notes.iter().flatten() {
        let (name, _) = note.split_once(": ")?;
        if note.contains('\n') || name.is_empty() || prefix.is_some_and(|p| p != name) {
            return None;
        }
        prefix = Some(name);
    }
    prefix
}

fn to_example(columns: &[String], row: &[String], roles: &[Role]) -> Example {
    let mut inputs = Vec::new();
    let mut expected = String::new();
    let mut notes = Vec::new();
    for ((column, value), role) in columns.iter().zip(row).zip(roles) {
        match role {
            Role::Input => inputs.push((column.clone(), value.clone())),
            Role::Expected => expected.clone_from(value),
            Role::Notes if !value.trim().is_empty() => notes.push(format!("{column}: {value}")),
            Role::Notes | Role::Ignore => {}
        }
    }
    let mut example = Example::new(inputs, expected);
    example.notes = (!notes.is_empty()).then(|| notes.join("\n"));
    example
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Format;

    fn table(n: usize) -> Table {
        Table {
            format: Format::Csv,
            columns: vec!["q".into(), "a".into(), "rubric".into()],
            rows: (0..n)
                .map(|i| {
                    vec![
                        format!("q{i}"),
                        format!("a{i}"),
                        if i == 0 { "be exact".into() } else { String::new() },
                    ]
                })
                .collect(),
            problems: Vec::new(),
        }
    }

    #[test]
    fn defaults_follow_the_size_of_the_data() {
        assert_eq!(SplitPlan::default_for(3), SplitPlan { train: 3, val: 0, test: 0, seed: 0 });
        assert_eq!(SplitPlan::default_for(10), SplitPlan { train: 5, val: 5, test: 0, seed: 0 });
        assert_eq!(SplitPlan::default_for(50), SplitPlan { train: 20, val: 20, test: 10, seed: 0 });
        assert_eq!(
            SplitPlan::default_for(1000),
            SplitPlan { train: 640, val: 160, test: 200, seed: 0 }
        );
    }

    #[test]
    fn splits_are_seeded_disjoint_and_carry_roles() {
        let roles = [Role::Input, Role::Expected, Role::Notes];
        let plan = SplitPlan { train: 6, val: 2, test: 2, seed: 7 };
        let a = split(&table(10), &roles, &plan).unwrap();
        let b = split(&table(10), &roles, &plan).unwrap();
        assert_eq!(a, b, "same seed, same split");
        let mut all: Vec<String> = a
            .data
            .train
            .iter()
            .chain(&a.data.val)
            .chain(&a.test)
            .map(|e| e.inputs["q"].clone())
            .collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 10, "disjoint and complete");
        let first = a
            .data
            .train
            .iter()
            .chain(&a.data.val)
            .chain(&a.test)
            .find(|e| e.inputs["q"] == "q0")
            .unwrap();
        assert_eq!(first.expected, "a0");
        assert_eq!(first.notes.as_deref(), Some("rubric: be exact"));
        let other = split(&table(10), &roles, &SplitPlan { seed: 8, ..plan }).unwrap();
        assert_ne!(other.data.train, a.data.train);
    }

    #[test]
    fn small_sets_warn_and_bad_plans_explain() {
        let roles = [Role::Input, Role::Expected, Role::Ignore];
        let r =
            split(&table(5), &roles, &SplitPlan { train: 2, val: 3, test: 0, seed: 0 }).unwrap();
        assert!(r.warnings.iter().any(|w| w.contains("too small")));
        assert!(r.warnings.iter().any(|w| w.contains("No held-out test set")));
        assert!(
            split(&table(5), &roles, &SplitPlan { train: 4, val: 3, test: 0, seed: 0 })
                .unwrap_err()
                .contains("asks for 7 rows")
        );
        assert!(
            split(
                &table(5),
                &[Role::Ignore, Role::Expected, Role::Ignore],
                &SplitPlan::default_for(5)
            )
            .unwrap_err()
            .contains("input")
        );
        assert!(
            split(
                &table(5),
                &[Role::Input, Role::Expected, Role::Expected],
                &SplitPlan::default_for(5)
            )
            .unwrap_err()
            .contains("only one")
        );
    }

    #[test]
    fn unsplit_gives_back_rows_that_split_into_the_same_sets() {
        let t = table(23);
        let roles = [Role::Input, Role::Expected, Role::Notes];
        for (seed, val) in [(7, 6), (99, 0)] {
            let plan = SplitPlan { train: 10, val, test: 5, seed };
            let first = split(&t, &roles, &plan).expect("splits");
            let (columns, rows, back_roles, back_plan) = unsplit(&first.data, &first.test, seed);
            assert_eq!(back_plan, plan);
            let again = Table { columns, rows, ..t.clone() };
            let second = split(&again, &back_roles, &back_plan).expect("splits again");
            assert_eq!(second.data, first.data, "seed {seed}");
            assert_eq!(second.test, first.test, "seed {seed}");
        }
    }
}
