//! The CR driver with scripted agents on a real store: what a dialogue leaves on disk, a safety
//! stop (the crisis turn screened, recorded with what matched, withheld from later context), and
//! a failing agent.

use std::sync::{Arc, Mutex};

use socius::driver::cr::{CrDriver, OnSafety, SharedScreen, run};
use socius::driver::{
    Agent, AgentFuture, Answer, Reply, Request, SaidTurn, StoreRecorder, TurnCue, TurnRequest,
};
use socius::engine::cr::{CrPolicy, FinishReason, Speaker, TurnLabels};
use socius::script::cr::bundled_protocol;
use socius::script::cr::safety::Screener;
use socius::session::{EventBody, NewSession, ScriptRef, SessionKind, Status, Who};
use socius::store::Store;
use socius::vocab::{CrSpeaker, CrStage};

/// A therapist that reports every stage's goal met and, at the first core-belief pass, three
/// distortions.
struct Therapist {
    seen: Mutex<Vec<TurnRequest>>,
}

impl Agent for Therapist {
    fn respond(&self, request: Request) -> AgentFuture<'_> {
        Box::pin(async move {
            let Request::Say(req) = request else {
                return Reply::human(Answer::Failed("turns only".into()), 0);
            };
            let TurnCue::Therapist { stage, channel, .. } = &req.cue else {
                return Reply::human(Answer::Failed("not asked as a therapist".into()), 0);
            };
            let first_dissection = *stage == CrStage::CoreBeliefs
                && !req.context.iter().any(|t| t.text.contains("core beliefs"));
            let distortions = if first_dissection {
                vec![
                    "labeling".to_owned(),
                    "fortune_telling".to_owned(),
                    "should_statements".to_owned(),
                ]
            } else {
                Vec::new()
            };
            let text = format!(
                "Let us look at {stage} {}",
                channel
                    .as_deref()
                    .map_or(String::new(), |c| format!("({c})"))
            )
            .replace("core_beliefs", "core beliefs");
            self.seen.lock().unwrap().push(req);
            Reply::human(
                Answer::Said(SaidTurn {
                    text,
                    labels: Some(TurnLabels {
                        strategies: vec!["reflect".into()],
                        stage_goal_met: Some(true),
                        distortions,
                    }),
                    cut: false,
                }),
                5,
            )
        })
    }
}

/// A client that says its lines in order, then "I see." forever.
struct Client {
    lines: Mutex<Vec<String>>,
    seen: Mutex<Vec<TurnRequest>>,
}

impl Client {
    fn saying(lines: &[&str]) -> Self {
        Self {
            lines: Mutex::new(lines.iter().rev().map(|s| (*s).to_owned()).collect()),
            seen: Mutex::new(Vec::new()),
        }
    }
}

impl Agent for Client {
    fn respond(&self, request: Request) -> AgentFuture<'_> {
        Box::pin(async move {
            let Request::Say(req) = request else {
                return Reply::human(Answer::Failed("turns only".into()), 0);
            };
            self.seen.lock().unwrap().push(req);
            let line = self
                .lines
                .lock()
                .unwrap()
                .pop()
                .unwrap_or_else(|| "I see.".to_owned());
            Reply::human(
                Answer::Said(SaidTurn {
                    text: line,
                    ..SaidTurn::default()
                }),
                7,
            )
        })
    }
}

struct Failing;

impl Agent for Failing {
    fn respond(&self, _request: Request) -> AgentFuture<'_> {
        Box::pin(async { Reply::human(Answer::Failed("HTTP 500 after 4 attempts".into()), 0) })
    }
}

fn setup() -> (tempfile::TempDir, Store, StoreRecorder, CrDriver) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let session = store
        .create(NewSession::new(
            SessionKind::CrDialogue,
            ScriptRef::new("cr-case", b"case"),
            Who::annotator("test"),
            1,
        ))
        .unwrap();
    let protocol = bundled_protocol().unwrap();
    let screen: SharedScreen = Arc::new(Screener::of(protocol));
    let driver = CrDriver::new(CrPolicy::from(protocol), screen).unwrap();
    let rec = StoreRecorder::new(store.clone(), session.id, true);
    (tmp, store, rec, driver)
}

fn events(store: &Store, rec: &StoreRecorder) -> Vec<EventBody> {
    store
        .events(rec.id())
        .unwrap()
        .into_iter()
        .map(|e| e.body)
        .collect()
}

#[tokio::test]
async fn three_channels_loop_to_the_end_and_every_step_is_on_disk() {
    let (_tmp, store, mut rec, mut driver) = setup();
    let therapist = Therapist {
        seen: Mutex::new(Vec::new()),
    };
    let client = Client::saying(&["My thesis was rejected again and I feel useless."]);
    let end = run(
        &mut driver,
        &therapist,
        &client,
        None,
        &mut rec,
        OnSafety::Finish,
    )
    .await
    .unwrap();
    assert_eq!(end.reason, FinishReason::Verdicts);

    let evs = events(&store, &rec);
    let stages: Vec<String> = evs
        .iter()
        .filter_map(|e| match e {
            EventBody::CrStage(s) => Some(s.stage.to_string()),
            _ => None,
        })
        .collect();
    // The shipped protocol finishes when no channel is left open after a verdict.
    let restructure = ["defense", "prosecution", "verdict"];
    let mut expected = vec!["automatic_thoughts", "intermediate_beliefs", "core_beliefs"];
    for loop_ in 0..3 {
        expected.extend(restructure);
        if loop_ < 2 {
            expected.push("core_beliefs");
        }
    }
    assert_eq!(stages, expected);
    let channels: Vec<(String, String)> = evs
        .iter()
        .filter_map(|e| match e {
            EventBody::CrChannel(c) => Some((c.distortion.clone(), c.action.clone())),
            _ => None,
        })
        .collect();
    for d in ["labeling", "fortune_telling", "should_statements"] {
        assert!(
            channels.contains(&(d.to_owned(), "opened".to_owned())),
            "{channels:?}"
        );
        assert!(
            channels.contains(&(d.to_owned(), "closed".to_owned())),
            "{channels:?}"
        );
    }
    // The opening is the client's, with its index; therapist turns carry their labels.
    let turns: Vec<&socius::session::CrTurn> = evs
        .iter()
        .filter_map(|e| match e {
            EventBody::CrTurn(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(turns[0].speaker, CrSpeaker::Client);
    assert_eq!(turns[0].index, Some(0));
    assert!(
        turns
            .iter()
            .filter(|t| t.speaker == CrSpeaker::Therapist)
            .all(|t| t.stage_goal_met == Some(true) && t.strategies == ["reflect"])
    );
    assert!(
        matches!(evs.last(), Some(EventBody::SessionStatus(s)) if s.status == Status::Finished)
    );
    assert!(
        evs.iter()
            .any(|e| matches!(e, EventBody::CrEnd(x) if x.finished_by == "verdicts"))
    );
    // The client was never told a stage.
    for r in client.seen.lock().unwrap().iter() {
        assert!(matches!(r.cue, TurnCue::Client { .. }));
    }
}

#[tokio::test]
async fn a_crisis_turn_stops_the_flow_is_recorded_and_is_kept_out_of_later_context() {
    let (_tmp, store, mut rec, mut driver) = setup();
    let therapist = Therapist {
        seen: Mutex::new(Vec::new()),
    };
    let crisis = "Honestly I want to kill myself some nights.";
    let client = Client::saying(&["Work is piling up.", crisis, "Sorry. I am safe tonight."]);
    // Step by step, as a clinician's screen does it.
    driver.start(&mut rec).unwrap();
    for _ in 0..3 {
        let req = driver.request().expect("someone is asked");
        let speaker = if req.speaker == CrSpeaker::Client {
            Speaker::Client
        } else {
            Speaker::Therapist
        };
        let agent: &dyn Agent = if speaker == Speaker::Client {
            &client
        } else {
            &therapist
        };
        let reply = agent.respond(Request::Say(req)).await;
        driver.answer(speaker, reply, &mut rec).unwrap();
    }
    assert!(driver.is_paused(), "the crisis turn paused the dialogue");
    assert!(driver.request().is_none(), "nothing is asked while paused");
    let evs = events(&store, &rec);
    let escalation = evs
        .iter()
        .find_map(|e| match e {
            EventBody::Escalation(x) => Some(x.clone()),
            _ => None,
        })
        .expect("an escalation event");
    assert_eq!(escalation.matched.as_deref(), Some("kill myself"));
    assert_eq!(escalation.speaker, Some(CrSpeaker::Client));
    let crisis_turn = evs
        .iter()
        .find_map(|e| match e {
            EventBody::CrTurn(t) if t.text == crisis => Some(t.clone()),
            _ => None,
        })
        .expect("the crisis turn is in the transcript");
    assert!(crisis_turn.withheld, "{crisis_turn:?}");

    // The clinician resumes explicitly; the next request's context leaves the crisis turn out.
    driver.resume(&mut rec).unwrap();
    let req = driver.request().expect("asked again after resuming");
    assert!(req.context.iter().all(|t| t.text != crisis));
    assert!(req.context.iter().any(|t| t.text == "Work is piling up."));
    assert!(
        events(&store, &rec)
            .iter()
            .any(|e| matches!(e, EventBody::CrOverride(o) if o.action == "resume"))
    );
}

#[tokio::test]
async fn in_a_batch_a_safety_stop_ends_the_dialogue() {
    let (_tmp, store, mut rec, mut driver) = setup();
    let therapist = Therapist {
        seen: Mutex::new(Vec::new()),
    };
    let client = Client::saying(&["我最近真的不想活了。"]);
    let end = run(
        &mut driver,
        &therapist,
        &client,
        None,
        &mut rec,
        OnSafety::Finish,
    )
    .await
    .unwrap();
    assert_eq!(end.reason, FinishReason::Safety);
    assert!(
        therapist.seen.lock().unwrap().is_empty(),
        "no turn after the crisis"
    );
    let evs = events(&store, &rec);
    assert!(
        evs.iter()
            .any(|e| matches!(e, EventBody::CrEnd(x) if x.finished_by == "safety"))
    );
}

#[tokio::test]
async fn a_failing_agent_ends_the_dialogue_as_failed() {
    let (_tmp, store, mut rec, mut driver) = setup();
    let client = Client::saying(&["I keep fighting with my parents."]);
    let end = run(
        &mut driver,
        &Failing,
        &client,
        None,
        &mut rec,
        OnSafety::Finish,
    )
    .await
    .unwrap();
    assert_eq!(end.reason, FinishReason::Error);
    assert_eq!(end.detail.as_deref(), Some("HTTP 500 after 4 attempts"));
    let evs = events(&store, &rec);
    assert!(matches!(evs.last(), Some(EventBody::SessionStatus(s)) if s.status == Status::Failed));
}
