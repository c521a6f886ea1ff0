//! What both transports do around one HTTP exchange, as pure functions: which endpoint serves a
//! model role, how an attempt's result settles (the completion or a classified error, and what
//! the concurrency limiter should learn from it), and how the result becomes an engine reply.

use gepa_core::{ModelRole, Reply};

use crate::endpoint::{EndpointConfig, ProviderKind};
use crate::error::{ErrorKind, ProviderError};
use crate::http::HttpResponse;
use crate::limiter::Outcome;
use crate::wire::{Completion, parse_response};

/// The endpoints a run uses, by role.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoints {
    /// Runs the candidate program.
    pub task: EndpointConfig,
    /// Rewrites components.
    pub reflection: EndpointConfig,
    /// Grades outputs (model-graded metrics); defaults to the reflection endpoint.
    pub judge: Option<EndpointConfig>,
}

impl Endpoints {
    /// The endpoint that serves `role`.
    #[must_use]
    pub fn for_role(&self, role: ModelRole) -> &EndpointConfig {
        match role {
            ModelRole::Task => &self.task,
            ModelRole::Reflection => &self.reflection,
            ModelRole::Judge => self.judge.as_ref().unwrap_or(&self.reflection),
        }
    }
}

/// Settles one attempt: the parsed completion or the classified error, and the outcome to report
/// to the endpoint's limiter (a 429 slows the whole endpoint down).
pub fn settle(
    kind: ProviderKind,
    sent: Result<HttpResponse, ProviderError>,
) -> (Result<Completion, ProviderError>, Outcome) {
    let result = sent.and_then(|response| parse_response(kind, &response));
    let outcome = match &result {
        Err(e) if e.kind == ErrorKind::RateLimited => {
            Outcome::RateLimited { retry_after_ms: e.retry_after_ms }
        }
        _ => Outcome::Done,
    };
    (result, outcome)
}

/// Converts a call's final outcome into what the engine expects.
#[must_use]
pub fn to_reply(result: Result<Completion, ProviderError>) -> Reply {
    match result {
        Ok(c) => Reply::Text { truncated: c.truncated(), text: c.text, usage: c.usage },
        Err(e) => Reply::Failed { failure: e.failure_kind(), error: e.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gepa_core::FailureKind;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn a_429_tells_the_limiter_to_back_off_and_pauses_the_engine() {
        let (result, outcome) = settle(
            ProviderKind::OpenAiCompatible,
            Ok(response(429, &[("retry-after", "3")], "{}")),
        );
        assert_eq!(outcome, Outcome::RateLimited { retry_after_ms: Some(3000) });
        let reply = to_reply(result);
        assert!(
            matches!(reply, Reply::Failed { failure: FailureKind::Transport, .. }),
            "{reply:?}"
        );
    }

    #[test]
    fn a_good_reply_becomes_text_and_garbage_scores_as_content() {
        let body = r#"{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#;
        let (result, outcome) =
            settle(ProviderKind::OpenAiCompatible, Ok(response(200, &[], body)));
        assert_eq!(outcome, Outcome::Done);
        assert!(
            matches!(to_reply(result), Reply::Text { ref text, truncated: false, .. } if text == "hi")
        );
        let (garbage, _) =
            settle(ProviderKind::OpenAiCompatible, Ok(response(200, &[], "<html>oops")));
        assert!(garbage.is_err());
    }

    #[test]
    fn judge_falls_back_to_the_reflection_endpoint() {
        let task = EndpointConfig::from_preset(crate::Preset::LlamaCpp, "small");
        let reflection = EndpointConfig::from_preset(crate::Preset::OpenAi, "big");
        let endpoints = Endpoints { task, reflection: reflection.clone(), judge: None };
        assert_eq!(endpoints.for_role(ModelRole::Judge), &reflection);
    }
}
