//! GEPA Playground: the browser shell around `gepa_core`.
//!
//! This crate holds the Leptos views, the reactive state and (in later milestones) the browser
//! transport and storage. Logic lives in plain functions and `impl` blocks that native tests can
//! reach; view closures only read and dispatch.

mod app;
pub mod components;
pub mod layout;
pub mod state;
pub mod transport;

pub use app::App;
