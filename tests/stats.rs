//! `socius::stats` against values computed here by other routes: closed forms written out
//! differently, exact integer arithmetic, enumeration, textbook worked examples, and the
//! first-order conditions of the Bradley–Terry likelihood.

use proptest::prelude::*;
use socius::stats::agree::{Metric, cohen_kappa, fleiss_kappa, krippendorff_alpha};
use socius::stats::bt::{self, BtError, BtOptions, PairCount};
use socius::stats::pairwise::{self, Judgment, Outcome, PairStats};
use socius::stats::point::{WilcoxonMethod, describe, wilcoxon_signed_rank};
use socius::stats::prop::{Z95, sign_test, wilson, wilson_z};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

// ---------------------------------------------------------------------------------------------
// Wilson

/// The Wilson bounds as the roots of (p̂ − p)² = z² p(1 − p)/n, solved as a quadratic in p.
fn wilson_roots(s: u64, n: u64, z: f64) -> [f64; 2] {
    let n = n as f64;
    let ph = s as f64 / n;
    let z2 = z * z;
    // (1 + z²/n) p² − (2p̂ + z²/n) p + p̂² = 0
    let a = 1.0 + z2 / n;
    let b = -(2.0 * ph + z2 / n);
    let c = ph * ph;
    let disc = (b * b - 4.0 * a * c).max(0.0).sqrt();
    [(-b - disc) / (2.0 * a), (-b + disc) / (2.0 * a)]
}

#[test]
fn z95_is_the_normal_quantile() {
    let nd = Normal::new(0.0, 1.0).unwrap();
    assert!(close(Z95, nd.inverse_cdf(0.975), 1e-12));
}

#[test]
fn wilson_degenerate_inputs() {
    assert_eq!(wilson(0, 0), None);
    assert_eq!(wilson(3, 2), None);
    assert_eq!(wilson_z(1, 2, f64::NAN), None);
    let [lo, hi] = wilson(0, 10).unwrap();
    assert!(lo.abs() < 1e-15 && hi > 0.0);
    let [lo, hi] = wilson(10, 10).unwrap();
    assert!(lo < 1.0 && (hi - 1.0).abs() < 1e-15);
}

proptest! {
    #[test]
    fn wilson_matches_the_quadratic_roots(n in 1u64..5000, frac in 0.0f64..=1.0) {
        let s = ((n as f64) * frac).floor() as u64;
        let got = wilson(s, n).unwrap();
        let want = wilson_roots(s, n, Z95);
        prop_assert!(close(got[0], want[0].max(0.0), 1e-9), "{got:?} {want:?}");
        prop_assert!(close(got[1], want[1].min(1.0), 1e-9), "{got:?} {want:?}");
        let ph = s as f64 / n as f64;
        prop_assert!(got[0] <= ph + 1e-12 && ph <= got[1] + 1e-12);
    }
}

// ---------------------------------------------------------------------------------------------
// Sign test

/// Two-sided exact p by summing binomial coefficients as integers (n ≤ 120).
fn sign_p_exact(w: u64, l: u64) -> f64 {
    let n = w + l;
    if n == 0 {
        return 1.0;
    }
    let m = w.min(l);
    let mut c: u128 = 1; // C(n, 0)
    let mut sum: u128 = 0;
    for k in 0..=m {
        sum += c;
        c = c * u128::from(n - k) / u128::from(k + 1);
    }
    let p = 2.0 * (sum as f64) / 2f64.powi(n as i32);
    p.min(1.0)
}

#[test]
fn sign_test_small_cases_by_hand() {
    // 9 of 10: 2·(1 + 10)/1024.
    assert!(close(sign_test(9, 1), 22.0 / 1024.0, 1e-12));
    assert!(close(sign_test(1, 9), 22.0 / 1024.0, 1e-12));
    assert_eq!(sign_test(0, 0), 1.0);
    assert!(close(sign_test(5, 5), 1.0, 1e-12));
    assert!(close(sign_test(0, 1), 1.0, 1e-12));
    // 0 of 20: 2 / 2^20.
    assert!(close(sign_test(0, 20), 2.0 / 1_048_576.0, 1e-9));
}

proptest! {
    #[test]
    fn sign_test_matches_integer_binomial_sums(w in 0u64..60, l in 0u64..60) {
        let got = sign_test(w, l);
        let want = sign_p_exact(w, l);
        prop_assert!(close(got, want, 1e-9), "{w} {l}: {got} vs {want}");
    }
}

// ---------------------------------------------------------------------------------------------
// Bradley–Terry

fn pc(a: usize, b: usize, wins: u64, ties: u64, losses: u64) -> PairCount {
    PairCount {
        a,
        b,
        wins,
        ties,
        losses,
    }
}

/// Expected wins Σⱼ nᵢⱼ πᵢ/(πᵢ+πⱼ) and the win credit (wins + ½ ties, with `prior` virtual ties
/// per compared pair) of every system, recomputed from the table.
fn first_order(k: usize, table: &[PairCount], scores: &[f64], prior: f64) -> Vec<(f64, f64)> {
    let mut out = vec![(0.0, 0.0); k];
    for c in table {
        let n = (c.wins + c.ties + c.losses) as f64;
        if n == 0.0 {
            continue;
        }
        let (pa, pb) = (scores[c.a].exp(), scores[c.b].exp());
        let n = n + prior;
        out[c.a].0 += n * pa / (pa + pb);
        out[c.b].0 += n * pb / (pa + pb);
        out[c.a].1 += c.wins as f64 + (c.ties as f64 + prior) / 2.0;
        out[c.b].1 += c.losses as f64 + (c.ties as f64 + prior) / 2.0;
    }
    out
}

fn fixed_table() -> Vec<PairCount> {
    vec![
        pc(0, 1, 30, 5, 12),
        pc(0, 2, 22, 8, 20),
        pc(0, 3, 40, 2, 7),
        pc(1, 2, 10, 10, 25),
        pc(1, 3, 18, 4, 15),
        pc(2, 3, 35, 6, 9),
    ]
}

#[test]
fn bradley_terry_satisfies_the_first_order_conditions() {
    let t = fixed_table();
    for prior in [0.0, 1.0, 3.5] {
        let fit = bt::fit(4, &t, prior).unwrap();
        let mean: f64 = fit.scores.iter().sum::<f64>() / 4.0;
        assert!(mean.abs() < 1e-12, "scores are centred");
        for (i, (expected, observed)) in first_order(4, &t, &fit.scores, prior).iter().enumerate() {
            assert!(
                close(*expected, *observed, 1e-8),
                "system {i}: {expected} vs {observed}"
            );
        }
    }
}

#[test]
fn bradley_terry_two_systems_is_the_log_odds() {
    // With two systems the MLE is closed-form: s₀ − s₁ = ln(W₀/W₁).
    let fit = bt::fit(2, &[pc(0, 1, 14, 4, 6)], 0.0).unwrap();
    let want = ((14.0_f64 + 2.0) / (6.0 + 2.0)).ln();
    assert!(close(fit.scores[0] - fit.scores[1], want, 1e-9));
    assert!(close(fit.scores[0], want / 2.0, 1e-9));
}

#[test]
fn bradley_terry_reads_pairs_in_either_orientation_and_repeated() {
    let t = fixed_table();
    let a = bt::fit(4, &t, 0.0).unwrap();
    let mut flipped: Vec<PairCount> = t
        .iter()
        .map(|c| pc(c.b, c.a, c.losses, c.ties, c.wins))
        .collect();
    // Split the first pair in two rows.
    flipped[0].wins = 5;
    flipped.push(pc(0, 1, 0, 0, 7));
    let b = bt::fit(4, &flipped, 0.0).unwrap();
    for (x, y) in a.scores.iter().zip(&b.scores) {
        assert!(close(*x, *y, 1e-8));
    }
}

#[test]
fn bradley_terry_undefined_tables() {
    assert_eq!(bt::fit(1, &[], 1.0), Err(BtError::TooFewSystems));
    assert_eq!(
        bt::fit(3, &[pc(0, 1, 1, 0, 1)], 1.0),
        Err(BtError::Unjudged(2))
    );
    assert_eq!(
        bt::fit(4, &[pc(0, 1, 1, 0, 1), pc(2, 3, 1, 0, 1)], 1.0),
        Err(BtError::Disconnected)
    );
    assert_eq!(
        bt::fit(2, &[pc(0, 5, 1, 0, 1)], 1.0),
        Err(BtError::UnknownSystem(5))
    );
    // System 2 never wins: infinite without the prior, finite and last with it.
    let never = [pc(0, 1, 5, 0, 5), pc(0, 2, 6, 0, 0), pc(1, 2, 4, 0, 0)];
    assert_eq!(bt::fit(3, &never, 0.0), Err(BtError::Unbounded));
    let fit = bt::fit(3, &never, 1.0).unwrap();
    assert!(fit.scores.iter().all(|s| s.is_finite()));
    assert!(fit.scores[2] < fit.scores[0] && fit.scores[2] < fit.scores[1]);
    for (e, o) in first_order(3, &never, &fit.scores, 1.0) {
        assert!(close(e, o, 1e-8));
    }
    // Only ties: everyone equal.
    let fit = bt::fit(3, &[pc(0, 1, 0, 3, 0), pc(1, 2, 0, 3, 0)], 0.0).unwrap();
    assert!(fit.scores.iter().all(|s| s.abs() < 1e-9));
}

#[test]
fn bootstrap_is_seeded_and_brackets_the_estimate() {
    let t = fixed_table();
    let opts = BtOptions {
        prior_ties: 1.0,
        resamples: 300,
        seed: 42,
    };
    let a = bt::bootstrap(4, &t, &opts).unwrap();
    let b = bt::bootstrap(4, &t, &opts).unwrap();
    assert_eq!(a, b, "same seed, same intervals");
    let c = bt::bootstrap(4, &t, &BtOptions { seed: 43, ..opts }).unwrap();
    assert_ne!(a, c, "another seed, other draws");
    assert_eq!(a.resamples, 300);
    assert_eq!(a.failed, 0);
    let point = bt::fit(4, &t, 1.0).unwrap();
    for (s, p) in a.scores.iter().zip(&point.scores) {
        assert!(close(s.score, *p, 1e-12));
        let [lo, hi] = s.ci95.unwrap();
        assert!(lo < s.score && s.score < hi, "{lo} {} {hi}", s.score);
        assert!(hi - lo < 1.5);
    }
}

#[test]
fn bootstrap_with_mostly_failing_resamples_gives_no_interval() {
    // One judgment between each adjacent pair, no prior: most resamples lose a link.
    let t = [pc(0, 1, 1, 0, 1), pc(1, 2, 1, 0, 1)];
    let opts = BtOptions {
        prior_ties: 0.0,
        resamples: 200,
        seed: 1,
    };
    let b = bt::bootstrap(3, &t, &opts).unwrap();
    assert!(b.failed * 2 > b.resamples);
    assert!(
        b.scores
            .iter()
            .all(|s| s.ci95.is_none() && s.score.is_finite())
    );
}

proptest! {
    #[test]
    fn bradley_terry_first_order_on_random_tables(
        k in 2usize..7,
        cells in proptest::collection::vec((0u64..30, 0u64..6, 0u64..30), 21),
        prior in 0.0f64..2.0,
    ) {
        let mut t = Vec::new();
        let mut it = cells.iter();
        for a in 0..k {
            for b in a + 1..k {
                let &(w, ti, l) = it.next().unwrap();
                // Both directions present so the plain MLE exists too.
                t.push(pc(a, b, w + 1, ti, l + 1));
            }
        }
        let fit = bt::fit(k, &t, prior).unwrap();
        for (e, o) in first_order(k, &t, &fit.scores, prior) {
            prop_assert!(close(e, o, 1e-7), "{e} vs {o}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cohen's κ

/// κ from the confusion matrix: (N Σ mᵢᵢ − Σ rᵢcᵢ) / (N² − Σ rᵢcᵢ).
fn cohen_matrix(items: &[(u8, u8)], cats: usize) -> Option<f64> {
    let mut m = vec![vec![0f64; cats]; cats];
    for &(x, y) in items {
        m[x as usize][y as usize] += 1.0;
    }
    let n = items.len() as f64;
    let diag: f64 = (0..cats).map(|i| m[i][i]).sum();
    let rc: f64 = (0..cats)
        .map(|i| m[i].iter().sum::<f64>() * (0..cats).map(|r| m[r][i]).sum::<f64>())
        .sum();
    let den = n * n - rc;
    (den.abs() > 1e-12).then(|| (n * diag - rc) / den)
}

#[test]
fn cohen_two_by_two_worked_example() {
    // 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 → pₒ = 0.7, pₑ = 0.5.
    let (a, b, c, d) = (20.0, 5.0, 10.0, 15.0);
    let mut items = Vec::new();
    items.extend(std::iter::repeat_n(("yes", "yes"), 20));
    items.extend(std::iter::repeat_n(("yes", "no"), 5));
    items.extend(std::iter::repeat_n(("no", "yes"), 10));
    items.extend(std::iter::repeat_n(("no", "no"), 15));
    // The 2×2 shortcut: 2(ad − bc) / ((a+b)(b+d) + (a+c)(c+d)).
    let want = 2.0 * (a * d - b * c) / ((a + b) * (b + d) + (a + c) * (c + d));
    let got = cohen_kappa(&items).unwrap();
    assert!(close(got, want, 1e-12));
    assert!(close(got, (0.7 - 0.5) / (1.0 - 0.5), 1e-12));
}

#[test]
fn cohen_degenerate() {
    assert_eq!(cohen_kappa::<u8>(&[]), None);
    assert_eq!(cohen_kappa(&[(1, 1), (1, 1)]), None);
    // Perfect agreement with variation is 1.
    assert!(close(
        cohen_kappa(&[(1, 1), (2, 2), (1, 1)]).unwrap(),
        1.0,
        1e-12
    ));
}

proptest! {
    #[test]
    fn cohen_matches_the_confusion_matrix_formula(
        items in proptest::collection::vec((0u8..4, 0u8..4), 1..80)
    ) {
        let got = cohen_kappa(&items);
        let want = cohen_matrix(&items, 4);
        match (got, want) {
            (Some(g), Some(w)) => prop_assert!(close(g, w, 1e-9)),
            (g, w) => prop_assert_eq!(g, w),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fleiss' κ

/// Fleiss' worked example: 10 subjects, 14 raters, 5 categories.
fn fleiss_example() -> Vec<Vec<u64>> {
    vec![
        vec![0, 0, 0, 0, 14],
        vec![0, 2, 6, 4, 2],
        vec![0, 0, 3, 5, 6],
        vec![0, 3, 9, 2, 0],
        vec![2, 2, 8, 1, 1],
        vec![7, 7, 0, 0, 0],
        vec![3, 2, 6, 3, 0],
        vec![2, 5, 3, 2, 2],
        vec![6, 5, 2, 1, 0],
        vec![0, 2, 2, 3, 7],
    ]
}

/// κ = 1 − (N n² − Σ nᵢⱼ²) / (N n (n − 1) Σⱼ pⱼ(1 − pⱼ)), from the category proportions.
fn fleiss_by_proportions(rows: &[Vec<u64>]) -> f64 {
    let n_items = rows.len() as f64;
    let n = rows[0].iter().sum::<u64>() as f64;
    let cats = rows[0].len();
    let sq: f64 = rows.iter().flatten().map(|&c| (c * c) as f64).sum();
    let pq: f64 = (0..cats)
        .map(|j| {
            let p = rows.iter().map(|r| r[j]).sum::<u64>() as f64 / (n_items * n);
            p * (1.0 - p)
        })
        .sum();
    1.0 - (n_items * n * n - sq) / (n_items * n * (n - 1.0) * pq)
}

#[test]
fn fleiss_worked_example() {
    let rows = fleiss_example();
    let got = fleiss_kappa(&rows).unwrap();
    assert!(close(got, fleiss_by_proportions(&rows), 1e-12));
    // The published value, to three decimals.
    assert!((got - 0.210).abs() < 0.0005, "{got}");
}

#[test]
fn fleiss_with_two_raters_is_scotts_pi() {
    let items = [
        (0u8, 0u8),
        (0, 1),
        (1, 1),
        (2, 2),
        (2, 1),
        (1, 1),
        (0, 0),
        (2, 2),
    ];
    let rows: Vec<Vec<u64>> = items
        .iter()
        .map(|&(x, y)| {
            let mut r = vec![0; 3];
            r[x as usize] += 1;
            r[y as usize] += 1;
            r
        })
        .collect();
    let n = items.len() as f64;
    let po = items.iter().filter(|(x, y)| x == y).count() as f64 / n;
    let pe: f64 = (0..3u8)
        .map(|c| {
            let p = items
                .iter()
                .map(|&(x, y)| u8::from(x == c) + u8::from(y == c))
                .sum::<u8>() as f64
                / (2.0 * n);
            p * p
        })
        .sum();
    assert!(close(
        fleiss_kappa(&rows).unwrap(),
        (po - pe) / (1.0 - pe),
        1e-12
    ));
}

#[test]
fn fleiss_degenerate_and_varying_counts() {
    assert_eq!(fleiss_kappa(&[]), None);
    assert_eq!(
        fleiss_kappa(&[vec![1, 0], vec![0, 1]]),
        None,
        "one rating per item"
    );
    assert_eq!(
        fleiss_kappa(&[vec![3, 0], vec![2, 0]]),
        None,
        "one category only"
    );
    // Varying counts: per-item agreement with its own n, pooled proportions.
    let rows = [vec![2u64, 1], vec![0, 4], vec![1, 1, 0]];
    let p_items = [2.0 / 6.0, 12.0 / 12.0, 0.0];
    let p_bar = p_items.iter().sum::<f64>() / 3.0;
    let (c0, c1) = (3.0 / 9.0, 6.0 / 9.0);
    let pe = c0 * c0 + c1 * c1;
    assert!(close(
        fleiss_kappa(&rows).unwrap(),
        (p_bar - pe) / (1.0 - pe),
        1e-12
    ));
}

proptest! {
    #[test]
    fn fleiss_matches_proportions_formula(
        raters in 2u64..8,
        rows in proptest::collection::vec(proptest::collection::vec(0u64..100, 4), 1..30)
    ) {
        // Spread `raters` ratings over 4 categories by the random weights.
        let rows: Vec<Vec<u64>> = rows.iter().map(|w| {
            let mut r = vec![0u64; 4];
            for i in 0..raters {
                let pick = (w.iter().sum::<u64>() + i * 37) as usize % 4;
                let pick = if w[pick] % 2 == 0 { pick } else { (pick + 1 + i as usize) % 4 };
                r[pick] += 1;
            }
            r
        }).collect();
        let got = fleiss_kappa(&rows);
        let n = raters as f64;
        let cats_used = (0..4).filter(|&j| rows.iter().any(|r| r[j] > 0)).count();
        if cats_used < 2 {
            prop_assert_eq!(got, None);
        } else {
            let want = fleiss_by_proportions(&rows);
            prop_assert!(close(got.unwrap(), want, 1e-9));
            // Complete data: α(nominal) = 1 − (1 − κ)(Nn − 1)/(Nn).
            let units: Vec<Vec<f64>> = rows.iter().map(|r| {
                r.iter().enumerate().flat_map(|(j, &c)| std::iter::repeat_n(j as f64, c as usize)).collect()
            }).collect();
            let nn = rows.len() as f64 * n;
            let alpha = krippendorff_alpha(&units, Metric::Nominal).unwrap();
            prop_assert!(close(alpha, 1.0 - (1.0 - want) * (nn - 1.0) / nn, 1e-9));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Krippendorff's α

/// α from pairwise disagreements of the raw values (no coincidence matrix).
fn alpha_pairwise(units: &[Vec<f64>], metric: Metric) -> Option<f64> {
    let d2 = |a: f64, b: f64| match metric {
        Metric::Nominal => f64::from(u8::from(a != b)),
        Metric::Interval => (a - b) * (a - b),
    };
    let pairable: Vec<&Vec<f64>> = units.iter().filter(|u| u.len() >= 2).collect();
    let all: Vec<f64> = pairable.iter().flat_map(|u| u.iter().copied()).collect();
    let n = all.len() as f64;
    if n < 2.0 {
        return None;
    }
    let mut d_o = 0.0;
    for u in &pairable {
        let mut s = 0.0;
        for (i, a) in u.iter().enumerate() {
            for (j, b) in u.iter().enumerate() {
                if i != j {
                    s += d2(*a, *b);
                }
            }
        }
        d_o += s / (u.len() as f64 - 1.0);
    }
    d_o /= n;
    let mut d_e = 0.0;
    for (i, a) in all.iter().enumerate() {
        for (j, b) in all.iter().enumerate() {
            if i != j {
                d_e += d2(*a, *b);
            }
        }
    }
    d_e /= n * (n - 1.0);
    (d_e > 1e-12).then(|| 1.0 - d_o / d_e)
}

/// Krippendorff's worked example: 4 coders, 12 units, missing values (columns are units).
fn kripp_example() -> Vec<Vec<f64>> {
    let m = f64::NAN;
    let coders = [
        [1.0, 2.0, 3.0, 3.0, 2.0, 1.0, 4.0, 1.0, 2.0, m, m, m],
        [1.0, 2.0, 3.0, 3.0, 2.0, 2.0, 4.0, 1.0, 2.0, 5.0, m, 3.0],
        [m, 3.0, 3.0, 3.0, 2.0, 3.0, 4.0, 2.0, 2.0, 5.0, 1.0, m],
        [1.0, 2.0, 3.0, 3.0, 2.0, 4.0, 4.0, 1.0, 2.0, 5.0, 1.0, m],
    ];
    (0..12)
        .map(|u| coders.iter().map(|c| c[u]).collect())
        .collect()
}

#[test]
fn krippendorff_worked_example() {
    let units = kripp_example();
    let clean: Vec<Vec<f64>> = units
        .iter()
        .map(|u| u.iter().copied().filter(|v| v.is_finite()).collect())
        .collect();
    let nominal = krippendorff_alpha(&units, Metric::Nominal).unwrap();
    let interval = krippendorff_alpha(&units, Metric::Interval).unwrap();
    assert!(close(
        nominal,
        alpha_pairwise(&clean, Metric::Nominal).unwrap(),
        1e-12
    ));
    assert!(close(
        interval,
        alpha_pairwise(&clean, Metric::Interval).unwrap(),
        1e-12
    ));
    // The published values, to three decimals.
    assert!((nominal - 0.743).abs() < 0.0005, "{nominal}");
    assert!((interval - 0.849).abs() < 0.0005, "{interval}");
}

#[test]
fn krippendorff_degenerate() {
    assert_eq!(krippendorff_alpha(&[], Metric::Nominal), None);
    assert_eq!(
        krippendorff_alpha(&[vec![1.0], vec![2.0]], Metric::Interval),
        None
    );
    assert_eq!(
        krippendorff_alpha(&[vec![3.0, 3.0], vec![3.0, 3.0, 3.0]], Metric::Interval),
        None
    );
    assert_eq!(
        krippendorff_alpha(&[vec![f64::NAN, 1.0]], Metric::Nominal),
        None
    );
    // −0 and 0 are the same value.
    assert!(close(
        krippendorff_alpha(&[vec![0.0, -0.0], vec![1.0, 1.0]], Metric::Nominal).unwrap(),
        1.0,
        1e-12
    ));
}

proptest! {
    #[test]
    fn krippendorff_matrix_equals_pairwise(
        units in proptest::collection::vec(proptest::collection::vec(0u8..6, 0..6), 1..25),
        interval in any::<bool>(),
    ) {
        let units: Vec<Vec<f64>> = units.iter().map(|u| u.iter().map(|&v| f64::from(v) * 0.5).collect()).collect();
        let metric = if interval { Metric::Interval } else { Metric::Nominal };
        let got = krippendorff_alpha(&units, metric);
        let want = alpha_pairwise(&units, metric);
        match (got, want) {
            (Some(g), Some(w)) => prop_assert!(close(g, w, 1e-9), "{g} vs {w}"),
            (g, w) => prop_assert_eq!(g, w),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Mean, sd, t interval

#[test]
fn describe_small_samples_against_closed_form_t() {
    // df = 1: t(0.975) = tan(0.475 π) (Cauchy). df = 2: t = (2p − 1)/√(2p(1 − p)).
    let s = describe(&[3.0, 5.0]).unwrap();
    let t1 = (0.475 * std::f64::consts::PI).tan();
    let sd = 2f64.sqrt();
    assert!(close(s.mean, 4.0, 1e-12) && close(s.sd.unwrap(), sd, 1e-12));
    let [lo, hi] = s.ci95.unwrap();
    assert!(close(hi - 4.0, t1 * sd / 2f64.sqrt(), 1e-9) && close(4.0 - lo, hi - 4.0, 1e-12));

    let s = describe(&[1.0, 2.0, 6.0]).unwrap();
    let t2 = 0.95 / (2.0 * 0.975 * 0.025f64).sqrt();
    let mean = 3.0;
    let sd = ((4.0 + 1.0 + 9.0) / 2.0f64).sqrt();
    assert!(close(s.sd.unwrap(), sd, 1e-12));
    assert!(close(
        s.ci95.unwrap()[1],
        mean + t2 * sd / 3f64.sqrt(),
        1e-9
    ));
}

#[test]
fn describe_degenerate() {
    assert_eq!(describe(&[]), None);
    assert_eq!(describe(&[f64::NAN]), None);
    let one = describe(&[2.5, f64::INFINITY]).unwrap();
    assert_eq!((one.n, one.mean, one.sd, one.ci95), (1, 2.5, None, None));
    let flat = describe(&[4.0; 5]).unwrap();
    assert_eq!(flat.ci95, Some([4.0, 4.0]));
}

proptest! {
    #[test]
    fn describe_interval_has_the_t_coverage(xs in proptest::collection::vec(-100.0f64..100.0, 2..60)) {
        let s = describe(&xs).unwrap();
        let n = xs.len() as f64;
        // sd by the one-pass sums formula.
        let sum: f64 = xs.iter().sum();
        let sq: f64 = xs.iter().map(|x| x * x).sum();
        let var = (sq - sum * sum / n) / (n - 1.0);
        prop_assert!(close(s.sd.unwrap(), var.max(0.0).sqrt(), 1e-6));
        let sd = s.sd.unwrap();
        prop_assume!(sd > 1e-6);
        // The upper bound sits at the t distribution's 97.5 % point (checked through the cdf).
        let t = StudentsT::new(0.0, 1.0, n - 1.0).unwrap();
        let [lo, hi] = s.ci95.unwrap();
        prop_assert!(close(t.cdf((hi - s.mean) / (sd / n.sqrt())), 0.975, 1e-7));
        prop_assert!(close(t.cdf((lo - s.mean) / (sd / n.sqrt())), 0.025, 1e-6));
    }
}

// ---------------------------------------------------------------------------------------------
// Wilcoxon signed-rank

/// Exact two-sided p by enumerating every sign assignment of the ranks 1..n.
fn wilcoxon_enumerated(diffs: &[f64]) -> f64 {
    let mut abs: Vec<f64> = diffs.iter().map(|d| d.abs()).collect();
    abs.sort_by(f64::total_cmp);
    let rank = |x: f64| abs.iter().position(|&a| a == x.abs()).unwrap() + 1;
    let w_plus: usize = diffs.iter().filter(|d| **d > 0.0).map(|d| rank(*d)).sum();
    let n = diffs.len();
    let total = n * (n + 1) / 2;
    let observed = w_plus.min(total - w_plus);
    let mut hits = 0u64;
    for mask in 0u32..(1 << n) {
        let w: usize = (0..n).filter(|i| mask & (1 << i) != 0).map(|i| i + 1).sum();
        if w.min(total - w) <= observed {
            hits += 1;
        }
    }
    hits as f64 / f64::from(1u32 << n)
}

#[test]
fn wilcoxon_degenerate() {
    assert_eq!(wilcoxon_signed_rank(&[]), None);
    assert_eq!(wilcoxon_signed_rank(&[(1.0, 1.0), (2.0, 2.0)]), None);
    let one = wilcoxon_signed_rank(&[(1.0, 3.0), (5.0, 5.0), (f64::NAN, 1.0)]).unwrap();
    assert_eq!((one.n, one.w_plus, one.w_minus), (1, 1.0, 0.0));
    assert!(close(one.p, 1.0, 1e-12));
}

#[test]
fn wilcoxon_ties_use_the_normal_approximation_with_tie_correction() {
    // Differences 2, 2, −2, 5, 1, 3, 3, 3, −1, 4 (before 0).
    let d = [2.0, 2.0, -2.0, 5.0, 1.0, 3.0, 3.0, 3.0, -1.0, 4.0];
    let pairs: Vec<(f64, f64)> = d.iter().map(|&x| (0.0, x)).collect();
    let r = wilcoxon_signed_rank(&pairs).unwrap();
    assert_eq!(r.method, WilcoxonMethod::Normal);
    // Ranks by counting: #{|d| < x} + (#{|d| = x} + 1)/2.
    let rank = |x: f64| {
        let below = d.iter().filter(|y| y.abs() < x.abs()).count() as f64;
        let same = d.iter().filter(|y| y.abs() == x.abs()).count() as f64;
        below + (same + 1.0) / 2.0
    };
    let w_plus: f64 = d.iter().filter(|x| **x > 0.0).map(|x| rank(*x)).sum();
    let w_minus: f64 = d.iter().filter(|x| **x < 0.0).map(|x| rank(*x)).sum();
    assert!(close(r.w_plus, w_plus, 1e-12) && close(r.w_minus, w_minus, 1e-12));
    assert!(close(r.w, w_minus, 1e-12));
    // Tie groups among |d|: {1,1}, {2,2,2}, {3,3,3} → Σ(t³ − t) = 6 + 24 + 24.
    let n = 10.0;
    let var = n * (n + 1.0) * (2.0 * n + 1.0) / 24.0 - 54.0 / 48.0;
    let z = (w_plus - n * (n + 1.0) / 4.0) / var.sqrt();
    let p = statrs::function::erf::erfc(z.abs() / 2f64.sqrt());
    assert!(close(r.p, p, 1e-9), "{} vs {p}", r.p);
}

proptest! {
    #[test]
    fn wilcoxon_exact_matches_enumeration(
        mags in proptest::collection::btree_set(1u32..200, 1..13),
        signs in proptest::collection::vec(any::<bool>(), 13),
        offsets in proptest::collection::vec(-50.0f64..50.0, 13),
    ) {
        let diffs: Vec<f64> = mags.iter().zip(&signs).map(|(&m, &s)| if s { f64::from(m) } else { -f64::from(m) }).collect();
        let pairs: Vec<(f64, f64)> = diffs.iter().zip(&offsets).map(|(d, o)| (o.round(), o.round() + d)).collect();
        let r = wilcoxon_signed_rank(&pairs).unwrap();
        prop_assert_eq!(r.method, WilcoxonMethod::Exact);
        prop_assert_eq!(r.n, diffs.len());
        let want = wilcoxon_enumerated(&diffs);
        prop_assert!(close(r.p, want, 1e-12), "{} vs {want}", r.p);
        prop_assert!(close(r.w_plus + r.w_minus, (r.n * (r.n + 1)) as f64 / 2.0, 1e-12));
    }
}

// ---------------------------------------------------------------------------------------------
// Pairwise composition

fn j(item: usize, annotator: usize, a: usize, b: usize, outcome: Outcome) -> Judgment {
    Judgment {
        item,
        annotator,
        a,
        b,
        outcome,
    }
}

#[test]
fn tally_orients_pairs_and_pair_stats_follow_the_definitions() {
    let js = [
        j(0, 0, 0, 1, Outcome::A),
        j(1, 0, 1, 0, Outcome::B), // system 0 preferred
        j(2, 0, 1, 0, Outcome::A), // system 1 preferred
        j(3, 0, 0, 1, Outcome::Tie),
        j(4, 0, 2, 2, Outcome::A), // same system: left out
        j(5, 0, 2, 0, Outcome::A), // system 2 beats 0
    ];
    let t = pairwise::tally(&js);
    assert_eq!(t, vec![pc(0, 1, 2, 1, 1), pc(0, 2, 0, 0, 1)]);
    let s = PairStats::of(&t[0]);
    assert_eq!(s.win_rate, Some(2.0 / 3.0));
    assert_eq!(s.wilson95, wilson(2, 3));
    assert!(close(s.sign_p, sign_p_exact(2, 1), 1e-12));
    let none = PairStats::of(&pc(0, 1, 0, 4, 0));
    assert_eq!(
        (none.win_rate, none.wilson95, none.sign_p),
        (None, None, 1.0)
    );
}

#[test]
fn agreement_of_two_annotators_is_cohen_over_shared_units() {
    // Annotators 7 and 9 judge the same five units; a third judges a unit alone (not shared).
    let labels = [
        (Outcome::A, Outcome::A),
        (Outcome::A, Outcome::B),
        (Outcome::Tie, Outcome::Tie),
        (Outcome::B, Outcome::B),
        (Outcome::A, Outcome::A),
    ];
    let mut js = Vec::new();
    for (item, (x, y)) in labels.iter().enumerate() {
        js.push(j(item, 7, 0, 1, *x));
        // Annotator 9 saw the pair the other way round: flip the label.
        let flipped = match y {
            Outcome::A => Outcome::B,
            Outcome::B => Outcome::A,
            Outcome::Tie => Outcome::Tie,
        };
        js.push(j(item, 9, 1, 0, flipped));
    }
    js.push(j(99, 3, 0, 1, Outcome::A));
    let ag = pairwise::agreement(&js);
    assert_eq!((ag.units, ag.annotators), (5, 2));
    let codes: Vec<(u8, u8)> = labels.iter().map(|(x, y)| (*x as u8, *y as u8)).collect();
    assert!(close(
        ag.cohen_kappa.unwrap(),
        cohen_matrix(&codes, 3).unwrap(),
        1e-12
    ));
    let units: Vec<Vec<f64>> = codes
        .iter()
        .map(|(x, y)| vec![f64::from(*x), f64::from(*y)])
        .collect();
    assert!(close(
        ag.krippendorff_alpha.unwrap(),
        alpha_pairwise(&units, Metric::Nominal).unwrap(),
        1e-12
    ));
    assert!(ag.fleiss_kappa.is_some());
}

#[test]
fn analyse_gives_the_report_shape() {
    let mut js = Vec::new();
    for i in 0..60 {
        let (a, b) = [(0, 1), (1, 2), (0, 2)][i % 3];
        let outcome = [Outcome::A, Outcome::A, Outcome::B, Outcome::Tie][i % 4];
        js.push(j(i, i % 2, a, b, outcome));
    }
    let opts = BtOptions {
        seed: 5,
        ..BtOptions::default()
    };
    let r = pairwise::analyse(3, &js, &opts);
    assert_eq!(r.pairs.len(), 3);
    let b = r.bradley_terry.as_ref().unwrap();
    assert_eq!(b.resamples, 200);
    let v = serde_json::to_value(&r).unwrap();
    for key in ["pairs", "bradley_terry", "agreement"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert!(v["pairs"][0]["wilson95"].is_array());
    assert!(v.get("bradley_terry_error").is_none());
    // Two systems: no Bradley–Terry.
    let two: Vec<Judgment> = js
        .iter()
        .copied()
        .filter(|x| x.a != 2 && x.b != 2)
        .collect();
    assert!(pairwise::analyse(2, &two, &opts).bradley_terry.is_none());
    // A system without judgments: the error is given instead.
    let r = pairwise::analyse(4, &js, &opts);
    assert_eq!(r.bradley_terry_error, Some(BtError::Unjudged(3)));
}

#[test]
fn huge_values_give_none_not_infinities() {
    assert_eq!(describe(&[f64::MAX, f64::MAX]), None);
    assert_eq!(
        krippendorff_alpha(
            &[vec![f64::MAX, -f64::MAX], vec![0.0, 1.0]],
            Metric::Interval
        ),
        None
    );
    assert!(fleiss_kappa(&[vec![u64::MAX, 1], vec![1, 1]]).is_none_or(f64::is_finite));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any small set of judgments gives a report without NaN or infinity anywhere.
    #[test]
    fn analyse_is_finite_on_any_judgments(
        raw in proptest::collection::vec((0usize..6, 0usize..4, 0usize..4, 0usize..4, 0u8..3), 0..40)
    ) {
        let js: Vec<Judgment> = raw
            .iter()
            .map(|&(item, annotator, a, b, o)| j(item, annotator, a, b, [Outcome::A, Outcome::B, Outcome::Tie][o as usize]))
            .collect();
        let opts = BtOptions { prior_ties: 1.0, resamples: 20, seed: 9 };
        let r = pairwise::analyse(4, &js, &opts);
        fn finite(v: &serde_json::Value) -> bool {
            match v {
                serde_json::Value::Number(n) => n.as_f64().is_some_and(f64::is_finite),
                serde_json::Value::Array(a) => a.iter().all(finite),
                serde_json::Value::Object(o) => o.values().all(finite),
                _ => true,
            }
        }
        let v = serde_json::to_value(&r).unwrap();
        prop_assert!(finite(&v), "{v}");
        // serde_json writes NaN as null: no null may stand where a number was computed.
        for p in v["pairs"].as_array().unwrap() {
            prop_assert!(p["sign_p"].is_number());
        }
    }
}
