//! A shown session as the turns a judge reads: what the judging screens draw and what the
//! ACUTE-Eval export writes.
//!
//! - A CR dialogue is its turns (client, therapist); the therapist's turns are the ones rated
//!   per turn. A turn stopped mid-way is marked `cut`.
//! - A world-tree walk is rebuilt from the tree it was played on (the study keeps a copy) and
//!   the walk's decisions: the scenario and the protagonist's goal, the start node's lines, then
//!   for each decision the chosen utterance (rated per turn) and the lines of the node it led
//!   to, down to the ending's lines. The ending's label is not shown: judges read the story,
//!   not the score. A walk that stopped before an ending (a model dropped mid-way) says so.
//!   Without the tree (a study registered before trees were copied, a known-answer session on
//!   a tree outside the study) only what the session itself holds is shown: the presented
//!   prompts and the chosen options.
//! - IAE answers show the item's question and the chosen option.

use crate::script::model::{Line, NodeIndex, WorldTree};
use crate::session::attribute::{attribute, presented_text};
use crate::session::{CrSpeaker, EventBody, OptionsPresented, SessionKind, SessionRecord};

/// Who a turn is from (never a system's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Speaker {
    Client,
    Therapist,
    /// Another CR speaker (as the record names it).
    Other(String),
    /// The tree's scenario.
    Scenario,
    /// The protagonist's goal (the protagonist's name).
    Goal(String),
    Narrator,
    /// A character of the tree (its name).
    Character(String),
    /// A character enters (the text is its name).
    Enters,
    /// An IAE item's question, or another prompt shown with options.
    Prompt,
    /// What the walker chose: the speaker of the chosen utterance when the tree tells it.
    Chose(Option<String>),
    /// The walk stopped before reaching an ending.
    Stopped,
}

/// One turn of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub who: Speaker,
    pub text: String,
    /// The event's seq when the turn can be rated on its own (per-turn rubrics).
    pub rated_seq: Option<u64>,
    /// The turn's writing was stopped (token limit, cancelled): what arrived is shown.
    pub cut: bool,
}

impl Turn {
    fn new(who: Speaker, text: impl Into<String>) -> Self {
        Self {
            who,
            text: text.into(),
            rated_seq: None,
            cut: false,
        }
    }
}

/// The tree's lines of one node, appended to `out`.
fn node_lines(tree: &WorldTree, node: usize, out: &mut Vec<Turn>) {
    let Some(n) = tree.nodes.get(node) else {
        return;
    };
    for line in &n.lines {
        out.push(match line {
            Line::Speech(u) => Turn::new(Speaker::Character(u.speaker.clone()), u.text.clone()),
            Line::Narration { text, .. } => Turn::new(Speaker::Narrator, text.clone()),
            Line::Introduce { name, .. } => {
                let shown = tree.character(name).map_or(name.as_str(), |c| &c.name);
                Turn::new(Speaker::Enters, shown)
            }
        });
    }
}

/// A walk rebuilt against its tree.
struct Walker<'t> {
    tree: &'t WorldTree,
    index: NodeIndex,
    /// The node whose lines were shown last.
    at: Option<usize>,
}

impl Walker<'_> {
    /// Show `node`'s lines unless they are the last shown.
    fn enter(&mut self, node: Option<usize>, out: &mut Vec<Turn>) {
        if let Some(n) = node
            && self.at != Some(n)
        {
            node_lines(self.tree, n, out);
            self.at = Some(n);
        }
    }
}

const fn walks(kind: &SessionKind) -> bool {
    matches!(kind, SessionKind::WorldTreeGae | SessionKind::WorldTreeBoth)
}

/// The turns of `record`; `tree` is the world tree it was played on, when there is one (it is
/// used only if its id is the session's script id).
#[must_use]
pub fn turns(record: &SessionRecord, tree: Option<&WorldTree>) -> Vec<Turn> {
    let tree = tree.filter(|t| t.id == record.session.script.id);
    let walk = walks(&record.session.kind);
    let mut out = Vec::new();
    let mut walker = tree.map(|tree| Walker {
        tree,
        index: NodeIndex::new(tree),
        at: None,
    });
    if let Some(w) = &mut walker {
        if !w.tree.scenario.trim().is_empty() {
            out.push(Turn::new(Speaker::Scenario, w.tree.scenario.clone()));
        }
        if let Some(p) = w.tree.protagonist()
            && !p.goal.trim().is_empty()
        {
            out.push(Turn::new(Speaker::Goal(p.name.clone()), p.goal.clone()));
        }
        if walk {
            let start = w.tree.start();
            w.enter(start, &mut out);
        }
    }
    let mut last_presented: Option<&OptionsPresented> = None;
    let mut ended = false;
    for e in &record.events {
        match &e.body {
            EventBody::CrTurn(t) => {
                let (who, rated) = match &t.speaker {
                    CrSpeaker::Client => (Speaker::Client, false),
                    CrSpeaker::Therapist => (Speaker::Therapist, true),
                    other => (Speaker::Other(other.to_string()), false),
                };
                out.push(Turn {
                    who,
                    text: t.text.clone(),
                    rated_seq: rated.then_some(e.seq),
                    cut: t.cut,
                });
            }
            EventBody::TextShown(t) => out.push(Turn::new(
                t.speaker
                    .clone()
                    .map_or(Speaker::Narrator, Speaker::Character),
                t.text.clone(),
            )),
            EventBody::OptionsPresented(p) => {
                last_presented = Some(p);
                if let Some(prompt) = &p.prompt {
                    out.push(Turn::new(Speaker::Prompt, prompt.clone()));
                } else if let Some(w) = &mut walker {
                    let node = p.node.as_deref().and_then(|n| w.index.get(n));
                    w.enter(node, &mut out);
                }
            }
            EventBody::Decision(d) => {
                let shown = presented_text(last_presented, d.option_index);
                let fallback = || {
                    shown
                        .map(str::to_owned)
                        .unwrap_or_else(|| d.option_id.to_string())
                };
                let Some(w) = &mut walker else {
                    out.push(Turn {
                        rated_seq: Some(e.seq),
                        ..Turn::new(Speaker::Chose(None), fallback())
                    });
                    continue;
                };
                let node = d.node.as_deref().and_then(|n| w.index.get(n));
                w.enter(node, &mut out);
                let choice = node.and_then(|n| {
                    attribute(w.tree, n, d, shown).map(|c| &w.tree.nodes[n].choices[c])
                });
                match choice {
                    Some(c) => {
                        out.push(Turn {
                            rated_seq: Some(e.seq),
                            ..Turn::new(
                                Speaker::Chose(Some(c.say.speaker.clone())),
                                c.say.text.clone(),
                            )
                        });
                        let target = w.index.get(&c.target);
                        w.enter(target, &mut out);
                    }
                    None => out.push(Turn {
                        rated_seq: Some(e.seq),
                        ..Turn::new(Speaker::Chose(None), fallback())
                    }),
                }
            }
            EventBody::IaeAnswer(a) => {
                let text = presented_text(last_presented, a.option_index)
                    .map(str::to_owned)
                    .unwrap_or_else(|| a.option_id.to_string());
                out.push(Turn {
                    rated_seq: Some(e.seq),
                    ..Turn::new(Speaker::Chose(None), text)
                });
            }
            EventBody::Ending(end) => {
                ended = true;
                if let Some(w) = &mut walker {
                    let node = w.index.get(&end.node);
                    w.enter(node, &mut out);
                }
            }
            _ => {}
        }
    }
    if walker.is_some() && walk && !ended {
        out.push(Turn::new(Speaker::Stopped, String::new()));
    }
    out
}
