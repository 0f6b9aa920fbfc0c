//! The clinician's overrides and the safety stop: they win over whatever agents report.

use super::{Phase, State};
use crate::engine::cr::effect::{
    ChannelRef, ChannelStatus, CloseCause, Effect, Escalation, FinishReason, OpenCause, Rejection,
    StageCause,
};
use crate::engine::cr::input::{Override, SafetyTrigger, TurnIndex};
use crate::engine::cr::machine::{EscalationRecord, same};
use crate::engine::cr::policy::Speaker;
use crate::vocab::CrStage;

impl State {
    pub(super) fn clinician(
        &mut self,
        o: Override,
        out: &mut Vec<Effect>,
    ) -> Result<(), Rejection> {
        if !self.started {
            return Err(Rejection::NotStarted);
        }
        match o {
            Override::Finish => {
                let reason = if self.paused {
                    FinishReason::Safety
                } else {
                    FinishReason::Clinician
                };
                self.finish(reason, None, out);
                Ok(())
            }
            _ if self.paused => Err(Rejection::Paused),
            Override::SetStage(stage) => self.set_stage(&stage, out),
            Override::OpenChannel(d) => self.clinician_open(&d, out),
            Override::CloseChannel(d) => self.clinician_close(&d, ChannelStatus::Closed, out),
            Override::DropChannel(d) => self.clinician_close(&d, ChannelStatus::Dropped, out),
        }
    }

    fn set_stage(&mut self, stage: &CrStage, out: &mut Vec<Effect>) -> Result<(), Rejection> {
        let pos = self.find_stage(stage).ok_or(Rejection::UnknownStage)?;
        let channel = match pos.phase {
            Phase::Identification => None,
            Phase::Restructuring => Some(
                self.current
                    .or_else(|| self.first_open())
                    .ok_or(Rejection::NoOpenChannel)?,
            ),
        };
        if let Some(id) = channel {
            self.restructure(id);
        }
        self.enter(pos, channel, StageCause::Clinician, out);
        self.reask_therapist(out);
        Ok(())
    }

    fn clinician_open(&mut self, distortion: &str, out: &mut Vec<Effect>) -> Result<(), Rejection> {
        let distortion = distortion.trim();
        if distortion.is_empty() {
            return Err(Rejection::EmptyDistortion);
        }
        if let Some(id) = self.find_channel(distortion) {
            let Some(c) = self.channels.get_mut(id.0) else {
                return Err(Rejection::UnknownChannel);
            };
            if c.status.is_live() {
                return Err(Rejection::ChannelAlreadyOpen);
            }
            c.status = ChannelStatus::Open;
            c.closed = None;
            c.opened = OpenCause::Clinician;
            out.push(Effect::OpenChannel {
                channel: ChannelRef {
                    id,
                    distortion: c.distortion.clone(),
                },
                cause: OpenCause::Clinician,
            });
            return Ok(());
        }
        self.surfaced.retain(|r| !same(&r.distortion, distortion));
        self.not_opened.retain(|r| !same(&r.distortion, distortion));
        self.push_channel(distortion.to_owned(), OpenCause::Clinician, out);
        Ok(())
    }

    fn clinician_close(
        &mut self,
        distortion: &str,
        status: ChannelStatus,
        out: &mut Vec<Effect>,
    ) -> Result<(), Rejection> {
        let id = self
            .find_channel(distortion)
            .ok_or(Rejection::UnknownChannel)?;
        if !self.channels.get(id.0).is_some_and(|c| c.status.is_live()) {
            return Err(Rejection::ChannelNotOpen);
        }
        if self.current == Some(id) {
            self.close_current(status, CloseCause::Clinician, out);
            self.after_channel(StageCause::Clinician, out);
            self.reask_therapist(out);
        } else {
            self.close(id, status, CloseCause::Clinician, out);
        }
        Ok(())
    }

    /// The stage changed under an outstanding therapist ask: ask again with the new stage.
    fn reask_therapist(&mut self, out: &mut Vec<Effect>) {
        if self.awaiting == Some(Speaker::Therapist) {
            self.ask(Speaker::Therapist, out);
        }
    }

    pub(super) fn safety(
        &mut self,
        trigger: SafetyTrigger,
        out: &mut Vec<Effect>,
    ) -> Result<(), Rejection> {
        if !self.started {
            return Err(Rejection::NotStarted);
        }
        let turn = match trigger.turn {
            Some(t) if t.0 < self.turns.len() => Some(t),
            Some(_) => return Err(Rejection::NoSuchTurn),
            None => self
                .turns
                .iter()
                .rposition(|m| m.speaker == trigger.speaker)
                .map(TurnIndex),
        };
        self.escalate(trigger, turn, out);
        Ok(())
    }

    pub(super) fn crisis_turn(
        &mut self,
        text: String,
        trigger: SafetyTrigger,
        out: &mut Vec<Effect>,
    ) -> Result<(), Rejection> {
        self.expect_turn(trigger.speaker)?;
        let turn = self.append(trigger.speaker, text, None, out);
        self.escalate(trigger, Some(turn), out);
        Ok(())
    }

    /// Stop the staged flow: exclude the crisis turn, withdraw the ask, pause.
    fn escalate(&mut self, trigger: SafetyTrigger, turn: Option<TurnIndex>, out: &mut Vec<Effect>) {
        if let Some(t) = turn {
            if let Some(m) = self.turns.get_mut(t.0) {
                m.in_context = false;
            }
            if let Err(at) = self.excluded.binary_search(&t) {
                self.excluded.insert(at, t);
            }
        }
        let withdrawn = self.awaiting.take();
        self.paused = true;
        self.pending_exit = None;
        let stage = self.stage_policy(self.pos).stage.clone();
        self.escalations.push(EscalationRecord {
            stage: stage.clone(),
            speaker: trigger.speaker,
            category: trigger.category.clone(),
            matched: trigger.matched.clone(),
            turn,
        });
        out.push(Effect::Escalate(Escalation {
            trigger: SafetyTrigger { turn, ..trigger },
            turn,
            stage,
            withdrawn,
        }));
    }

    pub(super) fn resume(&mut self, out: &mut Vec<Effect>) -> Result<(), Rejection> {
        if !self.started {
            return Err(Rejection::NotStarted);
        }
        if !self.paused {
            return Err(Rejection::NotPaused);
        }
        self.paused = false;
        out.push(Effect::Resumed {
            stage: self.stage_policy(self.pos).stage.clone(),
        });
        // A crisis turn may have been the last one `max_turns` allows.
        if self.turn_cap_reached(out) {
            return Ok(());
        }
        let next = if self.turns.is_empty() {
            self.policy.opener
        } else {
            Speaker::Therapist
        };
        self.ask(next, out);
        Ok(())
    }
}
