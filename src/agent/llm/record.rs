//! A model call as a store event: the `llm_call` record (request as sent — model, messages,
//! body parameters, never a header, so never the key —, the raw reply, what it parsed to, token
//! usage, latency and every attempt), and the scrubbing every error message gets on the way.
//!
//! Shared by the batch runner (`eval::record`, which adds the choice-specific parts) and the CR
//! agents (`agent::llm::cr`).

use std::time::Duration;

use serde_json::{Map, Value};

use super::error::CallError;
use super::types::{ChatMessage, Completion, Usage};
use super::{Attempt as ClientAttempt, LlmClient};
use crate::session::{Attempt, EventBody, LlmCall, TokenUsage};

/// `text` without the user info (`user:password`) of `endpoint`, if the URL has one: error
/// messages quote the URL, and the store must not keep a password.
#[must_use]
pub fn scrub(text: &str, endpoint: &str) -> String {
    let authority = endpoint
        .split_once("://")
        .map_or(endpoint, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    match authority.rsplit_once('@') {
        Some((user_info, _)) if !user_info.is_empty() => text.replace(user_info, "<redacted>"),
        _ => text.to_owned(),
    }
}

/// Milliseconds, saturating.
#[must_use]
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The request body as the client sends it: model, messages, then temperature, max tokens and
/// extra parameters.
#[must_use]
pub fn request_value(client: &LlmClient, messages: &[ChatMessage]) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), Value::from(client.config().model.clone()));
    body.insert(
        "messages".into(),
        serde_json::to_value(messages).unwrap_or(Value::Null),
    );
    if let Ok(params) = client.config().body_params() {
        body.extend(params);
    }
    Value::Object(body)
}

/// Token counts as the store keeps them.
#[must_use]
pub const fn token_usage(u: Usage) -> TokenUsage {
    TokenUsage {
        prompt_tokens: u.prompt_tokens,
        completion_tokens: u.completion_tokens,
        total_tokens: u.total_tokens,
    }
}

/// The attempts of a call as the store keeps them, messages scrubbed.
#[must_use]
pub fn attempt_records(list: &[ClientAttempt], endpoint: &str) -> Vec<Attempt> {
    list.iter()
        .map(|a| Attempt {
            status: a.status,
            error: a.error.map(|kind| match &a.message {
                Some(m) => scrub(&format!("{}: {m}", kind.name()), endpoint),
                None => kind.name().to_owned(),
            }),
            latency_ms: millis(a.latency),
        })
        .collect()
}

/// The `llm_call` event of one call of `messages`: its completion with what it parsed to, or
/// the error that ended it after every attempt.
#[must_use]
pub fn call_event(
    client: &LlmClient,
    purpose: &str,
    messages: &[ChatMessage],
    outcome: &Result<Completion, CallError>,
    parsed: Option<Value>,
) -> EventBody {
    let endpoint = client.endpoint();
    let call = match outcome {
        Ok(c) => LlmCall {
            purpose: Some(purpose.to_owned()),
            model: Some(client.config().model.clone()),
            request: request_value(client, messages),
            raw_reply: Some(c.text.clone()),
            parsed,
            usage: c.usage.map(token_usage),
            finish_reason: c.finish_reason.clone(),
            latency_ms: millis(c.latency),
            attempts: attempt_records(&c.attempts, endpoint),
            error: None,
        },
        Err(e) => LlmCall {
            purpose: Some(purpose.to_owned()),
            model: Some(client.config().model.clone()),
            request: request_value(client, messages),
            raw_reply: None,
            parsed: None,
            usage: None,
            finish_reason: None,
            latency_ms: millis(e.latency),
            attempts: attempt_records(&e.attempts, endpoint),
            error: Some(scrub(&e.error.to_string(), endpoint)),
        },
    };
    EventBody::LlmCall(Box::new(call))
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn passwords_in_urls_are_scrubbed() {
        let url = "http://bob:hunter2@10.0.0.1:8000/v1/chat/completions";
        assert_eq!(
            scrub(&format!("could not connect to {url}: refused"), url),
            "could not connect to http://<redacted>@10.0.0.1:8000/v1/chat/completions: refused"
        );
        assert_eq!(scrub("as is", "http://h:1/v1"), "as is");
    }
}
