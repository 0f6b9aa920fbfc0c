//! The commands' side: everything `update` may not do itself.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

mod cr;

use super::{
    Cmd, Done, LaunchError, Msg, OpenFailure, Opened, PortError, SessionPort, StartRequest,
};
use crate::driver::Recorder;
use crate::engine::derive_seed;
use crate::eval::{EvalKind, EvalTree};
use crate::session::NewSession;
use crate::tui::cr::{CrAgents, CrFiles};
use crate::tui::library::Library;
use crate::tui::play::Play;
use crate::tui::runs::{FormValues, LaunchRequest};

/// Runs [`Cmd`]s against the store, the files and the settings, and holds what they open: the
/// recorder of the session on the play screen.
pub struct Effects {
    port: Box<dyn SessionPort>,
    library: Arc<Library>,
    config_dir: Option<PathBuf>,
    base_seed: u64,
    /// The open session's recorder (while the play screen shows one).
    recorder: Option<Box<dyn Recorder>>,
    /// A session opened but not stored yet: it is created with its first presented question,
    /// so opening a tree and leaving leaves nothing behind.
    pending: Option<PendingStart>,
    /// The CR side: the dialogue's session, its model agents, the model turn being asked.
    pub(super) cr: cr::CrEffects,
}

/// What creating the session needs, kept until its first events.
#[derive(Debug)]
struct PendingStart {
    entry: usize,
    mode: crate::tui::play::Mode,
    annotator: String,
    seed: u64,
    training: bool,
    context: serde_json::Map<String, serde_json::Value>,
}

impl std::fmt::Debug for Effects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Effects")
            .field("session_open", &self.recorder.is_some())
            .finish_non_exhaustive()
    }
}

impl Effects {
    #[must_use]
    pub fn new(
        port: Box<dyn SessionPort>,
        library: Arc<Library>,
        config_dir: Option<PathBuf>,
        base_seed: u64,
    ) -> Self {
        Self {
            port,
            library,
            config_dir,
            base_seed,
            recorder: None,
            pending: None,
            cr: cr::CrEffects::default(),
        }
    }

    /// The app's event channel (model turns stream into it).
    pub fn set_events(&mut self, events: std::sync::mpsc::Sender<Msg>) {
        self.cr.events = Some(events);
    }

    /// A new CR dialogue is on screen: its session is created with its first events.
    pub fn open_cr(&mut self, agents: CrAgents, session: NewSession) {
        self.close_session();
        self.cr.agents = Some(agents);
        self.cr.pending = Some(Box::new(session));
    }

    /// The agents (and moved files) of the CR dialogue about to be resumed.
    pub fn prepare_cr(&mut self, agents: Option<CrAgents>, files: CrFiles) {
        self.cr.agents = agents;
        self.cr.files = files;
    }

    /// Let go of the open session, whatever its kind.
    fn close_session(&mut self) {
        self.recorder = None;
        self.pending = None;
        self.cr.close();
    }

    /// Run one command; its answer, if it has one.
    pub fn run(&mut self, cmd: Cmd) -> Option<Msg> {
        let done = match cmd {
            Cmd::LoadSessions { annotator } => Done::Sessions(self.port.rows().and_then(|rows| {
                let played = match annotator {
                    Some(a) => self.port.played(&a)?,
                    None => HashSet::new(),
                };
                Ok((rows, played))
            })),
            Cmd::LoadDetail(id) => Done::Detail(self.port.detail(&id)),
            Cmd::Start {
                entry,
                mode,
                annotator,
                training,
                fresh,
                context,
                seed,
            } => {
                let req = PendingStart {
                    entry,
                    mode,
                    annotator,
                    seed: seed.unwrap_or(0),
                    training,
                    context,
                };
                self.start(req, fresh, seed.is_some())
            }
            Cmd::LoadQueue(spec) => Done::Queue(
                self.port
                    .annotator_sessions(&spec.assignment.annotator)
                    .map(|sessions| crate::tui::queue::rows(&spec, &sessions)),
            ),
            Cmd::Resume(id) => Done::Opened(self.resume(&id)),
            Cmd::Abandon(id) => Done::Abandoned(self.port.abandon(&id)),
            Cmd::Record(events) => Done::Recorded(self.record(events)),
            Cmd::Pause(reason) => {
                if let Some(r) = self.recorder.as_mut()
                    && let Err(e) = r.record(vec![crate::driver::records::paused(reason)])
                {
                    tracing::warn!(error = %e, "a pause was not recorded");
                }
                return None;
            }
            Cmd::CloseSession => {
                self.close_session();
                return None;
            }
            Cmd::ResumeCr { id, lang } => {
                self.cr.agents = None;
                self.cr.files = CrFiles::default();
                Done::CrOpened(self.resume_cr(&id, lang))
            }
            Cmd::AskModel {
                ticket,
                speaker,
                request,
            } => {
                self.cr.ask(ticket, speaker, request);
                return None;
            }
            Cmd::CancelModel { ticket } => {
                self.cr.cancel(ticket);
                return None;
            }
            Cmd::Rate { index, ratings } => Done::Rated(self.rate(index, ratings)),
            Cmd::SaveConfig(config) => match &self.config_dir {
                Some(dir) => Done::ConfigSaved(config.save(dir)),
                None => return None,
            },
            Cmd::LoadReport => Done::Report(self.port.baseline().map(Box::new)),
            Cmd::LoadRuns { open } => Done::Runs {
                open,
                rows: self.port.runs(),
            },
            Cmd::LoadRunData { run_id, open } => Done::RunData {
                data: self.port.run_data(&run_id).map(Box::new),
                run_id,
                open,
            },
            Cmd::Launch {
                form,
                values,
                entries,
            } => Done::Launched {
                form,
                run: self.launch(&values, &entries),
            },
            Cmd::Dispose(run) => {
                // Dropping a run joins its thread; that happens on a thread of its own.
                let spawned = std::thread::Builder::new()
                    .name("run disposal".to_owned())
                    .spawn(move || drop(run));
                if let Err(e) = spawned {
                    tracing::warn!(error = %e, "could not hand an ended run to a thread");
                }
                return None;
            }
        };
        Some(Msg::Done(Box::new(done)))
    }

    /// Open a session for play, or offer the one already in progress.
    fn start(&mut self, mut req: PendingStart, fresh: bool, seeded: bool) -> Done {
        let library = Arc::clone(&self.library);
        let Some(entry) = library.entries.get(req.entry) else {
            return Done::Opened(Err(OpenFailure::NotInLibrary(format!("#{}", req.entry))));
        };
        let tree = match entry.tree() {
            Ok(t) => t,
            Err(e) => return Done::Opened(Err(e.into())),
        };
        if !fresh {
            match self.port.in_progress(&tree.id, &req.annotator, req.mode) {
                Ok(Some(id)) => {
                    return Done::ResumeOffer {
                        id,
                        entry: req.entry,
                        mode: req.mode,
                    };
                }
                Ok(None) => {}
                Err(e) => return Done::Opened(Err(e.into())),
            }
        }
        if !seeded {
            req.seed = derive_seed(
                self.base_seed,
                &format!("{}\u{1f}{}", req.annotator, tree.id),
            );
        }
        let mut play = Play::new(tree, req.mode, req.seed);
        play.training = req.training;
        self.close_session();
        let title = entry.title.clone();
        self.pending = Some(req);
        Done::Opened(Ok(Box::new(Opened {
            play,
            title,
            resumed: false,
            not_text: entry.not_text,
        })))
    }

    /// Write a step's events, creating the session first if this is its first step.
    fn record(&mut self, events: Vec<crate::session::EventBody>) -> Result<(), PortError> {
        if self.recorder.is_none()
            && let Some(new) = self.cr.pending.take()
        {
            match self.port.start_cr((*new).clone()) {
                Ok((recorder, id)) => {
                    self.recorder = Some(recorder);
                    self.cr.session = Some(id);
                }
                Err(e) => {
                    // Kept: the next try creates it.
                    self.cr.pending = Some(new);
                    return Err(e);
                }
            }
        }
        if self.recorder.is_none()
            && let Some(p) = self.pending.take()
        {
            let library = Arc::clone(&self.library);
            let created = library
                .entries
                .get(p.entry)
                .ok_or_else(|| PortError::NoSession(format!("library entry #{}", p.entry)))
                .and_then(|entry| {
                    let tree = entry.tree().map_err(|e| PortError::Run(e.to_string()))?;
                    self.port.start(&StartRequest {
                        entry,
                        tree: &tree,
                        mode: p.mode,
                        annotator: &p.annotator,
                        seed: p.seed,
                        training: p.training,
                        context: &p.context,
                    })
                });
            match created {
                Ok(recorder) => self.recorder = Some(recorder),
                Err(e) => {
                    // Kept: the next try creates it.
                    self.pending = Some(p);
                    return Err(e);
                }
            }
        }
        match self.recorder.as_mut() {
            Some(r) => Ok(r.record(events)?),
            // No session open: nothing can be lost, as nothing is on screen to record.
            None => Ok(()),
        }
    }

    fn resume(&mut self, id: &str) -> Result<Box<Opened>, OpenFailure> {
        self.close_session();
        let info = self.port.resume(id)?;
        let library = Arc::clone(&self.library);
        let entry = library
            .find(&info.script_id, &info.script_hash)
            .ok_or_else(|| OpenFailure::NotInLibrary(info.script_id.clone()))?;
        let tree = entry.tree()?;
        let mut recorder = info.recorder;
        recorder
            .record(vec![crate::driver::records::resumed()])
            .map_err(|e| OpenFailure::Store(e.into()))?;
        let mut play = Play::resume(tree, info.mode, info.seed, &info.steps, recorder.as_mut())?;
        play.training = info.training;
        self.recorder = Some(recorder);
        Ok(Box::new(Opened {
            play,
            title: entry.title.clone(),
            resumed: true,
            not_text: entry.not_text,
        }))
    }

    fn launch(
        &mut self,
        values: &FormValues,
        entries: &[usize],
    ) -> Result<crate::eval::background::BackgroundRun, LaunchError> {
        let trees = self.trees_for(values, entries);
        if trees.is_empty() {
            return Err(LaunchError::NoTrees);
        }
        let req = LaunchRequest {
            trees,
            endpoint: values.endpoint.clone(),
            model: values.model.clone(),
            kind: values.kind,
            protocol: values.protocol,
            episodes: values.episodes,
            concurrency: values.concurrency,
            max_tokens: values.max_tokens,
        };
        Ok(self.port.launch(req)?)
    }

    /// The trees a run asks for: playable world trees the protocol walks (with IAE items for
    /// IAE), each id once.
    fn trees_for(&self, v: &FormValues, entries: &[usize]) -> Vec<EvalTree> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for &i in entries {
            let Some(entry) = self.library.entries.get(i) else {
                continue;
            };
            if !entry.playable() {
                continue;
            }
            let Ok(tree) = entry.tree() else { continue };
            if !v.protocol.walks(&tree)
                || (v.kind == EvalKind::Iae && crate::engine::iae::items(&tree).is_empty())
                || !seen.insert(tree.id.clone())
            {
                continue;
            }
            out.push(EvalTree {
                tree: Arc::clone(&tree),
                hash: entry.hash.clone(),
                source: entry.path.clone(),
            });
        }
        out
    }
}
