//! The closed sets of names events use, as types. On disk they are the same strings as before;
//! a name this version does not know is kept as `Other` and written back unchanged.

use std::fmt;

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

open_vocabulary! {
    /// Who speaks a CR turn.
    pub enum CrSpeaker {
        Therapist => "therapist",
        Client => "client",
    }
}

open_vocabulary! {
    /// The CR stage a turn belongs to (see `CRDIAL.md`): the identification stages, then per
    /// channel the restructuring stages.
    pub enum CrStage {
        AutomaticThoughts => "automatic_thoughts",
        IntermediateBeliefs => "intermediate_beliefs",
        CoreBeliefs => "core_beliefs",
        Defense => "defense",
        Prosecution => "prosecution",
        Verdict => "verdict",
    }
}

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
    fn item_ids_parse_once() {
        let id = ItemId::new("a/b", 3);
        assert_eq!(id.as_str(), "a/b/3");
        assert_eq!(id.parts(), Some(("a/b", 3)));
        assert_eq!(ItemId::from("nochoice").parts(), None);
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""a/b/3""#);
    }
}
