//! A tmux server of a test's own for the end-to-end tests of studies (`e2e_study`,
//! `e2e_judged`): open the binary in a fresh session, send keys, wait for the screen that
//! proves they were acted on (no sleeps).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub fn binary() -> PathBuf {
    match std::env::var_os("SOCIUS_E2E_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_socius")),
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A tmux server of this test's own; each `open` starts a new session (`e1`, `e2`, …), the
/// one the other calls address. (Sessions are not killed on the way: a server whose last
/// session goes shuts down, and a session opened meanwhile could be lost with it.)
pub struct Tmux {
    pub socket: String,
    pub opened: std::cell::Cell<usize>,
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

impl Tmux {
    /// A server of this test's own, named after `tag` and the process.
    pub fn new(tag: &str) -> Self {
        Self {
            socket: format!("socius-e2e-{tag}-{}", std::process::id()),
            opened: std::cell::Cell::new(0),
        }
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn target(&self) -> String {
        format!("e{}", self.opened.get())
    }

    pub fn keys(&self, keys: &[&str]) {
        let target = self.target();
        let mut args = vec!["send-keys", "-t", target.as_str()];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.target()])
    }

    /// Poll the pane until `done` holds of it (20 s at most).
    pub fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if done(&s) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |s| s.contains(text))
    }

    /// `socius ARGS` in a new 80×24 session started in `cwd`, settings in `config`; the shell then
    /// prints `EXITED:<code>` and waits.
    pub fn open(&self, cwd: &Path, config: &Path, args: &str) {
        let cmd = format!(
            "env SOCIUS_CONFIG_DIR={} {} {args}; echo EXITED:$?; sleep 30",
            config.display(),
            binary().display()
        );
        let cwd = cwd.to_str().expect("utf-8");
        self.opened.set(self.opened.get() + 1);
        self.run(&[
            "new-session",
            "-d",
            "-s",
            &self.target(),
            "-x",
            "80",
            "-y",
            "24",
            "-c",
            cwd,
            &cmd,
        ]);
    }

    /// Wait for socius to exit (with 0).
    pub fn exited(&self) {
        let s = self.wait_for("EXITED:");
        assert!(s.contains("EXITED:0"), "{s}");
    }
}

/// `socius ARGS` in `cwd` (no inherited store); it must succeed.
pub fn socius(cwd: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(binary())
        .args(args)
        .current_dir(cwd)
        .env_remove("SOCIUS_STORE")
        .output()
        .expect("socius runs");
    assert!(
        out.status.success(),
        "socius {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The one JSON object a command printed.
pub fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}
