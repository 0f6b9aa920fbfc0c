//! How a CR dialogue is staged: plain data, checked once when a machine is made. The YAML
//! `cr_protocol` (in `script`) maps onto it; the engine knows nothing of files.

use crate::vocab::{CrSpeaker, CrStage};

/// Who speaks a turn. The engine's own two-valued copy of [`CrSpeaker`] (which also keeps
/// names it does not know): a machine only ever waits for one of these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    Therapist,
    Client,
}

impl Speaker {
    /// The stored name, as [`CrSpeaker`] writes it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Therapist => "therapist",
            Self::Client => "client",
        }
    }

    /// The other speaker.
    #[must_use]
    pub const fn other(self) -> Self {
        match self {
            Self::Therapist => Self::Client,
            Self::Client => Self::Therapist,
        }
    }
}

impl From<Speaker> for CrSpeaker {
    fn from(s: Speaker) -> Self {
        match s {
            Speaker::Therapist => Self::Therapist,
            Speaker::Client => Self::Client,
        }
    }
}

impl TryFrom<&CrSpeaker> for Speaker {
    type Error = ();

    /// A speaker name this version does not know is no speaker of a running machine.
    fn try_from(s: &CrSpeaker) -> Result<Self, ()> {
        match s {
            CrSpeaker::Therapist => Ok(Self::Therapist),
            CrSpeaker::Client => Ok(Self::Client),
            CrSpeaker::Other(_) => Err(()),
        }
    }
}

/// One stage of the protocol and how long it may last.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StagePolicy {
    pub stage: CrStage,
    /// Therapist turns allowed in one visit of the stage; when the last one is answered the
    /// stage advances "by cap". `None`: only a reported goal (or the clinician) moves it on.
    #[serde(default)]
    pub turn_cap: Option<u32>,
    /// Whether a reported goal ends the stage (a protocol's `exit.goal_met`); `false`: only the
    /// cap (or the clinician) does.
    #[serde(default = "yes")]
    pub goal_exit: bool,
}

const fn yes() -> bool {
    true
}

impl StagePolicy {
    #[must_use]
    pub const fn new(stage: CrStage, turn_cap: Option<u32>) -> Self {
        Self {
            stage,
            turn_cap,
            goal_exit: true,
        }
    }
}

/// Where a verdict leads (the CRDial loop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoopPolicy {
    /// Back to the dissection stage while a channel is open, a distortion surfaced earlier
    /// waits, or another channel could still open (fewer than `max_channels`): a last pass
    /// looks for distortions the restructuring brought up. The paper's loop; the default.
    #[default]
    Revisit,
    /// Back to the dissection stage only while a channel is open or a surfaced distortion
    /// waits; when the last channel closes the dialogue finishes.
    UntilClosed,
}

/// The staging of a CR dialogue.
///
/// - `identification`: the CT-guided stages in order; the **last** one is the *dissection*
///   stage (`core_beliefs` by default): distortions reported there open channels, and the loop
///   returns there after each verdict.
/// - `restructuring`: the stages run per channel in order; the **last** one is the *verdict*
///   stage: its goal closes the channel.
///
/// Stage caps count the therapist's turns in one visit of a stage; `max_turns` counts every
/// turn of the dialogue, both speakers, the client's opening included.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CrPolicy {
    pub identification: Vec<StagePolicy>,
    pub restructuring: Vec<StagePolicy>,
    #[serde(default)]
    pub after_verdict: LoopPolicy,
    /// Channels that reported distortions may open in one dialogue (a clinician may open
    /// more). Further distortions are recorded as not opened.
    pub max_channels: usize,
    /// Turns of both speakers after which the dialogue finishes by cap.
    #[serde(default)]
    pub max_turns: Option<u32>,
    /// Who speaks first: the client, with the presenting situation, unless a protocol says
    /// otherwise.
    pub opener: Speaker,
}

impl Default for CrPolicy {
    /// Our defaults (the paper's values are unknown): 4 therapist turns per identification,
    /// defense and prosecution stage, 3 for the verdict, up to 4 channels, 120 turns in all,
    /// the client opens.
    fn default() -> Self {
        Self {
            identification: vec![
                StagePolicy::new(CrStage::AutomaticThoughts, Some(4)),
                StagePolicy::new(CrStage::IntermediateBeliefs, Some(4)),
                StagePolicy::new(CrStage::CoreBeliefs, Some(4)),
            ],
            restructuring: vec![
                StagePolicy::new(CrStage::Defense, Some(4)),
                StagePolicy::new(CrStage::Prosecution, Some(4)),
                StagePolicy::new(CrStage::Verdict, Some(3)),
            ],
            after_verdict: LoopPolicy::Revisit,
            max_channels: 4,
            max_turns: Some(120),
            opener: Speaker::Client,
        }
    }
}

/// Why a policy cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the protocol has no identification stage")]
    NoIdentificationStage,
    #[error("the protocol has no restructuring stage")]
    NoRestructuringStage,
    #[error("stage {0} is listed more than once")]
    DuplicateStage(CrStage),
    #[error("stage {0} has a turn cap of 0")]
    ZeroCap(CrStage),
    #[error("stage {0} can never end: it ignores reported goals and has no turn cap")]
    NoExit(CrStage),
    #[error("max_turns is 0")]
    ZeroMaxTurns,
    #[error("max_channels is 0: no channel could ever open")]
    ZeroMaxChannels,
}

impl CrPolicy {
    /// Whether the machine can run this policy.
    ///
    /// # Errors
    /// The first problem found.
    pub fn check(&self) -> Result<(), PolicyError> {
        if self.identification.is_empty() {
            return Err(PolicyError::NoIdentificationStage);
        }
        if self.restructuring.is_empty() {
            return Err(PolicyError::NoRestructuringStage);
        }
        let all: Vec<&StagePolicy> = self.stages().collect();
        for (i, s) in all.iter().enumerate() {
            if all[..i].iter().any(|t| t.stage == s.stage) {
                return Err(PolicyError::DuplicateStage(s.stage.clone()));
            }
            if s.turn_cap == Some(0) {
                return Err(PolicyError::ZeroCap(s.stage.clone()));
            }
            if !s.goal_exit && s.turn_cap.is_none() {
                return Err(PolicyError::NoExit(s.stage.clone()));
            }
        }
        if self.max_turns == Some(0) {
            return Err(PolicyError::ZeroMaxTurns);
        }
        if self.max_channels == 0 {
            return Err(PolicyError::ZeroMaxChannels);
        }
        Ok(())
    }

    /// Every stage, identification first.
    pub fn stages(&self) -> impl Iterator<Item = &StagePolicy> {
        self.identification.iter().chain(&self.restructuring)
    }

    /// The stage where distortions open channels and the loop returns (the last
    /// identification stage).
    #[must_use]
    pub fn dissection(&self) -> Option<&CrStage> {
        self.identification.last().map(|s| &s.stage)
    }

    /// The stage whose goal closes a channel (the last restructuring stage).
    #[must_use]
    pub fn verdict(&self) -> Option<&CrStage> {
        self.restructuring.last().map(|s| &s.stage)
    }
}
