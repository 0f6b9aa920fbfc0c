//! GAE and IAE aggregation, exactly as SocialEval's official scripts count:
//!
//! - **GAE**: an episode succeeds iff it ends at an ending labelled success (`goal achievement`
//!   2). The rate per orientation is successes ÷ episodes that reached a *labelled* ending;
//!   dropped episodes (unlabelled ending, dead end, invalid answer, error) are not counted. The
//!   headline is the unweighted mean over the orientations that have episodes.
//! - **IAE**: accuracy per ability = correct ÷ items tagged with it (an item with two tags counts
//!   for both); a category's score is the unweighted mean of its abilities that have items;
//!   overall accuracy = correct items ÷ items (each item once).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::DropReason;
use crate::script::bessi;
use crate::script::model::{Orientation, Outcome};

/// How one GAE episode ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaeResult {
    Ended(Outcome),
    Dropped(DropReason),
    /// The agent failed for good (HTTP errors after every retry).
    Error,
}

/// Counts of dropped episodes or items, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Dropped {
    pub unlabelled_ending: usize,
    pub dead_end: usize,
    pub invalid_answer: usize,
    pub error: usize,
    /// `--protocol socialeval`: episodes lost at a node, or IAE items skipped, because the
    /// official scripts cannot read the source there.
    pub unreadable_source: usize,
}

impl Dropped {
    pub fn add(&mut self, reason: DropReason) {
        match reason {
            DropReason::UnlabelledEnding => self.unlabelled_ending += 1,
            DropReason::DeadEnd | DropReason::DanglingTarget => self.dead_end += 1,
            DropReason::InvalidAnswer => self.invalid_answer += 1,
            DropReason::UnreadableSource => self.unreadable_source += 1,
        }
    }

    #[must_use]
    pub const fn total(&self) -> usize {
        self.unlabelled_ending
            + self.dead_end
            + self.invalid_answer
            + self.error
            + self.unreadable_source
    }
}

/// One orientation's GAE numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RateCell {
    pub episodes: usize,
    pub successes: usize,
    pub rate_pct: f64,
}

/// GAE aggregate.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GaeSummary {
    pub by_orientation: BTreeMap<String, RateCell>,
    /// `None` (JSON `null`) when no episode reached a labelled ending: no rate is known.
    pub macro_rate_pct: Option<f64>,
    pub dropped: Dropped,
}

/// Percent with two decimals (stable JSON).
#[must_use]
pub fn pct(num: usize, den: usize) -> f64 {
    if den == 0 {
        return 0.0;
    }
    #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
    let v = num as f64 * 100.0 / den as f64;
    (v * 100.0).round() / 100.0
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Aggregate GAE episodes given as (orientation of the tree, result).
#[must_use]
pub fn gae(episodes: &[(Orientation, GaeResult)]) -> GaeSummary {
    let mut counts: BTreeMap<Orientation, (usize, usize)> = BTreeMap::new();
    let mut dropped = Dropped::default();
    for (o, r) in episodes {
        match r {
            GaeResult::Ended(outcome) => {
                let c = counts.entry(*o).or_default();
                c.0 += 1;
                c.1 += usize::from(*outcome == Outcome::Success);
            }
            GaeResult::Dropped(reason) => dropped.add(*reason),
            GaeResult::Error => dropped.error += 1,
        }
    }
    let mut by_orientation = BTreeMap::new();
    let mut rates = Vec::new();
    // Taxonomy order, for a stable and familiar report.
    for o in Orientation::ALL {
        if let Some(&(episodes, successes)) = counts.get(&o) {
            let rate_pct = pct(successes, episodes);
            #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
            rates.push(successes as f64 * 100.0 / episodes as f64);
            by_orientation.insert(
                o.name().to_owned(),
                RateCell {
                    episodes,
                    successes,
                    rate_pct,
                },
            );
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "at most seven orientations")]
    let macro_rate_pct =
        (!rates.is_empty()).then(|| round2(rates.iter().sum::<f64>() / rates.len() as f64));
    GaeSummary {
        by_orientation,
        macro_rate_pct,
        dropped,
    }
}

/// One answered IAE item: its ability tags and whether the answer was right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IaeResult {
    pub abilities: Vec<String>,
    pub correct: bool,
}

/// One ability's IAE numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccuracyCell {
    pub items: usize,
    pub correct: usize,
    pub accuracy_pct: f64,
}

/// A category's score.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CategoryCell {
    pub accuracy_pct: f64,
}

/// IAE aggregate.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IaeSummary {
    pub items: usize,
    pub by_ability: BTreeMap<String, AccuracyCell>,
    pub by_category: BTreeMap<String, CategoryCell>,
    /// `None` (JSON `null`) when no item was answered.
    pub overall_accuracy_pct: Option<f64>,
    pub dropped: Dropped,
}

/// Aggregate answered IAE items; `dropped` counts the items that got no usable answer.
#[must_use]
pub fn iae(results: &[IaeResult], dropped: Dropped) -> IaeSummary {
    let mut by_ability: BTreeMap<String, AccuracyCell> = BTreeMap::new();
    let mut correct = 0;
    for r in results {
        correct += usize::from(r.correct);
        let mut seen: Vec<&str> = Vec::new();
        for a in &r.abilities {
            if seen.contains(&a.as_str()) {
                continue;
            }
            seen.push(a);
            let cell = by_ability.entry(a.clone()).or_default();
            cell.items += 1;
            cell.correct += usize::from(r.correct);
        }
    }
    for cell in by_ability.values_mut() {
        cell.accuracy_pct = pct(cell.correct, cell.items);
    }
    let mut by_category = BTreeMap::new();
    for (cat, names) in bessi::CATEGORIES {
        #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
        let scores: Vec<f64> = names
            .iter()
            .filter_map(|n| by_ability.get(*n))
            .map(|c| c.correct as f64 * 100.0 / c.items as f64)
            .collect();
        if !scores.is_empty() {
            #[expect(clippy::cast_precision_loss, reason = "at most twelve abilities")]
            let mean = scores.iter().sum::<f64>() / scores.len() as f64;
            by_category.insert(
                cat.to_owned(),
                CategoryCell {
                    accuracy_pct: round2(mean),
                },
            );
        }
    }
    IaeSummary {
        items: results.len(),
        by_ability,
        by_category,
        overall_accuracy_pct: (!results.is_empty()).then(|| pct(correct, results.len())),
        dropped,
    }
}

/// The answered IAE items of a session's events, and how many items were presented.
pub fn iae_from_events<'a>(
    events: impl IntoIterator<Item = &'a crate::session::EventBody>,
) -> (Vec<IaeResult>, usize) {
    use crate::session::EventBody;
    let mut presented = 0;
    let mut out = Vec::new();
    for e in events {
        match e {
            EventBody::OptionsPresented(_) => presented += 1,
            EventBody::IaeAnswer(a) => out.push(IaeResult {
                abilities: a
                    .ability
                    .as_deref()
                    .map(|s| s.split("; ").map(str::to_owned).collect())
                    .unwrap_or_default(),
                correct: a.correct == Some(true),
            }),
            _ => {}
        }
    }
    (out, presented)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gae_counts_only_labelled_endings_and_macro_averages() {
        let eps = [
            (Orientation::Cooperation, GaeResult::Ended(Outcome::Success)),
            (Orientation::Cooperation, GaeResult::Ended(Outcome::Partial)),
            (Orientation::Cooperation, GaeResult::Ended(Outcome::Failure)),
            (
                Orientation::Cooperation,
                GaeResult::Dropped(DropReason::UnlabelledEnding),
            ),
            (Orientation::Conflict, GaeResult::Ended(Outcome::Success)),
            (
                Orientation::Conflict,
                GaeResult::Dropped(DropReason::InvalidAnswer),
            ),
            (Orientation::Conflict, GaeResult::Error),
            (
                Orientation::Induction,
                GaeResult::Dropped(DropReason::DeadEnd),
            ),
        ];
        let s = gae(&eps);
        assert_eq!(s.by_orientation["cooperation"].episodes, 3);
        assert_eq!(s.by_orientation["cooperation"].successes, 1);
        assert!((s.by_orientation["cooperation"].rate_pct - 33.33).abs() < 1e-9);
        assert!((s.by_orientation["conflict"].rate_pct - 100.0).abs() < 1e-9);
        assert!(
            !s.by_orientation.contains_key("induction"),
            "only dropped episodes"
        );
        // (33.33 + 100) / 2, rounded.
        assert!((s.macro_rate_pct.unwrap() - 66.67).abs() < 1e-9);
        assert_eq!(
            s.dropped,
            Dropped {
                unlabelled_ending: 1,
                dead_end: 1,
                invalid_answer: 1,
                error: 1,
                unreadable_source: 0,
            }
        );
    }

    #[test]
    fn iae_counts_double_tags_for_both_and_averages_categories() {
        let r = |tags: &[&str], correct| IaeResult {
            abilities: tags.iter().map(|s| (*s).to_owned()).collect(),
            correct,
        };
        let results = [
            r(&["anger management", "stress regulation"], true),
            r(&["anger management"], false),
            r(&["teamwork skill"], true),
            r(&["not bessi"], false),
        ];
        let s = iae(&results, Dropped::default());
        assert_eq!(s.items, 4);
        assert_eq!(s.by_ability["anger management"].items, 2);
        assert!((s.by_ability["anger management"].accuracy_pct - 50.0).abs() < 1e-9);
        assert!((s.by_ability["stress regulation"].accuracy_pct - 100.0).abs() < 1e-9);
        // Emotional resilience: mean(50, 100) = 75.
        assert!((s.by_category["emotional resilience"].accuracy_pct - 75.0).abs() < 1e-9);
        assert!((s.by_category["cooperation"].accuracy_pct - 100.0).abs() < 1e-9);
        assert!(!s.by_category.contains_key("innovation"));
        assert!((s.overall_accuracy_pct.unwrap() - 50.0).abs() < 1e-9);
        assert_eq!(
            s.by_ability["not bessi"].items, 1,
            "kept visible, no category"
        );
    }
}
