//! `gepa-datasets`: turning what a user pastes or uploads into examples.
//!
//! Pure and I/O-free: text in, a [`Table`] (with per-line problems) out, then column roles, then
//! seeded train / validation / test splits of `gepa_core::Example`s. Every parser is bounded by
//! [`Limits`] so a huge paste gets a clear error instead of a frozen tab, and none of them panics
//! on any input (property-tested).

pub mod example_task;
pub mod import;
pub mod limits;
pub mod roles;
pub mod split;

pub use import::{Format, ImportError, RowProblem, Table, parse, sniff};
pub use limits::Limits;
pub use roles::{Role, guess_roles};
pub use split::{SplitPlan, SplitResult, split};
