use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::controller::RunController;
use crate::setup_context::SetupSignals;
use crate::storage::runs::{self, RunSummary};

/// Runs saved in this browser (autosaved as they go): resume or open one, delete one, or open a
/// run file or a Python gepa result from disk (picked, or dropped anywhere on the page).
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
        // A saved run is a run file; a file from disk may also be a Python gepa result.
        let opened = match id {
            Some(_) => gepa_share::RunFile::parse(&text)
                .map(|f| gepa_share::OpenedFile::Run(Box::new(f)))
                .map_err(|e| e.to_string()),
            None => gepa_share::open_file(&text),
        };
        let file = match opened {
            Ok(gepa_share::OpenedFile::Run(file)) => *file,
            Ok(gepa_share::OpenedFile::Gepa(result)) => {
                if controller.active() {
                    controller.command(gepa_core::Command::Pause);
                }
                controller.open_gepa_result(*result);
                message.set(Some("Opened a Python gepa result, read-only.".into()));
                return;
            }
            Err(e) => {
                message.set(Some(e));
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
        let (concurrency, test) = (file.concurrency, file.test.clone());
        match controller.open_run(file, id, endpoints, go) {
            Ok((warnings, run_setup)) => {
                setup.take_run(&run_setup, &test, concurrency);
                let said = note.unwrap_or_else(|| {
                    if go {
                        "Resumed with the run's own models and parameters.".into()
                    } else {
                        "Opened for inspection: press Resume to continue it with its own models and parameters.".into()
                    }
                });
                message
                    .set(Some(std::iter::once(said).chain(warnings).collect::<Vec<_>>().join(" ")));
            }
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
    let open_file = move |file: web_sys::File| {
        spawn_local(async move {
            match crate::storage::files::read_text(file).await {
                Ok(text) => open_text(text, None, false),
                Err(e) => message.set(Some(e)),
            }
        });
    };
    let pick = move |ev: leptos::ev::Event| {
        let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) {
            open_file(file);
        }
    };
    // A run file or gepa result dropped anywhere on the page opens (the data drop zone takes
    // its own drops first and marks them handled).
    let dragover = window_event_listener(leptos::ev::dragover, |ev| ev.prevent_default());
    let drop = window_event_listener(leptos::ev::drop, move |ev| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
            open_file(file);
        }
    });
    on_cleanup(move || {
        dragover.remove();
        drop.remove();
    });
    view! {
        <details class="saved-runs" data-testid="saved-runs" open=move || list.with(|l| l.iter().any(|r| !r.finished))>
            <summary>{move || format!("Saved runs ({})", list.with(Vec::len))}</summary>
            <p class="hint">"Runs are saved in this browser after every accepted candidate and every iteration. A reload never loses one: resume it here."</p>
            <ul class="run-list">
                {move || list.get().into_iter().map(|r| {
                    let (id_resume, id_open, id_delete) = (r.id.clone(), r.id.clone(), r.id.clone());
                    let status = if r.finished { "finished" } else { "unfinished" };
                    let best = r.best.map_or_else(String::new, |b| format!(", best {b:.3}"));
                    let when = crate::transport::date_label(r.saved_at_ms);
                    let testid = format!("saved-{}", r.id);
                    view! {
                        <li data-testid=testid>
                            <span class="run-name">{r.title.clone()}</span>
                            <span class="hint">{format!("saved {when} — {status}, {} rollouts, {} candidates{best}", r.rollouts, r.candidates)}</span>
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
            <label for="open-run-file">"Open a run file (exported here or written by the CLI) or a Python gepa result (GEPAResult.to_dict() saved as JSON); or drop one anywhere on the page"</label>
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
