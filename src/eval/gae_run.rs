//! One GAE episode: walk a tree from its root, asking the model at every choice point, until an
//! ending, a dead end, an unusable answer or an HTTP failure.
//!
//! Events, in order, for each choice point: `options_presented` (node id; options as
//! `{id: target node, text}` in presented order), one `llm_call` per HTTP call, and
//! `decision` (presented index, target node, the model's latency). The episode ends with
//! `ending` (node, outcome; `unlabelled` also for a dead end, as the TUI records it) where the
//! walk reached a node, then the runner's `session_status`: `finished` with no reason for a
//! labelled ending, `finished` with reason `unlabelled_ending` / `dead_end` / `invalid_answer`
//! for a dropped episode, `failed` with the error after HTTP failures.

use super::ask::{EpisodeEnd, Shared, ask};
use super::record::millis;
use crate::engine::{DropReason, TreeWalk, WalkConfig, WalkEffect, WalkInput, rng_from_seed};
use crate::script::model::{Outcome, WorldTree};
use crate::session::{Decision, Ending, EventBody, OptionsPresented, PresentedOption, SessionId};
use crate::store::StoreError;

/// The snake_case name of a drop reason (as stored in the status reason).
#[must_use]
pub fn drop_name(reason: DropReason) -> &'static str {
    match reason {
        DropReason::DeadEnd => "dead_end",
        DropReason::UnlabelledEnding => "unlabelled_ending",
        DropReason::DanglingTarget => "dangling_target",
        DropReason::InvalidAnswer => "invalid_answer",
    }
}

/// The drop reason of a stored status reason.
#[must_use]
pub fn drop_from_name(name: &str) -> Option<DropReason> {
    [
        DropReason::DeadEnd,
        DropReason::UnlabelledEnding,
        DropReason::DanglingTarget,
        DropReason::InvalidAnswer,
    ]
    .into_iter()
    .find(|r| drop_name(*r) == name)
}

fn ending(tree: &WorldTree, node: usize, outcome: Outcome) -> Ending {
    Ending {
        node: tree.nodes[node].id.clone(),
        outcome: Some(outcome.name().to_owned()),
    }
}

fn index(position: usize) -> u32 {
    u32::try_from(position).unwrap_or(u32::MAX)
}

/// Play one episode of `tree` into session `session`, its option orders drawn from `seed`.
pub(crate) async fn play(
    shared: &Shared,
    tree: &WorldTree,
    session: SessionId,
    seed: u64,
) -> Result<EpisodeEnd, StoreError> {
    let protocol = shared.settings.protocol;
    let config = WalkConfig {
        shuffle: shared.settings.shuffle && protocol.allows_shuffle(),
    };
    let set = shared.prompts.for_tree(protocol, tree.language);
    let correction = protocol.correction(tree.language);
    let mut walk = TreeWalk::new(tree, config, rng_from_seed(seed));
    let mut effects = walk.handle(WalkInput::Start);
    loop {
        let mut pending = None;
        for effect in effects {
            match effect {
                WalkEffect::ShowNode { .. } | WalkEffect::Chose { .. } => {}
                WalkEffect::Present { node, order } => pending = Some((node, order)),
                WalkEffect::Ended { node, outcome } => {
                    return Ok(EpisodeEnd::finished(
                        None,
                        Some(ending(tree, node, outcome)),
                    ));
                }
                WalkEffect::Dropped { node, reason } => {
                    let at = match reason {
                        DropReason::DeadEnd | DropReason::UnlabelledEnding => {
                            Some(ending(tree, node, Outcome::Unlabelled))
                        }
                        DropReason::DanglingTarget | DropReason::InvalidAnswer => None,
                    };
                    return Ok(EpisodeEnd::finished(Some(drop_name(reason)), at));
                }
                WalkEffect::Rejected { reason } => {
                    return Ok(EpisodeEnd::failed(format!(
                        "the tree cannot be walked: {reason}"
                    )));
                }
            }
        }
        let Some((node, order)) = pending else {
            return Ok(EpisodeEnd::failed(
                "the walk stopped without an ending".to_owned(),
            ));
        };
        let n = &tree.nodes[node];
        let options: Vec<_> = order.iter().map(|&c| &n.choices[c].say).collect();
        shared.store.append_unflushed(
            session,
            EventBody::OptionsPresented(OptionsPresented {
                node: Some(n.id.clone()),
                prompt: None,
                options: order
                    .iter()
                    .map(|&c| PresentedOption {
                        id: n.choices[c].target.clone(),
                        text: n.choices[c].say.text.clone(),
                    })
                    .collect(),
            }),
        )?;
        let parts = super::protocol::gae_prompt_parts(
            protocol,
            tree,
            walk.path(),
            walk.decisions(),
            &options,
        );
        let messages = set.render(&parts).messages();
        let texts: Vec<&str> = options.iter().map(|u| u.text.as_str()).collect();
        let asked = ask(
            shared,
            session,
            "gae_decision",
            messages,
            &texts,
            correction,
        )
        .await?;
        if let Some(error) = asked.error {
            return Ok(EpisodeEnd::failed(error));
        }
        let Some(choice) = asked.choice else {
            return Ok(EpisodeEnd::finished(
                Some(drop_name(DropReason::InvalidAnswer)),
                None,
            ));
        };
        let Some(&picked) = order.get(choice.index) else {
            return Ok(EpisodeEnd::finished(
                Some(drop_name(DropReason::InvalidAnswer)),
                None,
            ));
        };
        shared.store.append_unflushed(
            session,
            EventBody::Decision(Decision {
                node: Some(n.id.clone()),
                option_index: index(choice.index),
                option_id: n.choices[picked].target.clone(),
                latency_ms: millis(asked.latency),
            }),
        )?;
        effects = walk.handle(WalkInput::Choose {
            position: choice.index,
        });
    }
}
