//! One driver, identical records: a model (a batch run against a loopback server) and a person
//! (the TUI's play state, and the channel-backed human agent) on the same tree, seed and
//! answers store the same events — except `who`, latency and the model's `llm_call` exchange.
//! One GAE walk, and one tree's IAE items with wrong answers among them.

mod eval_common;

use std::sync::Arc;

use eval_common::*;
use socius::driver::{self, Answer, HumanAgent, Reply, Request, StoreRecorder};
use socius::engine::episode::{EpisodeConfig, Mode};
use socius::eval::{Cancel, EvalKind, EvalTree};
use socius::session::{EventBody, NewSession, ScriptRef, SessionRecord, Who};
use socius::store::{Filter, Store};
use socius::tui::play::{Phase, Play};

/// A server answering "A": in IAE the candidate is not always first, so some answers are
/// wrong.
async fn always_a() -> socius::agent::llm::testing::LoopbackServer {
    first_policy().await
}

/// The bodies that must match: everything but the model's exchange, latency zeroed.
fn comparable(record: &SessionRecord) -> Vec<EventBody> {
    record
        .events
        .iter()
        // The model's exchange, and the events of a person's screen (how lines were revealed,
        // pauses and resumptions), like latency, are the agent's own; the rest must be equal.
        .filter(|e| {
            !matches!(
                e.body,
                EventBody::LlmCall(_)
                    | EventBody::LinesRevealed(_)
                    | EventBody::Paused(_)
                    | EventBody::Resumed(_)
            )
        })
        .map(|e| {
            let mut body = e.body.clone();
            match &mut body {
                EventBody::Decision(d) => d.latency_ms = 0,
                EventBody::IaeAnswer(a) => a.latency_ms = 0,
                _ => {}
            }
            body
        })
        .collect()
}

/// The positions the model chose, in order.
fn positions(record: &SessionRecord) -> Vec<usize> {
    record
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Decision(d) => Some(d.option_index as usize),
            EventBody::IaeAnswer(a) => Some(a.option_index as usize),
            _ => None,
        })
        .collect()
}

/// A person's session through the TUI's play state: reveal every line, answer `answers` in
/// order, flushed to `store` like the TUI does.
fn person_through_play(
    store: &Store,
    tree: &EvalTree,
    mode: Mode,
    seed: u64,
    answers: &[usize],
) -> SessionRecord {
    let kind = socius::tui::store_port::kind_of(mode);
    let session = store
        .create(NewSession::new(
            kind,
            ScriptRef::new(tree.tree.id.clone(), b"x"),
            Who::annotator("person"),
            seed,
        ))
        .unwrap();
    let mut rec = StoreRecorder::new(store.clone(), session.id, true);
    let mut play = Play::new(Arc::clone(&tree.tree), mode, seed);
    let mut next = answers.iter();
    for _ in 0..1000 {
        match play.phase {
            Phase::Over => break,
            Phase::Gae(_) | Phase::Iae(_) => {
                play.select(*next.next().expect("an answer for every question"));
            }
            _ => {}
        }
        play.confirm(&mut rec);
    }
    assert!(matches!(play.phase, Phase::Over));
    assert!(next.next().is_none(), "every answer used");
    store.record(session.id).unwrap()
}

/// A person's session through the human agent: requests arrive on a channel, answers go back.
async fn person_through_agent(
    store: &Store,
    tree: &EvalTree,
    mode: Mode,
    seed: u64,
    answers: Vec<usize>,
) -> SessionRecord {
    let session = store
        .create(NewSession::new(
            socius::tui::store_port::kind_of(mode),
            ScriptRef::new(tree.tree.id.clone(), b"x"),
            Who::annotator("agent-person"),
            seed,
        ))
        .unwrap();
    let (agent, mut requests) = HumanAgent::new();
    let ui = tokio::spawn(async move {
        let mut given = 0;
        while let Some(pending) = requests.recv().await {
            assert!(matches!(pending.request, Request::Choose(_)));
            pending.reply(Reply::human(Answer::Position(answers[given]), 1234));
            given += 1;
        }
        given
    });
    let mut driver = driver::Driver::new(
        Arc::clone(&tree.tree),
        EpisodeConfig {
            mode,
            shuffle: true,
            seed,
            official: false,
        },
    );
    let mut rec = StoreRecorder::new(store.clone(), session.id, true);
    let end = driver::run(&mut driver, &agent, &mut rec, true)
        .await
        .unwrap();
    assert!(matches!(end, driver::RunEnd::Finished(_)), "{end:?}");
    drop(agent);
    ui.await.unwrap();
    store.record(session.id).unwrap()
}

async fn model_session(store: &Store, tree: &EvalTree, kind: EvalKind, run: &str) -> SessionRecord {
    let server = always_a().await;
    let mut s = settings(kind, 1);
    s.shuffle = true;
    run_lib(
        store,
        pool(&server, 1, 1),
        s,
        run,
        std::slice::from_ref(tree),
        1,
        false,
        Cancel::new(),
    )
    .await
    .unwrap();
    let sessions = store
        .list(&Filter {
            run_id: Some(run.into()),
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(sessions.len(), 1);
    store.record(sessions[0].id).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_and_a_model_leave_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let trees = load_trees(&bundled());
    let tree = trees
        .iter()
        .find(|t| t.tree.id == "en-salary-talk")
        .unwrap()
        .clone();

    for (kind, mode) in [(EvalKind::Gae, Mode::Gae), (EvalKind::Iae, Mode::Iae)] {
        let model = model_session(&store, &tree, kind, &format!("same-{}", mode.name())).await;
        let answers = positions(&model);
        assert!(!answers.is_empty());
        let seed = model.session.seed;
        let person = person_through_play(&store, &tree, mode, seed, &answers);
        let agent = person_through_agent(&store, &tree, mode, seed, answers.clone()).await;
        let want = comparable(&model);
        assert_eq!(comparable(&person), want, "{mode:?}: the TUI's records");
        assert_eq!(
            comparable(&agent),
            want,
            "{mode:?}: the human agent's records"
        );
        assert_eq!(person.session.kind, model.session.kind);
        assert_ne!(person.session.who, model.session.who);
        if mode == Mode::Iae {
            // Wrong answers are among them, stored by the option the person saw.
            let wrong: Vec<String> = person
                .events
                .iter()
                .filter_map(|e| match &e.body {
                    EventBody::IaeAnswer(a) if a.correct == Some(false) => {
                        Some(a.option_id.to_string())
                    }
                    _ => None,
                })
                .collect();
            assert!(!wrong.is_empty(), "always-A gets some items wrong");
            assert!(
                wrong.iter().all(|id| id.starts_with("distractor-")),
                "{wrong:?}"
            );
        }
        // The model's exchange is there, and nothing else differs in kind or order.
        assert!(
            model
                .events
                .iter()
                .any(|e| matches!(e.body, EventBody::LlmCall(_)))
        );
    }
}
