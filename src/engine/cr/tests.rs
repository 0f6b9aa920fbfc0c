use super::*;
use crate::vocab::CrStage;

fn policy() -> CrPolicy {
    CrPolicy {
        max_turns: None,
        ..CrPolicy::default()
    }
}

fn started(policy: CrPolicy) -> (State, Vec<Effect>) {
    let mut s = State::new(policy).expect("policy");
    let fx = s.handle(Input::Start);
    (s, fx)
}

fn said(goal: Option<bool>, distortions: &[&str]) -> Input {
    Input::Therapist(TherapistTurn::labelled(
        "therapist",
        TurnLabels {
            strategies: vec!["expression".into()],
            stage_goal_met: goal,
            distortions: distortions.iter().map(|d| (*d).to_owned()).collect(),
        },
    ))
}

fn client() -> Input {
    Input::Client("client".into())
}

/// One exchange: a therapist turn with these labels, then the client's reply.
fn exchange(s: &mut State, goal: Option<bool>, distortions: &[&str]) -> Vec<Effect> {
    let mut fx = s.handle(said(goal, distortions));
    fx.extend(s.handle(client()));
    fx
}

fn entries(fx: &[Effect]) -> Vec<(CrStage, StageCause)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::EnterStage(s) => Some((s.stage.clone(), s.cause)),
            _ => None,
        })
        .collect()
}

fn finished_by(s: &State) -> Option<FinishReason> {
    s.finished().map(|f| f.reason)
}

/// Start, the client's opening, and through the identification stages by goal, reporting
/// `distortions` in the dissection stage.
fn to_dissection_end(distortions: &[&str]) -> (State, Vec<Effect>) {
    let (mut s, mut fx) = started(policy());
    fx.extend(s.handle(client()));
    fx.extend(exchange(&mut s, Some(true), &[]));
    fx.extend(exchange(&mut s, Some(true), &[]));
    fx.extend(exchange(&mut s, Some(true), distortions));
    (s, fx)
}

#[test]
fn the_client_opens_in_the_first_stage() {
    let (s, fx) = started(policy());
    assert_eq!(
        entries(&fx),
        [(CrStage::AutomaticThoughts, StageCause::Start)]
    );
    assert!(matches!(
        fx.last(),
        Some(Effect::AskClient(ClientAsk { opening: true, .. }))
    ));
    assert_eq!(s.awaiting(), Some(Speaker::Client));
}

#[test]
fn a_therapist_opener_is_asked_first() {
    let (s, fx) = started(CrPolicy {
        opener: Speaker::Therapist,
        ..policy()
    });
    assert!(matches!(
        fx.last(),
        Some(Effect::AskTherapist(TherapistAsk { stage_turn: 1, .. }))
    ));
    assert_eq!(s.awaiting(), Some(Speaker::Therapist));
}

#[test]
fn a_met_goal_moves_on_once_the_client_has_answered() {
    let (mut s, _) = started(policy());
    s.handle(client());
    let fx = s.handle(said(Some(true), &[]));
    assert!(entries(&fx).is_empty(), "{fx:?}");
    let fx = s.handle(client());
    // The reply belongs to the stage it answers.
    match &fx[0] {
        Effect::AppendTurn(t) => assert_eq!(t.stage, CrStage::AutomaticThoughts),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        entries(&fx),
        [(CrStage::IntermediateBeliefs, StageCause::GoalMet)]
    );
    match fx.last() {
        Some(Effect::AskTherapist(a)) => {
            assert_eq!(a.stage, CrStage::IntermediateBeliefs);
            assert_eq!(a.stage_turn, 1);
            assert_eq!(a.context.turns, 3);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_stage_at_its_cap_advances_by_cap() {
    let mut p = policy();
    p.identification[0].turn_cap = Some(2);
    let (mut s, _) = started(p);
    s.handle(client());
    assert!(entries(&exchange(&mut s, Some(false), &[])).is_empty());
    let fx = exchange(&mut s, None, &[]);
    assert_eq!(
        entries(&fx),
        [(CrStage::IntermediateBeliefs, StageCause::Cap)]
    );
    assert_eq!(s.visits()[0].therapist_turns, 2);
    assert_eq!(s.visits()[0].client_turns, 3);
}

#[test]
fn unlabelled_turns_only_move_by_cap() {
    let mut p = policy();
    p.identification[0].turn_cap = Some(1);
    let (mut s, _) = started(p);
    s.handle(client());
    s.handle(Input::Therapist(TherapistTurn::plain("hello")));
    let fx = s.handle(client());
    assert_eq!(
        entries(&fx),
        [(CrStage::IntermediateBeliefs, StageCause::Cap)]
    );
    assert!(!s.turns()[1].labelled);
}

#[test]
fn no_distortion_in_the_dissection_stage_finishes() {
    let (s, fx) = to_dissection_end(&[]);
    assert_eq!(finished_by(&s), Some(FinishReason::NoDistortion));
    assert!(matches!(fx.last(), Some(Effect::Finish(_))));
    assert_eq!(s.awaiting(), None);
}

#[test]
fn distortions_open_deduplicated_channels_up_to_the_maximum() {
    let mut p = policy();
    p.max_channels = 2;
    let (mut s, _) = started(p);
    s.handle(client());
    exchange(&mut s, Some(true), &[]);
    exchange(&mut s, Some(true), &[]);
    let fx = s.handle(said(
        None,
        &[
            "labeling",
            " Labeling ",
            "",
            "catastrophizing",
            "mind_reading",
        ],
    ));
    let opened: Vec<&str> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::OpenChannel { channel, .. } => Some(channel.distortion.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(opened, ["labeling", "catastrophizing"]);
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::ChannelNotOpened { distortion, reason: NotOpened::MaxChannels, .. }
            if distortion == "mind_reading"
    )));
    // Reported again later: still one channel, still not opened.
    let fx = exchange(&mut s, None, &["mind_reading", "LABELING"]);
    assert!(!fx.iter().any(|e| matches!(
        e,
        Effect::OpenChannel { .. } | Effect::ChannelNotOpened { .. }
    )));
    assert_eq!(s.channels().len(), 2);
    assert_eq!(s.not_opened().len(), 1);
}

#[test]
fn a_distortion_surfaced_early_opens_in_the_dissection_stage() {
    let (mut s, _) = started(policy());
    s.handle(client());
    let fx = exchange(&mut s, Some(true), &["overgeneralization"]);
    assert!(fx.iter().any(|e| matches!(e, Effect::Surfaced { .. })));
    assert!(s.channels().is_empty());
    let fx = exchange(&mut s, Some(true), &[]);
    assert_eq!(s.stage(), Some(&CrStage::CoreBeliefs));
    let opened = fx.iter().find_map(|e| match e {
        Effect::OpenChannel { cause, .. } => Some(cause.clone()),
        _ => None,
    });
    assert_eq!(
        opened,
        Some(OpenCause::Reported {
            turn: TurnIndex(1),
            stage: CrStage::AutomaticThoughts
        })
    );
    assert!(s.surfaced().is_empty());
}

#[test]
fn one_channel_runs_defense_prosecution_verdict_then_loops_back() {
    let (mut s, fx) = to_dissection_end(&["labeling"]);
    assert_eq!(
        entries(&fx).last(),
        Some(&(CrStage::Defense, StageCause::GoalMet))
    );
    assert_eq!(s.channels()[0].status, ChannelStatus::Restructuring);
    match fx.last() {
        Some(Effect::AskTherapist(a)) => {
            assert_eq!(
                a.channel.as_ref().map(|c| c.distortion.as_str()),
                Some("labeling")
            );
        }
        other => panic!("{other:?}"),
    }
    exchange(&mut s, Some(true), &[]);
    exchange(&mut s, Some(true), &[]);
    let fx = exchange(&mut s, Some(true), &[]);
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::CloseChannel {
            status: ChannelStatus::Closed,
            cause: CloseCause::Verdict,
            ..
        }
    )));
    assert_eq!(entries(&fx), [(CrStage::CoreBeliefs, StageCause::Loop)]);
    assert_eq!(s.loops(), 1);
    let fx = exchange(&mut s, Some(true), &[]);
    assert_eq!(finished_by(&s), Some(FinishReason::Verdicts), "{fx:?}");
}

#[test]
fn the_verdict_stage_at_its_cap_drops_the_channel() {
    let mut p = policy();
    p.restructuring[2].turn_cap = Some(1);
    p.after_verdict = LoopPolicy::UntilClosed;
    let (mut s, _) = started(p);
    s.handle(client());
    exchange(&mut s, Some(true), &[]);
    exchange(&mut s, Some(true), &[]);
    exchange(&mut s, Some(true), &["labeling"]);
    exchange(&mut s, Some(true), &[]);
    exchange(&mut s, Some(true), &[]);
    let fx = exchange(&mut s, Some(false), &[]);
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::CloseChannel {
            status: ChannelStatus::Dropped,
            cause: CloseCause::Cap,
            ..
        }
    )));
    // Until-closed: no channel open, none surfaced: finished without a last pass.
    assert_eq!(finished_by(&s), Some(FinishReason::Verdicts));
    assert_eq!(s.loops(), 0);
}

#[test]
fn inputs_that_do_not_fit_change_nothing() {
    let mut s = State::new(policy()).expect("policy");
    assert_eq!(
        s.handle(client()),
        [Effect::Rejected {
            input: InputKind::Client,
            why: Rejection::NotStarted
        }]
    );
    s.handle(Input::Start);
    assert_eq!(
        s.handle(Input::Start),
        [Effect::Rejected {
            input: InputKind::Start,
            why: Rejection::AlreadyStarted
        }]
    );
    assert_eq!(
        s.handle(said(Some(true), &[])),
        [Effect::Rejected {
            input: InputKind::Therapist,
            why: Rejection::NotYourTurn {
                expected: Some(Speaker::Client)
            }
        }]
    );
    assert_eq!(
        s.handle(Input::Resume),
        [Effect::Rejected {
            input: InputKind::Resume,
            why: Rejection::NotPaused
        }]
    );
    assert_eq!(s.turn_count(), 0);
}

#[test]
fn policies_are_checked() {
    let mut p = policy();
    p.identification.clear();
    assert_eq!(
        State::new(p).err(),
        Some(PolicyError::NoIdentificationStage)
    );
    let mut p = policy();
    p.restructuring.clear();
    assert_eq!(State::new(p).err(), Some(PolicyError::NoRestructuringStage));
    let mut p = policy();
    p.restructuring[0].stage = CrStage::CoreBeliefs;
    assert_eq!(
        State::new(p).err(),
        Some(PolicyError::DuplicateStage(CrStage::CoreBeliefs))
    );
    let mut p = policy();
    p.identification[1].turn_cap = Some(0);
    assert_eq!(
        State::new(p).err(),
        Some(PolicyError::ZeroCap(CrStage::IntermediateBeliefs))
    );
    assert_eq!(
        State::new(CrPolicy {
            max_turns: Some(0),
            ..policy()
        })
        .err(),
        Some(PolicyError::ZeroMaxTurns)
    );
    assert_eq!(
        State::new(CrPolicy {
            max_channels: 0,
            ..policy()
        })
        .err(),
        Some(PolicyError::ZeroMaxChannels)
    );
    assert!(CrPolicy::default().check().is_ok());
}

#[test]
fn a_short_protocol_runs_with_one_stage_per_phase() {
    let p = CrPolicy {
        identification: vec![StagePolicy::new(CrStage::CoreBeliefs, None)],
        restructuring: vec![StagePolicy::new(CrStage::Verdict, None)],
        max_channels: 1,
        ..policy()
    };
    let (mut s, _) = started(p);
    s.handle(client());
    exchange(&mut s, Some(true), &["labeling"]);
    assert_eq!(s.stage(), Some(&CrStage::Verdict));
    exchange(&mut s, Some(true), &[]);
    // Revisit, but max_channels reached: nothing could surface.
    assert_eq!(finished_by(&s), Some(FinishReason::Verdicts));
    let stages: Vec<&CrStage> = s.stages().collect();
    assert_eq!(stages, [&CrStage::CoreBeliefs, &CrStage::Verdict]);
}

#[test]
fn a_safety_stop_pauses_until_the_clinician_resumes() {
    let (mut s, _) = started(policy());
    s.handle(client());
    s.handle(said(Some(true), &[]));
    // The client answers the turn that met the goal: the stage moves on, and then the
    // screen fires on that answer (the driver feeds the turn, then the trigger).
    s.handle(Input::Client("crisis".into()));
    let fx = s.handle(Input::Safety(SafetyTrigger {
        category: "self_harm".into(),
        matched: "term".into(),
        speaker: Speaker::Client,
        turn: None,
    }));
    match &fx[..] {
        [Effect::Escalate(e)] => {
            assert_eq!(e.turn, Some(TurnIndex(2)));
            assert_eq!(e.withdrawn, Some(Speaker::Therapist));
        }
        other => panic!("{other:?}"),
    }
    assert!(s.is_paused());
    assert_eq!(s.excluded_turns(), [TurnIndex(2)]);
    assert_eq!(
        s.handle(said(None, &[])),
        [Effect::Rejected {
            input: InputKind::Therapist,
            why: Rejection::Paused
        }]
    );
    assert!(matches!(
        s.handle(Input::Clinician(Override::SetStage(CrStage::CoreBeliefs)))[..],
        [Effect::Rejected {
            why: Rejection::Paused,
            ..
        }]
    ));
    let fx = s.handle(Input::Resume);
    assert!(matches!(fx[0], Effect::Resumed { .. }));
    match &fx[1] {
        Effect::AskTherapist(a) => {
            assert_eq!(a.stage, CrStage::IntermediateBeliefs);
            assert!(!a.context.includes(TurnIndex(2)));
            assert_eq!(
                a.context.iter().collect::<Vec<_>>(),
                [TurnIndex(0), TurnIndex(1)]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn finishing_while_paused_is_a_safety_finish() {
    let (mut s, _) = started(policy());
    s.handle(client());
    s.handle(Input::Safety(SafetyTrigger {
        category: "violence".into(),
        matched: "label".into(),
        speaker: Speaker::Client,
        turn: Some(TurnIndex(0)),
    }));
    s.handle(Input::Clinician(Override::Finish));
    assert_eq!(finished_by(&s), Some(FinishReason::Safety));
    assert_eq!(s.summary().escalations.len(), 1);
}

#[test]
fn a_trigger_on_a_missing_turn_is_rejected() {
    let (mut s, _) = started(policy());
    let fx = s.handle(Input::Safety(SafetyTrigger {
        category: "c".into(),
        matched: "m".into(),
        speaker: Speaker::Client,
        turn: Some(TurnIndex(5)),
    }));
    assert!(matches!(
        fx[..],
        [Effect::Rejected {
            why: Rejection::NoSuchTurn,
            ..
        }]
    ));
    assert!(!s.is_paused());
}

#[test]
fn a_trigger_before_any_turn_resumes_with_the_opener() {
    let (mut s, _) = started(policy());
    let fx = s.handle(Input::Safety(SafetyTrigger {
        category: "c".into(),
        matched: "m".into(),
        speaker: Speaker::Client,
        turn: None,
    }));
    assert!(matches!(
        &fx[..],
        [Effect::Escalate(Escalation { turn: None, .. })]
    ));
    let fx = s.handle(Input::Resume);
    assert!(matches!(
        fx.last(),
        Some(Effect::AskClient(ClientAsk { opening: true, .. }))
    ));
}

#[test]
fn set_stage_needs_a_channel_for_restructuring_and_returns_it_when_leaving() {
    let (mut s, _) = started(policy());
    s.handle(client());
    assert!(matches!(
        s.handle(Input::Clinician(Override::SetStage(CrStage::Defense)))[..],
        [Effect::Rejected {
            why: Rejection::NoOpenChannel,
            ..
        }]
    ));
    assert!(matches!(
        s.handle(Input::Clinician(Override::SetStage(CrStage::Other(
            "x".into()
        ))))[..],
        [Effect::Rejected {
            why: Rejection::UnknownStage,
            ..
        }]
    ));
    s.handle(Input::Clinician(Override::OpenChannel("labeling".into())));
    // Awaiting the therapist: the ask is made again for the new stage.
    let fx = s.handle(Input::Clinician(Override::SetStage(CrStage::Prosecution)));
    assert_eq!(
        entries(&fx),
        [(CrStage::Prosecution, StageCause::Clinician)]
    );
    assert!(matches!(fx.last(), Some(Effect::AskTherapist(a)) if a.channel.is_some()));
    assert_eq!(s.channels()[0].status, ChannelStatus::Restructuring);
    s.handle(Input::Clinician(Override::SetStage(
        CrStage::AutomaticThoughts,
    )));
    assert_eq!(s.channels()[0].status, ChannelStatus::Open);
    assert!(s.channel().is_none());
}

#[test]
fn closing_the_channel_in_restructuring_loops_back() {
    let (mut s, _) = to_dissection_end(&["labeling", "mind_reading"]);
    let fx = s.handle(Input::Clinician(Override::DropChannel("Labeling".into())));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::CloseChannel {
            status: ChannelStatus::Dropped,
            cause: CloseCause::Clinician,
            ..
        }
    )));
    assert_eq!(
        entries(&fx),
        [(CrStage::CoreBeliefs, StageCause::Clinician)]
    );
    assert_eq!(s.loops(), 1);
    assert!(matches!(
        s.handle(Input::Clinician(Override::CloseChannel("labeling".into())))[..],
        [Effect::Rejected {
            why: Rejection::ChannelNotOpen,
            ..
        }]
    ));
    // A report does not reopen what the clinician dropped; the clinician may.
    let fx = exchange(&mut s, None, &["labeling"]);
    assert!(!fx.iter().any(|e| matches!(e, Effect::OpenChannel { .. })));
    let fx = s.handle(Input::Clinician(Override::OpenChannel("labeling".into())));
    assert!(matches!(
        &fx[..],
        [Effect::OpenChannel { cause: OpenCause::Clinician, channel }] if channel.id == ChannelId(0)
    ));
    assert!(matches!(
        s.handle(Input::Clinician(Override::OpenChannel("labeling".into())))[..],
        [Effect::Rejected {
            why: Rejection::ChannelAlreadyOpen,
            ..
        }]
    ));
}

#[test]
fn the_clinician_may_open_beyond_the_maximum() {
    let mut p = policy();
    p.max_channels = 1;
    let (mut s, _) = to_dissection_end(&[]);
    assert!(s.is_finished());
    let (mut s2, _) = started(p);
    s2.handle(client());
    s2.handle(Input::Clinician(Override::OpenChannel("a".into())));
    s2.handle(Input::Clinician(Override::OpenChannel("b".into())));
    assert_eq!(s2.channels().len(), 2);
    assert!(s.handle(client()).is_empty());
}

#[test]
fn an_agent_failure_finishes_with_its_error() {
    let (mut s, _) = started(policy());
    let fx = s.handle(Input::AgentFailed {
        speaker: Speaker::Client,
        error: "HTTP 500 after 3 tries".into(),
    });
    assert_eq!(
        fx,
        [Effect::Finish(Finished {
            reason: FinishReason::Error,
            detail: Some("HTTP 500 after 3 tries".into())
        })]
    );
    assert!(s.handle(Input::Resume).is_empty());
}

#[test]
fn max_turns_finishes_by_cap() {
    let (mut s, _) = started(CrPolicy {
        max_turns: Some(3),
        ..policy()
    });
    s.handle(client());
    s.handle(said(None, &[]));
    let fx = s.handle(client());
    assert_eq!(finished_by(&s), Some(FinishReason::Cap));
    assert!(matches!(fx.last(), Some(Effect::Finish(_))));
    assert_eq!(s.turn_count(), 3);
}

#[test]
fn the_summary_has_the_batch_shape() {
    let (s, _) = to_dissection_end(&["labeling"]);
    let json = serde_json::to_value(s.summary()).expect("json");
    assert_eq!(
        json["stages"],
        serde_json::json!([
            "automatic_thoughts",
            "intermediate_beliefs",
            "core_beliefs",
            "defense"
        ])
    );
    assert_eq!(
        json["channels"],
        serde_json::json!([{"distortion": "labeling", "status": "restructuring"}])
    );
    assert_eq!(json["finished_by"], serde_json::Value::Null);
    assert_eq!(json["escalations"], serde_json::json!([]));
    assert_eq!(FinishReason::NoDistortion.name(), "no_distortion");
    assert_eq!(
        serde_json::to_value(FinishReason::NoDistortion).expect("json"),
        "no_distortion"
    );
}

#[test]
fn a_crisis_turn_comes_from_the_speaker_asked() {
    let (mut s, _) = started(policy());
    let crisis = |speaker| Input::CrisisTurn {
        text: "crisis".into(),
        trigger: SafetyTrigger {
            category: "c".into(),
            matched: "m".into(),
            speaker,
            turn: Some(TurnIndex(9)),
        },
    };
    assert!(matches!(
        s.handle(crisis(Speaker::Therapist))[..],
        [Effect::Rejected {
            input: InputKind::CrisisTurn,
            why: Rejection::NotYourTurn { .. }
        }]
    ));
    let fx = s.handle(crisis(Speaker::Client));
    assert!(matches!(
        &fx[..],
        [Effect::AppendTurn(_), Effect::Escalate(e)]
            if e.turn == Some(TurnIndex(0)) && e.withdrawn.is_none()
    ));
    assert!(!s.turns()[0].in_context);
    assert!(matches!(
        s.handle(crisis(Speaker::Client))[..],
        [Effect::Rejected {
            why: Rejection::Paused,
            ..
        }]
    ));
    // Resumed after the opening was a crisis: the therapist speaks, with no context.
    let fx = s.handle(Input::Resume);
    assert!(matches!(
        fx.last(),
        Some(Effect::AskTherapist(a)) if a.context.iter().count() == 0
    ));
}
