//! The CR dialogue's commands: its session (created with its first events), its model turns
//! (asked on a runtime of their own, streamed back into the app's channel, cancellable), its
//! ratings (each with the stored `seq` of the turn it is about), and resuming a stored dialogue
//! (its case and protocol files checked against the hashes it recorded).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Sender;

use super::Effects;
use crate::driver::{Answer, Reply, Request, TurnRequest};
use crate::engine::cr::Speaker;
use crate::script::cr::{BUNDLED_PROTOCOL, CrCase, CrProtocol, bundled_protocol, load_protocol};
use crate::session::{EventBody, NewSession, Rating};
use crate::tui::app::{AgentEvent, Msg, OpenFailure, PortError};
use crate::tui::cr::{CrAgents, CrFiles, CrScreen, CrSetup, RoleKind, Roles};
use crate::tui::i18n::Lang;

/// What the CR dialogue on screen holds on the commands' side.
#[derive(Default)]
pub(in crate::tui::app) struct CrEffects {
    /// The app's event channel.
    pub events: Option<Sender<Msg>>,
    /// The model agents of the dialogue on screen.
    pub agents: Option<CrAgents>,
    /// Case and protocol files named on the command line for a resume.
    pub files: CrFiles,
    /// A dialogue on screen whose session is not created yet (it is, with its first events).
    pub pending: Option<Box<NewSession>>,
    /// The stored session's id.
    pub session: Option<String>,
    /// Where model turns are asked (made when the first one is).
    runtime: Option<tokio::runtime::Runtime>,
    /// The model turn being asked: its ticket and how to stop it.
    task: Option<(u64, tokio::task::AbortHandle)>,
}

impl std::fmt::Debug for CrEffects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrEffects")
            .field("session", &self.session)
            .field("asking", &self.task.as_ref().map(|t| t.0))
            .finish_non_exhaustive()
    }
}

impl CrEffects {
    /// Let go of the dialogue: its session, agents and any model turn being asked.
    pub fn close(&mut self) {
        if let Some((_, task)) = self.task.take() {
            task.abort();
        }
        self.pending = None;
        self.session = None;
    }

    fn send(&self, ticket: u64, event: AgentEvent) {
        if let Some(tx) = &self.events {
            // The app may be gone (quitting); nobody waits then.
            let _ = tx.send(Msg::Agent { ticket, event });
        }
    }

    fn fail(&self, ticket: u64, error: String) {
        self.send(
            ticket,
            AgentEvent::Reply(Box::new(Reply::human(Answer::Failed(error), 0))),
        );
    }

    /// Ask the model playing `speaker`: its text streams back as [`AgentEvent::Chunk`]s, then
    /// its reply (in that order), tagged with `ticket`.
    pub fn ask(&mut self, ticket: u64, speaker: Speaker, mut request: TurnRequest) {
        let Some(model) = self.agents.as_ref().and_then(|a| a.model(speaker)) else {
            self.fail(ticket, format!("no model plays the {}", speaker.name()));
            return;
        };
        let agent = Arc::clone(&model.agent);
        let Some(events) = self.events.clone() else {
            return;
        };
        if self.runtime.is_none() {
            match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("cr model")
                .enable_all()
                .build()
            {
                Ok(rt) => self.runtime = Some(rt),
                Err(e) => {
                    self.fail(ticket, format!("cannot start the async runtime: {e}"));
                    return;
                }
            }
        }
        let Some(rt) = self.runtime.as_ref() else {
            return;
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        request.stream = Some(tx);
        let chunk = move |events: &Sender<Msg>, text: String| {
            let _ = events.send(Msg::Agent {
                ticket,
                event: AgentEvent::Chunk(text),
            });
        };
        let handle = rt.spawn(async move {
            let reply = {
                let answer = agent.respond(Request::Say(request));
                tokio::pin!(answer);
                loop {
                    tokio::select! {
                        reply = &mut answer => break reply,
                        Some(text) = rx.recv() => chunk(&events, text),
                    }
                }
            };
            while let Ok(text) = rx.try_recv() {
                chunk(&events, text);
            }
            let _ = events.send(Msg::Agent {
                ticket,
                event: AgentEvent::Reply(Box::new(reply)),
            });
        });
        if let Some((_, old)) = self.task.replace((ticket, handle.abort_handle())) {
            old.abort();
        }
    }

    /// Stop asking for the turn of `ticket`.
    pub fn cancel(&mut self, ticket: u64) {
        if self.task.as_ref().is_some_and(|t| t.0 == ticket)
            && let Some((_, task)) = self.task.take()
        {
            task.abort();
        }
    }
}

/// A file's text and its content hash.
fn read(path: &Path) -> Result<(String, String), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let hash = crate::script::content_hash(&bytes);
    String::from_utf8(bytes)
        .map(|t| (t, hash))
        .map_err(|_| format!("{}: not UTF-8 text", path.display()))
}

/// A string field of the session's `meta` (`a.b`).
fn meta_str<'m>(meta: &'m serde_json::Value, a: &str, b: &str) -> Option<&'m str> {
    meta.get(a)?.get(b)?.as_str()
}

/// The dialogue's case: the file named (or recorded), with the content hash recorded.
fn case_of(path: Option<PathBuf>, hash: &str, id: &str) -> Result<CrCase, String> {
    let Some(path) = path else {
        return Err(format!(
            "the session does not record where case `{id}` is; give it with --case FILE"
        ));
    };
    let (_, got) = read(&path)?;
    if got != hash {
        return Err(format!(
            "{} is not the version of case `{id}` this dialogue was played with (it changed \
             since); give that version with --case FILE",
            path.display()
        ));
    }
    let loaded = crate::script::load_file(&path);
    match loaded.cr_case() {
        Some(c) if !loaded.has_errors() => Ok(c.clone()),
        _ => Err(format!("{}: not a valid cr_case", path.display())),
    }
}

/// The dialogue's protocol: bundled (by its hash), or the file named (or recorded).
fn protocol_of(path: Option<PathBuf>, hash: &str) -> Result<CrProtocol, String> {
    if crate::script::content_hash(BUNDLED_PROTOCOL.as_bytes()) == hash {
        return bundled_protocol().cloned().map_err(|e| e.to_string());
    }
    let Some(path) = path else {
        return Err(
            "the dialogue's protocol is not the bundled one and its file is not \
                    recorded; give it with --protocol FILE"
                .to_owned(),
        );
    };
    let (_, got) = read(&path)?;
    if got != hash {
        return Err(format!(
            "{} is not the version of the protocol this dialogue was played with; give that \
             version with --protocol FILE",
            path.display()
        ));
    }
    load_protocol(&path).map_err(|e| e.to_string())
}

impl Effects {
    /// Reopen a stored CR dialogue: its files, its roles (a model role needs its agent), its
    /// turns replayed; `resumed` is recorded first.
    pub(in crate::tui::app) fn resume_cr(
        &mut self,
        id: &str,
        lang: Lang,
    ) -> Result<Box<CrScreen>, OpenFailure> {
        let agents = self.cr.agents.take();
        let files = std::mem::take(&mut self.cr.files);
        self.close_session();
        let stored = self.port.resume_cr(id)?;
        let meta = &stored.session.meta;
        let case_path = files
            .case
            .or_else(|| meta_str(meta, "case", "path").map(PathBuf::from));
        let case = case_of(
            case_path,
            &stored.session.script.hash,
            &stored.session.script.id,
        )
        .map_err(OpenFailure::Cr)?;
        let protocol_hash = meta_str(meta, "protocol", "hash").unwrap_or_default();
        let protocol_path = files
            .protocol
            .or_else(|| meta_str(meta, "protocol", "path").map(PathBuf::from));
        let protocol = protocol_of(protocol_path, protocol_hash).map_err(OpenFailure::Cr)?;
        let role = |speaker: Speaker, key: &str| -> Result<RoleKind, OpenFailure> {
            match meta_str(meta, "pairing", key) {
                Some("human") => Ok(RoleKind::Human),
                _ => match agents.as_ref().and_then(|a| a.model(speaker)) {
                    Some(m) => Ok(RoleKind::Model(m.name.clone())),
                    None => Err(OpenFailure::Cr(
                        lang.cr()
                            .model_unavailable
                            .replace("ID", &stored.session.id.to_string()),
                    )),
                },
            }
        };
        let roles = Roles {
            therapist: role(Speaker::Therapist, "therapist")?,
            client: role(Speaker::Client, "client")?,
        };
        let mut recorder = stored.recorder;
        recorder
            .record(vec![crate::driver::records::resumed()])
            .map_err(|e| OpenFailure::Store(e.into()))?;
        let setup = CrSetup {
            protocol: Arc::new(protocol),
            case: Arc::new(case),
            roles,
            lang,
        };
        let screen =
            CrScreen::resume(setup, &stored.events).map_err(|e| OpenFailure::Cr(e.to_string()))?;
        self.recorder = Some(recorder);
        self.cr.session = Some(stored.session.id.to_string());
        self.cr.agents = agents;
        Ok(Box::new(screen))
    }

    /// Store ratings about CR turn `index` (or the dialogue), each with the turn's `seq`.
    pub(in crate::tui::app) fn rate(
        &mut self,
        index: Option<u32>,
        ratings: Vec<(String, f64)>,
    ) -> Result<(), PortError> {
        let Some(session) = self.cr.session.clone() else {
            return Err(PortError::NoStore);
        };
        let about_seq = match index {
            Some(i) => Some(
                self.port
                    .cr_turn_seq(&session, i)?
                    .ok_or_else(|| PortError::NoSession(format!("{session}: turn {i}")))?,
            ),
            None => None,
        };
        let events = ratings
            .into_iter()
            .map(|(name, value)| {
                EventBody::Rating(Rating {
                    name,
                    value,
                    about_seq,
                    comment: None,
                    task: None,
                })
            })
            .collect();
        match self.recorder.as_mut() {
            Some(r) => Ok(r.record(events)?),
            None => Err(PortError::NoStore),
        }
    }
}
