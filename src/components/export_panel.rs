use leptos::prelude::*;

use crate::controller::RunController;
use crate::state::share::candidates_csv;
use crate::storage::files::download;

/// Downloads: the whole run (the format the CLI reads), the best prompt as JSON, every candidate
/// as CSV.
#[component]
pub fn ExportPanel() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let error = RwSignal::new(None::<String>);
    let run_file = move |_| {
        let result = controller
            .run_file()
            .ok_or_else(|| "There is no run to export yet.".to_owned())
            .and_then(|f| f.to_json().map_err(|e| e.to_string()))
            .and_then(|json| download("gepa-run.json", "application/json", &json));
        error.set(result.err());
    };
    let best_json = move |_| {
        let json =
            controller.best.with(|b| b.as_ref().and_then(|c| serde_json::to_string_pretty(c).ok()));
        error.set(
            json.ok_or_else(|| "No best prompt yet.".to_owned())
                .and_then(|j| download("gepa-best-prompt.json", "application/json", &j))
                .err(),
        );
    };
    let best_text = move |_| {
        let text = controller.best.with(|b| {
            b.as_ref().map(|c| c.iter().map(|(_, t)| t).collect::<Vec<_>>().join("\n\n"))
        });
        error.set(
            text.ok_or_else(|| "No best prompt yet.".to_owned())
                .and_then(|t| download("gepa-best-prompt.txt", "text/plain", &t))
                .err(),
        );
    };
    let csv = move |_| {
        let text = controller.view.with(|v| v.as_ref().map(|v| candidates_csv(&v.history)));
        error.set(
            text.ok_or_else(|| "No candidates yet.".to_owned())
                .and_then(|t| download("gepa-candidates.csv", "text/csv", &t))
                .err(),
        );
    };
    view! {
        <div class="controls" role="group" aria-label="Downloads">
            <button type="button" class="button subtle" data-testid="download-run" on:click=run_file>"Download run file"</button>
            <button type="button" class="button subtle" on:click=best_text>"Download best prompt (text)"</button>
            <button type="button" class="button subtle" on:click=best_json>"Download best prompt (JSON)"</button>
            <button type="button" class="button subtle" data-testid="download-csv" on:click=csv>"Download candidates (CSV)"</button>
        </div>
        {move || error.get().map(|e| view! { <p class="hint warn" role="alert">{e}</p> })}
    }
}
