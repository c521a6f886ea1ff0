use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::components::data_preview::DataPreview;
use crate::components::field_problems::SetupProblems;
use crate::setup_context::SetupSignals;

async fn read_file(file: web_sys::File) -> Result<String, String> {
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| format!("could not read {}", file.name()))?;
    text.as_string().ok_or_else(|| format!("{} is not a text file", file.name()))
}

/// Data: paste box, file picker and drop zone, then the preview (the example tasks are in the
/// quick start).
#[component]
pub fn DatasetPanel() -> impl IntoView {
    let setup = expect_context::<SetupSignals>();
    let problems = expect_context::<SetupProblems>();
    let file_error = RwSignal::new(None::<String>);
    let load = move |file: Option<web_sys::File>| {
        let Some(file) = file else { return };
        let name = file.name();
        spawn_local(async move {
            match read_file(file).await {
                Ok(text) => {
                    file_error.set(None);
                    setup.dataset.update(|d| d.set_text(text, name));
                }
                Err(e) => file_error.set(Some(e)),
            }
        });
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        load(ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)));
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        load(input.and_then(|i| i.files()).and_then(|f| f.get(0)));
    };
    view! {
        <div
            class="dropzone"
            on:dragover=move |ev: web_sys::DragEvent| ev.prevent_default()
            on:drop=on_drop
        >
            <label for="data-text">"Paste CSV, TSV, JSON or JSON Lines (first row: column names)"</label>
            <textarea
                id="data-text"
                aria-describedby=move || setup.dataset.with(|d| d.parsed.is_err()).then_some("data-text-problems")
                aria-invalid=move || problems.invalid("data-text")
                rows="6"
                spellcheck="false"
                placeholder="question,answer\nWhat is 2+2?,4"
                prop:value=move || setup.dataset.with(|d| d.text.clone())
                on:input=move |ev| setup.dataset.update(|d| d.set_text(event_target_value(&ev), "Pasted"))
            ></textarea>
            <p class="hint">
                <label for="data-file">"…or drop a file here, or choose one: "</label>
                <input id="data-file" type="file" accept=".csv,.tsv,.json,.jsonl,.txt" on:change=on_pick/>
            </p>
            {move || file_error.get().map(|e| view! { <p class="hint warn" role="alert">{e}</p> })}
        </div>
        <DataPreview/>
    }
}
