//! The home screen: the library (search, filters, starting a session) and the sessions list.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Overlay, State};
use crate::tui::app::Cmd;
use crate::tui::keymap::Action;
use crate::tui::play::Mode;
use crate::tui::views::home::Pane;

impl State {
    pub(super) fn search_key(&mut self, key: KeyEvent) {
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

    pub(super) fn home_action(&mut self, action: Action) {
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
            (Action::Top, Pane::Library) => home.selected = 0,
            (Action::Bottom, Pane::Library) => home.selected = visible.len().saturating_sub(1),
            (Action::Top, Pane::Sessions) => home.session_selected = 0,
            (Action::Bottom, Pane::Sessions) => {
                home.session_selected = home.sessions.len().saturating_sub(1);
            }
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
            (Action::Report, _) => self.open_report(),
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
            (Action::Abandon, Pane::Sessions) => {
                if let Some(row) = home.sessions.get(home.session_selected)
                    && row.in_progress
                {
                    self.overlay = Some(Overlay::ConfirmAbandon { id: row.id.clone() });
                }
            }
            (Action::Confirm, Pane::Sessions) => {
                if let Some(row) = home.sessions.get(home.session_selected).cloned() {
                    if row.in_progress && row.mode == "cr" {
                        self.ask(Cmd::ResumeCr {
                            id: row.id,
                            lang: self.lang,
                        });
                    } else if row.in_progress {
                        self.ask(Cmd::Resume(row.id));
                    } else {
                        self.ask(Cmd::LoadDetail(row.id));
                    }
                }
            }
            _ => {}
        }
    }

    /// Start a session on library entry `entry`, asking for the annotator's name first if
    /// it is not known. The commands to run.
    pub(in crate::tui::app) fn start_or_ask_name(&mut self, entry: usize, mode: Mode) -> Vec<Cmd> {
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

    pub(super) fn start(&mut self, entry: usize, mode: Mode) {
        self.start_session(entry, mode, false);
    }

    /// What a session records about the screen it is played on.
    pub(super) fn play_context(&self) -> serde_json::Map<String, serde_json::Value> {
        let (w, h) = self.size;
        let mut context = serde_json::Map::new();
        context.insert("terminal".into(), format!("{w}x{h}").into());
        context.insert("interface_lang".into(), self.lang.code().into());
        context.insert("theme".into(), self.theme.name.clone().into());
        context
    }

    /// Open a session on `entry`; `fresh` skips the offer to resume one in progress.
    pub(super) fn start_session(&mut self, entry: usize, mode: Mode, fresh: bool) {
        let context = self.play_context();
        self.ask(Cmd::Start {
            entry,
            mode,
            annotator: self.annotator.clone().unwrap_or_default(),
            training: self.training,
            fresh,
            context,
            seed: None,
        });
    }
}
