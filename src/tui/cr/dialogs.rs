//! The CR screen's small editors: a pre/post measure, the strategy tags of a therapist turn
//! (with its goal and distortions), a turn's rubric ratings, and the clinician's override menu.
//! Each takes keys and says what they ask for; the screen turns that into steps.

use crossterm::event::{KeyCode, KeyEvent};

use super::text::sentences;
use crate::script::cr::model::{Measure, Scale};

/// The number typed for a measure (0–100 by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasureInput {
    /// After the dialogue (`_post`), else before (`_pre`).
    pub post: bool,
    /// The measure's place in the protocol's list.
    pub index: usize,
    pub input: String,
}

/// What a key did to an editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Nothing, or an edit in place.
    Stay,
    /// Enter: the editor's value is asked for.
    Submit,
    /// Esc: close it.
    Close,
}

impl MeasureInput {
    #[must_use]
    pub const fn new(post: bool, index: usize) -> Self {
        Self {
            post,
            index,
            input: String::new(),
        }
    }

    /// The value typed, if it is a number within the measure's range.
    #[must_use]
    pub fn value(&self, m: &Measure) -> Option<i64> {
        self.input
            .parse::<i64>()
            .ok()
            .filter(|v| (m.min..=m.max).contains(v))
    }

    /// The step of ←→: a twentieth of the range (5 on 0–100), at least 1.
    fn step(m: &Measure) -> i64 {
        ((m.max - m.min) / 20).max(1)
    }

    pub fn key(&mut self, key: KeyEvent, m: &Measure) -> Edit {
        match key.code {
            KeyCode::Char(c) if c.is_ascii_digit() => {
                if self.input.len() < 6 {
                    self.input.push(c);
                }
                // A leading zero goes (so `05` reads as 5).
                if self.input.len() > 1 && self.input.starts_with('0') {
                    self.input.remove(0);
                }
            }
            KeyCode::Backspace => {
                self.input.pop();
            }
            KeyCode::Left | KeyCode::Down | KeyCode::Right | KeyCode::Up => {
                let up = matches!(key.code, KeyCode::Right | KeyCode::Up);
                let now = self
                    .input
                    .parse::<i64>()
                    .ok()
                    .map_or((m.min + m.max) / 2, |v| {
                        if up {
                            v + Self::step(m)
                        } else {
                            v - Self::step(m)
                        }
                    });
                self.input = now.clamp(m.min, m.max).to_string();
            }
            KeyCode::Enter => return Edit::Submit,
            KeyCode::Esc => return Edit::Close,
            _ => {}
        }
        Edit::Stay
    }
}

/// A human therapist's turn being tagged: one strategy per sentence, the stage's goal, the
/// distortions found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagging {
    pub text: String,
    pub sentences: Vec<String>,
    /// Strategy ids, per sentence.
    pub tags: Vec<Option<String>>,
    pub focus: usize,
    pub goal_met: bool,
    /// Distortion ids, in catalogue order.
    pub distortions: Vec<String>,
    /// The distortion picker, open at this row of the catalogue.
    pub picker: Option<usize>,
}

impl Tagging {
    #[must_use]
    pub fn new(text: &str) -> Self {
        let mut sentences = sentences(text);
        if sentences.is_empty() {
            sentences.push(text.trim().to_owned());
        }
        Self {
            text: text.trim().to_owned(),
            tags: vec![None; sentences.len()],
            sentences,
            focus: 0,
            goal_met: false,
            distortions: Vec::new(),
            picker: None,
        }
    }

    /// Sentences still without a strategy.
    #[must_use]
    pub fn untagged(&self) -> usize {
        self.tags.iter().filter(|t| t.is_none()).count()
    }

    /// Tag the sentence in focus and move on to the next untagged one.
    pub fn tag(&mut self, strategy: &str) {
        if let Some(t) = self.tags.get_mut(self.focus) {
            *t = Some(strategy.to_owned());
        }
        let n = self.tags.len();
        if let Some(next) = (1..=n)
            .map(|k| (self.focus + k) % n)
            .find(|&i| self.tags[i].is_none())
        {
            self.focus = next;
        }
    }

    pub fn untag(&mut self) {
        if let Some(t) = self.tags.get_mut(self.focus) {
            *t = None;
        }
    }

    pub fn move_focus(&mut self, down: bool) {
        let last = self.tags.len().saturating_sub(1);
        self.focus = if down {
            (self.focus + 1).min(last)
        } else {
            self.focus.saturating_sub(1)
        };
    }

    /// Toggle a distortion (kept in catalogue order, by `order`).
    pub fn toggle_distortion(&mut self, id: &str, order: &[String]) {
        if let Some(i) = self.distortions.iter().position(|d| d == id) {
            self.distortions.remove(i);
        } else {
            self.distortions.push(id.to_owned());
            self.distortions
                .sort_by_key(|d| order.iter().position(|o| o == d).unwrap_or(usize::MAX));
        }
    }

    /// A key in the distortion picker (`ids`: the catalogue).
    pub fn picker_key(&mut self, key: KeyEvent, ids: &[String]) {
        let Some(row) = self.picker else {
            return;
        };
        let last = ids.len().saturating_sub(1);
        match key.code {
            KeyCode::Up => self.picker = Some(row.saturating_sub(1)),
            KeyCode::Down => self.picker = Some((row + 1).min(last)),
            KeyCode::Char(' ') => {
                if let Some(id) = ids.get(row) {
                    self.toggle_distortion(id, ids);
                }
            }
            KeyCode::Enter | KeyCode::Esc => self.picker = None,
            _ => {}
        }
    }
}

/// Ratings being given on the rubric: of one therapist turn (chosen among `turns`), or of the
/// whole dialogue when the rubric is per dialogue (`turns` empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateDialog {
    /// The indices of the turns that can be rated.
    pub turns: Vec<u32>,
    /// The chosen one (a position in `turns`).
    pub turn: usize,
    /// The item in focus.
    pub item: usize,
    /// Per rubric item.
    pub values: Vec<Option<i64>>,
    /// Enter was pressed; waiting for the store.
    pub saving: bool,
}

impl RateDialog {
    #[must_use]
    pub fn new(turns: Vec<u32>, items: usize) -> Self {
        Self {
            turn: turns.len().saturating_sub(1),
            turns,
            item: 0,
            values: vec![None; items],
            saving: false,
        }
    }

    /// The turn rated (`None`: the dialogue).
    #[must_use]
    pub fn about(&self) -> Option<u32> {
        self.turns.get(self.turn).copied()
    }

    pub fn key(&mut self, key: KeyEvent, scale: &Scale) -> Edit {
        let items = self.values.len();
        match key.code {
            KeyCode::Up => self.item = self.item.saturating_sub(1),
            KeyCode::Down | KeyCode::Tab => {
                self.item = (self.item + 1).min(items.saturating_sub(1));
            }
            KeyCode::PageUp => self.turn = self.turn.saturating_sub(1),
            KeyCode::PageDown => {
                self.turn = (self.turn + 1).min(self.turns.len().saturating_sub(1));
            }
            KeyCode::Char(c) if c.is_ascii_digit() => {
                let v = i64::from(u32::from(c) - u32::from('0'));
                if (scale.min..=scale.max).contains(&v)
                    && let Some(slot) = self.values.get_mut(self.item)
                {
                    *slot = Some(v);
                    self.item = (self.item + 1).min(items.saturating_sub(1));
                }
            }
            KeyCode::Left | KeyCode::Right => {
                if let Some(slot) = self.values.get_mut(self.item) {
                    let up = key.code == KeyCode::Right;
                    let v =
                        slot.map_or(
                            (scale.min + scale.max) / 2,
                            |v| {
                                if up { v + 1 } else { v - 1 }
                            },
                        );
                    *slot = Some(v.clamp(scale.min, scale.max));
                }
            }
            KeyCode::Backspace => {
                if let Some(slot) = self.values.get_mut(self.item) {
                    *slot = None;
                }
            }
            KeyCode::Enter => return Edit::Submit,
            KeyCode::Esc => return Edit::Close,
            _ => {}
        }
        Edit::Stay
    }
}

/// What the override menu asks about a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelAction {
    Open,
    Close,
    Drop,
}

/// The clinician's override menu, one level at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Menu {
    /// Set the stage, open, close, drop, finish.
    Root {
        focus: usize,
    },
    /// The protocol's stages.
    Stages {
        focus: usize,
    },
    /// Distortions: the catalogue (open) or the live channels (close, drop).
    Channels {
        action: ChannelAction,
        options: Vec<String>,
        focus: usize,
    },
    ConfirmFinish,
}

/// What a key in the menu chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuPick {
    Stay,
    Close,
    /// Open this submenu.
    Open(Menu),
    /// Stage number `n` (a position in the protocol's stages).
    Stage(usize),
    Channel(ChannelAction, String),
    Finish,
}

/// The number of entries of the root menu.
pub const ROOT_ENTRIES: usize = 5;

/// A digit key as a 0-based position (1 is the first).
fn digit(key: KeyEvent) -> Option<usize> {
    match key.code {
        KeyCode::Char(c @ '1'..='9') => Some(usize::from(u8::try_from(c).ok()? - b'1')),
        _ => None,
    }
}

/// Move a focus in a list of `n` entries, or pick one (by digit or Enter).
fn list_key(key: KeyEvent, focus: &mut usize, n: usize) -> Option<usize> {
    match key.code {
        KeyCode::Up => *focus = focus.saturating_sub(1),
        KeyCode::Down | KeyCode::Tab => *focus = (*focus + 1).min(n.saturating_sub(1)),
        KeyCode::Enter if n > 0 => return Some(*focus),
        _ => return digit(key).filter(|&d| d < n),
    }
    None
}

impl Menu {
    /// A key in the menu. `stages`: how many stages the protocol has; `catalogue`: every
    /// distortion id; `live`: the distortions of the channels open or in restructuring.
    pub fn key(
        &mut self,
        key: KeyEvent,
        stages: usize,
        catalogue: &[String],
        live: &[String],
    ) -> MenuPick {
        if key.code == KeyCode::Esc {
            return match self {
                Self::Root { .. } => MenuPick::Close,
                _ => MenuPick::Open(Self::Root { focus: 0 }),
            };
        }
        match self {
            Self::Root { focus } => match list_key(key, focus, ROOT_ENTRIES) {
                Some(0) => MenuPick::Open(Self::Stages { focus: 0 }),
                Some(1) => MenuPick::Open(Self::Channels {
                    action: ChannelAction::Open,
                    options: catalogue.to_vec(),
                    focus: 0,
                }),
                Some(k @ (2 | 3)) => MenuPick::Open(Self::Channels {
                    action: if k == 2 {
                        ChannelAction::Close
                    } else {
                        ChannelAction::Drop
                    },
                    options: live.to_vec(),
                    focus: 0,
                }),
                Some(_) => MenuPick::Open(Self::ConfirmFinish),
                None => MenuPick::Stay,
            },
            Self::Stages { focus } => match list_key(key, focus, stages) {
                Some(i) => MenuPick::Stage(i),
                None => MenuPick::Stay,
            },
            Self::Channels {
                action,
                options,
                focus,
            } => {
                // Up to 9 by digit; more (the catalogue has 12) with the arrows and Enter.
                match list_key(key, focus, options.len()) {
                    Some(i) => options
                        .get(i)
                        .map_or(MenuPick::Stay, |d| MenuPick::Channel(*action, d.clone())),
                    None => MenuPick::Stay,
                }
            }
            Self::ConfirmFinish => match key.code {
                KeyCode::Char('y' | 'Y') | KeyCode::Enter => MenuPick::Finish,
                KeyCode::Char('n' | 'N') => MenuPick::Open(Self::Root { focus: 0 }),
                _ => MenuPick::Stay,
            },
        }
    }
}
