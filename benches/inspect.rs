//! The branch inspector on the largest tree of the SocialEval corpus with 10,000 stored walks of
//! it (a fifth by people, the rest by four models with their `llm_call` exchange): from opening
//! the store to the first frame drawn on a 160×48 TestBackend (issue target: ≤ 200 ms median).

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use socius::driver::records::Timing;
use socius::driver::{Driver, Recorder};
use socius::engine::episode::{EpisodeConfig, EpisodeEffect, Mode};
use socius::report::inspect::{inspect, load};
use socius::script::WorldTree;
use socius::session::{
    Event, EventBody, LlmCall, RECORD_SCHEMA, ScriptRef, Session, SessionId, SessionKind,
    SessionRecord, Status, Who,
};
use socius::store::{Store, StoreError};
use socius::tui::i18n::Lang;
use socius::tui::inspect::{Inspector, cache};
use socius::tui::theme::Theme;

const WALKS: usize = 10_000;

/// `$SOCIUS_SOCIALEVAL_DIR`, else `../shared/data/socialeval` next to the package.
fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SOCIUS_SOCIALEVAL_DIR")
        .filter(|d| !d.is_empty())
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/socialeval"),
            PathBuf::from,
        );
    dir.is_dir().then_some(dir)
}

/// The corpus tree with the most nodes (then choices), imported in memory.
fn largest_tree(dir: &std::path::Path) -> Option<WorldTree> {
    let mut best: Option<WorldTree> = None;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for p in paths {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        let Ok(converted) =
            socius::script::socialeval::convert_tree(&value, name.as_deref().unwrap_or(""))
        else {
            continue;
        };
        let size = |t: &WorldTree| {
            (
                t.nodes.len(),
                t.nodes.iter().map(|n| n.choices.len()).sum::<usize>(),
            )
        };
        if best
            .as_ref()
            .is_none_or(|b| size(&converted.tree) > size(b))
        {
            best = Some(converted.tree);
        }
    }
    best
}

#[derive(Default)]
struct Collect(Vec<EventBody>);

impl Recorder for Collect {
    fn record(&mut self, events: Vec<EventBody>) -> Result<(), StoreError> {
        self.0.extend(events);
        Ok(())
    }
}

/// A model's call as eval stores it: the request with a context of a few kilobytes.
fn call(model: &str, context: &str, pick: usize) -> EventBody {
    let letter = char::from(b'A' + u8::try_from(pick % 26).unwrap_or(0));
    EventBody::LlmCall(Box::new(LlmCall {
        purpose: Some("decision".to_owned()),
        model: Some(model.to_owned()),
        request: serde_json::json!({
            "model": model,
            "temperature": 1.0,
            "messages": [
                {"role": "system", "content": "You play the protagonist of a story."},
                {"role": "user", "content": context},
            ],
        }),
        raw_reply: Some(format!(
            "{{\"choice\": \"{letter}\", \"explanation\": \"Option {letter} keeps the relationship warm while still moving towards the goal; the others either give up too much or start a quarrel.\"}}"
        )),
        parsed: Some(
            serde_json::json!({"index": pick, "letter": letter.to_string(), "method": "json"}),
        ),
        usage: None,
        finish_reason: Some("stop".to_owned()),
        latency_ms: 900,
        attempts: Vec::new(),
        error: None,
    }))
}

/// 10,000 walks of `tree` through the driver, as export lines.
fn walks(tree: &Arc<WorldTree>, hash_source: &str) -> String {
    let context = "Earlier in the story: ".to_owned()
        + &"They talked about the project, the deadline and who would present it. ".repeat(40);
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut jsonl = String::new();
    for i in 0..WALKS {
        let human = i % 5 == 0;
        let who = if human {
            Who::annotator(format!("a{}", i % 20))
        } else {
            Who::Model {
                name: format!("model-{}", i % 4),
                endpoint_host: "127.0.0.1".into(),
                params: serde_json::Map::new(),
            }
        };
        let model_name = match &who {
            Who::Model { name, .. } => name.clone(),
            Who::Annotator { .. } => String::new(),
        };
        let config = EpisodeConfig {
            mode: Mode::Gae,
            shuffle: human,
            seed: i as u64,
            official: false,
        };
        let mut driver = Driver::new(Arc::clone(tree), config);
        let mut rec = Collect::default();
        let mut effects = driver.start();
        loop {
            if let Some(end) = effects.iter().find_map(|e| match e {
                EpisodeEffect::End(end) => Some(end.clone()),
                _ => None,
            }) {
                driver.close(&end, &mut rec).unwrap();
                break;
            }
            let Some(q) = driver.question() else { break };
            let count = q.options.len();
            driver.present(&mut rec).unwrap();
            let pick = usize::try_from(next() % count as u64).unwrap_or(0);
            let exchange = if human {
                Vec::new()
            } else {
                vec![call(&model_name, &context, pick)]
            };
            effects = driver
                .answer(pick, Timing::latency(1200), exchange, &mut rec)
                .unwrap();
        }
        let at = t0 + chrono::Duration::milliseconds(i as i64);
        let events: Vec<Event> = rec
            .0
            .into_iter()
            .enumerate()
            .map(|(seq, body)| Event {
                seq: seq as u64,
                at,
                schema: body.schema(),
                body,
            })
            .collect();
        let mut session = Session {
            id: SessionId::from_parts(1_767_225_600_000 + i as u64, i as u128),
            schema: 1,
            kind: SessionKind::WorldTreeGae,
            script: ScriptRef::new(tree.id.clone(), hash_source.as_bytes()),
            who,
            seed: i as u64,
            run_id: None,
            started: at,
            finished: None,
            status: Status::InProgress,
            events: 0,
            updated: at,
            meta: serde_json::json!({}),
        };
        session.derive_from(&events);
        let record = SessionRecord {
            schema: RECORD_SCHEMA,
            session,
            events,
        };
        jsonl.push_str(&serde_json::to_string(&record).unwrap());
        jsonl.push('\n');
    }
    jsonl
}

fn bench(c: &mut Criterion) {
    let Some(dir) = corpus_dir() else {
        eprintln!(
            "notice: SOCIUS_SOCIALEVAL_DIR is unset and ../shared/data/socialeval is missing; skipping the inspector benchmark"
        );
        return;
    };
    let Some(tree) = largest_tree(&dir) else {
        eprintln!(
            "notice: no tree could be imported from {}; skipping",
            dir.display()
        );
        return;
    };
    let yaml = socius::script::yaml::to_string(&tree).unwrap();
    let hash = socius::script::content_hash(yaml.as_bytes());
    eprintln!(
        "inspector bench: {} ({} nodes, {} choices), {WALKS} walks",
        tree.id,
        tree.nodes.len(),
        tree.nodes.iter().map(|n| n.choices.len()).sum::<usize>()
    );
    let tree = Arc::new(tree);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    {
        let store = Store::open(&path).unwrap();
        store
            .import_jsonl(Cursor::new(walks(&tree, &yaml).into_bytes()), "bench")
            .unwrap();
        store.flush().unwrap();
    }
    let mut g = c.benchmark_group("inspect");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    // What is timed ends at the first frame: closing the store afterwards is not.
    let first_frame = |cache: Option<&std::path::Path>| -> Inspector {
        let store = Store::open_for_reading(&path).unwrap();
        let walks = cache::load_walks(&store, &path, &tree, &hash, cache).unwrap();
        let stats = inspect(&tree, &walks);
        let mut insp = Inspector::new(
            (*tree).clone(),
            stats,
            Lang::En,
            Theme::builtin_default(),
            None,
            None,
        )
        .with_store(store, hash.clone());
        let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
        term.draw(|f| insp.draw(f)).unwrap();
        std::hint::black_box(term);
        insp
    };
    // The first time a tree is inspected: every log is read.
    g.bench_function("open_store_to_first_frame_10k_cold", |b| {
        b.iter_with_large_drop(|| first_frame(None));
    });
    // Every later time: the walks come from the cache, only new sessions are read.
    let cache_dir = tempfile::tempdir().unwrap();
    first_frame(Some(cache_dir.path()));
    // One warm open, phase by phase (printed once, to see where the time goes).
    {
        let t = std::time::Instant::now();
        let store = Store::open_for_reading(&path).unwrap();
        let opened = t.elapsed();
        let listed = {
            let t = std::time::Instant::now();
            let _ = store.list(&socius::store::Filter::default()).unwrap();
            t.elapsed()
        };
        let t = std::time::Instant::now();
        let walks = cache::load_walks(&store, &path, &tree, &hash, Some(cache_dir.path())).unwrap();
        let loaded = t.elapsed();
        let t = std::time::Instant::now();
        let stats = inspect(&tree, &walks);
        let counted = t.elapsed();
        let t = std::time::Instant::now();
        let mut insp = Inspector::new(
            (*tree).clone(),
            stats,
            Lang::En,
            Theme::builtin_default(),
            None,
            None,
        )
        .with_store(store, hash.clone());
        let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
        term.draw(|f| insp.draw(f)).unwrap();
        let drawn = t.elapsed();
        let t = std::time::Instant::now();
        drop(insp);
        let dropped = t.elapsed();
        eprintln!(
            "warm open: store {opened:?}, list {listed:?}, walks via cache {loaded:?}, \
             counts {counted:?}, first frame {drawn:?}, closing the store {dropped:?}"
        );
    }
    g.bench_function("open_store_to_first_frame_10k", |b| {
        b.iter_with_large_drop(|| first_frame(Some(cache_dir.path())));
    });
    // Where the time goes.
    g.bench_function("open_store_only", |b| {
        b.iter(|| Store::open_for_reading(&path).unwrap());
    });
    let store = Store::open_for_reading(&path).unwrap();
    g.bench_function("list_headers_10k", |b| {
        b.iter(|| store.list(&socius::store::Filter::default()).unwrap());
    });
    g.bench_function("load_walks_10k_uncached", |b| {
        b.iter(|| load(&store, &tree, &hash).unwrap());
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
