use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::controller::RunController;
use crate::setup_context::SetupSignals;
use crate::state::saved_setup::keeping_note;
use crate::state::workspace::{Phase, drawer_open};

/// The setup (quick start, endpoints, data, program and metric) as one drawer: the page itself
/// before a run, a side panel that can be reopened once a run has the stage. It opens by itself
/// when a run pauses, since the fix is usually a setting.
#[component]
pub fn SetupDrawer(children: Children) -> impl IntoView {
    let controller = expect_context::<RunController>();
    let setup = expect_context::<SetupSignals>();
    let open = RwSignal::new(true);
    let note = move || {
        let too_big = setup.dataset.with(|d| d.text.len());
        setup.keep_status.with(|problem| keeping_note(problem.as_deref(), too_big))
    };
    let phase = Memo::new(move |_| {
        controller.view.with(|v| Phase::of(v.as_ref().map(|v| &v.counters.status)))
    });
    Effect::new(move |from: Option<Phase>| {
        let to = phase.get();
        if let Some(from) = from {
            let next = drawer_open(from, to, open.get_untracked());
            if next != open.get_untracked() {
                open.set(next);
            }
        }
        to
    });
    let on_toggle = move |ev: leptos::ev::Event| {
        let now = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| e.has_attribute("open"));
        if now != open.get_untracked() {
            open.set(now);
        }
    };
    view! {
        <details class="setup-drawer" data-testid="setup-drawer" prop:open=move || open.get() on:toggle=on_toggle>
            <summary>
                {move || if phase.get().run_on_stage() { "Setup: model, data, prompt and metric (open to change them)" } else { "Setup" }}
            </summary>
            {move || note().map(|n| view! { <p class="hint warn" role="status" data-testid="keep-note">{n}</p> })}
            <div class="setup-body">{children()}</div>
        </details>
    }
}
