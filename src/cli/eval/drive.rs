//! Running the batch from the command line: the runtime, Ctrl-C, the progress line, and what
//! is printed at the end.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::{CommonArgs, DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT_SECS};
use crate::agent::llm::DEFAULT_API_KEY_ENV;
use crate::agent::llm::Pool;
use crate::cli::DEFAULT_STORE;
use crate::cli::{CmdResult, Failure};
use crate::eval::progress::{Progress, render};
use crate::eval::record::scrub;
use crate::eval::report::table;
use crate::eval::runner::{self, Cancel, EvalTree, Prompts, RunOutcome, RunSpec, StopReason};
use crate::eval::settings::EvalKind;
use crate::store::Store;

/// Run the batch on a fresh runtime, with Ctrl-C handling and the progress line.
pub(super) fn execute(
    store: Store,
    pool: Pool,
    prompts: Prompts,
    spec: RunSpec,
    trees: Vec<EvalTree>,
    kind: EvalKind,
) -> Result<RunOutcome, Failure> {
    on_runtime(unit(kind), move |cancel, progress| {
        runner::run(store, pool, prompts, spec, trees, cancel, progress)
    })
}

/// Run a batch (`run`, given the cancel switch and the progress counters) on a fresh runtime:
/// Ctrl-C cancels it (twice quits at once), the progress line counts `unit`, and its last
/// state is printed at the end.
pub(crate) fn on_runtime<T, F>(
    unit: &'static str,
    run: impl FnOnce(Cancel, Arc<Progress>) -> F,
) -> Result<T, Failure>
where
    F: std::future::Future<Output = Result<T, crate::eval::RunError>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Error(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let cancel = Cancel::new();
        let progress = Arc::new(Progress::new());
        let stop = cancel.clone();
        let tty = std::io::stderr().is_terminal();
        let signals = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                errln!(
                    "{}socius: stopping: no new {unit} start, running ones are abandoned \
                     (Ctrl-C again to quit at once)",
                    if tty { "\n" } else { "" }
                );
                stop.cancel();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        });
        let ticker = tokio::spawn(show_progress(Arc::clone(&progress), unit, tty));
        let result = run(cancel, Arc::clone(&progress)).await;
        ticker.abort();
        signals.abort();
        let width = width();
        let line = render(&progress.snapshot(), unit, width);
        if tty {
            // The carriage return is ours; the line itself is cleaned like all output.
            eprintln!("\r{:<width$}", crate::term::clean_field(&line));
        } else {
            errln!("socius: {line}");
        }
        result.map_err(Failure::from)
    })
}

const fn unit(kind: EvalKind) -> &'static str {
    match kind {
        EvalKind::Gae => "episodes",
        EvalKind::Iae => "trees",
    }
}

fn width() -> usize {
    terminal_size::terminal_size_of(std::io::stderr())
        .map_or(100, |(w, _)| usize::from(w.0))
        .saturating_sub(1)
        .max(20)
}

/// Redraw the progress line: in place five times a second on a terminal, else a plain line
/// every ten seconds.
async fn show_progress(progress: Arc<Progress>, unit: &'static str, tty: bool) {
    let period = if tty {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(10)
    };
    let mut tick = tokio::time::interval(period);
    tick.tick().await;
    let mut last_len: usize = 0;
    loop {
        tick.tick().await;
        let line = render(&progress.snapshot(), unit, width());
        if tty {
            let pad = " ".repeat(last_len.saturating_sub(line.len()));
            eprint!("\r{}{pad}", crate::term::clean_field(&line));
            last_len = line.len();
        } else {
            errln!("socius: {line}");
        }
    }
}

/// A word as a shell would need it.
pub(crate) fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+,-[]".contains(c));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn resume_hint(common: &CommonArgs, kind: EvalKind, run_id: &str, store: &Path) -> String {
    let mut words = vec![
        "socius".to_owned(),
        "eval".to_owned(),
        kind.name().to_owned(),
        "--resume".to_owned(),
        shell_word(run_id),
    ];
    // The settings stored with the run (model, protocol, temperature, episodes, seed, …) carry
    // over by themselves; what the run does not store is repeated here when it was not the
    // default, so the printed command continues this very run.
    if store != Path::new(DEFAULT_STORE) {
        words.extend(["--store".to_owned(), shell_word(&path_text(store))]);
    }
    words.push("--scripts".to_owned());
    words.extend(common.scripts.iter().map(|p| shell_word(&path_text(p))));
    words.extend([
        "--endpoint".to_owned(),
        shell_word(&scrub(&common.endpoint, &common.endpoint)),
        "--model".to_owned(),
        shell_word(&common.model),
    ]);
    if let Some(t) = &common.prompt_template {
        words.extend(["--prompt-template".to_owned(), shell_word(&path_text(t))]);
    }
    if common.api_key_env != DEFAULT_API_KEY_ENV {
        words.extend(["--api-key-env".to_owned(), shell_word(&common.api_key_env)]);
    }
    if common.concurrency != DEFAULT_CONCURRENCY {
        words.extend(["--concurrency".to_owned(), common.concurrency.to_string()]);
    }
    if (common.timeout - DEFAULT_TIMEOUT_SECS).abs() > f64::EPSILON {
        words.extend(["--timeout".to_owned(), common.timeout.to_string()]);
    }
    if common.max_attempts != DEFAULT_MAX_ATTEMPTS {
        words.extend(["--max-attempts".to_owned(), common.max_attempts.to_string()]);
    }
    words.join(" ")
}

fn path_text(p: &Path) -> String {
    p.display().to_string()
}

/// Print the result and decide the exit code.
pub(super) fn finish(
    outcome: &RunOutcome,
    common: &CommonArgs,
    kind: EvalKind,
    run_id: &str,
    endpoint: &str,
    store: &Path,
) -> CmdResult {
    // Shown without a password the URL may carry.
    let endpoint = &scrub(endpoint, endpoint);
    if common.json {
        outln!("{}", crate::term::to_json(&outcome.report)?);
    } else {
        out!("{}", table(&outcome.report));
    }
    let unit = unit(kind);
    let t = &outcome.tally;
    let p = &outcome.progress;
    if outcome.reopened > 0 {
        errln!(
            "socius: {} session(s) left in progress by an earlier invocation were marked \
             abandoned and run again",
            outcome.reopened
        );
    }
    if p.cut > 0 {
        errln!(
            "socius: warning: {} of {} replies stopped at the token limit (finish_reason \
             \"length\"); a cut reply often holds no answer. A new run with a larger \
             --max-tokens gives the model room (a resume keeps the run's limit).",
            p.cut,
            p.calls
        );
    }
    let last_error = outcome
        .last_error
        .as_deref()
        .unwrap_or("(no error recorded)");
    match outcome.stop {
        Some(StopReason::Interrupted) => {
            return Err(Failure::Error(format!(
                "interrupted: {} of {} {unit} of run {run_id} are finished ({} abandoned just \
                 now). Resume with:\n  {}",
                t.finished,
                t.slots,
                p.abandoned,
                resume_hint(common, kind, run_id, store)
            )));
        }
        Some(StopReason::EndpointFailing { consecutive }) => {
            return Err(Failure::Error(format!(
                "stopped after {consecutive} {unit} in a row failed at {endpoint}: \
                 {last_error}\nOnce the endpoint works, resume with:\n  {}",
                resume_hint(common, kind, run_id, store)
            )));
        }
        None => {}
    }
    if p.done > 0 && p.failed == p.done {
        let mut msg = format!("every {} failed: {last_error}", unit.trim_end_matches('s'));
        if !last_error.contains(endpoint) {
            msg.push_str(&format!(" (endpoint {endpoint})"));
        }
        return Err(Failure::Error(msg));
    }
    if t.failed > 0 {
        errln!(
            "socius: warning: {} of {} {unit} failed (last error: {last_error}); they count \
             under dropped.error. Redo them with:\n  {}",
            t.failed,
            t.slots,
            resume_hint(common, kind, run_id, store)
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("run-1"), "run-1");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("http://127.0.0.1:8/v1"), "http://127.0.0.1:8/v1");
    }
}
