//! Events: the entries of a session's append-only log.
//!
//! Stored and exported as `{"seq": 3, "at": "…Z", "schema": 1, "body": {"type": "decision",
//! …}}`. Optional fields are always written (as `null`) so the JSON shape is stable, and may
//! be missing when read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::{
    CrSpeaker, CrStage, EVENT_SCHEMA, EndingOutcome, ItemId, JudgmentChoice, OptionId, Status,
    StatusReason,
};

/// One stored event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Position in the session's log: 0, 1, 2, … without gaps.
    pub seq: u64,
    /// When the store appended it.
    pub at: DateTime<Utc>,
    /// The schema the body was written with.
    pub schema: u32,
    pub body: EventBody,
}

/// What happened. Serialized internally tagged: `{"type": "<name>", …fields}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// Text put in front of the participant (scenario, narration, a line of dialogue).
    TextShown(TextShown),
    /// Choices offered, in the order they were shown.
    OptionsPresented(OptionsPresented),
    /// A choice made at a choice point.
    Decision(Decision),
    /// One call to a language model, with every attempt.
    LlmCall(Box<LlmCall>),
    /// A turn of a cognitive-restructuring dialogue.
    CrTurn(CrTurn),
    /// A CR dialogue entered a stage, and why.
    CrStage(CrStageEntered),
    /// A CR channel (one distortion) was opened, closed or dropped, or a reported distortion was
    /// not opened; and why.
    CrChannel(CrChannelChange),
    /// A clinician's override of the CR stage machine.
    CrOverride(CrOverride),
    /// A CR dialogue ended, and why (`verdicts`, `no_distortion`, `cap`, `safety`, `clinician`,
    /// `error`).
    CrEnd(CrEnd),
    /// A rating: of a turn, of a dialogue, or a pre/post belief or emotion measure.
    Rating(Rating),
    /// A free-text note.
    Note(Note),
    /// A crisis signal and what was done about it.
    Escalation(Escalation),
    /// An answer to an interpersonal-ability (IAE) item.
    IaeAnswer(IaeAnswer),
    /// A pairwise judgment in a study.
    Judgment(Judgment),
    /// The walk reached an ending of the tree.
    Ending(Ending),
    /// The session's status changed (finished, abandoned, failed, resumed).
    SessionStatus(StatusChange),
    /// A person revealed a node's lines: how many, and how (Enter one by one, or all at once).
    LinesRevealed(LinesRevealed),
    /// A person left an open session (to the library, quitting, a signal).
    Paused(Paused),
    /// A person came back to a session; the options on screen are presented again after it.
    Resumed(Resumed),
    /// A body this version cannot decode — a newer event type, or a newer schema of a known
    /// one — kept as the raw JSON object (with its `type`) and written back unchanged.
    #[serde(untagged)]
    Unknown(Value),
}

/// See [`EventBody::TextShown`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextShown {
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub speaker: Option<String>,
    pub text: String,
}

/// See [`EventBody::LinesRevealed`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinesRevealed {
    pub node: String,
    pub lines: u32,
    /// `enter` (one at a time), `all` (the reveal-all key), or `mixed`.
    pub how: String,
}

/// See [`EventBody::Paused`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paused {
    /// `left` (back to the library), `quit`, or `signal`.
    pub reason: String,
}

/// See [`EventBody::Resumed`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Resumed {}

/// One choice as presented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresentedOption {
    pub id: OptionId,
    pub text: String,
}

/// See [`EventBody::OptionsPresented`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionsPresented {
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub prompt: Option<String>,
    /// In presented order: index 0 was shown first.
    pub options: Vec<PresentedOption>,
}

/// See [`EventBody::Decision`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    #[serde(default)]
    pub node: Option<String>,
    /// Index into the last `options_presented` list (presented order, 0-based).
    pub option_index: u32,
    pub option_id: OptionId,
    pub latency_ms: u64,
    /// The options did not all fit on the screen at once: the person had to scroll to see them
    /// (latency then counts from when the last one had been shown). Absent when false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub options_scrolled: bool,
    /// The id of the chosen choice in its node (schema 4; absent from older records, which
    /// name the choice by its target only — two choices with one target cannot be told apart
    /// there). Written only when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<String>,
}

/// Token counts reported by the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TokenUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

/// One HTTP attempt of an LLM call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// HTTP status, when a response arrived.
    #[serde(default)]
    pub status: Option<u16>,
    /// What went wrong, when something did.
    #[serde(default)]
    pub error: Option<String>,
    pub latency_ms: u64,
}

/// See [`EventBody::LlmCall`]. The request is stored as sent, minus credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmCall {
    /// What the call was for (`decision`, `therapist_turn`, …).
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    pub request: Value,
    #[serde(default)]
    pub raw_reply: Option<String>,
    #[serde(default)]
    pub parsed: Option<Value>,
    #[serde(default)]
    pub usage: Option<TokenUsage>,
    /// Why the server stopped the reply (`stop`, `length` when it hit the token limit, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// Wall time of the whole call, retries included.
    pub latency_ms: u64,
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// The final error, when the call failed after all attempts.
    #[serde(default)]
    pub error: Option<String>,
}

/// See [`EventBody::CrTurn`]. The fields after `strategies` are schema 3 (written only when
/// set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrTurn {
    pub speaker: CrSpeaker,
    pub text: String,
    #[serde(default)]
    pub stage: Option<CrStage>,
    #[serde(default)]
    pub channel: Option<String>,
    /// One supportive strategy per sentence (a labelled therapist turn).
    #[serde(default)]
    pub strategies: Vec<String>,
    /// The turn's number in the dialogue (0 = the client's opening), for ratings about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// A therapist's report: the stage's goal looks met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_goal_met: Option<bool>,
    /// A therapist's report: distortions found (catalogue ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distortions: Vec<String>,
    /// A model therapist's turn without labels (a free model, or a structured reply that did
    /// not parse): a finding, not an error.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unlabelled: bool,
    /// Cut short (cancelled, or stopped at the token limit): the text is what arrived.
    #[serde(default, skip_serializing_if = "is_false")]
    pub cut: bool,
    /// Kept out of every later model context (a crisis turn).
    #[serde(default, skip_serializing_if = "is_false")]
    pub withheld: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

impl CrTurn {
    /// A turn with only the schema-1 fields set.
    #[must_use]
    pub const fn new(speaker: CrSpeaker, text: String) -> Self {
        Self {
            speaker,
            text,
            stage: None,
            channel: None,
            strategies: Vec::new(),
            index: None,
            stage_goal_met: None,
            distortions: Vec::new(),
            unlabelled: false,
            cut: false,
            withheld: false,
            latency_ms: None,
        }
    }

    const fn is_schema_3(&self) -> bool {
        self.index.is_some()
            || self.stage_goal_met.is_some()
            || !self.distortions.is_empty()
            || self.unlabelled
            || self.cut
            || self.withheld
            || self.latency_ms.is_some()
    }
}

/// See [`EventBody::CrStage`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrStageEntered {
    pub stage: CrStage,
    /// The distortion of the channel in restructuring.
    #[serde(default)]
    pub channel: Option<String>,
    /// `start`, `goal_met`, `cap`, `clinician`, `loop`.
    pub cause: String,
    /// Passes through the core-belief stage after a verdict so far.
    #[serde(default)]
    pub loops: u32,
}

/// See [`EventBody::CrChannel`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrChannelChange {
    pub distortion: String,
    /// `opened`, `closed`, `dropped`, `not_opened`.
    pub action: String,
    /// `reported`, `clinician`, `verdict`, `cap`, `max_channels`.
    pub cause: String,
    /// The turn that reported it (`index` of its `cr_turn`), if any.
    #[serde(default)]
    pub turn: Option<u32>,
}

/// See [`EventBody::CrOverride`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrOverride {
    /// `set_stage`, `open_channel`, `close_channel`, `drop_channel`, `finish`, `resume`.
    pub action: String,
    #[serde(default)]
    pub stage: Option<CrStage>,
    #[serde(default)]
    pub distortion: Option<String>,
}

/// See [`EventBody::CrEnd`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrEnd {
    pub finished_by: String,
    #[serde(default)]
    pub detail: Option<String>,
}

/// See [`EventBody::Rating`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// What is rated (`belief_pre`, `emotion_post`, `empathy`, …).
    pub name: String,
    pub value: f64,
    /// The event this rating is about (a turn's `seq`), if any.
    #[serde(default)]
    pub about_seq: Option<u64>,
    #[serde(default)]
    pub comment: Option<String>,
    /// The study task rated (a pointwise study's task id; `about_seq` is then a turn of the
    /// task's transcript). Schema 4; written only when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
}

/// See [`EventBody::Note`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
}

/// See [`EventBody::Escalation`]. The fields after `action` are schema 3 (written only when
/// set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    pub reason: String,
    /// The event that triggered it (a turn's `seq`), if any.
    #[serde(default)]
    pub about_seq: Option<u64>,
    /// What the program did (showed resources, ended the dialogue, …).
    #[serde(default)]
    pub action: Option<String>,
    /// What matched: the lexicon term or the classifier's label — never more of the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    /// Who said it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<CrSpeaker>,
    /// The stage the dialogue was in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<CrStage>,
    /// The turn (`index` of its `cr_turn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn: Option<u32>,
}

/// See [`EventBody::IaeAnswer`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IaeAnswer {
    pub item: ItemId,
    #[serde(default)]
    pub ability: Option<String>,
    /// Index into the last `options_presented` list.
    pub option_index: u32,
    pub option_id: OptionId,
    #[serde(default)]
    pub correct: Option<bool>,
    pub latency_ms: u64,
    /// As [`Decision::options_scrolled`].
    #[serde(default, skip_serializing_if = "is_false")]
    pub options_scrolled: bool,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
const fn is_false(b: &bool) -> bool {
    !*b
}

/// See [`EventBody::Judgment`]. `left` and `right` name what was shown on each side
/// (usually session ids); `choice` is `left`, `right`, `tie` or `both_bad`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgment {
    #[serde(default)]
    pub pair: Option<String>,
    pub left: String,
    pub right: String,
    pub choice: JudgmentChoice,
    #[serde(default)]
    pub reason: Option<String>,
    pub latency_ms: u64,
}

/// See [`EventBody::Ending`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ending {
    pub node: String,
    /// The ending's label (whether the goal was achieved).
    #[serde(default)]
    pub outcome: Option<EndingOutcome>,
}

/// See [`EventBody::SessionStatus`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: Status,
    #[serde(default)]
    pub reason: Option<StatusReason>,
}

/// Decode the body of one known type from its JSON text (no intermediate `Value`), or `None`
/// for a type this version does not know.
macro_rules! decode_known_str {
    ($tag:expr, $text:ident; $($name:literal => $variant:ident $(($wrap:path))?),* $(,)?) => {
        match $tag {
            $( $name => Some(serde_json::from_str($text).map(|b| EventBody::$variant($($wrap)?(b)))), )*
            _ => None,
        }
    };
}

/// The `type` of a body, read without decoding the rest.
#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(rename = "type", borrow)]
    tag: std::borrow::Cow<'a, str>,
}

fn tag_of(body: &RawValue) -> Result<std::borrow::Cow<'_, str>, serde_json::Error> {
    use serde::de::Error as _;
    serde_json::from_str::<Tag<'_>>(body.get())
        .map(|t| t.tag)
        .map_err(|_| serde_json::Error::custom("an event body needs a string `type`"))
}

impl EventBody {
    /// The schema this body needs: the newest schema among the fields it uses (1 when it uses
    /// none added later).
    #[must_use]
    pub const fn schema(&self) -> u32 {
        match self {
            Self::Decision(Decision {
                choice: Some(_), ..
            }) => 4,
            Self::Decision(Decision {
                options_scrolled: true,
                ..
            })
            | Self::IaeAnswer(IaeAnswer {
                options_scrolled: true,
                ..
            }) => 2,
            Self::Rating(Rating { task: Some(_), .. }) => 4,
            Self::CrTurn(t) if t.is_schema_3() => 3,
            Self::Escalation(e)
                if e.matched.is_some()
                    || e.speaker.is_some()
                    || e.stage.is_some()
                    || e.turn.is_some() =>
            {
                3
            }
            _ => 1,
        }
    }

    /// The body's `type` name.
    #[must_use]
    pub fn type_name(&self) -> &str {
        match self {
            Self::TextShown(_) => "text_shown",
            Self::OptionsPresented(_) => "options_presented",
            Self::Decision(_) => "decision",
            Self::LlmCall(_) => "llm_call",
            Self::CrTurn(_) => "cr_turn",
            Self::CrStage(_) => "cr_stage",
            Self::CrChannel(_) => "cr_channel",
            Self::CrOverride(_) => "cr_override",
            Self::CrEnd(_) => "cr_end",
            Self::Rating(_) => "rating",
            Self::Note(_) => "note",
            Self::Escalation(_) => "escalation",
            Self::IaeAnswer(_) => "iae_answer",
            Self::Judgment(_) => "judgment",
            Self::Ending(_) => "ending",
            Self::SessionStatus(_) => "session_status",
            Self::LinesRevealed(_) => "lines_revealed",
            Self::Paused(_) => "paused",
            Self::Resumed(_) => "resumed",
            Self::Unknown(raw) => raw.get("type").and_then(Value::as_str).unwrap_or("?"),
        }
    }

    /// Decode a body written with `schema`. A body of an unknown type, or of a schema newer
    /// than [`EVENT_SCHEMA`], becomes [`EventBody::Unknown`]. A known type that does not match
    /// its shape is an error.
    ///
    /// # Errors
    /// When `value` is not an object with a string `type`, or a known type is malformed.
    pub fn from_value(schema: u32, value: Value) -> Result<Self, serde_json::Error> {
        use serde::de::Error as _;
        if value.get("type").and_then(Value::as_str).is_none() {
            return Err(serde_json::Error::custom(
                "an event body needs a string `type`",
            ));
        }
        if schema > EVENT_SCHEMA {
            return Ok(Self::Unknown(value));
        }
        // One table of known types: through the text reader.
        Self::from_raw(schema, &serde_json::value::to_raw_value(&value)?)
    }
}

impl EventBody {
    /// As [`EventBody::from_value`], from the body's JSON text: the known types are decoded
    /// straight into their structs (reading a store does this for every event, so no `Value`
    /// is built on the way).
    ///
    /// # Errors
    /// As [`EventBody::from_value`].
    pub fn from_raw(schema: u32, body: &RawValue) -> Result<Self, serde_json::Error> {
        use serde::de::Error as _;
        let tag = tag_of(body)?;
        let text = body.get();
        if schema > EVENT_SCHEMA {
            return serde_json::from_str(text).map(Self::Unknown);
        }
        let decoded = decode_known_str!(tag.as_ref(), text;
            "text_shown" => TextShown,
            "options_presented" => OptionsPresented,
            "decision" => Decision,
            "llm_call" => LlmCall(Box::new),
            "cr_turn" => CrTurn,
            "cr_stage" => CrStage,
            "cr_channel" => CrChannel,
            "cr_override" => CrOverride,
            "cr_end" => CrEnd,
            "rating" => Rating,
            "note" => Note,
            "escalation" => Escalation,
            "iae_answer" => IaeAnswer,
            "judgment" => Judgment,
            "ending" => Ending,
            "session_status" => SessionStatus,
            "lines_revealed" => LinesRevealed,
            "paused" => Paused,
            "resumed" => Resumed,
        );
        match decoded {
            Some(result) => {
                result.map_err(|e| serde_json::Error::custom(format!("`{tag}` event: {e}")))
            }
            None => serde_json::from_str(text).map(Self::Unknown),
        }
    }
}

impl<'de> Deserialize<'de> for EventBody {
    /// Reads a body of the current schema; use [`EventBody::from_value`] for others.
    ///
    /// Through a `Value`, so that any deserializer can feed it (the share protocol's
    /// internally tagged requests buffer their content, which a `RawValue` cannot read);
    /// stored bytes are read by [`Event::from_json`] without one.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Self::from_value(EVENT_SCHEMA, value).map_err(serde::de::Error::custom)
    }
}

/// The stored shape, decoded before the body so the body can see its schema.
#[derive(Deserialize)]
struct RawEvent {
    seq: u64,
    at: DateTime<Utc>,
    schema: u32,
    body: Value,
}

/// As [`RawEvent`], borrowing the body's text from the stored bytes.
#[derive(Deserialize)]
struct BorrowedEvent<'a> {
    seq: u64,
    at: DateTime<Utc>,
    schema: u32,
    #[serde(borrow)]
    body: &'a RawValue,
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawEvent::deserialize(d)?;
        let body = EventBody::from_value(raw.schema, raw.body).map_err(serde::de::Error::custom)?;
        Ok(Self {
            seq: raw.seq,
            at: raw.at,
            schema: raw.schema,
            body,
        })
    }
}

impl Event {
    /// Decode an event from its JSON bytes (as stored): as its `Deserialize` does, with the
    /// body read straight into its type, no `Value` on the way.
    ///
    /// # Errors
    /// When the bytes are not an event, or its body is malformed.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let raw: BorrowedEvent<'_> = serde_json::from_slice(bytes)?;
        let body = EventBody::from_raw(raw.schema, raw.body)?;
        Ok(Self {
            seq: raw.seq,
            at: raw.at,
            schema: raw.schema,
            body,
        })
    }

    /// Decode a stored event, only when `keep` accepts its body's type (the others are
    /// checked for their envelope and type, not decoded): for readers that need a few kinds
    /// of event out of long logs (a model's calls carry whole prompts). Returns the event's
    /// seq either way.
    ///
    /// # Errors
    /// When the bytes are not an event, or a kept body is malformed.
    pub fn decode_if(
        bytes: &[u8],
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<(u64, Option<Self>), serde_json::Error> {
        let raw: BorrowedEvent<'_> = serde_json::from_slice(bytes)?;
        if !keep(tag_of(raw.body)?.as_ref()) {
            return Ok((raw.seq, None));
        }
        let body = EventBody::from_raw(raw.schema, raw.body)?;
        Ok((
            raw.seq,
            Some(Self {
                seq: raw.seq,
                at: raw.at,
                schema: raw.schema,
                body,
            }),
        ))
    }
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
