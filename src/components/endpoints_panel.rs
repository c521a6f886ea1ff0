use leptos::prelude::*;

use crate::components::endpoint_settings::EndpointSettings;
use crate::setup_context::SetupSignals;
use crate::state::endpoint_form::parameter_roles;

/// The task model, and optionally a different reflection model.
#[component]
pub fn EndpointsPanel() -> impl IntoView {
    let setup = expect_context::<SetupSignals>();
    let roles = move |form: &'static str| {
        Signal::derive(move || {
            let judge_needed = setup.metric.with(|m| m.to_spec().is_ok_and(|s| s.needs_judge()));
            parameter_roles(
                form,
                setup.separate_reflection.get(),
                judge_needed,
                setup.separate_judge.get(),
            )
        })
    };
    view! {
        <h3 class="subhead">"Task model"</h3>
        <p class="hint">"Runs your prompt on every example."</p>
        <EndpointSettings id="task" form=setup.task roles=roles("task")/>
        <label class="checkbox">
            <input
                type="checkbox"
                id="separate-reflection"
                prop:checked=move || setup.separate_reflection.get()
                on:change=move |ev| setup.separate_reflection.set(event_target_checked(&ev))
            />
            "Use a different model for reflection (a stronger one helps most)"
        </label>
        <Show when=move || setup.separate_reflection.get()>
            <h3 class="subhead">"Reflection model"</h3>
            <p class="hint">"Reads the failures and rewrites the prompt. Also grades outputs for judge metrics unless you pick a judge model."</p>
            <EndpointSettings id="reflection" form=setup.reflection roles=roles("reflection")/>
        </Show>
        <Show when=move || setup.metric.with(|m| m.to_spec().is_ok_and(|s| s.needs_judge()))>
            <label class="checkbox">
                <input
                    type="checkbox"
                    id="separate-judge"
                    prop:checked=move || setup.separate_judge.get()
                    on:change=move |ev| setup.separate_judge.set(event_target_checked(&ev))
                />
                "Use a different model as the judge (otherwise the reflection model grades)"
            </label>
            <Show when=move || setup.separate_judge.get()>
                <h3 class="subhead">"Judge model"</h3>
                <EndpointSettings id="judge" form=setup.judge roles=roles("judge")/>
            </Show>
        </Show>
    }
}
