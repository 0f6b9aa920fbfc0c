//! `socius study run`'s queue on TestBackend, with a real sled store in a temporary folder and a
//! study registered through the library: play an item to its end and come back to the queue
//! with it done, quit mid-item, reopen and resume it (no second session), finish; then the
//! queue's snapshots at 80×24 and 160×48 in English and Chinese.

mod common;

use std::path::Path;

use common::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use socius::session::{NewSession, ScriptRef, SessionKind, Status, Who};
use socius::store::{Filter, Store};
use socius::study::record::{self, Queue};
use socius::study::{ItemState, status};
use socius::tui::app::App;
use socius::tui::i18n::Lang;
use socius::tui::play::Mode;
use socius::tui::queue::QueueSpec;
use socius::tui::store_port::StorePort;

const STUDY: &str = "\
kind: study
type: baseline
id: pilot
title: Pilot queue
trees:
  - trees/en-salary-talk.yaml
  - trees/en-shared-kitchen.yaml
training:
  - trees/zh-group-project.yaml
modes: gae
annotators: [ann, bob]
k: 2
seed: 7
";

/// A temp folder with three bundled trees under `trees/` and the study registered in
/// `studies/`; the queue of `ann`.
fn study() -> (tempfile::TempDir, Queue) {
    let dir = tempfile::tempdir().expect("tempdir");
    let trees = dir.path().join("trees");
    std::fs::create_dir(&trees).expect("mkdir");
    for name in [
        "en-salary-talk.yaml",
        "en-shared-kitchen.yaml",
        "zh-group-project.yaml",
    ] {
        std::fs::copy(repo().join("scripts").join(name), trees.join(name)).expect("copy");
    }
    std::fs::write(dir.path().join("study.yaml"), STUDY).expect("write");
    let studies = dir.path().join("studies");
    record::register(&dir.path().join("study.yaml"), &studies).expect("register");
    let queue = record::open_queue("pilot", "ann", &studies).expect("queue");
    (dir, queue)
}

fn app(store: &Store, queue: &Queue, lang: Lang, w: u16, h: u16) -> App {
    let mut a = App::new(
        options(lang, queue.tree_files()),
        Box::new(StorePort::new(store.clone())),
        (w, h),
    );
    a.open_queue(QueueSpec::from_record(queue));
    a
}

/// Play with the first option everywhere until the session ends.
fn play_to_end(a: &mut App, term: &mut Terminal<TestBackend>) {
    for _ in 0..300 {
        let Some(p) = a.play() else { return };
        if !p.is_open() {
            return;
        }
        if p.option_count() > 0 {
            drive(a, term, vec![key('1'), enter()]);
        } else {
            drive(a, term, vec![enter()]);
        }
    }
    panic!("the session did not end");
}

/// Until the first decision is stored.
fn first_decision(a: &mut App, term: &mut Terminal<TestBackend>) {
    for _ in 0..50 {
        if a.play().expect("playing").option_count() > 0 {
            drive(a, term, vec![key('1'), enter()]);
            return;
        }
        drive(a, term, vec![enter()]);
    }
    panic!("no question came up");
}

/// The item states `study status` computes from the store (not from the screen).
fn states(store: &Store, queue: &Queue) -> Vec<ItemState> {
    let sessions = store.list(&Filter::default()).expect("list");
    let st = status(
        std::slice::from_ref(&queue.assignment),
        &sessions,
        &Default::default(),
    );
    st.annotators[0].items.iter().map(|i| i.state).collect()
}

/// The screen row of item `n` (1-based).
fn row_of(screen: &str, n: usize) -> &str {
    let tag = format!(" {n}. ");
    screen
        .lines()
        .find(|l| l.contains(&tag))
        .unwrap_or_else(|| panic!("no row {n}:\n{screen}"))
}

#[test]
fn play_an_item_come_back_quit_reopen_and_resume() {
    let (dir, queue) = study();
    let items = queue.assignment.items.clone();
    assert_eq!(items.len(), 3);
    assert!(items[0].training && !items[1].training && !items[2].training);
    let store = Store::open(dir.path().join("store")).expect("store");
    let mut term = terminal(80, 24);
    let mut a = app(&store, &queue, Lang::En, 80, 24);
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(screen.contains("Study: pilot · annotator: ann"), "{screen}");
    assert!(screen.contains("0 of 2 done · training 0 of 1"), "{screen}");
    assert!(row_of(&screen, 1).contains("[training]"), "{screen}");
    assert!(row_of(&screen, 1).contains('›'), "{screen}");

    // The training item first: on the play screen, as a training session of `ann`.
    drive(&mut a, &mut term, vec![enter()]);
    let p = a.play().expect("the play screen");
    assert!(p.training);
    assert_eq!(p.mode, Mode::Gae);
    assert_eq!(p.seed, items[0].seed);
    play_to_end(&mut a, &mut term);
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(screen.contains("Esc returns to your queue"), "{screen}");
    // Enter on the ending goes back to the queue, the item done.
    let screen = drive(&mut a, &mut term, vec![enter()]);
    assert!(a.play().is_none(), "{screen}");
    assert_eq!(
        states(&store, &queue),
        [
            ItemState::Done,
            ItemState::NotStarted,
            ItemState::NotStarted
        ]
    );
    assert!(row_of(&screen, 1).contains("✓ done"), "{screen}");
    assert!(screen.contains("training 1 of 1"), "{screen}");
    // The selection moved on to the next item.
    assert!(row_of(&screen, 2).contains('›'), "{screen}");

    // The next item: one decision, then quit.
    drive(&mut a, &mut term, vec![enter()]);
    let p = a.play().expect("the play screen");
    assert!(!p.training);
    assert_eq!(p.seed, items[1].seed);
    first_decision(&mut a, &mut term);
    drive(&mut a, &mut term, vec![key('q'), key('y')]);
    assert!(a.quitting());
    drop(a);
    assert_eq!(
        states(&store, &queue),
        [
            ItemState::Done,
            ItemState::InProgress,
            ItemState::NotStarted
        ]
    );
    let before = store.list(&Filter::default()).expect("list");
    let open = before
        .iter()
        .find(|s| s.status == Status::InProgress)
        .expect("one in progress")
        .id;

    // Reopened: the item in progress is next, and Enter resumes it.
    let mut term = terminal(80, 24);
    let mut a = app(&store, &queue, Lang::En, 80, 24);
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(row_of(&screen, 2).contains("▶ in progress"), "{screen}");
    assert!(row_of(&screen, 2).contains('›'), "{screen}");
    let screen = drive(&mut a, &mut term, vec![enter()]);
    assert!(screen.contains("Resumed where you left off."), "{screen}");
    play_to_end(&mut a, &mut term);
    // Esc on the ending goes back too.
    let screen = drive(&mut a, &mut term, vec![code(KeyCode::Esc)]);
    assert!(row_of(&screen, 2).contains("✓ done"), "{screen}");
    let after = store.list(&Filter::default()).expect("list");
    assert_eq!(after.len(), before.len(), "resumed, not restarted");
    let resumed = after.iter().find(|s| s.id == open).expect("same session");
    assert_eq!(resumed.status, Status::Finished);

    // The last one, then the queue says all is done.
    drive(&mut a, &mut term, vec![enter()]);
    play_to_end(&mut a, &mut term);
    let screen = drive(&mut a, &mut term, vec![enter()]);
    assert!(screen.contains("All done. Thank you!"), "{screen}");
    assert!(screen.contains("2 of 2 done"), "{screen}");
    assert_eq!(states(&store, &queue), [ItemState::Done; 3]);

    // Every session is `ann`'s, records the study, and has its item's seed and training flag.
    let sessions = store.list(&Filter::default()).expect("list");
    assert_eq!(sessions.len(), 3);
    for item in &items {
        let s = sessions
            .iter()
            .find(|s| s.script.id == item.tree)
            .expect("a session per item");
        assert_eq!(s.kind, SessionKind::WorldTreeGae);
        assert_eq!(s.who, Who::annotator("ann"));
        assert_eq!(s.meta["study"], "pilot");
        assert_eq!(s.seed, item.seed);
        assert_eq!(s.is_training(), item.training);
        assert_eq!(s.status, Status::Finished);
    }
}

#[test]
fn enter_on_a_done_item_says_so_and_plays_nothing() {
    let (dir, queue) = study();
    let store = Store::open(dir.path().join("store")).expect("store");
    let first = &queue.assignment.items[0];
    let mut new = NewSession::new(
        SessionKind::WorldTreeGae,
        ScriptRef::new(&first.tree, b"x"),
        Who::annotator("ann"),
        1,
    );
    new.meta = serde_json::json!({"training": true});
    let s = store.create(new).expect("create");
    store
        .set_status(s.id, Status::Finished, None)
        .expect("finish");
    let mut term = terminal(80, 24);
    let mut a = app(&store, &queue, Lang::En, 80, 24);
    let screen = drive(&mut a, &mut term, vec![code(KeyCode::Home), enter()]);
    assert!(a.play().is_none());
    assert!(screen.contains("This item is done"), "{screen}");
}

fn snap(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, text);
    });
}

/// One item of each state: the training item done, the first study item in progress (as
/// stored by another run), the last not started; and the all-done screen.
#[test]
fn queue_snapshots() {
    let (dir, queue) = study();
    let store = Store::open(dir.path().join("store")).expect("store");
    let items = &queue.assignment.items;
    let make = |tree: &str, training: bool| {
        let mut new = NewSession::new(
            SessionKind::WorldTreeGae,
            ScriptRef::new(tree, b"x"),
            Who::annotator("ann"),
            1,
        );
        new.meta = serde_json::json!({"training": training});
        store.create(new).expect("create")
    };
    let t = make(&items[0].tree, true);
    store
        .set_status(t.id, Status::Finished, None)
        .expect("finish");
    make(&items[1].tree, false);
    for lang in [Lang::En, Lang::Zh] {
        for (w, h) in [(80, 24), (160, 48)] {
            let l = if lang == Lang::En { "en" } else { "zh" };
            let mut a = app(&store, &queue, lang, w, h);
            let mut term = terminal(w, h);
            snap(
                &format!("queue_{l}_{w}x{h}"),
                &drive(&mut a, &mut term, vec![]),
            );
        }
    }
    for item in &items[1..] {
        let s = make(&item.tree, false);
        store
            .set_status(s.id, Status::Finished, None)
            .expect("finish");
    }
    for lang in [Lang::En, Lang::Zh] {
        let l = if lang == Lang::En { "en" } else { "zh" };
        let mut a = app(&store, &queue, lang, 80, 24);
        let mut term = terminal(80, 24);
        snap(
            &format!("queue_all_done_{l}_80x24"),
            &drive(&mut a, &mut term, vec![]),
        );
    }
}

#[test]
fn an_exported_assignment_plays_and_someone_elses_is_refused() {
    let (dir, _) = study();
    let studies = dir.path().join("studies");
    let reg = record::open(&studies.join("pilot")).expect("open");
    let out = dir.path().join("bob-assignment");
    record::export_assignment(&reg, "bob", &out).expect("export");
    let q = record::open_queue(out.to_str().expect("utf-8"), "bob", Path::new("nowhere"))
        .expect("bob's queue");
    assert_eq!(q.assignment.annotator, "bob");
    assert!(q.tree_files().iter().all(|f| f.starts_with(&out)));
    let err = record::open_queue(out.to_str().expect("utf-8"), "ann", Path::new("nowhere"))
        .expect_err("ann is not bob");
    assert!(err.to_string().contains("`bob`"), "{err}");
    let err = record::open_queue("pilot", "zed", &studies).expect_err("unknown");
    assert!(err.to_string().contains("not an annotator"), "{err}");
    // A file name that leaves the folder is refused before anything is read.
    let file = out.join("assignment.json");
    let original = std::fs::read_to_string(&file).expect("read");
    let mut v: serde_json::Value = serde_json::from_str(&original).expect("json");
    v["trees"][0]["file"] = "../../outside.yaml".into();
    std::fs::write(&file, v.to_string()).expect("write");
    let err = record::open_queue(out.to_str().expect("utf-8"), "bob", Path::new("nowhere"))
        .expect_err("outside");
    assert!(err.to_string().contains("outside the folder"), "{err}");
    std::fs::write(&file, original).expect("write");
    // A tree copy changed since registration is refused.
    let copy = &q.tree_files()[0];
    let mut text = std::fs::read_to_string(copy).expect("read");
    text.push_str("\n# changed\n");
    std::fs::write(copy, text).expect("write");
    let err = record::open_queue(out.to_str().expect("utf-8"), "bob", Path::new("nowhere"))
        .expect_err("changed");
    assert!(err.to_string().contains("changed"), "{err}");
}

/// The session to resume is an in-progress one of the item's mode and training flag, on the
/// study's version of the tree; others leave the item in progress with nothing to resume.
#[test]
fn which_session_an_item_resumes() {
    let (dir, queue) = study();
    let store = Store::open(dir.path().join("store")).expect("store");
    let spec = QueueSpec::from_record(&queue);
    let item = &queue.assignment.items[1];
    let hash = spec.hashes[&item.tree].clone();
    let make = |kind: SessionKind, hash: &str, training: bool| {
        let mut new = NewSession::new(
            kind,
            ScriptRef {
                id: item.tree.clone(),
                hash: hash.to_owned(),
            },
            Who::annotator("ann"),
            1,
        );
        new.meta = serde_json::json!({"training": training});
        store.create(new).expect("create").id
    };
    // Another version of the tree, another mode, a training session: none resumes.
    make(SessionKind::WorldTreeGae, &"0".repeat(64), false);
    make(SessionKind::WorldTreeIae, &hash, false);
    make(SessionKind::WorldTreeGae, &hash, true);
    let sessions = store.list(&Filter::default()).expect("list");
    let rows = socius::tui::queue::rows(&spec, &sessions);
    assert_eq!(rows[1].state, ItemState::InProgress);
    assert_eq!(rows[1].resume, None);
    // Two of the right kind: the one written last.
    let first = make(SessionKind::WorldTreeGae, &hash, false);
    let second = make(SessionKind::WorldTreeGae, &hash, false);
    let sessions = store.list(&Filter::default()).expect("list");
    let newest = sessions
        .iter()
        .filter(|s| s.id == first || s.id == second)
        .max_by_key(|s| s.updated)
        .expect("two")
        .id;
    let rows = socius::tui::queue::rows(&spec, &sessions);
    assert_eq!(rows[1].resume, Some(newest.to_string()));
    // The other items are untouched.
    assert_eq!(rows[0].state, ItemState::NotStarted);
    assert_eq!(rows[2].state, ItemState::NotStarted);
}
