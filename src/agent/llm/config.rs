//! Client settings and the API key.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::types::duration_ms;

/// The environment variable read for the API key unless the caller names another.
pub const DEFAULT_API_KEY_ENV: &str = "OPENAI_API_KEY";

/// Request body fields the client always sets itself; `extra` may not touch them.
pub const CLIENT_FIELDS: [&str; 3] = ["model", "messages", "stream"];

/// An API key. It is only ever written into the `Authorization` header (marked sensitive);
/// `Debug` prints `ApiKey(<redacted>)`, and it has no `Display` and no `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key from a string; `None` when it is empty or blank.
    #[must_use]
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into();
        let trimmed = key.trim();
        (!trimmed.is_empty()).then(|| Self(trimmed.to_owned()))
    }

    /// The key held by the environment variable `var`, if it is set and not blank.
    #[must_use]
    pub fn from_env(var: &str) -> Option<Self> {
        Self::from_lookup(var, |v| std::env::var(v).ok())
    }

    /// The key `lookup` finds under `var` (lets tests avoid touching the real environment).
    #[must_use]
    pub fn from_lookup(var: &str, lookup: impl FnOnce(&str) -> Option<String>) -> Option<Self> {
        lookup(var).and_then(Self::new)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the key replaced by `<redacted>` (servers sometimes quote
    /// the key they rejected).
    #[must_use]
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.0, "<redacted>")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// When and how often a failed attempt is tried again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The first backoff; it doubles with each failed attempt.
    #[serde(with = "duration_ms")]
    pub base_delay: Duration,
    /// The backoff never grows past this.
    #[serde(with = "duration_ms")]
    pub max_delay: Duration,
    /// A server's `Retry-After` is honoured up to this long.
    #[serde(with = "duration_ms")]
    pub max_retry_after: Duration,
    /// No new attempt starts after this long since the call began, and the last attempt's
    /// timeout is shortened to fit. `None`: no limit beyond the attempts.
    #[serde(
        default,
        with = "super::types::opt_duration_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_elapsed: Option<Duration>,
    /// Seed of the jitter generator (each call draws from its own stream derived from it), so
    /// delays never depend on the clock.
    pub jitter_seed: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            max_elapsed: None,
            jitter_seed: 0x5eed,
        }
    }
}

/// Everything the client needs except the key itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmConfig {
    /// The API base, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`;
    /// `/chat/completions` is appended (unless the URL already ends with it).
    pub base_url: String,
    pub model: String,
    /// The environment variable holding the key; unset or blank means no `Authorization`.
    pub api_key_env: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(with = "duration_ms")]
    pub connect_timeout: Duration,
    /// The longest one attempt may take, from sending to the last byte of the answer.
    #[serde(with = "duration_ms")]
    pub timeout: Duration,
    /// Merged into the request body last: they may override `temperature` and `max_tokens`
    /// (a `null` removes the field, e.g. for models that want `max_completion_tokens`), but not
    /// `model`, `messages` or `stream`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
    /// Ask for an SSE stream (`stream: true`).
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub retry: RetryPolicy,
}

impl LlmConfig {
    /// Defaults: key from `OPENAI_API_KEY`, server-side temperature and length, 10 s to
    /// connect, 120 s per attempt, no streaming, [`RetryPolicy::default`].
    #[must_use]
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key_env: DEFAULT_API_KEY_ENV.to_owned(),
            temperature: None,
            max_tokens: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(120),
            extra: Map::new(),
            stream: false,
            retry: RetryPolicy::default(),
        }
    }

    /// The URL requests go to.
    #[must_use]
    pub fn endpoint(&self) -> String {
        let base = self.base_url.trim().trim_end_matches('/');
        if base.ends_with("/chat/completions") {
            base.to_owned()
        } else {
            format!("{base}/chat/completions")
        }
    }

    /// The body fields besides `model`, `messages` and `stream`: temperature and max tokens,
    /// then `extra` on top (nulls removed).
    ///
    /// # Errors
    /// When `extra` tries to set a field the client owns.
    pub fn body_params(&self) -> Result<Map<String, Value>, String> {
        let mut params = Map::new();
        if let Some(t) = self.temperature {
            params.insert("temperature".into(), Value::from(t));
        }
        if let Some(m) = self.max_tokens {
            params.insert("max_tokens".into(), Value::from(m));
        }
        for (k, v) in &self.extra {
            if CLIENT_FIELDS.contains(&k.as_str()) {
                return Err(format!(
                    "extra body parameter {k:?} is set by the client and cannot be overridden"
                ));
            }
            if v.is_null() {
                params.remove(k);
            } else {
                params.insert(k.clone(), v.clone());
            }
        }
        Ok(params)
    }
}
