use gepa_providers::doctor::{Cause, Diagnosis};
use leptos::prelude::*;

/// The doctor's verdict: what happened, what to do, and the reply when it worked.
#[component]
pub fn DiagnosisView(
    /// The verdict to show.
    diagnosis: Diagnosis,
) -> impl IntoView {
    let ok = diagnosis.cause == Cause::Ok;
    let latency = diagnosis.latency_ms.map(|ms| format!(" ({ms} ms)")).unwrap_or_default();
    view! {
        <div class=if ok { "verdict ok" } else { "verdict fail" } data-cause=format!("{:?}", diagnosis.cause)>
            <p class="verdict-headline">{diagnosis.headline}{latency}</p>
            {diagnosis.reply.map(|r| view! { <p class="verdict-reply">"Reply: " <q>{r}</q></p> })}
            {(!diagnosis.fix.is_empty()).then(|| view! { <p class="verdict-fix">{diagnosis.fix}</p> })}
        </div>
    }
}
