//! The optional safety classifier behind the lexicon: `socius safety screen --endpoint` and a
//! batch CR run with `--safety-model`, against a loopback classifier.

mod eval_common;

use std::io::Write;
use std::process::{Command, Stdio};

use eval_common::*;
use serde_json::Value;
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};

const CALM: &str = "I gave my guitar to my brother, I won't be needing it anymore.";

/// The message inside a classifier request.
fn message(r: &Recorded) -> String {
    let body = r.json().unwrap_or(Value::Null);
    let user = body["messages"][1]["content"].as_str().unwrap_or_default();
    serde_json::from_str::<Value>(user).unwrap_or(Value::Null)["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn classifier() -> LoopbackServer {
    LoopbackServer::start(|r: &Recorded| {
        if message(r) == CALM {
            Reply::completion(r#"{"flag": true, "category": "self_harm"}"#)
        } else {
            Reply::completion("```json\n{\"flag\": false, \"category\": \"none\"}\n```")
        }
    })
    .await
    .unwrap()
}

fn screen(args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(["safety", "screen", "-", "--json"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_classifier_sees_what_the_lexicon_lets_pass() {
    let server = classifier().await;
    let url = server.base_url();
    let input = format!("I want to kill myself.\n{CALM}\nThis deadline is killing me.\n");
    let out = tokio::task::spawn_blocking(move || {
        screen(&["--endpoint", &url, "--model", "guard"], &input)
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    // The lexicon caught the first: no call for it.
    assert_eq!(lines[0]["flagged"], true);
    assert_eq!(lines[0]["matched"], "kill myself");
    // The calm goodbye only the classifier caught; its label, never the text, is what matched.
    assert_eq!(lines[1]["flagged"], true);
    assert_eq!(lines[1]["category"], "self_harm");
    assert_eq!(lines[1]["matched"], "classifier:self_harm");
    assert_eq!(lines[2]["flagged"], false);
    let asked: Vec<String> = server.requests().iter().map(message).collect();
    assert_eq!(asked, [CALM, "This deadline is killing me."]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_classifier_leaves_the_lexicon_verdict_and_says_so() {
    let server = LoopbackServer::start(|_r: &Recorded| Reply::json(500, &serde_json::json!({})))
        .await
        .unwrap();
    let url = server.base_url();
    let out = tokio::task::spawn_blocking(move || {
        screen(
            &["--endpoint", &url, "--model", "guard"],
            &format!("{CALM}\n"),
        )
    })
    .await
    .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("gave no verdict on 1 message"), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["flagged"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_batch_run_a_turn_the_classifier_flags_stops_the_dialogue() {
    // The client model says the calm goodbye; the classifier flags it.
    let models = LoopbackServer::start(|_r: &Recorded| Reply::completion(CALM))
        .await
        .unwrap();
    let guard = classifier().await;
    let tmp = tempfile::tempdir().unwrap();
    let case = repo().join("scripts/cr/cases/en-exam-retake.yaml");
    let out = socius_async(
        &tmp.path().join("store"),
        args(&[
            "cr",
            "run",
            "--cases",
            case.to_str().unwrap(),
            "--therapist",
            "llm-staged",
            "--therapist-endpoint",
            &models.base_url(),
            "--therapist-model",
            "t",
            "--safety-model",
            "guard",
            "--safety-endpoint",
            &guard.base_url(),
            "--json",
        ]),
        Vec::new(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json_out(&out);
    let d = &report["dialogues"][0];
    assert_eq!(d["finished_by"], "safety", "{d}");
    assert_eq!(d["escalations"], 1);
    assert_eq!(d["turns"], 1, "the opening was the crisis turn");
    assert_eq!(guard.request_count(), 1);
}
