//! The TUI's model runs, headless on a TestBackend against a sled store in a temporary
//! directory and a policy server on 127.0.0.1: start a run from the library form, watch it end,
//! read the results and every episode, go down to an episode's prompt and reply, stop a run,
//! quit while one runs.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};
use socius::engine::iae;
use socius::script::load::load_file;
use socius::script::model::{NodeKind, Outcome, WorldTree};
use socius::session::Status;
use socius::store::{Filter, Store};
use socius::tui::app::{App, Msg};
use socius::tui::config::Config;
use socius::tui::i18n::Lang;
use socius::tui::store_port::StorePort;

const W: u16 = 100;
const H: u16 = 30;

struct Rig {
    _rt: tokio::runtime::Runtime,
    server: LoopbackServer,
    dir: tempfile::TempDir,
}

impl Rig {
    fn new(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let server = rt
            .block_on(LoopbackServer::start(handler))
            .expect("loopback server");
        Self {
            _rt: rt,
            server,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn store_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("store")
    }

    fn config_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("config")
    }

    fn app(&self, lang: Lang) -> App {
        let port = StorePort::open(&self.store_dir()).expect("store");
        let mut opts = options(lang, vec![repo().join("scripts")]);
        opts.config_dir = Some(self.config_dir());
        App::new(opts, Box::new(port), (W, H))
    }
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn text(s: &str) -> Vec<Msg> {
    s.chars().map(key).collect()
}

/// Keys that fill the form: endpoint, model, then `rest` (from the metric field on).
fn form(endpoint: &str, model: &str, rest: Vec<Msg>) -> Vec<Msg> {
    let mut keys = vec![key('m'), code(KeyCode::Up), ctrl('u')];
    keys.extend(text(endpoint));
    keys.push(code(KeyCode::Down));
    keys.push(ctrl('u'));
    keys.extend(text(model));
    keys.push(code(KeyCode::Down));
    keys.extend(rest);
    keys
}

/// Wait for the run started in `app` to end (blocking on the run's result, not sleeping).
fn wait_end(app: &mut App) {
    let start = Instant::now();
    while !app.wait_run(Duration::from_millis(200)) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the run did not end"
        );
    }
}

/// The ending a walk that always takes the first option reaches.
fn first_option_ending(tree: &WorldTree) -> Outcome {
    let mut i = tree.start().expect("a start node");
    loop {
        let node = &tree.nodes[i];
        if node.kind == NodeKind::Ending {
            return node.outcome.unwrap_or(Outcome::Unlabelled);
        }
        let first = node.choices.first().expect("an option");
        i = tree.node_index(&first.target).expect("target");
    }
}

fn bundled_trees() -> Vec<WorldTree> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo().join("scripts")).expect("scripts") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let loaded = load_file(&path);
            out.push(loaded.world_tree().expect("a world tree").clone());
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn run_sessions(store_dir: &Path, run: &str) -> Vec<socius::session::Session> {
    let store = Store::open(store_dir).expect("store");
    store
        .list(&Filter {
            run_id: Some(run.into()),
            ..Filter::default()
        })
        .expect("list")
}

#[test]
fn a_gae_run_started_from_the_library_runs_to_the_end_and_shows_every_episode() {
    let rig = Rig::new(|_| Reply::completion(r#"{"choice": "A", "reason": "first"}"#));
    let mut app = rig.app(Lang::En);
    let mut term = terminal(W, H);
    let endpoint = rig.server.base_url();
    // Metric GAE, protocol socius, 2 episodes per tree, 3 calls in flight.
    let mut keys = form(&endpoint, "policy-first", vec![code(KeyCode::Down)]);
    keys.extend([
        code(KeyCode::Down),
        code(KeyCode::Backspace),
        code(KeyCode::Backspace),
        key('2'),
        code(KeyCode::Down),
        code(KeyCode::Backspace),
        key('3'),
        enter(),
    ]);
    let screen = drive(&mut app, &mut term, keys);
    let run = app.run_id().expect("a run started").to_owned();
    assert!(screen.contains(&run), "{screen}");
    assert!(screen.contains("GAE · policy-first · socius"), "{screen}");
    wait_end(&mut app);
    let screen = drive(&mut app, &mut term, vec![]);
    let trees = bundled_trees();
    let slots = trees.len() * 2;
    assert!(
        screen.contains(&format!("finished: {slots}/{slots}")),
        "{screen}"
    );
    // Every episode is listed with the ending the first-option walk reaches.
    for tree in &trees {
        let outcome = first_option_ending(tree).name();
        for ep in 0..2 {
            let row = format!("{} #{ep} · {outcome} ·", tree.title);
            assert!(screen.contains(&row), "no row {row:?} in\n{screen}");
        }
    }
    // The results table (Tab at this width) counts them by orientation.
    let screen = drive(&mut app, &mut term, vec![code(KeyCode::Tab)]);
    for tree in &trees {
        let successes = usize::from(first_option_ending(tree) == Outcome::Success) * 2;
        let line = screen
            .lines()
            .find(|l| l.contains(&format!("{} (", tree.orientation.name())))
            .unwrap_or_else(|| panic!("no row for {}\n{screen}", tree.orientation.name()));
        let cells: Vec<&str> = line.split_whitespace().collect();
        let i = cells
            .iter()
            .position(|c| c.ends_with(')'))
            .expect("orientation cell");
        assert_eq!(cells[i + 1], "2", "{line}");
        assert_eq!(cells[i + 2], successes.to_string(), "{line}");
    }
    // The store holds one finished session per slot, of the run, and the form remembered.
    drop(app);
    let sessions = run_sessions(&rig.store_dir(), &run);
    assert_eq!(sessions.len(), slots);
    assert!(sessions.iter().all(|s| s.status == Status::Finished));
    let config = Config::load(&rig.config_dir()).expect("config");
    assert_eq!(config.endpoint.as_deref(), Some(endpoint.as_str()));
    assert_eq!(config.model.as_deref(), Some("policy-first"));
    // Every request went to our server with the model's name, asking for a stream.
    let requests = rig.server.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        let body = r.json().expect("a JSON body");
        assert_eq!(body["model"], "policy-first");
        assert_eq!(body["stream"], true);
    }
}

#[test]
fn an_episode_opens_on_its_prompt_raw_reply_and_parsed_answer_and_esc_comes_back() {
    // Streamed in pieces, as the TUI asks for.
    let rig = Rig::new(|_| {
        let piece = |text: &str| {
            format!(
                "data: {}\n\n",
                serde_json::json!({"choices": [{"index": 0, "delta": {"content": text}}]})
            )
            .into_bytes()
        };
        Reply::sse_chunks(
            vec![
                piece("After some thought: "),
                piece("Option B."),
                b"data: [DONE]\n\n".to_vec(),
            ],
            Duration::ZERO,
        )
    });
    let mut app = rig.app(Lang::En);
    let mut term = terminal(W, H);
    let keys = form(
        &rig.server.base_url(),
        "policy-b",
        // IAE, at most 32 tokens per answer, selected script only (the first in the library).
        vec![
            code(KeyCode::Right),
            code(KeyCode::Down),
            code(KeyCode::Down),
            code(KeyCode::Down),
            code(KeyCode::Down),
            key('3'),
            key('2'),
            code(KeyCode::Down),
            code(KeyCode::Right),
            enter(),
        ],
    );
    drive(&mut app, &mut term, keys);
    wait_end(&mut app);
    let sent = rig.server.requests();
    assert!(!sent.is_empty());
    assert!(
        sent.iter()
            .all(|r| r.json().is_some_and(|b| b["max_tokens"] == 32)),
        "every request carries the form's limit"
    );
    let screen = drive(&mut app, &mut term, vec![]);
    assert!(screen.contains("IAE · policy-b"), "{screen}");
    assert!(screen.contains("finished: 1/1"), "{screen}");
    // Every streamed answer was read: no item dropped.
    assert!(screen.contains("correct"), "{screen}");
    assert!(!screen.contains("dropped"), "{screen}");
    let detail = drive(&mut app, &mut term, vec![enter()]);
    assert!(detail.contains("prompt"), "{detail}");
    assert!(detail.contains("[system]"), "{detail}");
    let all = drive(
        &mut app,
        &mut term,
        vec![code(KeyCode::PageDown), code(KeyCode::PageDown)],
    );
    assert!(
        all.contains("Option B") || detail.contains("Option B"),
        "the raw reply is shown:\n{detail}\n{all}"
    );
    let back = drive(&mut app, &mut term, vec![code(KeyCode::Esc)]);
    assert!(back.contains("Episodes (1)"), "{back}");
    let home = drive(&mut app, &mut term, vec![code(KeyCode::Esc)]);
    assert!(home.contains("Library"), "{home}");
    // The runs list shows it.
    let runs = drive(&mut app, &mut term, vec![key('r')]);
    let run = app.run_id().expect("run").to_owned();
    assert!(runs.contains(&run), "{runs}");
    assert!(runs.contains("IAE · policy-b · socius · ✓1"), "{runs}");
}

#[test]
fn x_stops_a_run_finished_episodes_stay_and_nothing_is_left_in_progress() {
    // Slow answers, one call at a time: the run is surely going when x is pressed.
    let rig = Rig::new(|_| {
        Reply::Delay(
            Duration::from_millis(40),
            Box::new(Reply::completion(r#"{"choice": "A"}"#)),
        )
    });
    let mut app = rig.app(Lang::En);
    let mut term = terminal(W, H);
    let mut keys = form(&rig.server.base_url(), "slow", vec![code(KeyCode::Down)]);
    keys.extend([
        code(KeyCode::Down),
        code(KeyCode::Backspace),
        code(KeyCode::Backspace),
        key('5'),
        code(KeyCode::Down),
        code(KeyCode::Backspace),
        key('1'),
        enter(),
    ]);
    drive(&mut app, &mut term, keys);
    let run = app.run_id().expect("run").to_owned();
    // Wait (on the run's channel) until at least one episode is done, then stop.
    let start = Instant::now();
    loop {
        assert!(!app.wait_run(Duration::from_millis(50)), "ended too soon");
        let screen = drive(&mut app, &mut term, vec![]);
        if screen.contains("✓") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{screen}");
    }
    drive(&mut app, &mut term, vec![key('x')]);
    wait_end(&mut app);
    let screen = drive(&mut app, &mut term, vec![]);
    assert!(screen.contains("stopped; continue it with"), "{screen}");
    assert!(
        screen.contains(&format!("socius eval gae --resume {run}")),
        "{screen}"
    );
    drop(app);
    let sessions = run_sessions(&rig.store_dir(), &run);
    let finished = sessions
        .iter()
        .filter(|s| s.status == Status::Finished)
        .count();
    assert!(finished >= 1);
    assert!(finished < 20, "stopped before the end");
    assert!(
        sessions.iter().all(|s| s.status != Status::InProgress),
        "{sessions:?}"
    );
}

#[test]
fn quitting_while_a_run_goes_asks_first_then_stops_it_cleanly() {
    let rig = Rig::new(|_| Reply::Hang);
    let mut app = rig.app(Lang::Zh);
    let mut term = terminal(W, H);
    drive(
        &mut app,
        &mut term,
        form(&rig.server.base_url(), "hangs", vec![enter()]),
    );
    let run = app.run_id().expect("run").to_owned();
    // Quit once calls hang at the server: their sessions exist by then (an episode's session
    // is stored before its first call), so the stop has something to mark.
    let start = Instant::now();
    while rig.server.in_flight() == 0 {
        assert!(!app.wait_run(Duration::from_millis(20)), "the run ended");
        assert!(start.elapsed() < Duration::from_secs(60), "no call came");
    }
    let ask = drive(&mut app, &mut term, vec![key('q')]);
    assert!(ask.contains("模型运行仍在进行"), "{ask}");
    assert!(!app.quitting());
    drive(&mut app, &mut term, vec![key('y')]);
    assert!(app.quitting());
    assert_eq!(app.stop_run(), Some(run.clone()));
    drop(app);
    let sessions = run_sessions(&rig.store_dir(), &run);
    assert!(!sessions.is_empty());
    assert!(
        sessions.iter().all(|s| s.status == Status::Abandoned),
        "{sessions:?}"
    );
}

#[test]
fn the_form_refuses_an_empty_model_a_zero_and_a_bad_endpoint_without_starting() {
    let rig = Rig::new(|_| Reply::completion("A"));
    let mut app = rig.app(Lang::En);
    let mut term = terminal(W, H);
    let screen = drive(
        &mut app,
        &mut term,
        form(&rig.server.base_url(), "", vec![enter()]),
    );
    assert!(screen.contains("Give the model's name."), "{screen}");
    assert!(app.run_id().is_none());
    // The focus went to the model.
    let mut keys = text("m1");
    keys.extend([
        code(KeyCode::Down),
        code(KeyCode::Down),
        code(KeyCode::Down),
        code(KeyCode::Down),
        ctrl('u'),
        key('0'),
        enter(),
    ]);
    let screen = drive(&mut app, &mut term, keys);
    assert!(
        screen.contains("Calls in flight: must be a whole number from 1 up"),
        "{screen}"
    );
    assert!(app.run_id().is_none());
    // A limit of 0 tokens is refused too; blank means the server's.
    let screen = drive(
        &mut app,
        &mut term,
        vec![ctrl('u'), key('4'), code(KeyCode::Down), key('0'), enter()],
    );
    assert!(
        screen.contains("Max tokens: must be a whole number from 1 up"),
        "{screen}"
    );
    // The focus is on the limit; blank again, then down twice wraps round to the endpoint.
    let mut keys = vec![
        code(KeyCode::Backspace),
        code(KeyCode::Down),
        code(KeyCode::Down),
    ];
    keys.push(ctrl('u'));
    keys.extend(text("ftp://nowhere"));
    keys.push(enter());
    let screen = drive(&mut app, &mut term, keys);
    assert!(screen.contains("endpoint"), "{screen}");
    assert!(app.run_id().is_none(), "{screen}");
    // Esc closes the form; nothing was stored.
    let screen = drive(&mut app, &mut term, vec![code(KeyCode::Esc), key('r')]);
    assert!(
        screen.contains("No model runs in this store yet"),
        "{screen}"
    );
    assert!(rig.server.requests().is_empty());
}

#[test]
fn the_iae_items_of_a_tree_are_all_asked_once() {
    let rig = Rig::new(|_| Reply::completion(r#"{"choice": "A"}"#));
    let mut app = rig.app(Lang::En);
    let mut term = terminal(W, H);
    drive(
        &mut app,
        &mut term,
        form(
            &rig.server.base_url(),
            "iae-all",
            vec![code(KeyCode::Right), enter()],
        ),
    );
    wait_end(&mut app);
    let trees = bundled_trees();
    let items: usize = trees.iter().map(|t| iae::items(t).len()).sum();
    assert_eq!(rig.server.requests().len(), items);
    let screen = drive(&mut app, &mut term, vec![code(KeyCode::Tab)]);
    assert!(screen.contains("Results"), "{screen}");
}
