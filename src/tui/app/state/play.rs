//! The play screen: a person's keys on a session, each step shown once it is stored.

use super::{Overlay, PlayScreen, Screen, State};
use crate::tui::app::{Cmd, Collect, OpenFailure, Opened};
use crate::tui::keymap::Action;
use crate::tui::play::Notice;

impl State {
    /// A key's action on the play screen.
    pub(super) fn play_action(&mut self, action: Action, page: usize) {
        let Screen::Play(p) = &mut self.screen else {
            return;
        };
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

    /// A session opened (or not): show it.
    pub(super) fn opened(&mut self, result: Result<Box<Opened>, OpenFailure>) {
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
    pub(super) fn leave_play(&mut self) {
        self.screen = Screen::Home;
        self.ask(Cmd::CloseSession);
        self.ask(Cmd::LoadSessions);
    }

    /// The step being saved was written: show it. Or it was not: stay where the screen was.
    pub(super) fn recorded(&mut self, result: Result<(), crate::store::StoreError>) {
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
    pub(super) fn step(&mut self, action: Action) {
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
    pub(super) fn after_step(&mut self, notice: Notice) {
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
