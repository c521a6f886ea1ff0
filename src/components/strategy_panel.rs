use gepa_core::config::{Acceptance, MergeConfig};
use gepa_core::reflect::ReflectionMode;
use gepa_core::select::Selection;
use gepa_providers::price::PriceTable;
use leptos::prelude::*;

use crate::components::field_problems::{FieldProblems, SetupProblems};
use crate::controller::RunController;
use crate::setup_context::SetupSignals;
use crate::state::budget::{BudgetPreset, estimate};
use crate::state::setup::StrategyDraft;

fn number_field(
    strategy: RwSignal<StrategyDraft>,
    id: &'static str,
    label: &'static str,
    get: fn(&StrategyDraft) -> String,
    set: fn(&mut StrategyDraft, &str),
) -> impl IntoView {
    let problems = expect_context::<SetupProblems>();
    view! {
        <label for=id>{label}</label>
        <input id=id type="text" inputmode="decimal"
            aria-invalid=move || problems.invalid(id)
            prop:value=move || strategy.with(get)
            on:change=move |ev| strategy.update(|s| set(s, event_target_value(&ev).trim()))/>
    }
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Rollout budget with presets and an estimate of what it buys, and every engine option.
#[component]
pub fn StrategyPanel() -> impl IntoView {
    let setup = expect_context::<SetupSignals>();
    let controller = expect_context::<RunController>();
    let strategy = setup.strategy;
    let estimate_line = move || {
        let sizes = setup.sizes();
        let models = (
            setup.task.with(|t| t.model.clone()),
            if setup.separate_reflection.get() {
                setup.reflection.with(|r| r.model.clone())
            } else {
                setup.task.with(|t| t.model.clone())
            },
        );
        strategy.with(|s| {
            let config = s.effective_config().unwrap_or_else(|_| s.config.clone());
            estimate(s.budget, &config, sizes, &PriceTable::default(), (&models.0, &models.1))
                .describe()
        })
    };
    let json_text = move || {
        strategy.with(|s| {
            s.json
                .clone()
                .unwrap_or_else(|| serde_json::to_string_pretty(&s.config).unwrap_or_default())
        })
    };
    view! {
        <div class="form-grid">
            {number_field(strategy, "budget", "Rollout budget", |s| s.budget.to_string(), |s, v| if let Ok(n) = v.parse() { s.budget = n })}
            <FieldProblems field="budget"/>
        </div>
        <div class="chips" role="group" aria-label="Budget presets">
            {BudgetPreset::ALL.iter().map(|p| {
                let p = *p;
                let set = move |_| {
                    let val = setup.sizes().val;
                    strategy.update(|s| s.budget = p.rollouts(val, s.config.minibatch_size));
                };
                view! { <button type="button" class="chip" on:click=set>{p.label()}</button> }
            }).collect_view()}
        </div>
        <p class="hint" data-testid="estimate">{estimate_line}</p>
        <label class="checkbox">
            <input type="checkbox" id="use-cache" prop:checked=move || controller.use_cache.get()
                on:change=move |ev| controller.use_cache.set(event_target_checked(&ev))/>
            "Reuse cached model replies (kept in this browser; errors and cut-off replies are never cached)"
        </label>
        <details class="advanced">
            <summary>"Advanced options"</summary>
            <div class="form-grid">
                {number_field(strategy, "opt-minibatch", "Minibatch size", |s| s.config.minibatch_size.to_string(), |s, v| if let Ok(n) = v.parse() { s.config.minibatch_size = n })}
                {number_field(strategy, "opt-seed", "Random seed", |s| s.config.seed.to_string(), |s, v| if let Ok(n) = v.parse() { s.config.seed = n })}
                {number_field(strategy, "opt-concurrency", "Concurrent calls per endpoint", |s| s.concurrency.to_string(), |s, v| if let Ok(n) = v.parse() { s.concurrency = n })}
                {number_field(strategy, "opt-patience", "Keep retrying a failing endpoint for (minutes)", |s| s.patience_minutes.to_string(), |s, v| if let Ok(n) = v.parse() { s.patience_minutes = n })}
                {number_field(strategy, "opt-in-flight", "Iterations in flight (blank: from the concurrency)", |s| opt(s.config.pipeline_depth), |s, v| s.config.pipeline_depth = v.parse().ok())}
                {number_field(strategy, "opt-proposals", "Proposals per iteration", |s| s.config.proposals_per_iteration.to_string(), |s, v| if let Ok(n) = v.parse() { s.config.proposals_per_iteration = n })}
                {number_field(strategy, "opt-no-improvement", "Stop after iterations without improvement", |s| opt(s.config.stop.no_improvement_iterations), |s, v| s.config.stop.no_improvement_iterations = v.parse().ok())}
                {number_field(strategy, "opt-threshold", "Stop at validation score", |s| opt(s.config.stop.score_threshold), |s, v| s.config.stop.score_threshold = v.parse().ok())}
                {number_field(strategy, "opt-max-iterations", "Stop after iterations", |s| opt(s.config.stop.max_iterations), |s, v| s.config.stop.max_iterations = v.parse().ok())}
                {number_field(strategy, "opt-time-limit", "Stop after minutes", |s| opt(s.config.stop.time_limit_ms.map(|ms| ms / 60_000)), |s, v| s.config.stop.time_limit_ms = v.parse::<u64>().ok().map(|m| m * 60_000))}
                <label for="opt-selection">"Parent selection"</label>
                <select id="opt-selection" on:change=move |ev| {
                    let selection = match event_target_value(&ev).as_str() {
                        "best" => Selection::CurrentBest,
                        "epsilon" => Selection::EpsilonGreedy { epsilon: 0.1 },
                        _ => Selection::Pareto,
                    };
                    strategy.update(|s| s.config.selection = selection);
                }>
                    <option value="pareto" selected=move || strategy.with(|s| matches!(s.config.selection, Selection::Pareto))>"Pareto front (GEPA)"</option>
                    <option value="best" selected=move || strategy.with(|s| matches!(s.config.selection, Selection::CurrentBest))>"Current best"</option>
                    <option value="epsilon" selected=move || strategy.with(|s| matches!(s.config.selection, Selection::EpsilonGreedy { .. }))>"ε-greedy (0.1)"</option>
                </select>
                <label for="opt-reflection-mode">"The reflection model writes"</label>
                <select id="opt-reflection-mode" on:change=move |ev| {
                    let mode = if event_target_value(&ev) == "rewrite" { ReflectionMode::Rewrite } else { ReflectionMode::Edit };
                    strategy.update(|s| s.config.reflection_mode = mode);
                }>
                    <option value="edit" selected=move || strategy.with(|s| s.config.reflection_mode == ReflectionMode::Edit)>"edits to the text (add, replace or delete a rule)"</option>
                    <option value="rewrite" selected=move || strategy.with(|s| s.config.reflection_mode == ReflectionMode::Rewrite)>"the whole text again (the reference's way)"</option>
                </select>
                <label for="opt-acceptance">"Accept a proposal when"</label>
                <select id="opt-acceptance" on:change=move |ev| {
                    let acceptance = if event_target_value(&ev) == "ge" { Acceptance::ImprovementOrEqual } else { Acceptance::Strict };
                    strategy.update(|s| s.config.acceptance = acceptance);
                }>
                    <option value="strict" selected=move || strategy.with(|s| s.config.acceptance == Acceptance::Strict)>"it beats its parent on the minibatch"</option>
                    <option value="ge" selected=move || strategy.with(|s| s.config.acceptance == Acceptance::ImprovementOrEqual)>"it is at least as good"</option>
                </select>
            </div>
            <label class="checkbox">
                <input type="checkbox" id="opt-merge" prop:checked=move || strategy.with(|s| s.config.merge.is_some())
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        strategy.update(|s| s.config.merge = on.then(MergeConfig::default));
                    }/>
                "Merge: combine components of candidates that excel on different examples"
            </label>
            <label for="opt-json">"Every option as JSON (edits here take precedence; the budget above still applies)"</label>
            <textarea id="opt-json" rows="8" spellcheck="false"
                prop:value=json_text
                on:change=move |ev| {
                    let text = event_target_value(&ev);
                    strategy.update(|s| s.json = (!text.trim().is_empty()).then_some(text));
                }></textarea>
            <button type="button" class="button subtle" on:click=move |_| strategy.update(|s| s.json = None)>"Discard JSON edits"</button>
            <label for="opt-prices">"Model prices, USD per million tokens (a model missing here shows tokens only)"</label>
            <textarea id="opt-prices" rows="6" spellcheck="false"
                prop:value=move || strategy.with(|s| s.prices_json.clone().unwrap_or_else(|| serde_json::to_string_pretty(&PriceTable::default()).unwrap_or_default()))
                on:change=move |ev| {
                    let text = event_target_value(&ev);
                    strategy.update(|s| s.prices_json = (!text.trim().is_empty()).then_some(text));
                }></textarea>
        </details>
    }
}
