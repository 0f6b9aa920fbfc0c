//! From a positioned YAML tree to the CR model: the shape of `cr_protocol`, `cr_case` and
//! `cr_redteam` files (unknown keys, wrong types, missing fields), every problem collected.
//! Cross-references (ids, stage order, languages) are checked in `validate.rs`.

use super::model::{
    Anchor, BeliefFamily, Bilingual, CaseProfile, CoreBelief, CrCase, CrProtocol, Distortion,
    Exclusion, ExitCondition, Expect, Handoff, IdRef, LexiconTerm, LoopPolicy, Measure, RedTeam,
    RedTeamClass, RedTeamMessage, Resistance, ResistanceLevel, Rubric, RubricItem, RubricScope,
    Safety, SafetyCategory, Scale, Stage, StageId, Strategy, StrategyCategory, Style, Unit,
};
use crate::script::decode::{Decoder, Fields};
use crate::script::model::{Language, Span};
use crate::script::yaml::{YNode, YValue};

/// The languages every bilingual text and per-language section is keyed by.
const LANGS: &[&str] = &["en", "zh"];

impl Decoder {
    /// Where to report a missing key of a mapping: its first key, else the mapping itself.
    fn start_of(f: &Fields<'_>, node: &YNode) -> Span {
        f.entries.first().map_or(node.span, |(k, _)| k.span)
    }

    /// A required field: the value, or an error saying it is missing.
    fn need<'a>(
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
    fn bilingual(&mut self, v: &YNode, what: &str) -> Bilingual {
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
    fn bilingual_field(
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

    fn id_ref(&mut self, v: &YNode, what: &str) -> Option<IdRef> {
        self.text_value(v, what)
            .map(|id| IdRef { id, span: v.span })
    }

    fn id_refs(&mut self, v: &YNode, what: &str) -> Vec<IdRef> {
        let items = self.list(v, what);
        items.iter().filter_map(|i| self.id_ref(i, what)).collect()
    }

    fn integer(&mut self, v: &YNode, what: &str) -> Option<i64> {
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
    fn cap(&mut self, v: &YNode, what: &str) -> Option<u32> {
        let i = self.integer(v, what)?;
        match u32::try_from(i) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                self.error(v.span, format!("{what} must be at least 1, found {i}"));
                None
            }
        }
    }

    fn boolean(&mut self, v: &YNode, what: &str) -> Option<bool> {
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
    fn nonblank(&mut self, f: &Fields<'_>, node: &YNode, key: &str, what: &str) -> String {
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
    fn per_language<'a>(&mut self, v: &'a YNode, what: &str) -> Vec<(Language, &'a YNode)> {
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

    fn items<'a, T>(
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

    /// Decode a whole `kind: cr_protocol` document.
    pub fn cr_protocol(&mut self, root: &YNode) -> Option<CrProtocol> {
        const KEYS: &[&str] = &[
            "kind",
            "id",
            "title",
            "identification",
            "restructuring",
            "loop",
            "distortions",
            "strategies",
            "safety",
            "measures",
            "rubric",
        ];
        let what = "a CR protocol";
        let f = self.fields(root, what, KEYS)?;
        let id = self.nonblank(&f, root, "id", what);
        let title = self.bilingual_field(&f, root, "title", what);
        let identification = self.items(&f, root, "identification", what, Self::stage);
        let restructuring = self.items(&f, root, "restructuring", what, Self::stage);
        let loop_policy = match self.need(&f, root, "loop", what) {
            Some(v) => self.loop_policy(v),
            None => None,
        };
        let distortions = self.items(&f, root, "distortions", what, Self::distortion);
        let strategies = self.items(&f, root, "strategies", what, Self::strategy_category);
        let safety = match self.need(&f, root, "safety", what) {
            Some(v) => self.safety(v),
            None => None,
        };
        let measures = self.items(&f, root, "measures", what, Self::measure);
        let rubric = match self.need(&f, root, "rubric", what) {
            Some(v) => self.rubric(v),
            None => None,
        };
        Some(CrProtocol {
            id,
            title,
            identification,
            restructuring,
            // On a missing or broken part the error is recorded; stand-ins let the rest of the
            // file be checked.
            loop_policy: loop_policy.unwrap_or(LoopPolicy {
                after_verdict: StageId::CoreBeliefs,
                after_verdict_span: root.span,
                finish_when_no_open_channel: true,
                max_channels: 1,
                max_turns: 1,
                span: root.span,
            }),
            distortions,
            strategies,
            safety: safety.unwrap_or_default(),
            measures,
            rubric: rubric.unwrap_or(Rubric {
                per: RubricScope::Turn,
                scale: Scale {
                    min: 1,
                    max: 5,
                    anchors: Vec::new(),
                    span: root.span,
                },
                items: Vec::new(),
                span: root.span,
            }),
            span: root.span,
        })
    }

    fn stage(&mut self, v: &YNode) -> Option<Stage> {
        let what = "a stage";
        let f = self.fields(
            v,
            what,
            &["id", "title", "goal", "guidance", "exit", "strategies"],
        )?;
        let id = self
            .need(&f, v, "id", what)
            .and_then(|i| self.keyword(i, "the stage `id`", &StageId::NAMES, StageId::from_name));
        let title = self.bilingual_field(&f, v, "title", what);
        let goal = self.bilingual_field(&f, v, "goal", what);
        let guidance = self.bilingual_field(&f, v, "guidance", what);
        let exit = match self.need(&f, v, "exit", what) {
            Some(e) => self.exit(e),
            None => None,
        };
        let strategies = f
            .get("strategies")
            .map(|s| self.id_refs(s, "a stage's `strategies`"))
            .unwrap_or_default();
        Some(Stage {
            id: id?,
            title,
            goal,
            guidance,
            exit: exit.unwrap_or(ExitCondition {
                goal_met: true,
                max_turns: None,
                span: v.span,
            }),
            strategies,
            span: v.span,
        })
    }

    fn exit(&mut self, v: &YNode) -> Option<ExitCondition> {
        let what = "an exit condition";
        let f = self.fields(v, what, &["goal_met", "max_turns"])?;
        let goal_met = f
            .get("goal_met")
            .and_then(|g| self.boolean(g, "`goal_met`"))
            .unwrap_or(false);
        let max_turns = f
            .get("max_turns")
            .and_then(|m| self.cap(m, "a stage's `max_turns`"));
        if !goal_met && !f.has("max_turns") {
            self.error(
                v.span,
                "an exit condition needs `goal_met: true`, `max_turns: N`, or both; otherwise \
                 the stage never ends",
            );
        }
        Some(ExitCondition {
            goal_met,
            max_turns,
            span: v.span,
        })
    }

    fn loop_policy(&mut self, v: &YNode) -> Option<LoopPolicy> {
        let what = "`loop`";
        let f = self.fields(
            v,
            what,
            &[
                "after_verdict",
                "finish_when_no_open_channel",
                "max_channels",
                "max_turns",
            ],
        )?;
        let after = self.need(&f, v, "after_verdict", what);
        let after_verdict = after
            .and_then(|a| self.keyword(a, "`after_verdict`", &StageId::NAMES, StageId::from_name));
        let finish = f
            .get("finish_when_no_open_channel")
            .and_then(|b| self.boolean(b, "`finish_when_no_open_channel`"))
            .unwrap_or(true);
        let max_channels = self
            .need(&f, v, "max_channels", what)
            .and_then(|m| self.cap(m, "`max_channels`"));
        let max_turns = self
            .need(&f, v, "max_turns", what)
            .and_then(|m| self.cap(m, "the loop's `max_turns`"));
        Some(LoopPolicy {
            after_verdict: after_verdict.unwrap_or(StageId::CoreBeliefs),
            after_verdict_span: after.map_or(v.span, |a| a.span),
            finish_when_no_open_channel: finish,
            max_channels: max_channels.unwrap_or(1),
            max_turns: max_turns.unwrap_or(1),
            span: v.span,
        })
    }

    fn distortion(&mut self, v: &YNode) -> Option<Distortion> {
        let what = "a distortion";
        let f = self.fields(v, what, &["id", "name", "definition", "example"])?;
        Some(Distortion {
            id: self.nonblank(&f, v, "id", what),
            name: self.bilingual_field(&f, v, "name", what),
            definition: self.bilingual_field(&f, v, "definition", what),
            example: f
                .get("example")
                .map(|e| self.bilingual(e, "a distortion's `example`")),
            span: v.span,
        })
    }

    fn strategy_category(&mut self, v: &YNode) -> Option<StrategyCategory> {
        let what = "a strategy category";
        let f = self.fields(v, what, &["id", "name", "definition", "subcategories"])?;
        Some(StrategyCategory {
            id: self.nonblank(&f, v, "id", what),
            name: self.bilingual_field(&f, v, "name", what),
            definition: self.bilingual_field(&f, v, "definition", what),
            subcategories: self.items(&f, v, "subcategories", what, Self::strategy),
            span: v.span,
        })
    }

    fn strategy(&mut self, v: &YNode) -> Option<Strategy> {
        let what = "a strategy";
        let f = self.fields(v, what, &["id", "name", "definition", "key"])?;
        let id = self.nonblank(&f, v, "id", what);
        let name = self.bilingual_field(&f, v, "name", what);
        let definition = self.bilingual_field(&f, v, "definition", what);
        let key_node = self.need(&f, v, "key", what);
        let key = key_node.and_then(|k| {
            let text = self.text_value(k, "a strategy's `key`")?;
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_alphanumeric() => Some(c),
                _ => {
                    self.error(
                        k.span,
                        format!(
                            "a strategy's `key` is one letter or digit (the TUI shortcut), \
                             found `{text}`"
                        ),
                    );
                    None
                }
            }
        });
        Some(Strategy {
            id,
            name,
            definition,
            key: key.unwrap_or('?'),
            key_span: key_node.map_or(v.span, |k| k.span),
            span: v.span,
        })
    }

    fn safety(&mut self, v: &YNode) -> Option<Safety> {
        let what = "`safety`";
        let f = self.fields(v, what, &["categories", "lexicon", "exclusions", "handoff"])?;
        let categories = self.items(&f, v, "categories", what, |d, c| {
            let what = "a safety category";
            let f = d.fields(c, what, &["id", "name"])?;
            Some(SafetyCategory {
                id: d.nonblank(&f, c, "id", what),
                name: d.bilingual_field(&f, c, "name", what),
                span: c.span,
            })
        });
        let mut terms = Vec::new();
        if let Some(lex) = self.need(&f, v, "lexicon", what) {
            for (language, by_category) in self.per_language(lex, "`lexicon`") {
                let YValue::Map(entries) = &by_category.value else {
                    self.error(
                        by_category.span,
                        format!(
                            "`lexicon.{}` maps safety categories to lists of terms, found {}",
                            language.code(),
                            by_category.value.type_name()
                        ),
                    );
                    continue;
                };
                for (k, list) in entries {
                    let Some(category) = self.text_value(k, "a lexicon category") else {
                        continue;
                    };
                    for t in self.list(list, "a lexicon category's terms") {
                        if let Some(text) = self.text_value(t, "a lexicon term") {
                            terms.push(LexiconTerm {
                                language,
                                category: category.clone(),
                                text,
                                category_span: k.span,
                                span: t.span,
                            });
                        }
                    }
                }
            }
        }
        let mut exclusions = Vec::new();
        if let Some(ex) = f.get("exclusions") {
            for (language, list) in self.per_language(ex, "`exclusions`") {
                for t in self.list(list, "`exclusions`") {
                    if let Some(text) = self.text_value(t, "an exclusion") {
                        exclusions.push(Exclusion {
                            language,
                            text,
                            span: t.span,
                        });
                    }
                }
            }
        }
        let mut handoff = Vec::new();
        if let Some(h) = self.need(&f, v, "handoff", what) {
            for (language, node) in self.per_language(h, "`handoff`") {
                let what = "a handoff";
                let Some(hf) = self.fields(node, what, &["text", "resources"]) else {
                    continue;
                };
                let text = self.nonblank(&hf, node, "text", what);
                let resources = hf
                    .get("resources")
                    .map(|r| self.texts(r, "`resources`"))
                    .unwrap_or_default();
                handoff.push(Handoff {
                    language,
                    text,
                    resources,
                    span: node.span,
                });
            }
        }
        Some(Safety {
            categories,
            terms,
            exclusions,
            handoff,
            span: v.span,
        })
    }

    fn anchors(&mut self, f: &Fields<'_>, node: &YNode, what: &str) -> Vec<Anchor> {
        self.items(f, node, "anchors", what, |d, a| {
            let what = "an anchor";
            let f = d.fields(a, what, &["value", "label"])?;
            let value = d
                .need(&f, a, "value", what)
                .and_then(|v| d.integer(v, "an anchor's `value`"));
            let label = d.bilingual_field(&f, a, "label", what);
            Some(Anchor {
                value: value?,
                label,
                span: a.span,
            })
        })
    }

    fn bounds(&mut self, f: &Fields<'_>, node: &YNode, what: &str) -> Option<(i64, i64)> {
        let min = self
            .need(f, node, "min", what)
            .and_then(|m| self.integer(m, "`min`"));
        let max = self
            .need(f, node, "max", what)
            .and_then(|m| self.integer(m, "`max`"));
        let (min, max) = (min?, max?);
        if min >= max {
            let at = f.get("max").map_or(node.span, |m| m.span);
            self.error(
                at,
                format!("{what}: `max` ({max}) must be above `min` ({min})"),
            );
            return None;
        }
        Some((min, max))
    }

    fn measure(&mut self, v: &YNode) -> Option<Measure> {
        let what = "a measure";
        let f = self.fields(
            v,
            what,
            &["id", "name", "question", "min", "max", "unit", "anchors"],
        )?;
        let id = self.nonblank(&f, v, "id", what);
        let name = self.bilingual_field(&f, v, "name", what);
        let question = self.bilingual_field(&f, v, "question", what);
        let bounds = self.bounds(&f, v, what);
        let unit = self
            .need(&f, v, "unit", what)
            .and_then(|u| self.keyword(u, "`unit`", &Unit::NAMES, Unit::from_name));
        let anchors = self.anchors(&f, v, what);
        let (min, max) = bounds.unwrap_or((0, 100));
        Some(Measure {
            id,
            name,
            question,
            min,
            max,
            unit: unit.unwrap_or(Unit::Points),
            anchors,
            span: v.span,
        })
    }

    fn rubric(&mut self, v: &YNode) -> Option<Rubric> {
        let what = "`rubric`";
        let f = self.fields(v, what, &["per", "scale", "items"])?;
        let per = f.get("per").and_then(|p| {
            self.keyword(p, "`per`", &["turn", "dialogue"], |s| match s {
                "turn" => Some(RubricScope::Turn),
                "dialogue" => Some(RubricScope::Dialogue),
                _ => None,
            })
        });
        let scale = self.need(&f, v, "scale", what).and_then(|s| {
            let what = "the rubric's `scale`";
            let sf = self.fields(s, what, &["min", "max", "anchors"])?;
            let bounds = self.bounds(&sf, s, what);
            let anchors = self.anchors(&sf, s, what);
            let (min, max) = bounds?;
            Some(Scale {
                min,
                max,
                anchors,
                span: s.span,
            })
        });
        let items = self.items(&f, v, "items", what, |d, i| {
            let what = "a rubric item";
            let f = d.fields(i, what, &["id", "name", "question"])?;
            Some(RubricItem {
                id: d.nonblank(&f, i, "id", what),
                name: d.bilingual_field(&f, i, "name", what),
                question: d.bilingual_field(&f, i, "question", what),
                span: i.span,
            })
        });
        Some(Rubric {
            per: per.unwrap_or(RubricScope::Turn),
            scale: scale.unwrap_or(Scale {
                min: 1,
                max: 5,
                anchors: Vec::new(),
                span: v.span,
            }),
            items,
            span: v.span,
        })
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
