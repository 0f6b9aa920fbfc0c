//! Which choice of a tree's node a stored decision names. Shared by everything that turns a
//! walk back into the tree's terms (the branch inspector, a study's transcripts).
//!
//! A decision of event schema 4 names its choice by id. Older ones name only the target: that
//! is enough when one choice of the node leads there; otherwise the text that was presented
//! decides, and a decision that still matches several (or none) is left unattributed.

use super::event::{Decision, OptionsPresented};
use crate::script::model::WorldTree;

/// The text of the option presented at `index` in the last `options_presented`.
#[must_use]
pub fn presented_text(last: Option<&OptionsPresented>, index: u32) -> Option<&str> {
    let i = usize::try_from(index).ok()?;
    last?.options.get(i).map(|o| o.text.as_str())
}

/// The index of the choice of `tree.nodes[node]` that `d` took (`presented`: the text shown
/// for it), or `None` when it cannot be told.
#[must_use]
pub fn attribute(
    tree: &WorldTree,
    node: usize,
    d: &Decision,
    presented: Option<&str>,
) -> Option<usize> {
    let n = tree.nodes.get(node)?;
    let choices = &n.choices;
    if let Some(id) = &d.choice {
        return (0..choices.len()).find(|&i| n.choice_id(i) == id.as_str());
    }
    let by_target: Vec<usize> = (0..choices.len())
        .filter(|&i| d.option_id == choices[i].target)
        .collect();
    match by_target.as_slice() {
        [one] => Some(*one),
        [] => None,
        many => {
            let text = presented?;
            let by_text: Vec<usize> = many
                .iter()
                .copied()
                .filter(|&i| choices[i].say.text == text)
                .collect();
            match by_text.as_slice() {
                [one] => Some(*one),
                _ => None,
            }
        }
    }
}
