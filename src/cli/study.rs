//! `socius study new|export-assignment|status|run`: human-baseline plans (see `study::record` for
//! where a registered study lives); pairwise and pointwise studies are handed to
//! `study_judged.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{CmdResult, Globals, StoreArg};
use crate::store::{Filter, Store};
use crate::study::record::{self, Registered};
use crate::study::{ItemState, StudyStatus};
use crate::tui::queue::QueueSpec;
use crate::tui::store_port::StorePort;

/// The folder, next to the store, where studies are registered unless `--out` / `--studies`
/// names another.
pub const DEFAULT_STUDIES: &str = "studies";

#[derive(Debug, clap::Subcommand)]
pub enum StudyCommand {
    /// Register a study file (kind: study): a baseline plan, or pairwise/pointwise tasks built
    /// from the stored sessions; one assignment per annotator
    New(NewArgs),
    /// Write one annotator's assignment and the trees, cases and transcripts it needs into a
    /// folder (to take to their machine)
    ExportAssignment(ExportArgs),
    /// Per annotator: what is done, in progress or not started (baseline), or tasks answered
    /// and onboarding and attention results (pairwise/pointwise), from the store
    Status(StatusArgs),
    /// Work through an annotator's assignment in the TUI: a baseline's queue of trees, or
    /// the judging screen of a pairwise/pointwise study (quitting and running it again resumes)
    Run(RunArgs),
    /// Statistics of a pairwise or pointwise study from its stored judgments: wins, Wilson
    /// intervals, sign tests, Bradley–Terry, agreement, ratings, CR pre/post change
    Report(super::study_report::ReportArgs),
    /// Write a pairwise study's counted judgments as Chatbot Arena CSV or ACUTE-Eval JSONL
    Export(super::study_report::ExportArgs),
    /// Store pairwise judgments collected elsewhere (Chatbot Arena CSV), creating the study if
    /// it does not exist
    Import(super::study_report::ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// A registered study (its id, or its folder), or an exported assignment folder
    #[arg(value_name = "STUDY")]
    pub study: String,
    /// The annotator whose queue to play
    #[arg(long = "as", value_name = "NAME")]
    pub annotator: String,
    #[command(flatten)]
    pub store: StoreArg,
    /// Where studies are registered [default: studies/ next to the store]
    #[arg(long, value_name = "DIR")]
    pub studies: Option<PathBuf>,
    #[command(flatten)]
    pub ui: super::UiArgs,
}

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The study file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub store: StoreArg,
    /// Where studies are registered [default: studies/ next to the store]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// A registered study: its id, or its folder
    #[arg(value_name = "STUDY")]
    pub study: String,
    /// The annotator whose assignment to export
    #[arg(long = "as", value_name = "NAME")]
    pub annotator: String,
    /// The folder to write (new or empty)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub store: StoreArg,
    /// Where studies are registered [default: studies/ next to the store]
    #[arg(long, value_name = "DIR")]
    pub studies: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// A registered study: its id, or its folder
    #[arg(value_name = "STUDY")]
    pub study: String,
    /// Session store directory; give it several times to count the sessions of several
    /// stores (a session in two of them counts once) [default: as for the other commands]
    #[arg(long, value_name = "DIR")]
    pub store: Vec<PathBuf>,
    /// Where studies are registered [default: studies/ next to the (first) store]
    #[arg(long, value_name = "DIR")]
    pub studies: Option<PathBuf>,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

impl StudyCommand {
    /// The command's own single `--store` (status takes several and reads them itself).
    #[must_use]
    pub fn store(&self) -> StoreArg {
        match self {
            Self::New(a) => a.store.clone(),
            Self::ExportAssignment(a) => a.store.clone(),
            Self::Run(a) => a.store.clone(),
            Self::Status(a) => StoreArg {
                store: a.store.first().cloned(),
            },
            Self::Report(a) => StoreArg {
                store: a.store.first().cloned(),
            },
            Self::Export(a) => StoreArg {
                store: a.store.first().cloned(),
            },
            Self::Import(a) => a.store.clone(),
        }
    }
}

/// `studies/` beside the store directory.
fn studies_beside(store: &Path) -> PathBuf {
    store.parent().map_or_else(
        || PathBuf::from(DEFAULT_STUDIES),
        |p| p.join(DEFAULT_STUDIES),
    )
}

pub fn run(globals: &Globals, cmd: &StudyCommand) -> CmdResult {
    let beside = || studies_beside(&globals.store_dir());
    match cmd {
        StudyCommand::New(a) => new(globals, &a.file, &a.out.clone().unwrap_or_else(beside)),
        StudyCommand::ExportAssignment(a) => {
            let dir = record::locate(&a.study, &a.studies.clone().unwrap_or_else(beside));
            if is_judged(&dir) {
                return super::study_judged::export(&dir, &a.annotator, &a.out);
            }
            let reg = record::open(&dir)?;
            let done = record::export_assignment(&reg, &a.annotator, &a.out)?;
            outln!(
                "wrote {}: the assignment of `{}` in study `{}` ({} item{}) and {} tree file{}",
                done.out.display(),
                a.annotator,
                reg.plan.id,
                done.items,
                plural(done.items),
                done.trees,
                plural(done.trees)
            );
            Ok(ExitCode::SUCCESS)
        }
        StudyCommand::Status(a) => status(globals, a, &a.studies.clone().unwrap_or_else(beside)),
        StudyCommand::Run(a) => run_queue(globals, a, &a.studies.clone().unwrap_or_else(beside)),
        StudyCommand::Report(a) => {
            super::study_report::report(globals, a, &a.studies.clone().unwrap_or_else(beside))
        }
        StudyCommand::Export(a) => {
            super::study_report::export(globals, a, &a.studies.clone().unwrap_or_else(beside))
        }
        StudyCommand::Import(a) => {
            super::study_report::import(globals, a, &a.studies.clone().unwrap_or_else(beside))
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Whether the registered study in `dir` is pairwise or pointwise.
fn is_judged(dir: &Path) -> bool {
    matches!(
        crate::study::judged_record::plan_type(dir).as_deref(),
        Some("pairwise" | "pointwise")
    )
}

fn new(globals: &Globals, file: &Path, out: &Path) -> CmdResult {
    let (study, _) = record::load_checked(file)?;
    if !matches!(study.body, crate::script::study::StudyBody::Baseline(_)) {
        return super::study_judged::new(globals, file, out);
    }
    let reg = record::register(file, out)?;
    let p = &reg.plan;
    let mut text = format!(
        "registered study `{}` (baseline, {}, k = {}, seed {}) in {}\n  {} tree{}, {} training tree{}, {} annotator{}\n",
        p.id,
        p.mode.name(),
        p.k,
        p.seed,
        reg.dir.display(),
        p.trees.len(),
        plural(p.trees.len()),
        p.training.len(),
        plural(p.training.len()),
        p.annotators.len(),
        plural(p.annotators.len()),
    );
    for a in &reg.assignments {
        let share = a.study_items().count();
        let _ = writeln!(
            text,
            "  {}: {share} tree{} ({}) → {}",
            a.annotator,
            plural(share),
            a.study_items()
                .map(|i| i.tree.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            reg.dir
                .join(record::ASSIGNMENTS_DIR)
                .join(format!("{}.json", a.annotator))
                .display()
        );
    }
    out!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn status(globals: &Globals, args: &StatusArgs, studies: &Path) -> CmdResult {
    let dir = record::locate(&args.study, studies);
    if is_judged(&dir) {
        return super::study_judged::status(globals, args, &dir);
    }
    let reg = record::open(&dir)?;
    let stores = if args.store.is_empty() {
        vec![globals.store_dir()]
    } else {
        args.store.clone()
    };
    let mut sessions = Vec::new();
    for dir in &stores {
        if !dir.exists() {
            // No store yet: nobody has played anything there.
            errln!(
                "socius: warning: {}: no such store directory (counted as no sessions)",
                dir.display()
            );
            continue;
        }
        let store = Store::open_for_reading(dir)?;
        sessions.extend(store.list(&Filter::default())?);
    }
    let hashes = reg
        .plan
        .trees
        .iter()
        .chain(&reg.plan.training)
        .map(|t| (t.id.clone(), t.sha256.clone()))
        .collect();
    let st = crate::study::status(&reg.assignments, &sessions, &hashes);
    if args.json {
        let report = serde_json::json!({
            "schema": record::PLAN_SCHEMA,
            "study": reg.plan.id,
            "stores": stores,
            "done": st.done,
            "total": st.total,
            "annotators": st.annotators,
        });
        outln!("{}", crate::term::to_json_pretty(&report)?);
    } else {
        out!("{}", render(&reg, &st));
    }
    Ok(ExitCode::SUCCESS)
}

fn render(reg: &Registered, st: &StudyStatus) -> String {
    let mut text = format!(
        "study `{}` (baseline, {}, k = {}): {}/{} done\n",
        reg.plan.id,
        reg.plan.mode.name(),
        reg.plan.k,
        st.done,
        st.total
    );
    let width = st
        .annotators
        .iter()
        .flat_map(|a| a.items.iter().map(|i| i.tree.chars().count()))
        .max()
        .unwrap_or(0);
    for a in &st.annotators {
        let _ = writeln!(
            text,
            "{}: {} done, {} in progress, {} not started",
            a.annotator, a.done, a.in_progress, a.not_started
        );
        for i in &a.items {
            let mark = match i.state {
                ItemState::Done => "✓",
                ItemState::InProgress => "…",
                ItemState::NotStarted => "·",
            };
            let _ = write!(
                text,
                "  {mark} {:<width$}  {:<4}  {}{}",
                i.tree,
                i.mode.name(),
                i.state.name(),
                if i.training { "  (training)" } else { "" }
            );
            if i.other_version > 0 {
                let _ = write!(
                    text,
                    "  ({} session{} on another version of the tree)",
                    i.other_version,
                    plural(i.other_version)
                );
            }
            text.push('\n');
        }
    }
    text
}

/// `study run`: the annotator's queue in the TUI, over the study's copies of the trees.
fn run_queue(globals: &Globals, args: &RunArgs, studies: &Path) -> CmdResult {
    let given = Path::new(&args.study);
    let dir = if given.join(record::ASSIGNMENT_FILE).is_file() {
        given.to_path_buf()
    } else {
        record::locate(&args.study, studies)
    };
    if is_judged(&dir) {
        return super::study_judged::run(globals, args, &dir);
    }
    let queue = record::open_queue(&args.study, &args.annotator, studies)?;
    let globals = globals.with(&StoreArg::default(), Some(&args.ui), None);
    // The library is the trees of this queue, as the study copied them.
    let spec = QueueSpec::from_record(&queue);
    let opts = super::play::options(
        &globals,
        false,
        queue.tree_files(),
        Some(args.annotator.clone()),
        0,
    )?;
    let port = StorePort::open(&globals.store_dir()).map_err(super::Failure::Error)?;
    super::play::run_app_on(port, opts, |app| {
        app.open_queue(spec);
        Ok(())
    })
}
