//! Keys ↔ actions, in one table. The help screen and the status-bar hints are generated from
//! it, so they cannot drift from what the keys do. This table is a contract: scripted tests and
//! annotators rely on it.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Something the user can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Select option n (1-based).
    Pick(u8),
    /// Confirm the selection, open the highlighted entry, or reveal the next lines.
    Confirm,
    Up,
    Down,
    PageUp,
    PageDown,
    /// To the first entry (or the top).
    Top,
    /// To the last entry (or the bottom).
    Bottom,
    Help,
    Quit,
    Back,
    /// Reveal every remaining line of the current node.
    RevealAll,
    /// Focus the search box (library).
    Search,
    /// Cycle the language filter (library).
    FilterLanguage,
    /// Cycle the orientation filter (library).
    FilterOrientation,
    /// Cycle the kind filter (library).
    FilterKind,
    /// Move between the library and the session lists (in a run: episodes and results).
    SwitchPane,
    /// Open the form that starts a model run on the listed scripts.
    RunModel,
    /// Open the list of model runs.
    Runs,
    /// Open the baseline report (humans against models).
    Report,
    /// Stop the model run on screen (finished episodes stay).
    StopRun,
    /// Mark the selected session in progress abandoned (kept, never resumed or scored).
    Abandon,
    /// CR: a new line in the turn being typed (Enter sends it).
    NewLine,
    /// CR: the clinician's overrides (set the stage, open / close / drop a channel, finish).
    Override,
    /// CR: rate a therapist turn on the protocol's rubric.
    RateTurn,
    /// CR: cancel the model's turn being written (what arrived is stored, marked cut).
    CancelTurn,
    /// CR, tagging a therapist turn: the stage's goal is met (or not).
    GoalMet,
    /// CR, tagging a therapist turn: the distortions found.
    Distortions,
}

/// Where an action applies (sections of the help screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Global,
    Home,
    Play,
    Runs,
    /// The CR dialogue screen (typing goes to the turn being written, so its keys are held
    /// with Ctrl or Alt).
    Cr,
}

/// One row of the keymap: the action, the keys shown for it, where it applies.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub action: Action,
    pub keys: &'static str,
    pub section: Section,
}

/// The keymap, in help order.
pub const BINDINGS: &[Binding] = &[
    Binding {
        action: Action::Help,
        keys: "?",
        section: Section::Global,
    },
    Binding {
        action: Action::Quit,
        keys: "q",
        section: Section::Global,
    },
    Binding {
        action: Action::Back,
        keys: "Esc",
        section: Section::Global,
    },
    Binding {
        action: Action::Up,
        keys: "↑ k",
        section: Section::Global,
    },
    Binding {
        action: Action::Down,
        keys: "↓ j",
        section: Section::Global,
    },
    Binding {
        action: Action::PageUp,
        keys: "PgUp",
        section: Section::Global,
    },
    Binding {
        action: Action::PageDown,
        keys: "PgDn",
        section: Section::Global,
    },
    Binding {
        action: Action::Abandon,
        keys: "d",
        section: Section::Home,
    },
    Binding {
        action: Action::Top,
        keys: "Home g",
        section: Section::Global,
    },
    Binding {
        action: Action::Bottom,
        keys: "End G",
        section: Section::Global,
    },
    Binding {
        action: Action::Confirm,
        keys: "Enter",
        section: Section::Home,
    },
    Binding {
        action: Action::Search,
        keys: "/",
        section: Section::Home,
    },
    Binding {
        action: Action::FilterLanguage,
        keys: "l",
        section: Section::Home,
    },
    Binding {
        action: Action::FilterOrientation,
        keys: "o",
        section: Section::Home,
    },
    Binding {
        action: Action::FilterKind,
        keys: "t",
        section: Section::Home,
    },
    Binding {
        action: Action::SwitchPane,
        keys: "Tab",
        section: Section::Home,
    },
    Binding {
        action: Action::RunModel,
        keys: "m",
        section: Section::Home,
    },
    Binding {
        action: Action::Runs,
        keys: "r",
        section: Section::Home,
    },
    Binding {
        action: Action::Report,
        keys: "b",
        section: Section::Home,
    },
    Binding {
        action: Action::Confirm,
        keys: "Enter",
        section: Section::Runs,
    },
    Binding {
        action: Action::SwitchPane,
        keys: "Tab",
        section: Section::Runs,
    },
    Binding {
        action: Action::StopRun,
        keys: "x",
        section: Section::Runs,
    },
    Binding {
        action: Action::Pick(1),
        keys: "1–9",
        section: Section::Play,
    },
    Binding {
        action: Action::Confirm,
        keys: "Enter",
        section: Section::Play,
    },
    Binding {
        action: Action::RevealAll,
        keys: "a",
        section: Section::Play,
    },
    Binding {
        action: Action::Confirm,
        keys: "Enter",
        section: Section::Cr,
    },
    Binding {
        action: Action::Help,
        keys: "F1",
        section: Section::Cr,
    },
    Binding {
        action: Action::NewLine,
        keys: "Alt-Enter Ctrl-J",
        section: Section::Cr,
    },
    Binding {
        action: Action::Override,
        keys: "Ctrl-O",
        section: Section::Cr,
    },
    Binding {
        action: Action::RateTurn,
        keys: "Ctrl-R",
        section: Section::Cr,
    },
    Binding {
        action: Action::CancelTurn,
        keys: "Ctrl-X",
        section: Section::Cr,
    },
    Binding {
        action: Action::GoalMet,
        keys: "Ctrl-G",
        section: Section::Cr,
    },
    Binding {
        action: Action::Distortions,
        keys: "Ctrl-D",
        section: Section::Cr,
    },
];

/// The keys the keymap shows for an action (the first binding of it), e.g. `Enter`, `↑ k`.
#[must_use]
pub fn key_label(action: Action) -> &'static str {
    BINDINGS
        .iter()
        .find(|b| match (b.action, action) {
            (Action::Pick(_), Action::Pick(_)) => true,
            (x, y) => x == y,
        })
        .map_or("", |b| b.keys)
}

/// The key presses a label names: each space-separated key; `1–9` (or `1-4`) names its two
/// ends; `Ctrl-X` and `Alt-Enter` are held with their modifier. Used by tests to press every
/// key the help and the hints show.
#[must_use]
pub fn keys_of(label: &str) -> Vec<KeyEvent> {
    let mut out = Vec::new();
    for token in label.split_whitespace() {
        if let Some(c) = token.strip_prefix("Ctrl-").and_then(|k| k.chars().next()) {
            out.push(KeyEvent::new(
                KeyCode::Char(c.to_ascii_lowercase()),
                KeyModifiers::CONTROL,
            ));
            continue;
        }
        if token == "Alt-Enter" {
            out.push(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
            continue;
        }
        if let Some(n) = token.strip_prefix('F').and_then(|n| n.parse::<u8>().ok()) {
            out.push(KeyEvent::new(KeyCode::F(n), KeyModifiers::NONE));
            continue;
        }
        let code = match token {
            "Enter" => Some(KeyCode::Enter),
            "Esc" => Some(KeyCode::Esc),
            "Tab" => Some(KeyCode::Tab),
            "PgUp" => Some(KeyCode::PageUp),
            "PgDn" => Some(KeyCode::PageDown),
            "Home" => Some(KeyCode::Home),
            "End" => Some(KeyCode::End),
            "↑" => Some(KeyCode::Up),
            "↓" => Some(KeyCode::Down),
            "↑↓" => {
                out.push(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
                Some(KeyCode::Down)
            }
            t => {
                let chars: Vec<char> = t.chars().collect();
                match chars.as_slice() {
                    [c] => Some(KeyCode::Char(*c)),
                    [a, '–' | '-', b] => {
                        out.push(KeyEvent::new(KeyCode::Char(*a), KeyModifiers::NONE));
                        Some(KeyCode::Char(*b))
                    }
                    _ => None,
                }
            }
        };
        if let Some(code) = code {
            out.push(KeyEvent::new(code, KeyModifiers::NONE));
        }
    }
    out
}

/// The action a key press asks for, if any. Text entry (search box, name prompt) is handled
/// before this by the screen that owns the input.
#[must_use]
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('c') => Some(Action::Quit),
            KeyCode::Char('j') => Some(Action::NewLine),
            KeyCode::Char('o') => Some(Action::Override),
            KeyCode::Char('r') => Some(Action::RateTurn),
            KeyCode::Char('x') => Some(Action::CancelTurn),
            KeyCode::Char('g') => Some(Action::GoalMet),
            KeyCode::Char('d') => Some(Action::Distortions),
            _ => None,
        };
    }
    if key.modifiers.contains(KeyModifiers::ALT) && key.code == KeyCode::Enter {
        return Some(Action::NewLine);
    }
    Some(match key.code {
        KeyCode::F(1) => Action::Help,
        KeyCode::Char(c @ '1'..='9') => {
            Action::Pick(u8::try_from(u32::from(c) - u32::from('0')).unwrap_or(1))
        }
        KeyCode::Enter => Action::Confirm,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown | KeyCode::Char(' ') => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Esc => Action::Back,
        KeyCode::Char('a') => Action::RevealAll,
        KeyCode::Char('/') => Action::Search,
        KeyCode::Char('l') => Action::FilterLanguage,
        KeyCode::Char('o') => Action::FilterOrientation,
        KeyCode::Char('t') => Action::FilterKind,
        KeyCode::Char('m') => Action::RunModel,
        KeyCode::Char('r') => Action::Runs,
        KeyCode::Char('b') => Action::Report,
        KeyCode::Char('x') => Action::StopRun,
        KeyCode::Char('d') => Action::Abandon,
        KeyCode::Tab | KeyCode::BackTab => Action::SwitchPane,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn every_bound_action_is_reachable_by_a_key() {
        let codes = [
            KeyCode::Char('1'),
            KeyCode::Enter,
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::PageUp,
            KeyCode::PageDown,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::Char('?'),
            KeyCode::Char('q'),
            KeyCode::Esc,
            KeyCode::Char('a'),
            KeyCode::Char('/'),
            KeyCode::Char('l'),
            KeyCode::Char('o'),
            KeyCode::Char('t'),
            KeyCode::Char('m'),
            KeyCode::Char('r'),
            KeyCode::Char('b'),
            KeyCode::Char('x'),
            KeyCode::Char('d'),
            KeyCode::Tab,
        ];
        let mut reachable: Vec<Action> =
            codes.iter().filter_map(|c| action_for(&key(*c))).collect();
        for c in ['o', 'r', 'x', 'g', 'd', 'j'] {
            reachable.extend(action_for(&KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::CONTROL,
            )));
        }
        for b in BINDINGS {
            assert!(reachable.contains(&b.action), "{:?} has no key", b.action);
        }
    }

    fn same(a: Action, b: Action) -> bool {
        matches!((a, b), (Action::Pick(_), Action::Pick(_))) || a == b
    }

    #[test]
    fn every_key_the_help_shows_does_its_action() {
        for b in BINDINGS {
            let keys = keys_of(b.keys);
            assert!(!keys.is_empty(), "{:?}: no key in {:?}", b.action, b.keys);
            for k in keys {
                let got = action_for(&k);
                assert!(
                    got.is_some_and(|g| same(g, b.action)),
                    "{:?} shows {:?}, whose {k:?} does {got:?}",
                    b.action,
                    b.keys
                );
            }
        }
    }

    #[test]
    fn digits_pick_and_vim_keys_move() {
        assert_eq!(action_for(&key(KeyCode::Char('7'))), Some(Action::Pick(7)));
        assert_eq!(action_for(&key(KeyCode::Char('j'))), Some(Action::Down));
        assert_eq!(action_for(&key(KeyCode::Char('k'))), Some(Action::Up));
        assert_eq!(action_for(&key(KeyCode::Char('0'))), None);
        assert_eq!(
            action_for(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
    }
}
