//! Reading a machine: where it is, what it kept, and the summary a batch run reports.

use super::{Channel, EscalationRecord, Reported, State, TurnMeta, Visit};
use crate::engine::cr::effect::{ChannelId, ChannelStatus, FinishReason, Finished};
use crate::engine::cr::input::TurnIndex;
use crate::engine::cr::policy::{CrPolicy, Speaker};
use crate::vocab::CrStage;

/// A channel in a summary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChannelSummary {
    pub distortion: String,
    pub status: ChannelStatus,
}

/// What a batch run reports of one dialogue (`socius cr run --json`): the stages in the order
/// visited, the channels, the escalations, and why it finished (`null` while running).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub stages: Vec<CrStage>,
    pub channels: Vec<ChannelSummary>,
    /// Distortions reported that opened no channel.
    pub not_opened: Vec<String>,
    pub escalations: Vec<EscalationRecord>,
    pub finished_by: Option<FinishReason>,
    pub loops: u32,
    pub turns: usize,
}

impl State {
    #[must_use]
    pub const fn policy(&self) -> &CrPolicy {
        &self.policy
    }

    #[must_use]
    pub const fn is_started(&self) -> bool {
        self.started
    }

    /// The current stage (none before the start).
    #[must_use]
    pub fn stage(&self) -> Option<&CrStage> {
        self.visits.last().map(|v| &v.stage)
    }

    /// The channel in restructuring.
    #[must_use]
    pub fn channel(&self) -> Option<(ChannelId, &Channel)> {
        let id = self.current?;
        self.channels.get(id.0).map(|c| (id, c))
    }

    /// Every channel, in opening order (a [`ChannelId`] is a position here).
    #[must_use]
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// Distortions surfaced outside the dissection stage, waiting for it.
    #[must_use]
    pub fn surfaced(&self) -> &[Reported] {
        &self.surfaced
    }

    /// Distortions reported that opened no channel (`max_channels`).
    #[must_use]
    pub fn not_opened(&self) -> &[Reported] {
        &self.not_opened
    }

    /// Returns to the dissection stage so far.
    #[must_use]
    pub const fn loops(&self) -> u32 {
        self.loops
    }

    /// Every turn, in order (a [`TurnIndex`] is a position here).
    #[must_use]
    pub fn turns(&self) -> &[TurnMeta] {
        &self.turns
    }

    /// Turns of both speakers so far.
    #[must_use]
    pub fn turn_count(&self) -> usize {
        self.turns.len()
    }

    /// Turns kept out of model context (crisis turns), ascending.
    #[must_use]
    pub fn excluded_turns(&self) -> &[TurnIndex] {
        &self.excluded
    }

    /// Every stage visit, in order, with its turn counts.
    #[must_use]
    pub fn visits(&self) -> &[Visit] {
        &self.visits
    }

    /// The stage ids visited, in order (a stage visited twice appears twice).
    pub fn stages(&self) -> impl Iterator<Item = &CrStage> {
        self.visits.iter().map(|v| &v.stage)
    }

    /// Turns of `speaker` (or both) in every visit of `stage`.
    #[must_use]
    pub fn stage_turns(&self, stage: &CrStage, speaker: Option<Speaker>) -> u32 {
        self.visits
            .iter()
            .filter(|v| v.stage == *stage)
            .map(|v| match speaker {
                Some(Speaker::Therapist) => v.therapist_turns,
                Some(Speaker::Client) => v.client_turns,
                None => v.therapist_turns + v.client_turns,
            })
            .sum()
    }

    /// Who is asked for a turn now.
    #[must_use]
    pub const fn awaiting(&self) -> Option<Speaker> {
        self.awaiting
    }

    /// Paused by a safety stop, until the clinician resumes or finishes.
    #[must_use]
    pub const fn is_paused(&self) -> bool {
        self.paused
    }

    #[must_use]
    pub const fn is_finished(&self) -> bool {
        self.finished.is_some()
    }

    #[must_use]
    pub const fn finished(&self) -> Option<&Finished> {
        self.finished.as_ref()
    }

    #[must_use]
    pub fn escalations(&self) -> &[EscalationRecord] {
        &self.escalations
    }

    /// The batch report's view of the dialogue.
    #[must_use]
    pub fn summary(&self) -> Summary {
        Summary {
            stages: self.stages().cloned().collect(),
            channels: self
                .channels
                .iter()
                .map(|c| ChannelSummary {
                    distortion: c.distortion.clone(),
                    status: c.status,
                })
                .collect(),
            not_opened: self
                .not_opened
                .iter()
                .map(|r| r.distortion.clone())
                .collect(),
            escalations: self.escalations.clone(),
            finished_by: self.finished.as_ref().map(|f| f.reason),
            loops: self.loops,
            turns: self.turns.len(),
        }
    }
}
