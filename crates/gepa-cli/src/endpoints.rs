//! Endpoints from flags and the environment, on top of a file's model settings, and the native
//! calls (call machine, HTTP client, cache file) that reach them.

use gepa_providers::native::NativeCalls;
use gepa_providers::price::PriceTable;
use gepa_providers::retry::RetryPolicy;
use gepa_providers::{ApiKey, CallMachine, CallSettings, EndpointConfig, Endpoints};
use gepa_share::run_file::{ModelSettings, Models};

use crate::args::EndpointArgs;

fn config(
    settings: &ModelSettings,
    url: Option<&String>,
    model: Option<&String>,
    key: Option<&String>,
    timeout_s: u64,
) -> EndpointConfig {
    let mut config = EndpointConfig::from_preset(
        settings.preset,
        model.cloned().unwrap_or_else(|| settings.model.clone()),
    );
    if let Some(url) = url {
        config.base_url.clone_from(url);
    }
    config.params = settings.params.clone();
    config.timeout_ms = timeout_s.max(1).saturating_mul(1000);
    config.api_key = key.map(ApiKey::new).unwrap_or_default();
    config
}

/// The endpoints by role, checked.
///
/// # Errors
/// What is missing, with the flag or variable that sets it.
pub fn resolve(models: &Models, args: &EndpointArgs) -> Result<Endpoints, String> {
    let task = config(
        &models.task,
        args.task_url.as_ref(),
        args.task_model.as_ref(),
        args.task_key.as_ref(),
        args.timeout,
    );
    let same_url = args.reflection_url.is_none() || args.reflection_url == args.task_url;
    let reflection_key =
        args.reflection_key.as_ref().or(if same_url { args.task_key.as_ref() } else { None });
    let reflection = config(
        &models.reflection,
        args.reflection_url.as_ref().or(args.task_url.as_ref()),
        args.reflection_model.as_ref(),
        reflection_key,
        args.timeout,
    );
    task.validate().map_err(|e| format!("task endpoint: {e} (set --task-url / GEPA_TASK_URL, --task-model, --task-key / GEPA_TASK_API_KEY, --timeout)"))?;
    reflection.validate().map_err(|e| format!("reflection endpoint: {e} (set --reflection-url / GEPA_REFLECTION_URL, --reflection-key / GEPA_REFLECTION_API_KEY)"))?;
    let judge = models.judge.as_ref().map(|j| {
        config(
            j,
            args.reflection_url.as_ref().or(args.task_url.as_ref()),
            None,
            reflection_key,
            args.timeout,
        )
    });
    Ok(Endpoints { task, reflection, judge })
}

/// The native calls for a run: the call machine (concurrency per endpoint, patience, the
/// response cache file when one is given) over reqwest.
///
/// # Errors
/// When the HTTP client or the cache file cannot be set up.
pub fn calls(
    endpoints: Endpoints,
    args: &EndpointArgs,
    concurrency: usize,
    seed: u64,
) -> Result<NativeCalls, String> {
    let settings = CallSettings {
        concurrency: concurrency.max(1),
        retry: RetryPolicy {
            patience_ms: args.patience.saturating_mul(1000),
            ..RetryPolicy::default()
        },
        use_cache: args.cache.is_some(),
    };
    let machine = CallMachine::new(endpoints, settings, PriceTable::default(), seed);
    let mut calls = NativeCalls::new(machine).map_err(|e| e.to_string())?;
    if let Some(path) = &args.cache {
        calls = calls.with_cache(gepa_providers::native::load_cache_file(path)?);
    }
    Ok(calls)
}

/// Writes the cache file back, when one is used.
pub fn save_cache(args: &EndpointArgs, calls: &NativeCalls) {
    if let (Some(path), Some(cache)) = (&args.cache, calls.cache())
        && let Err(e) = gepa_providers::native::save_cache_file(path, cache)
    {
        eprintln!("warning: the response cache was not saved: {e}");
    }
}
