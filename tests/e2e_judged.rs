//! A pairwise study end to end in a real terminal: CR dialogues of two systems are stored
//! through the Store API, `socius study new` registers the study, two annotators vote in tmux
//! (one in the researcher's store, one from an exported assignment in a store of their own),
//! and the stored judgments and `study status` are checked. Keys wait for the screen that
//! proves they were acted on (no sleeps).

use std::path::Path;
use std::process::Command;

use serde_json::json;
use socius::session::{EventBody, NewSession, ScriptRef, SessionKind, Status, Who};
use socius::store::{Filter, Store};
use socius::study::judged::{JudgedAssignment, JudgedPlan, Side, TaskBody};

mod common;
mod tmux_support;

use tmux_support::{Tmux, json_of, repo, socius};

fn model(name: &str) -> Who {
    Who::Model {
        name: name.to_owned(),
        endpoint_host: "127.0.0.1".to_owned(),
        params: serde_json::Map::new(),
    }
}

/// Finished CR dialogues of model-a on every case and of model-b on the first two.
fn store_dialogues(dir: &Path, cases: &[&str]) {
    let store = Store::open(dir).expect("store");
    for (i, case) in cases.iter().enumerate() {
        for m in ["model-a", "model-b"] {
            if m == "model-b" && i >= 2 {
                continue;
            }
            let s = store
                .create(NewSession::new(
                    SessionKind::CrDialogue,
                    ScriptRef::new(
                        *case,
                        &std::fs::read(repo().join(format!("scripts/cr/cases/{case}.yaml")))
                            .expect("case file"),
                    ),
                    model(m),
                    1,
                ))
                .expect("create");
            for (speaker, text) in [
                (
                    "client",
                    format!("Case {case}: nobody at work listens to me."),
                ),
                (
                    "therapist",
                    format!(
                        "Reply {i}, variant {}.",
                        if m == "model-a" { "one" } else { "two" }
                    ),
                ),
            ] {
                let body: EventBody = serde_json::from_value(
                    json!({"type": "cr_turn", "speaker": speaker, "text": text}),
                )
                .expect("body");
                store.append(s.id, body).expect("append");
            }
            store
                .set_status(s.id, Status::Finished, None)
                .expect("finish");
        }
    }
}

fn study_text(cases: &Path) -> String {
    format!(
        "kind: study
type: pairwise
id: e2e-pw
title: Two systems on CR cases
items:
  - folder: {}
    language: en
systems:
  - name: sys-a
    model: model-a
  - name: sys-b
    model: model-b
question: Which reply helps the client more?
judgments_per_pair: 2
annotators: [ann-a, ann-b]
min_seconds: 1
seed: 3
reason: optional
",
        cases.display()
    )
}

/// The registered study `id`'s plan and the assignments of ann-a and ann-b; ann-b's is
/// exported to `export-b` (to be run in a store of their own).
fn registered(d: &Path, id: &str) -> (JudgedPlan, JudgedAssignment, JudgedAssignment) {
    let dir = d.join("studies").join(id);
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).expect("study file");
    let plan: JudgedPlan = serde_json::from_str(&read("plan.json")).expect("plan json");
    let assignment = |name: &str| -> JudgedAssignment {
        serde_json::from_str(&read(&format!("assignments/{name}.json"))).expect("assignment")
    };
    socius(
        d,
        &[
            "study",
            "export-assignment",
            id,
            "--as",
            "ann-b",
            "--out",
            "export-b",
            "--store",
            "store-a",
        ],
    );
    (plan, assignment("ann-a"), assignment("ann-b"))
}

/// Vote on every task of `a` in the open tmux session: prefer the side showing `want`.
fn vote_all(tmux: &Tmux, plan: &JudgedPlan, a: &JudgedAssignment, want: Side, reason: &str) {
    let m = a.tasks.len();
    for (n, t) in a.tasks.iter().enumerate() {
        let head = format!("Task {} of {m}", n + 1);
        tmux.wait_for(&head);
        // The vote counts once the minimum time is over: wait for the screen to say so.
        tmux.wait_until("the minimum time", |s| !s.contains("counts after"));
        let task = plan.tasks.iter().find(|p| p.id == t.task).expect("task");
        assert!(matches!(task.body, TaskBody::Pair { .. }));
        let key = if t.left == Some(want) { "1" } else { "2" };
        tmux.keys(&[key]);
        tmux.wait_for("Reason:");
        if !reason.is_empty() {
            tmux.keys(&["-l", reason]);
            tmux.wait_for(reason);
        }
        tmux.keys(&["Enter"]);
        if n + 1 < m {
            let next = format!("Task {} of {m}", n + 2);
            tmux.wait_for(&next);
        }
    }
    tmux.wait_for("All tasks are done");
    tmux.keys(&["q"]);
    tmux.exited();
}

/// (annotator, task, chosen session) of every stored judgment.
fn stored(dir: &Path) -> Vec<(String, String, String)> {
    let store = Store::open(dir).expect("store");
    let filter = Filter {
        kind: Some(SessionKind::StudyJudgment),
        ..Filter::default()
    };
    let mut out = Vec::new();
    for s in store.list(&filter).expect("list") {
        let who = s.who.to_string();
        for e in store.events(s.id).expect("events") {
            if let EventBody::Judgment(j) = e.body {
                let chosen = match j.choice.to_string().as_str() {
                    "left" => j.left.clone(),
                    "right" => j.right.clone(),
                    other => other.to_owned(),
                };
                out.push((who.clone(), j.pair.unwrap_or_default(), chosen));
            }
        }
    }
    out
}

#[test]
fn two_annotators_vote_on_cr_dialogues_of_two_systems() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("e2e: tmux is not installed; skipping (CI installs it)");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let cases = ["en-birthday-drinks", "en-exam-retake", "en-passed-over"];
    store_dialogues(&d.join("store-a"), &cases);
    std::fs::write(
        d.join("study.yaml"),
        study_text(&repo().join("scripts/cr/cases")),
    )
    .expect("write");
    let out = socius(d, &["study", "new", "study.yaml", "--store", "store-a"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("missing: no finished session of system `sys-b` on item `en-passed-over`"),
        "{text}"
    );
    let (plan, aa, ab) = registered(d, "e2e-pw");
    let tmux = Tmux::new("judged");
    // A in the researcher's store prefers sys-a (side a); B, elsewhere, prefers sys-b.
    tmux.open(
        d,
        &d.join("config-a"),
        "study run e2e-pw --as ann-a --store store-a --lang en",
    );
    let s = tmux.wait_for("Task 1 of 2");
    assert!(
        !s.contains("model-a") && !s.contains("sys-a"),
        "systems are not named:\n{s}"
    );
    vote_all(&tmux, &plan, &aa, Side::A, "clearer");
    tmux.open(
        d,
        &d.join("config-b"),
        "study run export-b --as ann-b --store store-b --lang en",
    );
    vote_all(&tmux, &plan, &ab, Side::B, "");

    // Stored: one judgment per assigned task, the chosen session the preferred system's.
    let session_of = |task: &str, side: Side| -> String {
        let t = plan.tasks.iter().find(|t| t.id == task).expect("task");
        let TaskBody::Pair { a, b, .. } = &t.body else {
            panic!("pair")
        };
        if side == Side::A {
            a.session.clone()
        } else {
            b.session.clone()
        }
    };
    for (dir, who, asg, side) in [
        ("store-a", "annotator:ann-a", &aa, Side::A),
        ("store-b", "annotator:ann-b", &ab, Side::B),
    ] {
        let got = stored(&d.join(dir));
        let mut want: Vec<(String, String, String)> = asg
            .tasks
            .iter()
            .map(|t| (who.to_owned(), t.task.clone(), session_of(&t.task, side)))
            .collect();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        want.sort();
        assert_eq!(got_sorted, want, "{dir}");
    }
    let out = socius(
        d,
        &[
            "study",
            "status",
            "e2e-pw",
            "--store",
            "store-a",
            "--store",
            "store-b",
            "--studies",
            "studies",
            "--json",
        ],
    );
    let v = json_of(&out);
    assert_eq!(v["done"], v["total"], "{v}");
    assert_eq!(v["total"], 4);

    // The report over both stores reads what the screens wrote: every vote of A is a win of
    // sys-a (the first-named system, side a), every vote of B a loss.
    let out = socius(
        d,
        &[
            "study",
            "report",
            "e2e-pw",
            "--store",
            "store-a",
            "--store",
            "store-b",
            "--studies",
            "studies",
            "--json",
        ],
    );
    let v = json_of(&out);
    let pairs = v["pairs"].as_array().expect("pairs");
    assert_eq!(pairs.len(), 1, "{v}");
    let p = &pairs[0];
    assert_eq!(
        (p["a"].as_str(), p["b"].as_str()),
        (Some("sys-a"), Some("sys-b")),
        "{v}"
    );
    assert_eq!(p["wins"].as_u64(), Some(aa.tasks.len() as u64), "{v}");
    assert_eq!(p["losses"].as_u64(), Some(ab.tasks.len() as u64), "{v}");
    assert_eq!(p["ties"].as_u64(), Some(0), "{v}");
}

/// The choice ids of the walk that takes choice `pick(n)` (of `n`) at every node.
fn picks(tree: &socius::script::WorldTree, pick: impl Fn(usize) -> usize) -> Vec<String> {
    let mut node = tree.start().expect("start");
    let mut out = Vec::new();
    while !tree.nodes[node].choices.is_empty() {
        let c = pick(tree.nodes[node].choices.len());
        out.push(tree.nodes[node].choice_id(c).into_owned());
        node = tree
            .node_index(&tree.nodes[node].choices[c].target)
            .expect("target");
    }
    out
}

/// Rate every task of `a` in the open tmux session: the value `value(system)` for the
/// study's one rubric item; `head` is how the screen says "Task", `story` a label every
/// world-tree transcript starts with.
fn rate_all(
    tmux: &Tmux,
    plan: &JudgedPlan,
    a: &JudgedAssignment,
    head: &str,
    story: &str,
    value: impl Fn(&str) -> u8,
) {
    let m = a.tasks.len();
    for (n, t) in a.tasks.iter().enumerate() {
        tmux.wait_for(&format!("{head} {} {} {m}", n + 1, of(head)));
        let s = tmux.wait_for(story);
        assert!(
            !s.contains("model-a") && !s.contains("walker"),
            "blind:\n{s}"
        );
        tmux.wait_until("the minimum time", |s| {
            !s.contains("counts after") && !s.contains("秒后")
        });
        let task = plan.tasks.iter().find(|p| p.id == t.task).expect("task");
        let TaskBody::Transcript { shown, .. } = &task.body else {
            panic!("a transcript task")
        };
        let v = value(shown.system.as_deref().expect("a system"));
        tmux.keys(&[&v.to_string()]);
        tmux.wait_until("the value on screen", |s| {
            s.lines().any(|l| l.contains(&format!("]: {v}")))
        });
        tmux.keys(&["Enter"]);
    }
}

/// "of" in the screen's language.
fn of(head: &str) -> &'static str {
    if head == "Task" { "of" } else { "/" }
}

#[test]
fn two_annotators_rate_world_tree_walks_of_a_person_and_a_model() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("e2e: tmux is not installed; skipping (CI installs it)");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    // A person's and a model's walk on an English and a Chinese tree, through the driver.
    {
        let store = Store::open(d.join("store-a")).expect("store");
        for file in ["en-salary-talk.yaml", "zh-group-project.yaml"] {
            let text = std::fs::read_to_string(repo().join("scripts").join(file)).expect("tree");
            let (script, _, _) = socius::script::load::load_str(&text);
            let Some(socius::script::load::Script::WorldTree(tree)) = script else {
                panic!("{file} is a world tree")
            };
            let tree = std::sync::Arc::new(tree);
            let first = picks(&tree, |_| 0);
            let last = picks(&tree, |n| n - 1);
            common::walks::walk(
                &store,
                &tree,
                &text,
                Who::annotator("walker"),
                &common::walks::refs(&first),
            );
            common::walks::walk(
                &store,
                &tree,
                &text,
                model("model-a"),
                &common::walks::refs(&last),
            );
        }
    }
    std::fs::write(
        d.join("walks.yaml"),
        format!(
            "kind: study
type: pointwise
id: e2e-walks
title: Walks of a person and a model
items:
  - {}
  - {}
systems:
  - name: people
    human: walker
  - name: bot
    model: model-a
rubric:
  per: dialogue
  items:
    - id: tact
      question: How tactful is the protagonist?
      scale: [1, 5]
      anchors:
        1: Rude
        5: Tactful
ratings_per_transcript: 2
annotators: [ann-a, ann-b]
min_seconds: 1
seed: 9
",
            repo().join("scripts/en-salary-talk.yaml").display(),
            repo().join("scripts/zh-group-project.yaml").display()
        ),
    )
    .expect("write");
    socius(d, &["study", "new", "walks.yaml", "--store", "store-a"]);
    let (plan, aa, ab) = registered(d, "e2e-walks");
    assert_eq!((aa.tasks.len(), ab.tasks.len()), (4, 4));
    let tmux = Tmux::new("walks");
    // A rates in English in the researcher's store; B in Chinese from the exported folder.
    tmux.open(
        d,
        &d.join("config-a"),
        "study run e2e-walks --as ann-a --store store-a --lang en",
    );
    rate_all(&tmux, &plan, &aa, "Task", "Scenario:", |s| {
        if s == "people" { 5 } else { 2 }
    });
    tmux.wait_for("All tasks are done");
    tmux.keys(&["q"]);
    tmux.exited();
    tmux.open(
        d,
        &d.join("config-b"),
        "study run export-b --as ann-b --store store-b --lang zh",
    );
    rate_all(&tmux, &plan, &ab, "任务", "情景:", |s| {
        if s == "people" { 4 } else { 1 }
    });
    tmux.wait_for("全部任务已完成");
    tmux.keys(&["q"]);
    tmux.exited();

    // The report over both stores: each system's mean of what was typed on the screens.
    let out = socius(
        d,
        &[
            "study",
            "report",
            "e2e-walks",
            "--store",
            "store-a",
            "--store",
            "store-b",
            "--studies",
            "studies",
            "--json",
        ],
    );
    let v = json_of(&out);
    let rows = v["pointwise"].as_array().expect("pointwise rows");
    let row = |system: &str| {
        rows.iter()
            .find(|r| r["system"] == system)
            .unwrap_or_else(|| panic!("{system}: {v}"))
    };
    assert_eq!(row("people")["n"], 4, "{v}");
    assert_eq!(row("people")["mean"].as_f64(), Some(4.5), "{v}");
    assert_eq!(row("bot")["n"], 4, "{v}");
    assert_eq!(row("bot")["mean"].as_f64(), Some(1.5), "{v}");
    assert!(v["agreement"].is_object(), "{v}");
}
