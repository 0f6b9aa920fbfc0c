//! The baseline report screen (`b` in the library) on a TestBackend, over a store built
//! through the `Store` API: the rates, intervals and counts on screen are recomputed here from
//! the fixture, not taken from `socius::report`.

mod common;

use common::{code, drive, key, options, repo, terminal};
use crossterm::event::KeyCode;
use serde_json::json;
use socius::session::{
    Ending, EndingOutcome, EventBody, NewSession, ScriptRef, SessionKind, Status, StatusChange, Who,
};
use socius::store::Store;
use socius::tui::app::App;
use socius::tui::i18n::Lang;
use socius::tui::store_port::StorePort;

const Z: f64 = 1.959_963_984_540_054;

/// One finished GAE episode on `tree`, by a person or in a model's run.
fn episode(store: &Store, who: Result<&str, &str>, tree: &str, outcome: &str, seed: u64) {
    let (who, run, meta) = match who {
        Ok(a) => (Who::annotator(a), None, json!({"mode": "gae"})),
        Err(m) => (
            Who::Model {
                name: m.to_owned(),
                endpoint_host: "127.0.0.1".into(),
                params: serde_json::Map::new(),
            },
            Some("run-1"),
            json!({"tree": tree, "orientation": "cooperation", "episode": seed}),
        ),
    };
    let mut new = NewSession::new(
        SessionKind::WorldTreeGae,
        ScriptRef::new(tree, tree.as_bytes()),
        who,
        seed,
    );
    new.meta = meta;
    new.run_id = run.map(Into::into);
    let id = store.create(new).unwrap().id;
    store
        .append(
            id,
            EventBody::Ending(Ending {
                node: "end".into(),
                outcome: Some(EndingOutcome::from(outcome)),
            }),
        )
        .unwrap();
    store
        .append(
            id,
            EventBody::SessionStatus(StatusChange {
                status: Status::Finished,
                reason: None,
            }),
        )
        .unwrap();
}

/// One finished IAE sitting of a person: `answers` are (ability, correct).
fn sitting(store: &Store, annotator: &str, tree: &str, answers: &[(&str, bool)], seed: u64) {
    let mut new = NewSession::new(
        SessionKind::WorldTreeIae,
        ScriptRef::new(tree, tree.as_bytes()),
        Who::annotator(annotator),
        seed,
    );
    new.meta = json!({"mode": "iae"});
    let id = store.create(new).unwrap().id;
    common::walks::iae_answers(store, id, answers);
    store
        .append(
            id,
            EventBody::SessionStatus(StatusChange {
                status: Status::Finished,
                reason: None,
            }),
        )
        .unwrap();
}

/// Wilson 95 % in percent, one decimal as the screen shows it.
fn wilson(k: f64, n: f64) -> (f64, f64) {
    let p = k / n;
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    (
        ((centre - half).max(0.0) * 10_000.0).round() / 100.0,
        ((centre + half).min(1.0) * 10_000.0).round() / 100.0,
    )
}

fn fixture(store: &Store) {
    // Humans on tree t1: a1 succeeds twice of three, a2 once of one → 3 of 4.
    episode(store, Ok("a1"), "t1", "success", 1);
    episode(store, Ok("a1"), "t1", "success", 2);
    episode(store, Ok("a1"), "t1", "failure", 3);
    episode(store, Ok("a2"), "t1", "success", 4);
    // A model's run on t1: one of three.
    episode(store, Err("tiny-model"), "t1", "success", 0);
    episode(store, Err("tiny-model"), "t1", "failure", 1);
    episode(store, Err("tiny-model"), "t1", "partial", 2);
    // A tree only humans played: left out.
    episode(store, Ok("a1"), "t2", "success", 5);
    sitting(
        store,
        "a1",
        "t1",
        &[("teamwork skill", true), ("teamwork skill", false)],
        6,
    );
}

fn app(store: &Store, lang: Lang, w: u16, h: u16) -> App {
    App::new(
        options(lang, vec![repo().join("scripts")]),
        Box::new(StorePort::new(store.clone())),
        (w, h),
    )
}

#[test]
fn the_report_screen_shows_humans_and_the_model_with_their_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    fixture(&store);
    let mut a = app(&store, Lang::En, 160, 48);
    let mut term = terminal(160, 48);
    let text = drive(&mut a, &mut term, vec![key('b')]);
    assert!(text.contains("Baseline report"), "{text}");
    assert!(text.contains("trees both played: 1 "), "{text}");
    let humans = format!("{:5.1} %", 100.0 * 3.0 / 4.0);
    let (lo, hi) = wilson(3.0, 4.0);
    let human_row = text
        .lines()
        .find(|l| l.contains("humans") && l.contains('█'))
        .unwrap_or_else(|| panic!("no human bar: {text}"));
    assert!(human_row.contains(&humans), "{human_row}");
    assert!(
        human_row.contains(&format!("[{lo:.1}–{hi:.1}]")),
        "{human_row}"
    );
    assert!(human_row.contains("3/4 episodes"), "{human_row}");
    let model_row = text
        .lines()
        .find(|l| l.contains("tiny-model") && l.contains("episodes"))
        .unwrap_or_else(|| panic!("no model bar: {text}"));
    let (lo, hi) = wilson(1.0, 3.0);
    assert!(
        model_row.contains(&format!("{:5.1} %", 100.0 / 3.0)),
        "{model_row}"
    );
    assert!(
        model_row.contains(&format!("[{lo:.1}–{hi:.1}]")),
        "{model_row}"
    );
    // The only tree humans alone played is counted as left out.
    assert!(text.contains("tree_not_played_by_both"), "{text}");
    // The bar is as long as the rate: 3/4 of the bar's cells are full.
    let full = human_row.chars().filter(|c| *c == '█').count();
    let light = human_row.chars().filter(|c| *c == '░').count();
    assert!(full > 0 && light > 0, "{human_row}");
    // Esc goes back to the library.
    let text = drive(&mut a, &mut term, vec![code(KeyCode::Esc)]);
    assert!(!text.contains("Baseline report"), "{text}");
}

#[test]
fn the_report_screen_at_80x24_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    fixture(&store);
    for (lang, name) in [(Lang::En, "en"), (Lang::Zh, "zh")] {
        for (w, h) in [(80, 24), (160, 48)] {
            let mut a = app(&store, lang, w, h);
            let mut term = terminal(w, h);
            let text = drive(&mut a, &mut term, vec![key('b')]);
            // Every row fits the width (no bar pushed off the screen).
            assert!(text.contains('█'), "{text}");
            insta::assert_snapshot!(format!("report_{name}_{w}x{h}"), text);
            if (w, h) == (80, 24) {
                // Scrolling to the end shows what was left out.
                let text = drive(&mut a, &mut term, vec![code(KeyCode::End)]);
                insta::assert_snapshot!(format!("report_{name}_{w}x{h}_end"), text);
            }
        }
    }
}

#[test]
fn an_empty_store_says_no_tree_is_compared() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut a = app(&store, Lang::En, 80, 24);
    let mut term = terminal(80, 24);
    let text = drive(&mut a, &mut term, vec![key('b')]);
    assert!(text.contains("No tree has been played by both"), "{text}");
    assert!(
        !text
            .lines()
            .any(|l| l.contains("humans") && l.contains('█')),
        "{text}"
    );
}
