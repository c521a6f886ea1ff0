//! The message benchmark page (`?bench=messages`): the worker's messages made from a real run
//! file (its events, admitted candidates, state and plausible requests and replies), each sent
//! both ways the page could send it — as a JavaScript value made by serde-wasm-bindgen (what
//! the worker link does) and as JSON text — through `structuredClone` (what `postMessage`
//! does) and back. The timings are written into the page as JSON for `bench/messages.mjs` to
//! read. Not a test: numbers go to BENCHMARKS.md.

use gepa_core::{ChatMessage, Event, ModelRole, Purpose, Reply, Request, Split};
use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

use crate::transport::precise_ms as now_ms;
use crate::worker::protocol::{FromHost, Snapshot, ToHost, Update};

const ROUNDS: usize = 30;

/// The messages of a run like the one in `file`: one update per three events (with three new
/// requests), each admission with its pool entry, the state at every save point, and a reply
/// message per update.
fn messages(file: &gepa_share::RunFile) -> (Vec<FromHost>, Vec<ToHost>) {
    let pool: Vec<gepa_core::engine::PoolEntry> = file
        .engine
        .get("engine")
        .and_then(|e| e.get("pool"))
        .and_then(|p| serde_json::from_value(p.clone()).ok())
        .unwrap_or_default();
    let state = file.state_text();
    let request = |id: u64| Request {
        id,
        role: ModelRole::Task,
        messages: vec![
            ChatMessage::system(
                pool.first()
                    .map(|p| {
                        p.candidate.iter().map(|(_, text)| text).collect::<Vec<_>>().join("\n")
                    })
                    .unwrap_or_default(),
            ),
            ChatMessage::user(format!(
                "Ticket {id}: I was charged twice for my March subscription."
            )),
        ],
        purpose: Purpose::Generate { split: Split::Train, example: id as u32, step: 0 },
        rank: id,
    };
    let snapshot = Snapshot {
        rollouts: 40,
        iterations: 3,
        spend: gepa_core::engine::Spend::default(),
        active_ms: 12_000,
        status: gepa_core::Status::Running,
        in_flight: Vec::new(),
        best: Some(1),
    };
    let mut admitted = pool.iter();
    let mut updates = Vec::new();
    let mut replies = Vec::new();
    for (n, events) in file.events.chunks(3).enumerate() {
        let id = n as u64 * 3;
        let added = events.iter().filter(|e| matches!(e, Event::CandidateAdded { .. })).count();
        updates.push(FromHost::Update(Box::new(Update {
            engine: 1,
            requests: (id..id + 3).map(request).collect(),
            events: events.to_vec(),
            snapshot: snapshot.clone(),
            admitted: admitted.by_ref().take(added).cloned().collect(),
            state: events.iter().any(Event::is_save_point).then(|| state.clone()),
        })));
        replies.push(ToHost::Replies {
            engine: 1,
            replies: (id..id + 3).map(|i| (i, Reply::text(format!("billing {i}")))).collect(),
            now: 1_000 + id,
        });
    }
    (updates, replies)
}

fn clone_js(value: &JsValue) -> JsValue {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &"structuredClone".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call1(&JsValue::UNDEFINED, value).ok())
        .unwrap_or(JsValue::NULL)
}

/// Milliseconds for every message once, each way (best of `ROUNDS`), and the JSON text's bytes.
fn time_both<T: Serialize + DeserializeOwned>(messages: &[T]) -> (f64, f64, usize) {
    let serializer =
        serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);
    let (mut value_ms, mut json_ms, mut bytes) = (f64::MAX, f64::MAX, 0);
    for _ in 0..ROUNDS {
        let t = now_ms();
        for m in messages {
            let sent = m.serialize(&serializer).unwrap_or(JsValue::NULL);
            let _: Option<T> = serde_wasm_bindgen::from_value(clone_js(&sent)).ok();
        }
        value_ms = value_ms.min(now_ms() - t);
        let t = now_ms();
        bytes = 0;
        for m in messages {
            let text = serde_json::to_string(m).unwrap_or_default();
            bytes += text.len();
            let received = clone_js(&JsValue::from_str(&text)).as_string().unwrap_or_default();
            let _: Option<T> = serde_json::from_str(&received).ok();
        }
        json_ms = json_ms.min(now_ms() - t);
    }
    (value_ms, json_ms, bytes)
}

/// The benchmark page; the run file comes from `window.gepaBenchRunFile` (set by the script).
#[component]
pub fn MessageBench() -> impl IntoView {
    let text = js_sys::Reflect::get(&js_sys::global(), &"gepaBenchRunFile".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let result = match gepa_share::RunFile::parse(&text) {
        Ok(file) => {
            let (updates, replies) = messages(&file);
            let (u_value, u_json, u_bytes) = time_both(&updates);
            let (r_value, r_json, r_bytes) = time_both(&replies);
            format!(
                "{{\"updates\":{},\"update_value_ms\":{u_value:.2},\"update_json_ms\":{u_json:.2},\"update_json_bytes\":{u_bytes},\"reply_messages\":{},\"reply_value_ms\":{r_value:.2},\"reply_json_ms\":{r_json:.2},\"reply_json_bytes\":{r_bytes}}}",
                updates.len(),
                replies.len(),
            )
        }
        Err(e) => format!("{{\"error\":{:?}}}", e.to_string()),
    };
    view! {
        <main class="workspace">
            <section class="panel span-all">
                <h2>"Message benchmark"</h2>
                <pre data-testid="bench-result">{result}</pre>
            </section>
        </main>
    }
}
