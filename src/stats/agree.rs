//! Agreement between annotators: Cohen's κ, Fleiss' κ, Krippendorff's α.
//!
//! All three are "1 − observed disagreement / disagreement expected by chance" and are
//! undefined when chance disagreement is zero (everyone used one and the same category, or
//! every value is equal): then the functions return `None` rather than 0/0. They also return
//! `None` when there is nothing to compare.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{fl, fu};

/// Cohen's κ for two annotators: one `(first annotator's label, second's)` per item.
///
/// κ = (pₒ − pₑ) / (1 − pₑ), pₒ the share of items with equal labels, pₑ = Σ_c p₁(c)·p₂(c)
/// from each annotator's own label shares. `None` with no items or when pₑ = 1.
#[must_use]
pub fn cohen_kappa<T: Ord>(items: &[(T, T)]) -> Option<f64> {
    if items.is_empty() {
        return None;
    }
    let n = fu(items.len());
    let mut first: BTreeMap<&T, u64> = BTreeMap::new();
    let mut second: BTreeMap<&T, u64> = BTreeMap::new();
    let mut same = 0u64;
    for (x, y) in items {
        *first.entry(x).or_default() += 1;
        *second.entry(y).or_default() += 1;
        if x == y {
            same += 1;
        }
    }
    let po = fl(same) / n;
    let pe: f64 = first
        .iter()
        .map(|(c, a)| fl(*a) / n * fl(second.get(c).copied().unwrap_or(0)) / n)
        .sum();
    ratio(po - pe, 1.0 - pe)
}

/// Fleiss' κ: one row per item with the number of ratings in each category (same categories,
/// same order, in every row).
///
/// Items with fewer than two ratings are skipped. With the same number n of ratings for every
/// item this is Fleiss' κ: Pᵢ = Σⱼ nᵢⱼ(nᵢⱼ − 1) / (n(n − 1)), P̄ the mean of Pᵢ,
/// pⱼ = share of all ratings in category j, P̄ₑ = Σⱼ pⱼ², κ = (P̄ − P̄ₑ)/(1 − P̄ₑ).
/// **When the counts vary** each item's Pᵢ uses its own nᵢ and pⱼ pools all ratings (the
/// usual generalisation; each item weighs the same); prefer Krippendorff's α there, which is
/// built for varying numbers of raters. `None` when no item has two ratings or P̄ₑ = 1.
#[must_use]
pub fn fleiss_kappa(items: &[Vec<u64>]) -> Option<f64> {
    let cats = items.iter().map(Vec::len).max().unwrap_or(0);
    let mut per_cat = vec![0u64; cats];
    let mut total = 0u64;
    let mut p_sum = 0.0;
    let mut counted = 0usize;
    for row in items {
        let n: u64 = row.iter().copied().fold(0, u64::saturating_add);
        if n < 2 {
            continue;
        }
        let agree: u64 = row
            .iter()
            .map(|&c| c.saturating_mul(c.saturating_sub(1)))
            .fold(0, u64::saturating_add);
        p_sum += fl(agree) / (fl(n) * fl(n - 1));
        counted += 1;
        total = total.saturating_add(n);
        for (j, &c) in row.iter().enumerate() {
            per_cat[j] = per_cat[j].saturating_add(c);
        }
    }
    if counted == 0 {
        return None;
    }
    let p_bar = p_sum / fu(counted);
    let pe: f64 = per_cat
        .iter()
        .map(|&c| {
            let p = fl(c) / fl(total);
            p * p
        })
        .sum();
    ratio(p_bar - pe, 1.0 - pe)
}

/// How far apart two values are, for Krippendorff's α.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// δ² = 0 for equal values, 1 otherwise (values are category codes).
    Nominal,
    /// δ² = (a − b)².
    Interval,
}

/// Krippendorff's α: one entry per unit (item) with the values it received, any number of
/// annotators per unit — a missing rating is simply absent. Non-finite values are skipped.
///
/// Computed from the coincidence matrix: each unit with mᵤ ≥ 2 values adds 1/(mᵤ − 1) to
/// o(c, k) for every ordered pair of its values (c, k) from different annotators; units with
/// fewer than two values are not pairable and are left out. With n꜀ = Σₖ o(c, k) and
/// n = Σ꜀ n꜀: Dₒ = Σ o(c, k) δ²(c, k) / n, Dₑ = Σ n꜀ nₖ δ²(c, k) / (n(n − 1)),
/// α = 1 − Dₒ / Dₑ. `None` when fewer than two pairable values, or Dₑ = 0 (no variation).
#[must_use]
pub fn krippendorff_alpha(units: &[Vec<f64>], metric: Metric) -> Option<f64> {
    // Values identified by their bit pattern (−0 folded to 0) in value order.
    let key = |v: f64| if v == 0.0 { 0.0 } else { v };
    let mut index: BTreeMap<u64, usize> = BTreeMap::new();
    let mut values: Vec<f64> = Vec::new();
    let mut clean: Vec<Vec<usize>> = Vec::new();
    for u in units {
        let row: Vec<usize> = u
            .iter()
            .filter(|v| v.is_finite())
            .map(|&v| {
                let v = key(v);
                *index.entry(v.to_bits()).or_insert_with(|| {
                    values.push(v);
                    values.len() - 1
                })
            })
            .collect();
        if row.len() >= 2 {
            clean.push(row);
        }
    }
    // Sparse coincidence matrix.
    let mut o: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    let mut per_unit: BTreeMap<usize, u64> = BTreeMap::new();
    for row in &clean {
        per_unit.clear();
        for &v in row {
            *per_unit.entry(v).or_default() += 1;
        }
        let w = 1.0 / fu(row.len() - 1);
        for (&c, &nc) in &per_unit {
            for (&k, &nk) in &per_unit {
                let pairs = if c == k { nc * (nc - 1) } else { nc * nk };
                if pairs > 0 {
                    *o.entry((c, k)).or_default() += fl(pairs) * w;
                }
            }
        }
    }
    let mut nc = vec![0.0; values.len()];
    for (&(c, _), &x) in &o {
        nc[c] += x;
    }
    let n: f64 = nc.iter().sum();
    if n < 2.0 {
        return None;
    }
    let delta = |c: usize, k: usize| match metric {
        Metric::Nominal => f64::from(u8::from(c != k)),
        Metric::Interval => {
            let d = values[c] - values[k];
            d * d
        }
    };
    let d_o: f64 = o.iter().map(|(&(c, k), &x)| x * delta(c, k)).sum::<f64>() / n;
    let d_e = match metric {
        Metric::Nominal => (n * n - nc.iter().map(|x| x * x).sum::<f64>()) / (n * (n - 1.0)),
        Metric::Interval => {
            // Σ_c Σ_k n_c n_k (v_c − v_k)² = 2 (n Σ n_c v_c² − (Σ n_c v_c)²), around the mean
            // for accuracy.
            let mean = nc.iter().zip(&values).map(|(w, v)| w * v).sum::<f64>() / n;
            let ss: f64 = nc
                .iter()
                .zip(&values)
                .map(|(w, v)| w * (v - mean) * (v - mean))
                .sum();
            2.0 * n * ss / (n * (n - 1.0))
        }
    };
    let r = ratio(d_o, d_e)?;
    Some(1.0 - r)
}

/// `num / den`, `None` unless the denominator is clearly non-zero and the result finite.
fn ratio(num: f64, den: f64) -> Option<f64> {
    if den.abs() < 1e-12 {
        return None;
    }
    let r = num / den;
    r.is_finite().then_some(r)
}
