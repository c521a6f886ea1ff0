//! Reads the engine worker's messages for the page's [`EngineLink`]. With a split build (`./dev
//! build`) the readers (most of them the optimiser's events) are a wasm chunk of their own,
//! fetched when the worker's first message arrives, after the first paint.

use std::rc::Rc;

use gepa_playground::worker::link::EngineLink;
use gepa_playground::worker::protocol::FromHost;
use leptos::prelude::lazy;

/// Gives the page's link its reader.
pub fn install() {
    EngineLink::get().set_reader(Rc::new(|text| Box::pin(read(text))));
}

#[lazy]
fn read(text: String) -> Result<FromHost, String> {
    serde_json::from_str(&text).map_err(|e| e.to_string())
}
