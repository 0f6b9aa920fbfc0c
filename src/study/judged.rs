//! A registered pairwise or pointwise study on disk, and how its judgments are stored: the
//! contract between `study new` (writes the plan), `study run` (records judgments) and
//! `study report` / `study export` / `study import` (read both).
//!
//! ```text
//! DIR/<study-id>/study.yaml.orig               the study file as registered
//! DIR/<study-id>/plan.json                     a [`JudgedPlan`] (`"type": "pairwise"|"pointwise"`)
//! DIR/<study-id>/transcripts/<session>.json    each shown session, as `sessions export` writes
//!                                              one record (a `SessionRecord`)
//! DIR/<study-id>/items/<item>.yaml             each item's file as registered (its sha256 is in
//!                                              the plan): world-tree walks are shown from it
//! DIR/<study-id>/assignments/<name>.json       a [`JudgedAssignment`] per annotator
//! ```
//!
//! An exported assignment is a folder with `assignment.json`, `plan.json`, and the
//! `transcripts/` and `items/` its tasks show.
//!
//! **Judgments** are sessions in the annotator's store: kind `study_judgment` (pairwise) or
//! `study_rating` (pointwise), `who` the annotator, `script.id` the study id and
//! `script.sha256` the sha256 of `plan.json`, `meta.study` the study id. An annotator may have
//! several such sessions (quitting and coming back opens a new one or resumes the open one);
//! all count. Their events:
//!
//! - pairwise: one `judgment` per vote — `pair` the task id, `left` / `right` the session ids
//!   shown on each side, `choice` `left|right|tie|both_bad`, `reason`, `latency_ms` (from the
//!   moment both transcripts were on screen);
//! - pointwise: one `rating` per rubric item — `task` the task id, `name` the rubric item id,
//!   `value`, `about_seq` the turn's seq in the transcript when the rubric is per turn.
//!
//! When an annotator judged a task more than once, the **last** judgment counts (the earlier
//! ones are kept and listed as superseded).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::script::study::model::RatePer;

/// The layout version of a judged `plan.json` and its assignments.
pub const JUDGED_SCHEMA: u32 = 1;
/// Where a study's transcripts are copied.
pub const TRANSCRIPTS_DIR: &str = "transcripts";
/// Where a study's item files are copied.
pub const ITEMS_DIR: &str = "items";

/// Pairwise or pointwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JudgedKind {
    Pairwise,
    Pointwise,
}

/// What the items are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    WorldTree,
    CrCase,
}

/// One item of the study (a world tree or a CR case) as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JudgedItem {
    pub id: String,
    pub kind: ItemKind,
    /// sha256 of the file when registered (empty for an imported study).
    #[serde(default)]
    pub sha256: String,
    #[serde(default)]
    pub title: String,
    /// The study's copy of the item's file (`items/<name>.yaml`, relative to the study folder),
    /// from which world-tree walks are shown. Absent from imported studies and from studies
    /// registered before copies were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// The free-text reason of a pairwise vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonRule {
    None,
    #[default]
    Optional,
    Required,
}

/// A rubric item as the screens and the report need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RubricItemPlan {
    pub id: String,
    pub question: String,
    /// Lowest and highest point (whole numbers).
    pub scale: [i64; 2],
    /// Labelled points.
    pub anchors: BTreeMap<i64, String>,
}

/// A pointwise study's rubric.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RubricPlan {
    pub per: RatePer,
    pub items: Vec<RubricItemPlan>,
}

/// Why a task is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// A real judgment: counted in the report.
    Real,
    /// A known-answer task shown first; the annotator must reach the pass share.
    Onboarding,
    /// A known-answer task mixed among the real ones.
    Attention,
}

/// One transcript as a task shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shown {
    /// The system's name in the study; `None` for a known-answer transcript outside the
    /// study's systems.
    pub system: Option<String>,
    /// The session id (its record is in `transcripts/`).
    pub session: String,
}

/// Side `a` (the first-named system of the pair, in study order) or `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    A,
    B,
}

/// What a task asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TaskBody {
    /// Pairwise: two transcripts of one item. `a` is the system named first in the study
    /// (for a known-answer pair, the better one); `better` is the known answer.
    Pair {
        a: Shown,
        b: Shown,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        better: Option<Side>,
    },
    /// Pointwise: one transcript rated on the rubric; `expect` the known answers
    /// (rubric item → [lowest, highest] accepted).
    Transcript {
        shown: Shown,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        expect: BTreeMap<String, [i64; 2]>,
    },
}

/// One task of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// `t0001`, … unique in the study.
    pub id: String,
    pub kind: TaskKind,
    /// The item's id (`None` for a known-answer task on an item outside the study).
    pub item: Option<String>,
    pub body: TaskBody,
}

/// An (item, system) with no stored session to show: said by `study new`, kept in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    pub item: String,
    pub system: String,
    /// Finished sessions of the system on the same item id but another version of its file
    /// (another sha256): not shown, since the study's copy would not match what was played.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub other_version: usize,
    /// Finished sessions of the system on the item that ended early (a dropped walk): there
    /// is no conversation to judge in them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped: usize,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
const fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// `plan.json` of a pairwise or pointwise study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgedPlan {
    pub schema: u32,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: JudgedKind,
    pub created: DateTime<Utc>,
    /// sha256 of the study file as registered (empty for an imported study).
    #[serde(default)]
    pub study_sha256: String,
    pub items: Vec<JudgedItem>,
    /// The systems' names, in study order.
    pub systems: Vec<String>,
    /// Pairwise: the question every judgment answers.
    #[serde(default)]
    pub question: Option<String>,
    /// Pointwise: the rubric.
    #[serde(default)]
    pub rubric: Option<RubricPlan>,
    pub tasks: Vec<Task>,
    #[serde(default)]
    pub missing: Vec<Missing>,
    pub annotators: Vec<String>,
    /// Distinct annotators per (item, pair of systems) or per transcript.
    pub per_unit: u32,
    #[serde(default)]
    pub min_seconds: u32,
    #[serde(default)]
    pub reason: ReasonRule,
    /// Share of onboarding tasks to answer right to go on (none: no onboarding).
    #[serde(default)]
    pub onboarding_pass: Option<f64>,
    /// More failed attention checks than this exclude the annotator.
    #[serde(default)]
    pub attention_max_failures: Option<u32>,
    #[serde(default)]
    pub cap: Option<u32>,
    pub seed: u64,
    /// Judgments imported from elsewhere (`study import --format arena`): no transcripts.
    #[serde(default)]
    pub imported: bool,
}

/// One task in an annotator's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignedTask {
    pub task: String,
    /// Pairwise: which side of the task is shown on the left (seeded per judgment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<Side>,
}

/// `assignments/<name>.json` of a pairwise or pointwise study: onboarding tasks first, then
/// the real and attention tasks in a seeded order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JudgedAssignment {
    pub schema: u32,
    pub study: String,
    #[serde(rename = "type")]
    pub kind: JudgedKind,
    pub annotator: String,
    pub tasks: Vec<AssignedTask>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_task_has_a_stable_shape() {
        let t = Task {
            id: "t0001".into(),
            kind: TaskKind::Attention,
            item: Some("case-1".into()),
            body: TaskBody::Pair {
                a: Shown {
                    system: Some("m1".into()),
                    session: "0193".into(),
                },
                b: Shown {
                    system: None,
                    session: "0194".into(),
                },
                better: Some(Side::A),
            },
        };
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(
            text,
            r#"{"id":"t0001","kind":"attention","item":"case-1","body":{"type":"pair","a":{"system":"m1","session":"0193"},"b":{"system":null,"session":"0194"},"better":"a"}}"#
        );
        assert_eq!(serde_json::from_str::<Task>(&text).unwrap(), t);
    }
}
