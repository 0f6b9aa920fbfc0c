//! The terminal UI: library, play screens, help, themes. Only this module touches ratatui and
//! crossterm.

pub mod i18n;
pub mod keymap;
pub mod play;
pub mod theme;
pub mod wrap;
