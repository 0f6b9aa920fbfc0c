//! `socius report baseline` through the real binary: a store built through the `Store` API,
//! and every number recomputed here from the fixture, independently of `socius::report`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};
use socius::engine::DropReason;
use socius::session::{
    Ending, EndingOutcome, EventBody, NewSession, OptionsPresented, ScriptRef, SessionKind, Status,
    StatusReason, Who,
};
use socius::store::Store;

const Z: f64 = 1.959_963_984_540_054;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Gae,
    Iae,
    Both,
}

#[derive(Clone, Copy)]
enum End {
    /// An ending with this label (`success`, `partial`, `failure`), or `None` for none at all.
    Label(Option<&'static str>),
    /// An ending without a label.
    Unlabelled,
    /// Finished with a drop reason.
    Dropped(DropReason),
}

#[derive(Clone)]
struct Spec {
    /// `Ok(annotator)` or `Err((model, run))`.
    who: Result<&'static str, (&'static str, Option<&'static str>)>,
    tree: &'static str,
    kind: Kind,
    episode: u64,
    status: Status,
    training: bool,
    end: End,
    /// (abilities joined by "; ", correct)
    answers: Vec<(&'static str, bool)>,
    /// IAE items presented and left unanswered.
    unanswered: usize,
    /// Why this session does not count (hand-labelled), `None` when it counts.
    excluded: Option<&'static str>,
}

fn orientation(tree: &str) -> &'static str {
    match tree {
        "coop-1" | "coop-2" => "cooperation",
        "conf-1" => "conflict",
        "solo-m" => "induction",
        _ => "altruism",
    }
}

fn h(who: &'static str, tree: &'static str, kind: Kind, end: End) -> Spec {
    Spec {
        who: Ok(who),
        tree,
        kind,
        episode: 0,
        status: Status::Finished,
        training: false,
        end,
        answers: Vec::new(),
        unanswered: 0,
        excluded: None,
    }
}

fn m(model: &'static str, run: &'static str, tree: &'static str, episode: u64, end: End) -> Spec {
    Spec {
        who: Err((model, Some(run))),
        episode,
        ..h("", tree, Kind::Gae, end)
    }
}

const fn ok(label: &'static str) -> End {
    End::Label(Some(label))
}

fn fixture() -> Vec<Spec> {
    let v = vec![
        // Counted human GAE episodes.
        h("alice", "coop-1", Kind::Gae, ok("success")),
        h("alice", "coop-2", Kind::Gae, ok("success")),
        h("alice", "conf-1", Kind::Gae, ok("failure")),
        h("bob", "coop-1", Kind::Gae, ok("success")),
        h("bob", "coop-2", Kind::Gae, ok("partial")),
        h("bob", "conf-1", Kind::Gae, ok("success")),
        h("carol", "coop-1", Kind::Gae, ok("failure")),
        h("carol", "coop-2", Kind::Gae, ok("failure")),
        h("carol", "conf-1", Kind::Gae, ok("failure")),
        Spec {
            answers: vec![
                ("anger management", true),
                ("teamwork skill; anger management", true),
            ],
            ..h("alice", "conf-1", Kind::Both, ok("success"))
        },
        Spec {
            answers: vec![("teamwork skill", true), ("stress regulation", false)],
            ..h("bob", "coop-1", Kind::Iae, End::Label(None))
        },
        Spec {
            answers: vec![("teamwork skill", false), ("anger management", false)],
            ..h("carol", "coop-1", Kind::Iae, End::Label(None))
        },
        // Left out.
        Spec {
            training: true,
            excluded: Some("training"),
            ..h("alice", "coop-1", Kind::Gae, ok("success"))
        },
        Spec {
            status: Status::Abandoned,
            excluded: Some("abandoned"),
            ..h("bob", "coop-2", Kind::Gae, End::Label(None))
        },
        Spec {
            status: Status::InProgress,
            excluded: Some("in_progress"),
            ..h("carol", "conf-1", Kind::Gae, End::Label(None))
        },
        Spec {
            excluded: Some("unlabelled_ending"),
            ..h("alice", "coop-1", Kind::Gae, End::Unlabelled)
        },
        Spec {
            excluded: Some("dead_end"),
            ..h(
                "bob",
                "conf-1",
                Kind::Gae,
                End::Dropped(DropReason::DeadEnd),
            )
        },
        Spec {
            excluded: Some("no_ending"),
            ..h("carol", "coop-2", Kind::Gae, End::Label(None))
        },
        Spec {
            excluded: Some("tree_not_played_by_both"),
            ..h("alice", "solo-h", Kind::Gae, ok("success"))
        },
        // Models.
        m("gpt-x", "r1", "coop-1", 0, ok("success")),
        m("gpt-x", "r1", "coop-1", 1, ok("failure")),
        m("gpt-x", "r1", "coop-2", 0, ok("success")),
        m("gpt-x", "r1", "conf-1", 0, ok("failure")),
        Spec {
            excluded: Some("superseded"),
            ..m("gpt-x", "r1", "conf-1", 1, ok("failure"))
        },
        m("gpt-x", "r1", "conf-1", 1, ok("success")),
        Spec {
            excluded: Some("tree_not_played_by_both"),
            ..m("gpt-x", "r1", "solo-m", 0, ok("success"))
        },
        Spec {
            status: Status::Failed,
            excluded: Some("failed"),
            ..m("gpt-x", "r1", "coop-2", 1, End::Label(None))
        },
        Spec {
            kind: Kind::Iae,
            answers: vec![("teamwork skill", true), ("anger management", false)],
            unanswered: 1,
            ..m("gpt-x", "r1", "coop-1", 0, End::Label(None))
        },
        m("gpt-y", "r2", "coop-1", 0, ok("success")),
        Spec {
            excluded: Some("invalid_answer"),
            ..m(
                "gpt-y",
                "r2",
                "conf-1",
                0,
                End::Dropped(DropReason::InvalidAnswer),
            )
        },
        Spec {
            who: Err(("gpt-y", None)),
            excluded: Some("model_without_run"),
            ..m("gpt-y", "r2", "coop-2", 0, ok("success"))
        },
    ];
    // Humans' sessions carry no orientation: the report takes it from the models' sessions.
    v
}

fn build(dir: &Path, specs: &[Spec]) {
    let store = Store::open(dir).unwrap();
    for (i, s) in specs.iter().enumerate() {
        let kind = match s.kind {
            Kind::Gae => SessionKind::WorldTreeGae,
            Kind::Iae => SessionKind::WorldTreeIae,
            Kind::Both => SessionKind::WorldTreeBoth,
        };
        let (who, run) = match s.who {
            Ok(a) => (Who::annotator(a), None),
            Err((name, run)) => (
                Who::Model {
                    name: name.into(),
                    endpoint_host: "127.0.0.1".into(),
                    params: serde_json::Map::new(),
                },
                run,
            ),
        };
        let mut new = NewSession::new(
            kind,
            ScriptRef::new(s.tree, s.tree.as_bytes()),
            who,
            i as u64,
        );
        new.meta = if s.who.is_ok() {
            json!({"mode": "gae", "training": s.training})
        } else {
            json!({"tree": s.tree, "orientation": orientation(s.tree), "episode": s.episode})
        };
        new.run_id = run.map(Into::into);
        let session = store.create(new).unwrap();
        let id = session.id;
        common::walks::iae_answers(&store, id, &s.answers);
        for _ in 0..s.unanswered {
            store
                .append(
                    id,
                    EventBody::OptionsPresented(OptionsPresented {
                        node: Some("x".into()),
                        prompt: None,
                        options: Vec::new(),
                    }),
                )
                .unwrap();
        }
        let mut reason = None;
        match s.end {
            End::Label(Some(label)) => {
                store
                    .append(
                        id,
                        EventBody::Ending(Ending {
                            node: "end".into(),
                            outcome: Some(EndingOutcome::from_name(label)),
                        }),
                    )
                    .unwrap();
            }
            End::Label(None) => {}
            End::Unlabelled => {
                store
                    .append(
                        id,
                        EventBody::Ending(Ending {
                            node: "end".into(),
                            outcome: None,
                        }),
                    )
                    .unwrap();
            }
            End::Dropped(r) => reason = Some(StatusReason::Dropped(r)),
        }
        match s.status {
            Status::InProgress => {}
            Status::Failed => {
                store
                    .set_status(id, Status::Failed, Some(StatusReason::from_name("boom")))
                    .unwrap();
            }
            ref other => {
                store.set_status(id, other.clone(), reason).unwrap();
            }
        }
    }
    store.flush().unwrap();
}

fn socius(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap()
}

fn success(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

// --- the independent arithmetic -----------------------------------------------------------

fn r2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn wilson(k: usize, n: usize) -> Value {
    if n == 0 {
        return Value::Null;
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let a = 1.0 + Z * Z / n;
    let mid = (p + Z * Z / (2.0 * n)) / a;
    let half = Z * (p * (1.0 - p) / n + Z * Z / (4.0 * n * n)).sqrt() / a;
    json!([
        r2((mid - half).max(0.0) * 100.0),
        r2((mid + half).min(1.0) * 100.0)
    ])
}

fn close(got: &Value, want: &Value, at: &str) {
    match (got, want) {
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!((g - w).abs() < 1e-9, "{at}: got {g}, want {w}");
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{at}");
            for (i, (g, w)) in g.iter().zip(w).enumerate() {
                close(g, w, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(g), Value::Object(w)) => {
            let gk: BTreeSet<_> = g.keys().collect();
            let wk: BTreeSet<_> = w.keys().collect();
            assert_eq!(gk, wk, "{at}: keys");
            for (k, w) in w {
                close(&g[k], w, &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(got, want, "{at}"),
    }
}

fn category(ability: &str) -> &'static str {
    match ability {
        "anger management" | "stress regulation" => "emotional resilience",
        "teamwork skill" => "cooperation",
        other => panic!("no category written down for {other}"),
    }
}

/// Episodes (orientation, success) and answers (abilities, correct) of the counted sessions.
type Counted<'a> = (
    Vec<(&'a str, bool, &'a str)>,
    Vec<(Vec<&'a str>, bool, &'a str)>,
);

fn counted<'a>(specs: &'a [Spec], side: &dyn Fn(&Spec) -> bool) -> Counted<'a> {
    let mut eps = Vec::new();
    let mut ans = Vec::new();
    for s in specs.iter().filter(|s| s.excluded.is_none() && side(s)) {
        let who = match s.who {
            Ok(a) => a,
            Err((_, run)) => run.unwrap(),
        };
        if s.kind != Kind::Iae
            && let End::Label(Some(l)) = s.end
        {
            eps.push((orientation(s.tree), l == "success", who));
        }
        for (tags, c) in &s.answers {
            ans.push((tags.split("; ").collect(), *c, who));
        }
    }
    (eps, ans)
}

fn expected_gae(eps: &[(&str, bool, &str)], humans: bool) -> Value {
    let mut by = serde_json::Map::new();
    let mut rates = Vec::new();
    for o in ["cooperation", "conflict", "induction"] {
        let mine: Vec<_> = eps.iter().filter(|e| e.0 == o).collect();
        if mine.is_empty() {
            continue;
        }
        let n = mine.len();
        let k = mine.iter().filter(|e| e.1).count();
        let who: BTreeSet<_> = mine.iter().map(|e| e.2).collect();
        rates.push(k as f64 * 100.0 / n as f64);
        by.insert(
            o.into(),
            json!({
                (if humans { "annotators" } else { "runs" }): who.len(),
                "episodes": n, "successes": k,
                "rate_pct": r2(k as f64 * 100.0 / n as f64), "ci95": wilson(k, n),
            }),
        );
    }
    let mean = if rates.is_empty() {
        Value::Null
    } else {
        json!(r2(rates.iter().sum::<f64>() / rates.len() as f64))
    };
    json!({"by_orientation": by, "macro_rate_pct": mean})
}

fn expected_iae(ans: &[(Vec<&str>, bool, &str)], humans: bool) -> Value {
    let mut cells: BTreeMap<&str, (usize, usize, BTreeSet<&str>)> = BTreeMap::new();
    for (tags, c, who) in ans {
        let uniq: BTreeSet<&&str> = tags.iter().collect();
        for t in uniq {
            let e = cells.entry(t).or_default();
            e.0 += 1;
            e.1 += usize::from(*c);
            e.2.insert(who);
        }
    }
    let mut by = serde_json::Map::new();
    let mut cats: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for (a, (n, k, who)) in &cells {
        let mut cell = json!({"items": n, "correct": k,
            "accuracy_pct": r2(*k as f64 * 100.0 / *n as f64), "ci95": wilson(*k, *n)});
        if humans {
            cell["annotators"] = json!(who.len());
        }
        by.insert((*a).into(), cell);
        cats.entry(category(a))
            .or_default()
            .push(*k as f64 * 100.0 / *n as f64);
    }
    let cats: serde_json::Map<_, _> = cats
        .into_iter()
        .map(|(c, v)| {
            (
                c.to_owned(),
                json!(r2(v.iter().sum::<f64>() / v.len() as f64)),
            )
        })
        .collect();
    let right = ans.iter().filter(|a| a.1).count();
    let overall = if ans.is_empty() {
        Value::Null
    } else {
        json!(r2(right as f64 * 100.0 / ans.len() as f64))
    };
    json!({"items": ans.len(), "by_ability": by, "by_category": cats, "overall_pct": overall})
}

fn diff(h: &Value, m: &Value, field: &str) -> Value {
    let mut out = serde_json::Map::new();
    for (k, hv) in h.as_object().unwrap() {
        if let Some(mv) = m.get(k) {
            let (a, b) = if field.is_empty() {
                (hv.as_f64().unwrap(), mv.as_f64().unwrap())
            } else {
                (hv[field].as_f64().unwrap(), mv[field].as_f64().unwrap())
            };
            out.insert(k.clone(), json!(r2(a - b)));
        }
    }
    Value::Object(out)
}

fn opt_diff(a: &Value, b: &Value) -> Value {
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) => json!(r2(a - b)),
        _ => Value::Null,
    }
}

#[test]
fn baseline_json_matches_an_independent_recount() {
    let specs = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    build(&dir, &specs);
    let got: Value =
        serde_json::from_str(&success(&socius(&dir, &["report", "baseline", "--json"]))).unwrap();

    assert_eq!(got["schema"], 1);
    assert_eq!(got["trees"], json!(["conf-1", "coop-1", "coop-2"]));

    // GAE and IAE, humans and each model.
    let (h_eps, h_ans) = counted(&specs, &|s| s.who.is_ok());
    close(
        &got["gae"]["humans"],
        &expected_gae(&h_eps, true),
        "gae.humans",
    );
    let h_iae = expected_iae(&h_ans, true);
    close(&got["iae"]["humans"], &h_iae, "iae.humans");
    let h_gae = expected_gae(&h_eps, true);
    let mut models = Vec::new();
    for model in ["gpt-x", "gpt-y"] {
        let (eps, ans) = counted(&specs, &|s| matches!(s.who, Err((m, _)) if m == model));
        let g = expected_gae(&eps, false);
        let i = expected_iae(&ans, false);
        close(
            &got["gae"]["models"][model],
            &g,
            &format!("gae.models.{model}"),
        );
        close(
            &got["iae"]["models"][model],
            &i,
            &format!("iae.models.{model}"),
        );
        let d = json!({
            "gae_by_orientation": diff(&h_gae["by_orientation"], &g["by_orientation"], "rate_pct"),
            "gae_macro": opt_diff(&h_gae["macro_rate_pct"], &g["macro_rate_pct"]),
            "iae_by_ability": diff(&h_iae["by_ability"], &i["by_ability"], "accuracy_pct"),
            "iae_by_category": diff(&h_iae["by_category"], &i["by_category"], ""),
            "iae_overall": opt_diff(&h_iae["overall_pct"], &i["overall_pct"]),
        });
        close(
            &got["differences"][model],
            &d,
            &format!("differences.{model}"),
        );
        models.push(model);
    }
    assert_eq!(
        got["gae"]["models"].as_object().unwrap().len(),
        models.len()
    );

    // A few numbers written out by hand, so the recount itself is checked.
    let coop = &got["gae"]["humans"]["by_orientation"]["cooperation"];
    assert_eq!(coop["episodes"], 6);
    assert_eq!(coop["successes"], 3);
    assert_eq!(coop["annotators"], 3);
    let conflict = &got["gae"]["humans"]["by_orientation"]["conflict"];
    assert_eq!(
        (
            conflict["episodes"].as_u64(),
            conflict["successes"].as_u64()
        ),
        (Some(4), Some(2))
    );
    assert_eq!(got["gae"]["humans"]["macro_rate_pct"], 50.0);
    assert_eq!(
        got["gae"]["models"]["gpt-x"]["by_orientation"]["conflict"]["successes"], 1,
        "the superseded failure does not count; the redo does"
    );

    // Per-annotator spread: carol (careless) stands out.
    let pooled_gae = h_eps.iter().filter(|e| e.1).count() as f64 * 100.0 / h_eps.len() as f64;
    let pooled_iae = h_ans.iter().filter(|a| a.1).count() as f64 * 100.0 / h_ans.len() as f64;
    for a in ["alice", "bob", "carol"] {
        let eps: Vec<_> = h_eps.iter().filter(|e| e.2 == a).collect();
        let ans: Vec<_> = h_ans.iter().filter(|x| x.2 == a).collect();
        let k = eps.iter().filter(|e| e.1).count();
        let c = ans.iter().filter(|x| x.1).count();
        let rate = r2(k as f64 * 100.0 / eps.len() as f64);
        let acc = r2(c as f64 * 100.0 / ans.len() as f64);
        close(
            &got["annotators"][a],
            &json!({
                "gae_episodes": eps.len(), "gae_successes": k, "gae_rate_pct": rate,
                "gae_ci95": wilson(k, eps.len()), "gae_delta_pct": r2(rate - r2(pooled_gae)),
                "iae_items": ans.len(), "iae_correct": c, "iae_accuracy_pct": acc,
                "iae_delta_pct": r2(acc - r2(pooled_iae)),
            }),
            &format!("annotators.{a}"),
        );
    }
    assert_eq!(got["annotators"]["carol"]["gae_rate_pct"], 0.0);

    // Every exclusion, by reason.
    let mut want: BTreeMap<String, u64> = [
        "training",
        "abandoned",
        "in_progress",
        "failed",
        "other_status",
        "model_without_run",
        "superseded",
        "unlabelled_ending",
        "dead_end",
        "invalid_answer",
        "unreadable_source",
        "no_ending",
        "unknown_orientation",
        "tree_not_played_by_both",
    ]
    .into_iter()
    .map(|r| (r.to_owned(), 0))
    .collect();
    for s in &specs {
        if let Some(r) = s.excluded {
            *want.get_mut(r).unwrap() += 1;
        }
        if s.excluded.is_none() {
            *want.get_mut("invalid_answer").unwrap() += s.unanswered as u64;
        }
    }
    assert_eq!(got["excluded"], serde_json::to_value(&want).unwrap());
}

#[test]
fn other_formats_and_the_study_flag() {
    let specs = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    build(&dir, &specs);
    let table = success(&socius(&dir, &["report", "baseline"]));
    assert!(table.contains("conf-1, coop-1, coop-2"), "{table}");
    assert!(
        table.contains("cooperation") && table.contains("carol"),
        "{table}"
    );
    let md = success(&socius(&dir, &["report", "baseline", "--format", "md"]));
    assert!(md.starts_with("# Human baseline"), "{md}");
    assert!(md.contains("| orientation |"), "{md}");
    let csv = success(&socius(&dir, &["report", "baseline", "--format", "csv"]));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("side,metric,key,n,successes,value_pct,ci_lo,ci_hi")
    );
    assert!(
        csv.contains("\nhumans,gae_rate,cooperation,6,3,50,"),
        "{csv}"
    );
    assert!(
        csv.contains("\nmodel:gpt-x,gae_rate,conflict,2,1,50,"),
        "{csv}"
    );
    assert!(csv.contains("\nexcluded,count,training,1,"), "{csv}");
    for line in csv.lines() {
        assert_eq!(line.split(',').count(), 8, "{line}");
    }
    let out = socius(&dir, &["report", "baseline", "--study", "s1"]);
    assert_eq!(out.status.code(), Some(1));
    // A study that was never registered beside the store.
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("socius study new"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_tree_list_narrows_the_comparison_and_counts_what_it_leaves_out() {
    let specs = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    build(&dir, &specs);
    let store = Store::open(&dir).unwrap();
    let sessions = socius::report::baseline::load(&store).unwrap();
    let study = vec!["coop-1".to_owned(), "solo-h".to_owned()];
    let r = socius::report::baseline::baseline(&sessions, Some(&study));
    assert_eq!(r.trees, ["coop-1"], "solo-h was played by humans only");
    // Eligible sessions (past training/status/run checks) on other trees.
    let outside = specs
        .iter()
        .filter(|s| !["coop-1", "solo-h"].contains(&s.tree))
        .filter(|s| {
            matches!(
                s.excluded,
                None | Some(
                    "unlabelled_ending"
                        | "dead_end"
                        | "invalid_answer"
                        | "no_ending"
                        | "tree_not_played_by_both"
                )
            )
        })
        .count();
    assert_eq!(r.excluded["tree_not_in_study"], outside);
    assert_eq!(r.excluded["tree_not_played_by_both"], 1, "alice on solo-h");
    let coop = &r.gae.humans.by_orientation["cooperation"];
    assert_eq!((coop.episodes, coop.successes), (3, 2));
    assert!(!r.gae.humans.by_orientation.contains_key("conflict"));
}
