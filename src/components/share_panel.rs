use gepa_share::SharedPrompt;
use leptos::prelude::*;

use crate::components::copy_button::CopyButton;
use crate::controller::RunController;
use crate::setup_context::SetupSignals;
use crate::state::share::shared_prompt;

/// "Share prompt link": the best prompt, template, metric, model names and scores in the URL
/// fragment (never sent to a server), optionally with the data; its length, and advice when it
/// is long.
#[component]
pub fn SharePanel() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let setup = expect_context::<SetupSignals>();
    let with_data = RwSignal::new(false);
    let link = RwSignal::new(None::<Result<String, String>>);
    let make = move |_| {
        let Some(plan) = controller.plan() else { return };
        let page = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
        let include = with_data.get_untracked();
        let prompt = controller.view.with_untracked(|v| {
            let v = v.as_ref()?;
            controller.test.with_untracked(|t| {
                setup
                    .dataset
                    .with_untracked(|d| shared_prompt(&plan, &v.history, t, include.then_some(d)))
            })
        });
        link.set(prompt.map(|p| p.link(&page).map_err(|e| e.to_string())));
    };
    let as_file = move |_| {
        let Some(plan) = controller.plan() else { return };
        let json = controller.view.with_untracked(|v| {
            let v = v.as_ref()?;
            let prompt = controller.test.with_untracked(|t| {
                setup.dataset.with_untracked(|d| {
                    shared_prompt(&plan, &v.history, t, with_data.get_untracked().then_some(d))
                })
            })?;
            serde_json::to_string_pretty(&prompt).ok()
        });
        if let Some(json) = json {
            let _ = crate::storage::files::download(
                "gepa-shared-prompt.json",
                "application/json",
                &json,
            );
        }
    };
    let text = Signal::derive(move || {
        link.with(|l| l.as_ref().and_then(|l| l.as_ref().ok()).cloned().unwrap_or_default())
    });
    view! {
        <section class="share" aria-label="Share">
            <label class="checkbox">
                <input type="checkbox" id="share-data" prop:checked=move || with_data.get() on:change=move |ev| with_data.set(event_target_checked(&ev))/>
                "Include the dataset (up to 200 rows) so others can re-run it"
            </label>
            <button type="button" class="button" data-testid="make-link" on:click=make>"Create share link"</button>
            {move || link.get().map(|l| match l {
                Ok(url) => {
                    let chars = url.len();
                    view! {
                        <label for="share-link">{format!("Share link ({chars} characters; it holds no API key or endpoint address)")}</label>
                        <input id="share-link" type="text" readonly data-testid="share-link" prop:value=url/>
                        <CopyButton label="Copy link" text=text/>
                        {SharedPrompt::length_advice(chars).map(|a| view! { <p class="hint warn">{a}</p> })}
                    }.into_any()
                }
                Err(e) => view! {
                    <p class="hint warn" role="alert">{e}</p>
                    <button type="button" class="button subtle" data-testid="share-file" on:click=as_file>"Download the prompt as a file"</button>
                }.into_any(),
            })}
        </section>
    }
}
