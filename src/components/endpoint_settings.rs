use gepa_providers::Preset;
use gepa_providers::doctor::Diagnosis;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::diagnosis_view::DiagnosisView;
use crate::components::field_problems::{FieldProblems, SetupProblems};
use crate::state::endpoint_form::{EndpointForm, KeyStorage};
use crate::transport::doctor::test_connection;

/// Provider preset, base URL, model, key and parameters for one endpoint, with
/// "Test connection". Settings (never the key, unless the user opts in) are remembered.
#[component]
pub fn EndpointSettings(
    /// Prefix for element ids (e.g. `task`), so several forms can share a page.
    id: &'static str,
    /// The form's state, owned by the caller.
    form: RwSignal<EndpointForm>,
    /// Which calls its model parameters apply to (see `parameter_roles`).
    #[prop(into)]
    roles: Signal<String>,
) -> impl IntoView {
    let diagnosis = RwSignal::new(None::<Diagnosis>);
    let form_error = RwSignal::new(None::<String>);
    let testing = RwSignal::new(false);
    Effect::new(move |_| form.with(|f| crate::storage::keys::save(id, f)));
    let field = move |name: &str| format!("{id}-{name}");
    let problems = expect_context::<SetupProblems>();
    let run_test = move |_| {
        if testing.get_untracked() {
            return;
        }
        diagnosis.set(None);
        let config = match form.get_untracked().config_unchecked() {
            Ok(config) => config,
            Err(e) => {
                form_error.set(Some(e));
                return;
            }
        };
        form_error.set(None);
        testing.set(true);
        let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
        spawn_local(async move {
            let result = test_connection(config, origin).await;
            diagnosis.set(Some(result));
            testing.set(false);
        });
    };
    let text_input = move |name: &'static str,
                           label: &'static str,
                           placeholder: &'static str,
                           get: fn(&EndpointForm) -> String,
                           set: fn(&mut EndpointForm, String)| {
        view! {
            <label for=field(name)>{label}</label>
            <input
                id=field(name)
                type="text"
                spellcheck="false"
                placeholder=placeholder
                aria-invalid=move || problems.invalid(&field(name))
                prop:value=move || form.with(get)
                on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))
            />
        }
    };
    view! {
        <div class="endpoint" id=field("endpoint")>
        <div class="form-grid">
            <label for=field("preset")>"Provider"</label>
            <select
                id=field("preset")
                on:change=move |ev| {
                    if let Some(preset) = Preset::from_id(&event_target_value(&ev)) {
                        form.update(|f| f.set_preset(preset));
                    }
                }
            >
                {Preset::ALL
                    .iter()
                    .map(|p| {
                        let value = p.id();
                        let selected = move || form.with(|f| f.preset) == *p;
                        view! { <option value=value selected=selected>{p.label()}</option> }
                    })
                    .collect_view()}
            </select>
            <label for=field("base-url")>"Base URL"</label>
            <input
                id=field("base-url")
                aria-invalid=move || problems.invalid(&field("base-url"))
                type="url"
                spellcheck="false"
                prop:value=move || form.with(|f| f.base_url.clone())
                on:input=move |ev| form.update(|f| f.base_url = event_target_value(&ev))
            />
            {text_input("model", "Model", "e.g. gpt-4o-mini", |f| f.model.clone(), |f, v| f.model = v)}
            <label for=field("key")>"API key"</label>
            <input
                id=field("key")
                type="password"
                autocomplete="off"
                spellcheck="false"
                placeholder=move || if form.with(|f| f.preset.needs_key()) { "required" } else { "optional for local servers" }
                prop:value=move || form.with(|f| f.api_key.expose().to_owned())
                on:input=move |ev| form.update(|f| f.api_key = gepa_providers::ApiKey::new(event_target_value(&ev)))
            />
        </div>
        <FieldProblems field=id/>
        <fieldset class="key-storage">
            <legend>"Where to keep the key"</legend>
            {KeyStorage::ALL
                .iter()
                .map(|choice| {
                    let choice = *choice;
                    let input_id = format!("{id}-key-{}", choice.id());
                    let label_for = input_id.clone();
                    view! {
                        <label class="radio" for=label_for>
                            <input
                                type="radio"
                                id=input_id
                                name=field("key-storage")
                                prop:checked=move || form.with(|f| f.key_storage == choice)
                                on:change=move |_| form.update(|f| f.key_storage = choice)
                            />
                            {choice.label()}
                        </label>
                    }
                })
                .collect_view()}
            <p class="hint">{move || form.with(|f| f.key_storage.meaning())}</p>
        </fieldset>
        <details class="params">
            <summary>"Model parameters"</summary>
            <p class="hint" data-testid=format!("{id}-roles")>{move || roles.get()}</p>
            <div class="form-grid">
                {text_input("temperature", "Temperature", "server default", |f| f.temperature.clone(), |f, v| f.temperature = v)}
                {text_input("max-tokens", "Max tokens", "server default", |f| f.max_tokens.clone(), |f, v| f.max_tokens = v)}
                {text_input("top-p", "top_p", "server default", |f| f.top_p.clone(), |f, v| f.top_p = v)}
                {text_input("seed", "Seed", "none", |f| f.seed.clone(), |f, v| f.seed = v)}
                {text_input("timeout", "Timeout per call (s)", "120", |f| f.timeout_s.clone(), |f, v| f.timeout_s = v)}
                <label for=field("stop")>"Stop sequences"</label>
                <textarea
                    id=field("stop")
                    rows="2"
                    placeholder="one per line"
                    prop:value=move || form.with(|f| f.stop.clone())
                    on:input=move |ev| form.update(|f| f.stop = event_target_value(&ev))
                ></textarea>
                <label for=field("extra")>"Extra JSON"</label>
                <textarea
                    id=field("extra")
                    rows="2"
                    spellcheck="false"
                    placeholder="{\"top_k\": 40}"
                    prop:value=move || form.with(|f| f.extra.clone())
                    on:input=move |ev| form.update(|f| f.extra = event_target_value(&ev))
                ></textarea>
            </div>
        </details>
        {move || form.with(|f| f.preset.warning()).map(|w| view! { <p class="hint warn">{w}</p> })}
        <button type="button" class="button" on:click=run_test disabled=move || testing.get()>
            {move || if testing.get() { "Testing…" } else { "Test connection" }}
        </button>
        <div class="doctor" role="status" aria-live="polite" data-testid=format!("{id}-doctor")>
            {move || form_error.get().map(|e| view! { <p class="diagnosis bad">{e}</p> })}
            {move || diagnosis.get().map(|d| view! { <DiagnosisView diagnosis=d/> })}
        </div>
        </div>
    }
}
