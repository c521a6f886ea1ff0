use gepa_core::Status;
use leptos::prelude::*;

use crate::components::run_advice::RunAdvice;
use crate::controller::RunController;
use crate::state::budget::group;
use crate::state::run_view::duration;

fn cost(usd: Option<f64>) -> String {
    usd.map_or_else(String::new, |c| format!(", ${c:.4}"))
}

/// The live numbers of the run: score, budget, proposals, spend, ETA, endpoint state, status.
#[component]
pub fn RunHeader() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let stat = move |label: &'static str,
                     testid: &'static str,
                     value: Box<dyn Fn() -> String + Send + Sync>| {
        view! {
            <div class="stat">
                <dt>{label}</dt>
                <dd data-testid=testid>{value}</dd>
            </div>
        }
    };
    let view_of = controller.view;
    let with = move |f: fn(&crate::state::run_view::RunView) -> String| {
        Box::new(move || view_of.with(|v| v.as_ref().map_or_else(|| "–".to_owned(), f)))
            as Box<dyn Fn() -> String + Send + Sync>
    };
    let status_line = move || {
        view_of.with(|v| {
            v.as_ref().map(|v| match &v.counters.status {
                Status::Running => "Running".to_owned(),
                Status::Paused { reason } => reason.clone(),
                Status::Finished { .. } => {
                    v.stop_reason.clone().unwrap_or_else(|| "Finished".into())
                }
            })
        })
    };
    let endpoint_line = move || {
        controller.endpoints.with(|states| {
            let now = crate::transport::now_ms() as u64;
            states
                .iter()
                .map(|s| s.describe(now, crate::transport::clock_label))
                .collect::<Vec<_>>()
                .join(" · ")
        })
    };
    view! {
        <section class="run-header" aria-label="Run progress" data-testid="run-header">
            <p class="run-status" role="status" aria-live="polite" data-testid="run-status">
                {move || status_line().unwrap_or_else(|| "Not started".into())}
            </p>
            <progress
                max=move || view_of.with(|v| v.as_ref().and_then(|v| v.counters.budget).unwrap_or(1) as f64)
                value=move || view_of.with(|v| v.as_ref().map_or(0.0, |v| v.counters.rollouts as f64))
                aria-label="Rollouts used of the budget"
            ></progress>
            <dl class="stats">
                {stat("Best val score", "best-score", with(|v| match (v.best_score, v.improvement()) {
                    (Some(b), Some(d)) if d.abs() > 1e-9 => format!("{b:.3} ({d:+.3} vs seed)"),
                    (Some(b), _) => format!("{b:.3}"),
                    _ => "–".into(),
                }))}
                {stat("Rollouts", "rollouts", with(|v| match v.counters.budget {
                    Some(b) => format!("{} / {b}", v.counters.rollouts),
                    None => v.counters.rollouts.to_string(),
                }))}
                {stat("Iterations", "iterations", with(|v| v.counters.iterations.to_string()))}
                {stat("In flight", "in-flight", with(|v| v.counters.describe_in_flight()))}
                {stat("Proposals", "proposals", with(|v| format!("{} accepted, {} rejected", v.accepted, v.rejected)))}
                {stat("Task model", "task-spend", with(|v| format!("{} calls, {} tokens{}", v.counters.spend.calls[0], group(v.counters.spend.task.input_tokens + v.counters.spend.task.output_tokens), cost(v.counters.spend.task.cost_usd))))}
                {stat("Reflection", "reflection-spend", with(|v| format!("{} calls, {} tokens{}", v.counters.spend.calls[1] + v.counters.spend.calls[2], group(v.counters.spend.reflection.input_tokens + v.counters.spend.reflection.output_tokens + v.counters.spend.judge.input_tokens + v.counters.spend.judge.output_tokens), cost(v.counters.spend.reflection.cost_usd))))}
                {stat("Time left", "eta", with(|v| v.eta_ms().map_or_else(|| "–".into(), |ms| format!("≈ {}", duration(ms)))))}
            </dl>
            <p class="hint endpoint-state" data-testid="endpoint-state">{endpoint_line}</p>
            <RunAdvice/>
        </section>
    }
}
