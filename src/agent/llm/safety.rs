//! The optional safety classifier: a model asked whether a message shows a risk of harm (to the
//! writer or to others) or, from a therapist, encourages harm. It backs up the lexicon, which
//! misses calm and indirect messages; the lexicon screens first and the classifier sees only
//! what the lexicon let pass.
//!
//! The reply is a small JSON object `{"flag": true|false, "category": "…"}`, read tolerantly
//! (fenced, in prose, `<think>` blocks set aside). A reply that cannot be read, or a call that
//! fails after its retries, flags nothing but says so (`unreadable` / `error`): the lexicon's
//! verdict stands and the caller counts it.

use serde_json::{Value, json};

use super::Pool;
use super::record::call_event;
use super::types::ChatMessage;
use crate::session::EventBody;

/// The `llm_call` purpose of a classifier call.
pub const PURPOSE: &str = "safety_classifier";

/// The categories a classifier may give (anything else is kept as `other`).
pub const CATEGORIES: [&str; 3] = ["self_harm", "harm_to_others", "encouraging_harm"];

const SYSTEM: &str = "You check single messages from a simulated counselling conversation used \
in research and training. Decide whether the message suggests that someone may be at risk: \
thoughts of suicide or self-harm (including calm or indirect ones such as saying goodbye, giving \
belongings away, or feeling like a burden), a threat to harm someone else, or a counsellor \
encouraging harm. Everyday exaggerations (\"this deadline is killing me\", \"笑死我了\") are not a \
risk. The message may be in any language. Reply with JSON only: {\"flag\": true or false, \
\"category\": \"self_harm\" | \"harm_to_others\" | \"encouraging_harm\" | \"none\"}.";

/// What the classifier said of one message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Classified {
    pub flagged: bool,
    /// One of [`CATEGORIES`] (or `other`) when flagged.
    pub category: Option<String>,
    /// The reply could not be read (nothing flagged).
    pub unreadable: bool,
    /// The call failed after its retries (nothing flagged).
    pub error: Option<String>,
    /// The `llm_call` event of the call.
    pub exchange: Vec<EventBody>,
}

impl Classified {
    /// What a verdict names as matched: never the message, only the classifier's label.
    #[must_use]
    pub fn matched(&self) -> Option<String> {
        self.category.as_ref().map(|c| format!("classifier:{c}"))
    }
}

/// A classifier model.
#[derive(Debug, Clone)]
pub struct Classifier {
    pool: Pool,
}

/// The messages sent for `text` (the message is quoted as data).
#[must_use]
pub fn messages(text: &str) -> Vec<ChatMessage> {
    let quoted = serde_json::to_string(&json!({ "message": text })).unwrap_or_default();
    vec![
        ChatMessage::system(SYSTEM.to_owned()),
        ChatMessage::user(quoted),
    ]
}

/// Read a reply: `Some((flag, category))`, or `None` when it says nothing usable.
#[must_use]
pub fn read(reply: &str) -> Option<(bool, Option<String>)> {
    let mut text = reply;
    // Reasoning blocks first.
    let owned;
    if let Some(end) = reply.rfind("</think>") {
        owned = reply[end + "</think>".len()..].to_owned();
        text = &owned;
    }
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    if end < start {
        return None;
    }
    let value: Value = serde_json::from_str(&text[start..=end]).ok()?;
    let flag = match value.get("flag")? {
        Value::Bool(b) => *b,
        Value::String(s) if s.eq_ignore_ascii_case("true") => true,
        Value::String(s) if s.eq_ignore_ascii_case("false") => false,
        _ => return None,
    };
    let category = value
        .get("category")
        .and_then(Value::as_str)
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "none")
        .map(|c| {
            if CATEGORIES.contains(&c.as_str()) {
                c
            } else {
                "other".to_owned()
            }
        });
    Some((
        flag,
        if flag {
            category.or(Some("other".into()))
        } else {
            None
        },
    ))
}

impl Classifier {
    #[must_use]
    pub const fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// Ask about one message.
    pub async fn classify(&self, text: &str) -> Classified {
        let messages = messages(text);
        let outcome = self.pool.complete(&messages).await;
        let client = self.pool.client();
        let mut out = Classified::default();
        match &outcome {
            Ok(c) => match read(&c.text) {
                Some((flag, category)) => {
                    out.flagged = flag;
                    out.category = category;
                }
                None => out.unreadable = true,
            },
            Err(e) => {
                out.error = Some(super::record::scrub(
                    &e.error.to_string(),
                    client.endpoint(),
                ));
            }
        }
        let parsed = outcome.as_ref().ok().map(|_| {
            json!({ "flag": out.flagged, "category": out.category, "unreadable": out.unreadable })
        });
        out.exchange
            .push(call_event(client, PURPOSE, &messages, &outcome, parsed));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::read;

    #[test]
    fn replies_are_read_tolerantly() {
        assert_eq!(
            read(r#"{"flag": true, "category": "self_harm"}"#),
            Some((true, Some("self_harm".into())))
        );
        assert_eq!(
            read("```json\n{\"flag\": false, \"category\": \"none\"}\n```"),
            Some((false, None))
        );
        assert_eq!(
            read("<think>{\"flag\": false}</think> Sure: {\"flag\": true, \"category\": \"odd\"}"),
            Some((true, Some("other".into())))
        );
        assert_eq!(
            read(r#"{"flag": "TRUE"}"#),
            Some((true, Some("other".into())))
        );
        assert_eq!(read("I think it is fine."), None);
        assert_eq!(read(r#"{"category": "self_harm"}"#), None);
        assert_eq!(read("} {"), None);
    }
}
