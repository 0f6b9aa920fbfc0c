//! The closed sets of names events use, as types. On disk they are the same strings as before;
//! a name this version does not know is kept as `Other` and written back unchanged.

use std::fmt;

use crate::vocab::open_vocabulary;

open_vocabulary! {
    /// How a world-tree walk ended (an `ending` event's `outcome`).
    pub enum EndingOutcome {
        Success => "success",
        Partial => "partial",
        Failure => "failure",
        /// An ending without a label, or a dead end.
        Unlabelled => "unlabelled",
    }
}

impl From<crate::script::model::Outcome> for EndingOutcome {
    fn from(o: crate::script::model::Outcome) -> Self {
        Self::from_name(o.name())
    }
}

impl EndingOutcome {
    /// The script's outcome of a known name.
    #[must_use]
    pub fn outcome(&self) -> Option<crate::script::model::Outcome> {
        crate::script::model::Outcome::from_name(self.as_str())
    }
}

pub use crate::vocab::{CrSpeaker, CrStage};

open_vocabulary! {
    /// A pairwise judgment's verdict.
    pub enum JudgmentChoice {
        Left => "left",
        Right => "right",
        Tie => "tie",
        BothBad => "both_bad",
    }
}

/// A batch run's id (`socius eval --run-id`): every session of the run carries it.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct RunId(pub String);

impl RunId {
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RunId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<String> for RunId {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl PartialEq<str> for RunId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl std::ops::Deref for RunId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// An IAE item's stored name, `<node id>/<choice index>`: parsed in one place.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ItemId(pub String);

impl ItemId {
    /// The name of the item at `choice` of node `node`.
    #[must_use]
    pub fn new(node: &str, choice: usize) -> Self {
        Self(format!("{node}/{choice}"))
    }

    /// The node id and choice index, when the name has that shape.
    #[must_use]
    pub fn parts(&self) -> Option<(&str, usize)> {
        let (node, choice) = self.0.rsplit_once('/')?;
        Some((node, choice.parse().ok()?))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ItemId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// Why a session's status changed (a `session_status` event's `reason`). Stored as text: a
/// drop reason's name, one of the two run-interruption sentences, or any other text (an
/// error's message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusReason {
    /// The episode was dropped (dead end, unlabelled ending, …).
    Dropped(crate::engine::DropReason),
    /// Left in progress by an interrupted run and reopened when the run resumed.
    Reopened,
    /// Abandoned because its run was interrupted.
    Interrupted,
    /// Abandoned on request (`sessions abandon`, or the key in the TUI): kept, never scored.
    Abandoned,
    /// Anything else: the error a failed session ended with, or a reason a later version wrote.
    Other(String),
}

impl StatusReason {
    const REOPENED: &'static str = "left in progress by an interrupted run; redone on resume";
    const INTERRUPTED: &'static str = "interrupted; resume the run to redo it";
    const ABANDONED: &'static str = "abandoned on request";

    /// The stored text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Dropped(d) => d.name(),
            Self::Reopened => Self::REOPENED,
            Self::Interrupted => Self::INTERRUPTED,
            Self::Abandoned => Self::ABANDONED,
            Self::Other(s) => s,
        }
    }

    /// The reason a stored text names.
    #[must_use]
    pub fn from_name(text: &str) -> Self {
        match text {
            Self::REOPENED => Self::Reopened,
            Self::INTERRUPTED => Self::Interrupted,
            Self::ABANDONED => Self::Abandoned,
            _ => crate::engine::DropReason::from_name(text)
                .map_or_else(|| Self::Other(text.to_owned()), Self::Dropped),
        }
    }

    /// The drop reason, when the session was dropped.
    #[must_use]
    pub const fn dropped(&self) -> Option<crate::engine::DropReason> {
        match self {
            Self::Dropped(d) => Some(*d),
            _ => None,
        }
    }
}

impl From<&str> for StatusReason {
    fn from(text: &str) -> Self {
        Self::from_name(text)
    }
}

impl fmt::Display for StatusReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for StatusReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for StatusReason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Self::from_name(&text))
    }
}

/// The stored id of a presented option: a choice's target node id (GAE), `candidate` or
/// `distractor-<k>` (IAE). Sessions written before 0.3 may hold `other-<N>` (a screen position)
/// for a person's wrong IAE answer; see `session::compat`.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct OptionId(pub String);

/// What an [`OptionId`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind<'a> {
    /// The IAE item's right answer.
    Candidate,
    /// The IAE item's k-th distractor (1-based).
    Distractor(usize),
    /// An old person's answer by screen position (0-based).
    LegacyPosition(usize),
    /// A GAE choice, by its target node id (or any other id).
    Target(&'a str),
}

impl OptionId {
    /// The IAE candidate's id.
    #[must_use]
    pub fn candidate() -> Self {
        Self("candidate".to_owned())
    }

    /// The id of the IAE item's k-th distractor.
    #[must_use]
    pub fn distractor(k: usize) -> Self {
        Self(format!("distractor-{k}"))
    }

    /// What the id names.
    #[must_use]
    pub fn kind(&self) -> OptionKind<'_> {
        let number = |prefix: &str| {
            self.0
                .strip_prefix(prefix)
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse().ok())
        };
        if self.0 == "candidate" {
            OptionKind::Candidate
        } else if let Some(k) = number("distractor-") {
            OptionKind::Distractor(k)
        } else if let Some(n) = number("other-") {
            OptionKind::LegacyPosition(n)
        } else {
            OptionKind::Target(&self.0)
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for OptionId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<String> for OptionId {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl PartialEq<str> for OptionId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<String> for OptionId {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

impl PartialEq<&str> for OptionId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_on_disk_stay_and_unknown_ones_survive() {
        let v: Vec<JudgmentChoice> =
            serde_json::from_str(r#"["left","both_bad","maybe"]"#).unwrap();
        assert_eq!(
            v,
            [
                JudgmentChoice::Left,
                JudgmentChoice::BothBad,
                JudgmentChoice::Other("maybe".into())
            ]
        );
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"["left","both_bad","maybe"]"#
        );
        assert_eq!(
            EndingOutcome::from(crate::script::model::Outcome::Partial),
            EndingOutcome::Partial
        );
    }

    #[test]
    fn status_reasons_keep_their_stored_text() {
        for text in [
            "dead_end",
            "invalid_answer",
            "interrupted; resume the run to redo it",
            "left in progress by an interrupted run; redone on resume",
            "HTTP 500 after 3 tries",
        ] {
            let json = serde_json::to_string(text).unwrap();
            let reason: StatusReason = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&reason).unwrap(), json);
        }
        assert_eq!(
            StatusReason::from_name("dead_end").dropped(),
            Some(crate::engine::DropReason::DeadEnd)
        );
        assert_eq!(
            StatusReason::from_name("interrupted; resume the run to redo it"),
            StatusReason::Interrupted
        );
        assert_eq!(
            StatusReason::from_name("boom"),
            StatusReason::Other("boom".into())
        );
    }

    #[test]
    fn option_ids_say_what_they_name() {
        assert_eq!(OptionId::candidate().kind(), OptionKind::Candidate);
        assert_eq!(OptionId::distractor(3).kind(), OptionKind::Distractor(3));
        assert_eq!(
            OptionId::from("other-12").kind(),
            OptionKind::LegacyPosition(12)
        );
        assert_eq!(
            OptionId::from("other-").kind(),
            OptionKind::Target("other-")
        );
        assert_eq!(
            OptionId::from("other-+1").kind(),
            OptionKind::Target("other-+1")
        );
        assert_eq!(OptionId::from("n7").kind(), OptionKind::Target("n7"));
        assert_eq!(
            serde_json::to_string(&OptionId::distractor(2)).unwrap(),
            r#""distractor-2""#
        );
    }

    #[test]
    fn item_ids_parse_once() {
        let id = ItemId::new("a/b", 3);
        assert_eq!(id.as_str(), "a/b/3");
        assert_eq!(id.parts(), Some(("a/b", 3)));
        assert_eq!(ItemId::from("nochoice").parts(), None);
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""a/b/3""#);
    }
}
