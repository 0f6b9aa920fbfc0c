//! `socius check` from the command line: positions, severities, exit codes, bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn socius(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run socius")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/check")
        .join(name)
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_bundled_scripts_pass() {
    let out = socius(&["check", "scripts"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("0 errors"), "{stdout}");
    assert!(!stdout.contains(": error:"), "{stdout}");
}

#[test]
fn a_valid_tree_is_summarised() {
    let out = socius(&["check", fixture("valid.yaml").to_str().expect("utf-8 path")]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(
            "5 nodes, 2 choice points, 3 paths, depth 1-2, endings 1 success / 1 partial / 1 failure / 0 unlabelled, 1 IAE items"
        ),
        "{stdout}"
    );
}

#[test]
fn every_problem_of_a_broken_tree_is_reported_with_its_position() {
    let path = fixture("broken.yaml");
    let out = socius(&["check", path.to_str().expect("utf-8 path")]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let f = path.display().to_string();
    for expected in [
        format!("{f}:4:14: error: `orientation` `cooperaton` is not one of"),
        format!("{f}:5:1: error: unknown key `colour` in a world tree"),
        format!("{f}:9:7: error: duplicate character `Ana` (first on line 7)"),
        format!("{f}:15:11: warning: unknown ability `juggling`; the nearest BESSI name is"),
        format!("{f}:15:13: error: target `nowhere` is not a node id"),
        format!("{f}:17:10: error: the candidate utterance is empty"),
        format!("{f}:23:11: warning: node `loop` offers a single option"),
        format!("{f}:23:13: error: cycle: `loop` leads back to `start`"),
        format!("{f}:25:5: error: choice node `lonely` has no choices"),
        format!("{f}:25:5: error: node `lonely` cannot be reached from the beginning"),
        format!("{f}:27:5: error: duplicate node id `start` (first on line 12)"),
        format!("{f}:27:5: warning: ending `start` is unlabelled"),
        format!("{f}:29:12: error: `outcome` is a word, not SocialEval's number"),
    ] {
        assert!(
            stdout.contains(&expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    assert!(stdout.contains("11 errors, 5 warnings"), "{stdout}");
}

#[test]
fn json_report_has_the_documented_shape() {
    let out = socius(&[
        "check",
        "--json",
        fixture("valid.yaml").to_str().expect("utf-8 path"),
        fixture("broken.yaml").to_str().expect("utf-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["schema"], 1);
    assert_eq!(v["errors"], 11);
    assert_eq!(v["warnings"], 5);
    let files = v["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["ok"], true);
    assert_eq!(files[0]["kind"], "world_tree");
    assert_eq!(files[0]["id"], "fixture-valid");
    assert_eq!(files[0]["summary"]["paths"], 3);
    assert_eq!(files[0]["summary"]["endings"]["success"], 1);
    assert_eq!(files[0]["sha256"].as_str().map(str::len), Some(64));
    assert_eq!(files[1]["ok"], false);
    let d = &files[1]["diagnostics"][0];
    assert!(d["line"].is_u64() && d["col"].is_u64());
    assert!(d["severity"] == "error" || d["severity"] == "warning");
}

/// Write `bytes` to a temporary `.yaml` file and check it: exit 1, one message naming the
/// file and a position.
fn assert_bad(bytes: &[u8], expected: &str, line_col: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, bytes).expect("write");
    let out = socius(&["check", path.to_str().expect("utf-8 path")]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let want = format!("{}:{line_col}: error: ", path.display());
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&want))
        .unwrap_or_else(|| panic!("no error at {line_col} in\n{stdout}"));
    assert!(line.contains(expected), "{line}");
}

#[test]
fn an_empty_file() {
    assert_bad(b"", "empty file", "1:1");
    assert_bad(b"\n  \n", "empty file", "1:1");
}

#[test]
fn a_truncated_file() {
    assert_bad(
        b"kind: world_tree\nid: x\nnodes:\n  - {id: a, type: \"begin",
        "YAML syntax: while scanning a quoted scalar, found unexpected end of stream",
        "4:19",
    );
}

#[test]
fn tabs_for_indentation() {
    assert_bad(
        b"kind: world_tree\nnodes:\n\t- id: a\n",
        "YAML syntax: tabs disallowed",
        "3:2",
    );
}

#[test]
fn a_duplicated_key() {
    assert_bad(
        b"kind: world_tree\nid: a\nid: b\n",
        "duplicate key `id` (first at line 2:1)",
        "3:1",
    );
}

#[test]
fn binary_junk() {
    let mut junk = b"kind: world_tree\n".to_vec();
    junk.extend([0xff, 0xfe, 0x00, 0x9f, 0x92, 0x96]);
    assert_bad(&junk, "not UTF-8 text (invalid byte at offset 17)", "2:1");
}

#[test]
fn wrong_types() {
    assert_bad(
        b"kind: world_tree\nid: t\nlanguage: en\norientation: conflict\ncharacters: {a: 1}\nnodes: 3\n",
        "`characters` must be a list, found a mapping",
        "5:13",
    );
    assert_bad(
        b"- just\n- a list\n",
        "a script is a mapping with a `kind`",
        "1:1",
    );
    assert_bad(b"kind: novel\n", "unknown script kind `novel`", "1:7");
}

#[test]
fn a_folder_without_scripts_and_a_missing_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "hello").expect("write");
    let out = socius(&["check", dir.path().to_str().expect("utf-8 path")]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("no scripts (*.yaml, *.yml) in this folder"),
        "{stderr}"
    );
    let out = socius(&["check", "does/not/exist.yaml"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("does/not/exist.yaml: no such file or folder"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = socius(&["check"]);
    assert_eq!(out.status.code(), Some(2));
}
