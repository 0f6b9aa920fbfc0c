//! Reading the official SocialEval prompt file (`evalprompt.py`) a user has, so `--protocol
//! socialeval` can send its exact wording. socius contains none of that text: the user brings
//! the file, `socius prompts import socialeval` turns it into template files.
//!
//! The file is a Python module of string assignments (`NAME = \` then a triple-quoted string).
//! Only that shape is read: triple-quoted strings with the usual backslash escapes; anything
//! else is skipped. The strings are Python `str.format` templates, whose `{{`/`}}` and `{name}`
//! are also socius's template syntax, so the text is kept as it is.

use std::collections::BTreeMap;

/// The official prompts socius uses, by the template file each becomes: the GAE and IAE prompts
/// the official scripts send (Chinese, for every tree), and their English versions.
pub const OFFICIAL_PROMPTS: [(&str, &str, super::PromptKind); 4] = [
    (
        "gae.txt",
        "Ending_Evaluation_Prompt_zhou",
        super::PromptKind::Gae,
    ),
    (
        "iae.txt",
        "Skill_Evaluation_Prompt_zhou",
        super::PromptKind::Iae,
    ),
    (
        "gae-en.txt",
        "Ending_Evaluation_Prompt_zhou_en",
        super::PromptKind::Gae,
    ),
    (
        "iae-en.txt",
        "Skill_Evaluation_Prompt_zhou_en",
        super::PromptKind::Iae,
    ),
];

/// Why the file could not be read as prompts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficialError {
    #[error("line {line}: a triple-quoted string that never closes")]
    Unclosed { line: usize },
    #[error("line {line}: unknown escape `\\{escape}` in a string")]
    Escape { line: usize, escape: char },
}

/// Every `NAME = """…"""` assignment of a Python source, by name (the string's value, escapes
/// resolved).
///
/// # Errors
/// A triple-quoted string that does not close, or an escape this reader does not know.
pub fn string_assignments(source: &str) -> Result<BTreeMap<String, String>, OfficialError> {
    let mut out = BTreeMap::new();
    let mut rest = source;
    let mut consumed = 0usize;
    while let Some(open) = rest.find("\"\"\"") {
        let before = &rest[..open];
        let body_start = open + 3;
        let Some(len) = rest[body_start..].find("\"\"\"") else {
            let line = source[..consumed + open].matches('\n').count() + 1;
            return Err(OfficialError::Unclosed { line });
        };
        let raw = &rest[body_start..body_start + len];
        let line = source[..consumed + body_start].matches('\n').count() + 1;
        if let Some(name) = assigned_name(before) {
            out.insert(name, unescape(raw, line)?);
        }
        let next = body_start + len + 3;
        consumed += next;
        rest = &rest[next..];
    }
    Ok(out)
}

/// The name assigned just before a string: `NAME = ` or `NAME = \` and a line end.
fn assigned_name(before: &str) -> Option<String> {
    let trimmed = before.trim_end();
    let trimmed = trimmed.strip_suffix('\\').unwrap_or(trimmed).trim_end();
    let lhs = trimmed.strip_suffix('=')?.trim_end();
    let name: String = lhs
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let starts_line = lhs[..lhs.len() - name.len()]
        .chars()
        .last()
        .is_none_or(|c| c == '\n');
    (!name.is_empty() && starts_line).then_some(name)
}

/// Resolve the backslash escapes of a (non-raw) Python string.
fn unescape(raw: &str, first_line: usize) -> Result<String, OfficialError> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    let mut line = first_line;
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\n') => line += 1,
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => {
                return Err(OfficialError::Escape {
                    line,
                    escape: other,
                });
            }
            None => out.push('\\'),
        }
    }
    Ok(out)
}

/// A template file's text for `value`: the template loader drops one final line end, so one is
/// added and the string's own is kept byte for byte.
#[must_use]
pub fn template_file_text(value: &str) -> String {
    format!("{value}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = "# prompts\nFirst_Prompt = \\\n\"\"\"Be {character_name}.\nAnswer as JSON: {{\"choice\": \"A\"}}\n\"\"\"\n\nOther = \"\"\"\nline\\\ncontinued \\\"quoted\\\" \\\\ end\"\"\"\nnot_an_assignment(\"\"\"ignored\"\"\")\n";

    #[test]
    fn assignments_are_read_with_their_exact_text() {
        let got = string_assignments(MODULE).unwrap();
        assert_eq!(
            got.get("First_Prompt").map(String::as_str),
            Some("Be {character_name}.\nAnswer as JSON: {{\"choice\": \"A\"}}\n")
        );
        assert_eq!(
            got.get("Other").map(String::as_str),
            Some("\nlinecontinued \"quoted\" \\ end")
        );
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn broken_files_are_errors() {
        assert_eq!(
            string_assignments("A = \"\"\"open\n"),
            Err(OfficialError::Unclosed { line: 1 })
        );
        assert_eq!(
            string_assignments("A = \"\"\"x\\q\"\"\""),
            Err(OfficialError::Escape {
                line: 1,
                escape: 'q'
            })
        );
    }

    #[test]
    fn a_template_file_keeps_the_final_line_end() {
        let value = "Hello {character_name}\n";
        let t = super::super::prompt::Template::parse(
            super::super::PromptKind::Gae,
            &template_file_text(value),
        )
        .unwrap();
        let parts = super::super::PromptParts {
            character_name: "Ana".into(),
            ..Default::default()
        };
        assert_eq!(t.render(&parts), "Hello Ana\n");
    }
}
