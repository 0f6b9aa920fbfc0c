//! `socius import socialeval SRC... --out DIR [--json]`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{CmdResult, Failure, Globals};
use crate::script::socialeval::{ImportReport, import_paths};

#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Convert SocialEval JSON (per-tree files, folders, or the merged list) into world-tree YAML
    Socialeval(SocialevalArgs),
}

#[derive(Debug, clap::Args)]
pub struct SocialevalArgs {
    /// JSON files or folders of them
    #[arg(required = true, value_name = "SRC")]
    pub sources: Vec<PathBuf>,
    /// Output folder (created if missing)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Print the import report as one JSON object on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(_globals: &Globals, cmd: ImportCommand) -> CmdResult {
    match cmd {
        ImportCommand::Socialeval(args) => socialeval(&args),
    }
}

fn socialeval(args: &SocialevalArgs) -> CmdResult {
    let report = import_paths(&args.sources, &args.out);
    if args.json {
        let text = crate::term::to_json(&report)?;
        outln!("{text}");
    } else {
        out!("{}", summary(&report, args));
    }
    if report.files == 0 {
        let mut reasons: Vec<String> = report
            .failed
            .iter()
            .map(|f| {
                if f.error.contains(&f.file) {
                    f.error.clone()
                } else {
                    format!("{}: {}", f.file, f.error)
                }
            })
            .collect();
        if reasons.is_empty() {
            reasons.push("no SocialEval JSON files found".to_owned());
        }
        return Err(Failure::Error(reasons.join("; ")));
    }
    if report.ok() {
        Ok(ExitCode::SUCCESS)
    } else if report.written.is_empty() {
        Err(Failure::Error(format!(
            "no tree was imported ({} failed)",
            report.failed.len()
        )))
    } else {
        Err(Failure::Error(format!(
            "{} source(s) failed; the other trees were written",
            report.failed.len()
        )))
    }
}

/// The human summary: counts, repairs and flags by kind, failures.
fn summary(report: &ImportReport, args: &SocialevalArgs) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} SocialEval file(s) read, {} tree(s) converted, {} written to {}",
        report.files,
        report.trees,
        report.written.len(),
        args.out.display()
    );
    let mut repairs: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &report.repairs {
        *repairs.entry(r.kind.name()).or_default() += 1;
    }
    let mut flags: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &report.flags {
        *flags.entry(f.kind.name()).or_default() += 1;
    }
    for (title, counts, total) in [
        ("repairs", &repairs, report.repairs.len()),
        ("flags", &flags, report.flags.len()),
    ] {
        if counts.is_empty() {
            let _ = writeln!(out, "{title}: none");
            continue;
        }
        let _ = writeln!(out, "{title} ({total}):");
        let width = counts.keys().map(|k| k.len()).max().unwrap_or(0);
        for (kind, n) in counts {
            let _ = writeln!(out, "  {kind:<width$}  {n:>6}");
        }
    }
    if !report.failed.is_empty() {
        let _ = writeln!(out, "failed ({}):", report.failed.len());
        for f in &report.failed {
            let _ = writeln!(out, "  {}: {}", f.file, f.error);
        }
    }
    out
}
