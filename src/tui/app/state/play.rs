//! The play screen: a person's keys on a session, each step shown once it is stored.

use ratatui::layout::Rect;

use super::{Overlay, PlayScreen, Screen, State};
use crate::tui::app::{Cmd, Collect, OpenFailure, Opened};
use crate::tui::keymap::Action;
use crate::tui::play::Notice;
use crate::tui::views::play::{Geometry, geometry, scroll_to_option};
use crate::tui::views::with_status;

impl State {
    /// Where the play screen's parts are at the current size (`None`: no play screen, or a
    /// terminal too small to show it).
    pub(super) fn play_geometry(&self) -> Option<Geometry> {
        let Screen::Play(p) = &self.screen else {
            return None;
        };
        let (w, h) = self.size;
        if w < super::MIN_WIDTH || h < super::MIN_HEIGHT {
            return None;
        }
        let (_, body, _) = with_status(Rect::new(0, 0, w, h));
        Some(geometry(&self.ctx(), &p.play, body))
    }

    /// After every message on the play screen: keep the scrolls in range, and tell the session
    /// how its options have been seen (the clock starts once the last one was on screen).
    pub(super) fn sync_play(&mut self) {
        let Some(g) = self.play_geometry() else {
            return;
        };
        let covered = self.overlay.is_some();
        let Screen::Play(p) = &mut self.screen else {
            return;
        };
        let play = &mut p.play;
        play.scroll = play.scroll.min(g.max_text_scroll());
        play.options_scroll = play.options_scroll.min(g.max_options_scroll());
        if g.options.is_some() && !covered {
            play.saw_options(
                g.options_overflow(),
                g.last_option_visible(play.options_scroll),
            );
        }
    }

    /// A key's action on the play screen.
    pub(super) fn play_action(&mut self, action: Action, page: usize) {
        let g = self.play_geometry();
        let in_queue = self.queue.is_some();
        let Screen::Play(p) = &mut self.screen else {
            return;
        };
        let play = &mut p.play;
        let overflow = g.as_ref().is_some_and(Geometry::options_overflow);
        let options_page = g
            .as_ref()
            .map_or(1, |g| g.options_height().saturating_sub(1).max(1));
        let follow = |play: &mut crate::tui::play::Play| {
            if let (Some(g), Some(sel)) = (&g, play.selected()) {
                play.options_scroll = scroll_to_option(g, play.options_scroll, sel);
            }
        };
        match action {
            Action::Pick(n) => {
                play.select(usize::from(n) - 1);
                follow(play);
            }
            Action::Up if play.option_count() > 0 => {
                play.move_selection(false);
                follow(play);
            }
            Action::Down if play.option_count() > 0 => {
                play.move_selection(true);
                follow(play);
            }
            Action::Up => play.scroll += 1,
            Action::Down => play.scroll = play.scroll.saturating_sub(1),
            // Options that do not fit scroll first; the story otherwise.
            Action::PageDown if overflow => play.options_scroll += options_page,
            Action::PageUp if overflow && play.options_scroll > 0 => {
                play.options_scroll = play.options_scroll.saturating_sub(options_page);
            }
            Action::Top => play.scroll = usize::MAX / 4,
            Action::Bottom => play.scroll = 0,
            Action::PageUp => play.scroll += page,
            Action::PageDown => play.scroll = play.scroll.saturating_sub(page),
            // From a study queue, Enter on the ending goes on to the queue.
            Action::Confirm if in_queue && play.ended() => self.leave_play(),
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
                if o.not_text {
                    self.status = Some((format!("⚠ {}", s.not_text_warning), true));
                }
                let Opened {
                    mut play, title, ..
                } = *o;
                play.from_queue = self.queue.is_some();
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

    /// Back from the play screen to the library (or the study queue it was opened from).
    pub(super) fn leave_play(&mut self) {
        if self.session_open() {
            self.ask(Cmd::Pause("left"));
        }
        self.ask(Cmd::CloseSession);
        if self.queue.is_some() {
            // Played from a study queue: back to it, its states read again.
            self.screen = Screen::Queue;
            self.reload_queue();
        } else {
            self.screen = Screen::Home;
            self.ask(self.load_sessions());
        }
    }

    /// The step being saved was written: show it. Or it was not: stay where the screen was.
    pub(super) fn recorded(&mut self, result: Result<(), crate::tui::app::PortError>) {
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
