//! `socius study report|export|import`: the statistics of a pairwise or pointwise study, and
//! its judgments in and out (see `report::judged` and `study::interchange`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{CmdResult, Failure, Globals, StoreArg};
use crate::report::judged::{self, Report};
use crate::store::Store;
use crate::study::interchange;
use crate::study::judged::JudgedPlan;
use crate::study::record::{PLAN_FILE, locate};

/// Largest `plan.json` read.
const PLAN_LIMIT: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// ACUTE-Eval-style JSONL: one pair of dialogues and its vote per line
    Acute,
    /// Chatbot Arena CSV: model_a,model_b,winner,judge,item
    Arena,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// Chatbot Arena CSV: model_a,model_b,winner and optional judge and item columns
    Arena,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A registered pairwise or pointwise study: its id, or its folder
    #[arg(value_name = "STUDY")]
    pub study: String,
    /// Session store directory; give it several times to read the judgments of several
    /// stores (a session in two of them counts once) [default: as for the other commands]
    #[arg(long, value_name = "DIR")]
    pub store: Vec<PathBuf>,
    /// Where studies are registered [default: studies/ next to the (first) store]
    #[arg(long, value_name = "DIR")]
    pub studies: Option<PathBuf>,
    /// The report as one JSON object
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Markdown (the default), or CSV rows (section,a,b,metric,value)
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// A registered pairwise study: its id, or its folder
    #[arg(value_name = "STUDY")]
    pub study: String,
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write to FILE (whole, then renamed into place) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Session store directory; may be given several times [default: as for the other
    /// commands]
    #[arg(long, value_name = "DIR")]
    pub store: Vec<PathBuf>,
    /// Where studies are registered [default: studies/ next to the (first) store]
    #[arg(long, value_name = "DIR")]
    pub studies: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The study to add the judgments to (created, as an imported pairwise study, if it does
    /// not exist): its id, or its folder
    #[arg(value_name = "STUDY")]
    pub study: String,
    /// The judgments file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[arg(long, value_enum)]
    pub format: ImportFormat,
    #[command(flatten)]
    pub store: StoreArg,
    /// Where studies are registered [default: studies/ next to the store]
    #[arg(long, value_name = "DIR")]
    pub studies: Option<PathBuf>,
    /// The bootstrap seed of a study the import creates
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
}

/// The stores to read: those given, else the default one.
fn stores_of(globals: &Globals, given: &[PathBuf]) -> Vec<PathBuf> {
    if given.is_empty() {
        vec![globals.store_dir()]
    } else {
        given.to_vec()
    }
}

/// Read a study's judged plan.
fn open_plan(dir: &Path, study: &str) -> Result<JudgedPlan, Failure> {
    let path = dir.join(PLAN_FILE);
    if !path.is_file() {
        return Err(Failure::Error(format!(
            "study `{study}`: no {} (register it with `socius study new FILE`, or import judgments with `socius study import`)",
            path.display()
        )));
    }
    let text = crate::fsx::read_text(&path, PLAN_LIMIT)
        .map_err(|e| Failure::Error(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::Error(format!(
            "{}: not a pairwise or pointwise study ({e}); `socius status` and `report baseline` read baseline studies",
            path.display()
        ))
    })
}

/// Open the stores and compute the report.
fn compute(
    globals: &Globals,
    stores: &[PathBuf],
    dir: &Path,
    plan: &JudgedPlan,
) -> Result<Report, Failure> {
    let mut open = Vec::new();
    for d in stores_of(globals, stores) {
        if !d.exists() {
            errln!(
                "socius: warning: {}: no such store directory (counted as no judgments)",
                d.display()
            );
            continue;
        }
        open.push(Store::open_for_reading(&d)?);
    }
    let input = judged::load(&open, plan, dir)?;
    Ok(judged::report(plan, &input, judged::RESAMPLES))
}

/// `socius study report`.
///
/// # Errors
/// A study that is not registered or not pairwise/pointwise, or a store that cannot be read.
pub fn report(globals: &Globals, args: &ReportArgs, studies: &Path) -> CmdResult {
    let dir = locate(&args.study, studies);
    let plan = open_plan(&dir, &args.study)?;
    let r = compute(globals, &args.store, &dir, &plan)?;
    if args.json {
        outln!("{}", crate::term::to_json(&r)?);
    } else {
        match args.format {
            Some(ReportFormat::Csv) => out!("{}", judged::csv(&r)),
            Some(ReportFormat::Md) | None => out!("{}", judged::markdown(&r)),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `socius study export`.
///
/// # Errors
/// As [`report`], a pointwise study, or an output that cannot be written.
pub fn export(globals: &Globals, args: &ExportArgs, studies: &Path) -> CmdResult {
    let dir = locate(&args.study, studies);
    let plan = open_plan(&dir, &args.study)?;
    if plan.kind != crate::study::judged::JudgedKind::Pairwise {
        return Err(Failure::Error(format!(
            "study `{}` is pointwise; export writes pairwise judgments",
            crate::term::clean_field(&plan.id)
        )));
    }
    let r = compute(globals, &args.store, &dir, &plan)?;
    let text = match args.format {
        ExportFormat::Arena => interchange::arena_csv(&r.counted),
        ExportFormat::Acute => {
            interchange::acute_jsonl(&plan, &dir, &r.counted).map_err(Failure::Error)?
        }
    };
    match &args.out {
        None => out!("{text}"),
        Some(path) => {
            crate::fsx::write_file_atomic(path, |w| {
                w.write_all(text.as_bytes())
                    .map_err(|e| crate::fsx::WriteError::io(path, e))
            })?;
            errln!(
                "exported {} judgment{} of study `{}` to {}",
                r.counted.len(),
                if r.counted.len() == 1 { "" } else { "s" },
                crate::term::clean_field(&plan.id),
                path.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `socius study import`.
///
/// # Errors
/// A file that cannot be read or has bad lines (nothing is stored then), a study that exists
/// and was not imported, or a store that cannot be written.
pub fn import(globals: &Globals, args: &ImportArgs, studies: &Path) -> CmdResult {
    let text = crate::fsx::read_text(&args.file, interchange::MAX_FILE)
        .map_err(|e| Failure::Error(format!("{}: {e}", args.file.display())))?;
    let rows = interchange::parse_arena(&text)
        .map_err(|e| Failure::Error(format!("{}:\n{e}", args.file.display())))?;
    if rows.is_empty() {
        return Err(Failure::Error(format!(
            "{}: no judgments (only a header)",
            args.file.display()
        )));
    }
    let dir = locate(&args.study, studies);
    // A new study is named by a plain id; an existing one may be given by its folder.
    let exists = dir.join(PLAN_FILE).is_file();
    let plain = !args.study.is_empty()
        && !args.study.starts_with('.')
        && !args.study.contains(['/', '\\'])
        && !args.study.chars().any(char::is_control);
    if !exists && !plain {
        return Err(Failure::Error(format!(
            "`{}` is not a study id (a new study needs a plain name, without `/` or a leading `.`)",
            crate::term::clean_field(&args.study)
        )));
    }
    let id = dir
        .file_name()
        .map_or_else(|| args.study.clone(), |n| n.to_string_lossy().into_owned());
    let store = Store::open(globals.store_dir())?;
    let source = args
        .file
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let done = interchange::import_arena(&store, &dir, &id, &rows, args.seed, &source)?;
    outln!(
        "{} study `{}` in {}: {} judgment{} from {} judge{}, {} new task{}, {} system{}",
        if done.created { "created" } else { "added to" },
        crate::term::clean_field(&done.plan.id),
        crate::term::clean_field(&dir.display().to_string()),
        done.judgments,
        plural(done.judgments),
        done.judges,
        plural(done.judges),
        done.new_tasks,
        plural(done.new_tasks),
        done.plan.systems.len(),
        plural(done.plan.systems.len()),
    );
    Ok(ExitCode::SUCCESS)
}

const fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
