//! The model: every screen's state, `update` and `draw`. No I/O happens here; what needs the
//! store, the files or the settings is asked for as a [`Cmd`] and answered by a [`Msg::Done`].

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Cmd, Collect, Detail, Done, Msg, OpenFailure, Opened, Options, PortError};
use crate::eval::background::BackgroundRun;
use crate::tui::config::Config;
use crate::tui::i18n::Lang;
use crate::tui::keymap::{Action, action_for};
use crate::tui::library::Library;
use crate::tui::play::{Mode, Notice, Phase, Play};
use crate::tui::runs::{FormKey, Live, RunForm, RunView, RunsList};
use crate::tui::theme::Theme;
use crate::tui::views::home::{Home, Pane};
use crate::tui::views::{self, Ctx};

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
    Play(Box<PlayScreen>),
    Detail(Box<Detail>),
    Runs(Box<RunsList>),
    Run(Box<RunView>),
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
        };
        (state, vec![Cmd::LoadSessions])
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

    /// A store error: in the status bar (the lists keep what they showed) and in the log.
    pub(super) fn store_failed(&mut self, e: &PortError) {
        tracing::warn!(error = %e, "session store");
        self.status = Some((format!("{}: {e}", self.lang.strings().store_error), true));
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
        match msg {
            Msg::Resize(w, h) => self.size = (w, h),
            Msg::Mouse(m) => self.mouse(m),
            Msg::Paste(text) => self.paste(&text),
            Msg::Tick => self.tick(),
            Msg::Signal(_) => self.quit = true,
            Msg::End(_) => {}
            Msg::Done(done) => self.done(*done),
            Msg::Key(key) => {
                if key.kind == KeyEventKind::Release {
                    return;
                }
                // While a step is being written, its screen waits (keys are not queued into a
                // screen that is about to change).
                if matches!(&self.screen, Screen::Play(p) if p.saving.is_some()) {
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
                        self.leave_play();
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
                    self.config.annotator = Some(name.clone());
                    self.ask(Cmd::SaveConfig(self.config.clone()));
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

    /// Start a session on library entry `entry`, asking for the annotator's name first if
    /// it is not known. The commands to run.
    pub(super) fn start_or_ask_name(&mut self, entry: usize, mode: Mode) -> Vec<Cmd> {
        if self.annotator.is_some() {
            self.start(entry, mode);
        } else {
            self.overlay = Some(Overlay::AskName {
                input: String::new(),
                then: Some((entry, mode)),
            });
        }
        std::mem::take(&mut self.out)
    }

    fn start(&mut self, entry: usize, mode: Mode) {
        self.ask(Cmd::Start {
            entry,
            mode,
            annotator: self.annotator.clone().unwrap_or_default(),
            training: self.training,
        });
    }

    /// A session opened (or not): show it.
    fn opened(&mut self, result: Result<Box<Opened>, OpenFailure>) {
        let s = self.lang.strings();
        match result {
            Ok(o) => {
                if o.resumed {
                    self.status = Some((s.resumed.to_owned(), false));
                }
                let Opened { play, title, .. } = *o;
                self.screen = Screen::Play(Box::new(PlayScreen {
                    play,
                    title,
                    saving: None,
                }));
            }
            Err(OpenFailure::Store(e)) => self.store_failed(&e),
            Err(OpenFailure::NotInLibrary(id)) => {
                self.status = Some((format!("{}: {id}", s.not_in_library), true));
            }
            Err(e) => {
                tracing::warn!(error = %e, "session not opened");
                self.status = Some((e.to_string(), true));
            }
        }
    }

    /// Back from the play screen to the library.
    fn leave_play(&mut self) {
        self.screen = Screen::Home;
        self.ask(Cmd::CloseSession);
        self.ask(Cmd::LoadSessions);
    }

    /// What a command did.
    fn done(&mut self, done: Done) {
        match done {
            Done::Sessions(Ok(rows)) => {
                self.home.session_selected =
                    self.home.session_selected.min(rows.len().saturating_sub(1));
                self.home.sessions = rows;
            }
            Done::Sessions(Err(e)) | Done::Detail(Err(e)) => self.store_failed(&e),
            Done::Detail(Ok(d)) => self.push_screen(Screen::Detail(Box::new(d))),
            Done::Opened(result) => self.opened(result),
            Done::Recorded(result) => self.recorded(result),
            Done::ConfigSaved(Ok(())) => {}
            Done::ConfigSaved(Err(e)) => {
                tracing::warn!(error = %e, "settings not saved");
                self.status = Some((e.to_string(), true));
            }
            Done::Runs { open, rows } => self.runs_loaded(open, rows),
            Done::RunData { run_id, open, data } => self.run_data_loaded(&run_id, open, data),
            Done::Launched { form, run } => self.launched(form, run),
        }
    }

    /// The step being saved was written: show it. Or it was not: stay where the screen was.
    fn recorded(&mut self, result: Result<(), crate::store::StoreError>) {
        let Screen::Play(p) = &mut self.screen else {
            return;
        };
        let Some((next, notice)) = p.saving.take() else {
            return;
        };
        match result {
            Ok(()) => {
                p.play = *next;
                self.after_step(notice);
            }
            Err(e) => {
                tracing::warn!(error = %e, "a step was not recorded");
                let s = self.lang.strings();
                self.status = Some((format!("{}: {e}", s.store_error), true));
            }
        }
    }

    /// Take a step on the play screen (Enter, reveal-all) on a copy of the session: a step
    /// that writes events is shown once they are stored; one that writes nothing at once.
    fn step(&mut self, action: Action) {
        let Screen::Play(p) = &mut self.screen else {
            return;
        };
        let mut next = p.play.clone();
        next.scroll = 0;
        let mut events = Collect::default();
        let notice = match action {
            Action::RevealAll => next.reveal_all(&mut events),
            _ => next.confirm(&mut events),
        };
        if events.0.is_empty() {
            p.play = next;
            self.after_step(notice);
        } else {
            p.saving = Some((Box::new(next), notice));
            self.ask(Cmd::Record(events.0));
        }
    }

    /// Tell the user what the step just shown did.
    fn after_step(&mut self, notice: Notice) {
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
                match action {
                    Action::Pick(n) => play.select(usize::from(n) - 1),
                    Action::Up if play.option_count() > 0 => play.move_selection(false),
                    Action::Down if play.option_count() > 0 => play.move_selection(true),
                    Action::Up => play.scroll += 1,
                    Action::Down => play.scroll = play.scroll.saturating_sub(1),
                    Action::PageUp => play.scroll += page,
                    Action::PageDown => play.scroll = play.scroll.saturating_sub(page),
                    Action::Confirm | Action::RevealAll => self.step(action),
                    Action::Back => {
                        if play.is_open() {
                            self.overlay = Some(Overlay::ConfirmQuit { to_home: true });
                        } else {
                            self.leave_play();
                        }
                    }
                    _ => {}
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
                        self.ask(Cmd::Resume(row.id));
                    } else {
                        self.ask(Cmd::LoadDetail(row.id));
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
