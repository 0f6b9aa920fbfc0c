//! `socius` (the TUI home) and `socius play SCRIPT`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{CmdResult, Failure, Globals};
use crate::tui::app::{App, Options};
use crate::tui::config::{Config, config_dir};
use crate::tui::i18n::Lang;
use crate::tui::play::Mode;
use crate::tui::theme::Theme;

#[derive(Debug, clap::Args)]
pub struct PlayArgs {
    #[command(flatten)]
    pub store: super::StoreArg,
    #[command(flatten)]
    pub ui: super::UiArgs,
    /// The world-tree script to play
    #[arg(value_name = "SCRIPT")]
    pub script: PathBuf,
    /// Annotator id (remembered for next time)
    #[arg(long = "as", value_name = "NAME")]
    pub annotator: Option<String>,
    /// gae: walk the story; iae: answer the items; both: each item, then the story choice
    #[arg(long, default_value = "gae", value_parser = ["gae", "iae", "both"])]
    pub mode: String,
    /// Base seed for option orders (combined with the annotator and tree ids)
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Training mode: show right/wrong after each IAE answer (recorded with the session)
    #[arg(long)]
    pub training: bool,
}

/// Library folders: the bundled `scripts/` (when run from the project) plus what was given.
pub(super) fn library_paths(extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    let here = Path::new("scripts");
    if here.is_dir() {
        paths.push(here.to_path_buf());
    }
    // The bundled scripts are always in the library: from the binary, written to the data
    // folder, unless ./scripts holds them already (socius's own repository).
    if !crate::script::bundled::all_in(here) {
        let dir = crate::tui::config::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join(format!("bundled-{}", env!("CARGO_PKG_VERSION")));
        match crate::script::bundled::write_into(&dir) {
            Ok(dir) => paths.push(dir),
            Err(e) => {
                tracing::warn!(error = %e, "the bundled scripts could not be written");
                errln!("socius: warning: the bundled scripts are not in the library: {e}");
            }
        }
    }
    paths.extend(extra.iter().cloned());
    paths
}

pub(super) fn options(
    globals: &Globals,
    training: bool,
    scripts: Vec<PathBuf>,
    annotator: Option<String>,
    seed: u64,
) -> Result<Options, Failure> {
    let dir = config_dir();
    let mut config = match &dir {
        Some(d) => Config::load(d)?,
        None => Config::default(),
    };
    let theme_name = globals
        .theme
        .clone()
        .or_else(|| config.theme.clone())
        .unwrap_or_else(|| "default".to_owned());
    let theme = Theme::load(
        &theme_name,
        dir.as_ref().map(|d| d.join("themes")).as_deref(),
    )
    .map_err(|e| match e {
        // A name that is neither built in nor a file: the flag is wrong, not a file.
        e @ crate::tui::theme::ThemeError::Unknown { .. } => Failure::Usage(e.to_string()),
        e => Failure::Error(e.to_string()),
    })?;
    if let Some(lang) = globals.lang.as_deref()
        && !matches!(lang, "en" | "zh")
    {
        return Err(Failure::Usage(format!(
            "--lang must be en or zh, not `{lang}`"
        )));
    }
    // `--as NAME` is remembered for the next time (as the name typed in the TUI is).
    if let (Some(name), Some(d)) = (&annotator, &dir)
        && config.annotator.as_ref() != Some(name)
    {
        config.annotator = Some(name.clone());
        if let Err(e) = config.save(d) {
            tracing::warn!(error = %e, "--as was not remembered");
            errln!("socius: warning: --as {name} is not remembered: {e}");
        }
    }
    Ok(Options {
        lang: Lang::pick(globals.lang.as_deref()),
        theme,
        scripts,
        config_dir: dir,
        annotator,
        base_seed: seed,
        store_label: globals.store_dir().display().to_string(),
        training,
        cache_dir: crate::tui::config::cache_dir(),
    })
}

/// Open the store and run the TUI; `prepare` opens a screen first (`play`, `cr`).
fn run_app(
    globals: &Globals,
    opts: Options,
    prepare: impl FnOnce(&mut App) -> Result<(), Failure>,
) -> CmdResult {
    let store_dir = globals.store_dir();
    let port = crate::tui::store_port::StorePort::open(&store_dir).map_err(Failure::Error)?;
    run_app_on(port, opts, prepare)
}

/// Run the TUI on an open store; `prepare` opens a screen first.
pub(super) fn run_app_on(
    port: crate::tui::store_port::StorePort,
    opts: Options,
    prepare: impl FnOnce(&mut App) -> Result<(), Failure>,
) -> CmdResult {
    // The real size from the start: a session opened before the first frame records it.
    let size = crate::tui::run::terminal_size();
    let mut app = App::new(opts, Box::new(port), size);
    prepare(&mut app)?;
    let result = crate::tui::run::run_terminal(&mut app);
    // A model run still going is stopped here, its running episodes closed before exit.
    if let Some(id) = app.stop_run() {
        errln!(
            "socius: model run {id} stopped; finished episodes are kept. Continue it with \
             `socius eval gae|iae --resume {id} --scripts ... --endpoint ... --model ...`"
        );
    }
    let signal = result.map_err(|e| Failure::Error(format!("terminal: {e}")))?;
    if let Some(sig) = signal {
        errln!(
            "socius: stopped by {}; every answer given was already saved, and the session \
             resumes from the library",
            signal_name(sig)
        );
        // The shell's convention for a process ended by a signal.
        return Ok(ExitCode::from(u8::try_from(128 + sig).unwrap_or(1)));
    }
    Ok(ExitCode::SUCCESS)
}

/// A terminating signal's name, for the message said when it ended a screen.
pub(super) const fn signal_name(sig: i32) -> &'static str {
    match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        15 => "SIGTERM",
        _ => "a signal",
    }
}

/// `socius [SCRIPTS...]`.
pub fn home(globals: &Globals, scripts: &[PathBuf]) -> CmdResult {
    for p in scripts {
        if !p.exists() {
            return Err(Failure::Error(format!(
                "{}: no such file or folder",
                p.display()
            )));
        }
    }
    let opts = options(globals, false, library_paths(scripts), None, 0)?;
    run_app(globals, opts, |_| Ok(()))
}

/// `socius play SCRIPT`.
pub fn play(globals: &Globals, args: &PlayArgs) -> CmdResult {
    let loaded = crate::script::load_file(&args.script);
    if loaded.has_errors() || loaded.world_tree().is_none() {
        let file = args.script.display().to_string();
        let mut msg = format!("{file} cannot be played:");
        for d in loaded.diagnostics.iter().filter(|d| d.is_error()).take(5) {
            msg.push_str("\n  ");
            msg.push_str(&d.render(&file));
        }
        if let Some(script) = loaded.script.as_ref().filter(|_| !loaded.has_errors()) {
            msg.push_str(&format!(
                " it is a {} script, not a world tree",
                script.kind().name()
            ));
        }
        return Err(Failure::Error(msg));
    }
    let mode = Mode::parse(&args.mode).unwrap_or(Mode::Gae);
    let mut scripts = library_paths(&[]);
    scripts.push(args.script.clone());
    let opts = options(
        globals,
        args.training,
        scripts,
        args.annotator.clone(),
        args.seed,
    )?;
    run_app(globals, opts, |app| Ok(app.open_play(&args.script, mode)?))
}
