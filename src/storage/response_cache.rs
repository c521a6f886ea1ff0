//! The response cache: in memory (shared with the native transport's logic in
//! `gepa_providers::cache`) and persisted in IndexedDB, so a reload or a repeated run does not
//! pay for the same call twice. Keys are SHA-256 digests of the call without the API key; values
//! are the reply text and token counts, never the key.

use std::cell::RefCell;
use std::rc::Rc;

use gepa_core::ChatMessage;
use gepa_providers::EndpointConfig;
use gepa_providers::cache::{CachedReply, ResponseCache, cache_key};
use gepa_providers::wire::{Completion, FinishReason};

use super::idb::Idb;

const DB: &str = "gepa-playground-cache";
const STORE: &str = "responses";

/// Memory + IndexedDB response cache. Clones share the same cache.
#[derive(Debug, Clone, Default)]
pub struct BrowserCache {
    memory: Rc<RefCell<ResponseCache>>,
    db: Rc<RefCell<Option<Idb>>>,
}

impl BrowserCache {
    /// A cache backed by IndexedDB when the browser allows it (otherwise memory only).
    pub async fn open() -> BrowserCache {
        let cache = BrowserCache::default();
        if let Ok(db) = Idb::open(DB, 1, &[STORE]).await {
            *cache.db.borrow_mut() = Some(db);
        }
        cache
    }

    /// Turns reading and writing on or off (the "bypass cache" switch).
    pub fn set_enabled(&self, enabled: bool) {
        self.memory.borrow_mut().enabled = enabled;
    }

    /// True when the cache is used.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.memory.borrow().enabled
    }

    /// True when entries survive a reload.
    #[must_use]
    pub fn persistent(&self) -> bool {
        self.db.borrow().is_some()
    }

    /// The key for a call.
    #[must_use]
    pub fn key(config: &EndpointConfig, messages: &[ChatMessage]) -> String {
        cache_key(config, messages)
    }

    /// A cached completion: memory first, then IndexedDB.
    pub async fn get(&self, key: &str) -> Option<Completion> {
        if !self.enabled() {
            return None;
        }
        if let Some(hit) = self.memory.borrow().get(key) {
            return Some(hit);
        }
        let db = self.db.borrow().clone()?;
        let text = db.get(STORE, key).await.ok().flatten()?;
        let stored: CachedReply = serde_json::from_str(&text).ok()?;
        let completion =
            Completion { text: stored.text, finish: FinishReason::Stop, usage: stored.usage };
        self.memory.borrow_mut().put(key.to_owned(), &completion);
        Some(completion)
    }

    /// Stores a complete reply (truncated and filtered replies are refused by the memory cache
    /// and so never persisted).
    pub async fn put(&self, key: String, completion: &Completion) {
        if !self.memory.borrow_mut().put(key.clone(), completion) {
            return;
        }
        let db = self.db.borrow().clone();
        if let Some(db) = db {
            let usage = gepa_core::Usage { cost_usd: None, ..completion.usage };
            let stored = CachedReply { text: completion.text.clone(), usage };
            if let Ok(json) = serde_json::to_string(&stored) {
                let _ = db.put(STORE, &key, &json).await;
            }
        }
    }

    /// Empties memory and IndexedDB.
    pub async fn clear(&self) {
        self.memory.borrow_mut().clear();
        let db = self.db.borrow().clone();
        if let Some(db) = db {
            let _ = db.clear(STORE).await;
        }
    }
}
