use leptos::prelude::*;

use crate::controller::RunController;
use crate::state::event_log::Tone;

/// The run's readable log, newest last. Lines are keyed by position, so a new event adds one
/// element instead of re-rendering the list.
#[component]
pub fn EventLogView() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let count = move || controller.view.with(|v| v.as_ref().map_or(0, |v| v.log.len()));
    let line = move |i: usize| {
        controller.view.with_untracked(|v| {
            v.as_ref().and_then(|v| v.log.get(i)).map(|l| (l.tone, l.text.clone()))
        })
    };
    view! {
        <h3 class="subhead">"What happened"</h3>
        <ol class="event-log" data-testid="event-log" aria-live="polite" aria-relevant="additions" tabindex="0" aria-label="Event log">
            <For each=move || 0..count() key=|i| *i let:i>
                {
                    let (tone, text) = line(i).unwrap_or((Tone::Info, String::new()));
                    let class = match tone {
                        Tone::Info => "log-line",
                        Tone::Good => "log-line good",
                        Tone::Rejected => "log-line rejected",
                        Tone::Warn => "log-line warn",
                    };
                    view! { <li class=class>{text}</li> }
                }
            </For>
        </ol>
    }
}
