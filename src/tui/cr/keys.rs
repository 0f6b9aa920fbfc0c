//! The CR screen's keys: what each does where the screen is (the notice, a measure, typing,
//! tagging, a model writing, the handoff, a dialog, the end).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::chat::rateable;
use super::dialogs::{ChannelAction, Edit, Menu, MenuPick, RateDialog, Tagging};
use super::{CrOut, CrScreen, Dialog, KeyOutcome, Phase, Then, Waiting};
use crate::engine::cr::{Override, Speaker, TurnLabels};
use crate::session::{EventBody, Note, Rating};
use crate::tui::i18n::CR_NOTICE_NOTE;
use crate::tui::keymap::{Action, action_for};

impl CrScreen {
    /// Keys that work wherever the screen is (when no text is typed): scrolling, help, quit.
    fn common(&mut self, key: KeyEvent, page: usize, typing: bool) -> Option<KeyOutcome> {
        match (action_for(&key), key.code) {
            (_, KeyCode::PageUp) => self.scroll += page,
            (_, KeyCode::PageDown) => self.scroll = self.scroll.saturating_sub(page),
            (_, KeyCode::Esc) => return Some(KeyOutcome::Leave),
            (_, KeyCode::F(1)) => return Some(KeyOutcome::Help),
            (Some(Action::Quit), _) if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return Some(KeyOutcome::Quit);
            }
            (Some(Action::Help), _) if !typing => return Some(KeyOutcome::Help),
            (Some(Action::Quit), _) if !typing => return Some(KeyOutcome::Quit),
            (Some(Action::Up), _) if !typing => self.scroll += 1,
            (Some(Action::Down), _) if !typing => self.scroll = self.scroll.saturating_sub(1),
            (Some(Action::RateTurn), _) => self.open_rating(),
            (Some(Action::Override), _) if self.phase == Phase::Dialogue => {
                self.dialog = Some(Dialog::Override(Menu::Root { focus: 0 }));
            }
            _ => return None,
        }
        Some(KeyOutcome::Handled)
    }

    /// A key; `page` is the chat's height (for PgUp/PgDn).
    pub fn key(&mut self, key: KeyEvent, page: usize) -> KeyOutcome {
        if self.pending.is_some() {
            return KeyOutcome::Handled;
        }
        if key.code == KeyCode::F(1) {
            return KeyOutcome::Help;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return KeyOutcome::Quit;
        }
        if let Some(d) = self.dialog.take() {
            self.dialog_key(d, key);
            return KeyOutcome::Handled;
        }
        match self.phase.clone() {
            Phase::Notice => match key.code {
                KeyCode::Enter => {
                    let note = EventBody::Note(Note {
                        text: CR_NOTICE_NOTE.to_owned(),
                    });
                    self.step(None, vec![note], Then::Notice);
                    KeyOutcome::Handled
                }
                _ => self.common(key, page, false).unwrap_or(KeyOutcome::Handled),
            },
            Phase::Measure(mut input) => {
                let Some((measure, name)) = self.measure() else {
                    return KeyOutcome::Handled;
                };
                let measure = measure.clone();
                if key.code == KeyCode::Esc || key.modifiers.contains(KeyModifiers::CONTROL) {
                    return self.common(key, page, true).unwrap_or(KeyOutcome::Handled);
                }
                match input.key(key, &measure) {
                    Edit::Submit => match input.value(&measure) {
                        Some(v) => {
                            #[expect(clippy::cast_precision_loss, reason = "0–100 fits")]
                            let rating = EventBody::Rating(Rating {
                                name: name.clone(),
                                value: v as f64,
                                about_seq: None,
                                comment: None,
                                task: None,
                            });
                            self.step(None, vec![rating], Then::Measured(name));
                        }
                        None => {
                            let msg = self
                                .lang
                                .cr()
                                .measure_need
                                .replace("{min}", &measure.min.to_string())
                                .replace("{max}", &measure.max.to_string());
                            self.status(msg, true);
                        }
                    },
                    Edit::Stay | Edit::Close => self.phase = Phase::Measure(input),
                }
                KeyOutcome::Handled
            }
            Phase::Over => self.common(key, page, false).unwrap_or(KeyOutcome::Handled),
            Phase::Dialogue => self.dialogue_key(key, page),
        }
    }

    fn dialogue_key(&mut self, key: KeyEvent, page: usize) -> KeyOutcome {
        match self.waiting() {
            Waiting::Handoff => match key.code {
                KeyCode::Char('r') => self.clinician(None),
                KeyCode::Char('f') => self.clinician(Some(Override::Finish)),
                _ => return self.common(key, page, false).unwrap_or(KeyOutcome::Handled),
            },
            Waiting::Human(speaker) if self.tagging.is_some() => self.tagging_key(speaker, key),
            Waiting::Human(speaker) => {
                if let Some(o) = self.common(key, page, true) {
                    return o;
                }
                match action_for(&key) {
                    Some(Action::NewLine) => self.editor.insert_newline(),
                    Some(Action::Confirm) => self.send(speaker),
                    _ => {
                        self.editor.input(key);
                    }
                }
            }
            Waiting::Model(_) => match action_for(&key) {
                Some(Action::CancelTurn) => self.cancel_model(),
                Some(Action::Confirm) => {
                    if let Some(reply) = self.stream.as_mut().and_then(|s| s.retry.take()) {
                        self.take_model_turn(reply);
                    }
                }
                _ => return self.common(key, page, false).unwrap_or(KeyOutcome::Handled),
            },
            Waiting::Nothing => match action_for(&key) {
                // A start that could not be stored: Enter tries again.
                Some(Action::Confirm) => self.settle(),
                _ => return self.common(key, page, false).unwrap_or(KeyOutcome::Handled),
            },
        }
        KeyOutcome::Handled
    }

    /// Enter on a typed turn: a client's is taken; a therapist's goes to tagging first.
    fn send(&mut self, speaker: Speaker) {
        let text = self.editor.lines().join("\n").trim().to_owned();
        if text.is_empty() {
            let msg = self.lang.cr().empty_turn;
            self.status(msg, true);
            return;
        }
        match speaker {
            Speaker::Client => self.take_human_turn(speaker, text, None),
            Speaker::Therapist if self.protocol.all_strategies().next().is_none() => {
                self.take_human_turn(speaker, text, Some(TurnLabels::default()));
            }
            Speaker::Therapist => self.tagging = Some(Tagging::new(&text)),
        }
    }

    fn distortion_ids(&self) -> Vec<String> {
        self.protocol
            .distortions
            .iter()
            .map(|d| d.id.clone())
            .collect()
    }

    fn tagging_key(&mut self, speaker: Speaker, key: KeyEvent) {
        let ids = self.distortion_ids();
        let Some(mut t) = self.tagging.take() else {
            return;
        };
        if t.picker.is_some() {
            t.picker_key(key, &ids);
            self.tagging = Some(t);
            return;
        }
        match (action_for(&key), key.code) {
            (_, KeyCode::Esc) => return,
            (Some(Action::GoalMet), _) => t.goal_met = !t.goal_met,
            (Some(Action::Distortions), _) => t.picker = Some(0),
            (_, KeyCode::Up | KeyCode::Left) => t.move_focus(false),
            (_, KeyCode::Down | KeyCode::Right | KeyCode::Tab) => t.move_focus(true),
            (_, KeyCode::Backspace | KeyCode::Delete) => t.untag(),
            (_, KeyCode::Enter) => {
                let left = t.untagged();
                if left > 0 {
                    let msg = self.lang.cr().untagged.replace("{n}", &left.to_string());
                    self.status(msg, true);
                } else {
                    let labels = TurnLabels {
                        strategies: t.tags.iter().flatten().cloned().collect(),
                        stage_goal_met: t.goal_met.then_some(true),
                        distortions: t.distortions.clone(),
                    };
                    let text = t.text.clone();
                    self.tagging = Some(t);
                    self.take_human_turn(speaker, text, Some(labels));
                    return;
                }
            }
            (_, KeyCode::Char(c)) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                if let Some((_, s)) = self.protocol.strategy_by_key(c) {
                    t.tag(&s.id);
                }
            }
            _ => {}
        }
        self.tagging = Some(t);
    }

    fn open_rating(&mut self) {
        let items = self.protocol.rubric.items.len();
        if items == 0 {
            return;
        }
        let turns = match self.protocol.rubric.per {
            crate::script::cr::model::RubricScope::Turn => {
                let turns = rateable(&self.chat);
                if turns.is_empty() {
                    let msg = self.lang.cr().rate_none;
                    self.status(msg, true);
                    return;
                }
                turns
            }
            crate::script::cr::model::RubricScope::Dialogue => Vec::new(),
        };
        self.dialog = Some(Dialog::Rate(RateDialog::new(turns, items)));
    }

    /// The distortions of the channels open or in restructuring.
    #[must_use]
    pub fn live_channels(&self) -> Vec<String> {
        self.driver
            .machine()
            .channels()
            .iter()
            .filter(|c| c.status.is_live())
            .map(|c| c.distortion.clone())
            .collect()
    }

    fn dialog_key(&mut self, dialog: Dialog, key: KeyEvent) {
        match dialog {
            Dialog::Rate(mut r) => {
                if r.saving {
                    self.dialog = Some(Dialog::Rate(r));
                    return;
                }
                match r.key(key, &self.protocol.rubric.scale) {
                    Edit::Close => {}
                    Edit::Stay => self.dialog = Some(Dialog::Rate(r)),
                    Edit::Submit => {
                        #[expect(clippy::cast_precision_loss, reason = "Likert points fit")]
                        let ratings: Vec<(String, f64)> = self
                            .protocol
                            .rubric
                            .items
                            .iter()
                            .zip(&r.values)
                            .filter_map(|(item, v)| v.map(|v| (item.id.clone(), v as f64)))
                            .collect();
                        if ratings.is_empty() {
                            let msg = self.lang.cr().rate_need;
                            self.status(msg, true);
                        } else {
                            r.saving = true;
                            self.out.push(CrOut::Rate {
                                index: r.about(),
                                ratings,
                            });
                        }
                        self.dialog = Some(Dialog::Rate(r));
                    }
                }
            }
            Dialog::Override(mut menu) => {
                let stages: Vec<_> = self.protocol.stages().map(|s| s.id).collect();
                let pick = menu.key(
                    key,
                    stages.len(),
                    &self.distortion_ids(),
                    &self.live_channels(),
                );
                match pick {
                    MenuPick::Stay => self.dialog = Some(Dialog::Override(menu)),
                    MenuPick::Close => {}
                    MenuPick::Open(next) => {
                        if matches!(&next, Menu::Channels { action, options, .. }
                            if *action != ChannelAction::Open && options.is_empty())
                        {
                            let msg = self.lang.cr().no_live_channel;
                            self.status(msg, true);
                            self.dialog = Some(Dialog::Override(menu));
                        } else {
                            self.dialog = Some(Dialog::Override(next));
                        }
                    }
                    MenuPick::Stage(i) => {
                        if let Some(&id) = stages.get(i) {
                            self.clinician(Some(Override::SetStage(id.into())));
                        }
                    }
                    MenuPick::Channel(action, d) => self.clinician(Some(match action {
                        ChannelAction::Open => Override::OpenChannel(d),
                        ChannelAction::Close => Override::CloseChannel(d),
                        ChannelAction::Drop => Override::DropChannel(d),
                    })),
                    MenuPick::Finish => self.clinician(Some(Override::Finish)),
                }
            }
        }
    }
}
