//! What the CLI tests share: running the binary, a fresh directory, and a scripted HTTP server
//! on loopback (plain threads; native only).
#![allow(dead_code, clippy::unwrap_used, clippy::disallowed_methods)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `gepa` with `args`, without a key or model from the environment.
pub fn gepa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gepa"))
        .args(args)
        .env_remove("GEPA_TASK_API_KEY")
        .env_remove("GEPA_TASK_MODEL")
        .output()
        .unwrap()
}

/// An empty directory of its own for test `name`, removed when the test is done with it.
pub fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("gepa-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// A directory that is deleted on drop (a failed test's files go too; rerun with
/// `GEPA_KEEP_TEST_DIRS=1` to keep them).
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("GEPA_KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// An HTTP response with a JSON body.
pub fn response(status: &str, extra_headers: &str, json: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra_headers}content-length: {}\r\nconnection: close\r\n\r\n{json}",
        json.len()
    )
}

/// A chat completion holding `content` (already JSON-escaped).
pub fn completion(content: &str) -> String {
    response(
        "200 OK",
        "",
        &format!(
            "{{\"choices\":[{{\"message\":{{\"content\":\"{content}\"}},\"finish_reason\":\"stop\"}}],\"usage\":{{\"prompt_tokens\":10,\"completion_tokens\":2}}}}"
        ),
    )
}

/// A scripted server: `reply(n, body)` answers the `n`-th request (from 0) with a raw HTTP
/// response, or `None` to drop the connection. Returns its `/v1` base URL and a request counter.
pub fn scripted_server(reply: fn(usize, &str) -> Option<String>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                if let Some(response) = reply(n, &String::from_utf8_lossy(&body)) {
                    let _ = stream.write_all(response.as_bytes());
                }
            });
        }
    });
    (base, count)
}
