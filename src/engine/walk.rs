//! The world-tree walker: from the beginning node, present each choice point's options (in file
//! order or a seeded shuffle), follow the chosen target, and stop at an ending or a dead end.

use std::ops::Deref;

use crate::script::model::{NodeIndex, NodeKind, Outcome, WorldTree};

use super::{Rng, shuffled_order};

/// How a walk presents options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WalkConfig {
    /// Shuffle options at every choice point with the walk's generator (file order otherwise).
    pub shuffle: bool,
}

/// What the driver tells the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkInput {
    /// Begin at the root.
    Start,
    /// Pick the option shown at `position` (0-based, in presented order).
    Choose { position: usize },
}

/// Why a walk stopped without an outcome that GAE can count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// A beginning/choice node without choices.
    DeadEnd,
    /// An ending without a success/partial/failure label.
    UnlabelledEnding,
    /// A choice whose target is not a node (only in unchecked trees).
    DanglingTarget,
    /// The agent's answer could not be used.
    InvalidAnswer,
    /// `--protocol socialeval`: the node offers a choice the official script cannot read (its
    /// source `content` is no object), so the official run loses the episode there.
    UnreadableSource,
}

impl DropReason {
    pub const ALL: [Self; 5] = [
        Self::DeadEnd,
        Self::UnlabelledEnding,
        Self::DanglingTarget,
        Self::InvalidAnswer,
        Self::UnreadableSource,
    ];

    /// The stored name (a `session_status` reason, a `dropped` key in reports).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::DeadEnd => "dead_end",
            Self::UnlabelledEnding => "unlabelled_ending",
            Self::DanglingTarget => "dangling_target",
            Self::InvalidAnswer => "invalid_answer",
            Self::UnreadableSource => "unreadable_source",
        }
    }

    /// The reason of a stored name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// What the walk asks the driver to do or record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkEffect {
    /// Reveal this node's lines.
    ShowNode { node: usize },
    /// Ask for a decision among these choices of `node`, listed by choice index in display
    /// order.
    Present { node: usize, order: Vec<usize> },
    /// A decision was taken.
    Chose {
        node: usize,
        choice: usize,
        position: usize,
    },
    /// The walk reached an ending with a label.
    Ended { node: usize, outcome: Outcome },
    /// The walk stopped without a countable outcome.
    Dropped { node: usize, reason: DropReason },
    /// The input did not fit the walk's state; nothing changed.
    Rejected { reason: &'static str },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    NotStarted,
    Waiting { node: usize, order: Vec<usize> },
    Over,
}

/// A walk of one tree. Replaying the same inputs with the same seed reproduces the same walk,
/// option orders included — that is how an interrupted session resumes.
///
/// Generic over how the tree is held: `&WorldTree` for short walks, `Arc<WorldTree>` when the
/// walk lives in long-lived state (the TUI, batch runs).
#[derive(Debug, Clone)]
pub struct TreeWalk<T: Deref<Target = WorldTree>> {
    tree: T,
    index: NodeIndex,
    rng: Rng,
    config: WalkConfig,
    state: State,
    /// Node indices visited, root first.
    path: Vec<usize>,
    /// (node, choice index) for every decision, in order.
    decisions: Vec<(usize, usize)>,
}

impl<T: Deref<Target = WorldTree>> TreeWalk<T> {
    #[must_use]
    pub fn new(tree: T, config: WalkConfig, rng: Rng) -> Self {
        Self {
            index: NodeIndex::new(&tree),
            tree,
            rng,
            config,
            state: State::NotStarted,
            path: Vec::new(),
            decisions: Vec::new(),
        }
    }

    #[must_use]
    pub fn tree(&self) -> &WorldTree {
        &self.tree
    }

    /// Node indices visited so far, root first.
    #[must_use]
    pub fn path(&self) -> &[usize] {
        &self.path
    }

    /// Decisions so far as (node, choice index).
    #[must_use]
    pub fn decisions(&self) -> &[(usize, usize)] {
        &self.decisions
    }

    /// The pending choice point and its display order, if the walk waits for a decision.
    #[must_use]
    pub fn pending(&self) -> Option<(usize, &[usize])> {
        match &self.state {
            State::Waiting { node, order } => Some((*node, order)),
            _ => None,
        }
    }

    #[must_use]
    pub fn is_over(&self) -> bool {
        self.state == State::Over
    }

    /// Advance the walk.
    pub fn handle(&mut self, input: WalkInput) -> Vec<WalkEffect> {
        match (input, &self.state) {
            (WalkInput::Start, State::NotStarted) => match self.tree.start() {
                Some(root) => self.enter(root),
                None => {
                    self.state = State::Over;
                    vec![WalkEffect::Rejected {
                        reason: "the tree has no nodes",
                    }]
                }
            },
            (WalkInput::Choose { position }, State::Waiting { node, order }) => {
                let Some(&choice) = order.get(position) else {
                    return vec![WalkEffect::Rejected {
                        reason: "no option at that position",
                    }];
                };
                let node = *node;
                self.decisions.push((node, choice));
                let mut effects = vec![WalkEffect::Chose {
                    node,
                    choice,
                    position,
                }];
                let target = &self.tree.nodes[node].choices[choice].target;
                match self.index.get(target) {
                    Some(next) => effects.extend(self.enter(next)),
                    None => {
                        self.state = State::Over;
                        effects.push(WalkEffect::Dropped {
                            node,
                            reason: DropReason::DanglingTarget,
                        });
                    }
                }
                effects
            }
            (WalkInput::Start, _) => vec![WalkEffect::Rejected {
                reason: "the walk has already started",
            }],
            (WalkInput::Choose { .. }, _) => vec![WalkEffect::Rejected {
                reason: "no decision is pending",
            }],
        }
    }

    fn enter(&mut self, node: usize) -> Vec<WalkEffect> {
        self.path.push(node);
        let n = &self.tree.nodes[node];
        let mut effects = vec![WalkEffect::ShowNode { node }];
        if n.kind == NodeKind::Ending || n.choices.is_empty() {
            self.state = State::Over;
            effects.push(if n.kind != NodeKind::Ending {
                WalkEffect::Dropped {
                    node,
                    reason: DropReason::DeadEnd,
                }
            } else {
                match n.outcome.unwrap_or(Outcome::Unlabelled) {
                    Outcome::Unlabelled => WalkEffect::Dropped {
                        node,
                        reason: DropReason::UnlabelledEnding,
                    },
                    outcome => WalkEffect::Ended { node, outcome },
                }
            });
            return effects;
        }
        let order = if self.config.shuffle {
            shuffled_order(n.choices.len(), &mut self.rng)
        } else {
            (0..n.choices.len()).collect()
        };
        effects.push(WalkEffect::Present {
            node,
            order: order.clone(),
        });
        self.state = State::Waiting { node, order };
        effects
    }
}

#[cfg(test)]
mod tests;
