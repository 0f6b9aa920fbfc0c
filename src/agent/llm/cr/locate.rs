//! Finding a JSON value in a model's reply: the whole reply, inside a code fence, or embedded
//! in prose, with the slips models make most (Python literals, trailing commas) repaired.
//! Bounded: at most [`MAX_CANDIDATES`] candidates are tried, and nothing recurses over the
//! text (`serde_json` refuses nesting deeper than 128).

use serde_json::Value;

use super::reply::{MAX_CANDIDATES, Method};

/// The contents of every code fence (```` ``` ```` … ```` ``` ````), the info string dropped;
/// an unclosed fence runs to the end.
pub(super) fn fences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        let body_start = after.find('\n').map_or(after.len(), |n| n + 1);
        let info = &after[..body_start];
        // An info string is one word (`json`); anything else is content on the fence line.
        let body = if info.trim().contains(char::is_whitespace) || info.contains('{') {
            after
        } else {
            &after[body_start..]
        };
        match body.find("```") {
            Some(close) => {
                out.push(&body[..close]);
                rest = &body[close + 3..];
            }
            None => {
                out.push(body);
                break;
            }
        }
    }
    out
}

/// The text without code-fence lines (the contents kept).
pub(super) fn without_fences(text: &str) -> String {
    if !text.contains("```") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for l in text.lines() {
        let t = l.trim();
        if let Some(rest) = t.strip_prefix("```") {
            // The fence itself, maybe with an info string or text glued to it.
            let rest = rest.trim_end_matches('`');
            let info = rest.trim();
            if !info.is_empty() && info.contains(char::is_whitespace) {
                out.push_str(info);
                out.push('\n');
            }
            continue;
        }
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// The end (exclusive) of the balanced JSON object or array starting at `start` (which holds
/// `{` or `[`), strings and escapes respected.
fn balanced_end(text: &str, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate().skip(start) {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// `candidate` with the JSON slips models make most fixed — Python's `True`, `False` and
/// `None`, and trailing commas — outside strings; `None` when there was nothing to fix.
fn repair(candidate: &str) -> Option<String> {
    let b = candidate.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut changed = false;
    let mut in_string = false;
    let mut escaped = false;
    let word_edge = |i: usize| i >= b.len() || !(b[i].is_ascii_alphanumeric() || b[i] == b'_');
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_string {
            match c {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            out.push(c);
            i += 1;
            continue;
        }
        if c == b',' {
            let next = b[i + 1..].iter().find(|x| !x.is_ascii_whitespace());
            if matches!(next, Some(b'}' | b']')) {
                changed = true;
                i += 1;
                continue;
            }
        }
        let before = i == 0 || word_edge(i - 1);
        let swapped = [("True", "true"), ("False", "false"), ("None", "null")]
            .into_iter()
            .find(|(from, _)| {
                before && b[i..].starts_with(from.as_bytes()) && word_edge(i + from.len())
            });
        if let Some((from, to)) = swapped {
            out.extend_from_slice(to.as_bytes());
            changed = true;
            i += from.len();
            continue;
        }
        if c == b'"' {
            in_string = true;
        }
        out.push(c);
        i += 1;
    }
    if changed {
        String::from_utf8(out).ok()
    } else {
        None
    }
}

/// `text` as JSON, as written or [`repair`]ed.
fn parse_json(text: &str) -> Option<Value> {
    serde_json::from_str(text)
        .ok()
        .or_else(|| repair(text).and_then(|t| serde_json::from_str(&t).ok()))
}

/// A JSON value in `text`: the whole of it, else the first balanced object (or array, when
/// `arrays`) that parses and that `accept` takes. Objects inside a candidate are not tried on
/// their own (a sentence item is not a reply), and a candidate the text ends inside of stops
/// the search (what follows is inside it). At most [`MAX_CANDIDATES`] are tried.
fn find_value<T>(
    text: &str,
    arrays: bool,
    accept: &mut dyn FnMut(&Value) -> Option<T>,
) -> Option<(T, bool)> {
    let opens: &[char] = if arrays { &['{', '['] } else { &['{'] };
    let mut from = 0;
    for _ in 0..MAX_CANDIDATES {
        let start = from + text.get(from..)?.find(opens)?;
        let end = balanced_end(text, start)?;
        if let Some(v) = parse_json(&text[start..end])
            && let Some(t) = accept(&v)
        {
            let whole = text[..start].trim().is_empty() && text[end..].trim().is_empty();
            return Some((t, whole));
        }
        from = end;
    }
    None
}

/// A JSON value in the reply: as a whole or embedded, else in a fence.
pub(super) fn locate<T>(
    text: &str,
    arrays: bool,
    accept: &mut dyn FnMut(&Value) -> Option<T>,
) -> Option<(T, Method)> {
    let in_fences = fences(text);
    // A reply that is one fence and nothing else reads as fenced, not embedded.
    let outside = text.contains("```");
    if !outside && let Some((t, whole)) = find_value(text, arrays, accept) {
        return Some((
            t,
            if whole {
                Method::Json
            } else {
                Method::Embedded
            },
        ));
    }
    for body in in_fences {
        if let Some((t, _)) = find_value(body, arrays, accept) {
            return Some((t, Method::Fenced));
        }
    }
    if outside {
        // Prose around a fence that held nothing usable may still embed the object.
        let rest = without_fences(text);
        if let Some((t, _)) = find_value(&rest, arrays, accept) {
            return Some((t, Method::Embedded));
        }
    }
    None
}
