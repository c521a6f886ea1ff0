//! The endpoint settings form as plain data, and its conversion to a provider config.

use gepa_providers::{EndpointConfig, Preset};

/// What the user typed. The key lives only here, in memory, unless they opt into storage.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointForm {
    /// Chosen preset.
    pub preset: Preset,
    /// Base URL.
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// API key (never serialised).
    pub api_key: String,
}

impl Default for EndpointForm {
    fn default() -> Self {
        EndpointForm::for_preset(Preset::LlamaCpp)
    }
}

impl EndpointForm {
    /// A form filled from a preset.
    #[must_use]
    pub fn for_preset(preset: Preset) -> Self {
        EndpointForm {
            preset,
            base_url: preset.default_base_url().to_owned(),
            model: String::new(),
            api_key: String::new(),
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

    /// The provider config this form describes.
    #[must_use]
    pub fn to_config(&self) -> EndpointConfig {
        let mut config = EndpointConfig::from_preset(self.preset, self.model.trim());
        config.base_url = self.base_url.trim().to_owned();
        config.api_key = self.api_key.trim().to_owned();
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn config_is_trimmed_and_preset_ids_round_trip() {
        let mut form = EndpointForm::for_preset(Preset::OpenAi);
        form.model = " gpt-4o-mini ".into();
        form.api_key = " sk-abc ".into();
        let config = form.to_config();
        assert_eq!((config.model.as_str(), config.api_key.as_str()), ("gpt-4o-mini", "sk-abc"));
        for preset in Preset::ALL {
            assert_eq!(Preset::from_id(&preset.id()), Some(preset));
        }
        assert_eq!(Preset::from_id("nope"), None);
    }
}
