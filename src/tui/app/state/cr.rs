//! The CR dialogue screen inside the app: its keys, what it asks for (steps to store, model
//! turns to ask, ratings), and the answers.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use super::{Overlay, Screen, State};
use crate::session::NewSession;
use crate::tui::app::{AgentEvent, Cmd, OpenFailure, PortError};
use crate::tui::cr::{CrOut, CrScreen, KeyOutcome, Phase, Waiting};
use crate::tui::i18n::Lang;
use crate::tui::keymap::Action;
use crate::tui::views::with_status;

impl State {
    /// The interface language.
    #[must_use]
    pub const fn lang(&self) -> Lang {
        self.lang
    }

    /// The CR screen, if it is shown.
    #[must_use]
    pub fn cr(&self) -> Option<&CrScreen> {
        match &self.screen {
            Screen::Cr(c) => Some(c),
            _ => None,
        }
    }

    /// A new CR session's record, with the screen it is played on.
    #[must_use]
    pub fn cr_session_context(&self, mut session: NewSession) -> NewSession {
        let (w, h) = self.size;
        if let Some(m) = session.meta.as_object_mut() {
            m.insert("terminal".into(), format!("{w}x{h}").into());
            m.insert("interface_lang".into(), self.lang.code().into());
            m.insert("theme".into(), self.theme.name.clone().into());
        }
        session
    }

    /// Show a CR screen (new, or `resumed`); the commands it asks for at once.
    pub fn show_cr(&mut self, screen: Box<CrScreen>, resumed: bool) -> Vec<Cmd> {
        self.overlay = None;
        self.screen = Screen::Cr(screen);
        if resumed {
            self.status = Some((self.lang.strings().resumed.to_owned(), false));
        }
        self.cr_outs();
        self.sync_cr();
        std::mem::take(&mut self.out)
    }

    /// Turn what the CR screen asked for into commands and status messages.
    fn cr_outs(&mut self) {
        let Screen::Cr(c) = &mut self.screen else {
            return;
        };
        for o in c.take_out() {
            match o {
                CrOut::Record(events) => self.out.push(Cmd::Record(events)),
                CrOut::Ask {
                    ticket,
                    speaker,
                    request,
                } => self.out.push(Cmd::AskModel {
                    ticket,
                    speaker,
                    request,
                }),
                CrOut::Cancel { ticket } => self.out.push(Cmd::CancelModel { ticket }),
                CrOut::Rate { index, ratings } => self.out.push(Cmd::Rate { index, ratings }),
                CrOut::Status(text, error) => {
                    if error {
                        tracing::warn!(message = %text, "CR screen");
                    }
                    self.status = Some((text, error));
                }
            }
        }
    }

    /// The chat's height now (a page for PgUp/PgDn).
    fn cr_page(&self) -> usize {
        let Screen::Cr(c) = &self.screen else {
            return 1;
        };
        let (w, h) = self.size;
        let (_, body, _) = with_status(Rect::new(0, 0, w, h));
        let (_, shown) = crate::tui::views::cr::chat_extent(&self.ctx(), c, body);
        shown.saturating_sub(1).max(1)
    }

    pub(super) fn cr_key(&mut self, key: KeyEvent) {
        let page = self.cr_page();
        let Screen::Cr(c) = &mut self.screen else {
            return;
        };
        let outcome = c.key(key, page);
        let open = c.is_open();
        self.cr_outs();
        match outcome {
            KeyOutcome::Handled => {}
            KeyOutcome::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            KeyOutcome::Quit => self.overlay = Some(Overlay::ConfirmQuit { to_home: false }),
            KeyOutcome::Leave if open => {
                self.overlay = Some(Overlay::ConfirmQuit { to_home: true });
            }
            KeyOutcome::Leave => self.leave_play(),
        }
    }

    pub(super) fn agent_event(&mut self, ticket: u64, event: AgentEvent) {
        let Screen::Cr(c) = &mut self.screen else {
            return;
        };
        match event {
            AgentEvent::Chunk(text) => c.chunk(ticket, &text),
            AgentEvent::Reply(reply) => c.model_reply(ticket, *reply),
        }
        self.cr_outs();
    }

    pub(super) fn cr_recorded(&mut self, result: Result<(), PortError>) {
        if let Err(e) = &result {
            tracing::warn!(error = %e, "a CR step was not recorded");
        }
        if let Screen::Cr(c) = &mut self.screen {
            c.recorded(result.map_err(|e| e.to_string()));
        }
        self.cr_outs();
    }

    pub(super) fn cr_rated(&mut self, result: Result<(), PortError>) {
        if let Screen::Cr(c) = &mut self.screen {
            c.rated(result.map_err(|e| e.to_string()));
        }
        self.cr_outs();
    }

    pub(super) fn cr_opened(&mut self, result: Result<Box<CrScreen>, OpenFailure>) {
        match result {
            Ok(screen) => {
                let cmds = self.show_cr(screen, true);
                self.out.extend(cmds);
            }
            Err(OpenFailure::Store(e)) => self.store_failed(&e),
            Err(e) => {
                tracing::warn!(error = %e, "CR dialogue not opened");
                self.status = Some((e.to_string(), true));
            }
        }
    }

    /// Keep the chat's scroll within its text (so a key back down moves at once).
    pub(super) fn sync_cr(&mut self) {
        let (w, h) = self.size;
        if w < super::MIN_WIDTH || h < super::MIN_HEIGHT {
            return;
        }
        let Screen::Cr(c) = &self.screen else {
            return;
        };
        let (_, body, _) = with_status(Rect::new(0, 0, w, h));
        let (total, shown) = crate::tui::views::cr::chat_extent(&self.ctx(), c, body);
        let max = total.saturating_sub(shown);
        if let Screen::Cr(c) = &mut self.screen {
            c.scroll = c.scroll.min(max);
        }
    }

    /// The status-bar hints of the CR screen where it is.
    pub(super) fn cr_hints(c: &CrScreen) -> Vec<Action> {
        match &c.phase {
            Phase::Notice => vec![Action::Confirm, Action::Back, Action::Quit],
            Phase::Measure(_) => vec![Action::Confirm, Action::Back],
            Phase::Over => vec![Action::RateTurn, Action::Back, Action::Quit],
            Phase::Dialogue => match c.waiting() {
                Waiting::Human(_) if c.tagging.is_some() => {
                    vec![
                        Action::Confirm,
                        Action::GoalMet,
                        Action::Distortions,
                        Action::Back,
                    ]
                }
                Waiting::Human(_) => vec![
                    Action::Confirm,
                    Action::NewLine,
                    Action::Override,
                    Action::RateTurn,
                    Action::Back,
                ],
                Waiting::Model(_) => vec![
                    Action::CancelTurn,
                    Action::Override,
                    Action::RateTurn,
                    Action::Back,
                ],
                Waiting::Handoff => vec![Action::Override, Action::RateTurn, Action::Back],
                Waiting::Nothing => vec![Action::Confirm, Action::Back],
            },
        }
    }
}
