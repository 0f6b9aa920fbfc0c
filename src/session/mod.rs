//! Session and event records: what the store keeps about every walk, dialogue and judgment.
//!
//! This module holds plain data types and their JSON codecs. It knows nothing about sled; the
//! `store` module decides where the bytes go.
//!
//! # Records
//!
//! * [`Session`] — the header: a time-ordered [`SessionId`], the [`SessionKind`], the script
//!   (id **and** content hash), [`Who`] played it, the seed, an optional batch run id, the
//!   start/finish times, the [`Status`], and free `meta`. The fields `status`, `finished`,
//!   `events` and `updated` are *derived*: the store keeps them in step with the events, and
//!   recomputes them when it imports or merges a session.
//! * [`Event`] — one entry of a session's append-only log: `{seq, at, schema, body}`, with the
//!   body an internally tagged [`EventBody`] (`{"type": "decision", …}`).
//! * [`SessionRecord`] — a header with all its events: one line of a JSONL export.
//!
//! # Schema versioning
//!
//! Every header and every event carries the `schema` number it was written with
//! ([`SESSION_SCHEMA`], [`EVENT_SCHEMA`]). The rule for whoever grows the format: adding an
//! event type needs no bump (older binaries read it as [`EventBody::Unknown`]); adding or
//! changing a field of an existing event type bumps [`EVENT_SCHEMA`]. A binary reading an event
//! with a schema newer than its own keeps the body as raw JSON ([`EventBody::Unknown`]) instead
//! of decoding it into an older shape, so exporting or merging through an older binary never
//! drops fields it does not know.
//!
//! Open vocabularies ([`SessionKind`], [`Status`]) decode unknown names into an `Other(String)`
//! variant that writes back the same name.

pub mod attribute;
pub mod compat;
mod describe;
mod event;
mod header;
mod id;
mod secrets;
pub mod seed_text;
mod vocab;

pub use describe::{Line, describe, header_fields};
pub use event::{
    Attempt, CrChannelChange, CrEnd, CrOverride, CrStageEntered, CrTurn, Decision, Ending,
    Escalation, Event, EventBody, IaeAnswer, Judgment, LinesRevealed, LlmCall, Note,
    OptionsPresented, Paused, PresentedOption, Rating, Resumed, StatusChange, TextShown,
    TokenUsage,
};
pub use header::{NewSession, ScriptRef, Session, SessionKind, SessionRecord, Status, Who};
pub use id::{ParseIdError, SessionId};
pub use secrets::find_secret;
pub use vocab::{
    CrSpeaker, CrStage, EndingOutcome, ItemId, JudgmentChoice, OptionId, OptionKind, RunId,
    StatusReason,
};

/// Schema of the session header written by this version.
pub const SESSION_SCHEMA: u32 = 1;
/// The newest schema of event bodies this version reads and writes. Schema 2 added
/// `options_scrolled` to `decision` and `iae_answer`; schema 3 the CR fields of `cr_turn` (`index`,
/// `stage_goal_met`, `distortions`, `unlabelled`, `cut`, `withheld`, `latency_ms`) and of
/// `escalation` (`matched`, `speaker`, `stage`, `turn`); schema 4 the `choice` id of `decision`
/// and the `task` of `rating` (a pointwise study's task); an event is written with the lowest
/// schema that holds it ([`EventBody::schema`]), so older binaries still read every event that
/// does not use the new field.
pub const EVENT_SCHEMA: u32 = 4;
/// Schema of the `SessionRecord` export line and of `--json` outputs.
pub const RECORD_SCHEMA: u32 = 1;
