//! Reports over the whole store (not one run): `socius report baseline`.
//!
//! Pure computation over sessions and their events; the CLI (`cli::report`) prints.

pub mod baseline;

pub use baseline::{Baseline, baseline, load, wilson};
