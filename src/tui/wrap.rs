//! Wrapping by display width, for Chinese, English and both mixed in one line.
//!
//! A line may break after a space, or before and after a wide (CJK) character, except before
//! closing punctuation (`，。！？、；：）」』` and their ASCII cousins) and after opening
//! brackets. A word longer than the width is cut. `\n` always breaks.

use unicode_width::UnicodeWidthChar;

fn no_break_before(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '！'
            | '？'
            | '、'
            | '；'
            | '：'
            | '）'
            | '」'
            | '』'
            | '》'
            | '”'
            | '’'
            | '…'
            | ','
            | '.'
            | '!'
            | '?'
            | ';'
            | ':'
            | ')'
    )
}

fn no_break_after(c: char) -> bool {
    matches!(c, '（' | '「' | '『' | '《' | '“' | '‘' | '(')
}

fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Display width of a string (the one in `term`).
pub use crate::term::width;

/// Wrap `text` to lines of at most `max` columns (at least 1). Empty input gives one empty line.
#[must_use]
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(2);
    let mut out = Vec::new();
    for para in text.split('\n') {
        wrap_paragraph(para.trim_end_matches('\r'), max, &mut out);
    }
    out
}

fn wrap_paragraph(text: &str, max: usize, out: &mut Vec<String>) {
    let mut line: Vec<char> = Vec::new();
    let mut line_w = 0usize;
    // Index in `line` where the line may be split (the part from it moves down), with the
    // width before it.
    let mut brk: Option<(usize, usize)> = None;
    let mut prev: Option<char> = None;
    for c in text.chars() {
        let c = if c == '\t' { ' ' } else { c };
        if c.is_control() {
            continue;
        }
        let w = char_width(c);
        let wide = w >= 2;
        if let Some(p) = prev {
            let can_break = if c == ' ' {
                false
            } else if p == ' ' {
                true
            } else {
                (wide || char_width(p) >= 2) && !no_break_before(c) && !no_break_after(p)
            };
            if can_break {
                brk = Some((line.len(), line_w));
            }
        }
        if line_w + w > max && c != ' ' {
            match brk {
                Some((at, _)) if at > 0 => {
                    let rest: Vec<char> = line.split_off(at);
                    push_line(&line, out);
                    line = rest.into_iter().skip_while(|c| *c == ' ').collect();
                }
                _ => {
                    push_line(&line, out);
                    line.clear();
                }
            }
            line_w = line.iter().map(|c| char_width(*c)).sum();
            brk = None;
        }
        if c == ' ' && line.is_empty() && !out.is_empty() && prev.is_some() && line_w == 0 {
            // A space carried to the start of a wrapped line is dropped.
            prev = Some(c);
            continue;
        }
        line.push(c);
        line_w += w;
        prev = Some(c);
    }
    push_line(&line, out);
}

fn push_line(line: &[char], out: &mut Vec<String>) {
    let s: String = line.iter().collect();
    out.push(s.trim_end().to_owned());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(lines: &[String], max: usize) {
        for l in lines {
            assert!(width(l) <= max, "{l:?} is wider than {max}");
        }
    }

    #[test]
    fn english_breaks_at_spaces() {
        let lines = wrap("the quick brown fox jumps over the lazy dog", 10);
        check(&lines, 10);
        assert_eq!(
            lines,
            ["the quick", "brown fox", "jumps over", "the lazy", "dog"]
        );
    }

    #[test]
    fn chinese_breaks_between_characters_but_not_before_closing_punctuation() {
        let lines = wrap("我们一起把厨房打扫干净，好吗？", 10);
        check(&lines, 10);
        assert_eq!(lines.concat(), "我们一起把厨房打扫干净，好吗？");
        for l in &lines[1..] {
            assert!(!l.starts_with('，') && !l.starts_with('？'), "{lines:?}");
        }
    }

    #[test]
    fn mixed_text_fills_lines_without_gaps() {
        let text = "她打开 MacBook Pro 看了一眼 deadline，然后叹了口气。";
        let lines = wrap(text, 12);
        check(&lines, 12);
        // Nothing lost but the spaces at break points.
        let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
        let want: String = text.chars().filter(|c| *c != ' ').collect();
        assert_eq!(joined, want);
        // Lines are filled: the first unit of the next line (a word, or a wide character with
        // the punctuation glued to it) would not have fitted on the line before.
        for pair in lines.windows(2) {
            let next = &pair[1];
            let first = next.chars().next().unwrap_or(' ');
            let unit: String = if first.is_ascii() {
                next.split(' ').next().unwrap_or("").to_owned()
            } else {
                next.chars()
                    .take(1)
                    .chain(next.chars().skip(1).take_while(|c| no_break_before(*c)))
                    .collect()
            };
            let sep = usize::from(first.is_ascii() || pair[0].ends_with(|c: char| c.is_ascii()));
            assert!(width(&pair[0]) + sep + width(&unit) > 12, "{lines:?}");
        }
    }

    #[test]
    fn long_words_are_cut_and_newlines_kept() {
        let lines = wrap("abcdefghijklmnop\nxy", 5);
        check(&lines, 5);
        assert_eq!(lines, ["abcde", "fghij", "klmno", "p", "xy"]);
        assert_eq!(wrap("", 5), [""]);
    }
}
