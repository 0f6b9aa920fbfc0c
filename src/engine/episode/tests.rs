use super::*;
use crate::script::load::{Script, load_str};

fn tree(text: &str) -> WorldTree {
    let (script, diags, _) = load_str(text);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    match script {
        Some(Script::WorldTree(t)) => t,
        _ => panic!("no tree"),
    }
}

fn kitchen() -> WorldTree {
    tree(include_str!("../../../scripts/en-shared-kitchen.yaml"))
}

fn config(mode: Mode, seed: u64) -> EpisodeConfig {
    EpisodeConfig {
        mode,
        shuffle: true,
        seed,
        official: false,
    }
}

/// Play with `pick` (position for each question) until the end; every effect in order.
fn play(
    tree: &WorldTree,
    config: EpisodeConfig,
    pick: impl Fn(&Question) -> Option<usize>,
) -> Vec<EpisodeEffect> {
    let mut ep = Episode::new(tree, config);
    let mut all = ep.handle(EpisodeInput::Start);
    let mut guard = 0;
    while let Some(q) = ep.question().cloned() {
        guard += 1;
        assert!(guard < 500, "no end");
        let input = pick(&q).map_or(EpisodeInput::Unusable, |position| EpisodeInput::Answer {
            position,
        });
        all.extend(ep.handle(input));
    }
    assert!(ep.is_over());
    all
}

fn asks(effects: &[EpisodeEffect]) -> Vec<&Question> {
    effects
        .iter()
        .filter_map(|e| match e {
            EpisodeEffect::Ask(q) => Some(q),
            _ => None,
        })
        .collect()
}

fn end(effects: &[EpisodeEffect]) -> &EpisodeEnd {
    match effects.last() {
        Some(EpisodeEffect::End(e)) => e,
        other => panic!("last effect {other:?}"),
    }
}

#[test]
fn a_gae_walk_enters_asks_and_ends_at_a_labelled_ending() {
    let t = kitchen();
    let fx = play(&t, config(Mode::Gae, 3), |_| Some(0));
    assert!(matches!(fx[0], EpisodeEffect::Enter { node: 0 }));
    let questions = asks(&fx);
    assert!(questions.len() >= 3, "{fx:?}");
    assert!(questions.iter().all(|q| q.kind == QuestionKind::Gae));
    // Each question's options are a permutation of its node's choices.
    for q in &questions {
        let mut got: Vec<usize> = q
            .options
            .iter()
            .map(|o| match o {
                OptionSource::Choice(c) => *c,
                other => panic!("{other:?}"),
            })
            .collect();
        got.sort_unstable();
        assert_eq!(got, (0..t.nodes[q.node].choices.len()).collect::<Vec<_>>());
    }
    let e = end(&fx);
    assert!(e.outcome.is_some() && e.dropped.is_none(), "{e:?}");
    assert_eq!(
        t.nodes[e.node.unwrap()].kind,
        crate::script::model::NodeKind::Ending
    );
    // An answer is followed by the node it leads to.
    let answered = fx
        .iter()
        .position(|e| matches!(e, EpisodeEffect::Answered { .. }))
        .unwrap();
    assert!(matches!(fx[answered + 1], EpisodeEffect::Enter { .. }));
}

#[test]
fn the_same_seed_and_answers_give_the_same_episode() {
    let t = kitchen();
    for mode in Mode::ALL {
        let a = play(&t, config(mode, 11), |q| Some(q.options.len() - 1));
        let b = play(&t, config(mode, 11), |q| Some(q.options.len() - 1));
        assert_eq!(a, b, "{mode:?}");
    }
    let differ = (0..10).any(|s| {
        play(&t, config(Mode::Iae, s), |_| Some(0)) != play(&t, config(Mode::Iae, 11), |_| Some(0))
    });
    assert!(differ, "the seed orders the options");
}

#[test]
fn iae_asks_every_item_in_order_with_its_context() {
    let t = kitchen();
    let items = iae::items(&t);
    let fx = play(&t, config(Mode::Iae, 5), |q| q.correct());
    let questions = asks(&fx);
    assert_eq!(questions.len(), items.len());
    for (k, (q, item)) in questions.iter().zip(&items).enumerate() {
        assert_eq!(q.item(), Some(item));
        assert_eq!(
            q.kind,
            QuestionKind::Iae {
                item: item.clone(),
                index: k,
                total: items.len()
            }
        );
        assert_eq!(
            q.options
                .iter()
                .filter(|o| **o == OptionSource::Candidate)
                .count(),
            1
        );
    }
    // Each item comes with its own context first.
    let contexts = fx
        .iter()
        .filter(|e| matches!(e, EpisodeEffect::ItemContext { .. }))
        .count();
    assert_eq!(contexts, items.len());
    let e = end(&fx);
    assert_eq!((e.items, e.correct), (items.len(), items.len()));
    assert_eq!((e.node, e.outcome, e.dropped), (None, None, None));
}

#[test]
fn an_unusable_answer_skips_an_item_but_ends_a_walk() {
    let t = kitchen();
    let fx = play(&t, config(Mode::Iae, 5), |q| match q.kind {
        QuestionKind::Iae { index, .. } if index % 2 == 1 => None,
        _ => Some(0),
    });
    let skipped = fx
        .iter()
        .filter(|e| matches!(e, EpisodeEffect::Skipped { .. }))
        .count();
    let e = end(&fx);
    assert!(skipped > 0);
    assert_eq!(e.items + skipped, iae::items(&t).len());
    let fx = play(&t, config(Mode::Gae, 5), |_| None);
    let e = end(&fx);
    assert_eq!(e.dropped, Some(DropReason::InvalidAnswer));
    assert_eq!(e.node, None);
}

#[test]
fn both_mode_asks_a_choice_points_items_before_its_story_choice() {
    let t = kitchen();
    let fx = play(&t, config(Mode::Both, 9), |_| Some(0));
    let mut last_gae_node = None;
    let mut saw_item = false;
    for q in asks(&fx) {
        match &q.kind {
            QuestionKind::Iae { item, .. } => {
                saw_item = true;
                assert_ne!(
                    last_gae_node,
                    Some(item.node),
                    "items come before the story choice"
                );
                assert!(
                    !fx.iter()
                        .any(|e| matches!(e, EpisodeEffect::ItemContext { .. }))
                );
            }
            QuestionKind::Gae => last_gae_node = Some(q.node),
        }
    }
    assert!(saw_item);
    assert!(end(&fx).outcome.is_some());
}

#[test]
fn inputs_that_do_not_fit_change_nothing() {
    let t = kitchen();
    let mut ep = Episode::new(&t, config(Mode::Gae, 1));
    assert!(ep.handle(EpisodeInput::Answer { position: 0 }).is_empty());
    assert!(!ep.handle(EpisodeInput::Start).is_empty());
    assert!(ep.handle(EpisodeInput::Start).is_empty());
    let q = ep.question().cloned().unwrap();
    assert!(ep.handle(EpisodeInput::Answer { position: 99 }).is_empty());
    assert_eq!(ep.question(), Some(&q));
}
