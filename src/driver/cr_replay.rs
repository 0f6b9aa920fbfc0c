//! Rebuilding a CR dialogue from its stored events, so a session cut short (a quit, a
//! `kill -9`) continues where its last stored event left it.
//!
//! The stored turns and the clinician's overrides are fed again, in order, to a fresh
//! [`CrDriver`] under the same protocol, through the [`Replay`] recorder: nothing is written
//! again. The stage machine is deterministic and every turn is screened by the same lexicon, so
//! the rebuilt dialogue is the stored one; [`replay`] checks that it is (the same turns, the
//! same crisis turns withheld, the same stage at the end) and refuses a dialogue that does not
//! fit, rather than continue a different one.

use super::cr::CrDriver;
use super::{Answer, DriverError, Replay, Reply, SaidTurn};
use crate::engine::cr::{Effect, Override, Speaker, TurnLabels};
use crate::session::{CrOverride, CrTurn, EventBody};

/// Why a stored dialogue could not be rebuilt.
#[derive(Debug, thiserror::Error)]
pub enum CrReplayError {
    /// A stored turn, override or stage does not fit the dialogue as the protocol replays it
    /// (the protocol or the case changed since, or the log is damaged).
    #[error("event #{seq} does not fit the dialogue as it replays: {why}")]
    DoesNotFit { seq: usize, why: String },
    #[error(transparent)]
    Driver(#[from] DriverError),
}

/// The labels a stored therapist turn was taken with (`None`: an unlabelled turn, or a
/// client's).
fn labels(t: &CrTurn, speaker: Speaker) -> Option<TurnLabels> {
    (speaker == Speaker::Therapist && !t.unlabelled).then(|| TurnLabels {
        strategies: t.strategies.clone(),
        stage_goal_met: t.stage_goal_met,
        distortions: t.distortions.clone(),
    })
}

/// The override a stored `cr_override` names (`None`: a resume after a safety stop).
fn stored_override(o: &CrOverride) -> Result<Option<Override>, String> {
    let distortion = || {
        o.distortion
            .clone()
            .ok_or_else(|| format!("`{}` without a distortion", o.action))
    };
    Ok(Some(match o.action.as_str() {
        "resume" => return Ok(None),
        "set_stage" => Override::SetStage(
            o.stage
                .clone()
                .ok_or_else(|| "`set_stage` without a stage".to_owned())?,
        ),
        "open_channel" => Override::OpenChannel(distortion()?),
        "close_channel" => Override::CloseChannel(distortion()?),
        "drop_channel" => Override::DropChannel(distortion()?),
        "finish" => Override::Finish,
        other => return Err(format!("unknown override `{other}`")),
    }))
}

/// What the replay has seen of the turns: the stored `withheld` flags by turn index, to be
/// compared with what the replay withholds.
#[derive(Default)]
struct Seen {
    withheld: Vec<bool>,
}

/// Check one batch of effects against the stored turn it replays.
fn check_batch(effects: &[Effect], stored: &CrTurn, seq: usize) -> Result<(), CrReplayError> {
    let misfit = |why: String| CrReplayError::DoesNotFit { seq, why };
    if let Some(Effect::Rejected { why, .. }) = effects
        .iter()
        .find(|e| matches!(e, Effect::Rejected { .. }))
    {
        return Err(misfit(format!(
            "the stage machine refused the turn ({why:?})"
        )));
    }
    let Some(turn) = effects.iter().find_map(|e| match e {
        Effect::AppendTurn(t) => Some(t),
        _ => None,
    }) else {
        return Err(misfit("the turn was not taken".to_owned()));
    };
    if let Some(i) = stored.index
        && usize::try_from(i).ok() != Some(turn.index.0)
    {
        return Err(misfit(format!(
            "stored as turn {i}, replayed as turn {}",
            turn.index.0
        )));
    }
    if let Some(stage) = &stored.stage
        && *stage != turn.stage
    {
        return Err(misfit(format!(
            "stored in stage {stage}, replayed in stage {}",
            turn.stage
        )));
    }
    let withheld = effects
        .iter()
        .any(|e| matches!(e, Effect::Escalate(x) if x.turn == Some(turn.index)));
    if withheld != stored.withheld {
        return Err(misfit(format!(
            "the safety screen now {} this turn",
            if withheld { "flags" } else { "passes" }
        )));
    }
    Ok(())
}

/// Rebuild `driver` (fresh, under the dialogue's protocol) from a session's stored events:
/// the driver where the dialogue stopped, and every effect the replay produced, in order.
///
/// # Errors
/// A stored event that does not fit the dialogue as it replays.
pub fn replay(
    mut driver: CrDriver,
    events: &[EventBody],
) -> Result<(CrDriver, Vec<Effect>), CrReplayError> {
    let mut all = Vec::new();
    let mut seen = Seen::default();
    let mut last_stage = None;
    for (seq, e) in events.iter().enumerate() {
        let misfit = |why: String| CrReplayError::DoesNotFit { seq, why };
        match e {
            EventBody::CrStage(s) => {
                if !driver.machine().is_started() {
                    all.extend(driver.start(&mut Replay)?);
                }
                last_stage = Some(s.stage.clone());
            }
            EventBody::CrTurn(t) => {
                let speaker = Speaker::try_from(&t.speaker)
                    .map_err(|()| misfit(format!("unknown speaker `{}`", t.speaker)))?;
                if driver.asked() != Some(speaker) {
                    return Err(misfit(format!(
                        "a {} turn where the dialogue asks {}",
                        speaker.name(),
                        driver.asked().map_or("nobody", Speaker::name)
                    )));
                }
                let reply = Reply::human(
                    Answer::Said(SaidTurn {
                        text: t.text.clone(),
                        labels: labels(t, speaker),
                        cut: t.cut,
                    }),
                    t.latency_ms.unwrap_or(0),
                );
                let effects = driver.answer(speaker, reply, &mut Replay)?;
                check_batch(&effects, t, seq)?;
                seen.withheld.push(t.withheld);
                all.extend(effects);
            }
            EventBody::CrOverride(o) => {
                let effects = match stored_override(o).map_err(misfit)? {
                    None => driver.resume(&mut Replay)?,
                    Some(o) => driver.clinician(o, &mut Replay)?,
                };
                if let Some(Effect::Rejected { why, .. }) = effects
                    .iter()
                    .find(|e| matches!(e, Effect::Rejected { .. }))
                {
                    return Err(misfit(format!("the override was refused ({why:?})")));
                }
                all.extend(effects);
            }
            EventBody::CrEnd(end) if !driver.is_finished() && end.finished_by == "error" => {
                // An agent that failed for good: the same end again.
                if let Some(speaker) = driver.asked() {
                    let error = end.detail.clone().unwrap_or_default();
                    all.extend(driver.answer(
                        speaker,
                        Reply::human(Answer::Failed(error), 0),
                        &mut Replay,
                    )?);
                }
            }
            _ => {}
        }
    }
    if driver.transcript().len() != seen.withheld.len() {
        return Err(CrReplayError::DoesNotFit {
            seq: events.len(),
            why: format!(
                "{} turns stored, {} replayed",
                seen.withheld.len(),
                driver.transcript().len()
            ),
        });
    }
    if let (Some(stored), Some(now)) = (&last_stage, driver.machine().stage())
        && stored != now
    {
        return Err(CrReplayError::DoesNotFit {
            seq: events.len(),
            why: format!("the last stored stage is {stored}, the replay ends in {now}"),
        });
    }
    Ok((driver, all))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::driver::Recorder;
    use crate::driver::cr::SharedScreen;
    use crate::engine::cr::CrPolicy;
    use crate::script::cr::bundled_protocol;
    use crate::script::cr::safety::Screener;
    use crate::store::StoreError;

    #[derive(Default)]
    struct Log(Vec<EventBody>);

    impl Recorder for Log {
        fn record(&mut self, events: Vec<EventBody>) -> Result<(), StoreError> {
            self.0.extend(events);
            Ok(())
        }
    }

    fn driver() -> CrDriver {
        let p = bundled_protocol().expect("bundled");
        let screen: SharedScreen = Arc::new(Screener::of(p));
        CrDriver::new(CrPolicy::from(p), screen).expect("driver")
    }

    fn said(text: &str, labels: Option<TurnLabels>) -> Reply {
        Reply::human(
            Answer::Said(SaidTurn {
                text: text.to_owned(),
                labels,
                cut: false,
            }),
            3,
        )
    }

    fn goal(distortions: &[&str]) -> Option<TurnLabels> {
        Some(TurnLabels {
            strategies: vec!["question".into()],
            stage_goal_met: Some(true),
            distortions: distortions.iter().map(|d| (*d).to_owned()).collect(),
        })
    }

    #[test]
    fn a_dialogue_with_a_safety_stop_and_overrides_replays_to_the_same_place() {
        let mut log = Log::default();
        let mut d = driver();
        d.start(&mut log).unwrap();
        d.answer(Speaker::Client, said("My exam went badly.", None), &mut log)
            .unwrap();
        d.answer(
            Speaker::Therapist,
            said("What went through your mind?", goal(&[])),
            &mut log,
        )
        .unwrap();
        d.answer(Speaker::Client, said("I want to die.", None), &mut log)
            .unwrap();
        assert!(d.is_paused());
        d.resume(&mut log).unwrap();
        d.clinician(Override::OpenChannel("labeling".into()), &mut log)
            .unwrap();
        d.answer(Speaker::Therapist, said("Tell me more.", None), &mut log)
            .unwrap();
        let (back, effects) = replay(driver(), &log.0).expect("replays");
        assert!(!effects.is_empty());
        assert_eq!(back.transcript(), d.transcript());
        assert_eq!(back.machine().stage(), d.machine().stage());
        assert_eq!(back.asked(), d.asked());
        assert_eq!(back.machine().channels(), d.machine().channels());
        assert_eq!(
            back.machine().excluded_turns(),
            d.machine().excluded_turns()
        );
        assert_eq!(
            back.request().map(|r| r.context),
            d.request().map(|r| r.context)
        );
    }

    #[test]
    fn a_log_that_does_not_fit_is_refused() {
        let mut log = Log::default();
        let mut d = driver();
        d.start(&mut log).unwrap();
        d.answer(Speaker::Client, said("Hello.", None), &mut log)
            .unwrap();
        // The same turn twice: the second is not the client's to say.
        let turn = log
            .0
            .iter()
            .find(|e| matches!(e, EventBody::CrTurn(_)))
            .cloned()
            .unwrap();
        log.0.push(turn);
        let err = replay(driver(), &log.0).expect_err("does not fit");
        assert!(err.to_string().contains("asks therapist"), "{err}");
        // A turn once screened as safe that the lexicon now flags is refused too.
        let mut log = Log::default();
        let mut d = driver();
        d.start(&mut log).unwrap();
        d.answer(Speaker::Client, said("Fine.", None), &mut log)
            .unwrap();
        for e in &mut log.0 {
            if let EventBody::CrTurn(t) = e {
                t.text = "I want to kill myself.".into();
            }
        }
        let err = replay(driver(), &log.0).expect_err("flagged now");
        assert!(err.to_string().contains("now flags"), "{err}");
    }
}
