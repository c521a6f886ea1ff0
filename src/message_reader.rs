//! Reads the engine worker's messages for the page's [`EngineLink`]. With a split build (`./dev
//! build`) the readers (most of them the optimiser's events) are a wasm chunk of their own,
//! fetched when the worker's first message arrives, after the first paint.

use std::rc::Rc;

use gepa_playground::worker::link::EngineLink;
use gepa_playground::worker::protocol::FromHost;

use crate::chunk::ChunkMissing;

/// Gives the page's link its reader.
pub fn install() {
    EngineLink::get().set_reader(Rc::new(|text| {
        Box::pin(async move {
            read(text).await.unwrap_or_else(|_| {
                Err("the part of the page that reads them could not be loaded".into())
            })
        })
    }));
}

#[leptos::wasm_split::wasm_split(message_reader, wasm_split_path = ::leptos::wasm_split, fallible)]
fn read(text: String) -> Result<Result<FromHost, String>, ChunkMissing> {
    Ok(serde_json::from_str(&text).map_err(|e| e.to_string()))
}
