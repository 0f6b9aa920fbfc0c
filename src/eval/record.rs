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

use serde_json::json;

use crate::agent::llm::parse::correction_message;
use crate::agent::llm::record::{attempt_records as attempts, token_usage as usage};
pub use crate::agent::llm::record::{millis, request_value, scrub};
use crate::agent::llm::{Answer, ChatMessage, LlmClient};
use crate::script::model::Language;
use crate::session::{EventBody, LlmCall};

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
