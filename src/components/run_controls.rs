use gepa_core::{Command, Status};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::controller::RunController;
use crate::setup_context::SetupSignals;
use crate::state::shortcuts::{RunAction, action_for};

/// Start, Pause / Resume, Step and Stop, with keyboard shortcuts, and what blocks Start.
#[component]
pub fn RunControls() -> impl IntoView {
    let setup = expect_context::<SetupSignals>();
    let controller = expect_context::<RunController>();
    let paused = move || matches!(controller.status(), Some(Status::Paused { .. }));
    let running = move || matches!(controller.status(), Some(Status::Running));
    let can_start = move || !controller.active() && setup.plan().is_ok();
    let act = move |action: RunAction| match action {
        RunAction::Start => {
            if !controller.active()
                && let Ok(plan) = setup.plan()
            {
                controller.start(plan, false);
            }
        }
        RunAction::PauseResume => {
            if paused() {
                // Pick up endpoint fixes made while paused (a wrong URL, model or key).
                controller.resume(setup.endpoints().ok());
            } else if running() {
                controller.command(Command::Pause);
            }
        }
        RunAction::Step => {
            if controller.active() {
                controller.command(Command::Step);
            } else if let Ok(plan) = setup.plan() {
                // Step from nothing: the seed and one iteration, then a pause.
                controller.start(plan, true);
            }
        }
        RunAction::Stop => {
            if controller.active() {
                controller.command(Command::Stop);
            }
        }
    };
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        let typing =
            ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|e| {
                matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    || e.closest("[contenteditable]").ok().flatten().is_some()
            });
        let modifier = ev.ctrl_key() || ev.meta_key() || ev.alt_key();
        if let Some(action) = action_for(&ev.key(), modifier, typing) {
            ev.prevent_default();
            act(action);
        }
    });
    on_cleanup(move || handle.remove());
    view! {
        <div class="controls" role="toolbar" aria-label="Run controls">
            <button type="button" class="button primary" data-testid="start"
                aria-keyshortcuts="s" disabled=move || !can_start()
                on:click=move |_| act(RunAction::Start)>
                "Start " <kbd>"S"</kbd>
            </button>
            <button type="button" class="button" data-testid="pause"
                aria-keyshortcuts="p" disabled=move || !(running() || paused())
                on:click=move |_| act(RunAction::PauseResume)>
                {move || if paused() { "Resume " } else { "Pause " }} <kbd>"P"</kbd>
            </button>
            <button type="button" class="button" data-testid="step"
                aria-keyshortcuts="n" disabled=move || !(paused() || can_start())
                on:click=move |_| act(RunAction::Step)>
                "Step " <kbd>"N"</kbd>
            </button>
            <button type="button" class="button danger" data-testid="stop"
                aria-keyshortcuts="x" disabled=move || !controller.active()
                on:click=move |_| act(RunAction::Stop)>
                "Stop " <kbd>"X"</kbd>
            </button>
            <button type="button" class="button subtle" data-testid="download-config" disabled=move || setup.plan().is_err()
                on:click=move |_| {
                    if let Ok(json) = setup.plan().map(|p| p.config_file()).and_then(|f| f.to_json().map_err(|e| vec![e.to_string()])) {
                        let _ = crate::storage::files::download("gepa-config.json", "application/json", &json);
                    }
                }>
                "Download run configuration (for the gepa CLI)"
            </button>
        </div>
        {move || controller.failure.get().map(|error| view! {
            <p class="error" role="alert" data-testid="run-failure">{error}</p>
        })}
        {move || match setup.plan() {
            Err(problems) if !controller.active() => view! {
                <div class="problems-box" data-testid="setup-problems" role="status">
                    <p><strong>"Before you can start:"</strong></p>
                    <ul>{problems.into_iter().map(|p| match crate::state::problems::field_of(&p) {
                        Some(target) => {
                            let href = format!("#{target}");
                            view! {
                                <li><a href=href on:click=move |ev| {
                                    ev.prevent_default();
                                    crate::components::field_problems::reveal(&target);
                                }>{p}</a></li>
                            }.into_any()
                        }
                        None => view! { <li>{p}</li> }.into_any(),
                    }).collect_view()}</ul>
                </div>
            }.into_any(),
            Ok(plan) if !controller.active() && !plan.warnings.is_empty() => view! {
                <ul class="hint-list">{plan.warnings.into_iter().map(|w| view! { <li class="hint">{w}</li> }).collect_view()}</ul>
            }.into_any(),
            _ => ().into_any(),
        }}
    }
}
