//! The CR batch runner with scripted agents on a real store: every case N times, the summary read
//! back from the store, Ctrl-C (cancel) leaves running dialogues abandoned and resume finishes
//! them, a taken run id is refused.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use socius::driver::cr::SharedScreen;
use socius::driver::{Agent, AgentFuture, Answer, Reply, Request, SaidTurn, TurnCue};
use socius::engine::cr::{CrPolicy, TurnLabels};
use socius::eval::cr_batch::{Agents, CaseFile, CrRunSpec, Pair, load_cases, run};
use socius::eval::{Cancel, progress::Progress};
use socius::script::cr::bundled_protocol;
use socius::script::cr::safety::Screener;
use socius::session::{SessionKind, Status, Who};
use socius::store::{Filter, Store};
use socius::vocab::CrStage;

/// Reports every goal met; one distortion at the first core-belief pass.
struct Therapist;

impl Agent for Therapist {
    fn respond(&self, request: Request) -> AgentFuture<'_> {
        Box::pin(async move {
            let Request::Say(req) = request else {
                return Reply::human(Answer::Failed("turns only".into()), 0);
            };
            let TurnCue::Therapist { stage, .. } = &req.cue else {
                return Reply::human(Answer::Failed("not a therapist turn".into()), 0);
            };
            let first =
                *stage == CrStage::CoreBeliefs && !req.context.iter().any(|t| t.text == "core");
            Reply::human(
                Answer::Said(SaidTurn {
                    text: if *stage == CrStage::CoreBeliefs {
                        "core".into()
                    } else {
                        format!("{stage}")
                    },
                    labels: Some(TurnLabels {
                        strategies: Vec::new(),
                        stage_goal_met: Some(true),
                        distortions: if first {
                            vec!["labeling".into()]
                        } else {
                            Vec::new()
                        },
                    }),
                    cut: false,
                }),
                1,
            )
        })
    }
}

/// Answers plainly; with `hang`, never answers (a call that is still running at Ctrl-C).
struct Client {
    hang: Arc<AtomicBool>,
}

impl Agent for Client {
    fn respond(&self, _request: Request) -> AgentFuture<'_> {
        Box::pin(async move {
            if self.hang.load(Ordering::Relaxed) {
                std::future::pending::<()>().await;
            }
            Reply::human(
                Answer::Said(SaidTurn {
                    text: "I am not sure.".into(),
                    ..SaidTurn::default()
                }),
                1,
            )
        })
    }
}

fn cases() -> Vec<CaseFile> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/cr/cases");
    let (cases, warnings) = load_cases(&[dir]).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(cases.len(), 6, "the shipped cases");
    cases
}

fn spec(run_id: &str, runs: u32, resume: bool) -> CrRunSpec {
    CrRunSpec {
        run_id: run_id.to_owned().into(),
        runs,
        concurrency: 3,
        seed: 0,
        resume,
        policy: CrPolicy::from(bundled_protocol().unwrap()),
        who: Who::annotator("scripted"),
        settings: serde_json::json!({"pairing": "scripted"}),
        classifier: None,
    }
}

fn agents(hang: &Arc<AtomicBool>) -> Agents {
    let hang = Arc::clone(hang);
    Arc::new(move |_case: &CaseFile| Pair {
        therapist: Arc::new(Therapist),
        client: Arc::new(Client {
            hang: Arc::clone(&hang),
        }),
    })
}

fn screen() -> SharedScreen {
    Arc::new(Screener::of(bundled_protocol().unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_runs_n_times_and_the_summary_comes_from_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let hang = Arc::new(AtomicBool::new(false));
    let out = run(
        store.clone(),
        spec("cr-a", 2, false),
        cases(),
        agents(&hang),
        screen(),
        Cancel::new(),
        Arc::new(Progress::new()),
    )
    .await
    .unwrap();
    assert_eq!(out.dialogues.len(), 12);
    assert!(out.stop.is_none());
    for d in &out.dialogues {
        assert_eq!(d.finished_by.as_deref(), Some("verdicts"), "{d:?}");
        assert_eq!(
            d.stages,
            [
                "automatic_thoughts",
                "intermediate_beliefs",
                "core_beliefs",
                "defense",
                "prosecution",
                "verdict"
            ]
        );
        assert_eq!(d.channels.len(), 1);
        assert_eq!(d.channels[0].status, "closed");
        // Opening, then a therapist and a client turn per stage.
        assert_eq!(d.turns, 1 + 2 * 6);
    }
    let sessions = store
        .list(&Filter {
            run_id: Some("cr-a".into()),
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(sessions.len(), 12);
    assert!(
        sessions
            .iter()
            .all(|s| s.kind == SessionKind::CrDialogue && s.status == Status::Finished)
    );

    // The same id again is refused; --resume with more runs adds only the new ones.
    let again = run(
        store.clone(),
        spec("cr-a", 2, false),
        cases(),
        agents(&hang),
        screen(),
        Cancel::new(),
        Arc::new(Progress::new()),
    )
    .await;
    assert!(again.unwrap_err().to_string().contains("--resume cr-a"));
    let progress = Arc::new(Progress::new());
    let more = run(
        store.clone(),
        spec("cr-a", 3, true),
        cases(),
        agents(&hang),
        screen(),
        Cancel::new(),
        Arc::clone(&progress),
    )
    .await
    .unwrap();
    assert_eq!(progress.snapshot().skipped, 12);
    assert_eq!(progress.snapshot().done, 6);
    assert_eq!(more.dialogues.len(), 18);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_leaves_running_dialogues_abandoned_and_resume_finishes_them() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let hang = Arc::new(AtomicBool::new(true));
    let cancel = Cancel::new();
    let progress = Arc::new(Progress::new());
    let task = {
        let (store, cancel, progress, hang) = (
            store.clone(),
            cancel.clone(),
            Arc::clone(&progress),
            Arc::clone(&hang),
        );
        tokio::spawn(async move {
            run(
                store,
                spec("cr-b", 1, false),
                cases(),
                agents(&hang),
                screen(),
                cancel,
                progress,
            )
            .await
        })
    };
    // Wait until three dialogues (the concurrency) are waiting on the client, then Ctrl-C.
    let mut rx = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            // Polls the store (no sleep): the sessions exist once their dialogues started.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while std::time::Instant::now() < deadline {
                let running = store
                    .list(&Filter {
                        run_id: Some("cr-b".into()),
                        ..Filter::default()
                    })
                    .unwrap()
                    .len();
                if running >= 3 {
                    return running;
                }
                std::thread::yield_now();
            }
            0
        })
    };
    let running = (&mut rx).await.unwrap();
    assert_eq!(running, 3);
    cancel.cancel();
    let out = task.await.unwrap().unwrap();
    assert!(out.stop.is_some());
    assert!(out.dialogues.is_empty());
    assert_eq!(progress.snapshot().abandoned, 3);

    hang.store(false, Ordering::Relaxed);
    let out = run(
        store.clone(),
        spec("cr-b", 1, true),
        cases(),
        agents(&hang),
        screen(),
        Cancel::new(),
        Arc::new(Progress::new()),
    )
    .await
    .unwrap();
    assert_eq!(out.dialogues.len(), 6);
    assert!(out.stop.is_none());
}
