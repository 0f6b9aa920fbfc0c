//! What an agent sees at a point of a walk: the protagonist, the other characters met so far,
//! and the dialogue of the path.

use std::collections::HashSet;

use crate::script::model::{Character, Line, Role, WorldTree};

/// A dialogue line as `role: content`, the way SocialEval builds its context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextLine<'t> {
    /// The speaker, or the narration label (`description`, `content`, or `narration` when the
    /// script gives none).
    pub role: &'t str,
    pub text: &'t str,
    pub narration: bool,
}

/// The label used for narration without a source label.
pub const NARRATION_ROLE: &str = "narration";

/// The characters other than the protagonist whose public profiles the agent may see at the end
/// of `path`: supporting characters, then every character introduced on the path, in order of
/// appearance, each once. Characters are told apart by their introduction (their key), not their
/// name: two people called the same on two branches each show their own profile.
#[must_use]
pub fn others<'t>(tree: &'t WorldTree, path: &[usize]) -> Vec<&'t Character> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    for c in &tree.characters {
        if c.role == Some(Role::Supporting) && seen.insert(c.key()) {
            out.push(c);
        }
    }
    for &node in path {
        for line in &tree.nodes[node].lines {
            if let Line::Introduce { name: key, .. } = line
                && seen.insert(key.as_str())
                && let Some(c) = tree.character(key)
                && c.role != Some(Role::Protagonist)
            {
                out.push(c);
            }
        }
    }
    out
}

/// The dialogue along `path` (node indices, root first). With `chosen`, the protagonist's
/// chosen utterance follows each node it was chosen at (our protocol); without, the chosen
/// utterance is left out (the official protocol: the data never repeats it).
#[must_use]
pub fn dialogue<'t>(
    tree: &'t WorldTree,
    path: &[usize],
    chosen: Option<&[(usize, usize)]>,
) -> Vec<ContextLine<'t>> {
    let mut out = Vec::new();
    for &node in path {
        let n = &tree.nodes[node];
        for line in &n.lines {
            match line {
                Line::Speech(u) => out.push(ContextLine {
                    role: &u.speaker,
                    text: &u.text,
                    narration: false,
                }),
                Line::Narration { text, label, .. } => out.push(ContextLine {
                    role: label.as_deref().unwrap_or(NARRATION_ROLE),
                    text,
                    narration: true,
                }),
                Line::Introduce { .. } => {}
            }
        }
        if let Some(decisions) = chosen
            && let Some(&(_, choice)) = decisions.iter().find(|(at, _)| *at == node)
            && let Some(c) = n.choices.get(choice)
        {
            out.push(ContextLine {
                role: &c.say.speaker,
                text: &c.say.text,
                narration: false,
            });
        }
    }
    out
}

/// Render context lines as `role: content`, one per line.
#[must_use]
pub fn render_dialogue(lines: &[ContextLine<'_>]) -> String {
    let mut out = String::new();
    for l in lines {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(l.role);
        out.push_str(": ");
        out.push_str(l.text);
    }
    out
}
