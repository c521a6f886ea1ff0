use gepa_providers::Preset;
use gepa_providers::doctor::Diagnosis;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::diagnosis_view::DiagnosisView;
use crate::state::endpoint_form::EndpointForm;
use crate::transport::doctor::test_connection;

/// Provider preset, base URL, model and key for one endpoint, with "Test connection".
#[component]
pub fn EndpointSettings(
    /// Prefix for element ids (e.g. `task`), so several forms can share a page.
    id: &'static str,
    /// The form's state, owned by the caller.
    form: RwSignal<EndpointForm>,
) -> impl IntoView {
    let diagnosis = RwSignal::new(None::<Diagnosis>);
    let testing = RwSignal::new(false);
    let field = move |name: &str| format!("{id}-{name}");
    let run_test = move |_| {
        if testing.get_untracked() {
            return;
        }
        testing.set(true);
        diagnosis.set(None);
        let config = form.get_untracked().to_config();
        let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
        spawn_local(async move {
            let result = test_connection(config, origin).await;
            diagnosis.set(Some(result));
            testing.set(false);
        });
    };
    view! {
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
                type="url"
                spellcheck="false"
                prop:value=move || form.with(|f| f.base_url.clone())
                on:input=move |ev| form.update(|f| f.base_url = event_target_value(&ev))
            />
            <label for=field("model")>"Model"</label>
            <input
                id=field("model")
                type="text"
                spellcheck="false"
                placeholder="e.g. gpt-4o-mini"
                prop:value=move || form.with(|f| f.model.clone())
                on:input=move |ev| form.update(|f| f.model = event_target_value(&ev))
            />
            <label for=field("key")>"API key"</label>
            <input
                id=field("key")
                type="password"
                autocomplete="off"
                spellcheck="false"
                placeholder=move || if form.with(|f| f.preset.needs_key()) { "required" } else { "optional for local servers" }
                prop:value=move || form.with(|f| f.api_key.clone())
                on:input=move |ev| form.update(|f| f.api_key = event_target_value(&ev))
            />
        </div>
        <p class="hint">"The key stays in this tab's memory; it is sent only to this endpoint."</p>
        {move || form.with(|f| f.preset.warning()).map(|w| view! { <p class="hint warn">{w}</p> })}
        <button type="button" class="button" on:click=run_test disabled=move || testing.get()>
            {move || if testing.get() { "Testing…" } else { "Test connection" }}
        </button>
        <div class="doctor" role="status" aria-live="polite" data-testid=format!("{id}-doctor")>
            {move || diagnosis.get().map(|d| view! { <DiagnosisView diagnosis=d/> })}
        </div>
    }
}
