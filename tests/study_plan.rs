//! Baseline study plans: `socius check` on study files (errors with positions), then
//! `study new`, `study status` (sessions made through the `Store` API) and
//! `study export-assignment`, all through the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use socius::session::{NewSession, ScriptRef, SessionKind, Status, Who};
use socius::store::Store;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn socius(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .current_dir(dir)
        .env_remove("SOCIUS_STORE")
        .output()
        .expect("run socius")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A temp folder with the bundled trees under `trees/` and `study.yaml` with `body`.
fn setup(body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let trees = dir.path().join("trees");
    std::fs::create_dir(&trees).expect("mkdir");
    for entry in std::fs::read_dir(repo().join("scripts")).expect("scripts") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, trees.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    std::fs::write(dir.path().join("study.yaml"), body).expect("write");
    dir
}

const GOOD: &str = "\
kind: study
type: baseline
id: pilot
trees:
  - folder: trees
    language: en
  - trees/zh-rival-bakery.yaml
training:
  - trees/zh-group-project.yaml
modes: gae
annotators: [ann, bob, cat]
k: 2
seed: 7
";

#[test]
fn the_shipped_example_and_scripts_pass_check() {
    let out = socius(&repo(), &["check", "scripts/"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("study `baseline-example` (baseline, both): 3 annotators, k = 2"),
        "{}",
        text(&out)
    );
}

#[test]
fn check_reports_study_errors_with_positions() {
    let dir = setup(
        "\
kind: study
type: baseline
id: bad
trees:
  - trees/nope.yaml
  - folder: trees
    orientation: chaos
modes: gea
annotators: [ann, bob, ann]
k: 3
seed: 1
",
    );
    let out = socius(dir.path(), &["check", "study.yaml"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    for expected in [
        "study.yaml:5:5: error: no such file or folder: trees/nope.yaml",
        "study.yaml:7:18: error: `orientation` `chaos` is not one of",
        "study.yaml:8:8: error: `modes` `gea` is not one of gae, iae, both; did you mean `gae`?",
        "study.yaml:9:24: error: duplicate annotator `ann` (first at line 9)",
        "study.yaml:10:4: error: k = 3 but there are only 2 distinct annotators",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }

    std::fs::write(
        dir.path().join("study.yaml"),
        "kind: study\ntype: baseline\nid: e\ntrees: []\nmodes: iae\nannotators: [a]\nk: 1\nseed: 1\n",
    )
    .expect("write");
    let out = socius(dir.path(), &["check", "study.yaml"]);
    assert!(
        text(&out).contains("study.yaml:4:8: error: `trees` is empty"),
        "{}",
        text(&out)
    );

    std::fs::write(
        dir.path().join("study.yaml"),
        "kind: study\ntype: pairwise\nid: p\n",
    )
    .expect("write");
    let out = socius(dir.path(), &["check", "study.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("study.yaml:1:1: error: a pairwise study needs `items`"),
        "{}",
        text(&out)
    );
    std::fs::write(
        dir.path().join("study.yaml"),
        "kind: study\ntype: survey\nid: p\n",
    )
    .expect("write");
    let out = socius(dir.path(), &["check", "study.yaml"]);
    assert!(
        text(&out)
            .contains(
                "study.yaml:2:7: error: unknown study type `survey`; known types: baseline, pairwise, pointwise"
            ),
        "{}",
        text(&out)
    );
}

#[test]
fn new_status_and_export_assignment() {
    let dir = setup(GOOD);
    let d = dir.path();
    let out = socius(d, &["study", "new", "study.yaml", "--store", "store"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("registered study `pilot`"), "{all}");
    assert!(
        all.contains("3 trees, 1 training tree, 3 annotators"),
        "{all}"
    );
    let study = d.join("studies/pilot");
    for f in [
        "plan.json",
        "study.yaml.orig",
        "assignments/ann.json",
        "trees/en-salary-talk.yaml",
    ] {
        assert!(study.join(f).is_file(), "{f}");
    }
    // Registering twice is refused.
    let again = socius(d, &["study", "new", "study.yaml", "--store", "store"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));

    // `ann`'s assignment: training first, then their share.
    let ann: Value = serde_json::from_str(
        &std::fs::read_to_string(study.join("assignments/ann.json")).expect("read"),
    )
    .expect("json");
    let items = ann["items"].as_array().expect("items");
    assert_eq!(items[0]["tree"], "zh-group-project");
    assert_eq!(items[0]["training"], true);
    let share: Vec<String> = items[1..]
        .iter()
        .map(|i| i["tree"].as_str().expect("tree").to_owned())
        .collect();
    assert!((1..=3).contains(&share.len()), "{share:?}");

    // Sessions for `ann`: the first tree finished, the second in progress, one by someone
    // else and one training session that must not count for the study items.
    {
        let store = Store::open(d.join("store")).expect("store");
        let session = |tree: &str, who: &str, training: bool| {
            let mut new = NewSession::new(
                SessionKind::WorldTreeGae,
                ScriptRef::new(tree, b"x"),
                Who::annotator(who),
                1,
            );
            if training {
                new.meta = json!({"training": true});
            }
            store.create(new).expect("create")
        };
        let done = session(&share[0], "ann", false);
        store
            .set_status(done.id, Status::Finished, None)
            .expect("finish");
        if share.len() > 1 {
            session(&share[1], "ann", false);
        }
        let t = session("zh-group-project", "ann", true);
        store
            .set_status(t.id, Status::Finished, None)
            .expect("finish");
        // Training sessions of a study tree do not count.
        if let Some(third) = share.get(2) {
            let tr = session(third, "ann", true);
            store
                .set_status(tr.id, Status::Finished, None)
                .expect("finish");
        }
        store.flush().expect("flush");
    }
    let out = socius(
        d,
        &["study", "status", "pilot", "--store", "store", "--json"],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let row = v["annotators"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["annotator"] == "ann")
        .expect("ann");
    assert_eq!(row["done"], 1, "{row}");
    assert_eq!(row["in_progress"], usize::from(share.len() > 1), "{row}");
    assert_eq!(row["items"][0]["state"], "done", "training item: {row}");
    assert_eq!(row["items"][1]["state"], "done");
    // The sessions were made on content `x`, not the registered tree: counted, and said so.
    assert_eq!(row["items"][1]["other_version"], 1);
    if share.len() > 1 {
        assert_eq!(row["items"][2]["state"], "in_progress");
    }
    for other in v["annotators"].as_array().expect("rows") {
        if other["annotator"] != "ann" {
            assert_eq!(other["done"], 0);
        }
    }
    assert_eq!(v["total"], 6, "3 trees × k = 2");
    let out = socius(d, &["study", "status", "pilot", "--store", "store"]);
    let all = text(&out);
    assert!(
        all.contains("study `pilot` (baseline, gae, k = 2): 1/6 done"),
        "{all}"
    );
    assert!(all.contains("ann: 1 done"), "{all}");
    assert!(
        all.contains("(1 session on another version of the tree)"),
        "{all}"
    );

    // Export `bob`'s assignment: the file and every tree it names.
    let out = socius(
        d,
        &[
            "study",
            "export-assignment",
            "pilot",
            "--as",
            "bob",
            "--out",
            "to-bob",
            "--store",
            "store",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let bob: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("to-bob/assignment.json")).expect("read"),
    )
    .expect("json");
    assert_eq!(bob["annotator"], "bob");
    for t in bob["trees"].as_array().expect("trees") {
        let file = d.join("to-bob").join(t["file"].as_str().expect("file"));
        let bytes = std::fs::read(&file).expect("copied tree");
        assert_eq!(
            socius::script::content_hash(&bytes),
            t["sha256"].as_str().expect("hash")
        );
    }
    assert_eq!(
        bob["trees"].as_array().expect("trees").len(),
        bob["items"].as_array().expect("items").len()
    );
    // The exported trees pass `socius check` on their own.
    let out = socius(d, &["check", "to-bob/trees"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Unknown annotators and non-empty folders are refused.
    let out = socius(
        d,
        &[
            "study",
            "export-assignment",
            "pilot",
            "--as",
            "zed",
            "--out",
            "x",
            "--store",
            "store",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("`zed` is not an annotator"),
        "{}",
        text(&out)
    );
    let out = socius(
        d,
        &[
            "study",
            "export-assignment",
            "pilot",
            "--as",
            "bob",
            "--out",
            "to-bob",
            "--store",
            "store",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn the_library_and_eval_leave_study_files_out() {
    let lib = socius::tui::library::Library::scan(&[repo().join("scripts")]);
    assert!(lib.entries.iter().all(|e| e.kind == "world_tree"));
    assert!(lib.entries.iter().all(|e| e.id != "baseline-example"));

    let dir = tempfile::tempdir().expect("tempdir");
    let only = dir.path().join("s");
    std::fs::create_dir(&only).expect("mkdir");
    std::fs::copy(
        repo().join("scripts/studies/baseline-example.yaml"),
        only.join("study.yaml"),
    )
    .expect("copy");
    // Nothing to evaluate, and no request is made (the endpoint does not exist).
    let out = socius(
        dir.path(),
        &[
            "eval",
            "gae",
            "--scripts",
            "s",
            "--endpoint",
            "http://127.0.0.1:9",
            "--model",
            "m",
            "--store",
            "st",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let all = text(&out);
    assert!(
        all.contains("1 study file(s) (kind: study) left out"),
        "{all}"
    );
    assert!(all.contains("no world tree to evaluate"), "{all}");
}

/// One finished GAE session of `tree` by `who` in the store at `dir`.
fn finished(dir: &Path, tree: &str, who: &str) {
    let store = Store::open(dir).expect("store");
    let s = store
        .create(NewSession::new(
            SessionKind::WorldTreeGae,
            ScriptRef::new(tree, b"x"),
            Who::annotator(who),
            1,
        ))
        .expect("create");
    store
        .set_status(s.id, Status::Finished, None)
        .expect("finish");
    store.flush().expect("flush");
}

fn done_of(out: &Output, who: &str) -> u64 {
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v["annotators"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["annotator"] == who)
        .and_then(|r| r["done"].as_u64())
        .expect("done")
}

#[test]
fn sessions_of_merged_and_several_stores_count_once() {
    let dir = setup(GOOD);
    let d = dir.path();
    let out = socius(d, &["study", "new", "study.yaml", "--out", "plans"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let plan: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("plans/pilot/assignments/cat.json")).expect("read"),
    )
    .expect("json");
    let trees: Vec<&str> = plan["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["training"] == false)
        .map(|i| i["tree"].as_str().expect("tree"))
        .collect();
    // `cat` played on another machine: one store each for two trees.
    finished(&d.join("cat-1"), trees[0], "cat");
    finished(&d.join("cat-2"), trees[1], "cat");
    let status = |stores: &[&str]| {
        let mut args = vec!["study", "status", "plans/pilot", "--json"];
        for s in stores {
            args.extend(["--store", s]);
        }
        socius(d, &args)
    };
    // A missing store counts as no sessions.
    let out = status(&["main"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(done_of(&out, "cat"), 0);
    // Several stores at once.
    assert_eq!(done_of(&status(&["cat-1", "cat-2"]), "cat"), 2);
    // Merged into the main store (twice: nothing changes), and counted once even when the
    // store it came from is given too.
    for other in ["cat-1", "cat-2", "cat-1"] {
        let out = socius(d, &["sessions", "merge", "--store", "main", other]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    assert_eq!(done_of(&status(&["main"]), "cat"), 2);
    assert_eq!(done_of(&status(&["main", "cat-1"]), "cat"), 2);
}

#[test]
fn both_mode_needs_gae_and_iae_or_one_sitting() {
    use socius::script::study::StudyMode;
    use socius::study::{Assignment, Item, ItemState, status};
    let item = |tree: &str| Item {
        tree: tree.into(),
        mode: StudyMode::Both,
        training: false,
        seed: 0,
    };
    let plan = vec![Assignment {
        annotator: "ann".into(),
        items: vec![item("a"), item("b"), item("c"), item("d")],
    }];
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let play = |tree: &str, kind: SessionKind, st: Status| {
        let s = store
            .create(NewSession::new(
                kind,
                ScriptRef::new(tree, b"x"),
                Who::annotator("ann"),
                1,
            ))
            .expect("create");
        if st != Status::InProgress {
            store.set_status(s.id, st, None).expect("status");
        }
    };
    // a: GAE finished only → in progress; then IAE finished → done.
    play("a", SessionKind::WorldTreeGae, Status::Finished);
    // b: one finished sitting of both.
    play("b", SessionKind::WorldTreeBoth, Status::Finished);
    // c: abandoned → not started (to be played again).
    play("c", SessionKind::WorldTreeGae, Status::Abandoned);
    // d: another annotator's session does not count.
    store
        .create(NewSession::new(
            SessionKind::WorldTreeBoth,
            ScriptRef::new("d", b"x"),
            Who::annotator("bob"),
            1,
        ))
        .expect("create");
    let states = |store: &Store| -> Vec<ItemState> {
        let sessions = store.list(&socius::store::Filter::default()).expect("list");
        status(&plan, &sessions, &std::collections::BTreeMap::new()).annotators[0]
            .items
            .iter()
            .map(|i| i.state)
            .collect()
    };
    assert_eq!(
        states(&store),
        [
            ItemState::InProgress,
            ItemState::Done,
            ItemState::NotStarted,
            ItemState::NotStarted
        ]
    );
    play("a", SessionKind::WorldTreeIae, Status::Finished);
    assert_eq!(states(&store)[0], ItemState::Done);
}

#[test]
fn training_overlap_and_empty_filters_are_errors() {
    let dir = setup(
        "\
kind: study
type: baseline
id: t
trees:
  - folder: trees
    orientation: induction
training:
  - trees/en-salary-talk.yaml
modes: [gae, iae]
annotators: [a, b]
k: 1
seed: 3
",
    );
    let out = socius(dir.path(), &["check", "study.yaml"]);
    assert!(
        text(&out).contains("study.yaml:5:3: error: `trees` names no world tree"),
        "{}",
        text(&out)
    );
    std::fs::write(
        dir.path().join("study.yaml"),
        "kind: study\ntype: baseline\nid: t\ntrees: [trees]\ntraining: [trees/en-salary-talk.yaml]\nmodes: [gae, iae]\nannotators: [a]\nk: 1\nseed: 3\n",
    )
    .expect("write");
    let out = socius(dir.path(), &["check", "study.yaml"]);
    assert!(
        text(&out).contains(
            "study.yaml:5:12: error: training tree `en-salary-talk` is also one of the study's trees"
        ),
        "{}",
        text(&out)
    );
    assert_eq!(out.status.code(), Some(1));
}
