//! What a streamed turn shows while it arrives: a preview built piece by piece from the deltas,
//! so a reader (a person in the TUI, a clinician watching) never sees JSON, labels or a
//! model's `<think>` reasoning. The finished turn ([`super::reply`]) is what counts; in the
//! usual case it equals the preview joined.
//!
//! - [`TextValues`] (staged therapist): only the `"text"` string values of the structured
//!   reply, decoded (`\n`, `\"`, `\u4f60`, surrogate pairs), each trimmed, joined as
//!   [`super::reply::join_sentences`] joins them.
//! - [`PlainText`] (free therapist, client): the reply without `<think>…</think>` blocks,
//!   trimmed at both ends (whitespace is held back until more text follows).
//!
//! Both are pure state machines over `&str` pieces split anywhere (inside an escape, a tag,
//! or a multi-byte character's neighbours); they never allocate more than the current piece
//! and a few held characters.

use super::reply::needs_space;

/// Text shown while a value is read: leading whitespace dropped, inner whitespace held until
/// a visible character follows, a joining space between values.
#[derive(Debug, Default)]
struct Trimmer {
    started: bool,
    held: String,
    last: Option<char>,
}

impl Trimmer {
    /// A new value (sentence) begins.
    fn next_value(&mut self) {
        self.started = false;
        self.held.clear();
    }

    fn push(&mut self, c: char, out: &mut String) {
        if c.is_whitespace() {
            if self.started {
                self.held.push(c);
            }
            return;
        }
        if !self.started {
            if let Some(last) = self.last
                && needs_space(last, c)
            {
                out.push(' ');
            }
            self.started = true;
        }
        out.push_str(&self.held);
        self.held.clear();
        out.push(c);
        self.last = Some(c);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    /// Looking for `"text"`.
    #[default]
    Scan,
    /// After `"text"`, before `:`.
    Key,
    /// After `:`, before the opening quote.
    Colon,
    /// Inside the value.
    Value,
    /// After a backslash in the value.
    Escape,
    /// Inside `\uXXXX`: digits read so far and their value.
    Unicode(u8, u32),
}

/// The `"text"` values of a JSON reply, as they arrive (see the module docs).
#[derive(Debug, Default)]
pub struct TextValues {
    state: State,
    /// The last few characters seen while scanning (to recognise `"text"`).
    tail: String,
    /// A high surrogate waiting for its low half.
    high: Option<u32>,
    trim: Trimmer,
}

const KEY: &str = "\"text\"";

impl TextValues {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Start over (a new attempt of the call).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Feed a piece; what is to be shown goes to `out` (once per piece, if anything).
    pub fn push(&mut self, piece: &str, out: &mut dyn FnMut(&str)) {
        let mut shown = String::new();
        for c in piece.chars() {
            self.step(c, &mut shown);
        }
        if !shown.is_empty() {
            out(&shown);
        }
    }

    fn emit(&mut self, c: char, shown: &mut String) {
        if self.high.take().is_some() {
            self.trim.push(char::REPLACEMENT_CHARACTER, shown);
        }
        self.trim.push(c, shown);
    }

    fn unicode(&mut self, code: u32, shown: &mut String) {
        match code {
            0xD800..=0xDBFF => {
                if self.high.replace(code).is_some() {
                    self.trim.push(char::REPLACEMENT_CHARACTER, shown);
                }
            }
            0xDC00..=0xDFFF => {
                let c = self
                    .high
                    .take()
                    .and_then(|h| char::from_u32(0x10000 + ((h - 0xD800) << 10) + (code - 0xDC00)))
                    .unwrap_or(char::REPLACEMENT_CHARACTER);
                self.trim.push(c, shown);
            }
            _ => {
                let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                self.emit(c, shown);
            }
        }
    }

    fn step(&mut self, c: char, shown: &mut String) {
        match self.state {
            State::Scan => {
                self.tail.push(c);
                if self.tail.len() > 16 {
                    let cut = self.tail.len() - 8;
                    let cut = (cut..self.tail.len())
                        .find(|&i| self.tail.is_char_boundary(i))
                        .unwrap_or(self.tail.len());
                    self.tail.drain(..cut);
                }
                if self.tail.ends_with(KEY) {
                    self.tail.clear();
                    self.state = State::Key;
                }
            }
            State::Key => match c {
                ':' => self.state = State::Colon,
                c if c.is_whitespace() => {}
                c => {
                    self.state = State::Scan;
                    self.step(c, shown);
                }
            },
            State::Colon => match c {
                '"' => {
                    self.trim.next_value();
                    self.state = State::Value;
                }
                c if c.is_whitespace() => {}
                c => {
                    self.state = State::Scan;
                    self.step(c, shown);
                }
            },
            State::Value => match c {
                '\\' => self.state = State::Escape,
                '"' => {
                    if self.high.take().is_some() {
                        self.trim.push(char::REPLACEMENT_CHARACTER, shown);
                    }
                    self.state = State::Scan;
                }
                c => self.emit(c, shown),
            },
            State::Escape => {
                self.state = State::Value;
                let decoded = match c {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'u' => {
                        self.state = State::Unicode(0, 0);
                        return;
                    }
                    other => other,
                };
                self.emit(decoded, shown);
            }
            State::Unicode(n, acc) => match c.to_digit(16) {
                Some(d) => {
                    let acc = acc * 16 + d;
                    if n == 3 {
                        self.state = State::Value;
                        self.unicode(acc, shown);
                    } else {
                        self.state = State::Unicode(n + 1, acc);
                    }
                }
                None => {
                    // A broken escape: drop it and read on.
                    self.state = State::Value;
                    self.step(c, shown);
                }
            },
        }
    }
}

const OPEN_TAGS: [&str; 2] = ["<think>", "<thinking>"];
const CLOSE_TAGS: [&str; 2] = ["</think>", "</thinking>"];

/// A plain reply as it arrives, without `<think>` blocks, trimmed (see the module docs).
#[derive(Debug, Default)]
pub struct PlainText {
    thinking: bool,
    /// A possible tag being read (starts with `<`).
    tag: String,
    trim: Trimmer,
}

impl PlainText {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Start over (a new attempt of the call).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Feed a piece; what is to be shown goes to `out` (once per piece, if anything).
    pub fn push(&mut self, piece: &str, out: &mut dyn FnMut(&str)) {
        let mut shown = String::new();
        for c in piece.chars() {
            self.step(c, &mut shown);
        }
        if !shown.is_empty() {
            out(&shown);
        }
    }

    /// The reply ended: a tag that never completed is text after all.
    pub fn finish(&mut self, out: &mut dyn FnMut(&str)) {
        let mut shown = String::new();
        if !self.thinking {
            for c in std::mem::take(&mut self.tag).chars() {
                self.trim.push(c, &mut shown);
            }
        }
        self.tag.clear();
        if !shown.is_empty() {
            out(&shown);
        }
    }

    fn text(&mut self, c: char, shown: &mut String) {
        if !self.thinking {
            self.trim.push(c, shown);
        }
    }

    fn step(&mut self, c: char, shown: &mut String) {
        if self.tag.is_empty() && c != '<' {
            self.text(c, shown);
            return;
        }
        self.tag.push(c.to_ascii_lowercase());
        let tags: &[&str] = if self.thinking {
            &CLOSE_TAGS
        } else {
            &[OPEN_TAGS[0], OPEN_TAGS[1], CLOSE_TAGS[0], CLOSE_TAGS[1]]
        };
        if tags.contains(&self.tag.as_str()) {
            // An open tag starts reasoning; a close tag ends it (a stray one is dropped).
            self.thinking = OPEN_TAGS.contains(&self.tag.as_str());
            self.tag.clear();
            return;
        }
        if tags.iter().any(|t| t.starts_with(self.tag.as_str())) {
            return;
        }
        // Not a tag: what was held is text, except a last `<` that may start one.
        let held = std::mem::take(&mut self.tag);
        let (text, restart) = match held.strip_suffix('<') {
            Some(before) if !before.is_empty() => (before.to_owned(), true),
            _ => (held, false),
        };
        for t in text.chars() {
            self.text(t, shown);
        }
        if restart {
            self.tag.push('<');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::llm::cr::reply::join_sentences;

    fn run_values(pieces: &[&str]) -> (Vec<String>, String) {
        let mut v = TextValues::new();
        let mut shown = Vec::new();
        for p in pieces {
            v.push(p, &mut |s| shown.push(s.to_owned()));
        }
        let all = shown.concat();
        (shown, all)
    }

    fn run_plain(pieces: &[&str]) -> String {
        let mut v = PlainText::new();
        let mut shown = String::new();
        for p in pieces {
            v.push(p, &mut |s| shown.push_str(s));
        }
        v.finish(&mut |s| shown.push_str(s));
        shown
    }

    fn split_everywhere(s: &str) -> Vec<Vec<&str>> {
        let bounds: Vec<usize> = (0..=s.len()).filter(|&i| s.is_char_boundary(i)).collect();
        bounds
            .iter()
            .map(|&i| vec![&s[..i], &s[i..]])
            .chain(std::iter::once(
                s.char_indices()
                    .map(|(i, c)| &s[i..i + c.len_utf8()])
                    .collect(),
            ))
            .collect()
    }

    #[test]
    fn sentence_texts_only_in_any_split() {
        let reply = r#"{"sentences": [{"text": " That sounds \"hard\". ", "strategy": "empathize"},
            {"text":"What went\nthrough your mind?","strategy":"question"}],
            "stage_goal_met": false, "distortions": ["text"]}"#;
        let want = join_sentences(["That sounds \"hard\".", "What went\nthrough your mind?"]);
        for pieces in split_everywhere(reply) {
            assert_eq!(run_values(&pieces).1, want, "{pieces:?}");
        }
    }

    #[test]
    fn unicode_escapes_and_chinese_joining() {
        let reply = r#"{"sentences":[{"text":"\u542c\u8d77\u6765\u5f88\u96be\u3002"},{"text":"\ud83d\ude42 ok"},{"text":"bad \ud800 half"}]}"#;
        for pieces in split_everywhere(reply) {
            assert_eq!(
                run_values(&pieces).1,
                "听起来很难。🙂 ok bad \u{FFFD} half",
                "{pieces:?}"
            );
        }
    }

    #[test]
    fn nothing_but_values_is_shown() {
        let (_, all) =
            run_values(&["Sure! ```json\n{\"stage_goal_met\": true, \"distortions\": []}\n```"]);
        assert_eq!(all, "");
        let (shown, all) = run_values(&["{\"text\": \"a", "b\"}", "{\"text\"  :  \"c\"}"]);
        assert_eq!(all, "ab c");
        assert_eq!(shown, ["a", "b", " c"]);
    }

    #[test]
    fn think_blocks_are_hidden_in_any_split() {
        let reply =
            "<think>the client seems <b>tired</b>\n</think>\n\n  I hear you. <i>Really</i>.  ";
        for pieces in split_everywhere(reply) {
            assert_eq!(
                run_plain(&pieces),
                "I hear you. <i>Really</i>.",
                "{pieces:?}"
            );
        }
        assert_eq!(run_plain(&["a <", "thi"]), "a <thi");
        assert_eq!(run_plain(&["<THINKING>x</THINKING>y"]), "y");
        assert_eq!(run_plain(&["<think>never closed"]), "");
        assert_eq!(run_plain(&["a<<think>b</think>c"]), "a<c");
        assert_eq!(run_plain(&["你好，", "  我在。\n"]), "你好，  我在。");
    }
}
