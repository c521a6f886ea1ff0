//! Parsing pasted or uploaded text into a [`Table`] of string cells.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::limits::{Limits, human_bytes};

/// A text format the importer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// Semicolon-separated values (common in locales that use a decimal comma).
    Semicolon,
    /// Pipe-separated values.
    Pipe,
    /// A JSON array of objects.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// One input per line, optionally followed by a separator and the answer.
    Lines,
}

impl Format {
    /// Display name.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Tsv => "TSV",
            Format::Semicolon => "semicolon-separated",
            Format::Pipe => "pipe-separated",
            Format::Json => "JSON",
            Format::Jsonl => "JSON Lines",
            Format::Lines => "one example per line",
        }
    }

    fn delimiter(self) -> Option<u8> {
        match self {
            Format::Csv => Some(b','),
            Format::Tsv => Some(b'\t'),
            Format::Semicolon => Some(b';'),
            Format::Pipe => Some(b'|'),
            _ => None,
        }
    }
}

/// A row that could not be used, and why (the rest of the import still succeeds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// 1-based line number in the input (for JSON arrays: the 1-based item number).
    pub line: usize,
    /// What is wrong, for people.
    pub message: String,
}

/// Parsed data: column names and string cells, plus the rows that were skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// The format that was parsed.
    pub format: Format,
    /// Column names, unique and non-empty.
    pub columns: Vec<String>,
    /// Rows, each with exactly one cell per column.
    pub rows: Vec<Vec<String>>,
    /// Rows that were skipped or repaired, by line.
    pub problems: Vec<RowProblem>,
}

/// Why an import failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// Nothing to import.
    Empty,
    /// The input is larger than the limit.
    TooLarge {
        /// Size of the input.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// More rows than the limit.
    TooManyRows {
        /// The limit.
        limit: usize,
    },
    /// More columns than the limit.
    TooManyColumns {
        /// Columns found.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// One field is longer than the limit.
    FieldTooLong {
        /// 1-based line (or item) of the field.
        line: usize,
        /// Its column.
        column: String,
        /// Its length.
        chars: usize,
        /// The limit.
        limit: usize,
    },
    /// The text is not valid in the chosen format.
    Invalid {
        /// 1-based line, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// Every row had a problem, so there is nothing left.
    NoUsableRows {
        /// What was wrong with them (the first few are shown).
        problems: Vec<RowProblem>,
    },
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::Empty => {
                f.write_str("Nothing to import: paste some rows or choose a file.")
            }
            ImportError::TooLarge { bytes, limit } => write!(
                f,
                "The data is {}, over the {} limit for the browser. Use fewer rows (a few hundred is plenty for prompt optimisation) or shorter fields.",
                human_bytes(*bytes),
                human_bytes(*limit)
            ),
            ImportError::TooManyRows { limit } => write!(
                f,
                "More than {limit} rows. Keep a representative sample of at most {limit}."
            ),
            ImportError::TooManyColumns { count, limit } => write!(
                f,
                "{count} columns is more than the {limit} allowed. Remove the columns the task does not use."
            ),
            ImportError::FieldTooLong { line, column, chars, limit } => write!(
                f,
                "Line {line}: the \"{column}\" field is {chars} characters, over the {limit} limit. Shorten it or drop that row."
            ),
            ImportError::Invalid { line: Some(line), message } => {
                write!(f, "Line {line}: {message}")
            }
            ImportError::Invalid { line: None, message } => f.write_str(message),
            ImportError::NoUsableRows { problems } => {
                f.write_str("None of the rows could be used:")?;
                for p in problems.iter().take(3) {
                    write!(f, " line {}: {};", p.line, p.message)?;
                }
                match problems.len() {
                    0..=3 => Ok(()),
                    n => write!(f, " and {} more.", n - 3),
                }
            }
        }
    }
}

impl std::error::Error for ImportError {}

/// Options for [`parse`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// The format, or `None` to detect it with [`sniff`].
    pub format: Option<Format>,
    /// For [`Format::Lines`]: the separator between input and answer (e.g. `" => "` or a tab).
    pub line_separator: Option<String>,
    /// Size limits.
    pub limits: Limits,
}

const BOM: char = '\u{feff}';

/// Guesses the format: JSON when the text parses as a JSON value or starts with `[`; JSON
/// Lines when the first line is a JSON object and more lines follow; otherwise the delimiter that
/// splits the first records (quotes respected, across lines) into the most consistent number of
/// fields; otherwise one example per line.
#[must_use]
pub fn sniff(text: &str) -> Format {
    let text = text.trim_start_matches(BOM).trim_start();
    if text.starts_with('[') {
        return Format::Json;
    }
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if let Some(first) = lines.next()
        && first.starts_with('{')
    {
        let first_is_object = matches!(serde_json::from_str::<Value>(first), Ok(Value::Object(_)));
        return if first_is_object && lines.next().is_some() {
            Format::Jsonl
        } else {
            Format::Json
        };
    }
    let sample: String = text.chars().take(8192).collect();
    let candidates = [
        (b'\t', Format::Tsv),
        (b',', Format::Csv),
        (b';', Format::Semicolon),
        (b'|', Format::Pipe),
    ];
    let mut best: Option<(Format, usize, usize)> = None;
    for (delimiter, format) in candidates {
        let counts = record_field_separators(&sample, delimiter, 12);
        let Some(header) = counts.first().copied().filter(|c| *c > 0) else { continue };
        let agreeing = counts.iter().filter(|c| **c == header).count();
        // At least half of the records agree with the header (ragged rows are reported later).
        if agreeing * 2 >= counts.len() && best.is_none_or(|(_, a, h)| (agreeing, header) > (a, h))
        {
            best = Some((format, agreeing, header));
        }
    }
    best.map_or(Format::Lines, |(format, _, _)| format)
}

/// Delimiters outside quotes in each of the first `max` records (a quoted field may span lines).
fn record_field_separators(text: &str, delimiter: u8, max: usize) -> Vec<usize> {
    let mut counts = Vec::new();
    let (mut in_quotes, mut current, mut any) = (false, 0, false);
    for byte in text.bytes() {
        match byte {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                if any {
                    counts.push(current);
                    if counts.len() == max {
                        return counts;
                    }
                }
                current = 0;
                any = false;
                continue;
            }
            b if b == delimiter && !in_quotes => current += 1,
            _ => {}
        }
        if !byte.is_ascii_whitespace() {
            any = true;
        }
    }
    if any {
        counts.push(current);
    }
    counts
}

/// Parses `text` into a table.
///
/// # Errors
/// When the input is empty, over a limit, or invalid as a whole; single bad rows are reported in
/// [`Table::problems`] instead.
pub fn parse(text: &str, options: &ParseOptions) -> Result<Table, ImportError> {
    let limits = options.limits;
    if text.len() > limits.max_bytes {
        return Err(ImportError::TooLarge { bytes: text.len(), limit: limits.max_bytes });
    }
    let text = text.trim_start_matches(BOM);
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    let format = options.format.unwrap_or_else(|| sniff(text));
    let table = match format {
        Format::Json => parse_json(text, &limits)?,
        Format::Jsonl => parse_jsonl(text, &limits)?,
        Format::Lines => parse_lines(text, options.line_separator.as_deref(), &limits)?,
        delimited => parse_delimited(text, delimited, &limits)?,
    };
    check_table(&table, &limits)?;
    if table.rows.is_empty() {
        return Err(if table.problems.is_empty() {
            ImportError::Empty
        } else {
            ImportError::NoUsableRows { problems: table.problems }
        });
    }
    Ok(table)
}

fn check_table(table: &Table, limits: &Limits) -> Result<(), ImportError> {
    if table.columns.len() > limits.max_columns {
        return Err(ImportError::TooManyColumns {
            count: table.columns.len(),
            limit: limits.max_columns,
        });
    }
    Ok(())
}

fn check_field(value: &str, line: usize, column: &str, limits: &Limits) -> Result<(), ImportError> {
    let chars = value.chars().count();
    if chars > limits.max_field_chars {
        return Err(ImportError::FieldTooLong {
            line,
            column: column.to_owned(),
            chars,
            limit: limits.max_field_chars,
        });
    }
    Ok(())
}

/// Makes header names non-empty and unique (`column 3`, `answer_2`).
fn clean_columns(raw: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, name) in raw.into_iter().enumerate() {
        let base = if name.trim().is_empty() {
            format!("column {}", i + 1)
        } else {
            name.trim().to_owned()
        };
        let mut candidate = base.clone();
        let mut n = 2;
        while out.contains(&candidate) {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        out.push(candidate);
    }
    out
}

fn parse_delimited(text: &str, format: Format, limits: &Limits) -> Result<Table, ImportError> {
    let delimiter = format.delimiter().unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = loop {
        match records.next() {
            None => return Err(ImportError::Empty),
            Some(Err(e)) => return Err(csv_error(&e)),
            Some(Ok(record)) if record.iter().all(|f| f.trim().is_empty()) => {}
            Some(Ok(record)) => break record,
        }
    };
    let columns = clean_columns(header.iter().map(str::to_owned));
    if columns.len() > limits.max_columns {
        return Err(ImportError::TooManyColumns {
            count: columns.len(),
            limit: limits.max_columns,
        });
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in records {
        let record = record.map_err(|e| csv_error(&e))?;
        let line = record.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let spanned = record
            .iter()
            .map(|f| f.trim_end_matches(['\r', '\n']).matches('\n').count())
            .sum::<usize>();
        if record.len() != columns.len() && spanned > 0 {
            // A quote opened on this line and closed (if ever) lines later: everything between
            // was read as one field, so the rows in it are not lost silently.
            problems.push(RowProblem {
                line,
                message: format!(
                    "a quote opened on this line is not closed until line {}, so lines {}–{} were read as one field and skipped; close the quote (a quote inside a field is written twice: \"\")",
                    line + spanned,
                    line + 1,
                    line + spanned
                ),
            });
            continue;
        }
        if record.len() != columns.len() {
            problems.push(RowProblem {
                line,
                message: format!(
                    "has {} fields but the header has {}; check for a missing or extra {}",
                    record.len(),
                    columns.len(),
                    delimiter_name(delimiter)
                ),
            });
            continue;
        }
        for (value, column) in record.iter().zip(&columns) {
            check_field(value, line, column, limits)?;
        }
        rows.push(record.iter().map(str::to_owned).collect());
        if rows.len() > limits.max_rows {
            return Err(ImportError::TooManyRows { limit: limits.max_rows });
        }
    }
    Ok(Table { format, columns, rows, problems })
}

fn delimiter_name(delimiter: u8) -> &'static str {
    match delimiter {
        b'\t' => "tab",
        b';' => "semicolon",
        b'|' => "pipe",
        _ => "comma (or a comma inside an unquoted field: quote it)",
    }
}

fn csv_error(error: &csv::Error) -> ImportError {
    let line = error.position().and_then(|p| usize::try_from(p.line()).ok());
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "the text is not valid UTF-8; save the file as UTF-8".to_owned()
        }
        _ => format!("cannot read this row ({error}); check its quotes"),
    };
    ImportError::Invalid { line, message }
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Collects objects into a table with the union of their keys, in first-seen order.
fn objects_to_table(
    format: Format,
    objects: Vec<(usize, serde_json::Map<String, Value>)>,
    mut problems: Vec<RowProblem>,
    limits: &Limits,
) -> Result<Table, ImportError> {
    let mut columns: Vec<String> = Vec::new();
    for (_, object) in &objects {
        for key in object.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
                if columns.len() > limits.max_columns {
                    return Err(ImportError::TooManyColumns {
                        count: columns.len(),
                        limit: limits.max_columns,
                    });
                }
            }
        }
    }
    let mut rows = Vec::with_capacity(objects.len());
    for (line, object) in objects {
        let row: Vec<String> =
            columns.iter().map(|c| object.get(c).map(cell).unwrap_or_default()).collect();
        for (value, column) in row.iter().zip(&columns) {
            check_field(value, line, column, limits)?;
        }
        rows.push(row);
    }
    problems.sort_by_key(|p| p.line);
    let columns = clean_columns(columns);
    Ok(Table { format, columns, rows, problems })
}

fn parse_json(text: &str, limits: &Limits) -> Result<Table, ImportError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ImportError::Invalid {
        line: Some(e.line()),
        message: format!("not valid JSON ({e})"),
    })?;
    let Value::Array(items) = value else {
        return Err(ImportError::Invalid {
            line: None,
            message:
                "expected a JSON array of objects, like [{\"question\": \"…\", \"answer\": \"…\"}]"
                    .into(),
        });
    };
    if items.len() > limits.max_rows {
        return Err(ImportError::TooManyRows { limit: limits.max_rows });
    }
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Value::Object(map) => objects.push((i + 1, map)),
            other => problems.push(RowProblem {
                line: i + 1,
                message: format!("item {} is {} rather than an object", i + 1, kind_of(&other)),
            }),
        }
    }
    objects_to_table(Format::Json, objects, problems, limits)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn parse_jsonl(text: &str, limits: &Limits) -> Result<Table, ImportError> {
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => objects.push((line_no, map)),
            Ok(other) => problems.push(RowProblem {
                line: line_no,
                message: format!("is {} rather than an object", kind_of(&other)),
            }),
            Err(e) => problems
                .push(RowProblem { line: line_no, message: format!("is not valid JSON ({e})") }),
        }
        if objects.len() > limits.max_rows {
            return Err(ImportError::TooManyRows { limit: limits.max_rows });
        }
    }
    objects_to_table(Format::Jsonl, objects, problems, limits)
}

fn parse_lines(text: &str, separator: Option<&str>, limits: &Limits) -> Result<Table, ImportError> {
    let separator = separator.filter(|s| !s.is_empty());
    let columns: Vec<String> = if separator.is_some() {
        vec!["input".into(), "answer".into()]
    } else {
        vec!["input".into()]
    };
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let row = match separator {
            Some(sep) => match line.split_once(sep) {
                Some((input, answer)) => vec![input.trim().to_owned(), answer.trim().to_owned()],
                None => {
                    problems.push(RowProblem {
                        line: line_no,
                        message: format!("has no \"{sep}\" separator, so it has no answer"),
                    });
                    vec![line.trim().to_owned(), String::new()]
                }
            },
            None => vec![line.trim().to_owned()],
        };
        for (value, column) in row.iter().zip(&columns) {
            check_field(value, line_no, column, limits)?;
        }
        rows.push(row);
        if rows.len() > limits.max_rows {
            return Err(ImportError::TooManyRows { limit: limits.max_rows });
        }
    }
    Ok(Table { format: Format::Lines, columns, rows, problems })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_auto(text: &str) -> Result<Table, ImportError> {
        parse(text, &ParseOptions::default())
    }

    #[test]
    fn sniffs_each_format() {
        assert_eq!(sniff("question,answer\n2+2,4\n"), Format::Csv);
        assert_eq!(sniff("question\tanswer\n2+2\t4\n"), Format::Tsv);
        assert_eq!(sniff("q;a\n1,5;x\n"), Format::Semicolon);
        assert_eq!(sniff("q|a\nx|y\n"), Format::Pipe);
        assert_eq!(sniff("\u{feff}[{\"q\": 1}]"), Format::Json);
        assert_eq!(sniff("{\"q\": 1}\n{\"q\": 2}\n"), Format::Jsonl);
        assert_eq!(sniff("What is 2+2?\nName a colour.\n"), Format::Lines);
        assert_eq!(
            sniff("text,label\n\"Hello, world\",greeting\n"),
            Format::Csv,
            "commas inside quotes"
        );
    }

    #[test]
    fn csv_with_bom_quotes_and_multiline_fields() {
        let table =
            parse_auto("\u{feff}question,answer\n\"Say \"\"hi\"\", then\nstop\",hi\n2+2,4\n")
                .unwrap();
        assert_eq!(table.columns, ["question", "answer"]);
        assert_eq!(
            table.rows,
            [
                vec!["Say \"hi\", then\nstop".to_owned(), "hi".to_owned()],
                vec!["2+2".into(), "4".into()]
            ]
        );
        assert!(table.problems.is_empty());
    }

    #[test]
    fn ragged_rows_are_reported_by_line_and_skipped() {
        let table = parse_auto("a,b\n1,2\n3\n4,5,6\n7,8\n").unwrap();
        assert_eq!(table.rows.len(), 2);
        let lines: Vec<usize> = table.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4]);
        assert!(table.problems[0].message.contains("has 1 fields but the header has 2"));
    }

    #[test]
    fn an_unclosed_quote_is_named_with_the_lines_it_swallowed() {
        // As pasted in a user test: the quote on line 3 never closes.
        let table = parse_auto(
            "ticket,label,id\nFine,bug,0\n\"My card was charged,billing,1\nCannot log in,login,2\nThe app crashes,bug,3\n",
        )
        .unwrap();
        assert_eq!(table.rows, [vec!["Fine".to_owned(), "bug".to_owned(), "0".to_owned()]]);
        assert_eq!(table.problems.len(), 1);
        let problem = &table.problems[0];
        assert_eq!(problem.line, 3);
        assert!(
            problem.message.starts_with("a quote opened on this line is not closed until line 5")
                && problem.message.contains("lines 4–5 were read as one field"),
            "{}",
            problem.message
        );
        // A quoted field that spans lines on purpose is still one good row (see
        // `csv_with_bom_quotes_and_multiline_fields`): only a row that comes out ragged is named.
    }

    #[test]
    fn headers_are_made_unique_and_non_empty() {
        let table = parse_auto("q,,q\n1,2,3\n").unwrap();
        assert_eq!(table.columns, ["q", "column 2", "q_2"]);
    }

    #[test]
    fn json_array_of_objects_with_mixed_values_and_bad_items() {
        let table = parse_auto(
            r#"[{"q": "2+2", "a": 4}, {"q": "ok?", "a": true, "extra": [1]}, 7, {"q": null}]"#,
        )
        .unwrap();
        assert_eq!(table.columns, ["q", "a", "extra"]);
        assert_eq!(table.rows[0], ["2+2", "4", ""]);
        assert_eq!(table.rows[1], ["ok?", "true", "[1]"]);
        assert_eq!(table.rows[2], ["", "", ""]);
        assert_eq!(
            table.problems,
            [RowProblem { line: 3, message: "item 3 is a number rather than an object".into() }]
        );
    }

    #[test]
    fn invalid_json_says_where() {
        let err = parse_auto("[{\"q\": 1},\n{\"q\": }]").unwrap_err();
        assert!(matches!(err, ImportError::Invalid { line: Some(2), .. }), "{err:?}");
        let err = parse(
            r#"{"q": 1}"#,
            &ParseOptions { format: Some(Format::Json), ..ParseOptions::default() },
        )
        .unwrap_err();
        assert!(err.to_string().contains("expected a JSON array"));
    }

    #[test]
    fn jsonl_bad_lines_are_reported_by_number() {
        let table = parse_auto("{\"q\": \"a\"}\n\n{\"q\": \n[1]\n{\"q\": \"b\"}\n").unwrap();
        assert_eq!(table.rows, [vec!["a".to_owned()], vec!["b".to_owned()]]);
        let lines: Vec<usize> = table.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4]);
    }

    #[test]
    fn plain_lines_with_an_optional_answer_separator() {
        let table = parse(
            "What is 2+2? => 4\nCapital of France? => Paris\nNo answer here\n",
            &ParseOptions {
                format: Some(Format::Lines),
                line_separator: Some("=>".into()),
                ..ParseOptions::default()
            },
        )
        .unwrap();
        assert_eq!(table.columns, ["input", "answer"]);
        assert_eq!(table.rows[1], ["Capital of France?", "Paris"]);
        assert_eq!(table.rows[2], ["No answer here", ""]);
        assert_eq!(table.problems[0].line, 3);
        let single = parse_auto("one\ntwo\n").unwrap();
        assert_eq!(single.columns, ["input"]);
    }

    #[test]
    fn limits_give_clear_errors() {
        let limits = Limits { max_bytes: 100, max_rows: 2, max_columns: 2, max_field_chars: 5 };
        let opts = ParseOptions { limits, ..ParseOptions::default() };
        assert!(matches!(
            parse(&"x".repeat(101), &opts),
            Err(ImportError::TooLarge { bytes: 101, limit: 100 })
        ));
        assert!(matches!(parse("a\n1\n2\n3\n", &opts), Err(ImportError::TooManyRows { limit: 2 })));
        assert!(matches!(
            parse("a,b,c\n1,2,3\n", &opts),
            Err(ImportError::TooManyColumns { count: 3, limit: 2 })
        ));
        let err = parse("a,b\n123456,1\n", &opts).unwrap_err();
        assert_eq!(
            err,
            ImportError::FieldTooLong { line: 2, column: "a".into(), chars: 6, limit: 5 }
        );
        assert!(err.to_string().starts_with("Line 2: the \"a\" field is 6 characters"));
        assert_eq!(parse("   \n", &ParseOptions::default()), Err(ImportError::Empty));
        let err = parse(
            "{bad\n[nope\n",
            &ParseOptions { format: Some(Format::Jsonl), ..ParseOptions::default() },
        )
        .unwrap_err();
        assert!(matches!(&err, ImportError::NoUsableRows { problems } if problems.len() == 2));
        assert!(err.to_string().starts_with("None of the rows could be used: line 1: "), "{err}");
        // A quote left open on the first row swallows them all, and the error says so.
        let err =
            parse_auto("ticket,label\n\"Charged twice,billing\nLocked out,login\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("line 2: a quote opened on this line is not closed until line 3"),
            "{err}"
        );
    }
}
