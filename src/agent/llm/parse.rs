//! Reading a choice letter out of a model's reply.
//!
//! Pure text work: no I/O, and nothing the model wrote is ever evaluated. The parser looks for
//! evidence in tiers, strongest first, and the first tier that finds anything decides:
//!
//! 1. a JSON-like `"choice": "B"` field (also `answer`, `option`, `选择`, `答案`, `选项`), in
//!    prose, in a code fence, single-quoted or unquoted;
//! 2. the whole reply is one letter (`B`, `b.`, `(B)`, `**B**`);
//! 3. an explicit phrase: "the answer is B", "I choose B", "答案是B", "我选B";
//! 4. the weaker "Option B" / "选项B";
//! 5. a line that starts with a letter: `B. ...`, `B: ...`, `(B) ...`;
//! 6. fallback: the reply contains the full text of exactly one option (a model answering with
//!    the utterance instead of its letter);
//! 7. last resort: isolated capital letters in prose ("I think B fits").
//!
//! Within a tier, two different letters are a typed [`ParseFailure::Ambiguous`], never a
//! guess. A letter beyond the options is [`ParseFailure::OutOfRange`]. Before the tiers,
//! `<think>…</think>` blocks are removed (an unclosed `<think>` hides the rest of the reply; a
//! stray `</think>` hides what came before it), full-width letters and Chinese punctuation are
//! folded to ASCII, an echo of the prompt is cut when the prompt is known, and a repeated option
//! list (two or more lines `A: …` holding the options' own text) is set aside.

use serde::{Deserialize, Serialize};

use crate::script::model::Language;

mod text;
mod tiers;

pub use text::fold;
pub(crate) use text::strip_reasoning;
use text::{drop_listing, strip_echo};
use tiers::{STRONG_MARKERS, Scan, WEAK_MARKERS, decide, leading, option_text, whole};

/// At most this many options can be lettered (A–Z).
pub const MAX_OPTIONS: usize = 26;

/// The letter of the option at `index` (0 → `A`).
#[must_use]
pub fn letter(index: usize) -> Option<char> {
    u8::try_from(index)
        .ok()
        .filter(|&i| usize::from(i) < MAX_OPTIONS)
        .map(|i| char::from(b'A' + i))
}

/// The index of an option letter, either case (`b` → 1).
#[must_use]
pub fn index_of(letter: char) -> Option<usize> {
    let upper = letter.to_ascii_uppercase();
    upper
        .is_ascii_uppercase()
        .then(|| usize::from(upper as u8 - b'A'))
}

/// What the reply is answering: how many options, optionally their texts (for the option-text
/// fallback and to recognise an echoed option list) and the prompt (to cut an echo of it).
#[derive(Debug, Clone, Copy, Default)]
pub struct Choices<'a> {
    count: usize,
    texts: &'a [&'a str],
    prompt: Option<&'a str>,
}

impl<'a> Choices<'a> {
    /// `count` options known only by their letters.
    #[must_use]
    pub const fn letters(count: usize) -> Self {
        Self {
            count,
            texts: &[],
            prompt: None,
        }
    }

    /// Options with their texts (the utterances, in presented order).
    #[must_use]
    pub const fn with_texts(texts: &'a [&'a str]) -> Self {
        Self {
            count: texts.len(),
            texts,
            prompt: None,
        }
    }

    /// The user prompt the reply answers; an echo of it at the start of the reply is ignored.
    #[must_use]
    pub const fn echoing(mut self, prompt: &'a str) -> Self {
        self.prompt = Some(prompt);
        self
    }

    #[must_use]
    pub const fn count(&self) -> usize {
        self.count
    }
}

/// How the letter was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A `"choice": "B"` field.
    Json,
    /// The whole reply is the letter.
    Whole,
    /// "the answer is B", "I choose B", "答案是B".
    Phrase,
    /// "Option B", "选项B".
    Option,
    /// A line starting with the letter.
    Leading,
    /// The reply contains exactly one option's full text.
    OptionText,
    /// A lone capital letter in prose.
    Isolated,
}

/// A usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedChoice {
    /// 0-based position among the presented options.
    pub index: usize,
    /// `A`..`Z`.
    pub letter: char,
    pub method: Method,
}

/// Why no answer could be read. Recorded as is; the episode is never given a default answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParseFailure {
    #[error("there are no options to choose from")]
    NoOptions,
    #[error("{count} options cannot be lettered A–Z")]
    TooManyOptions { count: usize },
    #[error("the reply is empty")]
    Empty,
    #[error("the reply holds only a reasoning block")]
    OnlyReasoning,
    #[error("the reply names {letter}, but the options are {}", letter_range(*.options))]
    OutOfRange { letter: char, options: usize },
    #[error("the reply names several options with equal standing: {}", join_letters(.letters))]
    Ambiguous { letters: Vec<char> },
    #[error("the reply only repeats the option list")]
    RepeatsOptions,
    #[error("a choice field holds {value:?}, which is not an option letter")]
    UnusableValue { value: String },
    #[error("no option letter found in the reply")]
    NoChoice,
}

impl ParseFailure {
    /// A stable snake_case code for records and tables.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NoOptions => "no_options",
            Self::TooManyOptions { .. } => "too_many_options",
            Self::Empty => "empty",
            Self::OnlyReasoning => "only_reasoning",
            Self::OutOfRange { .. } => "out_of_range",
            Self::Ambiguous { .. } => "ambiguous",
            Self::RepeatsOptions => "repeats_options",
            Self::UnusableValue { .. } => "unusable_value",
            Self::NoChoice => "no_choice",
        }
    }
}

fn letter_range(options: usize) -> String {
    match options.checked_sub(1).and_then(letter) {
        Some('A') => "only A".to_owned(),
        Some(last) => format!("A–{last}"),
        None => "none".to_owned(),
    }
}

fn join_letters(letters: &[char]) -> String {
    let mut out = String::new();
    for (i, c) in letters.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push(*c);
    }
    out
}

/// The letters of `count` options as a list for prose: `A, B, C, D` (`A、B、C、D` in Chinese).
#[must_use]
pub fn letter_list(count: usize, language: Language) -> String {
    let sep = match language {
        Language::En => ", ",
        Language::Zh => "、",
    };
    let mut out = String::new();
    for i in 0..count.min(MAX_OPTIONS) {
        if i > 0 {
            out.push_str(sep);
        }
        if let Some(c) = letter(i) {
            out.push(c);
        }
    }
    out
}

/// The short follow-up sent once when a reply could not be parsed.
#[must_use]
pub fn correction_message(language: Language, count: usize) -> String {
    let letters = letter_list(count, language);
    match language {
        Language::En => format!(
            "I could not tell which option you chose. Reply with only this JSON object and \
             nothing else: {{\"choice\": \"<letter>\", \"reason\": \"<one sentence>\"}}, where \
             <letter> is one of {letters}."
        ),
        Language::Zh => format!(
            "我没能从你的回复中看出你选了哪一项。请只回复下面这个 JSON 对象，不要写其他内容：\
             {{\"choice\": \"<字母>\", \"reason\": \"<一句话>\"}}，其中 <字母> 是 {letters} 之一。"
        ),
    }
}

/// Read the chosen option from `reply`.
///
/// # Errors
/// A [`ParseFailure`] saying why no single valid letter could be read.
pub fn parse_choice(reply: &str, choices: Choices<'_>) -> Result<ParsedChoice, ParseFailure> {
    let count = choices.count;
    if count == 0 {
        return Err(ParseFailure::NoOptions);
    }
    if count > MAX_OPTIONS {
        return Err(ParseFailure::TooManyOptions { count });
    }
    if reply.trim().is_empty() {
        return Err(ParseFailure::Empty);
    }
    let folded = fold(reply);
    let (body, had_reasoning) = strip_reasoning(&folded);
    if body.trim().is_empty() {
        return Err(if had_reasoning {
            ParseFailure::OnlyReasoning
        } else {
            ParseFailure::Empty
        });
    }
    let body = match choices.prompt {
        Some(prompt) => strip_echo(&body, &fold(prompt)),
        None => body,
    };
    let texts: Vec<String> = choices
        .texts
        .iter()
        .map(|t| fold(t).trim().to_owned())
        .collect();
    let (body, listed) = drop_listing(&body, &texts);
    let chars: Vec<char> = body.chars().collect();
    let scan = Scan::new(&chars, count);

    let mut unusable = None;
    let json = scan.json_fields(&texts, &mut unusable);
    if let Some(r) = decide(&json, Method::Json, count) {
        return r;
    }
    if let Some(r) = decide(&whole(&body, count), Method::Whole, count) {
        return r;
    }
    if let Some(r) = decide(&scan.phrases(STRONG_MARKERS), Method::Phrase, count) {
        return r;
    }
    if let Some(r) = decide(&scan.phrases(WEAK_MARKERS), Method::Option, count) {
        return r;
    }
    if let Some(r) = decide(&leading(&body, count), Method::Leading, count) {
        return r;
    }
    if let Some(r) = decide(&option_text(&body, &texts), Method::OptionText, count) {
        return r;
    }
    if let Some(r) = decide(&scan.isolated(), Method::Isolated, count) {
        return r;
    }
    Err(match unusable {
        Some(value) => ParseFailure::UnusableValue { value },
        None if listed => ParseFailure::RepeatsOptions,
        None => ParseFailure::NoChoice,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_indices() {
        assert_eq!(letter(0), Some('A'));
        assert_eq!(letter(25), Some('Z'));
        assert_eq!(letter(26), None);
        assert_eq!(index_of('b'), Some(1));
        assert_eq!(index_of('Ｂ'), None);
        assert_eq!(index_of('1'), None);
    }
}
