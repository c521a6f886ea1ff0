//! No key in any printout: `{:?}` of every config and request type that holds an API key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gepa_core::{ChatMessage, ModelRole};
use gepa_providers::price::PriceTable;
use gepa_providers::wire::build_request;
use gepa_providers::{
    Action, ApiKey, CallMachine, CallSettings, EndpointConfig, Endpoints, Preset,
};

const SECRET: &str = "sk-live-SECRET-0123456789";

fn keyed(preset: Preset) -> EndpointConfig {
    let mut config = EndpointConfig::from_preset(preset, "model");
    config.api_key = ApiKey::new(format!("  {SECRET}\n"));
    config
}

#[test]
fn debug_output_of_every_key_bearing_type_hides_the_key() {
    for preset in [Preset::OpenAi, Preset::Anthropic, Preset::LlamaCpp] {
        let config = keyed(preset);
        assert_eq!(config.api_key.expose(), SECRET, "trimmed once, kept whole for the header");
        let request = build_request(&config, &[ChatMessage::user("hi")]);
        assert!(
            request.headers.iter().any(|(_, v)| v.contains(SECRET)),
            "{preset:?}: the header itself carries the key"
        );
        let endpoints = Endpoints {
            task: config.clone(),
            reflection: config.clone(),
            judge: Some(config.clone()),
        };
        let mut machine = CallMachine::new(
            endpoints.clone(),
            CallSettings { use_cache: false, ..CallSettings::default() },
            PriceTable::default(),
            0,
        );
        machine.submit(ModelRole::Task, vec![ChatMessage::user("hi")]);
        let actions = machine.poll(0);
        assert!(matches!(actions.first(), Some(Action::Send { .. })));
        let printed = [
            format!("{:?}", config.api_key),
            format!("{}", config.api_key),
            format!("{config:?}"),
            format!("{config:#?}"),
            format!("{endpoints:?}"),
            format!("{request:?}"),
            format!("{request:#?}"),
            format!("{machine:?}"),
            format!("{actions:?}"),
        ];
        for text in printed {
            assert!(!text.contains(SECRET), "{preset:?}: the key leaked into {text}");
            assert!(!text.contains("SECRET"), "{preset:?}: part of the key leaked into {text}");
        }
        let json = serde_json::to_string(&config).unwrap();
        assert!(!json.contains(SECRET), "never serialised: {json}");
    }
}
