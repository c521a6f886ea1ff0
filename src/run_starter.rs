//! Drives the page's runs for its [`RunController`]. With a split build (`./dev build`) the
//! driver (the calls to the endpoints, the engine mirror, the run's view) is a wasm chunk of its
//! own, fetched when the first run starts or a saved run is opened.

use gepa_playground::controller::{Launch, RunController};
use leptos::prelude::lazy;

/// Gives the page's runs their starter.
pub fn install() {
    RunController::set_starter(|controller, launch| Box::pin(start(controller, launch)));
}

#[lazy]
async fn start(controller: RunController, launch: Launch) {
    controller.drive(launch).await;
}

/// Fetches the starter's chunk in the background (the page calls this after its first paint), so
/// a Start does not wait for it, and works offline once the page has loaded.
pub fn preload() {
    leptos::task::spawn_local(__preload_start());
}
