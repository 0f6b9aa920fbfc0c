//! How far each annotator of a pairwise or pointwise study is, from their judgment sessions
//! (pure): which tasks have a judgment (the last one counts), and whether onboarding is
//! passed, failed or still pending.

use std::collections::BTreeMap;

use serde::Serialize;

use super::judged::{JudgedAssignment, JudgedKind, JudgedPlan, Side, Task, TaskBody, TaskKind};
use crate::session::{EventBody, JudgmentChoice, SessionKind, SessionRecord};

/// An annotator's answer to one task (the last one given).
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The session shown left and the choice.
    Vote {
        left: String,
        right: String,
        choice: JudgmentChoice,
    },
    /// Rubric item → values given (one per turn when rated per turn).
    Ratings(BTreeMap<String, Vec<f64>>),
}

/// The last answer per task of `annotator`'s sessions of study `plan.id` among `records`.
#[must_use]
pub fn answers(
    plan: &JudgedPlan,
    annotator: &str,
    records: &[SessionRecord],
) -> BTreeMap<String, Answer> {
    let want = match plan.kind {
        JudgedKind::Pairwise => SessionKind::StudyJudgment,
        JudgedKind::Pointwise => SessionKind::StudyRating,
    };
    let mut mine: Vec<&SessionRecord> = records
        .iter()
        .filter(|r| {
            r.session.kind == want
                && r.session.script.id == plan.id
                && r.session.who.matches(&format!("annotator:{annotator}"))
        })
        .collect();
    mine.sort_by_key(|r| r.session.started);
    let mut out = BTreeMap::new();
    for r in mine {
        // Ratings of one task arrive as a batch: a new batch replaces the task's earlier one.
        let mut batch_task: Option<String> = None;
        for e in &r.events {
            match &e.body {
                EventBody::Judgment(j) => {
                    batch_task = None;
                    if let Some(task) = &j.pair {
                        out.insert(
                            task.clone(),
                            Answer::Vote {
                                left: j.left.clone(),
                                right: j.right.clone(),
                                choice: j.choice.clone(),
                            },
                        );
                    }
                }
                EventBody::Rating(rt) => {
                    let Some(task) = &rt.task else { continue };
                    if batch_task.as_deref() != Some(task) {
                        out.insert(task.clone(), Answer::Ratings(BTreeMap::new()));
                        batch_task = Some(task.clone());
                    }
                    if let Some(Answer::Ratings(m)) = out.get_mut(task) {
                        m.entry(rt.name.clone()).or_default().push(rt.value);
                    }
                }
                _ => batch_task = None,
            }
        }
    }
    out
}

/// Whether an answer to a known-answer task is right (`None`: the task has no known answer).
#[must_use]
pub fn is_right(task: &Task, answer: &Answer) -> Option<bool> {
    match (&task.body, answer) {
        (
            TaskBody::Pair {
                a,
                b,
                better: Some(better),
            },
            Answer::Vote {
                left,
                right,
                choice,
            },
        ) => {
            let good = match better {
                Side::A => &a.session,
                Side::B => &b.session,
            };
            let chosen = match choice {
                JudgmentChoice::Left => Some(left),
                JudgmentChoice::Right => Some(right),
                _ => None,
            };
            Some(chosen == Some(good))
        }
        (TaskBody::Transcript { expect, .. }, Answer::Ratings(given)) if !expect.is_empty() => {
            Some(expect.iter().all(|(name, [lo, hi])| {
                given.get(name).is_some_and(|vs| {
                    !vs.is_empty()
                        && vs.iter().all(|v| {
                            #[expect(
                                clippy::cast_precision_loss,
                                reason = "rubric points are small"
                            )]
                            let (lo, hi) = (*lo as f64, *hi as f64);
                            *v >= lo && *v <= hi
                        })
                })
            }))
        }
        _ => None,
    }
}

/// Onboarding of one annotator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Onboarding {
    /// The study has none.
    None,
    /// Not every onboarding task answered yet.
    Pending,
    Passed,
    Failed,
}

impl Onboarding {
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pending => "pending",
            Self::Passed => "passed",
            Self::Failed => "failed",
        }
    }
}

/// Onboarding result: (state, right, total).
#[must_use]
pub fn onboarding(
    plan: &JudgedPlan,
    assignment: &JudgedAssignment,
    answers: &BTreeMap<String, Answer>,
) -> (Onboarding, usize, usize) {
    let tasks: Vec<&Task> = assignment
        .tasks
        .iter()
        .filter_map(|a| plan.tasks.iter().find(|t| t.id == a.task))
        .filter(|t| t.kind == TaskKind::Onboarding)
        .collect();
    let Some(pass) = plan.onboarding_pass.filter(|_| !tasks.is_empty()) else {
        return (Onboarding::None, 0, 0);
    };
    let total = tasks.len();
    let mut right = 0usize;
    for t in &tasks {
        match answers.get(&t.id) {
            None => return (Onboarding::Pending, right, total),
            Some(a) => {
                if is_right(t, a) == Some(true) {
                    right += 1;
                }
            }
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "task counts are small")]
    let share = right as f64 / total as f64;
    let state = if share + 1e-9 >= pass {
        Onboarding::Passed
    } else {
        Onboarding::Failed
    };
    (state, right, total)
}

/// One annotator's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnnotatorProgress {
    pub annotator: String,
    pub done: usize,
    pub total: usize,
    pub onboarding: Onboarding,
    pub onboarding_right: usize,
    pub onboarding_total: usize,
    /// Attention checks answered, and answered wrong.
    pub attention_answered: usize,
    pub attention_failed: usize,
    /// Tasks without a judgment, in the annotator's order.
    pub not_done: Vec<String>,
}

/// Every annotator's progress.
#[must_use]
pub fn progress(
    plan: &JudgedPlan,
    assignments: &[JudgedAssignment],
    records: &[SessionRecord],
) -> Vec<AnnotatorProgress> {
    assignments
        .iter()
        .map(|a| {
            let ans = answers(plan, &a.annotator, records);
            let (state, right, total) = onboarding(plan, a, &ans);
            let not_done: Vec<String> = a
                .tasks
                .iter()
                .filter(|t| !ans.contains_key(&t.task))
                .map(|t| t.task.clone())
                .collect();
            let mut attention_answered = 0;
            let mut attention_failed = 0;
            for t in &a.tasks {
                let Some(task) = plan.tasks.iter().find(|p| p.id == t.task) else {
                    continue;
                };
                if task.kind != TaskKind::Attention {
                    continue;
                }
                if let Some(ans) = ans.get(&t.task) {
                    attention_answered += 1;
                    if is_right(task, ans) == Some(false) {
                        attention_failed += 1;
                    }
                }
            }
            AnnotatorProgress {
                annotator: a.annotator.clone(),
                attention_answered,
                attention_failed,
                done: a.tasks.len() - not_done.len(),
                total: a.tasks.len(),
                onboarding: state,
                onboarding_right: right,
                onboarding_total: total,
                not_done,
            }
        })
        .collect()
}
