//! The dialogs over any screen: help, the quit question, the annotator's name, the mode
//! chooser and the model-run form.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;

use super::{Overlay, State};
use crate::tui::app::Cmd;
use crate::tui::keymap::{Action, action_for};
use crate::tui::play::Mode;
use crate::tui::runs::FormKey;
use crate::tui::views::{self, Ctx};

impl State {
    pub(super) fn overlay_key(&mut self, key: KeyEvent) {
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
            // Leaving a session (Esc) and quitting socius (q) ask different questions; in
            // both, y or Enter says yes and n or Esc says no. q a second time quits.
            Overlay::ConfirmQuit { to_home } => match key.code {
                KeyCode::Char('q') if !to_home => self.quit_now("quit"),
                KeyCode::Char('y' | 'Y') | KeyCode::Enter => {
                    if to_home {
                        self.leave_play();
                    } else {
                        self.quit_now("quit");
                    }
                }
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.quit_now("quit");
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
            Overlay::ConfirmAbandon { id } => match key.code {
                KeyCode::Char('y' | 'Y') => self.ask(Cmd::Abandon(id)),
                KeyCode::Char('n' | 'N') | KeyCode::Esc => {}
                _ => self.overlay = Some(Overlay::ConfirmAbandon { id }),
            },
            Overlay::OfferResume { id, entry, mode } => match key.code {
                KeyCode::Char('y' | 'Y' | 'r') | KeyCode::Enter => self.ask(Cmd::Resume(id)),
                KeyCode::Char('n' | 'N') => self.start_session(entry, mode, true),
                KeyCode::Esc => {}
                _ => self.overlay = Some(Overlay::OfferResume { id, entry, mode }),
            },
            Overlay::Launch(mut form) => match form.key(key) {
                FormKey::Cancel => {}
                FormKey::Stay => self.overlay = Some(Overlay::Launch(form)),
                FormKey::Submit => self.launch(form),
            },
        }
    }

    pub(super) fn draw_overlay(&self, frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>) {
        let t = ctx.theme;
        let s = ctx.s;
        match &self.overlay {
            None => {}
            // Help may use the whole screen, header and status bar included.
            Some(Overlay::Help { scroll }) => {
                views::help::render(frame, frame.area(), ctx, *scroll);
            }
            Some(Overlay::ConfirmQuit { to_home }) => {
                let (title, question, keys) = if *to_home {
                    let question = if self.queue.is_some() {
                        ctx.lang.queue_strings().leave_confirm
                    } else {
                        s.leave_confirm
                    };
                    (s.leave_title, question, s.leave_keys)
                } else if self.run_going() {
                    (s.quit_title, s.run_quit_confirm, s.yes_no)
                } else {
                    (s.quit_title, s.quit_confirm, s.yes_no)
                };
                views::popup(
                    frame,
                    area,
                    ctx,
                    title,
                    &[
                        (question.to_owned(), t.text),
                        (String::new(), t.text),
                        (keys.to_owned(), t.accent),
                    ],
                    50,
                );
            }
            Some(Overlay::Launch(form)) => views::runs::render_form(frame, area, ctx, form),
            Some(Overlay::ConfirmAbandon { .. }) => views::popup(
                frame,
                area,
                ctx,
                s.abandon_title,
                &[
                    (s.abandon_confirm.to_owned(), t.text),
                    (String::new(), t.text),
                    (s.abandon_keys.to_owned(), t.accent),
                ],
                50,
            ),
            Some(Overlay::OfferResume { entry, .. }) => {
                let title = self
                    .library
                    .entries
                    .get(*entry)
                    .map_or("", |e| e.title.as_str());
                views::popup(
                    frame,
                    area,
                    ctx,
                    s.resume_title,
                    &[
                        (title.to_owned(), t.heading),
                        (s.resume_offer.to_owned(), t.text),
                        (String::new(), t.text),
                        (s.resume_keys.to_owned(), t.accent),
                    ],
                    56,
                );
            }
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
                let e = self.library.entries.get(*entry);
                let title = e.map_or("", |e| e.title.as_str());
                let mut body = vec![(title.to_owned(), t.heading)];
                if e.is_some_and(|e| e.not_text) {
                    body.push((format!("⚠ {}", s.not_text_warning), t.warning));
                }
                body.extend([
                    (format!("1. {}", s.mode_gae), t.text),
                    (format!("2. {}", s.mode_iae), t.text),
                    (format!("3. {}", s.mode_both), t.text),
                ]);
                views::popup(frame, area, ctx, s.choose_mode, &body, 56);
            }
        }
    }
}
