//! `socius eval iae` against policy servers: "always A", whose accuracy must be the share of
//! items whose correct option the seeded shuffle put first (counted by the server itself from
//! the trees, and again from the stored events), and an oracle that always knows the answer.
//! Seeds make the orders reproducible.

mod eval_common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use eval_common::*;
use serde_json::Value;
use socius::agent::llm::testing::{LoopbackServer, Recorded};
use socius::session::{EventBody, SessionKind};
use socius::store::{Filter, Store};

/// (question, option texts sorted) → the candidate utterance, from the trees' scripts.
type Oracle = HashMap<(String, Vec<String>), String>;

fn oracle(dirs: &[&Path]) -> Oracle {
    let mut out = Oracle::new();
    for dir in dirs {
        for t in load_trees(dir) {
            for node in &t.tree.nodes {
                for c in &node.choices {
                    let Some(iae) = &c.iae else { continue };
                    let mut texts: Vec<String> =
                        iae.distractors.iter().map(|d| d.text.clone()).collect();
                    texts.push(c.say.text.clone());
                    texts.sort();
                    out.insert((iae.question.trim().to_owned(), texts), c.say.text.clone());
                    // Under `socialeval` the item is sent as written (question and texts).
                    let raw = |u: &socius::script::model::Utterance| {
                        socius::script::written::said(u).1.to_owned()
                    };
                    let mut texts: Vec<String> = iae.distractors.iter().map(raw).collect();
                    texts.push(raw(&c.say));
                    texts.sort();
                    out.insert(
                        (socius::eval::official_prompt::question(iae), texts),
                        raw(&c.say),
                    );
                }
            }
        }
    }
    out
}

/// Which option of the request is the candidate (`None` when the texts make it ambiguous).
fn correct_index(oracle: &Oracle, r: &Recorded) -> Option<usize> {
    let prompt = user_prompt(r);
    let opts = options(&prompt, '.');
    let mut sorted = opts.clone();
    sorted.sort();
    let candidate = oracle
        .get(&(question(&prompt), sorted))
        .unwrap_or_else(|| panic!("an item the trees do not hold:\n{prompt}"));
    let hits: Vec<usize> = (0..opts.len()).filter(|&i| &opts[i] == candidate).collect();
    (hits.len() == 1).then(|| hits[0])
}

struct Counts {
    asked: AtomicUsize,
    a_correct: AtomicUsize,
}

fn pct(num: usize, den: usize) -> f64 {
    ((num as f64 * 100.0 / den as f64) * 100.0).round() / 100.0
}

async fn eval_iae(
    store: &Path,
    scripts: &Path,
    server: &LoopbackServer,
    template: &Path,
    extra: &[&str],
) -> Value {
    let mut a = args(&[
        "eval",
        "iae",
        "--scripts",
        scripts.to_str().unwrap(),
        "--endpoint",
        &server.base_url(),
        "--model",
        "policy",
        "--prompt-template",
        template.to_str().unwrap(),
        "--json",
    ]);
    a.extend(extra.iter().map(|s| (*s).to_owned()));
    let out = socius_async(store, a, Vec::new()).await;
    assert!(out.status.success(), "{}", stderr(&out));
    json_out(&out)
}

/// The candidate's position in every stored `options_presented` of the IAE sessions.
fn stored_candidate_positions(store: &Path) -> (usize, usize, usize) {
    let store = Store::open(store).unwrap();
    let (mut items, mut first, mut correct) = (0, 0, 0);
    for s in store
        .list(&Filter {
            kind: Some(SessionKind::WorldTreeIae),
            ..Filter::default()
        })
        .unwrap()
    {
        for e in store.events(s.id).unwrap() {
            match e.body {
                EventBody::OptionsPresented(o) => {
                    items += 1;
                    first += usize::from(o.options[0].id == "candidate");
                }
                EventBody::IaeAnswer(a) => correct += usize::from(a.correct == Some(true)),
                _ => {}
            }
        }
    }
    (items, first, correct)
}

async fn always_a_over(dir: &Path, protocol: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let template = write(tmp.path(), "iae.txt", IAE_TEMPLATE);
    let table = Arc::new(oracle(&[dir]));
    let counts = Arc::new(Counts {
        asked: AtomicUsize::new(0),
        a_correct: AtomicUsize::new(0),
    });
    let (t, c) = (Arc::clone(&table), Arc::clone(&counts));
    let server = LoopbackServer::start(move |r: &Recorded| {
        c.asked.fetch_add(1, Ordering::SeqCst);
        if correct_index(&t, r) == Some(0) {
            c.a_correct.fetch_add(1, Ordering::SeqCst);
        }
        choice_reply('A')
    })
    .await
    .unwrap();
    let store = tmp.path().join("store");
    let report = eval_iae(&store, dir, &server, &template, &["--protocol", protocol]).await;
    let asked = counts.asked.load(Ordering::SeqCst);
    let a_correct = counts.a_correct.load(Ordering::SeqCst);
    assert!(asked > 0);
    assert_eq!(report["metric"], "iae");
    assert_eq!(
        report["items"].as_u64(),
        Some(asked as u64),
        "one request per item"
    );
    assert_eq!(report["dropped"]["invalid_answer"], 0);
    assert_eq!(report["dropped"]["error"], 0);
    let overall = report["overall_accuracy_pct"].as_f64().unwrap();
    assert!(
        (overall - pct(a_correct, asked)).abs() < 1e-9,
        "{overall} vs {a_correct}/{asked}"
    );
    assert!(
        a_correct > 0 && a_correct < asked,
        "the options are shuffled"
    );
    let (items, first, correct) = stored_candidate_positions(&store);
    assert_eq!((items, first, correct), (asked, a_correct, a_correct));
    eprintln!("always-A ({protocol}): {a_correct}/{asked} items correct = {overall}%");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn always_a_scores_the_items_the_shuffle_put_first() {
    always_a_over(&bundled(), "socius").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn always_a_over_the_corpus() {
    let Some(corpus) = corpus_dir("always_a_over_the_corpus") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let trees = tmp.path().join("trees");
    let report = socius::script::socialeval::import_paths(&[corpus], &trees);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    always_a_over(&trees, "socialeval").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oracle_scores_everything_and_seeds_reproduce_orders() {
    let tmp = tempfile::tempdir().unwrap();
    let template = write(tmp.path(), "iae.txt", IAE_TEMPLATE);
    let table = Arc::new(oracle(&[&bundled()]));
    let t = Arc::clone(&table);
    let server = LoopbackServer::start(move |r: &Recorded| {
        choice_reply(letter(correct_index(&t, r).unwrap_or(0)))
    })
    .await
    .unwrap();
    let store = tmp.path().join("store");
    let report = eval_iae(&store, &bundled(), &server, &template, &[]).await;
    assert!((report["overall_accuracy_pct"].as_f64().unwrap() - 100.0).abs() < 1e-9);
    for (name, cell) in report["by_ability"].as_object().unwrap() {
        assert_eq!(cell["items"], cell["correct"], "{name}");
    }
    for (name, cell) in report["by_category"].as_object().unwrap() {
        assert!(
            (cell["accuracy_pct"].as_f64().unwrap() - 100.0).abs() < 1e-9,
            "{name}"
        );
    }
    let mut keys: Vec<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut want = [
        "schema",
        "metric",
        "run",
        "model",
        "protocol",
        "trees",
        "items",
        "by_ability",
        "by_category",
        "overall_accuracy_pct",
        "dropped",
    ];
    want.sort_unstable();
    assert_eq!(keys, want, "the documented IAE keys: {report}");

    // The same seed shows every item in the same order; another seed does not.
    let prompts = |from: usize, to: usize| {
        let mut p: Vec<String> = server.requests()[from..to]
            .iter()
            .map(user_prompt)
            .collect();
        p.sort();
        p
    };
    let n = server.request_count();
    eval_iae(&store, &bundled(), &server, &template, &[]).await;
    assert_eq!(prompts(0, n), prompts(n, 2 * n), "seed 0 twice");
    eval_iae(&store, &bundled(), &server, &template, &["--seed", "7"]).await;
    assert_ne!(prompts(0, n), prompts(2 * n, 3 * n), "another seed");
}

/// Under `socialeval`, a letter that names no option is a wrong answer (the official reading),
/// not a dropped item; under `socius` the tolerant reader drops it as unreadable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_letter_that_is_no_option_is_wrong_under_socialeval_and_dropped_under_socius() {
    let tmp = tempfile::tempdir().unwrap();
    let template = write(tmp.path(), "iae.txt", IAE_TEMPLATE);
    let server = LoopbackServer::start(|_r: &Recorded| choice_reply('Z'))
        .await
        .unwrap();
    let tree = repo().join("scripts/en-shared-kitchen.yaml");
    let store = tmp.path().join("official");
    let report = eval_iae(
        &store,
        &tree,
        &server,
        &template,
        &["--protocol", "socialeval"],
    )
    .await;
    let items = report["items"].as_u64().unwrap();
    assert!(items > 0);
    assert_eq!(report["dropped"]["invalid_answer"], 0, "{report}");
    assert!(report["overall_accuracy_pct"].as_f64().unwrap().abs() < 1e-9);
    let s = Store::open(&store).unwrap();
    let sessions = s.list(&Filter::default()).unwrap();
    let answers: Vec<_> = sessions
        .iter()
        .flat_map(|x| s.events(x.id).unwrap())
        .filter_map(|e| match e.body {
            EventBody::IaeAnswer(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(answers.len() as u64, items);
    assert!(
        answers
            .iter()
            .all(|a| a.option_id == "not-an-option" && a.correct == Some(false))
    );
    drop(s);
    let store = tmp.path().join("ours");
    let report = eval_iae(&store, &tree, &server, &template, &["--protocol", "socius"]).await;
    assert_eq!(
        report["dropped"]["invalid_answer"].as_u64(),
        Some(items),
        "{report}"
    );
    assert_eq!(report["items"], 0, "{report}");
}

/// A tree whose questions carry a damaged tag, a clean one, and none at all (as written in the
/// source: `abilities_original`).
const TAGGED_TREE: &str = r#"kind: world_tree
id: official-tags
title: Tags as written
language: en
orientation: cooperation
orientation_code: [1, 1]
scenario: Two neighbours and a fence.
characters:
- name: Ana
  role: protagonist
  public_profile: A gardener.
  private_profile: She broke the fence.
  goal: Fix the fence together.
- name: Ben
  role: supporting
  public_profile: The neighbour.
nodes:
- id: start
  type: beginning
  lines:
  - speaker: Ben
    text: That fence again.
  choices:
  - target: good
    abilities: [teamwork skill]
    say: {speaker: Ana, text: Shall we fix it together?}
    iae:
      question: Which reply shows teamwork?
      abilities: [teamwork skill]
      abilities_original: [Teamwork Skil]
      distractors:
      - {speaker: Ana, text: Fix it yourself.}
      - {speaker: Ana, text: I'm busy.}
  - target: bad
    abilities: [capacity for social warmth]
    say: {speaker: Ana, text: I am sorry about it.}
    iae:
      question: Which reply is warm?
      abilities: [capacity for social warmth]
      distractors:
      - {speaker: Ana, text: Whatever.}
  - target: good
    abilities: [leadership skill]
    say: {speaker: Ana, text: I will organise the work.}
    iae:
      question: Which reply leads?
      abilities: [leadership skill]
      abilities_original: []
      distractors:
      - {speaker: Ana, text: Do what you want.}
- id: good
  type: ending
  outcome: success
- id: bad
  type: ending
  outcome: failure
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_socialeval_the_report_carries_the_official_aggregation() {
    let tmp = tempfile::tempdir().unwrap();
    let template = write(tmp.path(), "iae.txt", IAE_TEMPLATE);
    let tree = write(tmp.path(), "tagged.yaml", TAGGED_TREE);
    let server = LoopbackServer::start(|_r: &Recorded| choice_reply('A'))
        .await
        .unwrap();
    let store = tmp.path().join("store");
    let report = eval_iae(
        &store,
        &tree,
        &server,
        &template,
        &["--protocol", "socialeval"],
    )
    .await;
    // Recompute from the stored answers, with the tags as written.
    let written: HashMap<&str, Vec<&str>> = HashMap::from([
        ("start/0", vec!["Teamwork Skil"]),
        ("start/1", vec!["capacity for social warmth"]),
        ("start/2", vec![]),
    ]);
    let s = Store::open(&store).unwrap();
    let mut per_key: HashMap<String, (u32, u32)> = HashMap::new();
    let mut answered = 0;
    for x in s.list(&Filter::default()).unwrap() {
        for e in s.events(x.id).unwrap() {
            if let EventBody::IaeAnswer(a) = e.body {
                answered += 1;
                for tag in &written[a.item.as_str()] {
                    let key = tag.replace(['-', ' '], "").to_lowercase();
                    let c = per_key.entry(key).or_default();
                    c.0 += 1;
                    c.1 += u32::from(a.correct == Some(true));
                }
            }
        }
    }
    assert_eq!(answered, 3);
    let official = &report["official"];
    let by_key = official["by_key"].as_object().expect("by_key");
    assert_eq!(by_key.len(), per_key.len(), "{official}");
    let mut sum = 0.0;
    for (key, (total, right)) in &per_key {
        let want = f64::from(*right) * 100.0 / f64::from(*total);
        let got = by_key[key].as_f64().unwrap();
        assert!((got - want).abs() < 1e-9, "{key}: {got} vs {want}");
        sum += want;
    }
    // The damaged tag is a key of its own; the untagged item counts nowhere.
    assert!(by_key.contains_key("teamworkskil"));
    assert_eq!(official["items"], 2);
    let overall = official["overall_average"].as_f64().unwrap();
    assert!((overall - sum / per_key.len() as f64).abs() < 1e-9);
    // The socius figures count all three items under BESSI names.
    assert_eq!(report["items"], 3);
    drop(s);
    let store = tmp.path().join("ours");
    let report = eval_iae(&store, &tree, &server, &template, &["--protocol", "socius"]).await;
    assert!(report.get("official").is_none(), "{report}");
}
