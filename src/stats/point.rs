//! Pointwise ratings and paired pre/post measures.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::fu;

/// Mean, sample standard deviation and Student-t 95 % interval of some ratings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Finite values counted.
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1); `None` with one value.
    pub sd: Option<f64>,
    /// mean ± t(0.975, n − 1) · sd / √n; `None` with one value; `[mean, mean]` when sd is 0.
    pub ci95: Option<[f64; 2]>,
}

/// The [`Summary`] of `values`; non-finite values are skipped. `None` when no value is left, or
/// when the values are so large that the mean or the deviation overflows.
#[must_use]
pub fn describe(values: &[f64]) -> Option<Summary> {
    let xs: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if xs.is_empty() {
        return None;
    }
    let n = fu(xs.len());
    let mean = xs.iter().sum::<f64>() / n;
    if !mean.is_finite() {
        return None;
    }
    if xs.len() == 1 {
        return Some(Summary {
            n: 1,
            mean,
            sd: None,
            ci95: None,
        });
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    let sd = var.sqrt();
    if !sd.is_finite() {
        return None;
    }
    let ci95 = StudentsT::new(0.0, 1.0, n - 1.0).ok().and_then(|t| {
        let half = t.inverse_cdf(0.975) * sd / n.sqrt();
        half.is_finite().then_some([mean - half, mean + half])
    });
    Some(Summary {
        n: xs.len(),
        mean,
        sd: Some(sd),
        ci95,
    })
}

/// How a Wilcoxon p-value was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WilcoxonMethod {
    /// The exact null distribution of W⁺ (no tied |differences|, at most 50 pairs).
    Exact,
    /// The normal approximation with the tie correction (no continuity correction).
    Normal,
}

/// The Wilcoxon signed-rank test of paired measures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Wilcoxon {
    /// Pairs with a non-zero difference (the others are dropped).
    pub n: usize,
    /// Sum of the ranks of positive differences (after − before > 0).
    pub w_plus: f64,
    /// Sum of the ranks of negative differences.
    pub w_minus: f64,
    /// The statistic reported: min(W⁺, W⁻).
    pub w: f64,
    /// Two-sided p.
    pub p: f64,
    pub method: WilcoxonMethod,
}

/// Largest number of non-zero differences for the exact distribution.
pub const EXACT_MAX: usize = 50;

/// The Wilcoxon signed-rank test of `(before, after)` pairs; the caller reports it only with at
/// least 6 pairs (issue 16's rule — fewer pairs cannot reach p < 0.05 two-sided).
///
/// Differences d = after − before; pairs with a non-finite value or d = 0 are dropped; |d| are
/// ranked 1..n with tied |d| sharing their average rank. Without ties and with n ≤ 50 the p is
/// exact: p = min(1, 2 · P(W⁺ ≤ min(W⁺, W⁻))) under the null distribution of W⁺ (every sign
/// pattern equally likely). Otherwise the normal approximation:
/// z = (W⁺ − n(n+1)/4) / √(n(n+1)(2n+1)/24 − Σ(t³ − t)/48) over the tie groups t, p = 2Φ(−|z|).
/// `None` when no non-zero difference is left.
#[must_use]
pub fn wilcoxon_signed_rank(pairs: &[(f64, f64)]) -> Option<Wilcoxon> {
    let mut d: Vec<f64> = pairs
        .iter()
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| b - a)
        .filter(|x| *x != 0.0 && x.is_finite())
        .collect();
    if d.is_empty() {
        return None;
    }
    d.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    let n = d.len();
    let mut w_plus = 0.0;
    let mut w_minus = 0.0;
    let mut tie_term = 0.0;
    let mut ties = false;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && d[j].abs() == d[i].abs() {
            j += 1;
        }
        // Ranks i+1 ..= j share their average.
        let rank = fu(i + 1 + j) / 2.0;
        let t = fu(j - i);
        if j - i > 1 {
            ties = true;
            tie_term += t * t * t - t;
        }
        for x in &d[i..j] {
            if *x > 0.0 {
                w_plus += rank;
            } else {
                w_minus += rank;
            }
        }
        i = j;
    }
    let w = w_plus.min(w_minus);
    let nf = fu(n);
    let (p, method) = if !ties && n <= EXACT_MAX {
        (exact_p(n, w), WilcoxonMethod::Exact)
    } else {
        let mean = nf * (nf + 1.0) / 4.0;
        let var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - tie_term / 48.0;
        let p = if var > 0.0 {
            let z = (w_plus - mean) / var.sqrt();
            Normal::new(0.0, 1.0).map_or(1.0, |nd| 2.0 * nd.cdf(-z.abs()))
        } else {
            1.0
        };
        (p, WilcoxonMethod::Normal)
    };
    Some(Wilcoxon {
        n,
        w_plus,
        w_minus,
        w,
        p: if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            1.0
        },
        method,
    })
}

/// min(1, 2 · P(W⁺ ≤ w)) for n untied ranks: counts of sign patterns by rank sum, by dynamic
/// programming (each count ≤ 2⁵⁰, exact in f64).
fn exact_p(n: usize, w: f64) -> f64 {
    let max = n * (n + 1) / 2;
    let mut counts = vec![0.0f64; max + 1];
    counts[0] = 1.0;
    for r in 1..=n {
        for s in (r..=max).rev() {
            counts[s] += counts[s - r];
        }
    }
    // Without ties W is an integer.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "0 ≤ w ≤ max"
    )]
    let limit = (w.round().max(0.0) as usize).min(max);
    let below: f64 = counts[..=limit].iter().sum();
    let all = 2f64.powi(i32::try_from(n).unwrap_or(i32::MAX));
    (2.0 * below / all).min(1.0)
}
