//! Choices: target, kind, abilities, social state, the candidate utterance, the IAE item and the
//! ending confusions.

use serde_json::{Map, Value};

use super::ImportError;
use super::convert::{Ctx, json, scalar_text, type_name};
use super::notes::{FlagKind, RepairKind, snippet};
use super::question::{self, raw_tags, resolve};
use super::text::{Triple, is_fork_join, is_state_role, is_state_text, parse_triple, signed_ints};
use crate::script::bessi::{self, Normalized};
use crate::script::model::{
    Choice, ChoiceKind, EndingConfusion, IaeItem, OfficialSkip, Span, Utterance,
};

/// Whether a `content` value is an object holding a `content` (what the official IAE build
/// reads of a candidate or a distractor).
fn has_content_text(content: Option<&Value>) -> bool {
    content
        .and_then(Value::as_object)
        .is_some_and(|o| o.contains_key("content"))
}

const KNOWN_KEYS: &[&str] = &[
    "cid",
    "type",
    "skill",
    "social state",
    "content",
    "confusion",
    "ending confusion",
];

impl Ctx {
    /// Convert choice `index` of node `node`.
    ///
    /// The IAE item: SocialEval builds an item from a skill choice that has a `skill question`.
    /// The importer keeps an [`IaeItem`] whenever the source has a skill question **or**
    /// distractors, so no source text is lost: a choice with distractors but no usable question
    /// gets an item whose `question` is empty (flagged `iae_without_question`); evaluators build
    /// IAE items only from items with a non-empty question. `abilities` are the question's own
    /// `skill` tags (empty when the source gives none and the question embeds no `#skill#`
    /// marker).
    pub(super) fn choice(
        &mut self,
        raw: &Value,
        node: &str,
        index: usize,
    ) -> Result<Choice, ImportError> {
        let Value::Object(obj) = raw else {
            return Err(ImportError::Shape(format!(
                "{node}: choice {index} must be an object, found {}",
                type_name(raw)
            )));
        };
        let cid = obj.get("cid").and_then(Value::as_i64).ok_or_else(|| {
            ImportError::Shape(format!(
                "{node}: choice {index} has no integer `cid` (its target)"
            ))
        })?;
        let target = format!("n{cid}");
        let at = format!("{node} → {target}");
        let kind = match obj.get("type").and_then(Value::as_str) {
            Some("skill choice") => ChoiceKind::Skill,
            Some("situation choice") => ChoiceKind::Situation,
            other => {
                self.notes.flag(
                    FlagKind::UnknownChoiceType,
                    format!("{at}: choice type {other:?} read as a skill choice"),
                );
                ChoiceKind::Skill
            }
        };
        for key in obj.keys() {
            if !KNOWN_KEYS.contains(&key.as_str()) {
                self.notes.flag(
                    FlagKind::IgnoredField,
                    format!("{at}: field `{key}` ignored"),
                );
            }
        }

        // The confusion list: the skill question, distractors and ending confusions.
        let mut question_obj: Option<&Map<String, Value>> = None;
        let mut distractors = Vec::new();
        let mut distractor_unreadable = false;
        let mut ending_confusions = Vec::new();
        let confusion: &[Value] = match obj.get("confusion") {
            Some(Value::Array(items)) => items,
            None | Some(Value::Null) => &[],
            Some(other) => {
                self.notes.flag(
                    FlagKind::IgnoredField,
                    format!("{at}: `confusion` is a {}; ignored", type_name(other)),
                );
                &[]
            }
        };
        for entry in confusion {
            match entry.get("type").and_then(Value::as_str) {
                Some("skill question") => {
                    if question_obj.is_some() {
                        self.notes.flag(
                            FlagKind::ExtraSkillQuestion,
                            format!("{at}: a second skill question ignored"),
                        );
                    } else {
                        question_obj = entry.as_object();
                    }
                }
                Some("skill confusion") => {
                    distractor_unreadable |= !has_content_text(entry.get("content"));
                    if let Some(d) = self.distractor(entry.get("content"), node, &at) {
                        distractors.push(d);
                    }
                }
                Some("ending confusion") => {
                    self.ending_confusion(entry, node, &at, &mut ending_confusions);
                }
                other => self.notes.flag(
                    FlagKind::IgnoredField,
                    format!("{at}: a confusion entry of type {other:?} ignored"),
                ),
            }
        }
        if let Some(misplaced) = obj.get("ending confusion") {
            self.notes.repair(
                node,
                RepairKind::MisplacedEndingConfusion,
                format!(
                    "{at}: ending confusions stored on the choice moved to `ending_confusions`"
                ),
            );
            match misplaced {
                Value::Array(items) => {
                    for e in items {
                        self.ending_confusion(e, node, &at, &mut ending_confusions);
                    }
                }
                other => self.ending_confusion(other, node, &at, &mut ending_confusions),
            }
        }

        // The question first: its tags complete truncated tags on the choice.
        let mut q = question::clean(
            question_obj.and_then(|q| q.get("question")),
            node,
            &mut self.notes,
        );
        let q_tags = raw_tags(question_obj.and_then(|q| q.get("skill")));
        let mut q_abilities = resolve(&q_tags, &mut q.fragments, &[], node, &mut self.notes);
        if q_abilities.is_empty() && !q.marker_names.is_empty() {
            let markers = std::mem::take(&mut q.marker_names);
            q_abilities = resolve(&markers, &mut Vec::new(), &[], node, &mut self.notes);
            self.notes.repair(
                node,
                RepairKind::SkillMarker,
                format!("{at}: the question's abilities taken from its embedded `#skill#` marker"),
            );
        }

        let (abilities, abilities_original, social_state) =
            self.abilities_and_state(obj, node, &at, &mut q.fragments, &q_abilities);

        let say = self.candidate(obj.get("content"), node, &at);
        // What the official scripts can read: GAE renders `content.get('role')`, so anything
        // but an object (or nothing) fails; the IAE build takes `content['content']`.
        let say_unreadable = obj.get("content").is_some_and(|c| !c.is_object());
        let official_skip = if !has_content_text(obj.get("content")) {
            Some(OfficialSkip::CandidateUnreadable)
        } else if distractor_unreadable {
            Some(OfficialSkip::DistractorUnreadable)
        } else {
            None
        };

        let has_question = question_obj.is_some();
        let iae = if has_question || !distractors.is_empty() {
            if q.text.trim().is_empty() {
                self.notes.flag(
                    FlagKind::IaeWithoutQuestion,
                    format!(
                        "{at}: distractors without a usable skill question (kept, question empty)"
                    ),
                );
            } else if distractors.is_empty() {
                self.notes.flag(
                    FlagKind::IaeWithoutDistractors,
                    format!("{at}: a skill question without distractors"),
                );
            }
            Some(IaeItem {
                question: q.text,
                question_original: q.original,
                // Kept when the official keys of the tags as written differ from those of the
                // normalised ones (damaged or missing tags): the official aggregation needs them.
                abilities_original: {
                    let keys = |tags: &[String]| -> Vec<String> {
                        tags.iter()
                            .map(|t| crate::script::bessi::official_key(t))
                            .collect()
                    };
                    (keys(&q_tags) != keys(&q_abilities)).then(|| q_tags.clone())
                },
                abilities: q_abilities,
                distractors,
                official_skip,
                span: Span::default(),
            })
        } else {
            None
        };
        Ok(Choice {
            // The default id (`<node>.<position>`) is given once the tree is whole.
            id: String::new(),
            id_written: false,
            target,
            kind,
            abilities,
            abilities_original,
            social_state,
            say,
            say_unreadable,
            iae,
            ending_confusions,
            span: Span::default(),
            target_span: Span::default(),
        })
    }

    /// The choice's abilities (with the source tags when they changed) and its social state.
    /// Some choices hold their ability names in `social state` (and a triple, or nothing, in
    /// `skill`); those are swapped back.
    fn abilities_and_state(
        &mut self,
        obj: &Map<String, Value>,
        node: &str,
        at: &str,
        fragments: &mut Vec<String>,
        q_abilities: &[String],
    ) -> (Vec<String>, Option<Vec<String>>, Option<Vec<i64>>) {
        let tags = raw_tags(obj.get("skill"));
        let ss = obj.get("social state");
        let ss_names: Vec<String> = match ss {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|v| v.as_str().filter(|s| is_ability_like(s)).map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let tags_are_state = tags.iter().all(|t| t.trim().is_empty() || is_state_text(t));
        let named_by_question = ss_names.iter().all(|n| match bessi::normalize(n) {
            Normalized::Exact(c) | Normalized::Repaired(c) => q_abilities.iter().any(|q| q == c),
            Normalized::Unknown { .. } => false,
        });
        if !ss_names.is_empty() && (tags_are_state || named_by_question) {
            let (state, mut moved) = if tags_are_state {
                let state = match tags.as_slice() {
                    [one] => signed_ints(one).filter(|v| v.len() == 3),
                    _ => None,
                };
                (state, Vec::new())
            } else {
                (None, tags)
            };
            self.notes.repair(
                node,
                RepairKind::AbilitiesInSocialState,
                format!(
                    "{at}: ability names in `social state` {} moved to the abilities (`skill` was {})",
                    json(ss),
                    json(obj.get("skill"))
                ),
            );
            moved.extend(ss_names);
            let abilities = resolve(&moved, fragments, q_abilities, node, &mut self.notes);
            return (abilities, Some(moved), state);
        }
        let abilities = resolve(&tags, fragments, q_abilities, node, &mut self.notes);
        let original = (abilities != tags).then_some(tags);
        let social_state = match parse_triple(ss) {
            Triple::Empty => None,
            Triple::Clean(v) => Some(v),
            Triple::Repaired(v) => {
                self.notes.repair(
                    node,
                    RepairKind::StateTriple,
                    format!("{at}: social state {} read as {v:?}", json(ss)),
                );
                Some(v)
            }
            Triple::Malformed => {
                self.notes.flag(
                    FlagKind::MalformedSocialState,
                    format!("{at}: social state {} dropped", json(ss)),
                );
                None
            }
        };
        (abilities, original, social_state)
    }

    /// An utterance from a `content` value that should be one `{role, content}` object; a list
    /// of them yields its first real utterance (a repair).
    fn one_utterance(
        &mut self,
        content: Option<&Value>,
        node: &str,
        what: &str,
    ) -> Option<Utterance> {
        match content {
            Some(Value::Object(o)) if o.contains_key("role") || o.contains_key("content") => {
                Some(self.utterance(o, node, what))
            }
            Some(Value::Array(items)) => {
                let objects: Vec<&Map<String, Value>> =
                    items.iter().filter_map(Value::as_object).collect();
                let pick = objects
                    .iter()
                    .find(|o| {
                        let role = o.get("role").and_then(Value::as_str).unwrap_or_default();
                        let text = o.get("content").and_then(Value::as_str).unwrap_or_default();
                        !is_state_role(role) && !is_state_text(text)
                    })
                    .or_else(|| objects.first())?;
                self.notes.repair(
                    node,
                    RepairKind::ListContent,
                    format!("{what}: a list of {} item(s) where one utterance was expected; the utterance kept", items.len()),
                );
                Some(self.utterance(pick, node, what))
            }
            _ => None,
        }
    }

    fn candidate(&mut self, content: Option<&Value>, node: &str, at: &str) -> Utterance {
        let what = format!("the candidate utterance {at}");
        let Some(mut say) = self.one_utterance(content, node, &what) else {
            self.notes.flag(
                FlagKind::EmptyUtterance,
                format!("{at}: no candidate utterance"),
            );
            return Utterance {
                speaker: self.protagonist.clone(),
                ..Utterance::default()
            };
        };
        if is_fork_join(&say.speaker, &say.text) {
            self.notes.flag(
                FlagKind::EmptyUtterance,
                format!(
                    "{at}: the candidate utterance is the authoring artefact `{}`; kept empty",
                    say.speaker
                ),
            );
            let text = std::mem::take(&mut say.text);
            say.text_original.get_or_insert(text);
        } else if is_state_role(&say.speaker) {
            self.notes.flag(
                FlagKind::NotPlayableAsText,
                format!(
                    "{at}: the candidate utterance is the state triple {:?}",
                    say.text
                ),
            );
        } else if say.text.trim().is_empty() {
            self.notes.flag(
                FlagKind::EmptyUtterance,
                format!("{at}: the candidate utterance is empty"),
            );
            self.check_speaker(&mut say, node, &what);
        } else {
            self.check_speaker(&mut say, node, &what);
        }
        say
    }

    fn distractor(&mut self, content: Option<&Value>, node: &str, at: &str) -> Option<Utterance> {
        let what = format!("a distractor {at}");
        let Some(mut d) = self.one_utterance(content, node, &what) else {
            self.notes.repair(
                node,
                RepairKind::EmptyDistractor,
                format!("{at}: dropped an empty distractor {}", json(content)),
            );
            return None;
        };
        if is_state_role(&d.speaker) {
            self.notes.flag(
                FlagKind::StateAsText,
                format!("{at}: a distractor is the state triple {:?}", d.text),
            );
        } else {
            if d.text.trim().is_empty() {
                self.notes.flag(
                    FlagKind::EmptyUtterance,
                    format!("{at}: a distractor is empty"),
                );
            }
            self.check_speaker(&mut d, node, &what);
        }
        Some(d)
    }

    /// An `ending confusion` entry: its `content` list of `{role, content}` lines, kept as data.
    fn ending_confusion(
        &mut self,
        entry: &Value,
        node: &str,
        at: &str,
        out: &mut Vec<EndingConfusion>,
    ) {
        let Some(Value::Array(items)) = entry.get("content") else {
            self.notes.flag(
                FlagKind::MalformedEndingConfusion,
                format!(
                    "{at}: an ending confusion without a `content` list dropped: {}",
                    json(Some(entry))
                ),
            );
            return;
        };
        let mut lines = Vec::with_capacity(items.len());
        for item in items {
            let line = item.as_object().filter(|o| {
                o.get("role").and_then(scalar_text).is_some()
                    && o.get("content").and_then(scalar_text).is_some()
            });
            match line {
                Some(o) => lines.push(self.utterance(o, node, "an ending-confusion line")),
                None => self.notes.flag(
                    FlagKind::MalformedEndingConfusion,
                    format!(
                        "{at}: an ending-confusion line dropped: {}",
                        snippet(&item.to_string(), 80)
                    ),
                ),
            }
        }
        if lines.is_empty() {
            self.notes.flag(
                FlagKind::MalformedEndingConfusion,
                format!("{at}: an empty ending confusion dropped"),
            );
        } else {
            out.push(EndingConfusion { lines });
        }
    }
}

/// Whether a string in `social state` is an ability name (BESSI or close to one).
fn is_ability_like(s: &str) -> bool {
    s.chars().any(char::is_alphabetic) && !matches!(bessi::normalize(s), Normalized::Unknown { .. })
}
