//! Mapping a model's spelling of a strategy or a distortion onto the protocol's catalogue id.
//!
//! Models write `"Mind reading"`, `"mind-reading"`, `"读心术"`, `"Catastrophising"` or
//! `"negotiation/question"` where the catalogue says `mind_reading`, `magnification` or
//! `question`. A spelling is matched in two tiers, first hit wins:
//!
//! 1. **exact**, after folding: ASCII case, spaces, `-`, `_`, `.`, quotes and full-width forms
//!    ignored, British `-ise`/`-isation` read as `-ize`/`-ization`; against the id and both
//!    names, each name also split at a parenthesis (`Magnification (catastrophizing)` gives
//!    `magnification` and `catastrophizing`); a spelling `category/sub` or `category: sub` is
//!    read by its last part; a category id or name stands for its sub-category when it has
//!    exactly one;
//! 2. **close**: the longest shared start with any key, at least 5 letters (2 Chinese
//!    characters) and 60 % of the shorter word (`empathy` → `empathize`, `labelling` →
//!    `labeling`), or, for Chinese, every character of a 3-character-or-longer spelling in order
//!    within a key (`情绪推理` → `情绪化推理`). A tie between two ids is no match.
//!
//! Anything else is unknown: the caller drops it and counts it.

use crate::script::cr::CrProtocol;

/// One catalogue entry and the folded spellings it answers to.
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    keys: Vec<String>,
}

/// The strategy and distortion catalogues of a protocol, ready to match spellings.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    strategies: Vec<Entry>,
    distortions: Vec<Entry>,
}

/// How a spelling was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    Exact,
    Close,
}

impl Catalogue {
    /// The catalogues of `protocol` (sub-categories for strategies).
    #[must_use]
    pub fn new(protocol: &CrProtocol) -> Self {
        let mut strategies: Vec<Entry> = protocol
            .all_strategies()
            .map(|(_, s)| Entry {
                id: s.id.clone(),
                keys: keys(&s.id, &[&s.name.en, &s.name.zh]),
            })
            .collect();
        // A category with a single sub-category stands for it.
        for c in &protocol.strategies {
            if let [only] = c.subcategories.as_slice()
                && let Some(e) = strategies.iter_mut().find(|e| e.id == only.id)
            {
                e.keys.extend(keys(&c.id, &[&c.name.en, &c.name.zh]));
            }
        }
        let distortions = protocol
            .distortions
            .iter()
            .map(|d| Entry {
                id: d.id.clone(),
                keys: keys(&d.id, &[&d.name.en, &d.name.zh]),
            })
            .collect();
        Self {
            strategies,
            distortions,
        }
    }

    /// The strategy id `spelling` names, if any.
    #[must_use]
    pub fn strategy(&self, spelling: &str) -> Option<(&str, Match)> {
        lookup(&self.strategies, spelling)
    }

    /// The distortion id `spelling` names, if any.
    #[must_use]
    pub fn distortion(&self, spelling: &str) -> Option<(&str, Match)> {
        lookup(&self.distortions, spelling)
    }

    /// Whether the catalogue has no distortions (nothing to match against).
    #[must_use]
    pub fn has_distortions(&self) -> bool {
        !self.distortions.is_empty()
    }
}

/// The folded keys of an entry: its id, and each name whole and split at a parenthesis.
fn keys(id: &str, names: &[&str]) -> Vec<String> {
    let mut out = vec![fold(id)];
    for name in names {
        for v in variants(name) {
            if !v.is_empty() && !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// A spelling whole, before and inside a parenthesis, and after the last `/` or `:`, folded.
fn variants(s: &str) -> Vec<String> {
    let s = s.trim();
    let mut out = vec![fold(s)];
    let open = s.find(['(', '（']);
    if let Some(open) = open {
        out.push(fold(&s[..open]));
        let inner = &s[open..];
        let inner = inner
            .trim_start_matches(['(', '（'])
            .split([')', '）'])
            .next()
            .unwrap_or("");
        out.push(fold(inner));
    }
    if let Some(cut) = s.rfind(['/', ':', '：']) {
        out.push(fold(s[cut..].trim_start_matches(['/', ':', '：'])));
    }
    out.retain(|v| !v.is_empty());
    out
}

/// Case, spaces, `-`, `_`, `.`, quotes and full-width forms ignored; British spellings read
/// as American.
#[must_use]
pub fn fold(s: &str) -> String {
    let mut out: String = crate::agent::llm::parse::fold(s)
        .chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '-' | '_' | '.' | '"' | '\'' | '`' | '*' | '·' | '‐' | '–' | '—'
                )
        })
        .flat_map(char::to_lowercase)
        .collect();
    for (from, to) in [("isation", "ization"), ("ising", "izing")] {
        out = out.replace(from, to);
    }
    if out.ends_with("ise") && out.is_ascii() {
        out.truncate(out.len() - 3);
        out.push_str("ize");
    }
    out
}

fn is_cjk(c: char) -> bool {
    ('\u{2E80}'..='\u{9FFF}').contains(&c) || ('\u{F900}'..='\u{FAFF}').contains(&c)
}

fn lookup<'a>(entries: &'a [Entry], spelling: &str) -> Option<(&'a str, Match)> {
    let tried = variants(spelling);
    for v in &tried {
        if let Some(e) = entries.iter().find(|e| e.keys.contains(v)) {
            return Some((&e.id, Match::Exact));
        }
    }
    let whole = tried.first()?;
    close(entries, whole).map(|id| (id, Match::Close))
}

/// The one entry sharing the longest start with `word` (see the module docs), if unique.
fn close<'a>(entries: &'a [Entry], word: &str) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    let mut tie = false;
    for e in entries {
        let score = e.keys.iter().map(|k| closeness(word, k)).max().unwrap_or(0);
        if score == 0 {
            continue;
        }
        match best {
            Some((b, id)) if score == b && id != e.id => tie = true,
            Some((b, _)) if score <= b => {}
            _ => {
                best = Some((score, &e.id));
                tie = false;
            }
        }
    }
    best.filter(|_| !tie).map(|(_, id)| id)
}

/// How close two folded words are: the length of their shared start when it is long enough,
/// or (Chinese) the spelling's length when its characters all occur in order in the key.
fn closeness(word: &str, key: &str) -> usize {
    let shared = word
        .chars()
        .zip(key.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let shorter = word.chars().count().min(key.chars().count());
    let cjk = word.chars().any(is_cjk);
    let floor = if cjk { 2 } else { 5 };
    if shared >= floor && shared * 10 >= shorter * 6 {
        return shared;
    }
    if cjk && word.chars().count() >= 3 && in_order(word, key) {
        return word.chars().count();
    }
    0
}

fn in_order(word: &str, key: &str) -> bool {
    let mut rest = key.chars();
    word.chars().all(|c| rest.any(|k| k == c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::cr::bundled_protocol;

    fn cat() -> Catalogue {
        Catalogue::new(bundled_protocol().expect("bundled"))
    }

    #[test]
    fn distortion_spellings() {
        let c = cat();
        let table: &[(&str, Option<&str>)] = &[
            ("mind_reading", Some("mind_reading")),
            ("Mind reading", Some("mind_reading")),
            ("MIND-READING", Some("mind_reading")),
            ("读心术", Some("mind_reading")),
            ("读心", Some("mind_reading")),
            ("Catastrophizing", Some("magnification")),
            ("catastrophising", Some("magnification")),
            ("Magnification (catastrophizing)", Some("magnification")),
            ("灾难化", Some("magnification")),
            ("Overgeneralisation", Some("overgeneralization")),
            ("all or nothing thinking", Some("all_or_nothing")),
            ("All-or-nothing", Some("all_or_nothing")),
            ("labelling", Some("labeling")),
            ("should", Some("should_statements")),
            ("“应该”句式", Some("should_statements")),
            ("情绪推理", Some("emotional_reasoning")),
            ("Ｍｉｎｄ ｒｅａｄｉｎｇ", Some("mind_reading")),
            ("jumping to conclusions", None),
            ("mind", None),
            ("", None),
            ("m", None),
        ];
        for (spelling, want) in table {
            assert_eq!(
                c.distortion(spelling).map(|(id, _)| id),
                *want,
                "{spelling:?}"
            );
        }
    }

    #[test]
    fn strategy_spellings() {
        let c = cat();
        let table: &[(&str, Option<&str>)] = &[
            ("question", Some("question")),
            ("Questioning", Some("question")),
            ("negotiation/question", Some("question")),
            ("Negotiation: Questioning", Some("question")),
            ("提问", Some("question")),
            ("empathy", Some("empathize")),
            ("Empathising", Some("empathize")),
            ("expression", Some("empathize")),
            ("reinforcement", Some("affirm")),
            ("affirmation", Some("affirm")),
            ("summary", Some("summarize")),
            ("restatement", Some("restate")),
            ("心理教育", Some("inform")),
            ("description", None),
            ("negotiation", None),
            ("reflection", None),
            ("validation", None),
        ];
        for (spelling, want) in table {
            assert_eq!(
                c.strategy(spelling).map(|(id, _)| id),
                *want,
                "{spelling:?}"
            );
        }
        assert_eq!(c.strategy("question").map(|(_, m)| m), Some(Match::Exact));
        assert_eq!(c.strategy("empathy").map(|(_, m)| m), Some(Match::Close));
    }
}
