//! The commands' side: everything `update` may not do itself.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use super::{Cmd, Done, LaunchError, Msg, OpenFailure, Opened, SessionPort, StartRequest};
use crate::driver::Recorder;
use crate::engine::derive_seed;
use crate::eval::{EvalKind, EvalTree};
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
        }
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
            } => Done::Opened(self.start(entry, mode, &annotator, training)),
            Cmd::Resume(id) => Done::Opened(self.resume(&id)),
            Cmd::Record(events) => Done::Recorded(match self.recorder.as_mut() {
                Some(r) => r.record(events),
                // No session open: nothing can be lost, as nothing is on screen to record.
                None => Ok(()),
            }),
            Cmd::CloseSession => {
                self.recorder = None;
                return None;
            }
            Cmd::SaveConfig(config) => match &self.config_dir {
                Some(dir) => Done::ConfigSaved(config.save(dir)),
                None => return None,
            },
            Cmd::LoadRuns { open } => Done::Runs {
                open,
                rows: self.port.runs(),
            },
            Cmd::LoadRunData { run_id, open } => Done::RunData {
                data: self.port.run_data(&run_id),
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

    fn start(
        &mut self,
        idx: usize,
        mode: crate::tui::play::Mode,
        annotator: &str,
        training: bool,
    ) -> Result<Box<Opened>, OpenFailure> {
        let library = Arc::clone(&self.library);
        let Some(entry) = library.entries.get(idx) else {
            return Err(OpenFailure::NotInLibrary(format!("#{idx}")));
        };
        let tree = entry.tree()?;
        let seed = derive_seed(self.base_seed, &format!("{annotator}\u{1f}{}", tree.id));
        let req = StartRequest {
            entry,
            tree: &tree,
            mode,
            annotator,
            seed,
            training,
        };
        let recorder = self.port.start(&req)?;
        self.recorder = Some(recorder);
        let mut play = Play::new(tree, mode, seed);
        play.training = training;
        Ok(Box::new(Opened {
            play,
            title: entry.title.clone(),
            resumed: false,
        }))
    }

    fn resume(&mut self, id: &str) -> Result<Box<Opened>, OpenFailure> {
        let info = self.port.resume(id)?;
        let library = Arc::clone(&self.library);
        let entry = library
            .find(&info.script_id, &info.script_hash)
            .ok_or_else(|| OpenFailure::NotInLibrary(info.script_id.clone()))?;
        let tree = entry.tree()?;
        let mut recorder = info.recorder;
        let mut play = Play::resume(tree, info.mode, info.seed, &info.steps, recorder.as_mut())?;
        play.training = info.training;
        self.recorder = Some(recorder);
        Ok(Box::new(Opened {
            play,
            title: entry.title.clone(),
            resumed: true,
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
