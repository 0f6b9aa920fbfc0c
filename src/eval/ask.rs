//! What every episode task shares, and one question put to the model and recorded.

use std::sync::Arc;
use std::time::Duration;

use super::progress::Progress;
use super::record::{answer_latency, call_events, scrub};
use super::runner::Prompts;
use super::settings::RunSettings;
use crate::agent::llm::{ChatMessage, Choices, ParsedChoice, Pool};
use crate::script::model::Language;
use crate::session::{Ending, SessionId, Status};
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

/// How an episode (GAE) or a tree's item set (IAE) ended; the runner writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EpisodeEnd {
    /// `Finished` or `Failed`.
    pub status: Status,
    /// Finished: the drop reason (`unlabelled_ending`, `dead_end`, `invalid_answer`), if the
    /// episode does not count; failed: the error.
    pub reason: Option<String>,
    pub ending: Option<Ending>,
}

impl EpisodeEnd {
    pub(crate) fn finished(reason: Option<&str>, ending: Option<Ending>) -> Self {
        Self {
            status: Status::Finished,
            reason: reason.map(str::to_owned),
            ending,
        }
    }

    pub(crate) fn failed(error: String) -> Self {
        Self {
            status: Status::Failed,
            reason: Some(error),
            ending: None,
        }
    }
}

/// What one question got.
#[derive(Debug, Clone)]
pub(crate) struct Asked {
    /// The usable answer, if any.
    pub choice: Option<ParsedChoice>,
    /// The HTTP failure that ended the question, if one did.
    pub error: Option<String>,
    pub latency: Duration,
}

/// Ask the model to pick one of `texts` (presented order), append the `llm_call` events
/// (unflushed, as one atomic group), and count the calls.
pub(crate) async fn ask(
    shared: &Shared,
    session: SessionId,
    purpose: &str,
    messages: Vec<ChatMessage>,
    texts: &[&str],
    correction: Option<Language>,
) -> Result<Asked, StoreError> {
    let prompt = messages.clone();
    let answer = shared
        .pool
        .ask_choice(messages, Choices::with_texts(texts), correction)
        .await;
    for exchange in &answer.exchanges {
        shared.progress.call(true);
        if exchange.completion.finish_reason.as_deref() == Some("length") {
            shared.progress.cut_at_limit();
        }
    }
    if answer.error.is_some() {
        shared.progress.call(false);
    }
    let events = call_events(
        shared.pool.client(),
        purpose,
        &prompt,
        &answer,
        correction.map(|l| (l, texts.len())),
    );
    shared.store.append_batch(session, events)?;
    Ok(Asked {
        choice: answer.choice(),
        error: answer
            .error
            .as_ref()
            .map(|e| scrub(&e.to_string(), shared.pool.client().endpoint())),
        latency: answer_latency(&answer),
    })
}
