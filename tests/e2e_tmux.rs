//! End to end in a real terminal: tmux runs the binary (the release build in CI), keys are
//! sent with `send-keys`, the screen is read with `capture-pane`. One test plays a bundled tree
//! to an ending, quits, and finds the session with `socius sessions list`; the other kills the
//! process mid-tree and resumes from the library.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The binary under test: `$SOCIUS_E2E_BIN` (CI points it at the release build), else the
/// build cargo made for these tests.
fn binary() -> PathBuf {
    match std::env::var_os("SOCIUS_E2E_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_socius")),
    }
}

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "e2e"])
    }

    /// Wait until the screen shows `text` (polling the pane; fails after 20 s).
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A tmux server of the test's own, with a temporary store and settings folder. `None` when
/// tmux is missing (CI installs it).
fn setup(tag: &str) -> Option<(Tmux, tempfile::TempDir)> {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("e2e: tmux is not installed; skipping (CI installs it)");
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let tmux = Tmux {
        socket: format!("socius-e2e-{tag}-{}", std::process::id()),
    };
    Some((tmux, dir))
}

impl Tmux {
    /// Run `socius ARGS` in an 80x24 window named `e2e`, with the store and settings in `dir`.
    /// With `exec`, the pane's process is socius itself; otherwise the shell prints
    /// `EXITED:<code>` afterwards and waits, so the exit code can be read.
    fn open(&self, dir: &Path, args: &str, exec: bool) {
        let base = format!(
            "env SOCIUS_CONFIG_DIR={} {} --store {} {args}",
            dir.join("config").display(),
            binary().display(),
            dir.join("store").display()
        );
        let cmd = if exec {
            format!("exec {base}")
        } else {
            format!("{base}; echo EXITED:$?; sleep 30")
        };
        self.run(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "80",
            "-y",
            "24",
            &cmd,
        ]);
    }
}

fn script(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name)
        .display()
        .to_string()
}

/// Every stored session of the store in `dir`, as exported JSONL records.
fn exported(dir: &Path) -> Vec<serde_json::Value> {
    let out = Command::new(binary())
        .args(["--store", dir.join("store").to_str().expect("utf-8")])
        .args(["sessions", "export", "--format", "jsonl"])
        .output()
        .expect("export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

fn decisions(record: &serde_json::Value) -> usize {
    record["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["body"]["type"] == "decision")
        .count()
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// Reveal lines and pick option 1 until `stop` decisions were made or the ending shows.
/// Returns the number of decisions made.
fn play(tmux: &Tmux, stop: usize) -> usize {
    let mut made = 0;
    let start = Instant::now();
    loop {
        let s = tmux.screen();
        if s.contains("The end") || made == stop {
            return made;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "stuck:\n{s}");
        let wait = if s.contains("Your reply") {
            tmux.keys(&["1"]);
            tmux.keys(&["Enter"]);
            made += 1;
            Duration::from_secs(5)
        } else {
            tmux.keys(&["a"]);
            Duration::from_millis(500)
        };
        // Wait until the screen shows what the keys did.
        let t = Instant::now();
        while tmux.screen() == s && t.elapsed() < wait {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn play_a_bundled_tree_to_an_ending_in_tmux() {
    let Some((tmux, dir)) = setup("play") else {
        return;
    };
    let args = format!(
        "play {} --as e2e-annotator --mode gae --seed 7",
        script("en-shared-kitchen.yaml")
    );
    tmux.open(dir.path(), &args, false);
    tmux.wait_for("Press Enter to begin");
    tmux.keys(&["Enter"]);
    let made = play(&tmux, usize::MAX);
    let end = tmux.wait_for("Outcome");
    assert!(
        end.contains("success") || end.contains("failure") || end.contains("partial"),
        "{end}"
    );
    tmux.keys(&["q"]);
    // socius exited normally and gave the terminal back to the shell.
    let after = tmux.wait_for("EXITED:");
    assert!(after.contains("EXITED:0"), "{after}");
    let out = Command::new(binary())
        .args(["--store", dir.path().join("store").to_str().expect("utf-8")])
        .args(["sessions", "list", "--json"])
        .output()
        .expect("sessions list");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let sessions = v["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 1, "{v}");
    assert_eq!(sessions[0]["status"], "finished", "{v}");
    assert_eq!(decisions(&exported(dir.path())[0]), made);
}

#[test]
fn kill_9_mid_tree_then_resume_from_the_library() {
    let Some((tmux, dir)) = setup("kill") else {
        return;
    };
    let args = format!(
        "play {} --as kill-test --mode gae",
        script("en-salary-talk.yaml")
    );
    tmux.open(dir.path(), &args, true);
    tmux.wait_for("Press Enter to begin");
    tmux.keys(&["Enter"]);
    let before = play(&tmux, 2);
    assert_eq!(before, 2);
    let pid = tmux.run(&["list-panes", "-t", "e2e", "-F", "#{pane_pid}"]);
    let killed = Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .expect("kill");
    assert!(killed.success());
    tmux.run(&["kill-session", "-t", "e2e"]);
    // Restart on the home screen: the session is offered for resuming.
    tmux.open(dir.path(), "", false);
    tmux.wait_for("In progress");
    tmux.keys(&["Tab"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Resumed where you left off");
    let after = play(&tmux, usize::MAX);
    tmux.wait_for("Outcome");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED:0");
    let records = exported(dir.path());
    assert_eq!(records.len(), 1, "one session, not two");
    assert_eq!(
        decisions(&records[0]),
        before + after,
        "no decision lost or repeated"
    );
    assert_eq!(records[0]["session"]["status"], "finished");
}
