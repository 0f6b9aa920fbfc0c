use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// Every (item, system) has a session except where `hole(i, s)`.
fn shown_map(
    items: &[String],
    systems: &[String],
    hole: impl Fn(usize, usize) -> bool,
) -> BTreeMap<(String, String), String> {
    let mut m = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        for (s, sy) in systems.iter().enumerate() {
            if !hole(i, s) {
                m.insert((it.clone(), sy.clone()), format!("sess-{i}-{s}"));
            }
        }
    }
    m
}

#[test]
fn pairwise_tasks_are_every_pair_with_both_transcripts() {
    let items = names("case", 3);
    let systems = names("m", 3);
    // item 1 lacks system 2.
    let shown = shown_map(&items, &systems, |i, s| i == 1 && s == 2);
    let tasks = build_tasks(JudgedKind::Pairwise, &items, &systems, &shown, &[], &[]);
    // item 0 and 2: 3 pairs each; item 1: only (m0, m1).
    assert_eq!(tasks.len(), 3 + 1 + 3);
    let ids: BTreeSet<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids.len(), tasks.len());
    for t in &tasks {
        let TaskBody::Pair { a, b, better } = &t.body else {
            panic!("not a pair")
        };
        assert!(better.is_none());
        let pa = systems.iter().position(|s| Some(s) == a.system.as_ref());
        let pb = systems.iter().position(|s| Some(s) == b.system.as_ref());
        assert!(pa < pb, "a is the system named first");
    }
}

#[test]
fn pointwise_tasks_are_every_transcript() {
    let items = names("tree", 2);
    let systems = names("m", 3);
    let shown = shown_map(&items, &systems, |i, s| i == 0 && s == 0);
    let tasks = build_tasks(JudgedKind::Pointwise, &items, &systems, &shown, &[], &[]);
    assert_eq!(tasks.len(), 5);
}

#[test]
fn choose_is_seeded_and_ignores_order() {
    let s = vec!["c".to_owned(), "a".to_owned(), "b".to_owned()];
    let mut r = s.clone();
    r.reverse();
    assert_eq!(choose(7, "i", "m", &s), choose(7, "i", "m", &r));
    assert!(choose(7, "i", "m", &[]).is_none());
    let picks: BTreeSet<String> = (0..64)
        .filter_map(|seed| choose(seed, "i", "m", &s))
        .collect();
    assert!(picks.len() > 1, "different seeds pick different sessions");
}

#[test]
fn nothing_to_compare_is_an_error() {
    let tasks = build_tasks(
        JudgedKind::Pairwise,
        &names("i", 2),
        &names("m", 2),
        &BTreeMap::new(),
        &[],
        &[],
    );
    assert!(tasks.is_empty());
    let e = assign_tasks(
        "s",
        JudgedKind::Pairwise,
        &tasks,
        &names("a", 2),
        1,
        None,
        1,
    );
    assert!(matches!(e, Err(PlanError::Nothing { .. })));
}

fn known(n: usize) -> Vec<KnownTask> {
    (0..n)
        .map(|i| KnownTask {
            item: None,
            body: TaskBody::Pair {
                a: Shown {
                    system: None,
                    session: format!("good{i}"),
                },
                b: Shown {
                    system: None,
                    session: format!("bad{i}"),
                },
                better: Some(Side::A),
            },
        })
        .collect()
}

proptest! {
    #[test]
    fn assignments_are_balanced_distinct_capped_and_seeded(
        n_items in 1usize..6,
        n_systems in 2usize..5,
        n_ann in 1usize..6,
        per in 1usize..4,
        cap in proptest::option::of(1usize..12),
        n_onb in 0usize..3,
        n_att in 0usize..3,
        seed in any::<u64>(),
    ) {
        prop_assume!(per <= n_ann);
        let items = names("i", n_items);
        let systems = names("m", n_systems);
        let shown = shown_map(&items, &systems, |_, _| false);
        let tasks = build_tasks(JudgedKind::Pairwise, &items, &systems, &shown, &known(n_onb), &known(n_att));
        let ann = names("a", n_ann);
        let got = assign_tasks("s", JudgedKind::Pairwise, &tasks, &ann, per, cap, seed).unwrap();
        let again = assign_tasks("s", JudgedKind::Pairwise, &tasks, &ann, per, cap, seed).unwrap();
        prop_assert_eq!(&got, &again);
        let kind_of: BTreeMap<&str, TaskKind> = tasks.iter().map(|t| (t.id.as_str(), t.kind)).collect();
        let n_real = tasks.iter().filter(|t| t.kind == TaskKind::Real).count();
        let mut per_task: BTreeMap<&str, usize> = BTreeMap::new();
        let mut loads = Vec::new();
        for a in &got.assignments {
            let ids: Vec<&str> = a.tasks.iter().map(|t| t.task.as_str()).collect();
            let set: BTreeSet<&str> = ids.iter().copied().collect();
            prop_assert_eq!(set.len(), ids.len(), "no task twice");
            // onboarding first, all of it
            for (k, t) in a.tasks.iter().take(n_onb).enumerate() {
                prop_assert_eq!(kind_of[t.task.as_str()], TaskKind::Onboarding);
                prop_assert_eq!(&t.task, &tasks[k].id);
            }
            let att = ids.iter().filter(|t| kind_of[**t] == TaskKind::Attention).count();
            prop_assert_eq!(att, n_att);
            let real: Vec<&str> = ids.iter().copied().filter(|t| kind_of[*t] == TaskKind::Real).collect();
            if let Some(c) = cap { prop_assert!(real.len() <= c.saturating_sub(n_onb + n_att)); }
            if let Some(c) = cap.filter(|c| *c > n_onb + n_att) {
                prop_assert!(a.tasks.len() <= c, "the cap counts every task");
            }
            loads.push(real.len());
            for t in real { *per_task.entry(t).or_default() += 1; }
            prop_assert!(a.tasks.iter().all(|t| t.left.is_some()));
        }
        let max = loads.iter().max().copied().unwrap_or(0);
        let min = loads.iter().min().copied().unwrap_or(0);
        prop_assert!(max - min <= 1, "balanced: {:?}", loads);
        let given: usize = per_task.values().sum();
        prop_assert_eq!(given + got.short, n_real * per);
        prop_assert!(per_task.values().all(|&c| c <= per));
        if cap.is_none() {
            prop_assert_eq!(got.short, 0);
            prop_assert_eq!(per_task.len(), n_real);
        }
    }
}
