//! One configured endpoint: provider kind, base URL, key, model and sampling parameters.

use serde::{Deserialize, Serialize};

use crate::key::ApiKey;
use crate::preset::Preset;

/// The wire protocol an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// `POST {base}/chat/completions` with a Bearer key (OpenAI and the many compatible servers).
    OpenAiCompatible,
    /// Anthropic's Messages API: `POST {base}/messages` with `x-api-key`.
    Anthropic,
}

/// Sampling and length parameters. Unset values are not sent, so the server's defaults apply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelParams {
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Maximum tokens to generate.
    pub max_tokens: Option<u32>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Sampling seed (OpenAI-compatible servers that support it).
    pub seed: Option<u64>,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// Free-form JSON object merged into the request body last (e.g. `{"cache_prompt": false}`).
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ModelParams {
    /// True when the model answers greedily (temperature 0): the same request gives the same
    /// reply, so a run may reuse earlier results instead of paying for them again.
    #[must_use]
    pub fn greedy(&self) -> bool {
        self.temperature == Some(0.0)
    }
}

/// Everything needed to call one model. The API key is never serialised: settings, exports,
/// share links and logs built from this type cannot contain it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointConfig {
    /// Which preset filled this in (for display and fix-it hints).
    pub preset: Preset,
    /// Protocol.
    pub kind: ProviderKind,
    /// Base URL, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// The model name as the provider knows it.
    pub model: String,
    /// Parameters.
    #[serde(default)]
    pub params: ModelParams,
    /// How long one attempt may take before it counts as timed out (and is retried like any
    /// transient failure), in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// The API key; empty for local servers. Skipped by serde on purpose (and [`ApiKey`] has no
    /// serde support at all).
    #[serde(skip)]
    pub api_key: ApiKey,
}

/// The default per-attempt timeout: two minutes, enough for a slow local model's long reply.
pub const DEFAULT_TIMEOUT_MS: u64 = 120_000;

fn default_timeout_ms() -> u64 {
    DEFAULT_TIMEOUT_MS
}

impl EndpointConfig {
    /// A config from a preset with its default base URL.
    pub fn from_preset(preset: Preset, model: impl Into<String>) -> Self {
        EndpointConfig {
            preset,
            kind: preset.kind(),
            base_url: preset.default_base_url().to_owned(),
            model: model.into(),
            params: ModelParams::default(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            api_key: ApiKey::default(),
        }
    }

    /// Checks the fields a request needs.
    ///
    /// # Errors
    /// What is missing or malformed, phrased as what to do.
    pub fn validate(&self) -> Result<(), String> {
        let url = self.base_url.trim();
        if url.is_empty() {
            return Err("enter the endpoint's base URL".into());
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "the base URL must start with http:// or https:// (got \"{url}\")"
            ));
        }
        if url_has_credentials(url) {
            return Err("remove the user name or password from the base URL; put the key in the API key field".into());
        }
        if self.model.trim().is_empty() {
            return Err("enter a model name".into());
        }
        if self.preset.needs_key() && self.api_key.is_empty() {
            return Err(format!("{} needs an API key", self.preset.label()));
        }
        if let Some(t) = self.params.temperature.filter(|t| !(0.0..=2.0).contains(t)) {
            return Err(format!("temperature must be between 0 and 2 (got {t})"));
        }
        if let Some(p) = self.params.top_p.filter(|p| !(0.0..=1.0).contains(p)) {
            return Err(format!("top_p must be between 0 and 1 (got {p})"));
        }
        if self.timeout_ms < 1_000 {
            return Err(format!(
                "the timeout must be at least 1 second (got {} ms)",
                self.timeout_ms
            ));
        }
        Ok(())
    }

    /// The base URL without a trailing slash.
    #[must_use]
    pub fn base(&self) -> &str {
        self.base_url.trim().trim_end_matches('/')
    }
}

fn url_has_credentials(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_never_serialised() {
        let mut config = EndpointConfig::from_preset(Preset::OpenAi, "gpt-4.1-mini");
        config.api_key = "sk-secret-123".into();
        let json = serde_json::to_string(&config).unwrap();
        assert!(!json.contains("sk-secret-123"), "{json}");
        let back: EndpointConfig = serde_json::from_str(&json).unwrap();
        assert!(back.api_key.is_empty());
        assert_eq!(
            back.timeout_ms, DEFAULT_TIMEOUT_MS,
            "older files without a timeout get the default"
        );
    }

    #[test]
    fn validation_explains_what_to_fix() {
        let mut config = EndpointConfig::from_preset(Preset::OpenAi, "");
        assert!(config.validate().unwrap_err().contains("model"));
        config.model = "m".into();
        assert!(config.validate().unwrap_err().contains("needs an API key"));
        config.api_key = "k".into();
        assert!(config.validate().is_ok());
        config.base_url = "https://user:pw@example.com/v1".into();
        assert!(config.validate().unwrap_err().contains("user name or password"));
        config.base_url = "example.com".into();
        assert!(config.validate().unwrap_err().contains("http://"));
        let local = EndpointConfig::from_preset(Preset::LlamaCpp, "smollm2");
        assert!(local.validate().is_ok(), "local servers need no key");
    }
}
