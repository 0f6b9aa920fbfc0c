//! `socius cr run`: CR dialogues in batch between a model therapist and a model client.
//!
//! Decisions:
//! - `--cases` takes case files or folders; other kinds of script found there (a protocol, the
//!   red-team file) are passed over, cases with errors are skipped with a warning, and the command
//!   fails only when no case remains. A case without a hidden profile cannot be played by a model
//!   client: it is skipped with a warning.
//! - The client's endpoint and model default to the therapist's; the judge (`--judge-model`,
//!   `llm-free` only) uses the therapist's endpoint unless `--judge-endpoint` is given.
//! - `--resume ID` continues a run with the same case files (a changed case is refused); the
//!   models and protocol are given again (the run's settings are in every session's
//!   `meta.run`).
//! - Exit codes as `socius eval`: 0 complete, 1 interrupted / every dialogue failed / endpoint
//!   kept failing / bad input, 2 usage.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::eval::drive::{on_runtime, shell_word};
use super::{CmdResult, Failure, Globals};
use crate::agent::Agent;
use crate::agent::llm::cr::{CrLlmAgent, Opening, load_system_prompt};
use crate::agent::llm::{DEFAULT_API_KEY_ENV, LlmClient, LlmConfig, Pool};
use crate::driver::cr::SharedScreen;
use crate::engine::cr::CrPolicy;
use crate::eval::cr_batch::{self, Agents, CaseFile, CrRunOutcome, CrRunSpec, Pair};
use crate::eval::record::scrub;
use crate::eval::runner::StopReason;
use crate::eval::settings::{endpoint_host, generate_run_id, validate_run_id};
use crate::script::cr::model::CrProtocol;
use crate::script::cr::safety::Screener;
use crate::session::Who;
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TherapistArg {
    /// An instruction model driven stage by stage, asked for labelled JSON replies
    LlmStaged,
    /// A plain chat model (such as Crispers) with its own system prompt; stages from a judge
    LlmFree,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientArg {
    /// A model playing the case's hidden profile
    Llm,
}

#[derive(Debug, clap::Args)]
pub struct CrRunArgs {
    #[command(flatten)]
    pub store: super::StoreArg,
    /// Case files or folders (searched recursively)
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    pub cases: Vec<PathBuf>,
    /// A protocol file [default: the bundled CRDial protocol]
    #[arg(long, value_name = "FILE")]
    pub protocol: Option<PathBuf>,
    #[arg(long, value_enum)]
    pub therapist: TherapistArg,
    #[arg(long, value_enum, default_value = "llm")]
    pub client: ClientArg,
    /// OpenAI-compatible API base of the therapist model
    #[arg(long, value_name = "URL")]
    pub therapist_endpoint: String,
    #[arg(long, value_name = "NAME")]
    pub therapist_model: String,
    /// The client's API base [default: the therapist's]
    #[arg(long, value_name = "URL")]
    pub client_endpoint: Option<String>,
    /// The client's model [default: the therapist's]
    #[arg(long, value_name = "NAME")]
    pub client_model: Option<String>,
    /// A system prompt file for an llm-free therapist [default: ours]
    #[arg(long, value_name = "FILE")]
    pub system_prompt: Option<PathBuf>,
    /// A judge model that labels an llm-free therapist's turns (stage goal met, distortions)
    #[arg(long, value_name = "NAME")]
    pub judge_model: Option<String>,
    /// The judge's API base [default: the therapist's]
    #[arg(long, value_name = "URL")]
    pub judge_endpoint: Option<String>,
    /// A safety classifier model, asked about every turn the lexicon lets pass
    #[arg(long, value_name = "NAME")]
    pub safety_model: Option<String>,
    /// The safety classifier's API base [default: the therapist's]
    #[arg(long, value_name = "URL")]
    pub safety_endpoint: Option<String>,
    /// The client opens with the case's situation as written (no call), not in its own words
    #[arg(long)]
    pub verbatim_opening: bool,
    /// Dialogues per case
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub runs: u32,
    /// Dialogues in flight at most
    #[arg(long, value_name = "C", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=512))]
    pub concurrency: u32,
    /// Most turns per dialogue, both speakers [default: the protocol's]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_turns: Option<u32>,
    /// Name of the run [default: run-YYYYMMDD-HHMMSS-xxxx, printed on stderr]
    #[arg(long, value_name = "ID", conflicts_with = "resume")]
    pub run_id: Option<String>,
    /// Continue run ID: finished dialogues are kept, the rest run again
    #[arg(long, value_name = "ID")]
    pub resume: Option<String>,
    /// Base seed (recorded per dialogue)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Sampling temperature of both models [default: the server's]
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,
    /// Most tokens per reply [default: the server's]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tokens: Option<u32>,
    /// Environment variable holding the API key (unset: no key)
    #[arg(long, value_name = "VAR", default_value = DEFAULT_API_KEY_ENV)]
    pub api_key_env: String,
    /// Seconds one request may take
    #[arg(long, value_name = "SECS", default_value_t = 120.0)]
    pub timeout: f64,
    /// Attempts per call (retries on connection errors, timeouts, 429 and 5xx)
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,
    /// Print the result as one JSON object on stdout
    #[arg(long)]
    pub json: bool,
}

/// Run the batch.
pub fn run(globals: &Globals, args: &CrRunArgs) -> CmdResult {
    run_batch(globals, args)
}

fn usage(msg: &str) -> CmdResult {
    Err(Failure::Usage(msg.to_owned()))
}

fn pool(
    args: &CrRunArgs,
    endpoint: &str,
    model: &str,
    what: &str,
    concurrency: usize,
) -> Result<Pool, Failure> {
    let mut config = LlmConfig::new(endpoint.to_owned(), model.to_owned());
    config.api_key_env.clone_from(&args.api_key_env);
    config.temperature = args.temperature;
    config.max_tokens = args.max_tokens;
    config.timeout = Duration::from_secs_f64(args.timeout);
    config.retry.max_attempts = args.max_attempts;
    let client = LlmClient::new(config).map_err(|e| Failure::Error(format!("{what}: {e}")))?;
    Ok(Pool::new(client, concurrency))
}

fn load_protocol(path: Option<&Path>) -> Result<Arc<CrProtocol>, Failure> {
    match path {
        Some(p) => crate::script::cr::load_protocol(p)
            .map(Arc::new)
            .map_err(|e| Failure::Error(e.to_string())),
        None => crate::script::cr::bundled_protocol()
            .map(|p| Arc::new(p.clone()))
            .map_err(|e| Failure::Error(e.to_string())),
    }
}

fn run_batch(globals: &Globals, args: &CrRunArgs) -> CmdResult {
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return usage("--timeout must be a positive number of seconds");
    }
    if let Some(t) = args.temperature
        && !(t.is_finite() && (0.0..=2.0).contains(&t))
    {
        return usage("--temperature must be between 0 and 2");
    }
    if args.therapist == TherapistArg::LlmStaged
        && (args.system_prompt.is_some() || args.judge_model.is_some())
    {
        return usage("--system-prompt and --judge-model are for --therapist llm-free");
    }
    let run_id = match (&args.resume, &args.run_id) {
        (Some(id), _) => id.clone(),
        (None, Some(id)) => {
            if let Err(e) = validate_run_id(id) {
                return usage(&e);
            }
            id.clone()
        }
        (None, None) => generate_run_id(),
    };
    let protocol = load_protocol(args.protocol.as_deref())?;
    let system = match &args.system_prompt {
        Some(p) => Some(load_system_prompt(p).map_err(|e| Failure::Error(e.to_string()))?),
        None => None,
    };
    let (found, warnings) = cr_batch::load_cases(&args.cases).map_err(Failure::Error)?;
    for w in &warnings {
        errln!("socius: warning: {w}");
    }
    let mut cases = Vec::new();
    for c in found {
        if c.case.profile.is_none() {
            errln!(
                "socius: warning: {}: case `{}` has no hidden profile for a model client; left out",
                c.source.display(),
                c.case.id
            );
        } else {
            cases.push(c);
        }
    }
    if cases.is_empty() {
        return Err(Failure::Error(
            "no case to run: give `cr_case` files (or folders holding them) to --cases".into(),
        ));
    }
    let concurrency = usize::try_from(args.concurrency).unwrap_or(8);
    let therapist_pool = pool(
        args,
        &args.therapist_endpoint,
        &args.therapist_model,
        "--therapist-endpoint",
        concurrency,
    )?;
    let client_endpoint = args
        .client_endpoint
        .clone()
        .unwrap_or_else(|| args.therapist_endpoint.clone());
    let client_model = args
        .client_model
        .clone()
        .unwrap_or_else(|| args.therapist_model.clone());
    let client_pool = pool(
        args,
        &client_endpoint,
        &client_model,
        "--client-endpoint",
        concurrency,
    )?;
    let judge_pool = match &args.judge_model {
        Some(model) => Some(pool(
            args,
            args.judge_endpoint
                .as_deref()
                .unwrap_or(&args.therapist_endpoint),
            model,
            "--judge-endpoint",
            concurrency,
        )?),
        None => None,
    };
    let classifier = match &args.safety_model {
        Some(model) => Some(crate::agent::llm::safety::Classifier::new(pool(
            args,
            args.safety_endpoint
                .as_deref()
                .unwrap_or(&args.therapist_endpoint),
            model,
            "--safety-endpoint",
            concurrency,
        )?)),
        None => None,
    };
    let kind = args.therapist;
    let opening = if args.verbatim_opening {
        Opening::Verbatim
    } else {
        Opening::Model
    };
    let agents: Agents = {
        let protocol = Arc::clone(&protocol);
        Arc::new(move |c: &CaseFile| {
            let therapist: Arc<dyn Agent> = match kind {
                TherapistArg::LlmStaged => Arc::new(CrLlmAgent::staged_therapist(
                    therapist_pool.clone(),
                    Arc::clone(&protocol),
                    Arc::clone(&c.case),
                )),
                TherapistArg::LlmFree => {
                    let agent = CrLlmAgent::free_therapist(
                        therapist_pool.clone(),
                        Arc::clone(&protocol),
                        Arc::clone(&c.case),
                        system.clone(),
                    );
                    Arc::new(match &judge_pool {
                        Some(j) => agent.with_judge(j.clone()),
                        None => agent,
                    })
                }
            };
            let client: Arc<dyn Agent> = match CrLlmAgent::client(
                client_pool.clone(),
                Arc::clone(&protocol),
                Arc::clone(&c.case),
                opening,
            ) {
                Ok(a) => Arc::new(a),
                // Cases without a profile were left out above.
                Err(e) => Arc::new(Refusing(e.to_string())),
            };
            Pair { therapist, client }
        })
    };
    let mut policy = CrPolicy::from(protocol.as_ref());
    if let Some(n) = args.max_turns {
        policy.max_turns = Some(n);
    }
    let settings = json!({
        "therapist": match kind {
            TherapistArg::LlmStaged => "llm-staged",
            TherapistArg::LlmFree => "llm-free",
        },
        "client": "llm",
        "therapist_model": args.therapist_model,
        "therapist_endpoint": endpoint_host(&args.therapist_endpoint),
        "client_model": client_model,
        "client_endpoint": endpoint_host(&client_endpoint),
        "judge_model": args.judge_model,
        "safety_model": args.safety_model,
        "protocol": protocol.id,
        "max_turns": policy.max_turns,
        "temperature": args.temperature,
        "max_tokens": args.max_tokens,
        "verbatim_opening": args.verbatim_opening,
        "seed": args.seed,
    });
    let spec = CrRunSpec {
        run_id: run_id.clone().into(),
        runs: args.runs,
        concurrency,
        seed: args.seed,
        resume: args.resume.is_some(),
        policy,
        who: Who::Model {
            name: args.therapist_model.clone(),
            endpoint_host: endpoint_host(&args.therapist_endpoint),
            params: serde_json::Map::new(),
        },
        settings,
        classifier,
    };
    let store_dir = globals.store_dir();
    let store = Store::open(&store_dir).map_err(Failure::from)?;
    if args.resume.is_some() {
        errln!("socius: resuming CR run {run_id} ({} case(s))", cases.len());
    } else {
        errln!("socius: run id {run_id} ({} case(s))", cases.len());
    }
    let screen: SharedScreen = Arc::new(Screener::of(&protocol));
    let outcome = execute(store, spec, cases, agents, screen)?;
    finish(&outcome, args, &run_id, &store_dir)
}

/// A client that cannot play (never used: such cases are left out before the run).
struct Refusing(String);

impl Agent for Refusing {
    fn respond(&self, _request: crate::agent::Request) -> crate::agent::AgentFuture<'_> {
        let e = self.0.clone();
        Box::pin(async move { crate::agent::Reply::human(crate::agent::Answer::Failed(e), 0) })
    }
}

fn execute(
    store: Store,
    spec: CrRunSpec,
    cases: Vec<CaseFile>,
    agents: Agents,
    screen: SharedScreen,
) -> Result<CrRunOutcome, Failure> {
    on_runtime("dialogues", move |cancel, progress| {
        cr_batch::run(store, spec, cases, agents, screen, cancel, progress)
    })
}

fn resume_hint(args: &CrRunArgs, run_id: &str, store: &Path) -> String {
    let mut words = vec![
        "socius".to_owned(),
        "cr".to_owned(),
        "run".to_owned(),
        "--resume".to_owned(),
        shell_word(run_id),
    ];
    if store != Path::new(super::DEFAULT_STORE) {
        words.extend([
            "--store".to_owned(),
            shell_word(&store.display().to_string()),
        ]);
    }
    words.push("--cases".to_owned());
    words.extend(
        args.cases
            .iter()
            .map(|p| shell_word(&p.display().to_string())),
    );
    words.extend([
        "--therapist".to_owned(),
        match args.therapist {
            TherapistArg::LlmStaged => "llm-staged",
            TherapistArg::LlmFree => "llm-free",
        }
        .to_owned(),
        "--therapist-endpoint".to_owned(),
        shell_word(&scrub(&args.therapist_endpoint, &args.therapist_endpoint)),
        "--therapist-model".to_owned(),
        shell_word(&args.therapist_model),
        "--runs".to_owned(),
        args.runs.to_string(),
    ]);
    if let Some(e) = &args.client_endpoint {
        words.extend(["--client-endpoint".to_owned(), shell_word(&scrub(e, e))]);
    }
    if let Some(m) = &args.client_model {
        words.extend(["--client-model".to_owned(), shell_word(m)]);
    }
    words.join(" ")
}

fn finish(outcome: &CrRunOutcome, args: &CrRunArgs, run_id: &str, store: &Path) -> CmdResult {
    if args.json {
        let value = json!({
            "schema": 1,
            "run": run_id,
            "dialogues": outcome.dialogues,
        });
        outln!("{}", crate::term::to_json(&value)?);
    } else {
        outln!(
            "{:<28} {:<26} {:>5} {:>6} {:>8}  finished by",
            "session",
            "case",
            "turns",
            "loops",
            "channels"
        );
        for d in &outcome.dialogues {
            let loops = d
                .stages
                .iter()
                .filter(|s| *s == "core_beliefs")
                .count()
                .saturating_sub(1);
            let closed = d.channels.iter().filter(|c| c.status == "closed").count();
            outln!(
                "{:<28} {:<26} {:>5} {:>6} {:>5}/{:<2}  {}{}",
                crate::term::clean_field(&d.session),
                crate::term::clean_field(&d.case),
                d.turns,
                loops,
                closed,
                d.channels.len(),
                d.finished_by.as_deref().unwrap_or("-"),
                if d.escalations > 0 {
                    format!(" ({} escalation(s))", d.escalations)
                } else {
                    String::new()
                }
            );
        }
    }
    let p = &outcome.progress;
    if p.cut > 0 {
        errln!(
            "socius: warning: {} of {} replies stopped at the token limit (finish_reason \
             \"length\"); such turns are stored marked `cut`. A larger --max-tokens gives the \
             models room.",
            p.cut,
            p.calls
        );
    }
    if outcome.reopened > 0 {
        errln!(
            "socius: {} dialogue(s) left in progress by an earlier invocation were marked \
             abandoned and run again",
            outcome.reopened
        );
    }
    match outcome.stop {
        Some(StopReason::Interrupted) => {
            return Err(Failure::Error(format!(
                "interrupted: {} dialogue(s) of run {run_id} are finished ({} abandoned just \
                 now). Resume with:\n  {}",
                outcome.dialogues.len(),
                p.abandoned,
                resume_hint(args, run_id, store)
            )));
        }
        Some(StopReason::EndpointFailing { consecutive }) => {
            return Err(Failure::Error(format!(
                "stopped after {consecutive} dialogues in a row failed: {}\nOnce the endpoint \
                 works, resume with:\n  {}",
                outcome.last_error.clone().unwrap_or_default(),
                resume_hint(args, run_id, store)
            )));
        }
        None => {}
    }
    if p.done > 0 && p.failed == p.done {
        return Err(Failure::Error(format!(
            "every dialogue failed: {}",
            outcome.last_error.clone().unwrap_or_default()
        )));
    }
    if p.failed > 0 {
        errln!(
            "socius: warning: {} dialogue(s) failed; redo them with:\n  {}",
            p.failed,
            resume_hint(args, run_id, store)
        );
    }
    Ok(ExitCode::SUCCESS)
}
