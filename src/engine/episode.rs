//! One session on a world tree, whoever plays it: the GAE walk, the IAE item queue, or both
//! interleaved. A pure state machine over [`TreeWalk`] and the IAE items: it says which lines
//! become visible, which question to ask, and how the session ends. Humans (the TUI) and
//! models (`socius eval`) are driven through the same episode, so the same tree, seed and
//! answers give the same questions in the same order.
//!
//! - **GAE**: the walk from the root; one question per choice point (options in a seeded
//!   shuffle when `shuffle` is on).
//! - **IAE**: every item of the tree ([`iae::items`]), one after the other, each with its own
//!   context (the path to its choice node); each item's options are shuffled with
//!   `derive_seed(seed, "iae/<node id>/<choice index>")`.
//! - **Both**: the walk; at each choice point its IAE items first, then the story choice.

use std::collections::VecDeque;
use std::ops::Deref;

use super::iae::{self, ItemRef};
use super::walk::{DropReason, TreeWalk, WalkConfig, WalkEffect, WalkInput};
use super::{derive_seed, rng_from_seed};
use crate::script::model::{ChoiceKind, Outcome, WorldTree};

/// What the player is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Gae,
    Iae,
    Both,
}

impl Mode {
    pub const ALL: [Self; 3] = [Self::Gae, Self::Iae, Self::Both];

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Gae => "gae",
            Self::Iae => "iae",
            Self::Both => "both",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// How an episode presents its questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpisodeConfig {
    pub mode: Mode,
    /// Shuffle the GAE options at every choice point (IAE options are always shuffled).
    pub shuffle: bool,
    /// The session seed: the walk's generator, and the base of every item's seed.
    pub seed: u64,
    /// Walk as the official SocialEval scripts can (`--protocol socialeval`): skip the IAE
    /// items they cannot build, and drop an episode at a node offering a choice they cannot
    /// read ([`DropReason::UnreadableSource`]).
    pub official: bool,
}

/// Where one presented option comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionSource {
    /// GAE: this choice (index in the node's `choices`).
    Choice(usize),
    /// IAE: the candidate utterance of the item's choice (the right answer).
    Candidate,
    /// IAE: the k-th distractor (1-based).
    Distractor(usize),
}

/// What is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionKind {
    /// The story choice at a choice point.
    Gae,
    /// An IAE item: `index` (0-based) among the `total` items known so far.
    Iae {
        item: ItemRef,
        index: usize,
        total: usize,
    },
}

/// A question: choose one of N options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The choice node.
    pub node: usize,
    pub kind: QuestionKind,
    /// The options in presented order.
    pub options: Vec<OptionSource>,
}

impl Question {
    /// IAE: the display position of the right answer.
    #[must_use]
    pub fn correct(&self) -> Option<usize> {
        match self.kind {
            QuestionKind::Gae => None,
            QuestionKind::Iae { .. } => self
                .options
                .iter()
                .position(|o| *o == OptionSource::Candidate),
        }
    }

    /// The IAE item asked, if this is an IAE question.
    #[must_use]
    pub const fn item(&self) -> Option<&ItemRef> {
        match &self.kind {
            QuestionKind::Iae { item, .. } => Some(item),
            QuestionKind::Gae => None,
        }
    }
}

/// How an episode ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeEnd {
    /// The node where the walk stopped: an ending or a dead end (none in IAE mode, and none
    /// when the walk was dropped away from such a node).
    pub node: Option<usize>,
    /// The ending's label, when the walk reached a labelled ending.
    pub outcome: Option<Outcome>,
    /// Why the walk does not count, when it does not.
    pub dropped: Option<DropReason>,
    /// IAE items answered, and how many of them rightly.
    pub items: usize,
    pub correct: usize,
}

/// What the episode tells its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EpisodeEffect {
    /// The walk entered `node`: its lines become visible.
    Enter { node: usize },
    /// IAE mode: a new item, shown with its own context (the lines along `item.path`).
    ItemContext { item: ItemRef },
    /// Ask this question (after the lines above are visible).
    Ask(Question),
    /// The answer was taken: position `position` of `question`.
    Answered {
        question: Question,
        position: usize,
        correct: Option<bool>,
    },
    /// The question got no usable answer and was left (IAE); a GAE walk ends instead.
    Skipped { question: Question },
    /// The episode is over.
    End(EpisodeEnd),
}

/// What the driver tells the episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpisodeInput {
    Start,
    /// The option at this display position.
    Answer {
        position: usize,
    },
    /// No usable answer (a model's reply that could not be read).
    Unusable,
    /// An IAE item answered with something that is none of its options (`--protocol
    /// socialeval` reads such a letter as a wrong answer): the item counts, as wrong. At a GAE
    /// question it is [`EpisodeInput::Unusable`].
    NotAnOption,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    NotStarted,
    Asking(Question),
    Over,
}

/// One episode. Replaying the same inputs with the same config reproduces it exactly.
#[derive(Debug, Clone)]
pub struct Episode<T: Deref<Target = WorldTree>> {
    walk: TreeWalk<T>,
    config: EpisodeConfig,
    state: State,
    items: VecDeque<ItemRef>,
    /// The GAE question waiting behind the IAE items of its choice point (both mode).
    story: Option<Question>,
    /// IAE items known so far (all of them in IAE mode; growing along the walk in both mode).
    items_total: usize,
    asked: usize,
    correct: usize,
}

impl<T: Deref<Target = WorldTree>> Episode<T> {
    #[must_use]
    pub fn new(tree: T, config: EpisodeConfig) -> Self {
        let items: VecDeque<ItemRef> = if config.mode == Mode::Iae {
            iae::items(&tree)
                .into_iter()
                .filter(|i| !config.official || !iae::skipped_officially(&tree, i))
                .collect()
        } else {
            VecDeque::new()
        };
        let items_total = items.len();
        let walk = TreeWalk::new(
            tree,
            WalkConfig {
                shuffle: config.shuffle,
            },
            rng_from_seed(config.seed),
        );
        Self {
            walk,
            config,
            state: State::NotStarted,
            items,
            story: None,
            items_total,
            asked: 0,
            correct: 0,
        }
    }

    #[must_use]
    pub fn tree(&self) -> &WorldTree {
        self.walk.tree()
    }

    #[must_use]
    pub const fn config(&self) -> EpisodeConfig {
        self.config
    }

    /// The walk so far: node indices visited, root first (empty in IAE mode).
    #[must_use]
    pub fn path(&self) -> &[usize] {
        self.walk.path()
    }

    /// The walk's decisions so far as (node, choice index).
    #[must_use]
    pub fn decisions(&self) -> &[(usize, usize)] {
        self.walk.decisions()
    }

    /// The question waiting for an answer.
    #[must_use]
    pub const fn question(&self) -> Option<&Question> {
        match &self.state {
            State::Asking(q) => Some(q),
            _ => None,
        }
    }

    #[must_use]
    pub fn is_over(&self) -> bool {
        self.state == State::Over
    }

    /// IAE items answered so far and how many rightly.
    #[must_use]
    pub const fn item_score(&self) -> (usize, usize) {
        (self.asked, self.correct)
    }

    /// Advance. An input that does not fit the state changes nothing and returns no effect.
    pub fn handle(&mut self, input: EpisodeInput) -> Vec<EpisodeEffect> {
        match (input, std::mem::replace(&mut self.state, State::Over)) {
            (EpisodeInput::Start, State::NotStarted) => {
                if self.config.mode == Mode::Iae {
                    let mut out = Vec::new();
                    self.next(&mut out);
                    return out;
                }
                let effects = self.walk.handle(WalkInput::Start);
                self.follow(effects)
            }
            (EpisodeInput::Answer { position }, State::Asking(q)) if position < q.options.len() => {
                self.answer(q, position)
            }
            (EpisodeInput::NotAnOption, State::Asking(q)) if q.item().is_some() => {
                self.asked += 1;
                let mut out = vec![EpisodeEffect::Skipped { question: q }];
                self.next(&mut out);
                out
            }
            (EpisodeInput::Unusable | EpisodeInput::NotAnOption, State::Asking(q)) => {
                let mut out = vec![EpisodeEffect::Skipped {
                    question: q.clone(),
                }];
                match q.kind {
                    QuestionKind::Iae { .. } => self.next(&mut out),
                    QuestionKind::Gae => {
                        self.state = State::Over;
                        out.push(self.end(None, None, Some(DropReason::InvalidAnswer)));
                    }
                }
                out
            }
            (_, state) => {
                self.state = state;
                Vec::new()
            }
        }
    }

    fn answer(&mut self, q: Question, position: usize) -> Vec<EpisodeEffect> {
        let correct = q.correct().map(|c| c == position);
        let is_item = q.item().is_some();
        let mut out = vec![EpisodeEffect::Answered {
            question: q,
            position,
            correct,
        }];
        if is_item {
            self.asked += 1;
            self.correct += usize::from(correct == Some(true));
            self.next(&mut out);
        } else {
            let effects = self.walk.handle(WalkInput::Choose { position });
            out.extend(self.follow(effects));
        }
        out
    }

    /// Turn the walk's effects into the episode's: lines, then (both mode) the items of the
    /// new choice point, then its story question, or the end.
    fn follow(&mut self, effects: Vec<WalkEffect>) -> Vec<EpisodeEffect> {
        let mut out = Vec::new();
        for effect in effects {
            match effect {
                WalkEffect::ShowNode { node } => out.push(EpisodeEffect::Enter { node }),
                WalkEffect::Present { node, order } => {
                    if self.config.official
                        && self.walk.tree().nodes[node]
                            .choices
                            .iter()
                            .any(|c| c.say_unreadable)
                    {
                        self.state = State::Over;
                        out.push(self.end(Some(node), None, Some(DropReason::UnreadableSource)));
                        break;
                    }
                    if self.config.mode == Mode::Both {
                        self.queue_items_of(node);
                    }
                    self.story = Some(Question {
                        node,
                        kind: QuestionKind::Gae,
                        options: order.into_iter().map(OptionSource::Choice).collect(),
                    });
                    self.next(&mut out);
                }
                WalkEffect::Ended { node, outcome } => {
                    self.state = State::Over;
                    out.push(self.end(Some(node), Some(outcome), None));
                }
                WalkEffect::Dropped { node, reason } => {
                    self.state = State::Over;
                    // Only a dead end or an unlabelled ending is a place the walk stopped at.
                    let at = matches!(reason, DropReason::DeadEnd | DropReason::UnlabelledEnding)
                        .then_some(node);
                    out.push(self.end(at, None, Some(reason)));
                }
                WalkEffect::Chose { .. } => {}
                WalkEffect::Rejected { .. } => {
                    self.state = State::Over;
                    out.push(self.end(None, None, Some(DropReason::DeadEnd)));
                }
            }
        }
        out
    }

    fn queue_items_of(&mut self, node: usize) {
        let path = self.walk.path().to_vec();
        let tree = self.walk.tree();
        for (choice, c) in tree.nodes[node].choices.iter().enumerate() {
            if c.kind == ChoiceKind::Skill
                && c.iae
                    .as_ref()
                    .is_some_and(|i| !i.question.trim().is_empty())
            {
                self.items.push_back(ItemRef {
                    node,
                    choice,
                    path: path.clone(),
                });
                self.items_total += 1;
            }
        }
    }

    /// Ask the next item, else the story question, else end (IAE mode).
    fn next(&mut self, out: &mut Vec<EpisodeEffect>) {
        if let Some(item) = self.items.pop_front() {
            let tree = self.walk.tree();
            let mut rng = rng_from_seed(derive_seed(
                self.config.seed,
                &format!("iae/{}/{}", tree.nodes[item.node].id, item.choice),
            ));
            let presented = iae::present(tree, &item, Some(&mut rng));
            let options = presented
                .order
                .iter()
                .map(|&src| {
                    if src == 0 {
                        OptionSource::Candidate
                    } else {
                        OptionSource::Distractor(src)
                    }
                })
                .collect();
            if self.config.mode == Mode::Iae {
                out.push(EpisodeEffect::ItemContext { item: item.clone() });
            }
            let q = Question {
                node: item.node,
                kind: QuestionKind::Iae {
                    index: self.asked,
                    total: self.items_total,
                    item,
                },
                options,
            };
            self.state = State::Asking(q.clone());
            out.push(EpisodeEffect::Ask(q));
            return;
        }
        if let Some(q) = self.story.take() {
            self.state = State::Asking(q.clone());
            out.push(EpisodeEffect::Ask(q));
            return;
        }
        self.state = State::Over;
        out.push(self.end(None, None, None));
    }

    const fn end(
        &self,
        node: Option<usize>,
        outcome: Option<Outcome>,
        dropped: Option<DropReason>,
    ) -> EpisodeEffect {
        EpisodeEffect::End(EpisodeEnd {
            node,
            outcome,
            dropped,
            items: self.asked,
            correct: self.correct,
        })
    }
}

#[cfg(test)]
mod tests;
