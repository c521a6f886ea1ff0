//! A response cache keyed by (provider, base URL, model, messages, parameters).
//!
//! Only complete replies are stored: errors never reach it and truncated replies are refused,
//! so a transient failure is never replayed. The API key is not part of the key and is never
//! stored. The browser persists it in IndexedDB, the CLI in a file (see `native`).

use std::collections::BTreeMap;

use gepa_core::{ChatMessage, Usage};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::endpoint::EndpointConfig;
use crate::wire::{Completion, FinishReason};

/// A stored reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedReply {
    /// The text.
    pub text: String,
    /// Token usage of the original call.
    pub usage: Usage,
}

/// In-memory cache with a size cap; serialisable for persistence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseCache {
    entries: BTreeMap<String, CachedReply>,
    /// Insertion order, oldest first, for eviction.
    order: Vec<String>,
    /// Most entries kept.
    pub capacity: usize,
    /// When false, nothing is read or written (the "bypass cache" switch).
    pub enabled: bool,
}

impl Default for ResponseCache {
    fn default() -> Self {
        ResponseCache {
            entries: BTreeMap::new(),
            order: Vec::new(),
            capacity: 20_000,
            enabled: true,
        }
    }
}

/// The cache key of a call: a SHA-256 over the provider kind, base URL, model, parameters and
/// messages (the key and any credentials excluded).
#[must_use]
pub fn cache_key(config: &EndpointConfig, messages: &[ChatMessage]) -> String {
    let material = serde_json::json!({
        "kind": config.kind,
        "base": config.base(),
        "model": config.model,
        "params": config.params,
        "messages": messages,
    });
    let digest = Sha256::digest(material.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a reply may be cached: only complete ones (never cut off by the token limit, never
/// filtered), so a replay is always the whole answer.
#[must_use]
pub fn storable(completion: &Completion) -> bool {
    !completion.truncated() && completion.finish != FinishReason::ContentFilter
}

impl ResponseCache {
    /// A cached reply for `key`, if enabled and present.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Completion> {
        if !self.enabled {
            return None;
        }
        self.entries.get(key).map(|hit| Completion {
            text: hit.text.clone(),
            finish: FinishReason::Stop,
            usage: hit.usage,
        })
    }

    /// Stores a complete reply; truncated replies are refused. Returns whether it was stored.
    pub fn put(&mut self, key: String, completion: &Completion) -> bool {
        if !self.enabled || !storable(completion) {
            return false;
        }
        let usage = Usage { cost_usd: None, ..completion.usage };
        if self
            .entries
            .insert(key.clone(), CachedReply { text: completion.text.clone(), usage })
            .is_none()
        {
            self.order.push(key);
        }
        while self.order.len() > self.capacity {
            let oldest = self.order.remove(0);
            self.entries.remove(&oldest);
        }
        true
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preset::Preset;

    fn completion(text: &str, finish: FinishReason) -> Completion {
        Completion {
            text: text.into(),
            finish,
            usage: Usage { input_tokens: 3, output_tokens: 1, cost_usd: Some(0.1) },
        }
    }

    #[test]
    fn key_depends_on_everything_but_the_api_key() {
        let mut config = EndpointConfig::from_preset(Preset::OpenAi, "gpt-4o-mini");
        let messages = [ChatMessage::user("hi")];
        let base = cache_key(&config, &messages);
        config.api_key = "sk-other-key".into();
        assert_eq!(cache_key(&config, &messages), base, "the key is not part of the cache key");
        config.params.temperature = Some(0.5);
        assert_ne!(cache_key(&config, &messages), base);
        let other_model = EndpointConfig::from_preset(Preset::OpenAi, "gpt-4o");
        assert_ne!(cache_key(&other_model, &messages), base);
        let mut other_server = EndpointConfig::from_preset(Preset::Custom, "gpt-4o-mini");
        other_server.base_url = "http://localhost:9/v1".into();
        assert_ne!(cache_key(&other_server, &messages), base);
        assert_ne!(
            cache_key(
                &EndpointConfig::from_preset(Preset::OpenAi, "gpt-4o-mini"),
                &[ChatMessage::user("ho")]
            ),
            base
        );
    }

    #[test]
    fn only_complete_replies_are_stored_and_bypass_disables_it() {
        let mut cache = ResponseCache::default();
        assert!(!cache.put("a".into(), &completion("The ans", FinishReason::Length)));
        assert!(!cache.put("b".into(), &completion("", FinishReason::ContentFilter)));
        assert!(cache.put("c".into(), &completion("4", FinishReason::Stop)));
        assert_eq!(cache.get("c").unwrap().text, "4");
        assert_eq!(cache.get("a"), None);
        cache.enabled = false;
        assert_eq!(cache.get("c"), None);
        assert!(!cache.put("d".into(), &completion("5", FinishReason::Stop)));
    }

    #[test]
    fn capacity_evicts_the_oldest_and_state_round_trips() {
        let mut cache = ResponseCache { capacity: 2, ..ResponseCache::default() };
        for k in ["a", "b", "c"] {
            cache.put(k.into(), &completion(k, FinishReason::Stop));
        }
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get("a"), None);
        let back: ResponseCache =
            serde_json::from_str(&serde_json::to_string(&cache).unwrap()).unwrap();
        assert_eq!(back.get("c").unwrap().text, "c");
    }
}
