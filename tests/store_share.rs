//! One store, several processes: the first process to open a store owns it and serves the
//! others over the store's socket. Every test here runs real socius processes
//! (`sessions debug-append` writes sessions and prints `ID SEQ` after each flushed event;
//! `sessions list|show|export` read; `eval` runs a model) and synchronises on their output,
//! never on time.

mod eval_common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::thread::JoinHandle;

use serde_json::Value;
use socius::session::{EventBody, SessionId, Status};
use socius::store::{Filter, Store};

/// The store directory inside a temporary directory that also holds the processes' logs.
fn store_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    (tmp, store)
}

fn command(store: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_socius"));
    cmd.args(args).arg("--store").arg(store);
    // Logs beside the store, not in the user's state folder.
    if let Some(parent) = store.parent() {
        cmd.env("SOCIUS_STATE_DIR", parent.join("state"));
    }
    cmd
}

fn socius(store: &Path, args: &[&str]) -> Output {
    command(store, args).output().unwrap()
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

/// How a writer ended: its exit status, its stderr, and every acknowledgement it printed.
type Ended = (std::process::ExitStatus, String, Vec<(SessionId, u64)>);

/// A `sessions debug-append` process and the acknowledgements it printed so far.
struct Writer {
    child: Child,
    out: Option<BufReader<ChildStdout>>,
    acked: Vec<(SessionId, u64)>,
}

impl Writer {
    /// Start a writer of `sessions` sessions of `events` decisions each.
    fn start(store: &Path, sessions: u32, events: u32) -> Self {
        let mut child = command(
            store,
            &[
                "sessions",
                "debug-append",
                "--sessions",
                &sessions.to_string(),
                "--events",
                &events.to_string(),
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let out = child.stdout.take().map(BufReader::new);
        Self {
            child,
            out,
            acked: Vec::new(),
        }
    }

    /// Read the next acknowledgement; `None` once the writer has ended.
    fn next(&mut self) -> Option<(SessionId, u64)> {
        let mut line = String::new();
        let out = self.out.as_mut()?;
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        let (id, seq) = line.trim().split_once(' ').expect("an `ID SEQ` line");
        let ack = (id.parse().unwrap(), seq.parse().unwrap());
        self.acked.push(ack);
        Some(ack)
    }

    /// Read acknowledgements until `n` were read in all.
    fn read_until(&mut self, n: usize) {
        while self.acked.len() < n {
            assert!(self.next().is_some(), "the writer ended early");
        }
    }

    /// Read every acknowledgement until the writer ends, and return its exit status and
    /// stderr.
    fn finish(mut self) -> Ended {
        while self.next().is_some() {}
        let status = self.child.wait().unwrap();
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            err.read_to_string(&mut stderr).unwrap();
        }
        (status, stderr, std::mem::take(&mut self.acked))
    }

    /// Read every acknowledgement on a thread of its own.
    fn finish_in_background(self) -> JoinHandle<Ended> {
        std::thread::spawn(move || self.finish())
    }

    /// `kill -9`, wait until the process is gone, and read what it acknowledged before.
    fn kill(mut self) -> Vec<(SessionId, u64)> {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        while self.next().is_some() {}
        std::mem::take(&mut self.acked)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What `debug-append` writes at position `i` of a session's log that has decisions up to
/// its end: the options and the decision of step `i / 2`.
fn expected_at(i: usize) -> (&'static str, Option<String>) {
    let node = Some(format!("n{}", i / 2));
    if i.is_multiple_of(2) {
        ("options_presented", node)
    } else {
        ("decision", node)
    }
}

fn node_of(body: &EventBody) -> Option<String> {
    match body {
        EventBody::OptionsPresented(o) => o.node.clone(),
        EventBody::Decision(d) => d.node.clone(),
        _ => None,
    }
}

/// Open the store (once every writer is gone) and check each session's log: numbered without
/// gaps, and exactly what `debug-append` writes up to some point (no event twice, none
/// missing in between; the status change, if any, last), with the header agreeing. Returns
/// each session's number of events.
fn check_logs(store: &Path) -> BTreeMap<SessionId, u64> {
    let store = Store::open(store).unwrap();
    let mut counts = BTreeMap::new();
    for session in store.list(&Filter::default()).unwrap() {
        let log = store.events(session.id).unwrap();
        for (i, event) in log.iter().enumerate() {
            assert_eq!(event.seq, i as u64, "session {} has a gap", session.id);
            let got = (event.body.type_name(), node_of(&event.body));
            if got.0 == "session_status" {
                assert!(
                    i + 1 == log.len() && i.is_multiple_of(2),
                    "session {}: a status change at #{i}",
                    session.id
                );
            } else {
                assert_eq!(got, expected_at(i), "session {} event #{i}", session.id);
            }
        }
        assert_eq!(session.events, log.len() as u64, "header of {}", session.id);
        counts.insert(session.id, session.events);
    }
    counts
}

/// Every acknowledged event is in the store.
fn assert_all_present(counts: &BTreeMap<SessionId, u64>, acked: &[(SessionId, u64)]) {
    for (id, seq) in acked {
        let held = counts.get(id).copied().unwrap_or(0);
        assert!(
            held > *seq,
            "acknowledged {id}#{seq} is lost (store holds {held})"
        );
    }
}

#[test]
fn a_reader_sees_the_owners_session_in_progress_with_its_events_so_far() {
    let (_tmp, store) = store_dir();
    // One long session: still in progress while we look.
    let mut owner = Writer::start(&store, 1, 1_000_000);
    owner.read_until(20);
    let (id, last) = owner.acked[19];
    let socket = store.join(".socius.sock");
    assert!(
        std::fs::symlink_metadata(&socket)
            .unwrap()
            .file_type()
            .is_socket()
    );

    let list: Value =
        serde_json::from_str(&ok(&socius(&store, &["sessions", "list", "--json"]))).unwrap();
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["id"], id.to_string());
    assert_eq!(sessions[0]["status"], "in_progress");
    let listed = sessions[0]["events"].as_u64().unwrap();
    assert!(
        listed > last,
        "the listing shows {listed} events, #{last} was acknowledged"
    );

    let prefix = &id.to_string()[..12];
    let shown: Value = serde_json::from_str(&ok(&socius(
        &store,
        &["sessions", "show", prefix, "--json"],
    )))
    .unwrap();
    assert_eq!(shown["session"]["status"], "in_progress");
    let events = shown["events"].as_array().unwrap();
    assert!(events.len() as u64 > last);
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["seq"], i as u64);
    }
    let text = ok(&socius(
        &store,
        &["sessions", "show", prefix, "--width", "100"],
    ));
    assert!(text.contains("n5"), "{text}");
    let csv = ok(&socius(&store, &["sessions", "export", "--format", "csv"]));
    assert!(csv.lines().count() > 20, "{csv}");

    // The owner went on writing all along, and is still the owner.
    let before = owner.acked.len();
    owner.read_until(before + 5);
    assert!(owner.child.try_wait().unwrap().is_none());
    let acked = owner.kill();
    assert_all_present(&check_logs(&store), &acked);
}

#[test]
fn two_writers_in_two_processes_append_to_their_sessions_at_the_same_time() {
    let (_tmp, store) = store_dir();
    // More output than a pipe holds: the first writer cannot end before we read it all, so it
    // is alive (and the owner) when the second starts.
    let mut first = Writer::start(&store, 4, 500);
    first.read_until(1);
    let mut second = Writer::start(&store, 3, 150);
    second.read_until(1);
    let first = first.finish_in_background();
    let (status, stderr, second_acked) = second.finish();
    assert!(status.success(), "second writer: {stderr}");
    let (status, stderr, first_acked) = first.join().unwrap();
    assert!(status.success(), "first writer: {stderr}");

    let counts = check_logs(&store);
    assert_eq!(counts.len(), 7);
    assert_all_present(&counts, &first_acked);
    let second_ids: BTreeSet<SessionId> = second_acked.iter().map(|(id, _)| *id).collect();
    assert_eq!(second_ids.len(), 3);
    for id in &second_ids {
        assert_eq!(counts[id], 301, "{id} is not complete");
    }
    let first_ids: BTreeSet<SessionId> = first_acked.iter().map(|(id, _)| *id).collect();
    for id in &first_ids {
        assert_eq!(counts[id], 1001, "{id} is not complete");
    }
    let store = Store::open(&store).unwrap();
    for session in store.list(&Filter::default()).unwrap() {
        assert_eq!(session.status, Status::Finished);
    }
}

#[test]
fn when_the_owner_is_killed_its_clients_take_over_and_lose_nothing() {
    let (_tmp, store) = store_dir();
    // Kill the owner at a different point of the clients' work each round, in one store.
    // Every writer has more to write than a pipe holds, so none can end before we read on:
    // the clients are mid-way when the owner dies.
    for (round, after) in [1_usize, 40, 150].into_iter().enumerate() {
        let mut owner = Writer::start(&store, 1_000, 1_000);
        owner.read_until(1);
        let mut one = Writer::start(&store, 1_000, 1_000);
        let mut two = Writer::start(&store, 1_000, 1_000);
        one.read_until(after);
        two.read_until(1);
        let owner_acked = owner.kill();

        // Both clients carry on (one of them opens the files, the other reaches it), and
        // write 200 more events each; then they are killed too.
        let (a, b) = (one.acked.len(), two.acked.len());
        one.read_until(a + 100);
        two.read_until(b + 100);
        let one_acked = one.kill();
        let two_acked = two.kill();

        let counts = check_logs(&store);
        for acked in [&owner_acked, &one_acked, &two_acked] {
            assert_all_present(&counts, acked);
        }
        let written: u64 = counts.values().sum();
        assert!(written > 0, "round {round}: nothing written");
    }
}

#[test]
fn finite_clients_end_normally_with_exactly_their_events_after_the_owner_dies() {
    let (_tmp, store) = store_dir();
    let mut owner = Writer::start(&store, 1_000, 1_000);
    owner.read_until(1);
    let mut one = Writer::start(&store, 2, 60);
    let mut two = Writer::start(&store, 2, 60);
    one.read_until(1);
    two.read_until(1);
    let owner_acked = owner.kill();
    let two = two.finish_in_background();
    let (status, stderr, one_acked) = one.finish();
    assert!(status.success(), "client one: {stderr}");
    let (status, stderr, two_acked) = two.join().unwrap();
    assert!(status.success(), "client two: {stderr}");

    let counts = check_logs(&store);
    assert_all_present(&counts, &owner_acked);
    for acked in [&one_acked, &two_acked] {
        let ids: BTreeSet<SessionId> = acked.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids.len(), 2);
        for id in ids {
            // Exactly the client's events: none lost, none written twice.
            assert_eq!(counts[&id], 121, "{id}");
        }
    }
}

/// Send raw bytes on a new connection to the store's socket and read the one reply (if any).
fn poke(socket: &Path, bytes: &[u8]) -> Option<Value> {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream.write_all(bytes).unwrap();
    let mut head = [0_u8; 4];
    stream.read_exact(&mut head).ok()?;
    let mut body = vec![0_u8; u32::from_be_bytes(head) as usize];
    stream.read_exact(&mut body).unwrap();
    // The owner closes the connection after a refusal.
    let mut rest = Vec::new();
    assert_eq!(stream.read_to_end(&mut rest).unwrap(), 0);
    Some(serde_json::from_slice(&body).unwrap())
}

fn frame(json: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(json.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(json);
    out
}

#[test]
fn garbage_on_the_socket_gets_an_error_and_the_owner_carries_on() {
    let (_tmp, store) = store_dir();
    let mut owner = Writer::start(&store, 1, 1_000_000);
    owner.read_until(1);
    let socket = store.join(".socius.sock");

    let refusals: [(Vec<u8>, &str); 6] = [
        (b"\xff\xff\xff\xffgarbage".to_vec(), "over the limit"),
        (frame(b"\x00\x01 not json"), "not a request"),
        (frame(br#"{"op":"drop_everything"}"#), "not a request"),
        (frame(br#"{"op":"flush"}"#), "before `hello`"),
        (frame(br#"{"op":"hello","protocol":999}"#), "protocol"),
        // A socius that reads other records (here: none given) is not served.
        (frame(br#"{"op":"hello","protocol":1}"#), "same version"),
    ];
    for (bytes, needle) in refusals {
        let reply = poke(&socket, &bytes).expect("a reply");
        assert_eq!(reply["err"]["kind"], "refused", "{reply}");
        let detail = reply["err"]["detail"].as_str().unwrap();
        assert!(detail.contains(needle), "{detail}");
    }
    // Half a frame, then nothing: the connection is closed without a reply.
    {
        let mut stream = UnixStream::connect(&socket).unwrap();
        stream.write_all(b"\x00\x00\x10\x00{\"op\"").unwrap();
    }
    // A request of a greeted connection that names no session.
    let mut stream = UnixStream::connect(&socket).unwrap();
    stream
        .write_all(&frame(
            format!(
                r#"{{"op":"hello","protocol":1,"schemas":[{},{},{}]}}"#,
                socius::session::SESSION_SCHEMA,
                socius::session::EVENT_SCHEMA,
                socius::session::RECORD_SCHEMA
            )
            .as_bytes(),
        ))
        .unwrap();
    stream
        .write_all(&frame(br#"{"op":"session","id":"not an id at all"}"#))
        .unwrap();
    let mut replies = Vec::new();
    for _ in 0..2 {
        let mut head = [0_u8; 4];
        if stream.read_exact(&mut head).is_err() {
            break;
        }
        let mut body = vec![0_u8; u32::from_be_bytes(head) as usize];
        stream.read_exact(&mut body).unwrap();
        replies.push(serde_json::from_slice::<Value>(&body).unwrap());
    }
    assert!(replies[0]["ok"]["salt"].is_string(), "{replies:?}");
    assert_eq!(replies[1]["err"]["kind"], "refused", "{replies:?}");

    // The owner still writes and still serves.
    let before = owner.acked.len();
    owner.read_until(before + 10);
    let list: Value =
        serde_json::from_str(&ok(&socius(&store, &["sessions", "list", "--json"]))).unwrap();
    assert_eq!(list["sessions"].as_array().unwrap().len(), 1);
    let acked = owner.kill();
    assert_all_present(&check_logs(&store), &acked);
}

#[test]
fn a_stale_socket_is_replaced_and_a_link_there_is_not_followed() {
    let (tmp, store) = store_dir();
    // An owner killed with -9 leaves its socket behind.
    let mut owner = Writer::start(&store, 1, 1_000_000);
    owner.read_until(1);
    let acked = owner.kill();
    let socket = store.join(".socius.sock");
    assert!(
        std::fs::symlink_metadata(&socket)
            .unwrap()
            .file_type()
            .is_socket()
    );
    let list: Value =
        serde_json::from_str(&ok(&socius(&store, &["sessions", "list", "--json"]))).unwrap();
    assert_eq!(list["sessions"].as_array().unwrap().len(), 1);
    assert_all_present(&check_logs(&store), &acked);
    // The reader owned the store for a moment and removed its socket when it closed.
    assert!(std::fs::symlink_metadata(&socket).is_err());

    // A link at the socket's name is neither followed nor replaced; the store still opens.
    let elsewhere = tmp.path().join("elsewhere.sock");
    std::os::unix::fs::symlink(&elsewhere, &socket).unwrap();
    let mut owner = Writer::start(&store, 1, 1_000_000);
    owner.read_until(1);
    assert!(std::fs::symlink_metadata(&socket).unwrap().is_symlink());
    assert!(!elsewhere.exists());
    // With the store held and no socket to reach it by, a second process says why.
    let out = socius(&store, &["sessions", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not a socket; remove it"), "{stderr}");
    owner.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_run_writes_into_a_store_another_process_owns() {
    let server = eval_common::first_policy().await;
    let (_tmp, store) = store_dir();
    let mut owner = Writer::start(&store, 1, 1_000_000);
    owner.read_until(1);
    let out = eval_common::socius_async(
        &store,
        eval_common::args(&[
            "eval",
            "gae",
            "--scripts",
            eval_common::bundled().to_str().unwrap(),
            "--endpoint",
            &server.base_url(),
            "--model",
            "test-model",
            "--episodes",
            "2",
            "--run-id",
            "shared-run",
            "--json",
        ]),
        Vec::new(),
    )
    .await;
    assert!(out.status.success(), "{}", eval_common::stderr(&out));
    // Read back while the owner still holds the store.
    let export = ok(&socius(
        &store,
        &["sessions", "export", "--run", "shared-run"],
    ));
    assert_eq!(export.lines().count(), 8, "two episodes of four trees");
    for line in export.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        assert_eq!(record["session"]["status"], "finished");
    }
    assert!(owner.child.try_wait().unwrap().is_none());
    let acked = owner.kill();
    let store = Store::open(&store).unwrap();
    let held = store.get(acked[0].0).unwrap();
    assert!(held.events > acked.last().unwrap().1);
}
