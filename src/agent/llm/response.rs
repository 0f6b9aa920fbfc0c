//! Reading an answer: error bodies, completion JSON, and SSE streams.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::error::LlmError;
use super::retry::parse_retry_after;
use super::sse::{SseDecoder, SseEvent};
use super::types::{ErrorKind, StreamEvent, Usage};

/// The most of a response body the client reads (a completion is far smaller).
pub(super) const MAX_BODY: usize = 16 << 20;
/// The most of an error body kept in a message.
const MAX_MESSAGE_CHARS: usize = 300;

/// What a successful attempt produced.
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) text: String,
    pub(super) reasoning: Option<String>,
    pub(super) finish_reason: Option<String>,
    pub(super) usage: Option<Usage>,
    pub(super) model: Option<String>,
}

/// What a failed attempt produced.
pub(super) struct Failure {
    pub(super) error: LlmError,
    pub(super) status: Option<u16>,
    pub(super) retry_after: Option<Duration>,
}

impl From<LlmError> for Failure {
    fn from(error: LlmError) -> Self {
        Self {
            status: error.status(),
            error,
            retry_after: None,
        }
    }
}

/// Where stream events go, if anywhere.
pub(super) type Sink<'s> = Option<&'s mut (dyn FnMut(StreamEvent<'_>) + Send)>;

/// An error and its sources, joined with `: ` (reqwest's own message is terse).
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

pub(super) async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > limit {
                    return Err(LlmError::InvalidResponse {
                        message: format!("the body is larger than {limit} bytes"),
                    }
                    .into());
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) => {
                return Err(LlmError::Transport {
                    message: error_chain(&e),
                }
                .into());
            }
        }
    }
}

/// The first `limit` bytes of a body (an error page can be long; its start says enough). A
/// connection that breaks midway keeps what arrived.
async fn read_prefix(response: &mut reqwest::Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - out.len();
                out.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    out
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A non-2xx response as a typed failure with the server's message.
pub(super) async fn error_response(mut response: reqwest::Response) -> Failure {
    let status = response.status().as_u16();
    let retry_after = parse_retry_after(
        header(response.headers(), "retry-after"),
        header(response.headers(), "retry-after-ms"),
        SystemTime::now(),
    );
    let location = header(response.headers(), "location").map(str::to_owned);
    let body = read_prefix(&mut response, 64 << 10).await;
    let mut message = server_message(&body);
    if let Some(location) = location {
        message = format!("redirected to {location} (check the base URL); {message}");
    }
    let kind = match status {
        429 => ErrorKind::RateLimited,
        408 | 500..=599 => ErrorKind::Server,
        _ => ErrorKind::Client,
    };
    Failure {
        error: LlmError::Status {
            status,
            kind,
            message,
        },
        status: Some(status),
        retry_after,
    }
}

/// The message of an error body: OpenAI's `{"error": {"message": …}}`, `{"error": "…"}`,
/// `{"message": …}` or `{"detail": …}`, else the raw body; truncated.
#[must_use]
pub fn server_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let from_json = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        let pick = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => other
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned),
        };
        v.get("error")
            .and_then(pick)
            .or_else(|| v.get("message").and_then(pick))
            .or_else(|| {
                v.get("detail")
                    .map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_owned))
            })
    });
    let message = from_json.unwrap_or_else(|| text.trim().to_owned());
    if message.is_empty() {
        return "(empty body)".to_owned();
    }
    truncate(&message, MAX_MESSAGE_CHARS)
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Text of a message `content`: a string, null (no text), or a list of `{type: text}` parts.
fn content_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect(),
        ),
        _ => None,
    }
}

fn reasoning_text(v: &Value) -> Option<String> {
    v.get("reasoning_content")
        .or_else(|| v.get("reasoning"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn usage_of(v: &Value) -> Option<Usage> {
    v.get("usage")
        .filter(|u| u.is_object())
        .and_then(|u| serde_json::from_value(u.clone()).ok())
}

/// A non-streamed body as a reply.
pub(super) fn parse_completion(bytes: &[u8], status: u16) -> Result<Reply, LlmError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| LlmError::NotJson {
        message: format!(
            "{e}: {}",
            truncate(String::from_utf8_lossy(bytes).trim(), 120)
        ),
    })?;
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Err(LlmError::InvalidResponse {
            message: format!(
                "an error object: {}",
                server_message(err.to_string().as_bytes())
            ),
        });
    }
    let choice = v
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .ok_or_else(|| LlmError::InvalidResponse {
            message: "no choices in the answer".to_owned(),
        })?;
    let message = choice.get("message");
    let text = message
        .and_then(|m| content_text(m.get("content")))
        .or_else(|| {
            choice
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    let reasoning = message.and_then(reasoning_text);
    if text.is_none() && message.is_none() {
        return Err(LlmError::InvalidResponse {
            message: "the first choice has no message".to_owned(),
        });
    }
    Ok(Reply {
        status,
        text: text.unwrap_or_default(),
        reasoning,
        finish_reason: choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
        usage: usage_of(&v),
        model: v.get("model").and_then(Value::as_str).map(str::to_owned),
    })
}

/// Assembles a streamed reply from its chunks.
#[derive(Default)]
struct Assembly {
    text: String,
    reasoning: String,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    model: Option<String>,
    done: bool,
}

impl Assembly {
    fn event(
        &mut self,
        event: &SseEvent,
        number: u32,
        sink: &mut Sink<'_>,
        delivered: &mut bool,
    ) -> Result<(), LlmError> {
        let data = event.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        let v: Value = serde_json::from_str(data).map_err(|e| LlmError::InvalidResponse {
            message: format!("a stream event is not JSON ({e}): {}", truncate(data, 120)),
        })?;
        if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
            return Err(LlmError::Stream {
                message: server_message(err.to_string().as_bytes()),
            });
        }
        if self.model.is_none() {
            self.model = v.get("model").and_then(Value::as_str).map(str::to_owned);
        }
        if let Some(u) = usage_of(&v) {
            self.usage = Some(u);
        }
        let Some(choice) = v
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
        else {
            return Ok(());
        };
        if let Some(delta) = choice.get("delta") {
            if let Some(r) = reasoning_text(delta).filter(|r| !r.is_empty()) {
                self.reasoning.push_str(&r);
                if let Some(sink) = sink.as_mut() {
                    *delivered = true;
                    sink(StreamEvent::Reasoning {
                        attempt: number,
                        text: &r,
                    });
                }
            }
            if let Some(t) = content_text(delta.get("content")).filter(|t| !t.is_empty()) {
                self.text.push_str(&t);
                if let Some(sink) = sink.as_mut() {
                    *delivered = true;
                    sink(StreamEvent::Delta {
                        attempt: number,
                        text: &t,
                    });
                }
            }
        }
        if let Some(f) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(f.to_owned());
        }
        Ok(())
    }
}

pub(super) async fn read_stream(
    response: &mut reqwest::Response,
    status: u16,
    number: u32,
    sink: &mut Sink<'_>,
    delivered: &mut bool,
) -> Result<Reply, Failure> {
    let mut decoder = SseDecoder::new();
    let mut events = Vec::new();
    let mut acc = Assembly::default();
    let mut total = 0usize;
    loop {
        let chunk = response.chunk().await.map_err(|e| {
            Failure::from(LlmError::Transport {
                message: error_chain(&e),
            })
        })?;
        let ended = chunk.is_none();
        match chunk {
            Some(bytes) => {
                total += bytes.len();
                if total > MAX_BODY {
                    return Err(LlmError::InvalidResponse {
                        message: format!("the stream is larger than {MAX_BODY} bytes"),
                    }
                    .into());
                }
                decoder.push(&bytes, &mut events);
            }
            None => decoder.finish(&mut events),
        }
        for event in events.drain(..) {
            acc.event(&event, number, sink, delivered)?;
        }
        if acc.done || ended {
            break;
        }
    }
    if !acc.done && acc.finish_reason.is_none() {
        return Err(LlmError::Transport {
            message: "the stream ended before [DONE]".to_owned(),
        }
        .into());
    }
    Ok(Reply {
        status,
        text: acc.text,
        reasoning: (!acc.reasoning.is_empty()).then_some(acc.reasoning),
        finish_reason: acc.finish_reason,
        usage: acc.usage,
        model: acc.model,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages() {
        assert_eq!(
            server_message(br#"{"error":{"message":"bad model","type":"x"}}"#),
            "bad model"
        );
        assert_eq!(
            server_message(br#"{"error":"model not found"}"#),
            "model not found"
        );
        assert_eq!(server_message(br#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(server_message(b"  oops \n"), "oops");
        assert_eq!(server_message(b""), "(empty body)");
        let long = "x".repeat(1000);
        assert_eq!(server_message(long.as_bytes()).chars().count(), 301);
    }

    #[test]
    fn completion_shapes() {
        let ok = parse_completion(
            br#"{"model":"m","choices":[{"message":{"role":"assistant","content":"B"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#,
            200,
        );
        let ok = ok.ok().map(|r| (r.text, r.finish_reason, r.usage));
        assert_eq!(
            ok,
            Some((
                "B".to_owned(),
                Some("stop".to_owned()),
                Some(Usage {
                    prompt_tokens: 3,
                    completion_tokens: 1,
                    total_tokens: 4
                })
            ))
        );
        let null_content = parse_completion(br#"{"choices":[{"message":{"content":null}}]}"#, 200);
        assert_eq!(null_content.ok().map(|r| r.text), Some(String::new()));
        assert!(parse_completion(br#"{"choices":[]}"#, 200).is_err());
        assert!(parse_completion(b"<html>", 200).is_err());
    }
}
