//! Safety screening of one message against a protocol's lexicon. Pure: no I/O, no clock.
//!
//! How a message is read:
//! - Text is compared case-insensitively (Unicode lower case), with full-width Latin letters
//!   and digits read as ordinary ones and curly apostrophes as straight ones.
//! - A term written in Chinese (or Japanese, Korean) script matches as a substring: `自杀`
//!   matches `我想自杀`.
//! - Any other term matches whole words, so `kill` never matches `skill`. Apostrophes inside
//!   words are ignored on both sides (`dont` and `don't` are the same word) and hyphens
//!   separate words (`self-harm` is `self harm`). A word ending in `*` matches every word it
//!   begins (`suicid*`: suicide, suicidal).
//! - `...` between two parts of a term lets a few words ([`MAX_GAP_WORDS`]) or characters
//!   ([`MAX_GAP_CHARS`], not across a sentence end) stand between them: `jump off ... bridge`,
//!   `没有我...更好`.
//! - Exclusions (near-misses such as "this deadline is killing me", `笑死我了`) are found
//!   first, with the same rules; a term occurrence that overlaps an exclusion does not count,
//!   while the rest of the message is still screened (`累死了，真想死了算了` is flagged).
//!
//! The verdict names the category and the lexicon term as written, never the person's text.
//! Categories take precedence in the order the protocol lists them, and terms in file order
//! within a category.
//!
//! [`Screen`] is the extension point for a second opinion: an optional classifier (an HTTP
//! call made by the agent layer, not here) gives a verdict through the same trait, and a
//! caller flags a message when any screen does.

use serde::Serialize;

use super::model::{CrProtocol, Safety};

/// The most words `...` stands for in a word term.
pub const MAX_GAP_WORDS: usize = 3;
/// The most characters `...` stands for in a Chinese term.
pub const MAX_GAP_CHARS: usize = 8;

/// The outcome of screening one message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub flagged: bool,
    /// The safety category of the term that matched.
    pub category: Option<String>,
    /// The lexicon term that matched, as written in the protocol (or a classifier's label).
    pub matched: Option<String>,
}

impl Verdict {
    /// Not flagged.
    #[must_use]
    pub fn pass() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn flag(category: &str, matched: &str) -> Self {
        Self {
            flagged: true,
            category: Some(category.to_owned()),
            matched: Some(matched.to_owned()),
        }
    }
}

/// Anything that screens a message: the lexicon ([`Screener`]) now, a classifier later.
pub trait Screen {
    fn screen(&self, message: &str) -> Verdict;
}

/// Why a lexicon term or exclusion cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermError {
    #[error("the term is empty (or has no letters)")]
    Empty,
    #[error("`...` stands between two parts of a term, not at its start or end or twice in a row")]
    Gap,
    #[error("`*` may only end a word of a word term (`suicid*`)")]
    Star,
    #[error("`*` is not used in Chinese terms: they match inside longer text already")]
    StarInChinese,
}

/// One word of a word term.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Word {
    Exact(String),
    Prefix(String),
}

impl Word {
    fn matches(&self, token: &str) -> bool {
        match self {
            Self::Exact(w) => w == token,
            Self::Prefix(p) => token.starts_with(p.as_str()),
        }
    }
}

/// A compiled term: parts separated by `...`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Words(Vec<Vec<Word>>),
    Chars(Vec<Vec<char>>),
}

/// Whether `c` belongs to a script written without spaces between words (Han, kana, Hangul).
#[must_use]
pub fn is_cjk(c: char) -> bool {
    matches!(u32::from(c),
        0x2E80..=0x2FDF      // radicals
        | 0x3005..=0x3007    // 々 〆 〇
        | 0x3040..=0x30FF    // kana
        | 0x3100..=0x312F    // bopomofo
        | 0x3400..=0x4DBF    // extension A
        | 0x4E00..=0x9FFF    // unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0x20000..=0x3134F) // extensions B–G
}

/// Lower case, full-width Latin as ASCII, curly apostrophes straight.
fn normalize(text: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let c = match u32::from(c) {
            0xFF01..=0xFF5E => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        };
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '\u{2032}' | '`' => '\'',
            '\u{2026}' => {
                out.extend(['.', '.', '.']);
                continue;
            }
            other => other,
        };
        out.extend(c.to_lowercase());
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// A word of the message and the characters it spans.
#[derive(Debug)]
struct Token {
    text: String,
    start: usize,
    end: usize,
}

/// Words: runs of letters and digits outside CJK scripts; an apostrophe between two letters
/// is dropped and the word goes on.
fn tokens(chars: &[char]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !is_word_char(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut text = String::new();
        while i < chars.len() {
            let c = chars[i];
            if is_word_char(c) {
                text.push(c);
            } else if c == '\'' && chars.get(i + 1).is_some_and(|n| is_word_char(*n)) {
                // `don't` → `dont`
            } else {
                break;
            }
            i += 1;
        }
        out.push(Token {
            text,
            start,
            end: i,
        });
    }
    out
}

/// Split normalised text at `...`.
fn parts(chars: &[char]) -> Vec<Vec<char>> {
    let mut out = vec![Vec::new()];
    let mut i = 0;
    while i < chars.len() {
        if chars[i..].starts_with(&['.', '.', '.']) {
            out.push(Vec::new());
            i += 3;
            while chars.get(i) == Some(&'.') {
                i += 1;
            }
        } else if let Some(last) = out.last_mut() {
            last.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Compile a term or exclusion.
fn parse(text: &str) -> Result<Pattern, TermError> {
    let chars = normalize(text);
    let parts = parts(&chars);
    if parts.len() > 1 && parts.iter().any(|p| p.iter().all(|c| c.is_whitespace())) {
        return Err(TermError::Gap);
    }
    if chars.iter().any(|c| is_cjk(*c)) {
        if chars.contains(&'*') {
            return Err(TermError::StarInChinese);
        }
        let parts: Vec<Vec<char>> = parts
            .into_iter()
            .map(|p| {
                let s: String = p.into_iter().collect();
                s.trim().chars().collect()
            })
            .collect();
        if parts.iter().all(Vec::is_empty) {
            return Err(TermError::Empty);
        }
        return Ok(Pattern::Chars(parts));
    }
    let mut segments = Vec::with_capacity(parts.len());
    for part in parts {
        let mut words = Vec::new();
        for piece in part.split(|c| c.is_whitespace()).filter(|p| !p.is_empty()) {
            let (body, star) = match piece.split_last() {
                Some(('*', body)) => (body, true),
                _ => (piece, false),
            };
            if body.contains(&'*') {
                return Err(TermError::Star);
            }
            let toks = tokens(body);
            let n = toks.len();
            if star && (n == 0 || toks[n - 1].end != body.len()) {
                return Err(TermError::Star);
            }
            for (i, t) in toks.into_iter().enumerate() {
                words.push(if star && i + 1 == n {
                    Word::Prefix(t.text)
                } else {
                    Word::Exact(t.text)
                });
            }
        }
        if words.is_empty() {
            return Err(
                if segments.is_empty() && chars.iter().all(|c| !c.is_alphanumeric()) {
                    TermError::Empty
                } else {
                    TermError::Gap
                },
            );
        }
        segments.push(words);
    }
    Ok(Pattern::Words(segments))
}

/// Check a term's syntax (for the validator).
///
/// # Errors
/// What makes the term unusable.
pub fn check_term(text: &str) -> Result<(), TermError> {
    parse(text).map(|_| ())
}

/// A message prepared for matching.
struct Prepared {
    chars: Vec<char>,
    tokens: Vec<Token>,
    /// Characters inside an exclusion.
    masked: Vec<bool>,
}

impl Prepared {
    fn new(message: &str) -> Self {
        let chars = normalize(message);
        let tokens = tokens(&chars);
        let masked = vec![false; chars.len()];
        Self {
            chars,
            tokens,
            masked,
        }
    }

    fn token_masked(&self, t: &Token) -> bool {
        self.masked[t.start..t.end].iter().any(|m| *m)
    }

    /// The end (token index) of a match of `segs[i..]` starting at token `at`.
    fn words_from(&self, segs: &[Vec<Word>], at: usize, respect_mask: bool) -> Option<usize> {
        let (seg, rest) = segs.split_first()?;
        let end = at + seg.len();
        let here = self.tokens.get(at..end)?;
        let ok = seg
            .iter()
            .zip(here)
            .all(|(w, t)| w.matches(&t.text) && !(respect_mask && self.token_masked(t)));
        if !ok {
            return None;
        }
        if rest.is_empty() {
            return Some(end);
        }
        (0..=MAX_GAP_WORDS).find_map(|gap| self.words_from(rest, end + gap, respect_mask))
    }

    /// The end (char index) of a match of `segs` starting at char `at`.
    fn chars_from(&self, segs: &[Vec<char>], at: usize, respect_mask: bool) -> Option<usize> {
        let (seg, rest) = segs.split_first()?;
        let end = at + seg.len();
        if self.chars.get(at..end)? != seg.as_slice()
            || (respect_mask && self.masked[at..end].iter().any(|m| *m))
        {
            return None;
        }
        if rest.is_empty() {
            return Some(end);
        }
        for gap in 0..=MAX_GAP_CHARS {
            if gap > 0 && self.chars.get(end + gap - 1).is_none_or(|c| is_stop(*c)) {
                break;
            }
            if let Some(e) = self.chars_from(rest, end + gap, respect_mask) {
                return Some(e);
            }
        }
        None
    }

    /// Every match of a pattern, as char ranges.
    fn all(&self, p: &Pattern, respect_mask: bool) -> Vec<(usize, usize)> {
        match p {
            Pattern::Words(segs) => (0..self.tokens.len())
                .filter_map(|s| {
                    let e = self.words_from(segs, s, respect_mask)?;
                    Some((self.tokens[s].start, self.tokens[e - 1].end))
                })
                .collect(),
            Pattern::Chars(segs) => (0..self.chars.len())
                .filter_map(|s| Some((s, self.chars_from(segs, s, respect_mask)?)))
                .collect(),
        }
    }

    fn any(&self, p: &Pattern) -> bool {
        match p {
            Pattern::Words(segs) => {
                (0..self.tokens.len()).any(|s| self.words_from(segs, s, true).is_some())
            }
            Pattern::Chars(segs) => {
                (0..self.chars.len()).any(|s| self.chars_from(segs, s, true).is_some())
            }
        }
    }
}

/// Sentence ends a `...` gap in a Chinese term does not cross.
fn is_stop(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '.' | '!' | '?' | ';' | '\n')
}

/// A compiled term with what a verdict reports.
#[derive(Debug)]
struct Term {
    category: String,
    text: String,
    pattern: Pattern,
}

/// A protocol's lexicon, compiled.
#[derive(Debug)]
pub struct Screener {
    terms: Vec<Term>,
    exclusions: Vec<Pattern>,
}

impl Screener {
    /// Compile the safety part of a protocol. Terms that cannot be used are left out (the
    /// validator reports them as errors).
    #[must_use]
    pub fn new(safety: &Safety) -> Self {
        let rank = |category: &str| {
            safety
                .categories
                .iter()
                .position(|c| c.id == category)
                .unwrap_or(usize::MAX)
        };
        let mut terms: Vec<(usize, usize, Term)> = safety
            .terms
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let pattern = parse(&t.text).ok()?;
                Some((
                    rank(&t.category),
                    i,
                    Term {
                        category: t.category.clone(),
                        text: t.text.clone(),
                        pattern,
                    },
                ))
            })
            .collect();
        terms.sort_by_key(|(rank, i, _)| (*rank, *i));
        Self {
            terms: terms.into_iter().map(|(_, _, t)| t).collect(),
            exclusions: safety
                .exclusions
                .iter()
                .filter_map(|e| parse(&e.text).ok())
                .collect(),
        }
    }

    /// The screener of a protocol.
    #[must_use]
    pub fn of(protocol: &CrProtocol) -> Self {
        Self::new(&protocol.safety)
    }

    /// How many terms and exclusions are in use.
    #[must_use]
    pub fn size(&self) -> (usize, usize) {
        (self.terms.len(), self.exclusions.len())
    }
}

impl Screen for Screener {
    fn screen(&self, message: &str) -> Verdict {
        let mut text = Prepared::new(message);
        for ex in &self.exclusions {
            for (s, e) in text.all(ex, false) {
                text.masked[s..e].iter_mut().for_each(|m| *m = true);
            }
        }
        self.terms
            .iter()
            .find(|t| text.any(&t.pattern))
            .map_or_else(Verdict::pass, |t| Verdict::flag(&t.category, &t.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::cr::model::{Exclusion, LexiconTerm, SafetyCategory};
    use crate::script::model::{Language, Span};

    fn safety(terms: &[(&str, &str)], exclusions: &[&str]) -> Safety {
        let mut categories: Vec<SafetyCategory> = Vec::new();
        for (c, _) in terms {
            if !categories.iter().any(|x| x.id == *c) {
                categories.push(SafetyCategory {
                    id: (*c).to_owned(),
                    name: super::super::model::Bilingual::default(),
                    span: Span::default(),
                });
            }
        }
        Safety {
            categories,
            terms: terms
                .iter()
                .map(|(c, t)| LexiconTerm {
                    language: Language::En,
                    category: (*c).to_owned(),
                    text: (*t).to_owned(),
                    category_span: Span::default(),
                    span: Span::default(),
                })
                .collect(),
            exclusions: exclusions
                .iter()
                .map(|t| Exclusion {
                    language: Language::En,
                    text: (*t).to_owned(),
                    span: Span::default(),
                })
                .collect(),
            ..Safety::default()
        }
    }

    fn screener() -> Screener {
        Screener::new(&safety(
            &[
                ("suicide", "kill myself"),
                ("suicide", "suicid*"),
                ("suicide", "want to die"),
                ("suicide", "jump off ... bridge"),
                ("suicide", "想死"),
                ("suicide", "死了算了"),
                ("suicide", "没有我...更好"),
                ("self_harm", "self-harm"),
                ("self_harm", "don't want to live"),
                ("violence", "kill"),
            ],
            &[
                "is killing me",
                "kill for",
                "笑死我了",
                "累死了",
                "想死你了",
                "suicide squad",
            ],
        ))
    }

    fn matched(message: &str) -> Option<String> {
        screener().screen(message).matched
    }

    #[test]
    fn english_matches_whole_words_case_insensitively() {
        assert_eq!(matched("I want to KILL MYSELF"), Some("kill myself".into()));
        assert_eq!(matched("I have a skill for this"), None);
        assert_eq!(matched("skilled killers"), None);
        assert_eq!(
            matched("Ｉ ｗａｎｔ ｔｏ ｄｉｅ"),
            Some("want to die".into())
        );
        assert_eq!(matched("I feel suicidal."), Some("suicid*".into()));
        assert_eq!(
            matched("I dont want to live"),
            Some("don't want to live".into())
        );
        assert_eq!(
            matched("I don’t want to live"),
            Some("don't want to live".into())
        );
        assert_eq!(matched("thoughts of self harm"), Some("self-harm".into()));
    }

    #[test]
    fn gaps_allow_a_few_words_or_characters() {
        assert_eq!(
            matched("I'll jump off the old bridge"),
            Some("jump off ... bridge".into())
        );
        assert_eq!(matched("jump off a wall, then walk to the bridge"), None);
        assert_eq!(matched("没有我，大家会更好"), Some("没有我...更好".into()));
        assert_eq!(matched("没有我。明天天气更好"), None);
    }

    #[test]
    fn exclusions_hide_only_the_near_miss() {
        assert_eq!(matched("This deadline is killing me"), None);
        assert_eq!(matched("I could kill for a coffee"), None);
        assert_eq!(matched("笑死我了"), None);
        assert_eq!(matched("想死你了！"), None);
        assert_eq!(matched("累死了，真想死了算了"), Some("想死".into()));
        assert_eq!(matched("We saw Suicide Squad"), None);
        assert_eq!(
            matched("This job is killing me and I want to kill myself"),
            Some("kill myself".into())
        );
    }

    #[test]
    fn categories_take_precedence_in_their_order_and_chinese_needs_no_spaces() {
        let v = screener().screen("kill it, also self-harm, also 我想死");
        assert_eq!(v.category.as_deref(), Some("suicide"));
        assert_eq!(v.matched.as_deref(), Some("想死"));
        let v = screener().screen("我想kill myself");
        assert_eq!(v.matched.as_deref(), Some("kill myself"));
        assert!(!screener().screen("fine").flagged);
    }

    #[test]
    fn bad_terms_are_reported() {
        assert_eq!(check_term(""), Err(TermError::Empty));
        assert_eq!(check_term("... die"), Err(TermError::Gap));
        assert_eq!(check_term("want ... ... die"), Err(TermError::Gap));
        assert_eq!(check_term("k*ll"), Err(TermError::Star));
        assert_eq!(check_term("自杀*"), Err(TermError::StarInChinese));
        assert_eq!(check_term("suicid*"), Ok(()));
        assert_eq!(check_term("没有我…更好"), Ok(()));
    }
}
