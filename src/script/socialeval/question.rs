//! Skill questions and ability tags: the two places where the release is at its messiest.

use serde_json::Value;

use super::notes::{FlagKind, Notes, RepairKind, snippet};
use super::text::{is_cjk, strip_controls, strip_leading_colon};
use crate::script::bessi::{self, Normalized};

/// A cleaned skill question.
#[derive(Debug, Default)]
pub struct Question {
    pub text: String,
    /// The source's question when `text` differs from it: the string itself for a bare string or
    /// a one-element list, else the whole list as compact JSON.
    pub original: Option<String>,
    /// Leftover extra elements that may be pieces of a split ability name (`"trust "` after a
    /// `capacity for ` tag).
    pub fragments: Vec<String>,
    /// Ability names found in embedded `#skill#<name>` markers.
    pub marker_names: Vec<String>,
}

/// Clean a `skill question`'s `question` value (a list whose first element is the question, or a
/// bare string).
pub fn clean(raw: Option<&Value>, node: &str, notes: &mut Notes) -> Question {
    let mut q = Question::default();
    let (parts, original): (Vec<&str>, String) = match raw {
        Some(Value::String(s)) => (vec![s.as_str()], s.clone()),
        Some(Value::Array(items)) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                if let Value::String(s) = item {
                    parts.push(s.as_str());
                } else {
                    notes.repair(
                        node,
                        RepairKind::QuestionJunk,
                        format!("dropped a non-text question element {item}"),
                    );
                }
            }
            let original = match items.as_slice() {
                [Value::String(s)] => s.clone(),
                _ => Value::Array(items.clone()).to_string(),
            };
            (parts, original)
        }
        _ => return q,
    };
    let Some((first, extras)) = parts.split_first() else {
        return q;
    };
    let mut text = (*first).to_owned();
    if let Some(t) = strip_controls(&text) {
        notes.repair(
            node,
            RepairKind::ControlCharacters,
            "control characters in the question",
        );
        text = t;
    }
    let trimmed = text.trim_start();
    let lower = trimmed.to_ascii_lowercase();
    let marker = ["#question#", "#question"]
        .into_iter()
        .find(|m| lower.starts_with(m));
    if let Some(m) = marker {
        text = trimmed[m.len()..].trim_start().to_owned();
        notes.repair(node, RepairKind::QuestionMarker, format!("removed `{m}`"));
    }
    if let Some(t) = strip_leading_colon(&text) {
        notes.repair(
            node,
            RepairKind::LeadingColon,
            "stray colon at the start of the question",
        );
        text = t;
    }
    if let Some((before, name)) = split_skill_marker(&text) {
        notes.repair(
            node,
            RepairKind::SkillMarker,
            format!("removed the embedded `#skill#{name}` from the question"),
        );
        if !name.is_empty() {
            q.marker_names.push(name);
        }
        text = before;
    }
    for extra in extras {
        let cleaned = strip_controls(extra).unwrap_or_else(|| (*extra).to_owned());
        let piece = cleaned.trim();
        if piece.is_empty() {
            notes.repair(
                node,
                RepairKind::QuestionJunk,
                "dropped an empty extra question element",
            );
        } else if let Some((_, name)) = split_skill_marker(piece) {
            notes.repair(
                node,
                RepairKind::SkillMarker,
                format!("dropped the extra question element {piece:?} (a skill marker)"),
            );
            if !name.is_empty() {
                q.marker_names.push(name);
            }
        } else if continues(&text, piece) {
            let glue = needs_space(&text, piece);
            text = format!("{}{}{piece}", text.trim_end(), if glue { " " } else { "" });
            notes.repair(
                node,
                RepairKind::QuestionJoined,
                format!("joined the question's continuation {piece:?}"),
            );
        } else {
            notes.repair(
                node,
                RepairKind::QuestionJunk,
                format!("dropped the extra question element {piece:?}"),
            );
            q.fragments.push(piece.to_owned());
        }
    }
    q.text = text.trim().to_owned();
    if q.text != original {
        q.original = Some(original);
    }
    q
}

/// Split `text #skill#Name` (also `##skill#`, `#skillName`, `{skill}Name`, `skill#Name`) into the
/// text before the marker and the name after it.
fn split_skill_marker(text: &str) -> Option<(String, String)> {
    let lower = text.to_ascii_lowercase();
    let (pos, len) = ["#skill", "{skill}", "skill#"]
        .into_iter()
        .filter_map(|p| lower.find(p).map(|i| (i, p.len())))
        .min()?;
    let before = text[..pos].trim_end().trim_end_matches('#').trim_end();
    let name = text[pos + len..]
        .trim_start_matches(|c: char| c == '#' || c == '}' || c == ':' || c.is_whitespace())
        .trim();
    Some((before.to_owned(), name.to_owned()))
}

/// Whether `piece` is the rest of a question cut in two: the question so far has no closing
/// punctuation and the piece ends with a question mark.
fn continues(text: &str, piece: &str) -> bool {
    let open = !text.trim_end().ends_with(['?', '？', '.', '。', '!', '！']);
    open && !text.trim().is_empty() && piece.ends_with(['?', '？'])
}

fn needs_space(text: &str, piece: &str) -> bool {
    let last = text.trim_end().chars().last();
    let first = piece.chars().next();
    !(last.is_some_and(wide) || first.is_some_and(wide))
}

fn wide(c: char) -> bool {
    is_cjk(c) || matches!(c, '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}')
}

/// The raw text tags of a `skill` list (non-text entries are ignored).
#[must_use]
pub fn raw_tags(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Map raw ability tags onto BESSI names.
///
/// Each tag goes through [`bessi::normalize`]. A tag it cannot place is completed, when that is
/// unambiguous, from a `fragment` (the rest of a name split into a question list) or from one of
/// `completions` it is a prefix of (the question's resolved tags); otherwise it is kept as
/// written (trimmed, control characters removed) and flagged. Empty tags and repeats are dropped.
pub fn resolve(
    raw: &[String],
    fragments: &mut Vec<String>,
    completions: &[String],
    node: &str,
    notes: &mut Notes,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for tag in raw {
        if tag.trim().is_empty() {
            notes.repair(
                node,
                RepairKind::EmptyAbilityTag,
                "dropped an empty ability tag",
            );
            continue;
        }
        let name = match bessi::normalize(tag) {
            Normalized::Exact(n) => n.to_owned(),
            Normalized::Repaired(n) => {
                notes.repair(node, RepairKind::AbilityName, format!("{tag:?} → `{n}`"));
                n.to_owned()
            }
            Normalized::Unknown { nearest } => {
                if let Some(n) = complete(tag, fragments, completions) {
                    notes.repair(
                        node,
                        RepairKind::SplitAbilityName,
                        format!("{tag:?} completed to `{n}`"),
                    );
                    n
                } else {
                    let kept = strip_controls(tag).unwrap_or_else(|| tag.clone());
                    let kept = kept.trim().to_owned();
                    notes.flag(
                        FlagKind::UnknownAbility,
                        format!(
                            "{node}: ability {:?} is not a BESSI name (nearest: `{nearest}`); kept",
                            snippet(&kept, 60)
                        ),
                    );
                    kept
                }
            }
        };
        if out.contains(&name) {
            notes.repair(
                node,
                RepairKind::DuplicateAbility,
                format!("dropped a repeated `{name}`"),
            );
        } else {
            out.push(name);
        }
    }
    out
}

fn complete(tag: &str, fragments: &mut Vec<String>, completions: &[String]) -> Option<String> {
    for (i, fragment) in fragments.iter().enumerate() {
        let joined = format!("{tag} {fragment}");
        if let Normalized::Exact(n) | Normalized::Repaired(n) = bessi::normalize(&joined) {
            fragments.remove(i);
            return Some(n.to_owned());
        }
    }
    let short = bessi::simplify(tag);
    if short.chars().count() < 3 {
        return None;
    }
    let mut found = completions
        .iter()
        .filter(|c| bessi::is_canonical(c) && c.starts_with(short.as_str()));
    match (found.next(), found.next()) {
        (Some(n), None) => Some(n.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(v: &Value) -> (Question, Notes) {
        let mut notes = Notes::default();
        let q = clean(Some(v), "n0", &mut notes);
        (q, notes)
    }

    #[test]
    fn markers_junk_and_continuations() {
        let (q, _) = run(&json!(["#question# How can Ann help?"]));
        assert_eq!(q.text, "How can Ann help?");
        assert_eq!(q.original.as_deref(), Some("#question# How can Ann help?"));
        let (q, _) = run(&json!("#question#How?    #skill#Capacity for Trust"));
        assert_eq!(q.text, "How?");
        assert_eq!(q.marker_names, vec!["Capacity for Trust".to_owned()]);
        let (q, _) = run(&json!(["#question#小光要怎么做才能表达自己", "的想法？"]));
        assert_eq!(q.text, "小光要怎么做才能表达自己的想法？");
        let (q, n) = run(&json!([
            "#question#How?",
            "trust ",
            "",
            "##skill#Teamwork Skill"
        ]));
        assert_eq!(q.text, "How?");
        assert_eq!(q.fragments, vec!["trust".to_owned()]);
        assert_eq!(q.marker_names, vec!["Teamwork Skill".to_owned()]);
        assert!(n.repairs.iter().any(|r| r.kind == RepairKind::QuestionJunk));
        let (q, _) = run(&json!(["Plain question?"]));
        assert_eq!(q.original, None);
    }

    #[test]
    fn split_and_unknown_tags() {
        let mut notes = Notes::default();
        let mut fragments = vec!["trust".to_owned()];
        let tags = vec!["capacity for ".to_owned(), "Persuasive Skill".to_owned()];
        let got = resolve(&tags, &mut fragments, &[], "n1", &mut notes);
        assert_eq!(got, ["capacity for trust", "persuasive skill"]);
        let got = resolve(
            &["Detail".to_owned()],
            &mut vec![],
            &got_detail(),
            "n1",
            &mut notes,
        );
        assert_eq!(got, ["detail management"]);
        let got = resolve(
            &["juggling".to_owned(), "".to_owned()],
            &mut vec![],
            &[],
            "n1",
            &mut notes,
        );
        assert_eq!(got, ["juggling"]);
        assert!(notes.has_flag(FlagKind::UnknownAbility));
    }

    fn got_detail() -> Vec<String> {
        vec!["detail management".to_owned()]
    }
}
