//! How the binary opens an existing store: in place when socius closed it cleanly, after a
//! check on a temporary copy otherwise, and from a copy for reading when the store is on
//! read-only media.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn socius(store: &Path, tmp: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .arg("--store")
        .arg(store)
        // Copies go here, so each test sees only its own.
        .env("TMPDIR", tmp)
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

/// A store of two sessions in `dir/store`, written (and closed) by the binary.
fn two_sessions(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    ok(&socius(
        &store,
        &tmp,
        &[
            "sessions",
            "debug-append",
            "--sessions",
            "2",
            "--events",
            "1",
        ],
    ));
    store
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_cleanly_closed_store_opens_in_place_and_any_other_is_checked_on_a_copy_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = two_sessions(dir.path());
    // A temporary directory that does not exist: any copy fails, and says so.
    let nowhere = dir.path().join("no-such-tmp");

    let listed = ok(&socius(&store, &nowhere, &["sessions", "list"]));
    assert!(listed.contains("2 sessions"), "{listed}");

    // Without the record of a clean close (as after a crash) the store is copied first.
    std::fs::remove_file(store.join(".socius-closed")).unwrap();
    let before = entries(&store);
    let out = socius(&store, &nowhere, &["sessions", "list"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "socius: error: cannot copy the store at {} into {} to check it before opening it",
            store.display(),
            nowhere.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr
            .trim_end()
            .ends_with("set TMPDIR to a directory with room")
    );
    assert_eq!(entries(&store), before);

    // With room for the copy it opens, and closing records a clean close again.
    let tmp = dir.path().join("tmp");
    let listed = ok(&socius(&store, &tmp, &["sessions", "list"]));
    assert!(listed.contains("2 sessions"), "{listed}");
    assert!(store.join(".socius-closed").is_file());
    assert!(entries(&tmp).is_empty(), "the copy was left behind");
}

/// A read-only bind mount of a directory, unmounted when dropped.
struct ReadOnlyMount {
    at: PathBuf,
}

impl ReadOnlyMount {
    /// Mount `source` read-only at `at`; `None` (with a notice) where mounting is not
    /// allowed, e.g. when the tests do not run as root.
    fn new(source: &Path, at: &Path) -> Option<Self> {
        std::fs::create_dir_all(at).unwrap();
        let bind = Command::new("mount")
            .arg("--bind")
            .arg(source)
            .arg(at)
            .output();
        if !bind.is_ok_and(|o| o.status.success()) {
            eprintln!("notice: cannot bind-mount here (not root?); skipping the read-only test");
            return None;
        }
        let mount = Self {
            at: at.to_path_buf(),
        };
        let ro = Command::new("mount")
            .args(["-o", "remount,bind,ro"])
            .arg(at)
            .status()
            .unwrap();
        if !ro.success() {
            eprintln!("notice: cannot remount read-only here; skipping the read-only test");
            return None;
        }
        Some(mount)
    }
}

impl Drop for ReadOnlyMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.at).status();
    }
}

#[test]
fn a_store_on_read_only_media_can_be_listed_shown_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let data = dir.path().join("data");
    two_sessions(&data);
    // A second store without the record of a clean close takes the other path in.
    let crashed = data.join("crashed");
    ok(&socius(&crashed, &tmp, &["sessions", "debug-append"]));
    std::fs::remove_file(crashed.join(".socius-closed")).unwrap();

    let Some(mount) = ReadOnlyMount::new(&data, &dir.path().join("ro")) else {
        return;
    };
    for (name, sessions) in [("store", 2), ("crashed", 1)] {
        let store = mount.at.join(name);
        let before = entries(&data.join(name));
        let note = format!(
            "socius: note: the store at {} cannot be written; reading a temporary copy of it\n",
            store.display()
        );

        let out = socius(&store, &tmp, &["sessions", "list", "--json"]);
        assert_eq!(String::from_utf8_lossy(&out.stderr), note);
        let listed: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
        let listed = listed["sessions"].as_array().unwrap();
        assert_eq!(listed.len(), sessions);

        let id = listed[0]["id"].as_str().unwrap();
        let shown = ok(&socius(&store, &tmp, &["sessions", "show", id, "--json"]));
        assert!(shown.contains(id));
        let exported = ok(&socius(&store, &tmp, &["sessions", "export"]));
        assert_eq!(exported.lines().count(), sessions);

        // Writing is refused with a sentence that says what still works.
        let out = socius(&store, &tmp, &["sessions", "import", "-"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "the store at {} cannot be written (",
                store.display()
            )) && stderr.contains("`socius sessions list`, `show` and `export` can still read it"),
            "{stderr}"
        );
        assert_eq!(entries(&data.join(name)), before);
        assert!(entries(&tmp).is_empty(), "a copy was left behind");
    }
}
