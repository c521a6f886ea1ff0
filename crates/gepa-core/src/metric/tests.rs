//! Golden tests: every metric's score and feedback.

use super::*;

fn ex(expected: &str) -> Example {
    Example::new([("q", "?")], expected)
}

fn score(metric: &MetricSpec, output: &str, expected: &str) -> Score {
    match metric.begin(output, &ex(expected)) {
        MetricStep::Done(score) => score,
        MetricStep::Judge(_) => panic!("expected a direct score"),
    }
}

fn check(metric: &MetricSpec, output: &str, expected: &str, want_score: f64, want_feedback: &str) {
    let got = score(metric, output, expected);
    assert!(
        (got.score - want_score).abs() < 1e-9,
        "{metric:?} on {output:?}: score {} != {want_score}",
        got.score
    );
    assert_eq!(got.feedback, want_feedback, "{metric:?} on {output:?}");
}

#[test]
fn exact_match() {
    let m = MetricSpec::ExactMatch { case_sensitive: false };
    check(&m, " Paris ", "paris", 1.0, "Correct: the answer is exactly \"paris\".");
    // The right answer inside a sentence: a format slip, said as such (taken from a real
    // Qwen2.5-Coder-0.5B reply on date-normalization).
    check(
        &MetricSpec::ExactMatch { case_sensitive: true },
        "The correct answer is \"2015-05-04\".",
        "2015-05-04",
        0.0,
        "Incorrect: the reply \"The correct answer is \"2015-05-04\".\" holds the right answer but adds other text around it. The reply must be the answer alone, exactly \"2015-05-04\".",
    );
    check(
        &m,
        "The capital is PARIS.",
        "Paris",
        0.0,
        "Incorrect: the reply \"The capital is PARIS.\" holds the right answer but adds other text around it. The reply must be the answer alone, exactly \"Paris\".",
    );
    check(
        &MetricSpec::ExactMatch { case_sensitive: true },
        "paris",
        "Paris",
        0.0,
        "Incorrect: expected exactly \"Paris\", got \"paris\": only the letter case differs.",
    );
    check(
        &MetricSpec::ExactMatch { case_sensitive: true },
        "The capital is paris.",
        "Paris",
        0.0,
        "Incorrect: expected exactly \"Paris\" and nothing else, got \"The capital is paris.\".",
    );
    check(
        &m,
        "May 4, 2015",
        "2015-05-04",
        0.0,
        "Incorrect: expected exactly \"2015-05-04\" and nothing else, got \"May 4, 2015\".",
    );
}

#[test]
fn normalized_match() {
    let m = MetricSpec::NormalizedMatch;
    check(
        &m,
        "The Eiffel tower!",
        "eiffel Tower",
        1.0,
        "Correct: the answer matches \"eiffel Tower\".",
    );
    check(
        &m,
        "Big Ben",
        "Eiffel Tower",
        0.0,
        "Incorrect: expected \"Eiffel Tower\", got \"Big Ben\".",
    );
    check(
        &m,
        "It is the Eiffel Tower, of course.",
        "Eiffel Tower",
        0.0,
        "Incorrect: the reply \"It is the Eiffel Tower, of course.\" holds the right answer but adds other text around it. The reply must be the answer alone, exactly \"Eiffel Tower\".",
    );
    // Words are matched whole: "Paris" is not inside "Parisian".
    check(&m, "Parisian", "Paris", 0.0, "Incorrect: expected \"Paris\", got \"Parisian\".");
}

#[test]
fn contains() {
    let m = MetricSpec::Contains { case_sensitive: false };
    check(&m, "It is PARIS.", "Paris", 1.0, "Correct: the answer contains \"Paris\".");
    check(
        &m,
        "Lyon",
        "Paris",
        0.0,
        "Incorrect: the correct answer is \"Paris\", which must appear verbatim in the response.",
    );
}

#[test]
fn regex_search_full_and_group() {
    let search =
        MetricSpec::Regex { pattern: r"\d{4}-\d{2}".into(), full_match: false, group: None };
    check(&search, "on 2024-05 it", "", 1.0, "Correct: the answer matches \\d{4}-\\d{2}.");
    let full = MetricSpec::Regex { pattern: r"\d{4}-\d{2}".into(), full_match: true, group: None };
    check(
        &full,
        "on 2024-05 it",
        "",
        0.0,
        "Incorrect: the whole answer must match the pattern \\d{4}-\\d{2}; got \"on 2024-05 it\".",
    );
    let group =
        MetricSpec::Regex { pattern: r"Answer: (\w+)".into(), full_match: false, group: Some(1) };
    check(&group, "Reasoning... Answer: blue", "Blue", 1.0, "Correct: extracted \"blue\".");
    check(
        &group,
        "Answer: red",
        "Blue",
        0.0,
        "Incorrect: extracted \"red\" but expected \"Blue\".",
    );
    assert!(
        MetricSpec::Regex { pattern: "(".into(), full_match: false, group: None }
            .validate()
            .unwrap_err()
            .contains("not a valid regular expression")
    );
}

#[test]
fn token_f1() {
    let m = MetricSpec::TokenF1;
    check(&m, "the red barn", "red barn", 1.0, "Correct: the answer matches \"red barn\".");
    check(
        &m,
        "a big red barn",
        "red barn",
        0.8,
        "Token F1 0.80 (precision 0.67, recall 1.00) against \"red barn\"; the answer adds words that are not in the expected answer.",
    );
    check(
        &m,
        "barn",
        "red barn",
        2.0 / 3.0,
        "Token F1 0.67 (precision 1.00, recall 0.50) against \"red barn\"; the answer leaves out words of the expected answer.",
    );
}

#[test]
fn numeric() {
    let m = MetricSpec::Numeric { abs_tol: 0.0, rel_tol: 0.0, label: None };
    check(&m, "So 3 + 4 = 7", "7", 1.0, "Correct: 7 (expected 7).");
    check(
        &m,
        "It is 8",
        "7",
        0.0,
        "Incorrect: the answer was read as 8, but the correct answer is 7.",
    );
    check(
        &m,
        "seven",
        "7",
        0.0,
        "Incorrect: no number found in the answer; expected 7. End the answer with the number.",
    );
    let tol = MetricSpec::Numeric { abs_tol: 0.0, rel_tol: 0.01, label: Some("Answer:".into()) };
    check(&tol, "Step 1: 40. Answer: 1,005 dollars", "1000", 1.0, "Correct: 1005 (expected 1000).");
    check(
        &tol,
        "Answer: 1,020",
        "1000",
        0.0,
        "Incorrect: the answer was read as 1020, but the correct answer is 1000 ± 10.",
    );
}

#[test]
fn json_fields() {
    let m = MetricSpec::Json { fields: vec![] };
    check(
        &m,
        "```json\n{\"name\": \"Ada\", \"age\": 36}\n```",
        r#"{"name": "Ada", "age": 36}"#,
        1.0,
        "Correct: all 2 fields match.",
    );
    check(
        &m,
        r#"{"name": "Ada"}"#,
        r#"{"name": "Ada", "age": 36}"#,
        0.5,
        "1 of 2 fields correct; missing fields: age. The expected answer is {\"name\": \"Ada\", \"age\": 36}.",
    );
}

#[test]
fn choice() {
    let m = MetricSpec::Choice { labels: vec!["positive".into(), "negative".into()] };
    check(&m, "Sentiment: Positive", "positive", 1.0, "Correct: answered \"positive\".");
    check(
        &m,
        "negative",
        "positive",
        0.0,
        "Incorrect: answered \"negative\", expected \"positive\".",
    );
    check(
        &m,
        "hard to say",
        "positive",
        0.0,
        "Incorrect: the answer names none of the labels (positive, negative); expected \"positive\". Answer with exactly one label.",
    );
    assert!(MetricSpec::Choice { labels: vec!["only".into()] }.validate().is_err());
}

#[test]
fn format_constraints() {
    let m = MetricSpec::Format {
        min_chars: Some(3),
        max_chars: Some(10),
        pattern: Some("[A-Z].*".into()),
        single_line: true,
    };
    check(&m, "Hello", "", 1.0, "Correct: the answer meets every format rule.");
    check(
        &m,
        "hello there, general\nkenobi",
        "",
        0.25,
        "The answer must be: at most 10 characters (has 27); the whole answer matches [A-Z].*; a single line.",
    );
}

#[test]
fn judge_asks_then_parses_score_and_reasoning() {
    let m = MetricSpec::Judge { rubric: "Must be polite.".into(), scale: 5 };
    let MetricStep::Judge(messages) = m.begin("Go away.", &ex("")) else {
        panic!("expected judge")
    };
    assert!(
        messages[1].content.contains("Must be polite.") && messages[1].content.contains("Go away.")
    );
    let s = m.finish_judge("Reasoning: Rude and curt.\nScore: 2", "Go away.", &ex("")).unwrap();
    assert!((s.score - 0.25).abs() < 1e-12);
    assert_eq!(s.feedback, "Judge: 2/5. Rude and curt.");
    assert!(m.finish_judge("I think it is fine.", "", &ex("")).is_err());
    assert!(m.finish_judge("Score: 9", "", &ex("")).is_err());
    assert!(m.finish_judge("**Score:** 5", "", &ex("")).is_ok());
}

#[test]
fn custom_script() {
    let m = MetricSpec::Custom {
        script: "if output.contains(expected) { #{ score: 1.0, feedback: \"has it\" } } else { 0 }"
            .into(),
    };
    check(&m, "the answer is 4", "4", 1.0, "has it");
    check(&m, "five", "4", 0.0, "Custom metric score: 0. The expected answer is \"4\".");
    let broken = MetricSpec::Custom { script: "let x = 1;\nx / undefined".into() };
    assert!(score(&broken, "x", "4").feedback.starts_with("The custom metric failed: line 2:"));
    assert!(
        MetricSpec::Custom { script: "let = ;".into() }
            .validate()
            .unwrap_err()
            .starts_with("custom metric, line 1:")
    );
}

#[test]
fn combination_weights_parts_and_reports_objectives() {
    let m = MetricSpec::Combination {
        parts: vec![
            Part {
                name: "correct".into(),
                weight: 3.0,
                metric: MetricSpec::Contains { case_sensitive: false },
            },
            Part {
                name: "short".into(),
                weight: 1.0,
                metric: MetricSpec::Format {
                    min_chars: None,
                    max_chars: Some(5),
                    pattern: None,
                    single_line: false,
                },
            },
        ],
        objectives: true,
    };
    let s = score(&m, "Paris is it", "Paris");
    assert!((s.score - 0.75).abs() < 1e-12);
    assert_eq!(
        s.feedback,
        "correct (1.00): Correct: the answer contains \"Paris\".\nshort (0.00): The answer must be: at most 5 characters (has 11)."
    );
    assert_eq!(
        s.objectives,
        BTreeMap::from([("correct".to_owned(), 1.0), ("short".to_owned(), 0.0)])
    );
    assert!(m.reports_objectives());
}

#[test]
fn combination_with_a_judge_finishes_after_the_reply() {
    let m = MetricSpec::Combination {
        parts: vec![
            Part {
                name: "correct".into(),
                weight: 1.0,
                metric: MetricSpec::Contains { case_sensitive: false },
            },
            Part {
                name: "tone".into(),
                weight: 1.0,
                metric: MetricSpec::Judge { rubric: "Polite.".into(), scale: 3 },
            },
        ],
        objectives: false,
    };
    assert!(matches!(m.begin("Paris, sir", &ex("Paris")), MetricStep::Judge(_)));
    let s = m.finish_judge("Reasoning: polite.\nScore: 3", "Paris, sir", &ex("Paris")).unwrap();
    assert!((s.score - 1.0).abs() < 1e-12);
    assert!(s.objectives.is_empty());
    let two_judges = MetricSpec::Combination {
        parts: vec![
            Part {
                name: "a".into(),
                weight: 1.0,
                metric: MetricSpec::Judge { rubric: "x".into(), scale: 3 },
            },
            Part {
                name: "b".into(),
                weight: 1.0,
                metric: MetricSpec::Judge { rubric: "y".into(), scale: 3 },
            },
        ],
        objectives: false,
    };
    assert!(two_judges.validate().unwrap_err().contains("at most one judge"));
}

#[test]
fn score_is_clamped_and_nan_is_zero() {
    assert_eq!(Score::new(1.5, "").score, 1.0);
    assert_eq!(Score::new(f64::NAN, "").score, 0.0);
    assert!(MetricSpec::Judge { rubric: "x".into(), scale: 1 }.validate().is_err());
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn every_metric() -> Vec<MetricSpec> {
        vec![
            MetricSpec::ExactMatch { case_sensitive: false },
            MetricSpec::NormalizedMatch,
            MetricSpec::Contains { case_sensitive: true },
            MetricSpec::Regex { pattern: r"(\w+)\s*$".into(), full_match: false, group: Some(1) },
            MetricSpec::TokenF1,
            MetricSpec::Numeric { abs_tol: 0.5, rel_tol: 0.01, label: Some("answer".into()) },
            MetricSpec::Json { fields: vec![] },
            MetricSpec::Choice { labels: vec!["yes".into(), "no".into()] },
            MetricSpec::Format {
                min_chars: Some(1),
                max_chars: Some(50),
                pattern: Some(".*".into()),
                single_line: true,
            },
            MetricSpec::Custom {
                script: "if output.len() > expected.len() { 1 } else { 0.5 }".into(),
            },
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn no_metric_panics_and_scores_stay_in_range(output in "\\PC{0,80}", expected in "\\PC{0,40}") {
            for metric in every_metric() {
                let MetricStep::Done(s) = metric.begin(&output, &ex(&expected)) else { continue };
                prop_assert!((0.0..=1.0).contains(&s.score), "{metric:?}: {}", s.score);
                prop_assert!(!s.feedback.is_empty());
            }
        }
    }
}

/// Every miss on an example with an expected answer states that answer and what was wrong.
#[test]
fn every_miss_states_the_expected_answer_and_what_was_wrong() {
    let regex = |group| MetricSpec::Regex {
        pattern: r"(\d{4}-\d{2}-\d{2})".into(),
        full_match: false,
        group,
    };
    let cases: Vec<(MetricSpec, &str, &str, &str)> = vec![
        (
            MetricSpec::ExactMatch { case_sensitive: false },
            "Paris, France",
            "Paris",
            "adds other text around it",
        ),
        (MetricSpec::ExactMatch { case_sensitive: false }, "Lyon", "Paris", "got \"Lyon\""),
        (MetricSpec::NormalizedMatch, "Lyon", "Paris", "got \"Lyon\""),
        (MetricSpec::Contains { case_sensitive: false }, "Lyon", "Paris", "must appear verbatim"),
        // The issue's case: a regex with a capture group and a reply with no match.
        (regex(Some(1)), "March 4th, 2024", "2024-03-04", "has no match for the pattern"),
        (regex(None), "March 4th, 2024", "2024-03-04", "got \"March 4th, 2024\""),
        (MetricSpec::TokenF1, "the blue whale", "blue whale calf", "leaves out words"),
        (
            MetricSpec::Numeric { abs_tol: 0.0, rel_tol: 0.0, label: None },
            "I don't know",
            "42",
            "no number found",
        ),
        (MetricSpec::Numeric { abs_tol: 0.0, rel_tol: 0.0, label: None }, "41", "42", "read as 41"),
        (
            MetricSpec::Json { fields: Vec::new() },
            "name: Ada",
            r#"{"name": "Ada"}"#,
            "not valid JSON",
        ),
        (
            MetricSpec::Json { fields: Vec::new() },
            r#"{"name": "Bob"}"#,
            r#"{"name": "Ada"}"#,
            "should be \"Ada\"",
        ),
        (
            MetricSpec::Choice { labels: vec!["billing".into(), "login".into()] },
            "no idea",
            "billing",
            "names none of the labels",
        ),
        (
            MetricSpec::Choice { labels: vec!["billing".into(), "login".into()] },
            "login",
            "billing",
            "answered \"login\"",
        ),
        (
            MetricSpec::Format {
                min_chars: None,
                max_chars: Some(5),
                pattern: None,
                single_line: false,
            },
            "far too long",
            "short",
            "at most 5 characters",
        ),
        (MetricSpec::Custom { script: "0.0".into() }, "x", "y", "score: 0"),
    ];
    for (metric, output, expected, wrong) in cases {
        let got = score(&metric, output, expected);
        assert!(got.score < 1.0, "{metric:?}");
        assert!(got.feedback.contains(wrong), "{metric:?}: says what was wrong: {}", got.feedback);
        let stated = got.feedback.contains(&format!("\"{expected}\""))
            || got.feedback.contains("The expected answer is")
            || got.feedback.contains(&format!("expected {expected}"))
            || got.feedback.contains(&format!("correct answer is {expected}"));
        assert!(stated, "{metric:?}: states the expected answer: {}", got.feedback);
    }
}

// The page checks a metric's shape without the script interpreter; the engine (in the page's
// worker, or the CLI) compiles the script.
#[test]
fn the_shape_check_leaves_scripts_to_the_interpreter() {
    let broken = MetricSpec::Custom { script: "if output == {".into() };
    assert!(broken.has_script());
    assert_eq!(broken.validate_shape(), Ok(()));
    assert!(broken.validate().unwrap_err().contains("line 1"));
    let combined = MetricSpec::Combination {
        parts: vec![crate::metric::Part { name: "script".into(), weight: 1.0, metric: broken }],
        objectives: false,
    };
    assert!(combined.has_script());
    assert_eq!(combined.validate_shape(), Ok(()));
    assert!(combined.validate().is_err());
    let bad_choice = MetricSpec::Choice { labels: vec!["one".into()] };
    assert!(!bad_choice.has_script());
    assert!(bad_choice.validate_shape().is_err(), "everything else is still checked");
}
