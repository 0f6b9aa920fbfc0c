//! One way to run a session, for humans and models alike.
//!
//! - [`Driver`] holds the pure [`Episode`] of a world tree and writes its events through a
//!   [`Recorder`], using [`records`] — the one place those events are made. It has a step API
//!   (`start`, `present`, `answer`, `unusable`, `close`) that the TUI calls as a person
//!   reveals lines and confirms answers, and that [`run`] calls for an [`Agent`].
//! - [`Agent`] answers requests: *choose one of N* (a GAE choice, an IAE item, later a study
//!   judgment) and *say a turn* (CR dialogues). A model answers through the LLM pool
//!   (`eval::agent`), a person through a channel ([`HumanAgent`]).
//! - [`run`] plays a whole episode with an agent: present, ask, record the exchange and the
//!   answer, until the end.
//!
//! Layering: above `engine`, `session` and `store`; below `eval` and `tui`.

pub mod cr;
pub mod cr_replay;
pub mod records;

use std::sync::Arc;

pub use crate::agent::{
    Agent, AgentFuture, Answer, ChoiceRequest, ContextTurn, HumanAgent, Pending, Reply, Request,
    SaidTurn, TurnCue, TurnRequest,
};

use crate::engine::episode::{
    Episode, EpisodeConfig, EpisodeEffect, EpisodeEnd, EpisodeInput, Question,
};
use crate::script::model::WorldTree;
use crate::session::{EventBody, SessionId};
use crate::store::{Store, StoreError};

/// Where a session's events go.
pub trait Recorder {
    /// Append `events` in order, all or none.
    ///
    /// # Errors
    /// The store could not write.
    fn record(&mut self, events: Vec<EventBody>) -> Result<(), StoreError>;
}

/// Writes to one session of a store. With `flush`, every group of events is on disk before
/// `record` returns (a person's answer, before the screen moves on); without, the caller
/// flushes (batch runs flush once per episode).
#[derive(Debug, Clone)]
pub struct StoreRecorder {
    store: Store,
    id: SessionId,
    flush: bool,
}

impl StoreRecorder {
    #[must_use]
    pub const fn new(store: Store, id: SessionId, flush: bool) -> Self {
        Self { store, id, flush }
    }

    #[must_use]
    pub const fn id(&self) -> SessionId {
        self.id
    }
}

impl Recorder for StoreRecorder {
    fn record(&mut self, events: Vec<EventBody>) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        self.store.append_batch(self.id, events)?;
        if self.flush {
            self.store.flush()?;
        }
        Ok(())
    }
}

/// Records nothing: replaying the stored answers of a session being resumed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Replay;

impl Recorder for Replay {
    fn record(&mut self, _events: Vec<EventBody>) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Why a step was not taken.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no question is waiting for an answer")]
    NoQuestion,
    #[error("there is no option {position} (the question has {count})")]
    NoSuchOption { position: usize, count: usize },
}

/// A session on a world tree.
#[derive(Debug, Clone)]
pub struct Driver {
    tree: Arc<WorldTree>,
    episode: Episode<Arc<WorldTree>>,
}

impl Driver {
    #[must_use]
    pub fn new(tree: Arc<WorldTree>, config: EpisodeConfig) -> Self {
        Self {
            episode: Episode::new(Arc::clone(&tree), config),
            tree,
        }
    }

    #[must_use]
    pub const fn tree(&self) -> &Arc<WorldTree> {
        &self.tree
    }

    #[must_use]
    pub const fn episode(&self) -> &Episode<Arc<WorldTree>> {
        &self.episode
    }

    /// The question waiting for an answer.
    #[must_use]
    pub const fn question(&self) -> Option<&Question> {
        self.episode.question()
    }

    /// Begin: the first lines and question (nothing is recorded yet).
    pub fn start(&mut self) -> Vec<EpisodeEffect> {
        self.episode.handle(EpisodeInput::Start)
    }

    /// The waiting question's options are now in front of the player: record them.
    ///
    /// # Errors
    /// No question waits, or the store failed.
    pub fn present(&self, recorder: &mut dyn Recorder) -> Result<(), DriverError> {
        let q = self.question().ok_or(DriverError::NoQuestion)?;
        recorder.record(vec![records::presented(&self.tree, q)])?;
        Ok(())
    }

    /// The player chose the option at `position`: record the exchange that led to it (a
    /// model's calls) and the answer, then advance. Nothing advances unless the record was
    /// written.
    ///
    /// # Errors
    /// No question waits, no such option, or the store failed.
    pub fn answer(
        &mut self,
        position: usize,
        timing: records::Timing,
        mut exchange: Vec<EventBody>,
        recorder: &mut dyn Recorder,
    ) -> Result<Vec<EpisodeEffect>, DriverError> {
        let q = self.question().ok_or(DriverError::NoQuestion)?;
        if position >= q.options.len() {
            return Err(DriverError::NoSuchOption {
                position,
                count: q.options.len(),
            });
        }
        exchange.push(records::answer(&self.tree, q, position, timing));
        recorder.record(exchange)?;
        Ok(self.episode.handle(EpisodeInput::Answer { position }))
    }

    /// The player gave no usable answer: record the exchange and advance (an IAE item is
    /// left; a walk ends, dropped).
    ///
    /// # Errors
    /// No question waits, or the store failed.
    pub fn unusable(
        &mut self,
        exchange: Vec<EventBody>,
        recorder: &mut dyn Recorder,
    ) -> Result<Vec<EpisodeEffect>, DriverError> {
        if self.question().is_none() {
            return Err(DriverError::NoQuestion);
        }
        recorder.record(exchange)?;
        Ok(self.episode.handle(EpisodeInput::Unusable))
    }

    /// The agent answered an IAE item with something that is none of its options: recorded
    /// as a wrong answer ([`records::not_an_option`]) after the exchange, then the next item.
    /// At a GAE question this is an unusable answer.
    ///
    /// # Errors
    /// No question waits, or the store failed.
    pub fn not_an_option(
        &mut self,
        latency_ms: u64,
        mut exchange: Vec<EventBody>,
        recorder: &mut dyn Recorder,
    ) -> Result<Vec<EpisodeEffect>, DriverError> {
        let q = self.question().ok_or(DriverError::NoQuestion)?;
        let Some(answer) = records::not_an_option(&self.tree, q, latency_ms) else {
            return self.unusable(exchange, recorder);
        };
        exchange.push(answer);
        recorder.record(exchange)?;
        Ok(self.episode.handle(EpisodeInput::NotAnOption))
    }

    /// Record how the episode ended (`ending`, `session_status` finished).
    ///
    /// # Errors
    /// The store failed.
    pub fn close(&self, end: &EpisodeEnd, recorder: &mut dyn Recorder) -> Result<(), DriverError> {
        recorder.record(records::closing(&self.tree, end))?;
        Ok(())
    }

    /// What an agent is asked for the waiting question.
    #[must_use]
    pub fn request(&self) -> Option<Request> {
        let q = self.question()?;
        Some(Request::Choose(ChoiceRequest {
            tree: Arc::clone(&self.tree),
            question: q.clone(),
            path: self.episode.path().to_vec(),
            decisions: self.episode.decisions().to_vec(),
        }))
    }
}

/// How [`run`] ended an episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// The episode reached its end (recorded by [`Driver::close`] unless `close` was off).
    Finished(EpisodeEnd),
    /// The agent failed (a model's HTTP errors after every retry); the session is not closed.
    Failed(String),
}

/// Play a whole episode with `agent`: present each question, ask, record the exchange and the
/// answer. With `close`, the end is recorded too.
///
/// # Errors
/// The store failed.
pub async fn run(
    driver: &mut Driver,
    agent: &dyn Agent,
    recorder: &mut (dyn Recorder + Send),
    close: bool,
) -> Result<RunEnd, DriverError> {
    let mut effects = driver.start();
    loop {
        if let Some(end) = effects.iter().find_map(|e| match e {
            EpisodeEffect::End(end) => Some(end.clone()),
            _ => None,
        }) {
            if close {
                driver.close(&end, recorder)?;
            }
            return Ok(RunEnd::Finished(end));
        }
        let Some(request) = driver.request() else {
            return Ok(RunEnd::Failed(
                "the episode stopped without an end".to_owned(),
            ));
        };
        driver.present(recorder)?;
        let reply = agent.respond(request).await;
        effects = match reply.answer {
            // An answer past the options (a parser bug, a confused agent) counts as unusable;
            // the exchange that produced it is kept either way.
            Answer::Position(position)
                if driver
                    .question()
                    .is_some_and(|q| position < q.options.len()) =>
            {
                driver.answer(
                    position,
                    records::Timing::latency(reply.latency_ms),
                    reply.exchange,
                    recorder,
                )?
            }
            Answer::NotAnOption => {
                driver.not_an_option(reply.latency_ms, reply.exchange, recorder)?
            }
            Answer::Position(_) | Answer::Unusable | Answer::Said(_) => {
                driver.unusable(reply.exchange, recorder)?
            }
            Answer::Failed(error) => {
                recorder.record(reply.exchange)?;
                return Ok(RunEnd::Failed(error));
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::episode::Mode;
    use crate::script::load::{Script, load_str};
    use crate::session::Note;

    fn tree() -> Arc<WorldTree> {
        let (script, diags, _) = load_str(include_str!("../../tests/fixtures/check/valid.yaml"));
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        match script {
            Some(Script::WorldTree(t)) => Arc::new(t),
            _ => panic!("no tree"),
        }
    }

    #[derive(Default)]
    struct Log(Vec<EventBody>);

    impl Recorder for Log {
        fn record(&mut self, events: Vec<EventBody>) -> Result<(), StoreError> {
            self.0.extend(events);
            Ok(())
        }
    }

    /// Answers every question with `position`, with one marker event as its exchange.
    struct Fixed(usize);

    impl Agent for Fixed {
        fn respond(&self, _: Request) -> AgentFuture<'_> {
            let position = self.0;
            Box::pin(async move {
                Reply {
                    answer: Answer::Position(position),
                    latency_ms: 7,
                    exchange: vec![EventBody::Note(Note {
                        text: "exchange".into(),
                    })],
                }
            })
        }
    }

    #[tokio::test]
    async fn an_answer_past_the_options_is_unusable_and_its_exchange_is_kept() {
        let config = EpisodeConfig {
            mode: Mode::Gae,
            shuffle: false,
            seed: 1,
            official: false,
        };
        let mut log = Log::default();
        let mut driver = Driver::new(tree(), config);
        let end = run(&mut driver, &Fixed(99), &mut log, true).await.unwrap();
        let RunEnd::Finished(end) = end else {
            panic!("{end:?}")
        };
        assert_eq!(end.dropped, Some(crate::engine::DropReason::InvalidAnswer));
        assert!(
            log.0.iter().any(|e| matches!(e, EventBody::Note(_))),
            "{:?}",
            log.0
        );
        assert!(!log.0.iter().any(|e| matches!(e, EventBody::Decision(_))));
        // An answer in range is recorded after its exchange.
        let mut log = Log::default();
        let mut driver = Driver::new(tree(), config);
        run(&mut driver, &Fixed(0), &mut log, true).await.unwrap();
        let kinds: Vec<&str> = log.0.iter().map(EventBody::type_name).collect();
        assert_eq!(kinds[..3], ["options_presented", "note", "decision"]);
    }
}
