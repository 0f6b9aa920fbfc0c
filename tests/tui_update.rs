//! The app's model on its own: `State::update` takes messages and returns commands, with no
//! store, file or terminal behind it. These tests play the loop's part by hand, answering each
//! command as the store would — or as a failing store would.

mod common;

use std::sync::Arc;

use common::*;
use socius::script::load::load_file;
use socius::store::StoreError;
use socius::tui::app::{Cmd, Done, Msg, Opened, PortError, State};
use socius::tui::config::Config;
use socius::tui::i18n::Lang;
use socius::tui::library::Library;
use socius::tui::play::{Mode, Phase, Play};

fn state() -> State {
    let opts = options(Lang::En, Vec::new());
    let (state, cmds) = State::new(
        opts,
        Arc::new(Library::default()),
        Config::default(),
        None,
        (80, 24),
    );
    assert!(matches!(cmds[..], [Cmd::LoadSessions { .. }]), "{cmds:?}");
    state
}

fn opened(state: &mut State, mode: Mode) {
    let loaded = load_file(&repo().join("scripts/en-shared-kitchen.yaml"));
    let tree = Arc::new(loaded.world_tree().expect("a world tree").clone());
    let done = Done::Opened(Ok(Box::new(Opened {
        play: Play::new(tree, mode, 7),
        title: "kitchen".to_owned(),
        resumed: false,
        not_text: false,
    })));
    assert!(state.update(Msg::Done(Box::new(done))).is_empty());
}

fn failed_write() -> Msg {
    Msg::Done(Box::new(Done::Recorded(Err(PortError::Store(
        StoreError::Io {
            path: "store".into(),
            source: std::io::Error::other("disk full"),
        },
    )))))
}

fn written() -> Msg {
    Msg::Done(Box::new(Done::Recorded(Ok(()))))
}

/// Press Enter until a step asks for a write; return that write's events' kinds.
fn enter_until_write(state: &mut State) -> Vec<String> {
    for _ in 0..50 {
        let mut cmds = state.update(enter());
        match cmds.pop() {
            None => {}
            Some(Cmd::Record(events)) if cmds.is_empty() => {
                return events.iter().map(|e| e.type_name().to_owned()).collect();
            }
            other => panic!("unexpected commands {other:?} {cmds:?}"),
        }
    }
    panic!("no write asked for");
}

#[test]
fn a_step_shows_only_once_its_events_are_written_and_a_failed_write_leaves_the_screen() {
    let mut s = state();
    opened(&mut s, Mode::Gae);
    // Enter through the opening lines: the options come up and are recorded as presented,
    // after how the lines were revealed.
    let kinds = enter_until_write(&mut s);
    assert_eq!(kinds, ["lines_revealed", "options_presented"]);
    // Not shown yet: the screen still reveals lines, and keys wait.
    assert!(matches!(s.play().expect("play").phase, Phase::Reveal));
    assert!(s.update(key('1')).is_empty());
    // The store fails: the screen stays where it was and says why.
    assert!(s.update(failed_write()).is_empty());
    assert!(matches!(s.play().expect("play").phase, Phase::Reveal));
    let (status, error) = s.status().expect("a status");
    assert!(*error && status.contains("disk full"), "{status}");
    // Again, and this time the write succeeds: the options are on screen.
    assert_eq!(
        enter_until_write(&mut s),
        ["lines_revealed", "options_presented"]
    );
    assert!(s.update(written()).is_empty());
    assert!(matches!(s.play().expect("play").phase, Phase::Gae(_)));
    // An answer is a write too; until it is stored the question stays on screen.
    assert!(s.update(key('1')).is_empty());
    let cmds = s.update(enter());
    let [Cmd::Record(events)] = &cmds[..] else {
        panic!("{cmds:?}")
    };
    assert_eq!(events[0].type_name(), "decision");
    assert!(matches!(s.play().expect("play").phase, Phase::Gae(_)));
    assert!(s.update(failed_write()).is_empty());
    assert!(matches!(s.play().expect("play").phase, Phase::Gae(_)));
    assert_eq!(
        s.play().expect("play").selected(),
        Some(0),
        "the choice is kept"
    );
}

#[test]
fn leaving_a_finished_session_lets_it_go_and_lists_the_sessions_again() {
    let mut s = state();
    opened(&mut s, Mode::Gae);
    for _ in 0..400 {
        let Some(play) = s.play() else { break };
        if !play.is_open() {
            break;
        }
        if play.option_count() > 0 {
            s.update(key('1'));
        }
        let cmds = s.update(enter());
        if let [Cmd::Record(_)] = &cmds[..] {
            s.update(written());
        }
    }
    assert!(!s.play().expect("play").is_open(), "the walk ended");
    let cmds = s.update(code(crossterm::event::KeyCode::Esc));
    assert!(
        matches!(cmds[..], [Cmd::CloseSession, Cmd::LoadSessions { .. }]),
        "{cmds:?}"
    );
    assert!(s.play().is_none());
}

#[test]
fn a_signal_quits_at_once_even_with_a_session_open() {
    let mut s = state();
    opened(&mut s, Mode::Iae);
    assert!(s.session_open());
    // The pause is recorded (by the loop, before it ends).
    let cmds = s.update(Msg::Signal(15));
    assert!(matches!(cmds[..], [Cmd::Pause("signal")]), "{cmds:?}");
    assert!(s.quit);
}
