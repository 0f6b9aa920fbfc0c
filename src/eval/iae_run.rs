//! One tree's IAE items, asked one after the other in one session.
//!
//! The items are [`crate::engine::iae::items`]: every reachable skill choice with a question,
//! depth first. Each item's options (the candidate utterance and its distractors) are shuffled
//! with its own seed, `derive_seed(session seed, "iae/<node id>/<choice index>")` — the rule
//! the TUI uses, so a recorded session seed reproduces every order. The context is the dialogue
//! up to the item's choice node.
//!
//! Events per item: `options_presented` (node id; the question as `prompt`; options with ids
//! `candidate` / `distractor-<k>` in presented order), one `llm_call` per HTTP call, then
//! `iae_answer` (item `<node id>/<choice index>`, the abilities joined by `"; "`, presented
//! index, option id, correct) when the answer was usable. An item without an `iae_answer` is
//! dropped as an invalid answer. An HTTP failure ends the tree: the session is marked failed
//! and its items all count as `dropped.error` (a resumed run asks the whole tree again).
//!
//! The abilities of an item are the ones its question names (the official IAE counts the
//! question's `skill` tags), else the choice's own tags.

use super::ask::{EpisodeEnd, Shared, ask};
use super::protocol::iae_prompt_parts;
use super::record::millis;
use crate::engine::iae::{ItemRef, items, present};
use crate::engine::{derive_seed, rng_from_seed};
use crate::script::model::WorldTree;
use crate::session::{EventBody, IaeAnswer, OptionsPresented, PresentedOption, SessionId};
use crate::store::StoreError;

/// The option id of a presented option's source index (0: the candidate).
#[must_use]
pub fn option_id(source: usize) -> String {
    if source == 0 {
        "candidate".to_owned()
    } else {
        format!("distractor-{source}")
    }
}

/// The abilities an item counts for.
#[must_use]
pub fn item_abilities(tree: &WorldTree, item: &ItemRef) -> Vec<String> {
    let choice = &tree.nodes[item.node].choices[item.choice];
    match &choice.iae {
        Some(iae) if !iae.abilities.is_empty() => iae.abilities.clone(),
        _ => choice.abilities.clone(),
    }
}

/// The number of IAE items of a tree.
#[must_use]
pub fn item_count(tree: &WorldTree) -> usize {
    items(tree).len()
}

fn index(position: usize) -> u32 {
    u32::try_from(position).unwrap_or(u32::MAX)
}

/// Ask every item of `tree` into session `session`, whose seed is `seed`.
pub(crate) async fn answer_all(
    shared: &Shared,
    tree: &WorldTree,
    session: SessionId,
    seed: u64,
) -> Result<EpisodeEnd, StoreError> {
    let protocol = shared.settings.protocol;
    let set = shared.prompts.for_tree(protocol, tree.language);
    let correction = protocol.correction(tree.language);
    for item in items(tree) {
        let node = &tree.nodes[item.node];
        let choice = &node.choices[item.choice];
        let Some(iae) = &choice.iae else { continue };
        let mut rng = rng_from_seed(derive_seed(
            seed,
            &format!("iae/{}/{}", node.id, item.choice),
        ));
        let presented = present(tree, &item, Some(&mut rng));
        shared.store.append_unflushed(
            session,
            EventBody::OptionsPresented(OptionsPresented {
                node: Some(node.id.clone()),
                prompt: Some(iae.question.clone()),
                options: presented
                    .order
                    .iter()
                    .zip(&presented.options)
                    .map(|(&src, u)| PresentedOption {
                        id: option_id(src),
                        text: u.text.clone(),
                    })
                    .collect(),
            }),
        )?;
        let parts = iae_prompt_parts(
            protocol,
            tree,
            &item.path,
            &iae.question,
            &presented.options,
        );
        let messages = set.render(&parts).messages();
        let texts: Vec<&str> = presented.options.iter().map(|u| u.text.as_str()).collect();
        let asked = ask(shared, session, "iae_answer", messages, &texts, correction).await?;
        if let Some(error) = asked.error {
            return Ok(EpisodeEnd::failed(error));
        }
        let Some(answer) = asked.choice else { continue };
        let Some(&source) = presented.order.get(answer.index) else {
            continue;
        };
        let abilities = item_abilities(tree, &item);
        shared.store.append_unflushed(
            session,
            EventBody::IaeAnswer(IaeAnswer {
                item: format!("{}/{}", node.id, item.choice),
                ability: (!abilities.is_empty()).then(|| abilities.join("; ")),
                option_index: index(answer.index),
                option_id: option_id(source),
                correct: Some(answer.index == presented.correct),
                latency_ms: millis(asked.latency),
            }),
        )?;
    }
    Ok(EpisodeEnd::finished(None, None))
}
