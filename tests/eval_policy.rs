//! Deterministic policies over the whole SocialEval corpus under `--protocol socialeval`: the
//! GAE numbers `socius eval gae` prints must equal the ones this test computes by walking the
//! source JSON itself (first option, or last option, at every choice node) — no socius engine,
//! importer or metrics code involved in the expected numbers.
//!
//! Needs `SOCIUS_SOCIALEVAL_DIR` (the per-tree JSON files); without it the test prints a notice
//! and passes.

mod eval_common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use eval_common::*;
use serde_json::Value;

#[derive(Debug, Default, PartialEq, Eq)]
struct Expected {
    /// orientation → (episodes reaching a labelled ending, successes)
    by_orientation: BTreeMap<String, (u64, u64)>,
    unlabelled: u64,
    dead_end: u64,
    trees: u64,
}

fn orientation_name(code: &[i64]) -> Option<&'static str> {
    Some(match code {
        [1, 1] => "cooperation",
        [1, 0] => "negotiation",
        [0, 1] => "assistance",
        [-1, 1] => "altruism",
        [1, -1] => "competition",
        [0, -1] => "induction",
        [-1, -1] => "conflict",
        _ => return None,
    })
}

/// `[a,b]` from the protagonist, else from the file name prefix.
fn orientation_of(tree: &Value, file: &str) -> &'static str {
    let from_profile = tree["predefined_profiles"][0]["orientation"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect::<Vec<_>>());
    if let Some(name) = from_profile.as_deref().and_then(orientation_name) {
        return name;
    }
    let prefix = file.split(']').next().unwrap_or("").trim_start_matches('[');
    let code: Vec<i64> = prefix
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    orientation_name(&code).unwrap_or_else(|| panic!("{file}: no orientation"))
}

fn as_int(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Walk every source file with `pick(choices.len()) -> index`.
fn expected(dir: &Path, pick: fn(usize) -> usize) -> Expected {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Expected::default();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let tree: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let Some(plot) = tree["interactive_plot"].as_array() else {
            continue;
        };
        out.trees += 1;
        let by_cid: HashMap<i64, &Value> = plot
            .iter()
            .filter_map(|n| Some((as_int(&n["cid"])?, n)))
            .collect();
        let orientation = orientation_of(&tree, &name);
        let mut cid = 0;
        let mut steps = 0;
        loop {
            steps += 1;
            assert!(steps < 10_000, "{name}: a cycle");
            let Some(node) = by_cid.get(&cid) else {
                out.dead_end += 1;
                break;
            };
            if node["type"] == "ending" {
                match node.get("goal achievement").and_then(as_int) {
                    Some(label @ 0..=2) => {
                        let cell = out
                            .by_orientation
                            .entry(orientation.to_owned())
                            .or_default();
                        cell.0 += 1;
                        cell.1 += u64::from(label == 2);
                    }
                    _ => out.unlabelled += 1,
                }
                break;
            }
            let choices = node["choices"].as_array().map_or(&[][..], Vec::as_slice);
            if choices.is_empty() {
                out.dead_end += 1;
                break;
            }
            let next = &choices[pick(choices.len())];
            match as_int(&next["cid"]) {
                Some(c) => cid = c,
                None => {
                    out.dead_end += 1;
                    break;
                }
            }
        }
    }
    out
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn check(report: &Value, want: &Expected, label: &str) {
    assert_eq!(report["metric"], "gae");
    assert_eq!(report["protocol"], "socialeval");
    assert_eq!(report["episodes_per_tree"], 1);
    assert_eq!(report["trees"].as_u64(), Some(want.trees), "{label}: trees");
    let got = report["by_orientation"].as_object().unwrap();
    assert_eq!(
        got.keys().cloned().collect::<Vec<_>>(),
        want.by_orientation.keys().cloned().collect::<Vec<_>>(),
        "{label}: orientations"
    );
    let mut rates = Vec::new();
    for (name, &(episodes, successes)) in &want.by_orientation {
        let cell = &got[name];
        assert_eq!(
            cell["episodes"].as_u64(),
            Some(episodes),
            "{label}: {name} episodes"
        );
        assert_eq!(
            cell["successes"].as_u64(),
            Some(successes),
            "{label}: {name} successes"
        );
        let rate = successes as f64 * 100.0 / episodes as f64;
        rates.push(rate);
        let pct = cell["rate_pct"].as_f64().unwrap();
        assert!(
            (pct - round2(rate)).abs() < 1e-9,
            "{label}: {name} rate {pct} vs {rate}"
        );
    }
    let macro_rate = round2(rates.iter().sum::<f64>() / rates.len() as f64);
    let got_macro = report["macro_rate_pct"].as_f64().unwrap();
    assert!(
        (got_macro - macro_rate).abs() < 1e-9,
        "{label}: macro {got_macro} vs {macro_rate}"
    );
    let d = &report["dropped"];
    assert_eq!(
        d["unlabelled_ending"].as_u64(),
        Some(want.unlabelled),
        "{label}: unlabelled"
    );
    assert_eq!(
        d["dead_end"].as_u64(),
        Some(want.dead_end),
        "{label}: dead ends"
    );
    assert_eq!(d["invalid_answer"], 0, "{label}");
    assert_eq!(d["error"], 0, "{label}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_and_last_option_policies_match_the_trees() {
    let Some(corpus) = corpus_dir("first_and_last_option_policies_match_the_trees") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let trees_dir = tmp.path().join("trees");
    let report =
        socius::script::socialeval::import_paths(std::slice::from_ref(&corpus), &trees_dir);
    assert!(
        report.failed.is_empty(),
        "import failures: {:?}",
        report.failed
    );
    let template = write(tmp.path(), "gae.txt", GAE_TEMPLATE);

    for (label, pick, server) in [
        ("first", (|_| 0) as fn(usize) -> usize, first_policy().await),
        (
            "last",
            (|n| n - 1) as fn(usize) -> usize,
            last_policy().await,
        ),
    ] {
        let want = expected(&corpus, pick);
        assert!(want.trees >= 100, "a whole corpus, not {}", want.trees);
        let store = tmp.path().join(format!("store-{label}"));
        let out = socius_async(
            &store,
            args(&[
                "eval",
                "gae",
                "--scripts",
                trees_dir.to_str().unwrap(),
                "--endpoint",
                &server.base_url(),
                "--model",
                &format!("{label}-option"),
                "--protocol",
                "socialeval",
                "--episodes",
                "1",
                "--concurrency",
                "8",
                "--prompt-template",
                template.to_str().unwrap(),
                "--json",
            ]),
            Vec::new(),
        )
        .await;
        assert!(out.status.success(), "{label}: {}", stderr(&out));
        let got = json_out(&out);
        check(&got, &want, label);
        // Every request came from one of the trees' choice points, in file order.
        assert!(server.request_count() > 0);
        eprintln!(
            "{label}-option policy: {} trees, {} requests, macro {}%, dropped {}",
            want.trees,
            server.request_count(),
            got["macro_rate_pct"],
            got["dropped"]
        );
    }
}
