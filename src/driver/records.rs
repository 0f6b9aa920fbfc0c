//! The one place where a world-tree session's events are made, from the episode's questions,
//! answers and end. Humans and models get the same records; only `who`, latency and the
//! model's `llm_call` exchange differ.
//!
//! - `options_presented`: the choice node's id; for IAE the item's question as `prompt`;
//!   options in presented order with ids: the target node for GAE, `candidate` /
//!   `distractor-<k>` for IAE.
//! - `decision` (GAE): presented index, the target node, the choice's id in its node
//!   (`choice`, schema 4), latency.
//! - `iae_answer`: item `<node id>/<choice index>`, the abilities the item counts for (those
//!   its question names, else the choice's own) joined by `"; "`, presented index, option id,
//!   whether it was the right one, latency.
//! - at the end: `ending` {node, outcome} where the walk stopped at an ending or a dead end
//!   (`unlabelled` when it has no label), then `session_status` finished, with the drop reason
//!   when the walk does not count.

pub mod cr;
pub mod study;

use crate::engine::episode::{EpisodeEnd, OptionSource, Question, QuestionKind};
use crate::engine::iae::ItemRef;
use crate::script::model::{Outcome, Utterance, WorldTree};
use crate::session::{
    Decision, Ending, EventBody, IaeAnswer, ItemId, OptionId, OptionsPresented, PresentedOption,
    Status, StatusChange, StatusReason,
};

/// How long an answer took, and how the options were seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timing {
    /// From the moment the options were all visible (a model: from the request) to the answer.
    pub latency_ms: u64,
    /// The options did not all fit on screen at once.
    pub options_scrolled: bool,
}

impl Timing {
    /// A latency with the options seen at once (every model answer).
    #[must_use]
    pub const fn latency(latency_ms: u64) -> Self {
        Self {
            latency_ms,
            options_scrolled: false,
        }
    }
}

/// The stored id of an IAE option by its source: `candidate`, `distractor-<k>`.
#[must_use]
pub fn iae_option_id(source: OptionSource) -> OptionId {
    match source {
        OptionSource::Candidate => OptionId::candidate(),
        OptionSource::Distractor(k) => OptionId::distractor(k),
        OptionSource::Choice(c) => OptionId(format!("choice-{c}")),
    }
}

/// The stored id of a presented option.
#[must_use]
pub fn option_id(tree: &WorldTree, question: &Question, source: OptionSource) -> OptionId {
    match source {
        OptionSource::Choice(c) => OptionId(tree.nodes[question.node].choices[c].target.clone()),
        other => iae_option_id(other),
    }
}

/// The utterance behind a presented option.
#[must_use]
pub fn option_utterance<'t>(
    tree: &'t WorldTree,
    question: &Question,
    source: OptionSource,
) -> Option<&'t Utterance> {
    let node = &tree.nodes[question.node];
    let item_choice = question.item().map_or(0, |i| i.choice);
    match source {
        OptionSource::Choice(c) => node.choices.get(c).map(|c| &c.say),
        OptionSource::Candidate => node.choices.get(item_choice).map(|c| &c.say),
        OptionSource::Distractor(k) => node
            .choices
            .get(item_choice)
            .and_then(|c| c.iae.as_ref())
            .and_then(|i| i.distractors.get(k.checked_sub(1)?)),
    }
}

/// The text of a presented option.
#[must_use]
pub fn option_text<'t>(tree: &'t WorldTree, question: &Question, source: OptionSource) -> &'t str {
    option_utterance(tree, question, source).map_or("", |u| u.text.as_str())
}

/// The abilities an IAE item counts for: those its question names, else the choice's own.
#[must_use]
pub fn item_abilities(tree: &WorldTree, item: &ItemRef) -> Vec<String> {
    let choice = &tree.nodes[item.node].choices[item.choice];
    match &choice.iae {
        Some(iae) if !iae.abilities.is_empty() => iae.abilities.clone(),
        _ => choice.abilities.clone(),
    }
}

/// The stored name of an item: `<node id>/<choice index>`.
#[must_use]
pub fn item_name(tree: &WorldTree, item: &ItemRef) -> ItemId {
    ItemId::new(&tree.nodes[item.node].id, item.choice)
}

/// `options_presented` for a question.
#[must_use]
pub fn presented(tree: &WorldTree, question: &Question) -> EventBody {
    let node = &tree.nodes[question.node];
    let prompt = question.item().and_then(|item| {
        node.choices[item.choice]
            .iae
            .as_ref()
            .map(|i| i.question.clone())
    });
    EventBody::OptionsPresented(OptionsPresented {
        node: Some(node.id.clone()),
        prompt,
        options: question
            .options
            .iter()
            .map(|&src| PresentedOption {
                id: option_id(tree, question, src),
                text: option_text(tree, question, src).to_owned(),
            })
            .collect(),
    })
}

fn index(position: usize) -> u32 {
    u32::try_from(position).unwrap_or(u32::MAX)
}

/// The answer event: `decision` for GAE, `iae_answer` for IAE.
#[must_use]
pub fn answer(tree: &WorldTree, question: &Question, position: usize, timing: Timing) -> EventBody {
    let Timing {
        latency_ms,
        options_scrolled,
    } = timing;
    let source = question.options[position];
    let option_id = option_id(tree, question, source);
    match &question.kind {
        QuestionKind::Gae => EventBody::Decision(Decision {
            node: Some(tree.nodes[question.node].id.clone()),
            option_index: index(position),
            option_id,
            latency_ms,
            options_scrolled,
            choice: match source {
                OptionSource::Choice(c) => {
                    Some(tree.nodes[question.node].choice_id(c).into_owned())
                }
                _ => None,
            },
        }),
        QuestionKind::Iae { item, .. } => {
            let abilities = item_abilities(tree, item);
            EventBody::IaeAnswer(IaeAnswer {
                item: item_name(tree, item),
                ability: (!abilities.is_empty()).then(|| abilities.join("; ")),
                option_index: index(position),
                option_id,
                correct: Some(source == OptionSource::Candidate),
                latency_ms,
                options_scrolled,
            })
        }
    }
}

/// The `ending` event, when the walk stopped at an ending or a dead end.
#[must_use]
pub fn ending(tree: &WorldTree, end: &EpisodeEnd) -> Option<Ending> {
    end.node.map(|node| Ending {
        node: tree.nodes[node].id.clone(),
        outcome: Some(end.outcome.unwrap_or(Outcome::Unlabelled).into()),
    })
}

/// The closing events of a finished episode: `ending` (if any) and `session_status`.
#[must_use]
pub fn closing(tree: &WorldTree, end: &EpisodeEnd) -> Vec<EventBody> {
    let mut out = Vec::with_capacity(2);
    if let Some(e) = ending(tree, end) {
        out.push(EventBody::Ending(e));
    }
    out.push(EventBody::SessionStatus(StatusChange {
        status: Status::Finished,
        reason: end.dropped.map(StatusReason::Dropped),
    }));
    out
}

/// A person revealed `enter + all` lines of `node`: `enter` one at a time, `all` with the
/// reveal-all key. (Interface events: only people make them.)
#[must_use]
pub fn lines_revealed(tree: &WorldTree, node: usize, enter: u32, all: u32) -> EventBody {
    let how = match (enter, all) {
        (_, 0) => "enter",
        (0, _) => "all",
        _ => "mixed",
    };
    EventBody::LinesRevealed(crate::session::LinesRevealed {
        node: tree.nodes[node].id.clone(),
        lines: enter + all,
        how: how.to_owned(),
    })
}

/// A person left an open session: `left` (to the library), `quit`, `signal`, `terminal`.
#[must_use]
pub fn paused(reason: &str) -> EventBody {
    EventBody::Paused(crate::session::Paused {
        reason: reason.to_owned(),
    })
}

/// A person came back to a session.
#[must_use]
pub fn resumed() -> EventBody {
    EventBody::Resumed(crate::session::Resumed {})
}

/// The `option_id` of an IAE answer that names none of the options.
pub const NOT_AN_OPTION: &str = "not-an-option";

/// An IAE answer that names none of the options (what was given is in the model call's
/// `parsed`), counted wrong: `option_id` is [`NOT_AN_OPTION`] and `option_index` one past the
/// last option. `None` at a GAE question.
#[must_use]
pub fn not_an_option(tree: &WorldTree, question: &Question, latency_ms: u64) -> Option<EventBody> {
    let QuestionKind::Iae { item, .. } = &question.kind else {
        return None;
    };
    let abilities = item_abilities(tree, item);
    Some(EventBody::IaeAnswer(IaeAnswer {
        item: item_name(tree, item),
        ability: (!abilities.is_empty()).then(|| abilities.join("; ")),
        option_index: index(question.options.len()),
        option_id: OptionId(NOT_AN_OPTION.to_owned()),
        correct: Some(false),
        latency_ms,
        options_scrolled: false,
    }))
}
