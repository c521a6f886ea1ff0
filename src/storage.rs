//! Browser storage: IndexedDB (the response cache and saved runs), files in and out, and the
//! opt-in key storage.

pub mod files;
pub mod idb;
pub mod keys;
pub mod response_cache;
pub mod runs;
pub mod setup_form;
