//! The application, in three parts.
//!
//! - [`State`] (`state.rs`) is the model: every screen's state, `update(msg) -> Vec<Cmd>` and
//!   `draw`. It does no I/O: no store, no files, no environment, no joins.
//! - [`Effects`] (`effects.rs`) runs the [`Cmd`]s `update` asks for — store calls, script
//!   parsing, settings writes, starting a model run, dropping one on its own thread — and answers
//!   each with a [`Msg::Done`].
//! - [`App`] joins the two and owns the one event channel: the terminal's keys and signals,
//!   ticks, and whatever runs in the background arrive there as [`Msg`]s (see [`super::run`]).
//!
//! A command's answer is handled before the next input, so the screen never moves on before
//! what it shows has been written: an answer is shown as taken only once the store has flushed
//! it (a failed write leaves the screen where it was).

use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;

use super::config::{Config, ConfigError};
use super::cr::{CrAgents, CrScreen};
use super::i18n::Lang;
use super::keymap::Action;
use super::library::{Library, OpenError, ScriptEntry};
use super::play::{Mode, Play, ResumeError, Step};
use super::queue::{QueueRow, QueueSpec};
use super::runs::{FormValues, LaunchRequest, RunData, RunForm};
use super::theme::Theme;
use super::views::home::SessionRow;
use crate::driver::{Recorder, Reply, TurnRequest};
use crate::engine::cr::Speaker;
use crate::eval::background::{BackgroundRun, RunState};
use crate::eval::runs::RunInfo;
use crate::script::model::WorldTree;
use crate::session::{Event, EventBody, NewSession, Session};
use crate::store::StoreError;

mod effects;
mod state;

pub use effects::Effects;
pub use state::State;

/// Everything the loop feeds the app, from the one channel.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Paste(String),
    /// Time passed (sent while a model run is going, so its progress is redrawn).
    Tick,
    /// A terminating signal (SIGTERM, SIGINT, SIGHUP, SIGQUIT) came from outside: end as a
    /// quit does, without asking (everything answered is already stored).
    Signal(i32),
    /// The terminal went away (its window closed): end as a quit does.
    InputClosed,
    /// A scripted source has nothing more (tests): the loop draws once more and returns. The
    /// number is the loop's, so an end left over from an earlier loop is ignored.
    End(u64),
    /// What a command did.
    Done(Box<Done>),
    /// A model writing a CR turn: a piece of its text, or its reply (by the request's ticket).
    Agent {
        ticket: u64,
        event: AgentEvent,
    },
}

/// What a model asked for a CR turn sends back.
#[derive(Debug)]
pub enum AgentEvent {
    Chunk(String),
    Reply(Box<Reply>),
}

/// The answer to a [`Cmd`].
#[derive(Debug)]
pub enum Done {
    /// The sessions pane's rows, and the scripts the annotator has played.
    Sessions(Result<(Vec<SessionRow>, HashSet<String>), PortError>),
    Detail(Result<Detail, PortError>),
    /// A session opened for play (started or resumed).
    Opened(Result<Box<Opened>, OpenFailure>),
    /// The events of the last step were written (and flushed), or not.
    Recorded(Result<(), PortError>),
    /// The annotator already has this tree in progress in this mode: resume it?
    ResumeOffer {
        id: String,
        entry: usize,
        mode: Mode,
    },
    ConfigSaved(Result<(), ConfigError>),
    Abandoned(Result<(), PortError>),
    /// The runs list; `open` pushes its screen.
    Runs {
        open: bool,
        rows: Result<Vec<RunInfo>, PortError>,
    },
    /// A run read back; `open` pushes its screen.
    RunData {
        run_id: String,
        open: bool,
        data: Result<Box<RunData>, PortError>,
    },
    /// A model run started from the form, or why not (the form stays open with the reason).
    Launched {
        form: Box<RunForm>,
        run: Result<BackgroundRun, LaunchError>,
    },
    /// The baseline report over the store, for its screen.
    Report(Result<Box<crate::report::baseline::Baseline>, PortError>),
    /// A CR dialogue opened for resuming (or why not).
    CrOpened(Result<Box<CrScreen>, OpenFailure>),
    /// Ratings of a CR turn were stored (or not).
    Rated(Result<(), PortError>),
    /// The study queue's rows, read from the store.
    Queue(Result<Vec<QueueRow>, PortError>),
}

/// What `update` asks the loop to do.
#[derive(Debug)]
pub enum Cmd {
    /// List the sessions for the home screen, and the scripts `annotator` has played.
    LoadSessions {
        annotator: Option<String>,
    },
    /// Read one session for the transcript screen.
    LoadDetail(String),
    /// Parse library entry `entry` and open a session on it (stored from its first presented
    /// question). Unless `fresh`, a session of the same tree, annotator and mode still in
    /// progress is offered for resuming instead.
    Start {
        entry: usize,
        mode: Mode,
        annotator: String,
        training: bool,
        fresh: bool,
        /// What the session records about the screen it was played on.
        context: serde_json::Map<String, serde_json::Value>,
        /// The option-order seed (a study item's); `None` derives it from the base seed, the
        /// annotator and the tree.
        seed: Option<u64>,
    },
    /// Read the study queue's states from the annotator's sessions.
    LoadQueue(Box<QueueSpec>),
    /// Reopen a session in progress.
    Resume(String),
    /// Compute the baseline report over the store.
    LoadReport,
    /// Mark a session in progress abandoned.
    Abandon(String),
    /// Write (and flush) the events of the step just taken in the open session.
    Record(Vec<EventBody>),
    /// The person leaves the open session (`left`, `quit`, `signal`, `terminal`): recorded if
    /// the session is stored (one never started stays unstored).
    Pause(&'static str),
    /// The play screen was left: let go of its session.
    CloseSession,
    /// Write the settings file.
    SaveConfig(Config),
    LoadRuns {
        open: bool,
    },
    LoadRunData {
        run_id: String,
        open: bool,
    },
    /// Start a model run on the library entries `entries` (by index) with the form's values.
    Launch {
        form: Box<RunForm>,
        values: FormValues,
        entries: Vec<usize>,
    },
    /// Let go of an ended model run (its thread is joined off the UI thread).
    Dispose(BackgroundRun),
    /// Continue a stored CR dialogue (its texts in `lang`).
    ResumeCr {
        id: String,
        lang: Lang,
    },
    /// Ask the model playing `speaker` for a CR turn; it answers with [`Msg::Agent`]s.
    AskModel {
        ticket: u64,
        speaker: Speaker,
        request: TurnRequest,
    },
    /// Stop the model writing the turn of `ticket`.
    CancelModel {
        ticket: u64,
    },
    /// Store rubric ratings about CR turn `index` (`None`: the dialogue), each with the turn's
    /// stored `seq`.
    Rate {
        index: Option<u32>,
        ratings: Vec<(String, f64)>,
    },
}

/// A session ready for the play screen.
#[derive(Debug)]
pub struct Opened {
    pub play: Play,
    pub title: String,
    pub resumed: bool,
    /// The tree is flagged `not_playable_as_text` (the screen warns).
    pub not_text: bool,
}

/// Why a session could not be opened for play.
#[derive(Debug, thiserror::Error)]
pub enum OpenFailure {
    #[error(transparent)]
    Script(#[from] OpenError),
    #[error(transparent)]
    Store(#[from] PortError),
    /// The session's script (by id) is not in the library, or not in that version.
    #[error("{0}")]
    NotInLibrary(String),
    #[error(transparent)]
    Resume(#[from] ResumeError),
    /// A CR dialogue could not be opened (its files, its roles, a log that does not replay).
    #[error("{0}")]
    Cr(String),
}

/// Why a model run did not start.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// None of the chosen scripts is a tree the run can walk.
    #[error("no trees")]
    NoTrees,
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Why the session store behind the TUI could not do what was asked. Shown in the status
/// bar and written to the log; never turned into an empty list.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("`{0}` is not a session id")]
    BadId(String),
    #[error("no session {0} in the store")]
    NoSession(String),
    #[error("session {0} is not a world-tree walk")]
    NotAWalk(String),
    #[error("session {id} is {status}; only sessions in progress resume")]
    NotInProgress { id: String, status: String },
    #[error("session {id}: unreadable IAE item `{item}`")]
    BadItem { id: String, item: String },
    #[error("model runs need a session store")]
    NoStore,
    /// A model run could not start or be read (the endpoint, the prompts, the run's records).
    #[error("{0}")]
    Run(String),
}

/// A request to start a session.
#[derive(Debug)]
pub struct StartRequest<'a> {
    pub entry: &'a ScriptEntry,
    pub tree: &'a WorldTree,
    pub mode: Mode,
    pub annotator: &'a str,
    pub seed: u64,
    /// Training mode: right/wrong shown after IAE answers (recorded with the session).
    pub training: bool,
    /// The screen it is played on (terminal size, interface language, theme), for the record.
    pub context: &'a serde_json::Map<String, serde_json::Value>,
}

/// A session to continue.
pub struct ResumeInfo {
    pub script_id: String,
    pub script_hash: String,
    pub mode: Mode,
    pub seed: u64,
    pub training: bool,
    pub steps: Vec<Step>,
    pub recorder: Box<dyn Recorder>,
}

impl std::fmt::Debug for ResumeInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResumeInfo")
            .field("script_id", &self.script_id)
            .field("mode", &self.mode)
            .field("steps", &self.steps.len())
            .finish_non_exhaustive()
    }
}

/// Where sessions live (the store).
pub trait SessionPort {
    /// Create a session and return its recorder.
    ///
    /// # Errors
    /// The store refused (message for the status bar).
    fn start(&mut self, req: &StartRequest<'_>) -> Result<Box<dyn Recorder>, PortError>;

    /// The most recent session of `script_id` by `annotator` in `mode` still in progress.
    ///
    /// # Errors
    /// The store could not be read.
    fn in_progress(
        &self,
        script_id: &str,
        annotator: &str,
        mode: Mode,
    ) -> Result<Option<String>, PortError> {
        let _ = (script_id, annotator, mode);
        Ok(None)
    }

    /// Mark a session in progress abandoned: kept, never resumed or scored.
    ///
    /// # Errors
    /// Unknown id, a session that is not in progress, or the store failed.
    fn abandon(&mut self, id: &str) -> Result<(), PortError> {
        Err(PortError::NoSession(id.to_owned()))
    }

    /// Sessions for the home screen: in progress first, then recent.
    ///
    /// # Errors
    /// The store could not be read.
    fn rows(&self) -> Result<Vec<SessionRow>, PortError>;

    /// Load an in-progress session to continue it.
    ///
    /// # Errors
    /// Unknown id, unreadable events.
    fn resume(&mut self, id: &str) -> Result<ResumeInfo, PortError>;

    /// A session's transcript for reading: a title and (label, text) entries, one per event.
    ///
    /// # Errors
    /// Unknown id, unreadable events.
    fn detail(&self, id: &str) -> Result<Detail, PortError>;

    /// Start a model run in the background.
    ///
    /// # Errors
    /// No store behind this port, a bad endpoint, or the run could not start.
    fn launch(&mut self, req: LaunchRequest) -> Result<BackgroundRun, PortError> {
        let _ = req;
        Err(PortError::NoStore)
    }

    /// The ids of the scripts `annotator` has a session of (the library marks them).
    ///
    /// # Errors
    /// The store could not be read.
    fn played(&self, annotator: &str) -> Result<HashSet<String>, PortError> {
        let _ = annotator;
        Ok(HashSet::new())
    }

    /// Every walk session of `annotator` (any status), for the study queue.
    ///
    /// # Errors
    /// The store could not be read.
    fn annotator_sessions(&self, annotator: &str) -> Result<Vec<Session>, PortError> {
        let _ = annotator;
        Ok(Vec::new())
    }

    /// Every model run in the store, the most recent first.
    ///
    /// # Errors
    /// The store could not be read.
    fn runs(&self) -> Result<Vec<RunInfo>, PortError> {
        Ok(Vec::new())
    }

    /// The baseline report over every session in the store.
    ///
    /// # Errors
    /// The store could not be read.
    fn baseline(&self) -> Result<crate::report::baseline::Baseline, PortError> {
        Err(PortError::Run("no store".to_owned()))
    }

    /// One run read back: its settings, results and episodes.
    ///
    /// # Errors
    /// The store could not be read.
    fn run_data(&self, run_id: &str) -> Result<RunData, PortError> {
        Err(PortError::Run(format!("no run {run_id}")))
    }

    /// Create a CR dialogue session; its recorder and id.
    ///
    /// # Errors
    /// No store behind this port, or the store refused.
    fn start_cr(&mut self, new: NewSession) -> Result<(Box<dyn Recorder>, String), PortError> {
        let _ = new;
        Err(PortError::NoStore)
    }

    /// A CR dialogue in progress, to continue.
    ///
    /// # Errors
    /// Unknown id, not a CR dialogue, not in progress, unreadable events.
    fn resume_cr(&mut self, id: &str) -> Result<CrStored, PortError> {
        Err(PortError::NoSession(id.to_owned()))
    }

    /// The `seq` of the stored `cr_turn` of index `index` in session `id`.
    ///
    /// # Errors
    /// The store could not be read.
    fn cr_turn_seq(&self, id: &str, index: u32) -> Result<Option<u64>, PortError> {
        let _ = (id, index);
        Ok(None)
    }
}

/// A stored CR dialogue, to continue.
pub struct CrStored {
    pub session: Session,
    pub events: Vec<Event>,
    pub recorder: Box<dyn Recorder>,
}

impl std::fmt::Debug for CrStored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrStored")
            .field("session", &self.session.id)
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

/// A stored session laid out for reading (the drill-down screen).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    pub title: String,
    /// (label, text); text may hold several lines.
    pub entries: Vec<(String, String)>,
    /// Lines scrolled down from the top.
    pub scroll: usize,
}

/// Start-up options.
#[derive(Debug, Clone)]
pub struct Options {
    pub lang: Lang,
    pub theme: Theme,
    /// Script files and folders for the library.
    pub scripts: Vec<PathBuf>,
    /// Settings folder (annotator id); `None` keeps the id for this run only.
    pub config_dir: Option<PathBuf>,
    /// `--as NAME`.
    pub annotator: Option<String>,
    /// `--seed N`: the base of every option-order seed.
    pub base_seed: u64,
    /// A shown description of the store (its path).
    pub store_label: String,
    /// `--training`: show right/wrong after each IAE answer.
    pub training: bool,
    /// Where library summaries are cached between runs (`None`: parse every script).
    pub cache_dir: Option<PathBuf>,
}

/// The program: the [`State`], the [`Effects`] that run its commands, and the event channel.
pub struct App {
    state: State,
    effects: Effects,
    events: Sender<Msg>,
    inbox: Receiver<Msg>,
    /// Numbers the loops run on this app (see [`Msg::End`]).
    loops: u64,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Build the app: scan the library (and its cache), read the settings, list sessions.
    #[must_use]
    pub fn new(opts: Options, port: Box<dyn SessionPort>, size: (u16, u16)) -> Self {
        let library = Arc::new(Library::scan_cached(
            &opts.scripts,
            opts.cache_dir.as_deref(),
        ));
        let config = opts
            .config_dir
            .as_deref()
            .and_then(|d| match Config::load(d) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "settings");
                    None
                }
            })
            .unwrap_or_default();
        let endpoint_env = std::env::var("SOCIUS_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty());
        let (events, inbox) = channel();
        let mut effects = Effects::new(
            port,
            Arc::clone(&library),
            opts.config_dir.clone(),
            opts.base_seed,
        );
        effects.set_events(events.clone());
        let (state, cmds) = State::new(opts, library, config, endpoint_env, size);
        let mut app = Self {
            state,
            effects,
            events,
            inbox,
            loops: 0,
        };
        app.run(cmds);
        app
    }

    /// Handle one message: `update`, then the commands it asked for, each answer handled at
    /// once (before any further input), until nothing is left to do.
    pub fn update(&mut self, msg: Msg) {
        let cmds = self.state.update(msg);
        self.run(cmds);
    }

    fn run(&mut self, cmds: Vec<Cmd>) {
        let mut queue: VecDeque<Cmd> = cmds.into();
        while let Some(cmd) = queue.pop_front() {
            if let Some(done) = self.effects.run(cmd) {
                queue.extend(self.state.update(done));
            }
        }
    }

    /// Draw the whole screen.
    pub fn draw(&self, frame: &mut Frame<'_>) {
        self.state.draw(frame);
    }

    /// A sender into the app's event channel (the terminal's reader, background work).
    #[must_use]
    pub fn sender(&self) -> Sender<Msg> {
        self.events.clone()
    }

    /// The next message from the channel: waits up to `tick` (then [`Msg::Tick`]) or, with no
    /// tick, until one comes. `None` when every sender is gone.
    pub(crate) fn next_msg(&self, tick: Option<Duration>) -> Option<Msg> {
        match tick {
            Some(t) => match self.inbox.recv_timeout(t) {
                Ok(msg) => Some(msg),
                Err(RecvTimeoutError::Timeout) => Some(Msg::Tick),
                Err(RecvTimeoutError::Disconnected) => None,
            },
            None => self.inbox.recv().ok(),
        }
    }

    /// A message already waiting, if any.
    pub(crate) fn waiting_msg(&self) -> Option<Msg> {
        self.inbox.try_recv().ok()
    }

    /// A number for the next loop run on this app.
    pub(crate) const fn next_loop(&mut self) -> u64 {
        self.loops += 1;
        self.loops
    }

    /// The state (for reading).
    #[must_use]
    pub const fn state(&self) -> &State {
        &self.state
    }

    /// The scripts in the library.
    #[must_use]
    pub fn library(&self) -> &Library {
        &self.state.library
    }

    /// Whether the app has quit.
    #[must_use]
    pub const fn quitting(&self) -> bool {
        self.state.quit
    }

    /// Whether a session is open (quitting asks first).
    #[must_use]
    pub fn session_open(&self) -> bool {
        self.state.session_open()
    }

    /// The play state, if a session is on screen.
    #[must_use]
    pub fn play(&self) -> Option<&Play> {
        self.state.play()
    }

    /// The status-bar message, if any.
    #[must_use]
    pub fn status(&self) -> Option<&(String, bool)> {
        self.state.status()
    }

    /// The status-bar hints of the screen now shown.
    #[must_use]
    pub fn hints(&self) -> Vec<(String, Action)> {
        self.state.hints()
    }

    /// How long the loop may wait for input before a tick.
    #[must_use]
    pub fn tick_interval(&self) -> Option<Duration> {
        self.state.tick_interval()
    }

    /// Whether a model run started here is going.
    #[must_use]
    pub fn run_going(&self) -> bool {
        self.state.run_going()
    }

    /// The id of the run started here, if any.
    #[must_use]
    pub fn run_id(&self) -> Option<&str> {
        self.state.run_id()
    }

    /// Open straight into a session (`socius play`), before the loop starts.
    ///
    /// # Errors
    /// The script is not in the library or has errors.
    pub fn open_play(&mut self, path: &std::path::Path, mode: Mode) -> Result<(), OpenError> {
        let canon =
            |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let want = canon(path);
        let idx = self
            .state
            .library
            .entries
            .iter()
            .position(|e| canon(&e.path) == want)
            .ok_or_else(|| OpenError::NotInLibrary(path.to_path_buf()))?;
        self.state.library.entries[idx].tree()?;
        let cmds = self.state.start_or_ask_name(idx, mode);
        self.run(cmds);
        Ok(())
    }

    /// Open on an annotator's study queue (`socius study run`), before the loop starts.
    pub fn open_queue(&mut self, spec: QueueSpec) {
        let cmds = self.state.show_queue(spec);
        self.run(cmds);
    }

    /// Open straight into a new CR dialogue (`socius cr`), before the loop starts: its notice
    /// first. The session is created when the notice is dismissed.
    ///
    /// # Errors
    /// The protocol's staging cannot run.
    pub fn open_cr(
        &mut self,
        setup: super::cr::CrSetup,
        agents: CrAgents,
        session: NewSession,
    ) -> Result<(), OpenFailure> {
        let screen = CrScreen::new(setup).map_err(|e| OpenFailure::Cr(e.to_string()))?;
        let session = self.state.cr_session_context(session);
        self.effects.open_cr(agents, session);
        let cmds = self.state.show_cr(Box::new(screen), false);
        self.run(cmds);
        Ok(())
    }

    /// Continue a stored CR dialogue (`socius cr --resume ID`), before the loop starts.
    /// `agents` plays its model roles; `files` names its case and protocol files when they
    /// moved since.
    ///
    /// # Errors
    /// No such dialogue in progress, its files are gone or changed, a model role has no agent,
    /// or the stored dialogue does not replay.
    pub fn resume_cr(
        &mut self,
        id: &str,
        agents: Option<CrAgents>,
        files: super::cr::CrFiles,
    ) -> Result<(), OpenFailure> {
        self.effects.prepare_cr(agents, files);
        let screen = self.effects.resume_cr(id, self.state.lang())?;
        let cmds = self.state.show_cr(screen, true);
        self.run(cmds);
        Ok(())
    }

    /// Handle the messages background work sends (a model's CR turn) until `done` holds of
    /// the state or `timeout` passes; whether it holds. (Tests synchronise on this instead of
    /// sleeping; the loop never calls it.)
    pub fn pump(&mut self, timeout: Duration, done: impl Fn(&State) -> bool) -> bool {
        let end = Instant::now() + timeout;
        while !done(&self.state) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            match self.inbox.recv_timeout(left) {
                Ok(msg) => self.update(msg),
                Err(_) => return false,
            }
        }
        true
    }

    /// The CR screen, if it is shown.
    #[must_use]
    pub fn cr(&self) -> Option<&CrScreen> {
        self.state.cr()
    }

    /// Wait up to `timeout` for the run started here to end, then update the screens as a
    /// tick would. Returns whether it has ended. (Tests synchronise on this instead of
    /// sleeping; the loop never blocks on it.)
    pub fn wait_run(&mut self, timeout: Duration) -> bool {
        let ended = match self.state.run.as_mut() {
            Some(r) => !matches!(r.wait(timeout), RunState::Running),
            None => true,
        };
        self.update(Msg::Tick);
        ended
    }

    /// Stop the run started here and wait until its running episodes are closed (after the
    /// loop: this blocks). Returns the run's id when it was still going.
    pub fn stop_run(&mut self) -> Option<String> {
        let run = self.state.run.take()?;
        let going = run.running();
        let id = run.run_id.clone();
        drop(run);
        going.then(|| id.to_string())
    }
}

/// A recorder for commands: keeps the events of one step, to be written by [`Effects`].
#[derive(Debug, Default)]
pub struct Collect(pub Vec<EventBody>);

impl Recorder for Collect {
    fn record(&mut self, events: Vec<EventBody>) -> Result<(), StoreError> {
        self.0.extend(events);
        Ok(())
    }
}
