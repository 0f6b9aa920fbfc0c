//! Benchmarks for the model client (issue 5's performance targets):
//!
//! - `prompt/deepest_*`: rendering the prompt at the deepest choice point of the corpus
//!   (context gathering included) — target ≤ 200 µs;
//! - `call/overhead`: prompt rendering + request + parse against a zero-latency loopback
//!   server — target median ≤ 2 ms;
//! - `call/throughput_200ms_c16`: 160 calls through a 16-slot pool to a server answering in
//!   200 ms — target ≥ 70 calls/s (ideal 80).
//!
//! The corpus comes from `SOCIUS_SOCIALEVAL_DIR` (or `../shared/data/socialeval`); without it a
//! synthetic deep tree stands in.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};
use socius::agent::llm::{
    Choices, LlmClient, LlmConfig, Pool, PromptKind, PromptSet, gae_parts, iae_parts, parse_choice,
};
use socius::script::model::{
    Character, Choice, IaeItem, Language, Line, Node, NodeIndex, NodeKind, Orientation, Role, Span,
    Utterance, WorldTree,
};

/// The longest root-to-choice-point path of a tree (nodes), ties broken by dialogue length.
fn deepest_choice_path(tree: &WorldTree) -> Vec<usize> {
    let index = NodeIndex::new(tree);
    let Some(root) = tree.start() else {
        return Vec::new();
    };
    let weight = |path: &[usize]| -> (usize, usize) {
        let text: usize = path
            .iter()
            .flat_map(|&n| &tree.nodes[n].lines)
            .map(|l| match l {
                Line::Speech(u) => u.text.len(),
                Line::Narration { text, .. } => text.len(),
                Line::Introduce { .. } => 0,
            })
            .sum();
        (path.len(), text)
    };
    let mut best: Vec<usize> = Vec::new();
    let mut stack = vec![vec![root]];
    while let Some(path) = stack.pop() {
        let Some(&last) = path.last() else { continue };
        let node = &tree.nodes[last];
        if !node.choices.is_empty() && weight(&path) > weight(&best) {
            best.clone_from(&path);
        }
        for c in &node.choices {
            if let Some(next) = index.get(&c.target)
                && !path.contains(&next)
            {
                let mut p = path.clone();
                p.push(next);
                stack.push(p);
            }
        }
    }
    best
}

/// The decisions that lead along `path` (for our protocol's context).
fn decisions(tree: &WorldTree, path: &[usize]) -> Vec<(usize, usize)> {
    path.windows(2)
        .filter_map(|w| {
            let next = &tree.nodes[w[1]].id;
            let ci = tree.nodes[w[0]]
                .choices
                .iter()
                .position(|c| &c.target == next)?;
            Some((w[0], ci))
        })
        .collect()
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SOCIUS_SOCIALEVAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/socialeval")
        });
    dir.is_dir().then_some(dir)
}

/// The corpus tree with the deepest choice point, and that path.
fn deepest_in_corpus() -> Option<(String, WorldTree, Vec<usize>)> {
    let dir = corpus_dir()?;
    let mut best: Option<(String, WorldTree, Vec<usize>)> = None;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Ok(converted) = socius::script::socialeval::convert_tree(&value, &name) else {
            continue;
        };
        let path = deepest_choice_path(&converted.tree);
        if best.as_ref().is_none_or(|(_, _, p)| path.len() > p.len()) {
            best = Some((name, converted.tree, path));
        }
    }
    best
}

/// A stand-in: a chain of 30 choice points, six long lines each.
fn synthetic() -> (String, WorldTree, Vec<usize>) {
    let long = "This is a fairly long line of dialogue that stands in for the real thing. ";
    let mut nodes = Vec::new();
    for i in 0..30 {
        let lines = (0..6)
            .map(|k| {
                Line::Speech(Utterance {
                    speaker: if k % 2 == 0 { "Leo" } else { "Mia" }.into(),
                    text: long.repeat(2),
                    ..Utterance::default()
                })
            })
            .collect();
        let choices = (0..4)
            .map(|k| Choice {
                target: format!("n{}", i + 1),
                say: Utterance {
                    speaker: "Mia".into(),
                    text: format!("Option {k}: {long}"),
                    ..Utterance::default()
                },
                iae: (k == 0).then(|| IaeItem {
                    abilities_original: None,
                    question: "Which line shows teamwork?".into(),
                    distractors: vec![Utterance::default(); 3],
                    ..IaeItem::default()
                }),
                ..Choice::default()
            })
            .collect();
        nodes.push(Node {
            id: format!("n{i}"),
            kind: if i == 0 {
                NodeKind::Beginning
            } else {
                NodeKind::Choice
            },
            outcome: None,
            state: None,
            lines,
            choices,
            dialog_as_written: None,
            span: Span::default(),
        });
    }
    let tree = WorldTree {
        span: Span::default(),
        id: "synthetic".into(),
        title: "synthetic".into(),
        language: Language::En,
        orientation: Orientation::Cooperation,
        provenance: None,
        scenario: String::new(),
        characters: vec![
            Character {
                name: "Mia".into(),
                role: Some(Role::Protagonist),
                public_profile: long.into(),
                private_profile: long.into(),
                goal: long.into(),
                ..Character::default()
            },
            Character {
                name: "Leo".into(),
                role: Some(Role::Supporting),
                public_profile: long.into(),
                ..Character::default()
            },
        ],
        nodes,
    };
    let path = deepest_choice_path(&tree);
    ("synthetic".into(), tree, path)
}

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("cannot build a tokio runtime: {e}"),
    }
}

fn bench_prompt(c: &mut Criterion) {
    let (name, tree, path) = deepest_in_corpus().unwrap_or_else(synthetic);
    let Some(&last) = path.last() else {
        return;
    };
    let node = &tree.nodes[last];
    let opts: Vec<&Utterance> = node.choices.iter().map(|c| &c.say).collect();
    let chosen = decisions(&tree, &path);
    let gae = PromptSet::builtin(PromptKind::Gae, tree.language).ok();
    let iae = PromptSet::builtin(PromptKind::Iae, tree.language).ok();
    let (Some(gae), Some(iae)) = (gae, iae) else {
        return;
    };
    let sample = gae.render(&gae_parts(&tree, &path, Some(&chosen), &opts));
    eprintln!(
        "deepest choice point: {name}, {} nodes on the path, GAE prompt {} + {} chars",
        path.len(),
        sample.system.as_deref().map_or(0, |s| s.chars().count()),
        sample.user.chars().count()
    );
    let mut group = c.benchmark_group("prompt");
    group.bench_function("deepest_gae", |b| {
        b.iter(|| {
            let parts = gae_parts(
                black_box(&tree),
                black_box(&path),
                Some(&chosen),
                black_box(&opts),
            );
            black_box(gae.render(&parts))
        });
    });
    let question = "Which line shows the protagonist's perspective-taking skill?";
    group.bench_function("deepest_iae", |b| {
        b.iter(|| {
            let parts = iae_parts(
                black_box(&tree),
                black_box(&path),
                None,
                question,
                black_box(&opts),
            );
            black_box(iae.render(&parts))
        });
    });
    group.finish();
}

fn fast_config(server: &LoopbackServer) -> LlmConfig {
    let mut cfg = LlmConfig::new(server.base_url(), "bench");
    cfg.timeout = Duration::from_secs(10);
    cfg.temperature = Some(0.0);
    cfg.max_tokens = Some(64);
    cfg
}

fn bench_calls(c: &mut Criterion) {
    let rt = runtime();
    let (_, tree, path) = deepest_in_corpus().unwrap_or_else(synthetic);
    let Some(&last) = path.last() else {
        return;
    };
    let node = &tree.nodes[last];
    let opts: Vec<&Utterance> = node.choices.iter().map(|c| &c.say).collect();
    let texts: Vec<&str> = opts.iter().map(|u| u.text.as_str()).collect();
    let Ok(set) = PromptSet::builtin(PromptKind::Gae, tree.language) else {
        return;
    };
    let reply = r#"{"choice": "B", "reason": "It keeps the peace and still gets the work done."}"#;

    let Ok(zero) = rt.block_on(LoopbackServer::answering(reply)) else {
        return;
    };
    let Ok(client) = LlmClient::with_api_key(fast_config(&zero), None) else {
        return;
    };
    let mut group = c.benchmark_group("call");
    group.bench_function("overhead", |b| {
        b.iter(|| {
            let prompt = set.render(&gae_parts(&tree, &path, None, &opts));
            let messages = prompt.messages();
            let done = rt.block_on(client.complete(&messages));
            let parsed = done
                .ok()
                .map(|d| parse_choice(&d.text, Choices::with_texts(&texts).echoing(&prompt.user)));
            black_box(parsed)
        });
    });

    let Ok(slow) = rt.block_on(LoopbackServer::start(move |_: &Recorded| {
        Reply::Delay(
            Duration::from_millis(200),
            Box::new(Reply::completion(reply)),
        )
    })) else {
        return;
    };
    let Ok(slow_client) = LlmClient::with_api_key(fast_config(&slow), None) else {
        return;
    };
    let pool = Pool::new(slow_client, 16);
    const BATCH: u64 = 160;
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(22));
    group.throughput(Throughput::Elements(BATCH));
    let mut rates = Vec::new();
    group.bench_function("throughput_200ms_c16", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t0 = Instant::now();
                let ok = rt.block_on(async {
                    let mut tasks = tokio::task::JoinSet::new();
                    for _ in 0..BATCH {
                        let pool = pool.clone();
                        let messages = set.render(&gae_parts(&tree, &path, None, &opts)).messages();
                        tasks.spawn(async move { pool.complete(&messages).await.is_ok() });
                    }
                    let mut ok = 0u64;
                    while let Some(r) = tasks.join_next().await {
                        ok += u64::from(matches!(r, Ok(true)));
                    }
                    ok
                });
                let took = t0.elapsed();
                rates.push(ok as f64 / took.as_secs_f64());
                total += took;
            }
            total
        });
    });
    group.finish();
    rates.sort_by(f64::total_cmp);
    if let Some(median) = rates.get(rates.len() / 2) {
        eprintln!(
            "throughput: median {median:.1} calls/s over {} batches of {BATCH} (max in flight \
             at the server: {})",
            rates.len(),
            slow.max_in_flight()
        );
    }
}

criterion_group!(benches, bench_prompt, bench_calls);
criterion_main!(benches);
