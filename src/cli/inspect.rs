//! `socius inspect SCRIPT`: the branch inspector over the stored sessions of one world tree.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{CmdResult, Failure, Globals};
use crate::report::inspect::{Agent, View, inspect};
use crate::store::Store;
use crate::tui::inspect::Inspector;

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub store: super::StoreArg,
    #[command(flatten)]
    pub ui: super::UiArgs,
    /// The world-tree script to inspect (its stored sessions are matched by the tree's id)
    #[arg(value_name = "SCRIPT")]
    pub script: PathBuf,
    /// Start filtered to this annotator's walks
    #[arg(long = "as", value_name = "NAME", conflicts_with = "who")]
    pub annotator: Option<String>,
    /// Start filtered to one agent: a model name, an annotator id, `model:NAME` or
    /// `annotator:ID`
    #[arg(long, value_name = "WHO")]
    pub who: Option<String>,
    /// Compare two agents' choices and paths side by side (names as for --who)
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub compare: Option<Vec<String>>,
}

fn agent(text: &str, known: &[Agent], flag: &str) -> Result<Agent, Failure> {
    Agent::parse(text, known).ok_or_else(|| {
        let names: Vec<String> = known.iter().map(ToString::to_string).collect();
        Failure::Error(format!(
            "{flag} {text}: nobody of that name walked this tree (stored: {})",
            if names.is_empty() {
                "nobody".to_owned()
            } else {
                names.join(", ")
            }
        ))
    })
}

/// Run `socius inspect`.
///
/// # Errors
/// A file that is not a valid world tree, a store that cannot be read, an unknown agent.
pub fn run(globals: &Globals, args: &InspectArgs) -> CmdResult {
    let loaded = crate::script::load_file(&args.script);
    let file = args.script.display().to_string();
    let Some(tree) = loaded.world_tree().cloned() else {
        let mut msg = format!("{file} cannot be inspected:");
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
    };
    let opts = super::play::options(globals, false, Vec::new(), None, 0)?;
    let dir = globals.store_dir();
    let store = Store::open_for_reading(&dir)?;
    if store.reads_a_copy() {
        errln!(
            "socius: note: the store at {} cannot be written; reading a temporary copy of it",
            dir.display()
        );
    }
    let walks = crate::tui::inspect::cache::load_walks(
        &store,
        &dir,
        &tree,
        &loaded.hash,
        opts.cache_dir.as_deref(),
    )?;
    let stats = inspect(&tree, &walks);
    let view = match (&args.annotator, &args.who) {
        (Some(name), _) => Some(View::One(Agent::Human(name.clone()))),
        (None, Some(who)) => Some(View::One(agent(who, &stats.agents, "--who")?)),
        (None, None) => None,
    };
    let pair = match args.compare.as_deref() {
        Some([a, b]) => Some((
            agent(a, &stats.agents, "--compare")?,
            agent(b, &stats.agents, "--compare")?,
        )),
        _ => None,
    };
    let mut inspector = Inspector::new(tree, stats, opts.lang, opts.theme, view, pair)
        .with_store(store, loaded.hash);
    let signal = crate::tui::inspect::run_terminal(&mut inspector)
        .map_err(|e| Failure::Error(format!("terminal: {e}")))?;
    if let Some(sig) = signal {
        return Ok(ExitCode::from(u8::try_from(128 + sig).unwrap_or(1)));
    }
    Ok(ExitCode::SUCCESS)
}
