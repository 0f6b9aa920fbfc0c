//! `socius prompts import socialeval FILE --out DIR`: template files from the user's copy of
//! the official prompt file, for `--prompt-template DIR` under `--protocol socialeval`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{CmdResult, Failure, Globals};
use crate::agent::llm::official::{OFFICIAL_PROMPTS, string_assignments, template_file_text};
use crate::agent::llm::prompt::Template;

#[derive(Debug, clap::Subcommand)]
pub enum PromptsCommand {
    /// Make template files from prompts written elsewhere
    #[command(subcommand)]
    Import(ImportPrompts),
}

#[derive(Debug, clap::Subcommand)]
pub enum ImportPrompts {
    /// From your copy of the official SocialEval `evalprompt.py` (socius ships none of its text)
    Socialeval(PromptsArgs),
}

#[derive(Debug, clap::Args)]
pub struct PromptsArgs {
    /// The official prompt file (`evalprompt.py`)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Folder for the templates (created if missing): gae.txt and iae.txt (what the official
    /// scripts send, for every tree), gae-en.txt and iae-en.txt (their English versions)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(_globals: &Globals, cmd: PromptsCommand) -> CmdResult {
    let PromptsCommand::Import(ImportPrompts::Socialeval(args)) = cmd;
    let shown = args.file.display().to_string();
    let source = crate::fsx::read_text(&args.file, crate::fsx::MAX_SMALL_BYTES)
        .map_err(|e| Failure::Error(format!("{shown}: {e}")))?;
    let strings =
        string_assignments(&source).map_err(|e| Failure::Error(format!("{shown}: {e}")))?;
    let missing: Vec<&str> = OFFICIAL_PROMPTS
        .iter()
        .filter(|(_, name, _)| !strings.contains_key(*name))
        .map(|(_, name, _)| *name)
        .collect();
    if !missing.is_empty() {
        return Err(Failure::Error(format!(
            "{shown}: no {} (is it the official evalprompt.py?)",
            missing.join(", ")
        )));
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Failure::Error(format!("{}: {e}", args.out.display())))?;
    for (file, name, kind) in OFFICIAL_PROMPTS {
        let text = template_file_text(&strings[name]);
        // The template must be one socius can fill: every placeholder known for its kind.
        Template::parse(kind, &text)
            .map_err(|e| Failure::Error(format!("{shown}: {name}: {e}")))?;
        let path = args.out.join(file);
        crate::fsx::write_file_atomic(&path, |w| {
            w.write_all(text.as_bytes())
                .map_err(|source| crate::fsx::WriteError::Io {
                    path: path.clone(),
                    source,
                })
        })
        .map_err(|e| Failure::Error(e.to_string()))?;
        outln!("{} ← {name}", path.display());
    }
    outln!(
        "use: socius eval gae|iae --protocol socialeval --prompt-template {} …",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
