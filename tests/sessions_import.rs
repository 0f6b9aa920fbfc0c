//! `socius sessions import` against hostile input: records from a newer socius, and a Ctrl-C
//! (or SIGTERM) in the middle of a long import.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

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
