//! The chat pane's entries, made from the dialogue's stored events: the same function reads the
//! events of a step just written and those of a session being resumed, so the screen shows what
//! the store holds.

use crate::session::EventBody;
use crate::vocab::{CrSpeaker, CrStage};

/// One entry of the chat pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatEntry {
    /// A stage begins (a separator line).
    Stage {
        stage: CrStage,
        channel: Option<String>,
        /// `start`, `goal_met`, `cap`, `clinician`, `loop`.
        cause: String,
        loops: u32,
    },
    Turn(ChatTurn),
    /// A channel opened, closed, dropped, surfaced or was not opened.
    Channel {
        distortion: String,
        action: String,
    },
    /// A safety stop.
    Escalation {
        category: String,
    },
    /// A clinician's override (`resume` after a safety stop included).
    Override {
        action: String,
        stage: Option<CrStage>,
        distortion: Option<String>,
    },
    End {
        finished_by: String,
    },
}

/// A turn as the chat pane shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTurn {
    /// The turn's number in the dialogue (0 = the opening).
    pub index: u32,
    pub speaker: CrSpeaker,
    pub text: String,
    /// One strategy per sentence (a labelled therapist turn).
    pub strategies: Vec<String>,
    pub goal_met: Option<bool>,
    pub distortions: Vec<String>,
    /// A crisis turn, kept out of every later model context.
    pub withheld: bool,
    /// Cut short (cancelled): the text is what arrived.
    pub cut: bool,
}

/// Add what `event` shows to the chat (most events show nothing: ratings, notes, model calls).
pub fn push(chat: &mut Vec<ChatEntry>, event: &EventBody) {
    let entry = match event {
        EventBody::CrStage(s) => ChatEntry::Stage {
            stage: s.stage.clone(),
            channel: s.channel.clone(),
            cause: s.cause.clone(),
            loops: s.loops,
        },
        EventBody::CrTurn(t) => ChatEntry::Turn(ChatTurn {
            index: t
                .index
                .unwrap_or_else(|| u32::try_from(turns(chat).count()).unwrap_or(u32::MAX)),
            speaker: t.speaker.clone(),
            text: t.text.clone(),
            strategies: t.strategies.clone(),
            goal_met: t.stage_goal_met,
            distortions: t.distortions.clone(),
            withheld: t.withheld,
            cut: t.cut,
        }),
        EventBody::CrChannel(c) => ChatEntry::Channel {
            distortion: c.distortion.clone(),
            action: c.action.clone(),
        },
        EventBody::Escalation(x) => ChatEntry::Escalation {
            category: x.reason.clone(),
        },
        EventBody::CrOverride(o) => ChatEntry::Override {
            action: o.action.clone(),
            stage: o.stage.clone(),
            distortion: o.distortion.clone(),
        },
        EventBody::CrEnd(e) => ChatEntry::End {
            finished_by: e.finished_by.clone(),
        },
        _ => return,
    };
    chat.push(entry);
}

/// The turns of the chat, in order.
pub fn turns(chat: &[ChatEntry]) -> impl DoubleEndedIterator<Item = &ChatTurn> {
    chat.iter().filter_map(|e| match e {
        ChatEntry::Turn(t) => Some(t),
        _ => None,
    })
}

/// The therapist turns that can be rated (not withheld), in order, by index.
#[must_use]
pub fn rateable(chat: &[ChatEntry]) -> Vec<u32> {
    turns(chat)
        .filter(|t| t.speaker == CrSpeaker::Therapist && !t.withheld)
        .map(|t| t.index)
        .collect()
}
