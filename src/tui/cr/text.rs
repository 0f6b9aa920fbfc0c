//! Sentences of a therapist's turn, for tagging each with its strategy and for showing the
//! tags after the sentences they belong to.

/// Whether `c` ends a sentence wherever it stands (the Chinese full stop, exclamation and
/// question marks).
const fn wide_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？')
}

/// Whether `c` may end a sentence (`.` `!` `?`) when what follows is a space, the end, or
/// not Latin (so `3.5` and `e.g.x` stay whole).
const fn narrow_end(c: char) -> bool {
    matches!(c, '.' | '!' | '?')
}

/// What may stay glued to the end of a sentence: more end marks, closing quotes and brackets.
const fn trailing(c: char) -> bool {
    matches!(
        c,
        '.' | '!'
            | '?'
            | '。'
            | '！'
            | '？'
            | '"'
            | '\''
            | ')'
            | '”'
            | '’'
            | '）'
            | '」'
            | '』'
            | '…'
    )
}

/// `text` split into sentences on `. ! ? 。！？`, each trimmed, none empty. A text without an
/// end mark is one sentence.
#[must_use]
pub fn sentences(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let ends = wide_end(c)
            || (narrow_end(c)
                && chars
                    .get(i + 1)
                    .is_none_or(|n| n.is_whitespace() || !n.is_ascii() || trailing(*n)));
        if ends {
            let mut j = i + 1;
            while j < chars.len() && trailing(chars[j]) {
                j += 1;
            }
            push(&chars[start..j], &mut out);
            start = j;
            i = j;
        } else {
            i += 1;
        }
    }
    push(&chars[start..], &mut out);
    out
}

fn push(part: &[char], out: &mut Vec<String>) {
    let s: String = part.iter().collect();
    let s = s.trim();
    if !s.is_empty() {
        out.push(s.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_chinese_and_mixed_text_split_at_end_marks() {
        assert_eq!(
            sentences("I hear you. That sounds hard! What went through your mind?"),
            [
                "I hear you.",
                "That sounds hard!",
                "What went through your mind?"
            ]
        );
        assert_eq!(
            sentences("我听到了。这听起来很难！当时你在想什么？"),
            ["我听到了。", "这听起来很难！", "当时你在想什么？"]
        );
        assert_eq!(
            sentences("You scored 3.5 out of 5. \"Really?!\" she said"),
            ["You scored 3.5 out of 5.", "\"Really?!\"", "she said"]
        );
        assert_eq!(sentences("no end mark"), ["no end mark"]);
        assert_eq!(sentences("Wait... what?"), ["Wait...", "what?"]);
        assert!(sentences("   ").is_empty());
        assert_eq!(sentences("好的.Next"), ["好的.Next"]);
        assert_eq!(sentences("好的.然后"), ["好的.", "然后"]);
    }
}
