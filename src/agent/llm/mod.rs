//! Models as agents: a thin client for OpenAI-compatible `POST {base}/chat/completions`
//! (OpenAI, vLLM, Ollama, llama.cpp server, DeepSeek), prompt templates, and reply parsing.
//!
//! [`cr`] holds the model agents of CR dialogues (staged and free therapists, a judge, a
//! simulated client); [`record`] turns a call into its `llm_call` event.
//!
//! This is the only module that touches reqwest. Parsing ([`parse`]) and prompt rendering
//! ([`prompt`]) are pure; the client ([`LlmClient`]) retries connect errors, timeouts, 429 and
//! 5xx with jittered exponential backoff and records every attempt; [`Pool`] caps how many
//! calls run at once; [`ask_choice`] puts the three together for one decision.
//!
//! The API key is read from the environment variable the caller names, sent only in the
//! `Authorization` header (marked sensitive), and never kept in a record, a `Debug` output or an
//! error message (servers that quote it back have it replaced by `<redacted>`).

pub mod ask;
pub mod client;
pub mod config;
pub mod cr;
pub mod error;
pub mod official;
pub mod parse;
pub mod pool;
pub mod prompt;
pub mod record;
mod response;
pub mod retry;
pub mod safety;
pub mod sse;
/// The loopback test server: built for tests and benches only (the `testing` feature, which
/// the crate's own dev-dependency on itself turns on), never into the release binary.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod types;

pub use ask::{Answer, Exchange, ask_choice};
pub use client::LlmClient;
pub use config::{ApiKey, CLIENT_FIELDS, DEFAULT_API_KEY_ENV, LlmConfig, RetryPolicy};
pub use error::{CallError, LlmError};
pub use parse::{Choices, Method, ParseFailure, ParsedChoice, parse_choice};
pub use pool::{Limiter, Pool};
pub use prompt::{
    Prompt, PromptKind, PromptParts, PromptSet, Slot, Template, TemplateError, gae_parts, iae_parts,
};
pub use types::{Attempt, ChatMessage, ChatRole, Completion, ErrorKind, StreamEvent, Usage};
