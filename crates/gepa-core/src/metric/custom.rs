//! User-written metrics in Rhai, sandboxed: bounded operations, string/array/map sizes and
//! call depth; no modules, no clock, no file or network access (Rhai has none), `print` and
//! `debug` silenced. The same script runs in the browser and the CLI.
//!
//! The script sees `output`, `expected`, `notes` (strings) and `inputs` (a map of the example's
//! fields). It returns a number (the score) or a map `#{ score: 0.5, feedback: "…" }`.

use rhai::{Dynamic, Engine, EvalAltResult, Map, Position, Scope};

use super::Score;
use crate::data::Example;

/// Operations a script may perform per evaluation (loops included).
pub const MAX_OPERATIONS: u64 = 200_000;

fn sandbox() -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_string_size(100_000);
    engine.set_max_array_size(10_000);
    engine.set_max_map_size(1_000);
    engine.set_max_call_levels(32);
    engine.set_max_expr_depths(64, 32);
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    engine
}

fn located(position: Position, message: &str) -> String {
    match position.line() {
        Some(line) => format!("line {line}: {message}"),
        None => message.to_owned(),
    }
}

/// Checks that a script compiles; the error names the line.
///
/// # Errors
/// The compile error with its line.
pub fn check(script: &str) -> Result<(), String> {
    sandbox().compile(script).map(|_| ()).map_err(|e| located(e.position(), &e.to_string()))
}

/// Runs the script on one output.
///
/// # Errors
/// A message naming the line where the script failed, or what it returned instead of a score.
pub fn run(script: &str, output: &str, example: &Example) -> Result<Score, String> {
    let engine = sandbox();
    let ast = engine.compile(script).map_err(|e| located(e.position(), &e.to_string()))?;
    let mut scope = Scope::new();
    scope.push("output", output.to_owned());
    scope.push("expected", example.expected.clone());
    scope.push("notes", example.notes.clone().unwrap_or_default());
    let inputs: Map =
        example.inputs.iter().map(|(k, v)| (k.as_str().into(), Dynamic::from(v.clone()))).collect();
    scope.push("inputs", inputs);
    let result: Dynamic = engine.eval_ast_with_scope(&mut scope, &ast).map_err(|e| describe(&e))?;
    to_score(&result)
}

fn describe(error: &EvalAltResult) -> String {
    let message = match error {
        EvalAltResult::ErrorTooManyOperations(_) => {
            format!("the script ran more than {MAX_OPERATIONS} operations (an endless loop?)")
        }
        other => other.to_string(),
    };
    located(error.position(), &message)
}

fn number(value: &Dynamic) -> Option<f64> {
    value
        .as_float()
        .ok()
        .or_else(|| value.as_int().ok().map(|i| i as f64))
        .or_else(|| value.as_bool().ok().map(|b| if b { 1.0 } else { 0.0 }))
}

fn to_score(value: &Dynamic) -> Result<Score, String> {
    if let Some(score) = number(value) {
        return checked(score, format!("Custom metric score: {score}."));
    }
    if let Some(map) = value.read_lock::<Map>() {
        let score = map
            .get("score")
            .and_then(number)
            .ok_or("the script returned a map without a numeric \"score\"")?;
        let feedback = map
            .get("feedback")
            .map(|f| f.to_string())
            .unwrap_or_else(|| format!("Custom metric score: {score}."));
        return checked(score, feedback);
    }
    Err(format!(
        "the script must return a number or #{{ score: …, feedback: … }}, not {}",
        value.type_name()
    ))
}

fn checked(score: f64, feedback: String) -> Result<Score, String> {
    if !score.is_finite() || !(0.0..=1.0).contains(&score) {
        return Err(format!("the script returned {score}; scores must be between 0 and 1"));
    }
    Ok(Score::new(score, feedback))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex() -> Example {
        let mut e = Example::new([("question", "2+2")], "4");
        e.notes = Some("digits only".into());
        e
    }

    #[test]
    fn returns_numbers_or_maps_with_feedback() {
        assert_eq!(run("if output == expected { 1 } else { 0 }", "4", &ex()).unwrap().score, 1.0);
        let s = run(r#"#{ score: 0.5, feedback: "half right for " + inputs.question + " (" + notes + ")" }"#, "x", &ex()).unwrap();
        assert_eq!((s.score, s.feedback.as_str()), (0.5, "half right for 2+2 (digits only)"));
        assert_eq!(run("output.len() > 0", "x", &ex()).unwrap().score, 1.0);
    }

    #[test]
    fn errors_name_the_line() {
        let err = run("let a = 1;\nlet b = undefined_thing + 1;\nb", "x", &ex()).unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
        let err = check("let x = ;").unwrap_err();
        assert!(err.starts_with("line 1:"), "{err}");
        assert!(run("2", "x", &ex()).unwrap_err().contains("between 0 and 1"));
        assert!(run("\"text\"", "x", &ex()).unwrap_err().contains("must return a number"));
    }

    #[test]
    fn endless_loops_and_huge_strings_are_stopped() {
        let err = run("let i = 0;\nloop { i += 1; }", "x", &ex()).unwrap_err();
        assert!(err.contains("operations"), "{err}");
        let err = run("let s = \"x\"; loop { s += s; }", "x", &ex()).unwrap_err();
        assert!(!err.is_empty());
    }

    #[test]
    fn no_io_or_modules_are_available() {
        assert!(run(r#"import "fs" as fs; 1"#, "x", &ex()).is_err());
        assert!(run("timestamp(); 1", "x", &ex()).is_err());
        assert_eq!(
            run("print(\"hello\"); 1", "x", &ex()).unwrap().score,
            1.0,
            "print is silenced, not an escape"
        );
    }
}
