//! IAE items: one multiple-choice question per skill choice that has a question. The options are
//! the candidate utterance (correct) and its distractors, in a seeded order.

use crate::script::model::{ChoiceKind, NodeIndex, Utterance, WorldTree};

use super::{Rng, shuffled_order};

/// Where an item sits in a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRef {
    /// The choice node.
    pub node: usize,
    /// The choice (of that node) the item asks about.
    pub choice: usize,
    /// Root-to-node path (node indices), for the context.
    pub path: Vec<usize>,
}

/// An item's options in presented order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented<'t> {
    /// Option texts in display order.
    pub options: Vec<&'t Utterance>,
    /// For each displayed option, its source index: 0 the candidate utterance, k the k-th
    /// distractor (1-based).
    pub order: Vec<usize>,
    /// Display position of the correct option.
    pub correct: usize,
}

/// Every IAE item of a tree, in walk order (depth first from the root, choices in file order).
/// Only reachable choice nodes count.
#[must_use]
pub fn items(tree: &WorldTree) -> Vec<ItemRef> {
    let index = NodeIndex::new(tree);
    let mut out = Vec::new();
    let Some(root) = tree.start() else {
        return out;
    };
    let mut visited = vec![false; tree.nodes.len()];
    // (node, path to it)
    let mut stack = vec![(root, vec![root])];
    while let Some((node, path)) = stack.pop() {
        if std::mem::replace(&mut visited[node], true) {
            continue;
        }
        let n = &tree.nodes[node];
        for (ci, c) in n.choices.iter().enumerate() {
            if c.kind == ChoiceKind::Skill
                && c.iae
                    .as_ref()
                    .is_some_and(|i| !i.question.trim().is_empty())
            {
                out.push(ItemRef {
                    node,
                    choice: ci,
                    path: path.clone(),
                });
            }
        }
        for c in n.choices.iter().rev() {
            if let Some(next) = index.get(&c.target)
                && !visited[next]
            {
                let mut p = path.clone();
                p.push(next);
                stack.push((next, p));
            }
        }
    }
    out
}

/// Whether the official SocialEval scripts cannot build this item from the source (socius
/// keeps its repaired version; `--protocol socialeval` skips it).
#[must_use]
pub fn skipped_officially(tree: &WorldTree, item: &ItemRef) -> bool {
    let choice = &tree.nodes[item.node].choices[item.choice];
    choice.say_unreadable
        || choice
            .iae
            .as_ref()
            .is_some_and(|i| i.official_skip.is_some())
}

/// Lay out an item's options: file order (candidate first) or a seeded shuffle.
#[must_use]
pub fn present<'t>(tree: &'t WorldTree, item: &ItemRef, rng: Option<&mut Rng>) -> Presented<'t> {
    let choice = &tree.nodes[item.node].choices[item.choice];
    let mut all: Vec<&Utterance> = vec![&choice.say];
    if let Some(iae) = &choice.iae {
        all.extend(iae.distractors.iter());
    }
    let order = match rng {
        Some(rng) => shuffled_order(all.len(), rng),
        None => (0..all.len()).collect(),
    };
    let correct = order.iter().position(|&i| i == 0).unwrap_or(0);
    Presented {
        options: order.iter().map(|&i| all[i]).collect(),
        order,
        correct,
    }
}
