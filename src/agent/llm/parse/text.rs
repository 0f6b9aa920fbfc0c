//! Text shapes the parser relies on: folding full-width forms, removing reasoning blocks and
//! prompt echoes, and recognising lines that start with an option letter.

use super::index_of;

/// Fold full-width ASCII (`Ｂ`, `：`, `（`), the ideographic space and common Chinese
/// punctuation to ASCII, character by character.
#[must_use]
pub fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '。' => '.',
        '、' => ',',
        '“' | '”' | '「' | '」' | '『' | '』' => '"',
        '‘' | '’' => '\'',
        '【' => '[',
        '】' => ']',
        _ => c,
    }
}

const THINK_OPEN: &[&str] = &["<think>", "<thinking>"];
const THINK_CLOSE: &[&str] = &["</think>", "</thinking>"];

fn find_any(hay: &str, from: usize, needles: &[&str]) -> Option<(usize, usize)> {
    needles
        .iter()
        .filter_map(|n| hay.get(from..)?.find(n).map(|p| (from + p, n.len())))
        .min()
}

/// Remove reasoning blocks. Returns the rest and whether any reasoning was seen.
pub(crate) fn strip_reasoning(s: &str) -> (String, bool) {
    let lower = s.to_ascii_lowercase();
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    let mut seen = false;
    loop {
        let open = find_any(&lower, pos, THINK_OPEN);
        let close = find_any(&lower, pos, THINK_CLOSE);
        match (open, close) {
            (Some((o, olen)), c) if c.is_none_or(|(c, _)| o < c) => {
                seen = true;
                out.push_str(&s[pos..o]);
                match find_any(&lower, o + olen, THINK_CLOSE) {
                    Some((c, clen)) => pos = c + clen,
                    None => return (out, seen),
                }
            }
            (_, Some((c, clen))) => {
                // A stray closing tag: what came before it was reasoning.
                seen = true;
                out.clear();
                pos = c + clen;
            }
            (_, None) => {
                out.push_str(&s[pos..]);
                return (out, seen);
            }
        }
    }
}

/// Cut an echo of the prompt: the whole prompt anywhere in the reply, or a long shared start.
pub(super) fn strip_echo(body: &str, prompt: &str) -> String {
    let prompt = prompt.trim();
    if prompt.is_empty() {
        return body.to_owned();
    }
    if let Some(p) = body.find(prompt) {
        let mut out = String::with_capacity(body.len() - prompt.len());
        out.push_str(&body[..p]);
        out.push_str(&body[p + prompt.len()..]);
        return out;
    }
    let start = body.len() - body.trim_start().len();
    let rest = &body[start..];
    let shared: usize = rest
        .char_indices()
        .zip(prompt.chars())
        .take_while(|((_, a), b)| a == b)
        .map(|((_, a), _)| a.len_utf8())
        .sum();
    if shared >= 64 {
        rest[shared..].to_owned()
    } else {
        body.to_owned()
    }
}

/// Strip leading markdown decoration from a line: list bullets, quotes, headings, bold.
pub(super) fn strip_markdown(line: &str) -> &str {
    let mut l = line.trim();
    loop {
        let before = l.len();
        for p in ["- ", "* ", "> ", "#", "**", "__", "`"] {
            if let Some(rest) = l.strip_prefix(p) {
                l = rest.trim_start();
            }
        }
        if l.len() == before {
            return l;
        }
    }
}

/// A line that begins with an option letter: `B.`, `B:`, `B)`, `(B)`, `[B]`, `B,`, `**B**`,
/// `B` alone, `B` before non-ASCII text, or `B` followed by a word it cannot be part of.
/// Returns the letter and the rest of the line.
pub(super) fn letter_prefix(line: &str) -> Option<(char, &str)> {
    let mut it = line.char_indices();
    let (_, first) = it.next()?;
    if first == '(' || first == '[' {
        let (_, c) = it.next()?;
        let (i, close) = it.next()?;
        return (c.is_ascii_alphabetic() && matches!(close, ')' | ']'))
            .then(|| (c, &line[i + close.len_utf8()..]));
    }
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let rest = &line[1..];
    let Some(next) = rest.chars().next() else {
        return Some((first, rest));
    };
    match next {
        ')' | ']' | '.' | ':' | ',' | ';' => Some((first, &rest[1..])),
        '*' if rest.starts_with("**") => Some((first, &rest[2..])),
        ' ' | '\t' => {
            let after = rest.trim_start();
            if after.starts_with("- ") || after.starts_with(':') || after.is_empty() {
                Some((first, after.trim_start_matches(['-', ':'])))
            } else if word_like(first, after) {
                None
            } else {
                Some((first, after))
            }
        }
        c if !c.is_ascii() => Some((first, rest)),
        _ => None,
    }
}

/// Whether a lone `a`/`A`/`i`/`I` followed by `after` (the text after one space) reads as the
/// English word rather than a letter. Other letters are never words. A capital before a
/// capitalised word may be a letter before a name (`A Mia: …`); a lowercase `a` before any word
/// is the article (`choose a JSON object`).
pub(super) fn word_like(c: char, after: &str) -> bool {
    const A_LETTER_NEXT: &[&str] = &[
        "or", "and", "nor", "vs", "is", "was", "seems", "looks", "sounds", "fits", "works",
        "because", "then",
    ];
    const I_LETTER_NEXT: &[&str] = &["or", "and", "nor", "vs", "is"];
    let list = match c {
        'a' | 'A' => A_LETTER_NEXT,
        'i' | 'I' => I_LETTER_NEXT,
        _ => return false,
    };
    let word: String = after
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    if word.is_empty() || (c != 'a' && !word.starts_with(|w: char| w.is_ascii_lowercase())) {
        return false;
    }
    !list.contains(&word.to_ascii_lowercase().as_str())
}

/// Set aside an echoed option list: two or more lines `X: …` / `X. …` holding option X's text,
/// or a near copy of it. Small models re-list the options and slip a word, stop early or copy
/// one option's text under another letter; a line they garbled is no more an answer than the
/// ones they copied, so once a list is seen every lettered line with text is set aside (a bare
/// `B` after the list stays: that is an answer).
pub(super) fn drop_listing(body: &str, texts: &[String]) -> (String, bool) {
    if texts.is_empty() {
        return (body.to_owned(), false);
    }
    let is_listing = |line: &str| -> Option<usize> {
        let (c, rest) = letter_prefix(strip_markdown(line))?;
        let i = index_of(c)?;
        let text = texts.get(i)?;
        (!text.is_empty() && (rest.contains(text.as_str()) || near_copy(rest, text))).then_some(i)
    };
    let mut letters: Vec<usize> = body.lines().filter_map(is_listing).collect();
    letters.sort_unstable();
    letters.dedup();
    if letters.len() < 2 {
        return (body.to_owned(), false);
    }
    let listed = |line: &str| {
        letter_prefix(strip_markdown(line)).is_some_and(|(_, rest)| {
            !rest
                .trim_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
                .is_empty()
        })
    };
    let kept: Vec<&str> = body.lines().filter(|l| !listed(l)).collect();
    (kept.join("\n"), true)
}

/// Whether `rest` (a line after its option letter, perhaps after the speaker's name) is a near
/// copy of `text`: it starts or ends like it, with at least 24 characters in common, or three
/// fifths of a shorter text (eight characters at least, the whole text when it is shorter than
/// that); or it is the start of `text`, cut short (a reply stopped by its token limit).
fn near_copy(rest: &str, text: &str) -> bool {
    let len = text.chars().count();
    let need = (len * 3 / 5).max(len.min(8)).min(24);
    let after_name = rest.find(':').map(|p| &rest[p + 1..]);
    std::iter::once(rest).chain(after_name).any(|s| {
        let s = s.trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '\'');
        let prefix = s
            .chars()
            .zip(text.chars())
            .take_while(|(a, b)| a == b)
            .count();
        let suffix = s
            .chars()
            .rev()
            .zip(text.chars().rev())
            .take_while(|(a, b)| a == b)
            .count();
        let cut_short = prefix > 0 && prefix == s.chars().count();
        cut_short || prefix.max(suffix) >= need
    })
}

/// Whether the rest of a line after a leading letter goes on listing letters (`A. B.`,
/// `A or B`, `A/B`, `A和B`).
pub(super) fn continues_letter_list(rest: &str) -> bool {
    let mut r = strip_markdown(rest);
    for joint in [
        "or ", "and ", "vs ", "vs. ", "nor ", "/", "&", "或", "和", "还是",
    ] {
        if let Some(after) = r.strip_prefix(joint) {
            r = after.trim_start();
            break;
        }
    }
    letter_prefix(r).is_some_and(|(_, after)| after.len() < r.len())
}

/// Punctuation that ends the clause a negation can reach across (after [`fold`]).
fn clause_break(c: char) -> bool {
    matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '\n' | '(' | ')')
}

/// English words that, among the three before a letter or a choice verb, say it is not the one
/// taken: `not B`, `wouldn't pick A`, `never A`, `better than C`, `instead of D`.
const NOT_BEFORE: &[&str] = &[
    "not", "never", "avoid", "against", "except", "than", "instead", "without", "nor", "neither",
];
/// Chinese characters just before a letter or `选` that negate it: `不选A`, `不是B`, `别选C`,
/// `并非D`, `没选A`.
const NOT_BEFORE_ZH: &[char] = &['不', '别', '非', '没', '勿'];
/// English words that, among the four after a letter in its clause, judge it badly: `A is
/// wrong`, `B would be rude`.
/// Only judgements: `B wouldn't hurt anyone` praises B, so negations after a letter are left
/// alone.
const BAD_AFTER: &[&str] = &[
    "wrong",
    "bad",
    "incorrect",
    "rude",
    "worse",
    "worst",
    "unkind",
    "harsh",
    "mean",
    "inappropriate",
    "dismissive",
];
/// Chinese judgements after a letter: `A不好`, `B不对`.
const BAD_AFTER_ZH: &[&str] = &["不好", "不对", "不合适", "不妥", "不行", "不可取", "错"];

/// Whether the clause before `before` (text ending just before a letter or a choice verb)
/// negates what follows.
pub(super) fn negated_by(before: &str) -> bool {
    let clause = before.rsplit(clause_break).next().unwrap_or("");
    // The Chinese characters right before it (at most three), without the 非 of 非常 ("very").
    let mut tail: Vec<char> = clause
        .chars()
        .rev()
        .take_while(|c| !c.is_ascii())
        .take(3)
        .collect();
    tail.reverse();
    let tail = String::from_iter(tail).replace("非常", "");
    let zh = tail.chars().any(|c| NOT_BEFORE_ZH.contains(&c));
    zh || clause
        .split(|c: char| !(c.is_ascii_alphabetic() || c == '\''))
        .filter(|w| !w.is_empty())
        .rev()
        .take(3)
        .any(|w| {
            let w = w.to_ascii_lowercase();
            NOT_BEFORE.contains(&w.as_str()) || w.ends_with("n't")
        })
}

/// Whether the clause after a letter (`after`, the text that follows it) judges it badly.
pub(super) fn judged_bad(after: &str) -> bool {
    let clause = after.split(clause_break).next().unwrap_or("");
    let head: String = clause.trim_start().chars().take(6).collect();
    let zh = BAD_AFTER_ZH
        .iter()
        .any(|b| head.contains(b) && !(*b == "错" && head.contains("不错")));
    zh || clause
        .split(|c: char| !(c.is_ascii_alphabetic() || c == '\''))
        .filter(|w| !w.is_empty())
        .take(4)
        .any(|w| BAD_AFTER.contains(&w.to_ascii_lowercase().as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasoning_blocks() {
        assert_eq!(strip_reasoning("<think>A</think>B").0, "B");
        assert_eq!(strip_reasoning("x<THINK>A").0, "x");
        assert_eq!(strip_reasoning("A is wrong</think> B").0, " B");
        assert_eq!(strip_reasoning("plain"), ("plain".to_owned(), false));
    }

    #[test]
    fn letter_prefixes() {
        assert_eq!(letter_prefix("B. yes"), Some(('B', " yes")));
        assert_eq!(letter_prefix("(c) no"), Some(('c', " no")));
        assert_eq!(letter_prefix("A good idea"), None);
        assert_eq!(letter_prefix("A or B"), Some(('A', "or B")));
        assert_eq!(letter_prefix("Be"), None);
        assert!(continues_letter_list(" B. C."));
        assert!(continues_letter_list("or B"));
        assert!(!continues_letter_list(" because"));
    }
}
