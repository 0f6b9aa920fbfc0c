//! One proportion: the Wilson score interval and the exact sign test.

use statrs::distribution::{Binomial, DiscreteCDF};

use super::fl;

/// The standard normal quantile for a two-sided 95 % interval, Φ⁻¹(0.975).
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score 95 % interval of `successes` out of `n`, as proportions in `[0, 1]`.
///
/// `None` when `n` is 0 (no data) or `successes > n` (not a proportion).
#[must_use]
pub fn wilson(successes: u64, n: u64) -> Option<[f64; 2]> {
    wilson_z(successes, n, Z95)
}

/// The Wilson score interval at normal quantile `z` (e.g. [`Z95`]).
///
/// centre = (p̂ + z²/2n) / (1 + z²/n), half-width = z/(1 + z²/n) · √(p̂(1−p̂)/n + z²/4n²),
/// clamped to `[0, 1]`. `None` when `n` is 0, `successes > n`, or `z` is not finite or negative.
#[must_use]
pub fn wilson_z(successes: u64, n: u64, z: f64) -> Option<[f64; 2]> {
    if n == 0 || successes > n || !z.is_finite() || z < 0.0 {
        return None;
    }
    let nf = fl(n);
    let p = fl(successes) / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z / denom * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    Some([(centre - half).max(0.0), (centre + half).min(1.0)])
}

/// Two-sided exact sign test: the probability, under "each side equally likely", of a split at
/// least as uneven as `wins` against `losses`. Ties are not passed in (they are excluded, as in
/// the win rate).
///
/// p = min(1, 2 · P(X ≤ min(wins, losses))) with X ~ Binomial(wins + losses, ½). With no
/// decided judgments (`wins + losses == 0`) there is no evidence either way and p is 1.
#[must_use]
pub fn sign_test(wins: u64, losses: u64) -> f64 {
    let Some(n) = wins.checked_add(losses) else {
        return 1.0;
    };
    if n == 0 {
        return 1.0;
    }
    let Ok(b) = Binomial::new(0.5, n) else {
        return 1.0;
    };
    let tail = b.cdf(wins.min(losses));
    if tail.is_finite() {
        (2.0 * tail).clamp(0.0, 1.0)
    } else {
        1.0
    }
}
