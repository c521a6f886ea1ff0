use gepa_share::SharedPrompt;
use leptos::prelude::*;

use crate::components::copy_button::CopyButton;
use crate::setup_context::SetupSignals;
use crate::state::share::load_shared;

fn score(s: Option<f64>) -> String {
    s.map_or_else(|| "–".to_owned(), |s| format!("{s:.3}"))
}

/// A shared prompt opened from a link: shown read-only, as text; nothing runs until the user
/// loads it into the playground and starts a run themselves.
#[component]
pub fn SharedPromptPage(
    /// The decoded link, or why it cannot be opened.
    shared: Result<SharedPrompt, String>,
    /// Leaves the page (after loading, or to start fresh).
    on_done: Callback<()>,
) -> impl IntoView {
    let setup = expect_context::<SetupSignals>();
    let error = RwSignal::new(None::<String>);
    let body = match shared {
        Err(message) => view! {
            <p class="problems-box" role="alert" data-testid="link-error">{message}</p>
            <button type="button" class="button" on:click=move |_| on_done.run(())>"Open the playground"</button>
        }
        .into_any(),
        Ok(prompt) => {
            let components = prompt.components.iter().map(|(name, text)| view! {
                <span class="message-role">{name.to_owned()}</span>
                <pre data-testid="shared-component">{text.to_owned()}</pre>
            }).collect_view();
            let template = match &prompt.program {
                gepa_core::Program::Chat { steps } => steps.iter().map(|s| s.user.clone()).collect::<Vec<_>>().join("\n—\n"),
                gepa_core::Program::Artifact { component } => format!("(artifact mode: '{component}' is the output)"),
            };
            let template_text = {
                let template = template.clone();
                move || template.clone()
            };
            let metric = serde_json::to_string_pretty(&prompt.metric).unwrap_or_default();
            let s = prompt.scores.clone();
            let rows = prompt.data.as_ref().map_or(0, |d| d.rows.len());
            let models = format!("{} · task model {} · reflection model {}", prompt.provider_label(), prompt.task_model, prompt.reflection_model);
            let whole = prompt.components.iter().map(|(name, text)| format!("--- {name} ---\n{text}")).collect::<Vec<_>>().join("\n");
            let copied = Signal::derive(move || format!("{whole}\n--- user message template ---\n{}", template_text()));
            let load = move |_| match load_shared(&prompt) {
                Ok((program, metric, dataset)) => {
                    setup.program.set(program);
                    setup.metric.set(metric);
                    if let Some(d) = dataset {
                        setup.dataset.set(d);
                    }
                    on_done.run(());
                }
                Err(e) => error.set(Some(e)),
            };
            view! {
                <p class="hint">"Someone shared an optimised prompt with you. It is shown as text; nothing runs until you load it and start a run yourself."</p>
                <table class="compare" data-testid="shared-scores">
                    <caption>"Scores when it was shared"</caption>
                    <thead><tr><th scope="col"></th><th scope="col">"Seed"</th><th scope="col">"Optimised"</th></tr></thead>
                    <tbody>
                        <tr><th scope="row">"Validation"</th><td>{score(s.seed_val)}</td><td>{score(s.best_val)}</td></tr>
                        <tr><th scope="row">"Held-out test"</th><td>{score(s.seed_test)}</td><td>{score(s.best_test)}</td></tr>
                    </tbody>
                </table>
                <p class="hint">{models}</p>
                <h3 class="subhead">"Prompt"</h3>
                {components}
                <h3 class="subhead">"User message template"</h3>
                <pre>{template}</pre>
                <div class="controls" data-testid="copy-shared">
                    <CopyButton label="Copy prompt and template" text=copied/>
                </div>
                <details>
                    <summary>"Metric"</summary>
                    <pre>{metric}</pre>
                </details>
                {(rows > 0).then(|| view! { <p class="hint">{format!("Includes a dataset of {rows} rows.")}</p> })}
                <div class="controls">
                    <button type="button" class="button primary" data-testid="load-shared" on:click=load>"Load into playground"</button>
                    <button type="button" class="button subtle" on:click=move |_| on_done.run(())>"Open the playground without it"</button>
                </div>
                {move || error.get().map(|e| view! { <p class="hint warn" role="alert">{e}</p> })}
            }
            .into_any()
        }
    };
    view! {
        <main class="workspace" id="shared-main">
            <section class="panel shared-page span-all" aria-labelledby="shared-title" data-testid="shared-page">
                <h2 id="shared-title">"Shared prompt"</h2>
                {body}
            </section>
        </main>
    }
}
