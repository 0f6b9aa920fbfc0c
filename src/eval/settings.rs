//! What decides a run's results, recorded with every session of the run so `--resume` can
//! continue it with exactly the same settings; run ids; the endpoint host kept in the store.
//!
//! Every session of a run carries, in its `meta`:
//!
//! ```json
//! {"tree": "socialeval-1_1-en-0", "title": "…", "orientation": "cooperation", "language": "en",
//!  "episode": 3,            // GAE: the episode index (0-based); IAE: absent
//!  "items": 12,             // IAE: the number of items of the tree; GAE: absent
//!  "run": {RunSettings}}
//! ```
//!
//! and `who = model {name, endpoint_host: "host:port", params: {temperature, max_tokens,
//! protocol}}`. The settings that do not change results (concurrency, timeout, retries, the
//! endpoint itself) are not part of a run and may differ on resume.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::protocol::Protocol;
use crate::agent::llm::PromptKind;
use crate::script::model::Language;
use crate::session::{SessionKind, Who};
use crate::store::{Filter, Store, StoreError};

/// GAE or IAE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvalKind {
    Gae,
    Iae,
}

impl EvalKind {
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Gae => "gae",
            Self::Iae => "iae",
        }
    }

    #[must_use]
    pub const fn session_kind(self) -> SessionKind {
        match self {
            Self::Gae => SessionKind::WorldTreeGae,
            Self::Iae => SessionKind::WorldTreeIae,
        }
    }

    #[must_use]
    pub const fn prompt_kind(self) -> PromptKind {
        match self {
            Self::Gae => PromptKind::Gae,
            Self::Iae => PromptKind::Iae,
        }
    }
}

/// The settings that decide a run's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub kind: EvalKind,
    pub protocol: Protocol,
    pub model: String,
    pub temperature: f64,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Episodes per tree (GAE); 1 for IAE.
    pub episodes: u32,
    /// GAE options shuffled (socius protocol only).
    #[serde(default)]
    pub shuffle: bool,
    /// Base seed: episode and item seeds derive from it (a string in JSON).
    #[serde(with = "crate::session::seed_text")]
    pub seed: u64,
    /// sha256 of the `--prompt-template` file; `None`: the built-in prompts.
    #[serde(default)]
    pub prompt_sha256: Option<String>,
    /// Only trees in this language.
    #[serde(default)]
    pub lang: Option<Language>,
    /// Fields merged into every request body (`--extra-body`), e.g. `top_p` or `stop`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_body: Option<Map<String, Value>>,
}

impl RunSettings {
    /// The model as the store names it: name, `host:port`, and the request parameters.
    #[must_use]
    pub fn who(&self, endpoint_host: &str) -> Who {
        let mut params = Map::new();
        params.insert("temperature".into(), Value::from(self.temperature));
        params.insert(
            "max_tokens".into(),
            self.max_tokens.map_or(Value::Null, Value::from),
        );
        params.insert("protocol".into(), Value::from(self.protocol.name()));
        if let Some(extra) = &self.extra_body {
            params.insert("extra_body".into(), Value::Object(extra.clone()));
        }
        Who::Model {
            name: self.model.clone(),
            endpoint_host: endpoint_host.to_owned(),
            params,
        }
    }
}

/// The settings given on the command line; `None` (or `false`) means "not given".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestedSettings {
    pub protocol: Option<Protocol>,
    pub model: String,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub episodes: Option<u32>,
    pub shuffle: bool,
    pub seed: Option<u64>,
    pub prompt_sha256: Option<String>,
    pub lang: Option<Language>,
    pub extra_body: Option<Map<String, Value>>,
}

/// Episodes per tree unless `--episodes` says otherwise (the official runs use 10).
pub const DEFAULT_EPISODES: u32 = 10;

fn conflict(flag: &str, given: &str, stored: &str, run: &str) -> String {
    format!(
        "{flag} {given} differs from run {run}'s {stored}; a resumed run keeps the settings it \
         started with (leave the flag out, or start a new run)"
    )
}

fn show_opt<T: std::fmt::Display>(v: Option<&T>) -> String {
    v.map_or_else(|| "(none)".to_owned(), ToString::to_string)
}

impl RequestedSettings {
    /// The settings of a new run: what was given, defaults for the rest.
    ///
    /// # Errors
    /// `--shuffle-options` under the `socialeval` protocol.
    pub fn new_run(&self, kind: EvalKind) -> Result<RunSettings, String> {
        let protocol = self.protocol.unwrap_or_default();
        if self.shuffle && !protocol.allows_shuffle() {
            return Err(
                "--shuffle-options needs --protocol socius (the official protocol shows the \
                 options in file order)"
                    .to_owned(),
            );
        }
        Ok(RunSettings {
            kind,
            protocol,
            model: self.model.clone(),
            temperature: self
                .temperature
                .unwrap_or_else(|| protocol.default_temperature(kind)),
            max_tokens: self.max_tokens,
            episodes: match kind {
                EvalKind::Gae => self.episodes.unwrap_or(DEFAULT_EPISODES),
                EvalKind::Iae => 1,
            },
            shuffle: self.shuffle,
            seed: self.seed.unwrap_or(0),
            prompt_sha256: self.prompt_sha256.clone(),
            lang: self.lang,
            extra_body: self.extra_body.clone(),
        })
    }

    /// The settings of a resumed run: the stored ones; a flag that was given must agree.
    ///
    /// # Errors
    /// The first flag that disagrees with the stored run, named with both values.
    pub fn resume(
        &self,
        kind: EvalKind,
        stored: &RunSettings,
        run: &str,
    ) -> Result<RunSettings, String> {
        if kind != stored.kind {
            return Err(format!(
                "run {run} is a {} run; resume it with `socius eval {}`",
                stored.kind.name().to_uppercase(),
                stored.kind.name()
            ));
        }
        if self.model != stored.model {
            return Err(conflict("--model", &self.model, &stored.model, run));
        }
        if let Some(p) = self.protocol
            && p != stored.protocol
        {
            return Err(conflict(
                "--protocol",
                p.name(),
                stored.protocol.name(),
                run,
            ));
        }
        if let Some(t) = self.temperature
            && (t - stored.temperature).abs() > 1e-12
        {
            return Err(conflict(
                "--temperature",
                &t.to_string(),
                &stored.temperature.to_string(),
                run,
            ));
        }
        if self.max_tokens.is_some() && self.max_tokens != stored.max_tokens {
            return Err(conflict(
                "--max-tokens",
                &show_opt(self.max_tokens.as_ref()),
                &show_opt(stored.max_tokens.as_ref()),
                run,
            ));
        }
        if let Some(e) = self.episodes
            && e != stored.episodes
        {
            return Err(conflict(
                "--episodes",
                &e.to_string(),
                &stored.episodes.to_string(),
                run,
            ));
        }
        if self.shuffle && !stored.shuffle {
            return Err(format!(
                "run {run} did not shuffle options; --shuffle-options cannot be added on resume"
            ));
        }
        if let Some(s) = self.seed
            && s != stored.seed
        {
            return Err(conflict(
                "--seed",
                &s.to_string(),
                &stored.seed.to_string(),
                run,
            ));
        }
        if let Some(l) = self.lang
            && Some(l) != stored.lang
        {
            return Err(conflict(
                "--lang",
                l.code(),
                stored.lang.map_or("(all)", Language::code),
                run,
            ));
        }
        if let Some(e) = &self.extra_body
            && Some(e) != stored.extra_body.as_ref()
        {
            return Err(conflict(
                "--extra-body",
                &Value::Object(e.clone()).to_string(),
                &stored.extra_body.as_ref().map_or_else(
                    || "(none)".to_owned(),
                    |m| Value::Object(m.clone()).to_string(),
                ),
                run,
            ));
        }
        match (&self.prompt_sha256, &stored.prompt_sha256) {
            (None, None) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, Some(b)) => {
                return Err(format!(
                    "run {run} used a prompt template (sha256 {}…); pass the same \
                     --prompt-template FILE to resume it",
                    short_hash(b)
                ));
            }
            (Some(a), Some(b)) => {
                return Err(format!(
                    "the --prompt-template given (sha256 {}…) is not the one run {run} used \
                     (sha256 {}…)",
                    short_hash(a),
                    short_hash(b)
                ));
            }
            (Some(_), None) => {
                return Err(format!(
                    "run {run} used the built-in prompts; leave --prompt-template out to resume it"
                ));
            }
        }
        Ok(stored.clone())
    }
}

fn short_hash(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

/// The settings a run was started with, read from its first session; `None` when the store
/// holds no session of that run.
///
/// # Errors
/// A store error, or a session of the run whose `meta.run` is unreadable.
pub fn stored_settings(store: &Store, run_id: &str) -> Result<Option<RunSettings>, String> {
    let filter = Filter {
        run_id: Some(run_id.into()),
        ..Filter::default()
    };
    let sessions = store.list(&filter).map_err(|e: StoreError| e.to_string())?;
    let Some(first) = sessions.first() else {
        return Ok(None);
    };
    let run = first.meta.get("run").cloned().ok_or_else(|| {
        format!(
            "session {} of run {run_id} was not written by socius eval (no settings in its meta)",
            first.id
        )
    })?;
    serde_json::from_value(run).map(Some).map_err(|e| {
        format!(
            "session {} of run {run_id}: unreadable settings: {e}",
            first.id
        )
    })
}

/// `host:port` of an endpoint URL (the default port filled in): the only part of the endpoint
/// the store keeps. User info (`user:pass@`), path and query are dropped.
#[must_use]
pub fn endpoint_host(url: &str) -> String {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let has_port = match host_port.rfind(']') {
        // [v6]:port
        Some(close) => host_port[close..].contains(':'),
        None => host_port.contains(':'),
    };
    if has_port || host_port.is_empty() {
        host_port.to_owned()
    } else {
        let port = if scheme.eq_ignore_ascii_case("https") {
            443
        } else {
            80
        };
        format!("{host_port}:{port}")
    }
}

/// A new run id: `run-YYYYMMDD-HHMMSS-xxxx` (UTC, four random hex digits).
#[must_use]
pub fn generate_run_id() -> String {
    let now = chrono::Utc::now();
    format!(
        "run-{}-{:04x}",
        now.format("%Y%m%d-%H%M%S"),
        rand::random::<u16>()
    )
}

/// Check a run id given by the user.
///
/// # Errors
/// Empty, longer than 100 characters, or holding whitespace or control characters.
pub fn validate_run_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("the run id is empty".to_owned());
    }
    if id.chars().count() > 100 {
        return Err("the run id is longer than 100 characters".to_owned());
    }
    if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "the run id {id:?} holds spaces or control characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_hosts_keep_host_and_port_only() {
        assert_eq!(endpoint_host("http://127.0.0.1:8000/v1"), "127.0.0.1:8000");
        assert_eq!(
            endpoint_host("https://api.example.org/v1"),
            "api.example.org:443"
        );
        assert_eq!(endpoint_host("http://user:sk-123@host/v1?key=x"), "host:80");
        assert_eq!(endpoint_host("http://[::1]:9/v1"), "[::1]:9");
        assert_eq!(endpoint_host("http://[::1]/v1"), "[::1]:80");
    }

    #[test]
    fn run_ids() {
        let id = generate_run_id();
        assert!(id.starts_with("run-") && id.len() == 24, "{id}");
        assert!(validate_run_id(&id).is_ok());
        assert!(validate_run_id("").is_err());
        assert!(validate_run_id("a b").is_err());
    }

    fn requested() -> RequestedSettings {
        RequestedSettings {
            model: "m".into(),
            ..RequestedSettings::default()
        }
    }

    #[test]
    fn defaults_and_resume_conflicts() {
        let s = requested().new_run(EvalKind::Gae).unwrap();
        assert_eq!(s.episodes, DEFAULT_EPISODES);
        assert_eq!(s.protocol, Protocol::Socius);
        assert!((s.temperature - 1.0).abs() < 1e-12);
        let iae = requested().new_run(EvalKind::Iae).unwrap();
        assert!(iae.temperature.abs() < 1e-12 && iae.episodes == 1);

        let bad = RequestedSettings {
            protocol: Some(Protocol::Socialeval),
            shuffle: true,
            ..requested()
        };
        assert!(bad.new_run(EvalKind::Gae).is_err());

        assert_eq!(requested().resume(EvalKind::Gae, &s, "r").unwrap(), s);
        let other = RequestedSettings {
            episodes: Some(3),
            ..requested()
        };
        let err = other.resume(EvalKind::Gae, &s, "r").unwrap_err();
        assert!(err.contains("--episodes 3") && err.contains("10"), "{err}");
        let template = RequestedSettings {
            prompt_sha256: Some("ab".repeat(32)),
            ..requested()
        };
        assert!(template.resume(EvalKind::Gae, &s, "r").is_err());
        let model = RequestedSettings {
            model: "other".into(),
            ..requested()
        };
        assert!(model.resume(EvalKind::Gae, &s, "r").is_err());
        assert!(requested().resume(EvalKind::Iae, &s, "r").is_err());
    }
}
