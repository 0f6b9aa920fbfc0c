//! The study plan model.

use serde::{Deserialize, Serialize};

use crate::script::model::{Language, Orientation, Span};

/// A decoded `kind: study` file: what every study type shares, and the type's own body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Study {
    pub span: Span,
    pub id: String,
    pub id_span: Span,
    pub title: String,
    pub body: StudyBody,
}

/// The study types. Only `baseline` exists yet; `pairwise` and `pointwise` are named in
/// [`STUDY_TYPES_PLANNED`] so the error for them says they are not available yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StudyBody {
    Baseline(Baseline),
}

/// The study types this version decodes.
pub const STUDY_TYPES: &[&str] = &["baseline"];
/// Study types described in the documentation but not decoded by this version.
pub const STUDY_TYPES_PLANNED: &[&str] = &["pairwise", "pointwise"];

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
