//! `socius check PATH... [--json]`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{CmdResult, Globals};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Script files or folders
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print a JSON report on stdout instead of text
    #[arg(long)]
    pub json: bool,
}

pub fn run(_globals: &Globals, _args: &CheckArgs) -> CmdResult {
    Ok(ExitCode::SUCCESS)
}
