//! The CR dialogue screen's state: a therapist and a client — each the person at the keyboard
//! or a model — in a staged cognitive-restructuring dialogue ([`CrDriver`]).
//!
//! The screen opens on a notice (socius is a research and training tool, not treatment), asks a
//! human client for the protocol's measures before the first turn and after the end, and in
//! between takes turns: typed (a human therapist then tags each sentence with its strategy, and
//! may mark the stage's goal met and the distortions found), or streamed from a model (a cancel
//! keeps what arrived as a cut turn). A clinician may override the stage machine, rate turns,
//! and after a safety stop reads the handoff before resuming or finishing.
//!
//! Like the play screen, every step is taken on a copy of the driver whose events are collected;
//! the copy replaces the screen's state only once the store has written (and flushed) them. A
//! failed write leaves the screen where it was, the typed turn still in the editor. The state
//! does no I/O: what it needs done is queued as [`CrOut`]s for the app to run.

pub mod chat;
pub mod dialogs;
mod keys;
pub mod text;

use std::sync::Arc;
use std::time::Instant;

use ratatui_textarea::TextArea;

use self::chat::ChatEntry;
use self::dialogs::{MeasureInput, Menu, RateDialog, Tagging};
use crate::driver::cr::{CrDriver, SharedScreen};
use crate::driver::cr_replay::{CrReplayError, replay};
use crate::driver::{Agent, Answer, Reply, SaidTurn, TurnRequest};
use crate::engine::cr::{CrPolicy, Effect, Override, PolicyError, Speaker, TurnLabels};
use crate::script::cr::safety::Screener;
use crate::script::cr::{CrCase, CrProtocol};
use crate::session::{Event, EventBody};
use crate::tui::app::Collect;
use crate::tui::i18n::{CR_NOTICE_NOTE, Lang};

/// Who plays a role, as the screen knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleKind {
    /// The person at the keyboard.
    Human,
    /// A model, by the name shown.
    Model(String),
}

impl RoleKind {
    #[must_use]
    pub const fn is_human(&self) -> bool {
        matches!(self, Self::Human)
    }
}

/// Who plays the therapist and the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles {
    pub therapist: RoleKind,
    pub client: RoleKind,
}

impl Roles {
    #[must_use]
    pub const fn of(&self, s: Speaker) -> &RoleKind {
        match s {
            Speaker::Therapist => &self.therapist,
            Speaker::Client => &self.client,
        }
    }
}

/// A model agent for a role, and how it is named (on screen and in the session's record).
#[derive(Clone)]
pub struct ModelRole {
    pub agent: Arc<dyn Agent>,
    /// The model's name.
    pub name: String,
    /// The endpoint's host (never a key).
    pub endpoint_host: String,
}

impl std::fmt::Debug for ModelRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelRole")
            .field("name", &self.name)
            .field("endpoint_host", &self.endpoint_host)
            .finish_non_exhaustive()
    }
}

/// Who plays a role: the person at the keyboard, or a model agent (any [`Agent`]: the LLM
/// agents of `agent::llm::cr`, a scripted agent in tests).
#[derive(Debug, Clone)]
pub enum Role {
    Human,
    Model(ModelRole),
}

impl Role {
    #[must_use]
    pub fn kind(&self) -> RoleKind {
        match self {
            Self::Human => RoleKind::Human,
            Self::Model(m) => RoleKind::Model(m.name.clone()),
        }
    }
}

/// The two roles of a dialogue.
#[derive(Debug, Clone)]
pub struct CrAgents {
    pub therapist: Role,
    pub client: Role,
}

impl CrAgents {
    #[must_use]
    pub fn kinds(&self) -> Roles {
        Roles {
            therapist: self.therapist.kind(),
            client: self.client.kind(),
        }
    }

    /// The model agent of `speaker`, if a model plays it.
    #[must_use]
    pub fn model(&self, speaker: Speaker) -> Option<&ModelRole> {
        match (speaker, &self.therapist, &self.client) {
            (Speaker::Therapist, Role::Model(m), _) | (Speaker::Client, _, Role::Model(m)) => {
                Some(m)
            }
            _ => None,
        }
    }
}

/// Where the screen is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// The research-tool notice; Enter dismisses it (recorded as a `note`).
    Notice,
    /// A pre or post measure.
    Measure(MeasureInput),
    /// Turns are taken (who is asked, a pause, is read from the driver).
    Dialogue,
    /// Finished (and measured).
    Over,
}

/// What the dialogue waits for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// The person types this role's turn.
    Human(Speaker),
    /// A model writes this role's turn.
    Model(Speaker),
    /// A safety stop: the handoff is shown until the clinician resumes or finishes.
    Handoff,
    /// The dialogue has not started or is over, or nobody is asked.
    Nothing,
}

/// A model's turn being written.
#[derive(Debug, Clone)]
pub struct Stream {
    pub ticket: u64,
    pub speaker: Speaker,
    /// What has arrived so far.
    pub text: String,
    started: Instant,
    /// Cancelled by the person: later chunks and the reply are ignored.
    cancelled: bool,
    /// The reply whose turn could not be stored: Enter tries again.
    pub retry: Option<Reply>,
}

/// A dialog over the dialogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    Override(Menu),
    Rate(RateDialog),
}

/// What the screen asks the app to do.
#[derive(Debug)]
pub enum CrOut {
    /// Write (and flush) these events; answer with [`CrScreen::recorded`].
    Record(Vec<EventBody>),
    /// Ask the model of `speaker`; its chunks and reply come back with `ticket`.
    Ask {
        ticket: u64,
        speaker: Speaker,
        request: TurnRequest,
    },
    /// Stop asking (the person cancelled).
    Cancel { ticket: u64 },
    /// Store ratings about turn `index` (`None`: the dialogue), with the turn's stored `seq`
    /// read back from the store; answer with [`CrScreen::rated`].
    Rate {
        index: Option<u32>,
        ratings: Vec<(String, f64)>,
    },
    /// A message for the status bar (`true`: an error).
    Status(String, bool),
}

/// What a key asks of the app around the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOutcome {
    Handled,
    /// Esc: leave the screen (the app asks first while the session is open).
    Leave,
    Help,
    Quit,
}

/// What happens once a step's events are stored.
#[derive(Debug)]
enum Then {
    Nothing,
    Notice,
    Measured(String),
    /// A typed turn: the editor and the tags are cleared.
    HumanTurn,
    /// A model's turn (kept to try again if it could not be stored).
    ModelTurn(Box<Reply>),
}

#[derive(Debug)]
struct Step {
    driver: Option<CrDriver>,
    events: Vec<EventBody>,
    then: Then,
}

/// Where a dialogue's case and protocol files are, when they moved since it was stored (the
/// session records their paths and content hashes).
#[derive(Debug, Clone, Default)]
pub struct CrFiles {
    pub case: Option<std::path::PathBuf>,
    pub protocol: Option<std::path::PathBuf>,
}

/// What a new dialogue is made of.
#[derive(Debug, Clone)]
pub struct CrSetup {
    pub protocol: Arc<CrProtocol>,
    pub case: Arc<CrCase>,
    pub roles: Roles,
    pub lang: Lang,
}

/// The CR screen.
#[derive(Debug)]
pub struct CrScreen {
    pub protocol: Arc<CrProtocol>,
    pub case: Arc<CrCase>,
    pub roles: Roles,
    pub lang: Lang,
    driver: CrDriver,
    pub chat: Vec<ChatEntry>,
    pub phase: Phase,
    pub editor: TextArea<'static>,
    pub tagging: Option<Tagging>,
    pub stream: Option<Stream>,
    pub dialog: Option<Dialog>,
    /// Lines the chat is scrolled back from its newest line.
    pub scroll: usize,
    notice_done: bool,
    /// Measures recorded (`belief_pre`, …).
    measured: Vec<String>,
    /// When the turn the person is typing was asked (for its latency), and which turn.
    asked: Option<(usize, Speaker, Instant)>,
    next_ticket: u64,
    pending: Option<Box<Step>>,
    out: Vec<CrOut>,
}

/// A fresh driver for a protocol: every turn screened but a human therapist's.
fn driver_for(protocol: &CrProtocol, roles: &Roles) -> Result<CrDriver, PolicyError> {
    let screen: SharedScreen = Arc::new(Screener::of(protocol));
    let driver = CrDriver::new(CrPolicy::from(protocol), screen)?;
    Ok(if roles.therapist.is_human() {
        driver.without_screening(Speaker::Therapist)
    } else {
        driver
    })
}

fn rejected(effects: &[Effect]) -> Option<crate::engine::cr::Rejection> {
    effects.iter().find_map(|e| match e {
        Effect::Rejected { why, .. } => Some(*why),
        _ => None,
    })
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl CrScreen {
    /// A new dialogue, on its notice.
    ///
    /// # Errors
    /// The protocol's staging cannot run.
    pub fn new(setup: CrSetup) -> Result<Self, PolicyError> {
        let driver = driver_for(&setup.protocol, &setup.roles)?;
        Ok(Self {
            protocol: setup.protocol,
            case: setup.case,
            roles: setup.roles,
            lang: setup.lang,
            driver,
            chat: Vec::new(),
            phase: Phase::Notice,
            editor: TextArea::default(),
            tagging: None,
            stream: None,
            dialog: None,
            scroll: 0,
            notice_done: false,
            measured: Vec::new(),
            asked: None,
            next_ticket: 0,
            pending: None,
            out: Vec::new(),
        })
    }

    /// A stored dialogue, continued: its turns and overrides replayed, its chat rebuilt from
    /// its events, the screen where it stopped (the model asked again if one was writing).
    ///
    /// # Errors
    /// The protocol cannot run, or the stored dialogue does not replay under it.
    pub fn resume(setup: CrSetup, events: &[Event]) -> Result<Self, CrReplayError> {
        let fresh =
            driver_for(&setup.protocol, &setup.roles).map_err(|e| CrReplayError::DoesNotFit {
                seq: 0,
                why: e.to_string(),
            })?;
        let bodies: Vec<EventBody> = events.iter().map(|e| e.body.clone()).collect();
        let (driver, _) = replay(fresh, &bodies)?;
        let mut screen = Self::new(setup).map_err(|e| CrReplayError::DoesNotFit {
            seq: 0,
            why: e.to_string(),
        })?;
        screen.driver = driver;
        for e in &bodies {
            chat::push(&mut screen.chat, e);
            match e {
                EventBody::Note(n) if n.text == CR_NOTICE_NOTE => screen.notice_done = true,
                EventBody::Rating(r) if r.about_seq.is_none() => {
                    screen.measured.push(r.name.clone());
                }
                _ => {}
            }
        }
        // A stored session has passed its notice (it was created with it).
        screen.notice_done = true;
        screen.settle();
        Ok(screen)
    }

    /// What the screen asked for since last asked.
    pub fn take_out(&mut self) -> Vec<CrOut> {
        std::mem::take(&mut self.out)
    }

    /// The driver as stored.
    #[must_use]
    pub const fn driver(&self) -> &CrDriver {
        &self.driver
    }

    /// A step's events are being written.
    #[must_use]
    pub fn saving(&self) -> bool {
        self.pending.is_some()
    }

    /// The session is open (not over): leaving asks first.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.phase != Phase::Over
    }

    /// A model's turn is being written (its reply has not come yet).
    #[must_use]
    pub fn model_pending(&self) -> bool {
        self.stream
            .as_ref()
            .is_some_and(|s| !s.cancelled && s.retry.is_none())
    }

    /// What the dialogue waits for.
    #[must_use]
    pub fn waiting(&self) -> Waiting {
        if self.phase != Phase::Dialogue {
            return Waiting::Nothing;
        }
        if self.driver.is_paused() {
            return Waiting::Handoff;
        }
        match self.driver.asked() {
            Some(s) if self.roles.of(s).is_human() => Waiting::Human(s),
            Some(s) => Waiting::Model(s),
            None => Waiting::Nothing,
        }
    }

    /// The measure in a [`Phase::Measure`], with the rating name it records.
    #[must_use]
    pub fn measure(&self) -> Option<(&crate::script::cr::model::Measure, String)> {
        let Phase::Measure(m) = &self.phase else {
            return None;
        };
        let measure = self.protocol.measures.get(m.index)?;
        let when = if m.post { "post" } else { "pre" };
        Some((measure, format!("{}_{when}", measure.id)))
    }

    fn status(&mut self, text: impl Into<String>, error: bool) {
        self.out.push(CrOut::Status(text.into(), error));
    }

    /// Take a step: its events are written first; the screen moves once they are stored.
    fn step(&mut self, driver: Option<CrDriver>, events: Vec<EventBody>, then: Then) {
        if events.is_empty() {
            self.apply(Step {
                driver,
                events,
                then,
            });
            return;
        }
        self.out.push(CrOut::Record(events.clone()));
        self.pending = Some(Box::new(Step {
            driver,
            events,
            then,
        }));
    }

    /// The events of the step being saved were written (or not).
    pub fn recorded(&mut self, result: Result<(), String>) {
        let Some(step) = self.pending.take() else {
            return;
        };
        match result {
            Ok(()) => self.apply(*step),
            Err(e) => {
                let s = self.lang.strings();
                self.status(format!("{}: {e}", s.store_error), true);
                if let (Then::ModelTurn(reply), Some(stream)) = (step.then, self.stream.as_mut()) {
                    stream.retry = Some(*reply);
                }
            }
        }
    }

    fn apply(&mut self, step: Step) {
        if let Some(d) = step.driver {
            self.driver = d;
        }
        for e in &step.events {
            chat::push(&mut self.chat, e);
        }
        match step.then {
            Then::Nothing => {}
            Then::Notice => self.notice_done = true,
            Then::Measured(name) => self.measured.push(name),
            Then::HumanTurn => {
                self.editor = TextArea::default();
                self.tagging = None;
                self.asked = None;
            }
            Then::ModelTurn(_) => self.stream = None,
        }
        self.scroll = 0;
        self.settle();
    }

    /// The next measure not yet recorded (`post`: after the dialogue), for a human client.
    fn next_measure(&self, post: bool) -> Option<usize> {
        if !self.roles.client.is_human() {
            return None;
        }
        let when = if post { "post" } else { "pre" };
        self.protocol
            .measures
            .iter()
            .position(|m| !self.measured.contains(&format!("{}_{when}", m.id)))
    }

    /// Move to where the dialogue stands: the notice, a measure, the start, the next turn
    /// (asking a model), the end.
    fn settle(&mut self) {
        if !self.notice_done {
            self.phase = Phase::Notice;
            return;
        }
        if !self.driver.machine().is_started() {
            if let Some(i) = self.next_measure(false) {
                if !matches!(&self.phase, Phase::Measure(m) if !m.post && m.index == i) {
                    self.phase = Phase::Measure(MeasureInput::new(false, i));
                }
                return;
            }
            self.phase = Phase::Dialogue;
            let mut next = self.driver.clone();
            let mut events = Collect::default();
            match next.start(&mut events) {
                Ok(_) => self.step(Some(next), events.0, Then::Nothing),
                Err(e) => self.status(e.to_string(), true),
            }
            return;
        }
        if self.driver.is_finished() {
            self.stream = None;
            self.tagging = None;
            self.phase = match self.next_measure(true) {
                Some(i) => match &self.phase {
                    Phase::Measure(m) if m.post && m.index == i => return,
                    _ => Phase::Measure(MeasureInput::new(true, i)),
                },
                None => Phase::Over,
            };
            return;
        }
        self.phase = Phase::Dialogue;
        match self.waiting() {
            Waiting::Human(s) => {
                let turn = self.driver.transcript().len();
                if !matches!(self.asked, Some((t, sp, _)) if t == turn && sp == s) {
                    self.asked = Some((turn, s, Instant::now()));
                }
            }
            Waiting::Model(s) => {
                if self.stream.is_none() {
                    self.ask_model(s);
                }
            }
            Waiting::Handoff | Waiting::Nothing => {}
        }
    }

    fn ask_model(&mut self, speaker: Speaker) {
        let Some(request) = self.driver.request() else {
            return;
        };
        self.next_ticket += 1;
        let ticket = self.next_ticket;
        self.stream = Some(Stream {
            ticket,
            speaker,
            text: String::new(),
            started: Instant::now(),
            cancelled: false,
            retry: None,
        });
        self.scroll = 0;
        self.out.push(CrOut::Ask {
            ticket,
            speaker,
            request,
        });
    }

    /// A piece of the model's turn arrived.
    pub fn chunk(&mut self, ticket: u64, text: &str) {
        if let Some(s) = self.stream.as_mut()
            && s.ticket == ticket
            && !s.cancelled
        {
            s.text.push_str(text);
            self.scroll = 0;
        }
    }

    /// The model's reply arrived: its turn is taken (stored first).
    pub fn model_reply(&mut self, ticket: u64, reply: Reply) {
        let Some(s) = self.stream.as_ref() else {
            return;
        };
        if s.ticket != ticket || s.cancelled || self.pending.is_some() {
            return;
        }
        self.take_model_turn(reply);
    }

    fn take_model_turn(&mut self, reply: Reply) {
        let Some(speaker) = self.stream.as_ref().map(|s| s.speaker) else {
            return;
        };
        let mut next = self.driver.clone();
        let mut events = Collect::default();
        match next.answer(speaker, reply.clone(), &mut events) {
            Ok(_) => self.step(Some(next), events.0, Then::ModelTurn(Box::new(reply))),
            Err(e) => self.status(e.to_string(), true),
        }
    }

    /// Cancel the model's turn: what arrived is stored as a cut turn.
    fn cancel_model(&mut self) {
        let Some(s) = self.stream.as_mut() else {
            return;
        };
        if s.cancelled || s.retry.is_some() {
            return;
        }
        s.cancelled = true;
        let ticket = s.ticket;
        let reply = Reply {
            answer: Answer::Said(SaidTurn {
                text: s.text.trim().to_owned(),
                labels: None,
                cut: true,
            }),
            latency_ms: elapsed_ms(s.started),
            exchange: Vec::new(),
        };
        self.out.push(CrOut::Cancel { ticket });
        self.take_model_turn(reply);
    }

    /// A person's turn, as typed (and tagged).
    fn take_human_turn(&mut self, speaker: Speaker, text: String, labels: Option<TurnLabels>) {
        let latency = self.asked.map_or(0, |(_, _, since)| elapsed_ms(since));
        let reply = Reply::human(
            Answer::Said(SaidTurn {
                text,
                labels,
                cut: false,
            }),
            latency,
        );
        let mut next = self.driver.clone();
        let mut events = Collect::default();
        match next.answer(speaker, reply, &mut events) {
            Ok(_) => self.step(Some(next), events.0, Then::HumanTurn),
            Err(e) => self.status(e.to_string(), true),
        }
    }

    /// A clinician's override (or the resume after a safety stop, `None`).
    fn clinician(&mut self, o: Option<Override>) {
        if self.model_pending() {
            let msg = self.lang.cr().cancel_first;
            self.status(msg, true);
            return;
        }
        let mut next = self.driver.clone();
        let mut events = Collect::default();
        let done = match o {
            Some(o) => next.clinician(o, &mut events),
            None => next.resume(&mut events),
        };
        match done {
            Ok(effects) => match rejected(&effects) {
                Some(why) => {
                    let why = crate::tui::i18n::refusal(self.lang, &why);
                    let msg = format!("{}: {why}", self.lang.cr().refused);
                    self.status(msg, true);
                }
                None => {
                    // A model's turn interrupted by the override is asked anew.
                    self.stream = None;
                    self.step(Some(next), events.0, Then::Nothing);
                }
            },
            Err(e) => self.status(e.to_string(), true),
        }
    }

    /// Text pasted into the terminal: into the turn being typed.
    pub fn paste(&mut self, text: &str) {
        if !matches!(self.waiting(), Waiting::Human(_)) || self.tagging.is_some() {
            return;
        }
        let clean: String = text
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .chars()
            .filter(|c| *c == '\n' || !c.is_control())
            .collect();
        self.editor.insert_str(clean);
    }

    /// The ratings were stored (or not).
    pub fn rated(&mut self, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.dialog = None;
                let msg = self.lang.cr().rated;
                self.status(msg, false);
            }
            Err(e) => {
                if let Some(Dialog::Rate(r)) = self.dialog.as_mut() {
                    r.saving = false;
                }
                let msg = format!("{}: {e}", self.lang.strings().store_error);
                self.status(msg, true);
            }
        }
    }
}

#[cfg(test)]
mod tests;
