//! The endpoint settings form as plain data, and its conversion to a provider config.

use gepa_providers::endpoint::DEFAULT_TIMEOUT_MS;
use gepa_providers::{ApiKey, EndpointConfig, ModelParams, Preset};
use serde::{Deserialize, Serialize};

/// Where the API key is kept. Memory is the default; the others are explicit opt-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStorage {
    /// Only in this page's memory: gone on reload.
    #[default]
    Memory,
    /// `sessionStorage`: survives reloads of this tab, gone when the tab closes.
    Tab,
    /// `localStorage`: stays on this device until you clear it.
    Device,
}

impl KeyStorage {
    /// Every choice.
    pub const ALL: [KeyStorage; 3] = [KeyStorage::Memory, KeyStorage::Tab, KeyStorage::Device];

    /// Stable id.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            KeyStorage::Memory => "memory",
            KeyStorage::Tab => "tab",
            KeyStorage::Device => "device",
        }
    }

    /// Radio label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            KeyStorage::Memory => "Keep in memory only",
            KeyStorage::Tab => "Remember in this tab",
            KeyStorage::Device => "Remember on this device",
        }
    }

    /// What the choice means, in one line.
    #[must_use]
    pub fn meaning(self) -> &'static str {
        match self {
            KeyStorage::Memory => "The key is forgotten when you reload or close the page.",
            KeyStorage::Tab => {
                "The key survives reloads of this tab (sessionStorage) and is gone when the tab closes."
            }
            KeyStorage::Device => {
                "The key is stored unencrypted in this browser (localStorage) until you clear it; anyone using this browser profile can read it."
            }
        }
    }

    /// The storage key a remembered API key lives under.
    #[must_use]
    pub fn slot(endpoint: &str) -> String {
        format!("gepa-playground.api-key.{endpoint}")
    }
}

/// What the user typed. The key lives only here, in memory, unless they opt into storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EndpointForm {
    /// Chosen preset.
    pub preset: Preset,
    /// Base URL.
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// API key (never serialised, redacted when printed).
    #[serde(skip)]
    pub api_key: ApiKey,
    /// Where the key is kept.
    pub key_storage: KeyStorage,
    /// Temperature, as typed (empty = server default).
    pub temperature: String,
    /// Max output tokens, as typed.
    pub max_tokens: String,
    /// top_p, as typed.
    pub top_p: String,
    /// Sampling seed, as typed.
    pub seed: String,
    /// Stop sequences, one per line.
    pub stop: String,
    /// Extra JSON merged into the request body.
    pub extra: String,
    /// Per-attempt timeout in seconds, as typed (empty = the default, 120).
    pub timeout_s: String,
}

impl Default for EndpointForm {
    fn default() -> Self {
        EndpointForm::for_preset(Preset::LlamaCpp)
    }
}

fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<Option<T>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| format!("{what} must be a number, got \"{text}\""))
}

impl EndpointForm {
    /// A form filled from a preset.
    #[must_use]
    pub fn for_preset(preset: Preset) -> Self {
        EndpointForm {
            preset,
            base_url: preset.default_base_url().to_owned(),
            model: String::new(),
            api_key: ApiKey::default(),
            key_storage: KeyStorage::Memory,
            temperature: String::new(),
            max_tokens: String::new(),
            top_p: String::new(),
            seed: String::new(),
            stop: String::new(),
            extra: String::new(),
            timeout_s: String::new(),
        }
    }

    /// Switches preset; the base URL follows unless the user had typed their own.
    pub fn set_preset(&mut self, preset: Preset) {
        let was_default =
            self.base_url.trim().is_empty() || self.base_url == self.preset.default_base_url();
        self.preset = preset;
        if was_default {
            self.base_url = preset.default_base_url().to_owned();
        }
    }

    /// The sampling parameters as typed.
    ///
    /// # Errors
    /// Which parameter is not a number, or the extra JSON is not an object.
    pub fn params(&self) -> Result<ModelParams, String> {
        let extra = match self.extra.trim() {
            "" => None,
            text => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(map)) => Some(map),
                _ => {
                    return Err(
                        "extra parameters must be a JSON object, like {\"top_k\": 40}".into()
                    );
                }
            },
        };
        Ok(ModelParams {
            temperature: number(&self.temperature, "temperature")?,
            max_tokens: number(&self.max_tokens, "max tokens")?,
            top_p: number(&self.top_p, "top_p")?,
            seed: number(&self.seed, "seed")?,
            stop: self.stop.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect(),
            extra,
        })
    }

    /// The provider config this form describes, with only the parameters checked (the
    /// connection doctor explains everything else).
    ///
    /// # Errors
    /// Which parameter is malformed.
    pub fn config_unchecked(&self) -> Result<EndpointConfig, String> {
        let mut config = EndpointConfig::from_preset(self.preset, self.model.trim());
        config.base_url = self.base_url.trim().to_owned();
        config.api_key = self.api_key.clone();
        config.params = self.params()?;
        config.timeout_ms = match number::<f64>(&self.timeout_s, "the timeout")? {
            None => DEFAULT_TIMEOUT_MS,
            Some(s) if (1.0..=86_400.0).contains(&s) => (s * 1000.0) as u64,
            Some(s) => {
                return Err(format!("the timeout must be between 1 and 86400 seconds (got {s})"));
            }
        };
        Ok(config)
    }

    /// The provider config this form describes, checked.
    ///
    /// # Errors
    /// What is missing or malformed, for people.
    pub fn to_config(&self) -> Result<EndpointConfig, String> {
        let config = self.config_unchecked()?;
        config.validate()?;
        Ok(config)
    }
}

/// The endpoints to open a saved run with: the checked ones when the form is valid; otherwise
/// the task form as typed (for every role) and the problems, so the run opens for inspection and
/// continues once the user fixes the form and presses Resume.
#[must_use]
pub fn endpoints_to_open(
    task: &EndpointForm,
    checked: Result<gepa_providers::Endpoints, Vec<String>>,
) -> (gepa_providers::Endpoints, Option<String>) {
    match checked {
        Ok(endpoints) => (endpoints, None),
        Err(problems) => {
            let config = task
                .config_unchecked()
                .unwrap_or_else(|_| EndpointConfig::from_preset(Preset::LlamaCpp, ""));
            let endpoints =
                gepa_providers::Endpoints { task: config.clone(), reflection: config, judge: None };
            (endpoints, Some(problems.join("; ")))
        }
    }
}

/// Which calls an endpoint form's model parameters apply to, as shown under "Model
/// parameters": with no separate reflection model the task model's settings (Max tokens
/// included) also cap every reflection, and the judge uses the reflection model unless it has
/// its own.
#[must_use]
pub fn parameter_roles(
    form: &str,
    separate_reflection: bool,
    judge_needed: bool,
    separate_judge: bool,
) -> String {
    let mut roles: Vec<&str> = Vec::new();
    let judges = judge_needed && !separate_judge;
    match form {
        "task" => {
            roles.push("the task model's answers");
            if !separate_reflection {
                roles.push("reflection");
                if judges {
                    roles.push("judging");
                }
            }
        }
        "reflection" => {
            roles.push("reflection");
            if judges {
                roles.push("judging");
            }
        }
        _ => roles.push("judging"),
    }
    let list = match roles.as_slice() {
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => String::new(),
    };
    format!("These apply to {list}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_parameters_say_which_calls_they_cap() {
        assert_eq!(
            parameter_roles("task", false, false, false),
            "These apply to the task model's answers and reflection."
        );
        assert_eq!(
            parameter_roles("task", false, true, false),
            "These apply to the task model's answers, reflection and judging."
        );
        assert_eq!(
            parameter_roles("task", true, true, false),
            "These apply to the task model's answers."
        );
        assert_eq!(
            parameter_roles("reflection", true, true, false),
            "These apply to reflection and judging."
        );
        assert_eq!(parameter_roles("judge", true, true, true), "These apply to judging.");
    }

    #[test]
    fn switching_presets_follows_default_urls_but_keeps_custom_ones() {
        let mut form = EndpointForm::default();
        form.set_preset(Preset::Ollama);
        assert_eq!(form.base_url, "http://localhost:11434/v1");
        form.base_url = "http://gpu-box:11434/v1".into();
        form.set_preset(Preset::LmStudio);
        assert_eq!(form.base_url, "http://gpu-box:11434/v1", "a typed URL is kept");
    }

    #[test]
    fn config_is_trimmed_checked_and_preset_ids_round_trip() {
        let mut form = EndpointForm::for_preset(Preset::OpenAi);
        form.model = " gpt-4o-mini ".into();
        form.api_key = " sk-abc ".into();
        form.temperature = "0.2".into();
        form.stop = "END\n".into();
        let config = form.to_config().unwrap();
        assert_eq!((config.model.as_str(), config.api_key.expose()), ("gpt-4o-mini", "sk-abc"));
        assert_eq!((config.params.temperature, config.params.stop.len()), (Some(0.2), 1));
        for preset in Preset::ALL {
            assert_eq!(Preset::from_id(&preset.id()), Some(preset));
        }
        assert_eq!(Preset::from_id("nope"), None);
        form.max_tokens = "many".into();
        assert!(form.to_config().unwrap_err().contains("max tokens"));
        form.max_tokens.clear();
        form.extra = "[1]".into();
        assert!(form.to_config().unwrap_err().contains("JSON object"));
    }

    #[test]
    fn a_saved_run_opens_with_the_form_as_typed_when_it_is_not_valid() {
        let mut form = EndpointForm::for_preset(Preset::OpenAi);
        form.model = "gpt-4o-mini".into();
        let (endpoints, problems) =
            endpoints_to_open(&form, form.to_config().map(|_| unreachable!()).map_err(|e| vec![e]));
        assert!(problems.unwrap().contains("API key"));
        assert_eq!(endpoints.reflection.model, "gpt-4o-mini");
        form.api_key = "sk-x".into();
        let config = form.to_config().unwrap();
        let valid =
            gepa_providers::Endpoints { task: config.clone(), reflection: config, judge: None };
        assert_eq!(endpoints_to_open(&form, Ok(valid.clone())), (valid, None));
    }

    #[test]
    fn the_saved_form_never_holds_the_key() {
        let mut form = EndpointForm::for_preset(Preset::OpenAi);
        form.api_key = "sk-secret-123".into();
        form.key_storage = KeyStorage::Device;
        let saved = serde_json::to_string(&form).unwrap();
        assert!(!saved.contains("sk-secret-123"), "{saved}");
        assert!(!format!("{form:?}").contains("sk-secret-123"), "a printed form hides the key");
        let config = form.config_unchecked().unwrap();
        assert!(!format!("{config:?}").contains("sk-secret-123"));
        let back: EndpointForm = serde_json::from_str(&saved).unwrap();
        assert_eq!((back.api_key.is_empty(), back.key_storage), (true, KeyStorage::Device));
    }
}
