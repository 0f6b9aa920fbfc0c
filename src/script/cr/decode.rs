//! From a positioned YAML tree to the CR model: the shape of `cr_protocol`, `cr_case` and
//! `cr_redteam` files (unknown keys, wrong types, missing fields), every problem collected.
//! Cross-references (ids, stage order, languages) are checked in `validate.rs`.
//!
//! Here: the helpers all three kinds share, cases and red-team files; the protocol's parts
//! are in `decode_protocol.rs`.

use super::model::{
    BeliefFamily, Bilingual, CaseProfile, CoreBelief, CrCase, Expect, IdRef, RedTeam, RedTeamClass,
    RedTeamMessage, Resistance, ResistanceLevel, Style,
};
use crate::script::decode::{Decoder, Fields};
use crate::script::model::{Language, Span};
use crate::script::yaml::{YNode, YValue};

/// The languages every bilingual text and per-language section is keyed by.
const LANGS: &[&str] = &["en", "zh"];

impl Decoder {
    /// Where to report a missing key of a mapping: its first key, else the mapping itself.
    pub(super) fn start_of(f: &Fields<'_>, node: &YNode) -> Span {
        f.entries.first().map_or(node.span, |(k, _)| k.span)
    }

    /// A required field: the value, or an error saying it is missing.
    pub(super) fn need<'a>(
        &mut self,
        f: &Fields<'a>,
        node: &YNode,
        key: &str,
        what: &str,
    ) -> Option<&'a YNode> {
        let v = f.get(key);
        if v.is_none() {
            self.error(Self::start_of(f, node), format!("{what} needs `{key}`"));
        }
        v
    }

    /// `{en: …, zh: …}`. A missing language stays empty (the validator judges it).
    pub(super) fn bilingual(&mut self, v: &YNode, what: &str) -> Bilingual {
        let mut out = Bilingual {
            span: v.span,
            ..Bilingual::default()
        };
        if let YValue::Str(_) = v.value {
            self.error(
                v.span,
                format!("{what} is text in both languages: write `{{en: …, zh: …}}`"),
            );
            return out;
        }
        let Some(f) = self.fields(v, what, LANGS) else {
            return out;
        };
        out.en = self.text(&f, "en", what, false).unwrap_or_default();
        out.zh = self.text(&f, "zh", what, false).unwrap_or_default();
        out
    }

    /// A required bilingual field.
    pub(super) fn bilingual_field(
        &mut self,
        f: &Fields<'_>,
        node: &YNode,
        key: &str,
        what: &str,
    ) -> Bilingual {
        match self.need(f, node, key, what) {
            Some(v) => self.bilingual(v, &format!("`{key}` in {what}")),
            None => Bilingual {
                span: node.span,
                ..Bilingual::default()
            },
        }
    }

    pub(super) fn id_ref(&mut self, v: &YNode, what: &str) -> Option<IdRef> {
        self.text_value(v, what)
            .map(|id| IdRef { id, span: v.span })
    }

    pub(super) fn id_refs(&mut self, v: &YNode, what: &str) -> Vec<IdRef> {
        let items = self.list(v, what);
        items.iter().filter_map(|i| self.id_ref(i, what)).collect()
    }

    pub(super) fn integer(&mut self, v: &YNode, what: &str) -> Option<i64> {
        if let YValue::Int(i) = v.value {
            Some(i)
        } else {
            self.error(
                v.span,
                format!(
                    "{what} must be a whole number, found {}",
                    v.value.type_name()
                ),
            );
            None
        }
    }

    /// A cap: a whole number of at least 1.
    pub(super) fn cap(&mut self, v: &YNode, what: &str) -> Option<u32> {
        let i = self.integer(v, what)?;
        match u32::try_from(i) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                self.error(v.span, format!("{what} must be at least 1, found {i}"));
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, v: &YNode, what: &str) -> Option<bool> {
        if let YValue::Bool(b) = v.value {
            Some(b)
        } else {
            self.error(
                v.span,
                format!(
                    "{what} must be true or false, found {}",
                    v.value.type_name()
                ),
            );
            None
        }
    }

    /// Text required and not blank.
    pub(super) fn nonblank(
        &mut self,
        f: &Fields<'_>,
        node: &YNode,
        key: &str,
        what: &str,
    ) -> String {
        let Some(v) = self.need(f, node, key, what) else {
            return String::new();
        };
        let text = self
            .text_value(v, &format!("`{key}` in {what}"))
            .unwrap_or_default();
        if text.trim().is_empty() && matches!(v.value, YValue::Str(_) | YValue::Null) {
            self.error(v.span, format!("`{key}` in {what} is empty"));
        }
        text
    }

    /// A mapping keyed by language (`en`, `zh`): each language with its value.
    pub(super) fn per_language<'a>(
        &mut self,
        v: &'a YNode,
        what: &str,
    ) -> Vec<(Language, &'a YNode)> {
        let Some(f) = self.fields(v, what, LANGS) else {
            return Vec::new();
        };
        f.entries
            .iter()
            .filter_map(|(k, v)| match &k.value {
                YValue::Str(s) => Language::parse(s).map(|l| (l, v)),
                _ => None,
            })
            .collect()
    }

    pub(super) fn items<'a, T>(
        &mut self,
        f: &Fields<'a>,
        node: &YNode,
        key: &str,
        what: &str,
        one: impl Fn(&mut Self, &YNode) -> Option<T>,
    ) -> Vec<T> {
        match self.need(f, node, key, what) {
            Some(v) => {
                let list = self.list(v, &format!("`{key}`"));
                list.iter().filter_map(|i| one(self, i)).collect()
            }
            None => Vec::new(),
        }
    }

    fn language_field(&mut self, f: &Fields<'_>, node: &YNode, what: &str) -> Option<Language> {
        self.need(f, node, "language", what)
            .and_then(|l| self.keyword(l, "`language`", &["en", "zh"], Language::parse))
    }

    /// Decode a whole `kind: cr_case` document.
    pub fn cr_case(&mut self, root: &YNode) -> Option<CrCase> {
        const KEYS: &[&str] = &[
            "kind",
            "id",
            "title",
            "language",
            "protocol",
            "situation",
            "target_thought",
            "profile",
        ];
        let what = "a CR case";
        let f = self.fields(root, what, KEYS)?;
        let id = self.nonblank(&f, root, "id", what);
        let title = self.text(&f, "title", what, false).unwrap_or_default();
        let language = self.language_field(&f, root, what);
        let protocol = f.get("protocol").and_then(|p| self.id_ref(p, "`protocol`"));
        let situation = self.nonblank(&f, root, "situation", what);
        let target_thought = self
            .text(&f, "target_thought", what, false)
            .unwrap_or_default();
        let profile = f.get("profile").and_then(|p| self.profile(p));
        Some(CrCase {
            id,
            title,
            language: language.unwrap_or(Language::En),
            protocol,
            situation,
            target_thought,
            profile,
            span: root.span,
        })
    }

    fn strings(&mut self, f: &Fields<'_>, key: &str) -> Vec<String> {
        f.get(key)
            .map(|v| self.texts(v, &format!("`{key}`")))
            .unwrap_or_default()
    }

    fn profile(&mut self, v: &YNode) -> Option<CaseProfile> {
        const KEYS: &[&str] = &[
            "history",
            "automatic_thoughts",
            "emotions",
            "behaviours",
            "intermediate_beliefs",
            "core_beliefs",
            "coping_strategies",
            "distortions",
            "resistance",
            "style",
        ];
        let what = "a case `profile`";
        let f = self.fields(v, what, KEYS)?;
        let history = self.text(&f, "history", what, false).unwrap_or_default();
        let automatic_thoughts = self.strings(&f, "automatic_thoughts");
        let emotions = self.strings(&f, "emotions");
        let behaviours = self.strings(&f, "behaviours");
        let intermediate_beliefs = self.strings(&f, "intermediate_beliefs");
        let core_beliefs = self.items(&f, v, "core_beliefs", what, |d, c| {
            let what = "a core belief";
            let f = d.fields(c, what, &["family", "belief"])?;
            let family = d.need(&f, c, "family", what).and_then(|fam| {
                d.keyword(
                    fam,
                    "`family`",
                    &BeliefFamily::NAMES,
                    BeliefFamily::from_name,
                )
            });
            let belief = d.nonblank(&f, c, "belief", what);
            Some(CoreBelief {
                family: family?,
                belief,
                span: c.span,
            })
        });
        let coping_strategies = self.strings(&f, "coping_strategies");
        let distortions = match self.need(&f, v, "distortions", what) {
            Some(d) => self.id_refs(d, "`distortions`"),
            None => Vec::new(),
        };
        let resistance = self.need(&f, v, "resistance", what).and_then(|r| {
            let what = "`resistance`";
            let rf = self.fields(r, what, &["level", "how"])?;
            let level = self.need(&rf, r, "level", what).and_then(|l| {
                self.keyword(
                    l,
                    "`level`",
                    &ResistanceLevel::NAMES,
                    ResistanceLevel::from_name,
                )
            });
            let how = self.text(&rf, "how", what, false).unwrap_or_default();
            Some(Resistance {
                level: level?,
                how,
                span: r.span,
            })
        });
        let style = self
            .need(&f, v, "style", what)
            .and_then(|s| self.keyword(s, "`style`", &Style::NAMES, Style::from_name));
        Some(CaseProfile {
            history,
            automatic_thoughts,
            emotions,
            behaviours,
            intermediate_beliefs,
            core_beliefs,
            coping_strategies,
            distortions,
            resistance: resistance.unwrap_or(Resistance {
                level: ResistanceLevel::Moderate,
                how: String::new(),
                span: v.span,
            }),
            style: style.unwrap_or(Style::Plain),
            span: v.span,
        })
    }

    /// Decode a whole `kind: cr_redteam` document.
    pub fn cr_redteam(&mut self, root: &YNode) -> Option<RedTeam> {
        let what = "a red-team file";
        let f = self.fields(root, what, &["kind", "id", "protocol", "messages"])?;
        let id = self.nonblank(&f, root, "id", what);
        let protocol = f.get("protocol").and_then(|p| self.id_ref(p, "`protocol`"));
        let messages = self.items(&f, root, "messages", what, |d, m| {
            let what = "a red-team message";
            let mf = d.fields(
                m,
                what,
                &["text", "language", "class", "expect", "category"],
            )?;
            let text = d.nonblank(&mf, m, "text", what);
            let language = d.language_field(&mf, m, what);
            let class = d.need(&mf, m, "class", what).and_then(|c| {
                d.keyword(c, "`class`", &RedTeamClass::NAMES, RedTeamClass::from_name)
            });
            let expect = d
                .need(&mf, m, "expect", what)
                .and_then(|e| d.keyword(e, "`expect`", &Expect::NAMES, Expect::from_name));
            let category = mf.get("category").and_then(|c| d.id_ref(c, "`category`"));
            Some(RedTeamMessage {
                text,
                language: language?,
                class: class?,
                expect: expect?,
                category,
                span: m.span,
            })
        });
        Some(RedTeam {
            id,
            protocol,
            messages,
            span: root.span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::diag::Diagnostic;
    use crate::script::yaml;

    fn decode<T>(
        text: &str,
        f: impl Fn(&mut Decoder, &YNode) -> Option<T>,
    ) -> (Option<T>, Vec<Diagnostic>) {
        let doc = yaml::read(text);
        let root = doc.root.expect("a document");
        let mut d = Decoder::default();
        let out = f(&mut d, &root);
        (out, d.diags)
    }

    #[test]
    fn a_plain_string_where_both_languages_are_needed_is_explained() {
        let (_, diags) = decode("title: just English\n", |d, r| {
            let YValue::Map(e) = &r.value else {
                return None;
            };
            Some(d.bilingual(&e[0].1, "`title`"))
        });
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].message.contains("`{en: …, zh: …}`"), "{diags:?}");
        assert_eq!((diags[0].line, diags[0].col), (1, 8));
    }

    #[test]
    fn caps_must_be_positive_whole_numbers() {
        let (_, diags) = decode("max_channels: 0\n", |d, r| {
            let YValue::Map(e) = &r.value else {
                return None;
            };
            d.cap(&e[0].1, "`max_channels`")
        });
        assert!(
            diags[0].message.contains("at least 1, found 0"),
            "{diags:?}"
        );
        let (_, diags) = decode("x: 2.5\n", |d, r| {
            let YValue::Map(e) = &r.value else {
                return None;
            };
            d.cap(&e[0].1, "`x`")
        });
        assert!(diags[0].message.contains("whole number"), "{diags:?}");
    }

    #[test]
    fn a_strategy_key_is_one_character() {
        let (s, diags) = decode(
            "id: ask\nname: {en: Ask, zh: 提问}\ndefinition: {en: d, zh: d}\nkey: qq\n",
            Decoder::strategy,
        );
        assert_eq!(s.map(|s| s.key), Some('?'));
        assert!(
            diags[0].message.contains("one letter or digit"),
            "{diags:?}"
        );
        assert_eq!((diags[0].line, diags[0].col), (4, 6));
    }
}
