//! A model's answer as store events: one `llm_call` per HTTP call (the first ask, the
//! correction if one was sent, or the call that failed), with the request as sent (model,
//! messages, body parameters — never a header, so never the key), the raw reply, what it parsed
//! to, token usage, latency and every attempt.
//!
//! `parsed` is the [`ParsedChoice`] (`{"index", "letter", "method"}`) when the reply gave a
//! usable letter, else `{"failure": {"kind": …}}` with the typed [`ParseFailure`].
//!
//! [`ParsedChoice`]: crate::agent::llm::ParsedChoice
//! [`ParseFailure`]: crate::agent::llm::ParseFailure

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::agent::llm::parse::correction_message;
use crate::agent::llm::{Answer, ChatMessage, LlmClient, Usage};
use crate::script::model::Language;
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

fn usage(u: Usage) -> TokenUsage {
    TokenUsage {
        prompt_tokens: u.prompt_tokens,
        completion_tokens: u.completion_tokens,
        total_tokens: u.total_tokens,
    }
}

fn attempts(list: &[crate::agent::llm::Attempt], endpoint: &str) -> Vec<Attempt> {
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

/// The whole time the decision took: every call, retries and waits included.
#[must_use]
pub fn answer_latency(answer: &Answer) -> Duration {
    let calls: Duration = answer.exchanges.iter().map(|e| e.completion.latency).sum();
    calls + answer.error.as_ref().map_or(Duration::ZERO, |e| e.latency)
}

/// The `llm_call` events of one decision. `prompt` is what was first sent; `correction` the
/// language and option count of the correction round (to rebuild the request of a correction
/// that failed over HTTP).
#[must_use]
pub fn call_events(
    client: &LlmClient,
    purpose: &str,
    prompt: &[ChatMessage],
    answer: &Answer,
    correction: Option<(Language, usize)>,
) -> Vec<EventBody> {
    let model = Some(client.config().model.clone());
    let endpoint = client.endpoint();
    let mut out = Vec::with_capacity(answer.exchanges.len() + 1);
    for exchange in &answer.exchanges {
        let parsed = match &exchange.parsed {
            Ok(choice) => serde_json::to_value(choice).ok(),
            Err(failure) => Some(json!({ "failure": failure })),
        };
        out.push(EventBody::LlmCall(Box::new(LlmCall {
            purpose: Some(purpose.to_owned()),
            model: model.clone(),
            request: request_value(client, &exchange.messages),
            raw_reply: Some(exchange.completion.text.clone()),
            parsed,
            usage: exchange.completion.usage.map(usage),
            finish_reason: exchange.completion.finish_reason.clone(),
            latency_ms: millis(exchange.completion.latency),
            attempts: attempts(&exchange.completion.attempts, endpoint),
            error: None,
        })));
    }
    if let Some(error) = &answer.error {
        // The call that failed: the first ask, or the correction after the first reply.
        let messages = match (answer.exchanges.last(), correction) {
            (Some(first), Some((language, count))) => {
                let mut m = first.messages.clone();
                m.push(ChatMessage::assistant(first.completion.text.clone()));
                m.push(ChatMessage::user(correction_message(language, count)));
                m
            }
            _ => prompt.to_vec(),
        };
        out.push(EventBody::LlmCall(Box::new(LlmCall {
            purpose: Some(purpose.to_owned()),
            model,
            request: request_value(client, &messages),
            raw_reply: None,
            parsed: None,
            usage: None,
            finish_reason: None,
            latency_ms: millis(error.latency),
            attempts: attempts(&error.attempts, endpoint),
            error: Some(scrub(&error.error.to_string(), endpoint)),
        })));
    }
    out
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
