//! The CR script model: `kind: cr_protocol` (the staged method and its catalogues),
//! `kind: cr_case` (a client's presenting situation and hidden conceptualisation) and
//! `kind: cr_redteam` (messages with the safety verdict a lexicon should give).
//!
//! The loader builds these types from YAML (see `decode.rs`); positions (`Span`) are filled by
//! it and never serialised, so the validator can report `file:line:col`. The types serialise
//! (without positions) so a session can record exactly what it ran with.

use serde::Serialize;

use crate::script::model::{Language, Span};

/// Text in both languages of socius (`{en: …, zh: …}`). A missing language is empty; the
/// validator says when that matters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Bilingual {
    pub en: String,
    pub zh: String,
    #[serde(skip)]
    pub span: Span,
}

impl Bilingual {
    /// The text in `lang`, or in the other language when that one is empty.
    #[must_use]
    pub fn get(&self, lang: Language) -> &str {
        let (want, other) = match lang {
            Language::En => (&self.en, &self.zh),
            Language::Zh => (&self.zh, &self.en),
        };
        if want.trim().is_empty() { other } else { want }
    }

    /// The text in exactly `lang` (possibly empty).
    #[must_use]
    pub fn exactly(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.en,
            Language::Zh => &self.zh,
        }
    }
}

/// An id written in one place that names something defined in another (a distortion, a
/// strategy, a safety category, a protocol), with where it is written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct IdRef {
    pub id: String,
    #[serde(skip)]
    pub span: Span,
}

/// The six CR stages a protocol file may name: a closed set, checked when the file is read.
/// The names are those of the open vocabulary [`crate::vocab::CrStage`] (what the stage
/// machine and the stored events use); `CrStage::from(stage_id)` converts, and a test keeps
/// the two lists equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageId {
    AutomaticThoughts,
    IntermediateBeliefs,
    CoreBeliefs,
    Defense,
    Prosecution,
    Verdict,
}

impl From<StageId> for crate::vocab::CrStage {
    fn from(s: StageId) -> Self {
        match s {
            StageId::AutomaticThoughts => Self::AutomaticThoughts,
            StageId::IntermediateBeliefs => Self::IntermediateBeliefs,
            StageId::CoreBeliefs => Self::CoreBeliefs,
            StageId::Defense => Self::Defense,
            StageId::Prosecution => Self::Prosecution,
            StageId::Verdict => Self::Verdict,
        }
    }
}

/// The two phases of a CR dialogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// CT-guided identification, once per dialogue (and `core_beliefs` again after a verdict).
    Identification,
    /// DAT-driven restructuring, once per channel (distortion).
    Restructuring,
}

impl StageId {
    /// Every stage, in the order a dialogue meets them.
    pub const ALL: [Self; 6] = [
        Self::AutomaticThoughts,
        Self::IntermediateBeliefs,
        Self::CoreBeliefs,
        Self::Defense,
        Self::Prosecution,
        Self::Verdict,
    ];

    /// The names, in the order of [`StageId::ALL`].
    pub const NAMES: [&'static str; 6] = [
        "automatic_thoughts",
        "intermediate_beliefs",
        "core_beliefs",
        "defense",
        "prosecution",
        "verdict",
    ];

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::AutomaticThoughts => "automatic_thoughts",
            Self::IntermediateBeliefs => "intermediate_beliefs",
            Self::CoreBeliefs => "core_beliefs",
            Self::Defense => "defense",
            Self::Prosecution => "prosecution",
            Self::Verdict => "verdict",
        }
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    #[must_use]
    pub const fn phase(self) -> Phase {
        match self {
            Self::AutomaticThoughts | Self::IntermediateBeliefs | Self::CoreBeliefs => {
                Phase::Identification
            }
            Self::Defense | Self::Prosecution | Self::Verdict => Phase::Restructuring,
        }
    }
}

/// When the engine leaves a stage: when the therapist (or a judge, or the clinician) reports
/// the stage's goal met, when the stage has had `max_turns` therapist turns, or whichever comes
/// first when both are set. A clinician's override always wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExitCondition {
    pub goal_met: bool,
    /// Therapist turns in this stage (per visit: per channel for restructuring stages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u32>,
    #[serde(skip)]
    pub span: Span,
}

/// One stage of the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    pub id: StageId,
    pub title: Bilingual,
    /// What the stage is for; a staged therapist reports whether it looks met.
    pub goal: Bilingual,
    /// How the therapist should work in this stage (given to a staged model, shown to a human
    /// therapist).
    pub guidance: Bilingual,
    pub exit: ExitCondition,
    /// Sub-strategies that suit this stage (a hint; any strategy may be used).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub strategies: Vec<IdRef>,
    #[serde(skip)]
    pub span: Span,
}

/// How the stages repeat: after a verdict the dialogue goes back to `after_verdict` (the
/// dissection of core beliefs, the last identification stage) for the next open channel; the
/// caps bound channels and the whole dialogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoopPolicy {
    pub after_verdict: StageId,
    #[serde(skip)]
    pub after_verdict_span: Span,
    /// `true`: after a verdict, finish when no channel is open and no distortion waits (the
    /// engine's `UntilClosed`); `false`: go back to core beliefs while fewer than
    /// `max_channels` channels exist, in case new distortions surface (`Revisit`).
    pub finish_when_no_open_channel: bool,
    /// The most channels (distortions restructured) one dialogue opens.
    pub max_channels: u32,
    /// The most turns one dialogue takes, both speakers counted (the client's opening too),
    /// as the stage machine counts them.
    pub max_turns: u32,
    #[serde(skip)]
    pub span: Span,
}

/// One cognitive distortion of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Distortion {
    pub id: String,
    pub name: Bilingual,
    pub definition: Bilingual,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<Bilingual>,
    #[serde(skip)]
    pub span: Span,
}

/// A strategy category (description, expression, …) and its sub-categories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StrategyCategory {
    pub id: String,
    pub name: Bilingual,
    pub definition: Bilingual,
    pub subcategories: Vec<Strategy>,
    #[serde(skip)]
    pub span: Span,
}

/// A sub-category: the label one therapist sentence carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Strategy {
    pub id: String,
    pub name: Bilingual,
    pub definition: Bilingual,
    /// The one-key shortcut a human therapist uses to tag a sentence in the TUI.
    pub key: char,
    #[serde(skip)]
    pub key_span: Span,
    #[serde(skip)]
    pub span: Span,
}

/// A safety category (what kind of risk a lexicon term signals).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SafetyCategory {
    pub id: String,
    pub name: Bilingual,
    #[serde(skip)]
    pub span: Span,
}

/// One lexicon term. Syntax (see `safety.rs`): terms in Chinese (or Japanese, Korean) script
/// match as substrings; others match whole words, case-insensitively; a word ending in `*`
/// matches any word it begins; `...` between words allows a few words (or characters) in
/// between.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LexiconTerm {
    pub language: Language,
    pub category: String,
    pub text: String,
    #[serde(skip)]
    pub category_span: Span,
    #[serde(skip)]
    pub span: Span,
}

/// A near-miss phrase: where it occurs in a message, no term is matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exclusion {
    pub language: Language,
    pub text: String,
    #[serde(skip)]
    pub span: Span,
}

/// What the person sees when a trigger stops the dialogue, in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handoff {
    pub language: Language,
    pub text: String,
    /// Where to get help now; written by whoever deploys socius (empty: the engine refuses a
    /// human client).
    pub resources: Vec<String>,
    #[serde(skip)]
    pub span: Span,
}

/// The safety part of a protocol: categories, lexicon, near-miss exclusions, handoff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Safety {
    /// In order of precedence: a message matching terms of two categories gets the first.
    pub categories: Vec<SafetyCategory>,
    pub terms: Vec<LexiconTerm>,
    pub exclusions: Vec<Exclusion>,
    pub handoff: Vec<Handoff>,
    #[serde(skip)]
    pub span: Span,
}

impl Safety {
    /// The handoff in `lang`.
    #[must_use]
    pub fn handoff(&self, lang: Language) -> Option<&Handoff> {
        self.handoff.iter().find(|h| h.language == lang)
    }
}

/// How a measure's number reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// 0–100 %.
    Percent,
    /// Points on a scale.
    Points,
}

impl Unit {
    pub const NAMES: [&'static str; 2] = ["percent", "points"];

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "percent" => Some(Self::Percent),
            "points" => Some(Self::Points),
            _ => None,
        }
    }
}

/// A labelled point of a scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anchor {
    pub value: i64,
    pub label: Bilingual,
    #[serde(skip)]
    pub span: Span,
}

/// A pre/post measure the client rates before and after a dialogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measure {
    pub id: String,
    pub name: Bilingual,
    pub question: Bilingual,
    pub min: i64,
    pub max: i64,
    pub unit: Unit,
    pub anchors: Vec<Anchor>,
    #[serde(skip)]
    pub span: Span,
}

/// What a rubric rating is given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RubricScope {
    /// Each therapist turn.
    Turn,
    /// The whole dialogue.
    Dialogue,
}

/// A Likert scale with labelled anchors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scale {
    pub min: i64,
    pub max: i64,
    pub anchors: Vec<Anchor>,
    #[serde(skip)]
    pub span: Span,
}

/// One rubric item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RubricItem {
    pub id: String,
    pub name: Bilingual,
    pub question: Bilingual,
    #[serde(skip)]
    pub span: Span,
}

/// The rating rubric: named items on one Likert scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rubric {
    pub per: RubricScope,
    pub scale: Scale,
    pub items: Vec<RubricItem>,
    #[serde(skip)]
    pub span: Span,
}

/// A whole `kind: cr_protocol` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrProtocol {
    pub id: String,
    pub title: Bilingual,
    /// `automatic_thoughts`, `intermediate_beliefs`, `core_beliefs`, in that order.
    pub identification: Vec<Stage>,
    /// `defense`, `prosecution`, `verdict`, in that order, run per channel.
    pub restructuring: Vec<Stage>,
    #[serde(rename = "loop")]
    pub loop_policy: LoopPolicy,
    pub distortions: Vec<Distortion>,
    pub strategies: Vec<StrategyCategory>,
    pub safety: Safety,
    pub measures: Vec<Measure>,
    pub rubric: Rubric,
    #[serde(skip)]
    pub span: Span,
}

impl CrProtocol {
    /// Every stage, identification first.
    pub fn stages(&self) -> impl Iterator<Item = &Stage> {
        self.identification.iter().chain(&self.restructuring)
    }

    #[must_use]
    pub fn stage(&self, id: StageId) -> Option<&Stage> {
        self.stages().find(|s| s.id == id)
    }

    #[must_use]
    pub fn distortion(&self, id: &str) -> Option<&Distortion> {
        self.distortions.iter().find(|d| d.id == id)
    }

    /// Every sub-category with its category, in file order.
    pub fn all_strategies(&self) -> impl Iterator<Item = (&StrategyCategory, &Strategy)> {
        self.strategies
            .iter()
            .flat_map(|c| c.subcategories.iter().map(move |s| (c, s)))
    }

    /// A sub-category by id.
    #[must_use]
    pub fn strategy(&self, id: &str) -> Option<(&StrategyCategory, &Strategy)> {
        self.all_strategies().find(|(_, s)| s.id == id)
    }

    /// A sub-category by its TUI shortcut.
    #[must_use]
    pub fn strategy_by_key(&self, key: char) -> Option<(&StrategyCategory, &Strategy)> {
        self.all_strategies().find(|(_, s)| s.key == key)
    }

    #[must_use]
    pub fn measure(&self, id: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.id == id)
    }
}

/// The three families of core beliefs in Beck's model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BeliefFamily {
    Helpless,
    Unlovable,
    Worthless,
}

impl BeliefFamily {
    pub const NAMES: [&'static str; 3] = ["helpless", "unlovable", "worthless"];

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "helpless" => Some(Self::Helpless),
            "unlovable" => Some(Self::Unlovable),
            "worthless" => Some(Self::Worthless),
            _ => None,
        }
    }

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Helpless => "helpless",
            Self::Unlovable => "unlovable",
            Self::Worthless => "worthless",
        }
    }
}

/// A core belief with its family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoreBelief {
    pub family: BeliefFamily,
    pub belief: String,
    #[serde(skip)]
    pub span: Span,
}

/// How strongly a simulated client holds on to its thoughts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResistanceLevel {
    Low,
    Moderate,
    High,
}

impl ResistanceLevel {
    pub const NAMES: [&'static str; 3] = ["low", "moderate", "high"];

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "low" => Some(Self::Low),
            "moderate" => Some(Self::Moderate),
            "high" => Some(Self::High),
            _ => None,
        }
    }

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Moderate => "moderate",
            Self::High => "high",
        }
    }
}

/// How much and how the client resists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resistance {
    pub level: ResistanceLevel,
    /// How it shows (for the simulated client's prompt and the clinician reading the case).
    pub how: String,
    #[serde(skip)]
    pub span: Span,
}

/// The six conversational styles of simulated clients (Patient-Ψ): they shape how much the
/// client discloses and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    Plain,
    Upset,
    Verbose,
    Reserved,
    Tangent,
    Pleasing,
}

impl Style {
    pub const NAMES: [&'static str; 6] = [
        "plain", "upset", "verbose", "reserved", "tangent", "pleasing",
    ];

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "plain" => Some(Self::Plain),
            "upset" => Some(Self::Upset),
            "verbose" => Some(Self::Verbose),
            "reserved" => Some(Self::Reserved),
            "tangent" => Some(Self::Tangent),
            "pleasing" => Some(Self::Pleasing),
            _ => None,
        }
    }

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Upset => "upset",
            Self::Verbose => "verbose",
            Self::Reserved => "reserved",
            Self::Tangent => "tangent",
            Self::Pleasing => "pleasing",
        }
    }
}

/// A CBT cognitive conceptualisation of the client: what a simulated client plays, and what
/// a clinician reads. Never shown to the therapist in a dialogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseProfile {
    /// Relevant history (what made the core beliefs likely).
    pub history: String,
    pub automatic_thoughts: Vec<String>,
    pub emotions: Vec<String>,
    pub behaviours: Vec<String>,
    /// Rules, attitudes and assumptions.
    pub intermediate_beliefs: Vec<String>,
    pub core_beliefs: Vec<CoreBelief>,
    pub coping_strategies: Vec<String>,
    /// Ids from the protocol's distortion catalogue.
    pub distortions: Vec<IdRef>,
    pub resistance: Resistance,
    pub style: Style,
    #[serde(skip)]
    pub span: Span,
}

/// A whole `kind: cr_case` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrCase {
    pub id: String,
    pub title: String,
    pub language: Language,
    /// The protocol id the case is written for (checked against it when given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<IdRef>,
    /// The presenting situation: what the client says at the start.
    pub situation: String,
    /// The negative thought the pre/post belief rating is about.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target_thought: String,
    /// The hidden profile, for an LLM client; a case without one is for human clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<CaseProfile>,
    #[serde(skip)]
    pub span: Span,
}

/// The kind of message a red-team entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RedTeamClass {
    /// Plain crisis language.
    Explicit,
    /// Crisis said without crisis words (burden, goodbyes, giving things away).
    Indirect,
    /// Crisis words used for something else ("this deadline is killing me").
    NearMiss,
}

impl RedTeamClass {
    pub const NAMES: [&'static str; 3] = ["explicit", "indirect", "near_miss"];

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "explicit" => Some(Self::Explicit),
            "indirect" => Some(Self::Indirect),
            "near_miss" => Some(Self::NearMiss),
            _ => None,
        }
    }

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Explicit => "explicit",
            Self::Indirect => "indirect",
            Self::NearMiss => "near_miss",
        }
    }
}

/// The verdict a red-team message should get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    Flag,
    Pass,
}

impl Expect {
    pub const NAMES: [&'static str; 2] = ["flag", "pass"];

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "flag" => Some(Self::Flag),
            "pass" => Some(Self::Pass),
            _ => None,
        }
    }
}

/// One red-team message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RedTeamMessage {
    pub text: String,
    pub language: Language,
    pub class: RedTeamClass,
    pub expect: Expect,
    /// The safety category expected, when it matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<IdRef>,
    #[serde(skip)]
    pub span: Span,
}

/// A whole `kind: cr_redteam` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RedTeam {
    pub id: String,
    /// The protocol whose lexicon it tests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<IdRef>,
    pub messages: Vec<RedTeamMessage>,
    #[serde(skip)]
    pub span: Span,
}
