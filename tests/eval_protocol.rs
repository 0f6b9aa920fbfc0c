//! The two protocols side by side, as the server sees them: what goes into the context, the
//! correction round, option order, the prompt language, and which trees are walked.

mod eval_common;

use eval_common::*;
use serde_json::json;
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};
use socius::eval::{Cancel, EvalKind, Prompts, Protocol, Report, RequestedSettings, RunSettings};
use socius::session::EventBody;
use socius::store::{Filter, Store};

fn settings_for(protocol: Protocol, shuffle: bool, episodes: u32) -> RunSettings {
    RequestedSettings {
        protocol: Some(protocol),
        model: "policy-model".into(),
        episodes: Some(episodes),
        shuffle,
        ..RequestedSettings::default()
    }
    .new_run(EvalKind::Gae)
    .unwrap()
}

fn salary_talk() -> Vec<socius::eval::EvalTree> {
    load_trees(&bundled())
        .into_iter()
        .filter(|t| t.tree.id == "en-salary-talk")
        .collect()
}

fn marker_prompts() -> Prompts {
    Prompts::custom(EvalKind::Gae, template_set(EvalKind::Gae, GAE_TEMPLATE)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chosen_lines_stay_out_of_the_official_context() {
    for protocol in [Protocol::Socialeval, Protocol::Socius] {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let server = first_policy().await;
        let out = run_with(
            &store,
            pool(&server, 1, 1),
            marker_prompts(),
            settings_for(protocol, false, 1),
            "ctx",
            &salary_talk(),
            1,
            false,
            Cancel::new(),
        )
        .await
        .unwrap();
        assert_eq!(out.tally.finished, 1);
        let reqs = server.requests();
        assert!(reqs.len() >= 2, "a walk of several choice points");
        for pair in reqs.windows(2) {
            let chosen = &options(&user_prompt(&pair[0]), ':')[0];
            // "Rosa: <utterance>" as shown; the context line is "Rosa: <utterance>" too.
            let later = user_prompt(&pair[1]);
            let context = later.split("<<CHOICES>>").next().unwrap();
            assert_eq!(
                context.contains(chosen.as_str()),
                protocol == Protocol::Socius,
                "{protocol}: {chosen}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_answer_drops_at_once_or_after_one_correction() {
    for (protocol, per_episode) in [(Protocol::Socialeval, 1), (Protocol::Socius, 2)] {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let server = LoopbackServer::start(|_r: &Recorded| Reply::completion("hmm, hard to say."))
            .await
            .unwrap();
        let out = run_lib(
            &store,
            pool(&server, 2, 1),
            settings_for(protocol, false, 3),
            "bad",
            &salary_talk(),
            2,
            false,
            Cancel::new(),
        )
        .await
        .unwrap();
        assert_eq!(server.request_count(), 3 * per_episode, "{protocol}");
        let Report::Gae(report) = &out.report else {
            panic!("GAE")
        };
        assert_eq!(report.dropped.invalid_answer, 3);
        assert!(report.by_orientation.is_empty());
        if protocol == Protocol::Socius {
            let corrections: Vec<_> = server
                .requests()
                .iter()
                .map(|r| r.json().unwrap())
                .filter(|b| b["messages"].as_array().unwrap().len() == 4)
                .collect();
            assert_eq!(corrections.len(), 3, "one correction per episode");
            let messages = corrections[0]["messages"].as_array().unwrap();
            assert_eq!(messages[messages.len() - 2]["role"], "assistant");
            assert!(
                messages.last().unwrap()["content"]
                    .as_str()
                    .unwrap()
                    .contains("could not tell")
            );
        }
        // The failure is recorded, typed.
        let s = &store.list(&Filter::default()).unwrap()[0];
        let parsed: Vec<_> = store
            .events(s.id)
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.body {
                EventBody::LlmCall(c) => c.parsed,
                _ => None,
            })
            .collect();
        assert_eq!(parsed.len(), per_episode);
        if protocol == Protocol::Socius {
            assert_eq!(parsed[0], json!({"failure": {"kind": "no_choice"}}));
        } else {
            // The official reading decided, and is what is stored.
            assert_eq!(parsed[0]["protocol"], "socialeval");
            assert_eq!(parsed[0]["failure"]["kind"], "not_literal");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shuffled_options_are_seeded_and_recorded_as_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let server = first_policy().await;
    run_with(
        &store,
        pool(&server, 1, 1),
        marker_prompts(),
        settings_for(Protocol::Socius, true, 6),
        "shuf",
        &salary_talk(),
        1,
        false,
        Cancel::new(),
    )
    .await
    .unwrap();
    let tree = &salary_talk()[0].tree;
    let file_order: Vec<String> = tree.nodes[0]
        .choices
        .iter()
        .map(|c| c.target.clone())
        .collect();
    // Every presentation recorded is what one request showed (two episodes may interleave:
    // the runner keeps a spare job ready even at concurrency 1).
    let mut shown = Vec::new();
    let mut firsts = Vec::new();
    for s in store.list(&Filter::default()).unwrap() {
        for e in store.events(s.id).unwrap() {
            if let EventBody::OptionsPresented(o) = e.body {
                if o.node.as_deref() == Some("start") {
                    firsts.push(o.options.iter().map(|x| x.id.clone()).collect::<Vec<_>>());
                }
                shown.push(o.options.iter().map(|x| x.text.clone()).collect::<Vec<_>>());
            }
        }
    }
    let asked: Vec<Vec<String>> = server
        .requests()
        .iter()
        .map(|r| {
            options(&user_prompt(r), ':')
                .into_iter()
                .map(|o| o.split_once(": ").unwrap().1.to_owned())
                .collect()
        })
        .collect();
    let (mut asked, mut shown) = (asked, shown);
    asked.sort();
    shown.sort();
    assert_eq!(asked, shown, "the prompt shows the recorded order");
    assert_eq!(firsts.len(), 6);
    assert!(
        firsts.iter().any(|f| *f != file_order),
        "some order shuffled"
    );
    for f in &firsts {
        let mut sorted = f.clone();
        sorted.sort();
        let mut want = file_order.clone();
        want.sort();
        assert_eq!(sorted, want);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_prompts_are_one_language_with_json_profiles() {
    for (protocol, heading, profile) in [
        (
            Protocol::Socialeval,
            "你接下来可以说",
            "{\"name\": \"Rosa\", \"public\": ",
        ),
        (Protocol::Socius, "What you could say next", "Name: Rosa"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let server = first_policy().await;
        run_lib(
            &store,
            pool(&server, 1, 1),
            settings_for(protocol, false, 1),
            "lang",
            &salary_talk(),
            1,
            false,
            Cancel::new(),
        )
        .await
        .unwrap();
        let prompt = user_prompt(&server.requests()[0]);
        assert!(prompt.contains(heading), "{protocol}: {prompt}");
        assert!(prompt.contains(profile), "{protocol}: {prompt}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trees_not_playable_as_text_are_walked_only_by_the_official_protocol() {
    let tmp = tempfile::tempdir().unwrap();
    let trees = tmp.path().join("trees");
    let report = socius::script::socialeval::import_paths(
        &[repo().join("tests/fixtures/socialeval/state_triples.json")],
        &trees,
    );
    assert_eq!(report.written.len(), 1, "{:?}", report.failed);
    let loaded = load_trees(&trees);
    assert!(
        loaded[0]
            .tree
            .has_flag(socius::script::model::FLAG_NOT_PLAYABLE_AS_TEXT)
    );
    let server = first_policy().await;
    let store = tmp.path().join("store");
    let run = |protocol: &str| {
        args(&[
            "eval",
            "gae",
            "--scripts",
            trees.to_str().unwrap(),
            "--endpoint",
            &server.base_url(),
            "--model",
            "m",
            "--episodes",
            "1",
            "--protocol",
            protocol,
            "--json",
        ])
    };
    let out = socius_async(&store, run("socius"), Vec::new()).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not_playable_as_text left out"),
        "{}",
        stderr(&out)
    );
    assert_eq!(server.request_count(), 0);
    let out = socius_async(&store, run("socialeval"), Vec::new()).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json_out(&out);
    assert_eq!(report["trees"], 1, "walked under socialeval");
    // Its root offers a choice whose `content` is a list: the official script fails there, so
    // the episode is lost before any call, as `unreadable_source`.
    assert_eq!(report["dropped"]["unreadable_source"], 1, "{report}");
    assert_eq!(server.request_count(), 0);
}
