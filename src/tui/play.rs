//! The play screen's state: a human walks a world tree (GAE), answers its IAE items, or both.
//!
//! The walk itself is the pure [`TreeWalk`] engine; this module adds what a person needs —
//! lines revealed one at a time, a selection that can change until it is confirmed, latency
//! measured from the moment the options became visible — and reports every confirmed answer to
//! a [`PlayRecorder`] *before* moving on. If recording fails, the answer is not taken and the
//! screen stays where it is.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use crate::engine::iae::{self, ItemRef};
use crate::engine::{
    DropReason, TreeWalk, WalkConfig, WalkEffect, WalkInput, derive_seed, rng_from_seed,
};
use crate::script::model::{ChoiceKind, Outcome, WorldTree};

/// What the annotator is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Gae,
    Iae,
    Both,
}

impl Mode {
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
        match s {
            "gae" => Some(Self::Gae),
            "iae" => Some(Self::Iae),
            "both" => Some(Self::Both),
            _ => None,
        }
    }
}

/// One step of a session, as recorded and as replayed on resume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A GAE decision at `node`: the option at display `position`.
    Gae { node: String, position: usize },
    /// An IAE answer for the item of `(node, choice)`: the option at display `position`.
    Iae {
        node: String,
        choice: usize,
        position: usize,
    },
}

/// Where confirmed answers go. Every method must make the record durable before returning
/// `Ok` (the store flushes).
pub trait PlayRecorder {
    /// Options became visible. `options` are (id, text) in display order.
    ///
    /// # Errors
    /// The store could not write.
    fn presented(
        &mut self,
        node: &str,
        prompt: Option<&str>,
        options: &[(String, String)],
    ) -> Result<(), String>;

    /// A confirmed GAE decision.
    ///
    /// # Errors
    /// The store could not write.
    fn decided(
        &mut self,
        node: &str,
        position: usize,
        option_id: &str,
        latency_ms: u64,
    ) -> Result<(), String>;

    /// A confirmed IAE answer.
    ///
    /// # Errors
    /// The store could not write.
    fn answered(&mut self, answer: &IaeAnswerRecord) -> Result<(), String>;

    /// The session is over: the ending reached (GAE) or all items answered (IAE).
    ///
    /// # Errors
    /// The store could not write.
    fn finished(&mut self, end: &EndRecord) -> Result<(), String>;
}

/// A confirmed IAE answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IaeAnswerRecord {
    pub node: String,
    pub choice: usize,
    pub position: usize,
    /// Display position of the correct option.
    pub correct_position: usize,
    pub correct: bool,
    pub abilities: Vec<String>,
    pub latency_ms: u64,
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndRecord {
    /// The last node (GAE), if any.
    pub node: Option<String>,
    pub outcome: Option<Outcome>,
    pub dropped: Option<DropReason>,
    /// IAE items answered / correct (IAE and both).
    pub items: usize,
    pub correct: usize,
}

/// A transcript entry; the screen renders these from the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Line `line` of node `node`.
    Line { node: usize, line: usize },
    /// The protagonist's confirmed choice.
    Chosen { node: usize, choice: usize },
    /// Header of an IAE item (IAE mode): index (0-based) and total.
    ItemHeader { index: usize, total: usize },
    /// An IAE answer was saved (no right/wrong feedback unless training mode).
    Answered { correct: Option<bool> },
    /// The walk ended.
    Ending {
        node: usize,
        outcome: Option<Outcome>,
        dropped: Option<DropReason>,
    },
    /// All IAE items answered.
    ItemsDone,
}

/// A GAE question on screen.
#[derive(Debug, Clone)]
pub struct GaeQuestion {
    pub node: usize,
    /// Choice indices in display order.
    pub order: Vec<usize>,
    pub selected: Option<usize>,
    pub shown: Instant,
}

/// An IAE question on screen.
#[derive(Debug, Clone)]
pub struct IaeQuestion {
    pub item: ItemRef,
    /// Source index per display position: 0 the candidate utterance, k the k-th distractor.
    pub order: Vec<usize>,
    pub correct: usize,
    pub selected: Option<usize>,
    pub shown: Instant,
    /// Index among the items asked in this session (for "item 3 of 12").
    pub index: usize,
    pub total: usize,
}

/// Where the screen is.
#[derive(Debug, Clone)]
pub enum Phase {
    /// Scenario and character cards; Enter begins.
    Intro,
    /// Lines are being revealed; Enter shows the next.
    Reveal,
    Gae(GaeQuestion),
    Iae(IaeQuestion),
    /// The session is complete.
    Over,
}

/// What comes after the lines being revealed.
#[derive(Debug, Clone)]
enum Next {
    Present {
        node: usize,
        order: Vec<usize>,
    },
    End {
        node: usize,
        outcome: Option<Outcome>,
        dropped: Option<DropReason>,
    },
}

/// The play screen's state.
#[derive(Debug)]
pub struct Play {
    pub tree: Arc<WorldTree>,
    pub mode: Mode,
    pub seed: u64,
    /// Training mode: show right/wrong after each IAE answer.
    pub training: bool,
    walk: TreeWalk<Arc<WorldTree>>,
    pub phase: Phase,
    pub transcript: Vec<Entry>,
    /// Lines scrolled back from the bottom of the transcript (0 follows the newest line).
    pub scroll: usize,
    pending_lines: VecDeque<Entry>,
    next: Option<Next>,
    /// IAE items still to ask at the current choice point (both mode) or in the session (IAE).
    item_queue: VecDeque<ItemRef>,
    items_total: usize,
    items_asked: usize,
    items_correct: usize,
    /// While replaying recorded steps on resume, nothing is recorded again.
    replaying: bool,
    /// An ending that could not be recorded yet (Enter on the last screen retries).
    end_pending: Option<EndRecord>,
    /// Training mode: whether the last IAE answer was right, until the screen shows it.
    feedback: Option<bool>,
}

/// Result of an update the screen wants to tell the user about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    None,
    Saved,
    Error(String),
    Finished,
}

impl Play {
    /// A fresh session.
    #[must_use]
    pub fn new(tree: Arc<WorldTree>, mode: Mode, seed: u64) -> Self {
        let walk = TreeWalk::new(
            Arc::clone(&tree),
            WalkConfig { shuffle: true },
            rng_from_seed(seed),
        );
        let (item_queue, items_total) = if mode == Mode::Iae {
            let all: VecDeque<ItemRef> = iae::items(&tree).into();
            let n = all.len();
            (all, n)
        } else {
            (VecDeque::new(), 0)
        };
        Self {
            tree,
            mode,
            seed,
            training: false,
            walk,
            phase: Phase::Intro,
            transcript: Vec::new(),
            // The introduction is read from its top.
            scroll: usize::MAX / 4,
            pending_lines: VecDeque::new(),
            next: None,
            item_queue,
            items_total,
            items_asked: 0,
            items_correct: 0,
            replaying: false,
            end_pending: None,
            feedback: None,
        }
    }

    /// Rebuild a session from its recorded steps (resume). Replays begin, reveals and answers
    /// without recording; the screen lands where the session stopped.
    ///
    /// # Errors
    /// When the steps do not fit the tree (a different script version).
    pub fn resume(
        tree: Arc<WorldTree>,
        mode: Mode,
        seed: u64,
        steps: &[Step],
        recorder: &mut dyn PlayRecorder,
    ) -> Result<Self, String> {
        let mut play = Self::new(tree, mode, seed);
        play.replaying = true;
        play.begin(recorder);
        for step in steps {
            play.reveal_all(recorder);
            let position = match (&play.phase, step) {
                (Phase::Gae(q), Step::Gae { node, position })
                    if play.tree.nodes[q.node].id == *node =>
                {
                    *position
                }
                (
                    Phase::Iae(q),
                    Step::Iae {
                        node,
                        choice,
                        position,
                    },
                ) if play.tree.nodes[q.item.node].id == *node && q.item.choice == *choice => {
                    *position
                }
                _ => {
                    return Err(format!(
                        "the recorded step {step:?} does not fit the script; was it changed?"
                    ));
                }
            };
            play.select(position);
            if let Notice::Error(e) = play.confirm(recorder) {
                return Err(e);
            }
        }
        play.replaying = false;
        // Past the introduction, a resumed walk opens at its newest line, where it goes on.
        if !matches!(play.phase, Phase::Intro) {
            play.scroll = 0;
        }
        // The options on screen now are presented anew (the clock restarts); an ending reached
        // but never recorded is recorded now.
        let notice = match play.phase {
            Phase::Reveal => play.reveal_all(recorder),
            Phase::Over => play.record_end(recorder),
            Phase::Intro => Notice::None,
            Phase::Gae(_) | Phase::Iae(_) => play.announce(recorder),
        };
        match notice {
            Notice::Error(e) => Err(e),
            _ => Ok(play),
        }
    }

    /// Training mode: the verdict on the last IAE answer, once.
    pub fn take_feedback(&mut self) -> Option<bool> {
        self.feedback.take()
    }

    /// Number of options currently selectable.
    #[must_use]
    pub fn option_count(&self) -> usize {
        match &self.phase {
            Phase::Gae(q) => q.order.len(),
            Phase::Iae(q) => q.order.len(),
            _ => 0,
        }
    }

    #[must_use]
    pub fn selected(&self) -> Option<usize> {
        match &self.phase {
            Phase::Gae(q) => q.selected,
            Phase::Iae(q) => q.selected,
            _ => None,
        }
    }

    #[must_use]
    pub fn has_pending_lines(&self) -> bool {
        !self.pending_lines.is_empty()
    }

    /// The session has begun and is not over (quitting asks first).
    #[must_use]
    pub fn is_open(&self) -> bool {
        !matches!(self.phase, Phase::Over)
    }

    /// Items answered so far and how many of them were right.
    #[must_use]
    pub const fn item_score(&self) -> (usize, usize) {
        (self.items_asked, self.items_correct)
    }

    /// Select the option at display position `position` (0-based); out of range is ignored.
    pub fn select(&mut self, position: usize) {
        let n = self.option_count();
        if position < n {
            match &mut self.phase {
                Phase::Gae(q) => q.selected = Some(position),
                Phase::Iae(q) => q.selected = Some(position),
                _ => {}
            }
        }
    }

    /// Move the selection up or down.
    pub fn move_selection(&mut self, down: bool) {
        let n = self.option_count();
        if n == 0 {
            return;
        }
        let cur = self.selected();
        let next = match (cur, down) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(i), true) => (i + 1).min(n - 1),
            (Some(i), false) => i.saturating_sub(1),
        };
        self.select(next);
    }

    /// Enter: begin, reveal the next line, or confirm the selection.
    pub fn confirm(&mut self, recorder: &mut dyn PlayRecorder) -> Notice {
        match &self.phase {
            Phase::Intro => {
                self.begin(recorder);
                self.announce(recorder)
            }
            Phase::Reveal => {
                if let Some(e) = self.pending_lines.pop_front() {
                    self.transcript.push(e);
                }
                if self.pending_lines.is_empty() {
                    return self.after_reveal(recorder);
                }
                Notice::None
            }
            Phase::Gae(q) => {
                let Some(position) = q.selected else {
                    return Notice::None;
                };
                let node = q.node;
                let choice = q.order[position];
                let latency = elapsed_ms(q.shown);
                if !self.replaying {
                    let t = &self.tree.nodes[node];
                    let target = &t.choices[choice].target;
                    if let Err(e) = recorder.decided(&t.id, position, target, latency) {
                        return Notice::Error(e);
                    }
                }
                self.transcript.push(Entry::Chosen { node, choice });
                let effects = self.walk.handle(WalkInput::Choose { position });
                self.apply(effects);
                self.after_reveal_if_done(recorder)
            }
            Phase::Iae(q) => {
                let Some(position) = q.selected else {
                    return Notice::None;
                };
                let correct = position == q.correct;
                let record = IaeAnswerRecord {
                    node: self.tree.nodes[q.item.node].id.clone(),
                    choice: q.item.choice,
                    position,
                    correct_position: q.correct,
                    correct,
                    abilities: self.tree.nodes[q.item.node].choices[q.item.choice]
                        .abilities
                        .clone(),
                    latency_ms: elapsed_ms(q.shown),
                };
                if !self.replaying
                    && let Err(e) = recorder.answered(&record)
                {
                    return Notice::Error(e);
                }
                self.items_asked += 1;
                self.items_correct += usize::from(correct);
                if self.training && !self.replaying {
                    self.feedback = Some(correct);
                }
                self.transcript.push(Entry::Answered {
                    correct: self.training.then_some(correct),
                });
                self.next_item_or_continue(recorder)
            }
            Phase::Over => self.record_end(recorder),
        }
    }

    /// Record the ending if it is not recorded yet.
    fn record_end(&mut self, recorder: &mut dyn PlayRecorder) -> Notice {
        let Some(record) = self.end_pending.take() else {
            return Notice::None;
        };
        match recorder.finished(&record) {
            Ok(()) => Notice::Finished,
            Err(e) => {
                self.end_pending = Some(record);
                Notice::Error(e)
            }
        }
    }

    /// Reveal every remaining line of the node.
    pub fn reveal_all(&mut self, recorder: &mut dyn PlayRecorder) -> Notice {
        if !matches!(self.phase, Phase::Reveal) {
            return Notice::None;
        }
        self.transcript.extend(self.pending_lines.drain(..));
        self.after_reveal(recorder)
    }

    fn begin(&mut self, recorder: &mut dyn PlayRecorder) {
        if !matches!(self.phase, Phase::Intro) {
            return;
        }
        if self.mode == Mode::Iae {
            self.phase = Phase::Reveal;
            let _ = self.next_item_or_continue(recorder);
            return;
        }
        let effects = self.walk.handle(WalkInput::Start);
        self.apply(effects);
        self.phase = Phase::Reveal;
        if self.pending_lines.is_empty() {
            let _ = self.after_reveal(recorder);
        }
    }

    /// Queue what the walk says: lines to reveal and what follows them.
    fn apply(&mut self, effects: Vec<WalkEffect>) {
        for e in effects {
            match e {
                WalkEffect::ShowNode { node } => {
                    for line in 0..self.tree.nodes[node].lines.len() {
                        self.pending_lines.push_back(Entry::Line { node, line });
                    }
                }
                WalkEffect::Present { node, order } => {
                    self.next = Some(Next::Present { node, order });
                }
                WalkEffect::Ended { node, outcome } => {
                    self.next = Some(Next::End {
                        node,
                        outcome: Some(outcome),
                        dropped: None,
                    });
                }
                WalkEffect::Dropped { node, reason } => {
                    self.next = Some(Next::End {
                        node,
                        outcome: None,
                        dropped: Some(reason),
                    });
                }
                WalkEffect::Chose { .. } | WalkEffect::Rejected { .. } => {}
            }
        }
        self.phase = Phase::Reveal;
    }

    fn after_reveal_if_done(&mut self, recorder: &mut dyn PlayRecorder) -> Notice {
        if self.pending_lines.is_empty() {
            self.after_reveal(recorder)
        } else {
            Notice::Saved
        }
    }

    /// The node's lines are all visible: ask its IAE items (both mode), then its GAE question,
    /// or show the ending.
    fn after_reveal(&mut self, recorder: &mut dyn PlayRecorder) -> Notice {
        match self.next.take() {
            Some(Next::Present { node, order }) => {
                if self.mode == Mode::Both {
                    let n = &self.tree.nodes[node];
                    let path = self.walk.path().to_vec();
                    for (choice, c) in n.choices.iter().enumerate() {
                        if c.kind == ChoiceKind::Skill
                            && c.iae
                                .as_ref()
                                .is_some_and(|i| !i.question.trim().is_empty())
                        {
                            self.item_queue.push_back(ItemRef {
                                node,
                                choice,
                                path: path.clone(),
                            });
                            self.items_total += 1;
                        }
                    }
                }
                self.next = Some(Next::Present { node, order });
                self.next_item_or_continue(recorder)
            }
            Some(Next::End {
                node,
                outcome,
                dropped,
            }) => self.finish(Some(node), outcome, dropped, recorder),
            None => Notice::None,
        }
    }

    /// Ask the next queued IAE item, else the pending GAE question, else finish (IAE mode).
    fn next_item_or_continue(&mut self, recorder: &mut dyn PlayRecorder) -> Notice {
        if let Some(item) = self.item_queue.pop_front() {
            let mut rng = rng_from_seed(derive_seed(
                self.seed,
                &format!("iae/{}/{}", self.tree.nodes[item.node].id, item.choice),
            ));
            let presented = iae::present(&self.tree, &item, Some(&mut rng));
            if self.mode == Mode::Iae {
                // Each item shows its own context: the path's lines and the choices along it.
                self.transcript.clear();
                self.transcript.push(Entry::ItemHeader {
                    index: self.items_asked,
                    total: self.items_total,
                });
                for (k, &node) in item.path.iter().enumerate() {
                    for line in 0..self.tree.nodes[node].lines.len() {
                        self.transcript.push(Entry::Line { node, line });
                    }
                    if let Some(&next) = item.path.get(k + 1) {
                        let next_id = &self.tree.nodes[next].id;
                        if let Some(choice) = self.tree.nodes[node]
                            .choices
                            .iter()
                            .position(|c| &c.target == next_id)
                        {
                            self.transcript.push(Entry::Chosen { node, choice });
                        }
                    }
                }
            }
            self.phase = Phase::Iae(IaeQuestion {
                order: presented.order,
                correct: presented.correct,
                selected: None,
                shown: Instant::now(),
                index: self.items_asked,
                total: self.items_total,
                item,
            });
            return self.announce(recorder);
        }
        match self.next.take() {
            Some(Next::Present { node, order }) => {
                self.phase = Phase::Gae(GaeQuestion {
                    node,
                    order,
                    selected: None,
                    shown: Instant::now(),
                });
                self.announce(recorder)
            }
            Some(end @ Next::End { .. }) => {
                self.next = Some(end);
                self.after_reveal(recorder)
            }
            None if self.mode == Mode::Iae => {
                self.transcript.push(Entry::ItemsDone);
                self.finish(None, None, None, recorder)
            }
            None => Notice::None,
        }
    }

    /// Record the options now on screen (and restart their clock).
    fn announce(&mut self, recorder: &mut dyn PlayRecorder) -> Notice {
        if self.replaying {
            return Notice::None;
        }
        let tree = Arc::clone(&self.tree);
        match &mut self.phase {
            Phase::Gae(q) => {
                q.shown = Instant::now();
                let n = &tree.nodes[q.node];
                let options: Vec<(String, String)> = q
                    .order
                    .iter()
                    .map(|&c| (n.choices[c].target.clone(), n.choices[c].say.text.clone()))
                    .collect();
                match recorder.presented(&n.id, None, &options) {
                    Ok(()) => Notice::None,
                    Err(e) => Notice::Error(e),
                }
            }
            Phase::Iae(q) => {
                q.shown = Instant::now();
                let n = &tree.nodes[q.item.node];
                let c = &n.choices[q.item.choice];
                let options: Vec<(String, String)> = q
                    .order
                    .iter()
                    .map(|&src| {
                        if src == 0 {
                            ("candidate".to_owned(), c.say.text.clone())
                        } else {
                            let text = c
                                .iae
                                .as_ref()
                                .and_then(|i| i.distractors.get(src - 1))
                                .map(|d| d.text.clone())
                                .unwrap_or_default();
                            (format!("distractor-{src}"), text)
                        }
                    })
                    .collect();
                let question = c.iae.as_ref().map(|i| i.question.as_str());
                match recorder.presented(&n.id, question, &options) {
                    Ok(()) => Notice::None,
                    Err(e) => Notice::Error(e),
                }
            }
            _ => Notice::None,
        }
    }

    fn finish(
        &mut self,
        node: Option<usize>,
        outcome: Option<Outcome>,
        dropped: Option<DropReason>,
        recorder: &mut dyn PlayRecorder,
    ) -> Notice {
        if let Some(node) = node {
            self.transcript.push(Entry::Ending {
                node,
                outcome,
                dropped,
            });
        }
        let record = EndRecord {
            node: node.map(|n| self.tree.nodes[n].id.clone()),
            outcome,
            dropped,
            items: self.items_asked,
            correct: self.items_correct,
        };
        self.phase = Phase::Over;
        self.end_pending = Some(record);
        if self.replaying {
            return Notice::None;
        }
        self.record_end(recorder)
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
