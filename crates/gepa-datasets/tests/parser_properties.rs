//! Every parser, on any input: no panic, rectangular rows, problems inside the input's lines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gepa_datasets::import::ParseOptions;
use gepa_datasets::{Format, Limits, Role, SplitPlan, guess_roles, parse, split};
use proptest::prelude::*;

/// Text biased towards the characters that matter to the formats.
fn messy_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just(",".to_owned()),
            Just("\t".to_owned()),
            Just(";".to_owned()),
            Just("|".to_owned()),
            Just("\"".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("[".to_owned()),
            Just("]".to_owned()),
            Just(":".to_owned()),
            Just("\u{feff}".to_owned()),
            Just("=>".to_owned()),
            "[a-z0-9 ]{0,6}",
            "\\PC{0,3}",
        ],
        0..120,
    )
    .prop_map(|parts| parts.concat())
}

fn all_formats() -> Vec<Option<Format>> {
    vec![
        None,
        Some(Format::Csv),
        Some(Format::Tsv),
        Some(Format::Semicolon),
        Some(Format::Pipe),
        Some(Format::Json),
        Some(Format::Jsonl),
        Some(Format::Lines),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_and_tables_are_rectangular(text in messy_text(), separator in prop::option::of("=>|\t|:")) {
        let n_lines = text.lines().count().max(1);
        for format in all_formats() {
            let options = ParseOptions { format, line_separator: separator.clone(), limits: Limits::default() };
            if let Ok(table) = parse(&text, &options) {
                prop_assert!(!table.rows.is_empty());
                for row in &table.rows {
                    prop_assert_eq!(row.len(), table.columns.len());
                }
                for problem in &table.problems {
                    prop_assert!(problem.line >= 1 && problem.line <= n_lines.max(table.rows.len() + table.problems.len()), "line {} of {}", problem.line, n_lines);
                }
                let mut names = table.columns.clone();
                names.sort();
                names.dedup();
                prop_assert_eq!(names.len(), table.columns.len(), "column names are unique");
                // Whatever parsed can be given roles and split without panicking.
                let roles = guess_roles(&table.columns);
                let _ = split(&table, &roles, &SplitPlan::default_for(table.rows.len()));
            }
        }
    }

    #[test]
    fn arbitrary_unicode_never_panics(text in "\\PC{0,400}") {
        for format in all_formats() {
            let _ = parse(&text, &ParseOptions { format, ..ParseOptions::default() });
        }
    }

    #[test]
    fn well_formed_csv_round_trips(rows in prop::collection::vec(prop::collection::vec("[a-zA-Z0-9 ,\"\n]{0,12}", 3), 1..20)) {
        let quote = |s: &String| format!("\"{}\"", s.replace('"', "\"\""));
        let mut text = "question,answer,notes\n".to_owned();
        for row in &rows {
            text.push_str(&row.iter().map(quote).collect::<Vec<_>>().join(","));
            text.push('\n');
        }
        let parsed = parse(&text, &ParseOptions { format: Some(Format::Csv), ..ParseOptions::default() });
        let expected: Vec<Vec<String>> = rows.into_iter().filter(|r| r.iter().any(|f| !f.trim().is_empty())).collect();
        if expected.is_empty() {
            // Only blank rows: nothing to import, said as such.
            prop_assert_eq!(parsed, Err(gepa_datasets::ImportError::Empty));
            return Ok(());
        }
        let table = parsed.unwrap();
        prop_assert_eq!(table.rows, expected);
        prop_assert_eq!(guess_roles(&table.columns), vec![Role::Input, Role::Expected, Role::Notes]);
    }
}

#[test]
fn a_large_input_within_the_limits_parses() {
    // 10,000 rows of about 400 bytes: just under the 5 MB default limit.
    let mut text = String::from("question,answer\n");
    for i in 0..10_000 {
        text.push_str(&format!("\"{} {i}\",{i}\n", "word ".repeat(78)));
    }
    assert!(text.len() < Limits::default().max_bytes, "{}", text.len());
    let table = parse(&text, &ParseOptions::default()).unwrap();
    assert_eq!(table.rows.len(), 10_000);
    let mut over = text.clone();
    over.push_str("\"one more\",1\n");
    assert!(parse(&over, &ParseOptions::default()).unwrap_err().to_string().contains("10000 rows"));
}

#[test]
fn rows_that_are_all_blank_mean_there_is_nothing_to_import() {
    // Found by `well_formed_csv_round_trips`: quoted empty fields only.
    let text = "question,answer,notes\n\"\",\"\",\"\"\n\" \",\"\",\"\"\n";
    let parsed =
        parse(text, &ParseOptions { format: Some(Format::Csv), ..ParseOptions::default() });
    assert_eq!(parsed, Err(gepa_datasets::ImportError::Empty));
}
