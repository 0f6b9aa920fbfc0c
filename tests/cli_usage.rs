//! Usage errors exit 2 with the usage hint, a mistyped subcommand gets a suggestion, and
//! `play --as NAME` remembers the name as its help says.

use std::path::PathBuf;
use std::process::{Command, Output};

fn socius(args: &[&str], config: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SOCIUS_CONFIG_DIR", config)
        .env("SOCIUS_STATE_DIR", config.join("state"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("socius runs")
}

#[test]
fn usage_errors_exit_2_and_say_where_help_is() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store");
    let store = store.to_str().expect("utf-8");
    for args in [
        vec!["--lang", "fr"],
        vec!["--theme", "neon", "--store", store],
        vec!["sessions", "list", "--since", "yesterday", "--store", store],
        vec!["sessions", "export", "--until", "soon", "--store", store],
        vec!["sesions"],
    ] {
        let out = socius(&args, dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("--help"), "{args:?}: {err}");
    }
    let out = socius(&["sesions"], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'sessions'"), "{err}");
    // A path that does not exist and is no typo is an error about the file (exit 1).
    let out = socius(&["no-such-script-folder"], dir.path());
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn play_as_name_is_remembered() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/en-salary-talk.yaml");
    // No terminal here, so the TUI does not start; the name is remembered before that.
    let out = socius(
        &[
            "play",
            script.to_str().expect("utf-8"),
            "--as",
            "remembered-7",
            "--store",
            store.to_str().expect("utf-8"),
        ],
        dir.path(),
    );
    assert_ne!(out.status.code(), Some(0));
    let config = std::fs::read_to_string(dir.path().join("config.yaml")).expect("settings written");
    assert!(config.contains("remembered-7"), "{config}");
}

#[test]
fn sessions_abandon_marks_one_in_progress_and_refuses_an_ended_one() {
    use socius::session::{NewSession, ScriptRef, SessionKind, Status, Who};
    let dir = tempfile::tempdir().expect("tmp");
    let store_dir = dir.path().join("store");
    let id = {
        let store = socius::store::Store::open(&store_dir).expect("store");
        let s = store
            .create(NewSession::new(
                SessionKind::WorldTreeGae,
                ScriptRef::new("kitchen", b"kitchen"),
                Who::annotator("ann"),
                1,
            ))
            .expect("create");
        s.id.to_string()
    };
    let store_arg = store_dir.to_str().expect("utf-8");
    let out = socius(
        &["sessions", "abandon", &id, "--store", store_arg],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = socius::store::Store::open(&store_dir).expect("store");
    assert_eq!(
        store.resolve(&id).expect("session").status,
        Status::Abandoned
    );
    drop(store);
    let out = socius(
        &["sessions", "abandon", &id, "--store", store_arg],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only a session in progress"));
}

#[test]
fn shared_flags_appear_only_in_the_help_of_the_commands_they_affect() {
    let dir = tempfile::tempdir().expect("tmp");
    let help = |args: &[&str]| {
        let out = socius(args, dir.path());
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let check = help(&["check", "--help"]);
    let import = help(&["import", "socialeval", "--help"]);
    for text in [&check, &import] {
        for flag in ["--store", "--theme", "--lang"] {
            assert!(!text.contains(flag), "{flag} in:\n{text}");
        }
        assert!(text.contains("--verbose"));
    }
    let list = help(&["sessions", "list", "--help"]);
    assert!(
        list.contains("--store") && !list.contains("--theme"),
        "{list}"
    );
    let play = help(&["play", "--help"]);
    for flag in ["--store", "--theme", "--lang"] {
        assert!(play.contains(flag), "{flag} not in:\n{play}");
    }
    // Before the subcommand they still work.
    let store = dir.path().join("s");
    let out = socius(
        &[
            "--store",
            store.to_str().expect("utf-8"),
            "sessions",
            "list",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
}
