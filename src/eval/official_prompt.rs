//! The placeholders of a prompt as the official SocialEval scripts fill them (`--protocol
//! socialeval`), from the source's words as written ([`crate::script::written`]).
//!
//! GAE (`run_gae.py`, at the end of a walk's path, current node included):
//! - `{character_name}`: the protagonist's `name`;
//! - `{main_profile}`: `json.dumps` (non-ASCII kept, `", "` and `": "` separators) of
//!   `{"name", "public", "private", "goal"}`, a missing field `null`;
//! - `{user_profile}`: `json.dumps` of one *string*: `name: public` lines joined by `\n`, first
//!   the other predefined characters (a missing public profile reads as empty), then every
//!   profile introduced on the path, repeats included (a missing public profile reads `None`);
//! - `{dialogue_context}`: `role: content\n` for every dialog item with a `content` on the path
//!   (a missing role reads `旁白`);
//! - `{choices}`: `A: role: content` lines in file order.
//!
//! IAE (`run_iae.py`, on items rebuilt from the per-tree files; see the README): the item's
//! profiles are the predefined ones then every profile introduced on the path to the choice
//! node; its content is every dialog item with a `content` on that path; its question is the
//! first question text without `#question#`, stripped; its options the candidate's and the
//! distractors' `content`.
//! - `{public}`, `{private}`, `{goal}`: the protagonist's, a missing or empty one empty;
//! - `{user_profile}`: Python's `repr` of `[{'name': …, 'info': …}, …]` for the other profiles;
//! - `{dialogue_context}`: `role: content` lines joined by `\n` (a missing role reads `system`);
//! - `{choices}`: `A. content` lines in presented order.

use std::fmt::Write as _;

use crate::agent::llm::PromptParts;
use crate::script::model::{IaeItem, Utterance, WorldTree};
use crate::script::written::{self, WrittenProfile};

/// Python's `json.dumps` of a string with `ensure_ascii=False` (serde_json escapes exactly the
/// same characters: `"`, `\` and the controls below U+0020, in the same spelling).
fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

fn json_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "null".to_owned(), json_str)
}

/// Whether Python's `str.isprintable` holds for `c` (what `repr` leaves unescaped).
fn py_printable(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    if c == ' ' {
        return true;
    }
    !matches!(
        get_general_category(c),
        G::Control
            | G::Format
            | G::Surrogate
            | G::PrivateUse
            | G::Unassigned
            | G::LineSeparator
            | G::ParagraphSeparator
            | G::SpaceSeparator
    )
}

/// Python's `repr` of a string.
#[must_use]
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if py_printable(c) => out.push(c),
            c => {
                let n = u32::from(c);
                let _ = if n <= 0xff {
                    write!(out, "\\x{n:02x}")
                } else if n <= 0xffff {
                    write!(out, "\\u{n:04x}")
                } else {
                    write!(out, "\\U{n:08x}")
                };
            }
        }
    }
    out.push(quote);
    out
}

fn py_repr_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_owned(), py_repr)
}

/// Python's `str.strip()`: whitespace as Python counts it (which includes U+001C–U+001F).
#[must_use]
pub fn py_strip(s: &str) -> &str {
    let ws = |c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c);
    s.trim_matches(ws)
}

/// The protagonist and the other predefined characters, as written.
fn predefined(tree: &WorldTree) -> (WrittenProfile, Vec<WrittenProfile>) {
    let main = tree
        .protagonist()
        .map(|p| written::profile(p).into_owned())
        .unwrap_or_default();
    let others = tree
        .characters
        .iter()
        .filter(|c| c.role == Some(crate::script::model::Role::Supporting))
        .map(|c| written::profile(c).into_owned())
        .collect();
    (main, others)
}

/// The profiles introduced and the `(role, content)` lines on `path`, in order.
fn along(tree: &WorldTree, path: &[usize]) -> (Vec<WrittenProfile>, Vec<(Option<String>, String)>) {
    let mut profiles = Vec::new();
    let mut lines = Vec::new();
    for &n in path {
        let Some(node) = tree.nodes.get(n) else {
            continue;
        };
        for item in written::dialog(tree, node).iter() {
            if let Some(p) = &item.profile {
                profiles.push(p.clone());
            }
            if let Some(content) = &item.content {
                lines.push((item.role.clone(), content.clone()));
            }
        }
    }
    (profiles, lines)
}

/// A GAE prompt's placeholders at the end of `path` (root first), `options` in presented order.
#[must_use]
pub fn gae_parts(tree: &WorldTree, path: &[usize], options: &[&Utterance]) -> PromptParts {
    let (main, others) = predefined(tree);
    let (introduced, lines) = along(tree, path);
    let mut users: Vec<String> = others
        .iter()
        .map(|p| format!("{}: {}", p.name, p.public_profile.as_deref().unwrap_or("")))
        .collect();
    users.extend(introduced.iter().map(|p| {
        format!(
            "{}: {}",
            p.name,
            p.public_profile.as_deref().unwrap_or("None")
        )
    }));
    let mut dialogue = String::new();
    for (role, content) in &lines {
        let _ = writeln!(dialogue, "{}: {content}", role.as_deref().unwrap_or("旁白"));
    }
    let choices: Vec<String> = options
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let (role, content) = written::said(u);
            format!("{}: {role}: {content}", letter(i))
        })
        .collect();
    PromptParts {
        character_name: main.name.clone(),
        main_profile: format!(
            "{{\"name\": {}, \"public\": {}, \"private\": {}, \"goal\": {}}}",
            json_str(&main.name),
            json_opt(main.public_profile.as_deref()),
            json_opt(main.private_profile.as_deref()),
            json_opt(main.goal.as_deref())
        ),
        user_profile: json_str(&users.join("\n")),
        dialogue_context: dialogue,
        choices: choices.join("\n"),
        public: main.public_profile.clone().unwrap_or_default(),
        private: main.private_profile.clone().unwrap_or_default(),
        goal: main.goal.unwrap_or_default(),
        question: String::new(),
    }
}

/// The question of a rebuilt item: the first question text, `#question#` removed, stripped.
#[must_use]
pub fn question(item: &IaeItem) -> String {
    let written = match item.question_original.as_deref() {
        Some(s) if s.starts_with('[') => match serde_json::from_str::<Vec<serde_json::Value>>(s) {
            Ok(list) => list
                .iter()
                .find_map(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            Err(_) => s.to_owned(),
        },
        Some(s) => s.to_owned(),
        None => item.question.clone(),
    };
    py_strip(&written.replace("#question#", "")).to_owned()
}

/// An IAE prompt's placeholders: the item of `item` at the end of `path` (the choice node),
/// `options` in presented order.
#[must_use]
pub fn iae_parts(
    tree: &WorldTree,
    path: &[usize],
    item: &IaeItem,
    options: &[&Utterance],
) -> PromptParts {
    let (main, others) = predefined(tree);
    let (introduced, lines) = along(tree, path);
    let profiles: Vec<String> = others
        .iter()
        .chain(&introduced)
        .map(|p| {
            format!(
                "{{'name': {}, 'info': {}}}",
                py_repr(&p.name),
                py_repr_opt(p.public_profile.as_deref())
            )
        })
        .collect();
    let dialogue: Vec<String> = lines
        .iter()
        .map(|(role, content)| format!("{}: {content}", role.as_deref().unwrap_or("system")))
        .collect();
    let choices: Vec<String> = options
        .iter()
        .enumerate()
        .map(|(i, u)| format!("{}. {}", letter(i), written::said(u).1))
        .collect();
    let or_empty = |s: &Option<String>| s.clone().unwrap_or_default();
    PromptParts {
        character_name: main.name.clone(),
        main_profile: String::new(),
        user_profile: format!("[{}]", profiles.join(", ")),
        dialogue_context: dialogue.join("\n"),
        choices: choices.join("\n"),
        public: or_empty(&main.public_profile),
        private: or_empty(&main.private_profile),
        goal: or_empty(&main.goal),
        question: question(item),
    }
}

/// The option letter at `i` (`chr(65 + i)`).
fn letter(i: usize) -> char {
    u32::try_from(i)
        .ok()
        .and_then(|i| char::from_u32(65 + i))
        .unwrap_or('?')
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::script::model::{Character, Language, Role};

    fn tree() -> WorldTree {
        WorldTree {
            span: crate::script::model::Span::default(),
            id: "t".into(),
            title: "t".into(),
            language: Language::En,
            orientation: crate::script::model::Orientation::Cooperation,
            provenance: None,
            scenario: String::new(),
            characters: vec![
                Character {
                    name: "Mia \"M\"".into(),
                    role: Some(Role::Protagonist),
                    public_profile: "小米, 31\nanalyst".into(),
                    goal: "a raise".into(),
                    ..Character::default()
                },
                Character {
                    name: "Leo".into(),
                    role: Some(Role::Supporting),
                    ..Character::default()
                },
            ],
            nodes: Vec::new(),
        }
    }

    #[test]
    fn gae_profiles_are_json_as_python_writes_it() {
        let t = tree();
        let parts = gae_parts(&t, &[], &[]);
        assert_eq!(
            parts.main_profile,
            r#"{"name": "Mia \"M\"", "public": "小米, 31\nanalyst", "private": null, "goal": "a raise"}"#
        );
        // One JSON string of `name: public` lines (a missing public profile reads empty).
        assert_eq!(parts.user_profile, r#""Leo: ""#);
        let iae = iae_parts(&t, &[], &IaeItem::default(), &[]);
        assert_eq!(iae.user_profile, "[{'name': 'Leo', 'info': None}]");
        assert_eq!(iae.private, "");
    }

    #[test]
    fn repr_is_pythons() {
        assert_eq!(py_repr("Li Fei"), "'Li Fei'");
        assert_eq!(py_repr("Li Fei's"), "\"Li Fei's\"");
        assert_eq!(py_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(py_repr("x\ny\t\\"), "'x\\ny\\t\\\\'");
        assert_eq!(py_repr("小\u{200c}米\u{3000}"), "'小\\u200c米\\u3000'");
        assert_eq!(py_repr("\u{7}\u{7f}\u{a0}é"), "'\\x07\\x7f\\xa0é'");
        assert_eq!(py_repr("\u{e000}"), "'\\ue000'");
        assert_eq!(py_repr("\u{f0000}"), "'\\U000f0000'");
    }

    #[test]
    fn strip_is_pythons() {
        assert_eq!(py_strip("\u{1f} a \u{3000}"), "a");
        assert_eq!(py_strip("  "), "");
    }

    #[test]
    fn question_is_the_first_text_without_the_marker() {
        let item = |q: &str, o: Option<&str>| IaeItem {
            question: q.to_owned(),
            question_original: o.map(str::to_owned),
            ..IaeItem::default()
        };
        assert_eq!(question(&item("How?", Some("#question# How?"))), "How?");
        assert_eq!(
            question(&item("How? And", Some(r##"["#question#How? ", "And"]"##))),
            "How?"
        );
        assert_eq!(question(&item("Plain", None)), "Plain");
    }
}
