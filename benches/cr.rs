//! The CR stage machine's bookkeeping for one turn (issue 14: a whole turn — engine, prompt,
//! screening, flush — within 2 ms; the engine's part should be microseconds):
//!
//! - `cr/therapist_turn`: a labelled therapist turn (strategies, goal, a distortion) in the
//!   middle of a dialogue with two channels, 40 turns and one excluded crisis turn;
//! - `cr/client_turn`: the client's answer that moves the stage (exit, enter, ask);
//! - `cr/replay_three_channels`: a whole three-channel dialogue replayed from its inputs;
//! - `cr/turn_screened_flushed`: one whole turn as the driver takes it — the lexicon screen
//!   (the shipped protocol's), the engine, the events made, appended and flushed to a sled
//!   store on disk, the next request built (the dialogue so far as context) and its prompt
//!   rendered as the model agent renders it;
//! - `cr/batch_200ms_c8`: `socius cr run`'s runner, 24 dialogues (the six shipped cases × 4) of
//!   13 model calls each, staged therapist and client models behind a loopback server that
//!   answers in 200 ms, 8 dialogues at a time: the ideal is 3 waves × 13 calls × 200 ms = 7.8 s;
//!   the ratio ideal ÷ measured is printed (target ≥ 90 %).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use socius::engine::cr::{
    CrPolicy, Input, SafetyTrigger, Speaker, State, TherapistTurn, TurnIndex, TurnLabels,
};

fn therapist(goal: Option<bool>, distortions: &[&str]) -> Input {
    Input::Therapist(TherapistTurn::labelled(
        "That sounds really hard. What makes you think finishing your thesis won't help?",
        TurnLabels {
            strategies: vec!["expression".into(), "negotiation".into()],
            stage_goal_met: goal,
            distortions: distortions.iter().map(|d| (*d).to_owned()).collect(),
        },
    ))
}

fn client() -> Input {
    Input::Client("Even after revisions I'm afraid they aren't good enough.".into())
}

/// A three-channel dialogue from the start to its verdicts.
fn three_channels() -> Vec<Input> {
    let mut inputs = vec![Input::Start, client()];
    let mut exchange = |goal, found: &[&str]| {
        inputs.push(therapist(goal, found));
        inputs.push(client());
    };
    exchange(Some(true), &[]);
    exchange(Some(true), &[]);
    exchange(
        Some(true),
        &["overgeneralization", "catastrophizing", "labeling"],
    );
    for channel in 0..3 {
        if channel > 0 {
            exchange(Some(true), &[]);
        }
        for _ in 0..3 {
            exchange(Some(true), &[]);
        }
    }
    exchange(Some(true), &[]);
    inputs
}

/// A machine in the defense stage, 40 turns in, asking the therapist.
fn mid_dialogue() -> State {
    let policy = CrPolicy {
        max_turns: None,
        ..CrPolicy::default()
    };
    let mut s = State::new(policy).expect("policy");
    s.handle(Input::Start);
    s.handle(client());
    s.handle(Input::Safety(SafetyTrigger {
        category: "self_harm".into(),
        matched: "term".into(),
        speaker: Speaker::Client,
        turn: Some(TurnIndex(0)),
    }));
    s.handle(Input::Resume);
    for _ in 0..2 {
        s.handle(therapist(Some(true), &[]));
        s.handle(client());
    }
    s.handle(therapist(Some(false), &["labeling", "mind_reading"]));
    s.handle(client());
    while s.turn_count() < 38 {
        s.handle(therapist(None, &[]));
        s.handle(client());
    }
    s.handle(therapist(Some(true), &[]));
    s.handle(client());
    assert_eq!(s.awaiting(), Some(Speaker::Therapist));
    assert!(s.channel().is_some(), "in restructuring");
    s
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("cr");
    let base = mid_dialogue();
    group.bench_function("therapist_turn", |b| {
        b.iter_batched(
            || (base.clone(), therapist(Some(true), &["should_statements"])),
            |(mut s, input)| black_box(s.handle(input)),
            BatchSize::SmallInput,
        );
    });
    let mut asked = base.clone();
    asked.handle(therapist(Some(true), &["should_statements"]));
    group.bench_function("client_turn", |b| {
        b.iter_batched(
            || (asked.clone(), client()),
            |(mut s, input)| black_box(s.handle(input)),
            BatchSize::SmallInput,
        );
    });
    let inputs = three_channels();
    group.bench_function("replay_three_channels", |b| {
        b.iter_batched(
            || inputs.clone(),
            |inputs| {
                let (s, fx) = State::replay(CrPolicy::default(), inputs).expect("policy");
                assert!(s.is_finished());
                black_box(fx)
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

/// One turn through the driver: screen, engine, events, store flush, next request.
fn bench_driver(c: &mut Criterion) {
    use std::sync::Arc;

    use socius::driver::cr::{CrDriver, SharedScreen};
    use socius::driver::{Answer, Reply, SaidTurn, StoreRecorder};
    use socius::script::cr::bundled_protocol;
    use socius::script::cr::safety::Screener;
    use socius::session::{NewSession, ScriptRef, SessionKind, Who};
    use socius::store::Store;

    let tmp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(tmp.path()).expect("store");
    let protocol = bundled_protocol().expect("protocol");
    let screen: SharedScreen = Arc::new(Screener::of(protocol));
    // No cap: a dialogue stays in its first stage; a new one starts every 100 turns (a real
    // dialogue has at most the protocol's 120), outside the timing.
    let mut policy = CrPolicy {
        max_turns: None,
        ..CrPolicy::from(protocol)
    };
    for s in policy
        .identification
        .iter_mut()
        .chain(policy.restructuring.iter_mut())
    {
        s.turn_cap = None;
    }
    let fresh = || {
        let session = store
            .create(NewSession::new(
                SessionKind::CrDialogue,
                ScriptRef::new("bench-case", b"case"),
                Who::annotator("bench"),
                0,
            ))
            .expect("session");
        let mut driver = CrDriver::new(policy.clone(), Arc::clone(&screen)).expect("policy");
        let mut rec = StoreRecorder::new(store.clone(), session.id, true);
        driver.start(&mut rec).expect("start");
        (driver, rec)
    };
    // The prompt of the next request is built as a model agent builds it.
    let case_dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/cr/cases");
    let (cases, _) = socius::eval::cr_batch::load_cases(&[case_dir]).expect("cases");
    let case = Arc::clone(&cases[0].case);
    let shared = Arc::new(protocol.clone());
    let pool = socius::agent::llm::Pool::new(
        socius::agent::llm::LlmClient::new(socius::agent::llm::LlmConfig::new(
            "http://127.0.0.1:9/v1".to_owned(),
            "bench".to_owned(),
        ))
        .expect("client"),
        1,
    );
    let therapist_agent = socius::agent::llm::cr::CrLlmAgent::staged_therapist(
        pool.clone(),
        Arc::clone(&shared),
        Arc::clone(&case),
    );
    let client_agent = socius::agent::llm::cr::CrLlmAgent::client(
        pool,
        shared,
        case,
        socius::agent::llm::cr::Opening::Model,
    )
    .expect("profile");
    let text = "Even after revisions I'm afraid they aren't good enough, and my advisor will \
                think I am wasting everyone's time.";
    let mut group = c.benchmark_group("cr");
    group.bench_function("turn_screened_flushed", |b| {
        b.iter_custom(|iters| {
            let mut total = std::time::Duration::ZERO;
            let (mut driver, mut rec) = fresh();
            for _ in 0..iters {
                if driver.transcript().len() >= 100 {
                    (driver, rec) = fresh();
                }
                let speaker = driver.asked().expect("someone is asked");
                let labels = (speaker == Speaker::Therapist).then(|| TurnLabels {
                    strategies: vec!["expression".into(), "negotiation".into()],
                    stage_goal_met: Some(false),
                    distortions: Vec::new(),
                });
                let reply = Reply::human(
                    Answer::Said(SaidTurn {
                        text: text.to_owned(),
                        labels,
                        cut: false,
                    }),
                    5,
                );
                let start = std::time::Instant::now();
                driver.answer(speaker, reply, &mut rec).expect("answer");
                let request = driver.request().expect("the next request");
                let prompt = match speaker {
                    // The client answered: the therapist is asked next, and the other way round.
                    Speaker::Client => therapist_agent.messages(&request),
                    Speaker::Therapist => client_agent.messages(&request),
                };
                black_box(prompt.expect("a prompt"));
                total += start.elapsed();
            }
            total
        });
    });
    group.finish();
}

fn bench_batch(c: &mut Criterion) {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use criterion::SamplingMode;
    use socius::agent::Agent;
    use socius::agent::llm::cr::{CrLlmAgent, Opening};
    use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};
    use socius::agent::llm::{LlmClient, LlmConfig, Pool};
    use socius::driver::cr::SharedScreen;
    use socius::eval::cr_batch::{Agents, CaseFile, CrRunSpec, Pair, load_cases, run};
    use socius::eval::{Cancel, progress::Progress};
    use socius::script::cr::bundled_protocol;
    use socius::script::cr::safety::Screener;
    use socius::session::Who;
    use socius::store::Store;

    const RUNS: u32 = 4;
    const CONCURRENCY: usize = 8;
    const CALLS: f64 = 13.0;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let Ok(server) = rt.block_on(LoopbackServer::start(|r: &Recorded| {
        let therapist = r
            .json()
            .and_then(|b| b["messages"][0]["content"].as_str().map(str::to_owned))
            .is_some_and(|s| s.contains("stage_goal_met"));
        let reply = if therapist {
            Reply::completion(
                r#"{"sentences":[{"text":"What makes you so sure?","strategy":"explore"}],"stage_goal_met":true,"distortions":["labeling"]}"#,
            )
        } else {
            Reply::completion("I suppose I never thought of it that way.")
        };
        Reply::Delay(Duration::from_millis(200), Box::new(reply))
    })) else {
        return;
    };
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/cr/cases");
    let (cases, _) = load_cases(&[dir]).expect("cases");
    let protocol = Arc::new(bundled_protocol().expect("protocol").clone());
    let mut config = LlmConfig::new(server.base_url(), "bench");
    config.timeout = Duration::from_secs(10);
    let pool = Pool::new(LlmClient::new(config).expect("client"), 2 * CONCURRENCY);
    let agents: Agents = {
        let protocol = Arc::clone(&protocol);
        Arc::new(move |c: &CaseFile| Pair {
            therapist: Arc::new(CrLlmAgent::staged_therapist(
                pool.clone(),
                Arc::clone(&protocol),
                Arc::clone(&c.case),
            )) as Arc<dyn Agent>,
            client: Arc::new(
                CrLlmAgent::client(
                    pool.clone(),
                    Arc::clone(&protocol),
                    Arc::clone(&c.case),
                    Opening::Model,
                )
                .expect("profile"),
            ),
        })
    };
    let screen: SharedScreen = Arc::new(Screener::of(&protocol));
    let tmp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(tmp.path()).expect("store");
    let mut n = 0u32;
    let mut ratios = Vec::new();
    let ideal = (f64::from(RUNS) * cases.len() as f64 / CONCURRENCY as f64).ceil() * CALLS * 0.2;
    let mut group = c.benchmark_group("cr");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(80));
    group.bench_function("batch_200ms_c8", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let spec = CrRunSpec {
                    run_id: format!("bench-{n}").into(),
                    runs: RUNS,
                    concurrency: CONCURRENCY,
                    seed: 0,
                    resume: false,
                    policy: CrPolicy::from(protocol.as_ref()),
                    who: Who::annotator("bench"),
                    settings: serde_json::Value::Null,
                    classifier: None,
                };
                let t0 = Instant::now();
                let out = rt
                    .block_on(run(
                        store.clone(),
                        spec,
                        cases.clone(),
                        Arc::clone(&agents),
                        Arc::clone(&screen),
                        Cancel::new(),
                        Arc::new(Progress::new()),
                    ))
                    .expect("run");
                let took = t0.elapsed();
                assert_eq!(out.dialogues.len(), RUNS as usize * cases.len());
                ratios.push(ideal / took.as_secs_f64());
                total += took;
            }
            total
        });
    });
    group.finish();
    ratios.sort_by(f64::total_cmp);
    if let Some(median) = ratios.get(ratios.len() / 2) {
        eprintln!(
            "cr batch: median {:.1} % of the ideal {ideal:.1} s over {} runs",
            median * 100.0,
            ratios.len()
        );
    }
}

criterion_group!(benches, bench, bench_driver, bench_batch);
criterion_main!(benches);
