//! The app's model-run screens: starting a run from the library, the runs list, a run's view
//! with live progress, and going down to an episode's transcript.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{App, Overlay, Screen};
use crate::eval::background::RunState;
use crate::eval::runner::StopReason;
use crate::eval::{EvalKind, EvalTree};
use crate::tui::config::Config;
use crate::tui::keymap::Action;
use crate::tui::runs::RunData;
use crate::tui::runs::{
    FormValues, LaunchRequest, Live, REFRESH, RunForm, RunPane, RunView, RunsList, resume_command,
};

/// How often the loop sends [`super::Msg::Tick`] while a run is going.
pub const TICK: Duration = Duration::from_millis(250);

impl App {
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

    /// Wait up to `timeout` for the run started here to end, then update the screens as a
    /// tick would. Returns whether it has ended. (Tests synchronise on this instead of
    /// sleeping; the loop never blocks on it.)
    pub fn wait_run(&mut self, timeout: Duration) -> bool {
        let ended = match &mut self.run {
            Some(r) => !matches!(r.wait(timeout), RunState::Running),
            None => true,
        };
        self.tick();
        ended
    }

    /// Stop the run started here and wait until its running episodes are closed. Returns the
    /// run's id when it was still going.
    pub fn stop_run(&mut self) -> Option<String> {
        let run = self.run.take()?;
        let going = run.running();
        let id = run.run_id.clone();
        drop(run);
        going.then(|| id.to_string())
    }

    pub(super) fn push_screen(&mut self, screen: Screen) {
        let old = std::mem::replace(&mut self.screen, screen);
        self.back.push(old);
    }

    pub(super) fn go_back(&mut self) {
        self.screen = self.back.pop().unwrap_or(Screen::Home);
        match &mut self.screen {
            Screen::Home => self.refresh_sessions(),
            Screen::Runs(list) => match self.port.runs() {
                Ok(rows) => {
                    list.rows = rows;
                    list.selected = list.selected.min(list.rows.len().saturating_sub(1));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "session store");
                    self.status = Some((format!("{}: {e}", self.lang.strings().store_error), true));
                }
            },
            Screen::Run(view) => view.seen = (usize::MAX, usize::MAX),
            Screen::Play(_) | Screen::Detail(_) => {}
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
        let config = self
            .config_dir
            .as_deref()
            .and_then(|d| Config::load(d).ok())
            .unwrap_or_default();
        let endpoint = config.endpoint.or_else(|| {
            std::env::var("SOCIUS_ENDPOINT")
                .ok()
                .filter(|v| !v.is_empty())
        });
        let form = RunForm::new(endpoint, config.model, visible.len(), selected);
        self.overlay = Some(Overlay::Launch(Box::new(form)));
    }

    /// The trees the form asks for: playable world trees the protocol walks (with IAE items
    /// for IAE), each id once.
    fn trees_for(&self, v: &FormValues) -> Vec<EvalTree> {
        let visible = self.home.visible(&self.library);
        let picked: Vec<usize> = if v.all_listed {
            visible
        } else {
            visible
                .get(self.home.selected)
                .copied()
                .into_iter()
                .collect()
        };
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for i in picked {
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

    pub(super) fn launch(&mut self, mut form: Box<RunForm>) {
        let s = self.lang.strings();
        let values = match form.values(s) {
            Ok(v) => v,
            Err(e) => {
                form.error = Some(e);
                self.overlay = Some(Overlay::Launch(form));
                return;
            }
        };
        let trees = self.trees_for(&values);
        if trees.is_empty() {
            form.error = Some(s.no_trees.to_owned());
            self.overlay = Some(Overlay::Launch(form));
            return;
        }
        if let Some(dir) = &self.config_dir {
            let mut config = Config::load(dir).unwrap_or_default();
            config.endpoint = Some(values.endpoint.clone());
            config.model = Some(values.model.clone());
            if let Err(e) = config.save(dir) {
                self.status = Some((e.to_string(), true));
            }
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
        match self.port.launch(req) {
            Ok(run) => {
                let id = run.run_id.clone();
                self.run = Some(run);
                self.status = Some((format!("{}: {id}", s.started_run), false));
                self.open_run(id.to_string());
            }
            Err(e) => {
                tracing::warn!(error = %e, "model run did not start");
                form.error = Some(e.to_string());
                self.overlay = Some(Overlay::Launch(form));
            }
        }
    }

    pub(super) fn open_runs(&mut self) {
        let rows = match self.port.runs() {
            Ok(rows) => rows,
            Err(e) => {
                self.store_failed(&e);
                return;
            }
        };
        self.push_screen(Screen::Runs(Box::new(RunsList { rows, selected: 0 })));
    }

    fn open_run(&mut self, run_id: String) {
        let data = match self.port.run_data(&run_id) {
            Ok(data) => data,
            Err(e) => {
                self.store_failed(&e);
                RunData::default()
            }
        };
        let mut view = RunView::new(run_id, data, Live::Stored);
        self.update_live(&mut view);
        self.push_screen(Screen::Run(Box::new(view)));
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
            .config_dir
            .as_deref()
            .and_then(|d| Config::load(d).ok())
            .and_then(|c| c.endpoint)
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
                    if let Ok(mut data) = self.port.run_data(&view.run_id) {
                        if data.settings.is_none() {
                            data.settings = view.data.settings.take();
                        }
                        view.data = data;
                    }
                    view.seen = counters;
                    view.refreshed = Instant::now();
                    view.selected = view
                        .selected
                        .min(view.data.episodes.len().saturating_sub(1));
                }
            }
            Screen::Runs(list) if ended_now => {
                if let Ok(rows) = self.port.runs() {
                    list.rows = rows;
                }
            }
            Screen::Runs(_) | Screen::Home | Screen::Play(_) | Screen::Detail(_) => {}
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
        if let Some(id) = open {
            self.open_run(id);
        }
        if let Some(id) = detail {
            match self.port.detail(&id) {
                Ok(d) => self.push_screen(Screen::Detail(Box::new(d))),
                Err(e) => self.store_failed(&e),
            }
        }
        if matches!(action, Action::StopRun) {
            self.tick();
        }
    }
}
