//! From a positioned YAML tree ([`YNode`]) to the script model, collecting every shape problem
//! (unknown keys, wrong types, missing fields) instead of stopping at the first.

use super::diag::Diagnostic;
use super::model::{
    Character, Choice, ChoiceKind, EndingConfusion, IaeItem, Language, Line, Node, NodeKind,
    OfficialSkip, Orientation, Outcome, Provenance, Role, Span, Utterance, WorldTree,
};
use super::written::{WrittenItem, WrittenProfile};
use super::yaml::{YNode, YValue};

/// Collects diagnostics while decoding.
#[derive(Debug, Default)]
pub struct Decoder {
    pub diags: Vec<Diagnostic>,
}

/// The entries of a mapping, checked against the keys a place allows.
pub(super) struct Fields<'a> {
    pub(super) entries: &'a [(YNode, YNode)],
}

impl<'a> Fields<'a> {
    pub(super) fn get(&self, key: &str) -> Option<&'a YNode> {
        self.entries
            .iter()
            .find(|(k, _)| matches!(&k.value, YValue::Str(s) if s == key))
            .map(|(_, v)| v)
    }

    pub(super) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

/// The allowed name closest to `key` (a typo's likely intent), if any is close enough.
pub(super) fn nearest_key<'k>(key: &str, allowed: &[&'k str]) -> Option<&'k str> {
    allowed
        .iter()
        .map(|a| (*a, super::bessi::edit_distance(key, a)))
        .filter(|(a, d)| *d <= 2.max(a.len() / 4))
        .min_by_key(|(_, d)| *d)
        .map(|(a, _)| a)
}

impl Decoder {
    pub(super) fn error(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, msg));
    }

    pub(super) fn fields<'a>(
        &mut self,
        node: &'a YNode,
        what: &str,
        allowed: &[&str],
    ) -> Option<Fields<'a>> {
        let YValue::Map(entries) = &node.value else {
            self.error(
                node.span,
                format!("{what} must be a mapping, found {}", node.value.type_name()),
            );
            return None;
        };
        for (k, _) in entries {
            match &k.value {
                YValue::Str(key) if allowed.contains(&key.as_str()) => {}
                YValue::Str(key) => {
                    let hint = nearest_key(key, allowed)
                        .map_or_else(String::new, |n| format!("; did you mean `{n}`?"));
                    self.error(
                        k.span,
                        format!(
                            "unknown key `{key}` in {what}{hint} (allowed: {})",
                            allowed.join(", ")
                        ),
                    );
                }
                other => self.error(
                    k.span,
                    format!(
                        "keys in {what} must be strings, found {}",
                        other.type_name()
                    ),
                ),
            }
        }
        Some(Fields { entries })
    }

    /// A text field: strings, and numbers written without quotes, are accepted.
    pub(super) fn text(
        &mut self,
        f: &Fields<'_>,
        key: &str,
        what: &str,
        required: bool,
    ) -> Option<String> {
        let Some(v) = f.get(key) else {
            if required {
                let span = f
                    .entries
                    .first()
                    .map_or_else(Span::default, |(k, _)| k.span);
                self.error(span, format!("{what} needs `{key}`"));
            }
            return None;
        };
        self.text_value(v, &format!("`{key}` in {what}"))
    }

    pub(super) fn text_value(&mut self, v: &YNode, what: &str) -> Option<String> {
        match &v.value {
            YValue::Str(s) => Some(s.clone()),
            YValue::Int(i) => Some(i.to_string()),
            YValue::Float(x) => Some(x.to_string()),
            YValue::Null => Some(String::new()),
            other => {
                self.error(
                    v.span,
                    format!("{what} must be text, found {}", other.type_name()),
                );
                None
            }
        }
    }

    pub(super) fn list<'a>(&mut self, v: &'a YNode, what: &str) -> &'a [YNode] {
        match &v.value {
            YValue::Seq(items) => items,
            YValue::Null => &[],
            other => {
                self.error(
                    v.span,
                    format!("{what} must be a list, found {}", other.type_name()),
                );
                &[]
            }
        }
    }

    fn ints(&mut self, v: &YNode, what: &str) -> Option<Vec<i64>> {
        let items = self.list(v, what);
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let YValue::Int(i) = item.value {
                out.push(i);
            } else {
                self.error(
                    item.span,
                    format!(
                        "{what} must hold integers, found {}",
                        item.value.type_name()
                    ),
                );
                return None;
            }
        }
        Some(out)
    }

    fn pair(&mut self, v: &YNode, what: &str) -> Option<[i8; 2]> {
        let ints = self.ints(v, what)?;
        match ints.as_slice() {
            [a, b] if (-1..=1).contains(a) && (-1..=1).contains(b) => {
                Some([i8::try_from(*a).ok()?, i8::try_from(*b).ok()?])
            }
            _ => {
                self.error(
                    v.span,
                    format!("{what} must be two numbers in -1..=1, e.g. [1, 0]"),
                );
                None
            }
        }
    }

    pub(super) fn texts(&mut self, v: &YNode, what: &str) -> Vec<String> {
        let items = self.list(v, what);
        items
            .iter()
            .filter_map(|i| self.text_value(i, what))
            .collect()
    }

    pub(super) fn keyword<T>(
        &mut self,
        v: &YNode,
        what: &str,
        names: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let YValue::Str(s) = &v.value else {
            self.error(
                v.span,
                format!(
                    "{what} must be one of {}, found {}",
                    names.join(", "),
                    v.value.type_name()
                ),
            );
            return None;
        };
        let parsed = parse(s);
        if parsed.is_none() {
            let hint = nearest_key(s, names)
                .map_or_else(String::new, |n| format!("; did you mean `{n}`?"));
            self.error(
                v.span,
                format!("{what} `{s}` is not one of {}{hint}", names.join(", ")),
            );
        }
        parsed
    }

    /// Decode a whole `kind: world_tree` document (the `kind` key already checked by the
    /// caller).
    pub fn world_tree(&mut self, root: &YNode) -> Option<WorldTree> {
        const KEYS: &[&str] = &[
            "kind",
            "id",
            "title",
            "language",
            "orientation",
            "orientation_code",
            "provenance",
            "scenario",
            "characters",
            "nodes",
        ];
        let f = self.fields(root, "a world tree", KEYS)?;
        let what = "a world tree";
        let id = self.text(&f, "id", what, true).unwrap_or_default();
        let title = self.text(&f, "title", what, false).unwrap_or_default();
        let language = f
            .get("language")
            .and_then(|v| self.keyword(v, "`language`", &["en", "zh"], Language::parse));
        if !f.has("language") {
            self.error(root.span, "a world tree needs `language` (en or zh)");
        }
        let names: Vec<&str> = Orientation::ALL.iter().map(|o| o.name()).collect();
        let orientation = f
            .get("orientation")
            .and_then(|v| self.keyword(v, "`orientation`", &names, Orientation::from_name));
        if !f.has("orientation") {
            self.error(
                root.span,
                format!("a world tree needs `orientation` ({})", names.join(", ")),
            );
        }
        if let (Some(v), Some(o)) = (f.get("orientation_code"), orientation)
            && let Some(code) = self.pair(v, "`orientation_code`")
            && code != o.code()
        {
            self.error(
                v.span,
                format!(
                    "`orientation_code` {code:?} disagrees with orientation `{}` ({:?})",
                    o.name(),
                    o.code()
                ),
            );
        }
        let provenance = f.get("provenance").and_then(|v| self.provenance(v));
        let scenario = self.text(&f, "scenario", what, false).unwrap_or_default();
        let characters = match f.get("characters") {
            Some(v) => {
                let items = self.list(v, "`characters`");
                items.iter().filter_map(|c| self.character(c)).collect()
            }
            None => {
                self.error(root.span, "a world tree needs `characters`");
                Vec::new()
            }
        };
        let nodes = match f.get("nodes") {
            Some(v) => {
                let items = self.list(v, "`nodes`");
                items.iter().filter_map(|n| self.node(n)).collect()
            }
            None => {
                self.error(root.span, "a world tree needs `nodes`");
                Vec::new()
            }
        };
        let mut tree = WorldTree {
            span: root.span,
            id,
            title,
            // On an invalid value the error is already recorded; carry on with a stand-in so
            // the rest of the file is still checked.
            language: language.unwrap_or(Language::En),
            orientation: orientation.unwrap_or(Orientation::Cooperation),
            provenance,
            scenario,
            characters,
            nodes,
        };
        tree.fill_choice_ids();
        Some(tree)
    }

    fn provenance(&mut self, v: &YNode) -> Option<Provenance> {
        let what = "`provenance`";
        let f = self.fields(v, what, &["source", "importer", "flags", "repairs"])?;
        let repairs = match f.get("repairs").map(|r| (&r.value, r.span)) {
            None => 0,
            Some((YValue::Int(n), _)) if *n >= 0 => usize::try_from(*n).unwrap_or(0),
            Some((_, span)) => {
                self.error(span, "`repairs` must be a count (0 or more)");
                0
            }
        };
        Some(Provenance {
            source: self.text(&f, "source", what, true).unwrap_or_default(),
            importer: self.text(&f, "importer", what, true).unwrap_or_default(),
            flags: f
                .get("flags")
                .map(|fl| self.texts(fl, "`flags`"))
                .unwrap_or_default(),
            repairs,
        })
    }

    fn character(&mut self, v: &YNode) -> Option<Character> {
        const KEYS: &[&str] = &[
            "id",
            "name",
            "role",
            "alias",
            "identity",
            "public_profile",
            "private_profile",
            "goal",
            "orientation",
            "state",
            "behavior",
            "as_written",
        ];
        let what = "a character";
        let f = self.fields(v, what, KEYS)?;
        let role = f.get("role").and_then(|r| {
            self.keyword(r, "`role`", &["protagonist", "supporting"], |s| match s {
                "protagonist" => Some(Role::Protagonist),
                "supporting" => Some(Role::Supporting),
                _ => None,
            })
        });
        let behavior = match f.get("behavior") {
            None => None,
            Some(YNode {
                value: YValue::Int(b),
                ..
            }) => Some(*b),
            Some(other) => {
                self.error(other.span, "`behavior` must be an integer");
                None
            }
        };
        Some(Character {
            id: self.text(&f, "id", what, false),
            name: self.text(&f, "name", what, true).unwrap_or_default(),
            role,
            alias: self.text(&f, "alias", what, false).unwrap_or_default(),
            identity: self.text(&f, "identity", what, false).unwrap_or_default(),
            public_profile: self
                .text(&f, "public_profile", what, false)
                .unwrap_or_default(),
            private_profile: self
                .text(&f, "private_profile", what, false)
                .unwrap_or_default(),
            goal: self.text(&f, "goal", what, false).unwrap_or_default(),
            orientation: f
                .get("orientation")
                .and_then(|o| self.pair(o, "a character's `orientation`")),
            state: f.get("state").and_then(|s| self.ints(s, "`state`")),
            behavior,
            as_written: f.get("as_written").and_then(|p| self.written_profile(p)),
            span: v.span,
        })
    }

    /// A profile as the source wrote it (`as_written`).
    fn written_profile(&mut self, v: &YNode) -> Option<WrittenProfile> {
        let what = "a profile as written";
        let f = self.fields(
            v,
            what,
            &["name", "public_profile", "private_profile", "goal"],
        )?;
        Some(WrittenProfile {
            name: self.text(&f, "name", what, true).unwrap_or_default(),
            public_profile: self.text(&f, "public_profile", what, false),
            private_profile: self.text(&f, "private_profile", what, false),
            goal: self.text(&f, "goal", what, false),
        })
    }

    /// A node's dialog as the source wrote it (`dialog_as_written`).
    fn written_dialog(&mut self, v: &YNode) -> Vec<WrittenItem> {
        let what = "a dialog item as written";
        let items = self.list(v, "`dialog_as_written`");
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let Some(f) = self.fields(item, what, &["role", "content", "profile"]) else {
                continue;
            };
            out.push(WrittenItem {
                role: self.text(&f, "role", what, false),
                content: self.text(&f, "content", what, false),
                profile: f.get("profile").and_then(|p| self.written_profile(p)),
            });
        }
        out
    }

    fn utterance(&mut self, v: &YNode, what: &str) -> Option<Utterance> {
        let f = self.fields(
            v,
            what,
            &["speaker", "text", "speaker_original", "text_original"],
        )?;
        Some(Utterance {
            speaker: self.text(&f, "speaker", what, true).unwrap_or_default(),
            text: self.text(&f, "text", what, true).unwrap_or_default(),
            speaker_original: self.text(&f, "speaker_original", what, false),
            text_original: self.text(&f, "text_original", what, false),
            span: v.span,
        })
    }

    fn line(&mut self, v: &YNode) -> Option<Line> {
        let what = "a dialogue line";
        let f = self.fields(
            v,
            what,
            &[
                "speaker",
                "text",
                "speaker_original",
                "text_original",
                "narration",
                "label",
                "introduce",
            ],
        )?;
        let shape = (
            f.has("speaker") || f.has("text"),
            f.has("narration"),
            f.has("introduce"),
        );
        match shape {
            (true, false, false) => {
                if f.has("label") {
                    self.error(v.span, "`label` belongs to narration lines");
                }
                self.utterance(v, "a speech line").map(Line::Speech)
            }
            (false, true, false) => Some(Line::Narration {
                text: self.text(&f, "narration", what, true).unwrap_or_default(),
                label: self.text(&f, "label", what, false),
                span: v.span,
            }),
            (false, false, true) => Some(Line::Introduce {
                name: self.text(&f, "introduce", what, true).unwrap_or_default(),
                span: v.span,
            }),
            _ => {
                self.error(
                    v.span,
                    "a dialogue line is one of {speaker, text}, {narration}, or {introduce}",
                );
                None
            }
        }
    }

    fn node(&mut self, v: &YNode) -> Option<Node> {
        let what = "a node";
        let f = self.fields(
            v,
            what,
            &[
                "id",
                "type",
                "outcome",
                "state",
                "lines",
                "choices",
                "dialog_as_written",
            ],
        )?;
        let id = match f.get("id") {
            Some(i) => self.text_value(i, "`id`"),
            None => {
                self.error(v.span, "a node needs `id`");
                None
            }
        };
        let kind = match f.get("type") {
            Some(t) => self.keyword(
                t,
                "`type`",
                &["beginning", "choice", "ending"],
                |s| match s {
                    "beginning" => Some(NodeKind::Beginning),
                    "choice" => Some(NodeKind::Choice),
                    "ending" => Some(NodeKind::Ending),
                    _ => None,
                },
            ),
            None => {
                self.error(v.span, "a node needs `type` (beginning, choice or ending)");
                None
            }
        };
        let outcome_names: Vec<&str> = Outcome::ALL.iter().map(|o| o.name()).collect();
        let outcome = f.get("outcome").and_then(|o| {
            if let YValue::Int(label) = o.value {
                let name = Outcome::from_goal_achievement(Some(label)).name();
                self.error(
                    o.span,
                    format!(
                        "`outcome` is a word, not SocialEval's number: write `{name}` for {label}"
                    ),
                );
                return None;
            }
            self.keyword(o, "`outcome`", &outcome_names, Outcome::from_name)
        });
        if let (Some(o), Some(k)) = (f.get("outcome"), kind)
            && k != NodeKind::Ending
        {
            self.error(
                o.span,
                format!(
                    "only endings have an `outcome`; this node is a {}",
                    k.name()
                ),
            );
        }
        let state = f.get("state").and_then(|s| self.ints(s, "`state`"));
        let lines = match f.get("lines") {
            Some(l) => {
                let items = self.list(l, "`lines`");
                items.iter().filter_map(|i| self.line(i)).collect()
            }
            None => Vec::new(),
        };
        let choices = match f.get("choices") {
            Some(c) => {
                let items = self.list(c, "`choices`");
                items.iter().filter_map(|i| self.choice(i)).collect()
            }
            None => Vec::new(),
        };
        let kind = kind.unwrap_or(if choices.is_empty() {
            NodeKind::Ending
        } else {
            NodeKind::Choice
        });
        Some(Node {
            id: id.unwrap_or_default(),
            kind,
            outcome,
            state,
            lines,
            choices,
            dialog_as_written: f.get("dialog_as_written").map(|d| self.written_dialog(d)),
            span: v.span,
        })
    }

    fn choice(&mut self, v: &YNode) -> Option<Choice> {
        const KEYS: &[&str] = &[
            "id",
            "target",
            "kind",
            "abilities",
            "abilities_original",
            "social_state",
            "say",
            "say_unreadable",
            "iae",
            "ending_confusions",
        ];
        let what = "a choice";
        let f = self.fields(v, what, KEYS)?;
        let target_node = f.get("target");
        let target = match target_node {
            Some(t) => self.text_value(t, "`target`"),
            None => {
                self.error(v.span, "a choice needs `target` (the id of the next node)");
                None
            }
        };
        let kind = match f.get("kind") {
            Some(k) => self
                .keyword(k, "`kind`", &["skill", "situation"], |s| match s {
                    "skill" => Some(ChoiceKind::Skill),
                    "situation" => Some(ChoiceKind::Situation),
                    _ => None,
                })
                .unwrap_or_default(),
            None => ChoiceKind::Skill,
        };
        let say = match f.get("say") {
            Some(s) => self.utterance(s, "`say`"),
            None => {
                self.error(v.span, "a choice needs `say` (the candidate utterance)");
                None
            }
        };
        let ending_confusions = match f.get("ending_confusions") {
            Some(e) => {
                let items = self.list(e, "`ending_confusions`");
                items
                    .iter()
                    .filter_map(|i| self.ending_confusion(i))
                    .collect()
            }
            None => Vec::new(),
        };
        let id = f.get("id").and_then(|i| self.text_value(i, "`id`"));
        if let (Some(i), Some(node)) = (&id, f.get("id"))
            && i.trim().is_empty()
        {
            self.error(node.span, "a choice's `id` is empty");
        }
        Some(Choice {
            id_written: id.is_some(),
            id: id.unwrap_or_default(),
            target: target?,
            kind,
            abilities: f
                .get("abilities")
                .map(|a| self.texts(a, "`abilities`"))
                .unwrap_or_default(),
            abilities_original: f
                .get("abilities_original")
                .map(|a| self.texts(a, "`abilities_original`")),
            social_state: f
                .get("social_state")
                .and_then(|s| self.ints(s, "`social_state`")),
            say: say?,
            say_unreadable: f
                .get("say_unreadable")
                .is_some_and(|b| self.flag(b, "`say_unreadable`")),
            iae: f.get("iae").and_then(|i| self.iae(i)),
            ending_confusions,
            span: v.span,
            target_span: target_node.map_or(v.span, |t| t.span),
        })
    }

    fn iae(&mut self, v: &YNode) -> Option<IaeItem> {
        let what = "`iae`";
        let f = self.fields(
            v,
            what,
            &[
                "question",
                "question_original",
                "abilities",
                "abilities_original",
                "distractors",
                "official_skip",
            ],
        )?;
        let distractors = match f.get("distractors") {
            Some(d) => {
                let items = self.list(d, "`distractors`");
                items
                    .iter()
                    .filter_map(|i| self.utterance(i, "a distractor"))
                    .collect()
            }
            None => Vec::new(),
        };
        Some(IaeItem {
            question: self.text(&f, "question", what, true).unwrap_or_default(),
            question_original: self.text(&f, "question_original", what, false),
            abilities: f
                .get("abilities")
                .map(|a| self.texts(a, "`abilities`"))
                .unwrap_or_default(),
            abilities_original: f
                .get("abilities_original")
                .map(|a| self.texts(a, "`abilities_original`")),
            distractors,
            official_skip: f.get("official_skip").and_then(|k| {
                let names: Vec<&str> = OfficialSkip::ALL.iter().map(|o| o.name()).collect();
                self.keyword(k, "`official_skip`", &names, OfficialSkip::from_name)
            }),
            span: v.span,
        })
    }

    /// A `true`/`false` field.
    fn flag(&mut self, v: &YNode, what: &str) -> bool {
        match v.value {
            YValue::Bool(b) => b,
            ref other => {
                self.error(
                    v.span,
                    format!("{what} must be true or false, found {}", other.type_name()),
                );
                false
            }
        }
    }

    fn ending_confusion(&mut self, v: &YNode) -> Option<EndingConfusion> {
        let f = self.fields(v, "an ending confusion", &["lines"])?;
        let lines = match f.get("lines") {
            Some(l) => {
                let items = self.list(l, "`lines`");
                items
                    .iter()
                    .filter_map(|i| self.utterance(i, "an ending-confusion line"))
                    .collect()
            }
            None => Vec::new(),
        };
        Some(EndingConfusion { lines })
    }
}
