//! `socius sessions import` against hostile input: records from a newer socius, and a Ctrl-C
//! (or SIGTERM) in the middle of a long import.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use socius::session::{
    EventBody, NewSession, Note, ScriptRef, SessionId, SessionKind, Status, Who,
};
use socius::store::{Filter, Store};

fn socius(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The JSONL export of a store of `sessions` debug sessions with `events` decisions each.
fn export_of(store: &Path, sessions: u32, events: u32) -> String {
    let (sessions, events) = (sessions.to_string(), events.to_string());
    ok(&socius(
        store,
        &[
            "sessions",
            "debug-append",
            "--sessions",
            &sessions,
            "--events",
            &events,
        ],
    ));
    ok(&socius(store, &["sessions", "export"]))
}

#[test]
fn a_newer_schema_is_refused_at_the_session_level_as_at_the_record_level() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = export_of(&dir.path().join("source"), 3, 1);
    let mut lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines[0]["session"]["schema"] = 99.into();
    lines[1]["schema"] = 99.into();
    let ids: Vec<String> = lines
        .iter()
        .map(|l| l["session"]["id"].as_str().unwrap().to_owned())
        .collect();
    let file = dir.path().join("future.jsonl");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&file, text).unwrap();

    let target = dir.path().join("target");
    let out = socius(
        &target,
        &["sessions", "import", file.to_str().unwrap(), "--json"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["added"], 1, "{report}");
    for (id, level) in [(&ids[0], "session"), (&ids[1], "record")] {
        let line = format!(
            "socius: session {id} not merged: written by a newer socius ({level} schema 99, \
             this one reads up to 1)"
        );
        assert!(
            stderr.lines().any(|l| l == line),
            "lacks {line:?}: {stderr}"
        );
    }
    let listed = ok(&socius(&target, &["sessions", "list", "--json"]));
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let kept: Vec<&str> = listed["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(kept, [ids[2].as_str()]);
}

/// A store in `dir` with `sessions` finished sessions of 20 events each, written through the
/// library (much faster than `debug-append`, which flushes every event). Returns each
/// session's event count.
fn big_store(dir: &Path, sessions: usize) -> BTreeMap<SessionId, u64> {
    let store = Store::open(dir).unwrap();
    for s in 0..sessions {
        let session = store
            .create(NewSession::new(
                SessionKind::WorldTreeGae,
                ScriptRef::new(format!("tree-{s}"), b"tree"),
                Who::annotator("ann"),
                s as u64,
            ))
            .unwrap();
        let notes = (0..19).map(|e| {
            EventBody::Note(Note {
                text: format!("note {e} of session {s}: {}", "words ".repeat(20)),
            })
        });
        store.append_batch(session.id, notes).unwrap();
        store
            .set_status(session.id, Status::Finished, None)
            .unwrap();
    }
    store
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .map(|s| (s.id, s.events))
        .collect()
}

/// Start `socius ARGS --store STORE`, wait until its store's `db` file has grown past 1 MiB
/// (it is writing sessions), send `signal`, and return its exit code and stderr once it ends.
fn interrupt(store: &Path, args: &[&str], signal: &str) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .arg("--store")
        .arg(store)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let db = store.join("db");
    loop {
        let size = std::fs::metadata(&db).map_or(0, |m| m.len());
        if size > 1 << 20 {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child ended ({status}) before it could be interrupted");
        }
        assert!(Instant::now() < deadline, "the child never started writing");
        std::thread::sleep(Duration::from_millis(2));
    }
    let sent = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success());
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIG{signal}"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code(), stderr)
}

/// Check an interrupted target against its source: it opens, holds fewer sessions than the
/// source (the stop came in the middle), as many as the message says, and each one whole.
fn check_interrupted(target: &Path, source: &BTreeMap<SessionId, u64>, stderr: &str) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("socius: interrupted: "))
        .unwrap_or_else(|| panic!("no interruption message: {stderr}"));
    let done: usize = line["socius: interrupted: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        line.ends_with(
            " session(s) done; run the same command again to finish (already-imported sessions \
             are skipped)"
        ) || line.ends_with("(already-merged sessions are skipped)"),
        "{line}"
    );
    let store = Store::open(target).unwrap();
    let held = store.list(&Filter::default()).unwrap();
    assert!(
        !held.is_empty() && held.len() < source.len(),
        "{}",
        held.len()
    );
    assert_eq!(held.len(), done, "{line}");
    for session in held {
        assert_eq!(Some(&session.events), source.get(&session.id));
        assert_eq!(
            store.events(session.id).unwrap().len() as u64,
            session.events
        );
    }
}

#[test]
fn ctrl_c_stops_an_import_between_sessions_and_a_second_run_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let source = big_store(&dir.path().join("source"), 2000);
    let file = dir.path().join("all.jsonl");
    let export = ok(&socius(
        &dir.path().join("source"),
        &["sessions", "export", "--out", file.to_str().unwrap()],
    ));
    assert!(export.is_empty());

    let target = dir.path().join("target");
    let import = ["sessions", "import", file.to_str().unwrap()];
    let (code, stderr) = interrupt(&target, &import, "INT");
    assert_eq!(code, Some(1), "{stderr}");
    check_interrupted(&target, &source, &stderr);

    let again = ok(&socius(&target, &import));
    assert!(again.contains(" unchanged"), "{again}");
    let store = Store::open(&target).unwrap();
    assert_eq!(store.list(&Filter::default()).unwrap().len(), source.len());
}

#[test]
fn sigterm_stops_a_merge_between_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let source_dir = dir.path().join("source");
    let source = big_store(&source_dir, 2000);
    let target = dir.path().join("target");
    let merge = ["sessions", "merge", source_dir.to_str().unwrap()];
    let (code, stderr) = interrupt(&target, &merge, "TERM");
    assert_eq!(code, Some(1), "{stderr}");
    check_interrupted(&target, &source, &stderr);
}
