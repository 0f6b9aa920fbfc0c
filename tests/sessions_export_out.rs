//! `socius sessions export --out PATH` against paths that must not be replaced: a FIFO, a
//! symbolic link, a device, a directory, and anything inside the store directory. Each is
//! refused with one sentence and exit code 1, and left exactly as it was; an ordinary file is
//! still replaced.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn socius(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap()
}

/// A store with two sessions, in `dir/store`.
fn store_with_sessions(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    let out = socius(
        &store,
        &[
            "sessions",
            "debug-append",
            "--sessions",
            "2",
            "--events",
            "2",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    store
}

fn export_to(store: &Path, target: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(["sessions", "export", "--out"])
        .arg(target)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap()
}

fn assert_refused(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one sentence expected: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_fifo_is_refused_and_stays_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_sessions(dir.path());
    let fifo = dir.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let before = names(dir.path());

    assert_refused(&export_to(&store, &fifo), "pipe is a FIFO (named pipe)");
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(names(dir.path()), before, "no temporary file may be left");
}

#[test]
fn a_symbolic_link_is_refused_and_its_target_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_sessions(dir.path());
    let target = dir.path().join("real.jsonl");
    fs::write(&target, "keep me\n").unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();

    assert_refused(
        &export_to(&store, &link),
        "link.jsonl is a symbolic link; give the file it points to",
    );
    assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep me\n");
}

/// Puts `/dev/null` back if the export replaced it with a regular file. The bug this test
/// guards against does exactly that when run as root, and a broken `/dev/null` breaks every
/// other program on the machine; the test still fails.
struct RestoreDevNull;

impl Drop for RestoreDevNull {
    fn drop(&mut self) {
        let null = Path::new("/dev/null");
        let intact = fs::symlink_metadata(null).is_ok_and(|m| m.file_type().is_char_device());
        if !intact {
            let _ = fs::remove_file(null);
            let _ = Command::new("mknod")
                .args(["-m", "666", "/dev/null", "c", "1", "3"])
                .status();
        }
    }
}

#[test]
fn a_device_is_refused_and_stays_a_device() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_sessions(dir.path());
    let null = Path::new("/dev/null");
    let _restore = RestoreDevNull;

    assert_refused(
        &export_to(&store, null),
        "/dev/null is a character device, not a regular file",
    );
    let kind = fs::symlink_metadata(null).unwrap().file_type();
    assert!(kind.is_char_device(), "/dev/null was replaced: {kind:?}");
}

#[test]
fn a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_sessions(dir.path());
    let target = dir.path().join("exports");
    fs::create_dir(&target).unwrap();

    assert_refused(&export_to(&store, &target), "exports is a directory");
    assert!(target.is_dir());
    assert!(names(&target).is_empty());
}

#[test]
fn a_path_inside_the_store_is_refused_and_the_store_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_sessions(dir.path());

    for name in ["db", "conf", "new.jsonl"] {
        assert_refused(
            &export_to(&store, &store.join(name)),
            "is inside the store directory",
        );
    }
    // Also when the path reaches the store through another spelling of its directory.
    let roundabout = dir.path().join("store/../store/blobs/x.jsonl");
    assert_refused(&export_to(&store, &roundabout), "is inside the store");
    assert!(!store.join("new.jsonl").exists());
    let strays: Vec<String> = names(&store)
        .into_iter()
        .filter(|n| n.ends_with(".partial") || n.ends_with(".jsonl"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");

    let listed = socius(&store, &["sessions", "list"]);
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "{listed:?}");
    assert!(stdout.contains("2 sessions"), "{stdout}");
}

#[test]
fn an_ordinary_file_is_still_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_sessions(dir.path());
    let target = dir.path().join("sessions.jsonl");
    fs::write(&target, "an older export\n").unwrap();

    let out = export_to(&store, &target);
    assert!(out.status.success(), "{out:?}");
    let stdout = socius(&store, &["sessions", "export"]).stdout;
    assert_eq!(fs::read(&target).unwrap(), stdout);
    assert_eq!(fs::read_to_string(&target).unwrap().lines().count(), 2);
    assert_eq!(names(dir.path()), ["sessions.jsonl", "store"]);
}
