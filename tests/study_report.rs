//! `socius study report|export|import`: every statistic recomputed here from the fixture's own
//! generator, independently of `socius::stats`; quality-control exclusions; export → import →
//! the same report; bad arena files; the real binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;
use socius::driver::records::study as rec;
use socius::report::judged::{self, AgreementOut, Input, Stored, Vote};
use socius::session::{JudgmentChoice, NewSession, ScriptRef, SessionKind, Status, Who};
use socius::store::Store;
use socius::study::judged::{
    ItemKind, JUDGED_SCHEMA, JudgedItem, JudgedKind, JudgedPlan, ReasonRule, RubricItemPlan,
    RubricPlan, Shown, Side, Task, TaskBody, TaskKind,
};

const Z: f64 = 1.959_963_984_540_054;
const SYSTEMS: [&str; 3] = ["m1", "m2", "m3"];
const PAIRS: [(usize, usize); 3] = [(0, 1), (0, 2), (1, 2)];
const ITEMS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum O {
    A,
    B,
    Tie,
}

fn session(item: usize, sys: usize) -> String {
    format!("s-c{item}-{}", SYSTEMS[sys])
}

fn task_id(item: usize, pair: usize) -> String {
    format!("t-c{item}-p{pair}")
}

/// The fixture's verdicts: annotator `ann` (0 or 1) on item `i`, pair `p`.
fn outcome(i: usize, p: usize, ann: usize) -> O {
    match (i * 7 + p * 3 + ann * 5) % 10 {
        0..=5 => O::A,
        6 | 7 => O::B,
        _ => O::Tie,
    }
}

fn at(k: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap() + Duration::seconds(k)
}

fn pair_plan(id: &str) -> JudgedPlan {
    let mut tasks = Vec::new();
    for i in 0..ITEMS {
        for (p, (a, b)) in PAIRS.iter().enumerate() {
            tasks.push(Task {
                id: task_id(i, p),
                kind: TaskKind::Real,
                item: Some(format!("c{i}")),
                body: TaskBody::Pair {
                    a: Shown {
                        system: Some(SYSTEMS[*a].into()),
                        session: session(i, *a),
                    },
                    b: Shown {
                        system: Some(SYSTEMS[*b].into()),
                        session: session(i, *b),
                    },
                    better: None,
                },
            });
        }
    }
    for (tid, kind, better) in [
        ("onb", TaskKind::Onboarding, Side::B),
        ("att", TaskKind::Attention, Side::A),
    ] {
        tasks.push(Task {
            id: tid.into(),
            kind,
            item: None,
            body: TaskBody::Pair {
                a: Shown {
                    system: None,
                    session: format!("{tid}-good"),
                },
                b: Shown {
                    system: None,
                    session: format!("{tid}-bad"),
                },
                better: Some(better),
            },
        });
    }
    JudgedPlan {
        schema: JUDGED_SCHEMA,
        id: id.into(),
        kind: JudgedKind::Pairwise,
        created: at(0),
        study_sha256: String::new(),
        items: (0..ITEMS)
            .map(|i| JudgedItem {
                id: format!("c{i}"),
                kind: ItemKind::CrCase,
                sha256: String::new(),
                title: String::new(),
                file: None,
            })
            .collect(),
        systems: SYSTEMS.iter().map(|s| (*s).to_owned()).collect(),
        question: Some("Which therapist helps more?".into()),
        rubric: None,
        tasks,
        missing: Vec::new(),
        annotators: vec!["ann1".into(), "ann2".into(), "bad".into(), "slow".into()],
        per_unit: 2,
        min_seconds: 0,
        reason: ReasonRule::Optional,
        onboarding_pass: Some(0.5),
        attention_max_failures: Some(0),
        cap: None,
        seed: 7,
        imported: false,
    }
}

/// A vote on a pair task as the screen records it: `left_is_a` picks the sides.
fn vote(task: &str, sa: &str, sb: &str, o: O, left_is_a: bool, both_bad: bool) -> Vote {
    let (left, right) = if left_is_a { (sa, sb) } else { (sb, sa) };
    let choice = match (o, left_is_a) {
        (O::A, true) | (O::B, false) => JudgmentChoice::Left,
        (O::A, false) | (O::B, true) => JudgmentChoice::Right,
        (O::Tie, _) if both_bad => JudgmentChoice::BothBad,
        (O::Tie, _) => JudgmentChoice::Tie,
    };
    Vote::Judgment {
        pair: Some(task.into()),
        left: left.into(),
        right: right.into(),
        choice,
        reason: None,
    }
}

/// Every vote of the fixture, as (annotator, vote) in casting order.
fn pair_votes() -> Vec<(String, Vote)> {
    let mut v = Vec::new();
    let names = ["ann1", "ann2"];
    // ann1 first votes the opposite on c0/p0, then changes its mind (superseded).
    v.push((
        "ann1".to_owned(),
        vote(
            &task_id(0, 0),
            &session(0, 0),
            &session(0, 1),
            O::B,
            true,
            false,
        ),
    ));
    for (ann, name) in names.iter().enumerate() {
        v.push((
            (*name).to_owned(),
            vote("onb", "onb-good", "onb-bad", O::B, ann == 0, false),
        ));
        v.push((
            (*name).to_owned(),
            vote("att", "att-good", "att-bad", O::A, ann == 1, false),
        ));
        for i in 0..ITEMS {
            for (p, (a, b)) in PAIRS.iter().enumerate() {
                let o = outcome(i, p, ann);
                v.push((
                    (*name).to_owned(),
                    vote(
                        &task_id(i, p),
                        &session(i, *a),
                        &session(i, *b),
                        o,
                        (i + p + ann) % 2 == 0,
                        i % 2 == 1,
                    ),
                ));
            }
        }
    }
    // `bad` passes onboarding, fails the attention check, and votes on 5 real tasks.
    v.push((
        "bad".into(),
        vote("onb", "onb-good", "onb-bad", O::B, true, false),
    ));
    v.push((
        "bad".into(),
        vote("att", "att-good", "att-bad", O::B, true, false),
    ));
    for i in 0..5 {
        v.push((
            "bad".into(),
            vote(
                &task_id(i, 2),
                &session(i, 1),
                &session(i, 2),
                O::B,
                true,
                false,
            ),
        ));
    }
    // `slow` fails onboarding and votes on 3 real tasks.
    v.push((
        "slow".into(),
        vote("onb", "onb-good", "onb-bad", O::A, true, false),
    ));
    for i in 0..3 {
        v.push((
            "slow".into(),
            vote(
                &task_id(i, 1),
                &session(i, 0),
                &session(i, 2),
                O::A,
                false,
                false,
            ),
        ));
    }
    // A vote on no task of the plan.
    v.push(("ann2".into(), vote("nope", "x", "y", O::A, true, false)));
    v
}

fn input_of(votes: Vec<(String, Vote)>) -> Input {
    Input {
        votes: votes
            .into_iter()
            .enumerate()
            .map(|(k, (annotator, vote))| Stored {
                annotator,
                at: at(i64::try_from(k).unwrap()),
                session: "s".into(),
                seq: k as u64,
                vote,
            })
            .collect(),
        measures: BTreeMap::new(),
    }
}

// ---- independent statistics ---------------------------------------------------------------

fn wilson(k: u64, n: u64) -> [f64; 2] {
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    [centre - half, centre + half]
}

fn choose(n: u64, k: u64) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

fn sign_p(w: u64, l: u64) -> f64 {
    let n = w + l;
    if n == 0 {
        return 1.0;
    }
    let m = w.min(l);
    let tail: f64 = (0..=m).map(|k| choose(n, k)).sum::<f64>() / 2f64.powi(n as i32);
    (2.0 * tail).min(1.0)
}

fn close(x: f64, y: f64, what: &str) {
    assert!((x - y).abs() < 1e-9, "{what}: {x} vs {y}");
}

/// Krippendorff's α from the coincidence matrix, for units of values, with δ².
fn alpha(units: &[Vec<f64>], delta2: impl Fn(f64, f64) -> f64) -> f64 {
    let mut o: Vec<(f64, f64, f64)> = Vec::new();
    for u in units.iter().filter(|u| u.len() >= 2) {
        let m = u.len() as f64;
        for (x, a) in u.iter().enumerate() {
            for (y, b) in u.iter().enumerate() {
                if x != y {
                    o.push((*a, *b, 1.0 / (m - 1.0)));
                }
            }
        }
    }
    let n: f64 = o.iter().map(|t| t.2).sum();
    let mut nc: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
    for (a, _, w) in &o {
        nc.entry(a.to_bits()).or_insert((*a, 0.0)).1 += w;
    }
    let d_o: f64 = o.iter().map(|(a, b, w)| w * delta2(*a, *b)).sum::<f64>() / n;
    let mut d_e = 0.0;
    for (c, nc_) in nc.values() {
        for (k, nk) in nc.values() {
            d_e += nc_ * nk * delta2(*c, *k);
        }
    }
    d_e /= n * (n - 1.0);
    1.0 - d_o / d_e
}

fn code(o: O) -> f64 {
    match o {
        O::A => 0.0,
        O::B => 1.0,
        O::Tie => 2.0,
    }
}

#[test]
fn pairwise_statistics_match_an_independent_computation() {
    let plan = pair_plan("duel");
    let r = judged::report(&plan, &input_of(pair_votes()), 200);

    // Wins, ties, losses of the two annotators who pass.
    for (p, (a, b)) in PAIRS.iter().enumerate() {
        let (mut w, mut t, mut l) = (0u64, 0u64, 0u64);
        for ann in 0..2 {
            for i in 0..ITEMS {
                match outcome(i, p, ann) {
                    O::A => w += 1,
                    O::B => l += 1,
                    O::Tie => t += 1,
                }
            }
        }
        let row = r
            .pairs
            .iter()
            .find(|x| x.a == SYSTEMS[*a] && x.b == SYSTEMS[*b])
            .expect("pair row");
        assert_eq!((row.wins, row.ties, row.losses), (w, t, l), "pair {p}");
        close(row.win_rate.unwrap(), w as f64 / (w + l) as f64, "win rate");
        let [lo, hi] = wilson(w, w + l);
        let got = row.wilson95.unwrap();
        close(got[0], lo, "wilson lo");
        close(got[1], hi, "wilson hi");
        close(row.sign_p, sign_p(w, l), "sign p");
    }
    assert_eq!(r.pairs.len(), 3);

    // Counts: 2 × 24 real, one superseded, 5 + 3 excluded, 2 × 2 + 2 + 1 quality, 1 invalid.
    assert_eq!(r.judgments.counted, 2 * ITEMS * 3);
    assert_eq!(r.judgments.superseded, 1);
    assert_eq!(r.judgments.excluded, 8);
    assert_eq!(r.judgments.quality, 2 * 2 + 2 + 1);
    assert_eq!(r.judgments.invalid, 1);
    assert_eq!(r.judgments.missing, 0);

    // Exclusions.
    let ex: BTreeMap<&str, (&str, usize)> = r
        .excluded_annotators
        .iter()
        .map(|e| (e.annotator.as_str(), (e.reason.as_str(), e.votes)))
        .collect();
    assert_eq!(ex.len(), 2, "{ex:?}");
    assert!(ex["bad"].0.contains("attention: 1 of 1"), "{ex:?}");
    assert_eq!(ex["bad"].1, 5);
    assert!(ex["slow"].0.contains("onboarding: 0 of 1"), "{ex:?}");
    assert_eq!(ex["slow"].1, 3);

    // Agreement of ann1 and ann2 over the 24 units.
    let units: Vec<(O, O)> = (0..ITEMS)
        .flat_map(|i| (0..3).map(move |p| (outcome(i, p, 0), outcome(i, p, 1))))
        .collect();
    let n = units.len() as f64;
    let po = units.iter().filter(|(x, y)| x == y).count() as f64 / n;
    let share = |o: O, first: bool| {
        units
            .iter()
            .filter(|(x, y)| if first { *x == o } else { *y == o })
            .count() as f64
            / n
    };
    let pe: f64 = [O::A, O::B, O::Tie]
        .iter()
        .map(|o| share(*o, true) * share(*o, false))
        .sum();
    let cohen = (po - pe) / (1.0 - pe);
    // Fleiss with two raters per unit.
    let p_bar = po; // (Σ n² − 2) / 2 is 1 when both agree, 0 otherwise
    let pj: f64 = [O::A, O::B, O::Tie]
        .iter()
        .map(|o| {
            let s = (share(*o, true) + share(*o, false)) / 2.0;
            s * s
        })
        .sum();
    let fleiss = (p_bar - pj) / (1.0 - pj);
    let kripp = alpha(
        &units
            .iter()
            .map(|(x, y)| vec![code(*x), code(*y)])
            .collect::<Vec<_>>(),
        |a, b| if a == b { 0.0 } else { 1.0 },
    );
    let AgreementOut::Pairwise(a) = &r.agreement else {
        panic!("pairwise agreement expected");
    };
    assert_eq!(a.units, 24);
    assert_eq!(a.annotators, 2);
    close(a.cohen_kappa.unwrap(), cohen, "cohen");
    close(a.fleiss_kappa.unwrap(), fleiss, "fleiss");
    close(a.krippendorff_alpha.unwrap(), kripp, "krippendorff");

    // Bradley–Terry: centred, and at the fit every system's expected wins equal its credit
    // (wins + half the ties, one virtual tie per judged pair).
    assert_eq!(r.bradley_terry.len(), 3);
    let score: BTreeMap<&str, f64> = r
        .bradley_terry
        .iter()
        .map(|b| (b.system.as_str(), b.score))
        .collect();
    close(score.values().sum::<f64>(), 0.0, "centred");
    for s in SYSTEMS {
        let mut credit = 0.0;
        let mut expected = 0.0;
        for row in &r.pairs {
            let (me, other, mine) = if row.a == s {
                (&row.a, &row.b, row.wins as f64)
            } else if row.b == s {
                (&row.b, &row.a, row.losses as f64)
            } else {
                continue;
            };
            let n = (row.wins + row.ties + row.losses) as f64 + 1.0;
            credit += mine + (row.ties as f64 + 1.0) / 2.0;
            let (si, sj) = (score[me.as_str()], score[other.as_str()]);
            expected += n * si.exp() / (si.exp() + sj.exp());
        }
        assert!(
            (credit - expected).abs() < 1e-6,
            "{s}: {credit} vs {expected}"
        );
    }
    // Listed best first, each score inside its interval, 200 resamples, the plan's seed.
    for w in r.bradley_terry.windows(2) {
        assert!(w[0].score >= w[1].score);
    }
    for b in &r.bradley_terry {
        let [lo, hi] = b.ci95.unwrap();
        assert!(lo <= b.score && b.score <= hi, "{b:?}");
    }
    let boot = r.bootstrap.unwrap();
    assert_eq!((boot.resamples, boot.seed), (200, 7));
    // Seeded: the same again.
    assert_eq!(judged::report(&plan, &input_of(pair_votes()), 200), r);
}

#[test]
fn with_everyone_passing_no_one_is_excluded() {
    let mut plan = pair_plan("lenient");
    plan.onboarding_pass = None;
    plan.attention_max_failures = None;
    let r = judged::report(&plan, &input_of(pair_votes()), 200);
    assert!(r.excluded_annotators.is_empty());
    assert_eq!(r.judgments.excluded, 0);
    assert_eq!(r.judgments.counted, 2 * ITEMS * 3 + 5 + 3);
    // Three annotators on some units: no Cohen's κ.
    let AgreementOut::Pairwise(a) = &r.agreement else {
        panic!()
    };
    assert_eq!(a.cohen_kappa, None);
    assert_eq!(a.annotators, 4);
}

#[test]
fn pointwise_ratings_and_interval_alpha() {
    let systems = ["m1", "m2"];
    let mut tasks = Vec::new();
    for i in 0..5 {
        for s in systems {
            tasks.push(Task {
                id: format!("t{i}-{s}"),
                kind: TaskKind::Real,
                item: Some(format!("tree{i}")),
                body: TaskBody::Transcript {
                    shown: Shown {
                        system: Some(s.into()),
                        session: format!("x{i}-{s}"),
                    },
                    expect: BTreeMap::new(),
                },
            });
        }
    }
    let mut plan = pair_plan("points");
    plan.kind = JudgedKind::Pointwise;
    plan.systems = systems.iter().map(|s| (*s).to_owned()).collect();
    plan.tasks = tasks;
    plan.onboarding_pass = None;
    plan.attention_max_failures = None;
    plan.rubric = Some(RubricPlan {
        per: serde_json::from_str("\"dialogue\"").unwrap(),
        items: vec![RubricItemPlan {
            id: "empathy".into(),
            question: "How empathic?".into(),
            scale: [1, 5],
            anchors: BTreeMap::new(),
        }],
    });
    let value = |i: usize, s: usize, a: usize| ((i * 3 + s * 2 + a * a) % 5 + 1) as f64;
    let mut votes = Vec::new();
    for a in 0..3 {
        for i in 0..5 {
            for (s, name) in systems.iter().enumerate() {
                votes.push((
                    format!("r{a}"),
                    Vote::Rating {
                        task: Some(format!("t{i}-{name}")),
                        name: "empathy".into(),
                        value: value(i, s, a),
                        about_seq: None,
                    },
                ));
            }
        }
    }
    let r = judged::report(&plan, &input_of(votes), 200);
    assert_eq!(r.judgments.counted, 30);
    use statrs::distribution::{ContinuousCDF, StudentsT};
    for (s, name) in systems.iter().enumerate() {
        let xs: Vec<f64> = (0..3)
            .flat_map(|a| (0..5).map(move |i| value(i, s, a)))
            .collect();
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let t = StudentsT::new(0.0, 1.0, n - 1.0)
            .unwrap()
            .inverse_cdf(0.975);
        let row = r
            .pointwise
            .iter()
            .find(|p| p.system == *name && p.item == "empathy")
            .unwrap();
        assert_eq!(row.n, 15);
        close(row.mean.unwrap(), mean, "mean");
        close(row.sd.unwrap(), sd, "sd");
        let [lo, hi] = row.ci95.unwrap();
        close(lo, mean - t * sd / n.sqrt(), "ci lo");
        close(hi, mean + t * sd / n.sqrt(), "ci hi");
    }
    let units: Vec<Vec<f64>> = (0..5)
        .flat_map(|i| (0..2).map(move |s| (0..3).map(|a| value(i, s, a)).collect()))
        .collect();
    let expected = alpha(&units, |a, b| (a - b) * (a - b));
    let AgreementOut::Pointwise { items } = &r.agreement else {
        panic!()
    };
    assert_eq!(items[0].units, 10);
    close(items[0].krippendorff_alpha.unwrap(), expected, "alpha");
}

#[test]
fn cr_pre_post_change_with_wilcoxon() {
    let mut plan = pair_plan("cr");
    plan.onboarding_pass = None;
    plan.attention_max_failures = None;
    // belief_pre / belief_post of m1's session on every item; m2 only on two items.
    let pre = [80.0, 70.0, 90.0, 60.0, 75.0, 85.0, 65.0, 95.0];
    let post = [50.0, 69.0, 58.0, 64.0, 40.0, 82.0, 20.0, 88.0];
    let mut measures = BTreeMap::new();
    for i in 0..ITEMS {
        measures.insert(
            session(i, 0),
            vec![
                ("belief_pre".to_owned(), pre[i]),
                ("emotion_pre".to_owned(), 50.0),
                ("belief_post".to_owned(), post[i]),
            ],
        );
    }
    for i in 0..2 {
        measures.insert(
            session(i, 1),
            vec![
                ("belief_pre".to_owned(), 60.0),
                ("belief_post".to_owned(), 55.0),
            ],
        );
    }
    let input = Input {
        votes: Vec::new(),
        measures,
    };
    let r = judged::report(&plan, &input, 200);
    let m1 = r
        .intervention
        .systems
        .iter()
        .find(|s| s.system == "m1" && s.measure == "belief")
        .unwrap();
    assert_eq!(m1.n, ITEMS);
    let d: Vec<f64> = (0..ITEMS).map(|i| post[i] - pre[i]).collect();
    close(
        m1.mean_change,
        d.iter().sum::<f64>() / d.len() as f64,
        "mean change",
    );
    // Exact two-sided p over all sign patterns (no tied |d| here).
    let mut ranked: Vec<f64> = d.iter().map(|x| x.abs()).collect();
    ranked.sort_by(f64::total_cmp);
    let rank = |x: f64| ranked.iter().position(|r| *r == x.abs()).unwrap() as f64 + 1.0;
    let w_plus: f64 = d.iter().filter(|x| **x > 0.0).map(|x| rank(*x)).sum();
    let total = (ITEMS * (ITEMS + 1) / 2) as f64;
    let w = w_plus.min(total - w_plus);
    let patterns = 1u32 << ITEMS;
    let at_most = (0..patterns)
        .filter(|m| {
            let s: f64 = (0..ITEMS)
                .filter(|k| m & (1 << k) != 0)
                .map(|k| (k + 1) as f64)
                .sum();
            s <= w
        })
        .count() as f64;
    let p = (2.0 * at_most / f64::from(patterns)).min(1.0);
    let wx = m1.wilcoxon.unwrap();
    close(wx.w, w, "W");
    close(wx.p, p, "p");
    // m2: two pairs, no test; emotion has no post value, so no row.
    let m2 = r
        .intervention
        .systems
        .iter()
        .find(|s| s.system == "m2")
        .unwrap();
    assert_eq!((m2.n, m2.wilcoxon), (2, None));
    assert!(r.intervention.systems.iter().all(|s| s.measure == "belief"));
    let c = r
        .intervention
        .cases
        .iter()
        .find(|c| c.case == "c0" && c.system == "m1")
        .unwrap();
    close(c.change, post[0] - pre[0], "case change");
}

// ---- through the binary --------------------------------------------------------------------

fn socius(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .current_dir(cwd)
        .env_remove("SOCIUS_STORE")
        .output()
        .expect("run socius")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Write `plan` under `root/studies/` and its votes into the store `root/sessions`, one session
/// per annotator.
fn stored_study(root: &Path, plan: &JudgedPlan, votes: &[(String, Vote)]) -> PathBuf {
    let dir = root.join("studies").join(&plan.id);
    std::fs::create_dir_all(&dir).unwrap();
    let json = serde_json::to_string_pretty(plan).unwrap();
    std::fs::write(dir.join("plan.json"), &json).unwrap();
    let store = Store::open(root.join("sessions")).unwrap();
    let mut by: BTreeMap<&str, Vec<&Vote>> = BTreeMap::new();
    for (who, v) in votes {
        by.entry(who).or_default().push(v);
    }
    for (who, vs) in by {
        let mut new = NewSession::new(
            SessionKind::StudyJudgment,
            ScriptRef::new(plan.id.clone(), json.as_bytes()),
            Who::annotator(who),
            0,
        );
        new.meta = serde_json::json!({ "study": plan.id });
        let s = store.create(new).unwrap();
        for v in vs {
            let Vote::Judgment {
                pair,
                left,
                right,
                choice,
                reason,
            } = v
            else {
                continue;
            };
            store
                .append(
                    s.id,
                    rec::judgment(
                        pair.as_deref().unwrap(),
                        left,
                        right,
                        choice.clone(),
                        reason.as_deref().unwrap_or(""),
                        1500,
                    ),
                )
                .unwrap();
        }
        store.set_status(s.id, Status::Finished, None).unwrap();
    }
    store.flush().unwrap();
    dir
}

fn core(report: &Value) -> (Value, Value, Value) {
    (
        report["pairs"].clone(),
        report["bradley_terry"].clone(),
        report["agreement"].clone(),
    )
}

#[test]
fn report_export_import_gives_the_same_report() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let plan = pair_plan("duel");
    stored_study(root, &plan, &pair_votes());
    let store = root.join("sessions");
    let store = store.to_str().unwrap();

    let json: Value = serde_json::from_str(&ok(&socius(
        root,
        &["study", "report", "duel", "--store", store, "--json"],
    )))
    .unwrap();
    assert_eq!(json["schema"], 1);
    assert_eq!(json["pairs"].as_array().unwrap().len(), 3);
    for key in [
        "a", "b", "wins", "ties", "losses", "win_rate", "wilson95", "sign_p",
    ] {
        assert!(json["pairs"][0].get(key).is_some(), "pairs[0].{key}");
    }
    for key in ["system", "score", "ci95"] {
        assert!(
            json["bradley_terry"][0].get(key).is_some(),
            "bradley_terry[0].{key}"
        );
    }
    assert_eq!(json["excluded_annotators"].as_array().unwrap().len(), 2);
    // The same numbers as the pure computation over the same votes.
    let direct = judged::report(&plan, &input_of(pair_votes()), 200);
    assert_eq!(json["pairs"], serde_json::to_value(&direct.pairs).unwrap());
    assert_eq!(json["judgments"]["superseded"], 1);

    let md = ok(&socius(
        root,
        &["study", "report", "duel", "--store", store],
    ));
    assert!(md.contains("| m1 | m2 |"), "{md}");
    assert!(md.contains("Excluded annotators"), "{md}");
    let csv = ok(&socius(
        root,
        &[
            "study", "report", "duel", "--store", store, "--format", "csv",
        ],
    ));
    assert!(csv.starts_with("section,a,b,metric,value\n"), "{csv}");

    // Export, then import into a new study in another store.
    let out = root.join("duel.csv");
    ok(&socius(
        root,
        &[
            "study",
            "export",
            "duel",
            "--format",
            "arena",
            "--store",
            store,
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with("model_a,model_b,winner,judge,item\n"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1 + 2 * ITEMS * 3);
    assert!(text.contains(",tie (bothbad),"), "{text}");
    let other = root.join("elsewhere");
    std::fs::create_dir_all(&other).unwrap();
    let store2 = other.join("sessions");
    let said = ok(&socius(
        root,
        &[
            "study",
            "import",
            "again",
            out.to_str().unwrap(),
            "--format",
            "arena",
            "--store",
            store2.to_str().unwrap(),
            "--seed",
            "7",
        ],
    ));
    assert!(said.contains("created study `again`"), "{said}");
    let again: Value = serde_json::from_str(&ok(&socius(
        root,
        &[
            "study",
            "report",
            "again",
            "--store",
            store2.to_str().unwrap(),
            "--json",
        ],
    )))
    .unwrap();
    assert_eq!(core(&again), core(&json));
    assert_eq!(again["imported"], true);
    assert_eq!(again["judgments"]["counted"], json["judgments"]["counted"]);
    let imported: JudgedPlan = serde_json::from_str(
        &std::fs::read_to_string(other.join("studies/again/plan.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(imported.systems, plan.systems);
    assert!(imported.imported);

    // ACUTE export: one line per counted judgment, with the shown sessions.
    let acute = ok(&socius(
        root,
        &[
            "study", "export", "duel", "--format", "acute", "--store", store,
        ],
    ));
    let lines: Vec<Value> = acute
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2 * ITEMS * 3);
    assert_eq!(lines[0]["dialogue_dicts"].as_array().unwrap().len(), 2);
}

#[test]
fn acute_export_carries_the_dialogues() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut plan = pair_plan("talks");
    plan.onboarding_pass = None;
    let dir = stored_study(
        root,
        &plan,
        &[(
            "ann1".into(),
            vote(
                &task_id(0, 0),
                &session(0, 0),
                &session(0, 1),
                O::A,
                false,
                false,
            ),
        )],
    );
    // The transcript of m1's session on c0, as `sessions export` writes one record.
    let scratch = Store::open(root.join("scratch")).unwrap();
    let s = scratch
        .create(NewSession::new(
            SessionKind::CrDialogue,
            ScriptRef::new("c0", b"case"),
            Who::annotator("client"),
            0,
        ))
        .unwrap();
    let turn: socius::session::EventBody = serde_json::from_value(serde_json::json!({
        "type": "cr_turn", "speaker": "therapist", "text": "What went through your mind?"
    }))
    .unwrap();
    scratch.append(s.id, turn).unwrap();
    let record = scratch.record(s.id).unwrap();
    std::fs::create_dir_all(dir.join("transcripts")).unwrap();
    std::fs::write(
        dir.join("transcripts")
            .join(format!("{}.json", session(0, 0))),
        serde_json::to_string(&record).unwrap(),
    )
    .unwrap();
    let store = root.join("sessions");
    let acute = ok(&socius(
        root,
        &[
            "study",
            "export",
            "talks",
            "--format",
            "acute",
            "--store",
            store.to_str().unwrap(),
        ],
    ));
    let line: Value = serde_json::from_str(acute.lines().next().unwrap()).unwrap();
    assert_eq!(line["speakers_to_eval"], serde_json::json!(["m1", "m2"]));
    assert_eq!(line["outcome"], "a");
    assert_eq!(line["winner"], "m1");
    assert_eq!(line["judge"], "ann1");
    let d = &line["dialogue_dicts"][0]["dialogue"];
    assert_eq!(d[0]["id"], "therapist");
    assert_eq!(d[0]["text"], "What went through your mind?");
    assert_eq!(line["dialogue_dicts"][1]["dialogue"], serde_json::json!([]));
}

#[test]
fn bad_arena_files_are_refused_with_their_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let store = root.join("sessions");
    let store = store.to_str().unwrap();
    let cases: [(&str, &[&str]); 6] = [
        ("", &["empty file"]),
        ("a,b,c\nx,y,z\n", &["line 1", "model_a, model_b and winner"]),
        (
            "model_a,model_b,winner\nm1,m2,model_a\nm1,m2,maybe\nm1,m1,tie\nm1,m2\n",
            &[
                "line 3: winner `maybe`",
                "line 4: model_a and model_b are the same",
                "line 5: 2 fields",
            ],
        ),
        (
            "model_a,model_b,winner\n\"m1,m2,tie\n",
            &["line 2: a quoted field is not closed"],
        ),
        (
            "model_a,model_b,winner\nm\"1,m2,tie\n",
            &["line 2: a quote inside"],
        ),
        ("model_a,model_b,winner\n", &["no judgments"]),
    ];
    for (k, (text, wanted)) in cases.iter().enumerate() {
        let file = root.join(format!("bad{k}.csv"));
        std::fs::write(&file, text).unwrap();
        let out = socius(
            root,
            &[
                "study",
                "import",
                "bad",
                file.to_str().unwrap(),
                "--format",
                "arena",
                "--store",
                store,
            ],
        );
        assert_eq!(out.status.code(), Some(1), "case {k}");
        let err = String::from_utf8_lossy(&out.stderr);
        for w in *wanted {
            assert!(err.contains(w), "case {k}: `{w}` not in {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            !root.join("studies/bad").exists(),
            "case {k} created the study"
        );
    }
    // A field too long.
    let file = root.join("long.csv");
    std::fs::write(
        &file,
        format!("model_a,model_b,winner\n{},m2,tie\n", "x".repeat(300)),
    )
    .unwrap();
    let out = socius(
        root,
        &[
            "study",
            "import",
            "bad",
            file.to_str().unwrap(),
            "--format",
            "arena",
            "--store",
            store,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2: a field longer than 256"));
}

#[test]
fn import_without_items_or_judges_and_into_a_non_imported_study() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let store = root.join("sessions");
    let store = store.to_str().unwrap();
    let file = root.join("votes.csv");
    // Columns in another order, an extra column, a quoted name, a row the other way round.
    std::fs::write(
        &file,
        "winner,extra,model_b,model_a\nmodel_a,,\"b, the second\",a\nmodel_b,1,a,\"b, the second\"\ntie,,c,a\n",
    )
    .unwrap();
    ok(&socius(
        root,
        &[
            "study",
            "import",
            "loose",
            file.to_str().unwrap(),
            "--format",
            "arena",
            "--store",
            store,
        ],
    ));
    let r: Value = serde_json::from_str(&ok(&socius(
        root,
        &["study", "report", "loose", "--store", store, "--json"],
    )))
    .unwrap();
    // a beat "b, the second" twice (once as model_b), and tied with c.
    let pairs = r["pairs"].as_array().unwrap();
    let ab = pairs.iter().find(|p| p["b"] == "b, the second").unwrap();
    assert_eq!(
        (ab["a"].as_str(), ab["wins"].as_u64(), ab["losses"].as_u64()),
        (Some("a"), Some(2), Some(0))
    );
    let ac = pairs.iter().find(|p| p["b"] == "c").unwrap();
    assert_eq!(ac["ties"], 1);
    assert_eq!(r["agreement"]["units"], 0);
    assert_eq!(r["annotators"][0]["annotator"], "anonymous");

    // A registered (not imported) study is not extended by an import.
    let plan = pair_plan("real");
    stored_study(root, &plan, &[]);
    let out = socius(
        root,
        &[
            "study",
            "import",
            "real",
            file.to_str().unwrap(),
            "--format",
            "arena",
            "--store",
            store,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not made by an import"));
    // A study that does not exist.
    let out = socius(root, &["study", "report", "nothing", "--store", store]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no "));
}

#[test]
fn several_stores_count_a_shared_session_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let plan = pair_plan("split");
    stored_study(root, &plan, &pair_votes());
    {
        let first = Store::open(root.join("sessions")).unwrap();
        let copy = Store::open(root.join("copy")).unwrap();
        copy.merge_from(&first).unwrap();
        copy.flush().unwrap();
    }
    let one: Value = serde_json::from_str(&ok(&socius(
        root,
        &["study", "report", "split", "--store", "sessions", "--json"],
    )))
    .unwrap();
    let both: Value = serde_json::from_str(&ok(&socius(
        root,
        &[
            "study", "report", "split", "--store", "sessions", "--store", "copy", "--json",
        ],
    )))
    .unwrap();
    assert_eq!(one, both);
    assert_eq!(both["judgments"]["counted"], 2 * ITEMS * 3);

    // A new study needs a plain id.
    let file = root.join("v.csv");
    std::fs::write(&file, "model_a,model_b,winner\nm1,m2,tie\n").unwrap();
    for bad in ["../escape", ".hidden", "a/b"] {
        let out = socius(
            root,
            &[
                "study",
                "import",
                bad,
                file.to_str().unwrap(),
                "--format",
                "arena",
                "--store",
                "sessions",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("is not a study id"),
            "{bad}"
        );
    }
    assert!(!root.join("escape").exists());
}

#[test]
fn pointwise_known_answers_exclude_who_misses_them() {
    let mut plan = pair_plan("rated");
    plan.kind = JudgedKind::Pointwise;
    plan.systems = vec!["m1".into(), "m2".into()];
    let transcript =
        |id: &str, kind: TaskKind, system: Option<&str>, expect: &[(&str, [i64; 2])]| Task {
            id: id.into(),
            kind,
            item: Some("tree".into()),
            body: TaskBody::Transcript {
                shown: Shown {
                    system: system.map(str::to_owned),
                    session: format!("x-{id}"),
                },
                expect: expect.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            },
        };
    plan.tasks = vec![
        transcript("r1", TaskKind::Real, Some("m1"), &[]),
        transcript("r2", TaskKind::Real, Some("m2"), &[]),
        transcript("onb", TaskKind::Onboarding, None, &[("empathy", [4, 5])]),
        transcript("att", TaskKind::Attention, None, &[("empathy", [1, 2])]),
    ];
    plan.onboarding_pass = Some(1.0);
    plan.attention_max_failures = Some(0);
    let rating = |task: &str, value: f64| Vote::Rating {
        task: Some(task.into()),
        name: "empathy".into(),
        value,
        about_seq: None,
    };
    let mut votes = Vec::new();
    // good: right on both checks; late: right on onboarding, wrong on attention; lost:
    // wrong on onboarding. Each rates both real tasks.
    for (who, onb, att) in [("good", 5.0, 1.0), ("late", 4.0, 3.0), ("lost", 2.0, 2.0)] {
        votes.push((who.to_owned(), rating("onb", onb)));
        votes.push((who.to_owned(), rating("att", att)));
        votes.push((who.to_owned(), rating("r1", 3.0)));
        votes.push((who.to_owned(), rating("r2", 4.0)));
    }
    // good changes its mind on r1: the last rating counts.
    votes.push(("good".to_owned(), rating("r1", 2.0)));
    let r = judged::report(&plan, &input_of(votes), 200);
    let ex: BTreeMap<&str, &str> = r
        .excluded_annotators
        .iter()
        .map(|e| (e.annotator.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(ex.len(), 2, "{ex:?}");
    assert!(ex["late"].starts_with("attention: 1 of 1"), "{ex:?}");
    assert!(ex["lost"].starts_with("onboarding: 0 of 1"), "{ex:?}");
    assert_eq!(r.judgments.excluded, 4);
    assert_eq!(r.judgments.counted, 2);
    assert_eq!(r.judgments.superseded, 1);
    assert_eq!(r.judgments.quality, 6);
    let m1 = r.pointwise.iter().find(|p| p.system == "m1").unwrap();
    assert_eq!((m1.n, m1.mean), (1, Some(2.0)));
}
