//! The world-tree script model (`kind: world_tree`).
//!
//! These types are what every other layer works with: the YAML loader builds them, the
//! SocialEval importer produces them, the engines walk them. They serialise to the YAML layout
//! documented in `README.md` (field order here is the order written to disk; empty optional
//! fields are skipped so hand-written and imported files look alike).
//!
//! Positions (`Span`) are filled by the loader and never serialised; they let the validator
//! report `file:line:col`.

use serde::{Deserialize, Serialize};

/// A 1-based line and column in a source file. `Span::default()` (0:0) means "unknown".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub line: u32,
    pub col: u32,
}

impl Span {
    #[must_use]
    pub const fn new(line: u32, col: u32) -> Self {
        Self { line, col }
    }

    #[must_use]
    pub const fn is_known(self) -> bool {
        self.line > 0
    }
}

/// Language of a script's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Zh,
}

impl Language {
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "en" => Some(Self::En),
            "zh" => Some(Self::Zh),
            _ => None,
        }
    }
}

/// The seven SocialEval social orientations, coded `[self-interest, altruism]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Orientation {
    Cooperation,
    Negotiation,
    Assistance,
    Altruism,
    Competition,
    Induction,
    Conflict,
}

impl Orientation {
    /// All seven, in the order of the SocialEval taxonomy table.
    pub const ALL: [Self; 7] = [
        Self::Cooperation,
        Self::Negotiation,
        Self::Assistance,
        Self::Altruism,
        Self::Competition,
        Self::Induction,
        Self::Conflict,
    ];

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Cooperation => "cooperation",
            Self::Negotiation => "negotiation",
            Self::Assistance => "assistance",
            Self::Altruism => "altruism",
            Self::Competition => "competition",
            Self::Induction => "induction",
            Self::Conflict => "conflict",
        }
    }

    /// The `[self-interest, altruism]` code.
    #[must_use]
    pub const fn code(self) -> [i8; 2] {
        match self {
            Self::Cooperation => [1, 1],
            Self::Negotiation => [1, 0],
            Self::Assistance => [0, 1],
            Self::Altruism => [-1, 1],
            Self::Competition => [1, -1],
            Self::Induction => [0, -1],
            Self::Conflict => [-1, -1],
        }
    }

    /// `prosocial`, `proself` or `antisocial`.
    #[must_use]
    pub const fn group(self) -> &'static str {
        match self {
            Self::Cooperation | Self::Negotiation | Self::Assistance | Self::Altruism => {
                "prosocial"
            }
            Self::Competition => "proself",
            Self::Induction | Self::Conflict => "antisocial",
        }
    }

    #[must_use]
    pub fn from_code(code: [i8; 2]) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == name)
    }
}

/// How an ending went for the protagonist's goal (SocialEval `goal achievement` 2/1/0/missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Partial,
    Failure,
    Unlabelled,
}

impl Outcome {
    pub const ALL: [Self; 4] = [
        Self::Success,
        Self::Partial,
        Self::Failure,
        Self::Unlabelled,
    ];

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Partial => "partial",
            Self::Failure => "failure",
            Self::Unlabelled => "unlabelled",
        }
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == name)
    }

    /// SocialEval's `goal achievement` label.
    #[must_use]
    pub const fn from_goal_achievement(label: Option<i64>) -> Self {
        match label {
            Some(2) => Self::Success,
            Some(1) => Self::Partial,
            Some(0) => Self::Failure,
            _ => Self::Unlabelled,
        }
    }
}

/// A character's part in the story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Protagonist,
    Supporting,
}

/// A character card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Character {
    /// The key `introduce` lines use, when two characters share a name (the importer names the
    /// second `Da Zhuang#2`); without it the name is the key. Never shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    /// `None` for characters that only appear through an `introduce` line mid-story.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alias: String,
    /// Free-text identity as the source gives it (e.g. "Protagonist", "Supporting Character").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identity: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub public_profile: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub private_profile: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub goal: String,
    /// `[self-interest, altruism]`, as the source gives it (not necessarily one of the seven).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orientation: Option<[i8; 2]>,
    /// SocialEval's `state` triple for characters introduced mid-story.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Vec<i64>>,
    /// SocialEval's `behavior` field, kept as data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<i64>,
    /// The profile as the source wrote it, when the card's fields do not give it back (see
    /// [`crate::script::written`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_written: Option<crate::script::written::WrittenProfile>,
    #[serde(skip)]
    pub span: Span,
}

impl Character {
    /// The key `introduce` lines name this character by: its `id`, else its name.
    #[must_use]
    pub fn key(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.name)
    }
}

/// Someone says something.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Utterance {
    pub speaker: String,
    pub text: String,
    /// The speaker as the source spelled it, when the importer repaired it (name drift, control
    /// characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker_original: Option<String>,
    /// The text as the source wrote it, when the importer repaired it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_original: Option<String>,
    #[serde(skip)]
    pub span: Span,
}

/// One line of a node's dialogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// `{speaker, text}`.
    Speech(Utterance),
    /// `{narration, label?}`: descriptive text; `label` keeps the source's role word
    /// (SocialEval uses `description` and `content`), needed to rebuild the official prompt.
    Narration {
        text: String,
        label: Option<String>,
        span: Span,
    },
    /// `{introduce: NAME}`: a character enters here; the card is in `characters`.
    Introduce { name: String, span: Span },
}

impl Line {
    #[must_use]
    pub const fn span(&self) -> Span {
        match self {
            Self::Speech(u) => u.span,
            Self::Narration { span, .. } | Self::Introduce { span, .. } => *span,
        }
    }
}

/// Node type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Beginning,
    Choice,
    Ending,
}

impl NodeKind {
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Beginning => "beginning",
            Self::Choice => "choice",
            Self::Ending => "ending",
        }
    }
}

/// SocialEval's two choice types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ChoiceKind {
    #[default]
    Skill,
    Situation,
}

/// The IAE item attached to a choice: which ability the candidate utterance shows, asked as a
/// multiple-choice question against distractors.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IaeItem {
    pub question: String,
    /// The question as the source wrote it, when the importer cleaned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question_original: Option<String>,
    /// Abilities the question names (the source's `skill` on the question), normalised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub abilities: Vec<String>,
    /// The question's tags as the source wrote them, when they differ from `abilities` (an
    /// empty list: the question had none, and `abilities` came from elsewhere). The official
    /// IAE aggregation keys abilities by these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abilities_original: Option<Vec<String>>,
    pub distractors: Vec<Utterance>,
    /// Why the official SocialEval scripts cannot build this item from the source (socius
    /// keeps its repaired version; `--protocol socialeval` skips it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub official_skip: Option<OfficialSkip>,
    #[serde(skip)]
    pub span: Span,
}

/// Why the official SocialEval scripts cannot use a piece of the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficialSkip {
    /// The candidate utterance is not a `{role, content}` object (a list, say).
    CandidateUnreadable,
    /// A distractor is not a `{role, content}` object (an empty one, say).
    DistractorUnreadable,
}

impl OfficialSkip {
    pub const ALL: [Self; 2] = [Self::CandidateUnreadable, Self::DistractorUnreadable];

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::CandidateUnreadable => "candidate_unreadable",
            Self::DistractorUnreadable => "distractor_unreadable",
        }
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl IaeItem {
    /// The question's tags as the source wrote them (the normalised ones when they were kept
    /// as written).
    #[must_use]
    pub fn source_tags(&self) -> &[String] {
        self.abilities_original
            .as_deref()
            .unwrap_or(&self.abilities)
    }
}

/// An ending confusion as SocialEval stores it: alternative lines (an utterance, a state), kept
/// as data.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EndingConfusion {
    pub lines: Vec<Utterance>,
}

/// One option at a choice point: the protagonist's candidate utterance and where it leads.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Choice {
    /// The choice's own id, unique within its node: the file's `id:`, else
    /// `<node id>.<1-based position>` (see [`default_choice_id`]). Two choices with the same
    /// target are told apart by it. Filled by the loader and the importer; never written (an
    /// imported tree's ids are the defaults). Empty in a tree built in code: use
    /// [`Node::choice_id`].
    #[serde(skip)]
    pub id: String,
    /// The id was written in the file (not derived).
    #[serde(skip)]
    pub id_written: bool,
    /// Id of the node this choice leads to.
    pub target: String,
    #[serde(default)]
    pub kind: ChoiceKind,
    /// Normalised BESSI ability names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub abilities: Vec<String>,
    /// The source's ability tags, when any had to be repaired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abilities_original: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub social_state: Option<Vec<i64>>,
    /// The candidate utterance.
    pub say: Utterance,
    /// The source's `content` is not a `{role, content}` object: the official GAE script fails
    /// on a node offering this choice (the episode is lost), the official IAE build skips its
    /// item.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub say_unreadable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iae: Option<IaeItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ending_confusions: Vec<EndingConfusion>,
    #[serde(skip)]
    pub span: Span,
    #[serde(skip)]
    pub target_span: Span,
}

/// A node of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: NodeKind,
    /// Endings only. Missing in the file means `Unlabelled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Endings only: SocialEval's ending `state` triple.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<Line>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// The `dialog` as the source wrote it, when the lines do not give it back (see
    /// [`crate::script::written`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialog_as_written: Option<Vec<crate::script::written::WrittenItem>>,
    #[serde(skip)]
    pub span: Span,
}

/// The id a choice gets when its file gives none: `<node id>.<position>`, 1-based (`n3.2`).
#[must_use]
pub fn default_choice_id(node_id: &str, index: usize) -> String {
    format!("{node_id}.{}", index + 1)
}

impl Node {
    /// The id of choice `index`: its own, else the default one.
    #[must_use]
    pub fn choice_id(&self, index: usize) -> std::borrow::Cow<'_, str> {
        match self.choices.get(index) {
            Some(c) if !c.id.is_empty() => std::borrow::Cow::Borrowed(c.id.as_str()),
            _ => std::borrow::Cow::Owned(default_choice_id(&self.id, index)),
        }
    }
}

/// Where an imported tree came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Provenance {
    /// Source file name (not a full path).
    pub source: String,
    /// Importer name and version, e.g. `socius-import-socialeval/1`.
    pub importer: String,
    /// Quirks that could not be repaired (e.g. `not_playable_as_text`, `dead_end`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// Number of repairs the importer made (the details are in the import report).
    #[serde(default)]
    pub repairs: usize,
}

/// Tree-level flag: some candidate utterances are state triples, not text.
pub const FLAG_NOT_PLAYABLE_AS_TEXT: &str = "not_playable_as_text";
/// Tree-level flag: the source has choice nodes without choices; `check` warns instead of
/// failing.
pub const FLAG_DEAD_END: &str = "dead_end";
/// Tree-level flag: the source has empty candidate utterances or distractors; `check` warns
/// instead of failing.
pub const FLAG_EMPTY_UTTERANCE: &str = "empty_utterance";

/// A `kind: world_tree` script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldTree {
    /// Position of the document (for tree-level diagnostics).
    pub span: Span,
    pub id: String,
    pub title: String,
    pub language: Language,
    pub orientation: Orientation,
    pub provenance: Option<Provenance>,
    pub scenario: String,
    pub characters: Vec<Character>,
    /// Nodes in file order; the first node of kind `beginning` is where walks start.
    pub nodes: Vec<Node>,
}

impl WorldTree {
    /// The protagonist (the first character with role `protagonist`).
    #[must_use]
    pub fn protagonist(&self) -> Option<&Character> {
        self.characters
            .iter()
            .find(|c| c.role == Some(Role::Protagonist))
    }

    /// The character an `introduce` line names (by its key: `id`, else name).
    #[must_use]
    pub fn character(&self, key: &str) -> Option<&Character> {
        self.characters.iter().find(|c| c.key() == key)
    }

    /// Index of the start node (first `beginning` node, else the first node).
    #[must_use]
    pub fn start(&self) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| n.kind == NodeKind::Beginning)
            .or(if self.nodes.is_empty() { None } else { Some(0) })
    }

    /// Index of the node with this id (linear; use [`NodeIndex`] for repeated look-ups).
    #[must_use]
    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }

    /// Give every choice without an id its default one ([`default_choice_id`]).
    pub fn fill_choice_ids(&mut self) {
        for node in &mut self.nodes {
            for (i, c) in node.choices.iter_mut().enumerate() {
                if c.id.is_empty() {
                    c.id = default_choice_id(&node.id, i);
                    c.id_written = false;
                }
            }
        }
    }

    /// Whether a provenance flag is set.
    #[must_use]
    pub fn has_flag(&self, flag: &str) -> bool {
        self.provenance
            .as_ref()
            .is_some_and(|p| p.flags.iter().any(|f| f == flag))
    }
}

/// Id → index map for a tree's nodes.
#[derive(Debug, Default, Clone)]
pub struct NodeIndex {
    map: std::collections::HashMap<String, usize>,
}

impl NodeIndex {
    #[must_use]
    pub fn new(tree: &WorldTree) -> Self {
        let mut map = std::collections::HashMap::with_capacity(tree.nodes.len());
        for (i, n) in tree.nodes.iter().enumerate() {
            map.entry(n.id.clone()).or_insert(i);
        }
        Self { map }
    }

    #[must_use]
    pub fn get(&self, id: &str) -> Option<usize> {
        self.map.get(id).copied()
    }
}

impl Serialize for Line {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Self::Speech(u) => {
                let n = 2
                    + usize::from(u.speaker_original.is_some())
                    + usize::from(u.text_original.is_some());
                let mut m = serializer.serialize_map(Some(n))?;
                m.serialize_entry("speaker", &u.speaker)?;
                m.serialize_entry("text", &u.text)?;
                if let Some(orig) = &u.speaker_original {
                    m.serialize_entry("speaker_original", orig)?;
                }
                if let Some(orig) = &u.text_original {
                    m.serialize_entry("text_original", orig)?;
                }
                m.end()
            }
            Self::Narration { text, label, .. } => {
                let mut m = serializer.serialize_map(Some(1 + usize::from(label.is_some())))?;
                m.serialize_entry("narration", text)?;
                if let Some(label) = label {
                    m.serialize_entry("label", label)?;
                }
                m.end()
            }
            Self::Introduce { name, .. } => {
                let mut m = serializer.serialize_map(Some(1))?;
                m.serialize_entry("introduce", name)?;
                m.end()
            }
        }
    }
}

impl Serialize for WorldTree {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("kind", "world_tree")?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("title", &self.title)?;
        m.serialize_entry("language", &self.language)?;
        m.serialize_entry("orientation", &self.orientation)?;
        m.serialize_entry("orientation_code", &self.orientation.code())?;
        if let Some(p) = &self.provenance {
            m.serialize_entry("provenance", p)?;
        }
        if !self.scenario.is_empty() {
            m.serialize_entry("scenario", &self.scenario)?;
        }
        m.serialize_entry("characters", &self.characters)?;
        m.serialize_entry("nodes", &self.nodes)?;
        m.end()
    }
}
