//! `socius eval gae|iae`: a model through the world trees, in batch.
//!
//! Decisions:
//! - Scripts with errors are skipped with a warning naming the file and its first error; the
//!   command fails (exit 1) only when no tree remains. Under `--protocol socius`, trees flagged
//!   `not_playable_as_text` are skipped with a notice (the `socialeval` protocol walks them).
//!   For IAE, trees without items are left out. Two files with one tree id: the second is
//!   skipped with a warning.
//! - `--lang en|zh` picks the trees by language (eval has no interface to
//!   translate).
//! - `--resume RUN` keeps the run's recorded settings (protocol, temperature, max tokens,
//!   episodes, shuffle, seed, template, language); flags that change results may be left out and
//!   must agree when given. `--scripts`, `--endpoint` and `--model` are given again (the endpoint
//!   may have moved; the model must be the same).
//! - Exit codes: 0 when the run is complete (a warning on stderr if some episodes failed),
//!   1 when it was interrupted, every episode failed, the endpoint kept failing, or the input
//!   was bad; 2 for usage errors. With `--json` the result object is printed in every case
//!   where the run ran.

pub(crate) mod drive;
mod load;

use std::path::PathBuf;
use std::time::Duration;

use super::{CmdResult, Failure, Globals};
use crate::agent::llm::{
    CLIENT_FIELDS, DEFAULT_API_KEY_ENV, LlmClient, LlmConfig, Pool, PromptSet,
};
use crate::eval::Protocol;
use crate::eval::runner::{Prompts, RunSpec};
use crate::eval::settings::{
    EvalKind, RequestedSettings, endpoint_host, generate_run_id, stored_settings, validate_run_id,
};
use crate::script::content_hash;
use crate::script::model::Language;
use crate::store::Store;

#[derive(Debug, clap::Subcommand)]
pub enum EvalCommand {
    /// Goal achievement: walk every tree N times; success rate per orientation
    Gae(GaeArgs),
    /// Interpersonal ability: answer every skill question; accuracy per ability
    Iae(IaeArgs),
}

#[derive(Debug, clap::Args)]
pub struct GaeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Episodes per tree [default: 10]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub episodes: Option<u32>,
    /// Shuffle the options at every choice point, seeded per episode (socius protocol only)
    #[arg(long)]
    pub shuffle_options: bool,
}

#[derive(Debug, clap::Args)]
pub struct IaeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolArg {
    /// The official SocialEval walk
    Socialeval,
    /// Ours: chosen lines in the context, language-matched prompts, one correction
    Socius,
}

/// Calls in flight at most, unless `--concurrency` says otherwise.
pub const DEFAULT_CONCURRENCY: u32 = 8;
/// Seconds one request may take, unless `--timeout` says otherwise.
pub const DEFAULT_TIMEOUT_SECS: f64 = 120.0;
/// Attempts per call, unless `--max-attempts` says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 4;

#[derive(Debug, clap::Args)]
pub struct CommonArgs {
    #[command(flatten)]
    pub store: super::StoreArg,
    /// Only trees in this language
    #[arg(long, value_name = "en|zh", value_parser = ["en", "zh"])]
    pub lang: Option<String>,
    /// World-tree scripts: files or folders (searched recursively). --lang en|zh
    /// keeps only trees in that language.
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    pub scripts: Vec<PathBuf>,
    /// OpenAI-compatible API base, e.g. http://127.0.0.1:8000/v1
    #[arg(long, value_name = "URL")]
    pub endpoint: String,
    /// Model name sent to the endpoint
    #[arg(long, value_name = "NAME")]
    pub model: String,
    /// Environment variable holding the API key (unset: no key, fine for local servers)
    #[arg(long, value_name = "VAR", default_value = DEFAULT_API_KEY_ENV)]
    pub api_key_env: String,
    /// Calls in flight at most
    #[arg(long, value_name = "C", default_value_t = DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u32).range(1..=512))]
    pub concurrency: u32,
    /// Sampling temperature [default: 1; 0 for iae under the socius protocol]
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,
    /// socialeval: the official walk; socius: ours [default: socius]
    #[arg(long, value_enum)]
    pub protocol: Option<ProtocolArg>,
    /// A prompt template file used for every tree instead of the built-in prompts, or a folder
    /// made by `socius prompts import socialeval` (its gae.txt or iae.txt)
    #[arg(long, value_name = "FILE")]
    pub prompt_template: Option<PathBuf>,
    /// Name of the run [default: run-YYYYMMDD-HHMMSS-xxxx, printed on stderr]
    #[arg(long, value_name = "ID", conflicts_with = "resume")]
    pub run_id: Option<String>,
    /// Continue run ID: finished episodes are kept, the rest run again
    #[arg(long, value_name = "ID")]
    pub resume: Option<String>,
    /// Most tokens per answer, at least 1 [default: the server's]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tokens: Option<u32>,
    /// Seconds one request may take
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TIMEOUT_SECS)]
    pub timeout: f64,
    /// Attempts per call (retries on connection errors, timeouts, 429 and 5xx)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_ATTEMPTS,
          value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,
    /// A JSON object merged into every request body, e.g. '{"top_p":0.9,"stop":["\n\n"]}'
    /// (kept with the run; not model, messages, stream, temperature or max_tokens)
    #[arg(long, value_name = "JSON")]
    pub extra_body: Option<String>,
    /// Base seed for option orders [default: 0]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Print the result as one JSON object on stdout
    #[arg(long)]
    pub json: bool,
}

/// Exit code 2 with a message: a usage error found after parsing.
fn usage(msg: &str) -> CmdResult {
    Err(Failure::Usage(msg.to_owned()))
}

impl EvalCommand {
    /// The command's own `--store` and `--lang`.
    #[must_use]
    pub const fn store_and_lang(&self) -> (&super::StoreArg, Option<&String>) {
        let common = match self {
            Self::Gae(a) => &a.common,
            Self::Iae(a) => &a.common,
        };
        (&common.store, common.lang.as_ref())
    }
}

pub fn run(globals: &Globals, cmd: EvalCommand) -> CmdResult {
    let (kind, common, episodes, shuffle) = match cmd {
        EvalCommand::Gae(a) => (EvalKind::Gae, a.common, a.episodes, a.shuffle_options),
        EvalCommand::Iae(a) => (EvalKind::Iae, a.common, None, false),
    };
    if !(common.timeout.is_finite() && common.timeout > 0.0) {
        return usage("--timeout must be a positive number of seconds");
    }
    if let Some(t) = common.temperature
        && !(t.is_finite() && (0.0..=2.0).contains(&t))
    {
        return usage("--temperature must be between 0 and 2");
    }
    let lang = match globals.lang.as_deref() {
        None => None,
        Some(l) => match Language::parse(l) {
            Some(l) => Some(l),
            None => return usage(&format!("--lang must be en or zh, not `{l}`")),
        },
    };
    let template = match &common.prompt_template {
        Some(given) => {
            // A folder (from `socius prompts import`) holds one template per kind.
            let path = if given.is_dir() {
                let file = given.join(match kind {
                    EvalKind::Gae => "gae.txt",
                    EvalKind::Iae => "iae.txt",
                });
                if !file.is_file() {
                    return Err(Failure::Error(format!(
                        "{}: no {} in this folder (make it with `socius prompts import \
                         socialeval`)",
                        given.display(),
                        file.file_name()
                            .map(|n| n.to_string_lossy())
                            .unwrap_or_default()
                    )));
                }
                file
            } else {
                given.clone()
            };
            let path = &path;
            let set = PromptSet::from_file(kind.prompt_kind(), path).map_err(Failure::from)?;
            let bytes = std::fs::read(path)
                .map_err(|e| Failure::Error(format!("cannot read {}: {e}", path.display())))?;
            Some((set, content_hash(&bytes)))
        }
        None => None,
    };
    let extra_body = match &common.extra_body {
        None => None,
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(map)) => {
                // Temperature and max tokens have their own flags, stored with the run.
                let own = CLIENT_FIELDS.iter().chain(&["temperature", "max_tokens"]);
                if let Some(k) = own.into_iter().find(|k| map.contains_key(**k)) {
                    return usage(&format!(
                        "--extra-body cannot set `{k}`: it comes from its own flag or from socius"
                    ));
                }
                Some(map)
            }
            Ok(_) => return usage("--extra-body must be a JSON object, like '{\"top_p\":0.9}'"),
            Err(e) => return usage(&format!("--extra-body is not valid JSON: {e}")),
        },
    };
    let requested = RequestedSettings {
        protocol: common.protocol.map(|p| match p {
            ProtocolArg::Socialeval => Protocol::Socialeval,
            ProtocolArg::Socius => Protocol::Socius,
        }),
        model: common.model.clone(),
        temperature: common.temperature,
        max_tokens: common.max_tokens,
        episodes,
        shuffle,
        seed: common.seed,
        prompt_sha256: template.as_ref().map(|(_, h)| h.clone()),
        lang,
        extra_body,
    };
    let fresh = match &common.resume {
        Some(_) => None,
        None => {
            let id = match &common.run_id {
                Some(id) => {
                    if let Err(e) = validate_run_id(id) {
                        return usage(&e);
                    }
                    id.clone()
                }
                None => generate_run_id(),
            };
            match requested.new_run(kind) {
                Ok(s) => Some((id, s)),
                Err(e) => return usage(&e),
            }
        }
    };
    let store_dir = globals.store_dir();
    let store = Store::open(&store_dir).map_err(Failure::from)?;
    let (run_id, settings) = match (fresh, &common.resume) {
        (Some(fresh), _) => fresh,
        (None, Some(id)) => {
            let stored = stored_settings(&store, id)
                .map_err(Failure::Error)?
                .ok_or_else(|| {
                    Failure::Error(format!(
                        "the store {} holds no session of run {id}",
                        store_dir.display()
                    ))
                })?;
            (
                id.clone(),
                requested
                    .resume(kind, &stored, id)
                    .map_err(Failure::Error)?,
            )
        }
        (None, None) => return usage("--resume or a new run"),
    };
    let trees = load::load_trees(&common.scripts, &settings)?;
    let mut config = LlmConfig::new(common.endpoint.clone(), common.model.clone());
    config.api_key_env.clone_from(&common.api_key_env);
    config.temperature = Some(settings.temperature);
    config.max_tokens = settings.max_tokens;
    config.extra = settings.extra_body.clone().unwrap_or_default();
    config.timeout = Duration::from_secs_f64(common.timeout);
    config.retry.max_attempts = common.max_attempts;
    let client = LlmClient::new(config).map_err(|e| Failure::Error(format!("--endpoint: {e}")))?;
    let endpoint = client.endpoint().to_owned();
    let concurrency = usize::try_from(common.concurrency).unwrap_or(8);
    let pool = Pool::new(client, concurrency);
    let prompts = match template {
        Some((set, _)) => Prompts::custom(kind, set),
        None => Prompts::builtin(kind),
    }
    .map_err(Failure::from)?;
    if common.resume.is_some() {
        errln!("socius: resuming run {run_id} ({} tree(s))", trees.len());
    } else {
        errln!("socius: run id {run_id} ({} tree(s))", trees.len());
    }
    tracing::info!(
        run = %run_id,
        trees = trees.len(),
        resume = common.resume.is_some(),
        "eval run"
    );
    let spec = RunSpec {
        run_id: run_id.clone().into(),
        settings,
        endpoint_host: endpoint_host(&common.endpoint),
        concurrency,
        resume: common.resume.is_some(),
    };
    let outcome = drive::execute(store, pool, prompts, spec, trees, kind)?;
    drive::finish(&outcome, &common, kind, &run_id, &endpoint, &store_dir)
}
