use leptos::prelude::*;

use crate::controller::RunController;
use crate::state::event_log::Tone;

/// The run's readable log, newest last.
#[component]
pub fn EventLogView() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let lines = move || {
        controller.view.with(|v| {
            v.as_ref().map(|v| {
                v.log
                    .iter()
                    .map(|line| {
                        let class = match line.tone {
                            Tone::Info => "log-line",
                            Tone::Good => "log-line good",
                            Tone::Rejected => "log-line rejected",
                            Tone::Warn => "log-line warn",
                        };
                        view! { <li class=class>{line.text.clone()}</li> }
                    })
                    .collect_view()
            })
        })
    };
    view! {
        <h3 class="subhead">"What happened"</h3>
        <ol class="event-log" data-testid="event-log" aria-live="polite" aria-relevant="additions" tabindex="0" aria-label="Event log">
            {lines}
        </ol>
    }
}
