//! The engine worker's entry point (a Web Worker started by the page): see `worker::entry`.

fn main() {
    console_error_panic_hook::set_once();
    gepa_playground::worker::entry::serve();
}
