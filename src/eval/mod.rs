//! Evaluation: the SocialEval metrics (GAE success rates, IAE accuracies) computed from episode
//! results, and the batch runner that produces those results from a model.
//!
//! - [`metrics`]: aggregation exactly as the official scripts count;
//! - [`protocol`]: `socialeval` (the official walk) and `socius` (ours), side by side;
//! - [`settings`]: what decides a run's results, recorded with every session for `--resume`;
//! - [`runner`]: trees × episodes under a concurrency cap, Ctrl-C, resume, a failing endpoint
//!   (`plan` decides what a run or a resume still has to do, longest jobs first);
//! - [`episode`]: a model playing one session (a GAE episode, a tree's IAE items) through the
//!   session driver, as the agent that answers its questions; [`record`]: a model's answer as
//!   `llm_call` events;
//! - [`summary`]: a run read back from the store into the `--json` reports; [`report`]: the
//!   human table;
//! - [`progress`]: live counters and the progress line;
//! - [`background`]: a run on a thread of its own (the TUI's runs view); [`runs`]: runs and
//!   their episodes read back for browsing.

pub mod background;
pub mod cr_batch;
pub mod episode;
pub mod metrics;
pub mod official;
pub mod official_prompt;
mod plan;
pub mod progress;
pub mod protocol;
pub mod record;
pub mod report;
pub mod runner;
pub mod runs;
pub mod settings;
pub mod summary;

pub use protocol::Protocol;
pub use runner::{Cancel, EvalTree, Prompts, RunError, RunOutcome, RunSpec, StopReason, run};
pub use settings::{EvalKind, RequestedSettings, RunSettings};
pub use summary::{GaeReport, IaeReport, Report, Tally};
