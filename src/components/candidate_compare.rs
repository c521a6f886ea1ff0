use leptos::prelude::*;

use crate::components::diff_view::DiffView;
use crate::controller::RunController;

/// Two candidates side by side: pick a second one to compare with the selected candidate.
#[component]
pub fn CandidateCompare() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let count =
        move || controller.view.with(|v| v.as_ref().map_or(0, |v| v.history.candidates.len()));
    let pair = move || {
        let (a, b) = (controller.selected.get()?, controller.compare.get()?);
        controller.view.with(|v| {
            let h = &v.as_ref()?.history;
            Some((h.candidates.get(a)?.clone(), h.candidates.get(b)?.clone()))
        })
    };
    view! {
        <section class="compare-panel" data-testid="compare" aria-label="Compare two candidates">
            <label for="compare-with">"Compare the selected candidate with"</label>
            <select id="compare-with" on:change=move |ev| controller.compare.set(event_target_value(&ev).parse().ok())>
                <option value="">"(none)"</option>
                {move || (0..count()).map(|i| view! { <option value=i.to_string()>{format!("#{i}")}</option> }).collect_view()}
            </select>
            {move || pair().map(|(a, b)| view! {
                <div class="side-by-side">
                    {[&a, &b].map(|c| view! {
                        <div>
                            <h4>{format!("#{} · val {:.3}", c.index, c.mean)}</h4>
                            {c.program.iter().map(|(name, text)| view! {
                                <span class="message-role">{name.to_owned()}</span>
                                <pre>{text.to_owned()}</pre>
                            }).collect_view()}
                        </div>
                    })}
                </div>
                <h4>{format!("Changes from #{} to #{}", a.index, b.index)}</h4>
                {a.program.iter().map(|(name, text)| view! {
                    <DiffView old=text.to_owned() new=b.program.get(name).unwrap_or_default().to_owned()/>
                }).collect_view()}
            })}
        </section>
    }
}
