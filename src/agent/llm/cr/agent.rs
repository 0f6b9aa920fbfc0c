//! [`CrLlmAgent`]: a model answering the *say a turn* requests of a CR dialogue, as a staged
//! therapist, a free therapist (optionally labelled by a judge) or a simulated client.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use super::catalogue::Catalogue;
use super::prompt::{self, Step};
use super::reply::{ReadTurn, read_judge, read_plain, read_staged};
use super::stream::{PlainText, TextValues};
use crate::agent::llm::Pool;
use crate::agent::llm::error::CallError;
use crate::agent::llm::record::{call_event, millis, scrub};
use crate::agent::llm::types::{ChatMessage, Completion, StreamEvent};
use crate::agent::{Agent, AgentFuture, Answer, Reply, Request, SaidTurn, TurnCue, TurnRequest};
use crate::engine::cr::TurnLabels;
use crate::script::cr::model::{CrCase, CrProtocol};
use crate::script::model::Language;
use crate::session::EventBody;

/// `llm_call.purpose` of a therapist's turn.
pub const PURPOSE_THERAPIST: &str = "cr_therapist";
/// `llm_call.purpose` of a simulated client's turn.
pub const PURPOSE_CLIENT: &str = "cr_client";
/// `llm_call.purpose` of a judge labelling a free therapist's turn.
pub const PURPOSE_JUDGE: &str = "cr_judge";

/// The largest system prompt file read (bytes).
pub const MAX_SYSTEM_PROMPT_BYTES: u64 = 256 << 10;

/// How a simulated client opens the dialogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Opening {
    /// The model tells the presenting situation in its own words.
    #[default]
    Model,
    /// The case's `situation` as written, without a call: every dialogue of the case starts the
    /// same (fairer for pairwise studies).
    Verbatim,
}

/// Which part a model plays.
#[derive(Debug, Clone)]
pub enum Role {
    /// Told the stage, channel and catalogues; answers with a structured reply (`llm-staged`).
    StagedTherapist,
    /// A plain chat model with its own system prompt, never told a stage (`llm-free`); a judge,
    /// when given, labels each turn with the stage's goal and the distortions it sees.
    FreeTherapist { system: String, judge: Option<Pool> },
    /// Plays the case's hidden profile (`llm`).
    Client { opening: Opening },
}

impl Role {
    /// `llm-staged`, `llm-free` or `llm` (the agent names of the CLI).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::StagedTherapist => "llm-staged",
            Self::FreeTherapist { .. } => "llm-free",
            Self::Client { .. } => "llm",
        }
    }
}

/// Why an agent could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrAgentError {
    #[error(
        "case `{0}` has no profile: a simulated client needs one (the case is for human \
         clients)"
    )]
    NoProfile(String),
    #[error("cannot use {path} as a system prompt: {message}")]
    SystemPrompt { path: String, message: String },
}

/// Read a free therapist's system prompt file: UTF-8, at most [`MAX_SYSTEM_PROMPT_BYTES`],
/// sent exactly as written (only a leading byte-order mark is dropped).
///
/// # Errors
/// The file cannot be read, is too large, is not UTF-8, or holds only whitespace.
pub fn load_system_prompt(path: &Path) -> Result<String, CrAgentError> {
    let fail = |message: String| CrAgentError::SystemPrompt {
        path: path.display().to_string(),
        message,
    };
    // A regular file only (a FIFO or device is refused, never opened), bounded.
    let bytes =
        crate::fsx::read_regular(path, MAX_SYSTEM_PROMPT_BYTES).map_err(|e| fail(e.to_string()))?;
    let mut text = String::from_utf8(bytes).map_err(|_| fail("not UTF-8 text".to_owned()))?;
    if text.starts_with('\u{FEFF}') {
        text.drain(..'\u{FEFF}'.len_utf8());
    }
    if text.trim().is_empty() {
        return Err(fail("the file is empty".to_owned()));
    }
    Ok(text)
}

/// Counts over the agent's turns: unlabelled turns and dropped labels are findings about a
/// model, not errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct CrAgentStats {
    /// Turns answered (a failed call is not a turn).
    pub turns: u64,
    /// Therapist turns without labels (a structured reply that did not parse, a free turn the
    /// judge could not label).
    pub unlabelled: u64,
    /// Strategy and distortion spellings the catalogue did not know.
    pub unknown_labels: u64,
    /// Turns stopped at the token limit.
    pub cut: u64,
    /// Requests that failed after every retry.
    pub failed: u64,
}

#[derive(Debug, Default)]
struct Counters {
    turns: AtomicU64,
    unlabelled: AtomicU64,
    unknown_labels: AtomicU64,
    cut: AtomicU64,
    failed: AtomicU64,
}

fn bump(c: &AtomicU64, by: u64) {
    c.fetch_add(by, Ordering::Relaxed);
}

/// A model answering CR turns (see the module docs of [`super`]).
pub struct CrLlmAgent {
    role: Role,
    pool: Pool,
    protocol: Arc<CrProtocol>,
    case: Arc<CrCase>,
    language: Language,
    catalogue: Catalogue,
    counters: Counters,
}

impl std::fmt::Debug for CrLlmAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrLlmAgent")
            .field("role", &self.role.name())
            .field("model", &self.pool.client().config().model)
            .field("protocol", &self.protocol.id)
            .field("case", &self.case.id)
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

/// What one call gave.
struct Call {
    messages: Vec<ChatMessage>,
    outcome: Result<Completion, CallError>,
}

impl Call {
    fn latency(&self) -> Duration {
        match &self.outcome {
            Ok(c) => c.latency,
            Err(e) => e.latency,
        }
    }
}

/// The preview a streamed turn shows.
enum Preview {
    Sentences(TextValues),
    Plain(PlainText),
}

impl CrLlmAgent {
    fn new(role: Role, pool: Pool, protocol: Arc<CrProtocol>, case: Arc<CrCase>) -> Self {
        Self {
            catalogue: Catalogue::new(&protocol),
            language: case.language,
            role,
            pool,
            protocol,
            case,
            counters: Counters::default(),
        }
    }

    /// A staged therapist (`llm-staged`).
    #[must_use]
    pub fn staged_therapist(pool: Pool, protocol: Arc<CrProtocol>, case: Arc<CrCase>) -> Self {
        Self::new(Role::StagedTherapist, pool, protocol, case)
    }

    /// A free therapist (`llm-free`) with `system` (from [`load_system_prompt`]) or, when
    /// `None`, our default in the case's language.
    #[must_use]
    pub fn free_therapist(
        pool: Pool,
        protocol: Arc<CrProtocol>,
        case: Arc<CrCase>,
        system: Option<String>,
    ) -> Self {
        let system =
            system.unwrap_or_else(|| prompt::default_free_system(case.language).to_owned());
        Self::new(
            Role::FreeTherapist {
                system,
                judge: None,
            },
            pool,
            protocol,
            case,
        )
    }

    /// A simulated client (`llm`).
    ///
    /// # Errors
    /// [`CrAgentError::NoProfile`] when the case has no profile to play.
    pub fn client(
        pool: Pool,
        protocol: Arc<CrProtocol>,
        case: Arc<CrCase>,
        opening: Opening,
    ) -> Result<Self, CrAgentError> {
        if case.profile.is_none() {
            return Err(CrAgentError::NoProfile(case.id.clone()));
        }
        Ok(Self::new(Role::Client { opening }, pool, protocol, case))
    }

    /// A free therapist whose turns a judge on `judge` labels (no effect on other roles).
    #[must_use]
    pub fn with_judge(mut self, judge: Pool) -> Self {
        if let Role::FreeTherapist { judge: j, .. } = &mut self.role {
            *j = Some(judge);
        }
        self
    }

    /// Speak `language` instead of the case's.
    #[must_use]
    pub const fn with_language(mut self, language: Language) -> Self {
        self.language = language;
        self
    }

    #[must_use]
    pub const fn role(&self) -> &Role {
        &self.role
    }

    #[must_use]
    pub const fn language(&self) -> Language {
        self.language
    }

    #[must_use]
    pub const fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The counts so far.
    #[must_use]
    pub fn stats(&self) -> CrAgentStats {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        CrAgentStats {
            turns: get(&c.turns),
            unlabelled: get(&c.unlabelled),
            unknown_labels: get(&c.unknown_labels),
            cut: get(&c.cut),
            failed: get(&c.failed),
        }
    }

    /// The prompt this agent sends for `request` (what [`Agent::respond`] sends), or why it
    /// would not answer it.
    ///
    /// # Errors
    /// The request is for the other speaker.
    pub fn messages(&self, request: &TurnRequest) -> Result<Vec<ChatMessage>, String> {
        let lang = self.language;
        match (&self.role, &request.cue) {
            (Role::StagedTherapist, cue @ TurnCue::Therapist { .. }) => {
                let step = Step::from_cue(cue).ok_or_else(|| self.mismatch(cue))?;
                Ok(prompt::staged_therapist(
                    &self.protocol,
                    lang,
                    &step,
                    &request.context,
                ))
            }
            (Role::FreeTherapist { system, .. }, TurnCue::Therapist { .. }) => {
                Ok(prompt::free_therapist(system, lang, &request.context))
            }
            (Role::Client { .. }, TurnCue::Client { opening }) => {
                Ok(prompt::client(&self.case, lang, *opening, &request.context))
            }
            (_, cue) => Err(self.mismatch(cue)),
        }
    }

    fn mismatch(&self, cue: &TurnCue) -> String {
        let asked = match cue {
            TurnCue::Therapist { .. } => "a therapist's turn",
            TurnCue::Client { .. } => "a client's turn",
        };
        let plays = match self.role {
            Role::Client { .. } => "the client",
            _ => "the therapist",
        };
        format!(
            "{} agent plays {plays}, and was asked for {asked}",
            self.role.name()
        )
    }

    async fn call(
        &self,
        pool: &Pool,
        messages: Vec<ChatMessage>,
        stream: Option<(&mpsc::UnboundedSender<String>, Preview)>,
    ) -> Call {
        let outcome = match stream {
            None => pool.complete(&messages).await,
            Some((tx, mut preview)) => {
                let mut on_event = |ev: StreamEvent<'_>| {
                    let mut send = |piece: &str| {
                        // A closed channel means nobody watches; the turn still counts.
                        let _ = tx.send(piece.to_owned());
                    };
                    match (ev, &mut preview) {
                        (StreamEvent::Delta { text, .. }, Preview::Sentences(p)) => {
                            p.push(text, &mut send);
                        }
                        (StreamEvent::Delta { text, .. }, Preview::Plain(p)) => {
                            p.push(text, &mut send);
                        }
                        (StreamEvent::Restart { .. }, Preview::Sentences(p)) => p.reset(),
                        (StreamEvent::Restart { .. }, Preview::Plain(p)) => p.reset(),
                        (StreamEvent::Reasoning { .. }, _) => {}
                    }
                };
                let outcome = pool.complete_streaming(&messages, &mut on_event).await;
                if let (Ok(_), Preview::Plain(p)) = (&outcome, &mut preview) {
                    p.finish(&mut |piece: &str| {
                        let _ = tx.send(piece.to_owned());
                    });
                }
                outcome
            }
        };
        Call { messages, outcome }
    }

    async fn say(&self, request: TurnRequest) -> Reply {
        let messages = match self.messages(&request) {
            Ok(m) => m,
            Err(why) => return refusal(why),
        };
        if let (
            Role::Client {
                opening: Opening::Verbatim,
            },
            TurnCue::Client { opening: true },
        ) = (&self.role, &request.cue)
        {
            return self.verbatim_opening(request.stream.as_ref());
        }
        let (purpose, preview) = match self.role {
            Role::StagedTherapist => (PURPOSE_THERAPIST, Preview::Sentences(TextValues::new())),
            Role::FreeTherapist { .. } => (PURPOSE_THERAPIST, Preview::Plain(PlainText::new())),
            Role::Client { .. } => (PURPOSE_CLIENT, Preview::Plain(PlainText::new())),
        };
        let stream = request.stream.as_ref().map(|tx| (tx, preview));
        let call = self.call(&self.pool, messages, stream).await;
        let mut exchange = Vec::with_capacity(2);
        let mut latency = call.latency();
        let client = self.pool.client();
        let completion = match &call.outcome {
            Ok(c) => c,
            Err(e) => {
                bump(&self.counters.failed, 1);
                exchange.push(call_event(
                    client,
                    purpose,
                    &call.messages,
                    &call.outcome,
                    None,
                ));
                return Reply {
                    answer: Answer::Failed(scrub(&e.error.to_string(), client.endpoint())),
                    latency_ms: millis(latency),
                    exchange,
                };
            }
        };
        let cut = completion.finish_reason.as_deref() == Some("length");
        let read = match self.role {
            Role::StagedTherapist => read_staged(&completion.text, &self.catalogue),
            _ => read_plain(&completion.text),
        };
        exchange.push(call_event(
            client,
            purpose,
            &call.messages,
            &call.outcome,
            Some(parsed_value(&read)),
        ));
        let mut labels = read.labels;
        if let Role::FreeTherapist {
            judge: Some(judge), ..
        } = &self.role
            && let Some(step) = Step::from_cue(&request.cue)
        {
            let (judged, took) = self
                .judge(judge, &step, &request, &read.text, &mut exchange)
                .await;
            labels = judged;
            latency += took;
        }
        let c = &self.counters;
        bump(&c.turns, 1);
        bump(&c.unknown_labels, read.reading.unknown_labels() as u64);
        if cut {
            bump(&c.cut, 1);
        }
        if labels.is_none() && !matches!(self.role, Role::Client { .. }) {
            bump(&c.unlabelled, 1);
        }
        Reply {
            answer: Answer::Said(SaidTurn {
                text: read.text,
                labels,
                cut,
            }),
            latency_ms: millis(latency),
            exchange,
        }
    }

    /// Label a free therapist's `turn` with the judge; `None` when the judge fails or its reply
    /// does not read (the turn goes on unlabelled).
    async fn judge(
        &self,
        judge: &Pool,
        step: &Step<'_>,
        request: &TurnRequest,
        turn: &str,
        exchange: &mut Vec<EventBody>,
    ) -> (Option<TurnLabels>, Duration) {
        let messages = prompt::judge(&self.protocol, self.language, step, &request.context, turn);
        let call = self.call(judge, messages, None).await;
        let took = call.latency();
        let verdict = match &call.outcome {
            Ok(c) => read_judge(&c.text, &self.catalogue),
            Err(_) => None,
        };
        let parsed = match (&call.outcome, &verdict) {
            (Err(_), _) => None,
            (Ok(_), None) => Some(serde_json::json!({ "failure": "no verdict in the reply" })),
            (Ok(_), Some(v)) => {
                let mut value = v.reading.to_value();
                if let Value::Object(o) = &mut value {
                    o.insert("stage_goal_met".into(), serde_json::json!(v.stage_goal_met));
                    o.insert("distortions".into(), serde_json::json!(v.distortions));
                }
                Some(value)
            }
        };
        exchange.push(call_event(
            judge.client(),
            PURPOSE_JUDGE,
            &call.messages,
            &call.outcome,
            parsed,
        ));
        if let Some(v) = &verdict {
            bump(
                &self.counters.unknown_labels,
                v.reading.unknown_labels() as u64,
            );
        }
        let labels = verdict.map(|v| TurnLabels {
            strategies: Vec::new(),
            stage_goal_met: v.stage_goal_met,
            distortions: v.distortions,
        });
        (labels, took)
    }

    fn verbatim_opening(&self, stream: Option<&mpsc::UnboundedSender<String>>) -> Reply {
        let text = self.case.situation.trim().to_owned();
        if let Some(tx) = stream {
            let _ = tx.send(text.clone());
        }
        bump(&self.counters.turns, 1);
        Reply {
            answer: Answer::Said(SaidTurn {
                text,
                labels: None,
                cut: false,
            }),
            latency_ms: 0,
            exchange: Vec::new(),
        }
    }
}

/// What `llm_call.parsed` records of a turn: how it was read, and its labels.
fn parsed_value(read: &ReadTurn) -> Value {
    let mut value = read.reading.to_value();
    if let Value::Object(o) = &mut value {
        o.insert(
            "labels".into(),
            serde_json::to_value(&read.labels).unwrap_or(Value::Null),
        );
    }
    value
}

fn refusal(why: String) -> Reply {
    Reply {
        answer: Answer::Failed(why),
        latency_ms: 0,
        exchange: Vec::new(),
    }
}

impl Agent for CrLlmAgent {
    fn respond(&self, request: Request) -> AgentFuture<'_> {
        Box::pin(async move {
            match request {
                Request::Say(req) => self.say(req).await,
                Request::Choose(_) => refusal(format!(
                    "the {} agent of a CR dialogue answers turns only",
                    self.role.name()
                )),
            }
        })
    }
}
