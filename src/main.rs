//! Browser entry point: installs the panic hook, the reader of the worker's messages and the
//! runs' starter, and mounts the app. The page's root view, the reader and the starter live in
//! this binary, not the library, because their split points are exported functions: in
//! the library they would be linked into the engine worker too, with everything they reach.

mod app;
mod chunk;
mod message_reader;
mod run_starter;

fn main() {
    console_error_panic_hook::set_once();
    message_reader::install();
    run_starter::install();
    leptos::mount::mount_to_body(app::App);
}
