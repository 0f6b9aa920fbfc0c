//! The store behind the TUI: sessions of world-tree walks are created, written event by event
//! (each flushed before the screen moves on), listed and resumed.

use std::path::Path;

use super::app::{CrStored, Detail, PortError, ResumeInfo, SessionPort, StartRequest};
use super::play::{Mode, Step};
use super::runs::{LaunchRequest, RunData};
use super::views::home::SessionRow;
use crate::agent::llm::{LlmClient, LlmConfig, Pool};
use crate::driver::{Recorder, StoreRecorder};
use crate::eval::background::BackgroundRun;
use crate::eval::runs::{RunInfo, episodes, list_runs};
use crate::eval::settings::{RequestedSettings, endpoint_host, generate_run_id};
use crate::eval::summary::stored_report;
use crate::eval::{Prompts, RunSpec};
use crate::session::{EventBody, NewSession, ScriptRef, SessionId, SessionKind, Status, Who};
use crate::store::{Filter, Store};

/// How many finished sessions the home screen lists.
const RECENT: usize = 30;

/// A [`SessionPort`] on a sled store.
#[derive(Debug, Clone)]
pub struct StorePort {
    store: Store,
}

impl StorePort {
    /// Open (or create) the store.
    ///
    /// # Errors
    /// The store is locked by another process, damaged, or not a store — with a message
    /// naming the directory.
    pub fn open(dir: &Path) -> Result<Self, String> {
        Store::open(dir)
            .map(|store| Self { store })
            .map_err(|e| e.to_string())
    }

    /// A session's header (`id` or a unique prefix of it).
    ///
    /// # Errors
    /// No such session, or the store could not be read.
    pub fn session(&self, id: &str) -> Result<crate::session::Session, PortError> {
        Ok(self.store.resolve(id)?)
    }

    /// The port on an already open store.
    #[must_use]
    pub const fn new(store: Store) -> Self {
        Self { store }
    }
}

/// Session kind for a play mode.
#[must_use]
pub const fn kind_of(mode: Mode) -> SessionKind {
    match mode {
        Mode::Gae => SessionKind::WorldTreeGae,
        Mode::Iae => SessionKind::WorldTreeIae,
        Mode::Both => SessionKind::WorldTreeBoth,
    }
}

/// Whether the home screen lists sessions of this kind (walks and CR dialogues).
fn listed(kind: &SessionKind) -> bool {
    mode_of(kind).is_some() || *kind == SessionKind::CrDialogue
}

/// The mode a session row shows: `gae`, `iae`, `both`, or `cr`.
fn row_mode(kind: &SessionKind) -> &'static str {
    match kind {
        SessionKind::CrDialogue => "cr",
        k => mode_of(k).map_or("?", Mode::name),
    }
}

fn mode_of(kind: &SessionKind) -> Option<Mode> {
    match kind {
        SessionKind::WorldTreeGae => Some(Mode::Gae),
        SessionKind::WorldTreeIae => Some(Mode::Iae),
        SessionKind::WorldTreeBoth => Some(Mode::Both),
        _ => None,
    }
}

impl SessionPort for StorePort {
    fn start(&mut self, req: &StartRequest<'_>) -> Result<Box<dyn Recorder>, PortError> {
        let mut new = NewSession::new(
            kind_of(req.mode),
            ScriptRef {
                id: req.tree.id.clone(),
                hash: req.entry.hash.clone(),
            },
            Who::annotator(req.annotator),
            req.seed,
        );
        let mut meta = serde_json::json!({
            "mode": req.mode.name(),
            "title": req.entry.title,
            "training": req.training,
            "socius_version": env!("CARGO_PKG_VERSION"),
        });
        if let Some(m) = meta.as_object_mut() {
            m.extend(req.context.clone());
        }
        new.meta = meta;
        let session = self.store.create(new)?;
        Ok(Box::new(StoreRecorder::new(
            self.store.clone(),
            session.id,
            true,
        )))
    }

    fn in_progress(
        &self,
        script_id: &str,
        annotator: &str,
        mode: Mode,
    ) -> Result<Option<String>, PortError> {
        let mut open = self
            .store
            .resumable(Some(script_id), Some(&Who::annotator(annotator)))?;
        open.retain(|s| s.kind == kind_of(mode));
        Ok(open
            .into_iter()
            .max_by_key(|s| s.updated)
            .map(|s| s.id.to_string()))
    }

    fn abandon(&mut self, id: &str) -> Result<(), PortError> {
        let session = self.store.resolve(id)?;
        if session.status != Status::InProgress {
            return Err(PortError::NotInProgress {
                id: session.id.to_string(),
                status: session.status.to_string(),
            });
        }
        self.store.set_status(
            session.id,
            Status::Abandoned,
            Some(crate::session::StatusReason::Abandoned),
        )?;
        Ok(())
    }

    fn rows(&self) -> Result<Vec<SessionRow>, PortError> {
        let mut sessions = self.store.list(&Filter::default())?;
        sessions.retain(|s| listed(&s.kind));
        // Only people resume; a model's unfinished episode belongs to its batch run.
        sessions
            .retain(|s| s.status != Status::InProgress || matches!(s.who, Who::Annotator { .. }));
        sessions.sort_by_key(|s| std::cmp::Reverse(s.updated));
        let (open, done): (Vec<_>, Vec<_>) = sessions
            .into_iter()
            .partition(|s| s.status == Status::InProgress);
        Ok(open
            .into_iter()
            .chain(done.into_iter().take(RECENT))
            .map(|s| SessionRow {
                id: s.id.to_string(),
                script_id: s.script.id.clone(),
                title: s
                    .meta
                    .get("title")
                    .and_then(|t| t.as_str())
                    .map_or_else(|| s.script.id.clone(), str::to_owned),
                mode: row_mode(&s.kind).to_owned(),
                who: match &s.who {
                    Who::Annotator { id } => id.clone(),
                    other => other.to_string(),
                },
                // In the user's time zone: this is when the session was last written.
                when: s
                    .updated
                    .with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                in_progress: s.status == Status::InProgress,
            })
            .collect())
    }

    fn played(&self, annotator: &str) -> Result<std::collections::HashSet<String>, PortError> {
        let mine = self.store.list(&Filter {
            who: Some(format!("annotator:{annotator}")),
            ..Filter::default()
        })?;
        Ok(mine
            .into_iter()
            .filter(|s| mode_of(&s.kind).is_some())
            .map(|s| s.script.id)
            .collect())
    }

    fn annotator_sessions(
        &self,
        annotator: &str,
    ) -> Result<Vec<crate::session::Session>, PortError> {
        let mut mine = self.store.list(&Filter {
            who: Some(format!("annotator:{annotator}")),
            ..Filter::default()
        })?;
        mine.retain(|s| mode_of(&s.kind).is_some());
        Ok(mine)
    }

    fn detail(&self, id: &str) -> Result<Detail, PortError> {
        let session = self.store.resolve(id)?;
        let events = self.store.events(session.id)?;
        let title = format!(
            "{} · {} · {} · {}",
            session.script.id, session.kind, session.who, session.status
        );
        let mut entries = Vec::with_capacity(events.len());
        for e in &events {
            if let EventBody::LlmCall(call) = &e.body {
                // The prompt as sent: every message of the request, role first.
                let messages = call.request.get("messages").and_then(|m| m.as_array());
                let prompt: Vec<String> = messages
                    .into_iter()
                    .flatten()
                    .map(|m| {
                        format!(
                            "[{}] {}",
                            m.get("role").and_then(|r| r.as_str()).unwrap_or("?"),
                            m.get("content").and_then(|c| c.as_str()).unwrap_or("")
                        )
                    })
                    .collect();
                if !prompt.is_empty() {
                    entries.push((format!("#{} prompt", e.seq), prompt.join("\n")));
                }
            }
            let line = crate::session::describe(e);
            entries.push((format!("#{} {}", e.seq, line.label), line.text));
        }
        Ok(Detail {
            title,
            entries,
            scroll: 0,
        })
    }

    fn launch(&mut self, req: LaunchRequest) -> Result<BackgroundRun, PortError> {
        let kind = req.kind;
        let settings = RequestedSettings {
            protocol: Some(req.protocol),
            model: req.model.clone(),
            episodes: Some(req.episodes),
            max_tokens: req.max_tokens,
            ..RequestedSettings::default()
        }
        .new_run(kind)
        .map_err(PortError::Run)?;
        let mut config = LlmConfig::new(req.endpoint.clone(), req.model);
        config.temperature = Some(settings.temperature);
        config.max_tokens = settings.max_tokens;
        // Streamed: the answer arrives as it is written (a server that answers in one piece
        // is read as such); what is recorded is the same.
        config.stream = true;
        let client =
            LlmClient::new(config).map_err(|e| PortError::Run(format!("endpoint: {e}")))?;
        let prompts = Prompts::builtin(kind).map_err(|e| PortError::Run(e.to_string()))?;
        let spec = RunSpec {
            run_id: generate_run_id().into(),
            settings,
            endpoint_host: endpoint_host(&req.endpoint),
            concurrency: req.concurrency,
            resume: false,
        };
        let pool = Pool::new(client, req.concurrency);
        let run = BackgroundRun::start(self.store.clone(), pool, prompts, spec, req.trees)
            .map_err(PortError::Run)?;
        tracing::info!(
            run = %run.run_id,
            endpoint = %endpoint_host(&req.endpoint),
            "model run started from the TUI"
        );
        Ok(run)
    }

    fn runs(&self) -> Result<Vec<RunInfo>, PortError> {
        list_runs(&self.store).map_err(PortError::Run)
    }

    fn baseline(&self) -> Result<crate::report::baseline::Baseline, PortError> {
        let sessions = crate::report::baseline::load(&self.store)?;
        Ok(crate::report::baseline::baseline(&sessions, None))
    }

    fn run_data(&self, run_id: &str) -> Result<RunData, PortError> {
        let report = stored_report(&self.store, run_id).map_err(PortError::Run)?;
        let episodes = episodes(&self.store, run_id).map_err(PortError::Run)?;
        Ok(match report {
            Some((report, tally, settings)) => RunData {
                settings: Some(settings),
                report: Some((report, tally)),
                episodes,
            },
            None => RunData {
                episodes,
                ..RunData::default()
            },
        })
    }

    fn start_cr(&mut self, new: NewSession) -> Result<(Box<dyn Recorder>, String), PortError> {
        let session = self.store.create(new)?;
        Ok((
            Box::new(StoreRecorder::new(self.store.clone(), session.id, true)),
            session.id.to_string(),
        ))
    }

    fn resume_cr(&mut self, id: &str) -> Result<CrStored, PortError> {
        let session = self.store.resolve(id)?;
        if session.kind != SessionKind::CrDialogue {
            return Err(PortError::Run(format!(
                "session {} is a {}, not a CR dialogue",
                session.id, session.kind
            )));
        }
        if session.status != Status::InProgress {
            return Err(PortError::NotInProgress {
                id: session.id.to_string(),
                status: session.status.to_string(),
            });
        }
        let events = self.store.events(session.id)?;
        Ok(CrStored {
            recorder: Box::new(StoreRecorder::new(self.store.clone(), session.id, true)),
            session,
            events,
        })
    }

    fn cr_turn_seq(&self, id: &str, index: u32) -> Result<Option<u64>, PortError> {
        let sid: SessionId = id.parse().map_err(|_| PortError::BadId(id.to_owned()))?;
        Ok(self
            .store
            .events(sid)?
            .into_iter()
            .find_map(|e| match e.body {
                EventBody::CrTurn(t) if t.index == Some(index) => Some(e.seq),
                _ => None,
            }))
    }

    fn resume(&mut self, id: &str) -> Result<ResumeInfo, PortError> {
        let sid: SessionId = id.parse().map_err(|_| PortError::BadId(id.to_owned()))?;
        let session = self
            .store
            .session(sid)?
            .ok_or_else(|| PortError::NoSession(id.to_owned()))?;
        let mode = mode_of(&session.kind).ok_or_else(|| PortError::NotAWalk(id.to_owned()))?;
        if session.status != Status::InProgress {
            return Err(PortError::NotInProgress {
                id: id.to_owned(),
                status: session.status.to_string(),
            });
        }
        let events = self.store.events(sid)?;
        let mut steps = Vec::new();
        for e in events {
            match e.body {
                EventBody::Decision(d) => steps.push(Step::Gae {
                    node: d.node.unwrap_or_default(),
                    position: d.option_index as usize,
                }),
                EventBody::IaeAnswer(a) => {
                    let (node, choice) = a.item.parts().ok_or_else(|| PortError::BadItem {
                        id: id.to_owned(),
                        item: a.item.to_string(),
                    })?;
                    steps.push(Step::Iae {
                        node: node.to_owned(),
                        choice,
                        position: a.option_index as usize,
                    });
                }
                _ => {}
            }
        }
        Ok(ResumeInfo {
            script_id: session.script.id.clone(),
            script_hash: session.script.hash.clone(),
            mode,
            seed: session.seed,
            training: session
                .meta
                .get("training")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            steps,
            recorder: Box::new(StoreRecorder::new(self.store.clone(), sid, true)),
        })
    }
}
