//! Batch CR dialogues: every case `runs` times between a model therapist and a model client,
//! each dialogue a session in the store, run concurrently, stoppable and resumable like `socius
//! eval` (see [`super::runner`] for the shared rules).
//!
//! - A dialogue's slot is `(case id, run index)` (`meta.case`, `meta.run_index`); its seed is
//!   `derive_seed(seed, "cr/<case id>/<run index>")`.
//! - Events are appended without waiting for the disk and the dialogue's end is flushed: a crash
//!   loses at most the dialogues that were running, which stay `in_progress` and run again on
//!   resume (the earlier session is marked abandoned).
//! - A safety stop ends a batch dialogue (`finished_by: safety`): nobody is there to resume it.
//! - The summary is read back from the store, so a resumed run reports the whole run.

use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde_json::{Value, json};

use super::progress::{Progress, Snapshot};
use super::runner::{Cancel, RunError, StopReason};
use crate::driver::cr::{CrDriver, OnSafety, SharedScreen, run as run_dialogue};
use crate::driver::{Agent, DriverError, Recorder, StoreRecorder};
use crate::engine::cr::CrPolicy;
use crate::engine::derive_seed;
use crate::script::cr::model::CrCase;
use crate::session::{
    EventBody, NewSession, RunId, ScriptRef, Session, SessionId, SessionKind, Status, StatusReason,
    Who,
};
use crate::store::{Filter, Store, StoreError};

/// A case to run: the case, the sha256 of its file, and where it came from.
#[derive(Debug, Clone)]
pub struct CaseFile {
    pub case: Arc<CrCase>,
    pub hash: String,
    pub source: PathBuf,
}

/// The cases under `paths` (files or folders): every `cr_case` that loads without errors, with
/// a warning for each file that has errors; other kinds of script are passed over. Two cases
/// with one id: the second is left out with a warning.
///
/// # Errors
/// A path that cannot be walked.
pub fn load_cases(paths: &[PathBuf]) -> Result<(Vec<CaseFile>, Vec<String>), String> {
    use crate::script::Script;
    let walk = crate::script::load::collect_paths(paths)?;
    let mut cases: Vec<CaseFile> = Vec::new();
    let mut warnings = Vec::new();
    for loaded in crate::script::load::load_files(&walk.files) {
        let errors = loaded.diagnostics.iter().any(|d| d.is_error());
        match loaded.script {
            Some(Script::CrCase(case)) if !errors => {
                if cases.iter().any(|c| c.case.id == case.id) {
                    warnings.push(format!(
                        "{}: a second case with id `{}`; left out",
                        loaded.path.display(),
                        case.id
                    ));
                    continue;
                }
                cases.push(CaseFile {
                    case: Arc::new(*case),
                    hash: loaded.hash,
                    source: loaded.path,
                });
            }
            Some(Script::CrCase(_)) => warnings.push(format!(
                "{}: has errors (run `socius check` on it); left out",
                loaded.path.display()
            )),
            _ => {}
        }
    }
    Ok((cases, warnings))
}

/// The two agents of one dialogue.
pub struct Pair {
    pub therapist: Arc<dyn Agent>,
    pub client: Arc<dyn Agent>,
}

impl std::fmt::Debug for Pair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pair")
    }
}

/// Makes the agents of a dialogue for a case (models keep no state between dialogues, but a
/// client plays one case).
pub type Agents = Arc<dyn Fn(&CaseFile) -> Pair + Send + Sync>;

/// What a CR run is.
#[derive(Debug, Clone)]
pub struct CrRunSpec {
    pub run_id: RunId,
    /// Dialogues per case.
    pub runs: u32,
    /// Dialogues in flight at most.
    pub concurrency: usize,
    pub seed: u64,
    pub resume: bool,
    /// The stage machine's policy (the protocol's, `max_turns` possibly overridden).
    pub policy: CrPolicy,
    /// Who the sessions name (the therapist model).
    pub who: Who,
    /// Kept in every session's `meta.run` (pairing, models, endpoints' hosts, protocol).
    pub settings: Value,
    /// A safety classifier asked about every turn the lexicon lets pass.
    pub classifier: Option<crate::agent::llm::safety::Classifier>,
}

/// One dialogue as `--json` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DialogueSummary {
    pub session: String,
    pub case: String,
    pub turns: usize,
    pub stages: Vec<String>,
    pub channels: Vec<ChannelState>,
    pub escalations: usize,
    /// `verdicts`, `no_distortion`, `cap`, `safety`, `clinician`, `error`; `null` while running
    /// or abandoned.
    pub finished_by: Option<String>,
}

/// A channel's last state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelState {
    pub distortion: String,
    pub status: String,
}

/// What a CR run did.
#[derive(Debug, Clone)]
pub struct CrRunOutcome {
    /// The dialogues of the run over the given cases (finished and failed), oldest first.
    pub dialogues: Vec<DialogueSummary>,
    pub progress: Snapshot,
    pub reopened: usize,
    pub stop: Option<StopReason>,
    /// The error the last failed dialogue ended with.
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Job {
    case: usize,
    run: u32,
}

struct Ctx {
    store: Store,
    spec: CrRunSpec,
    cases: Vec<CaseFile>,
    agents: Agents,
    screen: SharedScreen,
    jobs: Mutex<VecDeque<Job>>,
    cancel: Cancel,
    progress: Arc<Progress>,
    drain: AtomicBool,
    consecutive_failures: AtomicUsize,
    threshold: usize,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, RunError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RunError::Task(e.to_string()))?
        .map_err(RunError::from)
}

fn slot(s: &Session) -> Option<(String, u32)> {
    let case = s.meta.get("case")?.as_str()?.to_owned();
    let run = u32::try_from(s.meta.get("run_index")?.as_u64()?).ok()?;
    Some((case, run))
}

/// The jobs left: every (case, run) without a finished session; sessions left `in_progress`
/// are marked abandoned.
fn plan(
    store: &Store,
    spec: &CrRunSpec,
    cases: &[CaseFile],
) -> Result<(VecDeque<Job>, usize, usize), RunError> {
    let run = &spec.run_id;
    let existing = super::plan::run_sessions(store, run, spec.resume)?;
    let mut done = HashSet::new();
    let mut reopened = 0;
    for s in &existing {
        if s.kind != SessionKind::CrDialogue {
            return Err(RunError::Plan(format!(
                "run {run} is not a CR run (its sessions are {})",
                s.kind.as_str()
            )));
        }
        match s.status {
            Status::Finished => {
                if let Some(slot) = slot(s) {
                    if let Some(c) = cases.iter().find(|c| c.case.id == slot.0)
                        && c.hash != s.script.hash
                    {
                        return Err(RunError::Plan(format!(
                            "case {} changed since run {run} played it ({}); resume needs the \
                             same case files",
                            slot.0,
                            c.source.display()
                        )));
                    }
                    done.insert(slot);
                }
            }
            Status::InProgress => {
                store.set_status(s.id, Status::Abandoned, Some(StatusReason::Reopened))?;
                reopened += 1;
            }
            _ => {}
        }
    }
    let mut jobs = VecDeque::new();
    let mut skipped = 0;
    for (i, c) in cases.iter().enumerate() {
        for r in 0..spec.runs {
            if done.contains(&(c.case.id.clone(), r)) {
                skipped += 1;
            } else {
                jobs.push_back(Job { case: i, run: r });
            }
        }
    }
    Ok((jobs, skipped, reopened))
}

fn new_session(ctx: &Ctx, job: Job) -> NewSession {
    let c = &ctx.cases[job.case];
    let seed = derive_seed(ctx.spec.seed, &format!("cr/{}/{}", c.case.id, job.run));
    NewSession {
        kind: SessionKind::CrDialogue,
        script: ScriptRef {
            id: c.case.id.clone(),
            hash: c.hash.clone(),
        },
        who: ctx.spec.who.clone(),
        seed,
        run_id: Some(ctx.spec.run_id.clone()),
        meta: json!({
            "case": c.case.id,
            "run_index": job.run,
            "language": c.case.language.code(),
            "socius_version": env!("CARGO_PKG_VERSION"),
            "run": ctx.spec.settings,
        }),
    }
}

async fn run_job(ctx: &Ctx, job: Job) -> Result<(), RunError> {
    let store = ctx.store.clone();
    let new = new_session(ctx, job);
    let session = blocking(move || {
        let s = store.create(new)?;
        store.flush()?;
        Ok(s)
    })
    .await?;
    let pair = (ctx.agents)(&ctx.cases[job.case]);
    let mut driver = CrDriver::new(ctx.spec.policy.clone(), Arc::clone(&ctx.screen))
        .map_err(|e| RunError::Plan(e.to_string()))?;
    let mut recorder = Counting {
        inner: StoreRecorder::new(ctx.store.clone(), session.id, false),
        progress: Arc::clone(&ctx.progress),
    };
    let end = tokio::select! {
        biased;
        () = ctx.cancel.cancelled() => None,
        end = run_dialogue(
            &mut driver,
            pair.therapist.as_ref(),
            pair.client.as_ref(),
            ctx.spec.classifier.as_ref(),
            &mut recorder,
            OnSafety::Finish,
        ) => Some(end),
    };
    let store = ctx.store.clone();
    let id = session.id;
    let end = match end {
        None => {
            blocking(move || {
                store.set_status(id, Status::Abandoned, Some(StatusReason::Interrupted))?;
                store.flush()
            })
            .await?;
            ctx.progress.abandoned();
            return Ok(());
        }
        Some(Err(DriverError::Store(e))) => return Err(RunError::Store(e)),
        Some(Err(e)) => return Err(RunError::Task(e.to_string())),
        Some(Ok(end)) => end,
    };
    blocking(move || store.flush()).await?;
    if end.reason == crate::engine::cr::FinishReason::Error {
        ctx.progress
            .failed(end.detail.as_deref().unwrap_or("an agent failed"));
        let n = ctx.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= ctx.threshold {
            ctx.drain.store(true, Ordering::Relaxed);
        }
    } else {
        ctx.progress.finished();
        ctx.consecutive_failures.store(0, Ordering::Relaxed);
    }
    Ok(())
}

/// A recorder that counts the model calls going through it for the progress line (every
/// `llm_call` event is one call; a failed one counts as an error).
struct Counting {
    inner: StoreRecorder,
    progress: Arc<Progress>,
}

impl Recorder for Counting {
    fn record(&mut self, events: Vec<EventBody>) -> Result<(), StoreError> {
        for e in &events {
            if let EventBody::LlmCall(call) = e {
                self.progress.call(call.error.is_none());
                if call.finish_reason.as_deref() == Some("length") {
                    self.progress.cut_at_limit();
                }
            }
        }
        self.inner.record(events)
    }
}

async fn worker(ctx: Arc<Ctx>) -> Result<(), RunError> {
    loop {
        if ctx.cancel.is_cancelled() || ctx.drain.load(Ordering::Relaxed) {
            return Ok(());
        }
        let job = ctx
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front();
        let Some(job) = job else {
            return Ok(());
        };
        if let Err(e) = run_job(&ctx, job).await {
            ctx.cancel.cancel();
            return Err(e);
        }
    }
}

/// A dialogue's summary from its stored events.
#[must_use]
pub fn summarize(session: SessionId, case: &str, events: &[EventBody]) -> DialogueSummary {
    let mut out = DialogueSummary {
        session: session.to_string(),
        case: case.to_owned(),
        turns: 0,
        stages: Vec::new(),
        channels: Vec::new(),
        escalations: 0,
        finished_by: None,
    };
    for e in events {
        match e {
            EventBody::CrTurn(_) => out.turns += 1,
            EventBody::CrStage(s) => out.stages.push(s.stage.to_string()),
            EventBody::CrChannel(c) => {
                let status = match c.action.as_str() {
                    "opened" => "open",
                    "closed" => "closed",
                    "dropped" => "dropped",
                    "not_opened" => "not_opened",
                    _ => continue,
                };
                match out
                    .channels
                    .iter_mut()
                    .find(|x| x.distortion == c.distortion)
                {
                    Some(x) => status.clone_into(&mut x.status),
                    None => out.channels.push(ChannelState {
                        distortion: c.distortion.clone(),
                        status: status.to_owned(),
                    }),
                }
            }
            EventBody::Escalation(_) => out.escalations += 1,
            EventBody::CrEnd(x) => out.finished_by = Some(x.finished_by.clone()),
            _ => {}
        }
    }
    out
}

/// The finished and failed dialogues of a run over `cases`, oldest first.
///
/// # Errors
/// The store could not read.
pub fn dialogues(
    store: &Store,
    run: &RunId,
    cases: &[CaseFile],
) -> Result<Vec<DialogueSummary>, StoreError> {
    let ids: HashSet<&str> = cases.iter().map(|c| c.case.id.as_str()).collect();
    let mut out = Vec::new();
    for s in store.list(&Filter {
        run_id: Some(run.as_str().into()),
        ..Filter::default()
    })? {
        if !matches!(s.status, Status::Finished | Status::Failed) {
            continue;
        }
        let Some((case, _)) = slot(&s) else { continue };
        if !ids.contains(case.as_str()) {
            continue;
        }
        let events: Vec<EventBody> = store.events(s.id)?.into_iter().map(|e| e.body).collect();
        out.push(summarize(s.id, &case, &events));
    }
    Ok(out)
}

/// Run (or resume) a CR batch. Needs a tokio runtime.
///
/// # Errors
/// [`RunError::Plan`] for a taken or unknown run id, a case changed since, or a policy the
/// machine cannot run; [`RunError::Store`] when the store fails (the run stops).
pub async fn run(
    store: Store,
    spec: CrRunSpec,
    cases: Vec<CaseFile>,
    agents: Agents,
    screen: SharedScreen,
    cancel: Cancel,
    progress: Arc<Progress>,
) -> Result<CrRunOutcome, RunError> {
    spec.policy
        .check()
        .map_err(|e| RunError::Plan(format!("the protocol cannot run: {e}")))?;
    let (spec, cases, (jobs, skipped, reopened)) = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || plan(&store, &spec, &cases).map(|p| (spec, cases, p)))
            .await
            .map_err(|e| RunError::Task(e.to_string()))??
    };
    progress.plan(jobs.len(), skipped);
    let workers = spec.concurrency.max(1).min(jobs.len().max(1));
    let ctx = Arc::new(Ctx {
        store: store.clone(),
        threshold: (2 * spec.concurrency).max(16),
        spec,
        cases,
        agents,
        screen,
        jobs: Mutex::new(jobs),
        cancel: cancel.clone(),
        progress: Arc::clone(&progress),
        drain: AtomicBool::new(false),
        consecutive_failures: AtomicUsize::new(0),
    });
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        tasks.spawn(worker(Arc::clone(&ctx)));
    }
    super::runner::join_workers(tasks, &ctx.cancel).await?;
    let left = ctx
        .jobs
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .len();
    let stop = super::runner::stop_reason(
        &cancel,
        left > 0 || progress.snapshot().abandoned > 0,
        &ctx.drain,
        &ctx.consecutive_failures,
    );
    let dialogues = {
        let ctx = Arc::clone(&ctx);
        blocking(move || dialogues(&ctx.store, &ctx.spec.run_id, &ctx.cases)).await?
    };
    Ok(CrRunOutcome {
        dialogues,
        progress: progress.snapshot(),
        reopened,
        stop,
        last_error: progress.last_error(),
    })
}
