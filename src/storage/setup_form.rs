//! The setup form kept in this browser between visits (localStorage; keys are never in it).

use crate::state::saved_setup::{SavedSetup, SetupForm};

const SLOT: &str = "gepa-playground.setup";

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The form as it was left, or `None` (first visit, another version, storage off).
#[must_use]
pub fn load() -> Option<SetupForm> {
    let text = local()?.get_item(SLOT).ok().flatten()?;
    SetupForm::restore(&text)
}

/// Keeps the form.
///
/// # Errors
/// When the browser refuses (storage off or full).
pub fn save(saved: &SavedSetup) -> Result<(), String> {
    let store = local().ok_or("this browser keeps no local storage for the page")?;
    let text = serde_json::to_string(saved).map_err(|e| e.to_string())?;
    store
        .set_item(SLOT, &text)
        .map_err(|_| "this browser's storage for the page is full".to_owned())
}
