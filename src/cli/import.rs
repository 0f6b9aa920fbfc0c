//! `socius import socialeval SRC... --out DIR [--json]`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{CmdResult, Globals};

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
        ImportCommand::Socialeval(_args) => Ok(ExitCode::SUCCESS),
    }
}
