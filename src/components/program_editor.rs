use gepa_core::Role;
use leptos::html::Textarea;
use leptos::prelude::*;

use crate::components::field_problems::{FieldProblems, SetupProblems};
use crate::setup_context::SetupSignals;
use crate::state::setup::insert_placeholder;

/// The seed instruction, the user template with field insertion, and a live preview of the exact
/// messages the first training row produces.
#[component]
pub fn ProgramEditor() -> impl IntoView {
    let setup = expect_context::<SetupSignals>();
    let program = setup.program;
    let problems = expect_context::<SetupProblems>();
    let template_ref = NodeRef::<Textarea>::new();
    let insert = move |field: String| {
        let caret = template_ref
            .get_untracked()
            .and_then(|t| t.selection_start().ok().flatten())
            .map_or(usize::MAX, |c| c as usize);
        let (text, after) =
            program.with_untracked(|p| insert_placeholder(&p.user_template, caret, &field));
        program.update(|p| p.user_template = text);
        if let Some(t) = template_ref.get_untracked() {
            let _ = t.focus();
            let after = u32::try_from(after).unwrap_or(u32::MAX);
            let _ = t.set_selection_range(after, after);
        }
    };
    let preview = move || {
        let example = setup.dataset.with(|d| d.first_train_example());
        let Some(example) = example else {
            return view! { <p class="hint">"Add data to see the messages the model will receive."</p> }.into_any();
        };
        program
            .with(|p| p.messages_for(&example))
            .into_iter()
            .map(|m| {
                let role = match m.role {
                    Role::System => "system",
                    Role::User => "user",
                    Role::Assistant => "assistant",
                };
                view! {
                    <div class="message">
                        <span class="message-role">{role}</span>
                        <pre>{m.content}</pre>
                    </div>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <label for="seed-instruction">"Seed instruction (the system prompt GEPA evolves)"</label>
        <textarea
            id="seed-instruction"
            rows="4"
            aria-describedby="seed-instruction-problems"
            aria-invalid=move || problems.invalid("seed-instruction")
            prop:value=move || program.with(|p| p.system.clone())
            on:input=move |ev| program.update(|p| p.system = event_target_value(&ev))
        ></textarea>
        <FieldProblems field="seed-instruction"/>
        <label for="user-template">"User message template"</label>
        <textarea
            id="user-template"
            rows="3"
            aria-describedby="user-template-problems"
            aria-invalid=move || problems.invalid("user-template")
            spellcheck="false"
            node_ref=template_ref
            prop:value=move || program.with(|p| p.user_template.clone())
            on:input=move |ev| program.update(|p| p.user_template = event_target_value(&ev))
        ></textarea>
        <FieldProblems field="user-template"/>
        <div class="chips" role="group" aria-label="Insert a field into the template">
            {move || setup.dataset.with(|d| d.input_fields()).into_iter().map(|field| {
                let label = format!("{{{{{field}}}}}");
                view! { <button type="button" class="chip" on:click=move |_| insert(field.clone())>{label}</button> }
            }).collect_view()}
        </div>
        <details class="message-preview" open>
            <summary>"Preview: what the task model receives for the first training row"</summary>
            <div data-testid="message-preview">{preview}</div>
        </details>
    }
}
