//! Options that do not fit: they come before the story, say how many there are, scroll with
//! PgDn, and the clock starts only once the last one has been on screen (the answer records
//! that the options had to scroll). The introduction scrolls too.

mod common;

use common::*;
use crossterm::event::KeyCode;
use socius::session::EventBody;
use socius::store::{Filter, Store};
use socius::tui::app::App;
use socius::tui::i18n::Lang;
use socius::tui::play::Mode;
use socius::tui::store_port::StorePort;

fn fixture() -> std::path::PathBuf {
    repo().join("tests/fixtures/tui/long-options.yaml")
}

fn app_on(store: &Store, size: (u16, u16)) -> App {
    let mut a = App::new(
        options(Lang::En, vec![fixture()]),
        Box::new(StorePort::new(store.clone())),
        size,
    );
    a.open_play(&fixture(), Mode::Iae).expect("opens");
    a
}

fn answers(store: &Store) -> Vec<socius::session::IaeAnswer> {
    let sessions = store.list(&Filter::default()).expect("list");
    let mut out = Vec::new();
    for s in sessions {
        for e in store.events(s.id).expect("events") {
            if let EventBody::IaeAnswer(a) = e.body {
                out.push(a);
            }
        }
    }
    out
}

const ENDS: [&str; 4] = ["CANDIDATE-END", "FIRST-END", "SECOND-END", "THIRD-END"];

#[test]
fn at_80x24_four_long_options_are_all_on_screen_when_the_clock_starts() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path()).expect("store");
    let mut a = app_on(&store, (80, 24));
    let mut term = terminal(80, 24);
    let screen = drive(&mut a, &mut term, vec![enter()]);
    assert!(screen.contains("4 options"), "{screen}");
    for end in ENDS {
        assert!(screen.contains(end), "{end} not on screen:\n{screen}");
    }
    let seen = *a.play().expect("play").seen().expect("a question");
    assert!(seen.all_seen.is_some() && !seen.scrolled, "{seen:?}");
    drive(&mut a, &mut term, vec![key('2'), enter()]);
    let got = answers(&store);
    assert_eq!(got.len(), 1);
    assert!(!got[0].options_scrolled);
}

#[test]
fn on_a_small_screen_the_options_scroll_and_the_clock_waits_for_the_last_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path()).expect("store");
    let (w, h) = (60, 16);
    let mut a = app_on(&store, (w, h));
    let mut term = terminal(w, h);
    let screen = drive(&mut a, &mut term, vec![enter()]);
    assert!(screen.contains("▼ PgDn"), "{screen}");
    let visible = ENDS.iter().filter(|e| screen.contains(*e)).count();
    assert!(visible < 4, "all four fit:\n{screen}");
    assert!(
        screen.contains("PgDn  scroll"),
        "the hint names PgDn:\n{screen}"
    );
    let seen = *a.play().expect("play").seen().expect("a question");
    assert!(seen.all_seen.is_none() && seen.scrolled, "{seen:?}");
    // PgDn scrolls the options (not the story) until the last one shows.
    let mut shown_last = false;
    for _ in 0..10 {
        let screen = drive(&mut a, &mut term, vec![code(KeyCode::PageDown)]);
        let seen = *a.play().expect("play").seen().expect("a question");
        if seen.all_seen.is_some() {
            // The clock started with the last option on screen, the box scrolled down.
            assert!(
                screen.contains("▲ PgUp") && !screen.contains("▼ PgDn"),
                "{screen}"
            );
            shown_last = true;
            break;
        }
        assert!(screen.contains("▼ PgDn"), "{screen}");
    }
    assert!(shown_last, "PgDn never showed the last option");
    // Choosing the first option brings it back into view; the answer says it scrolled.
    let screen = drive(&mut a, &mut term, vec![key('1')]);
    assert!(screen.contains("1. "), "{screen}");
    drive(&mut a, &mut term, vec![enter()]);
    let got = answers(&store);
    assert_eq!(got.len(), 1);
    assert!(got[0].options_scrolled);
}

#[test]
fn the_introduction_scrolls_to_its_last_card() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path()).expect("store");
    let mut a = app_on(&store, (60, 16));
    let mut term = terminal(60, 16);
    let first = drive(&mut a, &mut term, vec![]);
    assert!(first.contains("Scenario"), "{first}");
    assert!(!first.contains("LAST-WORDS-OF-BEN"), "{first}");
    let mut reached = false;
    for _ in 0..40 {
        let screen = drive(&mut a, &mut term, vec![code(KeyCode::Down)]);
        if screen.contains("LAST-WORDS-OF-BEN") {
            reached = true;
            assert!(!screen.contains("Scenario"), "scrolled:\n{screen}");
            break;
        }
    }
    assert!(reached, "Down never reached the last card");
    // Up comes back at once (the scroll never ran past the end).
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(screen.contains("LAST-WORDS-OF-BEN"));
    let mut back = false;
    for _ in 0..40 {
        let screen = drive(&mut a, &mut term, vec![code(KeyCode::Up)]);
        if screen.contains("Scenario") {
            back = true;
            break;
        }
    }
    assert!(back, "Up never came back to the top");
}

#[test]
fn a_tree_whose_options_are_not_sentences_is_badged_and_warned_about() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path()).expect("store");
    let flagged = repo().join("tests/fixtures/tui/not-text.yaml");
    let mut a = App::new(
        options(Lang::En, vec![flagged.clone(), fixture()]),
        Box::new(StorePort::new(store)),
        (80, 24),
    );
    let mut term = terminal(80, 24);
    let screen = drive(&mut a, &mut term, vec![]);
    let badged: Vec<&str> = screen.lines().filter(|l| l.contains("⚠ ")).collect();
    assert_eq!(badged.len(), 1, "{screen}");
    assert!(badged[0].contains("A tree with moves"), "{screen}");
    // Enter on it (it sorts first): the mode chooser warns.
    let screen = drive(&mut a, &mut term, vec![enter()]);
    assert!(screen.contains("not sentences"), "{screen}");
    // Opened directly (`socius play`), the status bar warns.
    let screen = drive(&mut a, &mut term, vec![code(KeyCode::Esc)]);
    assert!(!screen.contains("not sentences"), "{screen}");
    a.open_play(&flagged, Mode::Gae).expect("opens");
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(screen.contains("⚠ Some options"), "{screen}");
}
