//! End to end in a real terminal: tmux runs the release binary (or the test build when no
//! release build exists), keys are sent with `send-keys`, the screen is read with
//! `capture-pane`. Plays a bundled tree to an ending, quits, and finds the session with
//! `socius sessions list`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn binary() -> PathBuf {
    let release = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/socius");
    let debug = PathBuf::from(env!("CARGO_BIN_EXE_socius"));
    let newer = |a: &Path, b: &Path| {
        let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        matches!((m(a), m(b)), (Some(x), Some(y)) if x >= y)
    };
    if release.exists() && newer(&release, &debug) {
        release
    } else {
        eprintln!(
            "e2e: no fresh release build; using the test build {}",
            debug.display()
        );
        debug
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
        if s.contains("Your reply") {
            tmux.keys(&["1"]);
            tmux.keys(&["Enter"]);
            made += 1;
            // Wait until the reply box has moved on (the next node or the ending).
            let t = Instant::now();
            while tmux.screen() == s && t.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(20));
            }
        } else {
            tmux.keys(&["a"]);
            let t = Instant::now();
            while tmux.screen() == s && t.elapsed() < Duration::from_millis(500) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

#[test]
fn kill_9_mid_tree_then_resume_from_the_library() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("e2e: tmux is not installed; skipping (CI installs it)");
        return;
    }
    let bin = binary();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let config = dir.path().join("config");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/en-salary-talk.yaml");
    let tmux = Tmux {
        socket: format!("socius-e2e-kill-{}", std::process::id()),
    };
    // `exec` makes the pane's process socius itself, so its pid is the pane's pid.
    let cmd = format!(
        "exec env SOCIUS_CONFIG_DIR={} {} --store {} play {} --as kill-test --mode gae",
        config.display(),
        bin.display(),
        store.display(),
        script.display()
    );
    tmux.run(&[
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
    let cmd = format!(
        "env SOCIUS_CONFIG_DIR={} {} --store {}; echo EXITED:$?; sleep 30",
        config.display(),
        bin.display(),
        store.display()
    );
    tmux.run(&[
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
    tmux.wait_for("In progress");
    tmux.keys(&["Tab"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Resumed where you left off");
    let after = play(&tmux, usize::MAX);
    tmux.wait_for("Outcome");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED:0");
    let out = Command::new(&bin)
        .args([
            "--store",
            store.to_str().expect("utf-8"),
            "sessions",
            "export",
            "--format",
            "jsonl",
        ])
        .output()
        .expect("export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one session, not two:\n{text}");
    let record: serde_json::Value = serde_json::from_str(lines[0]).expect("json");
    let events = record["events"].as_array().expect("events");
    let decisions = events
        .iter()
        .filter(|e| e["body"]["type"] == "decision")
        .count();
    assert_eq!(decisions, before + after, "no decision lost or repeated");
    assert_eq!(record["session"]["status"], "finished");
}

#[test]
fn play_a_bundled_tree_to_an_ending_in_tmux() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("e2e: tmux is not installed; skipping (CI installs it)");
        return;
    }
    let bin = binary();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let config = dir.path().join("config");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/en-shared-kitchen.yaml");
    let tmux = Tmux {
        socket: format!("socius-e2e-{}", std::process::id()),
    };
    let cmd = format!(
        "SOCIUS_CONFIG_DIR={} {} --store {} play {} --as e2e-annotator --mode gae --seed 7; echo EXITED:$?; sleep 30",
        config.display(),
        bin.display(),
        store.display(),
        script.display()
    );
    tmux.run(&[
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
    tmux.wait_for("Press Enter to begin");
    tmux.keys(&["Enter"]);
    // Reveal, pick the first option, confirm — until the ending shows.
    let start = Instant::now();
    loop {
        let s = tmux.screen();
        if s.contains("The end") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no ending reached:\n{s}"
        );
        if s.contains("Your reply") {
            tmux.keys(&["1"]);
            tmux.wait_for("Your reply");
            tmux.keys(&["Enter"]);
        } else {
            tmux.keys(&["a"]);
        }
        // Let the app draw what the keys did before reading again.
        let before = s;
        let t = Instant::now();
        while tmux.screen() == before && t.elapsed() < Duration::from_millis(500) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let end = tmux.wait_for("Outcome");
    assert!(
        end.contains("success") || end.contains("failure") || end.contains("partial"),
        "{end}"
    );
    tmux.keys(&["q"]);
    let after = tmux.wait_for("EXITED:");
    assert!(after.contains("EXITED:0"), "{after}");
    // The terminal was restored: the shell's output is visible on a normal screen.
    let out = Command::new(&bin)
        .args([
            "--store",
            store.to_str().expect("utf-8"),
            "sessions",
            "list",
            "--json",
        ])
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
}
