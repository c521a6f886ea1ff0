use leptos::prelude::*;

use crate::controller::RunController;
use crate::setup_context::SetupSignals;
use crate::state::imported::{describe, seeded_note, seeds_of};

/// A Python gepa result opened read-only: what it is, and a way to start a new run on this
/// page's data from its best candidates.
#[component]
pub fn ImportedResult() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let setup = expect_context::<SetupSignals>();
    let done = RwSignal::new(None::<String>);
    let seed_from_it = move |_| {
        let Some(result) = controller.imported.get_untracked() else { return };
        let (seeded, extra) = setup.program.with_untracked(|draft| seeds_of(&result, draft));
        let n = extra.len();
        setup.program.set(seeded);
        controller.extra_seeds.set(extra);
        done.set(Some(seeded_note(result.best, n)));
    };
    view! {
        <Show when=move || controller.imported.with(Option::is_some)>
            <section class="imported" aria-labelledby="imported-title" data-testid="imported">
                <h3 class="subhead" id="imported-title">"Python gepa result"</h3>
                <p data-testid="imported-summary">
                    {move || controller.imported.with(|r| r.as_ref().map(describe).unwrap_or_default())}
                </p>
                <p class="hint">"Its tree, front, score chart, heatmap and prompts are shown above. Outputs and feedback per example are not part of a gepa result (gepa keeps only the best outputs, when asked to)."</p>
                <button type="button" class="button" data-testid="seed-from-imported" on:click=seed_from_it>
                    "Start a new run from its best prompts"
                </button>
                <p class="hint" role="status" data-testid="seeded-note">{move || done.get()}</p>
            </section>
        </Show>
    }
}
