//! A concurrency cap for batch runs: at most N calls in flight, the rest wait their turn.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::LlmClient;
use super::ask::{Answer, ask_choice};
use super::error::CallError;
use super::parse::Choices;
use super::types::{ChatMessage, Completion, StreamEvent};
use crate::script::model::Language;

/// At most `limit` futures run through it at once (a `tokio::sync::Semaphore`).
#[derive(Debug, Clone)]
pub struct Limiter {
    semaphore: Arc<Semaphore>,
    limit: usize,
}

impl Limiter {
    /// A limiter of `limit` slots (at least 1).
    #[must_use]
    pub fn new(limit: usize) -> Self {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            semaphore: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    #[must_use]
    pub const fn limit(&self) -> usize {
        self.limit
    }

    /// Slots taken right now.
    #[must_use]
    pub fn in_use(&self) -> usize {
        self.limit - self.semaphore.available_permits()
    }

    /// Run `f` once a slot is free; the slot is held until `f` finishes (or is dropped).
    pub async fn run<F: Future>(&self, f: F) -> F::Output {
        // The semaphore is never closed, so acquiring only fails in theory; then run unlimited
        // rather than not at all.
        let _permit = self.semaphore.acquire().await.ok();
        f.await
    }
}

/// A client behind a [`Limiter`]: what an eval runner shares between its tasks. A call holds
/// its slot across retries and backoff, so a rate-limited server is not hit harder.
#[derive(Debug, Clone)]
pub struct Pool {
    client: LlmClient,
    limiter: Limiter,
}

impl Pool {
    #[must_use]
    pub fn new(client: LlmClient, limit: usize) -> Self {
        Self {
            client,
            limiter: Limiter::new(limit),
        }
    }

    #[must_use]
    pub const fn client(&self) -> &LlmClient {
        &self.client
    }

    #[must_use]
    pub const fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// [`LlmClient::complete`] within the cap.
    ///
    /// # Errors
    /// As [`LlmClient::complete`].
    pub async fn complete(&self, messages: &[ChatMessage]) -> Result<Completion, CallError> {
        self.limiter.run(self.client.complete(messages)).await
    }

    /// [`LlmClient::complete_streaming`] within the cap.
    ///
    /// # Errors
    /// As [`LlmClient::complete`].
    pub async fn complete_streaming(
        &self,
        messages: &[ChatMessage],
        on_event: &mut (dyn FnMut(StreamEvent<'_>) + Send),
    ) -> Result<Completion, CallError> {
        self.limiter
            .run(self.client.complete_streaming(messages, on_event))
            .await
    }

    /// [`ask_choice`] within the cap (the correction round holds the same slot).
    pub async fn ask_choice(
        &self,
        messages: Vec<ChatMessage>,
        choices: Choices<'_>,
        correction: Option<Language>,
    ) -> Answer {
        self.limiter
            .run(ask_choice(&self.client, messages, choices, correction))
            .await
    }
}
