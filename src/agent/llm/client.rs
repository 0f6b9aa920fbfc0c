//! The OpenAI-compatible chat client: `POST {base}/chat/completions`, with retries, optional
//! SSE streaming and a record of every attempt.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Serialize;
use serde_json::{Map, Value};

use super::config::{ApiKey, LlmConfig};
use super::error::{CallError, LlmError};
use super::response::{
    Failure, MAX_BODY, Reply, Sink, error_chain, error_response, parse_completion, read_body,
    read_stream,
};
use super::retry::next_delay;
use super::types::{Attempt, ChatMessage, Completion, StreamEvent};
use crate::engine::{Rng, rng_from_seed};

/// A chat client. Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct LlmClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoint: String,
    config: LlmConfig,
    params: Map<String, Value>,
    key: Option<ApiKey>,
    calls: AtomicU64,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field("endpoint", &self.inner.endpoint)
            .field("model", &self.inner.config.model)
            .field("api_key_env", &self.inner.config.api_key_env)
            .field("api_key", &self.inner.key.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

/// The request body; `params` holds temperature, max tokens and the extra parameters.
#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
    #[serde(flatten)]
    params: &'a Map<String, Value>,
}

/// Make sure rustls has a crypto provider: ring, unless the process already installed one.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another thread is fine: a provider is installed either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

impl LlmClient {
    /// A client that reads its key from the environment variable named in the config.
    ///
    /// # Errors
    /// [`LlmError::Config`] for a base URL that is not http(s) or extra parameters that
    /// override `model`, `messages` or `stream`.
    pub fn new(config: LlmConfig) -> Result<Self, LlmError> {
        let key = ApiKey::from_env(&config.api_key_env);
        Self::with_api_key(config, key)
    }

    /// A client with an explicit key (`None`: no `Authorization` header).
    ///
    /// # Errors
    /// As [`LlmClient::new`].
    pub fn with_api_key(config: LlmConfig, key: Option<ApiKey>) -> Result<Self, LlmError> {
        if config.base_url.contains(['?', '#']) {
            // `{base}/chat/completions` would land inside the query, and a key put there would
            // be sent to every log on the way.
            return Err(LlmError::Config(format!(
                "base URL {:?} carries a query or fragment (`?…`/`#…`); give the bare API base, \
                 and an API key through the variable named by --api-key-env",
                scrub_query(&config.base_url)
            )));
        }
        let endpoint = config.endpoint();
        let url = reqwest::Url::parse(&endpoint)
            .map_err(|e| LlmError::Config(format!("base URL {:?}: {e}", config.base_url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(LlmError::Config(format!(
                "base URL {:?} is not http or https",
                config.base_url
            )));
        }
        if config.model.trim().is_empty() {
            return Err(LlmError::Config("no model name".to_owned()));
        }
        let params = config.body_params().map_err(LlmError::Config)?;
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("socius/", env!("CARGO_PKG_VERSION")))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| LlmError::Config(error_chain(&e)))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                endpoint,
                config,
                params,
                key,
                calls: AtomicU64::new(0),
            }),
        })
    }

    #[must_use]
    pub fn config(&self) -> &LlmConfig {
        &self.inner.config
    }

    #[must_use]
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    /// Whether requests carry an `Authorization` header.
    #[must_use]
    pub fn has_api_key(&self) -> bool {
        self.inner.key.is_some()
    }

    /// Send `messages` and return the reply. Streams internally when the config says so.
    ///
    /// # Errors
    /// A [`CallError`] with the last error and every attempt, once retries are exhausted or
    /// the error is not worth retrying.
    pub async fn complete(&self, messages: &[ChatMessage]) -> Result<Completion, CallError> {
        self.call(messages, self.inner.config.stream, None).await
    }

    /// Send `messages` with `stream: true`, reporting text as it arrives.
    ///
    /// # Errors
    /// As [`LlmClient::complete`].
    pub async fn complete_streaming(
        &self,
        messages: &[ChatMessage],
        on_event: &mut (dyn FnMut(StreamEvent<'_>) + Send),
    ) -> Result<Completion, CallError> {
        self.call(messages, true, Some(on_event)).await
    }

    fn call_rng(&self) -> Rng {
        let n = self.inner.calls.fetch_add(1, Ordering::Relaxed);
        rng_from_seed(self.inner.config.retry.jitter_seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    async fn call(
        &self,
        messages: &[ChatMessage],
        stream: bool,
        mut sink: Sink<'_>,
    ) -> Result<Completion, CallError> {
        let started = Instant::now();
        let policy = &self.inner.config.retry;
        let body = serde_json::to_vec(&Body {
            model: &self.inner.config.model,
            messages,
            stream,
            params: &self.inner.params,
        })
        .map_err(|e| CallError {
            error: LlmError::Config(format!("cannot encode the request: {e}")),
            attempts: Vec::new(),
            latency: started.elapsed(),
        })?;
        let mut rng = self.call_rng();
        let mut redactor = StreamRedactor::new(self.inner.key.clone());
        let mut attempts: Vec<Attempt> = Vec::new();
        let max_attempts = policy.max_attempts.max(1);
        for number in 1..=max_attempts {
            let mut timeout = self.inner.config.timeout;
            if let Some(limit) = policy.max_elapsed {
                timeout = timeout.min(limit.saturating_sub(started.elapsed()));
            }
            let t0 = Instant::now();
            let mut delivered = false;
            redactor.reset();
            let outcome = {
                // Stream pieces pass through the redactor, so a key the server quotes back is
                // never shown, even split across pieces.
                let streaming = sink.is_some();
                let mut redacting = |ev: StreamEvent<'_>| {
                    if let Some(out) = sink.as_mut() {
                        redactor.forward(ev, &mut **out);
                    }
                };
                let mut inner: Sink<'_> = if streaming {
                    Some(&mut redacting)
                } else {
                    None
                };
                match tokio::time::timeout(
                    timeout,
                    self.attempt(body.clone(), stream, number, &mut inner, &mut delivered),
                )
                .await
                {
                    Ok(outcome) => outcome,
                    Err(_) => Err(Failure::from(LlmError::Timeout { timeout })),
                }
            };
            let latency = t0.elapsed();
            match outcome {
                Ok(reply) => {
                    if let Some(out) = sink.as_mut() {
                        redactor.finish(number, &mut **out);
                    }
                    let reply = self.redact_reply(reply);
                    attempts.push(Attempt {
                        number,
                        status: Some(reply.status),
                        error: None,
                        message: None,
                        latency,
                        retry_after: None,
                        waited: None,
                    });
                    return Ok(Completion {
                        text: reply.text,
                        reasoning: reply.reasoning,
                        finish_reason: reply.finish_reason,
                        usage: reply.usage,
                        model: reply.model,
                        latency: started.elapsed(),
                        attempts,
                    });
                }
                Err(failure) => {
                    let error = self.redact_error(failure.error);
                    let kind = error.kind();
                    let mut wait = (number < max_attempts && error.is_retryable())
                        .then(|| next_delay(policy, number, failure.retry_after, &mut rng));
                    if let (Some(w), Some(limit)) = (wait, policy.max_elapsed)
                        && started.elapsed() + w >= limit
                    {
                        wait = None;
                    }
                    attempts.push(Attempt {
                        number,
                        status: failure.status,
                        error: Some(kind),
                        message: Some(error.to_string()),
                        latency,
                        retry_after: failure.retry_after,
                        waited: wait,
                    });
                    let Some(wait) = wait else {
                        return Err(CallError {
                            error,
                            attempts,
                            latency: started.elapsed(),
                        });
                    };
                    tokio::time::sleep(wait).await;
                    if delivered && let Some(sink) = sink.as_mut() {
                        sink(StreamEvent::Restart {
                            attempt: number + 1,
                        });
                    }
                }
            }
        }
        // Unreachable: the last attempt always returns above.
        Err(CallError {
            error: LlmError::Config("no attempt was made".to_owned()),
            attempts,
            latency: started.elapsed(),
        })
    }

    /// A reply with the key taken out of every text the server chose (servers and proxies
    /// sometimes quote the credentials they were sent).
    fn redact_reply(&self, mut reply: Reply) -> Reply {
        let Some(key) = &self.inner.key else {
            return reply;
        };
        let scrub = |s: &mut String| {
            if s.contains(key.expose()) {
                *s = key.redact(s);
            }
        };
        scrub(&mut reply.text);
        for s in [
            reply.reasoning.as_mut(),
            reply.finish_reason.as_mut(),
            reply.model.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            scrub(s);
        }
        reply
    }

    fn redact_error(&self, error: LlmError) -> LlmError {
        let Some(key) = &self.inner.key else {
            return error;
        };
        match error {
            LlmError::Status {
                status,
                kind,
                message,
            } => LlmError::Status {
                status,
                kind,
                message: key.redact(&message),
            },
            LlmError::Connect { endpoint, message } => LlmError::Connect {
                endpoint,
                message: key.redact(&message),
            },
            LlmError::Transport { message } => LlmError::Transport {
                message: key.redact(&message),
            },
            LlmError::InvalidResponse { message } => LlmError::InvalidResponse {
                message: key.redact(&message),
            },
            LlmError::NotJson { message } => LlmError::NotJson {
                message: key.redact(&message),
            },
            LlmError::Stream { message } => LlmError::Stream {
                message: key.redact(&message),
            },
            other @ (LlmError::Config(_) | LlmError::Timeout { .. }) => other,
        }
    }

    async fn attempt(
        &self,
        body: Vec<u8>,
        stream: bool,
        number: u32,
        sink: &mut Sink<'_>,
        delivered: &mut bool,
    ) -> Result<Reply, Failure> {
        let mut request = self
            .inner
            .http
            .post(&self.inner.endpoint)
            .header(CONTENT_TYPE, "application/json")
            .header(
                ACCEPT,
                if stream {
                    "text/event-stream"
                } else {
                    "application/json"
                },
            )
            .body(body);
        if let Some(key) = &self.inner.key {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| {
                    LlmError::Config("the API key holds characters a header cannot".to_owned())
                })?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        let mut response = request.send().await.map_err(|e| self.send_error(&e))?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            return Err(error_response(response).await);
        }
        let is_sse = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if is_sse {
            read_stream(&mut response, status, number, sink, delivered).await
        } else {
            let bytes = read_body(&mut response, MAX_BODY).await?;
            parse_completion(&bytes, status).map_err(Failure::from)
        }
    }

    fn send_error(&self, e: &reqwest::Error) -> Failure {
        let message = error_chain(e);
        let error = if e.is_connect() {
            LlmError::Connect {
                endpoint: self.inner.endpoint.clone(),
                message,
            }
        } else if e.is_timeout() {
            LlmError::Timeout {
                timeout: self.inner.config.connect_timeout,
            }
        } else {
            LlmError::Transport { message }
        };
        Failure::from(error)
    }
}

/// A URL shown without its query and fragment (which may hold a key).
fn scrub_query(url: &str) -> String {
    let cut = url.find(['?', '#']).unwrap_or(url.len());
    format!("{}?…", &url[..cut])
}

/// Takes the API key out of streamed text. Pieces are passed on at once, except a tail that
/// could be the start of the key, which waits for the next piece (or the end of the attempt).
struct StreamRedactor {
    key: Option<ApiKey>,
    text: String,
    reasoning: String,
}

impl StreamRedactor {
    const fn new(key: Option<ApiKey>) -> Self {
        Self {
            key,
            text: String::new(),
            reasoning: String::new(),
        }
    }

    fn reset(&mut self) {
        self.text.clear();
        self.reasoning.clear();
    }

    /// Add `piece` to `pending` and return what can be shown now.
    fn take(key: &ApiKey, pending: &mut String, piece: &str) -> String {
        pending.push_str(piece);
        let secret = key.expose();
        if pending.contains(secret) {
            *pending = key.redact(pending);
        }
        let hold = (1..secret.len().min(pending.len() + 1))
            .rev()
            .find(|&n| {
                let at = pending.len() - n;
                pending.is_char_boundary(at) && secret.starts_with(&pending[at..])
            })
            .unwrap_or(0);
        let rest = pending.split_off(pending.len() - hold);
        std::mem::replace(pending, rest)
    }

    fn forward(&mut self, ev: StreamEvent<'_>, out: &mut (dyn FnMut(StreamEvent<'_>) + Send)) {
        let Some(key) = &self.key else {
            out(ev);
            return;
        };
        match ev {
            StreamEvent::Delta { attempt, text } => {
                let shown = Self::take(key, &mut self.text, text);
                if !shown.is_empty() {
                    out(StreamEvent::Delta {
                        attempt,
                        text: &shown,
                    });
                }
            }
            StreamEvent::Reasoning { attempt, text } => {
                let shown = Self::take(key, &mut self.reasoning, text);
                if !shown.is_empty() {
                    out(StreamEvent::Reasoning {
                        attempt,
                        text: &shown,
                    });
                }
            }
            StreamEvent::Restart { .. } => {
                self.reset();
                out(ev);
            }
        }
    }

    /// The attempt ended well: show what was held back (it was not the key after all).
    fn finish(&mut self, attempt: u32, out: &mut (dyn FnMut(StreamEvent<'_>) + Send)) {
        if !self.reasoning.is_empty() {
            let text = std::mem::take(&mut self.reasoning);
            out(StreamEvent::Reasoning {
                attempt,
                text: &text,
            });
        }
        if !self.text.is_empty() {
            let text = std::mem::take(&mut self.text);
            out(StreamEvent::Delta {
                attempt,
                text: &text,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(key: &str, pieces: &[&str]) -> (Vec<String>, String) {
        let mut r = StreamRedactor::new(ApiKey::new(key));
        let mut shown = Vec::new();
        let mut out = |ev: StreamEvent<'_>| {
            if let StreamEvent::Delta { text, .. } = ev {
                shown.push(text.to_owned());
            }
        };
        for p in pieces {
            r.forward(
                StreamEvent::Delta {
                    attempt: 1,
                    text: p,
                },
                &mut out,
            );
        }
        r.finish(1, &mut out);
        let all = shown.concat();
        (shown, all)
    }

    #[test]
    fn a_key_split_across_pieces_is_never_shown() {
        let key = "sk-secret-123";
        let (_, all) = run(
            key,
            &[
                "Your key was Bearer sk-",
                "sec",
                "ret-1",
                "23 {\"choice\":\"A\"}",
            ],
        );
        assert_eq!(all, "Your key was Bearer <redacted> {\"choice\":\"A\"}");
        for split in 0..=key.len() {
            let (pieces, all) = run(key, &["a", &key[..split], &key[split..], "b"]);
            assert_eq!(all, "a<redacted>b");
            assert!(pieces.iter().all(|p| !p.contains("secret")), "{pieces:?}");
        }
    }

    #[test]
    fn text_that_only_looks_like_the_start_is_shown_in_the_end() {
        let (pieces, all) = run("sk-secret", &["ask", " me"]);
        assert_eq!(all, "ask me");
        assert_eq!(pieces, ["a", "sk me"]);
        let (_, all) = run("sk-secret", &["ends with sk-"]);
        assert_eq!(all, "ends with sk-");
        let (_, all) = run("密钥abc", &["中文密", "钥ab", "c!"]);
        assert_eq!(all, "中文<redacted>!");
    }
}
