//! Presets for the endpoints users paste most, with what each needs and how to fix CORS.

use serde::{Deserialize, Serialize};

use crate::endpoint::ProviderKind;

/// A known provider or local server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// api.openai.com
    OpenAi,
    /// openrouter.ai
    OpenRouter,
    /// api.groq.com
    Groq,
    /// api.together.xyz
    Together,
    /// api.mistral.ai (strict CORS header allow-list)
    Mistral,
    /// Google Gemini's OpenAI-compatible endpoint (may be blocked by CORS)
    Gemini,
    /// api.anthropic.com (Messages API)
    Anthropic,
    /// A local Ollama server
    Ollama,
    /// A local LM Studio server
    LmStudio,
    /// A vLLM server
    Vllm,
    /// llama.cpp's llama-server
    LlamaCpp,
    /// Any other OpenAI-compatible endpoint
    Custom,
}

impl Preset {
    /// Every preset, in menu order.
    pub const ALL: [Preset; 12] = [
        Preset::OpenAi,
        Preset::Anthropic,
        Preset::OpenRouter,
        Preset::Groq,
        Preset::Together,
        Preset::Mistral,
        Preset::Gemini,
        Preset::Ollama,
        Preset::LmStudio,
        Preset::Vllm,
        Preset::LlamaCpp,
        Preset::Custom,
    ];

    /// Stable identifier (the serialised name), e.g. `llama_cpp`.
    #[must_use]
    pub fn id(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The preset with identifier `id`.
    #[must_use]
    pub fn from_id(id: &str) -> Option<Preset> {
        serde_json::from_value(serde_json::Value::String(id.to_owned())).ok()
    }

    /// Display name.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Preset::OpenAi => "OpenAI",
            Preset::OpenRouter => "OpenRouter",
            Preset::Groq => "Groq",
            Preset::Together => "Together AI",
            Preset::Mistral => "Mistral",
            Preset::Gemini => "Google Gemini (OpenAI-compatible)",
            Preset::Anthropic => "Anthropic",
            Preset::Ollama => "Ollama",
            Preset::LmStudio => "LM Studio",
            Preset::Vllm => "vLLM",
            Preset::LlamaCpp => "llama.cpp server",
            Preset::Custom => "Custom (OpenAI-compatible)",
        }
    }

    /// Protocol.
    #[must_use]
    pub fn kind(self) -> ProviderKind {
        if self == Preset::Anthropic {
            ProviderKind::Anthropic
        } else {
            ProviderKind::OpenAiCompatible
        }
    }

    /// The usual base URL.
    #[must_use]
    pub fn default_base_url(self) -> &'static str {
        match self {
            Preset::OpenAi => "https://api.openai.com/v1",
            Preset::OpenRouter => "https://openrouter.ai/api/v1",
            Preset::Groq => "https://api.groq.com/openai/v1",
            Preset::Together => "https://api.together.xyz/v1",
            Preset::Mistral => "https://api.mistral.ai/v1",
            Preset::Gemini => "https://generativelanguage.googleapis.com/v1beta/openai",
            Preset::Anthropic => "https://api.anthropic.com/v1",
            Preset::Ollama => "http://localhost:11434/v1",
            Preset::LmStudio => "http://localhost:1234/v1",
            Preset::Vllm => "http://localhost:8000/v1",
            Preset::LlamaCpp => "http://localhost:8080/v1",
            Preset::Custom => "",
        }
    }

    /// True for hosted providers that reject requests without a key.
    #[must_use]
    pub fn needs_key(self) -> bool {
        !matches!(
            self,
            Preset::Ollama | Preset::LmStudio | Preset::Vllm | Preset::LlamaCpp | Preset::Custom
        )
    }

    /// A caution shown next to the preset, if any.
    #[must_use]
    pub fn warning(self) -> Option<&'static str> {
        match self {
            Preset::Gemini => Some(
                "Google's OpenAI-compatible endpoint has been reported to block browser requests (CORS). \
                 If \"Test connection\" reports CORS, call it through a proxy you run.",
            ),
            Preset::Mistral => Some(
                "Mistral's CORS policy accepts only the Authorization and Content-Type headers; the playground sends nothing else.",
            ),
            _ => None,
        }
    }

    /// How to let a browser page call this server when CORS blocks it.
    #[must_use]
    pub fn cors_fix(self) -> &'static str {
        match self {
            Preset::Ollama => {
                "Start Ollama with the page's origin allowed: OLLAMA_ORIGINS=<this page's origin> ollama serve (or OLLAMA_ORIGINS=* on a machine only you use)."
            }
            Preset::LmStudio => {
                "In LM Studio, open Developer → Server Settings and turn on \"Enable CORS\" (or run: lms server start --cors)."
            }
            Preset::Vllm => {
                "Start vLLM with --allowed-origins '[\"<this page's origin>\"]' (its default allows every origin, so check a proxy in between)."
            }
            Preset::LlamaCpp => {
                "Start llama-server with --cors-origins <this page's origin> --cors-headers 'Authorization,Content-Type'."
            }
            Preset::Gemini => {
                "Google's OpenAI-compatible endpoint does not allow browser calls; use a proxy you run, or another provider."
            }
            _ => {
                "This endpoint does not allow calls from a web page (CORS). Use a proxy you run that adds Access-Control-Allow-Origin, or another endpoint."
            }
        }
    }
}
