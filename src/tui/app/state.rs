//! The model: every screen's state, `update` and `draw`. No I/O happens here; what needs the
//! store, the files or the settings is asked for as a [`Cmd`] and answered by a [`Msg::Done`].
//!
//! This file routes messages and draws the frame; each screen's keys and answers are handled in
//! its own module — `home` (library and sessions), `play`, `runs` (the runs list and a run's
//! view), `overlay` (help, quit, name, mode and the run form) — and drawn by its view in
//! `tui::views`.

use std::sync::Arc;

use crossterm::event::{KeyEventKind, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Cmd, Detail, Done, Msg, Options, PortError};
use crate::eval::background::BackgroundRun;
use crate::tui::config::Config;
use crate::tui::i18n::Lang;
use crate::tui::keymap::{Action, action_for};
use crate::tui::library::Library;
use crate::tui::play::{Mode, Notice, Phase, Play};
use crate::tui::runs::{Live, RunForm, RunView, RunsList};
use crate::tui::theme::Theme;
use crate::tui::views::home::{Home, Pane};
use crate::tui::views::{self, Ctx};

/// The smallest terminal the screens are drawn in (smaller shows a message).
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

mod cr;
mod home;
mod overlay;
mod play;
mod queue;
mod report;
mod runs;

pub(super) enum Overlay {
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
    /// Abandon this session (by id)?
    ConfirmAbandon {
        id: String,
    },
    /// The tree is in progress in this mode already: resume it, or start anew?
    OfferResume {
        id: String,
        entry: usize,
        mode: Mode,
    },
    Launch(Box<RunForm>),
}

pub(super) struct PlayScreen {
    /// What the screen shows: the session as stored.
    play: Play,
    title: String,
    /// The step just taken, shown once its events are written (then it replaces `play`), with
    /// what to tell the user then.
    saving: Option<(Box<Play>, Notice)>,
}

pub(super) enum Screen {
    Home,
    /// The study queue (`socius study run`); its state is [`State::queue`].
    Queue,
    Play(Box<PlayScreen>),
    Cr(Box<crate::tui::cr::CrScreen>),
    Detail(Box<Detail>),
    Runs(Box<RunsList>),
    Run(Box<RunView>),
    Report(Box<views::report::ReportView>),
}

/// The application state.
pub struct State {
    lang: Lang,
    theme: Theme,
    pub library: Arc<Library>,
    pub home: Home,
    pub(super) screen: Screen,
    pub(super) overlay: Option<Overlay>,
    pub(super) status: Option<(String, bool)>,
    pub quit: bool,
    size: (u16, u16),
    annotator: Option<String>,
    /// The settings as last read or written.
    pub(super) config: Config,
    /// `SOCIUS_ENDPOINT`, read at start-up (the form's default endpoint).
    pub(super) endpoint_env: Option<String>,
    store_label: String,
    training: bool,
    /// The model run started from this TUI (running, or ended and still on show).
    pub(super) run: Option<BackgroundRun>,
    /// Screens to go back to (Esc): a run's view under an episode's transcript, say.
    pub(super) back: Vec<Screen>,
    /// Commands asked for while handling the current message.
    out: Vec<Cmd>,
    /// The annotator's study queue (`socius study run`): sessions return to it, not home.
    pub(super) queue: Option<Box<crate::tui::queue::Queue>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("scripts", &self.library.entries.len())
            .field("quit", &self.quit)
            .finish_non_exhaustive()
    }
}

impl State {
    /// The state at start-up, and its first commands (list the sessions).
    #[must_use]
    pub fn new(
        opts: Options,
        library: Arc<Library>,
        config: Config,
        endpoint_env: Option<String>,
        size: (u16, u16),
    ) -> (Self, Vec<Cmd>) {
        let annotator = opts.annotator.clone().or_else(|| config.annotator.clone());
        let state = Self {
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
            config,
            endpoint_env,
            store_label: opts.store_label,
            training: opts.training,
            run: None,
            back: Vec::new(),
            out: Vec::new(),
            queue: None,
        };
        let cmds = vec![state.load_sessions()];
        (state, cmds)
    }

    /// Whether a session is open (quitting asks first).
    #[must_use]
    pub fn session_open(&self) -> bool {
        match &self.screen {
            Screen::Play(p) => p.play.is_open(),
            Screen::Cr(c) => c.is_open(),
            _ => false,
        }
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

    /// A store error: in the status bar (the lists keep what they showed) and in the log.
    pub(super) fn store_failed(&mut self, e: &PortError) {
        tracing::warn!(error = %e, "session store");
        self.status = Some((format!("{}: {e}", self.lang.strings().store_error), true));
    }

    /// The command that lists the sessions (and what the annotator has played).
    pub(super) fn load_sessions(&self) -> Cmd {
        Cmd::LoadSessions {
            annotator: self.annotator.clone(),
        }
    }

    /// Quit, recording a pause first when a session is open.
    pub(super) fn quit_now(&mut self, reason: &'static str) {
        if self.session_open() {
            self.ask(Cmd::Pause(reason));
        }
        self.quit = true;
    }

    /// Ask the loop for `cmd` (run after this message is handled).
    pub(super) fn ask(&mut self, cmd: Cmd) {
        self.out.push(cmd);
    }

    /// Handle one message; the commands it asks for.
    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        self.handle(msg);
        std::mem::take(&mut self.out)
    }

    fn handle(&mut self, msg: Msg) {
        self.handle_msg(msg);
        self.sync_play();
        self.sync_detail();
        self.sync_cr();
    }

    /// Keep the transcript screen's scroll within its text (so a key back up moves at once).
    fn sync_detail(&mut self) {
        let (w, h) = self.size;
        if w < MIN_WIDTH || h < MIN_HEIGHT {
            return;
        }
        let (_, body, _) = views::with_status(ratatui::layout::Rect::new(0, 0, w, h));
        let ctx = self.ctx();
        let max = match &self.screen {
            Screen::Detail(d) => views::detail::lines(&ctx, d, usize::from(body.width)).len(),
            Screen::Report(v) => views::report::lines(&ctx, v, usize::from(body.width)).len(),
            _ => return,
        }
        .saturating_sub(usize::from(body.height));
        match &mut self.screen {
            Screen::Detail(d) => d.scroll = d.scroll.min(max),
            Screen::Report(v) => v.scroll = v.scroll.min(max),
            _ => {}
        }
    }

    fn handle_msg(&mut self, msg: Msg) {
        match msg {
            Msg::Resize(w, h) => self.size = (w, h),
            Msg::Mouse(m) => self.mouse(m),
            Msg::Paste(text) => self.paste(&text),
            Msg::Tick => self.tick(),
            Msg::Signal(_) => self.quit_now("signal"),
            Msg::InputClosed => self.quit_now("terminal"),
            Msg::End(_) => {}
            Msg::Done(done) => self.done(*done),
            Msg::Agent { ticket, event } => self.agent_event(ticket, event),
            Msg::Key(key) => {
                if key.kind == KeyEventKind::Release {
                    return;
                }
                // While a step is being written, its screen waits (keys are not queued into a
                // screen that is about to change).
                if matches!(&self.screen, Screen::Play(p) if p.saving.is_some())
                    || matches!(&self.screen, Screen::Cr(c) if c.saving())
                {
                    return;
                }
                if self.overlay.is_some() {
                    self.overlay_key(key);
                } else if matches!(self.screen, Screen::Cr(_)) {
                    self.status = None;
                    self.cr_key(key);
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
        if self.overlay.is_none()
            && let Screen::Cr(c) = &mut self.screen
        {
            c.paste(text);
            return;
        }
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
            Screen::Report(v) => {
                v.scroll = if down {
                    v.scroll + 3
                } else {
                    v.scroll.saturating_sub(3)
                };
            }
            Screen::Cr(c) => {
                c.scroll = if down {
                    c.scroll.saturating_sub(3)
                } else {
                    c.scroll + 3
                };
            }
            Screen::Home | Screen::Queue | Screen::Runs(_) | Screen::Run(_) => {
                self.action(if down { Action::Down } else { Action::Up });
            }
        }
    }

    /// What a command did.
    fn done(&mut self, done: Done) {
        match done {
            Done::Sessions(Ok((rows, played))) => {
                self.home.played = played;
                self.home.session_selected =
                    self.home.session_selected.min(rows.len().saturating_sub(1));
                self.home.sessions = rows;
            }
            Done::Sessions(Err(e)) | Done::Detail(Err(e)) => self.store_failed(&e),
            Done::Detail(Ok(d)) => self.push_screen(Screen::Detail(Box::new(d))),
            Done::Opened(result) => self.opened(result),
            Done::Recorded(result) if matches!(self.screen, Screen::Cr(_)) => {
                self.cr_recorded(result);
            }
            Done::Recorded(result) => self.recorded(result),
            Done::CrOpened(result) => self.cr_opened(result),
            Done::Rated(result) => self.cr_rated(result),
            Done::ResumeOffer { id, entry, mode } => {
                self.overlay = Some(Overlay::OfferResume { id, entry, mode });
            }
            Done::ConfigSaved(Ok(())) => {}
            Done::Abandoned(Ok(())) => {
                self.status = Some((self.lang.strings().abandoned.to_owned(), false));
                self.ask(self.load_sessions());
            }
            Done::Abandoned(Err(e)) => self.store_failed(&e),
            Done::ConfigSaved(Err(e)) => {
                tracing::warn!(error = %e, "settings not saved");
                self.status = Some((e.to_string(), true));
            }
            Done::Runs { open, rows } => self.runs_loaded(open, rows),
            Done::RunData { run_id, open, data } => {
                self.run_data_loaded(&run_id, open, data.map(|d| *d));
            }
            Done::Launched { form, run } => self.launched(form, run),
            Done::Report(report) => self.report_loaded(report),
            Done::Queue(rows) => self.queue_loaded(rows),
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
            Screen::Queue => self.queue_action(action),
            Screen::Detail(d) => match action {
                Action::Up => d.scroll = d.scroll.saturating_sub(1),
                Action::Down => d.scroll += 1,
                Action::PageUp => d.scroll = d.scroll.saturating_sub(page),
                Action::PageDown => d.scroll += page,
                Action::Top => d.scroll = 0,
                Action::Bottom => d.scroll = usize::MAX / 4,
                Action::Back | Action::Confirm => self.go_back(),
                _ => {}
            },
            Screen::Runs(_) | Screen::Run(_) => self.runs_action(action),
            Screen::Play(_) => self.play_action(action, page),
            Screen::Report(_) => self.report_action(action, page),
            // Its keys go to `cr_key`.
            Screen::Cr(_) => {}
        }
    }

    /// The status-bar hints of the screen now shown: its actions, each with its keys as the
    /// keymap names them (the option keys as `1-N` for the N options on screen).
    #[must_use]
    pub fn hints(&self) -> Vec<(String, Action)> {
        let actions: Vec<Action> = match &self.screen {
            // `/ Search` is on the filter line already.
            Screen::Home => {
                let mut h = vec![Action::Confirm, Action::SwitchPane];
                let open_row = self
                    .home
                    .sessions
                    .get(self.home.session_selected)
                    .is_some_and(|r| r.in_progress);
                if self.home.pane == Pane::Sessions && open_row {
                    h.push(Action::Abandon);
                }
                // `b` (the baseline report) is in the help: the bar is full at 80 columns.
                h.extend([Action::RunModel, Action::Runs, Action::Help, Action::Quit]);
                h
            }
            Screen::Queue => self.queue_hints(),
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
                Phase::Gae(_) | Phase::Iae(_) => {
                    // Options that do not fit are scrolled with PgDn (the story otherwise).
                    // (At the end of the box, PgUp goes back up.)
                    let more_below = self.play_geometry().is_some_and(|g| {
                        g.options_overflow() && p.play.options_scroll < g.max_options_scroll()
                    });
                    let scroll = if more_below {
                        Action::PageDown
                    } else {
                        Action::PageUp
                    };
                    vec![
                        Action::Pick(1),
                        Action::Confirm,
                        scroll,
                        Action::Help,
                        Action::Quit,
                    ]
                }
                Phase::Over => vec![Action::Back, Action::Quit],
                _ => vec![
                    Action::Confirm,
                    Action::RevealAll,
                    Action::Help,
                    Action::Quit,
                ],
            },
            Screen::Detail(_) | Screen::Report(_) => {
                vec![Action::Down, Action::PageDown, Action::Back, Action::Quit]
            }
            Screen::Cr(c) => Self::cr_hints(c),
        };
        actions
            .into_iter()
            .map(|action| {
                let label = match (action, &self.screen) {
                    (Action::Pick(_), Screen::Play(p)) => {
                        format!("1-{}", p.play.option_count().clamp(1, 9))
                    }
                    _ => crate::tui::keymap::key_label(action).to_owned(),
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
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let now = s
                .too_small_now
                .replace("{w}", &area.width.to_string())
                .replace("{h}", &area.height.to_string());
            frame.render_widget(
                Paragraph::new(vec![
                    Line::from(Span::styled(s.too_small, t.warning)),
                    Line::from(Span::styled(now, t.muted)),
                ])
                .wrap(ratatui::widgets::Wrap { trim: true }),
                area,
            );
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
                let mode = crate::tui::i18n::mode_label(self.lang, p.play.mode.name());
                format!(" socius · {} · {mode} · {}: {who}", p.title, s.annotator)
            }
            Screen::Detail(d) => format!(" socius · {}", d.title),
            Screen::Cr(c) => format!(
                " socius · {} · {} · {}: {who}",
                crate::tui::i18n::mode_label(self.lang, "cr"),
                crate::term::clean_field(&c.case.title),
                s.annotator
            ),
            Screen::Queue => self.queue_header(&ctx),
            Screen::Runs(_) => format!(" socius · {} · {}", s.runs_title, self.store_label),
            Screen::Run(v) => format!(" socius · {}", views::runs::header(&ctx, v)),
            Screen::Report(_) => format!(" socius · {} · {}", s.report_title, self.store_label),
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
            Screen::Queue => {
                if let Some(q) = &self.queue {
                    views::queue::render(frame, body, &ctx, q, &self.library);
                }
            }
            Screen::Play(p) => views::play::render(frame, body, &ctx, &p.play),
            Screen::Cr(c) => views::cr::render(frame, body, &ctx, c),
            Screen::Detail(d) => views::detail::render(frame, body, &ctx, d),
            Screen::Runs(r) => views::runs::render_list(frame, body, &ctx, r),
            Screen::Run(v) => views::runs::render_run(frame, body, &ctx, v),
            Screen::Report(v) => views::report::render(frame, body, &ctx, v),
        }
        self.draw_overlay(frame, body, &ctx);
    }
}
