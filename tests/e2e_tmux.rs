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
