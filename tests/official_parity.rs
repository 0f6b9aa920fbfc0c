//! `--protocol socialeval` against the official scripts themselves, call for call.
//!
//! The official `run_gae.py` and `run_iae.py` (the user's copy, from `SOCIUS_SOCIALEVAL_REF`)
//! run unchanged under `tests/support/official_run.py`, which replaces only the model call; socius
//! runs the same corpus against a loopback server. Both sides answer with the same function of the
//! prompt (see that script), with the official templates imported by `socius prompts import`.
//! Then:
//! - GAE: the set of prompts socius sends equals the set the official script sends, byte for
//!   byte, and the success rates per orientation are equal;
//! - IAE: the prompts are equal item for item once the options are put in one order (the
//!   official script shuffles without a seed), and the report's `official` object equals the
//!   official script's output.
//!
//! Skipped with a notice without the corpus, the reference scripts or `python3`; failing instead
//! when `SOCIUS_REQUIRE_CORPUS=1`.

mod eval_common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use eval_common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};

fn required() -> bool {
    std::env::var_os("SOCIUS_REQUIRE_CORPUS").is_some_and(|v| v == "1")
}

/// The official scripts' folder and a working `python3`, or `None` with a notice.
fn reference(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("SOCIUS_SOCIALEVAL_REF").map(PathBuf::from);
    let python = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    match dir {
        Some(d) if d.join("run_gae.py").is_file() && python => Some(d),
        _ => {
            assert!(
                !required(),
                "{test}: SOCIUS_REQUIRE_CORPUS=1 but SOCIUS_SOCIALEVAL_REF is not the official \
                 scripts' folder or python3 is missing"
            );
            eprintln!("{test}: skipped: needs SOCIUS_SOCIALEVAL_REF and python3");
            None
        }
    }
}

fn sha(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The GAE option lines (`X: …`) of a prompt.
fn gae_options(prompt: &str) -> usize {
    prompt
        .split('\n')
        .filter(|l| {
            let b = l.as_bytes();
            b.len() >= 3 && b[0].is_ascii_uppercase() && &b[1..3] == b": "
        })
        .count()
}

/// The IAE option lines (`X. text`) of a prompt: (letter, text).
fn iae_options(prompt: &str) -> Vec<(char, &str)> {
    prompt
        .split('\n')
        .filter_map(|l| {
            let b = l.as_bytes();
            (b.len() >= 3 && b[0].is_ascii_uppercase() && &b[1..3] == b". ")
                .then(|| (char::from(b[0]), &l[3..]))
        })
        .collect()
}

/// The stand-in model's answers (the same as `official_run.py`'s).
fn gae_answer(prompt: &str) -> String {
    let n = gae_options(prompt);
    let pick = if n == 0 {
        0
    } else {
        usize::try_from(u64::from_str_radix(&sha(prompt)[..8], 16).unwrap()).unwrap() % n
    };
    format!("{{\"choice\": \"{}\"}}", letter(pick))
}

fn iae_answer(prompt: &str) -> String {
    let best = iae_options(prompt)
        .into_iter()
        .min_by_key(|(_, text)| sha(text))
        .map_or('A', |(l, _)| l);
    format!("{{\"choice\": \"{best}\"}}")
}

/// A prompt with its IAE option lines put in one order.
fn canonical(prompt: &str) -> String {
    let mut texts: Vec<&str> = iae_options(prompt).into_iter().map(|(_, t)| t).collect();
    texts.sort_unstable();
    let mut next = texts.into_iter();
    prompt
        .split('\n')
        .map(|l| {
            let b = l.as_bytes();
            if b.len() >= 3 && b[0].is_ascii_uppercase() && &b[1..3] == b". " {
                format!("?. {}", next.next().unwrap_or_default())
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn run_ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Import the official templates and the corpus into `tmp`.
fn prepare(tmp: &Path, corpus: &Path, reference: &Path) -> (PathBuf, PathBuf) {
    let prompts = tmp.join("prompts");
    let trees = tmp.join("trees");
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_socius"))
            .args(["prompts", "import", "socialeval"])
            .arg(reference.join("evalprompt.py"))
            .arg("--out")
            .arg(&prompts),
    );
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_socius"))
            .args(["import", "socialeval"])
            .arg(corpus)
            .arg("--out")
            .arg(&trees),
    );
    (prompts, trees)
}

/// Run the official script in `mode` under the stand-in model.
fn official(mode: &str, corpus: &Path, reference: &Path, tmp: &Path) -> Value {
    let out = tmp.join(format!("official-{mode}.json"));
    run_ok(
        Command::new("python3")
            .arg(repo().join("tests/support/official_run.py"))
            .arg(mode)
            .arg(corpus)
            .arg(reference)
            .arg(&out),
    );
    serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
}

/// Where two texts part, with some context, for a failure message.
fn first_difference(a: &str, b: &str) -> String {
    let at = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i);
    let from = a[..at].char_indices().rev().nth(80).map_or(0, |(i, _)| i);
    format!(
        "socius:   …{:?}\nofficial: …{:?}",
        a[from..].chars().take(200).collect::<String>(),
        b.get(from..)
            .unwrap_or("")
            .chars()
            .take(200)
            .collect::<String>()
    )
}

fn compare(ours: &BTreeSet<String>, theirs: &BTreeSet<String>, what: &str) {
    let only_ours: Vec<&String> = ours.difference(theirs).collect();
    let only_theirs: Vec<&String> = theirs.difference(ours).collect();
    if only_ours.is_empty() && only_theirs.is_empty() {
        return;
    }
    let example = only_ours.first().map(|o| {
        // The official prompt that shares the longest start with it.
        let nearest = theirs
            .iter()
            .max_by_key(|t| o.chars().zip(t.chars()).take_while(|(a, b)| a == b).count())
            .map_or("", String::as_str);
        first_difference(o, nearest)
    });
    panic!(
        "{what}: {} prompts only socius sends, {} only the official script sends (of {} and {})\n{}",
        only_ours.len(),
        only_theirs.len(),
        ours.len(),
        theirs.len(),
        example.unwrap_or_default()
    );
}

fn user_prompts(server: &LoopbackServer) -> Vec<String> {
    server.requests().iter().map(user_prompt).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gae_prompts_and_rates_equal_the_official_scripts() {
    let test = "gae_prompts_and_rates_equal_the_official_scripts";
    let (Some(corpus), Some(reference)) = (corpus_dir(test), reference(test)) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (prompts, trees) = prepare(tmp.path(), &corpus, &reference);
    let server =
        LoopbackServer::start(|r: &Recorded| Reply::completion(&gae_answer(&user_prompt(r))))
            .await
            .unwrap();
    let out = socius_async(
        &tmp.path().join("store"),
        args(&[
            "eval",
            "gae",
            "--protocol",
            "socialeval",
            "--episodes",
            "1",
            "--concurrency",
            "8",
            "--model",
            "stand-in",
            "--json",
            "--endpoint",
            &server.base_url(),
            "--prompt-template",
            prompts.to_str().unwrap(),
            "--scripts",
            trees.to_str().unwrap(),
        ]),
        Vec::new(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json_out(&out);
    let theirs = official("gae", &corpus, &reference, tmp.path());

    let ours: BTreeSet<String> = user_prompts(&server).into_iter().collect();
    let official_prompts: BTreeSet<String> = theirs["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    assert!(ours.len() > 500, "a walk per tree: {} prompts", ours.len());
    compare(&ours, &official_prompts, "GAE");

    // Same walks, so the same rates (the official script walked each tree 10 times alike).
    let names: BTreeMap<String, String> = socius::script::model::Orientation::ALL
        .iter()
        .map(|o| {
            let [a, b] = o.code();
            (format!("[{a}, {b}]"), o.name().to_owned())
        })
        .collect();
    for (code, rate) in theirs["by_orientation"].as_object().unwrap() {
        let ours = report["by_orientation"][&names[code]]["rate_pct"]
            .as_f64()
            .unwrap();
        assert!(
            (ours - rate.as_f64().unwrap()).abs() < 0.01,
            "{code}: socius {ours}, official {rate}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iae_items_prompts_and_official_figures_equal_the_official_scripts() {
    let test = "iae_items_prompts_and_official_figures_equal_the_official_scripts";
    let (Some(corpus), Some(reference)) = (corpus_dir(test), reference(test)) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (prompts, trees) = prepare(tmp.path(), &corpus, &reference);
    let server =
        LoopbackServer::start(|r: &Recorded| Reply::completion(&iae_answer(&user_prompt(r))))
            .await
            .unwrap();
    let out = socius_async(
        &tmp.path().join("store"),
        args(&[
            "eval",
            "iae",
            "--protocol",
            "socialeval",
            "--concurrency",
            "8",
            "--model",
            "stand-in",
            "--json",
            "--endpoint",
            &server.base_url(),
            "--prompt-template",
            prompts.to_str().unwrap(),
            "--scripts",
            trees.to_str().unwrap(),
        ]),
        Vec::new(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json_out(&out);
    let theirs = official("iae", &corpus, &reference, tmp.path());

    let ours: Vec<String> = user_prompts(&server).iter().map(|p| canonical(p)).collect();
    let official_prompts: Vec<String> = theirs["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| canonical(p.as_str().unwrap()))
        .collect();
    assert_eq!(
        ours.len(),
        official_prompts.len(),
        "one prompt per item on both sides"
    );
    assert!(ours.len() > 3000, "every item: {} prompts", ours.len());
    compare(
        &ours.into_iter().collect(),
        &official_prompts.into_iter().collect(),
        "IAE",
    );
    // The four items the official build cannot make are skipped and counted.
    assert_eq!(
        report["dropped"]["unreadable_source"], 4,
        "{}",
        report["dropped"]
    );

    let official_obj = &report["official"];
    let close = |a: &Value, b: &Value, what: &str| {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        assert!((a - b).abs() < 1e-9, "{what}: socius {a}, official {b}");
    };
    let by_key = official_obj["by_key"].as_object().unwrap();
    let their_keys = theirs["by_key"].as_object().unwrap();
    assert_eq!(
        by_key.keys().collect::<Vec<_>>(),
        their_keys
            .keys()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>(),
        "the same ability keys"
    );
    for (k, v) in their_keys {
        close(&by_key[k], v, k);
    }
    for (cat, v) in theirs["by_category"].as_object().unwrap() {
        close(&official_obj["by_category"][cat], v, cat);
    }
    close(
        &official_obj["overall_average"],
        &theirs["overall_average"],
        "overall average",
    );
}
