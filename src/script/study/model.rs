//! The study plan model.

use serde::{Deserialize, Serialize};

use crate::script::model::{Language, Orientation, Span};

/// A decoded `kind: study` file: what every study type shares, and the type's own body.
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    pub span: Span,
    pub id: String,
    pub id_span: Span,
    pub title: String,
    pub body: StudyBody,
}

/// The study types.
#[derive(Debug, Clone, PartialEq)]
pub enum StudyBody {
    Baseline(Baseline),
    Pairwise(Pairwise),
    Pointwise(Pointwise),
}

impl StudyBody {
    /// The `type` written in the file.
    #[must_use]
    pub const fn type_name(&self) -> &'static str {
        match self {
            Self::Baseline(_) => "baseline",
            Self::Pairwise(_) => "pairwise",
            Self::Pointwise(_) => "pointwise",
        }
    }
}

/// The study types this version decodes.
pub const STUDY_TYPES: &[&str] = &["baseline", "pairwise", "pointwise"];
/// Study types described in the documentation but not decoded by this version.
pub const STUDY_TYPES_PLANNED: &[&str] = &[];

/// How an assigned tree is played.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StudyMode {
    /// Goal achievement: walk the tree.
    Gae,
    /// Interpersonal ability: the tree's items.
    Iae,
    /// Both in one sitting (GAE first, then IAE).
    Both,
}

impl StudyMode {
    pub const NAMES: &'static [&'static str] = &["gae", "iae", "both"];

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Gae => "gae",
            Self::Iae => "iae",
            Self::Both => "both",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "gae" => Some(Self::Gae),
            "iae" => Some(Self::Iae),
            "both" => Some(Self::Both),
            _ => None,
        }
    }
}

/// A human-baseline plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    pub trees: Vec<TreeSource>,
    pub trees_span: Span,
    /// Played first by every annotator; not counted in the shares.
    pub training: Vec<TreeSource>,
    pub mode: StudyMode,
    pub annotators: Vec<Annotator>,
    pub annotators_span: Span,
    pub k: u32,
    pub k_span: Span,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotator {
    pub id: String,
    pub span: Span,
}

/// Where trees come from; paths are relative to the study file's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeSource {
    /// A file, or a folder (every world tree in it, recursively).
    Path { path: String, span: Span },
    /// The world trees of a folder with the given orientations and languages (empty = any).
    Filter {
        folder: String,
        span: Span,
        orientations: Vec<Orientation>,
        languages: Vec<Language>,
    },
}

impl TreeSource {
    #[must_use]
    pub const fn span(&self) -> Span {
        match self {
            Self::Path { span, .. } | Self::Filter { span, .. } => *span,
        }
    }
}

/// A pairwise study: annotators compare two systems' transcripts of the same item.
#[derive(Debug, Clone, PartialEq)]
pub struct Pairwise {
    pub judged: Judged,
    /// The one question every judgment answers.
    pub question: String,
    pub question_span: Span,
}

/// A pointwise study: annotators rate one system's transcript of an item on a rubric.
#[derive(Debug, Clone, PartialEq)]
pub struct Pointwise {
    pub judged: Judged,
    pub rubric: Rubric,
}

/// What pairwise and pointwise studies share.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// World trees or CR cases (files, folders, filters), relative to the study file.
    pub items: Vec<TreeSource>,
    pub items_span: Span,
    pub systems: Vec<System>,
    pub systems_span: Span,
    /// Judgments per (item, pair of systems) — pairwise `judgments_per_pair` — or ratings per
    /// (item, system) transcript — pointwise `ratings_per_transcript`: distinct annotators.
    pub per_unit: u32,
    pub per_unit_span: Span,
    pub annotators: Vec<Annotator>,
    pub annotators_span: Span,
    pub onboarding: Option<Onboarding>,
    pub attention: Option<Attention>,
    /// A judgment counts only after this many seconds on the screen.
    pub min_seconds: u32,
    /// At most this many judgments per annotator (`None`: no cap).
    pub cap: Option<u32>,
    pub cap_span: Span,
    pub seed: u64,
    pub reason: ReasonRule,
}

/// Whether a judgment asks for a free-text reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasonRule {
    /// Not asked.
    None,
    /// Asked, may be left empty (the default).
    Optional,
    /// A judgment without a reason is not accepted.
    Required,
}

impl ReasonRule {
    pub const NAMES: &'static [&'static str] = &["none", "optional", "required"];

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Self::None),
            "optional" => Some(Self::Optional),
            "required" => Some(Self::Required),
            _ => None,
        }
    }
}

/// A system under study: a name for the report and where its transcripts come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct System {
    pub name: String,
    pub span: Span,
    pub source: SystemSource,
}

/// Which stored sessions are a system's transcripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemSource {
    /// Sessions played by this model (`NAME` or `NAME@HOST`).
    Model(String),
    /// Sessions played by this human (an annotator or therapist id).
    Human(String),
    /// The sessions of this `socius eval` / `socius cr run` batch run.
    Run(String),
    /// Sessions matching a filter, as `socius sessions list` takes it (at least one condition).
    Sessions(SessionFilter),
}

/// A session filter written in a study file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    pub who: Option<String>,
    pub run: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

/// Onboarding: known-answer items shown first; an annotator below `pass` is excluded.
#[derive(Debug, Clone, PartialEq)]
pub struct Onboarding {
    /// Share answered right needed to go on, 0 < pass ≤ 1 (ACUTE-Eval uses 0.75).
    pub pass: f64,
    pub pass_span: Span,
    pub items: Vec<Known>,
    pub span: Span,
}

/// Attention checks: known-answer items mixed among the real ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Attention {
    /// More failed checks than this exclude the annotator (default 0).
    pub max_failures: u32,
    pub items: Vec<Known>,
    pub span: Span,
}

/// A known-answer item: a pair of stored sessions with the better one named (pairwise), or
/// a stored session with the ratings expected on some rubric items (pointwise). Session ids
/// (or unique prefixes) are looked up when the study is registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    Pair {
        better: String,
        worse: String,
        span: Span,
    },
    Rating {
        session: String,
        /// (rubric item, lowest accepted, highest accepted, where)
        expect: Vec<(String, i64, i64, Span)>,
        span: Span,
    },
}

impl Known {
    #[must_use]
    pub const fn span(&self) -> Span {
        match self {
            Self::Pair { span, .. } | Self::Rating { span, .. } => *span,
        }
    }
}

/// What a pointwise annotator rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rubric {
    /// Each dialogue as a whole, or each of the system's turns.
    pub per: RatePer,
    pub items: Vec<RubricItem>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RatePer {
    Dialogue,
    Turn,
}

impl RatePer {
    pub const NAMES: &'static [&'static str] = &["dialogue", "turn"];

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "dialogue" => Some(Self::Dialogue),
            "turn" => Some(Self::Turn),
            _ => None,
        }
    }
}

/// One Likert item of a rubric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RubricItem {
    pub id: String,
    pub span: Span,
    pub question: String,
    /// Lowest and highest point of the scale (whole numbers).
    pub scale: (i64, i64),
    pub scale_span: Span,
    /// Labelled points: (point, label, where).
    pub anchors: Vec<(i64, String, Span)>,
    pub anchors_span: Span,
}
