//! The app's model-run screens: starting a run from the library, the runs list, a run's view
//! with live progress, and going down to an episode's transcript.

use std::time::{Duration, Instant};

use super::{Overlay, Screen, State};
use crate::eval::background::{BackgroundRun, RunState};
use crate::eval::runner::StopReason;
use crate::eval::runs::RunInfo;
use crate::tui::app::{Cmd, LaunchError, PortError};
use crate::tui::keymap::Action;
use crate::tui::runs::{
    Live, REFRESH, RunData, RunForm, RunPane, RunView, RunsList, resume_command,
};

/// How often the loop sends [`super::Msg::Tick`] while a run is going.
pub const TICK: Duration = Duration::from_millis(250);

impl State {
    /// How long the loop may wait for input before sending a tick: while a model run started
    /// here is going, a few times a second; otherwise never (the screen only changes on input).
    #[must_use]
    pub fn tick_interval(&self) -> Option<Duration> {
        self.run.as_ref().filter(|r| r.running()).map(|_| TICK)
    }

    /// Whether a model run started here is going.
    #[must_use]
    pub fn run_going(&self) -> bool {
        self.run
            .as_ref()
            .is_some_and(crate::eval::background::BackgroundRun::running)
    }

    /// The id of the run started here, if any.
    #[must_use]
    pub fn run_id(&self) -> Option<&str> {
        self.run.as_ref().map(|r| r.run_id.as_str())
    }

    pub(super) fn push_screen(&mut self, screen: Screen) {
        let old = std::mem::replace(&mut self.screen, screen);
        self.back.push(old);
    }

    pub(super) fn go_back(&mut self) {
        let base = if self.queue.is_some() {
            Screen::Queue
        } else {
            Screen::Home
        };
        self.screen = self.back.pop().unwrap_or(base);
        match &mut self.screen {
            Screen::Home => self.ask(self.load_sessions()),
            Screen::Queue => self.reload_queue(),
            Screen::Runs(_) => self.ask(Cmd::LoadRuns { open: false }),
            Screen::Run(view) => view.seen = (usize::MAX, usize::MAX),
            Screen::Play(_) | Screen::Detail(_) | Screen::Cr(_) | Screen::Report(_) => {}
        }
    }

    pub(super) fn open_launch_form(&mut self) {
        if self.run_going() {
            self.status = Some((self.lang.strings().run_busy.to_owned(), true));
            return;
        }
        let visible = self.home.visible(&self.library);
        let selected = visible
            .get(self.home.selected)
            .and_then(|&i| self.library.entries.get(i))
            .map(|e| e.title.clone());
        let endpoint = self
            .config
            .endpoint
            .clone()
            .or_else(|| self.endpoint_env.clone());
        let form = RunForm::new(endpoint, self.config.model.clone(), visible.len(), selected);
        self.overlay = Some(Overlay::Launch(Box::new(form)));
    }

    pub(super) fn launch(&mut self, mut form: Box<RunForm>) {
        let values = match form.values() {
            Ok(v) => v,
            Err(e) => {
                form.error = Some(e.message(self.lang.strings()));
                self.overlay = Some(Overlay::Launch(form));
                return;
            }
        };
        let visible = self.home.visible(&self.library);
        let entries: Vec<usize> = if values.all_listed {
            visible
        } else {
            visible
                .get(self.home.selected)
                .copied()
                .into_iter()
                .collect()
        };
        self.config.endpoint = Some(values.endpoint.clone());
        self.config.model = Some(values.model.clone());
        self.ask(Cmd::SaveConfig(self.config.clone()));
        self.ask(Cmd::Launch {
            form,
            values,
            entries,
        });
    }

    /// A run started from the form (or not: the form comes back with the reason).
    pub(super) fn launched(
        &mut self,
        mut form: Box<RunForm>,
        run: Result<BackgroundRun, LaunchError>,
    ) {
        let s = self.lang.strings();
        match run {
            Ok(run) => {
                let id = run.run_id.clone();
                if let Some(old) = self.run.replace(run) {
                    self.ask(Cmd::Dispose(old));
                }
                self.status = Some((format!("{}: {id}", s.started_run), false));
                self.ask(Cmd::LoadRunData {
                    run_id: id.to_string(),
                    open: true,
                });
            }
            Err(LaunchError::NoTrees) => {
                form.error = Some(s.no_trees.to_owned());
                self.overlay = Some(Overlay::Launch(form));
            }
            Err(LaunchError::Port(e)) => {
                tracing::warn!(error = %e, "model run did not start");
                form.error = Some(e.to_string());
                self.overlay = Some(Overlay::Launch(form));
            }
        }
    }

    pub(super) fn open_runs(&mut self) {
        self.ask(Cmd::LoadRuns { open: true });
    }

    /// The runs list read back: opened, or the list on screen refreshed.
    pub(super) fn runs_loaded(&mut self, open: bool, rows: Result<Vec<RunInfo>, PortError>) {
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => {
                self.store_failed(&e);
                return;
            }
        };
        if open {
            self.push_screen(Screen::Runs(Box::new(RunsList { rows, selected: 0 })));
        } else if let Screen::Runs(list) = &mut self.screen {
            list.rows = rows;
            list.selected = list.selected.min(list.rows.len().saturating_sub(1));
        }
    }

    /// A run read back: its screen opened (even when the store failed, the live state shows),
    /// or the run on screen refreshed.
    pub(super) fn run_data_loaded(
        &mut self,
        run_id: &str,
        open: bool,
        data: Result<RunData, PortError>,
    ) {
        let data = match data {
            Ok(data) => Some(data),
            Err(e) => {
                self.store_failed(&e);
                None
            }
        };
        if open {
            let mut view = RunView::new(run_id.to_owned(), data.unwrap_or_default(), Live::Stored);
            self.update_live(&mut view);
            self.push_screen(Screen::Run(Box::new(view)));
            return;
        }
        if let (Screen::Run(view), Some(mut data)) = (&mut self.screen, data)
            && *view.run_id == *run_id
        {
            if data.settings.is_none() {
                data.settings = view.data.settings.take();
            }
            view.data = data;
            view.selected = view
                .selected
                .min(view.data.episodes.len().saturating_sub(1));
        }
    }

    /// The live state of `view` from the run started here, if it is that run.
    fn update_live(&mut self, view: &mut RunView) {
        let s = self.lang.strings();
        let Some(run) = self.run.as_mut().filter(|r| *r.run_id == *view.run_id) else {
            return;
        };
        if view.data.settings.is_none() {
            view.data.settings = Some(run.settings.clone());
        }
        let snapshot = run.snapshot();
        let stopping = run.stopping();
        let last_error = run.last_error();
        let endpoint = self
            .config
            .endpoint
            .clone()
            .unwrap_or_else(|| "URL".to_owned());
        view.live = match run.poll() {
            RunState::Running => Live::Running {
                snapshot,
                stopping,
                last_error,
            },
            RunState::Done(Ok(outcome)) => {
                let resume = || {
                    Some(resume_command(
                        view.data.settings.as_ref(),
                        &view.run_id,
                        &endpoint,
                    ))
                };
                match outcome.stop {
                    None => Live::Ended {
                        snapshot: outcome.progress,
                        line: format!(
                            "{}: {}/{}",
                            s.run_done, outcome.tally.finished, outcome.tally.slots
                        ),
                        resume: None,
                        error: outcome.tally.failed > 0,
                    },
                    Some(StopReason::Interrupted) => Live::Ended {
                        snapshot: outcome.progress,
                        line: s.run_interrupted.to_owned(),
                        resume: resume(),
                        error: false,
                    },
                    Some(StopReason::EndpointFailing { .. }) => Live::Ended {
                        snapshot: outcome.progress,
                        line: format!(
                            "{} ({})",
                            s.run_endpoint_failing,
                            outcome.last_error.as_deref().unwrap_or("?")
                        ),
                        resume: resume(),
                        error: true,
                    },
                }
            }
            RunState::Done(Err(e)) => Live::Ended {
                snapshot,
                line: format!("{}: {e}", s.run_error),
                resume: None,
                error: true,
            },
        };
    }

    /// Time passed: collect a run that ended, and refresh the run on screen when its counters
    /// moved (at most every [`REFRESH`]).
    pub(super) fn tick(&mut self) {
        let ended_now = match &mut self.run {
            Some(r) if r.running() => !matches!(r.poll(), RunState::Running),
            _ => false,
        };
        if ended_now && let Some(r) = &self.run {
            let s = self.lang.strings();
            self.status = Some((format!("{}: {}", s.run_done, r.run_id), false));
        }
        let mut screen = std::mem::replace(&mut self.screen, Screen::Home);
        match &mut screen {
            Screen::Run(view) => {
                let was_live = !matches!(view.live, Live::Stored | Live::Ended { .. });
                self.update_live(view);
                let counters = match &view.live {
                    Live::Running { snapshot, .. } | Live::Ended { snapshot, .. } => {
                        (snapshot.done + snapshot.abandoned, snapshot.calls)
                    }
                    Live::Stored => (0, 0),
                };
                let due = view.refreshed.elapsed() >= REFRESH;
                // The last reading after the run ends is never skipped.
                let just_ended = was_live && matches!(view.live, Live::Ended { .. });
                if (counters != view.seen && due) || just_ended {
                    self.ask(Cmd::LoadRunData {
                        run_id: view.run_id.clone(),
                        open: false,
                    });
                    view.seen = counters;
                    view.refreshed = Instant::now();
                }
            }
            Screen::Runs(_) if ended_now => self.ask(Cmd::LoadRuns { open: false }),
            Screen::Runs(_)
            | Screen::Home
            | Screen::Queue
            | Screen::Play(_)
            | Screen::Detail(_)
            | Screen::Cr(_)
            | Screen::Report(_) => {}
        }
        self.screen = screen;
    }

    pub(super) fn runs_action(&mut self, action: Action) {
        let page = self.page();
        let mut open: Option<String> = None;
        let mut detail: Option<String> = None;
        let mut back = false;
        match &mut self.screen {
            Screen::Runs(list) => match action {
                Action::Up => list.selected = list.selected.saturating_sub(1),
                Action::Down => {
                    list.selected = (list.selected + 1).min(list.rows.len().saturating_sub(1));
                }
                Action::PageUp => list.selected = list.selected.saturating_sub(page),
                Action::PageDown => {
                    list.selected = (list.selected + page).min(list.rows.len().saturating_sub(1));
                }
                Action::Top => list.selected = 0,
                Action::Bottom => list.selected = list.rows.len().saturating_sub(1),
                Action::Confirm => open = list.rows.get(list.selected).map(|r| r.id.clone()),
                Action::Back => back = true,
                _ => {}
            },
            Screen::Run(view) => match (action, view.pane) {
                (Action::SwitchPane, _) => {
                    view.pane = match view.pane {
                        RunPane::Episodes => RunPane::Results,
                        RunPane::Results => RunPane::Episodes,
                    };
                }
                (Action::Up, RunPane::Episodes) => view.selected = view.selected.saturating_sub(1),
                (Action::Down, RunPane::Episodes) => {
                    view.selected =
                        (view.selected + 1).min(view.data.episodes.len().saturating_sub(1));
                }
                (Action::PageUp, RunPane::Episodes) => {
                    view.selected = view.selected.saturating_sub(page);
                }
                (Action::PageDown, RunPane::Episodes) => {
                    view.selected =
                        (view.selected + page).min(view.data.episodes.len().saturating_sub(1));
                }
                (Action::Top, RunPane::Episodes) => view.selected = 0,
                (Action::Bottom, RunPane::Episodes) => {
                    view.selected = view.data.episodes.len().saturating_sub(1);
                }
                (Action::Top, RunPane::Results) => view.results_scroll = 0,
                (Action::Up, RunPane::Results) => {
                    view.results_scroll = view.results_scroll.saturating_sub(1);
                }
                (Action::Down, RunPane::Results) => view.results_scroll += 1,
                (Action::PageUp, RunPane::Results) => {
                    view.results_scroll = view.results_scroll.saturating_sub(page);
                }
                (Action::PageDown, RunPane::Results) => view.results_scroll += page,
                (Action::Confirm, _) => {
                    detail = view
                        .data
                        .episodes
                        .get(view.selected)
                        .map(|e| e.session.clone());
                }
                (Action::StopRun, _) => match self.run.as_ref() {
                    Some(r) if *r.run_id == *view.run_id && r.running() => {
                        r.stop();
                    }
                    _ => {
                        self.status = Some((self.lang.strings().not_running.to_owned(), true));
                    }
                },
                (Action::Back, _) => back = true,
                _ => {}
            },
            _ => {}
        }
        if back {
            self.go_back();
        }
        if let Some(run_id) = open {
            self.ask(Cmd::LoadRunData { run_id, open: true });
        }
        if let Some(id) = detail {
            self.ask(Cmd::LoadDetail(id));
        }
        if matches!(action, Action::StopRun) {
            self.tick();
        }
    }
}
