//! The session header and the values it is made of.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{Event, RECORD_SCHEMA, RunId, SessionId};
use crate::vocab::open_vocabulary;

open_vocabulary! {
    /// What a session is a walk of.
    pub enum SessionKind {
        /// A world tree walked for goal achievement (GAE).
        WorldTreeGae => "world_tree_gae",
        /// A world tree's interpersonal-ability items (IAE).
        WorldTreeIae => "world_tree_iae",
        /// GAE and IAE in one sitting.
        WorldTreeBoth => "world_tree_both",
        /// A cognitive-restructuring dialogue.
        CrDialogue => "cr_dialogue",
        /// Pairwise judgments in a study.
        StudyJudgment => "study_judgment",
        /// Pointwise (rubric) ratings in a study.
        StudyRating => "study_rating",
    }
}

open_vocabulary! {
    /// Where a session stands. Only `in_progress` sessions are offered for resuming.
    pub enum Status {
        /// Started and not ended: can be resumed.
        InProgress => "in_progress",
        /// Ended normally.
        Finished => "finished",
        /// Given up by the participant.
        Abandoned => "abandoned",
        /// Ended by an error (an endpoint that kept failing, a broken script, …).
        Failed => "failed",
    }
}

impl Status {
    /// Whether the session has ended (anything but `in_progress`).
    #[must_use]
    pub fn is_terminal(&self) -> bool {
        *self != Self::InProgress
    }
}

/// The script a session was played on: its id and the sha256 (hex) of its exact content, so
/// results stay tied to one version of the script.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScriptRef {
    pub id: String,
    pub hash: String,
}

impl ScriptRef {
    /// A reference to a script with the given id and content.
    #[must_use]
    pub fn new(id: impl Into<String>, content: &[u8]) -> Self {
        Self {
            id: id.into(),
            hash: Self::hash_of(content),
        }
    }

    /// The sha256 of `content` as 64 lowercase hex digits.
    #[must_use]
    pub fn hash_of(content: &[u8]) -> String {
        use std::fmt::Write as _;
        let digest = Sha256::digest(content);
        let mut hex = String::with_capacity(64);
        for byte in digest {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }
}

/// Who played the session.
///
/// A model is named with its endpoint's host and the request parameters; never with an API
/// key (the store refuses parameters that look like one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Who {
    /// A human, by annotator id.
    Annotator { id: String },
    /// A model behind an OpenAI-compatible endpoint.
    Model {
        name: String,
        endpoint_host: String,
        #[serde(default)]
        params: Map<String, Value>,
    },
}

impl Who {
    /// A human annotator.
    #[must_use]
    pub fn annotator(id: impl Into<String>) -> Self {
        Self::Annotator { id: id.into() }
    }

    /// Whether a `--who` filter matches: the annotator id or model name, or the display form
    /// (`annotator:ID`, `model:NAME@HOST`, `model:NAME`).
    #[must_use]
    pub fn matches(&self, pattern: &str) -> bool {
        match self {
            Self::Annotator { id } => {
                id == pattern || pattern.strip_prefix("annotator:") == Some(id.as_str())
            }
            Self::Model {
                name,
                endpoint_host,
                ..
            } => {
                name == pattern
                    || pattern.strip_prefix("model:").is_some_and(|rest| {
                        rest == name || rest == format!("{name}@{endpoint_host}")
                    })
            }
        }
    }
}

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Annotator { id } => write!(f, "annotator:{id}"),
            Self::Model {
                name,
                endpoint_host,
                ..
            } if endpoint_host.is_empty() => {
                write!(f, "model:{name}")
            }
            Self::Model {
                name,
                endpoint_host,
                ..
            } => write!(f, "model:{name}@{endpoint_host}"),
        }
    }
}

/// What a caller gives to start a session; the store fills in the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    pub kind: SessionKind,
    pub script: ScriptRef,
    pub who: Who,
    pub seed: u64,
    pub run_id: Option<RunId>,
    pub meta: Value,
}

impl NewSession {
    /// A session without a run id and with empty `meta`.
    #[must_use]
    pub fn new(kind: SessionKind, script: ScriptRef, who: Who, seed: u64) -> Self {
        Self {
            kind,
            script,
            who,
            seed,
            run_id: None,
            meta: Value::Object(Map::new()),
        }
    }
}

/// A session header. See the module documentation of `session` for which fields are derived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: SessionId,
    /// The header schema this record was written with.
    pub schema: u32,
    pub kind: SessionKind,
    pub script: ScriptRef,
    pub who: Who,
    /// Written as a string (JSON readers that use doubles would round it); read from either.
    #[serde(with = "super::seed_text")]
    pub seed: u64,
    pub run_id: Option<RunId>,
    pub started: DateTime<Utc>,
    /// Derived: the time of the status event that ended the session.
    pub finished: Option<DateTime<Utc>>,
    /// Derived: the status set by the last `session_status` event, else `in_progress`.
    pub status: Status,
    /// Derived: the number of events, which is also the next event's `seq`.
    pub events: u64,
    /// Derived: the time of the last event, else `started`.
    pub updated: DateTime<Utc>,
    #[serde(default)]
    pub meta: Value,
}

impl Session {
    /// A training session (`--training`): right and wrong were shown. Kept and listed, but left
    /// out of every score unless asked for.
    #[must_use]
    pub fn is_training(&self) -> bool {
        self.meta
            .get("training")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The play mode of a world-tree session (`gae`, `iae`, `both`), else the kind's name.
    #[must_use]
    pub fn mode_name(&self) -> String {
        match &self.kind {
            SessionKind::WorldTreeGae => "gae".to_owned(),
            SessionKind::WorldTreeIae => "iae".to_owned(),
            SessionKind::WorldTreeBoth => "both".to_owned(),
            other => other.to_string(),
        }
    }

    /// Recompute the derived fields from `events` (which must be the session's whole log, in
    /// order).
    pub fn derive_from(&mut self, events: &[Event]) {
        self.status = Status::InProgress;
        self.finished = None;
        self.events = 0;
        self.updated = self.started;
        for event in events {
            self.apply(event);
        }
    }

    /// Update the derived fields for one more event.
    pub fn apply(&mut self, event: &Event) {
        let status = match &event.body {
            super::EventBody::SessionStatus(change) => Some(&change.status),
            _ => None,
        };
        self.advance(event.seq, event.at, status);
    }

    /// Update the derived fields for one more event with `seq` and time `at`, which sets the
    /// status when it is a `session_status` event.
    pub fn advance(&mut self, seq: u64, at: DateTime<Utc>, status: Option<&Status>) {
        self.events = seq.saturating_add(1);
        self.updated = at;
        if let Some(status) = status {
            self.status = status.clone();
            self.finished = status.is_terminal().then_some(at);
        }
    }
}

/// A session with its whole event log: one line of a JSONL export, one unit of import and
/// merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The record layout's schema ([`RECORD_SCHEMA`]).
    pub schema: u32,
    pub session: Session,
    pub events: Vec<Event>,
}

impl SessionRecord {
    /// A record in the current layout.
    #[must_use]
    pub fn new(session: Session, events: Vec<Event>) -> Self {
        Self {
            schema: RECORD_SCHEMA,
            session,
            events,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_stay_open() {
        assert_eq!(
            SessionKind::from_name("cr_dialogue"),
            SessionKind::CrDialogue
        );
        let future = SessionKind::from_name("voice_call");
        assert_eq!(future, SessionKind::Other("voice_call".into()));
        assert_eq!(
            serde_json::to_string(&future).ok().as_deref(),
            Some("\"voice_call\"")
        );
        assert!(!future.is_known());
        assert!(Status::Failed.is_terminal());
        assert!(!Status::InProgress.is_terminal());
    }

    #[test]
    fn who_matches_ids_names_and_display_forms() {
        let alice = Who::annotator("alice");
        assert!(alice.matches("alice") && alice.matches("annotator:alice"));
        assert!(!alice.matches("bob"));
        let model = Who::Model {
            name: "gpt-x".into(),
            endpoint_host: "api.example.org".into(),
            params: Map::new(),
        };
        assert_eq!(model.to_string(), "model:gpt-x@api.example.org");
        assert!(model.matches("gpt-x") && model.matches("model:gpt-x@api.example.org"));
        assert!(!model.matches("alice"));
    }

    #[test]
    fn script_hash_is_sha256_hex() {
        assert_eq!(
            ScriptRef::hash_of(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
