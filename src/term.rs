//! The terminal boundary: text from scripts, stores, exports and servers is shown only through
//! [`clean`] / [`clean_field`], so its bytes can never drive the terminal (set the title,
//! write the clipboard with OSC 52, move the cursor, hide text).
//!
//! Control characters (C0, DEL, C1) and the bidirectional overrides that can make text read
//! differently from what it is are replaced by visible escapes (`\x1b`, `\u{9b}`,
//! `\u{202e}`), so the data stays readable and nothing is silently dropped. The command line
//! prints through [`out`] and [`err`] (the `outln!`/`errln!` macros), which clean everything
//! they print, keeping only line feeds; exports in Markdown and CSV escape the same way.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write as _;

/// Whether `c` must not reach a terminal raw.
#[must_use]
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape_into(out: &mut String, c: char) {
    let n = u32::from(c);
    if n < 0x80 {
        let _ = write!(out, "\\x{n:02x}");
    } else {
        let _ = write!(out, "\\u{{{n:x}}}");
    }
}

fn clean_with(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) && !keep(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Multi-line text for a terminal or a human-readable export: line feeds stay, every other
/// control character (tab and carriage return included) is shown as an escape.
#[must_use]
pub fn clean(text: &str) -> Cow<'_, str> {
    clean_with(text, |c| c == '\n')
}

/// A single-line field (an id, a name, a table cell): every control character, line feeds
/// included, is shown as an escape.
#[must_use]
pub fn clean_field(text: &str) -> Cow<'_, str> {
    clean_with(text, |_| false)
}

/// JSON text safe for a terminal and the same data for any JSON reader: serde_json leaves
/// DEL, C1 controls and bidirectional overrides raw inside strings, and they become `\uXXXX`
/// escapes here (they cannot occur outside strings).
#[must_use]
pub fn json_safe(json: String) -> String {
    // serde_json escapes every C0 control inside strings, so a raw line feed is layout
    // (pretty printing) and stays.
    let unsafe_here = |c: char| c != '\n' && is_unsafe(c);
    if !json.chars().any(unsafe_here) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_here(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// A value as one line of terminal-safe JSON.
///
/// # Errors
/// Those of `serde_json`.
pub fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string(value).map(json_safe)
}

/// A value as pretty, terminal-safe JSON.
///
/// # Errors
/// Those of `serde_json`.
pub fn to_json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string_pretty(value).map(json_safe)
}

/// Display width of `text` in terminal columns (wide CJK characters count two).
#[must_use]
pub fn width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` cut to at most `max` display columns, ending in `…` when cut.
#[must_use]
pub fn truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `text` padded with spaces to `width` display columns.
#[must_use]
pub fn pad(text: &str, columns: usize) -> String {
    format!("{text}{}", " ".repeat(columns.saturating_sub(width(text))))
}

/// `text` cut to at most `max` display columns at a word boundary, ending in `…` when cut. A
/// text without spaces (Chinese) is cut between characters.
#[must_use]
pub fn truncate_words(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    let cut = truncate(text, max);
    let body = cut.strip_suffix('…').unwrap_or(&cut);
    // Back to the last space, unless that leaves less than half the room (a long word).
    match body.rfind(' ') {
        Some(i) if width(&body[..i]) * 2 >= max => format!("{}…", body[..i].trim_end()),
        _ => cut,
    }
}

/// Print cleaned text on stdout. A closed pipe (`socius … | head`) is not an error: the rest
/// is dropped quietly instead of panicking like `print!`.
pub fn out(text: &str) {
    let mut lock = std::io::stdout().lock();
    let _ = lock
        .write_all(clean(text).as_bytes())
        .and_then(|()| lock.flush());
}

/// Print cleaned text on stderr.
pub fn err(text: &str) {
    let mut lock = std::io::stderr().lock();
    let _ = lock.write_all(clean(text).as_bytes());
}

/// `print!` through [`clean`](crate::term::clean).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::term::out(&format!($($arg)*)) };
}

/// `println!` through [`clean`](crate::term::clean).
#[macro_export]
macro_rules! outln {
    () => { $crate::term::out("\n") };
    ($($arg:tt)*) => {{
        let mut text = format!($($arg)*);
        text.push('\n');
        $crate::term::out(&text)
    }};
}

/// `eprint!` through [`clean`](crate::term::clean).
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => { $crate::term::err(&format!($($arg)*)) };
}

/// `eprintln!` through [`clean`](crate::term::clean).
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        let mut text = format!($($arg)*);
        text.push('\n');
        $crate::term::err(&text)
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cut_between_words() {
        let msg = "store error: the store at /tmp/x cannot be written";
        assert_eq!(truncate_words(msg, 80), msg);
        assert_eq!(truncate_words(msg, 30), "store error: the store at…");
        assert!(width(&truncate_words(msg, 30)) <= 30);
        // One long word: cut inside it rather than leave almost nothing.
        assert_eq!(truncate_words("a supercalifragilistic", 12), "a supercali…");
        assert_eq!(truncate_words("存储错误：无法写入存储", 9), "存储错误…");
    }

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(clean("plain 中文\nnext"), "plain 中文\nnext");
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
        assert_eq!(
            clean("\u{1b}]0;title\u{7}x\u{1b}[2J"),
            "\\x1b]0;title\\x07x\\x1b[2J"
        );
        assert_eq!(clean("a\r\tb\u{7f}"), "a\\x0d\\x09b\\x7f");
        assert_eq!(clean("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(clean("abc\u{202e}cba"), "abc\\u{202e}cba");
        assert_eq!(clean_field("two\nlines"), "two\\x0alines");
    }

    #[test]
    fn json_keeps_the_data_and_loses_the_controls() {
        let value = serde_json::json!({"t": "a\u{1b}b\u{7f}c\u{9b}d\u{202e}e\n"});
        let text = to_json(&value).unwrap();
        assert_eq!(text, r#"{"t":"a\u001bb\u007fc\u009bd\u202ee\n"}"#);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
        let pretty = to_json_pretty(&value).unwrap();
        assert!(pretty.contains("{\n  \"t\""), "{pretty}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&pretty).unwrap(),
            value
        );
    }

    #[test]
    fn truncation_and_padding_count_display_columns() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("厨房打扫干净", 7), "厨房打…");
        assert_eq!(truncate("abcdefgh", 5), "abcd…");
        assert_eq!(pad("中文", 6), "中文  ");
        assert_eq!(pad("toolong", 3), "toolong");
    }

    #[test]
    fn nothing_unsafe_survives() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!clean(&all).chars().any(|c| is_unsafe(c) && c != '\n'));
        assert!(!clean_field(&all).chars().any(is_unsafe));
    }
}
