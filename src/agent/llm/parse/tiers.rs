//! The evidence tiers: each finds candidate letters of one kind; `parse_choice` asks them in
//! order of strength.

use super::text::{
    continues_letter_list, judged_bad, letter_prefix, negated_by, strip_markdown, word_like,
};
use super::{Method, ParseFailure, ParsedChoice, index_of, letter};

/// Letters one tier found.
#[derive(Debug, Default)]
pub(super) struct Found {
    valid: Vec<usize>,
    out_of_range: Vec<char>,
}

impl Found {
    pub(super) fn add_letter(&mut self, c: char, count: usize) {
        match index_of(c) {
            Some(i) if i < count => self.add_index(i),
            _ => {
                let c = c.to_ascii_uppercase();
                if !self.out_of_range.contains(&c) {
                    self.out_of_range.push(c);
                }
            }
        }
    }

    pub(super) fn add_index(&mut self, i: usize) {
        if !self.valid.contains(&i) {
            self.valid.push(i);
        }
    }
}

pub(super) fn decide(
    found: &Found,
    method: Method,
    count: usize,
) -> Option<Result<ParsedChoice, ParseFailure>> {
    match (found.valid.as_slice(), found.out_of_range.first()) {
        ([], None) => None,
        ([], Some(&c)) => Some(Err(ParseFailure::OutOfRange {
            letter: c,
            options: count,
        })),
        (&[index], None) => letter(index).map(|letter| {
            Ok(ParsedChoice {
                index,
                letter,
                method,
            })
        }),
        (valid, _) => {
            let mut letters: Vec<char> = valid.iter().filter_map(|&i| letter(i)).collect();
            letters.extend(found.out_of_range.iter().copied());
            letters.sort_unstable();
            Some(Err(ParseFailure::Ambiguous { letters }))
        }
    }
}

/// The whole reply is one letter, give or take wrapping punctuation and markdown.
pub(super) fn whole(body: &str, count: usize) -> Found {
    let mut found = Found::default();
    let s = body.trim_matches(|c: char| c.is_whitespace() || "*_\"'`()[]{}.:,;!<>".contains(c));
    let mut it = s.chars();
    if let (Some(c), None) = (it.next(), it.next())
        && c.is_ascii_alphabetic()
    {
        found.add_letter(c, count);
    }
    found
}

/// Lines that begin with a letter. A line listing letters (`A. B. C.`) does not count.
pub(super) fn leading(body: &str, count: usize) -> Found {
    let mut found = Found::default();
    for line in body.lines() {
        let line = strip_markdown(line);
        let Some((c, rest)) = letter_prefix(line) else {
            continue;
        };
        if continues_letter_list(rest) || judged_bad(rest) {
            continue;
        }
        found.add_letter(c, count);
    }
    found
}

/// Options whose full text the reply contains; when several match, those contained in a longer
/// match are dropped. Texts under four characters count only when they are the whole reply.
pub(super) fn option_text(body: &str, texts: &[String]) -> Found {
    let mut found = Found::default();
    let whole = body
        .trim()
        .trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
    let matched: Vec<usize> = texts
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            !t.is_empty()
                && (whole == t.as_str() || (t.chars().count() >= 4 && body.contains(t.as_str())))
        })
        .map(|(i, _)| i)
        .collect();
    for &i in &matched {
        let inside_other = matched
            .iter()
            .any(|&j| j != i && texts[j].len() > texts[i].len() && texts[j].contains(&texts[i]));
        if !inside_other {
            found.add_index(i);
        }
    }
    if matched.is_empty()
        && let Some(i) = quoted_start(whole, texts)
    {
        found.add_index(i);
    }
    found
}

/// The option a reply quotes when the whole reply (after a `Name:` prefix) is the start of
/// exactly one option's text: at least 20 characters and half the text. Small models quote
/// the line they pick and stop after a sentence or two.
fn quoted_start(whole: &str, texts: &[String]) -> Option<usize> {
    let after_name = whole
        .split_once(':')
        .filter(|(name, _)| name.chars().count() <= 24 && !name.contains('\n'))
        .map(|(_, rest)| rest);
    let mut hits = std::iter::once(whole)
        .chain(after_name)
        .map(|s| s.trim().trim_end_matches(['.', '"', '\'', '…']).trim_end())
        .flat_map(|s| {
            let n = s.chars().count();
            texts
                .iter()
                .enumerate()
                .filter(move |(_, t)| n >= 20 && n * 2 >= t.chars().count() && t.starts_with(s))
        })
        .map(|(i, _)| i)
        .collect::<Vec<_>>();
    hits.dedup();
    match hits.as_slice() {
        [i] => Some(*i),
        _ => None,
    }
}

/// Phrases after which a letter is an answer.
pub(super) const STRONG_MARKERS: &[&str] = &[
    "answer",
    "choice",
    "choose",
    "chose",
    "chosen",
    "pick",
    "picked",
    "select",
    "selected",
    "selection",
    "go with",
    "going with",
    "答案",
    "选择",
    "我选",
    "选",
    "回答",
];
pub(super) const WEAK_MARKERS: &[&str] = &["option", "选项"];
/// Words that may stand between a marker and its letter.
const FILLERS: &[&str] = &[
    "is",
    "be",
    "would",
    "will",
    "should",
    "must",
    "my",
    "the",
    "final",
    "correct",
    "best",
    "option",
    "letter",
    "choice",
    "answer",
    "as",
    "应该是",
    "应该",
    "是",
    "为",
    "选项",
    "项",
    "的",
    "我",
    "会",
    "最终",
    "就",
    "了",
    "选",
];

#[derive(Debug)]
pub(super) struct Scan<'c> {
    chars: &'c [char],
    count: usize,
}

impl<'c> Scan<'c> {
    pub(super) const fn new(chars: &'c [char], count: usize) -> Self {
        Self { chars, count }
    }

    /// Whether `word` (lowercase) starts at `i`, with word boundaries for ASCII words.
    fn word_at(&self, i: usize, word: &str) -> Option<usize> {
        let mut j = i;
        for w in word.chars() {
            let c = self.chars.get(j)?;
            if c.to_ascii_lowercase() != w {
                return None;
            }
            j += 1;
        }
        if word.is_ascii() {
            let left_ok = i == 0 || !self.chars[i - 1].is_ascii_alphabetic();
            let right_ok = self.chars.get(j).is_none_or(|c| !c.is_ascii_alphabetic());
            if !(left_ok && right_ok) {
                return None;
            }
        }
        Some(j)
    }

    /// A letter token at `i`: an ASCII letter not touching other ASCII letters or digits.
    fn letter_at(&self, i: usize) -> Option<char> {
        let c = *self.chars.get(i)?;
        let left = i == 0 || !self.chars[i - 1].is_ascii_alphanumeric();
        let right = self
            .chars
            .get(i + 1)
            .is_none_or(|n| !n.is_ascii_alphanumeric());
        (c.is_ascii_alphabetic() && left && right).then_some(c)
    }

    /// The text after position `i` as a string (for the word test), up to a short length.
    fn after(&self, i: usize) -> String {
        self.chars.iter().skip(i).take(12).collect()
    }

    /// Up to 40 characters before `i` (for the negation test).
    fn before(&self, i: usize) -> String {
        self.chars[i.saturating_sub(40)..i].iter().collect()
    }

    /// Up to 40 characters from `i` on (for the judgement test).
    fn from(&self, i: usize) -> String {
        self.chars.iter().skip(i).take(40).collect()
    }

    /// A letter token at `i` that does not read as the word "a"/"I".
    fn answer_letter_at(&self, i: usize) -> Option<char> {
        let c = self.letter_at(i)?;
        if self.chars.get(i + 1) == Some(&' ') && word_like(c, &self.after(i + 2)) {
            return None;
        }
        if matches!(c, 'a' | 'A' | 'i' | 'I') && self.chars.get(i + 1) == Some(&'\'') {
            return None;
        }
        Some(c)
    }

    pub(super) fn phrases(&self, markers: &[&str]) -> Found {
        let mut found = Found::default();
        for i in 0..self.chars.len() {
            for marker in markers {
                if let Some(end) = self.word_at(i, marker)
                    // "选" is a verb; "选项" ("option") is not a choice being made.
                    && !(*marker == "选" && self.chars.get(end) == Some(&'项'))
                    // "I would not choose A", "不选A".
                    && !negated_by(&self.before(i))
                    && let Some(c) = self.letter_after(end)
                {
                    found.add_letter(c, self.count);
                }
            }
        }
        found
    }

    /// The letter a marker ending at `j` points at, past separators and filler words.
    fn letter_after(&self, mut j: usize) -> Option<char> {
        for _ in 0..8 {
            while self
                .chars
                .get(j)
                .is_some_and(|c| c.is_whitespace() || ":-=*_\"'([`>~".contains(*c))
            {
                j += 1;
            }
            if let Some(c) = self.answer_letter_at(j) {
                return Some(c);
            }
            let next = FILLERS.iter().find_map(|f| self.word_at(j, f))?;
            j = next;
        }
        None
    }

    /// `"choice": "B"` and its relatives. Unusable values are remembered in `unusable`.
    pub(super) fn json_fields(&self, texts: &[String], unusable: &mut Option<String>) -> Found {
        const KEYS: &[&str] = &[
            "choice",
            "answer",
            "option",
            "selection",
            "selected",
            "chosen",
            "选择",
            "答案",
            "选项",
        ];
        let mut found = Found::default();
        let n = self.chars.len();
        for i in 0..n {
            for key in KEYS {
                let Some(mut j) = self.key_at(i, key) else {
                    continue;
                };
                while j < n && self.chars[j].is_whitespace() {
                    j += 1;
                }
                if self.chars.get(j) != Some(&':') {
                    continue;
                }
                j += 1;
                while j < n && self.chars[j] == ' ' {
                    j += 1;
                }
                let value = self.value_at(j);
                match interpret(&value, self.count, texts) {
                    Interp::Index(k) => found.add_index(k),
                    Interp::OutOfRange(c) => found.add_letter(c, self.count),
                    Interp::Unusable => {
                        let v = value.trim();
                        if unusable.is_none() && !is_placeholder(v) {
                            *unusable = Some(v.chars().take(80).collect());
                        }
                    }
                }
            }
        }
        found
    }

    /// A key at `i`, quoted (`"choice"`, `'choice'`) or bare after `{` or `,`. Returns the
    /// position after it (and its closing quote).
    fn key_at(&self, i: usize, key: &str) -> Option<usize> {
        let mut j = i;
        for k in key.chars() {
            if self.chars.get(j)?.to_ascii_lowercase() != k {
                return None;
            }
            j += 1;
        }
        let before = i.checked_sub(1).map(|p| self.chars[p]);
        match before {
            Some(q @ ('"' | '\'')) => (self.chars.get(j) == Some(&q)).then_some(j + 1),
            _ => {
                let prev = self.chars[..i].iter().rev().find(|c| !c.is_whitespace());
                let bare = matches!(prev, Some('{' | ','))
                    && self.chars.get(j).is_none_or(|c| !c.is_ascii_alphanumeric());
                bare.then_some(j)
            }
        }
    }

    /// A value at `j`: a quoted string (to its closing quote or the end of the line) or a bare
    /// token (to `,`, `}`, `]` or the end of the line).
    fn value_at(&self, j: usize) -> String {
        let rest = self.chars.get(j..).unwrap_or(&[]);
        match rest.first() {
            Some(&q @ ('"' | '\'')) => {
                let mut out = String::new();
                let mut escaped = false;
                for &c in &rest[1..] {
                    if escaped {
                        out.push(c);
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == q || c == '\n' {
                        break;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
            _ => rest
                .iter()
                .take_while(|c| !matches!(c, ',' | '}' | ']' | '\n'))
                .collect(),
        }
    }

    /// Isolated letter tokens that do not read as words.
    pub(super) fn isolated(&self) -> Found {
        let mut found = Found::default();
        for i in 0..self.chars.len() {
            // Out-of-range capitals in prose are noise ("E-mail", "U.S."), not answers.
            if let Some(c) = self.answer_letter_at(i)
                && c.is_ascii_uppercase()
                && index_of(c).is_some_and(|i| i < self.count)
                // "not B", "不是B", "B would be rude".
                && !negated_by(&self.before(i))
                && !judged_bad(&self.from(i + 1))
            {
                found.add_letter(c, self.count);
            }
        }
        found
    }
}

fn is_placeholder(v: &str) -> bool {
    v.is_empty() || (v.starts_with('<') && v.ends_with('>')) || v.contains("...") || v == "…"
}

enum Interp {
    Index(usize),
    OutOfRange(char),
    Unusable,
}

fn interpret(value: &str, count: usize, texts: &[String]) -> Interp {
    let as_letter = |c: char| match index_of(c) {
        Some(i) if i < count => Interp::Index(i),
        _ => Interp::OutOfRange(c.to_ascii_uppercase()),
    };
    let v = value.trim();
    let core = v.trim_matches(|c: char| c.is_whitespace() || "*()[]._`".contains(c));
    let mut it = core.chars();
    if let (Some(c), None) = (it.next(), it.next())
        && c.is_ascii_alphabetic()
    {
        return as_letter(c);
    }
    let lower = core.to_ascii_lowercase();
    for prefix in ["option", "选项", "letter"] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            let rest = rest.trim_matches(|c: char| c.is_whitespace() || "*()[].:_".contains(c));
            let mut it = rest.chars();
            if let (Some(c), None) = (it.next(), it.next())
                && c.is_ascii_alphabetic()
            {
                return as_letter(c);
            }
        }
    }
    if let Some((c, _)) = letter_prefix(v) {
        return as_letter(c);
    }
    if let Some(i) = texts
        .iter()
        .position(|t| !t.is_empty() && (v == t || v.ends_with(t.as_str())))
    {
        return Interp::Index(i);
    }
    Interp::Unusable
}
