//! Reading a model's turn: the staged therapist's structured reply, the judge's verdict, and
//! plain turns (a free therapist, a client).
//!
//! Pure text work; nothing the model wrote is evaluated, and text is kept as data (terminal
//! escape sequences included: showing them safely is the renderer's job).
//!
//! **Structured replies** (`{"sentences":[{"text","strategy"}], "stage_goal_met",
//! "distortions"}`) are looked for, in order, as the whole reply, inside a code fence
//! (```` ```json ````), and embedded in prose (the first balanced `{…}` that reads). Before
//! that, `<think>` blocks are removed. Spellings are tolerant: keys in any case, `sentences`
//! items as objects or plain strings, `stage_goal_met` as a boolean, `"yes"`/`"是"` or `0`/`1`,
//! `distortions` as a list, a single string or objects with an `id`/`name`. Strategy and
//! distortion spellings go through the [`Catalogue`]; unknown ones are dropped and counted.
//! Sentence texts are joined into the turn's text (a space between sentences unless either
//! side is Chinese).
//!
//! **When nothing parses** the whole reply, without `<think>` blocks and code fences, is one
//! unlabelled turn (`labels: None`) — the dialogue never stops on a parse failure. A reply that
//! is plainly our JSON cut short (the token limit, a broken object) keeps the sentence texts it
//! got instead (`salvaged`), so a client never reads JSON or labels.
//!
//! Finding the JSON (whole, fenced, embedded, repaired) is [`super::locate`]'s part.
//!
//! **Bounds**: the parser reads at most [`MAX_REPLY_BYTES`] of a reply, tries at most
//! [`MAX_CANDIDATES`] objects, keeps [`MAX_SENTENCES`] sentences of at most
//! [`MAX_SENTENCE_CHARS`] characters, [`MAX_DISTORTIONS`] distortions, and a turn's text of at
//! most [`MAX_TURN_CHARS`] characters; `serde_json` refuses nesting deeper than 128.

use serde::Serialize;
use serde_json::{Map, Value};

use super::catalogue::{Catalogue, Match};
use super::locate::{fences, locate, without_fences};
use super::stream::TextValues;
use crate::agent::llm::parse::strip_reasoning;
use crate::engine::cr::TurnLabels;

/// The most of a reply the parser reads (bytes; the rest is ignored).
pub const MAX_REPLY_BYTES: usize = 256 << 10;
/// The most `{` positions tried as the start of an embedded object.
pub const MAX_CANDIDATES: usize = 16;
/// Sentences kept from one reply.
pub const MAX_SENTENCES: usize = 24;
/// Characters kept of one sentence.
pub const MAX_SENTENCE_CHARS: usize = 2_000;
/// Distortions kept from one reply.
pub const MAX_DISTORTIONS: usize = 12;
/// Characters kept of a turn's text.
pub const MAX_TURN_CHARS: usize = 12_000;
/// Unknown spellings listed in the record (the count covers them all).
const MAX_LISTED: usize = 8;
/// The longest spelling looked up in the catalogue (characters).
const MAX_SPELLING_CHARS: usize = 80;

/// Where the structured reply was found, or how the turn was read without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The whole reply is the JSON object.
    Json,
    /// Inside a code fence.
    Fenced,
    /// Embedded in prose.
    Embedded,
    /// Broken JSON: the sentence texts that could be read, unlabelled.
    Salvaged,
    /// No structure: the reply as text, unlabelled.
    Plain,
}

/// One sentence as the model labelled it, for the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentenceLabel {
    /// The strategy as the model wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given: Option<String>,
    /// The catalogue id it maps to.
    pub strategy: Option<String>,
}

/// What reading a reply found, beyond the turn: what `llm_call.parsed` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reading {
    pub method: Method,
    /// Per sentence, the strategy given and its id (structured replies).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sentences: Vec<SentenceLabel>,
    /// Strategy spellings matched only approximately (given → id).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approximate: Vec<(String, String)>,
    /// Unknown strategy spellings (the first few) and how many there were.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_strategies: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub unknown_strategy_count: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_distortions: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub unknown_distortion_count: usize,
    /// Sentences beyond the bound, or empty ones, left out.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped_sentences: usize,
    /// Some text was cut to fit a bound.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// `<think>` reasoning was removed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reasoning_removed: bool,
}

const fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Reading {
    const fn new(method: Method) -> Self {
        Self {
            method,
            sentences: Vec::new(),
            approximate: Vec::new(),
            unknown_strategies: Vec::new(),
            unknown_strategy_count: 0,
            unknown_distortions: Vec::new(),
            unknown_distortion_count: 0,
            dropped_sentences: 0,
            truncated: false,
            reasoning_removed: false,
        }
    }

    /// Labels dropped because the catalogue did not know them.
    #[must_use]
    pub const fn unknown_labels(&self) -> usize {
        self.unknown_strategy_count + self.unknown_distortion_count
    }

    /// As `llm_call.parsed`.
    #[must_use]
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A turn read from a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadTurn {
    pub text: String,
    /// `None`: unlabelled (no structure found).
    pub labels: Option<TurnLabels>,
    pub reading: Reading,
}

/// A judge's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub stage_goal_met: Option<bool>,
    pub distortions: Vec<String>,
    pub reading: Reading,
}

/// `s` cut to at most `max` characters; whether it was cut.
fn bounded(s: &str, max: usize) -> (&str, bool) {
    match s.char_indices().nth(max) {
        Some((i, _)) => (&s[..i], true),
        None => (s, false),
    }
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn bounded_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{2E80}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}')
}

/// Whether a space goes between text ending in `left` and text starting with `right`.
#[must_use]
pub fn needs_space(left: char, right: char) -> bool {
    !left.is_whitespace() && !right.is_whitespace() && !is_cjk(left) && !is_cjk(right)
}

/// Sentences joined into a turn: a space between two, unless either side is Chinese.
#[must_use]
pub fn join_sentences<'a>(sentences: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for s in sentences {
        let s = s.trim();
        let Some(first) = s.chars().next() else {
            continue;
        };
        if let Some(last) = out.chars().next_back()
            && needs_space(last, first)
        {
            out.push(' ');
        }
        out.push_str(s);
    }
    out
}

/// The reply without `<think>` blocks, read up to [`MAX_REPLY_BYTES`].
fn prepared(raw: &str) -> (String, bool) {
    strip_reasoning(bounded_bytes(raw, MAX_REPLY_BYTES))
}

/// The value of the first key of `keys` present in `obj`, keys compared without case, `_`
/// or `-`.
fn field<'v>(obj: &'v Map<String, Value>, keys: &[&str]) -> Option<&'v Value> {
    let norm = |k: &str| -> String {
        k.chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .flat_map(char::to_lowercase)
            .collect()
    };
    keys.iter().find_map(|want| {
        let want = norm(want);
        obj.iter().find(|(k, _)| norm(k) == want).map(|(_, v)| v)
    })
}

fn as_text(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_lowercase().as_str() {
            "true" | "yes" | "y" | "met" | "是" | "对" | "已达成" | "达成" => Some(true),
            "false" | "no" | "n" | "not met" | "否" | "不" | "未达成" | "没有" => {
                Some(false)
            }
            _ => None,
        },
        _ => None,
    }
}

/// Spellings in a `distortions` value: a list of strings or objects, or one string (possibly
/// comma-separated).
fn spellings(v: &Value) -> Vec<String> {
    let one = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => field(o, &["id", "name", "distortion"])
                .and_then(as_text)
                .map(str::to_owned),
            _ => None,
        }
    };
    match v {
        Value::Array(items) => items
            .iter()
            .take(4 * MAX_DISTORTIONS)
            .filter_map(one)
            .collect(),
        Value::String(s) => s
            .split([',', '，', '、', ';', '；'])
            .map(str::to_owned)
            .collect(),
        Value::Object(_) => one(v).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// Distortion spellings mapped to ids: deduplicated, bounded, unknown ones counted.
fn distortion_ids(list: Vec<String>, catalogue: &Catalogue, reading: &mut Reading) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for spelling in list {
        let spelling = spelling.trim();
        if spelling.is_empty() {
            continue;
        }
        let (looked, _) = bounded(spelling, MAX_SPELLING_CHARS);
        match catalogue.distortion(looked) {
            Some((id, _)) => {
                if !ids.iter().any(|i| i == id) && ids.len() < MAX_DISTORTIONS {
                    ids.push(id.to_owned());
                }
            }
            None => {
                reading.unknown_distortion_count += 1;
                if reading.unknown_distortions.len() < MAX_LISTED {
                    reading.unknown_distortions.push(looked.to_owned());
                }
            }
        }
    }
    ids
}

/// A sentence item: its text and the strategy as given.
fn sentence(v: &Value) -> Option<(&str, Option<&str>)> {
    match v {
        Value::String(s) => Some((s, None)),
        Value::Object(o) => {
            let text = field(o, &["text", "sentence", "content", "utterance"]).and_then(as_text)?;
            let strategy = field(o, &["strategy", "strategy_id", "label", "strategies"]).and_then(
                |s| match s {
                    Value::Array(a) => a.first().and_then(as_text),
                    other => as_text(other),
                },
            );
            Some((text, strategy))
        }
        _ => None,
    }
}

/// Read a structured reply's JSON value into a turn; `None` when it holds no text.
fn structured(v: &Value, catalogue: &Catalogue, method: Method, depth: u8) -> Option<ReadTurn> {
    let (items, obj): (Vec<&Value>, Option<&Map<String, Value>>) = match v {
        Value::Object(o) => match field(o, &["sentences", "utterances", "turn"]) {
            Some(Value::Array(a)) => (a.iter().collect(), Some(o)),
            Some(s @ Value::String(_)) => (vec![s], Some(o)),
            _ => (
                field(o, &["text", "reply", "response"])
                    .filter(|t| t.is_string())
                    .into_iter()
                    .collect(),
                Some(o),
            ),
        },
        Value::Array(a) => (a.iter().collect(), None),
        _ => return None,
    };
    if items.is_empty()
        && let Some(o) = obj
        && let [(_, inner @ Value::Object(_))] = o.iter().collect::<Vec<_>>().as_slice()
        && depth < 2
    {
        // A wrapper: `{"reply": {"sentences": …}}`.
        return structured(inner, catalogue, method, depth + 1);
    }
    let mut reading = Reading::new(method);
    let mut texts: Vec<String> = Vec::new();
    let mut strategies: Vec<String> = Vec::new();
    let top_strategy = obj.and_then(|o| field(o, &["strategy"])).and_then(as_text);
    for item in items {
        let Some((text, given)) = sentence(item) else {
            reading.dropped_sentences += 1;
            continue;
        };
        let text = text.trim();
        if text.is_empty() || texts.len() >= MAX_SENTENCES {
            reading.dropped_sentences += 1;
            continue;
        }
        let (text, cut) = bounded(text, MAX_SENTENCE_CHARS);
        reading.truncated |= cut;
        texts.push(text.to_owned());
        let given = given
            .or(top_strategy)
            .map(str::trim)
            .filter(|g| !g.is_empty());
        let mapped = given.and_then(|g| {
            let (looked, _) = bounded(g, MAX_SPELLING_CHARS);
            match catalogue.strategy(looked) {
                Some((id, how)) => {
                    if how == Match::Close && reading.approximate.len() < MAX_LISTED {
                        reading.approximate.push((looked.to_owned(), id.to_owned()));
                    }
                    Some(id.to_owned())
                }
                None => {
                    reading.unknown_strategy_count += 1;
                    if reading.unknown_strategies.len() < MAX_LISTED {
                        reading.unknown_strategies.push(looked.to_owned());
                    }
                    None
                }
            }
        });
        if let Some(id) = &mapped {
            strategies.push(id.clone());
        }
        reading.sentences.push(SentenceLabel {
            given: given.map(|g| bounded(g, MAX_SPELLING_CHARS).0.to_owned()),
            strategy: mapped,
        });
    }
    if texts.is_empty() {
        return None;
    }
    let stage_goal_met = obj
        .and_then(|o| field(o, &["stage_goal_met", "goal_met", "stage_goal"]))
        .and_then(as_bool);
    let distortions = obj
        .and_then(|o| field(o, &["distortions", "distortion", "cognitive_distortions"]))
        .map(spellings)
        .map(|list| distortion_ids(list, catalogue, &mut reading))
        .unwrap_or_default();
    let (text, cut) = bounded_turn(join_sentences(texts.iter().map(String::as_str)));
    reading.truncated |= cut;
    Some(ReadTurn {
        text,
        labels: Some(TurnLabels {
            strategies,
            stage_goal_met,
            distortions,
        }),
        reading,
    })
}

fn bounded_turn(text: String) -> (String, bool) {
    match bounded(&text, MAX_TURN_CHARS) {
        (_, false) => (text, false),
        (kept, true) => (kept.trim_end().to_owned(), true),
    }
}

/// Read a staged therapist's reply. Never fails: without a structured reply the turn is the
/// text (see the module docs).
#[must_use]
pub fn read_staged(raw: &str, catalogue: &Catalogue) -> ReadTurn {
    let (body, reasoning) = prepared(raw);
    let mut found = locate(&body, true, &mut |v| {
        structured(v, catalogue, Method::Json, 0)
    });
    if let Some((turn, method)) = &mut found {
        turn.reading.method = *method;
        turn.reading.reasoning_removed = reasoning;
    }
    if let Some((turn, _)) = found {
        return turn;
    }
    let mut turn = read_unstructured(&body);
    turn.reading.reasoning_removed = reasoning;
    turn
}

/// A reply with no structure that reads: salvaged sentence texts when it is plainly our JSON,
/// else the whole text, fences removed.
fn read_unstructured(body: &str) -> ReadTurn {
    let text = without_fences(body);
    let trimmed = text.trim();
    let looks_like_ours = trimmed.starts_with(['{', '['])
        || (trimmed.contains("\"sentences\"") && trimmed.contains("\"text\""));
    if looks_like_ours {
        let mut values = TextValues::new();
        let mut salvaged = String::new();
        values.push(trimmed, &mut |piece| salvaged.push_str(piece));
        if !salvaged.trim().is_empty() {
            let (text, cut) = bounded_turn(salvaged);
            let mut reading = Reading::new(Method::Salvaged);
            reading.truncated = cut;
            return ReadTurn {
                text,
                labels: None,
                reading,
            };
        }
    }
    let (text, cut) = bounded_turn(trimmed.to_owned());
    let mut reading = Reading::new(Method::Plain);
    reading.truncated = cut;
    ReadTurn {
        text,
        labels: None,
        reading,
    }
}

/// Read a plain turn (a free therapist, a client): the reply without `<think>` blocks,
/// unwrapped when it is one code fence, trimmed and bounded.
#[must_use]
pub fn read_plain(raw: &str) -> ReadTurn {
    let (body, reasoning) = prepared(raw);
    let trimmed = body.trim();
    let unwrapped = match fences(trimmed).as_slice() {
        [only] if trimmed.starts_with("```") && trimmed.ends_with("```") && trimmed.len() > 6 => {
            only.trim()
        }
        _ => trimmed,
    };
    let (text, cut) = bounded_turn(unwrapped.to_owned());
    let mut reading = Reading::new(Method::Plain);
    reading.truncated = cut;
    reading.reasoning_removed = reasoning;
    ReadTurn {
        text,
        labels: None,
        reading,
    }
}

/// Read a judge's reply; `None` when it holds no verdict.
#[must_use]
pub fn read_judge(raw: &str, catalogue: &Catalogue) -> Option<Verdict> {
    let (body, reasoning) = prepared(raw);
    let mut accept = |v: &Value| -> Option<(Option<bool>, Option<Vec<String>>)> {
        let o = v.as_object()?;
        let met = field(o, &["stage_goal_met", "goal_met", "stage_goal"]);
        let list = field(o, &["distortions", "distortion", "cognitive_distortions"]);
        if met.is_none() && list.is_none() {
            return None;
        }
        Some((met.and_then(as_bool), list.map(spellings)))
    };
    let ((met, list), method) = locate(&body, false, &mut accept)?;
    let mut reading = Reading::new(method);
    reading.reasoning_removed = reasoning;
    let distortions = distortion_ids(list.unwrap_or_default(), catalogue, &mut reading);
    Some(Verdict {
        stage_goal_met: met,
        distortions,
        reading,
    })
}

#[cfg(test)]
#[path = "reply_tests.rs"]
mod tests;
