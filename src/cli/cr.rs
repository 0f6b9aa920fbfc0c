//! `socius cr`: a CR dialogue in the TUI — a new one on a case, or a stored one continued.
//!
//! Each role is the person at the keyboard (`human`) or a model. Model agents are made in one
//! place, [`model_agent`]; the screen takes any [`Agent`] for a model role.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::play::{library_paths, options, run_app_on};
use super::{CmdResult, Failure, Globals};
use crate::driver::Agent;
use crate::script::cr::{BUNDLED_PROTOCOL, CrCase, CrProtocol, bundled_protocol, load_protocol};
use crate::session::{NewSession, ScriptRef, SessionKind, Who};
use crate::tui::cr::{CrAgents, CrFiles, CrSetup, ModelRole, Role};
use crate::tui::i18n::Lang;
use crate::tui::store_port::StorePort;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct CrArgs {
    /// `socius cr run …`: dialogues between models in batch
    #[command(subcommand)]
    pub command: Option<Box<CrSubcommand>>,
    #[command(flatten)]
    pub store: super::StoreArg,
    #[command(flatten)]
    pub ui: super::UiArgs,
    /// The case (kind: cr_case); with --resume, where it is now if it moved
    #[arg(long, value_name = "FILE", required_unless_present = "resume")]
    pub case: Option<PathBuf>,
    /// The protocol (kind: cr_protocol) [default: the bundled CRDial protocol]
    #[arg(long, value_name = "FILE")]
    pub protocol: Option<PathBuf>,
    /// Who plays the therapist: you, or a model driven stage by stage or free
    #[arg(
        long,
        value_name = "human|llm-staged|llm-free",
        value_parser = ["human", "llm-staged", "llm-free"],
        required_unless_present = "resume",
        conflicts_with = "resume"
    )]
    pub therapist: Option<String>,
    /// Who plays the client: you, or a model playing the case
    #[arg(
        long,
        value_name = "human|llm",
        value_parser = ["human", "llm"],
        required_unless_present = "resume",
        conflicts_with = "resume"
    )]
    pub client: Option<String>,
    /// Your annotator id (remembered for next time)
    #[arg(long = "as", value_name = "NAME")]
    pub annotator: Option<String>,
    /// Continue a stored dialogue in progress (its id, or a unique prefix)
    #[arg(long, value_name = "ID")]
    pub resume: Option<String>,
    /// The therapist model's OpenAI-compatible endpoint (base URL)
    #[arg(long, value_name = "URL")]
    pub therapist_endpoint: Option<String>,
    /// The therapist model's name
    #[arg(long, value_name = "NAME")]
    pub therapist_model: Option<String>,
    /// The client model's OpenAI-compatible endpoint (base URL)
    #[arg(long, value_name = "URL")]
    pub client_endpoint: Option<String>,
    /// The client model's name
    #[arg(long, value_name = "NAME")]
    pub client_model: Option<String>,
    /// A free therapist's system prompt (e.g. the "Peppy" prompt of an end-to-end CR model)
    #[arg(long, value_name = "FILE")]
    pub system_prompt: Option<PathBuf>,
    /// A model that labels a free therapist's turns (stage goal, distortions)
    #[arg(long, value_name = "NAME")]
    pub judge_model: Option<String>,
}

/// `socius cr` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum CrSubcommand {
    /// Run every case N times between a model therapist and a model client (headless)
    Run(super::cr_run::CrRunArgs),
}

/// A role a model may play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelSeat {
    /// The therapist, driven stage by stage (structured replies).
    StagedTherapist,
    /// The therapist, as a free chat (an end-to-end CR model).
    FreeTherapist,
    /// The client, playing the case.
    Client,
}

impl ModelSeat {
    const fn flags(self) -> (&'static str, &'static str) {
        match self {
            Self::StagedTherapist | Self::FreeTherapist => {
                ("--therapist-endpoint", "--therapist-model")
            }
            Self::Client => ("--client-endpoint", "--client-model"),
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::StagedTherapist => "therapist (llm-staged)",
            Self::FreeTherapist => "therapist (llm-free)",
            Self::Client => "client (llm)",
        }
    }

    /// The endpoint and model flags given for this seat.
    fn given(self, args: &CrArgs) -> (Option<&str>, Option<&str>) {
        match self {
            Self::StagedTherapist | Self::FreeTherapist => (
                args.therapist_endpoint.as_deref(),
                args.therapist_model.as_deref(),
            ),
            Self::Client => (
                args.client_endpoint.as_deref(),
                args.client_model.as_deref(),
            ),
        }
    }
}

/// What a model agent plays with: the protocol and the case.
#[derive(Debug, Clone)]
pub struct Scene {
    pub protocol: Arc<CrProtocol>,
    pub case: Arc<CrCase>,
}

/// The one place model agents for CR roles are made: a model behind `seat`'s endpoint, as
/// `agent::llm::cr::CrLlmAgent` (streaming its replies into the screen).
///
/// # Errors
/// The seat's endpoint or model is not given, the endpoint is no URL, the system prompt file
/// cannot be read, or the case has no profile for a model client.
pub fn model_agent(
    seat: ModelSeat,
    args: &CrArgs,
    scene: &Scene,
) -> Result<Arc<dyn Agent>, Failure> {
    use crate::agent::llm::cr::{CrLlmAgent, Opening, load_system_prompt};
    use crate::agent::llm::{LlmClient, LlmConfig, Pool};
    let (endpoint_flag, model_flag) = seat.flags();
    let (Some(endpoint), Some(model)) = seat.given(args) else {
        return Err(Failure::Error(format!(
            "model roles need {endpoint_flag} URL and {model_flag} NAME (the {} is a model)",
            seat.name()
        )));
    };
    let pool = |endpoint: &str, model: &str, flag: &str| -> Result<Pool, Failure> {
        let config = LlmConfig::new(endpoint.to_owned(), model.to_owned());
        let client = LlmClient::new(config).map_err(|e| Failure::Error(format!("{flag}: {e}")))?;
        Ok(Pool::new(client, 1))
    };
    let main = pool(endpoint, model, endpoint_flag)?;
    let (protocol, case) = (Arc::clone(&scene.protocol), Arc::clone(&scene.case));
    Ok(match seat {
        ModelSeat::StagedTherapist => Arc::new(CrLlmAgent::staged_therapist(main, protocol, case)),
        ModelSeat::FreeTherapist => {
            let system = match &args.system_prompt {
                Some(p) => Some(load_system_prompt(p).map_err(|e| Failure::Error(e.to_string()))?),
                None => None,
            };
            let agent = CrLlmAgent::free_therapist(main, protocol, case, system);
            match &args.judge_model {
                Some(judge) => Arc::new(agent.with_judge(pool(endpoint, judge, endpoint_flag)?)),
                None => Arc::new(agent),
            }
        }
        ModelSeat::Client => Arc::new(
            CrLlmAgent::client(main, protocol, case, Opening::Model)
                .map_err(|e| Failure::Error(e.to_string()))?,
        ),
    })
}

/// A model role for a seat: its agent and how it is named.
fn model_role(seat: ModelSeat, args: &CrArgs, scene: &Scene) -> Result<Role, Failure> {
    let agent = model_agent(seat, args, scene)?;
    let (endpoint, model) = seat.given(args);
    Ok(Role::Model(ModelRole {
        agent,
        name: model.unwrap_or("model").to_owned(),
        endpoint_host: endpoint
            .map(crate::eval::settings::endpoint_host)
            .unwrap_or_default(),
    }))
}

fn therapist_role(mode: &str, args: &CrArgs, scene: &Scene) -> Result<Role, Failure> {
    match mode {
        "human" => Ok(Role::Human),
        "llm-free" => model_role(ModelSeat::FreeTherapist, args, scene),
        _ => model_role(ModelSeat::StagedTherapist, args, scene),
    }
}

fn client_role(mode: &str, args: &CrArgs, scene: &Scene) -> Result<Role, Failure> {
    match mode {
        "human" => Ok(Role::Human),
        _ => model_role(ModelSeat::Client, args, scene),
    }
}

/// A file as an absolute path (as recorded, so a resume from another folder finds it).
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The case file: a valid `cr_case`, with its content hash.
fn load_case(path: &Path) -> Result<(CrCase, String), Failure> {
    let loaded = crate::script::load_file(path);
    let file = path.display().to_string();
    if loaded.has_errors() || loaded.cr_case().is_none() {
        let mut msg = format!("{file} cannot be used as a CR case:");
        for d in loaded.diagnostics.iter().filter(|d| d.is_error()).take(5) {
            msg.push_str("\n  ");
            msg.push_str(&d.render(&file));
        }
        if let Some(script) = loaded.script.as_ref().filter(|_| !loaded.has_errors()) {
            msg.push_str(&format!(
                " it is a {} script, not a cr_case",
                script.kind().name()
            ));
        }
        return Err(Failure::Error(msg));
    }
    let hash = loaded.hash.clone();
    loaded
        .cr_case()
        .cloned()
        .map(|c| (c, hash))
        .ok_or_else(|| Failure::Error(format!("{file}: not a cr_case")))
}

/// The protocol (a file, or the bundled one), with its content hash and recorded path.
fn load_protocol_arg(
    path: Option<&Path>,
) -> Result<(CrProtocol, String, Option<PathBuf>), Failure> {
    match path {
        Some(p) => {
            let protocol = load_protocol(p)?;
            let bytes = crate::fsx::read_regular(p, crate::fsx::MAX_SCRIPT_BYTES)
                .map_err(|e| format!("{}: {e}", p.display()))?;
            Ok((
                protocol,
                crate::script::content_hash(&bytes),
                Some(absolute(p)),
            ))
        }
        None => Ok((
            bundled_protocol()?.clone(),
            crate::script::content_hash(BUNDLED_PROTOCOL.as_bytes()),
            None,
        )),
    }
}

/// The annotator: `--as`, else the one remembered.
fn annotator(args: &CrArgs) -> Option<String> {
    args.annotator.clone().or_else(|| {
        crate::tui::config::config_dir()
            .and_then(|d| crate::tui::config::Config::load(&d).ok())
            .and_then(|c| c.annotator)
    })
}

fn model_meta(role: &Role) -> serde_json::Value {
    match role {
        Role::Human => serde_json::Value::Null,
        Role::Model(m) => serde_json::json!({"name": m.name, "endpoint_host": m.endpoint_host}),
    }
}

/// A case as a session records it.
#[derive(Debug, Clone, Copy)]
pub struct CaseFile<'a> {
    pub case: &'a CrCase,
    /// The content hash of its file.
    pub hash: &'a str,
    pub path: &'a Path,
}

/// A protocol as a session records it (`path`: `None` for the bundled one).
#[derive(Debug, Clone, Copy)]
pub struct ProtocolFile<'a> {
    pub protocol: &'a CrProtocol,
    pub hash: &'a str,
    pub path: Option<&'a Path>,
}

/// A new CR dialogue's session: kind `cr_dialogue`, the case's id and hash as its script,
/// `who` (the person at the keyboard, or the model), and in `meta` the case, the protocol (id,
/// hash, file), the pairing (`therapist`: human / llm-staged / llm-free, `client`: human / llm)
/// and the models.
#[must_use]
pub fn new_session(
    case: &CaseFile<'_>,
    protocol: &ProtocolFile<'_>,
    (therapist, client): (&str, &str),
    agents: &CrAgents,
    who: Who,
) -> NewSession {
    let mut session = NewSession::new(
        SessionKind::CrDialogue,
        ScriptRef {
            id: case.case.id.clone(),
            hash: case.hash.to_owned(),
        },
        who,
        0,
    );
    session.meta = serde_json::json!({
        "title": case.case.title,
        "case": {
            "id": case.case.id,
            "hash": case.hash,
            "path": case.path,
            "language": case.case.language.code(),
        },
        "protocol": {
            "id": protocol.protocol.id,
            "hash": protocol.hash,
            "path": protocol.path,
        },
        "pairing": {"therapist": therapist, "client": client},
        "models": {
            "therapist": model_meta(&agents.therapist),
            "client": model_meta(&agents.client),
        },
        "socius_version": env!("CARGO_PKG_VERSION"),
    });
    session
}

/// `socius cr`.
pub fn run(globals: &Globals, args: &CrArgs) -> CmdResult {
    if let Some(id) = &args.resume {
        return resume(globals, args, id);
    }
    let (Some(case_path), Some(therapist), Some(client)) =
        (&args.case, &args.therapist, &args.client)
    else {
        return Err(Failure::Usage(
            "give --case FILE, --therapist and --client (or --resume ID)".to_owned(),
        ));
    };
    let (case, case_hash) = load_case(case_path)?;
    let (protocol, protocol_hash, protocol_path) = load_protocol_arg(args.protocol.as_deref())?;
    if let Some(wanted) = &case.protocol
        && wanted.id != protocol.id
    {
        return Err(Failure::Error(format!(
            "{} is written for protocol `{}`, not `{}`; give that protocol with --protocol FILE",
            case_path.display(),
            wanted.id,
            protocol.id
        )));
    }
    if client == "human" {
        let resources = protocol.safety.handoff(case.language).map_or(0, |h| {
            h.resources.iter().filter(|r| !r.trim().is_empty()).count()
        });
        if resources == 0 {
            return Err(Failure::Error(format!(
                "protocol `{}` lists no safety resources for {} (safety.handoff.{}.resources): \
                 a dialogue with a human client needs somewhere to send them in a crisis; add \
                 the services right for your setting to the protocol",
                protocol.id,
                case.language.code(),
                case.language.code()
            )));
        }
    } else if case.profile.is_none() {
        return Err(Failure::Error(format!(
            "{} has no profile: a model cannot play its client (it is for human clients)",
            case_path.display()
        )));
    }
    let scene = Scene {
        protocol: Arc::new(protocol.clone()),
        case: Arc::new(case.clone()),
    };
    let agents = CrAgents {
        therapist: therapist_role(therapist, args, &scene)?,
        client: client_role(client, args, &scene)?,
    };
    let human = therapist == "human" || client == "human";
    let who = match (human, annotator(args), &agents.therapist, &agents.client) {
        (true, Some(name), _, _) => Who::annotator(name),
        (true, None, _, _) => {
            return Err(Failure::Error(
                "who is at the keyboard? give your annotator id with --as NAME (it is \
                 remembered)"
                    .to_owned(),
            ));
        }
        (false, _, Role::Model(m), _) | (false, _, _, Role::Model(m)) => Who::Model {
            name: m.name.clone(),
            endpoint_host: m.endpoint_host.clone(),
            params: serde_json::Map::new(),
        },
        (false, _, _, _) => Who::annotator("unknown"),
    };
    let session = new_session(
        &CaseFile {
            case: &case,
            hash: &case_hash,
            path: &absolute(case_path),
        },
        &ProtocolFile {
            protocol: &protocol,
            hash: &protocol_hash,
            path: protocol_path.as_deref(),
        },
        (therapist, client),
        &agents,
        who,
    );
    let opts = options(
        globals,
        false,
        library_paths(&[]),
        args.annotator.clone(),
        0,
    )?;
    let setup = CrSetup {
        protocol: Arc::new(protocol),
        case: Arc::new(case),
        roles: agents.kinds(),
        lang: Lang::pick(globals.lang.as_deref()),
    };
    let port = StorePort::open(&globals.store_dir()).map_err(Failure::Error)?;
    run_app_on(port, opts, |app| Ok(app.open_cr(setup, agents, session)?))
}

/// `socius cr --resume ID`.
fn resume(globals: &Globals, args: &CrArgs, id: &str) -> CmdResult {
    let port = StorePort::open(&globals.store_dir()).map_err(Failure::Error)?;
    let session = port.session(id)?;
    let pairing = |role: &str| {
        session
            .meta
            .get("pairing")
            .and_then(|p| p.get(role))
            .and_then(|v| v.as_str())
            .unwrap_or("human")
            .to_owned()
    };
    // Model roles need the case and protocol now: from --case/--protocol, else where the
    // session recorded them (the app checks their hashes again when it rebuilds the dialogue).
    let models = pairing("therapist") != "human" || pairing("client") != "human";
    let scene = if models {
        let recorded = |key: &str| {
            session
                .meta
                .get(key)
                .and_then(|c| c.get("path"))
                .and_then(|p| p.as_str())
                .map(PathBuf::from)
        };
        let case_path = args
            .case
            .clone()
            .or_else(|| recorded("case"))
            .ok_or_else(|| {
                Failure::Error("the session records no case file; give it with --case".to_owned())
            })?;
        let (case, _) = load_case(&case_path)?;
        let protocol_path = args.protocol.clone().or_else(|| recorded("protocol"));
        let (protocol, _, _) = load_protocol_arg(protocol_path.as_deref())?;
        Some(Scene {
            protocol: Arc::new(protocol),
            case: Arc::new(case),
        })
    } else {
        None
    };
    let role = |mode: &str, therapist: bool| -> Result<Role, Failure> {
        match (&scene, mode) {
            (_, "human") => Ok(Role::Human),
            (Some(scene), _) if therapist => therapist_role(mode, args, scene),
            (Some(scene), _) => client_role(mode, args, scene),
            (None, _) => Ok(Role::Human),
        }
    };
    let agents = CrAgents {
        therapist: role(&pairing("therapist"), true)?,
        client: role(&pairing("client"), false)?,
    };
    let files = CrFiles {
        case: args.case.clone(),
        protocol: args.protocol.clone(),
    };
    let opts = options(
        globals,
        false,
        library_paths(&[]),
        args.annotator.clone(),
        0,
    )?;
    let id = session.id.to_string();
    run_app_on(port, opts, |app| {
        Ok(app.resume_cr(&id, Some(agents), files)?)
    })
}
