//! The CR stage machine (`engine::cr`) over whole dialogues: the CRDial loop over three
//! channels, the clinician's overrides, a safety stop in every stage, the caps, and
//! properties over random input sequences.

use proptest::prelude::*;
use socius::engine::cr::{
    ChannelStatus, CloseCause, CrPolicy, Effect, FinishReason, Input, LoopPolicy, OpenCause,
    Override, SafetyTrigger, Speaker, StageCause, State, TherapistTurn, TurnIndex, TurnLabels,
};
use socius::session::CrStage;

/// A dialogue under test: the machine, every input fed and every effect seen.
struct Dialogue {
    state: State,
    inputs: Vec<Input>,
    effects: Vec<Effect>,
}

impl Dialogue {
    fn new(policy: CrPolicy) -> Self {
        let mut d = Self {
            state: State::new(policy).expect("policy"),
            inputs: Vec::new(),
            effects: Vec::new(),
        };
        d.feed(Input::Start);
        d
    }

    fn feed(&mut self, input: Input) -> Vec<Effect> {
        self.inputs.push(input.clone());
        let fx = self.state.handle(input);
        self.effects.extend(fx.iter().cloned());
        fx
    }

    fn therapist(&mut self, goal: Option<bool>, distortions: &[&str]) -> Vec<Effect> {
        self.feed(Input::Therapist(TherapistTurn::labelled(
            "Let's look at that thought.",
            TurnLabels {
                strategies: vec!["description".into(), "negotiation".into()],
                stage_goal_met: goal,
                distortions: distortions.iter().map(|d| (*d).to_owned()).collect(),
            },
        )))
    }

    fn client(&mut self) -> Vec<Effect> {
        self.feed(Input::Client("I suppose so.".into()))
    }

    /// A therapist turn and the client's answer.
    fn exchange(&mut self, goal: Option<bool>, distortions: &[&str]) -> Vec<Effect> {
        let mut fx = self.therapist(goal, distortions);
        fx.extend(self.client());
        fx
    }

    fn clinician(&mut self, o: Override) -> Vec<Effect> {
        self.feed(Input::Clinician(o))
    }

    fn stages(&self) -> Vec<CrStage> {
        self.state.stages().cloned().collect()
    }

    fn finished_by(&self) -> Option<FinishReason> {
        self.state.finished().map(|f| f.reason)
    }
}

fn no_cap() -> CrPolicy {
    CrPolicy {
        max_turns: None,
        ..CrPolicy::default()
    }
}

fn entries(fx: &[Effect]) -> Vec<(CrStage, StageCause)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::EnterStage(s) => Some((s.stage.clone(), s.cause)),
            _ => None,
        })
        .collect()
}

fn asks(fx: &[Effect]) -> usize {
    fx.iter()
        .filter(|e| matches!(e, Effect::AskTherapist(_) | Effect::AskClient(_)))
        .count()
}

use CrStage::{
    AutomaticThoughts as At, CoreBeliefs as Cb, Defense as De, IntermediateBeliefs as Ib,
    Prosecution as Pr, Verdict as Ve,
};

#[test]
fn three_channels_loop_to_the_end() {
    let mut d = Dialogue::new(CrPolicy::default());
    d.client();
    d.exchange(Some(true), &[]);
    d.exchange(Some(false), &[]);
    d.exchange(Some(true), &[]);
    d.exchange(
        Some(true),
        &["overgeneralization", "catastrophizing", "labeling"],
    );
    for channel in 0..3 {
        if channel > 0 {
            // The loop's pass through the dissection stage.
            d.exchange(Some(true), &[]);
        }
        d.exchange(Some(true), &[]);
        d.exchange(Some(true), &[]);
        d.exchange(Some(true), &[]);
    }
    assert!(!d.state.is_finished());
    // The last pass finds nothing new.
    d.exchange(Some(true), &[]);

    assert_eq!(
        d.stages(),
        [At, Ib, Cb, De, Pr, Ve, Cb, De, Pr, Ve, Cb, De, Pr, Ve, Cb]
    );
    assert_eq!(d.state.loops(), 3);
    assert_eq!(d.finished_by(), Some(FinishReason::Verdicts));
    assert!(
        d.state
            .channels()
            .iter()
            .all(|c| c.status == ChannelStatus::Closed && c.closed == Some(CloseCause::Verdict))
    );
    // Each restructuring works on the channels in the order they were found.
    let worked: Vec<String> = d
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::EnterStage(s) if s.stage == De => s.channel.clone().map(|c| c.distortion),
            _ => None,
        })
        .collect();
    assert_eq!(
        worked,
        ["overgeneralization", "catastrophizing", "labeling"]
    );
    let causes: Vec<StageCause> = entries(&d.effects).into_iter().map(|(_, c)| c).collect();
    assert_eq!(causes[0], StageCause::Start);
    assert_eq!(causes.iter().filter(|c| **c == StageCause::Loop).count(), 3);
    // Turns: the opening, then two per exchange.
    assert_eq!(d.state.turn_count(), 1 + 2 * 16);
    assert_eq!(d.state.stage_turns(&Ib, Some(Speaker::Therapist)), 2);
    assert_eq!(d.state.stage_turns(&Cb, None), 8);

    // The same inputs replay to the same effects and state.
    let (replayed, effects) = State::replay(CrPolicy::default(), d.inputs.clone()).expect("ok");
    assert_eq!(effects, d.effects);
    assert_eq!(replayed.summary(), d.state.summary());

    let json = serde_json::to_value(d.state.summary()).expect("json");
    assert_eq!(json["finished_by"], "verdicts");
    assert_eq!(json["channels"][2]["status"], "closed");
    assert_eq!(json["stages"][14], "core_beliefs");
}

#[test]
fn set_stage_wins_over_a_reported_goal() {
    let mut d = Dialogue::new(no_cap());
    d.client();
    d.therapist(Some(true), &[]);
    let fx = d.clinician(Override::SetStage(At));
    assert_eq!(entries(&fx), [(At, StageCause::Clinician)]);
    let fx = d.client();
    assert!(entries(&fx).is_empty(), "the report was overridden: {fx:?}");
    assert_eq!(d.state.stage(), Some(&At));
    // And forward: straight to the dissection stage.
    let fx = d.clinician(Override::SetStage(Cb));
    assert!(matches!(fx.last(), Some(Effect::AskTherapist(a)) if a.stage == Cb));
}

#[test]
fn an_opened_channel_wins_over_a_report_of_no_distortion() {
    let mut d = Dialogue::new(no_cap());
    d.client();
    let fx = d.clinician(Override::OpenChannel("should_statements".into()));
    assert!(matches!(
        &fx[..],
        [Effect::OpenChannel {
            cause: OpenCause::Clinician,
            ..
        }]
    ));
    d.exchange(Some(true), &[]);
    d.exchange(Some(true), &[]);
    let fx = d.exchange(Some(true), &[]);
    assert_eq!(entries(&fx), [(De, StageCause::GoalMet)]);
    assert_eq!(
        d.state.channel().map(|(_, c)| c.distortion.as_str()),
        Some("should_statements")
    );
}

#[test]
fn a_closed_channel_wins_over_a_report_in_its_stage() {
    let mut d = Dialogue::new(no_cap());
    d.client();
    d.exchange(Some(true), &[]);
    d.exchange(Some(true), &[]);
    d.exchange(Some(true), &["labeling", "mind_reading"]);
    assert_eq!(d.state.stage(), Some(&De));
    d.therapist(Some(true), &[]);
    let fx = d.clinician(Override::CloseChannel("labeling".into()));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::CloseChannel {
            status: ChannelStatus::Closed,
            cause: CloseCause::Clinician,
            ..
        }
    )));
    assert_eq!(entries(&fx), [(Cb, StageCause::Clinician)]);
    // The defense goal the therapist reported does not move the new stage.
    assert!(entries(&d.client()).is_empty());
    assert_eq!(d.state.stage(), Some(&Cb));
    // Reports do not reopen it; the next open channel is restructured.
    let fx = d.exchange(Some(true), &["labeling"]);
    assert!(!fx.iter().any(|e| matches!(e, Effect::OpenChannel { .. })));
    assert_eq!(
        d.state.channel().map(|(_, c)| c.distortion.as_str()),
        Some("mind_reading")
    );
    // A dropped open channel is never restructured.
    d.clinician(Override::OpenChannel("personalization".into()));
    d.clinician(Override::DropChannel("personalization".into()));
    for _ in 0..3 {
        d.exchange(Some(true), &[]);
    }
    d.exchange(Some(true), &[]);
    assert_eq!(d.finished_by(), Some(FinishReason::Verdicts));
    let statuses: Vec<ChannelStatus> = d.state.channels().iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            ChannelStatus::Closed,
            ChannelStatus::Closed,
            ChannelStatus::Dropped
        ]
    );
}

#[test]
fn finish_wins_over_everything() {
    let mut d = Dialogue::new(no_cap());
    d.client();
    d.therapist(Some(true), &["labeling"]);
    let fx = d.clinician(Override::Finish);
    assert!(matches!(&fx[..], [Effect::Finish(f)] if f.reason == FinishReason::Clinician));
    assert!(d.client().is_empty());
    assert!(d.clinician(Override::SetStage(Cb)).is_empty());
    assert!(d.feed(Input::Resume).is_empty());
    assert_eq!(d.finished_by(), Some(FinishReason::Clinician));
}

/// Drive a fresh dialogue (one channel) until `stage` is current and the therapist is asked.
fn reach(stage: &CrStage) -> Dialogue {
    let mut d = Dialogue::new(no_cap());
    d.client();
    let mut guard = 0;
    while d.state.stage() != Some(stage) {
        let found: &[&str] = if d.state.stage() == Some(&Cb) {
            &["catastrophizing"]
        } else {
            &[]
        };
        d.exchange(Some(true), found);
        guard += 1;
        assert!(guard < 20, "never reached {stage}");
    }
    d
}

fn trigger(speaker: Speaker, turn: Option<TurnIndex>) -> Input {
    Input::Safety(SafetyTrigger {
        category: "self_harm".into(),
        matched: "lexicon term".into(),
        speaker,
        turn,
    })
}

#[test]
fn a_safety_stop_in_every_stage() {
    // Screened before the turn is fed (a crisis turn), and after (a late trigger).
    for (stage, late) in [At, Ib, Cb, De, Pr, Ve]
        .into_iter()
        .flat_map(|s| [(s.clone(), false), (s, true)])
    {
        let mut d = reach(&stage);
        // The therapist reports the goal met (and a distortion, so the dissection stage has
        // somewhere to go): a crisis answer screened first must not move the stage.
        d.therapist(Some(true), &["labeling"]);
        let crisis = TurnIndex(d.state.turn_count());
        let fx = if late {
            let fx = d.feed(Input::Client("a crisis message".into()));
            assert_eq!(asks(&fx), 1);
            // A late trigger comes after the stage already moved on that answer.
            let now = d.state.stage().cloned();
            let fx = d.feed(trigger(Speaker::Client, Some(crisis)));
            assert_eq!(d.state.stage().cloned(), now);
            fx
        } else {
            let fx = d.feed(Input::CrisisTurn {
                text: "a crisis message".into(),
                trigger: SafetyTrigger {
                    category: "self_harm".into(),
                    matched: "lexicon term".into(),
                    speaker: Speaker::Client,
                    turn: None,
                },
            });
            assert!(matches!(&fx[0], Effect::AppendTurn(t) if t.index == crisis));
            assert_eq!(d.state.stage(), Some(&stage));
            fx[1..].to_vec()
        };
        let stage = d.state.stage().cloned().expect("stage");
        match &fx[..] {
            [Effect::Escalate(e)] => {
                assert_eq!(e.stage, stage);
                assert_eq!(e.turn, Some(crisis));
                assert_eq!(e.trigger.turn, Some(crisis));
                assert_eq!(
                    e.withdrawn,
                    late.then_some(Speaker::Therapist),
                    "a late trigger withdraws the ask made meanwhile"
                );
            }
            other => panic!("{stage}: {other:?}"),
        }
        assert!(d.state.is_paused());
        assert_eq!(d.state.excluded_turns(), [crisis]);
        assert!(!d.state.turns()[crisis.0].in_context);

        // Nothing is asked until the clinician resumes.
        let mut paused = Vec::new();
        paused.extend(d.therapist(Some(true), &["labeling"]));
        paused.extend(d.client());
        paused.extend(d.clinician(Override::SetStage(At)));
        paused.extend(d.clinician(Override::OpenChannel("labeling".into())));
        paused.extend(d.feed(trigger(Speaker::Client, None)));
        assert_eq!(asks(&paused), 0, "{stage}: {paused:?}");
        assert_eq!(d.state.stage(), Some(&stage));
        assert_eq!(d.state.escalations().len(), 2);

        let fx = d.feed(Input::Resume);
        assert!(matches!(&fx[0], Effect::Resumed { stage: s } if *s == stage));
        match &fx[1] {
            Effect::AskTherapist(a) => {
                assert_eq!(a.stage, stage, "the same stage continues");
                assert!(!a.context.includes(crisis));
                assert_eq!(a.context.iter().count(), crisis.0);
            }
            other => panic!("{stage}: {other:?}"),
        }
        // Play on to the end: the crisis turn stays out of every later context (the ask made
        // with the crisis turn, before the trigger came, was withdrawn).
        let mut guard = 0;
        while !d.state.is_finished() {
            let found: &[&str] = if d.state.stage() == Some(&Cb) {
                &["catastrophizing"]
            } else {
                &[]
            };
            d.exchange(Some(true), found);
            guard += 1;
            assert!(guard < 40);
        }
        let escalated = d
            .effects
            .iter()
            .position(|e| matches!(e, Effect::Escalate(_)))
            .expect("escalated");
        for e in &d.effects[escalated..] {
            let context = match e {
                Effect::AskTherapist(a) => &a.context,
                Effect::AskClient(a) => &a.context,
                _ => continue,
            };
            assert!(context.turns > crisis.0);
            assert!(!context.includes(crisis));
        }
        assert_eq!(d.finished_by(), Some(FinishReason::Verdicts));
    }
}

#[test]
fn a_therapist_crisis_turn_is_excluded_too_and_a_stop_can_end_the_dialogue() {
    let mut d = reach(&Pr);
    let fx = d.therapist(Some(true), &[]);
    let turn = match &fx[0] {
        Effect::AppendTurn(t) => t.index,
        other => panic!("{other:?}"),
    };
    let fx = d.feed(trigger(Speaker::Therapist, None));
    assert!(matches!(
        &fx[..],
        [Effect::Escalate(e)] if e.turn == Some(turn) && e.withdrawn == Some(Speaker::Client)
    ));
    // The reported goal is void: after resume, prosecution continues.
    d.feed(Input::Resume);
    d.exchange(None, &[]);
    assert_eq!(d.state.stage(), Some(&Pr));
    d.feed(trigger(Speaker::Client, None));
    d.clinician(Override::Finish);
    assert_eq!(d.finished_by(), Some(FinishReason::Safety));
    assert_eq!(d.state.summary().escalations.len(), 2);
}

#[test]
fn a_stage_cap_advances_by_cap_in_both_phases() {
    let mut p = no_cap();
    p.identification[1].turn_cap = Some(2);
    p.restructuring[1].turn_cap = Some(1);
    let mut d = Dialogue::new(p);
    d.client();
    d.exchange(Some(true), &[]);
    assert!(entries(&d.exchange(Some(false), &[])).is_empty());
    assert_eq!(entries(&d.exchange(None, &[])), [(Cb, StageCause::Cap)]);
    d.exchange(Some(true), &["labeling"]);
    d.exchange(Some(true), &[]);
    assert_eq!(entries(&d.exchange(None, &[])), [(Ve, StageCause::Cap)]);
    let caps: Vec<u32> = d
        .state
        .visits()
        .iter()
        .filter(|v| v.stage == Ib || v.stage == Pr)
        .map(|v| v.therapist_turns)
        .collect();
    assert_eq!(caps, [2, 1]);
}

#[test]
fn max_turns_finishes_by_cap() {
    let mut d = Dialogue::new(CrPolicy {
        max_turns: Some(8),
        ..CrPolicy::default()
    });
    d.client();
    let mut guard = 0;
    while !d.state.is_finished() {
        d.exchange(Some(true), &["labeling"]);
        guard += 1;
        assert!(guard < 10);
    }
    assert_eq!(d.finished_by(), Some(FinishReason::Cap));
    assert_eq!(d.state.turn_count(), 8);
    assert!(matches!(d.effects.last(), Some(Effect::Finish(_))));
}

#[test]
fn a_crisis_turn_at_max_turns_escalates_before_the_cap() {
    let mut d = Dialogue::new(CrPolicy {
        max_turns: Some(2),
        ..CrPolicy::default()
    });
    d.client();
    let fx = d.feed(Input::CrisisTurn {
        text: "crisis".into(),
        trigger: SafetyTrigger {
            category: "self_harm".into(),
            matched: "term".into(),
            speaker: Speaker::Therapist,
            turn: None,
        },
    });
    assert!(matches!(
        &fx[..],
        [Effect::AppendTurn(_), Effect::Escalate(_)]
    ));
    assert!(!d.state.is_finished());
    let fx = d.feed(Input::Resume);
    assert!(matches!(
        &fx[..],
        [Effect::Resumed { .. }, Effect::Finish(f)] if f.reason == FinishReason::Cap
    ));
}

#[test]
fn max_channels_is_respected() {
    let mut d = Dialogue::new(CrPolicy {
        max_channels: 2,
        after_verdict: LoopPolicy::Revisit,
        ..no_cap()
    });
    d.client();
    d.exchange(Some(true), &["labeling"]);
    d.exchange(Some(true), &[]);
    d.exchange(
        Some(true),
        &["mind_reading", "labeling", "emotional_reasoning"],
    );
    assert_eq!(d.state.channels().len(), 2);
    assert_eq!(d.state.not_opened().len(), 1);
    assert_eq!(d.state.not_opened()[0].distortion, "emotional_reasoning");
    // Two channels restructured; at the maximum, no last pass: finish after the second verdict.
    for _ in 0..2 {
        for _ in 0..3 {
            d.exchange(Some(true), &["should_statements"]);
        }
        if !d.state.is_finished() {
            d.exchange(Some(true), &[]);
        }
    }
    assert_eq!(d.finished_by(), Some(FinishReason::Verdicts));
    assert_eq!(d.state.channels().len(), 2);
    assert_eq!(d.state.loops(), 1);
    assert_eq!(d.state.summary().not_opened.len(), 2);
}

// ---- properties over random input sequences ----

const DISTORTIONS: [&str; 5] = [
    "labeling",
    "Labeling ",
    "mind_reading",
    "catastrophizing",
    "should_statements",
];

const STAGES: [CrStage; 6] = [At, Ib, Cb, De, Pr, Ve];

/// What the test does next; `Next` speaks for whoever is asked, so runs get deep.
#[derive(Debug, Clone)]
enum Act {
    Next {
        goal: Option<bool>,
        labelled: bool,
        found: Vec<usize>,
    },
    /// A crisis turn from whoever is asked.
    Crisis,
    Raw(Input),
}

fn policy_strategy() -> impl Strategy<Value = CrPolicy> {
    (
        proptest::collection::vec(proptest::option::of(1u32..4), 6),
        1usize..4,
        proptest::option::of(1u32..60),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(caps, max_channels, max_turns, revisit, client_opens)| {
            let mut p = CrPolicy {
                max_channels,
                max_turns,
                after_verdict: if revisit {
                    LoopPolicy::Revisit
                } else {
                    LoopPolicy::UntilClosed
                },
                opener: if client_opens {
                    Speaker::Client
                } else {
                    Speaker::Therapist
                },
                ..CrPolicy::default()
            };
            for (s, cap) in p
                .identification
                .iter_mut()
                .chain(p.restructuring.iter_mut())
                .zip(caps)
            {
                s.turn_cap = cap;
            }
            p
        })
}

fn distortion() -> impl Strategy<Value = String> {
    (0..DISTORTIONS.len()).prop_map(|i| DISTORTIONS[i].to_owned())
}

fn speaker() -> impl Strategy<Value = Speaker> {
    prop_oneof![Just(Speaker::Therapist), Just(Speaker::Client)]
}

fn act_strategy() -> impl Strategy<Value = Act> {
    let stage = (0..7usize).prop_map(|i| {
        STAGES
            .get(i)
            .cloned()
            .unwrap_or_else(|| CrStage::Other("unknown".into()))
    });
    // Weighted so most runs go deep (many exchanges) before anything ends them.
    prop_oneof![
        300 => (proptest::option::of(any::<bool>()), any::<bool>(), proptest::collection::vec(0..DISTORTIONS.len(), 0..3))
            .prop_map(|(goal, labelled, found)| Act::Next { goal, labelled, found }),
        2 => Just(Act::Raw(Input::Start)),
        2 => Just(Act::Raw(Input::Client("out of turn".into()))),
        2 => Just(Act::Raw(Input::Therapist(TherapistTurn::plain("out of turn")))),
        6 => stage.prop_map(|s| Act::Raw(Input::Clinician(Override::SetStage(s)))),
        6 => distortion().prop_map(|d| Act::Raw(Input::Clinician(Override::OpenChannel(d)))),
        3 => distortion().prop_map(|d| Act::Raw(Input::Clinician(Override::CloseChannel(d)))),
        3 => distortion().prop_map(|d| Act::Raw(Input::Clinician(Override::DropChannel(d)))),
        1 => Just(Act::Raw(Input::Clinician(Override::Finish))),
        4 => (speaker(), proptest::option::of(0usize..40)).prop_map(|(speaker, turn)| {
            Act::Raw(Input::Safety(SafetyTrigger {
                category: "c".into(),
                matched: "m".into(),
                speaker,
                turn: turn.map(TurnIndex),
            }))
        }),
        2 => Just(Act::Crisis),
        4 => Just(Act::Raw(Input::Resume)),
        1 => speaker().prop_map(|speaker| Act::Raw(Input::AgentFailed { speaker, error: "boom".into() })),
    ]
}

fn to_input(act: Act, state: &State) -> Input {
    match act {
        Act::Raw(input) => input,
        Act::Crisis => Input::CrisisTurn {
            text: "crisis".into(),
            trigger: SafetyTrigger {
                category: "c".into(),
                matched: "m".into(),
                speaker: state.awaiting().unwrap_or(Speaker::Client),
                turn: None,
            },
        },
        Act::Next {
            goal,
            labelled,
            found,
        } => match state.awaiting() {
            Some(Speaker::Client) => Input::Client("reply".into()),
            Some(Speaker::Therapist) if labelled => Input::Therapist(TherapistTurn::labelled(
                "turn",
                TurnLabels {
                    strategies: Vec::new(),
                    stage_goal_met: goal,
                    distortions: found.iter().map(|&i| DISTORTIONS[i].to_owned()).collect(),
                },
            )),
            Some(Speaker::Therapist) => Input::Therapist(TherapistTurn::plain("turn")),
            None if !state.is_started() => Input::Start,
            None => Input::Resume,
        },
    }
}

/// Where the protocol may go from `from` without an override.
fn allowed(policy: &CrPolicy, from: &CrStage, to: &CrStage, cause: StageCause) -> bool {
    let ident: Vec<&CrStage> = policy.identification.iter().map(|s| &s.stage).collect();
    let restr: Vec<&CrStage> = policy.restructuring.iter().map(|s| &s.stage).collect();
    fn next<'a>(list: &[&'a CrStage], from: &CrStage) -> Option<&'a CrStage> {
        list.iter()
            .position(|s| *s == from)
            .and_then(|i| list.get(i + 1).copied())
    }
    match cause {
        StageCause::Clinician => true,
        StageCause::Start => false,
        StageCause::GoalMet | StageCause::Cap => {
            next(&ident, from) == Some(to)
                || (ident.last() == Some(&from) && restr.first() == Some(&to))
                || next(&restr, from) == Some(to)
        }
        StageCause::Loop => restr.last() == Some(&from) && ident.last() == Some(&to),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn random_dialogues_keep_the_invariants(
        policy in policy_strategy(),
        acts in proptest::collection::vec(act_strategy(), 0..250),
    ) {
        let mut state = State::new(policy.clone()).expect("policy");
        let mut inputs = Vec::new();
        let mut all = Vec::new();
        let mut appended = 0usize;
        let mut stage: Option<CrStage> = None;
        let mut paused = false;
        let mut excluded: Vec<TurnIndex> = Vec::new();
        let mut finished = false;

        for act in acts {
            let input = to_input(act, &state);
            inputs.push(input.clone());
            let fx = state.handle(input);
            if finished {
                prop_assert!(fx.is_empty(), "a finished machine emitted {fx:?}");
                continue;
            }
            for (i, e) in fx.iter().enumerate() {
                match e {
                    Effect::AppendTurn(t) => {
                        prop_assert_eq!(t.index, TurnIndex(appended));
                        appended += 1;
                    }
                    Effect::EnterStage(entry) => {
                        match &stage {
                            None => prop_assert!(
                                entry.cause == StageCause::Start
                                    && Some(&entry.stage) == policy.identification.first().map(|s| &s.stage)
                            ),
                            Some(from) => prop_assert!(
                                allowed(&policy, from, &entry.stage, entry.cause),
                                "{} -> {} by {:?}", from, entry.stage, entry.cause
                            ),
                        }
                        prop_assert_eq!(state.visits()[entry.visit].cause, entry.cause);
                        stage = Some(entry.stage.clone());
                    }
                    Effect::AskTherapist(_) | Effect::AskClient(_) => {
                        prop_assert!(!paused, "asked while paused: {fx:?}");
                        let context = match e {
                            Effect::AskTherapist(a) => &a.context,
                            Effect::AskClient(a) => &a.context,
                            _ => unreachable!(),
                        };
                        prop_assert_eq!(context.turns, appended);
                        for t in &excluded {
                            prop_assert!(!context.includes(*t));
                        }
                    }
                    Effect::Escalate(esc) => {
                        paused = true;
                        if let Some(t) = esc.turn {
                            excluded.push(t);
                        }
                    }
                    Effect::Resumed { .. } => paused = false,
                    Effect::Finish(_) => {
                        prop_assert_eq!(i, fx.len() - 1, "finish is the last effect");
                        finished = true;
                    }
                    _ => {}
                }
            }
            all.extend(fx);

            // Turn counts agree everywhere.
            prop_assert_eq!(state.turn_count(), appended);
            let by_visit: u32 = state.visits().iter().map(|v| v.therapist_turns + v.client_turns).sum();
            prop_assert_eq!(usize::try_from(by_visit).unwrap(), appended);
            let per_stage: u32 = STAGES.iter().map(|s| state.stage_turns(s, None)).sum();
            prop_assert_eq!(per_stage, by_visit);
            if let Some(m) = policy.max_turns {
                prop_assert!(appended <= usize::try_from(m).unwrap());
            }
            // At most one channel in restructuring, and only in a restructuring stage.
            let restructuring = state
                .channels()
                .iter()
                .filter(|c| c.status == ChannelStatus::Restructuring)
                .count();
            prop_assert!(restructuring <= 1);
            let in_restructuring_stage = state
                .stage()
                .is_some_and(|s| policy.restructuring.iter().any(|p| p.stage == *s));
            if !finished {
                prop_assert_eq!(restructuring == 1, in_restructuring_stage);
                prop_assert_eq!(state.channel().is_some(), in_restructuring_stage);
                prop_assert_eq!(state.is_paused(), paused);
                if paused {
                    prop_assert_eq!(state.awaiting(), None);
                }
            }
            // Reports never open more than max_channels.
            let reported = state
                .channels()
                .iter()
                .filter(|c| matches!(c.opened, OpenCause::Reported { .. }))
                .count();
            prop_assert!(reported <= policy.max_channels);
            // Excluded turns are exactly the escalated ones.
            let mut sorted = excluded.clone();
            sorted.sort_unstable();
            sorted.dedup();
            prop_assert_eq!(state.excluded_turns(), &sorted[..]);
        }
        prop_assert_eq!(state.is_finished(), finished);
        prop_assert_eq!(
            all.iter().filter(|e| matches!(e, Effect::Finish(_))).count(),
            usize::from(finished)
        );
        // Deterministic replay.
        let (replayed, effects) = State::replay(policy, inputs).expect("policy");
        prop_assert_eq!(&effects, &all);
        prop_assert_eq!(replayed.summary(), state.summary());
    }
}
