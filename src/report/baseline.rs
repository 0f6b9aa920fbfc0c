//! `socius report baseline`: humans against models on the same world trees.
//!
//! Counting follows [`crate::eval::metrics`] (the SocialEval rules): a GAE episode succeeds iff
//! it reaches an ending labelled success; a rate is successes ÷ episodes that reached a
//! labelled ending, per orientation; the macro mean is the unweighted mean of the orientations
//! that have episodes. IAE accuracy is per ability (an item with two tags counts for both), a
//! category is the mean of its abilities, overall is correct ÷ items.
//!
//! Which sessions count:
//!
//! - a **human episode** is a finished, non-training `world_tree_gae` or `world_tree_both`
//!   session by an annotator; a human IAE sitting is a finished, non-training
//!   `world_tree_iae` or `world_tree_both` session;
//! - a **model episode** is a finished session by a model that carries a run id (an eval run);
//!   within one run, a slot (tree, episode) counts once: its latest finished session, the
//!   others are `superseded` (a resumed run redoes failed slots);
//! - only the trees that both sides played (a counted human session and a counted model session
//!   on the tree) are compared, optionally narrowed to a given list of trees (a study);
//! - everything left out is counted under `excluded`, by reason.
//!
//! A tree's orientation is read from the sessions' `meta.orientation` (eval runs write it), so
//! the report needs no script.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;

use crate::engine::DropReason;
use crate::eval::metrics::{self, GaeResult, IaeResult};
use crate::script::model::{Orientation, Outcome};
use crate::session::{Event, EventBody, Session, SessionId, SessionKind, Status, Who};
use crate::store::{Filter, Store, StoreError};

/// z for a two-sided 95 % interval.
pub use crate::stats::prop::Z95;

/// The exclusion reasons, in the order the report lists them.
pub const REASONS: [&str; 14] = [
    "training",
    "abandoned",
    "in_progress",
    "failed",
    "other_status",
    "model_without_run",
    "superseded",
    "unlabelled_ending",
    "dead_end",
    "invalid_answer",
    "unreadable_source",
    "no_ending",
    "unknown_orientation",
    "tree_not_played_by_both",
];

/// Reason added when a tree list (a study) is given.
pub const NOT_IN_STUDY: &str = "tree_not_in_study";

/// The Wilson score interval of `successes` out of `n` at `z`, in percent rounded to two
/// decimals (the statistics module's interval, as the report shows it); `None` when `n` is 0.
#[must_use]
pub fn wilson(successes: usize, n: usize, z: f64) -> Option<[f64; 2]> {
    let as_u64 = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
    crate::stats::prop::wilson_z(as_u64(successes), as_u64(n), z)
        .map(|[lo, hi]| [round2(lo * 100.0), round2(hi * 100.0)])
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// One orientation's GAE numbers for a side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GaeCell {
    /// Humans: distinct annotators with an episode here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotators: Option<usize>,
    /// Models: distinct runs with an episode here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs: Option<usize>,
    pub episodes: usize,
    pub successes: usize,
    pub rate_pct: f64,
    pub ci95: Option<[f64; 2]>,
}

/// A side's GAE.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GaeSide {
    pub by_orientation: BTreeMap<String, GaeCell>,
    pub macro_rate_pct: Option<f64>,
}

/// One ability's IAE numbers for a side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbilityCell {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotators: Option<usize>,
    pub items: usize,
    pub correct: usize,
    pub accuracy_pct: f64,
    pub ci95: Option<[f64; 2]>,
}

/// A side's IAE.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IaeSide {
    pub items: usize,
    pub by_ability: BTreeMap<String, AbilityCell>,
    pub by_category: BTreeMap<String, f64>,
    pub overall_pct: Option<f64>,
}

/// Both sides of one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sides<T> {
    pub humans: T,
    pub models: BTreeMap<String, T>,
}

/// Human − model, in percentage points (from the rounded figures), where both have a number.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Difference {
    pub gae_by_orientation: BTreeMap<String, f64>,
    pub gae_macro: Option<f64>,
    pub iae_by_ability: BTreeMap<String, f64>,
    pub iae_by_category: BTreeMap<String, f64>,
    pub iae_overall: Option<f64>,
}

/// One annotator's own numbers, and how far they sit from all humans pooled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnotatorSpread {
    pub gae_episodes: usize,
    pub gae_successes: usize,
    pub gae_rate_pct: Option<f64>,
    pub gae_ci95: Option<[f64; 2]>,
    /// This annotator's rate − the pooled human rate (all orientations together).
    pub gae_delta_pct: Option<f64>,
    pub iae_items: usize,
    pub iae_correct: usize,
    pub iae_accuracy_pct: Option<f64>,
    /// This annotator's accuracy − the pooled human accuracy.
    pub iae_delta_pct: Option<f64>,
}

/// `--json` of `socius report baseline`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Baseline {
    pub schema: u32,
    /// The compared trees: played by both sides (and in the study, when one is given).
    pub trees: Vec<String>,
    pub gae: Sides<GaeSide>,
    pub iae: Sides<IaeSide>,
    /// Per model: human − model.
    pub differences: BTreeMap<String, Difference>,
    pub annotators: BTreeMap<String, AnnotatorSpread>,
    /// Sessions (or, for the drop reasons, GAE episodes; for `invalid_answer`, also IAE items
    /// presented without a usable answer) left out, by reason. Every reason is listed.
    pub excluded: BTreeMap<String, usize>,
}

/// Which side played a session.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Side {
    Human(String),
    Model(String),
}

/// What one counted session contributes.
#[derive(Debug)]
struct Counted<'a> {
    side: Side,
    run: Option<&'a str>,
    tree: &'a str,
    gae: Option<GaeResult>,
    /// `Some` for IAE and `both` sittings.
    iae: Option<Vec<IaeResult>>,
}

fn tree_of(s: &Session) -> &str {
    s.meta
        .get("tree")
        .and_then(Value::as_str)
        .unwrap_or(&s.script.id)
}

const fn modes(kind: &SessionKind) -> Option<(bool, bool)> {
    match kind {
        SessionKind::WorldTreeGae => Some((true, false)),
        SessionKind::WorldTreeIae => Some((false, true)),
        SessionKind::WorldTreeBoth => Some((true, true)),
        _ => None,
    }
}

fn gae_of(events: &[Event]) -> Result<GaeResult, &'static str> {
    let mut outcome = None;
    let mut ended = false;
    let mut dropped = None;
    for e in events {
        match &e.body {
            EventBody::Ending(end) => {
                ended = true;
                outcome = end.outcome.as_ref().and_then(|o| o.outcome());
            }
            EventBody::SessionStatus(change) => {
                dropped = change.reason.as_ref().and_then(|r| r.dropped());
            }
            _ => {}
        }
    }
    match (dropped, outcome) {
        (Some(r), _) => Ok(GaeResult::Dropped(r)),
        (None, Some(o)) if o != Outcome::Unlabelled => Ok(GaeResult::Ended(o)),
        (None, _) if ended => Ok(GaeResult::Dropped(DropReason::UnlabelledEnding)),
        _ => Err("no_ending"),
    }
}

fn iae_of(events: &[Event]) -> (Vec<IaeResult>, usize) {
    crate::eval::metrics::iae_from_events(events.iter().map(|e| &e.body))
}

const fn drop_reason(r: DropReason) -> &'static str {
    match r {
        DropReason::UnlabelledEnding => "unlabelled_ending",
        DropReason::DeadEnd | DropReason::DanglingTarget => "dead_end",
        DropReason::InvalidAnswer => "invalid_answer",
        DropReason::UnreadableSource => "unreadable_source",
    }
}

/// The baseline report over `sessions` (each with its whole event log, in order; sessions
/// that are not world-tree walks are ignored), narrowed to `study_trees` when given.
#[must_use]
pub fn baseline(sessions: &[(Session, Vec<Event>)], study_trees: Option<&[String]>) -> Baseline {
    let mut excluded: BTreeMap<String, usize> =
        REASONS.iter().map(|r| ((*r).to_owned(), 0)).collect();
    if study_trees.is_some() {
        excluded.insert(NOT_IN_STUDY.to_owned(), 0);
    }
    let mut exclude = |reason: &str, n: usize| {
        *excluded.entry(reason.to_owned()).or_default() += n;
    };

    // Orientation per tree, from any session that names it.
    let mut orientation: HashMap<&str, Orientation> = HashMap::new();
    // Eligible sessions (world tree, not training, finished, a run for models).
    let mut eligible: Vec<(&Session, &[Event], Side, bool, bool)> = Vec::new();
    for (s, events) in sessions {
        let Some((gae, iae)) = modes(&s.kind) else {
            continue;
        };
        if let Some(o) = s
            .meta
            .get("orientation")
            .and_then(Value::as_str)
            .and_then(Orientation::from_name)
        {
            orientation.entry(tree_of(s)).or_insert(o);
        }
        if s.is_training() {
            exclude("training", 1);
            continue;
        }
        match s.status {
            Status::Finished => {}
            Status::Abandoned => {
                exclude("abandoned", 1);
                continue;
            }
            Status::InProgress => {
                exclude("in_progress", 1);
                continue;
            }
            Status::Failed => {
                exclude("failed", 1);
                continue;
            }
            Status::Other(_) => {
                exclude("other_status", 1);
                continue;
            }
        }
        let side = match &s.who {
            Who::Annotator { id } => Side::Human(id.clone()),
            Who::Model { name, .. } => {
                if s.run_id.is_none() {
                    exclude("model_without_run", 1);
                    continue;
                }
                Side::Model(name.clone())
            }
        };
        eligible.push((s, events.as_slice(), side, gae, iae));
    }

    // A model slot (run, tree, episode, kind) counts once: the latest finished session.
    let mut latest: HashMap<(&str, &str, u64, &SessionKind), usize> = HashMap::new();
    let mut superseded = vec![false; eligible.len()];
    for (i, (s, ..)) in eligible.iter().enumerate() {
        let Some(run) = s.run_id.as_deref() else {
            continue;
        };
        let episode = s.meta.get("episode").and_then(Value::as_u64).unwrap_or(0);
        let key = (run, tree_of(s), episode, &s.kind);
        if let Some(old) = latest.insert(key, i) {
            // Ids are time-ordered: keep the later one.
            if eligible[old].0.id > s.id {
                latest.insert(key, old);
                superseded[i] = true;
            } else {
                superseded[old] = true;
            }
        }
    }

    let mut human_trees: BTreeSet<&str> = BTreeSet::new();
    let mut model_trees: BTreeSet<&str> = BTreeSet::new();
    for (i, (s, _, side, ..)) in eligible.iter().enumerate() {
        if superseded[i] {
            continue;
        }
        match side {
            Side::Human(_) => human_trees.insert(tree_of(s)),
            Side::Model(_) => model_trees.insert(tree_of(s)),
        };
    }
    let study: Option<BTreeSet<&str>> = study_trees.map(|t| t.iter().map(String::as_str).collect());
    let trees: BTreeSet<&str> = human_trees
        .intersection(&model_trees)
        .copied()
        .filter(|t| study.as_ref().is_none_or(|st| st.contains(t)))
        .collect();

    let mut counted: Vec<Counted<'_>> = Vec::new();
    for (i, (s, events, side, gae, iae)) in eligible.into_iter().enumerate() {
        if superseded[i] {
            exclude("superseded", 1);
            continue;
        }
        let tree = tree_of(s);
        if study.as_ref().is_some_and(|st| !st.contains(tree)) {
            exclude(NOT_IN_STUDY, 1);
            continue;
        }
        if !trees.contains(tree) {
            exclude("tree_not_played_by_both", 1);
            continue;
        }
        let gae_result = if gae {
            match gae_of(events) {
                Ok(GaeResult::Dropped(r)) => {
                    exclude(drop_reason(r), 1);
                    None
                }
                Ok(r) if orientation.contains_key(tree) => Some(r),
                Ok(_) => {
                    exclude("unknown_orientation", 1);
                    None
                }
                Err(reason) => {
                    exclude(reason, 1);
                    None
                }
            }
        } else {
            None
        };
        let (iae_results, unanswered) = if iae {
            let (answers, presented) = iae_of(events);
            // Only an IAE-only sitting presents nothing but items.
            let unanswered = if s.kind == SessionKind::WorldTreeIae {
                presented.saturating_sub(answers.len())
            } else {
                0
            };
            (Some(answers), unanswered)
        } else {
            (None, 0)
        };
        exclude("invalid_answer", unanswered);
        counted.push(Counted {
            side,
            run: s.run_id.as_deref(),
            tree,
            gae: gae_result,
            iae: iae_results,
        });
    }

    let humans: Vec<&Counted<'_>> = counted
        .iter()
        .filter(|c| matches!(c.side, Side::Human(_)))
        .collect();
    let mut model_names: BTreeSet<&str> = BTreeSet::new();
    for c in &counted {
        if let Side::Model(m) = &c.side {
            model_names.insert(m);
        }
    }
    let human_gae = gae_side(&humans, &orientation, true);
    let human_iae = iae_side(&humans, true);
    let mut gae_models = BTreeMap::new();
    let mut iae_models = BTreeMap::new();
    let mut differences = BTreeMap::new();
    for m in model_names {
        let mine: Vec<&Counted<'_>> = counted
            .iter()
            .filter(|c| matches!(&c.side, Side::Model(n) if n == m))
            .collect();
        let g = gae_side(&mine, &orientation, false);
        let i = iae_side(&mine, false);
        differences.insert(m.to_owned(), difference(&human_gae, &g, &human_iae, &i));
        gae_models.insert(m.to_owned(), g);
        iae_models.insert(m.to_owned(), i);
    }
    let annotators = spread(&humans);
    Baseline {
        schema: crate::session::RECORD_SCHEMA,
        trees: trees.into_iter().map(str::to_owned).collect(),
        gae: Sides {
            humans: human_gae,
            models: gae_models,
        },
        iae: Sides {
            humans: human_iae,
            models: iae_models,
        },
        differences,
        annotators,
        excluded,
    }
}

fn who_key<'a>(c: &'a Counted<'_>, humans: bool) -> Option<&'a str> {
    match (&c.side, humans) {
        (Side::Human(a), true) => Some(a),
        (Side::Model(_), false) => c.run,
        _ => None,
    }
}

fn gae_side(
    counted: &[&Counted<'_>],
    orientation: &HashMap<&str, Orientation>,
    humans: bool,
) -> GaeSide {
    let mut episodes = Vec::new();
    let mut who: BTreeMap<Orientation, BTreeSet<&str>> = BTreeMap::new();
    for c in counted {
        let (Some(r), Some(o)) = (c.gae, orientation.get(c.tree)) else {
            continue;
        };
        episodes.push((*o, r));
        if let Some(w) = who_key(c, humans) {
            who.entry(*o).or_default().insert(w);
        }
    }
    let summary = metrics::gae(&episodes);
    let by_orientation = Orientation::ALL
        .iter()
        .filter_map(|o| {
            let cell = summary.by_orientation.get(o.name())?;
            let n = who.get(o).map_or(0, BTreeSet::len);
            Some((
                o.name().to_owned(),
                GaeCell {
                    annotators: humans.then_some(n),
                    runs: (!humans).then_some(n),
                    episodes: cell.episodes,
                    successes: cell.successes,
                    rate_pct: cell.rate_pct,
                    ci95: wilson(cell.successes, cell.episodes, Z95),
                },
            ))
        })
        .collect();
    GaeSide {
        by_orientation,
        macro_rate_pct: summary.macro_rate_pct,
    }
}

fn iae_side(counted: &[&Counted<'_>], humans: bool) -> IaeSide {
    let mut results: Vec<IaeResult> = Vec::new();
    let mut who: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for c in counted {
        let Some(answers) = &c.iae else { continue };
        let w = who_key(c, humans);
        for a in answers {
            if let Some(w) = w {
                for ab in &a.abilities {
                    who.entry(ab.as_str()).or_default().insert(w);
                }
            }
        }
        results.extend(answers.iter().cloned());
    }
    let summary = metrics::iae(&results, metrics::Dropped::default());
    let by_ability = summary
        .by_ability
        .iter()
        .map(|(name, cell)| {
            let n = who.get(name.as_str()).map_or(0, BTreeSet::len);
            (
                name.clone(),
                AbilityCell {
                    annotators: humans.then_some(n),
                    items: cell.items,
                    correct: cell.correct,
                    accuracy_pct: cell.accuracy_pct,
                    ci95: wilson(cell.correct, cell.items, Z95),
                },
            )
        })
        .collect();
    IaeSide {
        items: summary.items,
        by_ability,
        by_category: summary
            .by_category
            .into_iter()
            .map(|(k, v)| (k, v.accuracy_pct))
            .collect(),
        overall_pct: summary.overall_accuracy_pct,
    }
}

fn diff_maps<A, B>(
    h: &BTreeMap<String, A>,
    m: &BTreeMap<String, B>,
    fa: impl Fn(&A) -> f64,
    fb: impl Fn(&B) -> f64,
) -> BTreeMap<String, f64> {
    h.iter()
        .filter_map(|(k, a)| Some((k.clone(), round2(fa(a) - fb(m.get(k)?)))))
        .collect()
}

fn difference(hg: &GaeSide, mg: &GaeSide, hi: &IaeSide, mi: &IaeSide) -> Difference {
    let both = |a: Option<f64>, b: Option<f64>| Some(round2(a? - b?));
    Difference {
        gae_by_orientation: diff_maps(
            &hg.by_orientation,
            &mg.by_orientation,
            |c| c.rate_pct,
            |c| c.rate_pct,
        ),
        gae_macro: both(hg.macro_rate_pct, mg.macro_rate_pct),
        iae_by_ability: diff_maps(
            &hi.by_ability,
            &mi.by_ability,
            |c| c.accuracy_pct,
            |c| c.accuracy_pct,
        ),
        iae_by_category: diff_maps(&hi.by_category, &mi.by_category, |v| *v, |v| *v),
        iae_overall: both(hi.overall_pct, mi.overall_pct),
    }
}

fn spread(humans: &[&Counted<'_>]) -> BTreeMap<String, AnnotatorSpread> {
    // (episodes, successes, items, correct)
    let mut per: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    let mut pooled = [0usize; 4];
    for c in humans {
        let Side::Human(a) = &c.side else { continue };
        let e = per.entry(a).or_default();
        if let Some(GaeResult::Ended(o)) = c.gae {
            let s = usize::from(o == Outcome::Success);
            e[0] += 1;
            e[1] += s;
            pooled[0] += 1;
            pooled[1] += s;
        }
        if let Some(answers) = &c.iae {
            let right = answers.iter().filter(|r| r.correct).count();
            e[2] += answers.len();
            e[3] += right;
            pooled[2] += answers.len();
            pooled[3] += right;
        }
    }
    let rate = |num: usize, den: usize| (den > 0).then(|| metrics::pct(num, den));
    let pooled_gae = rate(pooled[1], pooled[0]);
    let pooled_iae = rate(pooled[3], pooled[2]);
    per.into_iter()
        .map(|(a, [ep, su, it, co])| {
            let g = rate(su, ep);
            let i = rate(co, it);
            (
                a.to_owned(),
                AnnotatorSpread {
                    gae_episodes: ep,
                    gae_successes: su,
                    gae_rate_pct: g,
                    gae_ci95: wilson(su, ep, Z95),
                    gae_delta_pct: g.zip(pooled_gae).map(|(x, p)| round2(x - p)),
                    iae_items: it,
                    iae_correct: co,
                    iae_accuracy_pct: i,
                    iae_delta_pct: i.zip(pooled_iae).map(|(x, p)| round2(x - p)),
                },
            )
        })
        .collect()
}

/// The event types [`baseline`] reads (an ending and the status for GAE; the presented items
/// and the answers for IAE).
pub const REPORT_EVENTS: [&str; 4] = [
    "ending",
    "session_status",
    "options_presented",
    "iae_answer",
];

/// Every world-tree session of `store`, with its events (read only for the finished ones; the
/// others are excluded without looking at their log).
///
/// # Errors
/// A store read error.
pub fn load(store: &Store) -> Result<Vec<(Session, Vec<Event>)>, StoreError> {
    let sessions: Vec<Session> = store
        .list_headers(&Filter::default())?
        .into_iter()
        .filter(|s| modes(&s.kind).is_some())
        .collect();
    // Decoding the logs is most of the work: only the finished non-training sessions' logs
    // are read, and of them only the events the report reads (not a model's calls, not the
    // text shown).
    let wanted: Vec<SessionId> = sessions
        .iter()
        .filter(|s| s.status == Status::Finished && !s.is_training())
        .map(|s| s.id)
        .collect();
    let mut logs = store
        .events_selected_many(&wanted, &|t| REPORT_EVENTS.contains(&t))?
        .into_iter();
    Ok(sessions
        .into_iter()
        .map(|s| {
            let events = if s.status == Status::Finished && !s.is_training() {
                logs.next().unwrap_or_default()
            } else {
                Vec::new()
            };
            (s, events)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_edges() {
        assert_eq!(wilson(0, 0, Z95), None);
        let [lo, hi] = wilson(0, 10, Z95).unwrap();
        assert!(lo.abs() < 1e-12);
        // z² / (n + z²) for 0/n.
        let z2 = Z95 * Z95;
        assert!((hi - round2(100.0 * z2 / (10.0 + z2))).abs() < 1e-9, "{hi}");
        let [lo, hi] = wilson(10, 10, Z95).unwrap();
        assert!((hi - 100.0).abs() < 1e-12);
        assert!(
            (lo - round2(100.0 * 10.0 / (10.0 + z2))).abs() < 1e-9,
            "{lo}"
        );
        // A textbook value: 1 of 2 → 9.45 % … 90.55 %.
        assert_eq!(wilson(1, 2, Z95), Some([9.45, 90.55]));
    }
}
