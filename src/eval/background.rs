//! A batch run on a thread of its own, for a user interface that keeps drawing while it runs.
//!
//! [`BackgroundRun::start`] spawns a thread with its own tokio runtime that drives
//! [`super::runner::run`]; the caller reads the live counters ([`BackgroundRun::snapshot`]),
//! asks it to stop ([`BackgroundRun::stop`]: no new episode starts, running ones are
//! abandoned, finished ones stay), and collects the outcome once ([`BackgroundRun::poll`] or
//! [`BackgroundRun::wait`]). Dropping a run stops it and waits for the thread, so the sessions
//! it was writing are closed (marked abandoned) before the program goes on.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use super::progress::{Progress, Snapshot};
use super::runner::{Cancel, EvalTree, Prompts, RunOutcome, RunSpec, run};
use crate::agent::llm::Pool;
use crate::store::Store;

/// Worker threads of a background run's runtime: calls wait on the network, not the CPU.
const WORKER_THREADS: usize = 2;

/// Where a background run stands.
#[derive(Debug, Clone)]
pub enum RunState {
    Running,
    /// Ended; the outcome, or why the run could not run.
    Done(Result<Box<RunOutcome>, String>),
}

/// A run going on in the background.
#[derive(Debug)]
pub struct BackgroundRun {
    pub run_id: crate::session::RunId,
    /// The run's settings (what its sessions will record).
    pub settings: super::settings::RunSettings,
    progress: Arc<Progress>,
    cancel: Cancel,
    result: Receiver<Result<Box<RunOutcome>, String>>,
    state: RunState,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundRun {
    /// Start the run.
    ///
    /// # Errors
    /// The thread could not be spawned.
    pub fn start(
        store: Store,
        pool: Pool,
        prompts: Prompts,
        spec: RunSpec,
        trees: Vec<EvalTree>,
    ) -> Result<Self, String> {
        let progress = Arc::new(Progress::new());
        let cancel = Cancel::new();
        let (tx, rx) = channel();
        let run_id = spec.run_id.clone();
        let settings = spec.settings.clone();
        let (p, c) = (Arc::clone(&progress), cancel.clone());
        let thread = std::thread::Builder::new()
            .name(format!("run {run_id}"))
            .spawn(move || {
                let outcome = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(WORKER_THREADS)
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the async runtime: {e}"))
                    .and_then(|rt| {
                        rt.block_on(run(store, pool, prompts, spec, trees, c, p))
                            .map(Box::new)
                            .map_err(|e| e.to_string())
                    });
                // The receiver may be gone (the interface quit); nothing to tell then.
                let _ = tx.send(outcome);
            })
            .map_err(|e| format!("cannot start the run: {e}"))?;
        Ok(Self {
            run_id,
            settings,
            progress,
            cancel,
            result: rx,
            state: RunState::Running,
            thread: Some(thread),
        })
    }

    /// The live counters.
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        self.progress.snapshot()
    }

    /// The error the last failed episode ended with.
    #[must_use]
    pub fn last_error(&self) -> Option<String> {
        self.progress.last_error()
    }

    /// Ask the run to stop: no new episode starts; running ones are abandoned.
    pub fn stop(&self) {
        self.cancel.cancel();
    }

    /// Whether [`BackgroundRun::stop`] was asked.
    #[must_use]
    pub fn stopping(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// The state now, collecting the outcome if the run just ended.
    pub fn poll(&mut self) -> &RunState {
        if matches!(self.state, RunState::Running) {
            match self.result.try_recv() {
                Ok(outcome) => self.finish(outcome),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    self.finish(Err("the run's thread stopped without a result".to_owned()));
                }
            }
        }
        &self.state
    }

    /// Wait up to `timeout` for the run to end; the state afterwards.
    pub fn wait(&mut self, timeout: Duration) -> &RunState {
        if matches!(self.state, RunState::Running) {
            match self.result.recv_timeout(timeout) {
                Ok(outcome) => self.finish(outcome),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.finish(Err("the run's thread stopped without a result".to_owned()));
                }
            }
        }
        &self.state
    }

    /// The outcome arrived. The thread has nothing left to do; it is joined when the run is
    /// dropped (never here, so polling from the UI never waits on a thread).
    fn finish(&mut self, outcome: Result<Box<RunOutcome>, String>) {
        self.state = RunState::Done(outcome);
    }

    /// Whether the run is still going.
    #[must_use]
    pub const fn running(&self) -> bool {
        matches!(self.state, RunState::Running)
    }
}

impl Drop for BackgroundRun {
    fn drop(&mut self) {
        self.cancel.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
