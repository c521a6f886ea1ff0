//! `gepa-providers`: how the playground talks to LLM endpoints.
//!
//! The pure layer (everything but `native`) builds HTTP requests for a provider, parses its
//! replies (text, finish reason, token usage), classifies failures, decides retries, prices calls
//! and redacts secrets. It never performs I/O and is tested natively. [`CallMachine`] puts it all
//! together: one sans-IO machine that says what to do around every call (look up the cache, send
//! these bytes, wait, store, reply) and that both transports drive alike. Transports are thin:
//! the browser's lives in the app (`fetch` through gloo-net), the native one is `native`
//! (reqwest with rustls), enabled by the `native` feature. Only transports know how to send
//! bytes.

pub mod cache;
pub mod call;
pub mod doctor;
pub mod endpoint;
pub mod error;
pub mod http;
pub mod key;
pub mod limiter;
pub mod machine;
pub mod preset;
pub mod price;
pub mod redact;
pub mod retry;
pub mod wire;

#[cfg(feature = "native")]
pub mod native;

pub use call::{Endpoints, to_reply};
pub use endpoint::{EndpointConfig, ModelParams, ProviderKind};
pub use error::{ErrorKind, ProviderError};
pub use http::{HttpRequest, HttpResponse};
pub use key::ApiKey;
pub use machine::{Action, CallId, CallMachine, CallSettings, EndpointStatus};
pub use preset::Preset;
pub use wire::Completion;
