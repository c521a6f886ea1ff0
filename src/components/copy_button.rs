use leptos::prelude::*;
use leptos::task::spawn_local;

/// A button that copies `text` to the clipboard and says so.
#[component]
pub fn CopyButton(
    /// Button label.
    label: &'static str,
    /// What to copy (read when clicked).
    text: Signal<String>,
) -> impl IntoView {
    let done = RwSignal::new(None::<&'static str>);
    let copy = move |_| {
        let value = text.get_untracked();
        spawn_local(async move {
            let Some(window) = web_sys::window() else { return };
            let promise = window.navigator().clipboard().write_text(&value);
            let outcome = wasm_bindgen_futures::JsFuture::from(promise).await;
            done.set(Some(if outcome.is_ok() {
                "Copied"
            } else {
                "Copy failed: select the text and copy it by hand"
            }));
        });
    };
    view! {
        <button type="button" class="button subtle" on:click=copy>{label}</button>
        <span class="hint" role="status">{move || done.get()}</span>
    }
}
