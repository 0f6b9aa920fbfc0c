//! `socius study report`: the statistics of a pairwise or pointwise study from its stored
//! judgments (the record contract is in [`crate::study::judged`]).
//!
//! Pure computation over the votes ([`report`]) plus [`load`], which reads them from one or
//! more stores and the study's CR transcripts. What counts:
//!
//! - only the annotator's **last** vote on a task (by event time, then session, then seq); the
//!   earlier ones are counted as superseded;
//! - a vote naming a task the plan does not have, or sides that are not the task's two
//!   sessions, or an unknown choice, is counted as invalid and left out;
//! - an annotator whose share of right onboarding answers is below the plan's pass share, or
//!   who failed more attention checks than allowed, is listed with the reason, and their real
//!   votes are left out (and counted as excluded);
//! - onboarding and attention tasks never enter the statistics.
//!
//! Bradley–Terry is fitted over the systems in name order (so the scores and their bootstrap do
//! not depend on the order the plan lists the systems in) and listed by score, best first.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::session::{Event, EventBody, JudgmentChoice, Session, SessionKind, SessionRecord, Who};
use crate::stats::pairwise::{self as pw, Outcome};
use crate::stats::{self, BtOptions, Metric, PairCount, Summary, Wilcoxon};
use crate::store::{Filter, Store, StoreError};
use crate::study::judged::{
    JudgedKind, JudgedPlan, Side, TRANSCRIPTS_DIR, Task, TaskBody, TaskKind,
};

/// The layout version of the report's JSON.
pub const REPORT_SCHEMA: u32 = 1;
/// Bootstrap resamples of the Bradley–Terry intervals.
pub const RESAMPLES: usize = 200;
/// Fewest pre/post pairs for a Wilcoxon signed-rank test.
pub const WILCOXON_MIN_PAIRS: usize = 6;
/// The event types the report reads from judgment sessions.
pub const VOTE_EVENTS: [&str; 2] = ["judgment", "rating"];
/// Largest transcript file read for the CR measures.
const TRANSCRIPT_LIMIT: u64 = 64 * 1024 * 1024;

/// A stored vote's content.
#[derive(Debug, Clone, PartialEq)]
pub enum Vote {
    Judgment {
        pair: Option<String>,
        left: String,
        right: String,
        choice: JudgmentChoice,
        reason: Option<String>,
    },
    Rating {
        task: Option<String>,
        name: String,
        value: f64,
        about_seq: Option<u64>,
    },
}

/// One vote with who cast it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub annotator: String,
    pub at: DateTime<Utc>,
    /// The session it is in (orders votes cast at the same instant).
    pub session: String,
    pub seq: u64,
    pub vote: Vote,
}

/// What the report is computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Input {
    pub votes: Vec<Stored>,
    /// Per shown session: its ratings without a task (the CR intervention measures,
    /// `belief_pre`, `emotion_post`, …), in order.
    pub measures: BTreeMap<String, Vec<(String, f64)>>,
}

/// The name an annotator is known by in a judgment session.
fn who_name(who: &Who) -> String {
    match who {
        Who::Annotator { id } => id.clone(),
        Who::Model { name, .. } => name.clone(),
    }
}

/// Whether `s` is a judgment session of study `id`.
#[must_use]
pub fn is_vote_session(s: &Session, id: &str) -> bool {
    (s.kind == SessionKind::StudyJudgment || s.kind == SessionKind::StudyRating)
        && s.meta.get("study").and_then(serde_json::Value::as_str) == Some(id)
}

/// The votes of judgment sessions and their events.
#[must_use]
pub fn votes_of(sessions: &[(Session, Vec<Event>)]) -> Vec<Stored> {
    let mut out = Vec::new();
    for (s, events) in sessions {
        let annotator = who_name(&s.who);
        let session = s.id.to_string();
        for e in events {
            let vote = match &e.body {
                EventBody::Judgment(j) => Vote::Judgment {
                    pair: j.pair.clone(),
                    left: j.left.clone(),
                    right: j.right.clone(),
                    choice: j.choice.clone(),
                    reason: j.reason.clone(),
                },
                EventBody::Rating(r) => Vote::Rating {
                    task: r.task.clone(),
                    name: r.name.clone(),
                    value: r.value,
                    about_seq: r.about_seq,
                },
                _ => continue,
            };
            out.push(Stored {
                annotator: annotator.clone(),
                at: e.at,
                session: session.clone(),
                seq: e.seq,
                vote,
            });
        }
    }
    out
}

/// Why the report cannot be read in.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}: {1}")]
    Transcript(String, String),
}

/// Read the votes of study `plan` from `stores` (a session in several counts once) and the CR
/// measures of the sessions it shows (from the stores, else from `study_dir/transcripts/`).
///
/// # Errors
/// A store that cannot be read, or a transcript file that cannot be read or decoded.
pub fn load(stores: &[Store], plan: &JudgedPlan, study_dir: &Path) -> Result<Input, LoadError> {
    let mut seen = BTreeSet::new();
    let mut votes = Vec::new();
    let shown = shown_sessions(plan);
    let mut measures: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for store in stores {
        let headers = store.list_headers(&Filter::default())?;
        let mine: Vec<Session> = headers
            .iter()
            .filter(|s| is_vote_session(s, &plan.id) && seen.insert(s.id.to_string()))
            .cloned()
            .collect();
        let ids: Vec<_> = mine.iter().map(|s| s.id).collect();
        let logs = store.events_selected_many(&ids, &|t| VOTE_EVENTS.contains(&t))?;
        let pairs: Vec<(Session, Vec<Event>)> = mine.into_iter().zip(logs).collect();
        votes.extend(votes_of(&pairs));
        let cr: Vec<&Session> = headers
            .iter()
            .filter(|s| {
                let id = s.id.to_string();
                shown.contains(&id) && !measures.contains_key(&id)
            })
            .collect();
        let ids: Vec<_> = cr.iter().map(|s| s.id).collect();
        let logs = store.events_selected_many(&ids, &|t| t == "rating")?;
        for (s, events) in cr.into_iter().zip(logs) {
            measures.insert(s.id.to_string(), measures_of(&events));
        }
    }
    for id in &shown {
        if measures.contains_key(id) {
            continue;
        }
        let path = study_dir.join(TRANSCRIPTS_DIR).join(format!("{id}.json"));
        if !path.is_file() {
            continue;
        }
        let shown_path = path.display().to_string();
        let text = crate::fsx::read_text(&path, TRANSCRIPT_LIMIT)
            .map_err(|e| LoadError::Transcript(shown_path.clone(), e.to_string()))?;
        let record: SessionRecord = serde_json::from_str(&text)
            .map_err(|e| LoadError::Transcript(shown_path, e.to_string()))?;
        measures.insert(id.clone(), measures_of(&record.events));
    }
    Ok(Input { votes, measures })
}

/// The sessions the real tasks of a (not imported) plan show on CR cases.
fn shown_sessions(plan: &JudgedPlan) -> BTreeSet<String> {
    if plan.imported {
        return BTreeSet::new();
    }
    let cr: BTreeSet<&str> = plan
        .items
        .iter()
        .filter(|i| i.kind == crate::study::judged::ItemKind::CrCase)
        .map(|i| i.id.as_str())
        .collect();
    plan.tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Real && t.item.as_deref().is_some_and(|i| cr.contains(i)))
        .flat_map(|t| match &t.body {
            TaskBody::Pair { a, b, .. } => vec![a.session.clone(), b.session.clone()],
            TaskBody::Transcript { shown, .. } => vec![shown.session.clone()],
        })
        .collect()
}

/// The ratings of a transcript that are not about a study task, in order.
#[must_use]
pub fn measures_of(events: &[Event]) -> Vec<(String, f64)> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Rating(r) if r.task.is_none() && r.about_seq.is_none() => {
                Some((r.name.clone(), r.value))
            }
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The report.

/// How many votes there were and what became of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Real judgments (pairwise) or ratings (pointwise) in the statistics.
    pub counted: usize,
    /// Earlier votes of an annotator on a task they voted on again.
    pub superseded: usize,
    /// Real votes of excluded annotators.
    pub excluded: usize,
    /// Votes on onboarding and attention tasks.
    pub quality: usize,
    /// Votes naming no task of the plan, sides not of the task, or an unknown choice.
    pub invalid: usize,
    /// Judgments still wanted: per real task, the plan's annotators per unit less the distinct
    /// annotators counted on it.
    pub missing: usize,
}

/// One pair of systems.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairRow {
    /// The first-named system (in study order).
    pub a: String,
    pub b: String,
    pub wins: u64,
    pub ties: u64,
    pub losses: u64,
    pub win_rate: Option<f64>,
    pub wilson95: Option<[f64; 2]>,
    pub sign_p: f64,
}

/// One system's Bradley–Terry score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BtRow {
    pub system: String,
    /// Centred natural log-strength.
    pub score: f64,
    pub ci95: Option<[f64; 2]>,
}

/// How the Bradley–Terry intervals were drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BootstrapInfo {
    pub resamples: usize,
    pub failed: usize,
    pub seed: u64,
}

/// Krippendorff's α (interval) of one rubric item over the units rated at least twice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemAlpha {
    pub item: String,
    pub units: usize,
    pub krippendorff_alpha: Option<f64>,
}

/// Agreement: pairwise (over items judged by two or more annotators) or pointwise (per
/// rubric item).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AgreementOut {
    Pairwise(pw::Agreement),
    Pointwise { items: Vec<ItemAlpha> },
}

/// Mean, sd and interval of one rubric item for one system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointRow {
    pub item: String,
    pub system: String,
    pub n: usize,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub ci95: Option<[f64; 2]>,
}

/// Pre/post of one measure on one case for one system (means over its shown sessions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseChange {
    pub case: String,
    pub system: String,
    pub measure: String,
    /// Sessions with both values.
    pub n: usize,
    pub pre: f64,
    pub post: f64,
    pub change: f64,
}

/// Pre/post of one measure for one system over all its sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemChange {
    pub system: String,
    pub measure: String,
    pub n: usize,
    pub mean_change: f64,
    /// With at least [`WILCOXON_MIN_PAIRS`] pairs.
    pub wilcoxon: Option<Wilcoxon>,
}

/// The CR intervention measures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Intervention {
    pub cases: Vec<CaseChange>,
    pub systems: Vec<SystemChange>,
}

/// An annotator left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excluded {
    pub annotator: String,
    pub reason: String,
    /// Their real votes left out.
    pub votes: usize,
}

/// One annotator's votes and quality checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnotatorRow {
    pub annotator: String,
    /// Real tasks voted on (last votes).
    pub tasks: usize,
    pub superseded: usize,
    /// Onboarding tasks answered right, and answered.
    pub onboarding: [usize; 2],
    /// Attention checks failed, and answered.
    pub attention: [usize; 2],
    pub excluded: bool,
}

/// `socius study report`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema: u32,
    pub study: String,
    #[serde(rename = "type")]
    pub kind: JudgedKind,
    pub imported: bool,
    pub systems: Vec<String>,
    pub judgments: Counts,
    pub pairs: Vec<PairRow>,
    pub bradley_terry: Vec<BtRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bradley_terry_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<BootstrapInfo>,
    pub agreement: AgreementOut,
    pub pointwise: Vec<PointRow>,
    pub intervention: Intervention,
    pub excluded_annotators: Vec<Excluded>,
    pub annotators: Vec<AnnotatorRow>,
    /// The pairwise judgments counted (for `study export`); not in the JSON.
    #[serde(skip)]
    pub counted: Vec<Counted>,
}

/// One counted pairwise judgment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub task: String,
    pub item: Option<String>,
    pub annotator: String,
    /// The first-named system and the other.
    pub a: String,
    pub b: String,
    pub outcome: Outcome,
    /// A tie given as "both bad".
    pub both_bad: bool,
    pub reason: Option<String>,
}

/// What one counted vote decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pair(Outcome),
}

/// The outcome of a judgment on a pair task, from the sides shown.
fn pair_outcome(task: &Task, left: &str, right: &str, choice: &JudgmentChoice) -> Option<Outcome> {
    let TaskBody::Pair { a, b, .. } = &task.body else {
        return None;
    };
    let left_is_a = if left == a.session && right == b.session {
        true
    } else if left == b.session && right == a.session {
        false
    } else {
        return None;
    };
    Some(match choice {
        JudgmentChoice::Left if left_is_a => Outcome::A,
        JudgmentChoice::Left => Outcome::B,
        JudgmentChoice::Right if left_is_a => Outcome::B,
        JudgmentChoice::Right => Outcome::A,
        JudgmentChoice::Tie | JudgmentChoice::BothBad => Outcome::Tie,
        JudgmentChoice::Other(_) => return None,
    })
}

/// Last ratings per (annotator, task): (rubric item, turn, value).
type Ratings<'a> = BTreeMap<(&'a str, &'a str), Vec<(&'a str, Option<u64>, f64)>>;
/// Per rubric item: the values of each (task, turn).
type RatingUnits<'a> = BTreeMap<&'a str, BTreeMap<(&'a str, Option<u64>), Vec<f64>>>;
/// Per (system, measure): (pre, post) per (case, session).
type PrePost<'a> = BTreeMap<(&'a str, String), BTreeMap<(&'a str, &'a str), (f64, f64)>>;

/// Sort key of a vote: later is greater.
fn order(s: &Stored) -> (DateTime<Utc>, &str, u64) {
    (s.at, s.session.as_str(), s.seq)
}

/// Per annotator: the quality-check tallies and their real last votes.
#[derive(Debug, Default)]
struct PerAnnotator {
    onboarding_right: usize,
    onboarding: usize,
    attention_failed: usize,
    attention: usize,
    real_tasks: usize,
}

/// The whole report of `plan` over `input`; Bradley–Terry with `resamples` bootstrap
/// resamples seeded from the plan.
#[must_use]
pub fn report(plan: &JudgedPlan, input: &Input, resamples: usize) -> Report {
    let tasks: HashMap<&str, &Task> = plan.tasks.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut counts = Counts::default();
    let mut people: BTreeMap<String, PerAnnotator> = BTreeMap::new();

    // Last vote per key; pairwise keys (annotator, task), pointwise (annotator, task, name,
    // about_seq).
    let mut last_pair: HashMap<(&str, &str), &Stored> = HashMap::new();
    let mut last_rating: HashMap<(&str, &str, &str, Option<u64>), &Stored> = HashMap::new();
    for v in &input.votes {
        people.entry(v.annotator.clone()).or_default();
        match (&v.vote, plan.kind) {
            (Vote::Judgment { pair, .. }, JudgedKind::Pairwise) => {
                let Some(task) = pair.as_deref().and_then(|p| tasks.get(p)) else {
                    counts.invalid += 1;
                    continue;
                };
                let slot = last_pair.entry((&v.annotator, &task.id)).or_insert(v);
                if order(v) > order(slot) {
                    *slot = v;
                }
            }
            (
                Vote::Rating {
                    task: Some(t),
                    name,
                    about_seq,
                    ..
                },
                JudgedKind::Pointwise,
            ) if tasks.contains_key(t.as_str()) => {
                let slot = last_rating
                    .entry((&v.annotator, t, name, *about_seq))
                    .or_insert(v);
                if order(v) > order(slot) {
                    *slot = v;
                }
            }
            _ => counts.invalid += 1,
        }
    }
    let valid = input.votes.len() - counts.invalid;
    counts.superseded = valid - last_pair.len() - last_rating.len();

    // Pairwise: the verdict of each last vote.
    let mut verdicts: Vec<(&str, &Task, Verdict, &Stored)> = Vec::new();
    let mut pair_keys: Vec<_> = last_pair.into_iter().collect();
    pair_keys.sort_by(|a, b| a.0.cmp(&b.0));
    for ((who, _), v) in pair_keys {
        let Vote::Judgment {
            left,
            right,
            choice,
            ..
        } = &v.vote
        else {
            continue;
        };
        let Some(task) = v_task(&tasks, v) else {
            continue;
        };
        match pair_outcome(task, left, right, choice) {
            Some(o) => verdicts.push((who, task, Verdict::Pair(o), v)),
            None => counts.invalid += 1,
        }
    }

    // Pointwise: the last ratings grouped per (annotator, task).
    let mut ratings: Ratings<'_> = BTreeMap::new();
    for ((who, task, name, about), v) in &last_rating {
        if let Vote::Rating { value, .. } = v.vote {
            ratings
                .entry((who, task))
                .or_default()
                .push((name, *about, value));
        }
    }

    // Quality checks.
    for (who, task, Verdict::Pair(o), _) in &verdicts {
        let p = people.entry((*who).to_owned()).or_default();
        let TaskBody::Pair { better, .. } = &task.body else {
            continue;
        };
        let right = match better {
            Some(Side::A) => *o == Outcome::A,
            Some(Side::B) => *o == Outcome::B,
            None => true,
        };
        tally_quality(p, task.kind, right);
    }
    for ((who, task_id), rs) in &ratings {
        let Some(task) = tasks.get(task_id) else {
            continue;
        };
        let TaskBody::Transcript { expect, .. } = &task.body else {
            continue;
        };
        let right = expect.iter().all(|(name, [lo, hi])| {
            let mut given = rs.iter().filter(|(n, a, _)| n == name && a.is_none());
            #[expect(clippy::cast_precision_loss, reason = "scale points are small")]
            given
                .next()
                .is_some_and(|(_, _, v)| *v >= *lo as f64 && *v <= *hi as f64)
        });
        let p = people.entry((*who).to_owned()).or_default();
        tally_quality(p, task.kind, right);
    }

    let has_onboarding = plan.tasks.iter().any(|t| t.kind == TaskKind::Onboarding);
    let mut excluded_annotators = Vec::new();
    let mut excluded: BTreeSet<String> = BTreeSet::new();
    for (who, p) in &people {
        let mut reasons = Vec::new();
        if let Some(pass) = plan.onboarding_pass
            && has_onboarding
        {
            if p.onboarding == 0 {
                reasons.push("answered no onboarding task".to_owned());
            } else {
                #[expect(clippy::cast_precision_loss, reason = "counts are small")]
                let share = p.onboarding_right as f64 / p.onboarding as f64;
                if share < pass {
                    reasons.push(format!(
                        "onboarding: {} of {} right, below the pass share {pass}",
                        p.onboarding_right, p.onboarding
                    ));
                }
            }
        }
        if let Some(max) = plan.attention_max_failures
            && p.attention_failed > max as usize
        {
            reasons.push(format!(
                "attention: {} of {} checks failed, more than the {max} allowed",
                p.attention_failed, p.attention
            ));
        }
        if !reasons.is_empty() {
            excluded.insert(who.clone());
            excluded_annotators.push(Excluded {
                annotator: who.clone(),
                reason: reasons.join("; "),
                votes: 0,
            });
        }
    }

    // Superseded per annotator.
    let mut by_who_total: HashMap<&str, usize> = HashMap::new();
    for v in &input.votes {
        *by_who_total.entry(&v.annotator).or_default() += 1;
    }
    let mut report = Report {
        schema: REPORT_SCHEMA,
        study: plan.id.clone(),
        kind: plan.kind,
        imported: plan.imported,
        systems: plan.systems.clone(),
        judgments: counts,
        pairs: Vec::new(),
        bradley_terry: Vec::new(),
        bradley_terry_note: None,
        bootstrap: None,
        agreement: AgreementOut::Pointwise { items: Vec::new() },
        pointwise: Vec::new(),
        intervention: Intervention::default(),
        excluded_annotators,
        annotators: Vec::new(),
        counted: Vec::new(),
    };
    let sys: HashMap<&str, usize> = plan
        .systems
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut units: HashMap<String, usize> = HashMap::new();
    let mut unit_of = |task: &Task| -> usize {
        let key = task
            .item
            .clone()
            .unwrap_or_else(|| format!("\u{0}task:{}", task.id));
        let n = units.len();
        *units.entry(key).or_insert(n)
    };
    let mut annotator_ix: HashMap<&str, usize> = HashMap::new();
    let mut per_task: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    let mut excluded_votes: BTreeMap<&str, usize> = BTreeMap::new();

    match plan.kind {
        JudgedKind::Pairwise => {
            let mut judgments = Vec::new();
            let mut counted = Vec::new();
            for (who, task, Verdict::Pair(o), v) in &verdicts {
                if task.kind != TaskKind::Real {
                    report.judgments.quality += 1;
                    continue;
                }
                if excluded.contains(*who) {
                    *excluded_votes.entry(who).or_default() += 1;
                    continue;
                }
                let TaskBody::Pair { a, b, .. } = &task.body else {
                    continue;
                };
                let (Some(&ia), Some(&ib)) = (
                    a.system.as_deref().and_then(|s| sys.get(s)),
                    b.system.as_deref().and_then(|s| sys.get(s)),
                ) else {
                    report.judgments.invalid += 1;
                    continue;
                };
                let n = annotator_ix.len();
                let annotator = *annotator_ix.entry(who).or_insert(n);
                judgments.push(pw::Judgment {
                    item: unit_of(task),
                    annotator,
                    a: ia,
                    b: ib,
                    outcome: *o,
                });
                per_task.entry(&task.id).or_default().insert(who);
                people.entry((*who).to_owned()).or_default().real_tasks += 1;
                let (both_bad, reason) = match &v.vote {
                    Vote::Judgment { choice, reason, .. } => {
                        (*choice == JudgmentChoice::BothBad, reason.clone())
                    }
                    Vote::Rating { .. } => (false, None),
                };
                counted.push(Counted {
                    task: task.id.clone(),
                    item: task.item.clone(),
                    annotator: (*who).to_owned(),
                    a: plan.systems[ia].clone(),
                    b: plan.systems[ib].clone(),
                    outcome: *o,
                    both_bad,
                    reason,
                });
            }
            report.judgments.counted = judgments.len();
            report.counted = counted;
            pairwise_stats(plan, &judgments, resamples, &mut report);
        }
        JudgedKind::Pointwise => {
            pointwise_stats(
                plan,
                &tasks,
                &ratings,
                &excluded,
                &mut excluded_votes,
                &mut per_task,
                &mut people,
                &mut report,
            );
        }
    }
    report.intervention = intervention(plan, &input.measures);

    for e in &mut report.excluded_annotators {
        e.votes = excluded_votes
            .get(e.annotator.as_str())
            .copied()
            .unwrap_or(0);
    }
    report.judgments.excluded = excluded_votes.values().sum();
    let per_unit = plan.per_unit as usize;
    report.judgments.missing = plan
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Real)
        .map(|t| per_unit.saturating_sub(per_task.get(t.id.as_str()).map_or(0, BTreeSet::len)))
        .sum();
    // Superseded per annotator: their valid votes less the last ones kept.
    let mut kept: HashMap<&str, usize> = HashMap::new();
    for (who, _, _, _) in &verdicts {
        *kept.entry(who).or_default() += 1;
    }
    for (who, _, _, _) in last_rating.keys() {
        *kept.entry(who).or_default() += 1;
    }
    let mut invalid_by: HashMap<&str, usize> = HashMap::new();
    for v in &input.votes {
        let bad = match (&v.vote, plan.kind) {
            (Vote::Judgment { pair, .. }, JudgedKind::Pairwise) => {
                pair.as_deref().and_then(|p| tasks.get(p)).is_none()
            }
            (Vote::Rating { task: Some(t), .. }, JudgedKind::Pointwise) => {
                !tasks.contains_key(t.as_str())
            }
            _ => true,
        };
        if bad {
            *invalid_by.entry(&v.annotator).or_default() += 1;
        }
    }
    report.annotators = people
        .iter()
        .map(|(who, p)| {
            let total = by_who_total.get(who.as_str()).copied().unwrap_or(0);
            let bad = invalid_by.get(who.as_str()).copied().unwrap_or(0);
            let keep = kept.get(who.as_str()).copied().unwrap_or(0);
            AnnotatorRow {
                annotator: who.clone(),
                tasks: p.real_tasks,
                superseded: total.saturating_sub(bad).saturating_sub(keep),
                onboarding: [p.onboarding_right, p.onboarding],
                attention: [p.attention_failed, p.attention],
                excluded: excluded.contains(who),
            }
        })
        .collect();
    report
}

fn v_task<'p>(tasks: &HashMap<&str, &'p Task>, v: &Stored) -> Option<&'p Task> {
    match &v.vote {
        Vote::Judgment { pair, .. } => pair.as_deref().and_then(|p| tasks.get(p)).copied(),
        Vote::Rating { task, .. } => task.as_deref().and_then(|p| tasks.get(p)).copied(),
    }
}

fn tally_quality(p: &mut PerAnnotator, kind: TaskKind, right: bool) {
    match kind {
        TaskKind::Onboarding => {
            p.onboarding += 1;
            p.onboarding_right += usize::from(right);
        }
        TaskKind::Attention => {
            p.attention += 1;
            p.attention_failed += usize::from(!right);
        }
        TaskKind::Real => {}
    }
}

/// Pairs, Bradley–Terry and agreement of the counted judgments.
fn pairwise_stats(plan: &JudgedPlan, judgments: &[pw::Judgment], resamples: usize, r: &mut Report) {
    let name = |i: usize| plan.systems.get(i).cloned().unwrap_or_default();
    r.pairs = pw::tally(judgments)
        .iter()
        .map(|c| {
            let s = pw::PairStats::of(c);
            PairRow {
                a: name(s.a),
                b: name(s.b),
                wins: s.wins,
                ties: s.ties,
                losses: s.losses,
                win_rate: s.win_rate,
                wilson95: s.wilson95,
                sign_p: s.sign_p,
            }
        })
        .collect();
    r.agreement = AgreementOut::Pairwise(pw::agreement(judgments));
    if plan.systems.len() <= 2 {
        return;
    }
    // Fit over the systems in name order.
    let mut by_name: Vec<usize> = (0..plan.systems.len()).collect();
    by_name.sort_by(|x, y| plan.systems[*x].cmp(&plan.systems[*y]));
    let mut rank = vec![0usize; by_name.len()];
    for (pos, &i) in by_name.iter().enumerate() {
        rank[i] = pos;
    }
    let renamed: Vec<pw::Judgment> = judgments
        .iter()
        .map(|j| pw::Judgment {
            a: rank[j.a],
            b: rank[j.b],
            ..*j
        })
        .collect();
    let table: Vec<PairCount> = pw::tally(&renamed);
    let opts = BtOptions {
        prior_ties: BtOptions::default().prior_ties,
        resamples: resamples.max(RESAMPLES),
        seed: plan.seed,
    };
    match stats::bt::bootstrap(plan.systems.len(), &table, &opts) {
        Ok(b) => {
            let mut rows: Vec<BtRow> = b
                .scores
                .iter()
                .zip(&by_name)
                .map(|(s, &i)| BtRow {
                    system: name(i),
                    score: s.score,
                    ci95: s.ci95,
                })
                .collect();
            rows.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.system.cmp(&y.system)));
            r.bradley_terry = rows;
            r.bootstrap = Some(BootstrapInfo {
                resamples: b.resamples,
                failed: b.failed,
                seed: b.seed,
            });
        }
        Err(e) => {
            let e = match e {
                stats::BtError::Unjudged(i) => {
                    format!("system `{}` has no judgment", name(by_name[i]))
                }
                other => other.to_string(),
            };
            r.bradley_terry_note = Some(e);
        }
    }
}

/// Per rubric item and system: mean, sd, interval; per rubric item: α (interval).
#[expect(clippy::too_many_arguments, reason = "the report's shared tallies")]
fn pointwise_stats<'a>(
    plan: &'a JudgedPlan,
    tasks: &HashMap<&str, &'a Task>,
    ratings: &Ratings<'a>,
    excluded: &BTreeSet<String>,
    excluded_votes: &mut BTreeMap<&'a str, usize>,
    per_task: &mut HashMap<&'a str, BTreeSet<&'a str>>,
    people: &mut BTreeMap<String, PerAnnotator>,
    r: &mut Report,
) {
    // (rubric item, system) -> values; (rubric item) -> (task, about) -> values.
    let mut values: BTreeMap<(&str, &str), Vec<f64>> = BTreeMap::new();
    let mut units: RatingUnits<'_> = BTreeMap::new();
    for ((who, task_id), rs) in ratings {
        let Some(task) = tasks.get(task_id) else {
            continue;
        };
        if task.kind != TaskKind::Real {
            r.judgments.quality += rs.len();
            continue;
        }
        if excluded.contains(*who) {
            *excluded_votes.entry(who).or_default() += rs.len();
            continue;
        }
        let TaskBody::Transcript { shown, .. } = &task.body else {
            r.judgments.invalid += rs.len();
            continue;
        };
        let Some(system) = shown.system.as_deref() else {
            r.judgments.invalid += rs.len();
            continue;
        };
        per_task.entry(&task.id).or_default().insert(who);
        people.entry((*who).to_owned()).or_default().real_tasks += 1;
        for (name, about, v) in rs {
            r.judgments.counted += 1;
            values.entry((name, system)).or_default().push(*v);
            units
                .entry(name)
                .or_default()
                .entry((&task.id, *about))
                .or_default()
                .push(*v);
        }
    }
    // Rubric order first, then any other names in name order.
    let mut names: Vec<&str> = plan
        .rubric
        .iter()
        .flat_map(|r| r.items.iter().map(|i| i.id.as_str()))
        .collect();
    let extra: BTreeSet<&str> = units
        .keys()
        .copied()
        .filter(|n| !names.contains(n))
        .collect();
    names.extend(extra);
    let mut items = Vec::new();
    for name in names {
        for system in &plan.systems {
            let Some(vs) = values.get(&(name, system.as_str())) else {
                continue;
            };
            let s: Option<Summary> = stats::describe(vs);
            r.pointwise.push(PointRow {
                item: name.to_owned(),
                system: system.clone(),
                n: s.map_or(0, |s| s.n),
                mean: s.map(|s| s.mean),
                sd: s.and_then(|s| s.sd),
                ci95: s.and_then(|s| s.ci95),
            });
        }
        let u: Vec<Vec<f64>> = units
            .get(name)
            .map(|m| m.values().filter(|v| v.len() >= 2).cloned().collect())
            .unwrap_or_default();
        items.push(ItemAlpha {
            item: name.to_owned(),
            units: u.len(),
            krippendorff_alpha: stats::krippendorff_alpha(&u, Metric::Interval),
        });
    }
    r.agreement = AgreementOut::Pointwise { items };
}

/// Pre/post change per case and system, and per system with Wilcoxon.
fn intervention(
    plan: &JudgedPlan,
    measures: &BTreeMap<String, Vec<(String, f64)>>,
) -> Intervention {
    // (system, measure) -> (case, session) -> (pre, post)
    let mut seen: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    let mut pairs: PrePost<'_> = BTreeMap::new();
    for t in plan.tasks.iter().filter(|t| t.kind == TaskKind::Real) {
        let Some(case) = t.item.as_deref() else {
            continue;
        };
        let shown = match &t.body {
            TaskBody::Pair { a, b, .. } => vec![a, b],
            TaskBody::Transcript { shown, .. } => vec![shown],
        };
        for s in shown {
            let Some(system) = s.system.as_deref() else {
                continue;
            };
            if !seen.insert((case, system, &s.session)) {
                continue;
            }
            let Some(ms) = measures.get(&s.session) else {
                continue;
            };
            let last = |name: &str| ms.iter().rev().find(|(n, _)| n == name).map(|(_, v)| *v);
            let ids: BTreeSet<&str> = ms
                .iter()
                .filter_map(|(n, _)| n.strip_suffix("_pre"))
                .collect();
            for id in ids {
                if let (Some(pre), Some(post)) =
                    (last(&format!("{id}_pre")), last(&format!("{id}_post")))
                    && pre.is_finite()
                    && post.is_finite()
                {
                    pairs
                        .entry((system, id.to_owned()))
                        .or_default()
                        .insert((case, &s.session), (pre, post));
                }
            }
        }
    }
    let mut out = Intervention::default();
    let order: HashMap<&str, usize> = plan
        .systems
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut keys: Vec<&(&str, String)> = pairs.keys().collect();
    keys.sort_by_key(|(s, m)| (order.get(s).copied().unwrap_or(usize::MAX), m.clone()));
    for key in keys {
        let (system, measure) = key;
        let Some(by) = pairs.get(key) else {
            continue;
        };
        let mut per_case: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
        for ((case, _), p) in by {
            per_case.entry(case).or_default().push(*p);
        }
        for (case, ps) in per_case {
            let n = ps.len();
            #[expect(clippy::cast_precision_loss, reason = "counts are small")]
            let mean = |f: &dyn Fn(&(f64, f64)) -> f64| ps.iter().map(f).sum::<f64>() / n as f64;
            let pre = mean(&|p| p.0);
            let post = mean(&|p| p.1);
            out.cases.push(CaseChange {
                case: case.to_owned(),
                system: (*system).to_owned(),
                measure: measure.clone(),
                n,
                pre,
                post,
                change: post - pre,
            });
        }
        let all: Vec<(f64, f64)> = by.values().copied().collect();
        #[expect(clippy::cast_precision_loss, reason = "counts are small")]
        let mean_change = all.iter().map(|(a, b)| b - a).sum::<f64>() / all.len().max(1) as f64;
        out.systems.push(SystemChange {
            system: (*system).to_owned(),
            measure: measure.clone(),
            n: all.len(),
            mean_change,
            wilcoxon: (all.len() >= WILCOXON_MIN_PAIRS)
                .then(|| stats::wilcoxon_signed_rank(&all))
                .flatten(),
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// Rendering.

fn num(x: Option<f64>, places: usize) -> String {
    x.map_or_else(|| "–".to_owned(), |v| format!("{v:.places$}"))
}

fn interval(x: Option<[f64; 2]>, places: usize) -> String {
    x.map_or_else(
        || "–".to_owned(),
        |[lo, hi]| format!("{lo:.places$} – {hi:.places$}"),
    )
}

/// The report as Markdown.
#[must_use]
pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let kind = match r.kind {
        JudgedKind::Pairwise => "pairwise",
        JudgedKind::Pointwise => "pointwise",
    };
    let _ = writeln!(
        s,
        "# Study `{}` ({kind}{})\n",
        md(&r.study),
        if r.imported { ", imported" } else { "" }
    );
    let j = &r.judgments;
    let _ = writeln!(
        s,
        "{} counted, {} superseded, {} excluded, {} on quality checks, {} invalid, {} missing.\n",
        j.counted, j.superseded, j.excluded, j.quality, j.invalid, j.missing
    );
    if r.kind == JudgedKind::Pairwise {
        s.push_str("## Pairs\n\n| a | b | wins | ties | losses | win rate | Wilson 95 % | sign p |\n|---|---|---:|---:|---:|---:|---|---:|\n");
        for p in &r.pairs {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {:.4} |",
                md(&p.a),
                md(&p.b),
                p.wins,
                p.ties,
                p.losses,
                num(p.win_rate, 3),
                interval(p.wilson95, 3),
                p.sign_p
            );
        }
        if !r.bradley_terry.is_empty() {
            let b = r.bootstrap.map_or(0, |b| b.resamples);
            let _ = writeln!(
                s,
                "\n## Bradley–Terry ({b} bootstrap resamples)\n\n| system | score | 95 % |\n|---|---:|---|"
            );
            for b in &r.bradley_terry {
                let _ = writeln!(
                    s,
                    "| {} | {:.3} | {} |",
                    md(&b.system),
                    b.score,
                    interval(b.ci95, 3)
                );
            }
        }
        if let Some(note) = &r.bradley_terry_note {
            let _ = writeln!(s, "\nBradley–Terry: {}", md(note));
        }
    } else {
        s.push_str("## Ratings\n\n| item | system | n | mean | sd | 95 % |\n|---|---|---:|---:|---:|---|\n");
        for p in &r.pointwise {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                md(&p.item),
                md(&p.system),
                p.n,
                num(p.mean, 2),
                num(p.sd, 2),
                interval(p.ci95, 2)
            );
        }
    }
    s.push_str("\n## Agreement\n\n");
    match &r.agreement {
        AgreementOut::Pairwise(a) => {
            let _ = writeln!(
                s,
                "{} items judged by two or more of {} annotators: Cohen's κ {}, Fleiss' κ {}, Krippendorff's α {}.",
                a.units,
                a.annotators,
                num(a.cohen_kappa, 3),
                num(a.fleiss_kappa, 3),
                num(a.krippendorff_alpha, 3)
            );
        }
        AgreementOut::Pointwise { items } => {
            for i in items {
                let _ = writeln!(
                    s,
                    "- {}: Krippendorff's α (interval) {} over {} units",
                    md(&i.item),
                    num(i.krippendorff_alpha, 3),
                    i.units
                );
            }
        }
    }
    if !r.intervention.systems.is_empty() {
        s.push_str("\n## Intervention (post − pre)\n\n| system | measure | pairs | mean change | Wilcoxon W | p |\n|---|---|---:|---:|---:|---:|\n");
        for c in &r.intervention.systems {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.2} | {} | {} |",
                md(&c.system),
                md(&c.measure),
                c.n,
                c.mean_change,
                num(c.wilcoxon.map(|w| w.w), 1),
                num(c.wilcoxon.map(|w| w.p), 4)
            );
        }
        s.push_str("\n| case | system | measure | n | pre | post | change |\n|---|---|---|---:|---:|---:|---:|\n");
        for c in &r.intervention.cases {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2} |",
                md(&c.case),
                md(&c.system),
                md(&c.measure),
                c.n,
                c.pre,
                c.post,
                c.change
            );
        }
    }
    if !r.excluded_annotators.is_empty() {
        s.push_str("\n## Excluded annotators\n\n");
        for e in &r.excluded_annotators {
            let _ = writeln!(
                s,
                "- {} ({} votes left out): {}",
                md(&e.annotator),
                e.votes,
                md(&e.reason)
            );
        }
    }
    s
}

/// A cell of a Markdown table: no line breaks, no bar, no control characters.
fn md(text: &str) -> String {
    crate::term::clean_field(text).replace('|', "\\|")
}

/// CSV: `section,key1,key2,metric,value` rows.
#[must_use]
pub fn csv(r: &Report) -> String {
    let mut s = String::from("section,a,b,metric,value\n");
    let mut row = |sec: &str, a: &str, b: &str, m: &str, v: String| {
        let _ = writeln!(s, "{sec},{},{},{m},{v}", cell(a), cell(b));
    };
    let f = |x: Option<f64>| x.map_or_else(String::new, |v| format!("{v}"));
    for p in &r.pairs {
        row("pair", &p.a, &p.b, "wins", p.wins.to_string());
        row("pair", &p.a, &p.b, "ties", p.ties.to_string());
        row("pair", &p.a, &p.b, "losses", p.losses.to_string());
        row("pair", &p.a, &p.b, "win_rate", f(p.win_rate));
        row(
            "pair",
            &p.a,
            &p.b,
            "wilson95_lo",
            f(p.wilson95.map(|w| w[0])),
        );
        row(
            "pair",
            &p.a,
            &p.b,
            "wilson95_hi",
            f(p.wilson95.map(|w| w[1])),
        );
        row("pair", &p.a, &p.b, "sign_p", format!("{}", p.sign_p));
    }
    for b in &r.bradley_terry {
        row(
            "bradley_terry",
            &b.system,
            "",
            "score",
            format!("{}", b.score),
        );
        row(
            "bradley_terry",
            &b.system,
            "",
            "ci95_lo",
            f(b.ci95.map(|w| w[0])),
        );
        row(
            "bradley_terry",
            &b.system,
            "",
            "ci95_hi",
            f(b.ci95.map(|w| w[1])),
        );
    }
    match &r.agreement {
        AgreementOut::Pairwise(a) => {
            row("agreement", "", "", "units", a.units.to_string());
            row("agreement", "", "", "cohen_kappa", f(a.cohen_kappa));
            row("agreement", "", "", "fleiss_kappa", f(a.fleiss_kappa));
            row(
                "agreement",
                "",
                "",
                "krippendorff_alpha",
                f(a.krippendorff_alpha),
            );
        }
        AgreementOut::Pointwise { items } => {
            for i in items {
                row(
                    "agreement",
                    &i.item,
                    "",
                    "krippendorff_alpha",
                    f(i.krippendorff_alpha),
                );
            }
        }
    }
    for p in &r.pointwise {
        row("pointwise", &p.item, &p.system, "n", p.n.to_string());
        row("pointwise", &p.item, &p.system, "mean", f(p.mean));
        row("pointwise", &p.item, &p.system, "sd", f(p.sd));
        row(
            "pointwise",
            &p.item,
            &p.system,
            "ci95_lo",
            f(p.ci95.map(|w| w[0])),
        );
        row(
            "pointwise",
            &p.item,
            &p.system,
            "ci95_hi",
            f(p.ci95.map(|w| w[1])),
        );
    }
    for c in &r.intervention.systems {
        row(
            "intervention",
            &c.system,
            &c.measure,
            "pairs",
            c.n.to_string(),
        );
        row(
            "intervention",
            &c.system,
            &c.measure,
            "mean_change",
            format!("{}", c.mean_change),
        );
        row(
            "intervention",
            &c.system,
            &c.measure,
            "wilcoxon_p",
            f(c.wilcoxon.map(|w| w.p)),
        );
    }
    for e in &r.excluded_annotators {
        row("excluded", &e.annotator, "", "votes", e.votes.to_string());
    }
    s
}

/// A CSV field, quoted when it needs to be.
#[must_use]
pub fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}
