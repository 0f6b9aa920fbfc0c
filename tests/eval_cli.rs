//! `socius eval` through the real binary: the concurrency cap, the API key staying out of the
//! store, one JSON object on stdout, bad input, an unreachable endpoint, and Ctrl-C (SIGINT)
//! followed by `--resume`.

mod eval_common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use eval_common::*;
use serde_json::Value;
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};
use socius::session::Status;
use socius::store::{Filter, Store};

fn gae_args(scripts: &Path, server: &str, extra: &[&str]) -> Vec<String> {
    let mut a = args(&[
        "eval",
        "gae",
        "--scripts",
        scripts.to_str().unwrap(),
        "--endpoint",
        server,
        "--model",
        "test-model",
    ]);
    a.extend(extra.iter().map(|s| (*s).to_owned()));
    a
}

const GAE_KEYS: [&str; 10] = [
    "schema",
    "metric",
    "run",
    "model",
    "protocol",
    "episodes_per_tree",
    "trees",
    "by_orientation",
    "macro_rate_pct",
    "dropped",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_cap_key_safety_and_one_json_object() {
    const KEY: &str = "sk-live-0123456789abcdefSECRET";
    let server = LoopbackServer::start(|_r: &Recorded| {
        Reply::Delay(Duration::from_millis(60), Box::new(choice_reply('B')))
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let out = socius_async(
        &store,
        gae_args(
            &bundled(),
            &server.base_url(),
            &[
                "--episodes",
                "3",
                "--concurrency",
                "3",
                "--api-key-env",
                "SOCIUS_EVAL_TEST_KEY",
                "--run-id",
                "cap-run",
                "--json",
            ],
        ),
        vec![("SOCIUS_EVAL_TEST_KEY".into(), KEY.into())],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json_out(&out);
    let keys: Vec<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = GAE_KEYS.to_vec();
    want.sort_unstable();
    let mut got = keys.clone();
    got.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(report["run"], "cap-run");
    assert_eq!(report["model"], "test-model");
    assert_eq!(report["protocol"], "socius");
    assert_eq!(report["episodes_per_tree"], 3);
    assert_eq!(report["trees"], 4);

    // The cap held and was used.
    assert_eq!(
        server.max_in_flight(),
        3,
        "at most --concurrency calls in flight"
    );
    // The key reached the server, and nothing else.
    let reqs = server.requests();
    assert!(
        reqs.iter()
            .all(|r| r.header("authorization") == Some(&format!("Bearer {KEY}")))
    );
    assert!(!stderr(&out).contains(KEY));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(KEY));
    assert_eq!(files_contain(&store, KEY.as_bytes()), Vec::<String>::new());
    let export = socius(
        &store,
        &args(&["sessions", "export", "--run", "cap-run"]),
        &[],
    );
    assert!(export.status.success(), "{}", stderr(&export));
    let lines = String::from_utf8(export.stdout).unwrap();
    assert_eq!(lines.lines().count(), 12, "one record per episode");
    assert!(!lines.contains(KEY));
    // Each episode: the model with host:port and its parameters, the script hash, the events.
    let first: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    let who = &first["session"]["who"];
    assert_eq!(who["endpoint_host"], server.addr().to_string());
    assert_eq!(who["params"]["protocol"], "socius");
    assert_eq!(who["params"]["temperature"], 1.0);
    assert_eq!(
        first["session"]["script"]["hash"].as_str().unwrap().len(),
        64
    );
    assert_eq!(first["session"]["meta"]["run"]["episodes"], 3);
    assert_eq!(
        first["session"]["meta"]["socius_version"],
        env!("CARGO_PKG_VERSION")
    );
    let types: Vec<&str> = first["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["body"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(types[..3], ["options_presented", "llm_call", "decision"]);
    assert_eq!(types[types.len() - 2..], ["ending", "session_status"]);
    let call = &first["events"][1]["body"];
    assert_eq!(call["request"]["model"], "test-model");
    assert!(
        call["request"]["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains("Which line")
    );
    assert_eq!(call["raw_reply"], "{\"choice\": \"B\"}");
    assert_eq!(call["parsed"]["letter"], "B");
    assert_eq!(call["attempts"][0]["status"], 200);

    // `sessions show --prompts` prints what each call sent, every line of it.
    let id = first["session"]["id"].as_str().unwrap();
    let show = |extra: &[&str]| {
        let mut a = args(&["sessions", "show", id, "--width", "400"]);
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        let out = socius(&store, &a, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let with = show(&["--prompts"]);
    let without = show(&[]);
    for m in call["request"]["messages"].as_array().unwrap() {
        let role = m["role"].as_str().unwrap();
        assert!(with.contains(&format!("[{role}] ")), "{with}");
        for line in m["content"].as_str().unwrap().lines() {
            assert!(with.contains(line.trim()), "{line:?} in\n{with}");
        }
    }
    assert!(!without.contains("[user] "), "{without}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_names_every_orientation() {
    let server = first_policy().await;
    let tmp = tempfile::tempdir().unwrap();
    let out = socius_async(
        &tmp.path().join("store"),
        gae_args(&bundled(), &server.base_url(), &["--episodes", "1"]),
        Vec::new(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    for name in [
        "cooperation",
        "negotiation",
        "conflict",
        "macro",
        "dropped:",
    ] {
        assert!(text.contains(name), "{name} in\n{text}");
    }
    assert!(
        stderr(&out).contains("socius: run id run-"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_message() {
    let server = first_policy().await;
    let url = server.base_url();
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let run = |a: Vec<String>| socius_async(&store, a, Vec::new());

    let missing = run(gae_args(&tmp.path().join("nope"), &url, &[])).await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no such file or folder"),
        "{}",
        stderr(&missing)
    );

    // A key in the URL's query: refused before any call, and not echoed.
    let before = server.request_count();
    let keyed = run(gae_args(&bundled(), &format!("{url}?key=sekrit"), &[])).await;
    assert_eq!(keyed.status.code(), Some(1), "{}", stderr(&keyed));
    let err = stderr(&keyed);
    assert!(
        err.contains("carries a query") && !err.contains("sekrit"),
        "{err}"
    );
    assert_eq!(server.request_count(), before);

    // A broken script next to a good one: warned about, the good one is evaluated.
    let mixed = tmp.path().join("mixed");
    std::fs::create_dir(&mixed).unwrap();
    std::fs::copy(
        repo().join("tests/fixtures/check/broken.yaml"),
        mixed.join("broken.yaml"),
    )
    .unwrap();
    std::fs::copy(
        bundled().join("en-salary-talk.yaml"),
        mixed.join("good.yaml"),
    )
    .unwrap();
    let out = run(gae_args(&mixed, &url, &["--episodes", "1", "--json"])).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning: skipping") && stderr(&out).contains("broken.yaml:"));
    assert_eq!(json_out(&out)["trees"], 1);

    let only_bad = tmp.path().join("bad");
    std::fs::create_dir(&only_bad).unwrap();
    std::fs::copy(
        repo().join("tests/fixtures/check/broken.yaml"),
        only_bad.join("b.yaml"),
    )
    .unwrap();
    let out = run(gae_args(&only_bad, &url, &[])).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no world tree to evaluate"),
        "{}",
        stderr(&out)
    );

    let template = write(
        tmp.path(),
        "t.txt",
        "Hello {character_name}\nand {nonsense}\n",
    );
    let out = run(gae_args(
        &bundled(),
        &url,
        &["--prompt-template", template.to_str().unwrap()],
    ))
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("line 2, column 5") && stderr(&out).contains("{nonsense}"),
        "{}",
        stderr(&out)
    );

    let out = run(gae_args(&bundled(), "not a url", &[])).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--endpoint"), "{}", stderr(&out));

    let out = run(gae_args(
        &bundled(),
        &url,
        &["--protocol", "socialeval", "--shuffle-options"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--shuffle-options"),
        "{}",
        stderr(&out)
    );

    let out = run(gae_args(&bundled(), &url, &["--resume", "no-such-run"])).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no session of run no-such-run"),
        "{}",
        stderr(&out)
    );

    let out = run(gae_args(
        &bundled(),
        &url,
        &["--run-id", "twice", "--episodes", "1"],
    ))
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(gae_args(
        &bundled(),
        &url,
        &["--run-id", "twice", "--episodes", "1"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--resume twice"), "{}", stderr(&out));
    let out = run(gae_args(
        &bundled(),
        &url,
        &["--resume", "twice", "--episodes", "2"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--episodes 2 differs"),
        "{}",
        stderr(&out)
    );
    let out = run(gae_args(&bundled(), &url, &["--resume", "twice", "--json"])).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_out(&out)["episodes_per_tree"], 1);
    let out = run(args(&[
        "eval",
        "iae",
        "--scripts",
        bundled().to_str().unwrap(),
        "--endpoint",
        &url,
        "--model",
        "test-model",
        "--resume",
        "twice",
    ]))
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("socius eval gae"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_fails_every_episode_without_crashing() {
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // With a password in the URL: it must not be echoed or stored either.
    let url = format!("http://bob:hunter2@127.0.0.1:{port}/v1");
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let out = socius_async(
        &store,
        gae_args(
            &bundled(),
            &url,
            &["--episodes", "2", "--max-attempts", "2", "--json"],
        ),
        Vec::new(),
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("every episode failed"), "{err}");
    assert!(
        err.contains(&format!("http://<redacted>@127.0.0.1:{port}/v1")),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("hunter2"),
        "{err}"
    );
    assert_eq!(files_contain(&store, b"hunter2"), Vec::<String>::new());
    let s = Store::open(&store).unwrap();
    let failed = s.list(&Filter::default()).unwrap();
    assert_eq!(failed.len(), 8);
    assert!(failed.iter().all(|f| f.status == Status::Failed));
    assert_eq!(
        failed[0].who.to_string(),
        format!("model:test-model@127.0.0.1:{port}")
    );
    let report = json_out(&out);
    assert_eq!(report["dropped"]["error"], 8);
    assert!(report["by_orientation"].as_object().unwrap().is_empty());
    // Nothing counted: no rate is known, and none is made up.
    assert!(report["macro_rate_pct"].is_null(), "{report}");
    // Every key of the GAE object is there, `null` or not.
    assert!(GAE_KEYS.iter().all(|k| report.get(k).is_some()), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_cleanly_and_resume_finishes() {
    let server = LoopbackServer::start(|_r: &Recorded| {
        Reply::Delay(Duration::from_millis(40), Box::new(choice_reply('A')))
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let child = Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(gae_args(
            &bundled(),
            &server.base_url(),
            &[
                "--episodes",
                "5",
                "--concurrency",
                "2",
                "--run-id",
                "sig",
                "--json",
            ],
        ))
        .arg("--store")
        .arg(&store)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run is well under way, then interrupt it like a terminal would.
    while server.request_count() < 12 {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("interrupted") && err.contains("--resume sig"),
        "{err}"
    );
    let partial = json_out(&out);
    let counted: u64 = partial["by_orientation"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["episodes"].as_u64().unwrap())
        .sum();
    let (finished, abandoned) = {
        let s = Store::open(&store).unwrap();
        let all = s
            .list(&Filter {
                run_id: Some("sig".into()),
                ..Filter::default()
            })
            .unwrap();
        assert!(all.iter().all(|x| x.status != Status::InProgress));
        let f = all.iter().filter(|x| x.status == Status::Finished).count();
        let a = all.iter().filter(|x| x.status == Status::Abandoned).count();
        (f, a)
    };
    assert_eq!(counted as usize, finished);
    assert!(finished > 0 && finished < 20, "{finished}");
    // Concurrency 2: two calls in flight, plus one spare job ready.
    assert!(abandoned <= 3, "{abandoned}");

    // The printed command continues this very run: run it as printed, from another folder and
    // with no $SOCIUS_STORE, so it must name the store and the non-default concurrency itself.
    let hint = err
        .lines()
        .skip_while(|l| !l.contains("Resume with"))
        .nth(1)
        .unwrap_or_else(|| panic!("no resume command printed:\n{err}"));
    let words = shell_split(hint.trim());
    assert_eq!(words[..4], ["socius", "eval", "gae", "--resume"], "{hint}");
    assert!(hint.contains("--concurrency 2"), "{hint}");
    let elsewhere = tempfile::tempdir().unwrap();
    let before = server.request_count();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_socius"))
            .args(&words[1..])
            .arg("--json")
            .current_dir(elsewhere.path())
            .env_remove("SOCIUS_STORE")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let full = json_out(&out);
    let total: u64 = full["by_orientation"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["episodes"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 20);
    assert!(server.request_count() > before);
}

/// Split a command line as a POSIX shell would, for the plain words and '…' quoting that
/// socius prints.
fn shell_split(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_cut_at_the_token_limit_are_recorded_and_reported() {
    // Every other reply stops at the limit (still holding a letter).
    let server = LoopbackServer::start(|r: &Recorded| {
        let reason = if r.index.is_multiple_of(2) {
            "length"
        } else {
            "stop"
        };
        Reply::json(
            200,
            &serde_json::json!({
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "A"},
                             "finish_reason": reason}]
            }),
        )
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let out = socius_async(
        &store,
        gae_args(
            &bundled(),
            &server.base_url(),
            &["--episodes", "1", "--max-tokens", "5", "--run-id", "cut"],
        ),
        Vec::new(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let s = Store::open(&store).unwrap();
    let mut reasons = Vec::new();
    for session in s.list(&Filter::default()).unwrap() {
        for e in s.events(session.id).unwrap() {
            if let socius::session::EventBody::LlmCall(c) = &e.body {
                reasons.push(c.finish_reason.clone().unwrap());
            }
        }
    }
    assert_eq!(reasons.len(), server.request_count());
    let cut = reasons.iter().filter(|r| *r == "length").count();
    assert!(cut > 0 && cut < reasons.len(), "{reasons:?}");
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{cut} of {} replies stopped at the token limit",
            reasons.len()
        )),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_body_fields_reach_the_server_and_stay_with_the_run() {
    let server = first_policy().await;
    let url = server.base_url();
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let extra = r#"{"top_p":0.5,"stop":["\n\n"]}"#;
    let out = socius_async(
        &store,
        gae_args(
            &bundled(),
            &url,
            &["--episodes", "1", "--run-id", "xb", "--extra-body", extra],
        ),
        Vec::new(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let sent = server.requests();
    assert!(!sent.is_empty());
    for r in &sent {
        let body = r.json().unwrap();
        assert_eq!(body["top_p"], 0.5);
        assert_eq!(body["stop"][0], "\n\n");
        assert_eq!(body["model"], "test-model");
    }
    let s = Store::open(&store).unwrap();
    let sessions = s.list(&Filter::default()).unwrap();
    drop(s);
    let socius::session::Who::Model { params, .. } = &sessions[0].who else {
        panic!("a model session");
    };
    assert_eq!(params["extra_body"]["top_p"], 0.5);

    // A resume with other extra fields is refused; without the flag it keeps the stored ones.
    let other = socius_async(
        &store,
        gae_args(
            &bundled(),
            &url,
            &["--resume", "xb", "--extra-body", r#"{"top_p":0.9}"#],
        ),
        Vec::new(),
    )
    .await;
    assert_eq!(other.status.code(), Some(1), "{}", stderr(&other));
    assert!(
        stderr(&other).contains("--extra-body"),
        "{}",
        stderr(&other)
    );

    // Not an object, not JSON, or a field socius owns: usage errors, nothing sent.
    let before = server.request_count();
    for bad in [
        "[1,2]",
        "{top_p:",
        r#"{"temperature":0}"#,
        r#"{"messages":[]}"#,
    ] {
        let out = socius_async(
            &store,
            gae_args(&bundled(), &url, &["--extra-body", bad]),
            Vec::new(),
        )
        .await;
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains("--extra-body"), "{}", stderr(&out));
    }
    assert_eq!(server.request_count(), before);
}
