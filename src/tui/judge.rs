//! `socius study run` for pairwise and pointwise studies: one annotator's tasks, onboarding
//! first. The screen is its own small loop (no library, no play): state and keys here, the
//! drawing in `draw`, and every answer written through a [`JudgeSink`] (which flushes) before
//! the next task appears.
//!
//! - Pairwise: two transcripts, side by side from 120 columns, else stacked; each scrolls on
//!   its own (Tab switches focus; ↑↓ PgUp PgDn scroll the focused one). Speakers are the
//!   transcript's own roles (client, therapist, a tree's characters); the systems are never
//!   named: the panes are "Left" and "Right", in the side the assignment drew. `1` left, `2`
//!   right, `0` tie, `b` both bad; then the reason (when the study asks for one).
//! - Pointwise: the transcript and the rubric with its anchors; ↑↓ choose a rubric item, a
//!   digit sets its value (`-` for a negative point), `n` / `p` go to the next / previous
//!   rated turn when rating per turn, Enter submits.
//! - A vote or a rating is refused before `min_seconds` (the screen says how long is left).
//! - After the last onboarding task the annotator is told whether they passed; below the
//!   pass share they are stopped (and stopped again whenever they come back).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::driver::records::study as rec;
use crate::script::model::WorldTree;
use crate::session::{EventBody, JudgmentChoice, SessionRecord};
use crate::study::judged::{JudgedKind, ReasonRule, Side, Task, TaskBody, TaskKind};
use crate::study::judged_record::JudgedQueue;
use crate::study::judged_status::{Answer, Onboarding, onboarding};
use crate::study::transcript::{Speaker, turns};
use crate::tui::i18n::Lang;

/// Where a judgment goes: appended to the annotator's judgment session and flushed.
pub trait JudgeSink {
    /// Append `events` atomically and flush.
    ///
    /// # Errors
    /// The store could not write (the message is shown; the answer is not taken).
    fn record(&mut self, events: Vec<EventBody>) -> Result<(), String>;
    /// Every task is answered: mark the session finished.
    ///
    /// # Errors
    /// As [`JudgeSink::record`].
    fn finish(&mut self) -> Result<(), String>;
}

/// The screen's words in one language.
#[derive(Debug)]
pub struct Words {
    pub task: &'static str,
    pub of: &'static str,
    pub onboarding: &'static str,
    pub left: &'static str,
    pub right: &'static str,
    pub transcript: &'static str,
    pub rubric: &'static str,
    pub keys_pair: &'static str,
    pub keys_point: &'static str,
    pub keys_turn: &'static str,
    pub wait: &'static str,
    pub seconds_left: &'static str,
    pub reason: &'static str,
    pub reason_keys: &'static str,
    pub reason_required: &'static str,
    pub passed: &'static str,
    pub failed: &'static str,
    pub stopped: &'static str,
    pub go_on: &'static str,
    pub done: &'static str,
    pub quit_key: &'static str,
    pub not_set: &'static str,
    pub set_all: &'static str,
    pub out_of_scale: &'static str,
    pub turn: &'static str,
    pub client: &'static str,
    pub therapist: &'static str,
    pub chose: &'static str,
    /// After a turn whose writing was stopped (token limit, or cancelled): what arrived.
    pub cut: &'static str,
    pub no_transcript: &'static str,
    /// The session holds no text to show (e.g. a model's walk that ended before its first
    /// decision).
    pub empty_transcript: &'static str,
    /// A world tree's scenario, the protagonist's goal, a character entering, a walk that
    /// stopped before any ending.
    pub scenario: &'static str,
    pub goal: &'static str,
    pub enters: &'static str,
    pub walk_stopped: &'static str,
    pub saved: &'static str,
    pub not_saved: &'static str,
}

pub const EN: Words = Words {
    task: "Task",
    of: "of",
    onboarding: "Onboarding",
    left: "Left",
    right: "Right",
    transcript: "Transcript",
    rubric: "Rubric",
    keys_pair: "1 left · 2 right · 0 tie · b both bad · Tab switch · ↑↓ scroll · q quit",
    keys_point: "↑↓ item · 0-9 value · PgUp/PgDn scroll · Enter submit · q quit",
    keys_turn: "↑↓ item · 0-9 value · n/p turn · PgUp/PgDn scroll · Enter submit · q quit",
    wait: "Please read on: the answer counts after",
    seconds_left: "s more",
    reason: "Reason",
    reason_keys: "Enter submit · Esc back",
    reason_required: "This study needs a reason for every vote.",
    passed: "Onboarding passed",
    failed: "Onboarding not passed",
    stopped: "You did not pass the onboarding of this study, so there are no tasks for you. Thank you for your time.",
    go_on: "Enter: go on to the tasks",
    done: "All tasks are done. Thank you!",
    quit_key: "q quit",
    not_set: "–",
    set_all: "Give every rubric item a value first.",
    out_of_scale: "That value is outside the scale.",
    turn: "Turn",
    client: "Client",
    therapist: "Therapist",
    chose: "chose",
    cut: "[cut off]",
    no_transcript: "(this transcript could not be read)",
    empty_transcript: "(this session recorded nothing to show: no turns, text or choices)",
    scenario: "Scenario",
    goal: "Goal",
    enters: "enters.",
    walk_stopped: "(The walk stops here, before reaching any ending.)",
    saved: "Saved.",
    not_saved: "Not saved",
};

pub const ZH: Words = Words {
    task: "任务",
    of: "/",
    onboarding: "入门",
    left: "左",
    right: "右",
    transcript: "对话记录",
    rubric: "评分表",
    keys_pair: "1 左 · 2 右 · 0 平 · b 都差 · Tab 切换 · ↑↓ 滚动 · q 退出",
    keys_point: "↑↓ 项目 · 0-9 分值 · PgUp/PgDn 滚动 · Enter 提交 · q 退出",
    keys_turn: "↑↓ 项目 · 0-9 分值 · n/p 轮次 · PgUp/PgDn 滚动 · Enter 提交 · q 退出",
    wait: "请继续阅读：",
    seconds_left: "秒后作答才计入",
    reason: "理由",
    reason_keys: "Enter 提交 · Esc 返回",
    reason_required: "本研究要求每次投票都写理由。",
    passed: "入门测试通过",
    failed: "入门测试未通过",
    stopped: "你没有通过本研究的入门测试，因此没有分配给你的任务。感谢你的时间。",
    go_on: "Enter：开始任务",
    done: "全部任务已完成。谢谢！",
    quit_key: "q 退出",
    not_set: "–",
    set_all: "请先为每个评分项目给出分值。",
    out_of_scale: "该分值超出量表范围。",
    turn: "轮次",
    client: "来访者",
    therapist: "治疗师",
    chose: "选择了",
    cut: "［被截断］",
    no_transcript: "（无法读取此对话记录）",
    empty_transcript: "（此会话没有可显示的内容：没有轮次、文本或选择）",
    scenario: "情景",
    goal: "目标",
    enters: "登场。",
    walk_stopped: "（这次行走在此中止，没有到达任何结局。）",
    saved: "已保存。",
    not_saved: "未保存",
};

#[must_use]
pub const fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Zh => &ZH,
    }
}

/// One line of a transcript as shown: who (a role, never a system), text, and the event's seq
/// when it is a turn that can be rated; `aside` lines (scenario, narration) are set apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TLine {
    pub who: Option<String>,
    pub text: String,
    pub rated_seq: Option<u64>,
    pub aside: bool,
}

/// The lines of a transcript (see [`crate::study::transcript`]): a CR dialogue's turns, or a
/// world-tree walk told from `tree` (the study's copy of the tree it was played on).
#[must_use]
pub fn transcript_lines(record: &SessionRecord, tree: Option<&WorldTree>, w: &Words) -> Vec<TLine> {
    turns(record, tree)
        .into_iter()
        .map(|t| {
            let (who, aside): (Option<String>, bool) = match t.who {
                Speaker::Client => (Some(w.client.to_owned()), false),
                Speaker::Therapist => (Some(w.therapist.to_owned()), false),
                Speaker::Other(name) | Speaker::Character(name) => (Some(name), false),
                Speaker::Scenario => (Some(w.scenario.to_owned()), true),
                Speaker::Goal(name) => (Some(format!("{} ({name})", w.goal)), true),
                Speaker::Narrator | Speaker::Prompt => (None, matches!(t.who, Speaker::Narrator)),
                Speaker::Enters => {
                    return TLine {
                        who: None,
                        text: format!("{} {}", t.text, w.enters),
                        rated_seq: None,
                        aside: true,
                    };
                }
                Speaker::Chose(Some(name)) => (Some(format!("→ {name}")), false),
                Speaker::Chose(None) => (Some(format!("→ {}", w.chose)), false),
                Speaker::Stopped => {
                    return TLine {
                        who: None,
                        text: w.walk_stopped.to_owned(),
                        rated_seq: None,
                        aside: true,
                    };
                }
            };
            // A turn stopped mid-way is shown as such: the judge should not read the missing
            // end as the system's choice.
            let text = if t.cut {
                format!("{} {}", t.text.trim_end(), w.cut)
            } else {
                t.text
            };
            TLine {
                who,
                text,
                rated_seq: t.rated_seq,
                aside,
            }
        })
        .collect()
}

/// What the screen shows now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// A task (index into the assignment).
    Task(usize),
    /// Typing the reason of a vote on task `at`.
    Reason { at: usize, choice: Side0 },
    /// Onboarding just finished: passed or not.
    OnboardingResult {
        passed: bool,
        right: usize,
        total: usize,
    },
    /// Stopped: onboarding failed.
    Stopped,
    /// Nothing left.
    Done,
}

/// A pairwise vote before it is mapped to the event's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side0 {
    Left,
    Right,
    Tie,
    BothBad,
}

impl Side0 {
    fn choice(self) -> JudgmentChoice {
        match self {
            Self::Left => JudgmentChoice::Left,
            Self::Right => JudgmentChoice::Right,
            Self::Tie => JudgmentChoice::Tie,
            Self::BothBad => JudgmentChoice::BothBad,
        }
    }
}

/// The task on screen, with its transcripts loaded.
#[derive(Debug, Clone)]
struct Current {
    at: usize,
    task: Task,
    /// Pairwise: (left session, right session); pointwise: the one session twice.
    left: String,
    right: String,
    left_lines: Option<Vec<TLine>>,
    right_lines: Option<Vec<TLine>>,
    shown_at: Instant,
    scroll: [u16; 2],
    focus: usize,
    /// Pointwise: the rated units (`None` = the dialogue; else turn seqs).
    units: Vec<Option<u64>>,
    unit: usize,
    item: usize,
    /// (unit, rubric item) → value.
    values: BTreeMap<(usize, usize), i64>,
    /// A minus typed before a digit.
    negative: bool,
}

impl Current {
    /// Bring the rated turn near the top of the transcript pane (a line before it stays in
    /// view: usually the turn it answers). `size`: the pane's inner size at the last draw.
    fn scroll_to_unit(&mut self, w: &Words, size: (u16, u16)) {
        let Some(seq) = self.units.get(self.unit).copied().flatten() else {
            return;
        };
        let Some(lines) = &self.left_lines else {
            return;
        };
        let at = lines
            .iter()
            .position(|l| l.rated_seq == Some(seq))
            .unwrap_or(0);
        let before = at.saturating_sub(1);
        let rows = if before == 0 {
            0
        } else {
            lines_of(Some(&lines[..before]), w, None, size.0).len()
        };
        self.scroll[0] = u16::try_from(rows).unwrap_or(u16::MAX);
        self.clamp(0, w, size);
    }

    /// Keep a pane's scroll within its text (it stops once the last row is in view).
    fn clamp(&mut self, side: usize, w: &Words, size: (u16, u16)) {
        if size.0 == 0 {
            return;
        }
        let lines = if side == 0 {
            &self.left_lines
        } else {
            &self.right_lines
        };
        let total = lines_of(lines.as_deref(), w, None, size.0).len();
        let most =
            u16::try_from(total.saturating_sub(usize::from(size.1).max(1))).unwrap_or(u16::MAX);
        self.scroll[side] = self.scroll[side].min(most);
    }
}

/// The judging screen.
pub struct JudgeScreen {
    pub queue: JudgedQueue,
    lang: Lang,
    sink: Box<dyn JudgeSink>,
    answers: BTreeMap<String, Answer>,
    phase: Phase,
    current: Option<Current>,
    reason: String,
    message: Option<(String, bool)>,
    quit: bool,
    /// Onboarding was pending when the screen opened (so its result is shown once done).
    onboarding_open: bool,
    /// The transcript panes' inner size (columns, rows) at the last draw: scrolling counts
    /// wrapped rows.
    pane_size: std::cell::Cell<(u16, u16)>,
}

impl std::fmt::Debug for JudgeScreen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JudgeScreen")
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

impl JudgeScreen {
    /// Open on the first task without an answer (`answers`: what the store already holds).
    #[must_use]
    pub fn new(
        queue: JudgedQueue,
        answers: BTreeMap<String, Answer>,
        lang: Lang,
        sink: Box<dyn JudgeSink>,
        now: Instant,
    ) -> Self {
        let (state, _, _) = onboarding(&queue.plan, &queue.assignment, &answers);
        let mut s = Self {
            queue,
            lang,
            sink,
            answers,
            phase: Phase::Done,
            current: None,
            reason: String::new(),
            message: None,
            quit: false,
            onboarding_open: state == Onboarding::Pending,
            pane_size: std::cell::Cell::new((0, 0)),
        };
        s.advance(now);
        s
    }

    #[must_use]
    pub const fn phase(&self) -> &Phase {
        &self.phase
    }

    #[must_use]
    pub const fn quitting(&self) -> bool {
        self.quit
    }

    #[must_use]
    pub fn answers(&self) -> &BTreeMap<String, Answer> {
        &self.answers
    }

    /// The message under the task (text, whether it is a problem).
    #[must_use]
    pub fn message(&self) -> Option<&(String, bool)> {
        self.message.as_ref()
    }

    /// The id of the task on screen.
    #[must_use]
    pub fn task_id(&self) -> Option<&str> {
        self.current.as_ref().map(|c| c.task.id.as_str())
    }

    const fn words(&self) -> &'static Words {
        words(self.lang)
    }

    fn onboarding_state(&self) -> (Onboarding, usize, usize) {
        onboarding(&self.queue.plan, &self.queue.assignment, &self.answers)
    }

    /// Go to the first task without an answer, or to the onboarding result, or to the end.
    fn advance(&mut self, now: Instant) {
        self.current = None;
        let (state, right, total) = self.onboarding_state();
        if state == Onboarding::Failed {
            self.phase = if self.onboarding_open {
                self.onboarding_open = false;
                Phase::OnboardingResult {
                    passed: false,
                    right,
                    total,
                }
            } else {
                Phase::Stopped
            };
            return;
        }
        if state == Onboarding::Passed && self.onboarding_open {
            self.onboarding_open = false;
            self.phase = Phase::OnboardingResult {
                passed: true,
                right,
                total,
            };
            return;
        }
        let next = self
            .queue
            .assignment
            .tasks
            .iter()
            .position(|t| !self.answers.contains_key(&t.task));
        let Some(at) = next else {
            if let Err(e) = self.sink.finish() {
                self.message = Some((format!("{}: {e}", self.words().not_saved), true));
            }
            self.phase = Phase::Done;
            return;
        };
        self.open(at, now);
    }

    fn open(&mut self, at: usize, now: Instant) {
        let assigned = self.queue.assignment.tasks[at].clone();
        let Some(task) = self.queue.task(&assigned.task).cloned() else {
            self.message = Some((format!("task {} is not in the plan", assigned.task), true));
            self.phase = Phase::Done;
            return;
        };
        let w = self.words();
        let load = |s: &str| {
            self.queue.transcript(s).ok().map(|r| {
                let tree = self.queue.tree(&r.session.script.id);
                transcript_lines(&r, tree, w)
            })
        };
        let (left, right) = match &task.body {
            TaskBody::Pair { a, b, .. } => match assigned.left.unwrap_or(Side::A) {
                Side::A => (a.session.clone(), b.session.clone()),
                Side::B => (b.session.clone(), a.session.clone()),
            },
            TaskBody::Transcript { shown, .. } => (shown.session.clone(), shown.session.clone()),
        };
        let left_lines = load(&left);
        let pair = matches!(task.body, TaskBody::Pair { .. });
        let right_lines = if pair { load(&right) } else { None };
        let per_turn = self
            .queue
            .plan
            .rubric
            .as_ref()
            .is_some_and(|r| r.per == crate::script::study::model::RatePer::Turn);
        let mut units: Vec<Option<u64>> = if per_turn {
            left_lines
                .iter()
                .flatten()
                .filter_map(|l| l.rated_seq.map(Some))
                .collect()
        } else {
            Vec::new()
        };
        if units.is_empty() {
            units.push(None);
        }
        self.current = Some(Current {
            at,
            task,
            left,
            right,
            left_lines,
            right_lines,
            shown_at: now,
            scroll: [0, 0],
            focus: 0,
            units,
            unit: 0,
            item: 0,
            values: BTreeMap::new(),
            negative: false,
        });
        self.phase = Phase::Task(at);
    }

    /// Seconds still to wait before an answer counts (0: it counts).
    #[must_use]
    pub fn seconds_left(&self, now: Instant) -> u64 {
        let Some(c) = &self.current else { return 0 };
        let need = Duration::from_secs(u64::from(self.queue.plan.min_seconds));
        let seen = now.saturating_duration_since(c.shown_at);
        need.saturating_sub(seen).as_secs_f64().ceil() as u64
    }

    fn too_early(&mut self, now: Instant) -> bool {
        let left = self.seconds_left(now);
        if left > 0 {
            let w = self.words();
            self.message = Some((format!("{} {left} {}", w.wait, w.seconds_left), true));
            return true;
        }
        false
    }

    fn latency(&self, now: Instant) -> u64 {
        self.current.as_ref().map_or(0, |c| {
            u64::try_from(now.saturating_duration_since(c.shown_at).as_millis()).unwrap_or(u64::MAX)
        })
    }

    /// Write the events, then take the answer and move on (not before the sink said yes).
    fn commit(&mut self, events: Vec<EventBody>, answer: Answer, now: Instant) {
        let Some(c) = &self.current else { return };
        let id = c.task.id.clone();
        match self.sink.record(events) {
            Ok(()) => {
                self.answers.insert(id, answer);
                self.reason.clear();
                self.message = Some((self.words().saved.to_owned(), false));
                self.advance(now);
            }
            Err(e) => {
                self.message = Some((format!("{}: {e}", self.words().not_saved), true));
            }
        }
    }

    fn vote(&mut self, choice: Side0, now: Instant) {
        if self.too_early(now) {
            return;
        }
        let Some(c) = &self.current else { return };
        if self.queue.plan.reason == ReasonRule::None {
            self.submit_vote(choice, now);
        } else {
            self.phase = Phase::Reason { at: c.at, choice };
            self.message = None;
        }
    }

    fn submit_vote(&mut self, choice: Side0, now: Instant) {
        let Some(c) = &self.current else { return };
        if self.queue.plan.reason == ReasonRule::Required && self.reason.trim().is_empty() {
            self.message = Some((self.words().reason_required.to_owned(), true));
            return;
        }
        let ev = rec::judgment(
            &c.task.id,
            &c.left,
            &c.right,
            choice.choice(),
            &self.reason,
            self.latency(now),
        );
        let answer = Answer::Vote {
            left: c.left.clone(),
            right: c.right.clone(),
            choice: choice.choice(),
        };
        self.commit(vec![ev], answer, now);
    }

    fn submit_ratings(&mut self, now: Instant) {
        let Some(rubric) = self.queue.plan.rubric.clone() else {
            return;
        };
        let Some(c) = &self.current else { return };
        let mut values = Vec::new();
        let mut given: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (u, unit) in c.units.iter().enumerate() {
            for (i, item) in rubric.items.iter().enumerate() {
                let Some(v) = c.values.get(&(u, i)) else {
                    self.message = Some((self.words().set_all.to_owned(), true));
                    return;
                };
                values.push((item.id.clone(), *unit, *v));
                #[expect(clippy::cast_precision_loss, reason = "rubric points are small")]
                given.entry(item.id.clone()).or_default().push(*v as f64);
            }
        }
        let task = c.task.id.clone();
        if self.too_early(now) {
            return;
        }
        let events = rec::ratings(&task, &values);
        self.commit(events, Answer::Ratings(given), now);
    }

    /// Pasted text: typed into the reason when one is being written, else ignored (a paste
    /// must never vote or rate).
    pub fn paste(&mut self, text: &str, now: Instant) {
        if matches!(self.phase, Phase::Reason { .. }) {
            for ch in text.chars() {
                let ch = if ch.is_control() { ' ' } else { ch };
                self.key(KeyEvent::from(KeyCode::Char(ch)), now);
            }
        }
    }

    /// Handle a key at time `now`.
    pub fn key(&mut self, key: KeyEvent, now: Instant) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        match self.phase.clone() {
            Phase::Reason { choice, .. } => match key.code {
                KeyCode::Enter => self.submit_vote(choice, now),
                KeyCode::Esc => {
                    if let Some(c) = &self.current {
                        self.phase = Phase::Task(c.at);
                    }
                    self.message = None;
                }
                KeyCode::Backspace => {
                    self.reason.pop();
                }
                KeyCode::Char(ch) if !crate::term::is_unsafe(ch) => self.reason.push(ch),
                _ => {}
            },
            Phase::OnboardingResult { passed, .. } => match key.code {
                KeyCode::Enter if passed => self.advance(now),
                KeyCode::Enter | KeyCode::Char('q') | KeyCode::Esc if !passed => {
                    self.phase = Phase::Stopped;
                }
                KeyCode::Char('q') => self.quit = true,
                _ => {}
            },
            Phase::Stopped | Phase::Done => {
                if matches!(key.code, KeyCode::Char('q') | KeyCode::Esc | KeyCode::Enter) {
                    self.quit = true;
                }
            }
            Phase::Task(_) => self.task_key(key, now),
        }
    }

    fn task_key(&mut self, key: KeyEvent, now: Instant) {
        let pairwise = self.queue.plan.kind == JudgedKind::Pairwise;
        let items = self.queue.plan.rubric.as_ref().map_or(0, |r| r.items.len());
        let w = self.words();
        let size = self.pane_size.get();
        let Some(c) = self.current.as_mut() else {
            return;
        };
        let scroll = |c: &mut Current, d: i32| {
            let f = c.focus;
            c.scroll[f] = c.scroll[f].saturating_add_signed(i16::try_from(d).unwrap_or(0));
            c.clamp(f, w, size);
        };
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => self.quit = true,
            KeyCode::Tab | KeyCode::BackTab if pairwise => c.focus = 1 - c.focus,
            KeyCode::Left if pairwise => c.focus = 0,
            KeyCode::Right if pairwise => c.focus = 1,
            KeyCode::Up | KeyCode::Char('k') if pairwise => scroll(c, -1),
            KeyCode::Down | KeyCode::Char('j') if pairwise => scroll(c, 1),
            KeyCode::PageUp => scroll(c, -10),
            KeyCode::PageDown => scroll(c, 10),
            KeyCode::Home => c.scroll[c.focus] = 0,
            KeyCode::Char('1') if pairwise => self.vote(Side0::Left, now),
            KeyCode::Char('2') if pairwise => self.vote(Side0::Right, now),
            KeyCode::Char('0') if pairwise => self.vote(Side0::Tie, now),
            KeyCode::Char('b') if pairwise => self.vote(Side0::BothBad, now),
            KeyCode::Up if !pairwise => c.item = c.item.saturating_sub(1),
            KeyCode::Down if !pairwise => c.item = (c.item + 1).min(items.saturating_sub(1)),
            KeyCode::Char('n') if !pairwise => {
                c.unit = (c.unit + 1).min(c.units.len() - 1);
                c.scroll_to_unit(w, size);
            }
            KeyCode::Char('p') if !pairwise => {
                c.unit = c.unit.saturating_sub(1);
                c.scroll_to_unit(w, size);
            }
            KeyCode::Char('-') if !pairwise => c.negative = !c.negative,
            KeyCode::Char(d) if !pairwise && d.is_ascii_digit() => {
                let v = i64::from(d.to_digit(10).unwrap_or(0));
                let v = if c.negative { -v } else { v };
                c.negative = false;
                let scale = self
                    .queue
                    .plan
                    .rubric
                    .as_ref()
                    .and_then(|r| r.items.get(c.item))
                    .map(|i| i.scale);
                if scale.is_some_and(|[lo, hi]| v >= lo && v <= hi) {
                    c.values.insert((c.unit, c.item), v);
                    self.message = None;
                } else {
                    self.message = Some((self.words().out_of_scale.to_owned(), true));
                }
            }
            KeyCode::Enter if !pairwise => self.submit_ratings(now),
            _ => {}
        }
    }

    /// (n, m) of the task on screen among onboarding or the rest, and whether it is onboarding.
    fn progress(&self, at: usize) -> (usize, usize, bool) {
        let kinds: Vec<TaskKind> = self
            .queue
            .assignment
            .tasks
            .iter()
            .map(|t| self.queue.task(&t.task).map_or(TaskKind::Real, |t| t.kind))
            .collect();
        let onb = kinds.iter().filter(|k| **k == TaskKind::Onboarding).count();
        if kinds.get(at) == Some(&TaskKind::Onboarding) {
            (at + 1, onb, true)
        } else {
            (at + 1 - onb.min(at), kinds.len() - onb, false)
        }
    }

    /// Draw the screen at time `now` (for the seconds left).
    pub fn draw(&self, frame: &mut Frame<'_>, now: Instant) {
        draw(self, frame, now);
    }
}

fn clean(s: &str) -> String {
    crate::term::clean(s).into_owned()
}

/// A transcript's rows for a pane `width` columns wide (0: unwrapped), wrapped here by display
/// width so Chinese breaks between characters: `who: ` leads the first row and the rest hang
/// under the text (a lead wider than half the pane gets a row of its own). The rated turn
/// `mark` is marked `▶` and shown reversed.
fn lines_of(tl: Option<&[TLine]>, w: &Words, mark: Option<u64>, width: u16) -> Vec<Line<'static>> {
    let width = if width == 0 {
        usize::MAX / 4
    } else {
        usize::from(width)
    };
    let Some(tl) = tl else {
        return para(w.no_transcript, width, Style::new());
    };
    if tl.is_empty() {
        return para(w.empty_transcript, width, Style::new());
    }
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut out = Vec::new();
    for l in tl {
        let marked = mark.is_some() && l.rated_seq == mark;
        let style = if marked {
            Style::new().add_modifier(Modifier::REVERSED)
        } else if l.aside {
            Style::new().add_modifier(Modifier::ITALIC)
        } else {
            Style::new()
        };
        let arrow = if marked { "▶ " } else { "" };
        let who = l.who.as_deref().map(|who| format!("{}: ", clean(who)));
        let lead_w =
            crate::tui::wrap::width(arrow) + who.as_deref().map_or(0, crate::tui::wrap::width);
        let text = clean(&l.text);
        if lead_w * 2 > width {
            // A long name: on a row of its own, the text under it at full width.
            out.push(Line::from(vec![
                Span::raw(arrow),
                Span::styled(who.unwrap_or_default(), bold),
            ]));
            out.extend(para(&text, width, style));
            continue;
        }
        for (k, row) in crate::tui::wrap::wrap(&text, width - lead_w)
            .into_iter()
            .enumerate()
        {
            let mut spans = Vec::with_capacity(3);
            if k == 0 {
                spans.push(Span::raw(arrow));
                if let Some(who) = &who {
                    spans.push(Span::styled(who.clone(), bold));
                }
            } else if lead_w > 0 {
                spans.push(Span::raw(" ".repeat(lead_w)));
            }
            spans.push(Span::styled(row, style));
            out.push(Line::from(spans));
        }
    }
    out
}

/// `text` wrapped to `width` in one style.
fn para(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    crate::tui::wrap::wrap(text, width)
        .into_iter()
        .map(|row| Line::styled(row, style))
        .collect()
}

fn pane(
    title: String,
    lines: Vec<Line<'static>>,
    scroll: u16,
    focused: bool,
) -> Paragraph<'static> {
    let block = Block::bordered().title(title);
    let block = if focused {
        block.border_style(Style::new().add_modifier(Modifier::BOLD))
    } else {
        block
    };
    // Already wrapped by `lines_of`.
    Paragraph::new(lines).block(block).scroll((scroll, 0))
}

/// A bordered pane's inner size.
const fn inner(area: Rect) -> (u16, u16) {
    (area.width.saturating_sub(2), area.height.saturating_sub(2))
}

fn centered(frame: &mut Frame<'_>, lines: Vec<Line<'static>>) {
    let area = frame.area();
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered())
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn draw(s: &JudgeScreen, frame: &mut Frame<'_>, now: Instant) {
    let w = s.words();
    let bold = Style::new().add_modifier(Modifier::BOLD);
    match &s.phase {
        Phase::Done => {
            let mut l = vec![Line::styled(w.done, bold)];
            if let Some((m, true)) = &s.message {
                l.push(Line::from(clean(m)));
            }
            l.push(Line::from(w.quit_key));
            centered(frame, l);
            return;
        }
        Phase::Stopped => {
            centered(frame, vec![Line::from(w.stopped), Line::from(w.quit_key)]);
            return;
        }
        Phase::OnboardingResult {
            passed,
            right,
            total,
        } => {
            let head = if *passed { w.passed } else { w.failed };
            let mut l = vec![Line::styled(format!("{head}: {right} / {total}"), bold)];
            if *passed {
                l.push(Line::from(w.go_on));
            } else {
                l.push(Line::from(w.stopped));
            }
            l.push(Line::from(w.quit_key));
            centered(frame, l);
            return;
        }
        Phase::Task(_) | Phase::Reason { .. } => {}
    }
    let Some(c) = &s.current else { return };
    let area = frame.area();
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(2),
    ])
    .areas(area);
    let (n, m, onb) = s.progress(c.at);
    let label = if onb { w.onboarding } else { w.task };
    let mut top = vec![Line::styled(
        format!("{} · {label} {n} {} {m}", clean(&s.queue.plan.id), w.of),
        bold,
    )];
    if let Some(q) = &s.queue.plan.question {
        top.push(Line::from(clean(q)));
    }
    frame.render_widget(Paragraph::new(top).wrap(Wrap { trim: true }), head);
    if s.queue.plan.kind == JudgedKind::Pairwise {
        let [a, b] = if area.width >= 120 {
            Layout::horizontal([Constraint::Percentage(50); 2]).areas(body)
        } else {
            Layout::vertical([Constraint::Percentage(50); 2]).areas(body)
        };
        s.pane_size.set(inner(a));
        frame.render_widget(
            pane(
                w.left.to_owned(),
                lines_of(c.left_lines.as_deref(), w, None, inner(a).0),
                c.scroll[0],
                c.focus == 0,
            ),
            a,
        );
        frame.render_widget(
            pane(
                w.right.to_owned(),
                lines_of(c.right_lines.as_deref(), w, None, inner(b).0),
                c.scroll[1],
                c.focus == 1,
            ),
            b,
        );
    } else {
        draw_pointwise(s, c, frame, body);
    }
    let mut f = Vec::new();
    if let Phase::Reason { .. } = s.phase {
        f.push(Line::from(vec![
            Span::styled(format!("{}: ", w.reason), bold),
            Span::raw(clean(&s.reason)),
            Span::raw("▏"),
        ]));
        // A refused submit (a required reason left empty) says why in place of the keys.
        f.push(match &s.message {
            Some((m, true)) => Line::from(clean(m)),
            _ => Line::from(w.reason_keys),
        });
    } else {
        let left = s.seconds_left(now);
        // The countdown is live; a refused early answer's message goes with it.
        let first = if left > 0 {
            format!("{} {left} {}", w.wait, w.seconds_left)
        } else {
            match &s.message {
                Some((m, _)) if !m.starts_with(w.wait) => clean(m),
                _ => String::new(),
            }
        };
        f.push(Line::from(first));
        let keys = match (&s.queue.plan.kind, c.units.len() > 1) {
            (JudgedKind::Pairwise, _) => w.keys_pair,
            (JudgedKind::Pointwise, false) => w.keys_point,
            (JudgedKind::Pointwise, true) => w.keys_turn,
        };
        f.push(Line::from(keys));
    }
    frame.render_widget(Paragraph::new(f).wrap(Wrap { trim: true }), foot);
}

fn draw_pointwise(s: &JudgeScreen, c: &Current, frame: &mut Frame<'_>, body: Rect) {
    let w = s.words();
    let [a, b] = if body.width >= 120 {
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body)
    } else {
        // Stacked: the rubric as tall as its lines (at most half), the transcript the rest.
        let rubric_rows = s.queue.plan.rubric.as_ref().map_or(0, |r| {
            r.items
                .iter()
                .map(|i| 1 + usize::from(!i.anchors.is_empty()))
                .sum::<usize>()
        }) + usize::from(c.units.len() > 1)
            + 2;
        let rubric_rows = u16::try_from(rubric_rows)
            .unwrap_or(u16::MAX)
            .min(body.height / 2);
        Layout::vertical([Constraint::Min(3), Constraint::Length(rubric_rows)]).areas(body)
    };
    s.pane_size.set(inner(a));
    let mark = c.units.get(c.unit).copied().flatten();
    frame.render_widget(
        pane(
            w.transcript.to_owned(),
            lines_of(c.left_lines.as_deref(), w, mark, inner(a).0),
            c.scroll[0],
            false,
        ),
        a,
    );
    let Some(rubric) = &s.queue.plan.rubric else {
        return;
    };
    let mut l = Vec::new();
    if c.units.len() > 1 {
        l.push(Line::from(format!(
            "{} {} {} {}",
            w.turn,
            c.unit + 1,
            w.of,
            c.units.len()
        )));
    }
    for (i, item) in rubric.items.iter().enumerate() {
        let sel = i == c.item;
        let value = c
            .values
            .get(&(c.unit, i))
            .map_or_else(|| w.not_set.to_owned(), ToString::to_string);
        let style = if sel {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        };
        l.push(Line::styled(
            format!(
                "{}{} [{}, {}]: {value}",
                if sel { "▶ " } else { "  " },
                clean(&item.question),
                item.scale[0],
                item.scale[1]
            ),
            style,
        ));
        let anchors: Vec<String> = item
            .anchors
            .iter()
            .map(|(p, label)| format!("{p} = {}", clean(label)))
            .collect();
        if !anchors.is_empty() {
            l.push(Line::from(format!("    {}", anchors.join(" · "))));
        }
    }
    frame.render_widget(
        Paragraph::new(l)
            .block(Block::bordered().title(w.rubric))
            .wrap(Wrap { trim: false }),
        b,
    );
}

/// Run the screen until the annotator quits, the source ends, a terminating signal comes or
/// the terminal goes away (every answer is already stored by then). Redrawn at least every
/// quarter second, so the seconds still to wait count down.
///
/// # Errors
/// Drawing or reading failed.
pub fn run_loop<B: ratatui::backend::Backend>(
    terminal: &mut ratatui::Terminal<B>,
    screen: &mut JudgeScreen,
    source: &mut dyn crate::tui::run::EventSource,
) -> std::io::Result<()>
where
    B::Error: std::error::Error + Send + Sync + 'static,
{
    use std::sync::mpsc::{self, RecvTimeoutError};

    use crate::tui::app::Msg;
    let (tx, rx) = mpsc::channel();
    source.attach(tx, 1)?;
    let result = loop {
        if let Err(e) = terminal.draw(|f| screen.draw(f, Instant::now())) {
            break Err(std::io::Error::other(e));
        }
        if screen.quitting() {
            break Ok(());
        }
        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(Msg::Key(k)) => screen.key(k, Instant::now()),
            Ok(Msg::Paste(p)) => screen.paste(&p, Instant::now()),
            Ok(Msg::Signal(_) | Msg::InputClosed | Msg::End(_))
            | Err(RecvTimeoutError::Disconnected) => break Ok(()),
            Ok(_) | Err(RecvTimeoutError::Timeout) => {}
        }
    };
    source.detach();
    result
}

/// Run the screen on the terminal, restoring it on every way out (quit, error, panic, a
/// terminating signal, the terminal going away). Returns the signal that ended it, if one did.
///
/// # Errors
/// The terminal could not be set up, drawn on or read.
pub fn run_terminal(screen: &mut JudgeScreen) -> std::io::Result<Option<i32>> {
    use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
    use crossterm::execute;
    let mut source = crate::tui::run::Crossterm::with_signals()?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(std::io::stdout(), DisableBracketedPaste);
        ratatui::restore();
        previous(info);
    }));
    let mut terminal = ratatui::try_init()?;
    let result = execute!(std::io::stdout(), EnableBracketedPaste)
        .and_then(|()| run_loop(&mut terminal, screen, &mut source));
    let _ = execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    let _ = std::panic::take_hook();
    result?;
    if source.closed() {
        return Err(std::io::Error::other(
            "the terminal went away; every answer given is saved",
        ));
    }
    Ok(source.signal())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_transcript_says_so_and_an_unreadable_one_too() {
        let w = words(Lang::En);
        let text = |lines: Vec<Line<'static>>| {
            lines
                .iter()
                .map(std::string::ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(text(lines_of(Some(&[]), w, None, 80)), w.empty_transcript);
        assert_eq!(text(lines_of(None, w, None, 80)), w.no_transcript);
        let one = vec![TLine {
            who: Some("Client".into()),
            text: "hi\u{1b}]0;x".into(),
            rated_seq: None,
            aside: false,
        }];
        // Text from a session is escaped before it reaches the terminal.
        assert_eq!(
            text(lines_of(Some(&one), w, None, 80)),
            "Client: hi\\x1b]0;x"
        );
    }
    #[test]
    fn a_turn_cut_off_is_marked() {
        use crate::session::{NewSession, ScriptRef, SessionKind, Who};
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path()).unwrap();
        let s = store
            .create(NewSession::new(
                SessionKind::CrDialogue,
                ScriptRef::new("case", b"case"),
                Who::annotator("t"),
                0,
            ))
            .unwrap();
        for (text, cut) in [("I keep failing.", false), ("Let me just finish the", true)] {
            let speaker = if cut { "therapist" } else { "client" };
            let turn: crate::session::CrTurn = serde_json::from_value(serde_json::json!({
                "speaker": speaker, "text": text, "cut": cut
            }))
            .unwrap();
            store.append(s.id, EventBody::CrTurn(turn)).unwrap();
        }
        let record = store.record(s.id).unwrap();
        for lang in [Lang::En, Lang::Zh] {
            let w = words(lang);
            let lines = transcript_lines(&record, None, w);
            assert_eq!(lines[0].text, "I keep failing.");
            assert_eq!(lines[1].text, format!("Let me just finish the {}", w.cut));
        }
    }
}
