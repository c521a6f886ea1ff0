use leptos::prelude::*;

use crate::components::field_problems::{FieldProblems, SetupProblems};
use crate::setup_context::SetupSignals;
use crate::state::metric_form::{MetricForm, MetricKind};
use crate::state::metric_try::TryRow;
use crate::worker::link::{EngineLink, Latest};

/// Metric kind, its options, and "try it on a row".
#[component]
pub fn MetricPicker() -> impl IntoView {
    let setup = expect_context::<SetupSignals>();
    let metric = setup.metric;
    let problems = expect_context::<SetupProblems>();
    let sample = RwSignal::new(String::new());
    let field = move |id: &'static str,
                      label: &'static str,
                      get: fn(&MetricForm) -> String,
                      set: fn(&mut MetricForm, String)| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="text" spellcheck="false"
                prop:value=move || metric.with(get)
                on:input=move |ev| metric.update(|m| set(m, event_target_value(&ev)))/>
        }
    };
    let area = move |id: &'static str,
                     label: &'static str,
                     get: fn(&MetricForm) -> String,
                     set: fn(&mut MetricForm, String)| {
        view! {
            <label for=id>{label}</label>
            <textarea id=id rows="5" spellcheck="false"
                prop:value=move || metric.with(get)
                on:input=move |ev| metric.update(|m| set(m, event_target_value(&ev)))></textarea>
        }
    };
    let options = move || {
        match metric.with(|m| m.kind) {
        MetricKind::Exact | MetricKind::Contains => view! {
            <label class="checkbox">
                <input type="checkbox" id="metric-case"
                    prop:checked=move || metric.with(|m| m.case_sensitive)
                    on:change=move |ev| metric.update(|m| m.case_sensitive = event_target_checked(&ev))/>
                "Case-sensitive"
            </label>
        }.into_any(),
        MetricKind::Numeric => view! {
            <div class="form-grid">
                {field("metric-tolerance", "Tolerance", |m| m.tolerance.clone(), |m, v| m.tolerance = v)}
                {field("metric-number-label", "Read the number after", |m| m.number_label.clone(), |m, v| m.number_label = v)}
            </div>
        }.into_any(),
        MetricKind::Choice => view! { <div class="form-grid">{field("metric-labels", "Labels (comma-separated)", |m| m.labels.clone(), |m, v| m.labels = v)}</div> }.into_any(),
        MetricKind::Regex => view! { <div class="form-grid">{field("metric-pattern", "Pattern", |m| m.pattern.clone(), |m, v| m.pattern = v)}</div> }.into_any(),
        MetricKind::Json => view! { <div class="form-grid">{field("metric-fields", "Fields (empty = all)", |m| m.fields.clone(), |m, v| m.fields = v)}</div> }.into_any(),
        MetricKind::Judge => view! {
            <div class="form-grid">
                {field("metric-scale", "Scale (1 to …)", |m| m.scale.clone(), |m, v| m.scale = v)}
            </div>
            {area("metric-rubric", "Rubric", |m| m.rubric.clone(), |m, v| m.rubric = v)}
            <p class="hint">"The judge is the reflection model."</p>
        }.into_any(),
        MetricKind::Custom => view! {
            {area("metric-script", "Rhai script (variables: output, expected, inputs, notes; return a number or #{score, feedback})", |m| m.script.clone(), |m, v| m.script = v)}
        }.into_any(),
        MetricKind::Spec => view! { {area("metric-json", "Metric as JSON", |m| m.json.clone(), |m, v| m.json = v)} }.into_any(),
        MetricKind::Normalized | MetricKind::TokenF1 => ().into_any(),
    }
    };
    // Scored in the worker (custom scripts need its interpreter); the latest answer wins.
    let tried = RwSignal::new(None::<String>);
    let latest = Latest::new();
    Effect::new(move |_| {
        let example = setup.dataset.with(|d| d.first_train_example());
        let step = TryRow::of(example, sample.get());
        let form = metric.get();
        let question = latest.ask();
        match step {
            TryRow::Nothing => tried.set(None),
            TryRow::Hint(hint) => tried.set(Some(hint)),
            TryRow::Score { example, output } => {
                EngineLink::get().try_metric(form, example, output, move |answer| {
                    if latest.is_latest(question) {
                        tried.set(Some(answer.unwrap_or_else(|e| e)));
                    }
                });
            }
        }
    });
    let tried = move || tried.get();
    view! {
        <label for="metric-kind">"Metric"</label>
        <select id="metric-kind" aria-describedby="metric-kind-problems" aria-invalid=move || problems.invalid("metric-kind") on:change=move |ev| {
            if let Some(kind) = MetricKind::from_id(&event_target_value(&ev)) {
                metric.update(|m| m.kind = kind);
            }
        }>
            {MetricKind::ALL.iter().map(|k| {
                let k = *k;
                view! { <option value=k.id() selected=move || metric.with(|m| m.kind == k)>{k.label()}</option> }
            }).collect_view()}
        </select>
        {options}
        <FieldProblems field="metric-kind"/>
        <details class="try-metric">
            <summary>"Try it on a row"</summary>
            <label for="metric-sample">"A model output to score against the first training row"</label>
            <input id="metric-sample" type="text" prop:value=move || sample.get() on:input=move |ev| sample.set(event_target_value(&ev))/>
            <p class="hint" role="status" data-testid="metric-try">{tried}</p>
        </details>
    }
}
