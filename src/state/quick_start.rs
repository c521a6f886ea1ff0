//! The quick start's model step: the local servers a user is likely to run, and the models a
//! server lists.

use gepa_providers::Preset;

use super::endpoint_form::EndpointForm;

/// Local servers, in the order offered, with the command that starts each on its default port.
pub const LOCAL_SERVERS: [(Preset, &str); 4] = [
    (Preset::LlamaCpp, "llama-server -m model.gguf (port 8080)"),
    (Preset::Ollama, "ollama serve (port 11434), with OLLAMA_ORIGINS=* for a browser page"),
    (Preset::LmStudio, "LM Studio's local server (port 1234), CORS enabled"),
    (Preset::Vllm, "vllm serve <model> (port 8000), with --allowed-origins '[\"*\"]'"),
];

/// Points the task model at a local server of `preset` on its default address (the choice is
/// explicit, so a typed address is replaced); the model name stays unless it belonged to
/// another provider.
pub fn choose_local(form: &mut EndpointForm, preset: Preset) {
    if form.preset != preset {
        form.model.clear();
    }
    form.set_preset(preset);
    form.base_url = preset.default_base_url().to_owned();
}

/// The model ids in a `GET …/models` reply: OpenAI's `{"data": [{"id": …}]}` (llama.cpp,
/// vLLM, LM Studio, Ollama's `/v1`) or Ollama's `{"models": [{"name": …}]}`.
#[must_use]
pub fn model_ids(body: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else { return Vec::new() };
    let (list, key) = match (value.get("data"), value.get("models")) {
        (Some(list), _) => (list, "id"),
        (None, Some(list)) => (list, "name"),
        _ => return Vec::new(),
    };
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|m| m.get(key).and_then(|v| v.as_str()).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// What a model lookup at `base` found, for the line under the address: the model to use and
/// the sentence, or why there is none. `listed` is the server's reply (`None`: nothing answered);
/// `current` is the model name the form holds, kept when the server lists it.
///
/// # Errors
/// The sentence to show when there is no model to use.
pub fn lookup_result(
    base: &str,
    listed: Option<&str>,
    current: &str,
) -> Result<(String, String), String> {
    let Some(body) = listed else {
        return Err(format!(
            "Nothing answered at {base}. Start the server, or type its address here."
        ));
    };
    let models = model_ids(body);
    let Some(first) = models.first() else {
        return Err(format!("{base} answered, but listed no model: type its name in Model below."));
    };
    let chosen = if models.iter().any(|m| m == current.trim()) {
        current.trim().to_owned()
    } else {
        first.clone()
    };
    let said = format!("Found {} model(s) at {base}; using {chosen}.", models.len());
    Ok((chosen, said))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_lookup_keeps_a_listed_model_picks_the_first_otherwise_and_says_why_not() {
        let body = r#"{"data":[{"id":"a"},{"id":"b"}]}"#;
        let base = "http://localhost:8080/v1";
        assert_eq!(
            lookup_result(base, Some(body), "b"),
            Ok(("b".into(), format!("Found 2 model(s) at {base}; using b.")))
        );
        assert_eq!(lookup_result(base, Some(body), "").map(|r| r.0), Ok("a".into()));
        assert_eq!(lookup_result(base, Some(body), "gone").map(|r| r.0), Ok("a".into()));
        assert!(lookup_result(base, Some("{}"), "").unwrap_err().contains("listed no model"));
        assert!(lookup_result(base, None, "").unwrap_err().starts_with("Nothing answered at"));
    }

    use super::*;

    #[test]
    fn servers_list_their_models_in_two_shapes() {
        let openai =
            r#"{"object":"list","data":[{"id":"smollm2","object":"model"},{"id":"qwen"}]}"#;
        assert_eq!(model_ids(openai), ["smollm2", "qwen"]);
        let ollama = r#"{"models":[{"name":"llama3.2:1b","size":1}]}"#;
        assert_eq!(model_ids(ollama), ["llama3.2:1b"]);
        assert!(model_ids("<html>").is_empty());
        assert!(model_ids(r#"{"data": 3}"#).is_empty());
    }

    #[test]
    fn choosing_a_local_server_sets_its_address_and_drops_another_provider_s_model() {
        let mut form = EndpointForm::default();
        form.set_preset(Preset::OpenAi);
        form.model = "gpt-4o-mini".into();
        form.base_url = "https://example.org/v1".into();
        choose_local(&mut form, Preset::Ollama);
        assert_eq!(form.preset, Preset::Ollama);
        assert_eq!(form.base_url, "http://localhost:11434/v1");
        assert!(form.model.is_empty());
        form.model = "llama3.2:1b".into();
        choose_local(&mut form, Preset::Ollama);
        assert_eq!(form.model, "llama3.2:1b");
        // None of them is the page's own port.
        for (preset, _) in LOCAL_SERVERS {
            assert!(!preset.default_base_url().contains(":8642"));
        }
    }
}
