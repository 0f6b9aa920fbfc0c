//! The pairwise report's statistics over 100,000 judgments of 10 systems (issue 16's target:
//! `study report`, bootstrap included, ≤ 2 s):
//!
//! - `stats/pairwise_100k`: per-pair counts, Wilson intervals and sign tests, Bradley–Terry with
//!   a 200-resample bootstrap, and agreement — `stats::pairwise::analyse`, all of it;
//! - `stats/bootstrap_100k`: the Bradley–Terry bootstrap alone, from the table;
//! - `stats/agreement_100k`: the agreement measures alone.
//!
//! The judgments: 2,000 items, 60 annotators, each (item, pair of systems) unit judged by two
//! or three annotators; outcomes drawn from a Bradley–Terry model with spread strengths and
//! 10 % ties, from a fixed seed.

use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use socius::stats::bt::{self, BtOptions};
use socius::stats::pairwise::{self, Judgment, Outcome};

const JUDGMENTS: usize = 100_000;
const SYSTEMS: usize = 10;

fn judgments() -> Vec<Judgment> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(16);
    let strength: Vec<f64> = (0..SYSTEMS).map(|i| (i as f64 - 4.5) * 0.25).collect();
    let mut out = Vec::with_capacity(JUDGMENTS);
    let mut unit = 0usize;
    while out.len() < JUDGMENTS {
        let item = unit % 2_000;
        let a = rng.random_range(0..SYSTEMS);
        let b = (a + rng.random_range(1..SYSTEMS)) % SYSTEMS;
        let raters = rng.random_range(2..=3);
        let first = rng.random_range(0..60);
        for r in 0..raters {
            let p_a = 1.0 / (1.0 + (strength[b] - strength[a]).exp());
            let u: f64 = rng.random();
            let outcome = if u < 0.1 {
                Outcome::Tie
            } else if rng.random::<f64>() < p_a {
                Outcome::A
            } else {
                Outcome::B
            };
            out.push(Judgment {
                item,
                annotator: (first + r * 7) % 60,
                a,
                b,
                outcome,
            });
        }
        unit += 1;
    }
    out.truncate(JUDGMENTS);
    out
}

fn bench(c: &mut Criterion) {
    let js = judgments();
    let opts = BtOptions {
        prior_ties: 1.0,
        resamples: 200,
        seed: 7,
    };
    let table = pairwise::tally(&js);
    let mut g = c.benchmark_group("stats");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    g.bench_function("pairwise_100k", |b| {
        b.iter(|| pairwise::analyse(SYSTEMS, &js, &opts));
    });
    g.bench_function("bootstrap_100k", |b| {
        b.iter(|| bt::bootstrap(SYSTEMS, &table, &opts));
    });
    g.bench_function("agreement_100k", |b| {
        b.iter(|| pairwise::agreement(&js));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
