//! `socius report baseline` over 50,000 sessions (issue 15's target: ≤ 1 s):
//!
//! - `report/baseline_compute_50k`: the computation alone, over sessions and events in memory;
//! - `report/baseline_store_50k`: reading the same sessions back from a store (imported once,
//!   as `sessions merge` would bring them) and computing — what the command does;
//! - `report/store_list_50k`: only the listing of the headers (`Store::list`), for comparison.
//!
//! The mix: 60 trees over four orientations, 40 annotators (GAE, IAE and `both` sittings, a
//! tenth training, some abandoned or in progress), three models with one run each.

use std::io::Cursor;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use serde_json::json;
use socius::report::baseline::{baseline, load};
use socius::session::{
    Ending, EndingOutcome, Event, EventBody, IaeAnswer, OptionsPresented, PresentedOption,
    RECORD_SCHEMA, ScriptRef, Session, SessionId, SessionKind, SessionRecord, Status, StatusChange,
    Who,
};
use socius::store::Store;

const SESSIONS: usize = 50_000;
const ORIENTATIONS: [&str; 4] = ["cooperation", "conflict", "negotiation", "assistance"];
const ABILITIES: [&str; 4] = [
    "teamwork skill",
    "anger management",
    "stress regulation",
    "persuasive skill",
];

fn sessions() -> Vec<(Session, Vec<Event>)> {
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut out = Vec::with_capacity(SESSIONS);
    for i in 0..SESSIONS {
        let tree = format!("tree-{}", i % 60);
        let orientation = ORIENTATIONS[i % 60 % 4];
        let human = i % 4 != 0;
        let kind = match i % 3 {
            0 => SessionKind::WorldTreeGae,
            1 => SessionKind::WorldTreeIae,
            _ => SessionKind::WorldTreeBoth,
        };
        let (who, run_id, meta) = if human {
            (
                Who::annotator(format!("a{}", i % 40)),
                None,
                json!({"mode": "gae", "training": i % 10 == 1}),
            )
        } else {
            let m = (i / 4) % 3;
            (
                Who::Model {
                    name: format!("model-{m}"),
                    endpoint_host: "127.0.0.1".into(),
                    params: serde_json::Map::new(),
                },
                Some(format!("run-{m}").into()),
                json!({"tree": tree, "orientation": orientation, "episode": i / 240}),
            )
        };
        let status = match i % 50 {
            7 => Status::Abandoned,
            9 => Status::InProgress,
            _ => Status::Finished,
        };
        let at = t0 + chrono::Duration::milliseconds(i as i64);
        let mut bodies = Vec::new();
        if kind != SessionKind::WorldTreeGae {
            for k in 0..4 {
                bodies.push(EventBody::OptionsPresented(OptionsPresented {
                    node: Some(format!("n{k}")),
                    prompt: None,
                    options: vec![PresentedOption {
                        id: "a".into(),
                        text: "a".into(),
                    }],
                }));
                bodies.push(EventBody::IaeAnswer(IaeAnswer {
                    item: format!("n{k}#0").as_str().into(),
                    ability: Some(ABILITIES[(i + k) % 4].to_owned()),
                    option_index: 0,
                    option_id: "a".into(),
                    correct: Some((i * 7 + k) % 3 != 0),
                    latency_ms: 100,
                    options_scrolled: false,
                }));
            }
        }
        if kind != SessionKind::WorldTreeIae {
            let label = ["success", "partial", "failure"][(i * 13) % 3];
            bodies.push(EventBody::Ending(Ending {
                node: "end".into(),
                outcome: Some(EndingOutcome::from_name(label)),
            }));
        }
        if status != Status::InProgress {
            bodies.push(EventBody::SessionStatus(StatusChange {
                status: status.clone(),
                reason: None,
            }));
        }
        let events: Vec<Event> = bodies
            .into_iter()
            .enumerate()
            .map(|(seq, body)| Event {
                seq: seq as u64,
                at,
                schema: 1,
                body,
            })
            .collect();
        let mut session = Session {
            id: SessionId::from_parts(1_767_225_600_000 + i as u64, i as u128),
            schema: 1,
            kind,
            script: ScriptRef::new(tree.clone(), tree.as_bytes()),
            who,
            seed: i as u64,
            run_id,
            started: at,
            finished: None,
            status: Status::InProgress,
            events: 0,
            updated: at,
            meta,
        };
        session.derive_from(&events);
        out.push((session, events));
    }
    out
}

fn bench(c: &mut Criterion) {
    let data = sessions();
    let mut g = c.benchmark_group("report");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    g.bench_function("baseline_compute_50k", |b| {
        b.iter(|| baseline(std::hint::black_box(&data), None));
    });

    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("store")).unwrap();
    let mut jsonl = String::new();
    for (s, e) in &data {
        let record = SessionRecord {
            schema: RECORD_SCHEMA,
            session: s.clone(),
            events: e.clone(),
        };
        jsonl.push_str(&serde_json::to_string(&record).unwrap());
        jsonl.push('\n');
    }
    store
        .import_jsonl(Cursor::new(jsonl.into_bytes()), "bench")
        .unwrap();
    store.flush().unwrap();
    g.bench_function("store_list_50k", |b| {
        b.iter(|| store.list(&socius::store::Filter::default()).unwrap());
    });
    g.bench_function("baseline_store_50k", |b| {
        b.iter(|| {
            let sessions = load(&store).unwrap();
            baseline(&sessions, None)
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
