//! A run's results, read back from the store and aggregated with [`super::metrics`].
//!
//! The store is the only source: what a resumed run finished yesterday and what it finished
//! now are counted the same way. Each *slot* — (tree, episode) for GAE, a tree for IAE — counts
//! once: its finished session if it has one, else its latest failed session (an error), else
//! nothing (never run, or abandoned: still pending). Only the trees given to this invocation
//! are counted.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::metrics::{
    AccuracyCell, CategoryCell, Dropped, GaeResult, IaeResult, RateCell, gae, iae,
};
use super::runner::EvalTree;
use super::settings::{EvalKind, RunSettings};
use crate::script::model::{Orientation, Outcome};
use crate::session::{EventBody, RECORD_SCHEMA, Session, Status};
use crate::store::{Filter, Store, StoreError};

/// `--json` of `socius eval gae`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GaeReport {
    pub schema: u32,
    pub metric: &'static str,
    pub run: String,
    pub model: String,
    pub protocol: String,
    pub episodes_per_tree: u32,
    pub trees: usize,
    pub by_orientation: BTreeMap<String, RateCell>,
    /// `null` when no episode was counted.
    pub macro_rate_pct: Option<f64>,
    pub dropped: Dropped,
}

/// `--json` of `socius eval iae`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IaeReport {
    pub schema: u32,
    pub metric: &'static str,
    pub run: String,
    pub model: String,
    /// Beyond the schema (which leaves them out for IAE): the walk the items were asked
    /// under and how many trees were given, as the GAE object has them.
    pub protocol: String,
    pub trees: usize,
    pub items: usize,
    pub by_ability: BTreeMap<String, AccuracyCell>,
    pub by_category: BTreeMap<String, CategoryCell>,
    /// `null` when no item was answered.
    pub overall_accuracy_pct: Option<f64>,
    pub dropped: Dropped,
    /// Items answered correctly (for the table; not part of the JSON).
    #[serde(skip)]
    pub correct: usize,
    /// Under `--protocol socialeval`: the same answers aggregated as the official script does
    /// (keys from the question's tags as written, untagged items nowhere, junk keys in the
    /// overall average), with how many items it counted. Absent under `socius`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub official: Option<super::official::OfficialIae>,
}

/// Either report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Report {
    Gae(GaeReport),
    Iae(IaeReport),
}

/// Where the run's slots stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Trees × episodes (GAE) or trees (IAE).
    pub slots: usize,
    pub finished: usize,
    /// Slots whose latest session failed and that have no finished one.
    pub failed: usize,
    /// Slots with neither: never started, or abandoned.
    pub pending: usize,
}

/// The (tree id, episode) a session of a run stands for, from its `meta`.
#[must_use]
pub fn slot_of(session: &Session) -> Option<(String, u32)> {
    let tree = session.meta.get("tree")?.as_str()?.to_owned();
    let episode = match session.meta.get("episode") {
        Some(v) => u32::try_from(v.as_u64()?).ok()?,
        None => 0,
    };
    Some((tree, episode))
}

/// The session that counts for each slot: finished over failed, later over earlier.
fn counting(sessions: Vec<Session>) -> HashMap<(String, u32), Session> {
    let mut best: HashMap<(String, u32), Session> = HashMap::new();
    for s in sessions {
        if !matches!(s.status, Status::Finished | Status::Failed) {
            continue;
        }
        let Some(slot) = slot_of(&s) else { continue };
        let replace = best
            .get(&slot)
            .is_none_or(|old| old.status != Status::Finished);
        if replace {
            best.insert(slot, s);
        }
    }
    best
}

fn run_sessions(store: &Store, run_id: &str, kind: EvalKind) -> Result<Vec<Session>, StoreError> {
    store.list(&Filter {
        run_id: Some(run_id.into()),
        kind: Some(kind.session_kind()),
        ..Filter::default()
    })
}

/// How a finished GAE session ended, from its last two events.
fn gae_result(store: &Store, s: &Session) -> Result<GaeResult, StoreError> {
    let tail = store.events_from(s.id, s.events.saturating_sub(2))?;
    let mut outcome = None;
    let mut reason = None;
    for e in tail {
        match e.body {
            EventBody::Ending(end) => outcome = end.outcome.and_then(|o| o.outcome()),
            EventBody::SessionStatus(change) => reason = change.reason,
            _ => {}
        }
    }
    Ok(match (reason.as_ref(), outcome) {
        (Some(r), _) => r.dropped().map_or(GaeResult::Error, GaeResult::Dropped),
        (None, Some(o)) if o != Outcome::Unlabelled => GaeResult::Ended(o),
        _ => GaeResult::Error,
    })
}

/// The GAE report of run `run_id` over `trees`, and its tally.
///
/// # Errors
/// A store read error.
pub fn gae_report(
    store: &Store,
    run_id: &str,
    settings: &RunSettings,
    trees: &[EvalTree],
) -> Result<(GaeReport, Tally), StoreError> {
    let keys: Vec<TreeKey> = trees
        .iter()
        .map(|t| TreeKey {
            id: t.tree.id.clone(),
            orientation: t.tree.orientation,
        })
        .collect();
    gae_over(store, run_id, settings, &keys)
}

/// A tree as the reports need it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct TreeKey {
    id: String,
    orientation: Orientation,
}

fn gae_over(
    store: &Store,
    run_id: &str,
    settings: &RunSettings,
    trees: &[TreeKey],
) -> Result<(GaeReport, Tally), StoreError> {
    let best = counting(run_sessions(store, run_id, EvalKind::Gae)?);
    let mut results: Vec<(Orientation, GaeResult)> = Vec::new();
    let mut tally = Tally::default();
    for t in trees {
        for episode in 0..settings.episodes {
            tally.slots += 1;
            let Some(s) = best.get(&(t.id.clone(), episode)) else {
                tally.pending += 1;
                continue;
            };
            if s.status == Status::Finished {
                tally.finished += 1;
                results.push((t.orientation, gae_result(store, s)?));
            } else {
                tally.failed += 1;
                results.push((t.orientation, GaeResult::Error));
            }
        }
    }
    let summary = gae(&results);
    Ok((
        GaeReport {
            schema: RECORD_SCHEMA,
            metric: "gae",
            run: run_id.to_owned(),
            model: settings.model.clone(),
            protocol: settings.protocol.name().to_owned(),
            episodes_per_tree: settings.episodes,
            trees: trees.len(),
            by_orientation: summary.by_orientation,
            macro_rate_pct: summary.macro_rate_pct,
            dropped: summary.dropped,
        },
        tally,
    ))
}

/// The answered items and the number of items presented in a finished IAE session.
fn iae_results(store: &Store, s: &Session) -> Result<(Vec<IaeResult>, usize), StoreError> {
    let events = store.events(s.id)?;
    Ok(super::metrics::iae_from_events(
        events.iter().map(|e| &e.body),
    ))
}

/// The IAE report of run `run_id` over `trees`, and its tally.
///
/// # Errors
/// A store read error.
pub fn iae_report(
    store: &Store,
    run_id: &str,
    settings: &RunSettings,
    trees: &[EvalTree],
) -> Result<(IaeReport, Tally), StoreError> {
    let keys: Vec<TreeKey> = trees
        .iter()
        .map(|t| TreeKey {
            id: t.tree.id.clone(),
            orientation: t.tree.orientation,
        })
        .collect();
    let (mut report, tally) = iae_over(store, run_id, settings, &keys)?;
    if settings.protocol == super::protocol::Protocol::Socialeval {
        report.official = Some(official_over(store, run_id, trees)?);
    }
    Ok((report, tally))
}

/// The official aggregation of the run's answers: each answer with the tags its item's
/// question was written with.
fn official_over(
    store: &Store,
    run_id: &str,
    trees: &[EvalTree],
) -> Result<super::official::OfficialIae, StoreError> {
    let best = counting(run_sessions(store, run_id, EvalKind::Iae)?);
    let mut items = Vec::new();
    for t in trees {
        let Some(s) = best.get(&(t.tree.id.clone(), 0)) else {
            continue;
        };
        if s.status != Status::Finished {
            continue;
        }
        let index = crate::script::model::NodeIndex::new(&t.tree);
        for e in store.events(s.id)? {
            let EventBody::IaeAnswer(a) = e.body else {
                continue;
            };
            let tags = a
                .item
                .parts()
                .and_then(|(node, choice)| {
                    let n = index.get(node)?;
                    t.tree.nodes[n].choices.get(choice)?.iae.as_ref()
                })
                .map(|iae| iae.source_tags().to_vec())
                .unwrap_or_default();
            items.push((tags, a.correct == Some(true)));
        }
    }
    Ok(super::official::official_iae(&items))
}

fn iae_over(
    store: &Store,
    run_id: &str,
    settings: &RunSettings,
    trees: &[TreeKey],
) -> Result<(IaeReport, Tally), StoreError> {
    let best = counting(run_sessions(store, run_id, EvalKind::Iae)?);
    let mut results = Vec::new();
    let mut dropped = Dropped::default();
    let mut tally = Tally::default();
    for t in trees {
        tally.slots += 1;
        let Some(s) = best.get(&(t.id.clone(), 0)) else {
            tally.pending += 1;
            continue;
        };
        let skipped = s.meta.get("items_skipped").and_then(Value::as_u64);
        dropped.unreadable_source += usize::try_from(skipped.unwrap_or(0)).unwrap_or(0);
        if s.status == Status::Finished {
            tally.finished += 1;
            let (answered, presented) = iae_results(store, s)?;
            dropped.invalid_answer += presented.saturating_sub(answered.len());
            results.extend(answered);
        } else {
            tally.failed += 1;
            let items = s.meta.get("items").and_then(Value::as_u64).unwrap_or(0);
            dropped.error += usize::try_from(items).unwrap_or(0);
        }
    }
    let correct = results.iter().filter(|r| r.correct).count();
    let summary = iae(&results, dropped);
    Ok((
        IaeReport {
            schema: RECORD_SCHEMA,
            metric: "iae",
            run: run_id.to_owned(),
            model: settings.model.clone(),
            protocol: settings.protocol.name().to_owned(),
            trees: trees.len(),
            items: summary.items,
            by_ability: summary.by_ability,
            by_category: summary.by_category,
            overall_accuracy_pct: summary.overall_accuracy_pct,
            dropped: summary.dropped,
            correct,
            official: None,
        },
        tally,
    ))
}

/// The report of a run over the trees its sessions name, with its settings — for reading a
/// run back without its scripts (the TUI's runs view). `None` when the store holds no session
/// of `run_id`.
///
/// # Errors
/// A store read error, or sessions without readable run settings.
pub fn stored_report(
    store: &Store,
    run_id: &str,
) -> Result<Option<(Report, Tally, RunSettings)>, String> {
    let sessions = store
        .list(&Filter {
            run_id: Some(run_id.into()),
            ..Filter::default()
        })
        .map_err(|e| e.to_string())?;
    let Some(first) = sessions.first() else {
        return Ok(None);
    };
    let settings: RunSettings = first
        .meta
        .get("run")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| format!("the sessions of run {run_id} carry no readable settings"))?;
    let mut keys: Vec<TreeKey> = sessions
        .iter()
        .filter_map(|s| {
            let id = s.meta.get("tree")?.as_str()?.to_owned();
            let orientation = Orientation::from_name(s.meta.get("orientation")?.as_str()?)?;
            Some(TreeKey { id, orientation })
        })
        .collect();
    keys.sort();
    keys.dedup();
    let report = match settings.kind {
        EvalKind::Gae => {
            gae_over(store, run_id, &settings, &keys).map(|(r, t)| (Report::Gae(r), t))
        }
        EvalKind::Iae => {
            iae_over(store, run_id, &settings, &keys).map(|(r, t)| (Report::Iae(r), t))
        }
    }
    .map_err(|e| e.to_string())?;
    Ok(Some((report.0, report.1, settings)))
}
