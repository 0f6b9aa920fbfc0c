//! The cognitive-restructuring (CR) stage machine (`CRDIAL.md`): a pure state machine, like
//! [`super::episode`]. The driver feeds [`Input`]s (turns, the clinician's overrides, safety
//! triggers, failures) and executes the [`Effect`]s (ask an agent, append a turn, show a
//! handoff); `driver::records` turns them into session events.
//!
//! **The engine decides the stage; agents only report.** The rules:
//!
//! - The identification stages run in order (`automatic_thoughts` → `intermediate_beliefs` →
//!   `core_beliefs` by default); the last one is the *dissection* stage. Then, per channel,
//!   the restructuring stages (`defense` → `prosecution` → `verdict`); the last one is the
//!   *verdict* stage.
//! - A stage ends when the therapist reports its goal met, or when its turn cap (therapist
//!   turns in this visit) is reached — "advanced by cap". The exit takes effect once the
//!   client has answered that therapist turn, so the client's reply belongs to the stage it
//!   answers (in the verdict stage, the client states the balanced thought).
//! - Distortions reported in the dissection stage open channels (deduplicated, up to
//!   `max_channels`; others are recorded as not opened). Reported in any other stage they
//!   *surface*, and open when the dissection stage is next entered.
//! - Leaving the dissection stage: restructure the first open channel; with none open,
//!   finish — `verdicts` if any channel ever opened, `no_distortion` if none did.
//! - Leaving the verdict stage closes the channel (goal met) or drops it (cap), then loops
//!   back to the dissection stage (loop count + 1) while a channel is open, a surfaced
//!   distortion waits, or ([`LoopPolicy::Revisit`]) another channel could still open;
//!   otherwise finish with `verdicts`.
//! - `max_turns` (both speakers) reached: finish with `cap`.
//! - A clinician's override always wins: set the stage, open / close / drop a channel,
//!   finish. Reports never reopen a channel the clinician closed or dropped.
//! - A safety trigger, in any stage: escalate, withdraw the outstanding ask, keep the crisis
//!   turn out of every later model context, and pause — nothing is asked until the clinician
//!   resumes (the same stage continues, the therapist speaks) or finishes (`safety`).
//! - An agent that fails for good finishes the dialogue (`error`).
//!
//! Every transition carries its cause ([`StageCause`], [`OpenCause`], [`CloseCause`],
//! [`FinishReason`]), so the recorded effects let a reviewer replay why; [`State::replay`]
//! reproduces a dialogue's state and effects from its inputs.

mod effect;
mod input;
mod machine;
mod policy;
mod protocol;

pub use effect::{
    ChannelId, ChannelRef, ChannelStatus, ClientAsk, CloseCause, Context, Effect, Escalation,
    FinishReason, Finished, NotOpened, OpenCause, Rejection, StageCause, StageEntry, TherapistAsk,
    Turn,
};
pub use input::{Input, InputKind, Override, SafetyTrigger, TherapistTurn, TurnIndex, TurnLabels};
pub use machine::view::{ChannelSummary, Summary};
pub use machine::{Channel, EscalationRecord, Reported, State, TurnMeta, Visit};
pub use policy::{CrPolicy, LoopPolicy, PolicyError, Speaker, StagePolicy};

#[cfg(test)]
mod tests;
