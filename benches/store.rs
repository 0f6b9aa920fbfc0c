//! The session store's performance targets (issue 3):
//!
//! * append + flush of one decision: median at most 1 ms;
//! * appends without a flush per event: at least 50,000 events/s;
//! * `sessions list` over 10,000 sessions (the library calls the command makes, table
//!   formatting included): at most 100 ms;
//! * opening a store that holds 100,000 events: at most 500 ms.
//!
//! And with the store owned by another process (issue: one store, several processes):
//!
//! * `sessions list` over 10,000 sessions by a reader — opening the store through its owner,
//!   listing, formatting the table: at most 150 ms;
//! * append + flush of one decision through the owner: median at most 2 ms.
//!
//! The other process is this benchmark binary again, started with [`HOLD_ENV`] naming the
//! store: it opens the store, says `ready`, and keeps it open until its stdin closes.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use socius::cli::sessions::{render_list_json, render_table};
use socius::session::{
    Decision, EventBody, NewSession, OptionsPresented, PresentedOption, ScriptRef, SessionKind,
    Status, Who,
};
use socius::store::{Filter, Store};

fn decision(i: u64) -> EventBody {
    EventBody::Decision(Decision {
        node: Some(format!("node-{}", i % 40)),
        option_index: (i % 4) as u32,
        option_id: format!("opt-{}", i % 4).into(),
        latency_ms: 800 + i % 3000,
        options_scrolled: false,
        choice: None,
    })
}

fn options(i: u64) -> EventBody {
    EventBody::OptionsPresented(OptionsPresented {
        node: Some(format!("node-{}", i % 40)),
        prompt: None,
        options: (0..4)
            .map(|k| PresentedOption {
                id: format!("opt-{k}").into(),
                text: format!("我们一起把厨房打扫干净，好吗？ option {k} at step {i}"),
            })
            .collect(),
    })
}

fn new_session(i: u64) -> NewSession {
    let who = if i.is_multiple_of(3) {
        Who::Model {
            name: "gpt-x".into(),
            endpoint_host: "api.example.org".into(),
            params: serde_json::Map::new(),
        }
    } else {
        Who::annotator(format!("annotator-{}", i % 17))
    };
    NewSession::new(
        SessionKind::WorldTreeGae,
        ScriptRef::new(format!("tree-{:03}", i % 210), b"tree"),
        who,
        i,
    )
}

fn append_flushed(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let session = store.create(new_session(0)).unwrap();
    let mut i = 0;
    c.bench_function("store/append_decision_flushed", |b| {
        b.iter(|| {
            i += 1;
            store.append(session.id, decision(i)).unwrap()
        });
    });
}

fn append_unflushed(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(1000));
    group.sample_size(30);
    let mut i = 0;
    group.bench_function("append_1000_unflushed", |b| {
        b.iter_batched(
            || store.create(new_session(7)).unwrap(),
            |session| {
                for _ in 0..500 {
                    i += 1;
                    store.append_unflushed(session.id, options(i)).unwrap();
                    store.append_unflushed(session.id, decision(i)).unwrap();
                }
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
    store.flush().unwrap();
}

/// Fill `store` with 10,000 sessions of one or two events.
fn fill_10k(store: &Store) {
    for i in 0..10_000 {
        let s = store.create(new_session(i)).unwrap();
        store.append_unflushed(s.id, decision(i)).unwrap();
        if i.is_multiple_of(2) {
            store
                .append_unflushed(
                    s.id,
                    EventBody::SessionStatus(socius::session::StatusChange {
                        status: Status::Finished,
                        reason: None,
                    }),
                )
                .unwrap();
        }
    }
    store.flush().unwrap();
}

fn list_10k(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    fill_10k(&store);
    let mut group = c.benchmark_group("store");
    group.sample_size(30);
    group.bench_function("list_10k_table", |b| {
        b.iter(|| render_table(&store.list(&Filter::default()).unwrap()));
    });
    group.bench_function("list_10k_json", |b| {
        b.iter(|| render_list_json(&store.list(&Filter::default()).unwrap()));
    });
    let filter = Filter {
        who: Some("annotator-3".into()),
        ..Filter::default()
    };
    group.bench_function("list_10k_filtered_table", |b| {
        b.iter(|| render_table(&store.list(&filter).unwrap()));
    });
    group.finish();
}

fn open_100k(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        for i in 0..500 {
            let s = store.create(new_session(i)).unwrap();
            let bodies = (0..100).map(|k| if k % 2 == 0 { options(k) } else { decision(k) });
            store
                .append_batch(s.id, bodies.collect::<Vec<_>>())
                .unwrap();
            store
                .append_batch(s.id, (0..100).map(decision).collect::<Vec<_>>())
                .unwrap();
        }
        store.flush().unwrap();
    }
    let started = Instant::now();
    let store = Store::open(dir.path()).unwrap();
    eprintln!(
        "first open of the 100,000-event store: {:?}",
        started.elapsed()
    );
    assert_eq!(store.session_count(), 500);
    drop(store);
    let mut group = c.benchmark_group("store");
    group.sample_size(20);
    group.bench_function("open_100k_events", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let store = Store::open(dir.path()).unwrap();
                total += started.elapsed();
                drop(store);
            }
            total
        });
    });
    group.finish();
}

/// Set in the environment of the process that holds a store for the shared benchmarks.
const HOLD_ENV: &str = "SOCIUS_BENCH_HOLD_STORE";

/// Another process that owns the store in `dir` until dropped.
struct Holder(Child);

impl Holder {
    fn start(dir: &Path) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(HOLD_ENV, dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready, "ready\n", "the holder did not open the store");
        Self(child)
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        // Closing its stdin lets it close the store and end.
        drop(self.0.stdin.take());
        let _ = self.0.wait();
    }
}

/// The holder's side: own the store, say so, wait for stdin to close.
fn hold(dir: &std::ffi::OsStr) {
    let store = Store::open(dir).unwrap();
    assert!(store.owns_the_files(), "the holder must own the store");
    println!("ready");
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    drop(store);
}

fn shared_list_10k(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        fill_10k(&store);
    }
    let _holder = Holder::start(dir.path());
    let mut group = c.benchmark_group("store");
    group.sample_size(30);
    // What `socius sessions list` does: open the store (here: reach its owner), list, format.
    group.bench_function("shared_list_10k_table", |b| {
        b.iter(|| {
            let store = Store::open_for_reading(dir.path()).unwrap();
            assert!(!store.owns_the_files());
            render_table(&store.list(&Filter::default()).unwrap())
        });
    });
    group.bench_function("shared_list_10k_json", |b| {
        b.iter(|| {
            let store = Store::open_for_reading(dir.path()).unwrap();
            render_list_json(&store.list(&Filter::default()).unwrap())
        });
    });
    group.finish();
}

fn shared_append_flushed(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let _holder = Holder::start(dir.path());
    let store = Store::open(dir.path()).unwrap();
    assert!(!store.owns_the_files());
    let session = store.create(new_session(0)).unwrap();
    let mut i = 0;
    c.bench_function("store/shared_append_decision_flushed", |b| {
        b.iter(|| {
            i += 1;
            store.append(session.id, decision(i)).unwrap()
        });
    });
}

criterion_group!(
    benches,
    append_flushed,
    append_unflushed,
    list_10k,
    open_100k,
    shared_list_10k,
    shared_append_flushed
);

fn main() {
    if let Some(dir) = std::env::var_os(HOLD_ENV) {
        hold(&dir);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
