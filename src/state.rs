//! View-model state: plain types with the logic, reachable by native tests.

pub mod endpoint_form;
