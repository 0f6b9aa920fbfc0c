use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::*;

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// (trees, annotators, k, seed) with 1 <= k <= annotators.
fn plan() -> impl Strategy<Value = (usize, usize, usize, u64)> {
    (1usize..40, 1usize..12).prop_flat_map(|(t, n)| (Just(t), Just(n), 1..=n, any::<u64>()))
}

proptest! {
    #[test]
    fn every_tree_gets_k_distinct_annotators((t, n, k, seed) in plan()) {
        let trees = names("t", t);
        let out = assign(&trees, &[], &names("a", n), k, StudyMode::Gae, seed).unwrap();
        let mut per_tree: HashMap<&str, HashSet<&str>> = HashMap::new();
        for a in &out {
            for i in a.study_items() {
                prop_assert!(per_tree.entry(&i.tree).or_default().insert(&a.annotator));
            }
        }
        prop_assert_eq!(per_tree.len(), t);
        for set in per_tree.values() {
            prop_assert_eq!(set.len(), k);
        }
    }

    #[test]
    fn shares_are_balanced_and_trees_never_repeat((t, n, k, seed) in plan()) {
        let out = assign(&names("t", t), &[], &names("a", n), k, StudyMode::Both, seed).unwrap();
        let counts: Vec<usize> = out.iter().map(|a| a.study_items().count()).collect();
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        prop_assert!(max - min <= 1, "{counts:?}");
        prop_assert_eq!(counts.iter().sum::<usize>(), t * k);
        for a in &out {
            let trees: HashSet<&str> = a.items.iter().map(|i| i.tree.as_str()).collect();
            prop_assert_eq!(trees.len(), a.items.len());
        }
    }

    #[test]
    fn the_seed_decides_everything((t, n, k, seed) in plan()) {
        let run = || assign(&names("t", t), &names("p", 2), &names("a", n), k, StudyMode::Iae, seed);
        prop_assert_eq!(run(), run());
        for a in run().unwrap() {
            // Training first, in the plan's order.
            prop_assert_eq!(&a.items[0].tree, "p0");
            prop_assert_eq!(&a.items[1].tree, "p1");
            prop_assert!(a.items[..2].iter().all(|i| i.training));
            prop_assert!(a.items[2..].iter().all(|i| !i.training));
        }
    }
}

#[test]
fn seeds_change_the_plan() {
    let trees = names("t", 12);
    let ann = names("a", 4);
    let a = assign(&trees, &[], &ann, 2, StudyMode::Gae, 1).unwrap();
    let differs = (2..10).any(|s| assign(&trees, &[], &ann, 2, StudyMode::Gae, s).unwrap() != a);
    assert!(differs);
}

#[test]
fn impossible_plans_are_refused() {
    let t = names("t", 3);
    assert_eq!(
        assign(&t, &[], &names("a", 2), 3, StudyMode::Gae, 0),
        Err(AssignError::TooFewAnnotators {
            k: 3,
            annotators: 2
        })
    );
    assert_eq!(
        assign(&t, &[], &names("a", 2), 0, StudyMode::Gae, 0),
        Err(AssignError::ZeroK)
    );
    assert_eq!(
        assign(&[], &[], &names("a", 2), 1, StudyMode::Gae, 0),
        Err(AssignError::NoTrees)
    );
    let dup = vec!["x".to_owned(), "x".to_owned()];
    assert!(matches!(
        assign(&t, &[], &dup, 1, StudyMode::Gae, 0),
        Err(AssignError::DuplicateAnnotator(_))
    ));
}
