//! A model playing one session through the [`Driver`]: a GAE episode, or one tree's IAE items.
//!
//! [`LlmAgent`] answers the driver's *choose one of N* requests: it renders the run's prompt
//! for the question (the protocol decides the context), asks the pool (with at most one
//! correction round), and hands back the answer with its `llm_call` events. The driver records
//! them with the options and the answer — the same records a person's session gets (see
//! [`crate::driver::records`]). The session's closing events come back in [`EpisodeEnd`] for
//! the runner to write with the flush.
//!
//! Seeds: the GAE walk draws from the session seed; each IAE item's options from
//! `derive_seed(session seed, "iae/<node id>/<choice index>")` — the rule the TUI uses, so a
//! recorded seed reproduces every order.

use std::sync::Arc;

use super::official;
use super::progress::Progress;
use super::protocol::{Protocol, gae_prompt_parts, iae_prompt_parts};
use super::record::{answer_latency, call_events, millis, scrub};
use super::runner::Prompts;
use super::settings::{EvalKind, RunSettings};
use crate::agent::llm::{Choices, Pool, PromptSet};
use crate::driver::records::{self, option_utterance};
use crate::driver::{
    Agent, AgentFuture, Answer, ChoiceRequest, Driver, DriverError, Reply, Request, RunEnd,
    StoreRecorder, run,
};
use crate::engine::episode::{EpisodeConfig, Mode, QuestionKind};
use crate::script::model::{IaeItem, Language, Utterance, WorldTree};
use crate::session::{EventBody, SessionId, Status, StatusChange, StatusReason};
use crate::store::{Store, StoreError};

/// Shared by the tasks of one run.
#[derive(Debug)]
pub(crate) struct Shared {
    pub store: Store,
    pub pool: Pool,
    pub settings: RunSettings,
    pub prompts: Prompts,
    pub progress: Arc<Progress>,
}

/// How an episode (GAE) or a tree's item set (IAE) ended, and the events that close it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EpisodeEnd {
    /// `Finished` or `Failed`.
    pub status: Status,
    /// Failed: the error.
    pub error: Option<String>,
    /// `ending` (if any) and `session_status`, written by the runner with the flush.
    pub events: Vec<EventBody>,
}

/// A model answering through the run's pool.
#[derive(Debug)]
pub struct LlmAgent<'a> {
    pool: &'a Pool,
    progress: &'a Progress,
    protocol: Protocol,
    set: &'a PromptSet,
    correction: Option<Language>,
}

impl LlmAgent<'_> {
    async fn choose(&self, req: ChoiceRequest) -> Reply {
        let tree = &*req.tree;
        let q = &req.question;
        let options: Vec<&Utterance> = q
            .options
            .iter()
            .filter_map(|&src| option_utterance(tree, q, src))
            .collect();
        let (purpose, parts) = match &q.kind {
            QuestionKind::Gae => (
                "gae_decision",
                gae_prompt_parts(self.protocol, tree, &req.path, &req.decisions, &options),
            ),
            QuestionKind::Iae { item, .. } => {
                let empty = IaeItem::default();
                let iae = tree.nodes[item.node].choices[item.choice]
                    .iae
                    .as_ref()
                    .unwrap_or(&empty);
                (
                    "iae_answer",
                    iae_prompt_parts(self.protocol, tree, &item.path, iae, &options),
                )
            }
        };
        let messages = self.set.render(&parts).messages();
        let texts: Vec<&str> = options.iter().map(|u| u.text.as_str()).collect();
        let answer = self
            .pool
            .ask_choice(
                messages.clone(),
                Choices::with_texts(&texts),
                self.correction,
            )
            .await;
        for exchange in &answer.exchanges {
            self.progress.call(true);
            if exchange.completion.finish_reason.as_deref() == Some("length") {
                self.progress.cut_at_limit();
            }
        }
        if answer.error.is_some() {
            self.progress.call(false);
        }
        let mut exchange = call_events(
            self.pool.client(),
            purpose,
            &messages,
            &answer,
            self.correction.map(|l| (l, texts.len())),
        );
        let latency_ms = millis(answer_latency(&answer));
        let result = if let Some(e) = &answer.error {
            Answer::Failed(scrub(&e.to_string(), self.pool.client().endpoint()))
        } else if self.protocol == Protocol::Socialeval {
            let reply = answer
                .exchanges
                .last()
                .map_or("", |e| e.completion.text.as_str());
            let reading = match &q.kind {
                QuestionKind::Gae => official::read_gae(reply, texts.len()),
                QuestionKind::Iae { .. } => official::read_iae(reply, texts.len()),
            };
            official_answer(&reading, &mut exchange)
        } else {
            answer
                .choice()
                .map_or(Answer::Unusable, |c| Answer::Position(c.index))
        };
        Reply {
            answer: result,
            latency_ms,
            exchange,
        }
    }
}

/// The answer an official reading gives, with the reading stored in the last `llm_call`'s
/// `parsed` (it, not the tolerant parser, decided). A letter that names no option (IAE) is an
/// answer counted wrong ([`Answer::NotAnOption`]).
fn official_answer(reading: &official::Reading, exchange: &mut [EventBody]) -> Answer {
    if let Some(EventBody::LlmCall(call)) = exchange.last_mut() {
        call.parsed = Some(reading.record());
    }
    match reading {
        official::Reading::Option(i) => Answer::Position(*i),
        official::Reading::NotAnOption(_) => Answer::NotAnOption,
        _ => Answer::Unusable,
    }
}

impl Agent for LlmAgent<'_> {
    fn respond(&self, request: Request) -> AgentFuture<'_> {
        Box::pin(async move {
            match request {
                Request::Choose(req) => self.choose(req).await,
                Request::Say(_) => Reply {
                    answer: Answer::Failed("a batch run asks for choices only".to_owned()),
                    latency_ms: 0,
                    exchange: Vec::new(),
                },
            }
        })
    }
}

/// Play one session of `tree` (a GAE episode or the tree's IAE items) into `session`.
pub(crate) async fn play(
    shared: &Shared,
    tree: Arc<WorldTree>,
    session: SessionId,
    seed: u64,
) -> Result<EpisodeEnd, StoreError> {
    let settings = &shared.settings;
    let protocol = settings.protocol;
    let mode = match settings.kind {
        EvalKind::Gae => Mode::Gae,
        EvalKind::Iae => Mode::Iae,
    };
    let config = EpisodeConfig {
        mode,
        shuffle: settings.shuffle && protocol.allows_shuffle(),
        seed,
        official: protocol == Protocol::Socialeval,
    };
    let agent = LlmAgent {
        pool: &shared.pool,
        progress: &shared.progress,
        protocol,
        set: shared.prompts.for_tree(protocol, tree.language),
        correction: protocol.correction(tree.language),
    };
    let mut driver = Driver::new(Arc::clone(&tree), config);
    let mut recorder = StoreRecorder::new(shared.store.clone(), session, false);
    let end = match run(&mut driver, &agent, &mut recorder, false).await {
        Ok(end) => end,
        Err(DriverError::Store(e)) => return Err(e),
        // Not reachable through `run`; a failed episode rather than a stopped run.
        Err(other) => RunEnd::Failed(other.to_string()),
    };
    Ok(match end {
        RunEnd::Finished(end) => EpisodeEnd {
            status: Status::Finished,
            error: None,
            events: records::closing(&tree, &end),
        },
        RunEnd::Failed(error) => EpisodeEnd {
            status: Status::Failed,
            events: vec![EventBody::SessionStatus(StatusChange {
                status: Status::Failed,
                reason: Some(StatusReason::Other(error.clone())),
            })],
            error: Some(error),
        },
    })
}
