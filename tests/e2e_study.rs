//! A baseline study end to end in a real terminal: tmux runs the binary (`$SOCIUS_E2E_BIN`,
//! the release build in CI), keys go in with `send-keys`, the screen is read with
//! `capture-pane`, and every key waits for the screen that proves it was acted on (no sleeps).
//!
//! One researcher registers a study over two bundled trees for two annotators. Annotator A
//! plays their queue in the researcher's store; annotator B plays from an exported assignment
//! folder in a store of their own, quitting mid-item and resuming. B's store is merged into
//! A's, a stand-in model (a loopback server) plays the same trees, and `study status` and
//! `report baseline` are read back as JSON.

use std::process::Command;
use std::time::{Duration, Instant};

use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};

mod tmux_support;

use tmux_support::{Tmux, json_of, repo, socius};

const CHOICE: &str = "Your reply · Choice ";

/// The choice point of the GAE question on screen, if one is.
fn question_on(screen: &str) -> Option<usize> {
    let rest = &screen[screen.find(CHOICE)? + CHOICE.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// On the play screen: begin, reveal lines and pick option 1 until `stop` decisions were made
/// or the ending shows. A decision counts once its question has left the screen (it is stored
/// before the screen moves on).
fn play(tmux: &Tmux, stop: usize) {
    let mut made = 0;
    let start = Instant::now();
    loop {
        let s = tmux.screen();
        if s.contains("The end") || made == stop {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(90), "stuck:\n{s}");
        if s.contains("Press Enter to begin") {
            tmux.keys(&["Enter"]);
            tmux.wait_until("the introduction to go", |s| {
                !s.contains("Press Enter to begin")
            });
        } else if let Some(n) = question_on(&s) {
            tmux.keys(&["1", "Enter"]);
            let title = format!("{CHOICE}{n} ");
            tmux.wait_until(&format!("{title:?} to go"), |s| !s.contains(&title));
            made += 1;
        } else {
            // (The first screen may still be drawing: the introduction counts too.)
            tmux.keys(&["a"]);
            tmux.wait_until("a question, the introduction or the ending", |s| {
                question_on(s).is_some()
                    || s.contains("The end")
                    || s.contains("Press Enter to begin")
            });
        }
    }
}

/// From the queue: Enter opens the next item; play it to its ending; Enter goes back to the
/// queue, which then shows `after`.
fn play_next(tmux: &Tmux, after: &str) {
    tmux.keys(&["Enter"]);
    tmux.wait_for("Press Enter to begin");
    play(tmux, usize::MAX);
    tmux.wait_for("Esc returns to your queue");
    tmux.keys(&["Enter"]);
    tmux.wait_for(after);
}

const STUDY: &str = "\
kind: study
type: baseline
id: pilot
title: Two annotators, two trees
trees:
  - trees/en-shared-kitchen.yaml
  - trees/en-salary-talk.yaml
modes: gae
annotators: [ann-a, ann-b]
k: 2
seed: 11
";

#[test]
fn two_annotators_play_their_queues_the_stores_merge_and_the_report_counts_both() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("e2e: tmux is not installed; skipping (CI installs it)");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    std::fs::create_dir(d.join("trees")).expect("mkdir");
    for name in ["en-shared-kitchen.yaml", "en-salary-talk.yaml"] {
        std::fs::copy(
            repo().join("scripts").join(name),
            d.join("trees").join(name),
        )
        .expect("copy");
    }
    std::fs::write(d.join("study.yaml"), STUDY).expect("write");
    socius(d, &["study", "new", "study.yaml", "--store", "store-a"]);
    socius(
        d,
        &[
            "study",
            "export-assignment",
            "pilot",
            "--as",
            "ann-b",
            "--out",
            "export-b",
            "--store",
            "store-a",
        ],
    );
    let tmux = Tmux::new("study");

    // Annotator A, in the researcher's store, straight through.
    tmux.open(
        d,
        &d.join("config-a"),
        "study run pilot --as ann-a --store store-a",
    );
    let s = tmux.wait_for("0 of 2 done");
    assert!(s.contains("annotator: ann-a"), "{s}");
    play_next(&tmux, "1 of 2 done");
    play_next(&tmux, "All done");
    tmux.keys(&["q"]);
    tmux.exited();

    // Annotator B on "another machine": an empty folder, the exported assignment, a store of
    // their own. One decision into the second item, they quit; run again, it resumes.
    let b = d.join("machine-b");
    std::fs::create_dir(&b).expect("mkdir");
    let export = d.join("export-b").display().to_string();
    let run_b = format!("study run {export} --as ann-b --store store");
    tmux.open(&b, &d.join("config-b"), &run_b);
    tmux.wait_for("0 of 2 done");
    play_next(&tmux, "1 of 2 done");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Press Enter to begin");
    play(&tmux, 1);
    tmux.keys(&["q"]);
    tmux.wait_for("y/Enter");
    tmux.keys(&["y"]);
    tmux.exited();
    tmux.open(&b, &d.join("config-b"), &run_b);
    let s = tmux.wait_for("1 of 2 done");
    assert!(s.contains("in progress"), "{s}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Resumed where you left off");
    play(&tmux, usize::MAX);
    tmux.wait_for("Esc returns to your queue");
    tmux.keys(&["Escape"]);
    tmux.wait_for("All done");
    tmux.keys(&["q"]);
    tmux.exited();

    // B's sessions join A's store; every item is done.
    socius(
        d,
        &[
            "sessions",
            "merge",
            b.join("store").to_str().expect("utf-8"),
            "--store",
            "store-a",
        ],
    );
    let sessions = json_of(&socius(
        d,
        &["sessions", "list", "--json", "--store", "store-a"],
    ));
    let sessions = sessions["sessions"].as_array().expect("sessions").clone();
    // Each annotator has one finished session per tree (B's resumed one is one session).
    assert_eq!(sessions.len(), 4, "{sessions:?}");
    assert!(sessions.iter().all(|s| s["status"] == "finished"));
    let st = json_of(&socius(
        d,
        &["study", "status", "pilot", "--store", "store-a", "--json"],
    ));
    assert_eq!(st["total"], 4, "{st}");
    assert_eq!(st["done"], st["total"], "{st}");
    for a in st["annotators"].as_array().expect("annotators") {
        assert_eq!(a["done"], 2, "{a}");
        assert_eq!(a["not_started"], 0, "{a}");
    }

    // A stand-in model plays the same trees, then the report counts both annotators.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = rt
        .block_on(LoopbackServer::start(|_r: &Recorded| {
            Reply::completion("{\"choice\": \"A\"}")
        }))
        .expect("server");
    let trees = d.join("studies/pilot/trees");
    socius(
        d,
        &[
            "eval",
            "gae",
            "--store",
            "store-a",
            "--scripts",
            trees.to_str().expect("utf-8"),
            "--endpoint",
            &server.base_url(),
            "--model",
            "stand-in",
            "--episodes",
            "1",
        ],
    );
    let report = json_of(&socius(
        d,
        &[
            "report", "baseline", "--study", "pilot", "--json", "--store", "store-a",
        ],
    ));
    let mut trees: Vec<&str> = vec!["en-salary-talk", "en-shared-kitchen"];
    trees.sort_unstable();
    assert_eq!(report["trees"], serde_json::json!(trees), "{report}");
    let annotators = report["annotators"].as_object().expect("annotators");
    assert_eq!(
        annotators.keys().collect::<Vec<_>>(),
        ["ann-a", "ann-b"],
        "{report}"
    );
    for a in annotators.values() {
        assert_eq!(a["gae_episodes"], 2, "{report}");
    }
    let cells = report["gae"]["humans"]["by_orientation"]
        .as_object()
        .expect("orientations");
    let episodes: u64 = cells
        .values()
        .map(|c| c["episodes"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(episodes, 4, "{report}");
    assert!(
        cells.values().all(|c| c["annotators"] == 2),
        "both annotators in every orientation: {report}"
    );
    drop(server);
}
