//! The source's own words, where the official SocialEval scripts read them raw.
//!
//! The importer repairs what it reads (stray colons, control characters, speaker drift, empty
//! and artefact lines, merged introductions). The official scripts repair nothing: their prompts
//! carry the data exactly as written. So that `--protocol socialeval` can send the very same
//! bytes, an imported tree keeps the source's words wherever its repaired form would not give
//! them back:
//! - a character card keeps its profile as written ([`Character::as_written`]);
//! - an utterance keeps its speaker and text as written (`speaker_original`, `text_original`);
//! - a node keeps its whole `dialog` as written ([`crate::script::model::Node::dialog_as_written`])
//!   when its lines do not give it back.
//!
//! [`dialog`] gives a node's dialog as written: the kept copy, or the one its lines give back.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::model::{Character, Line, Node, Utterance, WorldTree};

/// The narration label the importer gives a node-level `description` (the official scripts never
/// read it: it is no `dialog` item).
pub const NODE_DESCRIPTION: &str = "node_description";

/// A profile as the source wrote the four fields the official scripts read (`None`: the key is
/// missing, which Python's `dict.get` reads as `None`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WrittenProfile {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
}

impl WrittenProfile {
    /// The profile a card gives back: an empty field reads as a missing key.
    #[must_use]
    pub fn of_card(c: &Character) -> Self {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Self {
            name: c.name.clone(),
            public_profile: some(&c.public_profile),
            private_profile: some(&c.private_profile),
            goal: some(&c.goal),
        }
    }
}

/// One `dialog` item as written: a line (`role`, `content`), a character's introduction
/// (`profile`), or in principle both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WrittenItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<WrittenProfile>,
}

impl WrittenItem {
    #[must_use]
    pub fn said(role: &str, content: &str) -> Self {
        Self {
            role: Some(role.to_owned()),
            content: Some(content.to_owned()),
            profile: None,
        }
    }
}

/// A card's profile as written: the kept copy, else what its fields give back.
#[must_use]
pub fn profile(c: &Character) -> Cow<'_, WrittenProfile> {
    c.as_written
        .as_ref()
        .map_or_else(|| Cow::Owned(WrittenProfile::of_card(c)), Cow::Borrowed)
}

/// An utterance's speaker and text as written.
#[must_use]
pub fn said(u: &Utterance) -> (&str, &str) {
    (
        u.speaker_original.as_deref().unwrap_or(&u.speaker),
        u.text_original.as_deref().unwrap_or(&u.text),
    )
}

/// What a node's lines give back of its dialog as written (cards looked up in `characters`).
#[must_use]
pub fn from_lines(characters: &[Character], lines: &[Line]) -> Vec<WrittenItem> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        match line {
            Line::Speech(u) => {
                let (role, content) = said(u);
                out.push(WrittenItem::said(role, content));
            }
            Line::Narration { text, label, .. } => match label.as_deref() {
                Some(NODE_DESCRIPTION) => {}
                Some(label) => out.push(WrittenItem::said(label, text)),
                None => out.push(WrittenItem {
                    role: None,
                    content: Some(text.clone()),
                    profile: None,
                }),
            },
            Line::Introduce { name, .. } => {
                if let Some(c) = characters.iter().find(|c| c.key() == name) {
                    out.push(WrittenItem {
                        profile: Some(profile(c).into_owned()),
                        ..WrittenItem::default()
                    });
                }
            }
        }
    }
    out
}

/// A node's dialog as the source wrote it.
#[must_use]
pub fn dialog<'t>(tree: &WorldTree, node: &'t Node) -> Cow<'t, [WrittenItem]> {
    node.dialog_as_written.as_deref().map_or_else(
        || Cow::Owned(from_lines(&tree.characters, &node.lines)),
        Cow::Borrowed,
    )
}
