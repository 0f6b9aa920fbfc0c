//! Statistics for human studies (issue 16): pure functions over counts and numbers, no I/O.
//!
//! - [`prop`]: the Wilson score interval of a proportion and the two-sided exact sign test;
//! - [`bt`]: Bradley–Terry scores from a win/tie/loss table, with a seeded bootstrap;
//! - [`agree`]: Cohen's κ, Fleiss' κ and Krippendorff's α (nominal and interval);
//! - [`point`]: mean, standard deviation and Student-t interval, and the Wilcoxon signed-rank
//!   test for paired pre/post measures;
//! - [`pairwise`]: judgments tallied per pair of systems, and everything a pairwise report
//!   needs computed in one call.
//!
//! Every function is defined for every input: where a statistic has no value (no data, no
//! variation, a system that never wins) the result is `None` or a documented fallback, never a
//! NaN or an infinity, and nothing panics. Non-finite inputs (NaN, ±∞) are skipped where numbers
//! come in.

pub mod agree;
pub mod bt;
pub mod pairwise;
pub mod point;
pub mod prop;

pub use agree::{Metric, cohen_kappa, fleiss_kappa, krippendorff_alpha};
pub use bt::{Bootstrap, BtError, BtFit, BtOptions, BtScore, PairCount};
pub use point::{Summary, Wilcoxon, WilcoxonMethod, describe, wilcoxon_signed_rank};
pub use prop::{Z95, sign_test, wilson, wilson_z};

/// A count as a float (counts here are far below 2^52, so this is exact).
#[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
pub(crate) const fn fl(n: u64) -> f64 {
    n as f64
}

/// `usize` as a float, see [`fl`].
#[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
pub(crate) const fn fu(n: usize) -> f64 {
    n as f64
}
