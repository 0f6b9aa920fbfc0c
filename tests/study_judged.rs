//! Pairwise and pointwise study files (`kind: study`, `type: pairwise | pointwise`):
//! `socius check` accepts good files and reports every problem of bad ones at its
//! `file:line:col`; `socius study new` without the sessions they show fails clearly (the
//! registration itself is tested in `judged_study.rs`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

fn copy_yaml(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
        }
    }
}

/// A temp folder with the bundled world trees under `trees/`, the bundled CR cases under
/// `cases/`, and `study.yaml` with `body`.
fn setup(body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_yaml(&repo().join("scripts"), &dir.path().join("trees"));
    copy_yaml(&repo().join("scripts/cr/cases"), &dir.path().join("cases"));
    std::fs::write(dir.path().join("study.yaml"), body).expect("write");
    dir
}

fn check(dir: &Path) -> (Option<i32>, String) {
    let out = socius(dir, &["check", "study.yaml"]);
    (out.status.code(), text(&out))
}

fn assert_all(all: &str, expected: &[&str]) {
    for e in expected {
        assert!(all.contains(e), "missing {e:?} in\n{all}");
    }
}

const PAIRWISE: &str = "\
kind: study
type: pairwise
id: cr-pilot
items:
  - folder: cases
    language: en
  - cases/zh-blood-sugar.yaml
systems:
  - name: a
    model: model-a@127.0.0.1
  - name: b
    run: run-b
  - name: people
    sessions: {who: 'annotator:t1', since: 2026-11-01}
question: Which therapist would you rather talk to?
judgments_per_pair: 2
annotators: [ann, bob]
onboarding:
  pass: 0.75
  pairs:
    - {better: 0193aa, worse: 0193bb}
attention_checks:
  pairs:
    - {better: 0193cc, worse: 0193dd}
min_seconds: 15
cap: 30
seed: 11
reason: required
";

const POINTWISE: &str = "\
kind: study
type: pointwise
id: tree-ratings
items:
  - folder: trees
    orientation: [negotiation, cooperation]
systems:
  - name: a
    model: model-a
rubric:
  per: turn
  items:
    - id: empathy
      question: How well does the player understand the others?
      scale: [1, 7]
      anchors: {1: Not at all, 4: Partly, 7: Fully}
ratings_per_transcript: 1
annotators: [ann]
onboarding:
  pass: 1
  transcripts:
    - session: 0193ee
      expect: {empathy: [5, 7]}
seed: 3
";

#[test]
fn the_shipped_examples_pass_check() {
    let out = socius(&repo(), &["check", "scripts/studies/"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert_all(
        &all,
        &[
            "study `pairwise-example` (pairwise): 2 systems, 3 annotators, 1 item source, 2 judgments per pair",
            "study `pointwise-example` (pointwise): 2 systems, 2 annotators, 2 item sources, 2 ratings per transcript, 2 rubric items",
        ],
    );
}

#[test]
fn good_pairwise_and_pointwise_files_pass() {
    let dir = setup(PAIRWISE);
    let (code, all) = check(dir.path());
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("study `cr-pilot` (pairwise): 3 systems, 2 annotators, 2 item sources"));

    std::fs::write(dir.path().join("study.yaml"), POINTWISE).expect("write");
    let (code, all) = check(dir.path());
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("1 rubric item"), "{all}");
}

#[test]
fn hostile_values_are_errors_not_panics() {
    let dir = setup(
        "\
kind: study
type: pointwise
id: h
items: [trees]
systems: [{name: a, sessions: {}}, 5]
rubric:
  items:
    - {id: x, question: q, scale: [-9223372036854775808, 9223372036854775807], anchors: {-9223372036854775808: a, 9223372036854775807: b}}
    - {id: y, question: q, scale: [1], anchors: {}}
ratings_per_transcript: 99999999999
annotators: [a]
onboarding: {pass: .nan, transcripts: [{session: s, expect: {x: [2, 1]}}]}
min_seconds: 1.5
seed: 1
",
    );
    let (code, all) = check(dir.path());
    assert_eq!(code, Some(1), "{all}");
    assert_all(
        &all,
        &[
            "study.yaml:5:10: error: a pointwise study needs at least one system",
            "study.yaml:5:31: error: `sessions` (a session filter) needs at least one of who, run, since, until",
            "study.yaml:8:35: error: a Likert scale of 9223372036854775807 points is too long (at most 11)",
            "study.yaml:9:35: error: a rubric item needs `scale: [lowest, highest]`",
            "study.yaml:10:25: error: `ratings_per_transcript` is too large, found 99999999999",
            "study.yaml:12:20: error: `pass` must be",
            "study.yaml:12:65: error: the expected range of `x` is empty (2 > 1)",
            "study.yaml:13:14: error: `min_seconds` must be a whole number",
        ],
    );
    assert!(!all.contains("panicked"), "{all}");
}

#[test]
fn bad_pairwise_reports_each_problem_with_its_position() {
    let dir = setup(
        "\
kind: study
type: pairwise
id: bad
items:
  - cases/nope.yaml
systems:
  - name: a
    model: m
  - name: a
    model: m
    run: r
  - model: x
  - name: f
    sessions: {since: yesterday}
question: ''
judgments_per_pair: 3
annotators: [ann, ann]
onboarding:
  pass: 1.5
  pairs:
    - {better: s1, worse: s1}
attention_checks:
  max_failures: -1
  pairs: []
cap: 1
seed: 1
reason: sometimes
qestion: typo
",
    );
    let (code, all) = check(dir.path());
    assert_eq!(code, Some(1), "{all}");
    assert_all(
        &all,
        &[
            "study.yaml:5:5: error: no such file or folder: cases/nope.yaml",
            "study.yaml:9:5: error: a system in `systems` names 2 sources (model, run); give exactly one",
            "study.yaml:12:5: error: a system in `systems` needs `name`",
            "study.yaml:14:23: error: `since` must be a date (YYYY-MM-DD) or an RFC 3339 time, found `yesterday`",
            "study.yaml:15:11: error: `question` is empty",
            "study.yaml:16:21: error: judgments_per_pair = 3 but there is only 1 distinct annotator",
            "study.yaml:17:19: error: duplicate annotator `ann` (first at line 17)",
            "study.yaml:19:9: error: `pass` must be above 0 and at most 1, found 1.5",
            "study.yaml:21:8: error: `better` and `worse` are the same session `s1`",
            "study.yaml:23:17: error: `max_failures` must be a whole number ≥ 0, found -1",
            "study.yaml:24:10: error: `pairs` in `attention_checks` is empty",
            "study.yaml:25:6: error: `cap` = 1 leaves no room for real judgments",
            "study.yaml:27:9: error: `reason` `sometimes` is not one of none, optional, required",
            "study.yaml:28:1: error: unknown key `qestion` in a study; did you mean `question`?",
        ],
    );
}

#[test]
fn pairwise_needs_two_systems_and_one_kind_of_item() {
    let dir = setup(
        "\
kind: study
type: pairwise
id: mixed
items:
  - cases/en-exam-retake.yaml
  - trees/en-salary-talk.yaml
  - trees/en-shared-kitchen.yaml
systems:
  - {name: only, model: m}
question: Which?
judgments_per_pair: 1
annotators: [ann]
seed: 1
",
    );
    let (code, all) = check(dir.path());
    assert_eq!(code, Some(1), "{all}");
    assert_all(
        &all,
        &[
            "study.yaml:6:5: error: ",
            "is a world_tree, but the study's first item `en-exam-retake` is a cr_case",
            "study.yaml:9:3: error: a pairwise study needs at least two systems to compare",
        ],
    );
    // The CR protocol file is not an item.
    std::fs::copy(
        repo().join("scripts/cr/crdial.yaml"),
        dir.path().join("crdial.yaml"),
    )
    .expect("copy");
    std::fs::write(
        dir.path().join("study.yaml"),
        "kind: study\ntype: pairwise\nid: p\nitems: [crdial.yaml]\nsystems: [{name: a, human: t1}, {name: b, model: m}]\nquestion: Which?\njudgments_per_pair: 1\nannotators: [ann]\nseed: 1\n",
    )
    .expect("write");
    let (code, all) = check(dir.path());
    assert_eq!(code, Some(1), "{all}");
    assert!(
        all.contains("study.yaml:4:9: error: crdial.yaml is a cr_protocol script, not a world tree or a CR case"),
        "{all}"
    );
}

#[test]
fn bad_pointwise_rubrics_are_reported() {
    let dir = setup(
        "\
kind: study
type: pointwise
id: bad-rubric
items: [trees]
systems: [{name: a, model: m}]
rubric:
  per: episode
  items:
    - id: empathy
      question: How?
      scale: [1, 5]
      anchors: {1: Low, 6: Off, 3: ''}
    - id: empathy
      question: ''
      scale: [5, 1]
      anchors: {5: a, 1: b}
    - id: wide
      question: Wide?
      scale: [0, 20]
      anchors: {0: none, 20: all}
    - id: half
      question: Half?
      scale: [1, 3]
      anchors: [1, 3]
ratings_per_transcript: 1
annotators: [ann]
onboarding:
  pass: 0.5
  transcripts:
    - session: s
      expect: {empathy: 9, kindness: 2}
seed: 1
",
    );
    let (code, all) = check(dir.path());
    assert_eq!(code, Some(1), "{all}");
    assert_all(
        &all,
        &[
            "study.yaml:7:8: error: `per` `episode` is not one of dialogue, turn",
            "study.yaml:12:25: error: anchor 6 is outside the scale [1, 5]",
            "study.yaml:12:33: error: anchor 3 has no label",
            "study.yaml:12:16: error: rubric item `empathy` needs a label for point 5",
            "study.yaml:13:7: error: duplicate rubric item `empathy` (first at line 9)",
            "study.yaml:13:7: error: rubric item `empathy` has an empty `question`",
            "study.yaml:15:14: error: the scale must go up: [5, 1]",
            "study.yaml:19:14: error: a Likert scale of 21 points is too long (at most 11)",
            "study.yaml:24:16: error: `anchors` must be a mapping of point to label, found a list",
            "study.yaml: study `bad-rubric` (pointwise): 1 system, 1 annotator, 1 item source, 1 rating per transcript, 3 rubric items",
            "study.yaml:31:25: error: the expected rating of `empathy` is outside its scale 1..5",
            "study.yaml:31:38: error: `kindness` is not an item of the rubric",
        ],
    );
}

#[test]
fn study_new_without_a_store_fails_clearly() {
    for body in [PAIRWISE, POINTWISE] {
        let dir = setup(body);
        let out = socius(
            dir.path(),
            &[
                "study",
                "new",
                "study.yaml",
                "--store",
                "store",
                "--out",
                "studies",
            ],
        );
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(all.contains("store: no such store directory"), "{all}");
        assert!(!dir.path().join("studies/cr-pilot").exists());
        assert!(!dir.path().join("store").exists(), "no empty store is made");
        assert!(!all.contains("panicked"), "{all}");
    }
}
