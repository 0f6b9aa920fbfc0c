//! Small text helpers: control characters, stray colons, authoring artefacts, state triples,
//! script detection and name comparison.

use serde_json::Value;

/// Remove control characters other than newline and tab. A carriage return before a newline is
/// dropped, so Windows line ends become plain newlines. `None` when nothing changed.
#[must_use]
pub fn strip_controls(s: &str) -> Option<String> {
    if !s.chars().any(is_junk_control) {
        return None;
    }
    Some(s.chars().filter(|c| !is_junk_control(*c)).collect())
}

fn is_junk_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// Remove a stray `:` or `：` (with surrounding spaces) from the start of a text. `None` when the
/// text does not start with one.
#[must_use]
pub fn strip_leading_colon(s: &str) -> Option<String> {
    let rest = s.trim_start();
    let rest = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：'))?;
    Some(rest.trim_start().to_owned())
}

/// Whether a `{role, content}` pair is a `fork-join: N` authoring artefact (also the `forl-join`
/// misspelling, full-width colons, and the number in `content`).
#[must_use]
pub fn is_fork_join(role: &str, content: &str) -> bool {
    let squeezed: String = role
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let Some(rest) = squeezed
        .strip_prefix("fork")
        .or_else(|| squeezed.strip_prefix("forl"))
    else {
        return false;
    };
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let Some(rest) = rest.strip_prefix("join") else {
        return false;
    };
    let rest = rest
        .strip_prefix(':')
        .or_else(|| rest.strip_prefix('：'))
        .unwrap_or(rest);
    rest.chars().all(|c| c.is_ascii_digit()) && content.trim().chars().all(|c| c.is_ascii_digit())
}

/// Whether a role word marks a state triple rather than a speaker.
#[must_use]
pub fn is_state_role(role: &str) -> bool {
    matches!(role.trim(), "state" | "stage")
}

/// Whether a role is a `goal achievement` label written as a dialogue line.
#[must_use]
pub fn is_label_role(role: &str) -> bool {
    let words: Vec<&str> = role.split_whitespace().collect();
    words == ["goal", "achievement"]
}

/// How a source triple (`social state`, ending or character `state`) reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Triple {
    /// Absent, `null` or `[]`.
    Empty,
    /// Three integers, as written.
    Clean(Vec<i64>),
    /// Read as three values in -1..=1 after a safe repair.
    Repaired(Vec<i64>),
    /// Anything else.
    Malformed,
}

/// Read a source triple. Strings inside the list are split into signed integers
/// (`'0 -1'`, `'- 1'`, `'1.-1.1'`); empty strings are ignored. A repair must yield exactly three
/// values in -1..=1 and the strings may hold nothing but numbers and separators.
#[must_use]
pub fn parse_triple(value: Option<&Value>) -> Triple {
    let items = match value {
        None | Some(Value::Null) => return Triple::Empty,
        Some(Value::Array(items)) if items.is_empty() => return Triple::Empty,
        Some(Value::Array(items)) => items,
        Some(_) => return Triple::Malformed,
    };
    if items.len() == 3 && items.iter().all(Value::is_i64) {
        return Triple::Clean(items.iter().filter_map(Value::as_i64).collect());
    }
    let mut out = Vec::new();
    for item in items {
        match item {
            Value::Number(n) => match n.as_i64() {
                Some(i) => out.push(i),
                None => return Triple::Malformed,
            },
            Value::String(s) => match signed_ints(s) {
                Some(mut v) => out.append(&mut v),
                None => return Triple::Malformed,
            },
            _ => return Triple::Malformed,
        }
    }
    if out.len() == 3 && out.iter().all(|v| (-1..=1).contains(v)) {
        Triple::Repaired(out)
    } else {
        Triple::Malformed
    }
}

/// Split text made only of signed integers and separators (spaces, commas, full stops,
/// parentheses, in ASCII or full width). `None` when anything else appears.
#[must_use]
pub fn signed_ints(s: &str) -> Option<Vec<i64>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    let mut negative = false;
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            ',' | '，' | '.' | '。' | '、' | '(' | ')' | '（' | '）' if !negative => {}
            '-' | '－' | '−' if !negative => negative = true,
            '0'..='9' => {
                let mut digits = String::from(c);
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                let v: i64 = digits.parse().ok()?;
                out.push(if negative { -v } else { v });
                negative = false;
            }
            _ => return None,
        }
    }
    if negative { None } else { Some(out) }
}

/// Whether a text is a state triple such as `(1, -1, 0)` or `（1，0，0）`.
#[must_use]
pub fn is_state_text(s: &str) -> bool {
    s.chars().any(|c| matches!(c, ',' | '，'))
        && signed_ints(s).is_some_and(|v| v.len() == 3 && v.iter().all(|x| (-1..=1).contains(x)))
}

/// Share of CJK characters among the letters of some texts (0 when there are no letters).
#[must_use]
pub fn cjk_share<'a>(texts: impl IntoIterator<Item = &'a str>) -> f64 {
    let (mut cjk, mut letters) = (0usize, 0usize);
    for t in texts {
        for c in t.chars() {
            if is_cjk(c) {
                cjk += 1;
                letters += 1;
            } else if c.is_alphabetic() {
                letters += 1;
            }
        }
    }
    if letters == 0 {
        0.0
    } else {
        #[allow(clippy::cast_precision_loss)]
        let share = cjk as f64 / letters as f64;
        share
    }
}

/// Whether a character is a CJK ideograph.
#[must_use]
pub const fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}'
        | '\u{2e80}'..='\u{2fdf}')
}

/// A name reduced for drift comparison: lower case without spaces, hyphens, underscores,
/// dots, middle dots or apostrophes.
#[must_use]
pub fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '-' | '‐'
                        | '‑'
                        | '–'
                        | '—'
                        | '_'
                        | '.'
                        | '·'
                        | '・'
                        | '\''
                        | '’'
                        | '‘'
                        | '`'
                )
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The names an alias field holds (`"Lady Xian, Consort Xian"` → two names).
pub fn alias_names(alias: &str) -> impl Iterator<Item = &str> {
    alias
        .split([',', '，', '、', '/', ';', '；'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
}

/// A short, stable, lower-case hex digest of a text (for names that have no ASCII letters).
#[must_use]
pub fn short_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(4).fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn triples() {
        assert_eq!(
            parse_triple(Some(&json!([1, 0, -1]))),
            Triple::Clean(vec![1, 0, -1])
        );
        assert_eq!(parse_triple(Some(&json!([]))), Triple::Empty);
        assert_eq!(parse_triple(None), Triple::Empty);
        assert_eq!(
            parse_triple(Some(&json!(["0 -1", 1]))),
            Triple::Repaired(vec![0, -1, 1])
        );
        assert_eq!(
            parse_triple(Some(&json!([1, 1, 1, ""]))),
            Triple::Repaired(vec![1, 1, 1])
        );
        assert_eq!(
            parse_triple(Some(&json!([0, "- 1", -1]))),
            Triple::Repaired(vec![0, -1, -1])
        );
        assert_eq!(
            parse_triple(Some(&json!(["1.-1.1"]))),
            Triple::Repaired(vec![1, -1, 1])
        );
        assert_eq!(parse_triple(Some(&json!([1, "10enc"]))), Triple::Malformed);
        assert_eq!(
            parse_triple(Some(&json!([1, "--1", -1]))),
            Triple::Malformed
        );
        assert_eq!(
            parse_triple(Some(&json!(["Artistic Skill"]))),
            Triple::Malformed
        );
        assert_eq!(parse_triple(Some(&json!("1,1,1"))), Triple::Malformed);
    }

    #[test]
    fn artefacts_and_colons() {
        assert!(is_fork_join("fork-join: 1", ""));
        assert!(is_fork_join("fork- join：1", ""));
        assert!(is_fork_join("forl-join: 2", ""));
        assert!(is_fork_join("fork-join", "1"));
        assert!(!is_fork_join("fork-join: 1", "real words"));
        assert!(!is_fork_join("Fork", ""));
        assert_eq!(
            strip_leading_colon("：好，走吧"),
            Some("好，走吧".to_owned())
        );
        assert_eq!(
            strip_leading_colon(" : (nods) Fine."),
            Some("(nods) Fine.".to_owned())
        );
        assert_eq!(strip_leading_colon("Fine: yes"), None);
        assert_eq!(strip_controls("a\r\nb\u{2}c"), Some("a\nbc".to_owned()));
        assert_eq!(strip_controls("plain\n"), None);
    }

    #[test]
    fn state_texts_names_and_script() {
        assert!(is_state_text("(1, -1, 0)"));
        assert!(is_state_text(" （1，0，0）  "));
        assert!(!is_state_text("1"));
        assert!(!is_state_text("(Nods, smiles)"));
        assert_eq!(name_key("Xiao Bai"), name_key("Xiaobai"));
        assert_eq!(name_key("A-Gan"), name_key("Agan"));
        assert_eq!(name_key("Yu Ying'er"), name_key("Yu Ying’er"));
        assert_eq!(alias_names("Lady Xian, Consort Xian").count(), 2);
        assert!(cjk_share(["小白要怎样说"]) > 0.9);
        assert!(cjk_share(["What should Xiao Bai say?"]) < 0.1);
    }
}
