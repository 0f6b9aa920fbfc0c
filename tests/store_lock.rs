//! The binary against a store it cannot use: held by another process, damaged, foreign, or
//! a file. Each gets one clear sentence on stderr and exit code 1, never a panic.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::SystemTime;

fn socius(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap()
}

/// Every file under `dir` (recursively) with its size and modification time: what must not
/// change when a store is refused.
fn listing(dir: &Path) -> Vec<(String, u64, SystemTime)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if meta.is_dir() {
            for (inner, len, modified) in listing(&entry.path()) {
                files.push((format!("{name}/{inner}"), len, modified));
            }
        }
        files.push((name, meta.len(), meta.modified().unwrap()));
    }
    files.sort();
    files
}

fn assert_refused(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one sentence expected: {stderr}");
}

#[test]
fn a_second_process_reads_the_store_through_the_process_that_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut holder = Command::new(env!("CARGO_BIN_EXE_socius"))
        .args([
            "sessions",
            "debug-append",
            "--sessions",
            "100000",
            "--events",
            "10",
            "--store",
        ])
        .arg(&store)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The first acknowledged event proves the holder has the store open.
    // Keep the pipe open: a closed pipe would make the holder stop writing and exit.
    let mut acks = BufReader::new(holder.stdout.take().unwrap());
    let mut first = String::new();
    acks.read_line(&mut first).unwrap();
    let id = first.split_whitespace().next().expect("an acknowledgement");

    for args in [
        &["sessions", "list"][..],
        &["sessions", "export"],
        &["sessions", "show", id],
    ] {
        let out = socius(&store, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&id[..10]),
            "{args:?} does not show the holder's session"
        );
    }
    holder.kill().unwrap();
    holder.wait().unwrap();
    drop(acks);

    let out = socius(&store, &["sessions", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_process_that_holds_the_store_without_sharing_it_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = socius(
        &store,
        &[
            "sessions",
            "debug-append",
            "--sessions",
            "1",
            "--events",
            "1",
        ],
    );
    assert!(out.status.success());
    // What an older socius does: keep sled's lock and serve nobody.
    let held = sled::open(&store).unwrap();
    assert_refused(
        &socius(&store, &["sessions", "list"]),
        &format!(
            "the store at {} is in use by another socius process that does not share it",
            store.display()
        ),
    );
    drop(held);
}

#[test]
fn garbage_in_the_store_directory_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let noise: Vec<u8> = (0..20_000_u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(store.join("conf"), &noise[..300]).unwrap();
    std::fs::write(store.join("db"), &noise).unwrap();
    let before = listing(&store);
    assert_refused(
        &socius(&store, &["sessions", "list"]),
        "is damaged or not a socius store",
    );
    // sled would have added its `blobs` directory before refusing.
    assert_eq!(listing(&store), before, "a refused store was changed");
}

#[test]
fn a_damaged_log_in_a_real_store_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = socius(
        &store,
        &[
            "sessions",
            "debug-append",
            "--sessions",
            "3",
            "--events",
            "3",
        ],
    );
    assert!(out.status.success());
    let db = store.join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes.iter_mut().skip(64) {
        *b ^= 0x5A;
    }
    std::fs::write(&db, bytes).unwrap();
    let before = listing(&store);
    // sled reads a log whose every record fails its checksum as an empty database; the store
    // must call that damage, not start afresh over it. Nor may it let sled's recovery write
    // into the store (a `snap.*` file, a rewritten `db`) before refusing it.
    for args in [
        &["sessions", "list"][..],
        &["sessions", "list"],
        &["sessions", "import", "-"],
    ] {
        assert_refused(
            &socius(&store, args),
            &format!(
                "the store at {} is damaged or not a socius store: sled found no readable \
                 records in its",
                store.display()
            ),
        );
        assert_eq!(listing(&store), before, "a refused store was changed");
    }
}

#[test]
fn a_foreign_directory_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    let out = socius(dir.path(), &["sessions", "list"]);
    assert_refused(
        &out,
        "is not a socius store: it holds files a store does not have (`notes.txt`, `src`)",
    );
    assert!(!dir.path().join("conf").exists());
}

#[test]
fn a_file_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("store");
    std::fs::write(&file, "not a directory").unwrap();
    assert_refused(
        &socius(&file, &["sessions", "list"]),
        "is not a socius store: it is a file, not a directory",
    );
}
