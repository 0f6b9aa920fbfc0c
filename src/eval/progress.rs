//! Live counters of a batch run and the one-line progress display.
//!
//! The runner updates [`Progress`] (atomics, cheap from any task); whoever shows progress — the
//! command line's stderr line, later the TUI's runs view — reads a [`Snapshot`] when it likes.
//! [`render`] is pure: `12/40 episodes [####------] 3.1 calls/s, ETA 1m05s, 2 errors`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Counters shared by the runner's tasks.
#[derive(Debug)]
pub struct Progress {
    /// Episodes (GAE) or trees (IAE) this invocation runs.
    total: AtomicUsize,
    /// Of the run's episodes, those already finished before (resume).
    skipped: AtomicUsize,
    /// Ended this invocation: finished or failed.
    done: AtomicUsize,
    failed: AtomicUsize,
    abandoned: AtomicUsize,
    /// HTTP calls that returned a completion, and those that failed after every retry.
    calls: AtomicUsize,
    call_errors: AtomicUsize,
    /// Replies the server stopped at the token limit (`finish_reason` `length`).
    cut: AtomicUsize,
    last_error: Mutex<Option<String>>,
    started: Instant,
}

impl Default for Progress {
    fn default() -> Self {
        Self {
            total: AtomicUsize::new(0),
            skipped: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            abandoned: AtomicUsize::new(0),
            calls: AtomicUsize::new(0),
            call_errors: AtomicUsize::new(0),
            cut: AtomicUsize::new(0),
            last_error: Mutex::new(None),
            started: Instant::now(),
        }
    }
}

/// A consistent-enough reading of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Snapshot {
    pub total: usize,
    pub skipped: usize,
    pub done: usize,
    pub failed: usize,
    pub abandoned: usize,
    pub calls: usize,
    pub call_errors: usize,
    /// Replies cut at the token limit.
    pub cut: usize,
    pub elapsed: Duration,
}

impl Progress {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn plan(&self, total: usize, skipped: usize) {
        self.total.store(total, Ordering::Relaxed);
        self.skipped.store(skipped, Ordering::Relaxed);
    }

    pub(crate) fn finished(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self, error: &str) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.failed.fetch_add(1, Ordering::Relaxed);
        self.set_error(error);
    }

    pub(crate) fn abandoned(&self) {
        self.abandoned.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn call(&self, ok: bool) {
        if ok {
            self.calls.fetch_add(1, Ordering::Relaxed);
        } else {
            self.call_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A reply the server stopped at the token limit.
    pub(crate) fn cut_at_limit(&self) {
        self.cut.fetch_add(1, Ordering::Relaxed);
    }

    fn set_error(&self, error: &str) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(error.to_owned());
    }

    /// The last error an episode failed with.
    #[must_use]
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            total: self.total.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
            done: self.done.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            abandoned: self.abandoned.load(Ordering::Relaxed),
            calls: self.calls.load(Ordering::Relaxed),
            call_errors: self.call_errors.load(Ordering::Relaxed),
            cut: self.cut.load(Ordering::Relaxed),
            elapsed: self.started.elapsed(),
        }
    }
}

/// `1h02m`, `4m05s`, `12s`.
#[must_use]
pub fn duration_text(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// The progress line, at most `width` columns (ASCII only, so columns are characters). `unit`
/// names what is counted (`episodes`, `trees`).
#[must_use]
pub fn render(s: &Snapshot, unit: &str, width: usize) -> String {
    let secs = s.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        #[expect(clippy::cast_precision_loss, reason = "call counts are far below 2^52")]
        let calls = s.calls as f64;
        calls / secs
    } else {
        0.0
    };
    let eta = if s.done == 0 || s.done >= s.total || s.abandoned > 0 {
        None
    } else {
        let per = s
            .elapsed
            .div_f64(f64::from(u32::try_from(s.done).unwrap_or(u32::MAX)));
        let left = u32::try_from(s.total - s.done).unwrap_or(u32::MAX);
        Some(per.saturating_mul(left))
    };
    let head = format!("{}/{} {unit}", s.done, s.total);
    let bar = {
        const CELLS: usize = 20;
        let filled = (s.done * CELLS)
            .checked_div(s.total)
            .unwrap_or(0)
            .min(CELLS);
        format!("[{}{}]", "#".repeat(filled), "-".repeat(CELLS - filled))
    };
    let mut tail = format!("{rate:.1} calls/s");
    if let Some(eta) = eta {
        tail.push_str(&format!(", ETA {}", duration_text(eta)));
    }
    let errors = s.failed;
    tail.push_str(&format!(
        ", {errors} error{}",
        if errors == 1 { "" } else { "s" }
    ));
    if s.abandoned > 0 {
        tail.push_str(&format!(", {} abandoned", s.abandoned));
    }
    let full = format!("{head} {bar} {tail}");
    if full.len() <= width {
        return full;
    }
    let short = format!("{head} {tail}");
    if short.len() <= width {
        return short;
    }
    short.chars().take(width).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shows_counts_rate_eta_and_errors() {
        let s = Snapshot {
            total: 40,
            done: 10,
            failed: 1,
            calls: 50,
            elapsed: Duration::from_secs(10),
            ..Snapshot::default()
        };
        let line = render(&s, "episodes", 120);
        assert_eq!(
            line,
            "10/40 episodes [#####---------------] 5.0 calls/s, ETA 30s, 1 error"
        );
        let narrow = render(&s, "episodes", 50);
        assert_eq!(narrow, "10/40 episodes 5.0 calls/s, ETA 30s, 1 error");
        assert_eq!(render(&s, "episodes", 10).len(), 10);
        let none = render(&Snapshot::default(), "trees", 80);
        assert!(none.starts_with("0/0 trees [--------------------] 0.0 calls/s, 0 errors"));
    }

    #[test]
    fn durations() {
        assert_eq!(duration_text(Duration::from_secs(5)), "5s");
        assert_eq!(duration_text(Duration::from_secs(65)), "1m05s");
        assert_eq!(duration_text(Duration::from_secs(3720)), "1h02m");
    }
}
