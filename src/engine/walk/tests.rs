use super::*;
use crate::engine::{context, iae, rng_from_seed};
use crate::script::load::{Script, load_str};
use crate::script::model::Outcome;

fn fixture() -> WorldTree {
    let (script, diags, _) = load_str(include_str!("../../../tests/fixtures/check/valid.yaml"));
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    match script {
        Some(Script::WorldTree(t)) => t,
        _ => panic!("no tree"),
    }
}

fn id(tree: &WorldTree, node: usize) -> &str {
    &tree.nodes[node].id
}

#[test]
fn file_order_walk_to_success() {
    let tree = fixture();
    let mut walk = TreeWalk::new(&tree, WalkConfig::default(), rng_from_seed(1));
    let fx = walk.handle(WalkInput::Start);
    assert_eq!(
        fx,
        vec![
            WalkEffect::ShowNode { node: 0 },
            WalkEffect::Present {
                node: 0,
                order: vec![0, 1]
            }
        ]
    );
    let fx = walk.handle(WalkInput::Choose { position: 0 });
    assert_eq!(
        fx[0],
        WalkEffect::Chose {
            node: 0,
            choice: 0,
            position: 0
        }
    );
    assert_eq!(id(&tree, walk.path()[1]), "talk");
    let fx = walk.handle(WalkInput::Choose { position: 0 });
    let last = fx.last().cloned();
    assert!(matches!(
        last,
        Some(WalkEffect::Ended {
            outcome: Outcome::Success,
            ..
        })
    ));
    assert!(walk.is_over());
    assert_eq!(
        walk.handle(WalkInput::Choose { position: 0 }),
        vec![WalkEffect::Rejected {
            reason: "no decision is pending"
        }]
    );
    let path: Vec<&str> = walk.path().iter().map(|&n| id(&tree, n)).collect();
    assert_eq!(path, ["start", "talk", "good"]);
}

#[test]
fn bad_inputs_change_nothing() {
    let tree = fixture();
    let mut walk = TreeWalk::new(&tree, WalkConfig::default(), rng_from_seed(1));
    assert!(matches!(
        walk.handle(WalkInput::Choose { position: 0 })[..],
        [WalkEffect::Rejected { .. }]
    ));
    walk.handle(WalkInput::Start);
    assert!(matches!(
        walk.handle(WalkInput::Choose { position: 9 })[..],
        [WalkEffect::Rejected { .. }]
    ));
    assert!(matches!(
        walk.handle(WalkInput::Start)[..],
        [WalkEffect::Rejected { .. }]
    ));
    assert_eq!(walk.pending().map(|(n, _)| n), Some(0));
}

#[test]
fn shuffled_walks_replay_identically_from_the_seed() {
    let tree = fixture();
    let run = |seed| {
        let mut walk = TreeWalk::new(&tree, WalkConfig { shuffle: true }, rng_from_seed(seed));
        let mut all = walk.handle(WalkInput::Start);
        while !walk.is_over() {
            all.extend(walk.handle(WalkInput::Choose { position: 1 }));
        }
        all
    };
    assert_eq!(run(5), run(5));
    let orders: std::collections::HashSet<_> = (0..32)
        .map(|s| {
            run(s)
                .into_iter()
                .find_map(|e| match e {
                    WalkEffect::Present { order, .. } => Some(order),
                    _ => None,
                })
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(orders.len(), 2, "both orders of two options appear");
}

#[test]
fn situation_choice_reaches_failure_and_context_follows_protocol() {
    let tree = fixture();
    let mut walk = TreeWalk::new(&tree, WalkConfig::default(), rng_from_seed(1));
    walk.handle(WalkInput::Start);
    walk.handle(WalkInput::Choose { position: 0 });
    // At `talk`: Cat was introduced there, so she is among the others.
    let others: Vec<&str> = context::others(&tree, walk.path())
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(others, ["Ben", "Cat"]);
    let official = context::render_dialogue(&context::dialogue(&tree, walk.path(), None));
    assert_eq!(
        official,
        "narration: The fence leans over the roses.\nBen: That fence again.\nCat: Can I help?"
    );
    let ours = context::render_dialogue(&context::dialogue(
        &tree,
        walk.path(),
        Some(walk.decisions()),
    ));
    assert!(ours.contains("Ana: Shall we fix it together on Saturday?\nCat: Can I help?"));
}

#[test]
fn iae_items_and_seeded_presentation() {
    let tree = fixture();
    let items = iae::items(&tree);
    assert_eq!(items.len(), 1);
    assert_eq!((items[0].node, items[0].choice), (0, 0));
    let plain = iae::present(&tree, &items[0], None);
    assert_eq!(plain.correct, 0);
    assert_eq!(plain.options.len(), 4);
    let mut seen = [false; 4];
    for seed in 0..64 {
        let p = iae::present(&tree, &items[0], Some(&mut rng_from_seed(seed)));
        assert_eq!(
            p.options[p.correct].text,
            "Shall we fix it together on Saturday?"
        );
        seen[p.correct] = true;
    }
    assert!(
        seen.iter().all(|s| *s),
        "the correct option lands in every position"
    );
}
