//! Building a pairwise or pointwise plan, pure and seeded (the store look-ups are in
//! `judged_record.rs`):
//!
//! - [`choose`]: which of a system's sessions of an item is shown (a seeded pick among the
//!   finished ones, so registering twice with the same seed shows the same transcripts);
//! - [`build_tasks`]: onboarding tasks, then the real ones (pairwise: every pair of systems
//!   that both have a transcript of the item, `a` the system named first; pointwise: every
//!   (item, system) transcript), then the attention checks; ids `t0001`, … in that order;
//! - [`assign_tasks`]: every annotator gets every onboarding task first (in plan order), and
//!   every attention check mixed in at seeded places; each real task goes to `per_unit`
//!   distinct annotators, taken in a seeded order, each to the least loaded annotators (ties
//!   broken by a seeded draw), so real shares differ by at most one; `cap` bounds all of an
//!   annotator's tasks, known-answer ones included (so real tasks get `cap` less the
//!   onboarding and attention tasks; a task may then get fewer than `per_unit`: counted as
//!   `short`);
//!   the side shown on the left is a seeded draw per (annotator, task).

use std::collections::BTreeMap;

use super::judged::{
    AssignedTask, JUDGED_SCHEMA, JudgedAssignment, JudgedKind, Shown, Side, Task, TaskBody,
    TaskKind,
};
use crate::engine::{derive_seed, rng_from_seed, shuffled_order};

/// Why a plan cannot be assigned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the number of judgments per unit must be at least 1")]
    ZeroPerUnit,
    #[error("{per_unit} distinct annotators are asked per unit but the study has {annotators}")]
    TooFewAnnotators { per_unit: usize, annotators: usize },
    #[error("annotator `{0}` is listed twice")]
    DuplicateAnnotator(String),
    #[error(
        "nothing to compare: no item has transcripts of {need} (see the missing sessions above)"
    )]
    Nothing { need: &'static str },
}

/// The session of `system` on `item` to show: a seeded pick among `sessions` (which are
/// sorted first, so the pick depends only on the seed and the set).
#[must_use]
pub fn choose(seed: u64, item: &str, system: &str, sessions: &[String]) -> Option<String> {
    let mut sorted: Vec<&String> = sessions.iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.is_empty() {
        return None;
    }
    let mut rng = rng_from_seed(derive_seed(seed, &format!("study:choose:{item}:{system}")));
    let order = shuffled_order(sorted.len(), &mut rng);
    order.first().map(|&i| sorted[i].clone())
}

/// A known-answer task before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownTask {
    pub item: Option<String>,
    pub body: TaskBody,
}

/// The tasks of a plan (see the module documentation). `shown` maps (item, system) to the
/// session shown; items and systems are in study order.
#[must_use]
pub fn build_tasks(
    kind: JudgedKind,
    items: &[String],
    systems: &[String],
    shown: &BTreeMap<(String, String), String>,
    onboarding: &[KnownTask],
    attention: &[KnownTask],
) -> Vec<Task> {
    let mut bodies: Vec<(TaskKind, Option<String>, TaskBody)> = Vec::new();
    for k in onboarding {
        bodies.push((TaskKind::Onboarding, k.item.clone(), k.body.clone()));
    }
    let get = |item: &String, system: &String| {
        shown
            .get(&(item.clone(), system.clone()))
            .map(|session| Shown {
                system: Some(system.clone()),
                session: session.clone(),
            })
    };
    for item in items {
        match kind {
            JudgedKind::Pairwise => {
                for (i, x) in systems.iter().enumerate() {
                    for y in &systems[i + 1..] {
                        if let (Some(a), Some(b)) = (get(item, x), get(item, y)) {
                            bodies.push((
                                TaskKind::Real,
                                Some(item.clone()),
                                TaskBody::Pair { a, b, better: None },
                            ));
                        }
                    }
                }
            }
            JudgedKind::Pointwise => {
                for s in systems {
                    if let Some(shown) = get(item, s) {
                        bodies.push((
                            TaskKind::Real,
                            Some(item.clone()),
                            TaskBody::Transcript {
                                shown,
                                expect: BTreeMap::new(),
                            },
                        ));
                    }
                }
            }
        }
    }
    for k in attention {
        bodies.push((TaskKind::Attention, k.item.clone(), k.body.clone()));
    }
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, (kind, item, body))| Task {
            id: format!("t{:04}", i + 1),
            kind,
            item,
            body,
        })
        .collect()
}

/// The annotators' assignments and how many (task, annotator) judgments the cap left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    pub assignments: Vec<JudgedAssignment>,
    /// Judgments of real tasks that could not be given (`cap` reached by everyone else).
    pub short: usize,
}

/// The side shown on the left to `annotator` for `task`.
#[must_use]
pub fn left_side(seed: u64, annotator: &str, task: &str) -> Side {
    if derive_seed(seed, &format!("study:side:{annotator}:{task}")) & 1 == 0 {
        Side::A
    } else {
        Side::B
    }
}

/// Assign `tasks` (see the module documentation). Annotators are listed in the order given.
///
/// # Errors
/// `per_unit` of 0 or above the number of annotators, an annotator listed twice, no real task.
pub fn assign_tasks(
    study: &str,
    kind: JudgedKind,
    tasks: &[Task],
    annotators: &[String],
    per_unit: usize,
    cap: Option<usize>,
    seed: u64,
) -> Result<Assigned, PlanError> {
    if per_unit == 0 {
        return Err(PlanError::ZeroPerUnit);
    }
    for (i, a) in annotators.iter().enumerate() {
        if annotators[..i].contains(a) {
            return Err(PlanError::DuplicateAnnotator(a.clone()));
        }
    }
    let n = annotators.len();
    if per_unit > n {
        return Err(PlanError::TooFewAnnotators {
            per_unit,
            annotators: n,
        });
    }
    let real: Vec<usize> = (0..tasks.len())
        .filter(|&i| tasks[i].kind == TaskKind::Real)
        .collect();
    if real.is_empty() {
        return Err(PlanError::Nothing {
            need: match kind {
                JudgedKind::Pairwise => "two systems",
                JudgedKind::Pointwise => "any system",
            },
        });
    }
    let known = tasks.len() - real.len();
    // Everyone gets every known-answer task: the cap's rest is for real ones.
    let cap = cap.map(|c| c.saturating_sub(known));
    let mut rng = rng_from_seed(derive_seed(seed, "study:judged:assign"));
    let mut counts = vec![0usize; n];
    let mut given: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut short = 0usize;
    for pos in shuffled_order(real.len(), &mut rng) {
        let t = real[pos];
        let perm = shuffled_order(n, &mut rng);
        let mut rank = vec![0usize; n];
        for (p, a) in perm.iter().enumerate() {
            rank[*a] = p;
        }
        let mut order: Vec<usize> = (0..n)
            .filter(|&a| cap.is_none_or(|c| counts[a] < c))
            .collect();
        order.sort_by_key(|a| (counts[*a], rank[*a]));
        let take = order.len().min(per_unit);
        short += per_unit - take;
        for &a in &order[..take] {
            counts[a] += 1;
            given[a].push(t);
        }
    }
    let onboarding: Vec<usize> = (0..tasks.len())
        .filter(|&i| tasks[i].kind == TaskKind::Onboarding)
        .collect();
    let attention: Vec<usize> = (0..tasks.len())
        .filter(|&i| tasks[i].kind == TaskKind::Attention)
        .collect();
    let assignments = annotators
        .iter()
        .zip(given)
        .map(|(name, mut mine)| {
            mine.extend(&attention);
            // Sorted first so the order depends on the seed and the set, not on the draw.
            mine.sort_unstable();
            let mut order_rng =
                rng_from_seed(derive_seed(seed, &format!("study:judged:order:{name}")));
            let order = shuffled_order(mine.len(), &mut order_rng);
            let entry = |i: usize| {
                let task = &tasks[i];
                AssignedTask {
                    task: task.id.clone(),
                    left: matches!(task.body, TaskBody::Pair { .. })
                        .then(|| left_side(seed, name, &task.id)),
                }
            };
            let list = onboarding
                .iter()
                .copied()
                .chain(order.into_iter().map(|p| mine[p]))
                .map(entry)
                .collect();
            JudgedAssignment {
                schema: JUDGED_SCHEMA,
                study: study.to_owned(),
                kind,
                annotator: name.clone(),
                tasks: list,
            }
        })
        .collect();
    Ok(Assigned { assignments, short })
}

#[cfg(test)]
#[path = "judged_plan_tests.rs"]
mod tests;
