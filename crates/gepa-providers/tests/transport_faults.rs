//! The native transport against a fault-injection server of our own on loopback: each path
//! misbehaves in one way, and the client must classify it and retry (or not) correctly.
#![cfg(feature = "native")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gepa_core::{ChatMessage, Rng};
use gepa_providers::native::NativeClient;
use gepa_providers::retry::RetryPolicy;
use gepa_providers::{EndpointConfig, ErrorKind, Preset};
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

fn client(attempts: u32) -> NativeClient {
    let mut client = NativeClient::new(Duration::from_millis(700)).unwrap();
    client.retry = RetryPolicy { max_attempts: attempts, base_delay_ms: 20, max_delay_ms: 2_000 };
    client
}

fn hi() -> Vec<ChatMessage> {
    vec![ChatMessage::user("hi")]
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_then_succeeds() {
    let server = FaultServer::start().await;
    let client = client(3);
    let started = tokio::time::Instant::now();
    let completion =
        client.complete(&server.endpoint("rate"), &hi(), &mut Rng::from_seed(0)).await.unwrap();
    assert_eq!(completion.text, "hello");
    assert_eq!(server.calls("rate"), 2);
    assert!(started.elapsed() >= Duration::from_millis(950), "Retry-After: 1 was honoured");
}

#[tokio::test]
async fn a_500_is_retried_and_the_next_attempt_succeeds() {
    let server = FaultServer::start().await;
    let completion =
        client(3).complete(&server.endpoint("flaky"), &hi(), &mut Rng::from_seed(0)).await.unwrap();
    assert_eq!(completion.text, "hello");
    assert_eq!(server.calls("flaky"), 2);
}

#[tokio::test]
async fn a_hang_times_out_after_bounded_attempts() {
    let server = FaultServer::start().await;
    let err = client(2)
        .complete(&server.endpoint("hang"), &hi(), &mut Rng::from_seed(0))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
    assert_eq!(server.calls("hang"), 2);
}

#[tokio::test]
async fn malformed_json_is_classified_and_not_a_panic() {
    let server = FaultServer::start().await;
    let err = client(2)
        .complete(&server.endpoint("garbage"), &hi(), &mut Rng::from_seed(0))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Malformed, "{err}");
    assert!(err.message.contains("not JSON"));
}

#[tokio::test]
async fn a_dropped_connection_is_a_transport_failure() {
    let server = FaultServer::start().await;
    let err = client(2)
        .complete(&server.endpoint("drop"), &hi(), &mut Rng::from_seed(0))
        .await
        .unwrap_err();
    assert!(matches!(err.kind, ErrorKind::Network | ErrorKind::Malformed), "{err:?}");
    assert_eq!(
        err.failure_kind(),
        gepa_core::FailureKind::Transport,
        "the engine pauses rather than scoring"
    );
    assert_eq!(server.calls("drop"), 2);
}

#[tokio::test]
async fn finish_reason_length_is_reported_as_truncated() {
    let server = FaultServer::start().await;
    let completion = client(1)
        .complete(&server.endpoint("length"), &hi(), &mut Rng::from_seed(0))
        .await
        .unwrap();
    assert!(completion.truncated());
}

#[tokio::test]
async fn a_401_is_never_retried() {
    let server = FaultServer::start().await;
    let mut config = server.endpoint("auth");
    config.api_key = "sk-test-not-valid-000000".into();
    let err = client(5).complete(&config, &hi(), &mut Rng::from_seed(0)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Auth);
    assert_eq!(server.calls("auth"), 1);
    assert!(!err.to_string().contains("sk-test-not-valid-000000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_calls_with_limit_four_never_exceed_four_in_flight() {
    let server = FaultServer::start().await;
    let client = client(1).with_concurrency(4);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let client = client.clone();
        let config = server.endpoint("slow");
        set.spawn(async move { client.complete(&config, &hi(), &mut Rng::from_seed(i)).await });
    }
    let mut ok = 0;
    while let Some(result) = set.join_next().await {
        assert!(result.unwrap().is_ok());
        ok += 1;
    }
    assert_eq!(ok, 8);
    assert_eq!(server.calls("slow"), 8);
    assert!(server.peak_open() <= 4, "server saw {} at once", server.peak_open());
    assert_eq!(client.peak_in_flight(), 4);
    assert_eq!(client.limiter_state().in_flight, 0);
}

#[tokio::test]
async fn a_cancelled_call_frees_its_slot_and_queue_place() {
    let server = FaultServer::start().await;
    let client = NativeClient::new(Duration::from_secs(20)).unwrap().with_concurrency(1);
    let hung = {
        let client = client.clone();
        let config = server.endpoint("hang");
        tokio::spawn(async move { client.complete(&config, &hi(), &mut Rng::from_seed(0)).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting = {
        let client = client.clone();
        let config = server.endpoint("ok");
        tokio::spawn(async move { client.complete(&config, &hi(), &mut Rng::from_seed(1)).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!((client.limiter_state().in_flight, client.limiter_state().queued), (1, 1));
    hung.abort();
    let _ = hung.await;
    assert!(waiting.await.unwrap().is_ok(), "the queued call proceeds once the slot is freed");
    assert_eq!((client.limiter_state().in_flight, client.limiter_state().queued), (0, 0));
}

#[tokio::test]
async fn only_complete_replies_are_cached_and_the_cache_file_round_trips() {
    use gepa_providers::cache::ResponseCache;
    use gepa_providers::native::{load_cache_file, save_cache_file};
    let server = FaultServer::start().await;
    let cached = client(1).with_cache(ResponseCache::default());
    for _ in 0..2 {
        cached.complete(&server.endpoint("ok"), &hi(), &mut Rng::from_seed(0)).await.unwrap();
        cached.complete(&server.endpoint("length"), &hi(), &mut Rng::from_seed(0)).await.unwrap();
        let _ = cached.complete(&server.endpoint("auth"), &hi(), &mut Rng::from_seed(0)).await;
    }
    assert_eq!(server.calls("ok"), 1, "a complete reply is served from the cache");
    assert_eq!(server.calls("length"), 2, "a truncated reply is never cached");
    assert_eq!(server.calls("auth"), 2, "an error is never cached");

    let dir = std::env::temp_dir().join(format!("gepa-cache-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cache.json");
    let mut keyed = server.endpoint("ok");
    keyed.api_key = "sk-never-stored-123456".into();
    cached.complete(&keyed, &hi(), &mut Rng::from_seed(0)).await.unwrap();
    save_cache_file(&path, &cached.cache_snapshot().unwrap()).unwrap();
    assert!(!std::fs::read_to_string(&path).unwrap().contains("sk-never-stored-123456"));
    let reloaded = client(1).with_cache(load_cache_file(&path).unwrap());
    reloaded.complete(&server.endpoint("ok"), &hi(), &mut Rng::from_seed(0)).await.unwrap();
    assert_eq!(server.calls("ok"), 1, "served from the reloaded file");
    std::fs::write(&path, "{broken").unwrap();
    assert!(load_cache_file(&path).unwrap_err().contains("delete it"));
    assert!(load_cache_file(&dir.join("missing.json")).unwrap().is_empty());

    let mut off = load_cache_file(&dir.join("missing.json")).unwrap();
    off.enabled = false;
    let bypass = client(1).with_cache(off);
    bypass.complete(&server.endpoint("ok"), &hi(), &mut Rng::from_seed(0)).await.unwrap();
    bypass.complete(&server.endpoint("ok"), &hi(), &mut Rng::from_seed(0)).await.unwrap();
    assert_eq!(server.calls("ok"), 3, "bypass reads and writes nothing");
    std::fs::remove_dir_all(&dir).unwrap();
}
