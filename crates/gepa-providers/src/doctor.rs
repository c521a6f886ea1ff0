//! The connection doctor: one tiny request, and a diagnosis that names the cause of any failure
//! and the fix (no peer tool has this).
//!
//! Browsers hide why a `fetch` failed: CORS, a server that is down, a blocked mixed-content call
//! and a denied local-network permission all surface as the same `TypeError`. The doctor
//! combines what the page can know (its own origin, the target URL) with a second probe: a
//! `no-cors` request that succeeds (opaquely) when the server is up, which separates "the server
//! refuses this page" from "nothing is there".

use gepa_core::ChatMessage;

use crate::endpoint::EndpointConfig;
use crate::error::{ErrorKind, ProviderError};
use crate::http::HttpResponse;
use crate::preset::Preset;
use crate::wire::parse_response;

/// The cause the doctor settled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// It works.
    Ok,
    /// The configuration itself is incomplete.
    Config,
    /// An https page cannot call a plain-http server that is not on this machine.
    MixedContent,
    /// The server answered but does not allow calls from this page.
    Cors,
    /// Nothing answered (down, wrong host/port, or a denied local-network permission).
    Unreachable,
    /// Chrome asks before a public page may call a local-network or loopback address.
    LocalNetworkPermission,
    /// 401/403.
    BadKey,
    /// 404, or an unknown model.
    WrongUrlOrModel,
    /// 429.
    RateLimited,
    /// 402.
    Payment,
    /// No answer in time.
    Timeout,
    /// 5xx.
    Server,
    /// A reply that is not a chat completion.
    Malformed,
    /// The request settings were rejected.
    BadRequest,
}

/// The doctor's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    /// The cause.
    pub cause: Cause,
    /// One line: what happened.
    pub headline: String,
    /// What to do (empty when it works).
    pub fix: String,
    /// The model's reply, when it worked.
    pub reply: Option<String>,
    /// Round-trip time of the probe, when one was made.
    pub latency_ms: Option<u64>,
}

/// How the first (real) probe ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// An HTTP response arrived.
    Response(HttpResponse),
    /// `fetch` rejected with no response (CORS, network, mixed content, permission…).
    NoResponse(String),
    /// The probe timed out.
    TimedOut,
}

/// The tiny request the doctor sends.
#[must_use]
pub fn probe_messages() -> Vec<ChatMessage> {
    vec![ChatMessage::user("Reply with the single word OK.")]
}

/// Checks that need no request: an incomplete configuration, or mixed content.
#[must_use]
pub fn precheck(config: &EndpointConfig, page_origin: &str) -> Option<Diagnosis> {
    if let Err(problem) = config.validate() {
        return Some(verdict(
            Cause::Config,
            "The endpoint settings are incomplete.",
            &capitalise(&problem),
        ));
    }
    let target = config.base();
    if is_same_server(target, page_origin) {
        return Some(verdict(
            Cause::Config,
            "This address is the playground page itself, not a model server.",
            "Start your model server on its own port (llama.cpp 8080, vLLM 8000, LM Studio 1234, Ollama 11434) and put that port in the base URL; if the page took the model server's port, serve the page on another (PORT=8642 ./dev serve).",
        ));
    }
    if page_origin.starts_with("https://") && target.starts_with("http://") && !is_loopback(target)
    {
        return Some(verdict(
            Cause::MixedContent,
            "This page is served over https, so the browser blocks calls to a plain-http address that is not on this machine (mixed content).",
            "Serve the model over https (for example behind a reverse proxy with a certificate), use http://localhost if the server runs on this computer, or open the playground itself over http on your own machine.",
        ));
    }
    None
}

/// Diagnoses the probe. `reachable_without_cors` is the outcome of the follow-up `no-cors`
/// request, made only when the first probe got no response.
#[must_use]
pub fn diagnose(
    config: &EndpointConfig,
    page_origin: &str,
    outcome: &ProbeOutcome,
    reachable_without_cors: Option<bool>,
    latency_ms: Option<u64>,
) -> Diagnosis {
    if let Some(early) = precheck(config, page_origin) {
        return early;
    }
    let mut diagnosis = match outcome {
        ProbeOutcome::TimedOut => verdict(
            Cause::Timeout,
            "The endpoint did not answer in time.",
            "Check that the server is running and not overloaded; a large local model may need a longer timeout.",
        ),
        ProbeOutcome::NoResponse(message) => {
            no_response(config, page_origin, message, reachable_without_cors)
        }
        ProbeOutcome::Response(response) => match parse_response(config.kind, response) {
            Ok(completion) => Diagnosis {
                cause: Cause::Ok,
                headline: format!("Connected to {}: the model answered.", config.model),
                fix: String::new(),
                reply: Some(completion.text),
                latency_ms: None,
            },
            Err(error) => from_error(config.preset, &error),
        },
    };
    diagnosis.latency_ms = latency_ms;
    diagnosis
}

fn no_response(
    config: &EndpointConfig,
    page_origin: &str,
    message: &str,
    reachable: Option<bool>,
) -> Diagnosis {
    let public_page = !is_loopback(page_origin) && !is_private(page_origin);
    let local_target = is_loopback(config.base()) || is_private(config.base());
    match reachable {
        Some(true) => verdict(
            Cause::Cors,
            "The server is up, but it does not allow calls from this page (CORS).",
            config.preset.cors_fix(),
        ),
        _ if public_page && local_target => verdict(
            Cause::LocalNetworkPermission,
            "The browser blocked this page from reaching a local-network address, or nothing is listening there.",
            "If the browser asked to \"look for and connect to devices on your local network\", allow it (site settings → Local network access). Otherwise check that the server is running at that address.",
        ),
        _ => verdict(
            Cause::Unreachable,
            &format!("Nothing answered at {} ({message}).", config.base()),
            "Check the host, the port and that the server is running. If it runs on another machine, make sure it listens on the network and not only on 127.0.0.1.",
        ),
    }
}

fn from_error(preset: Preset, error: &ProviderError) -> Diagnosis {
    let cause = match error.kind {
        ErrorKind::Auth => Cause::BadKey,
        ErrorKind::NotFound => Cause::WrongUrlOrModel,
        ErrorKind::RateLimited => Cause::RateLimited,
        ErrorKind::Payment => Cause::Payment,
        ErrorKind::Server => Cause::Server,
        ErrorKind::Timeout => Cause::Timeout,
        ErrorKind::Network | ErrorKind::Cancelled => Cause::Unreachable,
        ErrorKind::Malformed => Cause::Malformed,
        ErrorKind::Blocked => Cause::Cors,
        ErrorKind::BadContent | ErrorKind::BadRequest => Cause::BadRequest,
    };
    let headline = match cause {
        Cause::BadKey => "The endpoint rejected the API key.",
        Cause::WrongUrlOrModel => "The endpoint could not find that URL or model.",
        Cause::RateLimited => "The endpoint is rate-limiting this key right now.",
        Cause::Payment => "The account is out of credit.",
        Cause::Server => "The endpoint had an internal error.",
        Cause::Malformed => "The reply is not an OpenAI-style chat completion.",
        _ => "The endpoint rejected the request.",
    };
    verdict(cause, headline, &error.explain(preset))
}

fn verdict(cause: Cause, headline: &str, fix: &str) -> Diagnosis {
    Diagnosis {
        cause,
        headline: headline.to_owned(),
        fix: fix.to_owned(),
        reply: None,
        latency_ms: None,
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str() + ".")
        .unwrap_or_default()
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    host_port.split(':').next().unwrap_or_default()
}

/// The port of `url`, written or implied by its scheme.
fn port_of(url: &str) -> Option<u16> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let after_host = host_port.rsplit_once(']').map_or(host_port, |(_, p)| p);
    match after_host.rsplit_once(':') {
        Some((_, port)) => port.parse().ok(),
        None if url.starts_with("https://") => Some(443),
        None => Some(80),
    }
}

/// True when `url` points at the server that serves `page_origin` (the same port on the same
/// host, counting every loopback name as one host).
fn is_same_server(url: &str, page_origin: &str) -> bool {
    let same_host = host_of(url).eq_ignore_ascii_case(host_of(page_origin))
        || (is_loopback(url) && is_loopback(page_origin));
    same_host && port_of(url).is_some() && port_of(url) == port_of(page_origin)
}

/// True for localhost, 127.0.0.0/8 and ::1.
#[must_use]
pub fn is_loopback(url: &str) -> bool {
    let host = host_of(url).to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost") || host.starts_with("127.") || host == "::1"
}

fn is_private(url: &str) -> bool {
    let host = host_of(url);
    let octets: Vec<u8> = host.split('.').filter_map(|p| p.parse().ok()).collect();
    match octets.as_slice() {
        [10, ..] | [192, 168, ..] => true,
        [172, b, ..] => (16..=31).contains(b),
        _ => host.ends_with(".local"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn llama(base: &str) -> EndpointConfig {
        let mut c = EndpointConfig::from_preset(Preset::LlamaCpp, "smollm2");
        c.base_url = base.into();
        c
    }

    #[test]
    fn an_endpoint_on_the_page_s_own_port_is_named_as_the_page_itself() {
        for (base, page) in [
            ("http://localhost:8080/v1", "http://127.0.0.1:8080"),
            ("http://127.0.0.1:8642/v1", "http://127.0.0.1:8642"),
            ("http://[::1]:8642/v1", "http://localhost:8642"),
            ("https://gepa.example/v1", "https://gepa.example"),
        ] {
            let d = precheck(&llama(base), page).expect(base);
            assert_eq!(d.cause, Cause::Config, "{base}");
            assert!(d.headline.contains("the playground page itself"), "{base}");
        }
        for (base, page) in [
            ("http://localhost:8080/v1", "http://127.0.0.1:8642"),
            ("http://192.168.1.20:8642/v1", "http://127.0.0.1:8642"),
            ("https://api.example/v1", "https://gepa.example"),
        ] {
            assert!(precheck(&llama(base), page).is_none(), "{base} on {page}");
        }
    }

    #[test]
    fn success_reports_reply_and_latency() {
        let ok = HttpResponse {
            status: 200,
            headers: vec![],
            body: r#"{"choices":[{"message":{"content":"OK"},"finish_reason":"stop"}]}"#.into(),
        };
        let d = diagnose(
            &llama("http://127.0.0.1:8080/v1"),
            "http://127.0.0.1:8090",
            &ProbeOutcome::Response(ok),
            None,
            Some(120),
        );
        assert_eq!((d.cause, d.reply.as_deref(), d.latency_ms), (Cause::Ok, Some("OK"), Some(120)));
    }

    #[test]
    fn cors_is_told_apart_from_a_dead_server_with_the_fix() {
        let failed = ProbeOutcome::NoResponse("Failed to fetch".into());
        let mut ollama = EndpointConfig::from_preset(Preset::Ollama, "llama3");
        ollama.base_url = "http://127.0.0.1:11434/v1".into();
        let cors = diagnose(&ollama, "http://127.0.0.1:8090", &failed, Some(true), None);
        assert_eq!(cors.cause, Cause::Cors);
        assert!(cors.fix.contains("OLLAMA_ORIGINS"));
        let dead = diagnose(
            &llama("http://127.0.0.1:9/v1"),
            "http://127.0.0.1:8090",
            &failed,
            Some(false),
            None,
        );
        assert_eq!(dead.cause, Cause::Unreachable);
        assert!(dead.fix.contains("running"));
    }

    #[test]
    fn public_pages_calling_local_servers_mention_the_permission_prompt() {
        let failed = ProbeOutcome::NoResponse("Failed to fetch".into());
        let d = diagnose(
            &llama("http://localhost:8080/v1"),
            "https://playground.example",
            &failed,
            Some(false),
            None,
        );
        assert_eq!(d.cause, Cause::LocalNetworkPermission);
    }

    #[test]
    fn mixed_content_and_incomplete_settings_are_caught_before_any_request() {
        let d =
            precheck(&llama("http://192.168.1.20:8080/v1"), "https://playground.example").unwrap();
        assert_eq!(d.cause, Cause::MixedContent);
        assert!(
            precheck(&llama("http://localhost:8080/v1"), "https://playground.example").is_none(),
            "loopback is allowed from https"
        );
        let d = precheck(&EndpointConfig::from_preset(Preset::OpenAi, "gpt-4o-mini"), "https://x")
            .unwrap();
        assert_eq!(d.cause, Cause::Config);
        assert!(d.fix.contains("API key"));
    }

    #[test]
    fn http_errors_name_the_cause() {
        let resp = |status, body: &str| {
            ProbeOutcome::Response(HttpResponse { status, headers: vec![], body: body.into() })
        };
        let c = llama("http://127.0.0.1:8080/v1");
        assert_eq!(diagnose(&c, "http://x", &resp(401, "{}"), None, None).cause, Cause::BadKey);
        assert_eq!(
            diagnose(&c, "http://x", &resp(404, "{}"), None, None).cause,
            Cause::WrongUrlOrModel
        );
        assert_eq!(
            diagnose(&c, "http://x", &resp(429, "{}"), None, None).cause,
            Cause::RateLimited
        );
        assert_eq!(
            diagnose(&c, "http://x", &resp(200, "<html>"), None, None).cause,
            Cause::Malformed
        );
        assert_eq!(
            diagnose(&c, "http://x", &ProbeOutcome::TimedOut, None, None).cause,
            Cause::Timeout
        );
    }

    #[test]
    fn address_classes() {
        assert!(
            is_loopback("http://localhost:1/v1")
                && is_loopback("http://127.0.0.5")
                && is_loopback("http://[::1]:80")
        );
        assert!(!is_loopback("https://api.openai.com/v1"));
        assert!(
            is_private("http://10.0.0.2:8000")
                && is_private("http://172.20.1.1")
                && !is_private("http://172.40.1.1")
        );
    }
}
