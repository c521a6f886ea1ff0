//! Endpoints from flags and the environment, on top of a file's model settings.

use std::time::Duration;

use gepa_providers::native::NativeClient;
use gepa_providers::{EndpointConfig, Endpoints};
use gepa_share::run_file::{ModelSettings, Models};

use crate::args::EndpointArgs;

fn config(
    settings: &ModelSettings,
    url: Option<&String>,
    model: Option<&String>,
    key: Option<&String>,
) -> EndpointConfig {
    let mut config = EndpointConfig::from_preset(
        settings.preset,
        model.cloned().unwrap_or_else(|| settings.model.clone()),
    );
    if let Some(url) = url {
        config.base_url.clone_from(url);
    }
    config.params = settings.params.clone();
    config.api_key = key.cloned().unwrap_or_default();
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
    );
    let same_url = args.reflection_url.is_none() || args.reflection_url == args.task_url;
    let reflection_key =
        args.reflection_key.as_ref().or(if same_url { args.task_key.as_ref() } else { None });
    let reflection = config(
        &models.reflection,
        args.reflection_url.as_ref().or(args.task_url.as_ref()),
        args.reflection_model.as_ref(),
        reflection_key,
    );
    task.validate().map_err(|e| format!("task endpoint: {e} (set --task-url / GEPA_TASK_URL, --task-model, --task-key / GEPA_TASK_API_KEY)"))?;
    reflection.validate().map_err(|e| format!("reflection endpoint: {e} (set --reflection-url / GEPA_REFLECTION_URL, --reflection-key / GEPA_REFLECTION_API_KEY)"))?;
    let judge = models.judge.as_ref().map(|j| {
        config(j, args.reflection_url.as_ref().or(args.task_url.as_ref()), None, reflection_key)
    });
    Ok(Endpoints { task, reflection, judge })
}

/// The native client: timeout, concurrency and the cache file.
///
/// # Errors
/// When the HTTP client or the cache file cannot be set up.
pub fn client(args: &EndpointArgs, concurrency: usize) -> Result<NativeClient, String> {
    let mut client = NativeClient::new(Duration::from_secs(args.timeout.max(1)))
        .map_err(|e| e.to_string())?
        .with_concurrency(concurrency.max(1));
    if let Some(path) = &args.cache {
        client = client.with_cache(gepa_providers::native::load_cache_file(path)?);
    }
    Ok(client)
}

/// Writes the cache file back, when one is used.
pub fn save_cache(args: &EndpointArgs, client: &NativeClient) {
    if let (Some(path), Some(cache)) = (&args.cache, client.cache_snapshot())
        && let Err(e) = gepa_providers::native::save_cache_file(path, &cache)
    {
        eprintln!("warning: the response cache was not saved: {e}");
    }
}
