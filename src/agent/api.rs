//! Agents: who answers a session's requests. A model answers through the LLM pool
//! (`eval::agent::LlmAgent`); a person through [`HumanAgent`], whose requests go to the UI
//! over a channel and whose replies come back the same way.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::engine::cr::TurnLabels;
use crate::engine::episode::Question;
use crate::script::model::WorldTree;
use crate::session::EventBody;
use crate::vocab::{CrSpeaker, CrStage};

/// *Choose one of N*: a question of a world-tree episode, with the walk so far.
#[derive(Debug, Clone)]
pub struct ChoiceRequest {
    pub tree: Arc<WorldTree>,
    pub question: Question,
    /// Nodes visited, root first (empty in IAE mode: the item carries its own path).
    pub path: Vec<usize>,
    /// The walk's decisions so far as (node, choice index).
    pub decisions: Vec<(usize, usize)>,
}

/// *Say a turn given the context* (CR dialogues): who speaks, what the stage machine asks of
/// them, and the dialogue so far as that speaker may see it; text may be streamed to `stream` as
/// it is produced.
#[derive(Debug, Clone)]
pub struct TurnRequest {
    pub speaker: CrSpeaker,
    /// What is asked: a therapist is told the stage and channel; a client never is.
    pub cue: TurnCue,
    /// The dialogue so far, oldest first, without the turns kept out of model context (a
    /// crisis turn).
    pub context: Vec<ContextTurn>,
    pub stream: Option<mpsc::UnboundedSender<String>>,
}

/// What the stage machine asks for (see [`crate::engine::cr::Effect`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnCue {
    Therapist {
        stage: CrStage,
        /// The distortion of the channel in restructuring.
        channel: Option<String>,
        /// This turn's number in the stage's visit (1-based), and the stage's cap.
        stage_turn: u32,
        stage_cap: Option<u32>,
        /// Distortions of the other open channels.
        open_channels: Vec<String>,
    },
    Client {
        /// The first turn: the presenting situation.
        opening: bool,
    },
}

/// One earlier turn, as an agent sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextTurn {
    pub speaker: CrSpeaker,
    pub text: String,
}

/// A turn's text with what the speaker reported about it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SaidTurn {
    pub text: String,
    /// A therapist's labels (strategy per sentence, stage goal met, distortions found); `None`
    /// for an unlabelled turn (a client, a free model, a structured reply that did not parse).
    pub labels: Option<TurnLabels>,
    /// The reply was cut (cancelled, or stopped at the token limit): `text` is what arrived.
    pub cut: bool,
}

/// What an agent is asked.
#[derive(Debug, Clone)]
pub enum Request {
    Choose(ChoiceRequest),
    Say(TurnRequest),
}

/// An agent's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The option at this display position.
    Position(usize),
    /// An IAE answer that names none of the options: counted wrong under `--protocol
    /// socialeval`, as the official script counts it (what was given is in the exchange).
    NotAnOption,
    /// A turn (CR dialogues).
    Said(SaidTurn),
    /// An answer that could not be used (a reply the parser could not read).
    Unusable,
    /// No answer at all (HTTP failures after every retry); the session cannot go on.
    Failed(String),
}

/// An answer with how long it took and what was exchanged to get it (a model's `llm_call`
/// events; nothing for a person).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub answer: Answer,
    pub latency_ms: u64,
    pub exchange: Vec<EventBody>,
}

impl Reply {
    /// A person's answer: no exchange.
    #[must_use]
    pub const fn human(answer: Answer, latency_ms: u64) -> Self {
        Self {
            answer,
            latency_ms,
            exchange: Vec::new(),
        }
    }
}

/// A boxed future of an agent's reply.
pub type AgentFuture<'a> = Pin<Box<dyn Future<Output = Reply> + Send + 'a>>;

/// Who answers requests.
pub trait Agent: Send + Sync {
    fn respond(&self, request: Request) -> AgentFuture<'_>;
}

/// A request waiting for a person, as the UI receives it.
#[derive(Debug)]
pub struct Pending {
    pub request: Request,
    reply: oneshot::Sender<Reply>,
}

impl Pending {
    /// Send the person's reply back to the session.
    pub fn reply(self, reply: Reply) {
        // The session may have been dropped (the UI quit); then nobody waits.
        let _ = self.reply.send(reply);
    }
}

/// A person, answering through the UI: each request is sent over a channel, and the reply
/// comes back on its own one-shot channel. If the UI goes away, the request fails.
#[derive(Debug, Clone)]
pub struct HumanAgent {
    requests: mpsc::Sender<Pending>,
}

impl HumanAgent {
    /// An agent and the receiving end the UI reads requests from.
    #[must_use]
    pub fn new() -> (Self, mpsc::Receiver<Pending>) {
        let (tx, rx) = mpsc::channel(1);
        (Self { requests: tx }, rx)
    }
}

impl Agent for HumanAgent {
    fn respond(&self, request: Request) -> AgentFuture<'_> {
        Box::pin(async move {
            let (tx, rx) = oneshot::channel();
            let gone = || Reply::human(Answer::Failed("the interface closed".to_owned()), 0);
            if self
                .requests
                .send(Pending { request, reply: tx })
                .await
                .is_err()
            {
                return gone();
            }
            rx.await.unwrap_or_else(|_| gone())
        })
    }
}
