//! The batch runner: trees × episodes (GAE) or trees (IAE) against a model, each a session in
//! the store, run concurrently, stoppable, resumable.
//!
//! - **Concurrency.** The [`Pool`] caps calls in flight at `concurrency`. A quarter more worker
//!   tasks than that (at least one more) take jobs from one queue, so that while one job
//!   creates or closes its session (each a flush to disk) another is ready for the free call
//!   slot; each job makes one call at a time. The queue holds the longest trees first (fewer
//!   idle slots at the end of a run), each tree's episodes together (a server's prefix cache
//!   sees one tree at a time).
//! - **Durability.** A job creates its session (flushed), appends its events without waiting
//!   for the disk, and ends with one atomic group (`ending`, `session_status`) followed by a
//!   flush: a finished episode is never lost; a crash loses at most the events of running
//!   episodes, which stay `in_progress`.
//! - **Stopping.** [`Cancel::cancel`] (Ctrl-C on the command line): no new job starts, running
//!   ones are dropped mid-call and marked `abandoned`, finished ones stay. The summary of what
//!   finished is still computed.
//! - **A dead endpoint.** When `max(16, 2 × concurrency)` jobs in a row fail (HTTP errors after
//!   every retry), no new job starts and the run ends with [`StopReason::EndpointFailing`]:
//!   a batch of thousands of episodes does not spend an hour retrying a server that is down.
//! - **Resume.** With `resume`, sessions of the run still `in_progress` (a crash, a `kill -9`)
//!   are marked `abandoned`, finished slots are skipped, everything else (failed, abandoned,
//!   never started) runs again as new sessions. A finished slot whose tree changed since (other
//!   content hash) stops the resume with an error: one run, one version of each tree.
//! - **Seeds.** GAE episode: `derive_seed(seed, "gae/<tree id>/<episode>")`; IAE tree:
//!   `derive_seed(seed, "iae/<tree id>")` (items derive from that, see `iae_run`).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::json;
use tokio::sync::watch;

use super::episode::{EpisodeEnd, Shared};
use super::plan::{Job, make_plan};
use super::progress::{Progress, Snapshot};
use super::protocol::Protocol;
use super::settings::{EvalKind, RunSettings};
use super::summary::{Report, Tally, gae_report, iae_report};
use crate::agent::llm::{Pool, PromptSet, TemplateError};
use crate::engine::derive_seed;
use crate::script::model::{Language, WorldTree};
use crate::session::{NewSession, ScriptRef, SessionId, Status, StatusReason, Who};
use crate::store::{Store, StoreError};

/// A tree to evaluate: the tree, the sha256 of its file, and where it came from.
#[derive(Debug, Clone)]
pub struct EvalTree {
    pub tree: Arc<WorldTree>,
    pub hash: String,
    pub source: PathBuf,
}

/// The prompts of a run: a user template for every tree, or the built-ins by language.
#[derive(Debug, Clone)]
pub struct Prompts {
    custom: Option<PromptSet>,
    en: PromptSet,
    zh: PromptSet,
}

impl Prompts {
    /// The built-in prompts for `kind`.
    ///
    /// # Errors
    /// Only if a built-in template is broken (the tests check they are not).
    pub fn builtin(kind: EvalKind) -> Result<Self, TemplateError> {
        Ok(Self {
            custom: None,
            en: PromptSet::builtin(kind.prompt_kind(), Language::En)?,
            zh: PromptSet::builtin(kind.prompt_kind(), Language::Zh)?,
        })
    }

    /// `set` for every tree.
    ///
    /// # Errors
    /// As [`Prompts::builtin`].
    pub fn custom(kind: EvalKind, set: PromptSet) -> Result<Self, TemplateError> {
        let mut p = Self::builtin(kind)?;
        p.custom = Some(set);
        Ok(p)
    }

    /// The set used for a tree in `language` under `protocol`.
    #[must_use]
    pub fn for_tree(&self, protocol: Protocol, language: Language) -> &PromptSet {
        if let Some(c) = &self.custom {
            return c;
        }
        match protocol.prompt_language(language) {
            Language::En => &self.en,
            Language::Zh => &self.zh,
        }
    }
}

/// Stops a run from outside (Ctrl-C): no new job starts and running ones are abandoned.
#[derive(Debug, Clone)]
pub struct Cancel {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for Cancel {
    fn default() -> Self {
        Self::new()
    }
}

impl Cancel {
    #[must_use]
    pub fn new() -> Self {
        Self {
            tx: Arc::new(watch::Sender::new(false)),
        }
    }

    pub fn cancel(&self) {
        self.tx.send_replace(true);
    }

    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once [`Cancel::cancel`] was called.
    pub async fn cancelled(&self) {
        let mut rx = self.tx.subscribe();
        if rx.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// What a run is.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub run_id: crate::session::RunId,
    pub settings: RunSettings,
    /// `host:port` of the endpoint (see [`super::settings::endpoint_host`]).
    pub endpoint_host: String,
    /// Jobs (and calls) in flight at most.
    pub concurrency: usize,
    /// Continue the run `run_id` (else it must not exist yet).
    pub resume: bool,
}

/// Why a run ended before its last job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// [`Cancel::cancel`].
    Interrupted,
    /// This many jobs in a row failed.
    EndpointFailing { consecutive: usize },
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The results over the given trees, this invocation's and earlier ones'.
    pub report: Report,
    pub tally: Tally,
    /// This invocation's counters.
    pub progress: Snapshot,
    /// Sessions left `in_progress` by an earlier invocation, now marked abandoned.
    pub reopened: usize,
    pub stop: Option<StopReason>,
    /// The error the last failed job ended with.
    pub last_error: Option<String>,
}

/// Why a run could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Plan(String),
    #[error("a run task stopped unexpectedly: {0}")]
    Task(String),
}

/// Everything a worker needs.
struct Ctx {
    shared: Shared,
    spec: RunSpec,
    who: Who,
    trees: Vec<EvalTree>,
    jobs: Mutex<VecDeque<Job>>,
    cancel: Cancel,
    /// No new job (the endpoint keeps failing).
    drain: AtomicBool,
    consecutive_failures: AtomicUsize,
    threshold: usize,
}

impl Ctx {
    fn next_job(&self) -> Option<Job> {
        if self.cancel.is_cancelled() || self.drain.load(Ordering::Relaxed) {
            return None;
        }
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }
}

/// Run a store call on the blocking pool (a flush waits for the disk).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, RunError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RunError::Task(e.to_string()))?
        .map_err(RunError::from)
}

fn new_session(ctx: &Ctx, job: Job) -> NewSession {
    let t = &ctx.trees[job.tree];
    let settings = &ctx.spec.settings;
    let tree = &t.tree;
    let (seed, mut meta) = match settings.kind {
        EvalKind::Gae => (
            derive_seed(settings.seed, &format!("gae/{}/{}", tree.id, job.episode)),
            json!({ "episode": job.episode }),
        ),
        EvalKind::Iae => {
            let all = crate::engine::iae::items(tree);
            // Under `socialeval` the items the official build cannot make are skipped, and
            // counted (`dropped.unreadable_source` in the report).
            let skipped = if settings.protocol == super::protocol::Protocol::Socialeval {
                all.iter()
                    .filter(|i| crate::engine::iae::skipped_officially(tree, i))
                    .count()
            } else {
                0
            };
            let mut meta = json!({ "items": all.len() - skipped });
            if skipped > 0
                && let Some(m) = meta.as_object_mut()
            {
                m.insert("items_skipped".into(), json!(skipped));
            }
            (
                derive_seed(settings.seed, &format!("iae/{}", tree.id)),
                meta,
            )
        }
    };
    if let Some(m) = meta.as_object_mut() {
        m.insert("tree".into(), json!(tree.id));
        m.insert("title".into(), json!(tree.title));
        m.insert("orientation".into(), json!(tree.orientation.name()));
        m.insert("language".into(), json!(tree.language.code()));
        // The parser and the built-in prompts change between versions; a result names its own.
        m.insert("socius_version".into(), json!(env!("CARGO_PKG_VERSION")));
        m.insert(
            "run".into(),
            serde_json::to_value(settings).unwrap_or_default(),
        );
    }
    NewSession {
        kind: settings.kind.session_kind(),
        script: ScriptRef {
            id: tree.id.clone(),
            hash: t.hash.clone(),
        },
        who: ctx.who.clone(),
        seed,
        run_id: Some(ctx.spec.run_id.clone()),
        meta,
    }
}

async fn run_job(ctx: &Ctx, job: Job) -> Result<(), RunError> {
    let store = ctx.shared.store.clone();
    let new = new_session(ctx, job);
    let seed = new.seed;
    let session = blocking(move || store.create(new)).await?;
    let tree = Arc::clone(&ctx.trees[job.tree].tree);
    let end = tokio::select! {
        biased;
        () = ctx.cancel.cancelled() => None,
        end = play(ctx, tree, session.id, seed) => Some(end?),
    };
    let store = ctx.shared.store.clone();
    let id = session.id;
    let Some(end) = end else {
        blocking(move || store.set_status(id, Status::Abandoned, Some(StatusReason::Interrupted)))
            .await?;
        ctx.shared.progress.abandoned();
        return Ok(());
    };
    let failed = end.status == Status::Failed;
    let error = end.error.clone().unwrap_or_default();
    write_end(store, id, end).await?;
    if failed {
        ctx.shared.progress.failed(&error);
        let n = ctx.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= ctx.threshold {
            ctx.drain.store(true, Ordering::Relaxed);
        }
    } else {
        ctx.shared.progress.finished();
        ctx.consecutive_failures.store(0, Ordering::Relaxed);
    }
    Ok(())
}

async fn play(
    ctx: &Ctx,
    tree: Arc<WorldTree>,
    session: SessionId,
    seed: u64,
) -> Result<EpisodeEnd, RunError> {
    Ok(super::episode::play(&ctx.shared, tree, session, seed).await?)
}

async fn write_end(store: Store, id: SessionId, end: EpisodeEnd) -> Result<(), RunError> {
    blocking(move || {
        store.append_batch(id, end.events)?;
        store.flush()
    })
    .await
}

async fn worker(ctx: Arc<Ctx>) -> Result<(), RunError> {
    while let Some(job) = ctx.next_job() {
        if let Err(e) = run_job(&ctx, job).await {
            // Stop the others too: a store that cannot write loses results.
            ctx.cancel.cancel();
            return Err(e);
        }
    }
    Ok(())
}

/// Wait for every worker; the first error stops the others (through `cancel`) and is returned.
pub(crate) async fn join_workers(
    mut tasks: tokio::task::JoinSet<Result<(), RunError>>,
    cancel: &Cancel,
) -> Result<(), RunError> {
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        if let Err(e) = joined
            .map_err(|e| RunError::Task(e.to_string()))
            .and_then(|r| r)
        {
            cancel.cancel();
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Why a finished batch stopped early: cancelled with work left (`cut_short`), or drained
/// because the endpoint kept failing.
pub(crate) fn stop_reason(
    cancel: &Cancel,
    cut_short: bool,
    drain: &AtomicBool,
    consecutive_failures: &AtomicUsize,
) -> Option<StopReason> {
    if cancel.is_cancelled() && cut_short {
        Some(StopReason::Interrupted)
    } else if drain.load(Ordering::Relaxed) {
        Some(StopReason::EndpointFailing {
            consecutive: consecutive_failures.load(Ordering::Relaxed),
        })
    } else {
        None
    }
}

/// Run (or resume) a batch. Needs a tokio runtime; store calls that wait for the disk run on
/// its blocking pool.
///
/// # Errors
/// [`RunError::Plan`] when the run id is taken (new run), unknown (resume), of the other kind,
/// or a tree changed since the run played it; [`RunError::Store`] when the store fails (the
/// run stops: running episodes are abandoned).
pub async fn run(
    store: Store,
    pool: Pool,
    prompts: Prompts,
    spec: RunSpec,
    trees: Vec<EvalTree>,
    cancel: Cancel,
    progress: Arc<Progress>,
) -> Result<RunOutcome, RunError> {
    let (spec, trees, plan) = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            make_plan(&store, &spec, &trees).map(|plan| (spec, trees, plan))
        })
        .await
        .map_err(|e| RunError::Task(e.to_string()))??
    };
    progress.plan(plan.jobs.len(), plan.skipped);
    // A few more jobs than call slots: while one job creates or closes its session (a flush),
    // another is ready to take the free slot. The pool keeps calls at `concurrency`.
    let concurrency = spec.concurrency.max(1);
    let workers = (concurrency + concurrency.div_ceil(4)).min(plan.jobs.len().max(1));
    let ctx = Arc::new(Ctx {
        who: spec.settings.who(&spec.endpoint_host),
        threshold: (2 * spec.concurrency).max(16),
        shared: Shared {
            store: store.clone(),
            pool,
            settings: spec.settings.clone(),
            prompts,
            progress: Arc::clone(&progress),
        },
        spec,
        trees,
        jobs: Mutex::new(plan.jobs),
        cancel: cancel.clone(),
        drain: AtomicBool::new(false),
        consecutive_failures: AtomicUsize::new(0),
    });
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        tasks.spawn(worker(Arc::clone(&ctx)));
    }
    join_workers(tasks, &ctx.cancel).await?;
    let left = ctx
        .jobs
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .len();
    let stop = stop_reason(
        &cancel,
        left > 0 || progress.snapshot().abandoned > 0,
        &ctx.drain,
        &ctx.consecutive_failures,
    );
    let (report, tally) = {
        let ctx = Arc::clone(&ctx);
        tokio::task::spawn_blocking(move || {
            let s = &ctx.spec;
            let store = &ctx.shared.store;
            match s.settings.kind {
                EvalKind::Gae => gae_report(store, &s.run_id, &s.settings, &ctx.trees)
                    .map(|(r, t)| (Report::Gae(r), t)),
                EvalKind::Iae => iae_report(store, &s.run_id, &s.settings, &ctx.trees)
                    .map(|(r, t)| (Report::Iae(r), t)),
            }
        })
        .await
        .map_err(|e| RunError::Task(e.to_string()))??
    };
    Ok(RunOutcome {
        report,
        tally,
        progress: progress.snapshot(),
        reopened: plan.reopened,
        stop,
        last_error: progress.last_error(),
    })
}
