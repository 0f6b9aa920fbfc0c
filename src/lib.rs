//! socius — a terminal workbench for scripted social and therapeutic dialogues.
//!
//! Layers (dependencies point one way): `script` ← `engine` ← `agent` / `session` ← `store` ←
//! `study` ← `tui` / `cli`. See `README.md`, section *Architecture*. `stats` is pure arithmetic
//! (no I/O, only `par` beneath it) for the reports of `report` and `study`.

// Library code never unwraps; tests, benches and examples may.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

#[macro_use]
pub mod term;

pub mod agent;
pub mod cli;
pub mod driver;
pub mod engine;
pub mod eval;
pub mod fsx;
pub mod par;
pub mod report;
pub mod script;
pub mod session;
pub mod stats;
pub mod store;
pub mod study;
pub mod tui;
pub mod vocab;
