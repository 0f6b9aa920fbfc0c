//! An annotator's study queue (`socius study run`): the items of their assignment in order,
//! each with its state as `study::status` reads it from the store, and the session to resume
//! for an item in progress. Pure: the sessions are read by the effects.

use std::collections::BTreeMap;

use super::play::Mode;
use super::store_port::kind_of;
use crate::script::study::StudyMode;
use crate::session::{Session, Status, Who};
use crate::study::{Assignment, Item, ItemState, status};

/// The key under which a study session's `meta` records the study id (`meta.study`).
pub const STUDY_META_KEY: &str = "study";

/// What the queue plays: one annotator's assignment of one study.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub study: String,
    pub title: String,
    pub assignment: Assignment,
    /// Tree id → the sha256 the plan recorded (for `study::status`).
    pub hashes: BTreeMap<String, String>,
}

impl QueueSpec {
    /// The spec of a queue read from a study folder or an exported assignment.
    #[must_use]
    pub fn from_record(q: &crate::study::record::Queue) -> Self {
        Self {
            study: q.study.clone(),
            // A study without a title is called by its id.
            title: if q.title.trim().is_empty() {
                q.study.clone()
            } else {
                q.title.clone()
            },
            assignment: q.assignment.clone(),
            hashes: q
                .trees
                .iter()
                .map(|t| (t.id.clone(), t.sha256.clone()))
                .collect(),
        }
    }
}

/// One item of the queue as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub item: Item,
    pub state: ItemState,
    /// The session of this item still in progress (the most recently written), to resume.
    pub resume: Option<String>,
}

/// The queue screen's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    pub spec: QueueSpec,
    /// Empty until the store was read.
    pub rows: Vec<QueueRow>,
    pub selected: usize,
    /// The store was read at least once.
    pub loaded: bool,
}

impl Queue {
    #[must_use]
    pub const fn new(spec: QueueSpec) -> Self {
        Self {
            spec,
            rows: Vec::new(),
            selected: 0,
            loaded: false,
        }
    }

    /// Study items done and their number (training left out, as `study status` counts).
    #[must_use]
    pub fn progress(&self) -> (usize, usize) {
        count(self.rows.iter().filter(|r| !r.item.training))
    }

    /// Training items done and their number.
    #[must_use]
    pub fn training_progress(&self) -> (usize, usize) {
        count(self.rows.iter().filter(|r| r.item.training))
    }

    /// The first item not done (training items come first in the assignment).
    #[must_use]
    pub fn next(&self) -> Option<usize> {
        self.rows.iter().position(|r| r.state != ItemState::Done)
    }

    /// Every item is done (the store was read, and there are items).
    #[must_use]
    pub fn all_done(&self) -> bool {
        self.loaded && !self.rows.is_empty() && self.next().is_none()
    }

    /// New rows from the store: the selection goes to the next item to play.
    pub fn set_rows(&mut self, rows: Vec<QueueRow>) {
        self.rows = rows;
        self.loaded = true;
        self.selected = self
            .next()
            .unwrap_or(0)
            .min(self.rows.len().saturating_sub(1));
    }
}

fn count<'a>(rows: impl Iterator<Item = &'a QueueRow>) -> (usize, usize) {
    rows.fold((0, 0), |(done, all), r| {
        (done + usize::from(r.state == ItemState::Done), all + 1)
    })
}

/// The play mode of a study mode.
#[must_use]
pub const fn play_mode(mode: StudyMode) -> Mode {
    match mode {
        StudyMode::Gae => Mode::Gae,
        StudyMode::Iae => Mode::Iae,
        StudyMode::Both => Mode::Both,
    }
}

/// The queue's rows given the annotator's sessions (of one or more stores): each item's state
/// as `study status` reports it, and the session to resume when one of the item's mode, on
/// the study's version of the tree, is in progress.
#[must_use]
pub fn rows(spec: &QueueSpec, sessions: &[Session]) -> Vec<QueueRow> {
    let st = status(
        std::slice::from_ref(&spec.assignment),
        sessions,
        &spec.hashes,
    );
    let states = st
        .annotators
        .into_iter()
        .next()
        .map(|a| a.items)
        .unwrap_or_default();
    let who = &spec.assignment.annotator;
    spec.assignment
        .items
        .iter()
        .zip(states)
        .map(|(item, s)| {
            let resume = sessions
                .iter()
                .filter(|x| x.status == Status::InProgress)
                .filter(|x| matches!(&x.who, Who::Annotator { id } if id == who))
                .filter(|x| x.script.id == item.tree && x.is_training() == item.training)
                .filter(|x| x.kind == kind_of(play_mode(item.mode)))
                // Only a session of the study's version of the tree replays on its copy; one
                // of another version is left in progress and a new one starts.
                .filter(|x| {
                    spec.hashes
                        .get(&item.tree)
                        .is_none_or(|h| *h == x.script.hash)
                })
                .max_by_key(|x| x.updated)
                .map(|x| x.id.to_string());
            QueueRow {
                item: item.clone(),
                state: s.state,
                resume: if s.state == ItemState::Done {
                    None
                } else {
                    resume
                },
            }
        })
        .collect()
}
