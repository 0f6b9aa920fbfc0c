//! The two ways a model walks a tree, side by side.
//!
//! - GAE options: `socialeval` file order; `socius` file order, or a seeded shuffle with
//!   `--shuffle-options`.
//! - The chosen utterance: `socialeval` leaves it out of the later context (the data never
//!   repeats it); `socius` keeps it.
//! - Prompt language: `socialeval` uses one prompt for every tree (the official runs use a
//!   single Chinese prompt, so our Chinese built-in); `socius` the tree's language.
//! - `{main_profile}` / `{user_profile}` (GAE): `socialeval` fills them as the official script
//!   does, JSON `{"name": …, "public": …, "private": …, "goal": …}` and
//!   `[{"name": …, "public": …}, …]`; `socius` with labelled lines.
//! - An unreadable answer: `socialeval` drops the episode (or item) at once; `socius` sends one
//!   short correction first.
//! - Trees flagged `not_playable_as_text`: `socialeval` walks them (the official script walks
//!   every file); `socius` skips them with a notice.
//!
//! Both gather the other characters the same way ([`crate::engine::context::others`]: the
//! supporting characters, then every profile introduced along the path, each once, public
//! profile only — SOCIALEVAL.md's reading; the official script also passes on the private
//! profile and goal of characters introduced mid-story, and repeats a character introduced
//! twice). Empty profile fields are `null` in the official JSON, as Python's `dict.get` gives
//! for a missing key. Both drop an episode at an unlabelled ending or a dead end.
//!
//! IAE is the same item set under both; the options are always shuffled with a recorded seed.
//! The IAE context under `socialeval` leaves the chosen utterances out and fills `{public}`,
//! `{private}` and `{goal}` as written (empty stays empty, as the official `or ""` does); under
//! `socius` the utterances that led to the choice point are in the context and empty fields
//! read "(none)".

use serde::{Deserialize, Serialize};

use super::settings::EvalKind;
use crate::agent::llm::{PromptParts, gae_parts, iae_parts};
use crate::script::model::{FLAG_NOT_PLAYABLE_AS_TEXT, IaeItem, Language, Utterance, WorldTree};

/// How a model's walk is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// The official SocialEval behaviour.
    Socialeval,
    /// Ours.
    #[default]
    Socius,
}

impl Protocol {
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Socialeval => "socialeval",
            Self::Socius => "socius",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "socialeval" => Some(Self::Socialeval),
            "socius" => Some(Self::Socius),
            _ => None,
        }
    }

    /// Whether the protagonist's chosen utterances stay in the context.
    #[must_use]
    pub const fn keeps_chosen(self) -> bool {
        matches!(self, Self::Socius)
    }

    /// The language of the one correction sent after an unreadable reply (none: no correction).
    #[must_use]
    pub const fn correction(self, tree: Language) -> Option<Language> {
        match self {
            Self::Socialeval => None,
            Self::Socius => Some(tree),
        }
    }

    /// The language of the built-in prompt used for a tree.
    #[must_use]
    pub const fn prompt_language(self, tree: Language) -> Language {
        match self {
            Self::Socialeval => Language::Zh,
            Self::Socius => tree,
        }
    }

    /// Whether GAE options may be shuffled (`--shuffle-options`).
    #[must_use]
    pub const fn allows_shuffle(self) -> bool {
        matches!(self, Self::Socius)
    }

    /// Whether a tree is evaluated under this protocol.
    #[must_use]
    pub fn walks(self, tree: &WorldTree) -> bool {
        match self {
            Self::Socialeval => true,
            Self::Socius => !tree.has_flag(FLAG_NOT_PLAYABLE_AS_TEXT),
        }
    }

    /// The sampling temperature when `--temperature` is not given: 1 for GAE under both
    /// (episodes are samples of the model's policy; the official runs use 1), 1 for IAE under
    /// `socialeval` (as the official runs), 0 for IAE under `socius` (one answer per item: the
    /// model's most likely one).
    #[must_use]
    pub const fn default_temperature(self, kind: EvalKind) -> f64 {
        match (self, kind) {
            (Self::Socius, EvalKind::Iae) => 0.0,
            _ => 1.0,
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The placeholders of a GAE prompt at the end of `path` (root first), `decisions` taken so
/// far, `options` in presented order.
#[must_use]
pub fn gae_prompt_parts(
    protocol: Protocol,
    tree: &WorldTree,
    path: &[usize],
    decisions: &[(usize, usize)],
    options: &[&Utterance],
) -> PromptParts {
    match protocol {
        Protocol::Socius => gae_parts(tree, path, Some(decisions), options),
        Protocol::Socialeval => super::official_prompt::gae_parts(tree, path, options),
    }
}

/// The decisions that lead along `path`: for each node but the last, the choice whose target
/// is the next node.
#[must_use]
pub fn decisions_along(tree: &WorldTree, path: &[usize]) -> Vec<(usize, usize)> {
    path.windows(2)
        .filter_map(|w| {
            let next = &tree.nodes[w[1]].id;
            let choice = tree.nodes[w[0]]
                .choices
                .iter()
                .position(|c| &c.target == next)?;
            Some((w[0], choice))
        })
        .collect()
}

/// The placeholders of an IAE prompt: context up to the item's choice node (`path` ends there).
#[must_use]
pub fn iae_prompt_parts(
    protocol: Protocol,
    tree: &WorldTree,
    path: &[usize],
    item: &IaeItem,
    options: &[&Utterance],
) -> PromptParts {
    match protocol {
        Protocol::Socius => {
            let chosen = decisions_along(tree, path);
            iae_parts(tree, path, Some(&chosen), &item.question, options)
        }
        Protocol::Socialeval => super::official_prompt::iae_parts(tree, path, item, options),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_traits() {
        assert!(!Protocol::Socialeval.keeps_chosen());
        assert_eq!(Protocol::Socialeval.correction(Language::En), None);
        assert_eq!(
            Protocol::Socius.correction(Language::Zh),
            Some(Language::Zh)
        );
        assert_eq!(
            Protocol::Socialeval.prompt_language(Language::En),
            Language::Zh
        );
        assert!((Protocol::Socius.default_temperature(EvalKind::Iae)).abs() < f64::EPSILON);
        assert!((Protocol::Socialeval.default_temperature(EvalKind::Iae) - 1.0).abs() < 1e-9);
        assert_eq!(Protocol::parse("socius"), Some(Protocol::Socius));
        assert_eq!(Protocol::parse("x"), None);
    }
}
