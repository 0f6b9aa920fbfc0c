//! The prompts of the CR agents: pure functions from the protocol, the case, the stage
//! machine's cue and the dialogue so far to chat messages.
//!
//! - [`staged_therapist`]: a system message with the role, the strategy catalogue, the current
//!   step (goal, guidance, turn and cap, the channel's distortion in restructuring, the
//!   distortion catalogue in identification) and the reply format; then the dialogue, the
//!   client as `user` and the therapist as `assistant`.
//! - [`free_therapist`]: the given system prompt, sent as it is, and the dialogue; no step is
//!   told.
//! - [`judge`]: the step's goal, the catalogue and the recent exchange ending with the turn to
//!   rate, as one user message; the answer is `{"stage_goal_met", "distortions"}`.
//! - [`client`]: the case's hidden profile, situation, style and resistance — never the
//!   protocol, a stage or the catalogue — and the dialogue as the client saw it (the therapist
//!   as `user`, the client as `assistant`).
//!
//! Consecutive turns of one side are merged into one message, and a conversation that would
//! start with the model's own side gets a short stage direction first, so strict chat
//! templates (user/assistant alternating, user first) accept every prompt.

use crate::agent::{ContextTurn, TurnCue};
use crate::script::cr::model::{CrCase, CrProtocol, Phase, Stage, StageId};
use crate::script::model::Language;
use crate::vocab::{CrSpeaker, CrStage};

use super::super::types::{ChatMessage, ChatRole};
use super::wording::{Wording, fill, resistance, style, wording};

/// How many earlier turns the judge sees before the turn it rates.
pub const JUDGE_WINDOW: usize = 6;

/// The step a therapist is in, as the stage machine's cue says.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub stage: &'a CrStage,
    /// The distortion of the channel in restructuring.
    pub channel: Option<&'a str>,
    pub stage_turn: u32,
    pub stage_cap: Option<u32>,
    /// Distortions of the other open channels.
    pub open_channels: &'a [String],
}

impl<'a> Step<'a> {
    /// The step of a therapist cue (`None` for a client cue).
    #[must_use]
    pub fn from_cue(cue: &'a TurnCue) -> Option<Self> {
        match cue {
            TurnCue::Therapist {
                stage,
                channel,
                stage_turn,
                stage_cap,
                open_channels,
            } => Some(Self {
                stage,
                channel: channel.as_deref(),
                stage_turn: *stage_turn,
                stage_cap: *stage_cap,
                open_channels,
            }),
            TurnCue::Client { .. } => None,
        }
    }

    fn stage_of<'p>(&self, protocol: &'p CrProtocol) -> Option<&'p Stage> {
        StageId::from_name(self.stage.as_str()).and_then(|id| protocol.stage(id))
    }

    /// Restructuring stages work on a channel; a stage the protocol does not know counts as
    /// restructuring when a channel is given.
    fn restructuring(&self, protocol: &CrProtocol) -> bool {
        self.stage_of(protocol).map_or(self.channel.is_some(), |s| {
            s.id.phase() == Phase::Restructuring
        })
    }
}

/// The dialogue as `me` saw it: my turns as `assistant`, the other side's as `user`;
/// consecutive turns of one side merged, empty turns skipped.
#[must_use]
pub fn dialogue(context: &[ContextTurn], me: &CrSpeaker) -> Vec<ChatMessage> {
    let mut out: Vec<ChatMessage> = Vec::with_capacity(context.len());
    for turn in context {
        let text = turn.text.trim();
        if text.is_empty() {
            continue;
        }
        let role = if &turn.speaker == me {
            ChatRole::Assistant
        } else {
            ChatRole::User
        };
        match out.last_mut() {
            Some(last) if last.role == role => {
                last.content.push_str("\n\n");
                last.content.push_str(text);
            }
            _ => out.push(ChatMessage {
                role,
                content: text.to_owned(),
            }),
        }
    }
    out
}

/// `system`, then `direction` as a user message when the dialogue is empty or starts with the
/// model's own side, then the dialogue.
fn conversation(system: String, direction: &str, turns: Vec<ChatMessage>) -> Vec<ChatMessage> {
    let mut out = Vec::with_capacity(turns.len() + 2);
    out.push(ChatMessage::system(system));
    if turns.first().is_none_or(|m| m.role != ChatRole::User) {
        out.push(ChatMessage::user(direction));
    }
    out.extend(turns);
    out
}

fn line(out: &mut String, text: &str) {
    out.push_str(text.trim_end());
    out.push('\n');
}

fn bullets(out: &mut String, heading: &str, items: &[String]) {
    let items: Vec<&str> = items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return;
    }
    line(out, heading);
    for item in items {
        out.push_str("- ");
        line(out, item);
    }
}

/// `- id (category): definition` for every strategy.
fn strategy_catalogue(out: &mut String, protocol: &CrProtocol, lang: Language, w: &Wording) {
    line(out, w.strategies_heading);
    for (category, s) in protocol.all_strategies() {
        line(
            out,
            &format!(
                "- {} ({}): {}",
                s.id,
                category.name.get(lang),
                s.definition.get(lang).trim()
            ),
        );
    }
}

/// `- id (name): definition` for every distortion.
fn distortion_catalogue(out: &mut String, protocol: &CrProtocol, lang: Language, heading: &str) {
    line(out, heading);
    for d in &protocol.distortions {
        line(
            out,
            &format!(
                "- {} ({}): {}",
                d.id,
                d.name.get(lang),
                d.definition.get(lang).trim()
            ),
        );
    }
}

/// A distortion's name and definition (its id alone when the catalogue lacks it).
fn named<'p>(protocol: &'p CrProtocol, lang: Language, id: &'p str) -> (&'p str, &'p str) {
    protocol
        .distortion(id)
        .map_or((id, ""), |d| (d.name.get(lang), d.definition.get(lang)))
}

fn names(protocol: &CrProtocol, lang: Language, ids: &[String], w: &Wording) -> String {
    ids.iter()
        .map(|id| named(protocol, lang, id).0)
        .collect::<Vec<_>>()
        .join(w.list_separator)
}

fn title_and_goal<'p>(
    protocol: &'p CrProtocol,
    lang: Language,
    step: &Step<'p>,
) -> (&'p str, &'p str) {
    step.stage_of(protocol)
        .map_or((step.stage.as_str(), ""), |s| {
            (s.title.get(lang), s.goal.get(lang))
        })
}

/// The staged therapist's system message.
#[must_use]
pub fn staged_system(protocol: &CrProtocol, lang: Language, step: &Step<'_>) -> String {
    let w = wording(lang);
    let mut out = String::with_capacity(4096);
    line(&mut out, w.therapist_role);
    out.push('\n');
    strategy_catalogue(&mut out, protocol, lang, w);
    out.push('\n');
    let (title, goal) = title_and_goal(protocol, lang, step);
    line(
        &mut out,
        &format!("## {}", fill(w.step_heading, &[("title", title)])),
    );
    if !goal.trim().is_empty() {
        line(&mut out, &fill(w.goal, &[("goal", goal.trim())]));
    }
    let stage = step.stage_of(protocol);
    if let Some(guidance) = stage
        .map(|s| s.guidance.get(lang).trim())
        .filter(|g| !g.is_empty())
    {
        line(&mut out, &fill(w.how, &[("guidance", guidance)]));
    }
    let turn = step.stage_turn.to_string();
    match step.stage_cap {
        Some(cap) => line(
            &mut out,
            &fill(
                w.turn_with_cap,
                &[("turn", &turn), ("cap", &cap.to_string())],
            ),
        ),
        None => line(&mut out, &fill(w.turn_without_cap, &[("turn", &turn)])),
    }
    let restructuring = step.restructuring(protocol);
    if let Some(channel) = step.channel.filter(|_| restructuring) {
        let (name, definition) = named(protocol, lang, channel);
        line(
            &mut out,
            &fill(
                w.channel,
                &[("name", name), ("definition", definition.trim())],
            ),
        );
    }
    if !step.open_channels.is_empty() {
        let list = names(protocol, lang, step.open_channels, w);
        line(&mut out, &fill(w.open_channels, &[("list", &list)]));
    }
    if let Some(s) = stage.filter(|s| !s.strategies.is_empty()) {
        let ids: Vec<&str> = s.strategies.iter().map(|r| r.id.as_str()).collect();
        line(&mut out, &fill(w.suits, &[("list", &ids.join(", "))]));
    }
    out.push('\n');
    if restructuring {
        line(&mut out, w.format_restructuring);
    } else {
        distortion_catalogue(&mut out, protocol, lang, w.patterns_heading);
        out.push('\n');
        line(&mut out, w.format_identification);
    }
    out.truncate(out.trim_end().len());
    out
}

/// A staged therapist's prompt: [`staged_system`] and the dialogue (client = `user`).
#[must_use]
pub fn staged_therapist(
    protocol: &CrProtocol,
    lang: Language,
    step: &Step<'_>,
    context: &[ContextTurn],
) -> Vec<ChatMessage> {
    conversation(
        staged_system(protocol, lang, step),
        wording(lang).session_starts,
        dialogue(context, &CrSpeaker::Therapist),
    )
}

/// Our system prompt for a free therapist when none is given.
#[must_use]
pub const fn default_free_system(lang: Language) -> &'static str {
    wording(lang).free_default_system
}

/// A free therapist's prompt: `system` exactly as given, and the dialogue.
#[must_use]
pub fn free_therapist(system: &str, lang: Language, context: &[ContextTurn]) -> Vec<ChatMessage> {
    conversation(
        system.to_owned(),
        wording(lang).session_starts,
        dialogue(context, &CrSpeaker::Therapist),
    )
}

/// A turn as the judge's material: trimmed, and unable to close the `<<<`/`>>>` block it is
/// quoted in.
fn fenced(text: &str) -> String {
    text.trim().replace("<<<", "< < <").replace(">>>", "> > >")
}

/// The judge's prompt: the step, the catalogue and the format as the system message; the
/// last [`JUDGE_WINDOW`] turns of `context` and the therapist's new `turn` as the user message.
#[must_use]
pub fn judge(
    protocol: &CrProtocol,
    lang: Language,
    step: &Step<'_>,
    context: &[ContextTurn],
    turn: &str,
) -> Vec<ChatMessage> {
    let w = wording(lang);
    let (title, goal) = title_and_goal(protocol, lang, step);
    let mut system = String::with_capacity(2048);
    line(
        &mut system,
        &fill(w.judge_role, &[("title", title), ("goal", goal.trim())]),
    );
    if let Some(channel) = step.channel.filter(|_| step.restructuring(protocol)) {
        let (name, definition) = named(protocol, lang, channel);
        line(
            &mut system,
            &fill(
                w.judge_channel,
                &[("name", name), ("definition", definition.trim())],
            ),
        );
    }
    let mut known: Vec<String> = step.open_channels.to_vec();
    known.extend(step.channel.map(str::to_owned));
    if !known.is_empty() {
        let list = names(protocol, lang, &known, w);
        line(&mut system, &fill(w.judge_already_open, &[("list", &list)]));
    }
    system.push('\n');
    distortion_catalogue(&mut system, protocol, lang, w.patterns_heading);
    system.push('\n');
    line(&mut system, w.judge_format);
    system.truncate(system.trim_end().len());

    let mut user = String::with_capacity(2048);
    line(&mut user, w.judge_exchange_intro);
    line(&mut user, "<<<");
    let start = context.len().saturating_sub(JUDGE_WINDOW);
    for t in &context[start..] {
        let who = if t.speaker == CrSpeaker::Therapist {
            w.judge_counsellor
        } else {
            w.judge_person
        };
        line(&mut user, &format!("{who}: {}", fenced(&t.text)));
    }
    line(&mut user, ">>>");
    line(&mut user, w.judge_last_turn);
    line(&mut user, "<<<");
    line(
        &mut user,
        &format!("{}: {}", w.judge_counsellor, turn.trim()),
    );
    user.push_str(">>>");
    vec![ChatMessage::system(system), ChatMessage::user(user)]
}

/// The simulated client's system message: the case's hidden profile, how the client talks,
/// the situation, and for the opening turn what to do. Never the protocol, a stage or the
/// distortions of the profile.
#[must_use]
pub fn client_system(case: &CrCase, lang: Language, opening: bool) -> String {
    let w = wording(lang);
    let mut out = String::with_capacity(4096);
    line(&mut out, w.client_role);
    if let Some(p) = &case.profile {
        if !p.history.trim().is_empty() {
            line(
                &mut out,
                &fill(w.client_background, &[("history", p.history.trim())]),
            );
        }
        bullets(&mut out, w.client_thoughts, &p.automatic_thoughts);
        let feelings: Vec<&str> = p
            .emotions
            .iter()
            .map(|e| e.trim())
            .filter(|e| !e.is_empty())
            .collect();
        if !feelings.is_empty() {
            line(
                &mut out,
                &fill(
                    w.client_feelings,
                    &[("list", &feelings.join(w.list_separator))],
                ),
            );
        }
        bullets(&mut out, w.client_doing, &p.behaviours);
        bullets(&mut out, w.client_rules, &p.intermediate_beliefs);
        let deep: Vec<String> = p.core_beliefs.iter().map(|b| b.belief.clone()).collect();
        bullets(&mut out, w.client_deep, &deep);
        bullets(&mut out, w.client_coping, &p.coping_strategies);
        out.push('\n');
        let talk = fill(
            w.client_talk,
            &[
                ("style", style(lang, p.style)),
                ("resistance", resistance(lang, p.resistance.level)),
                ("how", p.resistance.how.trim()),
            ],
        );
        for l in talk.lines() {
            line(&mut out, l);
        }
    } else {
        out.push('\n');
    }
    out.push('\n');
    line(&mut out, w.client_situation);
    line(&mut out, case.situation.trim());
    if opening {
        out.push('\n');
        line(&mut out, w.client_opening);
    }
    out.truncate(out.trim_end().len());
    out
}

/// The simulated client's prompt: [`client_system`] and the dialogue as the client saw it
/// (therapist = `user`, client = `assistant`), after the counsellor's greeting.
#[must_use]
pub fn client(
    case: &CrCase,
    lang: Language,
    opening: bool,
    context: &[ContextTurn],
) -> Vec<ChatMessage> {
    conversation(
        client_system(case, lang, opening),
        wording(lang).client_greeting,
        dialogue(context, &CrSpeaker::Client),
    )
}

#[cfg(test)]
#[path = "prompt_tests.rs"]
mod tests;
