//! Which jobs a run (or a resume) still has to do, in which order.
//!
//! A resume marks sessions of the run still `in_progress` as abandoned, skips the slots that
//! have a finished session, and refuses when a finished slot's tree has changed since. The jobs
//! run longest first (expected calls: a tree's IAE items, or the choice points of a random
//! walk), each tree's episodes together.

use std::collections::{HashSet, VecDeque};

use super::runner::{EvalTree, RunError, RunSpec};
use super::settings::EvalKind;
use super::summary::slot_of;
use crate::script::model::{NodeIndex, WorldTree};
use crate::session::{Status, StatusReason};
use crate::store::{Filter, Store};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Job {
    pub tree: usize,
    pub episode: u32,
}

pub(crate) struct Plan {
    pub jobs: VecDeque<Job>,
    pub skipped: usize,
    pub reopened: usize,
}

/// The sessions of run `run`: there must be some to resume, and none for a new run.
///
/// # Errors
/// [`RunError::Plan`] naming the way out; [`RunError::Store`] when the store cannot list.
pub(crate) fn run_sessions(
    store: &Store,
    run: &crate::session::RunId,
    resume: bool,
) -> Result<Vec<crate::session::Session>, RunError> {
    let existing = store.list(&Filter {
        run_id: Some(run.as_str().into()),
        ..Filter::default()
    })?;
    let place = store.path().display();
    if !resume && !existing.is_empty() {
        return Err(RunError::Plan(format!(
            "run {run} already has {} session(s) in {place}; continue it with --resume {run}, \
             or pick another --run-id",
            existing.len()
        )));
    }
    if resume && existing.is_empty() {
        return Err(RunError::Plan(format!(
            "the store {place} holds no session of run {run}"
        )));
    }
    Ok(existing)
}

pub(crate) fn make_plan(
    store: &Store,
    spec: &RunSpec,
    trees: &[EvalTree],
) -> Result<Plan, RunError> {
    let run = &spec.run_id;
    let existing = run_sessions(store, run, spec.resume)?;
    let kind = spec.settings.kind.session_kind();
    let mut reopened = 0;
    let mut done: HashSet<(String, u32)> = HashSet::new();
    for s in &existing {
        if s.kind != kind {
            return Err(RunError::Plan(format!(
                "run {run} holds {} sessions, not {kind}",
                s.kind
            )));
        }
        match s.status {
            Status::InProgress => {
                store.set_status(s.id, Status::Abandoned, Some(StatusReason::Reopened))?;
                reopened += 1;
            }
            Status::Finished => {
                let Some(slot) = slot_of(s) else { continue };
                if let Some(t) = trees.iter().find(|t| t.tree.id == slot.0)
                    && t.hash != s.script.hash
                {
                    return Err(RunError::Plan(format!(
                        "tree {} ({}) changed since run {run} played it (content sha256 {}… \
                         then, {}… now); start a new run to evaluate the new version",
                        slot.0,
                        t.source.display(),
                        s.script.hash.get(..12).unwrap_or(&s.script.hash),
                        t.hash.get(..12).unwrap_or(&t.hash),
                    )));
                }
                done.insert(slot);
            }
            _ => {}
        }
    }
    // Longest jobs first, so the last jobs to start are short ones and the run does not end
    // waiting for one long episode while the other slots idle. A tree's episodes stay together.
    let mut order: Vec<(usize, f64)> = trees
        .iter()
        .enumerate()
        .map(|(i, t)| (i, expected_calls(&t.tree, spec.settings.kind)))
        .collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut jobs = VecDeque::new();
    let mut skipped = 0;
    for (i, t) in order.into_iter().map(|(i, _)| (i, &trees[i])) {
        for episode in 0..spec.settings.episodes {
            if done.contains(&(t.tree.id.clone(), episode)) {
                skipped += 1;
            } else {
                jobs.push_back(Job { tree: i, episode });
            }
        }
    }
    Ok(Plan {
        jobs,
        skipped,
        reopened,
    })
}

/// The calls a job on `tree` is expected to make: IAE, its items; GAE, the choice points on
/// a walk that picks uniformly at random (a model is not random, but long trees stay long).
fn expected_calls(tree: &WorldTree, kind: EvalKind) -> f64 {
    fn walk(tree: &WorldTree, index: &NodeIndex, node: usize, seen: &mut [bool]) -> f64 {
        let n = &tree.nodes[node];
        if n.choices.is_empty() || std::mem::replace(&mut seen[node], true) {
            return 0.0;
        }
        let targets: Vec<usize> = n
            .choices
            .iter()
            .filter_map(|c| index.get(&c.target))
            .collect();
        let sum: f64 = targets.iter().map(|&t| walk(tree, index, t, seen)).sum();
        seen[node] = false;
        #[expect(clippy::cast_precision_loss, reason = "a handful of choices")]
        let mean = sum / n.choices.len() as f64;
        1.0 + mean
    }
    match kind {
        #[expect(clippy::cast_precision_loss, reason = "item counts are small")]
        EvalKind::Iae => crate::engine::iae::items(tree).len() as f64,
        EvalKind::Gae => tree.start().map_or(0.0, |root| {
            let index = NodeIndex::new(tree);
            walk(tree, &index, root, &mut vec![false; tree.nodes.len()])
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::model::{Choice, Language, Node, NodeKind, Orientation, Span};

    fn node(id: &str, kind: NodeKind, targets: &[&str]) -> Node {
        Node {
            id: id.into(),
            kind,
            outcome: None,
            state: None,
            lines: Vec::new(),
            choices: targets
                .iter()
                .map(|t| Choice {
                    target: (*t).into(),
                    ..Choice::default()
                })
                .collect(),
            dialog_as_written: None,
            span: Span::default(),
        }
    }

    #[test]
    fn expected_calls_of_a_random_walk() {
        let tree = WorldTree {
            span: Span::default(),
            id: "t".into(),
            title: "t".into(),
            language: Language::En,
            orientation: Orientation::Cooperation,
            provenance: None,
            scenario: String::new(),
            characters: Vec::new(),
            nodes: vec![
                node("a", NodeKind::Beginning, &["end", "b"]),
                node("b", NodeKind::Choice, &["end2"]),
                node("end", NodeKind::Ending, &[]),
                node("end2", NodeKind::Ending, &[]),
            ],
        };
        // One call at the root, then half the walks make one more.
        assert!((expected_calls(&tree, EvalKind::Gae) - 1.5).abs() < 1e-12);
        assert!(expected_calls(&tree, EvalKind::Iae).abs() < 1e-12);
    }
}
