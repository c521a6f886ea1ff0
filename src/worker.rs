//! The engine worker: the optimiser (engines, metrics, the Rhai sandbox) runs in a Web Worker of
//! its own, loaded after the page's first paint, so the page downloads less up front and stays
//! responsive however heavy a metric is. `protocol` is what crosses, `host` answers it (plain
//! Rust, tested natively); `link` (page) and `entry` (worker) only move messages.

pub mod entry;
pub mod host;
pub mod link;
pub mod protocol;
