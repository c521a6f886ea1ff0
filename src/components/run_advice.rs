use leptos::prelude::*;

use crate::controller::RunController;

/// Why the run is not improving, with the fix, when one reason accounts for most proposals
/// (read from the run's events, so a reopened run says the same).
#[component]
pub fn RunAdvice() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let view_of = controller.view;
    let advice = Memo::new(move |_| view_of.with(|v| v.as_ref().and_then(|v| v.advice())));
    move || {
        advice.get().map(|a| {
            view! {
                <div class="problems-box run-advice" role="status" data-testid="run-advice">
                    <strong>"Not improving: "</strong>
                    {a.headline}
                    " "
                    <span class="run-advice-fix">{a.fix}</span>
                </div>
            }
        })
    }
}
