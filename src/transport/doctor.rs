//! "Test connection": one tiny request, then a diagnosis with the cause and the fix.

use gepa_providers::EndpointConfig;
use gepa_providers::doctor::{Diagnosis, ProbeOutcome, diagnose, precheck, probe_messages};
use gepa_providers::wire::build_request;
use web_sys::AbortController;

use super::{FetchFailure, fetch_once, now_ms, reachable_without_cors};

const PROBE_TIMEOUT_MS: u32 = 20_000;

/// Runs the doctor against `config` from a page at `page_origin`.
pub async fn test_connection(mut config: EndpointConfig, page_origin: String) -> Diagnosis {
    if let Some(early) = precheck(&config, &page_origin) {
        return early;
    }
    // A short answer is enough; keep the probe cheap.
    config.params.max_tokens = Some(config.params.max_tokens.map_or(16, |n| n.min(16)));
    let request = build_request(&config, &probe_messages());
    let Ok(abort) = AbortController::new() else {
        return diagnose(
            &config,
            &page_origin,
            &ProbeOutcome::NoResponse("AbortController is unavailable".into()),
            None,
            None,
        );
    };
    let started = now_ms();
    let outcome = match fetch_once(&request, PROBE_TIMEOUT_MS, &abort).await {
        Ok(response) => ProbeOutcome::Response(response),
        Err(FetchFailure::TimedOut) => ProbeOutcome::TimedOut,
        Err(FetchFailure::NoResponse(message)) => ProbeOutcome::NoResponse(message),
        Err(FetchFailure::Aborted) => ProbeOutcome::NoResponse("the test was cancelled".into()),
    };
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a latency in ms fits"
    )]
    let latency = (now_ms() - started).max(0.0) as u64;
    let reachable = match outcome {
        ProbeOutcome::NoResponse(_) => {
            Some(reachable_without_cors(&format!("{}/models", config.base()), 5_000).await)
        }
        _ => None,
    };
    diagnose(&config, &page_origin, &outcome, reachable, Some(latency))
}
