//! Stores written before the single session driver: a person's wrong IAE answer was stored as
//! `other-N` (its screen position). Such answers read, export, import and merge as the
//! `distractor-k` the person saw, and the stored bytes are left as they were.

use std::process::Command;

use socius::session::{
    EventBody, IaeAnswer, NewSession, OptionsPresented, PresentedOption, ScriptRef, SessionKind,
    Status, Who,
};
use socius::store::Store;

fn socius(store: &std::path::Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_socius"))
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// An old session: one IAE item answered wrongly, stored the old way.
fn old_store(dir: &std::path::Path) -> String {
    let store = Store::open(dir).unwrap();
    let s = store
        .create(NewSession::new(
            SessionKind::WorldTreeIae,
            ScriptRef::new("kitchen", b"k"),
            Who::annotator("ann"),
            7,
        ))
        .unwrap();
    store
        .append(
            s.id,
            EventBody::OptionsPresented(OptionsPresented {
                node: Some("start".into()),
                prompt: Some("Which reply shows tact?".into()),
                options: ["distractor-2", "candidate", "distractor-1"]
                    .iter()
                    .map(|id| PresentedOption {
                        id: (*id).into(),
                        text: format!("the words of {id}"),
                    })
                    .collect(),
            }),
        )
        .unwrap();
    store
        .append(
            s.id,
            EventBody::IaeAnswer(IaeAnswer {
                item: "start/0".into(),
                ability: Some("tact".into()),
                option_index: 2,
                option_id: "other-2".into(),
                correct: Some(false),
                latency_ms: 900,
                options_scrolled: false,
            }),
        )
        .unwrap();
    store.set_status(s.id, Status::Finished, None).unwrap();
    s.id.to_string()
}

fn files_hold(dir: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let p = e.unwrap().path();
        p.is_file()
            && std::fs::read(&p)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
    })
}

#[test]
fn old_answers_export_the_distractor_that_was_picked() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old");
    old_store(&old);
    let csv = socius(&old, &["sessions", "export", "--format", "csv"]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.contains(",start,start/0,2,distractor-1,the words of distractor-1,tact,false,900"),
        "{row}"
    );
    let jsonl = String::from_utf8(socius(&old, &["sessions", "export"]).stdout).unwrap();
    assert!(jsonl.contains(r#""option_id":"distractor-1""#), "{jsonl}");
    assert!(!jsonl.contains("other-2"));
    // Nothing was rewritten: the old id is still what the store holds.
    assert!(
        files_hold(&old, b"other-2"),
        "the store's bytes are left alone"
    );

    // Import of an old export, and merge of the old store: the same session, no conflict.
    let export = tmp.path().join("old.jsonl");
    let raw = jsonl.replace(r#""option_id":"distractor-1""#, r#""option_id":"other-2""#);
    std::fs::write(&export, raw).unwrap();
    let fresh = tmp.path().join("fresh");
    socius(&fresh, &["sessions", "import", export.to_str().unwrap()]);
    let merged = socius(
        &fresh,
        &["sessions", "merge", old.to_str().unwrap(), "--json"],
    );
    let report: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    assert_eq!(report["unchanged"], 1, "{report}");
    assert_eq!(report["problems"], serde_json::json!([]));
    let again = String::from_utf8(socius(&fresh, &["sessions", "export"]).stdout).unwrap();
    assert_eq!(again, jsonl);
}
