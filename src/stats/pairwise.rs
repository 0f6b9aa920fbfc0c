//! Pairwise judgments: the per-pair table and everything the pairwise report computes from it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::agree::{Metric, cohen_kappa, fleiss_kappa, krippendorff_alpha};
use super::bt::{self, Bootstrap, BtError, BtOptions, PairCount};
use super::fl;
use super::prop::{sign_test, wilson};

/// Which side a judgment preferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// System `a` preferred.
    A,
    /// System `b` preferred.
    B,
    /// Neither (a tie, or "both bad").
    Tie,
}

/// One counted judgment: on `item`, `annotator` compared systems `a` and `b` (indices into the
/// caller's lists; which was shown left is irrelevant here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgment {
    pub item: usize,
    pub annotator: usize,
    pub a: usize,
    pub b: usize,
    pub outcome: Outcome,
}

impl Judgment {
    /// The same judgment with the lower system index first.
    #[must_use]
    pub const fn oriented(self) -> Self {
        if self.a <= self.b {
            return self;
        }
        let outcome = match self.outcome {
            Outcome::A => Outcome::B,
            Outcome::B => Outcome::A,
            Outcome::Tie => Outcome::Tie,
        };
        Self {
            a: self.b,
            b: self.a,
            outcome,
            ..self
        }
    }
}

/// Wins, ties and losses per pair of systems, the lower index as `a`, pairs in index order.
/// Judgments of a system against itself are left out.
#[must_use]
pub fn tally(judgments: &[Judgment]) -> Vec<PairCount> {
    let mut t: BTreeMap<(usize, usize), PairCount> = BTreeMap::new();
    for j in judgments
        .iter()
        .map(|j| j.oriented())
        .filter(|j| j.a != j.b)
    {
        let c = t.entry((j.a, j.b)).or_insert(PairCount {
            a: j.a,
            b: j.b,
            wins: 0,
            ties: 0,
            losses: 0,
        });
        match j.outcome {
            Outcome::A => c.wins += 1,
            Outcome::B => c.losses += 1,
            Outcome::Tie => c.ties += 1,
        }
    }
    t.into_values().collect()
}

/// One pair of systems in the report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairStats {
    pub a: usize,
    pub b: usize,
    pub wins: u64,
    pub ties: u64,
    pub losses: u64,
    /// wins / (wins + losses): ties excluded, as in the sign test. `None` with no decided
    /// judgment.
    pub win_rate: Option<f64>,
    /// Wilson 95 % interval of the win rate (same `None` rule).
    pub wilson95: Option<[f64; 2]>,
    /// Two-sided exact sign test, ties excluded (1 with no decided judgment).
    pub sign_p: f64,
}

impl PairStats {
    /// The statistics of one row of the table.
    #[must_use]
    pub fn of(c: &PairCount) -> Self {
        let decided = c.wins.saturating_add(c.losses);
        Self {
            a: c.a,
            b: c.b,
            wins: c.wins,
            ties: c.ties,
            losses: c.losses,
            win_rate: (decided > 0).then(|| fl(c.wins) / fl(decided)),
            wilson95: wilson(c.wins, decided),
            sign_p: sign_test(c.wins, c.losses),
        }
    }
}

/// Agreement over the units (item and pair of systems) judged by at least two annotators. The
/// labels are the outcomes oriented to the pair's lower system index.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Units with at least two judgments.
    pub units: usize,
    /// Distinct annotators over those units.
    pub annotators: usize,
    /// Only when exactly two annotators judged the shared units: over the units both judged
    /// (an annotator's first judgment of a unit counts).
    pub cohen_kappa: Option<f64>,
    /// Fleiss' κ over the units (the varying-counts rule of [`fleiss_kappa`]).
    pub fleiss_kappa: Option<f64>,
    /// Krippendorff's α, nominal, over the same units.
    pub krippendorff_alpha: Option<f64>,
}

/// Agreement of `judgments`, see [`Agreement`].
#[must_use]
pub fn agreement(judgments: &[Judgment]) -> Agreement {
    // unit -> [(annotator, label)]
    let mut units: BTreeMap<(usize, usize, usize), Vec<(usize, Outcome)>> = BTreeMap::new();
    for j in judgments
        .iter()
        .map(|j| j.oriented())
        .filter(|j| j.a != j.b)
    {
        units
            .entry((j.item, j.a, j.b))
            .or_default()
            .push((j.annotator, j.outcome));
    }
    units.retain(|_, v| v.len() >= 2);
    let mut who: Vec<usize> = units.values().flatten().map(|(a, _)| *a).collect();
    who.sort_unstable();
    who.dedup();
    let code = |o: Outcome| match o {
        Outcome::A => 0usize,
        Outcome::B => 1,
        Outcome::Tie => 2,
    };
    let cohen = if let [first, second] = who[..] {
        let both: Vec<(Outcome, Outcome)> = units
            .values()
            .filter_map(|v| {
                let x = v.iter().find(|(a, _)| *a == first)?.1;
                let y = v.iter().find(|(a, _)| *a == second)?.1;
                Some((x, y))
            })
            .collect();
        cohen_kappa(&both)
    } else {
        None
    };
    let rows: Vec<Vec<u64>> = units
        .values()
        .map(|v| {
            let mut row = vec![0u64; 3];
            for (_, o) in v {
                row[code(*o)] += 1;
            }
            row
        })
        .collect();
    let values: Vec<Vec<f64>> = units
        .values()
        .map(|v| v.iter().map(|(_, o)| fl(code(*o) as u64)).collect())
        .collect();
    Agreement {
        units: units.len(),
        annotators: who.len(),
        cohen_kappa: cohen,
        fleiss_kappa: fleiss_kappa(&rows),
        krippendorff_alpha: krippendorff_alpha(&values, Metric::Nominal),
    }
}

/// Everything the pairwise report computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairwiseStats {
    pub pairs: Vec<PairStats>,
    /// With more than two systems; `None` otherwise or when undefined (see `bradley_terry_error`).
    pub bradley_terry: Option<Bootstrap>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bradley_terry_error: Option<BtError>,
    pub agreement: Agreement,
}

/// The pairwise statistics of `judgments` over `systems` systems: per pair, Bradley–Terry with
/// its bootstrap when there are more than two systems, and agreement.
#[must_use]
pub fn analyse(systems: usize, judgments: &[Judgment], opts: &BtOptions) -> PairwiseStats {
    let table = tally(judgments);
    let pairs = table.iter().map(PairStats::of).collect();
    let (bradley_terry, bradley_terry_error) = if systems > 2 {
        match bt::bootstrap(systems, &table, opts) {
            Ok(b) => (Some(b), None),
            Err(e) => (None, Some(e)),
        }
    } else {
        (None, None)
    };
    PairwiseStats {
        pairs,
        bradley_terry,
        bradley_terry_error,
        agreement: agreement(judgments),
    }
}
