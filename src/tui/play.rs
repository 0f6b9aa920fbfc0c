//! The play screen's state: a human walks a world tree (GAE), answers its IAE items, or both.
//!
//! The session itself is the [`Driver`] every agent goes through (the same episode, the same
//! records as a model's run); this module adds what a person needs — lines revealed one at a
//! time, a selection that can change until it is confirmed, latency measured from the moment
//! the options became visible — and has every confirmed answer recorded (flushed) through a
//! [`Recorder`] *before* moving on. If recording fails, the answer is not taken and the screen
//! stays where it is.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use crate::driver::records::Timing;
use crate::driver::{Driver, DriverError, Recorder, Replay};
use crate::engine::DropReason;
pub use crate::engine::episode::Mode;
use crate::engine::episode::{
    EpisodeConfig, EpisodeEffect, EpisodeEnd, OptionSource, Question, QuestionKind,
};
use crate::engine::iae::ItemRef;
use crate::script::model::{Outcome, WorldTree};

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
    /// Training mode: after an IAE answer, the right reply and the ability it shows.
    Feedback { item: ItemRef, correct: bool },
    /// Nothing to show: holds the screen until Enter (after training feedback).
    Hold,
}

/// A GAE question on screen.
#[derive(Debug, Clone)]
pub struct GaeQuestion {
    pub node: usize,
    /// Choice indices in display order.
    pub order: Vec<usize>,
    pub selected: Option<usize>,
    pub seen: Seen,
}

/// How a question's options have been seen: when they came up, when the last of them had been
/// on screen, and whether they did not all fit at once.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub shown: Instant,
    pub all_seen: Option<Instant>,
    pub scrolled: bool,
}

impl Seen {
    fn now() -> Self {
        Self {
            shown: Instant::now(),
            all_seen: None,
            scrolled: false,
        }
    }

    /// The answer's timing: latency from the moment every option had been visible (from when
    /// they came up, if the answer came before that).
    fn timing(&self) -> Timing {
        Timing {
            latency_ms: elapsed_ms(self.all_seen.unwrap_or(self.shown)),
            options_scrolled: self.scrolled,
        }
    }
}

/// An IAE question on screen.
#[derive(Debug, Clone)]
pub struct IaeQuestion {
    pub item: ItemRef,
    /// Source index per display position: 0 the candidate utterance, k the k-th distractor.
    pub order: Vec<usize>,
    pub correct: usize,
    pub selected: Option<usize>,
    pub seen: Seen,
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

/// Why a session could not be resumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    /// A stored answer does not fit the script (it was changed since).
    #[error("the recorded step {0} does not fit the script; was it changed?")]
    StepDoesNotFit(String),
    /// The options or the ending could not be recorded.
    #[error("{0}")]
    Record(String),
}

/// What comes after the lines being revealed.
#[derive(Debug, Clone)]
enum Next {
    Ask(Question),
    End(EpisodeEnd),
}

/// The play screen's state.
#[derive(Debug, Clone)]
pub struct Play {
    pub tree: Arc<WorldTree>,
    pub mode: Mode,
    pub seed: u64,
    /// Training mode: show right/wrong after each IAE answer.
    pub training: bool,
    /// Played from a study queue (`socius study run`): leaving goes back to the queue.
    pub from_queue: bool,
    driver: Driver,
    pub phase: Phase,
    pub transcript: Vec<Entry>,
    /// Lines scrolled back from the bottom of the transcript (0 follows the newest line).
    pub scroll: usize,
    /// Lines the options pane is scrolled down (when the options do not all fit).
    pub options_scroll: usize,
    pending_lines: VecDeque<Entry>,
    next: Option<Next>,
    /// IAE mode: the item whose context is shown with its question.
    context: Option<ItemRef>,
    /// While replaying recorded steps on resume, nothing is recorded again.
    replaying: bool,
    /// An ending that could not be recorded yet (Enter on the last screen retries).
    end_pending: Option<EpisodeEnd>,
    /// Training mode: whether the last IAE answer was right, until the screen shows it.
    feedback: Option<bool>,
    /// Lines revealed since the last question, per node: (node, by Enter, by reveal-all).
    reveals: Vec<(usize, u32, u32)>,
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
        let driver = Driver::new(
            Arc::clone(&tree),
            EpisodeConfig {
                mode,
                shuffle: true,
                seed,
                official: false,
            },
        );
        Self {
            tree,
            mode,
            seed,
            training: false,
            from_queue: false,
            driver,
            phase: Phase::Intro,
            transcript: Vec::new(),
            // The introduction is read from its top.
            scroll: usize::MAX / 4,
            options_scroll: 0,
            pending_lines: VecDeque::new(),
            next: None,
            context: None,
            replaying: false,
            end_pending: None,
            feedback: None,
            reveals: Vec::new(),
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
        recorder: &mut dyn Recorder,
    ) -> Result<Self, ResumeError> {
        let mut play = Self::new(tree, mode, seed);
        play.replaying = true;
        let _ = play.begin(&mut Replay);
        for step in steps {
            play.reveal_all(&mut Replay);
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
                _ => return Err(ResumeError::StepDoesNotFit(format!("{step:?}"))),
            };
            play.select(position);
            if let Notice::Error(e) = play.confirm(&mut Replay) {
                return Err(ResumeError::Record(e));
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
            // The lines left are shown again, not revealed by the person: not counted.
            Phase::Reveal => {
                let lines: Vec<Entry> = play.pending_lines.drain(..).collect();
                play.transcript.extend(lines);
                play.reveals.clear();
                play.after_reveal(recorder)
            }
            Phase::Over => play.record_end(recorder),
            Phase::Intro => Notice::None,
            Phase::Gae(_) | Phase::Iae(_) => play.announce(recorder),
        };
        match notice {
            Notice::Error(e) => Err(ResumeError::Record(e)),
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

    /// The ending is shown and stored (nothing left to retry).
    #[must_use]
    pub fn ended(&self) -> bool {
        matches!(self.phase, Phase::Over) && self.end_pending.is_none()
    }

    /// The session has begun and is not over (quitting asks first).
    #[must_use]
    pub fn is_open(&self) -> bool {
        !matches!(self.phase, Phase::Over)
    }

    /// Items answered so far and how many of them were right.
    #[must_use]
    pub const fn item_score(&self) -> (usize, usize) {
        self.driver.episode().item_score()
    }

    /// How the options on screen have been seen (none while no question is asked).
    #[must_use]
    pub const fn seen(&self) -> Option<&Seen> {
        match &self.phase {
            Phase::Gae(q) => Some(&q.seen),
            Phase::Iae(q) => Some(&q.seen),
            _ => None,
        }
    }

    /// The screen shows the options pane: `overflow` when they do not all fit, `last_visible`
    /// when the last option's last line is on screen now. The clock starts the first time the
    /// last option has been visible.
    pub fn saw_options(&mut self, overflow: bool, last_visible: bool) {
        let seen = match &mut self.phase {
            Phase::Gae(q) => &mut q.seen,
            Phase::Iae(q) => &mut q.seen,
            _ => return,
        };
        seen.scrolled |= overflow;
        if last_visible && seen.all_seen.is_none() {
            seen.all_seen = Some(Instant::now());
        }
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
    pub fn confirm(&mut self, recorder: &mut dyn Recorder) -> Notice {
        let (position, seen) = match &self.phase {
            Phase::Intro => return self.begin(recorder),
            Phase::Reveal => {
                if let Some(e) = self.pending_lines.pop_front() {
                    self.count_reveal(&e, false);
                    self.transcript.push(e);
                }
                if self.pending_lines.is_empty() {
                    return self.after_reveal(recorder);
                }
                return Notice::None;
            }
            Phase::Over => return self.record_end(recorder),
            Phase::Gae(q) => (q.selected, q.seen),
            Phase::Iae(q) => (q.selected, q.seen),
        };
        let Some(position) = position else {
            return Notice::None;
        };
        let effects = match self
            .driver
            .answer(position, seen.timing(), Vec::new(), recorder)
        {
            Ok(effects) => effects,
            Err(e) => return Notice::Error(driver_error(&e)),
        };
        self.apply(effects);
        if self.pending_lines.is_empty() {
            self.after_reveal(recorder)
        } else {
            Notice::Saved
        }
    }

    /// Record the ending if it is not recorded yet.
    fn record_end(&mut self, recorder: &mut dyn Recorder) -> Notice {
        let Some(end) = self.end_pending.take() else {
            return Notice::None;
        };
        match self.driver.close(&end, recorder) {
            Ok(()) => Notice::Finished,
            Err(e) => {
                self.end_pending = Some(end);
                Notice::Error(driver_error(&e))
            }
        }
    }

    /// Reveal every remaining line of the node.
    pub fn reveal_all(&mut self, recorder: &mut dyn Recorder) -> Notice {
        if !matches!(self.phase, Phase::Reveal) {
            return Notice::None;
        }
        let lines: Vec<Entry> = self.pending_lines.drain(..).collect();
        for e in &lines {
            self.count_reveal(e, true);
        }
        self.transcript.extend(lines);
        self.after_reveal(recorder)
    }

    /// Leave the introduction: the first lines, or (when there are none, as in IAE mode) the
    /// first question at once — presented once.
    fn begin(&mut self, recorder: &mut dyn Recorder) -> Notice {
        if !matches!(self.phase, Phase::Intro) {
            return Notice::None;
        }
        let effects = self.driver.start();
        self.apply(effects);
        if self.pending_lines.is_empty() {
            return self.after_reveal(recorder);
        }
        Notice::None
    }

    /// Take in what the episode says: the answer just given, lines to reveal, what follows.
    fn apply(&mut self, effects: Vec<EpisodeEffect>) {
        for e in effects {
            match e {
                EpisodeEffect::Enter { node } => {
                    for line in 0..self.tree.nodes[node].lines.len() {
                        self.pending_lines.push_back(Entry::Line { node, line });
                    }
                }
                EpisodeEffect::ItemContext { item } => self.context = Some(item),
                EpisodeEffect::Ask(q) => self.next = Some(Next::Ask(q)),
                EpisodeEffect::End(end) => self.next = Some(Next::End(end)),
                EpisodeEffect::Answered {
                    question,
                    position,
                    correct,
                } => match (question.options[position], correct) {
                    (OptionSource::Choice(choice), _) => self.transcript.push(Entry::Chosen {
                        node: question.node,
                        choice,
                    }),
                    (_, correct) => {
                        let correct = correct.unwrap_or(false);
                        self.transcript.push(Entry::Answered {
                            correct: self.training.then_some(correct),
                        });
                        if self.training && !self.replaying {
                            self.feedback = Some(correct);
                            // Training: the right answer and the ability it shows stay on
                            // screen until Enter.
                            if let QuestionKind::Iae { item, .. } = &question.kind {
                                self.transcript.push(Entry::Feedback {
                                    item: item.clone(),
                                    correct,
                                });
                                self.pending_lines.push_back(Entry::Hold);
                            }
                        }
                    }
                },
                EpisodeEffect::Skipped { .. } => {}
            }
        }
        self.phase = Phase::Reveal;
    }

    /// Count a line revealed by Enter or by reveal-all.
    fn count_reveal(&mut self, e: &Entry, all: bool) {
        let &Entry::Line { node, .. } = e else {
            return;
        };
        let i = match self.reveals.iter().position(|r| r.0 == node) {
            Some(i) => i,
            None => {
                self.reveals.push((node, 0, 0));
                self.reveals.len() - 1
            }
        };
        if all {
            self.reveals[i].2 += 1;
        } else {
            self.reveals[i].1 += 1;
        }
    }

    /// Record how the lines since the last question were revealed (people only; nothing on
    /// replay).
    fn record_reveals(&mut self, recorder: &mut dyn Recorder) -> Result<(), DriverError> {
        let reveals = std::mem::take(&mut self.reveals);
        if self.replaying || reveals.is_empty() {
            return Ok(());
        }
        let events = reveals
            .into_iter()
            .map(|(node, enter, all)| {
                crate::driver::records::lines_revealed(&self.tree, node, enter, all)
            })
            .collect();
        recorder.record(events)?;
        Ok(())
    }

    /// The lines are all visible: ask the next question, or show the ending.
    fn after_reveal(&mut self, recorder: &mut dyn Recorder) -> Notice {
        if let Err(e) = self.record_reveals(recorder) {
            return Notice::Error(driver_error(&e));
        }
        match self.next.take() {
            Some(Next::Ask(q)) => {
                self.show(&q);
                self.announce(recorder)
            }
            Some(Next::End(end)) => self.finish(end, recorder),
            None => Notice::None,
        }
    }

    /// Put a question on screen.
    fn show(&mut self, q: &Question) {
        match &q.kind {
            QuestionKind::Gae => {
                let order = q
                    .options
                    .iter()
                    .filter_map(|o| match o {
                        OptionSource::Choice(c) => Some(*c),
                        _ => None,
                    })
                    .collect();
                self.phase = Phase::Gae(GaeQuestion {
                    node: q.node,
                    order,
                    selected: None,
                    seen: Seen::now(),
                });
            }
            &QuestionKind::Iae {
                ref item,
                index,
                total,
            } => {
                if self.context.take().is_some() {
                    self.show_context(item, index, total);
                }
                let order = q
                    .options
                    .iter()
                    .map(|o| match o {
                        OptionSource::Distractor(k) => *k,
                        OptionSource::Candidate | OptionSource::Choice(_) => 0,
                    })
                    .collect();
                self.phase = Phase::Iae(IaeQuestion {
                    correct: q.correct().unwrap_or(0),
                    order,
                    selected: None,
                    seen: Seen::now(),
                    index,
                    total,
                    item: item.clone(),
                });
            }
        }
    }

    /// IAE mode: each item shows its own context, the path's lines and the choices along it.
    fn show_context(&mut self, item: &ItemRef, index: usize, total: usize) {
        self.transcript.clear();
        self.transcript.push(Entry::ItemHeader { index, total });
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

    /// Record the options now on screen (and restart their clock).
    fn announce(&mut self, recorder: &mut dyn Recorder) -> Notice {
        if self.replaying {
            return Notice::None;
        }
        match &mut self.phase {
            Phase::Gae(q) => q.seen = Seen::now(),
            Phase::Iae(q) => q.seen = Seen::now(),
            _ => return Notice::None,
        }
        self.options_scroll = 0;
        match self.driver.present(recorder) {
            Ok(()) => Notice::None,
            Err(e) => Notice::Error(driver_error(&e)),
        }
    }

    fn finish(&mut self, end: EpisodeEnd, recorder: &mut dyn Recorder) -> Notice {
        if self.mode == Mode::Iae {
            self.transcript.push(Entry::ItemsDone);
        }
        if let Some(node) = end.node {
            self.transcript.push(Entry::Ending {
                node,
                outcome: end.outcome,
                dropped: end.dropped,
            });
        }
        self.phase = Phase::Over;
        self.end_pending = Some(end);
        if self.replaying {
            return Notice::None;
        }
        self.record_end(recorder)
    }
}

fn driver_error(e: &DriverError) -> String {
    e.to_string()
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
