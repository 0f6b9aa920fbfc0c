//! Bradley–Terry scores from a win/tie/loss table, and a seeded bootstrap of them.
//!
//! **Model.** System i beats system j with probability πᵢ / (πᵢ + πⱼ). A **score** is the
//! natural log-strength sᵢ = ln πᵢ, **centred so the scores of all systems average 0**; so
//! exp(sᵢ − sⱼ) is the odds that i is preferred to j, and a score of 0 is an average system.
//! (Multiply by 400 / ln 10 ≈ 173.7 for an Elo-like scale.)
//!
//! **Ties** count as half a win to each side. `prior_ties` virtual ties are added to every pair
//! of systems that has at least one judgment (default 1: half a win each way). They keep every
//! score finite when a system never wins or never loses, and with thousands of judgments they
//! move the scores by a negligible amount; set 0 for the plain maximum-likelihood fit.
//!
//! **Fit.** Hunter's (2004) minorisation–maximisation iteration
//! πᵢ ← Wᵢ / Σⱼ nᵢⱼ / (πᵢ + πⱼ), where Wᵢ is i's win credit (wins + ½ ties, virtual ones
//! included) and nᵢⱼ the judgments between i and j, until no log-strength moves by more than
//! 1e-10 (at most 100,000 sweeps). At the fit, every system's expected wins Σⱼ nᵢⱼ πᵢ/(πᵢ+πⱼ)
//! equal its win credit Wᵢ (the likelihood's first-order conditions).
//!
//! **Undefined fits** ([`BtError`]): fewer than two systems; a system with no judgment; systems
//! falling into groups never compared with each other; or (only with `prior_ties` 0) a group of
//! systems that never beats, or never loses to, the rest — its scores would be ±∞.
//!
//! **Bootstrap.** Each resample draws as many judgments as there are, with replacement, from
//! all judgments (each judgment being a pair and an outcome, so a draw from the table's cells in
//! proportion to their counts), and refits. The 95 % interval of a score is the 2.5th and
//! 97.5th percentiles (linear interpolation between order statistics) of its resampled scores.
//! Resample r uses its own generator seeded from (seed, r), so the result is the same for a seed
//! whatever the number of threads. Resamples whose fit is undefined are counted as `failed` and
//! left out; if more than half fail, no interval is given.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::{fl, fu};

/// Judgments between systems `a` and `b` (indices into the caller's list of systems): `wins`
/// when `a` was preferred, `losses` when `b` was, `ties` otherwise (a "both bad" counts as a tie).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairCount {
    pub a: usize,
    pub b: usize,
    pub wins: u64,
    pub ties: u64,
    pub losses: u64,
}

impl PairCount {
    /// Judgments of this pair.
    #[must_use]
    pub const fn total(&self) -> u64 {
        self.wins
            .saturating_add(self.ties)
            .saturating_add(self.losses)
    }
}

/// How to fit and how to bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BtOptions {
    /// Virtual ties added to every pair of systems with at least one judgment (≥ 0).
    pub prior_ties: f64,
    /// Bootstrap resamples (the report uses at least 200).
    pub resamples: usize,
    /// The bootstrap's seed.
    pub seed: u64,
}

impl Default for BtOptions {
    fn default() -> Self {
        Self {
            prior_ties: 1.0,
            resamples: 200,
            seed: 0,
        }
    }
}

/// Why Bradley–Terry scores cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum BtError {
    #[error("Bradley–Terry needs at least two systems")]
    TooFewSystems,
    #[error("system {0} has no judgment")]
    Unjudged(usize),
    #[error("the table refers to system {0}, beyond the systems given")]
    UnknownSystem(usize),
    #[error("some systems were never compared, directly or through others, with the rest")]
    Disconnected,
    #[error("some systems never beat (or never lose to) the rest, so their scores are infinite")]
    Unbounded,
}

/// A fit: one score per system, in the order of the systems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BtFit {
    /// Centred natural log-strengths.
    pub scores: Vec<f64>,
    /// MM sweeps until convergence.
    pub iterations: usize,
}

/// One system's score with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BtScore {
    pub score: f64,
    /// 2.5th and 97.5th bootstrap percentiles; `None` when more than half of the resamples
    /// failed, or `resamples` was 0.
    pub ci95: Option<[f64; 2]>,
}

/// Scores with bootstrap intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bootstrap {
    pub scores: Vec<BtScore>,
    pub resamples: usize,
    /// Resamples whose fit was undefined (left out of the percentiles).
    pub failed: usize,
    pub seed: u64,
}

const TOL: f64 = 1e-10;
const MAX_SWEEPS: usize = 100_000;

/// The table folded into per-pair effective counts for `k` systems.
struct Table {
    k: usize,
    /// (i, j, n_ij, credit of i against j, credit of j against i), i != j.
    pairs: Vec<(usize, usize, f64, f64, f64)>,
}

impl Table {
    /// Builds the table from per-pair counts with `prior` virtual ties per compared pair.
    /// Counts given as floats so a resample can reuse it.
    fn new(
        k: usize,
        counts: impl Iterator<Item = (usize, usize, f64, f64, f64)>,
        prior: f64,
    ) -> Self {
        // Merge both orientations of the same pair.
        let mut merged: std::collections::BTreeMap<(usize, usize), (f64, f64, f64)> =
            std::collections::BTreeMap::new();
        for (a, b, w, t, l) in counts {
            if a == b {
                continue;
            }
            let (key, w, l) = if a < b {
                ((a, b), w, l)
            } else {
                ((b, a), l, w)
            };
            let e = merged.entry(key).or_insert((0.0, 0.0, 0.0));
            e.0 += w;
            e.1 += t;
            e.2 += l;
        }
        let pairs = merged
            .into_iter()
            .filter(|(_, (w, t, l))| w + t + l > 0.0)
            .map(|((i, j), (w, t, l))| {
                let t = t + prior;
                (i, j, w + t + l, w + t / 2.0, l + t / 2.0)
            })
            .collect();
        Self { k, pairs }
    }

    fn check(&self) -> Result<(), BtError> {
        if self.k < 2 {
            return Err(BtError::TooFewSystems);
        }
        let mut judged = vec![false; self.k];
        let mut fwd = vec![Vec::new(); self.k];
        let mut undirected = vec![Vec::new(); self.k];
        for &(i, j, _, ci, cj) in &self.pairs {
            judged[i] = true;
            judged[j] = true;
            undirected[i].push(j);
            undirected[j].push(i);
            if ci > 0.0 {
                fwd[i].push(j);
            }
            if cj > 0.0 {
                fwd[j].push(i);
            }
        }
        if let Some(s) = judged.iter().position(|j| !j) {
            return Err(BtError::Unjudged(s));
        }
        if !reaches_all(&undirected) {
            return Err(BtError::Disconnected);
        }
        // Strongly connected: everything reachable from 0 forwards and backwards.
        let mut back = vec![Vec::new(); self.k];
        for (i, outs) in fwd.iter().enumerate() {
            for &j in outs {
                back[j].push(i);
            }
        }
        if !reaches_all(&fwd) || !reaches_all(&back) {
            return Err(BtError::Unbounded);
        }
        Ok(())
    }

    /// MM from `start` log-strengths (or zeros). Assumes [`Table::check`] passed.
    fn fit(&self, start: Option<&[f64]>) -> BtFit {
        let k = self.k;
        let mut credit = vec![0.0; k];
        for &(i, j, _, ci, cj) in &self.pairs {
            credit[i] += ci;
            credit[j] += cj;
        }
        let mut p: Vec<f64> = match start {
            Some(s) if s.len() == k => s.iter().map(|x| x.exp()).collect(),
            _ => vec![1.0; k],
        };
        let mut denom = vec![0.0; k];
        let mut iterations = 0;
        for sweep in 1..=MAX_SWEEPS {
            iterations = sweep;
            denom.iter_mut().for_each(|d| *d = 0.0);
            for &(i, j, n, _, _) in &self.pairs {
                let s = n / (p[i] + p[j]);
                denom[i] += s;
                denom[j] += s;
            }
            let mut moved: f64 = 0.0;
            let mut log_sum = 0.0;
            let mut next = vec![0.0; k];
            for i in 0..k {
                next[i] = credit[i] / denom[i];
                log_sum += next[i].ln();
            }
            // Renormalise to geometric mean 1 so the numbers stay in range.
            let g = (log_sum / fu(k)).exp();
            for i in 0..k {
                let v = next[i] / g;
                moved = moved.max((v.ln() - p[i].ln()).abs());
                p[i] = v;
            }
            if moved < TOL {
                break;
            }
        }
        let logs: Vec<f64> = p.iter().map(|x| x.ln()).collect();
        let mean = logs.iter().sum::<f64>() / fu(k);
        BtFit {
            scores: logs.iter().map(|x| x - mean).collect(),
            iterations,
        }
    }
}

fn reaches_all(adj: &[Vec<usize>]) -> bool {
    let mut seen = vec![false; adj.len()];
    let mut stack = vec![0];
    seen[0] = true;
    while let Some(i) = stack.pop() {
        for &j in &adj[i] {
            if !seen[j] {
                seen[j] = true;
                stack.push(j);
            }
        }
    }
    seen.iter().all(|s| *s)
}

fn table(k: usize, counts: &[PairCount], prior: f64) -> Result<Table, BtError> {
    if let Some(c) = counts.iter().find(|c| c.a >= k || c.b >= k) {
        return Err(BtError::UnknownSystem(c.a.max(c.b)));
    }
    let prior = if prior.is_finite() {
        prior.max(0.0)
    } else {
        0.0
    };
    let t = Table::new(
        k,
        counts
            .iter()
            .map(|c| (c.a, c.b, fl(c.wins), fl(c.ties), fl(c.losses))),
        prior,
    );
    t.check()?;
    Ok(t)
}

/// Bradley–Terry scores of `k` systems from `counts` (pairs may repeat, in either orientation;
/// a pair of a system with itself is ignored). See the module documentation.
///
/// # Errors
/// [`BtError`] when the scores are not defined for this table.
pub fn fit(k: usize, counts: &[PairCount], prior_ties: f64) -> Result<BtFit, BtError> {
    Ok(table(k, counts, prior_ties)?.fit(None))
}

/// Scores with seeded bootstrap 95 % intervals; see the module documentation.
///
/// # Errors
/// [`BtError`] when the scores of the table itself are not defined.
pub fn bootstrap(k: usize, counts: &[PairCount], opts: &BtOptions) -> Result<Bootstrap, BtError> {
    let base = table(k, counts, opts.prior_ties)?;
    let point = base.fit(None);
    // The cells of the table: (a, b, outcome) with cumulative counts for drawing.
    let mut cells: Vec<(usize, usize, u8)> = Vec::new();
    let mut cumulative: Vec<u64> = Vec::new();
    let mut total: u64 = 0;
    for c in counts {
        for (outcome, n) in [(0u8, c.wins), (1, c.ties), (2, c.losses)] {
            if n > 0 && c.a != c.b {
                total = total.saturating_add(n);
                cells.push((c.a, c.b, outcome));
                cumulative.push(total);
            }
        }
    }
    let prior = if opts.prior_ties.is_finite() {
        opts.prior_ties.max(0.0)
    } else {
        0.0
    };
    let rounds: Vec<u64> = (0..opts.resamples as u64).collect();
    let one = |r: &u64| -> Option<Vec<f64>> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(mix(opts.seed, *r));
        let mut drawn = vec![0u64; cells.len()];
        for _ in 0..total {
            let u = rng.random_range(0..total);
            // First cell whose cumulative count exceeds u.
            let idx = cumulative.partition_point(|&c| c <= u);
            if let Some(d) = drawn.get_mut(idx) {
                *d += 1;
            }
        }
        let t = Table::new(
            k,
            cells.iter().zip(&drawn).map(|(&(a, b, o), &n)| {
                let n = fl(n);
                match o {
                    0 => (a, b, n, 0.0, 0.0),
                    1 => (a, b, 0.0, n, 0.0),
                    _ => (a, b, 0.0, 0.0, n),
                }
            }),
            prior,
        );
        t.check().ok()?;
        Some(t.fit(Some(&point.scores)).scores)
    };
    let fits = crate::par::map(&rounds, &one);
    let ok: Vec<&Vec<f64>> = fits.iter().flatten().collect();
    let failed = fits.len() - ok.len();
    let enough = !ok.is_empty() && failed * 2 <= fits.len();
    let scores = (0..k)
        .map(|i| {
            let ci95 = enough.then(|| {
                let mut xs: Vec<f64> = ok.iter().filter_map(|s| s.get(i).copied()).collect();
                xs.sort_by(f64::total_cmp);
                [quantile(&xs, 0.025), quantile(&xs, 0.975)]
            });
            BtScore {
                score: point.scores.get(i).copied().unwrap_or(0.0),
                ci95,
            }
        })
        .collect();
    Ok(Bootstrap {
        scores,
        resamples: opts.resamples,
        failed,
        seed: opts.seed,
    })
}

/// Linear interpolation between order statistics of sorted `xs` (numpy's default, "type 7").
/// `xs` must be non-empty.
pub(crate) fn quantile(xs: &[f64], q: f64) -> f64 {
    let Some(last) = xs.len().checked_sub(1) else {
        return 0.0;
    };
    let h = fu(last) * q.clamp(0.0, 1.0);
    let lo = h.floor();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "0 ≤ h ≤ last"
    )]
    let i = lo as usize;
    let a = xs[i.min(last)];
    let b = xs[(i + 1).min(last)];
    a + (h - lo) * (b - a)
}

/// SplitMix64 of the seed and the resample's index: independent-looking seeds per resample.
const fn mix(seed: u64, r: u64) -> u64 {
    let mut z = seed ^ r.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
