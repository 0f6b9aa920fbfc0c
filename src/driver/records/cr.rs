//! The events of a CR dialogue, made from the stage machine's effects.

use crate::engine::cr::{CloseCause, Effect, FinishReason, OpenCause, Override, Speaker, Turn};
use crate::session::{
    CrChannelChange, CrEnd, CrOverride, CrStageEntered, CrTurn, Escalation, EventBody,
};
use crate::vocab::CrSpeaker;

/// What the driver knows of a turn beyond the machine: how it was produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TurnFacts {
    pub latency_ms: Option<u64>,
    /// Cut short (cancelled, token limit).
    pub cut: bool,
    /// A model therapist's turn that came without labels.
    pub unlabelled: bool,
}

fn speaker(s: Speaker) -> CrSpeaker {
    match s {
        Speaker::Therapist => CrSpeaker::Therapist,
        Speaker::Client => CrSpeaker::Client,
    }
}

fn index(i: crate::engine::cr::TurnIndex) -> u32 {
    u32::try_from(i.0).unwrap_or(u32::MAX)
}

/// A `cr_turn` event.
#[must_use]
pub fn turn(t: &Turn, facts: TurnFacts, withheld: bool) -> EventBody {
    let labels = t.labels.clone().unwrap_or_default();
    EventBody::CrTurn(CrTurn {
        speaker: speaker(t.speaker),
        text: t.text.clone(),
        stage: Some(t.stage.clone()),
        channel: t.channel.as_ref().map(|c| c.distortion.clone()),
        strategies: labels.strategies,
        index: Some(index(t.index)),
        stage_goal_met: labels.stage_goal_met,
        distortions: labels.distortions,
        unlabelled: facts.unlabelled && t.speaker == Speaker::Therapist && t.labels.is_none(),
        cut: facts.cut,
        withheld,
        latency_ms: facts.latency_ms,
    })
}

fn channel(distortion: &str, action: &str, cause: &str, turn: Option<u32>) -> EventBody {
    EventBody::CrChannel(CrChannelChange {
        distortion: distortion.to_owned(),
        action: action.to_owned(),
        cause: cause.to_owned(),
        turn,
    })
}

/// The events of a batch of effects, in order; `facts` describe the turn the batch appends (if
/// any). A turn that an escalation in the same batch withholds is marked `withheld`.
#[must_use]
pub fn effects(effects: &[Effect], facts: TurnFacts) -> Vec<EventBody> {
    let withheld: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Escalate(x) => x.turn,
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for e in effects {
        match e {
            Effect::EnterStage(s) => out.push(EventBody::CrStage(CrStageEntered {
                stage: s.stage.clone(),
                channel: s.channel.as_ref().map(|c| c.distortion.clone()),
                cause: s.cause.name().to_owned(),
                loops: s.loops,
            })),
            Effect::AppendTurn(t) => out.push(turn(t, facts, withheld.contains(&t.index))),
            Effect::Surfaced {
                distortion, turn, ..
            } => {
                out.push(channel(
                    distortion,
                    "surfaced",
                    "reported",
                    Some(index(*turn)),
                ));
            }
            Effect::OpenChannel { channel: c, cause } => {
                let (cause, turn) = match cause {
                    OpenCause::Reported { turn, .. } => ("reported", Some(index(*turn))),
                    OpenCause::Clinician => ("clinician", None),
                };
                out.push(channel(&c.distortion, "opened", cause, turn));
            }
            Effect::ChannelNotOpened {
                distortion, turn, ..
            } => {
                out.push(channel(
                    distortion,
                    "not_opened",
                    "max_channels",
                    Some(index(*turn)),
                ));
            }
            Effect::CloseChannel {
                channel: c,
                status,
                cause,
            } => {
                let cause = match cause {
                    CloseCause::Verdict => "verdict",
                    CloseCause::Cap => "cap",
                    CloseCause::Clinician => "clinician",
                };
                out.push(channel(&c.distortion, status.name(), cause, None));
            }
            Effect::Escalate(x) => out.push(EventBody::Escalation(Escalation {
                reason: x.trigger.category.clone(),
                about_seq: None,
                action: Some("staged flow stopped; handoff shown".to_owned()),
                matched: Some(x.trigger.matched.clone()),
                speaker: Some(speaker(x.trigger.speaker)),
                stage: Some(x.stage.clone()),
                turn: x.turn.map(index),
            })),
            Effect::Finish(f) => out.push(EventBody::CrEnd(CrEnd {
                finished_by: f.reason.name().to_owned(),
                detail: f.detail.clone(),
            })),
            Effect::AskTherapist(_)
            | Effect::AskClient(_)
            | Effect::Resumed { .. }
            | Effect::Rejected { .. } => {}
        }
    }
    out
}

/// A clinician's override (`resume` for a resume after a safety stop).
#[must_use]
pub fn clinician(o: Option<&Override>) -> EventBody {
    let (action, stage, distortion) = match o {
        None => ("resume", None, None),
        Some(Override::SetStage(s)) => ("set_stage", Some(s.clone()), None),
        Some(Override::OpenChannel(d)) => ("open_channel", None, Some(d.clone())),
        Some(Override::CloseChannel(d)) => ("close_channel", None, Some(d.clone())),
        Some(Override::DropChannel(d)) => ("drop_channel", None, Some(d.clone())),
        Some(Override::Finish) => ("finish", None, None),
    };
    EventBody::CrOverride(CrOverride {
        action: action.to_owned(),
        stage,
        distortion,
    })
}

/// Whether a finish reason is a normal end (the session is `finished`) or a failure.
#[must_use]
pub const fn failed(reason: FinishReason) -> bool {
    matches!(reason, FinishReason::Error)
}
