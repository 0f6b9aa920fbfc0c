//! Pairwise and pointwise studies: registering over stored sessions (`study new`), and the
//! judging screen on `TestBackend` (vote before the minimum time refused, vote recorded and
//! flushed, onboarding feedback, resume), with snapshots.

mod common;

use common::walks::refs;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;
use socius::cli::study_judged::{StoreSink, stored_answers};
use socius::session::{
    EventBody, JudgmentChoice, NewSession, ScriptRef, SessionId, SessionKind, Status, Who,
};
use socius::store::{Filter, Store};
use socius::study::judged::{JudgedPlan, Side, TaskBody, TaskKind};
use socius::study::judged_record::{JudgedQueue, open_judged_queue, register_judged};
use socius::tui::i18n::Lang;
use socius::tui::judge::{JudgeScreen, Phase};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A bundled script's bytes (sessions record their content hash).
fn script_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(repo().join("scripts").join(rel)).expect("bundled script")
}

fn model(name: &str) -> Who {
    Who::Model {
        name: name.to_owned(),
        endpoint_host: "127.0.0.1".to_owned(),
        params: serde_json::Map::new(),
    }
}

fn body(v: serde_json::Value) -> EventBody {
    serde_json::from_value(v).expect("event body")
}

/// A session of `who` with these events, as stored.
fn stored(
    store: &Store,
    kind: SessionKind,
    script: ScriptRef,
    who: Who,
    events: &[serde_json::Value],
) -> SessionId {
    let s = store
        .create(NewSession::new(kind, script, who, 1))
        .expect("create");
    for e in events {
        store.append(s.id, body(e.clone())).expect("append");
    }
    s.id
}

/// A finished CR dialogue of `who` on `case`: a client opening and a therapist reply.
fn cr_session(store: &Store, case: &str, who: Who, therapist: &str) -> SessionId {
    let s = store
        .create(NewSession::new(
            SessionKind::CrDialogue,
            ScriptRef::new(case, &script_bytes(&format!("cr/cases/{case}.yaml"))),
            who,
            1,
        ))
        .expect("create");
    for (speaker, text) in [
        ("client", format!("{case}: I keep thinking I will fail.")),
        ("therapist", therapist.to_owned()),
    ] {
        store
            .append(
                s.id,
                body(json!({"type": "cr_turn", "speaker": speaker, "text": text})),
            )
            .expect("append");
    }
    store
        .set_status(s.id, Status::Finished, None)
        .expect("finish");
    s.id
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    store: Store,
    good: SessionId,
    bad: SessionId,
}

const CASES: [&str; 3] = ["en-birthday-drinks", "en-exam-retake", "en-passed-over"];

/// model-a has every case (two sessions of the first), model-b all but the last.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    let store = Store::open(root.join("store")).expect("store");
    for (i, case) in CASES.iter().enumerate() {
        cr_session(
            &store,
            case,
            model("model-a"),
            &format!("A says hello on {case}"),
        );
        if i == 0 {
            cr_session(&store, case, model("model-a"), "A again");
        }
        if i < 2 {
            cr_session(
                &store,
                case,
                model("model-b"),
                &format!("B \u{1b}[31mred\u{1b}[0m on {case}"),
            );
        }
    }
    let good = cr_session(
        &store,
        CASES[1],
        model("model-good"),
        "That sounds hard. What went through your mind?",
    );
    let bad = cr_session(&store, CASES[1], model("model-bad"), "Whatever.");
    Fixture {
        _dir: dir,
        root,
        store,
        good,
        bad,
    }
}

fn write_study(root: &Path, text: &str) -> PathBuf {
    let path = root.join("study.yaml");
    std::fs::write(&path, text).expect("write study");
    path
}

fn pairwise_text(f: &Fixture, min_seconds: u32, reason: &str) -> String {
    format!(
        "kind: study
type: pairwise
id: pw
title: Two therapists
items:
  - folder: {cases}
    language: en
systems:
  - name: sys-a
    model: model-a
  - name: sys-b
    model: model-b
question: Which therapist would you rather talk to?
judgments_per_pair: 2
annotators: [ann-a, ann-b]
onboarding:
  pass: 1
  pairs:
    - better: {good}
      worse: {bad}
min_seconds: {min_seconds}
seed: 11
reason: {reason}
",
        cases = repo().join("scripts/cr/cases").display(),
        good = f.good,
        bad = f.bad,
    )
}

fn pointwise_text() -> String {
    format!(
        "kind: study
type: pointwise
id: pt
title: Rated
items:
  - folder: {cases}
    language: en
systems:
  - name: sys-a
    model: model-a
rubric:
  per: dialogue
  items:
    - id: empathy
      question: How well does the therapist understand the client?
      scale: [1, 5]
      anchors:
        1: Not at all
        5: Fully
ratings_per_transcript: 1
annotators: [ann-a]
min_seconds: 3
seed: 5
",
        cases = repo().join("scripts/cr/cases").display(),
    )
}

#[test]
fn registering_a_pairwise_study_builds_tasks_and_assignments() {
    let f = fixture();
    let file = write_study(&f.root, &pairwise_text(&f, 5, "optional"));
    let reg = register_judged(&file, &f.root.join("studies"), &f.store).expect("register");
    let plan = &reg.plan;
    // Cases with both systems: the first two; the third lacks sys-b.
    let real: Vec<_> = plan
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Real)
        .collect();
    assert_eq!(real.len(), 2);
    let missing: Vec<(String, String)> = plan
        .missing
        .iter()
        .map(|m| (m.item.clone(), m.system.clone()))
        .collect();
    assert!(missing.contains(&(CASES[2].to_owned(), "sys-b".to_owned())));
    let onb: Vec<_> = plan
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Onboarding)
        .collect();
    assert_eq!(onb.len(), 1);
    let TaskBody::Pair { a, b, better } = &onb[0].body else {
        panic!("pair")
    };
    assert_eq!(
        (a.session.clone(), b.session.clone(), *better),
        (f.good.to_string(), f.bad.to_string(), Some(Side::A))
    );
    // Every shown session's record is in transcripts/, and the real pairs show the right systems.
    for t in &plan.tasks {
        if let TaskBody::Pair { a, b, .. } = &t.body {
            for s in [a, b] {
                assert!(
                    reg.dir
                        .join("transcripts")
                        .join(format!("{}.json", s.session))
                        .is_file()
                );
                if let Some(sys) = &s.system {
                    let who = f.store.resolve(&s.session).expect("session").who;
                    let want = if sys == "sys-a" { "model-a" } else { "model-b" };
                    assert!(who.matches(want), "{sys} shows {who}");
                }
            }
        }
    }
    // per_unit 2 with two annotators: both get both real tasks, onboarding first.
    for a in &reg.assignments {
        assert_eq!(a.tasks.len(), 3);
        assert_eq!(a.tasks[0].task, onb[0].id);
        let set: BTreeSet<&str> = a.tasks.iter().map(|t| t.task.as_str()).collect();
        assert_eq!(set.len(), 3);
    }
    // Seeded: registering again elsewhere gives the same tasks and assignments.
    let again = register_judged(&file, &f.root.join("studies2"), &f.store).expect("again");
    assert_eq!(again.plan.tasks, plan.tasks);
    assert_eq!(again.assignments, reg.assignments);
    // Registered twice in the same place: refused.
    assert!(register_judged(&file, &f.root.join("studies"), &f.store).is_err());
}

#[test]
fn unknown_known_answer_and_nothing_to_compare_fail_clearly() {
    let f = fixture();
    let text = pairwise_text(&f, 5, "optional").replace(&f.bad.to_string(), "ffffffffffff");
    let file = write_study(&f.root, &text);
    let e = register_judged(&file, &f.root.join("s1"), &f.store).expect_err("unknown id");
    assert!(e.to_string().contains("ffffffffffff"), "{e}");
    let text = pairwise_text(&f, 5, "optional").replace("model: model-b", "model: nobody");
    let file = write_study(&f.root, &text);
    let e = register_judged(&file, &f.root.join("s2"), &f.store).expect_err("nothing");
    assert!(e.to_string().contains("nothing to compare"), "{e}");
    assert!(!f.root.join("s2/pw").exists());
}

fn key(c: char) -> KeyEvent {
    KeyEvent::from(KeyCode::Char(c))
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::from(c)
}

fn screen_text(s: &JudgeScreen, w: u16, h: u16, now: Instant) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|fr| s.draw(fr, now)).expect("draw");
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        let mut skip = 0usize;
        for x in 0..w {
            let sym = buf[(x, y)].symbol();
            if skip > 0 {
                skip -= 1;
                if !sym.is_empty() && sym != " " {
                    line.push_str(sym);
                }
                continue;
            }
            line.push_str(sym);
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn open_screen(
    store_dir: &Path,
    queue: JudgedQueue,
    who: &str,
    lang: Lang,
    now: Instant,
) -> (JudgeScreen, Store) {
    let store = Store::open(store_dir).expect("store");
    let answers = stored_answers(&store, &queue, who).expect("answers");
    let sink = StoreSink::open(store.clone(), &queue, who).expect("sink");
    (
        JudgeScreen::new(queue, answers, lang, Box::new(sink), now),
        store,
    )
}

/// The judgments stored for study `id`: (task, left, right, choice, reason).
fn judgments(
    store: &Store,
    id: &str,
) -> Vec<(String, String, String, JudgmentChoice, Option<String>)> {
    let filter = Filter {
        kind: Some(SessionKind::StudyJudgment),
        script: Some(id.to_owned()),
        ..Filter::default()
    };
    let mut out = Vec::new();
    for s in store.list(&filter).expect("list") {
        assert_eq!(s.meta["study"], id);
        for e in store.events(s.id).expect("events") {
            if let EventBody::Judgment(j) = e.body {
                out.push((
                    j.pair.unwrap_or_default(),
                    j.left,
                    j.right,
                    j.choice,
                    j.reason,
                ));
            }
        }
    }
    out
}

#[test]
fn pairwise_flow_min_time_vote_onboarding_and_resume() {
    let f = fixture();
    let file = write_study(&f.root, &pairwise_text(&f, 5, "optional"));
    let reg = register_judged(&file, &f.root.join("studies"), &f.store).expect("register");
    let plan: JudgedPlan = reg.plan.clone();
    let store_dir = f.root.join("store");
    drop(f.store);
    let t0 = Instant::now();
    let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
    let assigned = queue.assignment.tasks.clone();
    let (mut s, store) = open_screen(&store_dir, queue, "ann-a", Lang::En, t0);
    assert_eq!(s.task_id(), Some(assigned[0].task.as_str()));
    let first = screen_text(&s, 80, 24, t0);
    assert!(first.contains("Onboarding 1 of 1"), "{first}");
    assert!(
        !first.contains("model-"),
        "systems are never named:\n{first}"
    );
    // The better one is side a: pick the side it is shown on.
    let right_key = if assigned[0].left == Some(Side::A) {
        '1'
    } else {
        '2'
    };
    s.key(key(right_key), t0 + Duration::from_secs(2));
    assert!(matches!(s.phase(), Phase::Task(0)), "too early: not taken");
    let msg = s.message().expect("a message").0.clone();
    assert!(msg.contains("3 s more"), "{msg}");
    assert!(judgments(&store, "pw").is_empty());
    s.key(key(right_key), t0 + Duration::from_secs(6));
    assert!(matches!(s.phase(), Phase::Reason { .. }));
    for c in "kind".chars() {
        s.key(key(c), t0 + Duration::from_secs(7));
    }
    s.key(code(KeyCode::Enter), t0 + Duration::from_secs(8));
    // Stored (and flushed by the sink) before the next screen.
    let stored = judgments(&store, "pw");
    assert_eq!(stored.len(), 1);
    let (task, left, right, choice, reason) = &stored[0];
    assert_eq!(task, &assigned[0].task);
    let (want_left, want_right) = if assigned[0].left == Some(Side::A) {
        (f.good.to_string(), f.bad.to_string())
    } else {
        (f.bad.to_string(), f.good.to_string())
    };
    assert_eq!((left, right), (&want_left, &want_right));
    assert_eq!(
        choice,
        if right_key == '1' {
            &JudgmentChoice::Left
        } else {
            &JudgmentChoice::Right
        }
    );
    assert_eq!(reason.as_deref(), Some("kind"));
    assert!(matches!(
        s.phase(),
        Phase::OnboardingResult {
            passed: true,
            right: 1,
            total: 1
        }
    ));
    let result = screen_text(&s, 80, 24, t0);
    assert!(result.contains("Onboarding passed: 1 / 1"), "{result}");
    s.key(code(KeyCode::Enter), t0 + Duration::from_secs(9));
    assert_eq!(s.task_id(), Some(assigned[1].task.as_str()));
    let t1 = t0 + Duration::from_secs(9);
    let second = screen_text(&s, 80, 24, t1);
    assert!(second.contains("Task 1 of 2"), "{second}");
    assert!(!second.contains('\u{1b}'), "escape sequences are cleaned");
    // Tie on the second task, then quit.
    s.key(key('0'), t1 + Duration::from_secs(5));
    s.key(code(KeyCode::Enter), t1 + Duration::from_secs(5));
    s.key(key('q'), t1 + Duration::from_secs(6));
    assert!(s.quitting());
    drop(s);
    drop(store);
    // Coming back: the first task without a judgment.
    let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
    let (s, store) = open_screen(&store_dir, queue, "ann-a", Lang::En, t1);
    assert_eq!(s.task_id(), Some(assigned[2].task.as_str()));
    let stored = judgments(&store, "pw");
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[1].3, JudgmentChoice::Tie);
    assert_eq!(stored[1].4, None);
    // The tie was on the real pair the plan lists for that task.
    let t = plan
        .tasks
        .iter()
        .find(|t| t.id == stored[1].0)
        .expect("task");
    assert_eq!(t.kind, TaskKind::Real);
}

#[test]
fn failing_onboarding_stops_the_annotator_now_and_later() {
    let f = fixture();
    let file = write_study(&f.root, &pairwise_text(&f, 0, "none"));
    let reg = register_judged(&file, &f.root.join("studies"), &f.store).expect("register");
    let store_dir = f.root.join("store");
    drop(f.store);
    let t0 = Instant::now();
    let queue = open_judged_queue(&reg.dir, "ann-b").expect("queue");
    let wrong = if queue.assignment.tasks[0].left == Some(Side::A) {
        '2'
    } else {
        '1'
    };
    let (mut s, store) = open_screen(&store_dir, queue, "ann-b", Lang::En, t0);
    s.key(key(wrong), t0);
    assert!(matches!(
        s.phase(),
        Phase::OnboardingResult {
            passed: false,
            right: 0,
            total: 1
        }
    ));
    s.key(code(KeyCode::Enter), t0);
    assert_eq!(s.phase(), &Phase::Stopped);
    drop(s);
    drop(store);
    let queue = open_judged_queue(&reg.dir, "ann-b").expect("queue");
    let (s, _store) = open_screen(&store_dir, queue, "ann-b", Lang::Zh, t0);
    assert_eq!(s.phase(), &Phase::Stopped);
    let text = screen_text(&s, 80, 24, t0);
    assert!(text.contains("入门测试"), "{text}");
}

#[test]
fn pointwise_flow_rates_and_resumes() {
    let f = fixture();
    let file = write_study(&f.root, &pointwise_text());
    let reg = register_judged(&file, &f.root.join("studies"), &f.store).expect("register");
    assert_eq!(reg.plan.tasks.len(), 3, "one transcript per case of sys-a");
    let store_dir = f.root.join("store");
    drop(f.store);
    let t0 = Instant::now();
    let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
    let order = queue.assignment.tasks.clone();
    let (mut s, store) = open_screen(&store_dir, queue, "ann-a", Lang::En, t0);
    s.key(code(KeyCode::Enter), t0 + Duration::from_secs(5));
    assert!(s.message().expect("msg").0.contains("every rubric item"));
    s.key(key('9'), t0 + Duration::from_secs(5));
    assert!(s.message().expect("msg").0.contains("outside the scale"));
    s.key(key('4'), t0 + Duration::from_secs(1));
    s.key(code(KeyCode::Enter), t0 + Duration::from_secs(1));
    assert!(s.message().expect("msg").0.contains("2 s more"));
    s.key(code(KeyCode::Enter), t0 + Duration::from_secs(4));
    assert_eq!(s.task_id(), Some(order[1].task.as_str()));
    drop(s);
    let filter = Filter {
        kind: Some(SessionKind::StudyRating),
        ..Filter::default()
    };
    let sessions = store.list(&filter).expect("list");
    assert_eq!(sessions.len(), 1);
    let ratings: Vec<_> = store
        .events(sessions[0].id)
        .expect("events")
        .into_iter()
        .filter_map(|e| match e.body {
            EventBody::Rating(r) => Some((r.task, r.name, r.value)),
            _ => None,
        })
        .collect();
    assert_eq!(
        ratings,
        vec![(Some(order[0].task.clone()), "empathy".to_owned(), 4.0)]
    );
    drop(store);
    let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
    let (s, _store) = open_screen(&store_dir, queue, "ann-a", Lang::En, t0);
    assert_eq!(s.task_id(), Some(order[1].task.as_str()));
}

fn snap(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn judging_screen_snapshots() {
    let f = fixture();
    let file = write_study(&f.root, &pairwise_text(&f, 20, "optional"));
    let reg = register_judged(&file, &f.root.join("studies"), &f.store).expect("register");
    let pfile = f.root.join("pt.yaml");
    std::fs::write(&pfile, pointwise_text()).expect("write");
    let preg = register_judged(&pfile, &f.root.join("studies"), &f.store).expect("register pt");
    let store_dir = f.root.join("store");
    drop(f.store);
    let t0 = Instant::now();
    for (lang, l) in [(Lang::En, "en"), (Lang::Zh, "zh")] {
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
            let (s, store) = open_screen(&store_dir, queue, "ann-a", lang, t0);
            snap(
                &format!("judge_pairwise_{l}_{w}x{h}"),
                &screen_text(&s, w, h, t0 + Duration::from_secs(3)),
            );
            drop(s);
            drop(store);
            let queue = open_judged_queue(&preg.dir, "ann-a").expect("queue");
            let (s, store) = open_screen(&store_dir, queue, "ann-a", lang, t0);
            snap(
                &format!("judge_pointwise_{l}_{w}x{h}"),
                &screen_text(&s, w, h, t0),
            );
            drop(s);
            drop(store);
        }
    }
}

#[test]
fn pointwise_per_turn_over_a_world_tree_walk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let store = Store::open(root.join("store")).expect("store");
    let (text, tree) = salary_tree();
    let (picks, story) = expected_walk(&tree, |n| n - 1);
    let walk = common::walks::walk(&store, &tree, &text, model("model-a"), &refs(&picks));
    let study = format!(
        "kind: study
type: pointwise
id: turns
title: Per turn
items:
  - {}
systems:
  - name: sys-a
    model: model-a
rubric:
  per: turn
  items:
    - id: tact
      question: How tactful is this choice?
      scale: [1, 3]
      anchors:
        1: Rude
        3: Tactful
ratings_per_transcript: 1
annotators: [ann-a]
min_seconds: 0
seed: 1
",
        repo().join("scripts/en-salary-talk.yaml").display()
    );
    let file = write_study(root, &study);
    let reg = register_judged(&file, &root.join("studies"), &store).expect("register");
    assert_eq!(reg.plan.tasks.len(), 1);
    drop(store);
    let t0 = Instant::now();
    let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
    let (mut s, store) = open_screen(&root.join("store"), queue, "ann-a", Lang::En, t0);
    // The rated turns are the walk's choices, each brought into view in turn.
    let chosen: Vec<&(Option<String>, String)> = story
        .iter()
        .filter(|(w, _)| w.as_deref().is_some_and(|w| w.starts_with('→')))
        .collect();
    assert_eq!(chosen.len(), picks.len());
    let screen = screen_text(&s, 80, 24, t0);
    assert!(
        screen.contains(&format!("Turn 1 of {}", picks.len())),
        "{screen}"
    );
    let marked = |screen: &str, who: &str| {
        screen
            .lines()
            .any(|l| l.trim_start_matches('│').starts_with(&format!("▶ {who}: ")))
    };
    // The task opens at the top of the story; `n` and `p` bring a rated turn into view.
    assert!(screen.contains("Scenario:"), "{screen}");
    s.key(key('n'), t0);
    s.key(key('p'), t0);
    let screen = screen_text(&s, 80, 24, t0);
    assert!(
        marked(&screen, chosen[0].0.as_deref().unwrap_or_default()),
        "{screen}"
    );
    s.key(key('1'), t0);
    s.key(code(KeyCode::Enter), t0);
    assert!(s.message().expect("msg").0.contains("every rubric item"));
    let mut values = vec![1.0];
    for (i, turn) in chosen.iter().enumerate().skip(1) {
        s.key(key('n'), t0);
        let screen = screen_text(&s, 80, 24, t0);
        assert!(
            marked(&screen, turn.0.as_deref().unwrap_or_default()),
            "{screen}"
        );
        let v = 1 + (i % 3);
        s.key(
            key(char::from_digit(u32::try_from(v).expect("small"), 10).expect("digit")),
            t0,
        );
        values.push(v as f64);
    }
    s.key(code(KeyCode::Enter), t0);
    assert_eq!(s.phase(), &Phase::Done);
    // One rating per turn, about the decision events' seqs in the transcript.
    let record = store.record(walk).expect("walk");
    let decisions: Vec<u64> = record
        .events
        .iter()
        .filter(|e| matches!(e.body, EventBody::Decision(_)))
        .map(|e| e.seq)
        .collect();
    let filter = Filter {
        kind: Some(SessionKind::StudyRating),
        ..Filter::default()
    };
    let rated = store.list(&filter).expect("list");
    assert_eq!(rated.len(), 1);
    assert_eq!(
        rated[0].status,
        Status::Finished,
        "all done: the session is finished"
    );
    let got: Vec<(Option<u64>, f64)> = store
        .events(rated[0].id)
        .expect("events")
        .into_iter()
        .filter_map(|e| match e.body {
            EventBody::Rating(r) => Some((r.about_seq, r.value)),
            _ => None,
        })
        .collect();
    let want: Vec<(Option<u64>, f64)> = decisions.iter().map(|d| Some(*d)).zip(values).collect();
    assert_eq!(got, want);
}

#[test]
fn each_side_scrolls_on_its_own() {
    let f = fixture();
    // A small terminal: both transcripts are longer than their panes.
    let file = write_study(&f.root, &pairwise_text(&f, 0, "none"));
    let reg = register_judged(&file, &f.root.join("studies"), &f.store).expect("register");
    let store_dir = f.root.join("store");
    drop(f.store);
    let t0 = Instant::now();
    let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
    let (mut s, _store) = open_screen(&store_dir, queue, "ann-a", Lang::En, t0);
    let before = screen_text(&s, 30, 13, t0);
    // Focus is on the left: Down scrolls it by one line; the right stays.
    s.key(code(KeyCode::Down), t0);
    let after = screen_text(&s, 30, 13, t0);
    let rows = |t: &str| t.lines().map(str::to_owned).collect::<Vec<_>>();
    let (b, a) = (rows(&before), rows(&after));
    assert_ne!(b[3], a[3], "the left pane moved");
    assert_eq!(b[8], a[8], "the right pane did not");
    s.key(code(KeyCode::Tab), t0);
    s.key(code(KeyCode::Down), t0);
    let third = rows(&screen_text(&s, 30, 13, t0));
    assert_ne!(a[8], third[8], "now the right pane moved");
    assert_eq!(a[3], third[3]);
    // Scrolling stops once the last row is in view: the pane never runs empty.
    s.key(code(KeyCode::BackTab), t0);
    for _ in 0..20 {
        s.key(code(KeyCode::PageDown), t0);
    }
    let end = rows(&screen_text(&s, 30, 13, t0));
    assert!(end[5].contains("Therapist:"), "{end:#?}");
    assert!(end[3].contains("keep thinking"), "{end:#?}");
}

fn socius(cwd: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .current_dir(cwd)
        .env_remove("SOCIUS_STORE")
        .output()
        .expect("socius runs")
}

#[test]
fn cli_new_says_what_is_missing_and_status_counts() {
    let f = fixture();
    let file = write_study(&f.root, &pairwise_text(&f, 0, "none"));
    let text2 = pairwise_text(&f, 0, "none")
        .replace("id: pw", "id: pw2")
        .replace("model: model-b", "model: nobody");
    drop(f.store);
    let out = socius(
        &f.root,
        &[
            "study",
            "new",
            file.to_str().expect("utf-8"),
            "--store",
            "store",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("registered study `pw` (pairwise"), "{text}");
    assert!(
        text.contains("missing: no finished session of system `sys-b` on item `en-passed-over`"),
        "{text}"
    );
    let out = socius(&f.root, &["study", "status", "pw", "--store", "store"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("study `pw` (pairwise): 0/6 tasks done"),
        "{text}"
    );
    assert!(
        text.contains("ann-a: 0 done, 3 not done; onboarding pending (0/1 right)"),
        "{text}"
    );
    let out = socius(
        &f.root,
        &["study", "status", "pw", "--store", "store", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["annotators"][1]["onboarding"], "pending");
    // Nothing to compare: exit 1, and the missing pairs are said.
    let file2 = write_study(&f.root, &text2);
    let out = socius(
        &f.root,
        &[
            "study",
            "new",
            file2.to_str().expect("utf-8"),
            "--store",
            "store",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing to compare"), "{err}");
    assert!(
        err.contains("missing: no finished session of system `sys-b` on item `en-birthday-drinks`"),
        "{err}"
    );
    // No store there: a clear error, not a new empty store.
    let out = socius(
        &f.root,
        &[
            "study",
            "new",
            file.to_str().expect("utf-8"),
            "--store",
            "nostore",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!f.root.join("nostore").exists());
}

#[test]
fn attention_checks_are_mixed_in_and_failures_counted() {
    let f = fixture();
    let text = pairwise_text(&f, 0, "none").replace(
        "onboarding:\n  pass: 1\n  pairs:",
        "attention_checks:\n  max_failures: 0\n  pairs:",
    );
    let file = write_study(&f.root, &text);
    let reg = register_judged(&file, &f.root.join("studies"), &f.store).expect("register");
    let att: Vec<String> = reg
        .plan
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Attention)
        .map(|t| t.id.clone())
        .collect();
    assert_eq!(att.len(), 1);
    let store_dir = f.root.join("store");
    drop(f.store);
    let t0 = Instant::now();
    let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
    let order = queue.assignment.tasks.clone();
    assert_eq!(order.iter().filter(|t| att.contains(&t.task)).count(), 1);
    let (mut s, store) = open_screen(&store_dir, queue, "ann-a", Lang::En, t0);
    for t in &order {
        assert_eq!(s.task_id(), Some(t.task.as_str()));
        let screen = screen_text(&s, 80, 24, t0);
        assert!(
            !screen.contains("ttention"),
            "a check looks like any task:\n{screen}"
        );
        let k = if att.contains(&t.task) {
            // The wrong side: the worse one is b.
            if t.left == Some(Side::A) { '2' } else { '1' }
        } else {
            '0'
        };
        s.key(key(k), t0);
    }
    assert_eq!(s.phase(), &Phase::Done);
    drop(s);
    drop(store);
    let out = socius(&f.root, &["study", "status", "pw", "--store", "store"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ann-a: 3 done, 0 not done; attention checks failed 1/1 (excluded)"),
        "{text}"
    );
}

#[test]
fn a_required_reason_cannot_be_left_empty() {
    let f = fixture();
    let file = write_study(&f.root, &pairwise_text(&f, 0, "required"));
    let reg = register_judged(&file, &f.root.join("studies"), &f.store).expect("register");
    let store_dir = f.root.join("store");
    drop(f.store);
    let t0 = Instant::now();
    let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
    let (mut s, store) = open_screen(&store_dir, queue, "ann-a", Lang::En, t0);
    s.key(key('b'), t0);
    s.key(code(KeyCode::Enter), t0);
    assert!(matches!(s.phase(), Phase::Reason { .. }));
    let screen = screen_text(&s, 80, 24, t0);
    assert!(
        screen.contains("This study needs a reason for every vote."),
        "{screen}"
    );
    assert!(judgments(&store, "pw").is_empty());
    for c in "  ".chars() {
        s.key(key(c), t0);
    }
    s.key(code(KeyCode::Enter), t0);
    assert!(judgments(&store, "pw").is_empty(), "blank is empty");
    s.key(key('x'), t0);
    s.key(code(KeyCode::Enter), t0);
    let got = judgments(&store, "pw");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].3, JudgmentChoice::BothBad);
    assert_eq!(got[0].4.as_deref(), Some("x"));
}

#[test]
fn a_crafted_transcript_id_is_not_read_outside_the_folder() {
    let f = fixture();
    let file = write_study(&f.root, &pairwise_text(&f, 0, "none"));
    let reg = register_judged(&file, &f.root.join("studies"), &f.store).expect("register");
    let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
    std::fs::write(f.root.join("secret.json"), "{}").expect("write");
    for bad in ["../../secret", "..", "", "a/b", "x.json"] {
        let e = queue.transcript(bad).expect_err("refused");
        assert!(
            e.to_string().contains("not a plain file name"),
            "{bad}: {e}"
        );
    }
    // Someone else's exported folder is refused.
    let out = f.root.join("export-b");
    let reg2 = socius::study::judged_record::open_judged(&reg.dir).expect("open");
    socius::study::judged_record::export_judged(&reg2, "ann-b", &out).expect("export");
    let e = open_judged_queue(&out, "ann-a").expect_err("not theirs");
    assert!(e.to_string().contains("not of `ann-a`"), "{e}");
    assert!(open_judged_queue(&out, "ann-b").is_ok());
    // An item file name in a travelling plan never leaves its folder.
    let plan_path = out.join("plan.json");
    let good = std::fs::read_to_string(&plan_path).expect("plan");
    let case = reg.plan.items[0].file.clone().expect("a copy");
    std::fs::write(f.root.join("stolen.yaml"), "kind: world_tree").expect("write");
    for bad in [
        "../stolen.yaml",
        "/etc/passwd",
        "items/../../stolen.yaml",
        "",
    ] {
        std::fs::write(
            &plan_path,
            good.replace(&format!("\"{case}\""), &format!("\"{bad}\"")),
        )
        .expect("crafted plan");
        let e = open_judged_queue(&out, "ann-b").expect_err("refused");
        assert!(
            e.to_string().contains("leaves the study folder"),
            "{bad}: {e}"
        );
    }
    // An item copy that is a FIFO is refused, not waited on.
    std::fs::write(&plan_path, &good).expect("plan back");
    let copy = out.join(&case);
    std::fs::remove_file(&copy).expect("rm copy");
    let made = std::process::Command::new("mkfifo")
        .arg(&copy)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let e = open_judged_queue(&out, "ann-b").expect_err("a FIFO");
    assert!(e.to_string().contains("FIFO"), "{e}");
}

#[test]
fn pointwise_onboarding_checks_the_expected_ranges() {
    let f = fixture();
    let text = pointwise_text().replace(
        "min_seconds: 3",
        &format!(
            "min_seconds: 0\nonboarding:\n  pass: 1\n  transcripts:\n    - session: {}\n      expect:\n        empathy: [4, 5]",
            f.good
        ),
    )
    .replace("annotators: [ann-a]", "annotators: [ann-a, ann-b]");
    let file = write_study(&f.root, &text);
    let reg = register_judged(&file, &f.root.join("studies"), &f.store).expect("register");
    let store_dir = f.root.join("store");
    drop(f.store);
    let t0 = Instant::now();
    for (who, value, passed) in [("ann-a", '3', false), ("ann-b", '4', true)] {
        let queue = open_judged_queue(&reg.dir, who).expect("queue");
        let (mut s, _store) = open_screen(&store_dir, queue, who, Lang::En, t0);
        s.key(key(value), t0);
        s.key(code(KeyCode::Enter), t0);
        assert!(
            matches!(s.phase(), Phase::OnboardingResult { passed: p, right, total: 1 } if *p == passed && *right == usize::from(passed)),
            "{:?}",
            s.phase()
        );
    }
}

/// The bundled English tree, its text and its parsed form.
fn salary_tree() -> (String, std::sync::Arc<socius::script::WorldTree>) {
    let text = String::from_utf8(script_bytes("en-salary-talk.yaml")).expect("utf-8");
    let (script, diags, _) = socius::script::load::load_str(&text);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    match script {
        Some(socius::script::load::Script::WorldTree(t)) => (text, std::sync::Arc::new(t)),
        _ => panic!("not a world tree"),
    }
}

/// The choice ids of the walk taking choice `pick(node)` at every node, and the expected
/// transcript (who, text) computed from the tree: scenario, goal, the start node's lines, then
/// per step the chosen utterance and the lines of the node it leads to.
fn expected_walk(
    tree: &socius::script::WorldTree,
    pick: impl Fn(usize) -> usize,
) -> (Vec<String>, Vec<(Option<String>, String)>) {
    use socius::script::model::Line as L;
    let w = socius::tui::judge::words(Lang::En);
    let lines_of = |n: usize, out: &mut Vec<(Option<String>, String)>| {
        for l in &tree.nodes[n].lines {
            out.push(match l {
                L::Speech(u) => (Some(u.speaker.clone()), u.text.clone()),
                L::Narration { text, .. } => (None, text.clone()),
                L::Introduce { name, .. } => (None, format!("{name} {}", w.enters)),
            });
        }
    };
    let mut out = vec![(Some(w.scenario.to_owned()), tree.scenario.clone())];
    let p = tree.protagonist().expect("protagonist");
    out.push((Some(format!("{} ({})", w.goal, p.name)), p.goal.clone()));
    let mut node = tree.start().expect("start");
    lines_of(node, &mut out);
    let mut picks = Vec::new();
    while !tree.nodes[node].choices.is_empty() {
        let c = pick(tree.nodes[node].choices.len());
        picks.push(tree.nodes[node].choice_id(c).into_owned());
        let choice = &tree.nodes[node].choices[c];
        out.push((
            Some(format!("→ {}", choice.say.speaker)),
            choice.say.text.clone(),
        ));
        node = tree.node_index(&choice.target).expect("target");
        lines_of(node, &mut out);
    }
    (picks, out)
}

#[test]
fn world_tree_walks_are_told_from_the_studys_copy_of_the_tree() {
    use common::walks::walk;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let store = Store::open(root.join("store")).expect("store");
    let (text, tree) = salary_tree();
    let (first_picks, first_story) = expected_walk(&tree, |_| 0);
    let (last_picks, last_story) = expected_walk(&tree, |n| n - 1);
    assert_ne!(first_story, last_story, "two different walks");
    let human = walk(
        &store,
        &tree,
        &text,
        Who::annotator("walker"),
        &refs(&first_picks),
    );
    let bot = walk(&store, &tree, &text, model("model-a"), &refs(&last_picks));
    // A session of model-b on another version of the file is not shown, and is said.
    walk(
        &store,
        &tree,
        &format!("{text}\n# edited\n"),
        model("model-b"),
        &refs(&first_picks),
    );
    // Walks that finished early (no valid answer): model-a's is passed over for its complete
    // one; model-c has nothing else.
    for who in ["model-a", "model-c"] {
        stored(
            &store,
            SessionKind::WorldTreeGae,
            ScriptRef::new(&tree.id, text.as_bytes()),
            model(who),
            &[json!({"type": "session_status", "status": "finished", "reason": "invalid_answer"})],
        );
    }
    let study = format!(
        "kind: study
type: pointwise
id: walks
title: Walks
items:
  - {}
systems:
  - name: people
    human: walker
  - name: bot
    model: model-a
  - name: other
    model: model-b
  - name: dropper
    model: model-c
rubric:
  per: dialogue
  items:
    - id: tact
      question: How tactful is the protagonist?
      scale: [1, 5]
      anchors:
        1: Rude
        5: Tactful
ratings_per_transcript: 1
annotators: [ann-a]
min_seconds: 0
seed: 3
",
        repo().join("scripts/en-salary-talk.yaml").display()
    );
    let file = write_study(root, &study);
    let reg = register_judged(&file, &root.join("studies"), &store).expect("register");
    drop(store);
    let item = &reg.plan.items[0];
    assert_eq!(item.title, tree.title);
    let copy = reg.dir.join(item.file.as_deref().expect("a copy"));
    assert_eq!(std::fs::read_to_string(&copy).expect("copy"), text);
    assert_eq!(reg.plan.missing.len(), 2);
    assert_eq!(reg.plan.missing[0].system, "other");
    assert_eq!(reg.plan.missing[0].other_version, 1);
    let said = socius::study::judged_record::missing_line(&reg.plan.missing[0]);
    assert!(said.contains("1 played on another version"), "{said}");
    assert_eq!(reg.plan.missing[1].system, "dropper");
    assert_eq!(reg.plan.missing[1].dropped, 1);
    assert_eq!(reg.dropped, 2);
    let shown: Vec<String> = reg
        .plan
        .tasks
        .iter()
        .filter_map(|t| match &t.body {
            TaskBody::Transcript { shown, .. } => Some(shown.session.clone()),
            TaskBody::Pair { .. } => None,
        })
        .collect();
    assert_eq!(shown, vec![human.to_string(), bot.to_string()]);

    // The screen's lines are the tree's story along each walk; the ending's label is not shown.
    let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
    let w = socius::tui::judge::words(Lang::En);
    for (session, story) in [(human, &first_story), (bot, &last_story)] {
        let record = queue.transcript(&session.to_string()).expect("transcript");
        let lines =
            socius::tui::judge::transcript_lines(&record, queue.tree(&record.session.script.id), w);
        let got: Vec<(Option<String>, String)> = lines
            .iter()
            .map(|l| (l.who.clone(), l.text.clone()))
            .collect();
        assert_eq!(&got, story);
        let rated = lines.iter().filter(|l| l.rated_seq.is_some()).count();
        assert_eq!(
            rated,
            story
                .iter()
                .filter(|(w, _)| w.as_deref().is_some_and(|w| w.starts_with('→')))
                .count()
        );
        assert!(
            !got.iter()
                .any(|(_, t)| t.contains("success") || t.contains("failure"))
        );
    }
    let t0 = Instant::now();
    let (s, _store) = open_screen(&root.join("store"), queue, "ann-a", Lang::En, t0);
    let screen = screen_text(&s, 160, 48, t0);
    assert!(screen.contains("Scenario:"), "{screen}");
    assert!(
        screen.contains(&format!("Goal ({})", tree.protagonist().expect("p").name)),
        "{screen}"
    );
    drop(s);

    // The exported folder carries the tree; a changed copy is refused when the queue opens.
    let out = root.join("export");
    socius::study::judged_record::export_judged(&reg, "ann-a", &out).expect("export");
    let exported = out.join(item.file.as_deref().expect("file"));
    assert_eq!(
        std::fs::read_to_string(&exported).expect("exported copy"),
        text
    );
    assert!(open_judged_queue(&out, "ann-a").is_ok());
    std::fs::write(
        &exported,
        text.replace("Scenario", "Scenari0")
            .replace("scenario", "scenari0"),
    )
    .expect("tamper");
    let err = open_judged_queue(&out, "ann-a").expect_err("a changed copy");
    assert!(err.to_string().contains("changed"), "{err}");

    // A walk that stopped before any ending says so at its end.
    let scratch = Store::open(root.join("scratch")).expect("scratch");
    let cut = scratch
        .create(NewSession::new(
            SessionKind::WorldTreeGae,
            ScriptRef::new(&tree.id, text.as_bytes()),
            model("model-a"),
            1,
        ))
        .expect("create");
    let record = scratch.record(cut.id).expect("record");
    let lines = socius::tui::judge::transcript_lines(&record, Some(&tree), w);
    assert_eq!(lines.last().map(|l| l.text.as_str()), Some(w.walk_stopped));
}

#[test]
fn the_loop_takes_a_paste_into_the_reason_and_ends_on_a_signal_with_the_vote_kept() {
    use socius::tui::app::Msg;
    let f = fixture();
    let file = write_study(&f.root, &pairwise_text(&f, 0, "required"));
    let reg = register_judged(&file, &f.root.join("studies"), &f.store).expect("register");
    let store_dir = f.root.join("store");
    drop(f.store);
    let t0 = Instant::now();
    let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
    let second = queue.assignment.tasks[1].task.clone();
    // The onboarding pair's better one is side a: vote for the side it is shown on.
    let better = if queue.assignment.tasks[0].left == Some(Side::A) {
        '1'
    } else {
        '2'
    };
    let (mut s, store) = open_screen(&store_dir, queue, "ann-a", Lang::En, t0);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    // A paste while voting is ignored (it must not vote); in the reason it is typed, its line
    // breaks as spaces. The signal ends the loop: the keys after it are never read.
    let script: std::collections::VecDeque<Msg> = [
        Msg::Paste("12".to_owned()),
        Msg::Key(key(better)),
        Msg::Paste("clearer\nand kinder".to_owned()),
        Msg::Key(code(KeyCode::Enter)),
        Msg::Signal(15),
        Msg::Key(code(KeyCode::Enter)),
        Msg::Key(key('2')),
    ]
    .into();
    socius::tui::judge::run_loop(
        &mut terminal,
        &mut s,
        &mut socius::tui::run::Scripted(script),
    )
    .expect("loop");
    let got = judgments(&store, "pw");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].4.as_deref(), Some("clearer and kinder"));
    assert!(
        matches!(s.phase(), Phase::OnboardingResult { passed: true, .. }),
        "{:?}",
        s.phase()
    );
    drop(s);
    drop(store);
    // Back again: past the onboarding result, on the first task without a judgment.
    let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
    let (s, _store) = open_screen(&store_dir, queue, "ann-a", Lang::En, t0);
    assert_eq!(
        s.task_id(),
        Some(second.as_str()),
        "{:?} {:?}",
        s.phase(),
        s.message()
    );
}

#[test]
fn the_acute_export_tells_world_tree_walks_from_the_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let store = Store::open(root.join("store")).expect("store");
    let (text, tree) = salary_tree();
    let (first, first_story) = expected_walk(&tree, |_| 0);
    let (last, last_story) = expected_walk(&tree, |n| n - 1);
    common::walks::walk(&store, &tree, &text, model("model-a"), &refs(&first));
    common::walks::walk(&store, &tree, &text, model("model-b"), &refs(&last));
    let study = format!(
        "kind: study
type: pairwise
id: walk-duel
title: Two walkers
items:
  - {}
systems:
  - name: sys-a
    model: model-a
  - name: sys-b
    model: model-b
question: Who handles Graham better?
judgments_per_pair: 1
annotators: [ann-a]
min_seconds: 0
seed: 2
reason: none
",
        repo().join("scripts/en-salary-talk.yaml").display()
    );
    let file = write_study(root, &study);
    let reg = register_judged(&file, &root.join("studies"), &store).expect("register");
    drop(store);
    let queue = open_judged_queue(&reg.dir, "ann-a").expect("queue");
    let t0 = Instant::now();
    let (mut s, store) = open_screen(&root.join("store"), queue, "ann-a", Lang::En, t0);
    s.key(key('0'), t0);
    assert_eq!(s.phase(), &Phase::Done);
    drop(s);
    drop(store);
    let out = socius(
        root,
        &[
            "study",
            "export",
            "walk-duel",
            "--format",
            "acute",
            "--store",
            "store",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().expect("a line"))
            .expect("json");
    // The screen's story with the export's speaker ids: roles and names, no screen words.
    let ids = |story: &[(Option<String>, String)]| -> Vec<(String, String)> {
        story
            .iter()
            .map(|(who, text)| {
                let id = match who.as_deref() {
                    Some("Scenario") => "scenario".to_owned(),
                    Some(w) if w.starts_with("Goal (") => "goal".to_owned(),
                    Some(w) => w.trim_start_matches("→ ").to_owned(),
                    None => "narrator".to_owned(),
                };
                let text = text
                    .strip_suffix(&format!(" {}", socius::tui::judge::EN.enters))
                    .unwrap_or(text)
                    .to_owned();
                (id, text)
            })
            .collect()
    };
    for (k, story) in [(0, &first_story), (1, &last_story)] {
        let got: Vec<(String, String)> = line["dialogue_dicts"][k]["dialogue"]
            .as_array()
            .expect("dialogue")
            .iter()
            .map(|u| {
                (
                    u["id"].as_str().expect("id").to_owned(),
                    u["text"].as_str().expect("text").to_owned(),
                )
            })
            .collect();
        assert_eq!(got, ids(story), "dialogue {k}");
    }
    assert_eq!(line["outcome"], "tie");
}

#[test]
fn a_cr_dialogue_ended_at_its_cap_is_shown_and_a_dropped_walk_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let store = Store::open(root.join("store")).expect("store");
    let case = CASES[0];
    for m in ["model-a", "model-b"] {
        stored(
            &store,
            SessionKind::CrDialogue,
            ScriptRef::new(case, &script_bytes(&format!("cr/cases/{case}.yaml"))),
            model(m),
            &[
                json!({"type": "cr_turn", "speaker": "therapist", "text": "Go on."}),
                json!({"type": "session_status", "status": "finished", "reason": "cap"}),
            ],
        );
    }
    let study = format!(
        "kind: study
type: pairwise
id: capped
items:
  - {}
systems:
  - name: a
    model: model-a
  - name: b
    model: model-b
question: Which is better?
judgments_per_pair: 1
annotators: [ann-a]
seed: 1
",
        repo()
            .join(format!("scripts/cr/cases/{case}.yaml"))
            .display()
    );
    let file = write_study(root, &study);
    let reg = register_judged(&file, &root.join("studies"), &store).expect("register");
    assert_eq!(reg.plan.tasks.len(), 1);
    assert_eq!(reg.dropped, 0);
    assert!(reg.plan.missing.is_empty());
}
