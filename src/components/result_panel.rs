use leptos::prelude::*;

use crate::components::copy_button::CopyButton;
use crate::components::export_panel::ExportPanel;
use crate::components::share_panel::SharePanel;
use crate::controller::RunController;

/// The best prompt with copy buttons, and the held-out comparison of seed and best.
#[component]
pub fn ResultPanel() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let best_text = Signal::derive(move || {
        let program = controller.plan().map(|p| p.setup.program);
        controller.best.with(|b| {
            b.as_ref()
                .map(|c| crate::state::share::prompt_text(c, program.as_ref()))
                .unwrap_or_default()
        })
    });
    let best_json = Signal::derive(move || {
        controller.best.with(|b| {
            b.as_ref().and_then(|c| serde_json::to_string_pretty(c).ok()).unwrap_or_default()
        })
    });
    let finished =
        move || controller.view.with(|v| v.as_ref().is_some_and(|v| v.stop_reason.is_some()));
    // A gepa result opened read-only has no run of this page to export, share or evaluate.
    let own_run = move || controller.imported.with(Option::is_none);
    let own_finished = move || finished() && own_run();
    let test = controller.test;
    let score = |s: Option<&crate::state::test_eval::TestScore>| {
        s.map_or_else(
            || "scoring…".to_owned(),
            |s| format!("{:.3} on {} examples ({} rollouts)", s.mean, s.n, s.rollouts),
        )
    };
    view! {
        <Show when=move || controller.best.with(Option::is_some)>
            <section class="result" aria-labelledby="result-title" data-testid="result">
                <h3 class="subhead" id="result-title">{move || if finished() { "Best prompt" } else { "Best prompt so far" }}</h3>
                {move || {
                    let is_seed = controller.best.with(|b| controller.seed.with(|s| match (b, s) {
                        (Some(b), Some(s)) => b.same_content(s),
                        _ => false,
                    }));
                    is_seed.then(|| view! { <p class="hint">"No proposal has beaten the seed yet, so the best is the seed itself."</p> })
                }}
                {move || controller.best.get().map(|c| c.iter().map(|(name, text)| view! {
                    <div class="component">
                        <span class="message-role">{name.to_owned()}</span>
                        <pre data-testid="best-prompt">{text.to_owned()}</pre>
                    </div>
                }).collect_view())}
                <div class="controls">
                    <CopyButton label="Copy prompt and template" text=best_text/>
                    <CopyButton label="Copy program as JSON" text=best_json/>
                    <a class="button subtle" href="#tree" data-testid="inspect-best"
                        on:click=move |_| {
                            let best = controller.view.with_untracked(|v| v.as_ref().and_then(|v| v.best));
                            controller.selected.set(best);
                        }>
                        "Inspect in the tree"
                    </a>
                </div>
                <Show when=own_run>
                    <ExportPanel/>
                </Show>
                <Show when=own_finished>
                    <SharePanel/>
                </Show>
                <Show when=own_finished>
                    <button type="button" class="button" data-testid="evaluate-test"
                        disabled=move || test.with(|t| t.is_running())
                        on:click=move |_| controller.evaluate_test()>
                        "Evaluate seed and best on the held-out test set"
                    </button>
                    <p class="hint">"Uses the test split the optimiser never saw; its rollouts are counted separately from the budget."</p>
                </Show>
                {move || test.with(|t| {
                    if let Some(e) = &t.error {
                        return view! { <p class="hint warn" role="alert">{e.clone()}</p> }.into_any();
                    }
                    if t.size == 0 {
                        return ().into_any();
                    }
                    let gain = t.gain().map(|g| format!("{g:+.3}"));
                    view! {
                        <table class="compare" data-testid="test-scores">
                            <caption>"Held-out test set"</caption>
                            <thead><tr><th scope="col">"Seed"</th><th scope="col">"Best"</th><th scope="col">"Change"</th></tr></thead>
                            <tbody><tr>
                                <td>{score(t.seed.as_ref())}</td>
                                <td>{score(t.best.as_ref())}</td>
                                <td>{gain.unwrap_or_else(|| "…".into())}</td>
                            </tr></tbody>
                        </table>
                    }.into_any()
                })}
            </section>
        </Show>
    }
}
