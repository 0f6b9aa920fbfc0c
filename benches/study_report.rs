//! `socius study report` over 100,000 pairwise judgments of 10 systems (issue 16's target:
//! ≤ 2 s, the Bradley–Terry bootstrap of 200 resamples included):
//!
//! - `study_report/end_to_end_100k`: what the command does — read `plan.json`, open the store,
//!   read the judgment sessions' votes, compute every statistic, write the JSON;
//! - `study_report/compute_100k`: the computation alone, over the votes in memory.
//!
//! The study: 10 systems (45 pairs), 1,112 CR cases, one task per case and pair (50,040
//! tasks), each judged by two of 50 annotators (one `study_judgment` session each, about 2,000
//! judgments), sides alternating, outcomes drawn so the systems differ in strength.

use std::path::Path;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use socius::driver::records::study as rec;
use socius::report::judged::{self, Input};
use socius::session::{JudgmentChoice, NewSession, ScriptRef, SessionKind, Status, Who};
use socius::store::Store;
use socius::study::judged::{
    ItemKind, JUDGED_SCHEMA, JudgedItem, JudgedKind, JudgedPlan, ReasonRule, Shown, Task, TaskBody,
    TaskKind,
};

const SYSTEMS: usize = 10;
const ITEMS: usize = 1112;
const ANNOTATORS: usize = 50;

fn plan() -> JudgedPlan {
    let systems: Vec<String> = (0..SYSTEMS).map(|s| format!("model-{s}")).collect();
    let mut tasks = Vec::new();
    for i in 0..ITEMS {
        for a in 0..SYSTEMS {
            for b in a + 1..SYSTEMS {
                tasks.push(Task {
                    id: format!("t{:06}", tasks.len()),
                    kind: TaskKind::Real,
                    item: Some(format!("case-{i}")),
                    body: TaskBody::Pair {
                        a: Shown {
                            system: Some(systems[a].clone()),
                            session: format!("s-{i}-{a}"),
                        },
                        b: Shown {
                            system: Some(systems[b].clone()),
                            session: format!("s-{i}-{b}"),
                        },
                        better: None,
                    },
                });
            }
        }
    }
    JudgedPlan {
        schema: JUDGED_SCHEMA,
        id: "bench".into(),
        kind: JudgedKind::Pairwise,
        created: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        study_sha256: String::new(),
        items: (0..ITEMS)
            .map(|i| JudgedItem {
                id: format!("case-{i}"),
                kind: ItemKind::CrCase,
                sha256: String::new(),
                title: String::new(),
                file: None,
            })
            .collect(),
        systems,
        question: Some("Which is better?".into()),
        rubric: None,
        tasks,
        missing: Vec::new(),
        annotators: (0..ANNOTATORS).map(|a| format!("ann{a}")).collect(),
        per_unit: 2,
        min_seconds: 0,
        reason: ReasonRule::Optional,
        onboarding_pass: None,
        attention_max_failures: None,
        cap: None,
        seed: 11,
        imported: false,
    }
}

/// Fill `dir` with the study and the store; returns the number of judgments.
fn build(dir: &Path, plan: &JudgedPlan) -> usize {
    let study = dir.join("studies").join(&plan.id);
    std::fs::create_dir_all(&study).unwrap();
    let json = serde_json::to_string(plan).unwrap();
    std::fs::write(study.join("plan.json"), &json).unwrap();
    let store = Store::open(dir.join("sessions")).unwrap();
    let mut per: Vec<Vec<_>> = vec![Vec::new(); ANNOTATORS];
    for (k, t) in plan.tasks.iter().enumerate() {
        let TaskBody::Pair { a, b, .. } = &t.body else {
            continue;
        };
        let sa: usize = a.system.as_deref().unwrap()[6..].parse().unwrap();
        let sb: usize = b.system.as_deref().unwrap()[6..].parse().unwrap();
        for j in 0..2 {
            let ann = (k + j * 7) % ANNOTATORS;
            // The stronger system (lower index) wins more often.
            let h = (k * 31 + j * 17 + sa * 3 + sb) % 20;
            let prefer_a = h < 11 + (sb - sa);
            let tie = h == 19;
            let left_is_a = (k + j) % 2 == 0;
            let (left, right) = if left_is_a {
                (&a.session, &b.session)
            } else {
                (&b.session, &a.session)
            };
            let choice = if tie {
                JudgmentChoice::Tie
            } else if prefer_a == left_is_a {
                JudgmentChoice::Left
            } else {
                JudgmentChoice::Right
            };
            per[ann].push(rec::judgment(&t.id, left, right, choice, "", 2000));
        }
    }
    let mut total = 0;
    for (ann, events) in per.into_iter().enumerate() {
        let mut new = NewSession::new(
            SessionKind::StudyJudgment,
            ScriptRef::new(plan.id.clone(), json.as_bytes()),
            Who::annotator(format!("ann{ann}")),
            0,
        );
        new.meta = serde_json::json!({ "study": plan.id });
        let s = store.create(new).unwrap();
        total += events.len();
        store.append_batch(s.id, events).unwrap();
        store.set_status(s.id, Status::Finished, None).unwrap();
    }
    store.flush().unwrap();
    total
}

fn end_to_end(dir: &Path) -> usize {
    let study = dir.join("studies").join("bench");
    let text = std::fs::read_to_string(study.join("plan.json")).unwrap();
    let plan: JudgedPlan = serde_json::from_str(&text).unwrap();
    let store = Store::open_for_reading(dir.join("sessions")).unwrap();
    let input = judged::load(std::slice::from_ref(&store), &plan, &study).unwrap();
    let r = judged::report(&plan, &input, judged::RESAMPLES);
    assert!(r.bradley_terry.len() == SYSTEMS);
    socius::term::to_json(&r).unwrap().len()
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan();
    let n = build(tmp.path(), &plan);
    assert_eq!(n, 100_080);
    let store = Store::open_for_reading(tmp.path().join("sessions")).unwrap();
    let study = tmp.path().join("studies").join("bench");
    let input: Input = judged::load(std::slice::from_ref(&store), &plan, &study).unwrap();
    drop(store);
    assert_eq!(input.votes.len(), n);

    let mut g = c.benchmark_group("study_report");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    g.bench_function("end_to_end_100k", |b| b.iter(|| end_to_end(tmp.path())));
    g.bench_function("compute_100k", |b| {
        b.iter(|| judged::report(&plan, &input, judged::RESAMPLES).pairs.len());
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
