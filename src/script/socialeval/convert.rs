//! One SocialEval tree (`serde_json::Value`) → [`WorldTree`]: the tree, its characters and its
//! nodes. Choices are in `choice.rs`.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use super::notes::{FlagKind, Notes, RepairKind, snippet};
use super::text::{
    alias_names, cjk_share, is_state_role, name_key, strip_controls, strip_leading_colon,
};
use super::{Converted, IMPORTER, ImportError, SourceMeta};
use crate::script::model::{
    Character, Language, Line, Node, Orientation, Provenance, Role, Span, Utterance, WorldTree,
};

/// State of one conversion.
pub(super) struct Ctx {
    pub notes: Notes,
    pub protagonist: String,
    /// Name keys of the protagonist's aliases.
    aliases: Vec<String>,
    /// Name keys of every other character (predefined or introduced).
    others: HashSet<String>,
    pub characters: Vec<Character>,
    /// Speakers of candidate utterances and distractors that are not the protagonist:
    /// (speaker, is another character) → count.
    mismatches: BTreeMap<(String, bool), usize>,
}

/// Text of a JSON scalar (`null` is empty); `None` for lists and objects.
pub(super) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some(String::new()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn shape(msg: impl Into<String>) -> ImportError {
    ImportError::Shape(msg.into())
}

/// Convert one tree.
pub(super) fn convert(value: &Value, meta: &SourceMeta) -> Result<Converted, ImportError> {
    let Value::Object(top) = value else {
        return Err(shape(format!(
            "a SocialEval tree is a JSON object with `predefined_profiles`, `scenario` and `interactive_plot`, found {}",
            type_name(value)
        )));
    };
    let profiles = match top.get("predefined_profiles") {
        Some(Value::Array(p)) if !p.is_empty() => p,
        Some(Value::Array(_)) => {
            return Err(shape("`predefined_profiles` is empty: no protagonist"));
        }
        Some(other) => {
            return Err(shape(format!(
                "`predefined_profiles` must be a list, found {}",
                type_name(other)
            )));
        }
        None => return Err(shape("missing `predefined_profiles`")),
    };
    let plot = match top.get("interactive_plot") {
        Some(Value::Array(p)) if !p.is_empty() => p,
        Some(Value::Array(_)) => return Err(shape("`interactive_plot` is empty: no nodes")),
        Some(other) => {
            return Err(shape(format!(
                "`interactive_plot` must be a list, found {}",
                type_name(other)
            )));
        }
        None => return Err(shape("missing `interactive_plot`")),
    };
    let mut ctx = Ctx {
        notes: Notes::default(),
        protagonist: String::new(),
        aliases: Vec::new(),
        others: HashSet::new(),
        characters: Vec::new(),
        mismatches: BTreeMap::new(),
    };
    for key in top.keys() {
        if !matches!(
            key.as_str(),
            "predefined_profiles" | "scenario" | "interactive_plot"
        ) {
            ctx.notes.flag(
                FlagKind::IgnoredField,
                format!("top-level field `{key}` ignored"),
            );
        }
    }
    let Some(Value::Object(first)) = profiles.first() else {
        return Err(shape(
            "the protagonist (`predefined_profiles[0]`) must be an object",
        ));
    };
    let protagonist = ctx
        .character(first, Some(Role::Protagonist), "")
        .ok_or_else(|| shape("the protagonist (`predefined_profiles[0]`) has no name"))?;
    if !first.contains_key("private profile") {
        ctx.notes.flag(
            FlagKind::MissingPrivateProfile,
            format!("`{}` has no private profile", protagonist.name),
        );
    }
    if protagonist.goal.trim().is_empty() {
        ctx.notes.flag(
            FlagKind::EmptyGoal,
            format!("`{}` has an empty goal", protagonist.name),
        );
    }
    let orientation = orientation(first, meta, &mut ctx.notes)?;
    ctx.protagonist.clone_from(&protagonist.name);
    ctx.aliases = alias_names(&protagonist.alias).map(name_key).collect();
    ctx.characters.push(protagonist);
    for (i, p) in profiles.iter().enumerate().skip(1) {
        let card = match p {
            Value::Object(p) => ctx.character(p, Some(Role::Supporting), ""),
            _ => None,
        };
        match card {
            Some(card) if ctx.characters.iter().all(|c| c.name != card.name) => ctx.characters.push(card),
            _ => ctx.notes.flag(
                FlagKind::MalformedProfile,
                format!("`predefined_profiles[{i}]` skipped (not an object, no name, or a repeated name)"),
            ),
        }
    }
    collect_other_names(&mut ctx, plot);
    let mut nodes = Vec::with_capacity(plot.len());
    let mut ids = HashSet::with_capacity(plot.len());
    for (i, raw) in plot.iter().enumerate() {
        let node = ctx.node(raw, i)?;
        if !ids.insert(node.id.clone()) {
            return Err(shape(format!("two nodes have cid {}", &node.id[1..])));
        }
        nodes.push(node);
    }
    for n in &nodes {
        for c in &n.choices {
            if !ids.contains(&c.target) {
                return Err(shape(format!(
                    "node {} has a choice leading to cid {}, which is not a node",
                    n.id,
                    &c.target[1..]
                )));
            }
        }
    }
    ctx.finish_mismatches();
    let scenario = match top.get("scenario").map(|s| (s, scalar_text(s))) {
        None => String::new(),
        Some((_, Some(s))) => ctx.clean_text(&s, "", "scenario", false),
        Some((other, None)) => {
            ctx.notes.flag(
                FlagKind::IgnoredField,
                format!("`scenario` is a {}; ignored", type_name(other)),
            );
            String::new()
        }
    };
    let language = meta
        .language
        .unwrap_or_else(|| guess_language(&scenario, &ctx.characters, &nodes));
    let mut flags: Vec<String> = ctx
        .notes
        .flags
        .iter()
        .map(|f| f.kind.name().to_owned())
        .collect();
    flags.sort();
    flags.dedup();
    let title = readable_title(&scenario, &ctx.protagonist, &meta.stem);
    let mut tree = WorldTree {
        span: Span::default(),
        id: meta.id.clone(),
        title,
        language,
        orientation,
        provenance: Some(Provenance {
            source: meta.source.clone(),
            importer: IMPORTER.to_owned(),
            flags,
            repairs: ctx.notes.repairs.len(),
        }),
        scenario,
        characters: ctx.characters,
        nodes,
    };
    tree.fill_choice_ids();
    Ok(Converted {
        tree,
        repairs: ctx.notes.repairs,
        flags: ctx.notes.flags,
    })
}

pub(super) const fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

pub(super) fn pair(v: Option<&Value>) -> Option<[i8; 2]> {
    let Some(Value::Array(items)) = v else {
        return None;
    };
    match items.as_slice() {
        [a, b] => {
            let a = i8::try_from(a.as_i64()?).ok()?;
            let b = i8::try_from(b.as_i64()?).ok()?;
            ((-1..=1).contains(&a) && (-1..=1).contains(&b)).then_some([a, b])
        }
        _ => None,
    }
}

/// The protagonist's orientation code, else the file name's; an unknown code is an error.
fn orientation(
    p: &Map<String, Value>,
    meta: &SourceMeta,
    notes: &mut Notes,
) -> Result<Orientation, ImportError> {
    let own = pair(p.get("orientation"));
    let code = match (own, meta.orientation) {
        (Some(own), Some(named)) if own != named => {
            notes.flag(
                FlagKind::OrientationMismatch,
                format!("the protagonist's orientation {own:?} differs from the file name's {named:?}; the protagonist's is used"),
            );
            own
        }
        (Some(code), _) | (None, Some(code)) => code,
        (None, None) => {
            return Err(shape(
                "no orientation: the protagonist has no `orientation` [a, b] and the file name has no `[a,b]_` prefix",
            ));
        }
    };
    Orientation::from_code(code).ok_or_else(|| {
        shape(format!(
            "unknown orientation code {code:?}; SocialEval has seven (e.g. [1, 1] cooperation)"
        ))
    })
}

fn guess_language(scenario: &str, characters: &[Character], nodes: &[Node]) -> Language {
    let mut texts: Vec<&str> = vec![scenario];
    texts.extend(
        characters
            .iter()
            .flat_map(|c| [c.name.as_str(), c.public_profile.as_str()]),
    );
    for line in nodes.iter().flat_map(|n| &n.lines).take(60) {
        match line {
            Line::Speech(u) => texts.push(&u.text),
            Line::Narration { text, .. } => texts.push(text),
            Line::Introduce { .. } => {}
        }
    }
    if cjk_share(texts) > 0.3 {
        Language::Zh
    } else {
        Language::En
    }
}

/// Names of characters introduced mid-story, so speaker checks know every character up front.
fn collect_other_names(ctx: &mut Ctx, plot: &[Value]) {
    for c in ctx.characters.iter().skip(1) {
        ctx.others.insert(name_key(&c.name));
    }
    for node in plot {
        let Some(Value::Array(dialog)) = node.get("dialog") else {
            continue;
        };
        for item in dialog {
            if let Some(name) = item
                .get("profile")
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str)
            {
                ctx.others.insert(name_key(name));
            }
        }
    }
    ctx.others.remove(&name_key(&ctx.protagonist));
}

impl Ctx {
    /// Clean a text: control characters always; a stray leading colon when `colon`.
    pub fn clean_text(&mut self, raw: &str, node: &str, what: &str, colon: bool) -> String {
        let mut text = raw.to_owned();
        if let Some(t) = strip_controls(&text) {
            self.notes.repair(
                node,
                RepairKind::ControlCharacters,
                format!("control characters in {what}"),
            );
            text = t;
        }
        if colon && let Some(t) = strip_leading_colon(&text) {
            self.notes.repair(
                node,
                RepairKind::LeadingColon,
                format!("stray colon at the start of {what}: {:?}", snippet(&t, 30)),
            );
            text = t;
        }
        text
    }

    /// A `{role, content}` object as an utterance (text cleaned; the speaker not yet checked).
    pub fn utterance(&mut self, obj: &Map<String, Value>, node: &str, what: &str) -> Utterance {
        let role = obj.get("role").and_then(scalar_text).unwrap_or_default();
        let content = obj.get("content").and_then(scalar_text).unwrap_or_default();
        let speaker = self.clean_text(&role, node, &format!("a speaker name ({what})"), false);
        let text = self.clean_text(&content, node, what, true);
        Utterance {
            speaker_original: (speaker != role).then_some(role),
            text_original: (text != content).then_some(content),
            speaker,
            text,
            span: Span::default(),
        }
    }

    /// Restore the protagonist's exact name on a candidate utterance or distractor when the
    /// speaker differs only by spacing/case/hyphens/apostrophes or is an alias; otherwise count
    /// the mismatch for a flag.
    pub fn check_speaker(&mut self, u: &mut Utterance, node: &str, what: &str) {
        if u.speaker == self.protagonist || is_state_role(&u.speaker) {
            return;
        }
        let key = name_key(&u.speaker);
        let drift = !key.is_empty()
            && !self.others.contains(&key)
            && (key == name_key(&self.protagonist) || self.aliases.contains(&key));
        if drift {
            self.notes.repair(
                node,
                RepairKind::SpeakerName,
                format!("{what}: speaker `{}` → `{}`", u.speaker, self.protagonist),
            );
            let before = std::mem::replace(&mut u.speaker, self.protagonist.clone());
            // The source's spelling (a cleaned one is not: the original is already kept).
            u.speaker_original.get_or_insert(before);
        } else {
            let other = self.others.contains(&key);
            *self
                .mismatches
                .entry((u.speaker.clone(), other))
                .or_default() += 1;
        }
    }

    fn finish_mismatches(&mut self) {
        for ((speaker, other), n) in std::mem::take(&mut self.mismatches) {
            let why = if other {
                "another character"
            } else {
                "not a known character; left as written"
            };
            self.notes.flag(
                FlagKind::SpeakerMismatch,
                format!("{n} candidate utterance(s)/distractor(s) spoken by `{speaker}`, not the protagonist `{}` ({why})", self.protagonist),
            );
        }
    }
}

/// Compact JSON of an optional value, for report details.
pub(super) fn json(v: Option<&Value>) -> String {
    v.map_or_else(|| "null".to_owned(), |v| snippet(&v.to_string(), 80))
}

/// Display columns a title from the scenario may take.
const TITLE_COLUMNS: usize = 48;

/// A title people can tell apart in a list: the first words of the scenario's first sentence
/// (the orientation and the language have columns of their own). Without a scenario: the
/// protagonist and the source file's name.
fn readable_title(scenario: &str, protagonist: &str, stem: &str) -> String {
    let text = scenario.split_whitespace().collect::<Vec<_>>().join(" ");
    // The first sentence with words in it (a scenario may open with stray punctuation).
    let sentence = text
        .split_inclusive(['.', '!', '?', '。', '！', '？'])
        .map(|s| s.trim_matches(|c: char| c.is_whitespace() || c == '.' || c == '。'))
        .find(|s| s.chars().filter(|c| c.is_alphanumeric()).count() >= 2);
    match sentence {
        Some(s) => crate::term::truncate_words(s, TITLE_COLUMNS),
        None => format!("{protagonist} ({stem})"),
    }
}
