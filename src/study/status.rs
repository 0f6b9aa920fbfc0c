//! How far each annotator is with their assignment, from session headers (pure).
//!
//! An item is **done** when the annotator has a finished session of the tree in its mode
//! (`both`: a finished `world_tree_both` session, or a finished GAE and a finished IAE
//! session); **in progress** when such a session exists and is still `in_progress` (or only
//! one half of `both` is finished); **not started** otherwise. Abandoned and failed sessions
//! do not count: the tree has to be played again. Sessions match by annotator id, tree id and
//! training flag (an item of the study needs a non-training session; a training item a
//! training one). Sessions merged from other stores are sessions like any other.

use std::collections::BTreeMap;

use serde::Serialize;

use super::assign::{Assignment, Item};
use crate::script::study::StudyMode;
use crate::session::{Session, SessionId, SessionKind, Status, Who};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    Done,
    InProgress,
    NotStarted,
}

impl ItemState {
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::InProgress => "in progress",
            Self::NotStarted => "not started",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemStatus {
    pub tree: String,
    pub mode: StudyMode,
    pub training: bool,
    pub state: ItemState,
    /// The sessions that count for this item.
    pub sessions: Vec<SessionId>,
    /// How many of them were played on another version of the tree than the plan's (their
    /// script hash differs). They still count; the report says so.
    pub other_version: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnnotatorStatus {
    pub annotator: String,
    pub done: usize,
    pub in_progress: usize,
    pub not_started: usize,
    pub items: Vec<ItemStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudyStatus {
    pub annotators: Vec<AnnotatorStatus>,
    /// Study items (training left out) over all annotators.
    pub done: usize,
    pub total: usize,
}

fn covers(kind: &SessionKind, mode: StudyMode) -> bool {
    matches!(
        (kind, mode),
        (
            SessionKind::WorldTreeGae | SessionKind::WorldTreeBoth,
            StudyMode::Gae
        ) | (
            SessionKind::WorldTreeIae | SessionKind::WorldTreeBoth,
            StudyMode::Iae
        ) | (
            SessionKind::WorldTreeGae | SessionKind::WorldTreeIae | SessionKind::WorldTreeBoth,
            StudyMode::Both
        )
    )
}

fn item_status(
    annotator: &str,
    item: &Item,
    sessions: &[Session],
    hashes: &BTreeMap<String, String>,
) -> ItemStatus {
    let mine: Vec<&Session> = sessions
        .iter()
        .filter(|s| matches!(&s.who, Who::Annotator { id } if id == annotator))
        .filter(|s| s.script.id == item.tree && s.is_training() == item.training)
        .filter(|s| covers(&s.kind, item.mode))
        .filter(|s| matches!(s.status, Status::Finished | Status::InProgress))
        .collect();
    let finished = |kinds: &[SessionKind]| {
        mine.iter()
            .any(|s| s.status == Status::Finished && kinds.contains(&s.kind))
    };
    let done = match item.mode {
        StudyMode::Both => {
            finished(&[SessionKind::WorldTreeBoth])
                || (finished(&[SessionKind::WorldTreeGae])
                    && finished(&[SessionKind::WorldTreeIae]))
        }
        _ => mine.iter().any(|s| s.status == Status::Finished),
    };
    let state = if done {
        ItemState::Done
    } else if mine.is_empty() {
        ItemState::NotStarted
    } else {
        ItemState::InProgress
    };
    ItemStatus {
        tree: item.tree.clone(),
        mode: item.mode,
        training: item.training,
        state,
        sessions: mine.iter().map(|s| s.id).collect(),
        other_version: hashes
            .get(&item.tree)
            .map_or(0, |h| mine.iter().filter(|s| s.script.hash != *h).count()),
    }
}

/// The status of every annotator's assignment given the sessions of one or more stores
/// (a session seen twice, from two stores, counts once). `hashes` maps tree ids to the sha256
/// the plan recorded (empty: versions are not compared).
#[must_use]
pub fn status(
    assignments: &[Assignment],
    sessions: &[Session],
    hashes: &BTreeMap<String, String>,
) -> StudyStatus {
    let mut seen = std::collections::HashSet::new();
    let sessions: Vec<Session> = sessions
        .iter()
        .filter(|s| seen.insert(s.id))
        .cloned()
        .collect();
    let mut out = StudyStatus {
        annotators: Vec::with_capacity(assignments.len()),
        done: 0,
        total: 0,
    };
    for a in assignments {
        let items: Vec<ItemStatus> = a
            .items
            .iter()
            .map(|i| item_status(&a.annotator, i, &sessions, hashes))
            .collect();
        let count = |st: ItemState| {
            items
                .iter()
                .filter(|i| !i.training && i.state == st)
                .count()
        };
        let row = AnnotatorStatus {
            annotator: a.annotator.clone(),
            done: count(ItemState::Done),
            in_progress: count(ItemState::InProgress),
            not_started: count(ItemState::NotStarted),
            items,
        };
        out.done += row.done;
        out.total += row.done + row.in_progress + row.not_started;
        out.annotators.push(row);
    }
    out
}
