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
