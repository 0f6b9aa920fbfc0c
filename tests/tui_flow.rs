//! The whole app on TestBackend with scripted keys and a real sled store in a temporary
//! directory: play a tree to its end, then read the stored session back.

mod common;

use common::*;
use crossterm::event::KeyCode;
use socius::session::{EventBody, SessionKind, Status};
use socius::store::{Filter, Store};
use socius::tui::app::App;
use socius::tui::i18n::Lang;
use socius::tui::play::Mode;
use socius::tui::store_port::StorePort;

fn app_on(store: &Store, lang: Lang) -> App {
    App::new(
        options(lang, vec![repo().join("scripts")]),
        Box::new(StorePort::new(store.clone())),
        (80, 24),
    )
}

/// Press Enter until the session's first question is on screen.
fn to_first_question(a: &mut App, term: &mut ratatui::Terminal<ratatui::backend::TestBackend>) {
    for _ in 0..50 {
        if a.play().expect("playing").option_count() > 0 {
            return;
        }
        drive(a, term, vec![enter()]);
    }
    panic!("no question came up");
}

/// Play with the first option everywhere until the session ends; return the keys pressed.
fn play_to_end(a: &mut App, term: &mut ratatui::Terminal<ratatui::backend::TestBackend>) -> usize {
    let mut decisions = 0;
    for _ in 0..200 {
        let Some(p) = a.play() else { break };
        if !p.is_open() {
            break;
        }
        if p.option_count() > 0 {
            decisions += 1;
            drive(a, term, vec![key('1'), enter()]);
        } else {
            drive(a, term, vec![enter()]);
        }
    }
    decisions
}

#[test]
fn a_gae_walk_is_stored_decision_by_decision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let mut a = app_on(&store, Lang::En);
    let mut term = terminal(80, 24);
    a.open_play(&repo().join("scripts/en-salary-talk.yaml"), Mode::Gae)
        .expect("open");
    let decisions = play_to_end(&mut a, &mut term);
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(screen.contains("The end"), "{screen}");
    let sessions = store.list(&Filter::default()).expect("list");
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s.kind, SessionKind::WorldTreeGae);
    assert_eq!(s.status, Status::Finished);
    assert_eq!(s.script.id, "en-salary-talk");
    assert_eq!(s.script.hash.len(), 64);
    let events = store.events(s.id).expect("events");
    let stored: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Decision(d) => Some(d.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(stored.len(), decisions);
    assert!(stored.iter().all(|d| d.option_index == 0));
    // Every decision follows the options it answers.
    for (i, e) in events.iter().enumerate() {
        if let EventBody::Decision(d) = &e.body {
            let EventBody::OptionsPresented(p) = &events[i - 1].body else {
                panic!("decision without options before it");
            };
            assert_eq!(p.options[0].id, d.option_id);
        }
    }
    assert!(matches!(
        events.last().map(|e| &e.body),
        Some(EventBody::SessionStatus(_))
    ));
    // Back home, the finished session is listed; Enter on it opens its transcript.
    let screen = drive(&mut a, &mut term, vec![code(KeyCode::Esc)]);
    assert!(
        screen.contains("✓ done · The raise conversation · GAE"),
        "{screen}"
    );
    let screen = drive(&mut a, &mut term, vec![code(KeyCode::Tab), enter()]);
    // The opening lines, revealed before the first question, then the question and the answer.
    assert!(screen.contains("#0 lines"), "{screen}");
    assert!(screen.contains("#1 options"), "{screen}");
    assert!(screen.contains("#2 decision"), "{screen}");
    assert!(
        screen.contains("en-salary-talk · world_tree_gae"),
        "{screen}"
    );
    let screen = drive(&mut a, &mut term, vec![code(KeyCode::Esc)]);
    assert!(screen.contains("Library"), "{screen}");
}

#[test]
fn quitting_mid_tree_and_resuming_gives_one_complete_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let path = repo().join("scripts/zh-rival-bakery.yaml");
    let first_two = {
        let mut a = app_on(&store, Lang::Zh);
        let mut term = terminal(80, 24);
        a.open_play(&path, Mode::Both).expect("open");
        let mut picked = 0;
        for _ in 0..100 {
            if picked == 3 {
                break;
            }
            let p = a.play().expect("playing");
            assert!(p.is_open(), "the tree ended before three answers");
            if p.option_count() > 0 {
                drive(&mut a, &mut term, vec![key('2'), enter()]);
                picked += 1;
            } else {
                drive(&mut a, &mut term, vec![enter()]);
            }
        }
        assert_eq!(picked, 3);
        drive(&mut a, &mut term, vec![key('q'), key('y')]);
        assert!(a.quitting());
        picked
    };
    let sessions = store.list(&Filter::default()).expect("list");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].status, Status::InProgress);
    // A new app offers the session; Tab to the sessions pane, Enter resumes.
    let mut a = app_on(&store, Lang::Zh);
    let mut term = terminal(80, 24);
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(screen.contains("▶"), "{screen}");
    let screen = drive(&mut a, &mut term, vec![code(KeyCode::Tab), enter()]);
    assert!(screen.contains("已从上次中断处继续"), "{screen}");
    // It opens at the newest line (the question being asked), not at the top of the story.
    assert_eq!(a.play().expect("playing").scroll, 0);
    let rest = play_to_end(&mut a, &mut term);
    assert!(rest > 0);
    let sessions = store.list(&Filter::default()).expect("list");
    assert_eq!(sessions.len(), 1, "resuming does not start a new session");
    assert_eq!(sessions[0].status, Status::Finished);
    let events = store.events(sessions[0].id).expect("events");
    let answers = events
        .iter()
        .filter(|e| matches!(e.body, EventBody::Decision(_) | EventBody::IaeAnswer(_)))
        .count();
    assert_eq!(answers, first_two + rest, "no answer lost or repeated");
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (0..events.len() as u64).collect::<Vec<_>>());
    // The quit and the return are in the record, the return before the options shown again;
    // and how the lines were revealed.
    let kinds: Vec<&str> = events.iter().map(|e| e.body.type_name()).collect();
    let paused = kinds.iter().position(|k| *k == "paused").expect("a pause");
    let resumed = kinds
        .iter()
        .position(|k| *k == "resumed")
        .expect("a resumption");
    assert!(paused < resumed, "{kinds:?}");
    assert_eq!(kinds[resumed + 1], "options_presented", "{kinds:?}");
    assert!(matches!(&events[paused].body, EventBody::Paused(p) if p.reason == "quit"));
    assert!(kinds.contains(&"lines_revealed"), "{kinds:?}");
}

#[test]
fn training_mode_shows_right_and_wrong_and_is_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let mut opts = options(Lang::En, vec![repo().join("scripts")]);
    opts.training = true;
    let mut a = App::new(opts, Box::new(StorePort::new(store.clone())), (80, 24));
    let mut term = terminal(80, 24);
    a.open_play(&repo().join("scripts/en-shared-kitchen.yaml"), Mode::Iae)
        .expect("open");
    drive(&mut a, &mut term, vec![enter()]);
    // The reply that shows the item's ability, to be shown after the answer.
    let (right, ability) = {
        let p = a.play().expect("playing");
        let socius::tui::play::Phase::Iae(q) = &p.phase else {
            panic!("an IAE question")
        };
        let tree = &p.tree;
        let choice = &tree.nodes[q.item.node].choices[q.item.choice];
        let words: Vec<&str> = choice.say.text.split_whitespace().take(4).collect();
        let ability = socius::driver::records::item_abilities(tree, &q.item)[0].clone();
        (words.join(" "), ability)
    };
    let screen = drive(&mut a, &mut term, vec![key('1'), enter()]);
    assert!(
        screen.contains("✓ correct") || screen.contains("✗ incorrect"),
        "{screen}"
    );
    assert!(
        screen.contains("✓ Right.") || screen.contains("✗ Not this one."),
        "{screen}"
    );
    assert!(screen.contains(&ability), "{ability}: {screen}");
    assert!(screen.contains(&right), "{right}: {screen}");
    // The feedback stays until Enter; then the next item is asked.
    assert_eq!(a.play().expect("playing").option_count(), 0);
    drive(&mut a, &mut term, vec![enter()]);
    assert!(a.play().expect("playing").option_count() > 0);
    let s = &store.list(&Filter::default()).expect("list")[0];
    assert_eq!(s.meta["training"], true);
}

/// A script full of escape sequences (terminal title, clipboard, clear screen, colours, a
/// right-to-left override): whatever screen shows it, no cell holds a character a terminal
/// would act on.
#[test]
fn escape_sequences_in_a_script_never_reach_a_cell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let script = repo().join("tests/hostile/escapes.yaml");
    let mut a = App::new(
        options(Lang::En, vec![script.clone()]),
        Box::new(StorePort::new(store)),
        (80, 24),
    );
    let mut term = terminal(100, 30);
    a.open_play(&script, Mode::Both).expect("open");
    let mut screens = vec![drive(&mut a, &mut term, vec![])];
    for _ in 0..60 {
        let Some(p) = a.play() else { break };
        if !p.is_open() {
            break;
        }
        let keys = if p.option_count() > 0 {
            vec![key('1'), enter()]
        } else {
            vec![enter()]
        };
        screens.push(drive(&mut a, &mut term, keys));
    }
    assert!(screens.len() > 5, "the walk went on");
    assert!(screens[0].contains("shared"), "{}", screens[0]);
    for s in &screens {
        let bad: Vec<char> = s
            .chars()
            .filter(|c| *c != '\n' && socius::term::is_unsafe(*c))
            .collect();
        assert!(bad.is_empty(), "{bad:?} on\n{s}");
    }
}

/// A port whose store fails to list: the home screen says so, it does not show "no sessions".
struct BrokenStore;

impl socius::tui::app::SessionPort for BrokenStore {
    fn start(
        &mut self,
        _: &socius::tui::app::StartRequest<'_>,
    ) -> Result<Box<dyn socius::driver::Recorder>, socius::tui::app::PortError> {
        Err(socius::tui::app::PortError::Run("disk unplugged".into()))
    }
    fn rows(
        &self,
    ) -> Result<Vec<socius::tui::views::home::SessionRow>, socius::tui::app::PortError> {
        Err(socius::tui::app::PortError::Run("disk unplugged".into()))
    }
    fn resume(
        &mut self,
        id: &str,
    ) -> Result<socius::tui::app::ResumeInfo, socius::tui::app::PortError> {
        Err(socius::tui::app::PortError::NoSession(id.to_owned()))
    }
    fn detail(&self, id: &str) -> Result<socius::tui::app::Detail, socius::tui::app::PortError> {
        Err(socius::tui::app::PortError::NoSession(id.to_owned()))
    }
}

#[test]
fn a_store_that_fails_is_reported_not_shown_as_empty() {
    let mut a = App::new(
        options(Lang::En, vec![repo().join("scripts")]),
        Box::new(BrokenStore),
        (100, 30),
    );
    let mut term = terminal(100, 30);
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(screen.contains("disk unplugged"), "{screen}");
}

#[test]
fn a_session_starts_with_its_first_question_and_reopening_offers_to_resume_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let path = repo().join("scripts/en-shared-kitchen.yaml");
    let mut a = app_on(&store, Lang::En);
    let mut term = terminal(80, 24);
    // Opened and left at the introduction: nothing is stored.
    a.open_play(&path, Mode::Gae).expect("open");
    drive(&mut a, &mut term, vec![code(KeyCode::Esc), key('y')]);
    assert!(a.play().is_none());
    assert!(store.list(&Filter::default()).expect("list").is_empty());
    // Played to the first question: one session, with the screen it was played on.
    a.open_play(&path, Mode::Gae).expect("open");
    to_first_question(&mut a, &mut term);
    let sessions = store.list(&Filter::default()).expect("list");
    assert_eq!(sessions.len(), 1);
    let meta = &sessions[0].meta;
    assert_eq!(meta["terminal"], "80x24");
    assert_eq!(meta["interface_lang"], "en");
    assert_eq!(meta["theme"], "default");
    assert_eq!(meta["socius_version"], env!("CARGO_PKG_VERSION"));
    drive(&mut a, &mut term, vec![code(KeyCode::Esc), key('y')]);
    // Opening the same tree in the same mode offers the session in progress.
    a.open_play(&path, Mode::Gae).expect("open");
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(screen.contains("Resume it where you left off"), "{screen}");
    let screen = drive(&mut a, &mut term, vec![key('y')]);
    assert!(screen.contains("Resumed"), "{screen}");
    drive(&mut a, &mut term, vec![code(KeyCode::Esc), key('y')]);
    assert_eq!(store.list(&Filter::default()).expect("list").len(), 1);
    // n starts a second one (the first stays in progress).
    a.open_play(&path, Mode::Gae).expect("open");
    drive(&mut a, &mut term, vec![key('n')]);
    to_first_question(&mut a, &mut term);
    assert_eq!(store.list(&Filter::default()).expect("list").len(), 2);
}

#[test]
fn d_abandons_a_session_in_progress_after_asking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let path = repo().join("scripts/en-shared-kitchen.yaml");
    let mut a = app_on(&store, Lang::En);
    let mut term = terminal(80, 24);
    a.open_play(&path, Mode::Gae).expect("open");
    to_first_question(&mut a, &mut term);
    drive(&mut a, &mut term, vec![code(KeyCode::Esc), key('y')]);
    let screen = drive(&mut a, &mut term, vec![code(KeyCode::Tab)]);
    assert!(screen.contains("d  abandon"), "{screen}");
    let screen = drive(&mut a, &mut term, vec![key('d')]);
    assert!(screen.contains("Mark it abandoned?"), "{screen}");
    drive(&mut a, &mut term, vec![key('n')]);
    assert_eq!(
        store.list(&Filter::default()).expect("list")[0].status,
        Status::InProgress
    );
    let screen = drive(&mut a, &mut term, vec![key('d'), key('y')]);
    assert!(screen.contains("Session abandoned"), "{screen}");
    assert!(screen.contains("✓ done"), "listed as ended: {screen}");
    assert_eq!(
        store.list(&Filter::default()).expect("list")[0].status,
        Status::Abandoned
    );
}
