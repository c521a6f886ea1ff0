//! `gepa-core`: the GEPA reflective prompt optimizer as a pure, sans-IO state machine.
//!
//! What this crate deliberately does **not** do: it performs no I/O (no HTTP, no DOM, no files),
//! never reads the clock (time arrives as an argument), never spawns threads, and draws
//! randomness only from a seeded RNG held in its state. It builds for `wasm32-unknown-unknown`.
//! The browser shell and the native CLI execute the requests it emits and feed back responses.

pub mod advice;
pub mod candidate;
pub mod config;
pub mod data;
pub mod engine;
pub mod events;
pub mod frontier;
pub mod merge;
pub mod message;
pub mod metric;
pub mod program;
pub mod reflect;
pub mod request;
pub mod rng;
pub mod sampler;
pub mod select;
pub mod template;

pub use candidate::Candidate;
pub use config::{
    MAX_DEFAULT_PIPELINE_DEPTH, MAX_PIPELINE_DEPTH, REFLECT_AHEAD_FROM_DEPTH, RunConfig,
};
pub use data::{Dataset, Example, Split};
pub use engine::{Command, Engine, RunSetup, Status};
pub use events::{Event, Steer, StopReason};
pub use message::{ChatMessage, Role};
pub use metric::{MetricSpec, Score};
pub use program::{Program, Step};
pub use request::{FailureKind, ModelRole, Purpose, Reply, Request, Usage};
pub use rng::Rng;

/// Version of the persisted run-state format written by this crate.
pub const STATE_FORMAT_VERSION: u32 = 2;
