//! What a CR machine tells its driver, as data. Every transition carries its cause, so the
//! effects of a dialogue, recorded as events by `driver::records`, let a reviewer replay why
//! each stage and channel moved.

use super::input::{InputKind, SafetyTrigger, TurnIndex, TurnLabels};
use super::policy::Speaker;
use crate::vocab::CrStage;

/// A channel's position in the dialogue's channel list (0-based, in opening order).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ChannelId(pub usize);

/// A channel as effects name it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChannelRef {
    pub id: ChannelId,
    pub distortion: String,
}

/// Where a channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelStatus {
    /// Found, waiting for restructuring.
    Open,
    /// Being restructured now (at most one channel at a time).
    Restructuring,
    /// Its verdict was reached (or a clinician closed it).
    Closed,
    /// Left without a verdict: the verdict stage's cap, or a clinician.
    Dropped,
}

impl ChannelStatus {
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Restructuring => "restructuring",
            Self::Closed => "closed",
            Self::Dropped => "dropped",
        }
    }

    /// Open or in restructuring.
    #[must_use]
    pub const fn is_live(self) -> bool {
        matches!(self, Self::Open | Self::Restructuring)
    }
}

/// Why a stage was entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageCause {
    /// The first stage, at the start.
    Start,
    /// The therapist reported the previous stage's goal met.
    GoalMet,
    /// The previous stage's turn cap was reached ("advanced by cap").
    Cap,
    /// A clinician's override.
    Clinician,
    /// Back to the dissection stage after a channel's restructuring ended.
    Loop,
}

impl StageCause {
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::GoalMet => "goal_met",
            Self::Cap => "cap",
            Self::Clinician => "clinician",
            Self::Loop => "loop",
        }
    }
}

/// Why a channel was opened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenCause {
    /// The therapist reported the distortion in this turn, in this stage (a stage other than
    /// the dissection stage: it surfaced there and opened when the dissection stage was next
    /// entered).
    Reported { turn: TurnIndex, stage: CrStage },
    /// A clinician opened (or reopened) it.
    Clinician,
}

/// Why a channel closed or was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseCause {
    /// The verdict stage's goal was reported met.
    Verdict,
    /// The verdict stage's turn cap was reached first (the channel is dropped).
    Cap,
    /// A clinician's override.
    Clinician,
}

/// Why a reported distortion did not open a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotOpened {
    /// `max_channels` channels are open or were.
    MaxChannels,
}

/// Why the dialogue ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// No channel is left open after a dissection pass, or after the last verdict when no
    /// more could open (see the channels' statuses for how each ended).
    Verdicts,
    /// The dissection stage ended and no distortion was ever found: nothing to restructure.
    NoDistortion,
    /// `max_turns` was reached.
    Cap,
    /// A clinician finished the dialogue while it was paused by a safety stop.
    Safety,
    /// A clinician finished the dialogue.
    Clinician,
    /// An agent failed for good.
    Error,
}

impl FinishReason {
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Verdicts => "verdicts",
            Self::NoDistortion => "no_distortion",
            Self::Cap => "cap",
            Self::Safety => "safety",
            Self::Clinician => "clinician",
            Self::Error => "error",
        }
    }
}

/// The end of a dialogue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finished {
    pub reason: FinishReason,
    /// The agent's error, for [`FinishReason::Error`].
    #[serde(default)]
    pub detail: Option<String>,
}

/// Which turns a model may see: every turn before `turns` except the excluded ones (crisis
/// turns).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Context {
    /// The number of turns so far.
    pub turns: usize,
    /// Turns kept out of model context, ascending.
    pub excluded: Vec<TurnIndex>,
}

impl Context {
    #[must_use]
    pub fn includes(&self, turn: TurnIndex) -> bool {
        turn.0 < self.turns && self.excluded.binary_search(&turn).is_err()
    }

    /// The turns to give, in order.
    pub fn iter(&self) -> impl Iterator<Item = TurnIndex> + '_ {
        (0..self.turns)
            .map(TurnIndex)
            .filter(|t| self.excluded.binary_search(t).is_err())
    }
}

/// Ask the therapist for a turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TherapistAsk {
    pub stage: CrStage,
    /// The channel in restructuring (restructuring stages only).
    pub channel: Option<ChannelRef>,
    /// This turn's number in the stage's visit (1-based).
    pub stage_turn: u32,
    /// The stage's cap, if any.
    pub stage_cap: Option<u32>,
    /// Open channels waiting (not the one in restructuring).
    pub open_channels: Vec<ChannelRef>,
    pub context: Context,
}

/// Ask the client for a turn. The client is never told the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAsk {
    /// The first turn of the dialogue: the presenting situation.
    pub opening: bool,
    pub context: Context,
}

/// A turn to append to the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub index: TurnIndex,
    pub speaker: Speaker,
    pub text: String,
    pub stage: CrStage,
    pub channel: Option<ChannelRef>,
    /// A therapist's labels as reported (`None`: unlabelled, or a client turn).
    pub labels: Option<TurnLabels>,
}

/// A stage entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageEntry {
    pub stage: CrStage,
    pub channel: Option<ChannelRef>,
    pub cause: StageCause,
    /// The visit's position among all stage visits (0-based).
    pub visit: usize,
    /// Loops so far (returns to the dissection stage).
    pub loops: u32,
}

/// A safety stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    pub trigger: SafetyTrigger,
    /// The crisis turn, now excluded from model context (none if the speaker had no turn).
    pub turn: Option<TurnIndex>,
    /// The stage the flow stopped in.
    pub stage: CrStage,
    /// The speaker whose outstanding ask is withdrawn: drop their request.
    pub withdrawn: Option<Speaker>,
}

/// Why an input changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    NotStarted,
    AlreadyStarted,
    /// A turn from a speaker nobody asked (`expected`: who is asked, if anyone).
    NotYourTurn {
        expected: Option<Speaker>,
    },
    /// Paused by a safety stop: only resume, finish, further triggers and failures count.
    Paused,
    NotPaused,
    /// The stage is not in the policy.
    UnknownStage,
    /// No channel of that distortion.
    UnknownChannel,
    /// The channel is open or in restructuring already.
    ChannelAlreadyOpen,
    /// The channel is closed or dropped already.
    ChannelNotOpen,
    /// A restructuring stage was asked for with no channel open.
    NoOpenChannel,
    /// An empty distortion id.
    EmptyDistortion,
    /// A safety trigger names a turn that does not exist.
    NoSuchTurn,
}

/// What the machine tells the driver, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A stage begins (with the channel it works on, for restructuring stages). Entering an
    /// identification stage returns any channel in restructuring to open.
    EnterStage(StageEntry),
    /// Record this turn.
    AppendTurn(Turn),
    /// A distortion reported outside the dissection stage: it opens a channel when the
    /// dissection stage is next entered.
    Surfaced {
        distortion: String,
        stage: CrStage,
        turn: TurnIndex,
    },
    OpenChannel {
        channel: ChannelRef,
        cause: OpenCause,
    },
    /// A reported distortion was recorded but opened no channel.
    ChannelNotOpened {
        distortion: String,
        turn: TurnIndex,
        reason: NotOpened,
    },
    /// A channel closed (`status` closed) or was dropped (`status` dropped).
    CloseChannel {
        channel: ChannelRef,
        status: ChannelStatus,
        cause: CloseCause,
    },
    /// Ask the therapist; replaces any outstanding therapist ask.
    AskTherapist(TherapistAsk),
    /// Ask the client; replaces any outstanding client ask.
    AskClient(ClientAsk),
    /// Safety: stop the staged flow, show the handoff text and resources, record the
    /// escalation; nothing is asked until the clinician resumes or finishes.
    Escalate(Escalation),
    /// The clinician resumed after a safety stop; the stage continues.
    Resumed { stage: CrStage },
    /// The dialogue is over; nothing more will be emitted.
    Finish(Finished),
    /// The input did not fit the state; nothing changed.
    Rejected { input: InputKind, why: Rejection },
}
