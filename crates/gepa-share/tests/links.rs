//! Share links: round trips, hostile input, secrets and released-version fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gepa_core::{Candidate, MetricSpec, Program};
use gepa_providers::{EndpointConfig, Endpoints, Preset};
use gepa_share::link::{LinkError, MAX_INFLATED_BYTES};
use gepa_share::{SharedData, SharedPrompt, SharedScores};
use proptest::prelude::*;

const SECRET: &str = "sk-test-SECRET-0123456789abcdef";

fn prompt(system: &str, template: &str) -> SharedPrompt {
    SharedPrompt {
        components: Candidate::new([("system", system)]),
        program: Program::single_prompt("system", template),
        metric: MetricSpec::NormalizedMatch,
        provider: "open_ai_compatible".into(),
        task_model: "gpt-4o-mini".into(),
        reflection_model: "gpt-4.1".into(),
        scores: SharedScores {
            seed_val: Some(0.25),
            best_val: Some(0.75),
            seed_test: None,
            best_test: Some(0.7),
        },
        data: None,
    }
}

fn payload_of(json: &str) -> String {
    format!(
        "v1.{}",
        URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 6))
    )
}

#[test]
fn a_link_round_trips_through_a_url_fragment() {
    let mut p = prompt("Classify the ticket.\nRules: billing first.", "Ticket: {{ticket}}");
    p.data = Some(SharedData {
        columns: vec!["ticket".into(), "label".into()],
        roles: vec!["input".into(), "expected".into()],
        rows: vec![vec!["refund please".into(), "billing".into()]],
    });
    let link = p.link("https://example.org/gepa/?x=1#old").unwrap();
    assert!(link.starts_with("https://example.org/gepa/?x=1#prompt=v1."), "{link}");
    assert_eq!(SharedPrompt::decode(&link).unwrap(), p);
    let payload = p.encode().unwrap();
    assert_eq!(SharedPrompt::decode(&payload).unwrap(), p);
    assert_eq!(SharedPrompt::decode(&format!("#prompt={payload}")).unwrap(), p);
    assert!(payload.len() < 600, "a short prompt stays chat-safe: {}", payload.len());
}

#[test]
fn links_carry_model_names_but_never_keys_or_endpoint_urls() {
    let mut task = EndpointConfig::from_preset(Preset::OpenAi, "gpt-4o-mini");
    task.api_key = SECRET.into();
    task.base_url = format!("https://user:{SECRET}@proxy.example.com/v1?key={SECRET}");
    let mut reflection = EndpointConfig::from_preset(Preset::Anthropic, "claude-sonnet-4");
    reflection.api_key = SECRET.into();
    let endpoints = Endpoints { task, reflection, judge: None };
    let base = prompt("x", "{{q}}");
    let shared = SharedPrompt::from_run(
        base.components,
        base.program,
        base.metric,
        &endpoints,
        SharedScores::default(),
    );
    let link = shared.link("https://example.org/").unwrap();
    let decoded = SharedPrompt::decode(&link).unwrap();
    let everything = format!("{link}\n{}", serde_json::to_string(&decoded).unwrap());
    assert!(!everything.contains(SECRET), "{everything}");
    assert!(!everything.contains("proxy.example.com"));
    assert_eq!(
        (decoded.task_model.as_str(), decoded.reflection_model.as_str()),
        ("gpt-4o-mini", "claude-sonnet-4")
    );
    assert_eq!(decoded.provider, "open_ai_compatible");
    assert_eq!(decoded.provider_label(), "OpenAI-compatible API", "shown by its name");
}

#[test]
fn hostile_links_get_their_own_clear_errors() {
    let good = prompt("x", "{{q}}").encode().unwrap();
    assert_eq!(SharedPrompt::decode("https://example.org/"), Err(LinkError::NotALink));
    assert!(
        matches!(SharedPrompt::decode("#prompt=v9.abc"), Err(LinkError::UnknownVersion(v)) if v == "v9")
    );
    assert_eq!(SharedPrompt::decode("#prompt=v1.***not base64***"), Err(LinkError::BadEncoding));
    let truncated = &good[..good.len() / 2];
    assert!(
        matches!(
            SharedPrompt::decode(truncated),
            Err(LinkError::BadCompression | LinkError::BadEncoding)
        ),
        "{truncated}"
    );
    // A decompression bomb: megabytes of zeros in a few kilobytes.
    let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b'0'; MAX_INFLATED_BYTES * 8], 9);
    assert!(bomb.len() < 20_000);
    let bomb = format!("v1.{}", URL_SAFE_NO_PAD.encode(bomb));
    assert_eq!(SharedPrompt::decode(&bomb), Err(LinkError::TooLarge));
    // Wrong types and missing fields.
    assert!(matches!(
        SharedPrompt::decode(&payload_of(r#"{"c": 5}"#)),
        Err(LinkError::BadContent(_))
    ));
    assert!(matches!(SharedPrompt::decode(&payload_of("[1,2,3]")), Err(LinkError::BadContent(_))));
    // Huge fields.
    let huge = prompt(&"a".repeat(60_000), "{{q}}");
    let json = serde_json::to_string(&huge).unwrap();
    assert!(matches!(SharedPrompt::decode(&payload_of(&json)), Err(LinkError::Limit(_))));
    assert!(matches!(huge.encode(), Err(LinkError::Limit(_))));
    // Every error explains itself.
    for e in [
        LinkError::NotALink,
        LinkError::BadEncoding,
        LinkError::BadCompression,
        LinkError::TooLarge,
        LinkError::TooLongForLink(40_000),
    ] {
        assert!(e.to_string().len() > 30, "{e}");
    }
}

#[test]
fn markup_in_fields_survives_as_plain_text() {
    let p = prompt("<script>alert(1)</script><img src=x onerror=alert(2)>", "{{q}} </pre>");
    let back = SharedPrompt::decode(&p.encode().unwrap()).unwrap();
    assert_eq!(
        back.components.get("system"),
        Some("<script>alert(1)</script><img src=x onerror=alert(2)>")
    );
}

#[test]
fn links_too_long_for_chat_or_at_all_are_flagged() {
    assert_eq!(SharedPrompt::length_advice(500), None);
    assert!(SharedPrompt::length_advice(2_500).unwrap().contains("chat apps"));
    assert!(SharedPrompt::length_advice(40_000).unwrap().contains("file"));
    // Incompressible text past the cap is refused with the length.
    let mut rng = gepa_core::Rng::from_seed(1);
    let noise: String = (0..45_000).map(|_| char::from(b'!' + rng.below(90) as u8)).collect();
    let mut p = prompt(&noise[..40_000], "{{q}}");
    p.components = Candidate::new([("system", &noise[..40_000]), ("extra", &noise[..5_000])]);
    p.program = Program::single_prompt("system", "{{q}} {{extra}}");
    assert!(matches!(p.encode(), Err(LinkError::TooLongForLink(n)) if n > 32_000));
}

#[test]
fn every_released_link_version_still_opens() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("prompt-link-") {
            let text = std::fs::read_to_string(&path).unwrap();
            let p =
                SharedPrompt::decode(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!p.components.is_empty());
            seen += 1;
        }
    }
    assert!(seen >= 1, "keep a fixture of every released link version");
}

proptest! {
    #[test]
    fn any_prompt_round_trips(system in "\\PC{1,300}", template in "[a-z {}]{0,40}\\{\\{q\\}\\}", sv in proptest::option::of(0.0f64..=1.0), rows in 0usize..5) {
        let mut p = prompt(&system, &template);
        p.scores.seed_val = sv;
        if rows > 0 {
            p.data = Some(SharedData { columns: vec!["q".into()], roles: vec!["input".into()], rows: (0..rows).map(|i| vec![format!("row {i}")]).collect() });
        }
        let back = SharedPrompt::decode(&p.link("http://127.0.0.1:8080/").unwrap()).unwrap();
        prop_assert_eq!(back, p);
    }

    #[test]
    fn the_decoder_never_panics_on_arbitrary_text(text in "\\PC{0,300}") {
        let _ = SharedPrompt::decode(&text);
        let _ = SharedPrompt::decode(&format!("#prompt=v1.{text}"));
    }

    #[test]
    fn the_decoder_never_panics_on_arbitrary_compressed_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let packed = format!("v1.{}", URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&bytes, 1)));
        let _ = SharedPrompt::decode(&packed);
        let raw = format!("v1.{}", URL_SAFE_NO_PAD.encode(&bytes));
        let _ = SharedPrompt::decode(&raw);
    }
}
