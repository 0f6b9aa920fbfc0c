//! The CR stage machine: inputs in, effects out. See the module documentation for the rules.

use super::effect::{
    ChannelId, ChannelRef, ChannelStatus, ClientAsk, CloseCause, Context, Effect, FinishReason,
    Finished, NotOpened, OpenCause, Rejection, StageCause, StageEntry, TherapistAsk, Turn,
};
use super::input::{Input, TherapistTurn, TurnIndex, TurnLabels};
use super::policy::{CrPolicy, LoopPolicy, PolicyError, Speaker, StagePolicy};
use crate::vocab::CrStage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Identification,
    Restructuring,
}

/// A stage by its place in the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pos {
    phase: Phase,
    index: usize,
}

impl Pos {
    const FIRST: Self = Self {
        phase: Phase::Identification,
        index: 0,
    };
}

/// A channel: one distortion and how far its restructuring went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub distortion: String,
    pub status: ChannelStatus,
    pub opened: OpenCause,
    /// How it ended, once closed or dropped.
    pub closed: Option<CloseCause>,
}

/// A distortion reported but kept without a channel: surfaced outside the dissection stage
/// (waiting), or not opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub distortion: String,
    pub stage: CrStage,
    pub turn: TurnIndex,
}

/// A turn as the machine keeps it; its text goes to the transcript, not here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnMeta {
    pub speaker: Speaker,
    pub stage: CrStage,
    /// The stage visit it belongs to (an index into [`State::visits`]).
    pub visit: usize,
    pub channel: Option<ChannelId>,
    /// A therapist turn with labels.
    pub labelled: bool,
    /// `false` for a crisis turn: kept out of every later model context.
    pub in_context: bool,
}

/// One visit of a stage, with its turn counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub stage: CrStage,
    pub channel: Option<ChannelId>,
    pub cause: StageCause,
    pub therapist_turns: u32,
    pub client_turns: u32,
}

/// A safety stop, as kept for the summary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EscalationRecord {
    pub stage: CrStage,
    pub speaker: Speaker,
    pub category: String,
    pub matched: String,
    pub turn: Option<TurnIndex>,
}

/// A CR dialogue's stage machine. Replaying the same inputs under the same policy reproduces
/// the same state and effects.
#[derive(Debug, Clone)]
pub struct State {
    policy: CrPolicy,
    started: bool,
    pos: Pos,
    /// The channel in restructuring.
    current: Option<ChannelId>,
    channels: Vec<Channel>,
    surfaced: Vec<Reported>,
    not_opened: Vec<Reported>,
    loops: u32,
    turns: Vec<TurnMeta>,
    /// Crisis turns, ascending.
    excluded: Vec<TurnIndex>,
    visits: Vec<Visit>,
    awaiting: Option<Speaker>,
    /// How the stage ends when the client has answered the therapist's last turn.
    pending_exit: Option<StageCause>,
    paused: bool,
    escalations: Vec<EscalationRecord>,
    finished: Option<Finished>,
}

/// Distortion ids compare trimmed, ASCII case ignored.
fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl State {
    /// A machine that has not started.
    ///
    /// # Errors
    /// The policy cannot run ([`CrPolicy::check`]).
    pub fn new(policy: CrPolicy) -> Result<Self, PolicyError> {
        policy.check()?;
        Ok(Self {
            policy,
            started: false,
            pos: Pos::FIRST,
            current: None,
            channels: Vec::new(),
            surfaced: Vec::new(),
            not_opened: Vec::new(),
            loops: 0,
            turns: Vec::new(),
            excluded: Vec::new(),
            visits: Vec::new(),
            awaiting: None,
            pending_exit: None,
            paused: false,
            escalations: Vec::new(),
            finished: None,
        })
    }

    /// Run `inputs` from the start: the final state and every effect in order.
    ///
    /// # Errors
    /// The policy cannot run.
    pub fn replay(
        policy: CrPolicy,
        inputs: impl IntoIterator<Item = Input>,
    ) -> Result<(Self, Vec<Effect>), PolicyError> {
        let mut state = Self::new(policy)?;
        let mut effects = Vec::new();
        for input in inputs {
            effects.extend(state.handle(input));
        }
        Ok((state, effects))
    }

    /// Advance. An input that does not fit the state changes nothing and yields one
    /// [`Effect::Rejected`]; a finished machine yields nothing at all.
    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        if self.finished.is_some() {
            return Vec::new();
        }
        let kind = input.kind();
        let mut out = Vec::new();
        let done = match input {
            Input::Start => self.start(&mut out),
            Input::Therapist(turn) => self.therapist(turn, &mut out),
            Input::Client(text) => self.client(text, &mut out),
            Input::Clinician(o) => self.clinician(o, &mut out),
            Input::Safety(trigger) => self.safety(trigger, &mut out),
            Input::CrisisTurn { text, trigger } => self.crisis_turn(text, trigger, &mut out),
            Input::Resume => self.resume(&mut out),
            Input::AgentFailed { error, .. } => {
                self.finish(FinishReason::Error, Some(error), &mut out);
                Ok(())
            }
        };
        if let Err(why) = done {
            out.push(Effect::Rejected { input: kind, why });
        }
        out
    }

    fn start(&mut self, out: &mut Vec<Effect>) -> Result<(), Rejection> {
        if self.started {
            return Err(Rejection::AlreadyStarted);
        }
        self.started = true;
        self.enter(Pos::FIRST, None, StageCause::Start, out);
        self.ask(self.policy.opener, out);
        Ok(())
    }

    fn expect_turn(&self, speaker: Speaker) -> Result<(), Rejection> {
        if !self.started {
            Err(Rejection::NotStarted)
        } else if self.paused {
            Err(Rejection::Paused)
        } else if self.awaiting == Some(speaker) {
            Ok(())
        } else {
            Err(Rejection::NotYourTurn {
                expected: self.awaiting,
            })
        }
    }

    fn therapist(&mut self, turn: TherapistTurn, out: &mut Vec<Effect>) -> Result<(), Rejection> {
        self.expect_turn(Speaker::Therapist)?;
        let TherapistTurn { text, labels } = turn;
        let index = TurnIndex(self.turns.len());
        let mut reports = Vec::new();
        let goal = labels.as_ref().and_then(|l| l.stage_goal_met);
        if let Some(l) = &labels {
            for d in &l.distortions {
                self.report(d, index, &mut reports);
            }
        }
        self.append(Speaker::Therapist, text, labels, out);
        out.append(&mut reports);
        if self.turn_cap_reached(out) {
            return Ok(());
        }
        let policy = self.stage_policy(self.pos);
        let (cap, goal_exit) = (policy.turn_cap, policy.goal_exit);
        let taken = self.visits.last().map_or(0, |v| v.therapist_turns);
        self.pending_exit = if goal == Some(true) && goal_exit {
            Some(StageCause::GoalMet)
        } else if cap.is_some_and(|c| taken >= c) {
            Some(StageCause::Cap)
        } else {
            None
        };
        self.ask(Speaker::Client, out);
        Ok(())
    }

    fn client(&mut self, text: String, out: &mut Vec<Effect>) -> Result<(), Rejection> {
        self.expect_turn(Speaker::Client)?;
        self.append(Speaker::Client, text, None, out);
        if self.turn_cap_reached(out) {
            return Ok(());
        }
        if let Some(cause) = self.pending_exit.take() {
            self.advance(cause, out);
        }
        self.ask(Speaker::Therapist, out);
        Ok(())
    }

    fn append(
        &mut self,
        speaker: Speaker,
        text: String,
        labels: Option<TurnLabels>,
        out: &mut Vec<Effect>,
    ) -> TurnIndex {
        let index = TurnIndex(self.turns.len());
        let visit = self.visits.len().saturating_sub(1);
        if let Some(v) = self.visits.last_mut() {
            match speaker {
                Speaker::Therapist => v.therapist_turns += 1,
                Speaker::Client => v.client_turns += 1,
            }
        }
        let stage = self.stage_policy(self.pos).stage.clone();
        self.turns.push(TurnMeta {
            speaker,
            stage: stage.clone(),
            visit,
            channel: self.current,
            labelled: labels.is_some(),
            in_context: true,
        });
        self.awaiting = None;
        out.push(Effect::AppendTurn(Turn {
            index,
            speaker,
            text,
            stage,
            channel: self.channel_ref(self.current),
            labels,
        }));
        index
    }

    /// `max_turns` reached: finish by cap.
    fn turn_cap_reached(&mut self, out: &mut Vec<Effect>) -> bool {
        let reached = self
            .policy
            .max_turns
            .is_some_and(|m| self.turns.len() >= usize::try_from(m).unwrap_or(usize::MAX));
        if reached {
            self.finish(FinishReason::Cap, None, out);
        }
        reached
    }

    /// A distortion the therapist reported in turn `turn`.
    fn report(&mut self, distortion: &str, turn: TurnIndex, out: &mut Vec<Effect>) {
        let distortion = distortion.trim();
        if distortion.is_empty() || self.known(distortion) {
            return;
        }
        let reported = Reported {
            distortion: distortion.to_owned(),
            stage: self.stage_policy(self.pos).stage.clone(),
            turn,
        };
        if self.at_dissection() {
            self.try_open(reported, out);
        } else {
            out.push(Effect::Surfaced {
                distortion: reported.distortion.clone(),
                stage: reported.stage.clone(),
                turn,
            });
            self.surfaced.push(reported);
        }
    }

    fn known(&self, distortion: &str) -> bool {
        self.channels
            .iter()
            .any(|c| same(&c.distortion, distortion))
            || self
                .surfaced
                .iter()
                .chain(&self.not_opened)
                .any(|r| same(&r.distortion, distortion))
    }

    fn try_open(&mut self, reported: Reported, out: &mut Vec<Effect>) {
        if self.channels.len() >= self.policy.max_channels {
            out.push(Effect::ChannelNotOpened {
                distortion: reported.distortion.clone(),
                turn: reported.turn,
                reason: NotOpened::MaxChannels,
            });
            self.not_opened.push(reported);
            return;
        }
        let Reported {
            distortion,
            stage,
            turn,
        } = reported;
        let cause = OpenCause::Reported { turn, stage };
        self.push_channel(distortion, cause, out);
    }

    fn push_channel(&mut self, distortion: String, cause: OpenCause, out: &mut Vec<Effect>) {
        let id = ChannelId(self.channels.len());
        out.push(Effect::OpenChannel {
            channel: ChannelRef {
                id,
                distortion: distortion.clone(),
            },
            cause: cause.clone(),
        });
        self.channels.push(Channel {
            distortion,
            status: ChannelStatus::Open,
            opened: cause,
            closed: None,
        });
    }

    /// The stage's exit condition held: move along the protocol.
    fn advance(&mut self, cause: StageCause, out: &mut Vec<Effect>) {
        let Pos { phase, index } = self.pos;
        let next = Pos {
            phase,
            index: index + 1,
        };
        match phase {
            Phase::Identification if next.index < self.policy.identification.len() => {
                self.enter(next, None, cause, out);
            }
            Phase::Identification => self.leave_dissection(cause, out),
            Phase::Restructuring if next.index < self.policy.restructuring.len() => {
                self.enter(next, self.current, cause, out);
            }
            Phase::Restructuring => {
                let (status, close) = if cause == StageCause::GoalMet {
                    (ChannelStatus::Closed, CloseCause::Verdict)
                } else {
                    (ChannelStatus::Dropped, CloseCause::Cap)
                };
                self.close_current(status, close, out);
                self.after_channel(StageCause::Loop, out);
            }
        }
    }

    fn leave_dissection(&mut self, cause: StageCause, out: &mut Vec<Effect>) {
        if let Some(id) = self.first_open() {
            self.restructure(id);
            let first = Pos {
                phase: Phase::Restructuring,
                index: 0,
            };
            self.enter(first, Some(id), cause, out);
        } else if self.channels.is_empty() {
            self.finish(FinishReason::NoDistortion, None, out);
        } else {
            self.finish(FinishReason::Verdicts, None, out);
        }
    }

    /// A channel's restructuring ended: loop back to the dissection stage, or finish.
    fn after_channel(&mut self, cause: StageCause, out: &mut Vec<Effect>) {
        let open = self.first_open().is_some();
        let may_surface = !self.surfaced.is_empty()
            || (self.policy.after_verdict == LoopPolicy::Revisit
                && self.channels.len() < self.policy.max_channels);
        if open || may_surface {
            self.loops += 1;
            self.enter(self.dissection(), None, cause, out);
        } else {
            self.finish(FinishReason::Verdicts, None, out);
        }
    }

    fn close_current(&mut self, status: ChannelStatus, cause: CloseCause, out: &mut Vec<Effect>) {
        if let Some(id) = self.current.take() {
            self.close(id, status, cause, out);
        }
    }

    fn close(
        &mut self,
        id: ChannelId,
        status: ChannelStatus,
        cause: CloseCause,
        out: &mut Vec<Effect>,
    ) {
        if let Some(c) = self.channels.get_mut(id.0) {
            c.status = status;
            c.closed = Some(cause);
            out.push(Effect::CloseChannel {
                channel: ChannelRef {
                    id,
                    distortion: c.distortion.clone(),
                },
                status,
                cause,
            });
        }
    }

    fn restructure(&mut self, id: ChannelId) {
        if let Some(c) = self.channels.get_mut(id.0) {
            c.status = ChannelStatus::Restructuring;
        }
        self.current = Some(id);
    }

    fn enter(
        &mut self,
        pos: Pos,
        channel: Option<ChannelId>,
        cause: StageCause,
        out: &mut Vec<Effect>,
    ) {
        if pos.phase == Phase::Identification
            && let Some(id) = self.current.take()
            && let Some(c) = self.channels.get_mut(id.0)
        {
            c.status = ChannelStatus::Open;
        }
        self.pos = pos;
        self.pending_exit = None;
        let stage = self.stage_policy(pos).stage.clone();
        self.visits.push(Visit {
            stage: stage.clone(),
            channel,
            cause,
            therapist_turns: 0,
            client_turns: 0,
        });
        out.push(Effect::EnterStage(StageEntry {
            stage,
            channel: self.channel_ref(channel),
            cause,
            visit: self.visits.len() - 1,
            loops: self.loops,
        }));
        if self.at_dissection() {
            for reported in std::mem::take(&mut self.surfaced) {
                self.try_open(reported, out);
            }
        }
    }

    /// Ask `speaker` for a turn, unless paused or finished.
    fn ask(&mut self, speaker: Speaker, out: &mut Vec<Effect>) {
        if self.paused || self.finished.is_some() {
            return;
        }
        self.awaiting = Some(speaker);
        let context = self.context();
        out.push(match speaker {
            Speaker::Therapist => {
                let policy = self.stage_policy(self.pos);
                Effect::AskTherapist(TherapistAsk {
                    stage: policy.stage.clone(),
                    channel: self.channel_ref(self.current),
                    stage_turn: self.visits.last().map_or(0, |v| v.therapist_turns) + 1,
                    stage_cap: policy.turn_cap,
                    open_channels: self.open_channels().collect(),
                    context,
                })
            }
            Speaker::Client => Effect::AskClient(ClientAsk {
                opening: self.turns.is_empty(),
                context,
            }),
        });
    }

    fn finish(&mut self, reason: FinishReason, detail: Option<String>, out: &mut Vec<Effect>) {
        let finished = Finished { reason, detail };
        self.finished = Some(finished.clone());
        self.awaiting = None;
        self.pending_exit = None;
        out.push(Effect::Finish(finished));
    }

    fn stage_policy(&self, pos: Pos) -> &StagePolicy {
        let list = match pos.phase {
            Phase::Identification => &self.policy.identification,
            Phase::Restructuring => &self.policy.restructuring,
        };
        // The policy is checked non-empty and positions come from it.
        &list[pos.index.min(list.len() - 1)]
    }

    fn dissection(&self) -> Pos {
        Pos {
            phase: Phase::Identification,
            index: self.policy.identification.len() - 1,
        }
    }

    fn at_dissection(&self) -> bool {
        self.pos == self.dissection()
    }

    fn find_stage(&self, stage: &CrStage) -> Option<Pos> {
        let at = |phase, list: &[StagePolicy]| {
            list.iter()
                .position(|s| s.stage == *stage)
                .map(|index| Pos { phase, index })
        };
        at(Phase::Identification, &self.policy.identification)
            .or_else(|| at(Phase::Restructuring, &self.policy.restructuring))
    }

    fn find_channel(&self, distortion: &str) -> Option<ChannelId> {
        self.channels
            .iter()
            .position(|c| same(&c.distortion, distortion))
            .map(ChannelId)
    }

    fn first_open(&self) -> Option<ChannelId> {
        self.channels
            .iter()
            .position(|c| c.status == ChannelStatus::Open)
            .map(ChannelId)
    }

    fn channel_ref(&self, id: Option<ChannelId>) -> Option<ChannelRef> {
        let id = id?;
        self.channels.get(id.0).map(|c| ChannelRef {
            id,
            distortion: c.distortion.clone(),
        })
    }

    fn open_channels(&self) -> impl Iterator<Item = ChannelRef> + '_ {
        self.channels
            .iter()
            .enumerate()
            .filter(|(_, c)| c.status == ChannelStatus::Open)
            .map(|(i, c)| ChannelRef {
                id: ChannelId(i),
                distortion: c.distortion.clone(),
            })
    }

    /// What a model may see now.
    #[must_use]
    pub fn context(&self) -> Context {
        Context {
            turns: self.turns.len(),
            excluded: self.excluded.clone(),
        }
    }
}

mod overrides;
pub(super) mod view;
