//! Assignments for a baseline plan, pure and seeded:
//!
//! - each tree gets exactly `k` distinct annotators;
//! - annotators' shares are balanced (their counts differ by at most 1): trees are taken in a
//!   seeded order and each goes to the `k` annotators with the fewest trees so far, ties broken
//!   by a seeded draw (by induction the counts always stay within one of each other);
//! - no annotator gets a tree twice;
//! - each annotator's order is a seeded shuffle of their trees, after the training trees
//!   (which everyone plays first, in the plan's order, and which are not counted in shares).
//!
//! A plan has one mode ([`StudyMode::Both`] is one GAE + IAE sitting per tree), so balance per
//! mode is balance overall.

use serde::{Deserialize, Serialize};

use crate::engine::{derive_seed, rng_from_seed, shuffled_order};
use crate::script::study::StudyMode;

/// One entry of an annotator's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub tree: String,
    pub mode: StudyMode,
    /// A practice tree (played first, with right and wrong shown; its sessions are training
    /// sessions).
    pub training: bool,
    /// The seed for this annotator's session of this tree (option order): derived from the
    /// study seed, the annotator and the tree.
    #[serde(with = "crate::session::seed_text")]
    pub seed: u64,
}

/// One annotator's queue, in playing order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub annotator: String,
    pub items: Vec<Item>,
}

impl Assignment {
    /// The trees counted in the annotator's share (training left out).
    pub fn study_items(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| !i.training)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignError {
    #[error("k must be at least 1")]
    ZeroK,
    #[error("k = {k} but there are only {annotators} distinct annotators")]
    TooFewAnnotators { k: usize, annotators: usize },
    #[error("no trees to assign")]
    NoTrees,
    #[error("annotator `{0}` is listed twice")]
    DuplicateAnnotator(String),
    #[error("tree `{0}` is listed twice")]
    DuplicateTree(String),
}

/// The session seed of `annotator` on `tree` in a study seeded with `seed`.
#[must_use]
pub fn item_seed(seed: u64, annotator: &str, tree: &str) -> u64 {
    derive_seed(seed, &format!("study:item:{annotator}:{tree}"))
}

/// Assign `trees` to `annotators` (see the module documentation). The result lists the
/// annotators in the order given.
///
/// # Errors
/// `k` of 0 or above the number of annotators, no trees, duplicates.
pub fn assign(
    trees: &[String],
    training: &[String],
    annotators: &[String],
    k: usize,
    mode: StudyMode,
    seed: u64,
) -> Result<Vec<Assignment>, AssignError> {
    if k == 0 {
        return Err(AssignError::ZeroK);
    }
    if trees.is_empty() {
        return Err(AssignError::NoTrees);
    }
    for (i, a) in annotators.iter().enumerate() {
        if annotators[..i].contains(a) {
            return Err(AssignError::DuplicateAnnotator(a.clone()));
        }
    }
    for (i, t) in trees.iter().enumerate() {
        if trees[..i].contains(t) {
            return Err(AssignError::DuplicateTree(t.clone()));
        }
    }
    let n = annotators.len();
    if k > n {
        return Err(AssignError::TooFewAnnotators { k, annotators: n });
    }
    let mut rng = rng_from_seed(derive_seed(seed, "study:assign"));
    let mut counts = vec![0usize; n];
    let mut given: Vec<Vec<usize>> = vec![Vec::new(); n];
    for t in shuffled_order(trees.len(), &mut rng) {
        // A fresh seeded draw breaks ties between equally loaded annotators.
        let perm = shuffled_order(n, &mut rng);
        let mut rank = vec![0usize; n];
        for (pos, a) in perm.iter().enumerate() {
            rank[*a] = pos;
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|a| (counts[*a], rank[*a]));
        for &a in &order[..k] {
            counts[a] += 1;
            given[a].push(t);
        }
    }
    Ok(annotators
        .iter()
        .zip(given)
        .map(|(name, mut mine)| {
            // Sorted first so the order depends on the seed and the set, not on the draw.
            mine.sort_unstable();
            let mut order_rng = rng_from_seed(derive_seed(seed, &format!("study:order:{name}")));
            let order = shuffled_order(mine.len(), &mut order_rng);
            let item = |tree: &String, training: bool| Item {
                tree: tree.clone(),
                mode,
                training,
                seed: item_seed(seed, name, tree),
            };
            let items = training
                .iter()
                .map(|t| item(t, true))
                .chain(order.into_iter().map(|i| item(&trees[mine[i]], false)))
                .collect();
            Assignment {
                annotator: name.clone(),
                items,
            }
        })
        .collect())
}

#[cfg(test)]
#[path = "assign_tests.rs"]
mod tests;
