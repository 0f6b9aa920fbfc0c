//! The terminal UI: library, play screens, help, themes. Only this module touches ratatui and
//! crossterm.

pub mod app;
pub mod config;
pub mod cr;
pub mod i18n;
pub mod inspect;
pub mod judge;
pub mod keymap;
pub mod library;
pub mod play;
pub mod queue;
pub mod run;
pub mod runs;
pub mod store_port;
pub mod theme;
pub mod views;
pub mod wrap;
