//! Browser storage: IndexedDB (the response cache; saved runs later) and the opt-in key storage.

pub mod idb;
pub mod keys;
pub mod response_cache;
