//! `socius check PATH... [--json]`: load and validate scripts, print every problem as
//! `file:line:col: severity: message` and a summary per script. CR cases and red-team files
//! are also checked against a protocol: the one they name, or the one among the files
//! checked, else the bundled one.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::{CmdResult, Failure, Globals};
use crate::script::diag::{Diagnostic, Severity};
use crate::script::load::{Loaded, Script, collect_paths, load_files};
use crate::script::model::Span;
use crate::script::validate::Summary;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Script files or folders (searched recursively for *.yaml / *.yml)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print one JSON report on stdout instead of text
    #[arg(long)]
    pub json: bool,
}

/// The `--json` report.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub schema: u32,
    pub files: Vec<FileReport>,
    pub errors: usize,
    pub warnings: usize,
    /// Entries of the folders walked that were left out (special files, folders reached
    /// twice, unreadable folders), each counted as a warning.
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Serialize)]
pub struct Skipped {
    pub file: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct FileReport {
    pub file: String,
    pub kind: Option<crate::script::load::ScriptKind>,
    pub id: Option<String>,
    pub sha256: String,
    pub ok: bool,
    pub summary: Option<Summary>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Check files and folders; the report and the rendered text.
///
/// # Errors
/// A path that does not exist or a folder without scripts.
pub fn check_paths(paths: &[PathBuf]) -> Result<(CheckReport, String), String> {
    let walk = collect_paths(paths)?;
    let mut loaded: Vec<Loaded> = load_files(&walk.files);
    // Cases and red-team files are checked against the protocol among these files (or the
    // bundled one).
    crate::script::cr::cross_check(&mut loaded);
    // Studies name tree files and folders relative to themselves: they must exist and hold
    // world trees.
    crate::script::study::cross_check(&mut loaded);
    let mut text = String::new();
    let mut report = CheckReport {
        schema: 1,
        files: Vec::with_capacity(loaded.len()),
        errors: 0,
        warnings: 0,
        skipped: Vec::new(),
    };
    for (path, why) in walk.skipped {
        let file = path.display().to_string();
        let d = Diagnostic::warning(Span::default(), format!("skipped: {why}"));
        let _ = writeln!(text, "{}", d.render(&file));
        report.warnings += 1;
        report.skipped.push(Skipped { file, reason: why });
    }
    for l in loaded {
        let file = l.path.display().to_string();
        for d in &l.diagnostics {
            let _ = writeln!(text, "{}", d.render(&file));
            match d.severity {
                Severity::Error => report.errors += 1,
                Severity::Warning => report.warnings += 1,
            }
        }
        if let Some(line) = l
            .script
            .as_ref()
            .and_then(|s| describe(s, l.summary.as_ref()))
        {
            let _ = writeln!(text, "{file}: {line}");
        }
        report.files.push(FileReport {
            ok: !l.has_errors(),
            kind: l.script.as_ref().map(Script::kind),
            id: l.script.as_ref().map(|s| s.id().to_owned()),
            file,
            sha256: l.hash,
            summary: l.summary,
            diagnostics: l.diagnostics,
        });
    }
    let _ = writeln!(
        text,
        "checked {} file{}: {} error{}, {} warning{}",
        report.files.len(),
        plural(report.files.len()),
        report.errors,
        plural(report.errors),
        report.warnings,
        plural(report.warnings)
    );
    Ok((report, text))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One line about a script: a world tree's shape numbers, a CR script's contents.
fn describe(script: &Script, summary: Option<&Summary>) -> Option<String> {
    let (Script::WorldTree(t), Some(s)) = (script, summary) else {
        return crate::script::cr::describe(script)
            .or_else(|| crate::script::study::describe(script));
    };
    let e = &s.endings;
    let depth = if s.min_depth == s.depth {
        s.depth.to_string()
    } else {
        format!("{}-{}", s.min_depth, s.depth)
    };
    Some(format!(
        "world_tree `{}` ({}, {}): {} nodes, {} choice points, {} paths, depth {depth}, endings {} success / {} partial / {} failure / {} unlabelled, {} IAE items",
        t.id,
        t.language.code(),
        t.orientation.name(),
        s.nodes,
        s.choice_points,
        s.paths,
        e.success,
        e.partial,
        e.failure,
        e.unlabelled,
        s.iae_items
    ))
}

pub fn run(_globals: &Globals, args: &CheckArgs) -> CmdResult {
    let (report, text) = check_paths(&args.paths).map_err(Failure::Error)?;
    if args.json {
        let json = crate::term::to_json_pretty(&report)?;
        outln!("{json}");
    } else {
        out!("{text}");
    }
    Ok(if report.errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
