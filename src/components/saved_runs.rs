use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::controller::RunController;
use crate::setup_context::SetupSignals;
use crate::storage::runs::{self, RunSummary};

/// Runs saved in this browser (autosaved as they go): resume or open one, delete one, or open a
/// run file from disk.
#[component]
pub fn SavedRuns() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let setup = expect_context::<SetupSignals>();
    let list = RwSignal::new(Vec::<RunSummary>::new());
    let message = RwSignal::new(None::<String>);
    let refresh = move || {
        spawn_local(async move {
            match runs::list().await {
                Ok(found) => list.set(found),
                Err(e) => message.set(Some(format!("Saved runs cannot be listed: {e}"))),
            }
        });
    };
    refresh();
    // The list follows autosaves.
    Effect::new(move |_| {
        if controller.save_status.get().is_some() {
            refresh();
        }
    });
    let open_text = move |text: String, id: Option<String>, go: bool| {
        let file = match gepa_share::RunFile::parse(&text) {
            Ok(file) => file,
            Err(e) => {
                message.set(Some(e.to_string()));
                return;
            }
        };
        let (endpoints, problems) = setup.task.with_untracked(|task| {
            crate::state::endpoint_form::endpoints_to_open(task, setup.endpoints())
        });
        let (go, note) = match problems {
            None => (go, None),
            Some(problems) => (
                false,
                Some(format!(
                    "Opened for inspection. To continue it, fix the endpoints ({problems}) and press Resume."
                )),
            ),
        };
        match controller.open_run(file, id, endpoints, go) {
            Ok(()) => message.set(note.or_else(|| {
                Some(if go {
                    "Resumed.".into()
                } else {
                    "Opened for inspection: press Resume to continue it.".into()
                })
            })),
            Err(e) => message.set(Some(e)),
        }
    };
    let resume = move |id: String, go: bool| {
        spawn_local(async move {
            match runs::load(&id).await {
                Ok(text) => open_text(text, Some(id), go),
                Err(e) => message.set(Some(e)),
            }
        });
    };
    let remove = move |id: String| {
        spawn_local(async move {
            if let Err(e) = runs::delete(&id).await {
                message.set(Some(format!("Could not delete: {e}")));
            }
            refresh();
        });
    };
    let pick = move |ev: leptos::ev::Event| {
        let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) else { return };
        spawn_local(async move {
            match crate::storage::files::read_text(file).await {
                Ok(text) => open_text(text, None, false),
                Err(e) => message.set(Some(e)),
            }
        });
    };
    view! {
        <details class="saved-runs" data-testid="saved-runs" open=move || list.with(|l| l.iter().any(|r| !r.finished))>
            <summary>{move || format!("Saved runs ({})", list.with(Vec::len))}</summary>
            <p class="hint">"Runs are saved in this browser after every accepted candidate and every iteration. A reload never loses one: resume it here."</p>
            <ul class="run-list">
                {move || list.get().into_iter().map(|r| {
                    let (id_resume, id_open, id_delete) = (r.id.clone(), r.id.clone(), r.id.clone());
                    let status = if r.finished { "finished" } else { "unfinished" };
                    let best = r.best.map_or_else(String::new, |b| format!(", best {b:.3}"));
                    let testid = format!("saved-{}", r.id);
                    view! {
                        <li data-testid=testid>
                            <span>{format!("{} — {status}, {} rollouts, {} candidates{best}", r.title, r.rollouts, r.candidates)}</span>
                            {(!r.finished).then(|| view! {
                                <button type="button" class="button" data-testid="resume-run" disabled=move || controller.active()
                                    on:click=move |_| resume(id_resume.clone(), true)>"Resume"</button>
                            })}
                            <button type="button" class="button subtle" data-testid="open-run" disabled=move || controller.active()
                                on:click=move |_| resume(id_open.clone(), false)>"Open"</button>
                            <button type="button" class="button subtle" on:click=move |_| remove(id_delete.clone())>"Delete"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <label for="open-run-file">"Open a run file (exported here or written by the CLI)"</label>
            <input id="open-run-file" type="file" accept=".json,application/json" on:change=pick/>
        </details>
        <p class="hint" role="status" data-testid="save-status">
            {move || message.get().or_else(|| controller.save_status.get().map(|s| match s {
                Ok(rollouts) => format!("Saved in this browser at {rollouts} rollouts."),
                Err(e) => e,
            }))}
        </p>
    }
}
