//! The 32 BESSI interpersonal abilities SocialEval tags choices with, in five categories, and
//! name normalisation for tags as they appear in the wild.

/// The five ability categories, each with its abilities (canonical lower-case names).
pub const CATEGORIES: [(&str, &[&str]); 5] = [
    (
        "self-management",
        &[
            "task management",
            "time management",
            "detail management",
            "organizational skill",
            "responsibility management",
            "capacity for consistency",
            "goal regulation",
            "rule-following skill",
            "decision-making skill",
            "adaptability",
            "capacity for independence",
            "self-reflection skill",
        ],
    ),
    (
        "social engagement",
        &[
            "leadership skill",
            "persuasive skill",
            "conversational skill",
            "expressive skill",
            "energy regulation",
        ],
    ),
    (
        "cooperation",
        &[
            "teamwork skill",
            "capacity for trust",
            "perspective-taking skill",
            "capacity for social warmth",
            "ethical competence",
        ],
    ),
    (
        "emotional resilience",
        &[
            "stress regulation",
            "capacity for optimism",
            "anger management",
            "confidence regulation",
            "impulse regulation",
        ],
    ),
    (
        "innovation",
        &[
            "abstract thinking skill",
            "creative skill",
            "artistic skill",
            "cultural competence",
            "information processing skill",
        ],
    ),
];

/// All 32 canonical names, category by category.
pub fn all() -> impl Iterator<Item = &'static str> {
    CATEGORIES
        .iter()
        .flat_map(|(_, names)| names.iter().copied())
}

/// Whether `name` is exactly a canonical BESSI name.
#[must_use]
pub fn is_canonical(name: &str) -> bool {
    all().any(|n| n == name)
}

/// The category of a canonical ability name.
#[must_use]
pub fn category_of(name: &str) -> Option<&'static str> {
    CATEGORIES
        .iter()
        .find(|(_, names)| names.contains(&name))
        .map(|(cat, _)| *cat)
}

/// A tag reduced to a comparable form: lower case, control characters and separator noise turned
/// into single hyphens/spaces, trailing punctuation (ASCII or full-width) removed.
#[must_use]
pub fn simplify(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for ch in raw.chars() {
        let ch = match ch {
            // Control characters stand in for hyphens in the release ("rule\x02following").
            c if c.is_control() => '-',
            '‐' | '‑' | '‒' | '–' | '—' | '－' | '_' => '-',
            '　' => ' ',
            c => c,
        };
        for lc in ch.to_lowercase() {
            out.push(lc);
        }
    }
    let trimmed = out.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '。' | '.' | ',' | '，' | ';' | '；' | ':' | '：' | '、' | '"' | '\'' | '“' | '”'
            )
    });
    // Collapse runs of whitespace; tidy spaces around hyphens.
    let mut collapsed = String::with_capacity(trimmed.len());
    let mut prev_space = false;
    for c in trimmed.chars() {
        if c.is_whitespace() {
            if !prev_space {
                collapsed.push(' ');
            }
            prev_space = true;
        } else {
            prev_space = false;
            collapsed.push(c);
        }
    }
    collapsed
        .replace(" - ", "-")
        .replace(" -", "-")
        .replace("- ", "-")
}

/// Levenshtein distance over chars.
#[must_use]
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// A tag as the official SocialEval IAE script keys it: lowercased, `-` and spaces removed (so
/// `Teamwork Skill` and `teamwork skill` are one key, and a damaged tag a key of its own).
#[must_use]
pub fn official_key(tag: &str) -> String {
    tag.replace(['-', ' '], "").to_lowercase()
}

/// The canonical name nearest to `raw` and its edit distance (after [`simplify`]).
#[must_use]
pub fn nearest(raw: &str) -> (&'static str, usize) {
    let s = simplify(raw);
    let mut best = ("", usize::MAX);
    for name in all() {
        let d = edit_distance(&s, name);
        if d < best.1 {
            best = (name, d);
        }
    }
    best
}

/// Facet descriptions that stand in the release where an ability's name belongs, with the
/// ability they describe (after [`simplify`]).
const FACETS: &[(&str, &str)] = &[("intentionally resisting impulses", "impulse regulation")];

/// How a raw tag maps onto BESSI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalized {
    /// Already canonical.
    Exact(&'static str),
    /// Safely repaired (case, control characters, punctuation, a near-miss spelling, or a
    /// truncated name with a unique completion).
    Repaired(&'static str),
    /// Not a BESSI name; the nearest one is given as a suggestion.
    Unknown { nearest: &'static str },
}

/// Map a raw ability tag to a canonical BESSI name when that is safe.
///
/// Safe means: equal after [`simplify`]; a unique canonical name that starts with a truncated tag
/// of at least 8 characters; or an edit distance of at most 2 (3 for names over 15 characters)
/// to exactly one canonical name.
#[must_use]
pub fn normalize(raw: &str) -> Normalized {
    if let Some(name) = all().find(|n| *n == raw) {
        return Normalized::Exact(name);
    }
    let s = simplify(raw);
    if let Some(name) = all().find(|n| *n == s) {
        return Normalized::Repaired(name);
    }
    if let Some((_, name)) = FACETS.iter().find(|(facet, _)| *facet == s) {
        return Normalized::Repaired(name);
    }
    if s.chars().count() >= 8 {
        let mut prefixed = all().filter(|n| n.starts_with(s.as_str()));
        if let (Some(name), None) = (prefixed.next(), prefixed.next()) {
            return Normalized::Repaired(name);
        }
    }
    let (name, d) = nearest(&s);
    let limit = if s.chars().count() > 15 { 3 } else { 2 };
    let ties = all().filter(|n| edit_distance(&s, n) == d).count();
    if d <= limit && ties == 1 {
        Normalized::Repaired(name)
    } else {
        Normalized::Unknown { nearest: name }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_two_abilities_in_five_categories() {
        assert_eq!(all().count(), 32);
        assert_eq!(CATEGORIES.map(|(_, n)| n.len()), [12, 5, 5, 5, 5]);
        assert_eq!(
            category_of("anger management"),
            Some("emotional resilience")
        );
        assert_eq!(category_of("juggling"), None);
    }

    #[test]
    fn repairs_the_release_kinds_of_damage() {
        assert_eq!(
            normalize("Capacity for Independence"),
            Normalized::Repaired("capacity for independence")
        );
        assert_eq!(
            normalize("rule\u{2}following skill"),
            Normalized::Repaired("rule-following skill")
        );
        assert_eq!(
            normalize("perspective-taking skill。"),
            Normalized::Repaired("perspective-taking skill")
        );
        assert_eq!(
            normalize("capacity for social"),
            Normalized::Repaired("capacity for social warmth")
        );
        assert_eq!(
            normalize("persuasive skil"),
            Normalized::Repaired("persuasive skill")
        );
        assert_eq!(
            normalize("teamwork skill"),
            Normalized::Exact("teamwork skill")
        );
        assert_eq!(
            normalize("Intentionally resisting impulses"),
            Normalized::Repaired("impulse regulation")
        );
    }

    #[test]
    fn ambiguous_or_foreign_names_stay_unknown() {
        // "capacity for " is a prefix of four names: not safe to guess.
        assert!(matches!(
            normalize("capacity for "),
            Normalized::Unknown { .. }
        ));
        assert!(matches!(normalize("juggling"), Normalized::Unknown { .. }));
        let Normalized::Unknown { nearest } = normalize("empathy skill") else {
            panic!("empathy is not BESSI");
        };
        assert!(is_canonical(nearest));
    }
}
