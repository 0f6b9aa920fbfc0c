//! The CR stage machine's bookkeeping for one turn (issue 14: a whole turn — engine, prompt,
//! screening, flush — within 2 ms; the engine's part should be microseconds):
//!
//! - `cr/therapist_turn`: a labelled therapist turn (strategies, goal, a distortion) in the
//!   middle of a dialogue with two channels, 40 turns and one excluded crisis turn;
//! - `cr/client_turn`: the client's answer that moves the stage (exit, enter, ask);
//! - `cr/replay_three_channels`: a whole three-channel dialogue replayed from its inputs;
//! - `cr/turn_screened_flushed`: one whole turn as the driver takes it — the lexicon screen
//!   (the shipped protocol's), the engine, the events made, appended and flushed to a sled
//!   store on disk, and the next request built (the dialogue so far as context).

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
                black_box(driver.request());
                total += start.elapsed();
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, bench, bench_driver);
criterion_main!(benches);
