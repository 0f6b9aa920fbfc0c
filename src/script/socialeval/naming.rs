//! Output names, tree ids, language and orientation hints derived from a source name.

use std::path::Path;

use super::SourceMeta;
use super::text::short_hash;
use crate::script::model::Language;

/// Names, id, language and orientation from a source name (see [`super::convert_tree`]).
pub(super) fn meta_for(source_name: &str) -> SourceMeta {
    let (file, sub) = match source_name.split_once('#') {
        Some((f, s)) => (f, Some(s)),
        None => (source_name, None),
    };
    let name = Path::new(file)
        .file_name()
        .map_or_else(|| file.to_owned(), |n| n.to_string_lossy().into_owned());
    let stem = strip_json(&name).to_owned();
    let (orientation, rest) = orientation_prefix(&stem);
    let tokens: Vec<&str> = rest.split('_').collect();
    let mut language = tokens.iter().find_map(|t| lang_token(t));
    let (file_stem, id) = if let Some(sub) = sub {
        let (entry, lang) = sub.rsplit_once('/').unwrap_or((sub, ""));
        if let Some(l) = lang_token(lang) {
            language = Some(l);
        }
        let (s, e, l) = (slug(&stem), slug(entry), slug(lang));
        (format!("{s}_{e}_{l}"), format!("socialeval-{s}-{e}-{l}"))
    } else if let (Some([a, b]), [lang, "example", index]) = (orientation, tokens.as_slice())
        && lang_token(lang).is_some()
        && !index.is_empty()
        && index.chars().all(|c| c.is_ascii_digit())
    {
        let code = |v: i8| {
            if v < 0 {
                format!("m{}", -v)
            } else {
                v.to_string()
            }
        };
        let (a, b) = (code(a), code(b));
        (
            format!("{a}_{b}_{lang}_example_{index}"),
            format!("socialeval-{a}_{b}-{lang}-{index}"),
        )
    } else {
        let s = slug(&stem);
        (s.clone(), format!("socialeval-{s}"))
    };
    SourceMeta {
        source: sub.map_or_else(|| name.clone(), |s| format!("{name}#{s}")),
        stem,
        id,
        file_stem,
        language,
        orientation,
    }
}

fn strip_json(name: &str) -> &str {
    let n = name.len();
    if n > 5 && name.is_char_boundary(n - 5) && name[n - 5..].eq_ignore_ascii_case(".json") {
        &name[..n - 5]
    } else {
        name
    }
}

fn lang_token(t: &str) -> Option<Language> {
    match t.to_ascii_lowercase().as_str() {
        "en" => Some(Language::En),
        "cn" | "zh" => Some(Language::Zh),
        _ => None,
    }
}

/// `[1,-1]_rest` → (`[1, -1]`, `rest`).
fn orientation_prefix(stem: &str) -> (Option<[i8; 2]>, &str) {
    let parsed = stem
        .strip_prefix('[')
        .and_then(|s| s.split_once(']'))
        .and_then(|(code, rest)| {
            let (a, b) = code.split_once(',')?;
            let a: i8 = a.trim().parse().ok()?;
            let b: i8 = b.trim().parse().ok()?;
            Some(([a, b], rest.strip_prefix('_').unwrap_or(rest)))
        });
    match parsed {
        Some((code, rest)) => (Some(code), rest),
        None => (None, stem),
    }
}

/// A file-name and id friendly form: ASCII letters and digits in lower case, `-`, and `_` for
/// everything else. Names with other characters get a short hash so they stay distinct.
fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '-' {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    let out = out.trim_matches(['_', '-']).to_owned();
    let plain = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    match (out.is_empty(), plain) {
        (true, _) => format!("tree-{}", short_hash(s)),
        (false, true) => out,
        (false, false) => format!("{out}-{}", short_hash(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let m = meta_for("[1,1]_en_example_0.json");
        assert_eq!(
            (m.file_stem.as_str(), m.id.as_str()),
            ("1_1_en_example_0", "socialeval-1_1-en-0")
        );
        assert_eq!(m.orientation, Some([1, 1]));
        assert_eq!(m.language, Some(Language::En));
        let m = meta_for("/data/[-1,1]_cn_example_12.json");
        assert_eq!(
            (m.file_stem.as_str(), m.id.as_str()),
            ("m1_1_cn_example_12", "socialeval-m1_1-cn-12")
        );
        assert_eq!(m.source, "[-1,1]_cn_example_12.json");
        assert_eq!(m.language, Some(Language::Zh));
        let m = meta_for("merged.json#7/cn");
        assert_eq!(
            (m.file_stem.as_str(), m.id.as_str()),
            ("merged_7_cn", "socialeval-merged-7-cn")
        );
        assert_eq!(m.source, "merged.json#7/cn");
        let m = meta_for("My Tree.JSON");
        assert_eq!((m.file_stem.as_str(), m.language), ("my_tree", None));
        assert!(meta_for("小明.json").file_stem.starts_with("tree-"));
    }
}
