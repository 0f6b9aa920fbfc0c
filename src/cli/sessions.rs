//! `socius sessions list|show|export|import|merge`.

use std::process::ExitCode;

use super::{CmdResult, Globals};

#[derive(Debug, clap::Subcommand)]
pub enum SessionsCommand {
    /// List sessions
    List,
}

pub fn run(_globals: &Globals, _cmd: SessionsCommand) -> CmdResult {
    Ok(ExitCode::SUCCESS)
}
