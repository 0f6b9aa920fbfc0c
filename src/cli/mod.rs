//! The command line (the contract in `PRODUCT.md`): clap definitions and dispatch.
//!
//! Each subcommand lives in its own file and returns [`CmdResult`]. Exit codes: 0 success,
//! 1 user or data error (with a message on stderr), 2 usage error (clap).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod check;
pub mod cr;
pub mod cr_run;
pub mod eval;
pub mod import;
pub mod inspect;
pub mod logging;
pub mod play;
pub mod prompts;
pub mod report;
pub mod safety;
pub mod sessions;
pub mod study;
pub mod study_judged;
pub mod study_report;

/// The store directory when neither `--store` nor `$SOCIUS_STORE` names one.
pub const DEFAULT_STORE: &str = "sessions";

/// The options of the TUI (no subcommand), and what a subcommand's own `--store`, `--theme`
/// and `--lang` end up in. Only `--verbose` is global: the others appear in the help of the
/// commands they affect.
#[derive(Debug, Clone, clap::Args)]
pub struct Globals {
    /// Session store directory [default: $SOCIUS_STORE, else ./sessions if that folder exists,
    /// else sessions/ in the data folder, ~/.local/share/socius]
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Colour theme (built-in: default, light, high-contrast; or a file name in the user theme dir)
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Interface language
    #[arg(long, value_name = "en|zh", value_parser = ["en", "zh"])]
    pub lang: Option<String>,
    /// Log at debug level (the log is a file under the state folder; see RUST_LOG)
    #[arg(long, global = true)]
    pub verbose: bool,
}

/// `--store DIR`, for the commands that use the session store.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StoreArg {
    /// Session store directory [default: $SOCIUS_STORE, else ./sessions if that folder exists,
    /// else sessions/ in the data folder, ~/.local/share/socius]
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
}

/// `--theme` and `--lang`, for the commands that open the TUI.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct UiArgs {
    /// Colour theme (built-in: default, light, high-contrast; or a file name in the user theme dir)
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Interface language
    #[arg(long, value_name = "en|zh", value_parser = ["en", "zh"])]
    pub lang: Option<String>,
}

impl Globals {
    /// These options with a subcommand's own given values in place of the top-level ones.
    #[must_use]
    pub fn with(&self, store: &StoreArg, ui: Option<&UiArgs>, lang: Option<&String>) -> Self {
        let mut out = self.clone();
        if let Some(s) = &store.store {
            out.store = Some(s.clone());
        }
        if let Some(ui) = ui {
            if ui.theme.is_some() {
                out.theme.clone_from(&ui.theme);
            }
            if ui.lang.is_some() {
                out.lang.clone_from(&ui.lang);
            }
        }
        if let Some(l) = lang {
            out.lang = Some(l.clone());
        }
        out
    }
}

impl Globals {
    /// The store directory: `--store`, else `$SOCIUS_STORE`, else `./sessions` when that
    /// folder exists (a project's store, as in socius's own repository), else `sessions` in the
    /// user's data folder — one place for one user's sessions, whatever folder socius is
    /// started from.
    #[must_use]
    pub fn store_dir(&self) -> PathBuf {
        if let Some(dir) = &self.store {
            return dir.clone();
        }
        match std::env::var_os("SOCIUS_STORE") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => {
                let here = PathBuf::from(DEFAULT_STORE);
                if here.is_dir() {
                    return here;
                }
                crate::tui::config::data_dir().map_or(here, |d| d.join(DEFAULT_STORE))
            }
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "socius",
    version,
    about = "A terminal workbench for scripted social and therapeutic dialogues",
    long_about = None,
    subcommand_precedence_over_arg = true
)]
pub struct Cli {
    #[command(flatten)]
    pub globals: Globals,
    /// Extra script files or folders for the library (with no subcommand: opens the TUI)
    #[arg(value_name = "SCRIPTS")]
    pub scripts: Vec<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load and validate scripts (files or folders); print every problem as file:line:col
    Check(check::CheckArgs),
    /// Play one world tree in the TUI (GAE, IAE or both)
    Play(play::PlayArgs),
    /// A cognitive-restructuring dialogue in the TUI (you and/or models as therapist and
    /// client); `cr run`: dialogues between models in batch
    Cr(cr::CrArgs),
    /// Convert data from other tools into socius scripts
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// The session store: list, show, export, import, merge
    #[command(subcommand)]
    Sessions(sessions::SessionsCommand),
    /// Evaluate a model on the world trees in batch (GAE or IAE), via an OpenAI-compatible API
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Prompt templates: import the official SocialEval prompts from your copy of their file
    #[command(subcommand)]
    Prompts(prompts::PromptsCommand),
    /// Safety screening: test a CR protocol's crisis lexicon on messages, one per line
    #[command(subcommand)]
    Safety(safety::SafetyCommand),
    /// Human studies: baselines (people play the trees) and pairwise or pointwise judgments
    /// of stored transcripts; register, hand out, run, follow, report
    #[command(subcommand)]
    Study(study::StudyCommand),
    /// Reports over the whole store: `report baseline`, humans against models on the same trees
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Browse one world tree's branches: how often people and each model took every choice
    Inspect(inspect::InspectArgs),
}

/// A user-facing failure, printed as `socius: error: …`: exit code 1, or 2 for a usage error (a
/// flag's value that cannot be right, whatever the files say).
#[derive(Debug)]
pub enum Failure {
    Error(String),
    Usage(String),
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Self::Error(e.to_string())
    }
}

/// What a subcommand returns.
pub type CmdResult = Result<ExitCode, Failure>;

/// The subcommands, for suggestions.
const SUBCOMMANDS: [&str; 11] = [
    "check", "play", "cr", "import", "sessions", "eval", "prompts", "safety", "study", "report",
    "inspect",
];

/// A bare word that names no file and is a typo of a subcommand (`sesions`): the message that
/// says so. (Words are script paths when no subcommand is given.)
fn mistyped_subcommand(scripts: &[PathBuf]) -> Option<String> {
    let first = scripts.first()?;
    let word = first.to_str()?;
    if first.exists() || word.contains(['/', '.']) {
        return None;
    }
    let near = SUBCOMMANDS
        .into_iter()
        .filter(|s| crate::script::bessi::edit_distance(word, s) <= 2)
        .min_by_key(|s| crate::script::bessi::edit_distance(word, s))?;
    Some(format!(
        "unrecognized subcommand '{word}' (and no such file)\n\n  tip: a similar subcommand exists: '{near}'"
    ))
}

/// Parse the command line and run it.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    run(cli)
}

/// Run a parsed command line.
#[must_use]
pub fn run(cli: Cli) -> ExitCode {
    logging::init(cli.globals.verbose);
    tracing::debug!(version = env!("CARGO_PKG_VERSION"), "socius started");
    let result = match cli.command {
        Some(Command::Check(args)) => check::run(&cli.globals, &args),
        Some(Command::Play(args)) => {
            play::play(&cli.globals.with(&args.store, Some(&args.ui), None), &args)
        }
        Some(Command::Cr(args)) => match args.command.as_deref() {
            Some(cr::CrSubcommand::Run(run)) => {
                cr_run::run(&cli.globals.with(&run.store, None, None), run)
            }
            None => cr::run(&cli.globals.with(&args.store, Some(&args.ui), None), &args),
        },
        Some(Command::Import(cmd)) => import::run(&cli.globals, cmd),
        Some(Command::Sessions(cmd)) => {
            sessions::run(&cli.globals.with(cmd.store(), None, None), cmd)
        }
        Some(Command::Prompts(cmd)) => prompts::run(&cli.globals, cmd),
        Some(Command::Safety(cmd)) => safety::run(&cli.globals, cmd),
        Some(Command::Study(cmd)) => study::run(&cli.globals.with(&cmd.store(), None, None), &cmd),
        Some(Command::Report(cmd)) => report::run(&cli.globals.with(cmd.store(), None, None), &cmd),
        Some(Command::Inspect(args)) => {
            inspect::run(&cli.globals.with(&args.store, Some(&args.ui), None), &args)
        }
        Some(Command::Eval(cmd)) => {
            let (store, lang) = cmd.store_and_lang();
            let globals = cli.globals.with(store, None, lang);
            eval::run(&globals, cmd)
        }
        None => match mistyped_subcommand(&cli.scripts) {
            Some(msg) => Err(Failure::Usage(msg)),
            None => play::home(&cli.globals, &cli.scripts),
        },
    };
    match result {
        Ok(code) => code,
        Err(Failure::Error(msg)) => {
            tracing::info!(error = %msg, "command failed");
            errln!("socius: error: {msg}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(msg)) => {
            tracing::info!(error = %msg, "usage error");
            errln!("socius: error: {msg}\n\nFor more information, try '--help'.");
            ExitCode::from(2)
        }
    }
}
