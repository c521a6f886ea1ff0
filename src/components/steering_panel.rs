use gepa_core::{Candidate, Command};
use leptos::prelude::*;

use crate::controller::RunController;

/// Steer the search from a candidate: edit and add it, leave a note for its next reflection,
/// pin it as the next parent (or unpin it), or exclude it from selection.
#[component]
pub fn SteeringPanel(
    /// Pool index.
    candidate: usize,
    /// Its program.
    program: Candidate,
) -> impl IntoView {
    let controller = expect_context::<RunController>();
    let running = move || controller.active();
    let drafts: Vec<(String, RwSignal<String>)> = program
        .iter()
        .map(|(name, text)| (name.to_owned(), RwSignal::new(text.to_owned())))
        .collect();
    let note = RwSignal::new(String::new());
    let done = RwSignal::new(None::<String>);
    let excluded = move || {
        controller
            .view
            .with(|v| v.as_ref().is_some_and(|v| v.history.excluded.contains(&candidate)))
    };
    let pinned = move || {
        controller.view.with(|v| v.as_ref().is_some_and(|v| v.history.pinned == Some(candidate)))
    };
    let notes = move || {
        controller
            .view
            .with(|v| v.as_ref().map_or_else(Vec::new, |v| v.history.notes_on(candidate)))
    };
    let drafts_for_add = drafts.clone();
    let add = move |_| {
        let edited = Candidate::new(
            drafts_for_add.iter().map(|(name, text)| (name.clone(), text.get_untracked())),
        );
        if edited.same_content(&program) {
            done.set(Some("Change the text first: this is the same program.".into()));
            return;
        }
        controller.steer(Command::AddCandidate { program: edited, parent: Some(candidate) });
        done.set(Some("Added: it is scored on the validation set at the next iteration boundary (charged to the budget).".into()));
    };
    view! {
        <section class="steering" aria-label="Steer the search" data-testid="steering">
            <h4>"Steer"</h4>
            <Show when=move || !running()>
                <p class="hint">"Steering works while a run is going (running or paused)."</p>
            </Show>
            {drafts.into_iter().map(|(name, text)| {
                let id = format!("edit-{name}");
                let label_for = id.clone();
                view! {
                    <label for=label_for>{format!("Edit '{name}'")}</label>
                    <textarea id=id rows="5" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                }
            }).collect_view()}
            <div class="controls">
                <button type="button" class="button" data-testid="add-edited" disabled=move || !running() on:click=add>"Add to the pool"</button>
                <button type="button" class="button subtle" data-testid="pin" disabled=move || !running()
                    aria-pressed=move || if pinned() { "true" } else { "false" }
                    on:click=move |_| {
                        if pinned() {
                            controller.steer(Command::Unpin);
                            done.set(Some(format!("#{candidate} is no longer pinned.")));
                        } else {
                            controller.steer(Command::Pin { candidate });
                            done.set(Some(format!("#{candidate} will be the parent of the next proposal.")));
                        }
                    }>
                    {move || if pinned() { "Unpin" } else { "Pin as next parent" }}
                </button>
                <button type="button" class="button subtle" data-testid="exclude" disabled=move || !running()
                    on:click=move |_| controller.steer(Command::Exclude { candidate, excluded: !excluded() })>
                    {move || if excluded() { "Return to selection" } else { "Exclude from selection" }}
                </button>
            </div>
            <label for="steer-note">"Improve with my feedback (added to the next reflection on this candidate)"</label>
            <textarea id="steer-note" rows="2" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
            <button type="button" class="button subtle" data-testid="send-feedback"
                disabled=move || !running() || note.with(|n| n.trim().is_empty())
                on:click=move |_| {
                    controller.steer(Command::Feedback { candidate, note: note.get_untracked() });
                    note.set(String::new());
                    done.set(Some("Noted: the next reflection on this candidate will read it.".into()));
                }>
                "Send feedback"
            </button>
            <Show when=move || !notes().is_empty()>
                <p class="hint">"Notes you left on this candidate:"</p>
                <ul class="notes" data-testid="steer-notes">
                    {move || notes().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                </ul>
            </Show>
            <p class="hint" role="status">{move || done.get()}</p>
        </section>
    }
}
