//! The native transport against a fault-injection server of our own on loopback: each path
//! misbehaves in one way, and the client must classify it and retry (or not) correctly.
#![cfg(feature = "native")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gepa_core::{ChatMessage, FailureKind, ModelRole, Reply};
use gepa_providers::native::NativeCalls;
use gepa_providers::price::PriceTable;
use gepa_providers::retry::RetryPolicy;
use gepa_providers::{CallMachine, CallSettings, EndpointConfig, Endpoints, Preset};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const OK: &str = r#"{"choices":[{"message":{"content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#;

/// Status, extra headers, body.
type Scripted = (u16, Vec<(&'static str, &'static str)>, String);

#[derive(Default)]
struct Stats {
    calls: BTreeMap<String, usize>,
    open: usize,
    peak_open: usize,
}

/// A loopback server whose first path segment picks the fault.
struct FaultServer {
    base: String,
    stats: Arc<Mutex<Stats>>,
}

impl FaultServer {
    async fn start() -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let stats = Arc::new(Mutex::new(Stats::default()));
        let shared = stats.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, shared.clone()));
            }
        });
        FaultServer { base, stats }
    }

    fn endpoint(&self, fault: &str) -> EndpointConfig {
        let mut config = EndpointConfig::from_preset(Preset::Custom, "test-model");
        config.base_url = format!("{}/{fault}/v1", self.base);
        config.timeout_ms = 1_000;
        config
    }

    fn calls(&self, fault: &str) -> usize {
        self.stats.lock().unwrap().calls.get(fault).copied().unwrap_or(0)
    }

    fn peak_open(&self) -> usize {
        self.stats.lock().unwrap().peak_open
    }
}

async fn serve(mut socket: TcpStream, stats: Arc<Mutex<Stats>>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    // Read the head, then the body by Content-Length.
    let (head_end, content_length) = loop {
        let Ok(n) = socket.read(&mut chunk).await else { return };
        if n == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..pos]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            break (pos + 4, length);
        }
    };
    while buffer.len() < head_end + content_length {
        let Ok(n) = socket.read(&mut chunk).await else { return };
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let fault = path.trim_start_matches('/').split('/').next().unwrap_or("").to_owned();
    let call = {
        let mut s = stats.lock().unwrap();
        let n = s.calls.entry(fault.clone()).or_default();
        *n += 1;
        let call = *n;
        s.open += 1;
        s.peak_open = s.peak_open.max(s.open);
        call
    };
    let reply: Option<Scripted> = match fault.as_str() {
        "rate" if call == 1 => {
            Some((429, vec![("Retry-After", "1")], r#"{"error":{"message":"slow down"}}"#.into()))
        }
        "flaky" if call == 1 => Some((500, vec![], "internal".into())),
        "hang" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            None
        }
        "garbage" => Some((200, vec![], "not json {".into())),
        "drop" => None,
        "length" => Some((
            200,
            vec![],
            r#"{"choices":[{"message":{"content":"The answer is"},"finish_reason":"length"}]}"#
                .into(),
        )),
        "auth" => {
            Some((401, vec![], r#"{"error":{"message":"Incorrect API key provided"}}"#.into()))
        }
        "slow" => {
            tokio::time::sleep(Duration::from_millis(150)).await;
            Some((200, vec![], OK.into()))
        }
        _ => Some((200, vec![], OK.into())),
    };
    if let Some((status, headers, body)) = reply {
        let mut response = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (k, v) in headers {
            response.push_str(&format!("{k}: {v}\r\n"));
        }
        response.push_str("\r\n");
        response.push_str(&body);
        let _ = socket.write_all(response.as_bytes()).await;
    }
    stats.lock().unwrap().open -= 1;
    // Dropping the socket closes the connection (for "drop": with no response at all).
}

/// Native calls to one endpoint (task and reflection alike), with fast backoff and the given
/// patience.
fn calls(config: EndpointConfig, concurrency: usize, patience_ms: u64) -> NativeCalls {
    let endpoints = Endpoints { task: config.clone(), reflection: config, judge: None };
    let settings = CallSettings {
        concurrency,
        retry: RetryPolicy { base_delay_ms: 20, max_delay_ms: 200, patience_ms },
        use_cache: false,
    };
    NativeCalls::new(CallMachine::new(endpoints, settings, PriceTable::default(), 0)).unwrap()
}

fn hi() -> Vec<ChatMessage> {
    vec![ChatMessage::user("hi")]
}

fn text(reply: &Reply) -> &str {
    match reply {
        Reply::Text { text, .. } => text,
        Reply::Failed { error, .. } => panic!("expected text, got {error}"),
    }
}

fn failure(reply: &Reply) -> (FailureKind, &str) {
    match reply {
        Reply::Failed { failure, error } => (*failure, error),
        Reply::Text { text, .. } => panic!("expected a failure, got {text}"),
    }
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_then_succeeds() {
    let server = FaultServer::start().await;
    let started = tokio::time::Instant::now();
    let reply = calls(server.endpoint("rate"), 4, 60_000).complete(ModelRole::Task, hi()).await;
    assert_eq!(text(&reply), "hello");
    assert_eq!(server.calls("rate"), 2);
    assert!(started.elapsed() >= Duration::from_millis(950), "Retry-After: 1 was honoured");
}

#[tokio::test]
async fn a_500_is_retried_and_the_next_attempt_succeeds() {
    let server = FaultServer::start().await;
    let reply = calls(server.endpoint("flaky"), 4, 60_000).complete(ModelRole::Task, hi()).await;
    assert_eq!(text(&reply), "hello");
    assert_eq!(server.calls("flaky"), 2);
}

#[tokio::test]
async fn a_hang_times_out_is_retried_and_pauses_once_patience_runs_out() {
    let server = FaultServer::start().await;
    let reply = calls(server.endpoint("hang"), 4, 1_500).complete(ModelRole::Task, hi()).await;
    let (kind, error) = failure(&reply);
    assert_eq!(kind, FailureKind::Transport);
    assert!(
        error.contains("no reply within 1 s") && error.contains("raise the timeout"),
        "{error}"
    );
    assert!(server.calls("hang") >= 2, "timed-out attempts are retried");
}

#[tokio::test]
async fn malformed_bodies_and_dropped_connections_are_retried_not_scored() {
    let server = FaultServer::start().await;
    for (fault, cause) in [("garbage", "not JSON"), ("drop", "")] {
        let reply = calls(server.endpoint(fault), 4, 300).complete(ModelRole::Task, hi()).await;
        let (kind, error) = failure(&reply);
        assert_eq!(kind, FailureKind::Transport, "{fault}: the engine pauses rather than scoring");
        assert!(error.contains(cause) && error.contains("has failed for"), "{fault}: {error}");
        assert!(server.calls(fault) >= 3, "{fault}: retried {} times", server.calls(fault));
    }
}

#[tokio::test]
async fn finish_reason_length_is_reported_as_truncated() {
    let server = FaultServer::start().await;
    let reply = calls(server.endpoint("length"), 4, 60_000).complete(ModelRole::Task, hi()).await;
    assert!(matches!(reply, Reply::Text { truncated: true, .. }), "{reply:?}");
}

#[tokio::test]
async fn a_401_is_never_retried_and_never_shows_the_key() {
    let server = FaultServer::start().await;
    let mut config = server.endpoint("auth");
    config.api_key = "sk-test-not-valid-000000".into();
    let reply = calls(config, 4, 60_000).complete(ModelRole::Task, hi()).await;
    let (kind, error) = failure(&reply);
    assert_eq!(kind, FailureKind::Transport);
    assert!(error.contains("HTTP 401") && error.contains("API key"), "{error}");
    assert_eq!(server.calls("auth"), 1);
    assert!(!error.contains("sk-test-not-valid-000000"));
}

#[tokio::test]
async fn eight_calls_with_limit_four_never_exceed_four_in_flight() {
    let server = FaultServer::start().await;
    let mut native = calls(server.endpoint("slow"), 4, 60_000);
    let replies = native.complete_all((0..8).map(|_| (ModelRole::Task, hi())).collect()).await;
    assert_eq!(replies.iter().filter(|r| text(r) == "hello").count(), 8);
    assert_eq!(server.calls("slow"), 8);
    assert!(server.peak_open() <= 4, "server saw {} at once", server.peak_open());
    assert_eq!(native.machine.peak_in_flight(), 4);
    assert_eq!(native.machine.in_flight(), 0);
}

#[tokio::test]
async fn only_complete_replies_are_cached_and_the_cache_file_round_trips() {
    use gepa_providers::cache::ResponseCache;
    use gepa_providers::native::{load_cache_file, save_cache_file};
    let server = FaultServer::start().await;
    let cached = |fault: &str, cache: ResponseCache| {
        let mut native = calls(server.endpoint(fault), 4, 100).with_cache(cache);
        native.machine.set_use_cache(true);
        native
    };
    let mut cache = ResponseCache::default();
    for fault in ["ok", "length", "auth", "ok", "length", "auth"] {
        let mut native = cached(fault, cache);
        let _ = native.complete(ModelRole::Task, hi()).await;
        cache = native.cache().unwrap().clone();
    }
    assert_eq!(server.calls("ok"), 1, "a complete reply is served from the cache");
    assert_eq!(server.calls("length"), 2, "a truncated reply is never cached");
    assert_eq!(server.calls("auth"), 2, "an error is never cached");

    let dir = std::env::temp_dir().join(format!("gepa-cache-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cache.json");
    let mut keyed = server.endpoint("ok");
    keyed.api_key = "sk-never-stored-123456".into();
    let mut native = calls(keyed, 4, 100).with_cache(cache);
    native.machine.set_use_cache(true);
    let _ = native.complete(ModelRole::Task, hi()).await;
    save_cache_file(&path, native.cache().unwrap()).unwrap();
    assert!(!std::fs::read_to_string(&path).unwrap().contains("sk-never-stored-123456"));
    let mut reloaded = cached("ok", load_cache_file(&path).unwrap());
    assert_eq!(text(&reloaded.complete(ModelRole::Task, hi()).await), "hello");
    assert_eq!(server.calls("ok"), 1, "served from the reloaded file");
    std::fs::write(&path, "{broken").unwrap();
    assert!(load_cache_file(&path).unwrap_err().contains("delete it"));
    assert!(load_cache_file(&dir.join("missing.json")).unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}
