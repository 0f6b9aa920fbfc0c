//! The CR dialogue screen, whole app on TestBackend with scripted keys and a real store: a human
//! therapist and a human client (the notice, the measures, strategy tags, a crisis turn and the
//! handoff, an override, a rating), a write that fails, a model therapist streaming (and a turn
//! cancelled), resuming, the screens as snapshots, and the command line's refusals.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use socius::cli::cr::{CaseFile, ProtocolFile, new_session};
use socius::driver::{Agent, AgentFuture, Answer, Recorder, Reply, Request, SaidTurn, TurnCue};
use socius::engine::cr::{Speaker, TurnLabels};
use socius::script::cr::{BUNDLED_PROTOCOL, CrCase, bundled_protocol};
use socius::session::{Event, EventBody, NewSession, SessionKind, Status, Who};
use socius::store::{Filter, Store, StoreError};
use socius::tui::app::{
    App, CrStored, Detail, Msg, PortError, ResumeInfo, SessionPort, StartRequest,
};
use socius::tui::cr::{CrAgents, CrFiles, CrSetup, ModelRole, Phase, Role, Waiting};
use socius::tui::i18n::Lang;
use socius::tui::store_port::StorePort;
use socius::tui::views::home::SessionRow;
use socius::vocab::{CrSpeaker, CrStage};

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Keys that type `text`.
fn typed(text: &str) -> Vec<Msg> {
    text.chars().map(key).collect()
}

fn case_path(name: &str) -> PathBuf {
    repo().join("scripts/cr/cases").join(name)
}

fn load_case(name: &str) -> (CrCase, String, PathBuf) {
    let path = case_path(name);
    let loaded = socius::script::load_file(&path);
    let case = loaded.cr_case().expect("a case").clone();
    (case, loaded.hash, path)
}

/// The session a dialogue on `case` records (as `socius cr` makes it).
fn session_for(case: &str, agents: &CrAgents, pairing: (&str, &str)) -> (NewSession, CrCase) {
    let (c, hash, path) = load_case(case);
    let protocol = bundled_protocol().expect("bundled");
    let phash = socius::script::content_hash(BUNDLED_PROTOCOL.as_bytes());
    let s = new_session(
        &CaseFile {
            case: &c,
            hash: &hash,
            path: &path,
        },
        &ProtocolFile {
            protocol,
            hash: &phash,
            path: None,
        },
        pairing,
        agents,
        Who::annotator("ann-test"),
    );
    (s, c)
}

fn humans() -> CrAgents {
    CrAgents {
        therapist: Role::Human,
        client: Role::Human,
    }
}

fn app_on(port: Box<dyn SessionPort>, lang: Lang, w: u16, h: u16) -> App {
    App::new(options(lang, vec![repo().join("scripts")]), port, (w, h))
}

/// Open a new dialogue on `case` with these agents.
fn open(app: &mut App, case: &str, agents: CrAgents, pairing: (&str, &str), lang: Lang) {
    let (session, c) = session_for(case, &agents, pairing);
    let setup = CrSetup {
        protocol: Arc::new(bundled_protocol().expect("bundled").clone()),
        case: Arc::new(c),
        roles: agents.kinds(),
        lang,
    };
    app.open_cr(setup, agents, session).expect("opens");
}

/// The one session of the store and its event bodies.
fn stored(store: &Store) -> (socius::session::Session, Vec<Event>) {
    let sessions = store.list(&Filter::default()).expect("list");
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let s = sessions.into_iter().next().expect("one");
    let events = store.events(s.id).expect("events");
    (s, events)
}

fn turns(events: &[Event]) -> Vec<socius::session::CrTurn> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::CrTurn(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn ratings(events: &[Event]) -> Vec<(String, f64, Option<u64>)> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Rating(r) => Some((r.name.clone(), r.value, r.about_seq)),
            _ => None,
        })
        .collect()
}

fn waiting(app: &App) -> Waiting {
    app.cr().expect("the CR screen").waiting()
}

/// Dismiss the notice and give the two pre measures.
fn through_measures(app: &mut App, term: &mut ratatui::Terminal<ratatui::backend::TestBackend>) {
    drive(app, term, vec![enter()]);
    let mut keys = typed("70");
    keys.push(enter());
    keys.extend(typed("55"));
    keys.push(enter());
    drive(app, term, keys);
}

#[test]
fn a_human_pair_from_the_notice_to_the_post_measures_every_step_on_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let mut a = app_on(Box::new(StorePort::new(store.clone())), Lang::En, 100, 30);
    let mut term = terminal(100, 30);
    open(
        &mut a,
        "en-exam-retake.yaml",
        humans(),
        ("human", "human"),
        Lang::En,
    );

    // The notice, in both languages; nothing stored until it is dismissed.
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(screen.contains("research and training tool"), "{screen}");
    assert!(screen.contains("研究和训练工具"), "{screen}");
    assert!(store.list(&Filter::default()).expect("list").is_empty());
    drive(&mut a, &mut term, vec![enter()]);
    let (session, events) = stored(&store);
    assert_eq!(session.kind, SessionKind::CrDialogue);
    assert_eq!(session.script.id, "en-exam-retake");
    assert_eq!(session.who, Who::annotator("ann-test"));
    assert_eq!(session.meta["pairing"]["therapist"], "human");
    assert_eq!(session.meta["protocol"]["id"], "crdial");
    assert!(matches!(&events[0].body, EventBody::Note(n) if n.text.contains("not treatment")));

    // The pre measures: belief, then emotion; the dialogue starts after them.
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(screen.contains("Belief in the thought"), "{screen}");
    assert!(screen.contains("I'm not cut out to be a nurse"), "{screen}");
    let screen = drive(&mut a, &mut term, vec![key('7'), key('0'), enter()]);
    assert!(screen.contains("Emotion intensity"), "{screen}");
    drive(&mut a, &mut term, vec![key('5'), key('5'), enter()]);
    let (_, events) = stored(&store);
    assert_eq!(
        ratings(&events),
        [
            ("belief_pre".to_owned(), 70.0, None),
            ("emotion_pre".to_owned(), 55.0, None)
        ]
    );
    assert!(
        matches!(&events.last().expect("some").body, EventBody::CrStage(s) if s.stage == CrStage::AutomaticThoughts)
    );
    assert_eq!(waiting(&a), Waiting::Human(Speaker::Client));

    // The client opens (two lines: Alt-Enter is a new line, Enter sends).
    let mut keys = typed("I failed the exam.");
    keys.push(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT)));
    keys.extend(typed("Again."));
    keys.push(enter());
    let screen = drive(&mut a, &mut term, keys);
    assert!(screen.contains("Client: I failed the exam."), "{screen}");
    let t = turns(&stored(&store).1);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].text, "I failed the exam.\nAgain.");
    assert_eq!(t[0].speaker, CrSpeaker::Client);
    assert_eq!(t[0].index, Some(0));
    assert_eq!(waiting(&a), Waiting::Human(Speaker::Therapist));

    // The therapist types two sentences, then tags them (e, q), marks the goal met and picks a
    // distortion (the 11th of the catalogue, labeling).
    let mut keys = typed("That sounds hard. What went through your mind?");
    keys.push(enter());
    let screen = drive(&mut a, &mut term, keys);
    assert!(screen.contains("Tag each sentence"), "{screen}");
    assert!(
        screen.contains("2. What went through your mind? ‹—›"),
        "{screen}"
    );
    assert_eq!(
        turns(&stored(&store).1).len(),
        1,
        "nothing stored while tagging"
    );
    let screen = drive(&mut a, &mut term, vec![key('e'), enter()]);
    assert!(
        screen.contains("Tag every sentence first (1 left)"),
        "{screen}"
    );
    let mut keys = vec![key('q'), ctrl('g'), ctrl('d')];
    keys.extend((0..10).map(|_| code(KeyCode::Down)));
    keys.extend([key(' '), enter()]);
    let screen = drive(&mut a, &mut term, keys);
    assert!(screen.contains("Stage goal met: yes"), "{screen}");
    assert!(screen.contains("Distortions found: Labeling"), "{screen}");
    let screen = drive(&mut a, &mut term, vec![enter()]);
    assert!(
        screen.contains("That sounds hard. ‹Empathizing› What went through your"),
        "{screen}"
    );
    let t = turns(&stored(&store).1);
    assert_eq!(t.len(), 2);
    assert_eq!(t[1].strategies, ["empathize", "question"]);
    assert_eq!(t[1].stage_goal_met, Some(true));
    assert_eq!(t[1].distortions, ["labeling"]);

    // A crisis line from the client: the flow stops, the handoff shows, the escalation is
    // stored with what matched, and the turn is withheld.
    let mut keys = typed("Some nights I want to kill myself.");
    keys.push(enter());
    let screen = drive(&mut a, &mut term, keys);
    assert!(screen.contains("Safety · please read"), "{screen}");
    assert!(screen.contains("emergency"), "{screen}");
    assert!(screen.contains("withheld from the model"), "{screen}");
    assert_eq!(waiting(&a), Waiting::Handoff);
    let (_, events) = stored(&store);
    let x = events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::Escalation(x) => Some(x.clone()),
            _ => None,
        })
        .expect("an escalation");
    assert_eq!(x.matched.as_deref(), Some("kill myself"));
    assert_eq!(x.speaker, Some(CrSpeaker::Client));
    assert!(turns(&events)[2].withheld);
    // Nothing but the resume key (or finish) goes on: typing does nothing.
    let before = events.len();
    drive(&mut a, &mut term, typed("hello"));
    drive(&mut a, &mut term, vec![enter()]);
    assert_eq!(stored(&store).1.len(), before);
    assert_eq!(waiting(&a), Waiting::Handoff);
    let screen = drive(&mut a, &mut term, vec![key('r')]);
    assert!(
        screen.contains("The clinician resumed the dialogue."),
        "{screen}"
    );
    let (_, events) = stored(&store);
    assert!(
        matches!(&events.last().expect("some").body, EventBody::CrOverride(o) if o.action == "resume")
    );
    // The same stage goes on, the therapist's turn (the client's goal-met answer was the
    // crisis turn, which moves nothing).
    assert_eq!(waiting(&a), Waiting::Human(Speaker::Therapist));

    // An override: set the stage to the second one.
    let screen = drive(&mut a, &mut term, vec![ctrl('o'), key('1'), key('2')]);
    assert!(
        screen.contains("Clinician: Set the stage → Exploring intermediate beliefs"),
        "{screen}"
    );
    let (_, events) = stored(&store);
    let n = events.len();
    assert!(
        matches!(&events[n - 2].body, EventBody::CrOverride(o) if o.action == "set_stage" && o.stage == Some(CrStage::IntermediateBeliefs))
    );
    assert!(
        matches!(&events[n - 1].body, EventBody::CrStage(s) if s.stage == CrStage::IntermediateBeliefs && s.cause == "clinician")
    );
    // A refused override stores nothing: no channel is open to close.
    let screen = drive(&mut a, &mut term, vec![ctrl('o'), key('3')]);
    assert!(screen.contains("No open channel."), "{screen}");
    drive(&mut a, &mut term, vec![code(KeyCode::Esc)]);
    assert_eq!(stored(&store).1.len(), n);

    // A rating of the therapist's turn: about_seq is that turn's stored seq.
    let screen = drive(&mut a, &mut term, vec![ctrl('r')]);
    assert!(screen.contains("Rate a therapist turn"), "{screen}");
    drive(&mut a, &mut term, vec![key('4'), key('3'), enter()]);
    let (_, events) = stored(&store);
    let seq = events
        .iter()
        .find(|e| matches!(&e.body, EventBody::CrTurn(t) if t.index == Some(1)))
        .map(|e| e.seq)
        .expect("the therapist turn");
    assert_eq!(
        ratings(&events)[2..],
        [
            ("empathy".to_owned(), 4.0, Some(seq)),
            ("stage_fit".to_owned(), 3.0, Some(seq))
        ]
    );

    // The clinician finishes; the post measures follow; then it is over.
    let screen = drive(&mut a, &mut term, vec![ctrl('o'), key('5'), key('y')]);
    assert!(screen.contains("After the dialogue (1/2)"), "{screen}");
    let (s, events) = stored(&store);
    assert_eq!(s.status, Status::Finished);
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.body, EventBody::CrEnd(x) if x.finished_by == "clinician"))
    );
    let mut keys = typed("40");
    keys.push(enter());
    keys.extend(typed("30"));
    keys.push(enter());
    let screen = drive(&mut a, &mut term, keys);
    assert!(
        screen.contains("The dialogue is over and saved"),
        "{screen}"
    );
    assert!(screen.contains("finished by the clinician"), "{screen}");
    let r = ratings(&stored(&store).1);
    assert_eq!(
        r[r.len() - 2..],
        [
            ("belief_post".to_owned(), 40.0, None),
            ("emotion_post".to_owned(), 30.0, None)
        ]
    );
    assert_eq!(a.cr().expect("cr").phase, Phase::Over);
    // Esc leaves at once (nothing is open), to the library listing the dialogue.
    let screen = drive(&mut a, &mut term, vec![code(KeyCode::Esc)]);
    assert!(
        screen.contains("✓ done · Failed the pharmacology"),
        "{screen}"
    );
}

/// A store port whose writes fail while `fail` is set.
struct Flaky {
    port: StorePort,
    fail: Arc<AtomicBool>,
}

struct FlakyRecorder {
    inner: Box<dyn Recorder>,
    fail: Arc<AtomicBool>,
}

impl Recorder for FlakyRecorder {
    fn record(&mut self, events: Vec<EventBody>) -> Result<(), StoreError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::Write(std::io::Error::other("disk full")));
        }
        self.inner.record(events)
    }
}

impl SessionPort for Flaky {
    fn start(&mut self, req: &StartRequest<'_>) -> Result<Box<dyn Recorder>, PortError> {
        self.port.start(req)
    }
    fn rows(&self) -> Result<Vec<SessionRow>, PortError> {
        self.port.rows()
    }
    fn resume(&mut self, id: &str) -> Result<ResumeInfo, PortError> {
        self.port.resume(id)
    }
    fn detail(&self, id: &str) -> Result<Detail, PortError> {
        self.port.detail(id)
    }
    fn start_cr(&mut self, new: NewSession) -> Result<(Box<dyn Recorder>, String), PortError> {
        let (inner, id) = self.port.start_cr(new)?;
        Ok((
            Box::new(FlakyRecorder {
                inner,
                fail: Arc::clone(&self.fail),
            }),
            id,
        ))
    }
    fn resume_cr(&mut self, id: &str) -> Result<CrStored, PortError> {
        self.port.resume_cr(id)
    }
    fn cr_turn_seq(&self, id: &str, index: u32) -> Result<Option<u64>, PortError> {
        self.port.cr_turn_seq(id, index)
    }
}

#[test]
fn a_turn_that_cannot_be_written_is_not_taken_and_stays_in_the_editor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let fail = Arc::new(AtomicBool::new(false));
    let port = Flaky {
        port: StorePort::new(store.clone()),
        fail: Arc::clone(&fail),
    };
    let mut a = app_on(Box::new(port), Lang::En, 80, 24);
    let mut term = terminal(80, 24);
    open(
        &mut a,
        "en-exam-retake.yaml",
        humans(),
        ("human", "human"),
        Lang::En,
    );
    through_measures(&mut a, &mut term);
    assert_eq!(waiting(&a), Waiting::Human(Speaker::Client));
    fail.store(true, Ordering::SeqCst);
    let mut keys = typed("My exam went badly.");
    keys.push(enter());
    let screen = drive(&mut a, &mut term, keys);
    assert!(screen.contains("Could not save"), "{screen}");
    assert!(
        screen.contains("My exam went badly."),
        "still in the editor: {screen}"
    );
    assert!(!screen.contains("Client: My exam"), "{screen}");
    assert!(turns(&stored(&store).1).is_empty());
    assert_eq!(waiting(&a), Waiting::Human(Speaker::Client));
    // Once the store works again, Enter takes the same turn.
    fail.store(false, Ordering::SeqCst);
    let screen = drive(&mut a, &mut term, vec![enter()]);
    assert!(screen.contains("Client: My exam went badly."), "{screen}");
    assert_eq!(turns(&stored(&store).1).len(), 1);
}

/// A model therapist: streams its sentences, then answers with labels (goal met every turn).
/// With `hang`, it streams one piece and never finishes.
struct Streaming {
    hang: bool,
}

impl Agent for Streaming {
    fn respond(&self, request: Request) -> AgentFuture<'_> {
        let hang = self.hang;
        Box::pin(async move {
            let Request::Say(req) = request else {
                return Reply::human(Answer::Failed("turns only".into()), 0);
            };
            assert!(matches!(req.cue, TurnCue::Therapist { .. }));
            let stream = req.stream.clone().expect("a stream");
            let _ = stream.send("I hear ".to_owned());
            if hang {
                std::future::pending::<()>().await;
            }
            let _ = stream.send("you.".to_owned());
            Reply {
                answer: Answer::Said(SaidTurn {
                    text: "I hear you.".to_owned(),
                    labels: Some(TurnLabels {
                        strategies: vec!["restate".into()],
                        stage_goal_met: Some(true),
                        distortions: Vec::new(),
                    }),
                    cut: false,
                }),
                latency_ms: 12,
                exchange: Vec::new(),
            }
        })
    }
}

fn model(hang: bool) -> CrAgents {
    CrAgents {
        therapist: Role::Model(ModelRole {
            agent: Arc::new(Streaming { hang }),
            name: "scripted".to_owned(),
            endpoint_host: "127.0.0.1".to_owned(),
        }),
        client: Role::Human,
    }
}

#[test]
fn a_model_therapist_streams_its_turn_and_a_cancelled_one_is_kept_cut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let mut a = app_on(Box::new(StorePort::new(store.clone())), Lang::En, 80, 24);
    let mut term = terminal(80, 24);
    open(
        &mut a,
        "en-exam-retake.yaml",
        model(false),
        ("llm-staged", "human"),
        Lang::En,
    );
    through_measures(&mut a, &mut term);
    let mut keys = typed("I failed again.");
    keys.push(enter());
    drive(&mut a, &mut term, keys);
    // The model's reply comes back through the app's channel.
    assert!(a.pump(Duration::from_secs(10), |s| {
        s.cr()
            .is_some_and(|c| c.waiting() == Waiting::Human(Speaker::Client))
    }));
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(
        screen.contains("Therapist: I hear you. ‹Restating›"),
        "{screen}"
    );
    let t = turns(&stored(&store).1);
    assert_eq!(t[1].speaker, CrSpeaker::Therapist);
    assert_eq!(t[1].strategies, ["restate"]);
    assert!(!t[1].cut);

    // A model that hangs: what arrived shows, and Ctrl-X stores it as a cut turn.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let mut a = app_on(Box::new(StorePort::new(store.clone())), Lang::En, 80, 24);
    open(
        &mut a,
        "en-exam-retake.yaml",
        model(true),
        ("llm-staged", "human"),
        Lang::En,
    );
    through_measures(&mut a, &mut term);
    let mut keys = typed("I failed again.");
    keys.push(enter());
    drive(&mut a, &mut term, keys);
    assert!(a.pump(Duration::from_secs(10), |s| {
        s.cr()
            .and_then(|c| c.stream.as_ref())
            .is_some_and(|st| st.text == "I hear ")
    }));
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(screen.contains("Therapist: I hear ▌"), "{screen}");
    assert!(screen.contains("Ctrl-X cancels"), "{screen}");
    let screen = drive(&mut a, &mut term, vec![ctrl('x')]);
    assert!(screen.contains("I hear ‹cut›"), "{screen}");
    let t = turns(&stored(&store).1);
    assert_eq!(t.len(), 2);
    assert_eq!(t[1].text, "I hear");
    assert!(t[1].cut);
    assert_eq!(waiting(&a), Waiting::Human(Speaker::Client));
}

#[test]
fn a_dialogue_left_without_a_word_resumes_from_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    {
        let mut a = app_on(Box::new(StorePort::new(store.clone())), Lang::Zh, 80, 24);
        let mut term = terminal(80, 24);
        open(
            &mut a,
            "zh-blood-sugar.yaml",
            humans(),
            ("human", "human"),
            Lang::Zh,
        );
        through_measures(&mut a, &mut term);
        let mut keys = typed("blood sugar");
        keys.push(enter());
        keys.extend(typed("ok"));
        keys.push(enter());
        keys.push(key('e'));
        keys.push(enter());
        drive(&mut a, &mut term, keys);
        assert_eq!(turns(&stored(&store).1).len(), 2);
        // Dropped as a kill would: no pause recorded.
    }
    let (session, _) = stored(&store);
    // From the command line's entry point…
    let mut a = app_on(Box::new(StorePort::new(store.clone())), Lang::Zh, 80, 24);
    let mut term = terminal(80, 24);
    a.resume_cr(&session.id.to_string(), Some(humans()), CrFiles::default())
        .expect("resumes");
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(screen.contains("已从上次中断处继续"), "{screen}");
    assert!(screen.contains("来访者：blood sugar"), "{screen}");
    assert!(screen.contains("咨询师：ok ‹共情›"), "{screen}");
    assert_eq!(waiting(&a), Waiting::Human(Speaker::Client));
    drop(a);
    // …and from the home screen's sessions list.
    let mut a = app_on(Box::new(StorePort::new(store.clone())), Lang::En, 80, 24);
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(
        screen.contains("in progress · 体检查出血糖偏高 · CR"),
        "{screen}"
    );
    let screen = drive(&mut a, &mut term, vec![code(KeyCode::Tab), enter()]);
    assert!(screen.contains("Resumed where you left off."), "{screen}");
    let mut keys = typed("It scares me.");
    keys.push(enter());
    drive(&mut a, &mut term, keys);
    let (_, events) = stored(&store);
    let t = turns(&events);
    assert_eq!(t.len(), 3);
    assert_eq!(t[2].index, Some(2));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e.body, EventBody::Resumed(_)))
            .count(),
        2
    );
}

fn snap(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn the_cr_screens_at_two_sizes_in_two_languages() {
    for (lang, case, crisis) in [
        (Lang::En, "en-exam-retake.yaml", "I want to die."),
        (Lang::Zh, "zh-blood-sugar.yaml", "我最近真的不想活了。"),
    ] {
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            let tag = format!("{}_{w}x{h}", lang.code());
            let dir = tempfile::tempdir().expect("tempdir");
            let store = Store::open(dir.path()).expect("store");
            let mut a = app_on(Box::new(StorePort::new(store)), lang, w, h);
            let mut term = terminal(w, h);
            open(&mut a, case, humans(), ("human", "human"), lang);
            snap(
                &format!("cr_notice_{tag}"),
                &drive(&mut a, &mut term, vec![]),
            );
            let screen = drive(&mut a, &mut term, vec![enter(), key('6'), key('5')]);
            snap(&format!("cr_measure_{tag}"), &screen);
            drive(
                &mut a,
                &mut term,
                vec![enter(), key('5'), key('0'), enter()],
            );
            let opening = match lang {
                Lang::En => "I failed the exam and I think I am not cut out for this.",
                Lang::Zh => "体检说我血糖偏高，我觉得自己这辈子就这样完了。",
            };
            let mut keys = typed(opening);
            keys.push(enter());
            let reply = match lang {
                Lang::En => "That sounds hard. What went through your mind?",
                Lang::Zh => "听起来很难受。当时你脑子里闪过什么念头？",
            };
            keys.extend(typed(reply));
            keys.push(enter());
            let screen = drive(&mut a, &mut term, keys);
            snap(&format!("cr_tagging_{tag}"), &screen);
            let screen = drive(
                &mut a,
                &mut term,
                vec![key('e'), key('q'), ctrl('g'), enter()],
            );
            snap(&format!("cr_dialogue_{tag}"), &screen);
            let mut keys = typed(crisis);
            keys.push(enter());
            snap(
                &format!("cr_handoff_{tag}"),
                &drive(&mut a, &mut term, keys),
            );
        }
    }
}

/// `socius ARGS` with a store and settings folder in `dir`: exit code and stderr.
fn socius(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_socius"))
        .env("SOCIUS_CONFIG_DIR", dir.join("config"))
        .args(["--store", dir.join("store").to_str().expect("utf-8")])
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_refuses_what_cannot_run_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = case_path("en-exam-retake.yaml");
    let case = case.to_str().expect("utf-8");
    // A protocol without resources for the case's language: no human client.
    let bare = BUNDLED_PROTOCOL.replace(
        "      resources:\n        - >-\n          If you are in immediate danger",
        "      resources: []\n      old:\n        - >-\n          If you are in immediate danger",
    );
    let start = bare.find("      old:\n").expect("marker");
    let end = bare[start..].find("    zh:\n").expect("zh") + start;
    let bare = format!("{}{}", &bare[..start], &bare[end..]);
    let protocol = dir.path().join("bare.yaml");
    std::fs::write(&protocol, bare).expect("write");
    let p = protocol.to_str().expect("utf-8");
    let (code, err) = socius(
        dir.path(),
        &[
            "cr",
            "--case",
            case,
            "--protocol",
            p,
            "--therapist",
            "human",
            "--client",
            "human",
            "--as",
            "x",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("lists no safety resources for en"), "{err}");
    // With a model client the same protocol is accepted up to the model role, which this
    // build cannot play yet.
    let (code, err) = socius(
        dir.path(),
        &[
            "cr",
            "--case",
            case,
            "--therapist",
            "llm-staged",
            "--client",
            "human",
            "--as",
            "x",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("model roles need --therapist-endpoint URL and --therapist-model NAME"),
        "{err}"
    );
    // A case that is not a case; a session that does not exist; no roles at all.
    let tree = repo().join("scripts/en-salary-talk.yaml");
    let (code, err) = socius(
        dir.path(),
        &[
            "cr",
            "--case",
            tree.to_str().expect("utf-8"),
            "--therapist",
            "human",
            "--client",
            "human",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not a cr_case"), "{err}");
    let (code, err) = socius(dir.path(), &["cr", "--resume", "01ZZZZZZZZ"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("01ZZZZZZZZ"), "{err}");
    let (code, _) = socius(dir.path(), &["cr", "--case", case]);
    assert_eq!(code, 2, "usage: --therapist and --client are required");
}

#[test]
fn the_help_lists_the_cr_keys() {
    let mut a = app_on(Box::new(NullPort), Lang::En, 80, 60);
    let mut term = terminal(80, 60);
    let screen = drive(&mut a, &mut term, vec![key('?')]);
    for k in [
        "Ctrl-O",
        "Ctrl-R",
        "Ctrl-X",
        "Alt-Enter Ctrl-J",
        "Ctrl-G",
        "Ctrl-D",
    ] {
        assert!(screen.contains(k), "{k}: {screen}");
    }
}
