//! Reading a model's reply the way the official SocialEval scripts read it (`--protocol
//! socialeval`). The tolerant reader of [`crate::agent::llm::parse`] stays the `socius`
//! protocol's.
//!
//! - **IAE** (`run_iae.py`): keep what follows the last `[My Output]`, then what follows the last
//!   `` ```json ``; trim white space; delete every `` ``` ``; parse the rest as JSON. A reply
//!   that does not parse, or parses to something other than an object, is unusable (the
//!   official script skips the item). Otherwise the object's `choice` field is compared with
//!   the right letter exactly: a missing field, a value that is not a string, or a string that
//!   is not one of the option letters (`"Z"`, `"b"`, `"B."`) is a *wrong* answer, not a dropped
//!   one.
//! - **GAE** (`run_gae.py`): trim white space, delete every `` ```json `` and `` ``` ``, and read
//!   the rest as a Python literal (the official script hands it to Python's `eval`; we never
//!   evaluate anything, we read the literal subset: dicts, lists, tuples, strings, numbers,
//!   `True`/`False`/`None`). The `choice` key must exist and hold a single character whose code
//!   minus 65 is an option position; anything else ends the episode, which is dropped. There is
//!   no "wrong" in GAE.

use serde_json::{Value, json};

use crate::agent::llm::parse::letter;

/// Why a reply could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    /// IAE: `json.loads` would fail.
    #[error("the reply is not JSON: {message}")]
    NotJson { message: String },
    /// GAE: Python's `eval` would fail (or the reply is not a plain literal).
    #[error("the reply is not a Python literal: {message}")]
    NotLiteral { message: String },
    /// The reply parses, but not to an object / dict.
    #[error("the reply is not an object")]
    NotAnObject,
    /// GAE: the dict has no `choice` key.
    #[error("the reply has no choice key")]
    NoChoiceKey,
    /// GAE: `choice` is not a one-character string.
    #[error("the choice is not one character")]
    NotOneCharacter,
    /// GAE: the character is not an option letter.
    #[error("the choice is not one of the {options} options")]
    OutOfRange { options: usize },
}

impl Unreadable {
    /// A stable snake_case code for records.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotJson { .. } => "not_json",
            Self::NotLiteral { .. } => "not_literal",
            Self::NotAnObject => "not_an_object",
            Self::NoChoiceKey => "no_choice_key",
            Self::NotOneCharacter => "not_one_character",
            Self::OutOfRange { .. } => "out_of_range",
        }
    }
}

/// What the official reading made of a reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// The option at this position.
    Option(usize),
    /// IAE only: the reply was read, but its `choice` names no option (the value read, JSON
    /// `null` for a missing field). Counted wrong.
    NotAnOption(Value),
    /// The item (IAE) or the episode (GAE) is dropped.
    Unreadable(Unreadable),
}

impl Reading {
    /// How the reading is stored in the `llm_call` event's `parsed` field.
    #[must_use]
    pub fn record(&self) -> Value {
        match self {
            Self::Option(i) => json!({
                "protocol": "socialeval",
                "index": i,
                "letter": letter(*i).map(String::from),
            }),
            Self::NotAnOption(v) => json!({"protocol": "socialeval", "not_an_option": v}),
            Self::Unreadable(u) => json!({
                "protocol": "socialeval",
                "failure": {"kind": u.code(), "message": u.to_string()},
            }),
        }
    }
}

/// Python's `str.strip()` with no argument: Unicode white space plus the four separators
/// U+001C–U+001F that Python also counts as space.
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

fn after_last<'a>(s: &'a str, marker: &str) -> &'a str {
    s.rsplit_once(marker).map_or(s, |(_, rest)| rest)
}

/// The option position of a letter string, compared exactly (`"B"` only).
fn position_of(value: &str, options: usize) -> Option<usize> {
    (0..options).find(|&i| letter(i).is_some_and(|l| value.len() == 1 && value.starts_with(l)))
}

/// Read an IAE reply among `options` options, as `run_iae.py` does.
#[must_use]
pub fn read_iae(reply: &str, options: usize) -> Reading {
    let text = after_last(after_last(reply, "[My Output]"), "```json");
    let text = py_strip(text).replace("```", "");
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return Reading::Unreadable(Unreadable::NotJson {
                message: e.to_string(),
            });
        }
    };
    let Value::Object(map) = value else {
        return Reading::Unreadable(Unreadable::NotAnObject);
    };
    let choice = map.get("choice").cloned().unwrap_or(Value::Null);
    match choice.as_str().and_then(|s| position_of(s, options)) {
        Some(i) => Reading::Option(i),
        None => Reading::NotAnOption(choice),
    }
}

/// Read a GAE reply among `options` options, as `run_gae.py` does.
#[must_use]
pub fn read_gae(reply: &str, options: usize) -> Reading {
    let text = py_strip(reply).replace("```json", "").replace("```", "");
    let value = match literal::parse(&text) {
        Ok(v) => v,
        Err(message) => return Reading::Unreadable(Unreadable::NotLiteral { message }),
    };
    let literal::Py::Dict(entries) = value else {
        return Reading::Unreadable(Unreadable::NotAnObject);
    };
    // A repeated key: the last one wins, as in a Python dict display.
    let Some(choice) = entries
        .iter()
        .rev()
        .find(|(k, _)| matches!(k, literal::Py::Str(s) if s == "choice"))
        .map(|(_, v)| v)
    else {
        return Reading::Unreadable(Unreadable::NoChoiceKey);
    };
    let code = match choice {
        literal::Py::Str(s) if s.chars().count() == 1 => s.chars().next().map(u32::from),
        literal::Py::Bytes(b) if b.len() == 1 => b.first().copied().map(u32::from),
        _ => None,
    };
    let Some(code) = code else {
        return Reading::Unreadable(Unreadable::NotOneCharacter);
    };
    match code
        .checked_sub(65)
        .and_then(|i| usize::try_from(i).ok())
        .filter(|&i| i < options)
    {
        Some(i) => Reading::Option(i),
        None => Reading::Unreadable(Unreadable::OutOfRange { options }),
    }
}

/// The literal subset of Python expressions a reply may hold.
mod literal {
    /// A Python value, as far as the reading needs it.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Py {
        Str(String),
        Bytes(Vec<u8>),
        Dict(Vec<(Py, Py)>),
        /// A number, `True` or `False` (a sign may stand before them).
        Num,
        /// Lists, tuples, sets, `None`.
        Other {
            hashable: bool,
        },
    }

    struct Parser {
        chars: Vec<char>,
        pos: usize,
    }

    /// Parse one expression that is a literal; trailing text other than white space, blank
    /// lines and comments is an error, as in `eval`.
    pub fn parse(src: &str) -> Result<Py, String> {
        let mut p = Parser {
            chars: src.chars().collect(),
            pos: 0,
        };
        p.skip(true);
        let v = p.value(0)?;
        p.skip(true);
        if p.pos < p.chars.len() {
            return Err(format!("unexpected text at character {}", p.pos));
        }
        Ok(v)
    }

    impl Parser {
        fn peek(&self) -> Option<char> {
            self.chars.get(self.pos).copied()
        }

        fn peek_at(&self, n: usize) -> Option<char> {
            self.chars.get(self.pos + n).copied()
        }

        /// Skip spaces, tabs and comments; newlines too inside brackets (`newlines`), as
        /// Python's tokenizer joins lines there.
        fn skip(&mut self, newlines: bool) {
            while let Some(c) = self.peek() {
                if c == ' ' || c == '\t' || c == '\u{c}' || (newlines && (c == '\n' || c == '\r')) {
                    self.pos += 1;
                } else if c == '\\' && matches!(self.peek_at(1), Some('\n' | '\r')) {
                    self.pos += 2;
                } else if c == '#' {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                } else {
                    break;
                }
            }
        }

        fn value(&mut self, depth: usize) -> Result<Py, String> {
            if depth > 64 {
                return Err("nested too deeply".to_owned());
            }
            self.skip(depth > 0);
            let Some(c) = self.peek() else {
                return Err("unexpected end".to_owned());
            };
            match c {
                '{' => self.dict(depth + 1),
                '[' => self
                    .sequence(']', depth + 1)
                    .map(|()| Py::Other { hashable: false }),
                '(' => self.paren(depth + 1),
                '+' | '-' => {
                    self.pos += 1;
                    self.skip(depth > 0);
                    match self.value(depth)? {
                        Py::Num => Ok(Py::Num),
                        _ => Err("a sign before something other than a number".to_owned()),
                    }
                }
                c if c.is_ascii_digit()
                    || (c == '.' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit())) =>
                {
                    self.number()
                }
                c if c.is_alphabetic() || c == '_' || c == '"' || c == '\'' => {
                    self.word_or_string(depth)
                }
                other => Err(format!("unexpected {other:?} at character {}", self.pos)),
            }
        }
    }

    impl Parser {
        fn number(&mut self) -> Result<Py, String> {
            let start = self.pos;
            while let Some(c) = self.peek() {
                let exponent_sign = (c == '+' || c == '-')
                    && self.pos > start
                    && matches!(self.chars[self.pos - 1], 'e' | 'E')
                    && !matches!(self.chars.get(start + 1), Some('x' | 'X'));
                if c.is_ascii_alphanumeric() || c == '.' || c == '_' || exponent_sign {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            let text: String = self.chars[start..self.pos]
                .iter()
                .filter(|&&c| c != '_')
                .collect();
            let lower = text.to_ascii_lowercase();
            let ok = if let Some(hex) = lower.strip_prefix("0x") {
                !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit())
            } else if let Some(oct) = lower.strip_prefix("0o") {
                !oct.is_empty() && oct.chars().all(|c| ('0'..='7').contains(&c))
            } else if let Some(bin) = lower.strip_prefix("0b") {
                !bin.is_empty() && bin.chars().all(|c| c == '0' || c == '1')
            } else {
                let body = lower.strip_suffix('j').unwrap_or(&lower);
                body.parse::<f64>().is_ok() && !body.contains("inf") && !body.contains("nan")
            };
            if ok {
                Ok(Py::Num)
            } else {
                Err(format!("not a number: {text}"))
            }
        }

        fn word_or_string(&mut self, depth: usize) -> Result<Py, String> {
            let start = self.pos;
            while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                self.pos += 1;
            }
            let word: String = self.chars[start..self.pos].iter().collect();
            if matches!(self.peek(), Some('"' | '\'')) {
                let prefix = word.to_ascii_lowercase();
                if !matches!(prefix.as_str(), "" | "r" | "u" | "b" | "br" | "rb") {
                    return Err(format!("string prefix {word} is not a plain literal"));
                }
                let raw = prefix.contains('r');
                let bytes = prefix.contains('b');
                let mut text = self.string(raw)?;
                // Adjacent literals join: 'a' "b" is 'ab'.
                loop {
                    let save = self.pos;
                    self.skip(depth > 0);
                    let p2_start = self.pos;
                    while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                        self.pos += 1;
                    }
                    let p2: String = self.chars[p2_start..self.pos]
                        .iter()
                        .collect::<String>()
                        .to_ascii_lowercase();
                    if matches!(self.peek(), Some('"' | '\''))
                        && matches!(p2.as_str(), "" | "r" | "u" | "b" | "br" | "rb")
                    {
                        if p2.contains('b') != bytes {
                            return Err("bytes and str literals joined".to_owned());
                        }
                        text.push_str(&self.string(p2.contains('r'))?);
                    } else {
                        self.pos = save;
                        break;
                    }
                }
                return Ok(if bytes {
                    if !text.is_ascii() {
                        return Err("a bytes literal with a non-ASCII character".to_owned());
                    }
                    Py::Bytes(text.into_bytes())
                } else {
                    Py::Str(text)
                });
            }
            match word.as_str() {
                "True" | "False" => Ok(Py::Num),
                "None" => Ok(Py::Other { hashable: true }),
                other => Err(format!("name {other} is not defined")),
            }
        }

        /// A quoted string at the cursor, quotes included.
        fn string(&mut self, raw: bool) -> Result<String, String> {
            let Some(q) = self.peek() else {
                return Err("unexpected end".to_owned());
            };
            let triple = self.peek_at(1) == Some(q) && self.peek_at(2) == Some(q);
            self.pos += if triple { 3 } else { 1 };
            let mut out = String::new();
            loop {
                let Some(c) = self.peek() else {
                    return Err("unterminated string".to_owned());
                };
                if c == q && (!triple || (self.peek_at(1) == Some(q) && self.peek_at(2) == Some(q)))
                {
                    self.pos += if triple { 3 } else { 1 };
                    return Ok(out);
                }
                if (c == '\n' || c == '\r') && !triple {
                    return Err("a newline in a one-line string".to_owned());
                }
                self.pos += 1;
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                let Some(e) = self.peek() else {
                    return Err("unterminated string".to_owned());
                };
                self.pos += 1;
                if raw {
                    out.push('\\');
                    out.push(e);
                    continue;
                }
                match e {
                    '\n' => {}
                    '\\' | '\'' | '"' => out.push(e),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    'x' => out.push(self.hex(2)?),
                    'u' => out.push(self.hex(4)?),
                    'U' => out.push(self.hex(8)?),
                    '0'..='7' => {
                        let mut n = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            match self.peek().and_then(|d| d.to_digit(8)) {
                                Some(d) => {
                                    n = n * 8 + d;
                                    self.pos += 1;
                                }
                                None => break,
                            }
                        }
                        out.push(char::from_u32(n).ok_or("a bad octal escape")?);
                    }
                    'N' => return Err("named escapes are not read".to_owned()),
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
        }

        fn hex(&mut self, digits: usize) -> Result<char, String> {
            let mut n = 0u32;
            for _ in 0..digits {
                let d = self
                    .peek()
                    .and_then(|c| c.to_digit(16))
                    .ok_or("a truncated escape")?;
                n = n * 16 + d;
                self.pos += 1;
            }
            char::from_u32(n).ok_or_else(|| "an escape outside Unicode".to_owned())
        }

        /// Items up to `close`, comma separated, a trailing comma allowed.
        fn sequence(&mut self, close: char, depth: usize) -> Result<(), String> {
            self.pos += 1;
            loop {
                self.skip(true);
                if self.peek() == Some(close) {
                    self.pos += 1;
                    return Ok(());
                }
                self.value(depth)?;
                self.skip(true);
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(c) if c == close => {}
                    _ => {
                        return Err(format!(
                            "expected ',' or {close:?} at character {}",
                            self.pos
                        ));
                    }
                }
            }
        }

        fn paren(&mut self, depth: usize) -> Result<Py, String> {
            self.pos += 1;
            self.skip(true);
            if self.peek() == Some(')') {
                self.pos += 1;
                return Ok(Py::Other { hashable: true });
            }
            let first = self.value(depth)?;
            self.skip(true);
            match self.peek() {
                // A parenthesised expression is the expression itself.
                Some(')') => {
                    self.pos += 1;
                    Ok(first)
                }
                Some(',') => {
                    // The rest of a tuple.
                    self.pos += 1;
                    loop {
                        self.skip(true);
                        if self.peek() == Some(')') {
                            self.pos += 1;
                            return Ok(Py::Other { hashable: true });
                        }
                        self.value(depth)?;
                        self.skip(true);
                        match self.peek() {
                            Some(',') => self.pos += 1,
                            Some(')') => {}
                            _ => {
                                return Err(format!(
                                    "expected ',' or ')' at character {}",
                                    self.pos
                                ));
                            }
                        }
                    }
                }
                _ => Err(format!("expected ')' at character {}", self.pos)),
            }
        }

        fn dict(&mut self, depth: usize) -> Result<Py, String> {
            self.pos += 1;
            let mut entries = Vec::new();
            let mut set = false;
            loop {
                self.skip(true);
                if self.peek() == Some('}') {
                    self.pos += 1;
                    return Ok(if set {
                        Py::Other { hashable: false }
                    } else {
                        Py::Dict(entries)
                    });
                }
                let key = self.value(depth)?;
                self.skip(true);
                if !set && self.peek() == Some(':') {
                    if matches!(key, Py::Dict(_) | Py::Other { hashable: false }) {
                        return Err("an unhashable dict key".to_owned());
                    }
                    self.pos += 1;
                    let v = self.value(depth)?;
                    entries.push((key, v));
                } else if entries.is_empty() {
                    set = true;
                } else {
                    return Err(format!("expected ':' at character {}", self.pos));
                }
                self.skip(true);
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some('}') => {}
                    _ => return Err(format!("expected ',' or '}}' at character {}", self.pos)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Reading, Unreadable, read_gae, read_iae};
    use crate::agent::llm::Choices;
    use crate::agent::llm::parse::parse_choice;

    /// What a reply comes to under each protocol, among four options.
    #[derive(Debug, PartialEq)]
    enum Outcome {
        /// The option at this position.
        Option(usize),
        /// Counted wrong (IAE only).
        Wrong,
        /// Dropped.
        Dropped,
    }

    fn official_iae(reply: &str) -> Outcome {
        match read_iae(reply, 4) {
            Reading::Option(i) => Outcome::Option(i),
            Reading::NotAnOption(_) => Outcome::Wrong,
            Reading::Unreadable(_) => Outcome::Dropped,
        }
    }

    fn official_gae(reply: &str) -> Outcome {
        match read_gae(reply, 4) {
            Reading::Option(i) => Outcome::Option(i),
            Reading::NotAnOption(_) => Outcome::Wrong,
            Reading::Unreadable(_) => Outcome::Dropped,
        }
    }

    fn tolerant(reply: &str) -> Outcome {
        match parse_choice(reply, Choices::letters(4)) {
            Ok(c) => Outcome::Option(c.index),
            Err(_) => Outcome::Dropped,
        }
    }

    #[test]
    fn a_table_of_replies_under_both_protocols() {
        use Outcome::{Dropped, Option as Opt, Wrong};
        // reply, official IAE, official GAE, socius (tolerant)
        let table: &[(&str, Outcome, Outcome, Outcome)] = &[
            (r#"{"choice": "B", "reason": "x"}"#, Opt(1), Opt(1), Opt(1)),
            ("```json\n{\"choice\": \"C\"}\n```", Opt(2), Opt(2), Opt(2)),
            ("```\n{\"choice\": \"A\"}\n```", Opt(0), Opt(0), Opt(0)),
            ("  \n{\"choice\": \"D\"}\n  ", Opt(3), Opt(3), Opt(3)),
            (
                "Sure!\n```json\n{\"choice\": \"B\"}\n```",
                Opt(1),
                Dropped,
                Opt(1),
            ),
            ("[My Output]\n{\"choice\": \"B\"}", Opt(1), Dropped, Opt(1)),
            (r#"{"choice": "Z"}"#, Wrong, Dropped, Dropped),
            (r#"{"choice": "b"}"#, Wrong, Dropped, Opt(1)),
            (r#"{"choice": "B."}"#, Wrong, Dropped, Opt(1)),
            (r#"{"choice": 1}"#, Wrong, Dropped, Dropped),
            (r#"{"choice": null}"#, Wrong, Dropped, Dropped),
            (r#"{"answer": "B"}"#, Wrong, Dropped, Opt(1)),
            (r#"{'choice': 'B'}"#, Dropped, Opt(1), Opt(1)),
            (r#"{"choice": "B", "sure": true}"#, Opt(1), Dropped, Opt(1)),
            (r#"{"choice": "B", "sure": True}"#, Dropped, Opt(1), Opt(1)),
            (r#"{"choice": "A", "choice": "C"}"#, Opt(2), Opt(2), Dropped),
            (r#"["B"]"#, Dropped, Dropped, Opt(1)),
            (r#""B""#, Dropped, Dropped, Opt(1)),
            ("B", Dropped, Dropped, Opt(1)),
            ("The answer is B.", Dropped, Dropped, Opt(1)),
            ("", Dropped, Dropped, Dropped),
            (
                r#"{"choice": "B"} because it is kind"#,
                Dropped,
                Dropped,
                Opt(1),
            ),
        ];
        for (reply, iae, gae, socius) in table {
            assert_eq!(&official_iae(reply), iae, "IAE official: {reply:?}");
            assert_eq!(&official_gae(reply), gae, "GAE official: {reply:?}");
            assert_eq!(&tolerant(reply), socius, "socius: {reply:?}");
        }
    }

    #[test]
    fn a_wrong_letter_keeps_what_was_read_and_drops_say_why() {
        assert_eq!(
            read_iae(r#"{"choice": "Z"}"#, 4),
            Reading::NotAnOption(json!("Z"))
        );
        assert_eq!(
            read_iae(r#"{"answer": "B"}"#, 4),
            Reading::NotAnOption(json!(null))
        );
        assert_eq!(
            read_gae(r#"{"choice": "E"}"#, 4),
            Reading::Unreadable(Unreadable::OutOfRange { options: 4 })
        );
        assert_eq!(
            read_gae(r#"{"answer": "B"}"#, 4),
            Reading::Unreadable(Unreadable::NoChoiceKey)
        );
        assert_eq!(
            read_gae(r#"{"choice": "B."}"#, 4),
            Reading::Unreadable(Unreadable::NotOneCharacter)
        );
        assert_eq!(
            read_iae("[1]", 4),
            Reading::Unreadable(Unreadable::NotAnObject)
        );
        let stored = read_iae(r#"{"choice": "Z"}"#, 4).record();
        assert_eq!(stored["not_an_option"], json!("Z"));
        assert_eq!(stored["protocol"], json!("socialeval"));
    }

    #[test]
    fn python_literals_are_read_not_evaluated() {
        for (reply, want) in [
            ("{'choice': 'A', 'reason': \"it's \\u0041 fine\"}", Some(0)),
            (
                "{'choice': 'B', 'n': -1.5e3, 't': (1, 2), 'l': [None, False],}",
                Some(1),
            ),
            ("{'choice': 'C' # trailing comment\n}", Some(2)),
            ("{'choice': 'A' 'B'}", None),
            ("{'choice': r'D'}", Some(3)),
            ("{'choice': b'B'}", Some(1)),
            ("{'choice': __import__('os').getcwd()}", None),
            ("{'choice': f'{1}'}", None),
            ("{'choice': 'A'}\n{'choice': 'B'}", None),
            ("{['x']: 'A'}", None),
            ("({'choice': 'C'})", Some(2)),
        ] {
            let got = match read_gae(reply, 4) {
                Reading::Option(i) => Some(i),
                _ => None,
            };
            assert_eq!(got, want, "{reply:?}");
        }
    }
}

/// The official IAE aggregation (`run_iae.py`), over items given as (the question's raw ability
/// tags, answered right): each tag keys an ability by itself lowercased with `-` and spaces
/// removed (a damaged tag becomes a key of its own); an item without tags counts nowhere; a
/// category is the mean of its abilities that have items; the overall average is the mean over
/// every key, junk keys included.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct OfficialIae {
    /// Key → accuracy in percent.
    pub by_key: std::collections::BTreeMap<String, f64>,
    /// The five categories that have items, by the official names.
    pub by_category: std::collections::BTreeMap<String, f64>,
    /// `None` when no key has items (the script prints 0).
    pub overall_average: Option<f64>,
    /// Items that counted under at least one key.
    pub items: usize,
}

/// The official key of a tag.
#[must_use]
pub fn official_key(tag: &str) -> String {
    crate::script::bessi::official_key(tag)
}

/// The official display name of a category (`cooperation` → `Cooperation Skills`).
fn official_category(name: &str) -> String {
    let mut out = String::new();
    for word in name.split(['-', ' ']) {
        let mut cs = word.chars();
        if let Some(first) = cs.next() {
            out.extend(first.to_uppercase());
            out.push_str(cs.as_str());
            out.push(' ');
        }
    }
    out.push_str("Skills");
    out
}

/// Aggregate as the official script does.
#[must_use]
pub fn official_iae(items: &[(Vec<String>, bool)]) -> OfficialIae {
    let mut counts: std::collections::BTreeMap<String, (usize, usize)> =
        std::collections::BTreeMap::new();
    let mut counted = 0;
    for (tags, correct) in items {
        counted += usize::from(!tags.is_empty());
        // The official loop counts a tag listed twice twice.
        for t in tags {
            let c = counts.entry(official_key(t)).or_default();
            c.0 += 1;
            c.1 += usize::from(*correct);
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
    let by_key: std::collections::BTreeMap<String, f64> = counts
        .into_iter()
        // As the official script: the ratio first, then times 100.
        .map(|(k, (total, right))| (k, right as f64 / total as f64 * 100.0))
        .collect();
    let mut by_category = std::collections::BTreeMap::new();
    for (name, abilities) in crate::script::bessi::CATEGORIES {
        let vals: Vec<f64> = abilities
            .iter()
            .filter_map(|a| by_key.get(&official_key(a)).copied())
            .collect();
        if !vals.is_empty() {
            #[expect(clippy::cast_precision_loss, reason = "at most twelve abilities")]
            by_category.insert(
                official_category(name),
                vals.iter().sum::<f64>() / vals.len() as f64,
            );
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "a few hundred keys at most")]
    let overall_average =
        (!by_key.is_empty()).then(|| by_key.values().sum::<f64>() / by_key.len() as f64);
    OfficialIae {
        by_key,
        by_category,
        overall_average,
        items: counted,
    }
}

#[cfg(test)]
mod aggregation_tests {
    use super::{official_iae, official_key};

    #[test]
    fn damaged_tags_are_keys_of_their_own_and_count_in_the_overall_average() {
        let t = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        let items = vec![
            (t(&["Perspective-taking skill"]), true),
            (t(&["perspective taking skill"]), false),
            (t(&["capacity for "]), true),
            (t(&[]), false),
            (t(&["teamwork skill", "anger management"]), false),
        ];
        let o = official_iae(&items);
        assert_eq!(official_key("Rule-following Skill"), "rulefollowingskill");
        assert_eq!(o.items, 4);
        assert_eq!(o.by_key.len(), 4);
        assert!((o.by_key["perspectivetakingskill"] - 50.0).abs() < 1e-9);
        assert!((o.by_key["capacityfor"] - 100.0).abs() < 1e-9);
        // cooperation: perspective-taking 50, teamwork 0 → 25.
        assert!((o.by_category["Cooperation Skills"] - 25.0).abs() < 1e-9);
        assert!(!o.by_category.contains_key("Innovation Skills"));
        // (50 + 100 + 0 + 0) / 4, the junk key included.
        assert_eq!(o.overall_average.map(|v| (v * 100.0).round()), Some(3750.0));
    }
}
