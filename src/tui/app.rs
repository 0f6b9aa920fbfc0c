//! The application: state, the one message type, `update`, and `draw`.
//!
//! One loop (see [`super::run`]) feeds [`Msg`]s to [`App::update`] and draws when no message
//! is queued. `draw` only reads state. Sessions are started, listed and resumed through a
//! [`SessionPort`], which the real program backs with the sled store.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::config::Config;
use super::i18n::Lang;
use super::keymap::{Action, action_for};
use super::library::{Library, ScriptEntry};
use super::play::{Mode, Notice, Phase, Play, Step};
use super::runs::{FormKey, LaunchRequest, Live, RunData, RunForm, RunView, RunsList};
use super::theme::Theme;
use super::views::home::{Home, Pane, SessionRow};
use super::views::{self, Ctx};
use crate::driver::Recorder;
use crate::engine::derive_seed;
use crate::eval::background::BackgroundRun;
use crate::eval::runs::RunInfo;
use crate::script::model::WorldTree;

mod runs_impl;

/// Everything the loop feeds the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Paste(String),
    /// Time passed (sent while a model run is going, so its progress is redrawn).
    Tick,
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

    /// Every model run in the store, the most recent first.
    ///
    /// # Errors
    /// The store could not be read.
    fn runs(&self) -> Result<Vec<RunInfo>, PortError> {
        Ok(Vec::new())
    }

    /// One run read back: its settings, results and episodes.
    ///
    /// # Errors
    /// The store could not be read.
    fn run_data(&self, run_id: &str) -> Result<RunData, PortError> {
        Err(PortError::Run(format!("no run {run_id}")))
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

enum Overlay {
    Help {
        scroll: usize,
    },
    ConfirmQuit {
        to_home: bool,
    },
    AskName {
        input: String,
        then: Option<(usize, Mode)>,
    },
    ChooseMode {
        entry: usize,
    },
    Launch(Box<RunForm>),
}

struct PlayScreen {
    play: Play,
    recorder: Box<dyn Recorder>,
    title: String,
}

enum Screen {
    Home,
    Play(Box<PlayScreen>),
    Detail(Box<Detail>),
    Runs(Box<RunsList>),
    Run(Box<RunView>),
}

/// The application state.
pub struct App {
    lang: Lang,
    theme: Theme,
    pub library: Library,
    pub home: Home,
    screen: Screen,
    overlay: Option<Overlay>,
    status: Option<(String, bool)>,
    pub quit: bool,
    size: (u16, u16),
    annotator: Option<String>,
    config_dir: Option<PathBuf>,
    base_seed: u64,
    store_label: String,
    training: bool,
    port: Box<dyn SessionPort>,
    /// The model run started from this TUI (running, or ended and still on show).
    run: Option<BackgroundRun>,
    /// Screens to go back to (Esc): a run's view under an episode's transcript, say.
    back: Vec<Screen>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("scripts", &self.library.entries.len())
            .field("quit", &self.quit)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Build the app: scan the library and list sessions.
    #[must_use]
    pub fn new(opts: Options, port: Box<dyn SessionPort>, size: (u16, u16)) -> Self {
        let library = Library::scan_cached(&opts.scripts, opts.cache_dir.as_deref());
        let annotator = opts.annotator.clone().or_else(|| {
            opts.config_dir
                .as_deref()
                .and_then(|d| Config::load(d).ok())
                .and_then(|c| c.annotator)
        });
        let mut app = Self {
            lang: opts.lang,
            theme: opts.theme,
            library,
            home: Home::default(),
            screen: Screen::Home,
            overlay: None,
            status: None,
            quit: false,
            size,
            annotator,
            config_dir: opts.config_dir,
            base_seed: opts.base_seed,
            store_label: opts.store_label,
            training: opts.training,
            port,
            run: None,
            back: Vec::new(),
        };
        app.refresh_sessions();
        app
    }

    /// Open straight into a session (`socius play`).
    ///
    /// # Errors
    /// The script is not in the library or has errors.
    pub fn open_play(
        &mut self,
        path: &std::path::Path,
        mode: Mode,
    ) -> Result<(), super::library::OpenError> {
        let canon =
            |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let want = canon(path);
        let idx = self
            .library
            .entries
            .iter()
            .position(|e| canon(&e.path) == want)
            .ok_or_else(|| super::library::OpenError::NotInLibrary(path.to_path_buf()))?;
        self.library.entries[idx].tree()?;
        self.start_or_ask_name(idx, mode);
        Ok(())
    }

    /// Whether a session is open (quitting asks first).
    #[must_use]
    pub fn session_open(&self) -> bool {
        matches!(&self.screen, Screen::Play(p) if p.play.is_open())
    }

    /// The play state, if a session is on screen.
    #[must_use]
    pub fn play(&self) -> Option<&Play> {
        match &self.screen {
            Screen::Play(p) => Some(&p.play),
            _ => None,
        }
    }

    /// The status-bar message, if any.
    #[must_use]
    pub fn status(&self) -> Option<&(String, bool)> {
        self.status.as_ref()
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            theme: &self.theme,
            s: self.lang.strings(),
            lang: self.lang,
        }
    }

    fn refresh_sessions(&mut self) {
        match self.port.rows() {
            Ok(rows) => self.home.sessions = rows,
            Err(e) => self.store_failed(&e),
        }
    }

    /// A store error: in the status bar (the lists keep what they showed) and in the log.
    pub(super) fn store_failed(&mut self, e: &PortError) {
        tracing::warn!(error = %e, "session store");
        self.status = Some((format!("{}: {e}", self.lang.strings().store_error), true));
    }

    /// Handle one message.
    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Resize(w, h) => self.size = (w, h),
            Msg::Mouse(m) => self.mouse(m),
            Msg::Paste(text) => self.paste(&text),
            Msg::Tick => self.tick(),
            Msg::Key(key) => {
                if key.kind == KeyEventKind::Release {
                    return;
                }
                if self.overlay.is_some() {
                    self.overlay_key(key);
                } else if self.home.searching && matches!(self.screen, Screen::Home) {
                    self.search_key(key);
                } else if let Some(action) = action_for(&key) {
                    self.status = None;
                    self.action(action);
                }
            }
        }
    }

    fn paste(&mut self, text: &str) {
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        match &mut self.overlay {
            Some(Overlay::AskName { input, .. }) => input.push_str(&clean),
            Some(Overlay::Launch(form)) => form.paste(&clean),
            None if self.home.searching => {
                self.home.search.push_str(&clean);
                self.home.selected = 0;
            }
            _ => {}
        }
    }

    fn mouse(&mut self, m: MouseEvent) {
        let down = match m.kind {
            MouseEventKind::ScrollDown => true,
            MouseEventKind::ScrollUp => false,
            _ => return,
        };
        match &mut self.screen {
            Screen::Play(p) => {
                p.play.scroll = if down {
                    p.play.scroll.saturating_sub(3)
                } else {
                    p.play.scroll + 3
                };
            }
            Screen::Detail(d) => {
                d.scroll = if down {
                    d.scroll + 3
                } else {
                    d.scroll.saturating_sub(3)
                };
            }
            Screen::Home | Screen::Runs(_) | Screen::Run(_) => {
                self.action(if down { Action::Down } else { Action::Up });
            }
        }
    }

    fn search_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => {
                self.home.searching = false;
                self.home.search.clear();
            }
            KeyCode::Enter | KeyCode::Down | KeyCode::Tab => self.home.searching = false,
            KeyCode::Backspace => {
                self.home.search.pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.home.search.push(c);
            }
            _ => {}
        }
        self.home.selected = 0;
    }

    fn overlay_key(&mut self, key: KeyEvent) {
        let Some(overlay) = self.overlay.take() else {
            return;
        };
        match overlay {
            Overlay::Help { mut scroll } => match action_for(&key) {
                Some(Action::Help | Action::Back | Action::Quit) => {}
                Some(Action::Down) => {
                    scroll += 1;
                    self.overlay = Some(Overlay::Help { scroll });
                }
                Some(Action::Up) => {
                    self.overlay = Some(Overlay::Help {
                        scroll: scroll.saturating_sub(1),
                    });
                }
                Some(Action::PageDown) => {
                    self.overlay = Some(Overlay::Help {
                        scroll: scroll + 10,
                    });
                }
                Some(Action::PageUp) => {
                    self.overlay = Some(Overlay::Help {
                        scroll: scroll.saturating_sub(10),
                    });
                }
                _ => self.overlay = Some(Overlay::Help { scroll }),
            },
            Overlay::ConfirmQuit { to_home } => match key.code {
                KeyCode::Char('y' | 'Y' | 'q') | KeyCode::Enter => {
                    if to_home {
                        self.screen = Screen::Home;
                        self.refresh_sessions();
                    } else {
                        self.quit = true;
                    }
                }
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.quit = true;
                }
                KeyCode::Char('n' | 'N') | KeyCode::Esc => {}
                _ => self.overlay = Some(Overlay::ConfirmQuit { to_home }),
            },
            Overlay::AskName { mut input, then } => match key.code {
                KeyCode::Esc => {}
                KeyCode::Enter => {
                    let name = input.trim().to_owned();
                    if name.is_empty() {
                        self.overlay = Some(Overlay::AskName { input, then });
                        return;
                    }
                    if let Some(dir) = &self.config_dir {
                        let mut config = Config::load(dir).unwrap_or_default();
                        config.annotator = Some(name.clone());
                        if let Err(e) = config.save(dir) {
                            tracing::warn!(error = %e, "the annotator name was not saved");
                            self.status = Some((e.to_string(), true));
                        }
                    }
                    self.annotator = Some(name);
                    if let Some((entry, mode)) = then {
                        self.start(entry, mode);
                    }
                }
                KeyCode::Backspace => {
                    input.pop();
                    self.overlay = Some(Overlay::AskName { input, then });
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    input.push(c);
                    self.overlay = Some(Overlay::AskName { input, then });
                }
                _ => self.overlay = Some(Overlay::AskName { input, then }),
            },
            Overlay::ChooseMode { entry } => match action_for(&key) {
                Some(Action::Pick(n @ 1..=3)) => {
                    let mode = [Mode::Gae, Mode::Iae, Mode::Both][usize::from(n - 1)];
                    self.start_or_ask_name(entry, mode);
                }
                Some(Action::Back | Action::Quit) => {}
                _ => self.overlay = Some(Overlay::ChooseMode { entry }),
            },
            Overlay::Launch(mut form) => match form.key(key) {
                FormKey::Cancel => {}
                FormKey::Stay => self.overlay = Some(Overlay::Launch(form)),
                FormKey::Submit => self.launch(form),
            },
        }
    }

    fn start_or_ask_name(&mut self, entry: usize, mode: Mode) {
        if self.annotator.is_some() {
            self.start(entry, mode);
        } else {
            self.overlay = Some(Overlay::AskName {
                input: String::new(),
                then: Some((entry, mode)),
            });
        }
    }

    fn start(&mut self, idx: usize, mode: Mode) {
        let Some(entry) = self.library.entries.get(idx) else {
            return;
        };
        let tree = match entry.tree() {
            Ok(t) => t,
            Err(e) => {
                self.status = Some((e.to_string(), true));
                return;
            }
        };
        let annotator = self.annotator.clone().unwrap_or_default();
        let seed = derive_seed(self.base_seed, &format!("{annotator}\u{1f}{}", tree.id));
        let req = StartRequest {
            entry,
            tree: &tree,
            mode,
            annotator: &annotator,
            seed,
            training: self.training,
        };
        match self.port.start(&req) {
            Ok(recorder) => {
                let title = entry.title.clone();
                let mut play = Play::new(tree, mode, seed);
                play.training = self.training;
                self.screen = Screen::Play(Box::new(PlayScreen {
                    play,
                    recorder,
                    title,
                }));
            }
            Err(e) => self.store_failed(&e),
        }
    }

    fn resume(&mut self, id: &str) {
        let s = self.lang.strings();
        let info = match self.port.resume(id) {
            Ok(info) => info,
            Err(e) => {
                self.store_failed(&e);
                return;
            }
        };
        let Some(entry) = self.library.find(&info.script_id, &info.script_hash) else {
            self.status = Some((format!("{}: {}", s.not_in_library, info.script_id), true));
            return;
        };
        let tree = match entry.tree() {
            Ok(t) => t,
            Err(e) => {
                self.status = Some((e.to_string(), true));
                return;
            }
        };
        let title = entry.title.clone();
        let mut recorder = info.recorder;
        match Play::resume(tree, info.mode, info.seed, &info.steps, recorder.as_mut()) {
            Ok(mut play) => {
                play.training = info.training;
                self.status = Some((s.resumed.to_owned(), false));
                self.screen = Screen::Play(Box::new(PlayScreen {
                    play,
                    recorder,
                    title,
                }));
            }
            Err(e) => self.status = Some((e.to_string(), true)),
        }
    }

    fn page(&self) -> usize {
        usize::from(self.size.1.saturating_sub(8)).max(1)
    }

    fn action(&mut self, action: Action) {
        match action {
            Action::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                return;
            }
            Action::Quit => {
                if self.session_open() || self.run_going() {
                    self.overlay = Some(Overlay::ConfirmQuit { to_home: false });
                } else {
                    self.quit = true;
                }
                return;
            }
            _ => {}
        }
        let page = self.page();
        match &mut self.screen {
            Screen::Home => self.home_action(action),
            Screen::Detail(d) => match action {
                Action::Up => d.scroll = d.scroll.saturating_sub(1),
                Action::Down => d.scroll += 1,
                Action::PageUp => d.scroll = d.scroll.saturating_sub(page),
                Action::PageDown => d.scroll += page,
                Action::Back | Action::Confirm => self.go_back(),
                _ => {}
            },
            Screen::Runs(_) | Screen::Run(_) => self.runs_action(action),
            Screen::Play(p) => {
                let play = &mut p.play;
                let notice = match action {
                    Action::Pick(n) => {
                        play.select(usize::from(n) - 1);
                        Notice::None
                    }
                    Action::Up if play.option_count() > 0 => {
                        play.move_selection(false);
                        Notice::None
                    }
                    Action::Down if play.option_count() > 0 => {
                        play.move_selection(true);
                        Notice::None
                    }
                    Action::Up => {
                        play.scroll += 1;
                        Notice::None
                    }
                    Action::Down => {
                        play.scroll = play.scroll.saturating_sub(1);
                        Notice::None
                    }
                    Action::PageUp => {
                        play.scroll += page;
                        Notice::None
                    }
                    Action::PageDown => {
                        play.scroll = play.scroll.saturating_sub(page);
                        Notice::None
                    }
                    Action::Confirm => {
                        play.scroll = 0;
                        play.confirm(p.recorder.as_mut())
                    }
                    Action::RevealAll => {
                        play.scroll = 0;
                        play.reveal_all(p.recorder.as_mut())
                    }
                    Action::Back => {
                        if play.is_open() {
                            self.overlay = Some(Overlay::ConfirmQuit { to_home: true });
                        } else {
                            self.screen = Screen::Home;
                            self.refresh_sessions();
                        }
                        Notice::None
                    }
                    _ => Notice::None,
                };
                let s = self.lang.strings();
                let feedback = match &mut self.screen {
                    Screen::Play(p) => p.play.take_feedback(),
                    _ => None,
                };
                if let Some(right) = feedback {
                    let (mark, text) = if right {
                        ("✓", s.correct)
                    } else {
                        ("✗", s.incorrect)
                    };
                    self.status = Some((format!("{mark} {text}"), !right));
                }
                match notice {
                    Notice::Error(e) => {
                        self.status = Some((format!("{}: {e}", s.store_error), true));
                    }
                    Notice::Finished => self.status = Some((s.decision_stored.to_owned(), false)),
                    Notice::None | Notice::Saved => {}
                }
            }
        }
    }

    fn home_action(&mut self, action: Action) {
        let visible = self.home.visible(&self.library);
        let home = &mut self.home;
        match (action, home.pane) {
            (Action::Up, Pane::Library) => home.selected = home.selected.saturating_sub(1),
            (Action::Down, Pane::Library) => {
                home.selected = (home.selected + 1).min(visible.len().saturating_sub(1));
            }
            (Action::Up, Pane::Sessions) => {
                home.session_selected = home.session_selected.saturating_sub(1);
            }
            (Action::Down, Pane::Sessions) => {
                home.session_selected =
                    (home.session_selected + 1).min(home.sessions.len().saturating_sub(1));
            }
            (Action::PageDown, Pane::Library) => {
                home.selected = (home.selected + 10).min(visible.len().saturating_sub(1));
            }
            (Action::PageUp, Pane::Library) => home.selected = home.selected.saturating_sub(10),
            (Action::Search, _) => {
                home.pane = Pane::Library;
                home.searching = true;
            }
            (Action::Back, _) => {
                home.search.clear();
                home.selected = 0;
            }
            (Action::FilterLanguage, _) => home.cycle_language(),
            (Action::FilterOrientation, _) => home.cycle_orientation(),
            (Action::FilterKind, _) => home.cycle_kind(&self.library),
            (Action::RunModel, _) => self.open_launch_form(),
            (Action::Runs, _) => self.open_runs(),
            (Action::SwitchPane, _) => {
                home.pane = match home.pane {
                    Pane::Library => Pane::Sessions,
                    Pane::Sessions => Pane::Library,
                };
            }
            (Action::Confirm | Action::Pick(_), Pane::Library) => {
                let pick = match action {
                    Action::Pick(n) => usize::from(n) - 1,
                    _ => home.selected,
                };
                if let Some(&entry) = visible.get(pick) {
                    home.selected = pick;
                    if self.library.entries[entry].playable() {
                        self.overlay = Some(Overlay::ChooseMode { entry });
                    } else {
                        let e = &self.library.entries[entry];
                        self.status = Some((
                            format!(
                                "{}: {}",
                                e.path.display(),
                                self.lang.strings().script_errors
                            ),
                            true,
                        ));
                    }
                }
            }
            (Action::Confirm, Pane::Sessions) => {
                if let Some(row) = home.sessions.get(home.session_selected).cloned() {
                    if row.in_progress {
                        self.resume(&row.id);
                    } else {
                        match self.port.detail(&row.id) {
                            Ok(d) => self.push_screen(Screen::Detail(Box::new(d))),
                            Err(e) => self.store_failed(&e),
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The status-bar hints of the screen now shown: its actions, each with its keys as the
    /// keymap names them (the option keys as `1-N` for the N options on screen).
    #[must_use]
    pub fn hints(&self) -> Vec<(String, Action)> {
        let actions: Vec<Action> = match &self.screen {
            // `/ Search` is on the filter line already.
            Screen::Home => vec![
                Action::Confirm,
                Action::SwitchPane,
                Action::RunModel,
                Action::Runs,
                Action::Help,
                Action::Quit,
            ],
            Screen::Runs(_) => vec![Action::Confirm, Action::Back, Action::Help, Action::Quit],
            Screen::Run(v) => {
                let mut h = vec![Action::Confirm, Action::SwitchPane];
                if matches!(
                    v.live,
                    Live::Running {
                        stopping: false,
                        ..
                    }
                ) {
                    h.push(Action::StopRun);
                }
                h.extend([Action::Back, Action::Quit]);
                h
            }
            Screen::Play(p) => match p.play.phase {
                Phase::Gae(_) | Phase::Iae(_) => vec![
                    Action::Pick(1),
                    Action::Confirm,
                    Action::PageUp,
                    Action::Help,
                    Action::Quit,
                ],
                Phase::Over => vec![Action::Back, Action::Quit],
                _ => vec![
                    Action::Confirm,
                    Action::RevealAll,
                    Action::Help,
                    Action::Quit,
                ],
            },
            Screen::Detail(_) => vec![Action::Down, Action::PageDown, Action::Back, Action::Quit],
        };
        actions
            .into_iter()
            .map(|action| {
                let label = match (action, &self.screen) {
                    (Action::Pick(_), Screen::Play(p)) => {
                        format!("1-{}", p.play.option_count().clamp(1, 9))
                    }
                    _ => super::keymap::key_label(action).to_owned(),
                };
                (label, action)
            })
            .collect()
    }

    /// Draw the whole screen.
    pub fn draw(&self, frame: &mut Frame<'_>) {
        let area = frame.area();
        let ctx = self.ctx();
        let t = &self.theme;
        let s = ctx.s;
        frame.render_widget(Paragraph::new("").style(t.text), area);
        if area.width < 40 || area.height < 12 {
            frame.render_widget(Paragraph::new(Span::styled(s.too_small, t.warning)), area);
            return;
        }
        let (top, body, bottom) = views::with_status(area);
        let who = self.annotator.as_deref().unwrap_or("—");
        let header = match &self.screen {
            Screen::Home => format!(
                " socius · {} · {} · {}: {who}",
                s.library, self.store_label, s.annotator
            ),
            Screen::Play(p) => {
                let mode = match p.play.mode {
                    Mode::Gae => "GAE",
                    Mode::Iae => "IAE",
                    Mode::Both => "GAE+IAE",
                };
                format!(" socius · {} · {mode} · {}: {who}", p.title, s.annotator)
            }
            Screen::Detail(d) => format!(" socius · {}", d.title),
            Screen::Runs(_) => format!(" socius · {} · {}", s.runs_title, self.store_label),
            Screen::Run(v) => format!(" socius · {}", views::runs::header(&ctx, v)),
        };
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(header, t.heading))).style(t.status_bar),
            top,
        );
        let hints = self.hints();
        let message = self.status.as_ref().map(|(m, e)| (m.as_str(), *e));
        views::status_bar(frame, bottom, &ctx, &hints, message);
        match &self.screen {
            Screen::Home => views::home::render(frame, body, &ctx, &self.home, &self.library),
            Screen::Play(p) => views::play::render(frame, body, &ctx, &p.play),
            Screen::Detail(d) => views::detail::render(frame, body, &ctx, d),
            Screen::Runs(r) => views::runs::render_list(frame, body, &ctx, r),
            Screen::Run(v) => views::runs::render_run(frame, body, &ctx, v),
        }
        self.draw_overlay(frame, body, &ctx);
    }

    fn draw_overlay(&self, frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>) {
        let t = ctx.theme;
        let s = ctx.s;
        match &self.overlay {
            None => {}
            // Help may use the whole screen, header and status bar included.
            Some(Overlay::Help { scroll }) => {
                views::help::render(frame, frame.area(), ctx, *scroll);
            }
            Some(Overlay::ConfirmQuit { to_home }) => views::popup(
                frame,
                area,
                ctx,
                "socius",
                &[
                    (
                        if self.run_going() && !to_home {
                            s.run_quit_confirm
                        } else {
                            s.quit_confirm
                        }
                        .to_owned(),
                        t.text,
                    ),
                    (String::new(), t.text),
                    (s.yes_no.to_owned(), t.accent),
                ],
                50,
            ),
            Some(Overlay::Launch(form)) => views::runs::render_form(frame, area, ctx, form),
            Some(Overlay::AskName { input, .. }) => views::popup(
                frame,
                area,
                ctx,
                s.ask_name,
                &[
                    (format!("> {input}▏"), t.accent),
                    (s.ask_name_hint.to_owned(), t.muted),
                ],
                50,
            ),
            Some(Overlay::ChooseMode { entry }) => {
                let title = self
                    .library
                    .entries
                    .get(*entry)
                    .map_or("", |e| e.title.as_str());
                views::popup(
                    frame,
                    area,
                    ctx,
                    s.choose_mode,
                    &[
                        (title.to_owned(), t.heading),
                        (format!("1. {}", s.mode_gae), t.text),
                        (format!("2. {}", s.mode_iae), t.text),
                        (format!("3. {}", s.mode_both), t.text),
                    ],
                    56,
                );
            }
        }
    }
}
