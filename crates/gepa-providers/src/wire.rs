//! Request bodies and reply parsing for the two protocols.

use gepa_core::metric::text::clip;
use gepa_core::{ChatMessage, Role, Usage};
use serde_json::{Map, Value, json};

use crate::endpoint::{EndpointConfig, ProviderKind};
use crate::error::ProviderError;
use crate::http::{HttpRequest, HttpResponse};

/// Anthropic requires `max_tokens`; this is used when the user left it unset.
pub const ANTHROPIC_DEFAULT_MAX_TOKENS: u32 = 1024;
const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Why generation stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    /// The model finished its answer.
    Stop,
    /// The token limit cut the answer off.
    Length,
    /// A content filter stopped it.
    ContentFilter,
    /// Anything else the provider reported (or nothing).
    Other(String),
}

/// A successful reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The generated text.
    pub text: String,
    /// Why it stopped.
    pub finish: FinishReason,
    /// Token counts (cost is filled in from the price table by the caller).
    pub usage: Usage,
}

impl Completion {
    /// True when the token limit cut the reply off.
    #[must_use]
    pub fn truncated(&self) -> bool {
        self.finish == FinishReason::Length
    }
}

/// Builds the HTTP request for one chat call. Sends only the headers the provider needs
/// (extra headers are the commonest cause of failed CORS preflights).
#[must_use]
pub fn build_request(config: &EndpointConfig, messages: &[ChatMessage]) -> HttpRequest {
    match config.kind {
        ProviderKind::OpenAiCompatible => openai_request(config, messages),
        ProviderKind::Anthropic => anthropic_request(config, messages),
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

fn merge_extra(body: &mut Map<String, Value>, config: &EndpointConfig) {
    if let Some(extra) = &config.params.extra {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
}

fn openai_request(config: &EndpointConfig, messages: &[ChatMessage]) -> HttpRequest {
    let p = &config.params;
    let mut body = Map::new();
    body.insert("model".into(), json!(config.model));
    body.insert(
        "messages".into(),
        Value::Array(
            messages
                .iter()
                .map(|m| json!({"role": role_name(m.role), "content": m.content}))
                .collect(),
        ),
    );
    if let Some(t) = p.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(n) = p.max_tokens {
        body.insert("max_tokens".into(), json!(n));
    }
    if let Some(v) = p.top_p {
        body.insert("top_p".into(), json!(v));
    }
    if let Some(s) = p.seed {
        body.insert("seed".into(), json!(s));
    }
    if !p.stop.is_empty() {
        body.insert("stop".into(), json!(p.stop));
    }
    merge_extra(&mut body, config);
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    if !config.api_key.is_empty() {
        headers.push(("Authorization".to_owned(), format!("Bearer {}", config.api_key.expose())));
    }
    HttpRequest {
        url: format!("{}/chat/completions", config.base()),
        headers,
        body: Value::Object(body).to_string(),
    }
}

fn anthropic_request(config: &EndpointConfig, messages: &[ChatMessage]) -> HttpRequest {
    let p = &config.params;
    let system: Vec<&str> =
        messages.iter().filter(|m| m.role == Role::System).map(|m| m.content.as_str()).collect();
    let turns: Vec<Value> = messages
        .iter()
        .filter(|m| m.role != Role::System)
        .map(|m| json!({"role": role_name(m.role), "content": m.content}))
        .collect();
    let mut body = Map::new();
    body.insert("model".into(), json!(config.model));
    body.insert("max_tokens".into(), json!(p.max_tokens.unwrap_or(ANTHROPIC_DEFAULT_MAX_TOKENS)));
    if !system.is_empty() {
        body.insert("system".into(), json!(system.join("\n\n")));
    }
    body.insert("messages".into(), Value::Array(turns));
    if let Some(t) = p.temperature {
        body.insert("temperature".into(), json!(t.min(1.0)));
    }
    if let Some(v) = p.top_p {
        body.insert("top_p".into(), json!(v));
    }
    if !p.stop.is_empty() {
        body.insert("stop_sequences".into(), json!(p.stop));
    }
    merge_extra(&mut body, config);
    let headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("x-api-key".to_owned(), config.api_key.expose().to_owned()),
        ("anthropic-version".to_owned(), ANTHROPIC_VERSION.to_owned()),
        ("anthropic-dangerous-direct-browser-access".to_owned(), "true".to_owned()),
    ];
    HttpRequest {
        url: format!("{}/messages", config.base()),
        headers,
        body: Value::Object(body).to_string(),
    }
}

/// Parses a reply: a completion for 2xx with a well-formed body, else a classified error.
///
/// # Errors
/// A [`ProviderError`] saying what went wrong and whether retrying can help.
pub fn parse_response(
    kind: ProviderKind,
    response: &HttpResponse,
) -> Result<Completion, ProviderError> {
    if !(200..300).contains(&response.status) {
        return Err(ProviderError::from_status(response));
    }
    let value: Value = serde_json::from_str(&response.body).map_err(|e| {
        ProviderError::malformed(format!(
            "the reply is not JSON ({e}): {}",
            clip(&response.body, 160)
        ))
    })?;
    match kind {
        ProviderKind::OpenAiCompatible => parse_openai(&value),
        ProviderKind::Anthropic => parse_anthropic(&value),
    }
}

fn parse_openai(value: &Value) -> Result<Completion, ProviderError> {
    if let Some(message) = value.pointer("/error/message").and_then(Value::as_str) {
        return Err(ProviderError::malformed(format!(
            "the endpoint answered 200 with an error: {message}"
        )));
    }
    let choice = value.pointer("/choices/0").ok_or_else(|| {
        ProviderError::malformed(format!(
            "no choices in the reply: {}",
            clip(&value.to_string(), 160)
        ))
    })?;
    let content = choice.pointer("/message/content");
    let text = match content {
        Some(Value::String(s)) => s.clone(),
        // Some servers return content as an array of typed parts.
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        Some(Value::Null) | None => String::new(),
        Some(other) => {
            return Err(ProviderError::malformed(format!("unexpected message content: {other}")));
        }
    };
    let finish = match choice.get("finish_reason").and_then(Value::as_str) {
        Some("stop" | "eos" | "end_turn") => FinishReason::Stop,
        Some("length" | "max_tokens") => FinishReason::Length,
        Some("content_filter") => FinishReason::ContentFilter,
        Some(other) => FinishReason::Other(other.to_owned()),
        None => FinishReason::Other(String::new()),
    };
    let usage = Usage {
        input_tokens: value.pointer("/usage/prompt_tokens").and_then(Value::as_u64).unwrap_or(0),
        output_tokens: value
            .pointer("/usage/completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        cost_usd: None,
    };
    Ok(Completion { text, finish, usage })
}

fn parse_anthropic(value: &Value) -> Result<Completion, ProviderError> {
    if value.get("type").and_then(Value::as_str) == Some("error") {
        let message =
            value.pointer("/error/message").and_then(Value::as_str).unwrap_or("unknown error");
        return Err(ProviderError::malformed(format!(
            "the endpoint answered 200 with an error: {message}"
        )));
    }
    let parts = value.get("content").and_then(Value::as_array).ok_or_else(|| {
        ProviderError::malformed(format!(
            "no content in the reply: {}",
            clip(&value.to_string(), 160)
        ))
    })?;
    let text = parts
        .iter()
        .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("");
    let finish = match value.get("stop_reason").and_then(Value::as_str) {
        Some("end_turn" | "stop_sequence") => FinishReason::Stop,
        Some("max_tokens") => FinishReason::Length,
        Some("refusal") => FinishReason::ContentFilter,
        Some(other) => FinishReason::Other(other.to_owned()),
        None => FinishReason::Other(String::new()),
    };
    let usage = Usage {
        input_tokens: value.pointer("/usage/input_tokens").and_then(Value::as_u64).unwrap_or(0),
        output_tokens: value.pointer("/usage/output_tokens").and_then(Value::as_u64).unwrap_or(0),
        cost_usd: None,
    };
    Ok(Completion { text, finish, usage })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::preset::Preset;

    fn messages() -> Vec<ChatMessage> {
        vec![ChatMessage::system("Be brief."), ChatMessage::user("2+2?")]
    }

    fn ok(body: &str) -> HttpResponse {
        HttpResponse { status: 200, headers: vec![], body: body.into() }
    }

    #[test]
    fn openai_request_has_minimal_headers_and_only_set_params() {
        let mut config = EndpointConfig::from_preset(Preset::Mistral, "mistral-small");
        config.api_key = "k1".into();
        config.params.temperature = Some(0.0);
        config.params.stop = vec!["\n\n".into()];
        config.params.extra = serde_json::from_str(r#"{"cache_prompt": false}"#).ok();
        let req = build_request(&config, &messages());
        assert_eq!(req.url, "https://api.mistral.ai/v1/chat/completions");
        assert_eq!(req.headers.len(), 2, "only Content-Type and Authorization: {:?}", req.headers);
        assert_eq!(req.header("authorization"), Some("Bearer k1"));
        let body: Value = serde_json::from_str(&req.body).unwrap();
        assert_eq!(body["messages"][0], json!({"role": "system", "content": "Be brief."}));
        assert_eq!(body["temperature"], json!(0.0));
        assert_eq!(body["stop"], json!(["\n\n"]));
        assert_eq!(body["cache_prompt"], json!(false));
        assert!(body.get("max_tokens").is_none() && body.get("seed").is_none());
    }

    #[test]
    fn local_servers_get_no_authorization_header_without_a_key() {
        let config = EndpointConfig::from_preset(Preset::Ollama, "llama3");
        let req = build_request(&config, &messages());
        assert_eq!(req.header("authorization"), None);
        assert_eq!(req.url, "http://localhost:11434/v1/chat/completions");
    }

    #[test]
    fn anthropic_request_moves_system_out_and_sets_required_headers() {
        let mut config = EndpointConfig::from_preset(Preset::Anthropic, "claude-sonnet-4");
        config.api_key = "ak".into();
        let req = build_request(&config, &messages());
        assert_eq!(req.url, "https://api.anthropic.com/v1/messages");
        assert_eq!(req.header("x-api-key"), Some("ak"));
        assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(req.header("anthropic-dangerous-direct-browser-access"), Some("true"));
        assert_eq!(req.header("authorization"), None);
        let body: Value = serde_json::from_str(&req.body).unwrap();
        assert_eq!(body["system"], json!("Be brief."));
        assert_eq!(body["messages"], json!([{"role": "user", "content": "2+2?"}]));
        assert_eq!(body["max_tokens"], json!(ANTHROPIC_DEFAULT_MAX_TOKENS));
    }

    #[test]
    fn parses_openai_text_finish_and_usage() {
        let c = parse_response(
            ProviderKind::OpenAiCompatible,
            &ok(r#"{"choices":[{"message":{"content":"4"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":1}}"#),
        )
        .unwrap();
        assert_eq!((c.text.as_str(), c.usage.input_tokens, c.usage.output_tokens), ("4", 12, 1));
        assert!(!c.truncated());
        let cut = parse_response(
            ProviderKind::OpenAiCompatible,
            &ok(r#"{"choices":[{"message":{"content":"The ans"},"finish_reason":"length"}]}"#),
        )
        .unwrap();
        assert!(cut.truncated());
        let parts = parse_response(ProviderKind::OpenAiCompatible, &ok(r#"{"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]}"#)).unwrap();
        assert_eq!(parts.text, "ab");
    }

    #[test]
    fn parses_anthropic_text_finish_and_usage() {
        let c = parse_response(
            ProviderKind::Anthropic,
            &ok(r#"{"type":"message","content":[{"type":"text","text":"Hi"}],"stop_reason":"max_tokens","usage":{"input_tokens":5,"output_tokens":7}}"#),
        )
        .unwrap();
        assert_eq!(c.text, "Hi");
        assert!(c.truncated());
        assert_eq!(c.usage.output_tokens, 7);
    }

    #[test]
    fn garbage_bodies_are_malformed_errors_not_panics() {
        for body in [
            "",
            "<html>oops</html>",
            "{}",
            r#"{"choices":[]}"#,
            r#"{"choices":[{"message":{"content":5}}]}"#,
            r#"{"error":{"message":"bad"}}"#,
        ] {
            let err = parse_response(ProviderKind::OpenAiCompatible, &ok(body)).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Malformed, "{body}");
        }
        assert_eq!(
            parse_response(ProviderKind::Anthropic, &ok("[]")).unwrap_err().kind,
            ErrorKind::Malformed
        );
    }
}
