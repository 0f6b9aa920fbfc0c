//! Reports over the whole store (not one run): `socius report baseline`, and the numbers of the
//! branch inspector (`socius inspect`).
//!
//! Pure computation over sessions and their events; the CLI (`cli::report`) prints.

pub mod baseline;
pub mod inspect;
pub mod judged;

pub use baseline::{Baseline, baseline, load, wilson};
