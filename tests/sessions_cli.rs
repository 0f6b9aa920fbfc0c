//! `socius sessions list|show|export|import|merge` through the real binary.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use socius::session::{
    CrTurn, Decision, EventBody, NewSession, OptionsPresented, PresentedOption, ScriptRef,
    SessionId, SessionKind, Status, TextShown, Who,
};
use socius::store::Store;
use unicode_width::UnicodeWidthStr;

fn socius(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .arg("--store")
        .arg(store)
        .env_remove("COLUMNS")
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

fn fails(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
}

const CHINESE: &str = "我们一起把厨房打扫干净，好吗？这样妈妈回来的时候会很开心。Let's clean up together before she is back.";

/// A store with a finished GAE walk by alice (Chinese text), an in-progress CR dialogue by
/// bob, and an abandoned walk by a model. Returns the three ids.
fn sample_store(dir: &Path) -> [SessionId; 3] {
    let store = Store::open(dir).unwrap();
    let gae = store
        .create(NewSession::new(
            SessionKind::WorldTreeGae,
            ScriptRef::new("kitchen-zh", b"tree"),
            Who::annotator("alice"),
            11,
        ))
        .unwrap();
    store
        .append(
            gae.id,
            EventBody::TextShown(TextShown {
                node: Some("n1".into()),
                speaker: Some("妈妈".into()),
                text: CHINESE.into(),
            }),
        )
        .unwrap();
    store
        .append(
            gae.id,
            EventBody::OptionsPresented(OptionsPresented {
                node: Some("n1".into()),
                prompt: None,
                options: vec![
                    PresentedOption {
                        id: "a".into(),
                        text: "好的，我来洗碗。".into(),
                    },
                    PresentedOption {
                        id: "b".into(),
                        text: "Later, \"maybe\", ok?".into(),
                    },
                ],
            }),
        )
        .unwrap();
    store
        .append(
            gae.id,
            EventBody::Decision(Decision {
                node: Some("n1".into()),
                option_index: 1,
                option_id: "b".into(),
                latency_ms: 2400,
                options_scrolled: false,
                choice: None,
            }),
        )
        .unwrap();
    store.set_status(gae.id, Status::Finished, None).unwrap();

    let cr = store
        .create(NewSession::new(
            SessionKind::CrDialogue,
            ScriptRef::new("case-3", b"case"),
            Who::annotator("bob"),
            5,
        ))
        .unwrap();
    store
        .append(
            cr.id,
            EventBody::CrTurn(CrTurn {
                speaker: "therapist".into(),
                text: "What went through your mind when that happened?".into(),
                stage: Some("automatic_thoughts".into()),
                channel: None,
                strategies: vec!["socratic_question".into()],
                ..CrTurn::new(socius::session::CrSpeaker::Client, String::new())
            }),
        )
        .unwrap();

    let mut model = NewSession::new(
        SessionKind::WorldTreeGae,
        ScriptRef::new("kitchen-zh", b"tree"),
        Who::Model {
            name: "gpt-x".into(),
            endpoint_host: "api.example.org".into(),
            params: Default::default(),
        },
        11,
    );
    model.run_id = Some("run-7".into());
    let m = store.create(model).unwrap();
    store
        .set_status(
            m.id,
            Status::Abandoned,
            Some("endpoint kept failing".into()),
        )
        .unwrap();
    [gae.id, cr.id, m.id]
}

#[test]
fn list_prints_a_table_and_stable_json_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");

    let empty = ok(&socius(&store, &["sessions", "list", "--json"]));
    assert_eq!(empty, "{\"schema\":1,\"sessions\":[]}\n");

    let [gae, cr, model] = sample_store(&store);
    let table = ok(&socius(&store, &["sessions", "list"]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("ID ") && lines[0].contains("STATUS"),
        "{table}"
    );
    assert_eq!(lines.len(), 5, "{table}");
    assert!(
        lines[1].starts_with(&gae.to_string()) && lines[1].contains("finished"),
        "{table}"
    );
    assert!(lines[3].contains("model:gpt-x@api.example.org"), "{table}");
    assert_eq!(lines[4], "3 sessions");

    let json: Value =
        serde_json::from_str(&ok(&socius(&store, &["sessions", "list", "--json"]))).unwrap();
    assert_eq!(json["schema"], 1);
    let sessions = json["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    assert_eq!(
        sessions[0]["who"],
        serde_json::json!({"type": "annotator", "id": "alice"})
    );
    assert_eq!(sessions[0]["events"], 4);
    assert_eq!(sessions[2]["run_id"], "run-7");

    let ids = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["sessions", "list", "--json"];
        full.extend_from_slice(args);
        let json: Value = serde_json::from_str(&ok(&socius(&store, &full))).unwrap();
        json["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&["--who", "bob"]), [cr.to_string()]);
    assert_eq!(
        ids(&["--kind", "world_tree_gae", "--script", "kitchen-zh"]),
        [gae.to_string(), model.to_string()]
    );
    assert_eq!(ids(&["--status", "abandoned"]), [model.to_string()]);
    assert_eq!(ids(&["--run", "run-7"]), [model.to_string()]);
    assert_eq!(
        ids(&["--since", "2000-01-01", "--until", "2000-12-31"]).len(),
        0
    );
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(ids(&["--since", &today, "--until", &today]).len(), 3);

    // A value no file can make right is a usage error (exit 2).
    let out = socius(&store, &["sessions", "list", "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since `yesterday`: expected a date"));
    let out = socius(&store, &["sessions", "list", "--kind", "nonsense"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a kind this socius knows"));
    assert!(ok(&out).ends_with("0 sessions\n"));
}

#[test]
fn show_wraps_by_display_width() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let [gae, _, _] = sample_store(&store);
    let prefix = &gae.to_string()[..20];
    for width in [30, 40, 57, 100] {
        let text = ok(&socius(
            &store,
            &["sessions", "show", prefix, "--width", &width.to_string()],
        ));
        for line in text.lines() {
            assert!(line.width() <= width, "{line:?} is wider than {width}");
        }
        let joined: String = text.split_whitespace().collect();
        assert!(joined.contains("我们一起把厨房打扫干净，好吗？"), "{text}");
        assert!(
            text.contains("decision") && joined.contains("chose2(b)after2400ms"),
            "{text}"
        );
    }
    let text = ok(&socius(
        &store,
        &["sessions", "show", &gae.to_string(), "--json"],
    ));
    let record: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(record["events"].as_array().unwrap().len(), 4);

    fails(
        &socius(&store, &["sessions", "show", "7ZZZZZ"]),
        "no session matches `7ZZZZZ`",
    );
    fails(
        &socius(&store, &["sessions", "show", "0"]),
        "matches several sessions",
    );
}

#[test]
fn export_formats_and_anonymization() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let [gae, _, _] = sample_store(&store);

    let jsonl = ok(&socius(&store, &["sessions", "export"]));
    assert_eq!(jsonl.lines().count(), 3);
    let first: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(first["schema"], 1);
    assert_eq!(first["session"]["id"], gae.to_string());
    assert_eq!(first["events"][2]["body"]["type"], "decision");

    let csv = ok(&socius(&store, &["sessions", "export", "--format", "csv"]));
    let rows: Vec<&str> = csv.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert_eq!(rows.len(), 2, "a header and one decision: {csv}");
    assert!(rows[0].starts_with("session,kind,script,script_hash,who,status,seed"));
    assert!(
        rows[1].contains(",decision,n1,,1,b,\"Later, \"\"maybe\"\", ok?\",,,2400"),
        "{csv}"
    );

    let md = ok(&socius(
        &store,
        &["sessions", "export", "--format", "md", "--who", "alice"],
    ));
    assert!(md.starts_with(&format!("# Session {gae}\n")), "{md}");
    assert!(md.contains("**decision**"), "{md}");

    let anon = ok(&socius(&store, &["sessions", "export", "--anonymize"]));
    assert!(
        !anon.contains("alice") && !anon.contains("\"bob\""),
        "{anon}"
    );
    assert!(anon.contains("\"id\":\"annotator-"), "{anon}");
    assert!(anon.contains("gpt-x"), "models are not pseudonymized");
    assert_eq!(
        anon,
        ok(&socius(&store, &["sessions", "export", "--anonymize"])),
        "pseudonyms are stable"
    );

    let out = dir.path().join("all.csv");
    let o = socius(
        &store,
        &[
            "sessions",
            "export",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(ok(&o).is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("exported 3 session(s), 1 row(s)"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), csv);
}

#[test]
fn import_and_merge_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    sample_store(&first);
    let file = dir.path().join("export.jsonl");
    ok(&socius(
        &first,
        &["sessions", "export", "--out", file.to_str().unwrap()],
    ));

    let second = dir.path().join("second");
    let report = ok(&socius(
        &second,
        &["sessions", "import", file.to_str().unwrap()],
    ));
    assert!(
        report.contains("3 added, 0 extended, 0 unchanged, 6 event(s) written, 0 problem(s)"),
        "{report}"
    );
    let report = ok(&socius(
        &second,
        &["sessions", "import", file.to_str().unwrap(), "--json"],
    ));
    let json: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        (json["added"].as_u64(), json["unchanged"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(
        ok(&socius(&second, &["sessions", "export"])),
        std::fs::read_to_string(&file).unwrap()
    );

    let third = dir.path().join("third");
    sample_store(&third);
    let report = ok(&socius(
        &second,
        &["sessions", "merge", third.to_str().unwrap()],
    ));
    assert!(report.contains("3 added"), "{report}");
    let report = ok(&socius(
        &second,
        &["sessions", "merge", third.to_str().unwrap()],
    ));
    assert!(
        report.contains("0 added, 0 extended, 3 unchanged"),
        "{report}"
    );
    let listing = ok(&socius(&second, &["sessions", "list"]));
    assert!(listing.ends_with("6 sessions\n"), "{listing}");

    fails(
        &socius(&second, &["sessions", "merge", second.to_str().unwrap()]),
        "cannot merge a store into itself",
    );
    fails(
        &socius(&second, &["sessions", "merge", "/nonexistent/store"]),
        "is not a socius store",
    );
}

#[test]
fn conflicts_and_bad_input_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    sample_store(&store);
    let exported = ok(&socius(&store, &["sessions", "export"]));

    // The same session id with a changed decision: reported, not overwritten, exit 1.
    let changed = exported.replacen("\"latency_ms\":2400", "\"latency_ms\":1", 1);
    let file = dir.path().join("changed.jsonl");
    std::fs::write(&file, &changed).unwrap();
    let out = socius(&store, &["sessions", "import", file.to_str().unwrap()]);
    fails(&out, "event #2 differs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 unchanged"));
    assert_eq!(ok(&socius(&store, &["sessions", "export"])), exported);

    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        format!("{}\nnot json\n", exported.lines().next().unwrap()),
    )
    .unwrap();
    fails(
        &socius(&store, &["sessions", "import", bad.to_str().unwrap()]),
        "bad.jsonl:2: not a session record",
    );
    fails(
        &socius(&store, &["sessions", "import", "/no/such/file.jsonl"]),
        "/no/such/file.jsonl",
    );
}

/// The log is a file under the state folder: a failing command writes there, and its stderr
/// holds only the one-line error.
#[test]
fn the_log_goes_to_the_state_folder_not_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(["--verbose", "--store"])
        .arg(tmp.path().join("store"))
        .args(["sessions", "show", "nope"])
        .env("SOCIUS_STATE_DIR", &state)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let log = std::fs::read_to_string(state.join("socius.log")).unwrap();
    assert!(log.contains("DEBUG socius::cli: socius started"), "{log}");
    assert!(
        log.contains("command failed error=no session matches `nope`"),
        "{log}"
    );
}
