//! Prompt share links: `…/#prompt=v1.<payload>`, where the payload is the prompt as JSON,
//! deflated (raw) and base64url-encoded without padding. The fragment is never sent to a server.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gepa_core::{Candidate, MetricSpec, Program};
use serde::{Deserialize, Serialize};

/// The fragment key of a prompt link.
pub const FRAGMENT_KEY: &str = "prompt=";
/// The current link version.
pub const VERSION: &str = "v1";
/// Past this many characters a link may not survive chat apps (Discord's message limit).
pub const CHAT_SAFE_CHARS: usize = 2_000;
/// Past this many characters we offer a file instead of a link.
pub const MAX_LINK_CHARS: usize = 32_000;
/// Most bytes a payload may inflate to (a decompression bomb stops here).
pub const MAX_INFLATED_BYTES: usize = 512 * 1024;
/// Most characters in any one text field.
pub const MAX_FIELD_CHARS: usize = 50_000;
/// Most prompt components.
pub const MAX_COMPONENTS: usize = 32;
/// Most dataset rows a link may carry.
pub const MAX_SHARED_ROWS: usize = 200;

/// Scores shown with a shared prompt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SharedScores {
    /// The seed's mean validation score.
    #[serde(rename = "sv", default, skip_serializing_if = "Option::is_none")]
    pub seed_val: Option<f64>,
    /// The best candidate's mean validation score.
    #[serde(rename = "bv", default, skip_serializing_if = "Option::is_none")]
    pub best_val: Option<f64>,
    /// The seed's held-out test score.
    #[serde(rename = "st", default, skip_serializing_if = "Option::is_none")]
    pub seed_test: Option<f64>,
    /// The best candidate's held-out test score.
    #[serde(rename = "bt", default, skip_serializing_if = "Option::is_none")]
    pub best_test: Option<f64>,
}

/// A small dataset carried by a link so the receiver can re-run it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedData {
    /// Column names.
    #[serde(rename = "h")]
    pub columns: Vec<String>,
    /// Column roles (`input`, `expected`, `notes`, `ignore`).
    #[serde(rename = "r")]
    pub roles: Vec<String>,
    /// Rows.
    #[serde(rename = "d")]
    pub rows: Vec<Vec<String>>,
}

/// Everything a prompt link carries: allow-listed, no keys, no endpoint URLs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedPrompt {
    /// The optimised program's components.
    #[serde(rename = "c")]
    pub components: Candidate,
    /// How the components become messages (with the user template).
    #[serde(rename = "p")]
    pub program: Program,
    /// How outputs were scored.
    #[serde(rename = "m")]
    pub metric: MetricSpec,
    /// The provider kind (e.g. `openai_compatible`).
    #[serde(rename = "pk", default)]
    pub provider: String,
    /// The task model's name.
    #[serde(rename = "tm", default)]
    pub task_model: String,
    /// The reflection model's name.
    #[serde(rename = "rm", default)]
    pub reflection_model: String,
    /// Seed vs best scores.
    #[serde(rename = "s", default)]
    pub scores: SharedScores,
    /// An optional small dataset.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub data: Option<SharedData>,
}

/// Why a link cannot be opened, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// No `#prompt=` in the URL.
    NotALink,
    /// A version this build does not know.
    UnknownVersion(String),
    /// Not valid base64url (often: cut off while copying).
    BadEncoding,
    /// The compressed data is damaged or truncated.
    BadCompression,
    /// It inflates past the limit.
    TooLarge,
    /// Valid compression, but not a shared prompt.
    BadContent(String),
    /// A field breaks a limit.
    Limit(String),
    /// Too long to share as a link; use a file.
    TooLongForLink(usize),
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::NotALink => f.write_str("This address holds no shared prompt (it needs #prompt=… at the end)."),
            LinkError::UnknownVersion(v) => write!(f, "This link was made by a different version of GEPA Playground (format \"{v}\"); open it with the version that made it, or ask for a new link."),
            LinkError::BadEncoding => f.write_str("The link is damaged: it is not valid base64url. It was probably cut off or altered while being copied; copy the whole link again."),
            LinkError::BadCompression => f.write_str("The link is damaged: its compressed data is incomplete. It was probably cut off while being copied; copy the whole link again."),
            LinkError::TooLarge => write!(f, "The link unpacks to more than {} KB, which no shared prompt needs; it was refused.", MAX_INFLATED_BYTES / 1024),
            LinkError::BadContent(e) => write!(f, "The link's contents are not a shared prompt: {e}."),
            LinkError::Limit(e) => write!(f, "The shared prompt is refused: {e}."),
            LinkError::TooLongForLink(n) => write!(f, "The link would be {n} characters, too long to share safely; download it as a file instead (or leave the dataset out)."),
        }
    }
}

impl std::error::Error for LinkError {}

impl SharedPrompt {
    /// The provider as people name it ("OpenAI-compatible", "Anthropic"), not its wire id.
    #[must_use]
    pub fn provider_label(&self) -> String {
        match self.provider.as_str() {
            "open_ai_compatible" | "openai_compatible" => "OpenAI-compatible API".to_owned(),
            "anthropic" => "Anthropic API".to_owned(),
            "" => "an unnamed provider".to_owned(),
            other => other.replace('_', " "),
        }
    }

    /// A shared prompt built from a run's parts. Only model names and the provider kind are
    /// taken from the endpoints: never a key, a base URL or its query string.
    #[must_use]
    pub fn from_run(
        components: Candidate,
        program: Program,
        metric: MetricSpec,
        endpoints: &gepa_providers::Endpoints,
        scores: SharedScores,
    ) -> SharedPrompt {
        let kind = serde_json::to_value(endpoints.task.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        SharedPrompt {
            components,
            program,
            metric,
            provider: kind,
            task_model: endpoints.task.model.clone(),
            reflection_model: endpoints.reflection.model.clone(),
            scores,
            data: None,
        }
    }

    /// Checks every limit.
    ///
    /// # Errors
    /// The first limit broken.
    pub fn validate(&self) -> Result<(), LinkError> {
        let limit = |e: String| Err(LinkError::Limit(e));
        if self.components.is_empty() {
            return limit("it has no prompt components".into());
        }
        if self.components.len() > MAX_COMPONENTS {
            return limit(format!("more than {MAX_COMPONENTS} components"));
        }
        let too_long = |s: &str| s.chars().count() > MAX_FIELD_CHARS;
        for (name, text) in self.components.iter() {
            if too_long(name) || too_long(text) {
                return limit(format!(
                    "component '{}' is longer than {MAX_FIELD_CHARS} characters",
                    name.chars().take(40).collect::<String>()
                ));
            }
        }
        for s in [&self.provider, &self.task_model, &self.reflection_model] {
            if s.chars().count() > 200 {
                return limit("a model or provider name is longer than 200 characters".into());
            }
        }
        if let Some(data) = &self.data {
            if data.rows.len() > MAX_SHARED_ROWS {
                return limit(format!("the dataset has more than {MAX_SHARED_ROWS} rows"));
            }
            if data.roles.len() != data.columns.len()
                || data.rows.iter().any(|r| r.len() != data.columns.len())
            {
                return limit("the dataset's rows, columns and roles do not line up".into());
            }
            if data.columns.iter().chain(data.rows.iter().flatten()).any(|s| too_long(s)) {
                return limit(format!(
                    "a dataset field is longer than {MAX_FIELD_CHARS} characters"
                ));
            }
        }
        self.program.validate(&self.components).map_err(|e| {
            LinkError::Limit(format!("the program does not fit its components: {e}"))
        })?;
        // A script that does not compile is shown where it is loaded (the metric picker).
        self.metric
            .validate_shape()
            .map_err(|e| LinkError::Limit(format!("the metric is invalid: {e}")))?;
        Ok(())
    }

    /// The payload after `#prompt=`: `v1.` + base64url(deflate(JSON)).
    ///
    /// # Errors
    /// When a limit is broken or the link would be too long.
    pub fn encode(&self) -> Result<String, LinkError> {
        self.validate()?;
        let json = serde_json::to_vec(self).map_err(|e| LinkError::BadContent(e.to_string()))?;
        let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
        let payload = format!("{VERSION}.{}", URL_SAFE_NO_PAD.encode(packed));
        if payload.len() + FRAGMENT_KEY.len() + 1 > MAX_LINK_CHARS {
            return Err(LinkError::TooLongForLink(payload.len()));
        }
        Ok(payload)
    }

    /// A whole link: `page` (without any fragment) + `#prompt=` + the payload.
    ///
    /// # Errors
    /// As [`SharedPrompt::encode`].
    pub fn link(&self, page: &str) -> Result<String, LinkError> {
        let page = page.split('#').next().unwrap_or(page);
        Ok(format!("{page}#{FRAGMENT_KEY}{}", self.encode()?))
    }

    /// Decodes a payload, a fragment (`#prompt=…`) or a whole URL.
    ///
    /// # Errors
    /// Every way the input can be broken, each with its own message.
    pub fn decode(input: &str) -> Result<SharedPrompt, LinkError> {
        let input = input.trim();
        let payload = match input.find(FRAGMENT_KEY) {
            Some(at) => &input[at + FRAGMENT_KEY.len()..],
            None if input.contains('.') && !input.contains('#') && !input.contains("://") => input,
            None => return Err(LinkError::NotALink),
        };
        let payload = payload.split('&').next().unwrap_or(payload);
        let (version, body) = payload.split_once('.').ok_or(LinkError::NotALink)?;
        if version != VERSION {
            return Err(LinkError::UnknownVersion(version.chars().take(16).collect()));
        }
        if body.len() > MAX_LINK_CHARS * 2 {
            return Err(LinkError::TooLarge);
        }
        let packed = URL_SAFE_NO_PAD
            .decode(body.trim_end_matches('='))
            .map_err(|_| LinkError::BadEncoding)?;
        let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_INFLATED_BYTES)
            .map_err(|e| match e.status {
                miniz_oxide::inflate::TINFLStatus::HasMoreOutput => LinkError::TooLarge,
                _ => LinkError::BadCompression,
            })?;
        let prompt: SharedPrompt =
            serde_json::from_slice(&json).map_err(|e| LinkError::BadContent(e.to_string()))?;
        prompt.validate()?;
        Ok(prompt)
    }

    /// How risky the link's length is, for the share dialog.
    #[must_use]
    pub fn length_advice(chars: usize) -> Option<&'static str> {
        if chars > MAX_LINK_CHARS {
            Some("Too long for a link: download the prompt as a file instead.")
        } else if chars > CHAT_SAFE_CHARS {
            Some(
                "Longer than 2,000 characters: chat apps such as Discord may cut it off; email, documents and most browsers are fine.",
            )
        } else {
            None
        }
    }
}
