//! What the driver tells a CR machine: turns, the clinician's overrides, safety triggers,
//! failures.

use super::policy::Speaker;
use crate::vocab::CrStage;

/// The position of a turn in the dialogue (0-based, both speakers, in order).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct TurnIndex(pub usize);

/// What a staged therapist (or a judge, or a clinician tagging a human therapist) says about a
/// turn. Agents only report; the machine decides.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct TurnLabels {
    /// One supportive strategy per sentence, in order.
    #[serde(default)]
    pub strategies: Vec<String>,
    /// Whether the current stage's goal looks met (`None`: not said).
    #[serde(default)]
    pub stage_goal_met: Option<bool>,
    /// Cognitive distortions found, by catalogue id (mapping a model's spelling onto the
    /// catalogue is the parser's job; the machine compares ids trimmed, ASCII case ignored).
    #[serde(default)]
    pub distortions: Vec<String>,
}

/// A therapist's turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TherapistTurn {
    pub text: String,
    /// `None`: an unlabelled turn (a free therapist, or a staged reply that did not parse).
    pub labels: Option<TurnLabels>,
}

impl TherapistTurn {
    /// An unlabelled turn.
    #[must_use]
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            labels: None,
        }
    }

    /// A labelled turn.
    #[must_use]
    pub fn labelled(text: impl Into<String>, labels: TurnLabels) -> Self {
        Self {
            text: text.into(),
            labels: Some(labels),
        }
    }
}

/// A clinician's override: it always wins over what agents report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Override {
    /// Move to this stage. A restructuring stage works on the channel in restructuring, else
    /// the first open one; an identification stage returns that channel to open.
    SetStage(CrStage),
    /// Open a channel for this distortion (also beyond `max_channels`, also one closed
    /// before, which is reopened).
    OpenChannel(String),
    /// Close this channel as if its verdict were reached.
    CloseChannel(String),
    /// Drop this channel without a verdict.
    DropChannel(String),
    /// End the dialogue (reason `clinician`, or `safety` while paused by a safety stop).
    Finish,
}

/// A safety screen fired (lexicon term or classifier label).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyTrigger {
    /// The category of the lexicon or classifier (e.g. `self_harm`).
    pub category: String,
    /// What matched: the lexicon term or the classifier label, never more of the text.
    pub matched: String,
    /// Whose turn fired it.
    pub speaker: Speaker,
    /// The crisis turn; `None`: the latest turn of `speaker` (if any).
    pub turn: Option<TurnIndex>,
}

/// What the driver tells the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Begin: enter the first stage and ask the opener.
    Start,
    Therapist(TherapistTurn),
    Client(String),
    Clinician(Override),
    /// A safety screen fired on a turn already fed (a classifier answering late, a
    /// clinician's flag): escalate about that turn.
    Safety(SafetyTrigger),
    /// A turn the safety screen fired on *before* it was fed (the lexicon runs on every turn
    /// first): appended out of model context and escalated at once, so it neither moves the
    /// stage nor opens channels nor gets an answer. `trigger.speaker` speaks it (and must be
    /// the one asked); `trigger.turn` is ignored.
    CrisisTurn {
        text: String,
        trigger: SafetyTrigger,
    },
    /// The clinician resumes after a safety stop: the same stage continues.
    Resume,
    /// An agent gave no answer at all (after the driver's retries): the dialogue ends.
    AgentFailed {
        speaker: Speaker,
        error: String,
    },
}

impl Input {
    #[must_use]
    pub const fn kind(&self) -> InputKind {
        match self {
            Self::Start => InputKind::Start,
            Self::Therapist(_) => InputKind::Therapist,
            Self::Client(_) => InputKind::Client,
            Self::Clinician(_) => InputKind::Clinician,
            Self::Safety(_) => InputKind::Safety,
            Self::CrisisTurn { .. } => InputKind::CrisisTurn,
            Self::Resume => InputKind::Resume,
            Self::AgentFailed { .. } => InputKind::AgentFailed,
        }
    }
}

/// An [`Input`]'s variant, for rejections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Start,
    Therapist,
    Client,
    Clinician,
    Safety,
    CrisisTurn,
    Resume,
    AgentFailed,
}
