//! `socius sessions list|show|export|import|merge`: the session store from the command line.
//!
//! Text output goes to stdout; a closed pipe (`socius sessions list | head`) ends the command
//! quietly. `--json` outputs are single objects with `"schema": 1`.

mod table;
mod transcript;

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

pub use table::{render_list_json, render_table};
pub use transcript::render_transcript;

use super::{CmdResult, Failure, Globals};
use crate::fsx;
use crate::session::{
    Decision, EventBody, NewSession, OptionsPresented, PresentedOption, RECORD_SCHEMA, ScriptRef,
    SessionKind, Status, Who,
};
use crate::store::{CsvRows, ExportFormat, ExportOptions, Filter, MergeReport, Store};

#[derive(Debug, clap::Subcommand)]
pub enum SessionsCommand {
    /// List sessions, oldest first: a table, or one JSON object with --json
    List(ListArgs),
    /// Show one session's transcript, wrapped to the terminal
    Show(ShowArgs),
    /// Write sessions as JSONL (all events), CSV (one row per decision) or Markdown
    Export(ExportArgs),
    /// Add the sessions of a JSONL export to the store (importing twice changes nothing)
    Import(ImportArgs),
    /// Add the sessions of another store to this one (merging twice changes nothing)
    Merge(MergeArgs),
    /// Mark a session in progress abandoned: it is kept, but never resumed or scored
    Abandon(AbandonArgs),
    /// Test support: append sessions, printing `ID SEQ` after each flushed decision
    #[command(hide = true)]
    DebugAppend(DebugAppendArgs),
}

/// Conditions shared by `list` and `export`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    /// Only this kind (world_tree_gae, world_tree_iae, world_tree_both, cr_dialogue,
    /// study_judgment, study_rating)
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Only this script id (or a prefix of at least 8 hex digits of its content hash)
    #[arg(long, value_name = "SCRIPT")]
    pub script: Option<String>,
    /// Only this annotator id or model name (or annotator:ID, model:NAME[@HOST])
    #[arg(long, value_name = "WHO")]
    pub who: Option<String>,
    /// Only this status (in_progress, finished, abandoned, failed)
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Only this batch run id
    #[arg(long, value_name = "RUN")]
    pub run: Option<String>,
    /// Started on or after (YYYY-MM-DD, UTC, or an RFC 3339 time)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Started on or before (YYYY-MM-DD includes the whole day, UTC; or an RFC 3339 time)
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Only training sessions (yes), or none of them (no)
    #[arg(long, value_name = "yes|no", value_parser = ["yes", "no"])]
    pub training: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub store: super::StoreArg,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Print {"schema":1,"sessions":[…]} instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct AbandonArgs {
    #[command(flatten)]
    pub store: super::StoreArg,
    /// Session id, or a unique prefix of it
    pub id: String,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub store: super::StoreArg,
    /// Session id, or a unique prefix of it
    pub id: String,
    /// Wrap to this many columns [default: $COLUMNS, else the terminal's width, else 80]
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
    /// Print the session with all its events as one JSON object (the JSONL export's line)
    #[arg(long)]
    pub json: bool,
    /// Also print the messages each model call sent (system and user prompts)
    #[arg(long, conflicts_with = "json")]
    pub prompts: bool,
}

/// What a CSV row is (`--per`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PerArg {
    /// One row per GAE decision or IAE answer
    #[default]
    Decision,
    /// One summary row per session
    Session,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FormatArg {
    #[default]
    Jsonl,
    Csv,
    Md,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub store: super::StoreArg,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = FormatArg::Jsonl)]
    pub format: FormatArg,
    /// CSV rows: one per decision or answer, or one summary per session
    #[arg(long, value_enum, default_value_t = PerArg::Decision)]
    pub per: PerArg,
    /// Replace annotator ids with pseudonyms that are stable within this store
    #[arg(long)]
    pub anonymize: bool,
    /// Write to FILE instead of stdout (written whole, then renamed into place). FILE must be
    /// outside the store directory and, if it exists, a regular file
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub store: super::StoreArg,
    /// A JSONL export (`-` for stdin)
    pub file: PathBuf,
    /// Print the report as one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct MergeArgs {
    #[command(flatten)]
    pub store: super::StoreArg,
    /// The other store's directory
    #[arg(value_name = "STORE")]
    pub other: PathBuf,
    /// Print the report as one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct DebugAppendArgs {
    #[command(flatten)]
    pub store: super::StoreArg,
    #[arg(long, default_value_t = 1)]
    pub sessions: u32,
    #[arg(long, default_value_t = 10)]
    pub events: u32,
}

/// Run a `sessions` subcommand.
impl SessionsCommand {
    /// The command's own `--store`.
    #[must_use]
    pub const fn store(&self) -> &super::StoreArg {
        match self {
            Self::List(a) => &a.store,
            Self::Show(a) => &a.store,
            Self::Export(a) => &a.store,
            Self::Import(a) => &a.store,
            Self::Merge(a) => &a.store,
            Self::Abandon(a) => &a.store,
            Self::DebugAppend(a) => &a.store,
        }
    }
}

pub fn run(globals: &Globals, cmd: SessionsCommand) -> CmdResult {
    let dir = globals.store_dir();
    match cmd {
        SessionsCommand::List(args) => {
            let store = open_for_reading(&dir)?;
            let sessions = store.list(&build_filter(&args.filter)?)?;
            let text = if args.json {
                render_list_json(&sessions)
            } else {
                render_table(&sessions)
            };
            emit(&text)
        }
        SessionsCommand::Show(args) => {
            let store = open_for_reading(&dir)?;
            let session = store.resolve(&args.id)?;
            let record = store.record(session.id)?;
            let text = if args.json {
                let mut line = crate::term::to_json(&record)?;
                line.push('\n');
                line
            } else {
                render_transcript(
                    &record,
                    args.width.unwrap_or_else(terminal_width),
                    args.prompts,
                )
            };
            emit(&text)
        }
        SessionsCommand::Export(args) => export(&dir, &args),
        SessionsCommand::Import(args) => {
            let signalled = stop_on_signals()?;
            let stop = || signalled.load(Ordering::Relaxed);
            let store = Store::open(&dir)?;
            let name = args.file.display().to_string();
            let report = if name == "-" {
                store.import_jsonl_until(io::stdin().lock(), "stdin", &stop)?
            } else {
                let file =
                    File::open(&args.file).map_err(|e| Failure::Error(format!("{name}: {e}")))?;
                store.import_jsonl_until(BufReader::new(file), &name, &stop)?
            };
            report_merge(&format!("imported {name}"), &report, args.json, "imported")
        }
        SessionsCommand::Merge(args) => {
            if same_dir(&dir, &args.other) {
                return Err(Failure::Error(
                    "cannot merge a store into itself".to_owned(),
                ));
            }
            if !args.other.is_dir() {
                return Err(Failure::Error(format!(
                    "{} is not a socius store: no such directory",
                    args.other.display()
                )));
            }
            let signalled = stop_on_signals()?;
            let stop = || signalled.load(Ordering::Relaxed);
            let store = Store::open(&dir)?;
            // Only read: a store on read-only media can be merged from.
            let other = open_for_reading(&args.other)?;
            let report = store.merge_from_until(&other, &stop)?;
            report_merge(
                &format!("merged {}", args.other.display()),
                &report,
                args.json,
                "merged",
            )
        }
        SessionsCommand::Abandon(args) => {
            let store = Store::open(&dir)?;
            let session = store.resolve(&args.id)?;
            if session.status != Status::InProgress {
                return Err(Failure::Error(format!(
                    "session {} is {}; only a session in progress can be abandoned",
                    session.id, session.status
                )));
            }
            store.set_status(
                session.id,
                Status::Abandoned,
                Some(crate::session::StatusReason::Abandoned),
            )?;
            outln!(
                "session {} abandoned (kept; never resumed or scored)",
                session.id
            );
            Ok(ExitCode::SUCCESS)
        }
        SessionsCommand::DebugAppend(args) => debug_append(&dir, &args),
    }
}

/// Open a store only to read it (`list`, `show`, `export`, the other store of `merge`): one
/// that cannot be written is read from a temporary copy, with a note.
fn open_for_reading(dir: &Path) -> Result<Store, Failure> {
    let store = Store::open_for_reading(dir)?;
    if store.reads_a_copy() {
        errln!(
            "socius: note: the store at {} cannot be written; reading a temporary copy of it",
            dir.display()
        );
    }
    Ok(store)
}

fn export(dir: &Path, args: &ExportArgs) -> CmdResult {
    let store = open_for_reading(dir)?;
    let options = ExportOptions {
        format: match args.format {
            FormatArg::Jsonl => ExportFormat::Jsonl,
            FormatArg::Csv => ExportFormat::Csv,
            FormatArg::Md => ExportFormat::Md,
        },
        anonymize: args.anonymize,
        filter: build_filter(&args.filter)?,
        per: match args.per {
            PerArg::Decision => CsvRows::Decision,
            PerArg::Session => CsvRows::Session,
        },
    };
    if args.per == PerArg::Session && args.format != FormatArg::Csv {
        return Err(Failure::Usage(
            "--per session is a CSV layout; add --format csv".to_owned(),
        ));
    }
    let Some(out) = &args.out else {
        let stdout = io::stdout();
        let mut lock = BufWriter::new(stdout.lock());
        return match store.export(&options, &mut lock) {
            Ok(_) => Ok(ExitCode::SUCCESS),
            Err(crate::store::StoreError::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => Err(e.into()),
        };
    };
    refuse_inside_store(dir, out)?;
    // Written whole beside the target, then renamed over it: a failed export never leaves half
    // a file, and a device, FIFO, directory or link at `--out` is refused, not replaced.
    let summary =
        fsx::write_file_atomic(out, |w| store.export(&options, w).map_err(Failure::from))?;
    errln!(
        "exported {} session(s), {} row(s), to {}",
        summary.sessions,
        summary.rows,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Refuse an `--out` path inside the store directory: renaming a file over one of sled's
/// files (or adding one beside them) would damage the store. The output need not exist yet,
/// so its directory is resolved and its name joined on.
fn refuse_inside_store(store_dir: &Path, out: &Path) -> Result<(), Failure> {
    let Ok(store) = store_dir.canonicalize() else {
        return Ok(());
    };
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // An unresolvable directory is reported by the write itself.
    let Ok(parent) = parent.canonicalize() else {
        return Ok(());
    };
    let target = match out.file_name() {
        Some(name) => parent.join(name),
        None => parent,
    };
    if target.starts_with(&store) {
        return Err(Failure::Error(format!(
            "refusing to write the export to {}: it is inside the store directory {}; \
             choose a path outside it",
            out.display(),
            store_dir.display()
        )));
    }
    Ok(())
}

/// A flag that SIGINT (Ctrl-C) and SIGTERM raise, so a long import or merge can stop between
/// sessions instead of dying in the middle of one. A second signal of either kind ends the
/// process at once, with the shell's code for it (130 for Ctrl-C, 143 for SIGTERM).
fn stop_on_signals() -> Result<Arc<AtomicBool>, Failure> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let stop = Arc::new(AtomicBool::new(false));
    let register = |signal: i32| -> io::Result<()> {
        // Registered first, so it sees the flag as it was before this signal raised it.
        signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&stop))?;
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
        Ok(())
    };
    register(SIGINT)
        .and_then(|()| register(SIGTERM))
        .map_err(|e| Failure::Error(format!("cannot watch for Ctrl-C: {e}")))?;
    Ok(stop)
}

/// Print an import or merge report; `verb` says what happened to the sessions.
fn report_merge(what: &str, report: &MergeReport, json: bool, verb: &str) -> CmdResult {
    if report.interrupted {
        for problem in &report.problems {
            errln!(
                "socius: session {} not merged: {}",
                problem.id,
                problem.reason
            );
        }
        errln!(
            "socius: interrupted: {} session(s) done; run the same command again to finish \
             (already-{verb} sessions are skipped)",
            report.done()
        );
        return Ok(ExitCode::from(1));
    }
    if json {
        let value = serde_json::json!({
            "schema": RECORD_SCHEMA,
            "added": report.added,
            "extended": report.extended,
            "unchanged": report.unchanged,
            "events_added": report.events_added,
            "problems": report.problems,
        });
        emit(&format!("{}\n", crate::term::to_json(&value)?))?;
    } else {
        emit(&format!(
            "{what}: {} added, {} extended, {} unchanged, {} event(s) written, {} problem(s)\n",
            report.added,
            report.extended,
            report.unchanged,
            report.events_added,
            report.problems.len()
        ))?;
    }
    for problem in &report.problems {
        errln!(
            "socius: session {} not merged: {}",
            problem.id,
            problem.reason
        );
    }
    if report.problems.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
}

/// Whether two paths name the same existing directory.
fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Write to stdout through the terminal cleaner; a closed pipe is not an error.
fn emit(text: &str) -> CmdResult {
    let text = crate::term::clean(text);
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(Failure::Error(format!("cannot write to stdout: {e}"))),
    }
}

/// The width to wrap `show` at: `$COLUMNS`, else the terminal's, else 80.
fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
        .unwrap_or(80)
}

/// The store filter for the command-line conditions.
pub fn build_filter(args: &FilterArgs) -> Result<Filter, Failure> {
    let kind = args.kind.as_deref().map(SessionKind::from_name);
    if let Some(kind) = kind.as_ref().filter(|k| !k.is_known()) {
        errln!(
            "socius: note: `{kind}` is not a kind this socius knows ({})",
            SessionKind::KNOWN.join(", ")
        );
    }
    let status = args.status.as_deref().map(Status::from_name);
    if let Some(status) = status.as_ref().filter(|s| !s.is_known()) {
        errln!(
            "socius: note: `{status}` is not a status this socius knows ({})",
            Status::KNOWN.join(", ")
        );
    }
    Ok(Filter {
        kind,
        script: args.script.clone(),
        who: args.who.clone(),
        status,
        run_id: args.run.as_deref().map(Into::into),
        since: args
            .since
            .as_deref()
            .map(|s| parse_time(s, false, "--since"))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|s| parse_time(s, true, "--until"))
            .transpose()?,
        training: args.training.as_deref().map(|t| t == "yes"),
    })
}

/// A `--since`/`--until` value: an RFC 3339 time, or a UTC date (its start, or for `--until`
/// the start of the next day, since the upper bound is exclusive).
fn parse_time(text: &str, until: bool, flag: &str) -> Result<DateTime<Utc>, Failure> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        let t = t.with_timezone(&Utc);
        // An exact `--until` time is inclusive.
        return Ok(if until {
            t + TimeDelta::nanoseconds(1)
        } else {
            t
        });
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        Failure::Usage(format!(
            "{flag} `{text}`: expected a date like 2025-03-01 or a time like 2025-03-01T12:00:00Z"
        ))
    })?;
    let date = if until {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    Ok(date.and_time(NaiveTime::MIN).and_utc())
}

/// Test support for the crash-safety test: append `sessions` sessions of `events` decisions
/// each, printing `ID SEQ` after every flushed append.
fn debug_append(dir: &Path, args: &DebugAppendArgs) -> CmdResult {
    let store = Store::open(dir)?;
    let mut out = io::stdout().lock();
    for s in 0..args.sessions {
        let new = NewSession::new(
            SessionKind::WorldTreeGae,
            ScriptRef::new(format!("debug-{s}"), b"debug"),
            Who::annotator("debug"),
            u64::from(s),
        );
        let session = store.create(new)?;
        for e in 0..args.events {
            let options = (0..3)
                .map(|i| PresentedOption {
                    id: format!("o{i}").into(),
                    text: format!("option {i} of {e}"),
                })
                .collect();
            let shown = EventBody::OptionsPresented(OptionsPresented {
                node: Some(format!("n{e}")),
                prompt: None,
                options,
            });
            store.append_unflushed(session.id, shown)?;
            let decision = EventBody::Decision(Decision {
                options_scrolled: false,
                node: Some(format!("n{e}")),
                option_index: e % 3,
                option_id: format!("o{}", e % 3).into(),
                latency_ms: u64::from(e),
                choice: None,
            });
            let seq = store.append(session.id, decision)?;
            writeln!(out, "{} {seq}", session.id)?;
        }
        let seq = store.set_status(session.id, Status::Finished, None)?;
        writeln!(out, "{} {seq}", session.id)?;
    }
    Ok(ExitCode::SUCCESS)
}
