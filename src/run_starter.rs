//! Drives the page's runs for its [`RunController`]. With a split build (`./dev build`) the
//! driver (the calls to the endpoints, the engine mirror, the run's view) is a wasm chunk of its
//! own, fetched in the background after the first paint.

use std::future::Future;
use std::pin::Pin;

use gepa_playground::controller::{Launch, RunController};

use crate::chunk::ChunkMissing;

/// Gives the page's runs their starter.
pub fn install() {
    RunController::set_starter(|controller, launch| {
        Box::pin(async move {
            match start(controller, launch).await {
                Ok(run) => {
                    run.await;
                    Ok(())
                }
                Err(missing) => Err(missing.message("The run driver")),
            }
        })
    });
}

/// Fetches the starter's chunk in the background (the page calls this after its first paint), so
/// a Start does not wait for it, and works offline once the page has loaded. A failed fetch is
/// tried again by the first Start.
pub fn preload() {
    leptos::task::spawn_local(async {
        let _ = preload_start().await;
    });
}

#[leptos::wasm_split::wasm_split(
    run_starter,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(preload_start)
)]
fn start(
    controller: RunController,
    launch: Launch,
) -> Result<Pin<Box<dyn Future<Output = ()>>>, ChunkMissing> {
    Ok(Box::pin(controller.drive(launch)))
}
