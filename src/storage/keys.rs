//! Remembered endpoint settings (never the key) and the opt-in API key storage.

use crate::state::endpoint_form::{EndpointForm, KeyStorage};

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

fn settings_slot(endpoint: &str) -> String {
    format!("gepa-playground.endpoint.{endpoint}")
}

/// The saved form for `endpoint` (settings from localStorage, the key from wherever the user
/// chose to keep it), or `None`.
#[must_use]
pub fn load(endpoint: &str) -> Option<EndpointForm> {
    let text = local()?.get_item(&settings_slot(endpoint)).ok().flatten()?;
    let mut form: EndpointForm = serde_json::from_str(&text).ok()?;
    let store = match form.key_storage {
        KeyStorage::Memory => None,
        KeyStorage::Tab => session(),
        KeyStorage::Device => local(),
    };
    if let Some(key) = store.and_then(|s| s.get_item(&KeyStorage::slot(endpoint)).ok().flatten()) {
        form.api_key = gepa_providers::ApiKey::new(key);
    }
    Some(form)
}

/// Saves the form's settings (serde skips the key) and puts the key only where the user chose,
/// removing it from every other place.
pub fn save(endpoint: &str, form: &EndpointForm) {
    if let (Some(store), Ok(text)) = (local(), serde_json::to_string(form)) {
        let _ = store.set_item(&settings_slot(endpoint), &text);
    }
    let slot = KeyStorage::slot(endpoint);
    for (choice, store) in [(KeyStorage::Tab, session()), (KeyStorage::Device, local())] {
        let Some(store) = store else { continue };
        if form.key_storage == choice && !form.api_key.is_empty() {
            let _ = store.set_item(&slot, form.api_key.expose());
        } else {
            let _ = store.remove_item(&slot);
        }
    }
}
