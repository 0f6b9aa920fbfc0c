//! Unit tests that need the store's insides (sled itself, private codecs).

use chrono::TimeZone;

use super::write::event_bytes;
use super::*;
use crate::session::{
    EVENT_SCHEMA, Event, EventBody, NewSession, Note, ScriptRef, SessionKind, Who,
};

#[test]
fn event_bytes_match_the_serde_encoding() {
    let at = chrono::Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap();
    let body = EventBody::Note(Note {
        text: "a \"quoted\" 笔记".into(),
    });
    let event = Event {
        seq: 42,
        at,
        schema: EVENT_SCHEMA,
        body: body.clone(),
    };
    let at_json = serde_json::to_string(&at).unwrap();
    let body_json = serde_json::to_vec(&body).unwrap();
    assert_eq!(
        event_bytes(42, &at_json, EVENT_SCHEMA, &body_json),
        serde_json::to_vec(&event).unwrap()
    );
}

/// sled itself on `dir`, once the store closed just before has let go of its lock (sled's
/// background threads hold it a moment after the drop).
fn raw_sled(dir: &std::path::Path) -> sled::Db {
    let asked = std::time::Instant::now();
    loop {
        match sled::open(dir) {
            Ok(db) => return db,
            Err(e) if asked.elapsed() < std::time::Duration::from_secs(10) => {
                assert!(e.to_string().contains("lock"), "{e}");
                std::thread::yield_now();
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// Names, sizes and modification times of the files in `dir`, for "left untouched" checks;
/// taken once sled, closed just before, has let go of `db` (its threads may still write).
fn listing(dir: &std::path::Path) -> Vec<(String, u64, std::time::SystemTime)> {
    use fs2::FileExt;
    let db = std::fs::File::open(dir.join("db")).unwrap();
    let asked = std::time::Instant::now();
    while db.try_lock_exclusive().is_err() {
        assert!(
            asked.elapsed() < std::time::Duration::from_secs(10),
            "sled kept its lock"
        );
        std::thread::yield_now();
    }
    drop(db);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                meta.len(),
                meta.modified().unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_store_of_a_newer_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    {
        let db = raw_sled(dir.path());
        let meta = db.open_tree(TREE_META).unwrap();
        meta.insert(META_FORMAT, &(STORE_FORMAT + 1).to_be_bytes()[..])
            .unwrap();
        db.flush().unwrap();
    }
    let before = listing(dir.path());
    let err = Store::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerFormat { found: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade socius"), "{err}");
    assert_eq!(listing(dir.path()), before, "the newer store was changed");
}

#[test]
fn a_sled_database_of_another_program_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = sled::open(dir.path()).unwrap();
        db.insert(b"their key", b"their value").unwrap();
        db.open_tree("their_tree")
            .unwrap()
            .insert(b"k", b"v")
            .unwrap();
        db.flush().unwrap();
    }
    let before = listing(dir.path());
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    assert!(err.to_string().contains("another program"), "{err}");
    assert_eq!(
        listing(dir.path()),
        before,
        "the other program's database was changed"
    );
}

#[test]
fn a_damaged_event_is_reported_not_returned() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let session = store
        .create(NewSession::new(
            SessionKind::CrDialogue,
            ScriptRef::new("case-1", b"x"),
            Who::annotator("a"),
            1,
        ))
        .unwrap();
    store
        .append(session.id, EventBody::Note(Note { text: "ok".into() }))
        .unwrap();
    store
        .local()
        .events
        .insert(keys::event_key(session.id, 0), &b"{\"seq\":0,"[..])
        .unwrap();
    let err = store.events(session.id).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(
        err.to_string().contains(&format!("event {}#0", session.id)),
        "{err}"
    );
}

#[test]
fn merging_a_session_header_of_a_newer_schema_is_refused() {
    let one_dir = tempfile::tempdir().unwrap();
    let two_dir = tempfile::tempdir().unwrap();
    let one = Store::open(one_dir.path()).unwrap();
    let two = Store::open(two_dir.path()).unwrap();
    let session = one
        .create(NewSession::new(
            SessionKind::CrDialogue,
            ScriptRef::new("case-1", b"x"),
            Who::annotator("a"),
            1,
        ))
        .unwrap();
    // What a newer socius would have stored: a header with a schema this one does not know.
    let mut header = one.get(session.id).unwrap();
    header.schema = 99;
    one.local()
        .sessions
        .insert(
            keys::session_key(session.id),
            serde_json::to_vec(&header).unwrap(),
        )
        .unwrap();

    let report = two.merge_from(&one).unwrap();
    assert_eq!(report.added, 0);
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert_eq!(
        report.problems[0].reason,
        "written by a newer socius (session schema 99, this one reads up to 1)"
    );
    assert_eq!(two.list(&Filter::default()).unwrap().len(), 0);
}

fn note(text: &str) -> EventBody {
    EventBody::Note(Note { text: text.into() })
}

fn cr_session() -> NewSession {
    NewSession::new(
        SessionKind::CrDialogue,
        ScriptRef::new("case-1", b"x"),
        Who::annotator("a"),
        1,
    )
}

#[test]
fn a_repeated_append_finds_its_first_attempt_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let local = store.local();
    let session = store.create(cr_session()).unwrap();
    let id = session.id;
    let at = write::now();
    let twice = [note("a"), note("b")];
    assert_eq!(local.append_at(id, at, &twice, None).unwrap(), 0..2);
    // Another writer's event lands after it.
    store.append(id, note("other")).unwrap();
    // The repeat finds the first attempt, from where it may have landed.
    assert_eq!(local.append_at(id, at, &twice, Some(0)).unwrap(), 0..2);
    assert_eq!(store.events(id).unwrap().len(), 3);
    // The same events at another time are new events.
    let later = at + chrono::TimeDelta::milliseconds(5);
    assert_eq!(local.append_at(id, later, &twice, Some(3)).unwrap(), 3..5);
    // The same events at the same time, repeated by a handle whose previous append ended
    // after the first copy, are new events too.
    assert_eq!(local.append_at(id, later, &twice, Some(5)).unwrap(), 5..7);
    assert_eq!(store.events(id).unwrap().len(), 7);
    // A status change repeated is found too, and the header keeps it.
    let finished = [EventBody::SessionStatus(crate::session::StatusChange {
        status: crate::session::Status::Finished,
        reason: None,
    })];
    assert_eq!(local.append_at(id, at, &finished, None).unwrap(), 7..8);
    assert_eq!(local.append_at(id, at, &finished, Some(7)).unwrap(), 7..8);
    let header = store.get(id).unwrap();
    assert_eq!(
        (header.events, header.status),
        (8, crate::session::Status::Finished)
    );
}

#[test]
fn creating_the_same_header_twice_stores_one_session() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let local = store.local();
    let header = write::new_header(cr_session());
    assert_eq!(local.create_header(&header).unwrap(), header);
    assert_eq!(local.create_header(&header).unwrap(), header);
    assert_eq!(store.session_count(), 1);
    let mut other = header.clone();
    other.seed += 1;
    let err = local.create_header(&other).unwrap_err();
    assert!(
        matches!(err, StoreError::IdTaken(id) if id == header.id),
        "{err}"
    );
    assert_eq!(store.get(header.id).unwrap(), header);
}

#[test]
fn unflushed_writes_the_owner_lost_are_written_again_after_the_hand_over() {
    let dir = tempfile::tempdir().unwrap();
    let owner = Store::open(dir.path()).unwrap();
    let client = Store::open(dir.path()).unwrap();
    assert!(!client.owns_the_files());
    let session = client.create(cr_session()).unwrap();
    let id = session.id;
    for (i, text) in ["zero", "one", "two"].into_iter().enumerate() {
        assert_eq!(client.append_unflushed(id, note(text)).unwrap(), i as u64);
    }
    // What an owner killed before its flush leaves: the last two are gone.
    for seq in [1, 2] {
        owner
            .local()
            .events
            .remove(keys::event_key(id, seq))
            .unwrap();
    }
    drop(owner);
    // The client's flush finds the owner gone, opens the store itself and writes again
    // what was not flushed: the first is found, the two others are written anew.
    client.flush().unwrap();
    assert!(client.owns_the_files());
    let texts: Vec<String> = client
        .events(id)
        .unwrap()
        .into_iter()
        .map(|e| match e.body {
            EventBody::Note(n) => n.text,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(texts, ["zero", "one", "two"]);
    assert_eq!(client.append(id, note("three")).unwrap(), 3);
}

#[test]
fn errors_through_the_owner_keep_their_kind() {
    let dir = tempfile::tempdir().unwrap();
    let _owner = Store::open(dir.path()).unwrap();
    let client = Store::open(dir.path()).unwrap();
    let ghost = crate::session::SessionId::generate();
    assert!(matches!(
        client.append(ghost, note("x")),
        Err(StoreError::NoSuchSession(id)) if id == ghost
    ));
    assert!(matches!(
        client.get(ghost),
        Err(StoreError::NoSuchSession(_))
    ));
    assert!(matches!(
        client.resolve("ZZZZ"),
        Err(StoreError::UnknownId(_))
    ));
    let session = client.create(cr_session()).unwrap();
    client
        .set_status(session.id, crate::session::Status::Finished, None)
        .unwrap();
    assert!(matches!(
        client.resume(session.id),
        Err(StoreError::NotResumable(..))
    ));
    assert_eq!(client.format().unwrap(), STORE_FORMAT);
    assert!(!client.reads_a_copy());
}

#[test]
fn a_listing_and_a_log_longer_than_a_page_come_whole_through_the_owner() {
    let dir = tempfile::tempdir().unwrap();
    let owner = Store::open(dir.path()).unwrap();
    let client = Store::open(dir.path()).unwrap();
    let long = "x".repeat(200_000);
    let session = owner.create(cr_session()).unwrap();
    // About 6 MiB of log: two pages.
    let bodies: Vec<EventBody> = (0..30).map(|i| note(&format!("{i} {long}"))).collect();
    owner.append_batch(session.id, bodies).unwrap();
    let log = client.events(session.id).unwrap();
    assert_eq!(log.len(), 30);
    assert!(log.iter().enumerate().all(|(i, e)| e.seq == i as u64));
    let from = client.events_from(session.id, 29).unwrap();
    assert_eq!(from.len(), 1);

    let mut meta = cr_session();
    meta.meta = serde_json::json!({ "padding": long });
    for _ in 0..25 {
        owner.create(meta.clone()).unwrap();
    }
    let listed = client.list(&Filter::default()).unwrap();
    assert_eq!(listed, owner.list(&Filter::default()).unwrap());
    assert_eq!(listed.len(), 26);
}

#[test]
fn many_threads_of_a_client_share_its_connections_and_never_share_a_seq() {
    let dir = tempfile::tempdir().unwrap();
    let owner = Store::open(dir.path()).unwrap();
    let client = Store::open(dir.path()).unwrap();
    let session = client.create(cr_session()).unwrap();
    let threads: Vec<_> = (0..20)
        .map(|t| {
            let (owner, client) = (owner.clone(), client.clone());
            std::thread::spawn(move || {
                let mut seqs = Vec::new();
                for i in 0..25 {
                    // Half through the client's connections, half on the owner's files.
                    let store = if t % 2 == 0 { &client } else { &owner };
                    seqs.push(
                        store
                            .append_unflushed(session.id, note(&format!("{t}/{i}")))
                            .unwrap(),
                    );
                }
                seqs
            })
        })
        .collect();
    let mut all: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..500).collect::<Vec<u64>>());
    client.flush().unwrap();
    assert_eq!(client.get(session.id).unwrap().events, 500);
}
