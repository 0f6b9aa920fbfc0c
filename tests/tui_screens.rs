//! Every screen of the TUI as text snapshots, at 80×24 and 120×40, in English and Chinese.
//! Review changes with `cargo insta review`.

mod common;

use common::*;
use crossterm::event::KeyCode;
use socius::tui::app::App;
use socius::tui::i18n::Lang;
use socius::tui::play::Mode;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn app(lang: Lang, w: u16, h: u16) -> App {
    App::new(
        options(lang, vec![repo().join("scripts")]),
        Box::new(NullPort),
        (w, h),
    )
}

fn snap(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, text);
    });
}

fn tag(lang: Lang, w: u16, h: u16) -> String {
    let l = match lang {
        Lang::En => "en",
        Lang::Zh => "zh",
    };
    format!("{l}_{w}x{h}")
}

#[test]
fn home_search_filters_and_mode_chooser() {
    for lang in [Lang::En, Lang::Zh] {
        for (w, h) in SIZES {
            let t = tag(lang, w, h);
            let mut a = app(lang, w, h);
            let mut term = terminal(w, h);
            snap(&format!("home_{t}"), &drive(&mut a, &mut term, vec![]));
            let screen = drive(&mut a, &mut term, vec![key('l'), key('l')]);
            snap(&format!("home_filter_zh_{t}"), &screen);
            let screen = drive(
                &mut a,
                &mut term,
                vec![key('l'), key('/'), key('k'), key('i'), key('t'), enter()],
            );
            snap(&format!("home_search_{t}"), &screen);
            snap(
                &format!("mode_chooser_{t}"),
                &drive(&mut a, &mut term, vec![enter()]),
            );
            snap(
                &format!("help_{t}"),
                &drive(&mut a, &mut term, vec![code(KeyCode::Esc), key('?')]),
            );
        }
    }
}

fn script(lang: Lang) -> std::path::PathBuf {
    repo().join(match lang {
        Lang::En => "scripts/en-shared-kitchen.yaml",
        Lang::Zh => "scripts/zh-group-project.yaml",
    })
}

#[test]
fn a_gae_walk_screen_by_screen() {
    for lang in [Lang::En, Lang::Zh] {
        for (w, h) in SIZES {
            let t = tag(lang, w, h);
            let mut a = app(lang, w, h);
            a.open_play(&script(lang), Mode::Gae).expect("open");
            let mut term = terminal(w, h);
            snap(
                &format!("play_intro_{t}"),
                &drive(&mut a, &mut term, vec![]),
            );
            snap(
                &format!("play_reveal_{t}"),
                &drive(&mut a, &mut term, vec![enter()]),
            );
            let screen = drive(&mut a, &mut term, vec![key('a'), key('2')]);
            snap(&format!("play_options_{t}"), &screen);
            // Walk on with the first option until the end.
            let mut guard = 0;
            while a.play().is_some_and(socius::tui::play::Play::is_open) && guard < 60 {
                drive(&mut a, &mut term, vec![key('a'), key('1'), enter()]);
                guard += 1;
            }
            snap(
                &format!("play_ending_{t}"),
                &drive(&mut a, &mut term, vec![]),
            );
        }
    }
}

#[test]
fn iae_items_and_the_quit_dialog() {
    for lang in [Lang::En, Lang::Zh] {
        for (w, h) in SIZES {
            let t = tag(lang, w, h);
            let mut a = app(lang, w, h);
            a.open_play(&script(lang), Mode::Iae).expect("open");
            let mut term = terminal(w, h);
            snap(
                &format!("iae_item_{t}"),
                &drive(&mut a, &mut term, vec![enter(), key('3')]),
            );
            snap(
                &format!("quit_confirm_{t}"),
                &drive(&mut a, &mut term, vec![key('q')]),
            );
            drive(&mut a, &mut term, vec![key('n')]);
            assert!(!a.quitting(), "n stays");
            drive(&mut a, &mut term, vec![key('q'), key('y')]);
            assert!(a.quitting(), "y quits");
        }
    }
}

#[test]
fn the_annotator_is_asked_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = options(Lang::En, vec![repo().join("scripts")]);
    opts.annotator = None;
    opts.config_dir = Some(dir.path().to_path_buf());
    let mut a = App::new(opts.clone(), Box::new(NullPort), (80, 24));
    let mut term = terminal(80, 24);
    a.open_play(&script(Lang::En), Mode::Gae).expect("open");
    let screen = drive(&mut a, &mut term, vec![]);
    snap("ask_name_en_80x24", &screen);
    let typed: Vec<_> = "mei".chars().map(key).chain([enter()]).collect();
    let screen = drive(&mut a, &mut term, typed);
    assert!(screen.contains("annotator: mei"), "{screen}");
    // The next run knows the name.
    let b = App::new(opts, Box::new(NullPort), (80, 24));
    let mut term = terminal(80, 24);
    let mut b = b;
    assert!(drive(&mut b, &mut term, vec![]).contains("annotator: mei"));
}

#[test]
fn tiny_terminals_get_a_message_and_resizing_redraws() {
    let mut a = app(Lang::En, 30, 10);
    let mut term = terminal(30, 10);
    let screen = drive(&mut a, &mut term, vec![]);
    assert!(screen.contains("Terminal too"), "{screen}");
    term.backend_mut().resize(80, 24);
    let screen = drive(
        &mut a,
        &mut term,
        vec![socius::tui::app::Msg::Resize(80, 24)],
    );
    assert!(screen.contains("Library"), "{screen}");
}

#[test]
fn model_run_form_and_empty_runs_list() {
    for lang in [Lang::En, Lang::Zh] {
        for (w, h) in SIZES {
            let t = tag(lang, w, h);
            let mut a = app(lang, w, h);
            let mut term = terminal(w, h);
            snap(
                &format!("run_form_{t}"),
                &drive(&mut a, &mut term, vec![key('m')]),
            );
            // Metric IAE, protocol socialeval: the episodes field no longer applies.
            snap(
                &format!("run_form_iae_{t}"),
                &drive(
                    &mut a,
                    &mut term,
                    vec![
                        code(KeyCode::Down),
                        code(KeyCode::Right),
                        code(KeyCode::Down),
                        code(KeyCode::Right),
                    ],
                ),
            );
            snap(
                &format!("runs_empty_{t}"),
                &drive(&mut a, &mut term, vec![code(KeyCode::Esc), key('r')]),
            );
        }
    }
}

/// Every key a status-bar hint shows, on every screen, resolves to the hint's action.
#[test]
fn every_hint_key_does_what_it_says() {
    use socius::tui::keymap::{Action, action_for, keys_of};
    let check = |a: &App, screen: &str| {
        let hints = a.hints();
        assert!(!hints.is_empty(), "{screen}: no hints");
        for (label, action) in hints {
            let keys = keys_of(&label);
            assert!(!keys.is_empty(), "{screen}: hint {label:?} names no key");
            for k in keys {
                let got = action_for(&k);
                let ok = got.is_some_and(|g| {
                    matches!((g, action), (Action::Pick(_), Action::Pick(_))) || g == action
                });
                assert!(
                    ok,
                    "{screen}: {label:?} for {action:?}, but {k:?} does {got:?}"
                );
            }
        }
    };
    let mut a = app(Lang::En, 80, 24);
    let mut term = terminal(80, 24);
    drive(&mut a, &mut term, vec![]);
    check(&a, "home");
    drive(&mut a, &mut term, vec![key('r')]);
    check(&a, "runs");
    let mut a = app(Lang::En, 80, 24);
    a.open_play(&script(Lang::En), Mode::Gae).expect("open");
    drive(&mut a, &mut term, vec![enter()]);
    check(&a, "reveal");
    drive(&mut a, &mut term, vec![key('a')]);
    let hints = a.hints();
    assert_eq!(
        hints[0].0, "1-3",
        "as many option keys as options: {hints:?}"
    );
    check(&a, "question");
    let mut guard = 0;
    while a.play().is_some_and(socius::tui::play::Play::is_open) && guard < 60 {
        drive(&mut a, &mut term, vec![key('a'), key('1'), enter()]);
        guard += 1;
    }
    check(&a, "ending");
}
