//! GEPA Playground: the browser shell around `gepa_core`.
//!
//! This crate holds the Leptos views, the reactive state, the browser transport, the run driver
//! and storage. Logic lives in plain functions and `impl` blocks that native tests can reach
//! (`state/`); view closures only read and dispatch.

pub mod components;
pub mod controller;
pub mod driver;
pub mod layout;
pub mod setup_context;
pub mod state;
pub mod storage;
pub mod transport;
pub mod worker;
