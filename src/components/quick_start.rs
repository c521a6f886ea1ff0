use gepa_providers::Preset;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::example_gallery::ExampleGallery;
use crate::setup_context::SetupSignals;
use crate::state::quick_start::{LOCAL_SERVERS, choose_local, lookup_result};

/// The first steps, side by side at the top of the setup: pick an example task, pick a local
/// model server (its models are looked up), then Start (always in the bar above). Everything
/// else (other providers, own data, the prompt and metric) is in the panels below.
#[component]
pub fn QuickStart() -> impl IntoView {
    let setup = expect_context::<SetupSignals>();
    let task = setup.task;
    let found = RwSignal::new(None::<Result<String, String>>);
    let look_up = move || {
        let base = task.with_untracked(|f| f.base_url.trim().trim_end_matches('/').to_owned());
        if base.is_empty() {
            return;
        }
        found.set(Some(Ok(format!("Looking for models at {base}…"))));
        spawn_local(async move {
            let listed = crate::transport::fetch_text(&format!("{base}/models")).await.ok();
            let current = task.with_untracked(|f| f.model.clone());
            let result = lookup_result(&base, listed.as_deref(), &current);
            if let Ok((model, _)) = &result {
                task.update(|f| f.model.clone_from(model));
            }
            found.set(Some(result.map(|(_, said)| said)));
        });
    };
    let pick = move |preset: Preset| {
        task.update(|f| choose_local(f, preset));
        look_up();
    };
    let selected = move |preset: Preset| task.with(|f| f.preset == preset);
    view! {
        <section class="quick-start" aria-labelledby="quick-start-title" data-testid="quick-start">
            <h2 id="quick-start-title">"Start here"</h2>
            <div class="quick-steps">
                <div class="quick-step">
                    <h3 class="subhead">"1. Pick a task (or bring your data below)"</h3>
                    <ExampleGallery/>
                </div>
                <div class="quick-step">
                    <h3 class="subhead">"2. Pick your model"</h3>
                    <div class="chips" role="group" aria-label="Local model servers">
                        {LOCAL_SERVERS.iter().map(|(preset, how)| {
                            let preset = *preset;
                            let testid = format!("local-{}", preset.id());
                            view! {
                                <button type="button" class="chip" title=*how data-testid=testid
                                    aria-pressed=move || if selected(preset) { "true" } else { "false" }
                                    on:click=move |_| pick(preset)>
                                    {preset.label()}
                                </button>
                            }
                        }).collect_view()}
                        <a class="chip" href="#settings">"OpenAI, Anthropic, others…"</a>
                    </div>
                    <label for="quick-base-url">"Server address"</label>
                    <input id="quick-base-url" type="url" spellcheck="false"
                        prop:value=move || task.with(|f| f.base_url.clone())
                        on:input=move |ev| task.update(|f| f.base_url = event_target_value(&ev))
                        on:change=move |_| look_up()/>
                    <p class="hint" role="status" data-testid="quick-model">
                        {move || match found.get() {
                            Some(Ok(text)) => view! { <span>{text}</span> }.into_any(),
                            Some(Err(text)) => view! { <span class="warn">{text}</span> }.into_any(),
                            None => view! { <span>{move || task.with(|f| if f.model.trim().is_empty() { "Its models are looked up when you pick it.".to_owned() } else { format!("Model: {}", f.model) })}</span> }.into_any(),
                        }}
                    </p>
                </div>
                <div class="quick-step">
                    <h3 class="subhead">"3. Start"</h3>
                    <p class="hint">"Press Start (or S) in the bar above. Anything still missing is listed there, with a link to its field."</p>
                </div>
            </div>
        </section>
    }
}
