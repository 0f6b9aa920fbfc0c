//! `socius cr run` end to end: the binary, the shipped cases, a staged therapist and a client
//! model on a loopback server, `--json`, resume, and bad input.

mod eval_common;

use eval_common::*;
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};

/// Whether a request is the staged therapist's (its system message asks for the JSON reply).
fn is_therapist(r: &Recorded) -> bool {
    r.json()
        .and_then(|b| b["messages"][0]["content"].as_str().map(str::to_owned))
        .is_some_and(|s| s.contains("stage_goal_met"))
}

/// A staged therapist that meets every goal and reports one distortion; a plain client.
async fn server() -> LoopbackServer {
    LoopbackServer::start(|r: &Recorded| {
        if is_therapist(r) {
            Reply::completion(
                r#"{"sentences":[{"text":"What makes you so sure of that?","strategy":"explore"}],"stage_goal_met":true,"distortions":["labeling"]}"#,
            )
        } else {
            Reply::completion("I suppose I never thought of it that way.")
        }
    })
    .await
    .unwrap()
}

fn cases() -> String {
    repo().join("scripts/cr/cases").display().to_string()
}

fn run_args(server: &LoopbackServer, extra: &[&str]) -> Vec<String> {
    let mut a = args(&[
        "cr",
        "run",
        "--cases",
        &cases(),
        "--therapist",
        "llm-staged",
        "--therapist-endpoint",
        &server.base_url(),
        "--therapist-model",
        "staged",
        "--client-model",
        "client",
        "--concurrency",
        "4",
        "--json",
    ]);
    a.extend(extra.iter().map(|s| (*s).to_owned()));
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shipped_case_runs_to_its_verdicts_and_the_json_says_how() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let server = server().await;
    let out = socius_async(
        &store,
        run_args(&server, &["--run-id", "cr-cli"]),
        Vec::new(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json_out(&out);
    assert_eq!(report["schema"], 1);
    assert_eq!(report["run"], "cr-cli");
    let dialogues = report["dialogues"].as_array().unwrap();
    assert_eq!(dialogues.len(), 6);
    for d in dialogues {
        assert_eq!(d["finished_by"], "verdicts", "{d}");
        let stages: Vec<&str> = d["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(
            stages,
            [
                "automatic_thoughts",
                "intermediate_beliefs",
                "core_beliefs",
                "defense",
                "prosecution",
                "verdict"
            ]
        );
        assert_eq!(d["channels"][0]["distortion"], "labeling");
        assert_eq!(d["channels"][0]["status"], "closed");
        assert_eq!(d["escalations"], 0);
        // The client's opening plus two turns per stage.
        assert_eq!(d["turns"], 13);
    }
    // Every therapist call went to the therapist's model, every client call to the client's.
    for r in server.requests() {
        let model = r.json().unwrap()["model"].as_str().unwrap().to_owned();
        assert_eq!(model, if is_therapist(&r) { "staged" } else { "client" });
    }
    assert_eq!(server.request_count(), 6 * 13);

    // Resuming a complete run does nothing and reports the same dialogues.
    let before = server.request_count();
    let out = socius_async(
        &store,
        run_args(&server, &["--resume", "cr-cli"]),
        Vec::new(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_out(&out)["dialogues"].as_array().unwrap().len(), 6);
    assert_eq!(server.request_count(), before);

    // The sessions are ordinary sessions: listed by kind, shown with their CR events.
    let out = socius_async(
        &store,
        args(&["sessions", "list", "--kind", "cr_dialogue", "--json"]),
        Vec::new(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("cr_dialogue").count(), 6, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let server = server().await;
    // No case where --cases points (only a protocol).
    let empty = tmp.path().join("no-cases");
    std::fs::create_dir(&empty).unwrap();
    std::fs::copy(
        repo().join("scripts/cr/crdial.yaml"),
        empty.join("crdial.yaml"),
    )
    .unwrap();
    let mut a = run_args(&server, &[]);
    let at = a.iter().position(|x| x == "--cases").unwrap();
    a[at + 1] = empty.display().to_string();
    let out = socius_async(&store, a, Vec::new()).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no case to run"), "{}", stderr(&out));
    // A staged therapist takes no system prompt.
    let out = socius_async(
        &store,
        run_args(&server, &["--system-prompt", "x.txt"]),
        Vec::new(),
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("llm-free"), "{}", stderr(&out));
    // Resuming a run the store does not hold.
    let out = socius_async(&store, run_args(&server, &["--resume", "nope"]), Vec::new()).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no session of run nope"),
        "{}",
        stderr(&out)
    );
    assert_eq!(server.request_count(), 0);
}

/// The stage a staged-therapist request is for: the one whose goal (in the case's language) the
/// system message carries.
fn stage_of(r: &Recorded) -> Option<String> {
    let system = r.json()?["messages"][0]["content"].as_str()?.to_owned();
    let protocol = socius::script::cr::bundled_protocol().unwrap();
    protocol
        .stages()
        .find(|s| {
            let en = s.goal.get(socius::script::model::Language::En);
            let zh = s.goal.get(socius::script::model::Language::Zh);
            system.contains(en) || system.contains(zh)
        })
        .map(|s| s.id.name().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_on_both_sides_follow_a_scripted_stage_plan_and_the_labels_are_stored() {
    let protocol = socius::script::cr::bundled_protocol().unwrap();
    let strategy = protocol.all_strategies().next().unwrap().1.id.clone();
    // The plan: every goal met at once; two distortions found while dissecting core beliefs.
    let server = {
        let strategy = strategy.clone();
        LoopbackServer::start(move |r: &Recorded| {
            if !is_therapist(r) {
                return Reply::completion("Maybe. I had not looked at it like that.");
            }
            let found = if stage_of(r).as_deref() == Some("core_beliefs") {
                r#"["labeling", "fortune telling"]"#
            } else {
                "[]"
            };
            Reply::completion(&format!(
                "```json\n{{\"sentences\":[{{\"text\":\"Let us look at that together.\",\"strategy\":\"{strategy}\"}}],\"stage_goal_met\":true,\"distortions\":{found}}}\n```"
            ))
        })
        .await
        .unwrap()
    };
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let case = repo().join("scripts/cr/cases/zh-caring-for-mother.yaml");
    let mut a = run_args(&server, &["--run-id", "plan"]);
    let at = a.iter().position(|x| x == "--cases").unwrap();
    a[at + 1] = case.display().to_string();
    let out = socius_async(&store, a, Vec::new()).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let d = json_out(&out)["dialogues"][0].clone();
    let stages: Vec<&str> = d["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "automatic_thoughts",
            "intermediate_beliefs",
            "core_beliefs",
            "defense",
            "prosecution",
            "verdict",
            "core_beliefs",
            "defense",
            "prosecution",
            "verdict"
        ],
        "{d}"
    );
    // The model's spelling "fortune telling" is the catalogue's id.
    let channels: Vec<(&str, &str)> = d["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["distortion"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        channels,
        [("labeling", "closed"), ("fortune_telling", "closed")]
    );
    assert_eq!(d["finished_by"], "verdicts");
    // The stored transcript carries each therapist sentence's label and the stage reports.
    let s = socius::store::Store::open(&store).unwrap();
    let id = s.list(&socius::store::Filter::default()).unwrap()[0].id;
    let mut therapist_turns = 0;
    for e in s.events(id).unwrap() {
        if let socius::session::EventBody::CrTurn(t) = e.body
            && t.speaker == socius::vocab::CrSpeaker::Therapist
        {
            therapist_turns += 1;
            assert_eq!(t.strategies, std::slice::from_ref(&strategy));
            assert_eq!(t.stage_goal_met, Some(true));
            assert!(!t.unlabelled);
            assert!(t.stage.is_some() && t.index.is_some());
        }
    }
    assert_eq!(therapist_turns, 10, "one per stage visit");
}
