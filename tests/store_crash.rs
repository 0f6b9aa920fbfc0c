//! Crash safety: a child process appends sessions and is killed with SIGKILL at varied
//! moments. After every kill the store opens, every event the child reported as stored is
//! there, and every event present is complete: it decodes, its seq matches its key, the log
//! has no gaps, and the header counts exactly the events present.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use socius::session::{EventBody, SessionId};
use socius::store::{Filter, Store};

const KILLS: usize = 20;

/// Check the store and return, per session, how many events it holds.
fn check_store(dir: &std::path::Path) -> BTreeMap<SessionId, u64> {
    let store =
        Store::open(dir).unwrap_or_else(|e| panic!("the store must open after a kill: {e}"));
    let mut counts = BTreeMap::new();
    for session in store.list(&Filter::default()).unwrap() {
        let events = store.events(session.id).unwrap_or_else(|e| panic!("{e}"));
        for (i, event) in events.iter().enumerate() {
            assert_eq!(event.seq, i as u64, "session {} has a gap", session.id);
            assert!(
                !matches!(event.body, EventBody::Unknown(_)),
                "undecodable body"
            );
        }
        assert_eq!(
            session.events,
            events.len() as u64,
            "the header of {} disagrees with its log",
            session.id
        );
        counts.insert(session.id, session.events);
    }
    counts
}

#[test]
fn acknowledged_events_survive_sigkill_and_no_event_is_half_written() {
    let seed: u64 = rand::rng().random();
    println!("seed {seed}");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    // Highest acknowledged seq per session, over all runs.
    let mut acked: BTreeMap<SessionId, u64> = BTreeMap::new();

    for round in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_socius"))
            .args([
                "sessions",
                "debug-append",
                "--sessions",
                "40",
                "--events",
                "25",
                "--store",
            ])
            .arg(&store_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // 40 sessions × 26 acknowledgements; kill somewhere in the first third, at a point
        // that varies from round to round.
        let wait_for = rng.random_range(0..350);
        for _ in 0..wait_for {
            let Some(line) = lines.next() else { break };
            let line = line.unwrap();
            let (id, seq) = line.split_once(' ').unwrap();
            let id: SessionId = id.parse().unwrap();
            let seq: u64 = seq.parse().unwrap();
            let best = acked.entry(id).or_insert(seq);
            *best = (*best).max(seq);
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            !status.success() || wait_for == 0,
            "round {round}: the child ended by itself"
        );
        // Lines the child wrote after our last read were acknowledged too; read them.
        for line in lines.map_while(Result::ok) {
            if let Some((id, seq)) = line.split_once(' ')
                && let (Ok(id), Ok(seq)) = (id.parse::<SessionId>(), seq.parse::<u64>())
            {
                let best = acked.entry(id).or_insert(seq);
                *best = (*best).max(seq);
            }
        }

        let counts = check_store(&store_dir);
        for (id, seq) in &acked {
            let held = counts.get(id).copied().unwrap_or(0);
            assert!(
                held > *seq,
                "round {round}: acknowledged {id}#{seq} is lost (store holds {held})"
            );
        }
    }
    assert!(
        acked.len() >= KILLS / 2,
        "too few sessions were acknowledged to prove anything"
    );
}
