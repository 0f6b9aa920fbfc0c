//! The log: a file under the user's state folder, never the terminal (the TUI owns the screen,
//! and command output is a contract).
//!
//! Where: `$SOCIUS_STATE_DIR`, else `$XDG_STATE_HOME/socius`, else `~/.local/state/socius`;
//! the file is `socius.log`, started afresh (the old one kept as `socius.log.1`) once it passes
//! 8 MiB. What: `RUST_LOG` as a list of `target=level` (e.g. `socius=debug`), else `debug`
//! with `--verbose`, else `info`. A log that cannot be opened is no log; nothing fails for it.

use std::fs::{self, OpenOptions};
use std::path::PathBuf;
use std::sync::Mutex;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Layer as _, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

const MAX_LOG_BYTES: u64 = 8 << 20;

/// The folder the log goes to.
#[must_use]
pub fn state_dir() -> Option<PathBuf> {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from("SOCIUS_STATE_DIR")
        .or_else(|| from("XDG_STATE_HOME").map(|d| d.join("socius")))
        .or_else(|| from("HOME").map(|h| h.join(".local/state/socius")))
}

/// Start logging to the file. Returns its path when logging is on.
pub fn init(verbose: bool) -> Option<PathBuf> {
    let dir = state_dir()?;
    fs::create_dir_all(&dir).ok()?;
    let path = dir.join("socius.log");
    if fs::symlink_metadata(&path).is_ok_and(|m| m.is_file() && m.len() > MAX_LOG_BYTES) {
        let _ = fs::rename(&path, dir.join("socius.log.1"));
    }
    // Only ever append to a regular file of our own (never follow a link planted there).
    if fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
        return None;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    let default = if verbose {
        LevelFilter::DEBUG
    } else {
        LevelFilter::INFO
    };
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(default));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_target(true);
    tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init()
        .ok()?;
    Some(path)
}
