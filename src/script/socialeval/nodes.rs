//! Profiles, nodes, endings and dialogue lines.

use serde_json::{Map, Value};

use super::ImportError;
use super::convert::{Ctx, json, pair, scalar_text, shape, type_name};
use super::notes::{FlagKind, RepairKind, snippet};
use super::text::{Triple, is_fork_join, is_label_role, is_state_role, parse_triple};
use crate::script::model::{Character, Line, Node, NodeKind, Outcome, Role, Span};
use crate::script::written::{self, NODE_DESCRIPTION, WrittenItem, WrittenProfile};

/// A profile object's four official fields as written.
fn written_profile(p: &Map<String, Value>) -> WrittenProfile {
    let get = |key: &str| p.get(key).and_then(scalar_text);
    WrittenProfile {
        name: get("name").unwrap_or_default(),
        public_profile: get("public profile"),
        private_profile: get("private profile"),
        goal: get("goal"),
    }
}

/// A `dialog` list as written (items that are not objects are left out: the importer flags
/// them).
fn written_dialog(items: &[Value]) -> Vec<WrittenItem> {
    items
        .iter()
        .filter_map(Value::as_object)
        .map(|o| WrittenItem {
            role: o.get("role").and_then(scalar_text),
            content: o.get("content").and_then(scalar_text),
            profile: o
                .get("profile")
                .and_then(Value::as_object)
                .map(written_profile),
        })
        .collect()
}

impl Ctx {
    /// A character card from a profile object; `None` without a usable name.
    pub(super) fn character(
        &mut self,
        p: &Map<String, Value>,
        role: Option<Role>,
        node: &str,
    ) -> Option<Character> {
        let text = |ctx: &mut Self, key: &str| {
            let raw = p.get(key).and_then(scalar_text).unwrap_or_default();
            ctx.clean_text(&raw, node, &format!("a profile's `{key}`"), false)
        };
        let name = text(self, "name");
        if name.trim().is_empty() {
            return None;
        }
        let mut public = text(self, "public profile");
        if !p.contains_key("public profile") && p.contains_key("profile") {
            public = text(self, "profile");
            self.notes.repair(
                node,
                RepairKind::ProfileKey,
                format!("`{name}`: the text under `profile` read as the public profile"),
            );
        }
        let state = match parse_triple(p.get("state")) {
            Triple::Empty => None,
            Triple::Clean(v) => Some(v),
            Triple::Repaired(v) => {
                self.notes.repair(
                    node,
                    RepairKind::StateTriple,
                    format!("`{name}`'s state {} read as {v:?}", json(p.get("state"))),
                );
                Some(v)
            }
            Triple::Malformed => {
                self.notes.flag(
                    FlagKind::MalformedState,
                    format!("`{name}`'s state {} dropped", json(p.get("state"))),
                );
                None
            }
        };
        for key in p.keys() {
            let known = matches!(
                key.as_str(),
                "name"
                    | "identity"
                    | "alias"
                    | "public profile"
                    | "private profile"
                    | "goal"
                    | "orientation"
                    | "state"
                    | "behavior"
                    | "profile"
            );
            if known {
                continue;
            }
            let value = p.get(key).and_then(scalar_text).unwrap_or_default();
            if is_fork_join(key, &value) {
                self.notes.repair(
                    node,
                    RepairKind::ForkJoin,
                    format!("`{name}`'s profile: dropped the artefact key `{key}`"),
                );
            } else {
                self.notes.flag(
                    FlagKind::IgnoredField,
                    format!("`{name}`'s profile: field `{key}` ignored"),
                );
            }
        }
        let orientation = pair(p.get("orientation"));
        if orientation.is_none() && p.get("orientation").is_some_and(|o| !o.is_null()) {
            self.notes.flag(
                FlagKind::IgnoredField,
                format!(
                    "`{name}`'s orientation {} is not [a, b] in -1..=1; ignored",
                    json(p.get("orientation"))
                ),
            );
        }
        let card = Character {
            id: None,
            role,
            alias: text(self, "alias"),
            identity: text(self, "identity"),
            public_profile: public,
            private_profile: text(self, "private profile"),
            goal: text(self, "goal"),
            orientation,
            state,
            behavior: p.get("behavior").and_then(Value::as_i64),
            name,
            as_written: None,
            span: Span::default(),
        };
        let as_written = written_profile(p);
        Some(Character {
            as_written: (as_written != WrittenProfile::of_card(&card)).then_some(as_written),
            ..card
        })
    }

    pub(super) fn node(&mut self, raw: &Value, index: usize) -> Result<Node, ImportError> {
        let Value::Object(obj) = raw else {
            return Err(shape(format!(
                "`interactive_plot[{index}]` must be an object, found {}",
                type_name(raw)
            )));
        };
        let cid = obj
            .get("cid")
            .and_then(Value::as_i64)
            .ok_or_else(|| shape(format!("`interactive_plot[{index}]` has no integer `cid`")))?;
        let id = format!("n{cid}");
        let kind = match obj.get("type").and_then(Value::as_str) {
            Some("beginning") => NodeKind::Beginning,
            Some("choice") => NodeKind::Choice,
            Some("ending") => NodeKind::Ending,
            other => {
                return Err(shape(format!(
                    "node cid {cid}: `type` must be beginning, choice or ending, found {}",
                    other.map_or_else(|| "nothing".to_owned(), |t| format!("`{t}`"))
                )));
            }
        };
        let mut lines = Vec::new();
        let mut dialog_as_written = None;
        match obj.get("dialog") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    self.line(item, &id, &mut lines);
                }
                // Kept when the lines do not give the source's words back.
                let raw = written_dialog(items);
                if raw != written::from_lines(&self.characters, &lines) {
                    dialog_as_written = Some(raw);
                }
            }
            Some(other) => self.notes.flag(
                FlagKind::IgnoredField,
                format!("{id}: `dialog` is a {}; ignored", type_name(other)),
            ),
        }
        if let Some(d) = obj
            .get("description")
            .and_then(scalar_text)
            .filter(|d| !d.trim().is_empty())
        {
            let text = self.clean_text(&d, &id, "the node description", false);
            lines.push(Line::Narration {
                text,
                label: Some(NODE_DESCRIPTION.to_owned()),
                span: Span::default(),
            });
            self.notes.repair(
                &id,
                RepairKind::NodeDescription,
                "the node-level `description` kept as a closing narration line",
            );
        }
        let (outcome, state) = if kind == NodeKind::Ending {
            self.ending(obj, &id)
        } else {
            (None, None)
        };
        let mut choices = Vec::new();
        match obj.get("choices") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, c) in items.iter().enumerate() {
                    choices.push(self.choice(c, &id, i)?);
                }
            }
            Some(other) => {
                return Err(shape(format!(
                    "{id}: `choices` must be a list, found {}",
                    type_name(other)
                )));
            }
        }
        if kind != NodeKind::Ending {
            match choices.len() {
                0 => self.notes.flag(
                    FlagKind::DeadEnd,
                    format!("{} node {id} has no choices", kind.name()),
                ),
                1 => self.notes.flag(
                    FlagKind::SingleOption,
                    format!("{id} offers a single option"),
                ),
                _ => {}
            }
        }
        for key in obj.keys() {
            let known = matches!(
                key.as_str(),
                "cid" | "type" | "dialog" | "choices" | "description"
            ) || (kind == NodeKind::Ending
                && matches!(key.as_str(), "goal achievement" | "state"));
            if !known {
                self.notes.flag(
                    FlagKind::IgnoredField,
                    format!("{id}: field `{key}` ignored"),
                );
            }
        }
        Ok(Node {
            id,
            kind,
            outcome,
            state,
            lines,
            choices,
            dialog_as_written,
            span: Span::default(),
        })
    }

    fn ending(
        &mut self,
        obj: &Map<String, Value>,
        id: &str,
    ) -> (Option<Outcome>, Option<Vec<i64>>) {
        let outcome = match obj.get("goal achievement") {
            None | Some(Value::Null) => {
                self.notes.flag(
                    FlagKind::UnlabelledEnding,
                    format!("ending {id} has no `goal achievement`"),
                );
                Outcome::Unlabelled
            }
            Some(v) => match v.as_i64().filter(|g| (0..=2).contains(g)) {
                Some(g) => Outcome::from_goal_achievement(Some(g)),
                None => {
                    self.notes.flag(
                        FlagKind::MalformedGoalAchievement,
                        format!("ending {id}: `goal achievement` {v} is not 0, 1 or 2; unlabelled"),
                    );
                    Outcome::Unlabelled
                }
            },
        };
        let state = match parse_triple(obj.get("state")) {
            Triple::Empty => None,
            Triple::Clean(v) => Some(v),
            Triple::Repaired(v) => {
                self.notes.repair(
                    id,
                    RepairKind::StateTriple,
                    format!("ending state {} read as {v:?}", json(obj.get("state"))),
                );
                Some(v)
            }
            Triple::Malformed => {
                self.notes.flag(
                    FlagKind::MalformedState,
                    format!("ending {id}: state {} dropped", json(obj.get("state"))),
                );
                None
            }
        };
        (Some(outcome), state)
    }

    fn line(&mut self, item: &Value, id: &str, lines: &mut Vec<Line>) {
        let Value::Object(obj) = item else {
            self.notes.flag(
                FlagKind::IgnoredField,
                format!(
                    "{id}: a dialogue item that is a {} ignored",
                    type_name(item)
                ),
            );
            return;
        };
        if let Some(profile) = obj.get("profile") {
            let card = match profile {
                Value::Object(p) => self.character(p, None, id),
                _ => None,
            };
            let Some(card) = card else {
                self.notes.flag(
                    FlagKind::MalformedProfile,
                    format!("{id}: a `profile` item without a usable name skipped"),
                );
                return;
            };
            // A character is the one introduced here: another introduced earlier under the
            // same name with a different profile is another person (kept apart by a key).
            let same_name = self
                .characters
                .iter()
                .filter(|c| c.name == card.name)
                .count();
            let key = match self
                .characters
                .iter()
                .find(|c| c.name == card.name && c.public_profile == card.public_profile)
            {
                Some(known) => known.key().to_owned(),
                None if same_name == 0 => {
                    let key = card.name.clone();
                    self.characters.push(card);
                    key
                }
                None => {
                    let key = format!("{}#{}", card.name, same_name + 1);
                    self.notes.flag(
                        FlagKind::SharedName,
                        format!(
                            "{id}: a second `{}` with another profile is kept apart as `{key}`",
                            card.name
                        ),
                    );
                    self.characters.push(Character {
                        id: Some(key.clone()),
                        ..card
                    });
                    key
                }
            };
            lines.push(Line::Introduce {
                name: key,
                span: Span::default(),
            });
            return;
        }
        let Some(role_value) = obj.get("role") else {
            let text = obj.get("content").and_then(scalar_text).unwrap_or_default();
            let text = self.clean_text(&text, id, "a narration line", true);
            if text.trim().is_empty() {
                self.notes.repair(
                    id,
                    RepairKind::EmptyLine,
                    "dropped an empty line without a role",
                );
            } else {
                lines.push(Line::Narration {
                    text,
                    label: None,
                    span: Span::default(),
                });
            }
            return;
        };
        let raw_role = scalar_text(role_value).unwrap_or_default();
        let raw_text = obj.get("content").and_then(scalar_text).unwrap_or_default();
        if is_fork_join(&raw_role, &raw_text) {
            self.notes.repair(
                id,
                RepairKind::ForkJoin,
                format!("dropped the artefact line `{}`", raw_role.trim()),
            );
            return;
        }
        let u = self.utterance(obj, id, "a dialogue line");
        if u.text.trim().is_empty() {
            self.notes.repair(
                id,
                RepairKind::EmptyLine,
                format!("dropped an empty line (role `{}`)", u.speaker),
            );
            return;
        }
        match u.speaker.as_str() {
            "description" | "content" => {
                lines.push(Line::Narration { text: u.text, label: Some(u.speaker), span: Span::default() });
                return;
            }
            "" => self.notes.flag(FlagKind::EmptySpeaker, format!("{id}: a line without a speaker: {:?}", snippet(&u.text, 40))),
            s if is_state_role(s) => self.notes.flag(FlagKind::StateAsText, format!("{id}: a `{s}` line {:?} kept as text", u.text)),
            s if is_label_role(s) => self.notes.flag(
                FlagKind::LabelInDialog,
                format!("{id}: a dialogue line says `goal achievement: {}`; the outcome is taken only from the node's own field", u.text.trim()),
            ),
            _ => {}
        }
        lines.push(Line::Speech(u));
    }
}
