//! The store's typed API: sessions, events, derived header fields, filters, resume, merge,
//! and the checks `Store::open` makes on its directory.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;
use socius::session::{
    Decision, EventBody, LlmCall, NewSession, Note, ScriptRef, Session, SessionKind, SessionRecord,
    Status, Who,
};
use socius::store::{Filter, Store, StoreError};

fn new_session(kind: SessionKind, script: &str, who: Who) -> NewSession {
    NewSession::new(kind, ScriptRef::new(script, script.as_bytes()), who, 7)
}

fn decision(i: u32) -> EventBody {
    EventBody::Decision(Decision {
        node: Some(format!("n{i}")),
        option_index: i % 4,
        option_id: format!("o{i}").into(),
        latency_ms: 100 + u64::from(i),
        options_scrolled: false,
        choice: None,
    })
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    (dir, store)
}

#[test]
fn events_get_consecutive_seqs_and_the_header_follows() {
    let (_dir, store) = open();
    let s = store
        .create(new_session(
            SessionKind::WorldTreeGae,
            "t1",
            Who::annotator("ann"),
        ))
        .unwrap();
    assert_eq!(
        (s.events, &s.status, s.finished),
        (0, &Status::InProgress, None)
    );
    for i in 0..5 {
        assert_eq!(store.append(s.id, decision(i)).unwrap(), u64::from(i));
    }
    assert_eq!(
        store
            .append_batch(s.id, [decision(5), decision(6)])
            .unwrap(),
        5..7
    );
    let seq = store
        .set_status(s.id, Status::Finished, Some("ending reached".into()))
        .unwrap();
    assert_eq!(seq, 7);
    let header = store.get(s.id).unwrap();
    assert_eq!(header.events, 8);
    assert_eq!(header.status, Status::Finished);
    let events = store.events(s.id).unwrap();
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (0..8).collect::<Vec<_>>()
    );
    assert_eq!(header.finished, Some(events[7].at));
    assert_eq!(header.updated, events[7].at);
    assert_eq!(events[3].body, decision(3));
    assert_eq!(store.events_from(s.id, 6).unwrap().len(), 2);
}

#[test]
fn appending_to_an_unknown_session_is_an_error() {
    let (_dir, store) = open();
    let ghost = socius::session::SessionId::generate();
    let err = store.append(ghost, decision(0)).unwrap_err();
    assert!(
        matches!(err, StoreError::NoSuchSession(id) if id == ghost),
        "{err}"
    );
}

#[test]
fn credentials_are_refused() {
    let (_dir, store) = open();
    let mut params = serde_json::Map::new();
    params.insert("temperature".into(), json!(0.2));
    params.insert("api_key".into(), json!("sk-123"));
    let who = Who::Model {
        name: "m".into(),
        endpoint_host: "h".into(),
        params,
    };
    let err = store
        .create(new_session(SessionKind::WorldTreeIae, "t", who))
        .unwrap_err();
    assert!(err.to_string().contains("who.params.api_key"), "{err}");

    let s = store
        .create(new_session(
            SessionKind::WorldTreeIae,
            "t",
            Who::annotator("a"),
        ))
        .unwrap();
    let call = LlmCall {
        purpose: None,
        model: None,
        request: json!({"headers": {"Authorization": "Bearer sk"}}),
        raw_reply: None,
        parsed: None,
        usage: None,
        finish_reason: None,
        latency_ms: 1,
        attempts: vec![],
        error: None,
    };
    let err = store
        .append(s.id, EventBody::LlmCall(Box::new(call)))
        .unwrap_err();
    assert!(matches!(err, StoreError::Secret(_)), "{err}");
    assert_eq!(store.get(s.id).unwrap().events, 0);
}

#[test]
fn concurrent_appenders_never_share_a_seq() {
    let (_dir, store) = open();
    let s = store
        .create(new_session(
            SessionKind::CrDialogue,
            "c",
            Who::annotator("a"),
        ))
        .unwrap();
    let store = Arc::new(store);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                (0..50)
                    .map(|i| store.append_unflushed(s.id, decision(t * 100 + i)).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seqs = HashSet::new();
    for t in threads {
        for seq in t.join().unwrap() {
            assert!(seqs.insert(seq), "seq {seq} handed out twice");
        }
    }
    store.flush().unwrap();
    assert_eq!(seqs.len(), 200);
    assert_eq!(store.get(s.id).unwrap().events, 200);
    assert_eq!(store.events(s.id).unwrap().len(), 200);
}

#[test]
fn filters_and_resume_candidates() {
    let (_dir, store) = open();
    let alice = Who::annotator("alice");
    let a1 = store
        .create(new_session(SessionKind::WorldTreeGae, "t1", alice.clone()))
        .unwrap();
    let a2 = store
        .create(new_session(SessionKind::WorldTreeIae, "t2", alice.clone()))
        .unwrap();
    let mut model = new_session(
        SessionKind::WorldTreeGae,
        "t1",
        Who::Model {
            name: "gpt-x".into(),
            endpoint_host: "api.example.org".into(),
            params: Default::default(),
        },
    );
    model.run_id = Some("run-1".into());
    let m = store.create(model).unwrap();
    store.set_status(a2.id, Status::Abandoned, None).unwrap();

    let ids = |f: Filter| {
        store
            .list(&f)
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(Filter::default()), vec![a1.id, a2.id, m.id]);
    assert_eq!(
        ids(Filter {
            script: Some("t1".into()),
            ..Filter::default()
        }),
        vec![a1.id, m.id]
    );
    assert_eq!(
        ids(Filter {
            script: Some(a2.script.hash[..8].into()),
            ..Filter::default()
        }),
        vec![a2.id]
    );
    assert_eq!(
        ids(Filter {
            who: Some("alice".into()),
            ..Filter::default()
        }),
        vec![a1.id, a2.id]
    );
    assert_eq!(
        ids(Filter {
            who: Some("model:gpt-x@api.example.org".into()),
            ..Filter::default()
        }),
        vec![m.id]
    );
    assert_eq!(
        ids(Filter {
            kind: Some(SessionKind::WorldTreeIae),
            ..Filter::default()
        }),
        vec![a2.id]
    );
    assert_eq!(
        ids(Filter {
            status: Some(Status::Abandoned),
            ..Filter::default()
        }),
        vec![a2.id]
    );
    assert_eq!(
        ids(Filter {
            run_id: Some("run-1".into()),
            ..Filter::default()
        }),
        vec![m.id]
    );
    assert_eq!(
        ids(Filter {
            since: Some(m.started),
            ..Filter::default()
        })
        .last(),
        Some(&m.id)
    );
    assert!(
        ids(Filter {
            until: Some(a1.started),
            ..Filter::default()
        })
        .is_empty()
    );

    let resumable = store.resumable(Some("t1"), Some(&alice)).unwrap();
    assert_eq!(
        resumable.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![a1.id]
    );
    store.append(a1.id, decision(0)).unwrap();
    let record = store.resume(a1.id).unwrap();
    assert_eq!(record.events.len(), 1);
    assert_eq!(record.session.events, 1);
    assert!(matches!(
        store.resume(a2.id),
        Err(StoreError::NotResumable(..))
    ));
}

#[test]
fn ids_resolve_by_unique_prefix() {
    let (_dir, store) = open();
    let a = store
        .create(new_session(
            SessionKind::Other("x".into()),
            "t",
            Who::annotator("a"),
        ))
        .unwrap();
    let b = store
        .create(new_session(
            SessionKind::Other("x".into()),
            "t",
            Who::annotator("a"),
        ))
        .unwrap();
    let text = a.id.to_string();
    assert_eq!(store.resolve(&text).unwrap().id, a.id);
    assert_eq!(store.resolve(&text.to_lowercase()).unwrap().id, a.id);
    let common = text
        .chars()
        .zip(b.id.to_string().chars())
        .take_while(|(x, y)| x == y)
        .count();
    assert!(matches!(
        store.resolve(&text[..common]),
        Err(StoreError::AmbiguousId(_))
    ));
    assert_eq!(store.resolve(&text[..=common]).unwrap().id, a.id);
    assert!(matches!(
        store.resolve("7ZZZ"),
        Err(StoreError::UnknownId(_))
    ));
    assert!(matches!(
        store.resolve("not an id"),
        Err(StoreError::UnknownId(_))
    ));
}

fn record_of(store: &Store, s: &Session) -> SessionRecord {
    store.record(s.id).unwrap()
}

#[test]
fn merging_is_idempotent_extends_and_reports_conflicts() {
    let (_d1, one) = open();
    let (_d2, two) = open();
    let s = one
        .create(new_session(
            SessionKind::WorldTreeGae,
            "t",
            Who::annotator("a"),
        ))
        .unwrap();
    one.append(s.id, decision(0)).unwrap();

    let first = two.merge_from(&one).unwrap();
    assert_eq!(
        (first.added, first.events_added, first.problems.len()),
        (1, 1, 0)
    );
    let again = two.merge_from(&one).unwrap();
    assert_eq!(
        (again.added, again.unchanged, again.events_added),
        (0, 1, 0)
    );

    one.append(s.id, decision(1)).unwrap();
    one.set_status(s.id, Status::Finished, None).unwrap();
    let grown = two.merge_from(&one).unwrap();
    assert_eq!((grown.extended, grown.events_added), (1, 2));
    assert_eq!(record_of(&two, &s), record_of(&one, &s));
    assert_eq!(two.get(s.id).unwrap().status, Status::Finished);

    // The same id with a different event at seq 0 is a conflict, and nothing changes.
    let mut forged = record_of(&one, &s);
    forged.events[0].body = EventBody::Note(Note {
        text: "forged".into(),
    });
    forged.events.push(forged.events[2].clone());
    forged.events[3].seq = 3;
    let mut jsonl = serde_json::to_string(&forged).unwrap();
    jsonl.push('\n');
    let report = two.import_jsonl(jsonl.as_bytes(), "forged.jsonl").unwrap();
    assert_eq!(report.problems.len(), 1);
    assert!(
        report.problems[0].reason.contains("event #0 differs"),
        "{:?}",
        report.problems
    );
    assert_eq!(record_of(&two, &s), record_of(&one, &s));

    // A different header is a conflict too.
    let mut other_seed = record_of(&one, &s);
    other_seed.session.seed = 99;
    let report = two
        .import_jsonl(serde_json::to_string(&other_seed).unwrap().as_bytes(), "x")
        .unwrap();
    assert!(
        report.problems[0].reason.contains("`seed`"),
        "{:?}",
        report.problems
    );

    // A log with a gap is refused.
    let mut gap = record_of(&one, &s);
    gap.events.remove(1);
    let report = two
        .import_jsonl(serde_json::to_string(&gap).unwrap().as_bytes(), "x")
        .unwrap();
    assert!(
        report.problems[0].reason.contains("not numbered"),
        "{:?}",
        report.problems
    );
}

#[test]
fn a_malformed_import_names_the_line_and_writes_nothing() {
    let (_d1, one) = open();
    let (_d2, two) = open();
    let s = one
        .create(new_session(
            SessionKind::WorldTreeGae,
            "t",
            Who::annotator("a"),
        ))
        .unwrap();
    let good = serde_json::to_string(&record_of(&one, &s)).unwrap();
    let input = format!("{good}\n\n{{\"schema\":1,\"session\":{{}}}}\n");
    let err = two.import_jsonl(input.as_bytes(), "in.jsonl").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("in.jsonl:3: not a session record"),
        "{err}"
    );
    assert_eq!(two.session_count(), 0);
}

#[test]
fn the_store_persists_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = Store::open(dir.path()).unwrap();
        let s = store
            .create(new_session(
                SessionKind::CrDialogue,
                "c",
                Who::annotator("a"),
            ))
            .unwrap();
        store.append(s.id, decision(0)).unwrap();
        s.id
    };
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.events(id).unwrap().len(), 1);
    assert_eq!(store.format().unwrap(), socius::store::STORE_FORMAT);
    let pseudonym = store.pseudonym("alice");
    assert!(
        pseudonym.starts_with("annotator-") && pseudonym.len() == 18,
        "{pseudonym}"
    );
    drop(store);
    assert_eq!(
        Store::open(dir.path()).unwrap().pseudonym("alice"),
        pseudonym
    );
}

#[test]
fn open_refuses_what_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();

    let file = dir.path().join("a-file");
    std::fs::write(&file, "hello").unwrap();
    let err = Store::open(&file).unwrap_err().to_string();
    assert!(err.contains("is not a socius store: it is a file"), "{err}");

    let foreign = dir.path().join("project");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("tree.yaml"), "kind: world_tree").unwrap();
    let err = Store::open(&foreign).unwrap_err().to_string();
    assert!(
        err.contains("is not a socius store") && err.contains("`tree.yaml`"),
        "{err}"
    );
    assert!(
        !foreign.join("db").exists(),
        "sled must not litter a foreign directory"
    );

    let garbage = dir.path().join("garbage");
    std::fs::create_dir(&garbage).unwrap();
    std::fs::write(garbage.join("db"), vec![0xA5; 4096]).unwrap();
    let err = Store::open(&garbage).unwrap_err().to_string();
    assert!(err.contains("is damaged or not a socius store"), "{err}");

    let garbage_conf = dir.path().join("garbage-conf");
    std::fs::create_dir(&garbage_conf).unwrap();
    std::fs::write(garbage_conf.join("conf"), vec![0x5A; 512]).unwrap();
    std::fs::write(garbage_conf.join("db"), vec![0xA5; 4096]).unwrap();
    let err = Store::open(&garbage_conf).unwrap_err().to_string();
    assert!(err.contains("is damaged or not a socius store"), "{err}");

    // A README and export files may sit beside a new store (the default `sessions/` has one).
    let fresh = dir.path().join("sessions");
    std::fs::create_dir(&fresh).unwrap();
    std::fs::write(fresh.join("README.md"), "# sessions").unwrap();
    std::fs::write(fresh.join("old-export.jsonl"), "").unwrap();
    Store::open(&fresh).unwrap();
}

#[test]
fn a_second_opener_in_the_same_process_shares_the_store_and_takes_it_over() {
    let (dir, first) = open();
    let path = dir.path().join("store");
    let s = first
        .create(new_session(
            SessionKind::CrDialogue,
            "t",
            Who::annotator("a"),
        ))
        .unwrap();
    first.append(s.id, decision(0)).unwrap();

    // The second opener goes through the first, and both see what either writes.
    let second = Store::open(&path).unwrap();
    assert!(first.owns_the_files() && !second.owns_the_files());
    assert_eq!(second.get(s.id).unwrap().events, 1);
    assert_eq!(second.append(s.id, decision(1)).unwrap(), 1);
    assert_eq!(second.append_unflushed(s.id, decision(2)).unwrap(), 2);
    assert_eq!(first.events(s.id).unwrap().len(), 3);
    assert_eq!(second.pseudonym("x"), first.pseudonym("x"));

    // When the first closes, the second opens the files itself at its next call.
    drop(first);
    assert_eq!(second.append(s.id, decision(3)).unwrap(), 3);
    assert!(second.owns_the_files());
    let seqs: Vec<u64> = second.events(s.id).unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [0, 1, 2, 3]);
    drop(second);
    assert_eq!(Store::open(&path).unwrap().get(s.id).unwrap().events, 4);
}
