//! Failed, interrupted and crashed runs, and `--resume` finishing them without redoing what
//! was finished (the requests are counted at the server). Through the library API, on temp
//! stores, against loopback servers.

mod eval_common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use eval_common::*;
use serde_json::json;
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};
use socius::eval::summary::slot_of;
use socius::eval::{Cancel, EvalKind, Report, RunError, StopReason};
use socius::session::{EventBody, NewSession, ScriptRef, Session, Status, StatusReason};
use socius::store::{Filter, Store};

fn run_sessions(store: &Store, run: &str) -> Vec<Session> {
    store
        .list(&Filter {
            run_id: Some(run.into()),
            ..Filter::default()
        })
        .unwrap()
}

fn finished_slots(sessions: &[Session]) -> HashMap<(String, u32), Vec<String>> {
    let mut out: HashMap<(String, u32), Vec<String>> = HashMap::new();
    for s in sessions.iter().filter(|s| s.status == Status::Finished) {
        out.entry(slot_of(s).unwrap())
            .or_default()
            .push(s.id.to_string());
    }
    out
}

fn gae(report: &Report) -> &socius::eval::GaeReport {
    match report {
        Report::Gae(r) => r,
        Report::Iae(_) => panic!("a GAE report"),
    }
}

/// Requests whose prompt mentions Rosa (the protagonist of en-salary-talk) fail with 500.
async fn failing_for_rosa() -> LoopbackServer {
    LoopbackServer::start(|r: &Recorded| {
        if user_prompt(r).contains("Rosa") {
            Reply::json(500, &json!({"error": {"message": "overloaded"}}))
        } else {
            choice_reply('A')
        }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_episodes_are_redone_on_resume_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("store")).unwrap();
    let trees = load_trees(&bundled());
    let settings = settings(EvalKind::Gae, 3);

    let bad = failing_for_rosa().await;
    let first = run_lib(
        &store,
        pool(&bad, 4, 2),
        settings.clone(),
        "r1",
        &trees,
        4,
        false,
        Cancel::new(),
    )
    .await
    .unwrap();
    assert_eq!(first.stop, None);
    assert_eq!(first.tally.slots, 12);
    assert_eq!((first.tally.finished, first.tally.failed), (9, 3));
    assert_eq!(gae(&first.report).dropped.error, 3);
    assert!(
        first.last_error.as_deref().unwrap().contains("500"),
        "{:?}",
        first.last_error
    );
    let sessions = run_sessions(&store, "r1");
    let failed: Vec<_> = sessions
        .iter()
        .filter(|s| s.status == Status::Failed)
        .collect();
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().all(|s| s.script.id == "en-salary-talk"));
    // The failed call is recorded with every attempt.
    let events = store.events(failed[0].id).unwrap();
    let call = events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::LlmCall(c) => Some(c),
            _ => None,
        })
        .unwrap();
    assert_eq!(call.attempts.len(), 2);
    assert_eq!(call.attempts[0].status, Some(500));
    assert!(call.error.as_deref().unwrap().contains("overloaded"));
    let before = finished_slots(&sessions);

    // A starting run of the same id is refused.
    let good = first_policy().await;
    let clash = run_lib(
        &store,
        pool(&good, 4, 2),
        settings.clone(),
        "r1",
        &trees,
        4,
        false,
        Cancel::new(),
    )
    .await;
    assert!(matches!(clash, Err(RunError::Plan(m)) if m.contains("--resume r1")));
    assert_eq!(good.request_count(), 0);

    let second = run_lib(
        &store,
        pool(&good, 4, 2),
        settings,
        "r1",
        &trees,
        4,
        true,
        Cancel::new(),
    )
    .await
    .unwrap();
    assert_eq!((second.tally.finished, second.tally.failed), (12, 0));
    assert_eq!(second.progress.total, 3, "only the failed slots run again");
    assert_eq!(second.progress.skipped, 9);
    assert_eq!(gae(&second.report).dropped.error, 0);
    assert!(
        good.requests()
            .iter()
            .all(|r| user_prompt(r).contains("Rosa"))
    );
    let after = finished_slots(&run_sessions(&store, "r1"));
    assert_eq!(after.len(), 12);
    for (slot, ids) in &after {
        assert_eq!(ids.len(), 1, "{slot:?} finished once");
        if let Some(old) = before.get(slot) {
            assert_eq!(old, ids, "{slot:?} kept, not redone");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_keeps_finished_episodes_and_resume_completes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("store")).unwrap();
    let trees = load_trees(&bundled());
    let settings = settings(EvalKind::Gae, 4);
    let cancel = Cancel::new();
    let seen = Arc::new(AtomicUsize::new(0));
    let (c, n) = (cancel.clone(), Arc::clone(&seen));
    // Ctrl-C arrives while the 25th request is being answered.
    let server = LoopbackServer::start(move |_r: &Recorded| {
        if n.fetch_add(1, Ordering::SeqCst) + 1 == 25 {
            c.cancel();
        }
        choice_reply('A')
    })
    .await
    .unwrap();
    let first = run_lib(
        &store,
        pool(&server, 3, 2),
        settings.clone(),
        "r2",
        &trees,
        3,
        false,
        cancel,
    )
    .await
    .unwrap();
    assert_eq!(first.stop, Some(StopReason::Interrupted));
    let sessions = run_sessions(&store, "r2");
    let abandoned: Vec<_> = sessions
        .iter()
        .filter(|s| s.status == Status::Abandoned)
        .collect();
    assert!(
        // Concurrency 3: three jobs calling and one spare.
        !abandoned.is_empty() && abandoned.len() <= 4,
        "{}",
        abandoned.len()
    );
    assert_eq!(first.progress.abandoned, abandoned.len());
    for s in &abandoned {
        let events = store.events(s.id).unwrap();
        let Some(EventBody::SessionStatus(change)) = events.last().map(|e| &e.body) else {
            panic!("ends with a status");
        };
        assert_eq!(change.reason, Some(StatusReason::Interrupted));
    }
    assert!(sessions.iter().all(|s| s.status != Status::InProgress));
    let before = finished_slots(&sessions);
    assert_eq!(before.len(), first.tally.finished);
    assert!(first.tally.finished > 0 && first.tally.finished < 16);
    assert_eq!(first.tally.pending, 16 - first.tally.finished);
    // The summary counts only what finished.
    let counted: usize = gae(&first.report)
        .by_orientation
        .values()
        .map(|c| c.episodes)
        .sum();
    assert_eq!(counted, first.tally.finished);

    let again = first_policy().await;
    let second = run_lib(
        &store,
        pool(&again, 3, 2),
        settings,
        "r2",
        &trees,
        3,
        true,
        Cancel::new(),
    )
    .await
    .unwrap();
    assert_eq!(second.stop, None);
    assert_eq!(second.progress.total, 16 - before.len());
    assert_eq!(second.tally.finished, 16);
    let after = finished_slots(&run_sessions(&store, "r2"));
    for (slot, ids) in &after {
        assert_eq!(ids.len(), 1, "{slot:?}");
        if let Some(old) = before.get(slot) {
            assert_eq!(old, ids);
        }
    }
    // Every request of the resume belongs to a slot that had not finished: the new sessions'
    // slots and the old finished ones are disjoint.
    let old: HashSet<_> = before.keys().cloned().collect();
    let new: HashSet<_> = after
        .keys()
        .filter(|k| !old.contains(*k))
        .cloned()
        .collect();
    assert_eq!(new.len(), 16 - old.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_left_in_progress_by_a_crash_is_abandoned_and_redone() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("store")).unwrap();
    let trees: Vec<_> = load_trees(&bundled()).into_iter().take(1).collect();
    let settings = settings(EvalKind::Iae, 1);
    let server = first_policy().await;
    let done = run_lib(
        &store,
        pool(&server, 2, 1),
        settings.clone(),
        "r3",
        &trees,
        2,
        false,
        Cancel::new(),
    )
    .await
    .unwrap();
    assert_eq!(done.tally.finished, 1);
    let items = server.request_count();
    // A second tree whose session a crash left in progress.
    let all = load_trees(&bundled());
    let crashed_tree = &all[1];
    let crashed = store
        .create(NewSession {
            kind: EvalKind::Iae.session_kind(),
            script: ScriptRef {
                id: crashed_tree.tree.id.clone(),
                hash: crashed_tree.hash.clone(),
            },
            who: settings.who("127.0.0.1:1"),
            seed: 1,
            run_id: Some("r3".into()),
            meta: json!({"tree": crashed_tree.tree.id, "items": 3, "run": settings}),
        })
        .unwrap();
    let two = vec![all[0].clone(), all[1].clone()];
    let resumed = run_lib(
        &store,
        pool(&server, 2, 1),
        settings,
        "r3",
        &two,
        2,
        true,
        Cancel::new(),
    )
    .await
    .unwrap();
    assert_eq!(resumed.reopened, 1);
    assert_eq!(resumed.progress.total, 1, "only the second tree");
    assert_eq!(resumed.tally.finished, 2);
    let s = store.get(crashed.id).unwrap();
    assert_eq!(s.status, Status::Abandoned);
    let last = store.events(crashed.id).unwrap().pop().unwrap();
    assert!(
        matches!(last.body, EventBody::SessionStatus(c) if c.reason == Some(StatusReason::Reopened))
    );
    assert!(
        server.request_count() > items,
        "the second tree's items were asked"
    );
    let iae = match &resumed.report {
        Report::Iae(r) => r,
        Report::Gae(_) => panic!("IAE"),
    };
    assert_eq!(iae.items, server.request_count());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_stops_the_run_early() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("store")).unwrap();
    let trees = load_trees(&bundled());
    let server = LoopbackServer::start(|_r: &Recorded| {
        Reply::json(503, &json!({"error": {"message": "down for maintenance"}}))
    })
    .await
    .unwrap();
    // 4 trees × 10 episodes; 16 failures in a row stop it.
    let out = run_lib(
        &store,
        pool(&server, 2, 1),
        settings(EvalKind::Gae, 10),
        "r4",
        &trees,
        2,
        false,
        Cancel::new(),
    )
    .await
    .unwrap();
    let Some(StopReason::EndpointFailing { consecutive }) = out.stop else {
        panic!("stopped for the endpoint: {:?}", out.stop);
    };
    // Jobs already running when the 16th failed may fail too (2 calling, 1 spare).
    assert!((16..=18).contains(&consecutive), "{consecutive}");
    assert_eq!(out.progress.failed, consecutive);
    assert!(out.tally.pending >= 40 - 18);
    assert_eq!(gae(&out.report).dropped.error, consecutive);
    assert!(out.last_error.unwrap().contains("down for maintenance"));
}
