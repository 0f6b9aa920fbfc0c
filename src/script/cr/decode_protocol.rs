//! Decoding a `kind: cr_protocol` document: stages, loop, catalogues, safety, measures and
//! rubric (the shared helpers are in `decode.rs`).

use super::model::{
    Anchor, CrProtocol, Distortion, Exclusion, ExitCondition, Handoff, LexiconTerm, LoopPolicy,
    Measure, Rubric, RubricItem, RubricScope, Safety, SafetyCategory, Scale, Stage, StageId,
    Strategy, StrategyCategory, Unit,
};
use crate::script::decode::{Decoder, Fields};
use crate::script::yaml::{YNode, YValue};

impl Decoder {
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

    pub(super) fn strategy(&mut self, v: &YNode) -> Option<Strategy> {
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
}
