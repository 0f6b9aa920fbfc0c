//! Benchmarks of the batch runner (issue 5's targets), measured through `socius::eval::run`
//! end to end — job queue, session creation, prompt rendering, the HTTP call, parsing, every
//! store write and flush, and the summary read back from the store:
//!
//! - `eval/overhead_per_call`: a GAE run at concurrency 1 against a zero-latency loopback
//!   server; the time per call — target median ≤ 2 ms;
//! - `eval/throughput_200ms_c16`: a GAE run at concurrency 16 against a server answering every
//!   call in 200 ms; calls per second — target ≥ 70 (the ideal is 80).
//!
//! The trees are the SocialEval corpus from `SOCIUS_SOCIALEVAL_DIR` (or
//! `../shared/data/socialeval`), imported to a temp folder; without it the bundled `scripts/`
//! stand in, with more episodes per tree.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};
use socius::agent::llm::{LlmClient, LlmConfig, Pool};
use socius::eval::progress::Progress;
use socius::eval::{
    Cancel, EvalKind, EvalTree, Prompts, Protocol, RequestedSettings, RunSpec, run,
};
use socius::store::Store;

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SOCIUS_SOCIALEVAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/socialeval")
        });
    dir.is_dir().then_some(dir)
}

fn load(dir: &Path) -> Vec<EvalTree> {
    let Ok(paths) = socius::script::load::collect_paths(&[dir.to_path_buf()]) else {
        return Vec::new();
    };
    socius::script::load::load_files(&paths.files)
        .into_iter()
        .filter_map(|l| {
            let tree = l.world_tree()?.clone();
            Some(EvalTree {
                tree: Arc::new(tree),
                hash: l.hash.clone(),
                source: l.path,
            })
        })
        .collect()
}

/// The trees, how many episodes per tree, and what they are.
fn workload(tmp: &Path) -> (Vec<EvalTree>, u32, String) {
    if let Some(corpus) = corpus_dir() {
        let out = tmp.join("corpus");
        let report = socius::script::socialeval::import_paths(&[corpus], &out);
        let trees = load(&out);
        if !trees.is_empty() {
            let label = format!("{} corpus trees ({} imported)", trees.len(), report.trees);
            return (trees, 1, label);
        }
    }
    let bundled = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts");
    let trees = load(&bundled);
    let label = format!("{} bundled trees", trees.len());
    (trees, 40, label)
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

fn pool(server: &LoopbackServer, concurrency: usize) -> Option<Pool> {
    let mut cfg = LlmConfig::new(server.base_url(), "bench");
    cfg.timeout = Duration::from_secs(10);
    cfg.temperature = Some(1.0);
    let client = LlmClient::with_api_key(cfg, None).ok()?;
    Some(Pool::new(client, concurrency))
}

static RUNS: AtomicU64 = AtomicU64::new(0);

/// One whole run on a fresh store; returns the time it took and the calls it made.
fn one_run(
    rt: &tokio::runtime::Runtime,
    server: &LoopbackServer,
    trees: &[EvalTree],
    episodes: u32,
    concurrency: usize,
) -> Option<(Duration, u64)> {
    let dir = tempfile::tempdir().ok()?;
    let store = Store::open(dir.path()).ok()?;
    let settings = RequestedSettings {
        protocol: Some(Protocol::Socialeval),
        model: "bench".into(),
        episodes: Some(episodes),
        ..RequestedSettings::default()
    }
    .new_run(EvalKind::Gae)
    .ok()?;
    let spec = RunSpec {
        run_id: format!("bench-{}", RUNS.fetch_add(1, Ordering::Relaxed)).into(),
        settings,
        endpoint_host: server.addr().to_string(),
        concurrency,
        resume: false,
    };
    let prompts = Prompts::builtin(EvalKind::Gae).ok()?;
    let pool = pool(server, concurrency)?;
    let trees = trees.to_vec();
    let before = server.request_count();
    let t0 = Instant::now();
    let outcome = rt.block_on(run(
        store,
        pool,
        prompts,
        spec,
        trees,
        Cancel::new(),
        Arc::new(Progress::new()),
    ));
    let took = t0.elapsed();
    let calls = u64::try_from(server.request_count() - before).ok()?;
    outcome.ok().filter(|o| o.progress.failed == 0)?;
    Some((took, calls.max(1)))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn bench_runner(c: &mut Criterion) {
    let rt = runtime();
    let Ok(tmp) = tempfile::tempdir() else {
        return;
    };
    let (trees, episodes, label) = workload(tmp.path());
    if trees.is_empty() {
        return;
    }
    eprintln!("workload: {label}, {episodes} episode(s) per tree");
    let answer = r#"{"choice": "A", "reason": "It keeps the conversation going."}"#;
    let Ok(zero) = rt.block_on(LoopbackServer::answering(answer)) else {
        return;
    };
    let mut group = c.benchmark_group("eval");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));

    // A shorter run for the overhead: the first 40 trees (or all of them), one episode each.
    let few: Vec<EvalTree> = trees.iter().take(40).cloned().collect();
    let mut per_call_ms = Vec::new();
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("overhead_per_call", |b| {
        b.iter_custom(|iters| {
            let Some((took, calls)) = one_run(&rt, &zero, &few, 1, 1) else {
                return Duration::from_secs(3600);
            };
            let per_call = took.div_f64(calls as f64);
            per_call_ms.push(per_call.as_secs_f64() * 1000.0);
            per_call.saturating_mul(u32::try_from(iters).unwrap_or(u32::MAX))
        });
    });

    let Ok(slow) = rt.block_on(LoopbackServer::start(move |_: &Recorded| {
        Reply::Delay(
            Duration::from_millis(200),
            Box::new(Reply::completion(answer)),
        )
    })) else {
        return;
    };
    let mut rates = Vec::new();
    group.measurement_time(Duration::from_secs(60));
    group.bench_function("throughput_200ms_c16", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let Some((took, calls)) = one_run(&rt, &slow, &trees, episodes, 16) else {
                    return Duration::from_secs(3600);
                };
                rates.push(calls as f64 / took.as_secs_f64());
                total += took;
            }
            total
        });
    });
    group.finish();
    eprintln!(
        "overhead: median {:.3} ms per call over {} runs (runner end to end, zero-latency \
         server, concurrency 1)",
        median(per_call_ms.clone()),
        per_call_ms.len()
    );
    eprintln!(
        "throughput: median {:.1} calls/s over {} runs (200 ms server, concurrency 16; max in \
         flight at the server: {})",
        median(rates.clone()),
        rates.len(),
        slow.max_in_flight()
    );
}

criterion_group!(benches, bench_runner);
criterion_main!(benches);
