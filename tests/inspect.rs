//! The branch inspector: sessions written into a temporary sled store (people through the
//! driver's step API, models with their `llm_call` exchange, and decisions stored the old way,
//! without a choice id), every number recomputed here from the plan of walks, the
//! prosocial-but-failing marks on a purpose-built tree, and the screen at 80×24 and 160×48 in
//! English and Chinese.

mod common;

use common::walks::walk;

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use socius::report::inspect::{Agent, View, calls_at, inspect, load, positive_state};
use socius::script::WorldTree;
use socius::script::load::{Script, load_str};
use socius::session::{
    Decision, Ending, EventBody, NewSession, OptionsPresented, PresentedOption, ScriptRef,
    SessionId, SessionKind, Status, StatusChange, Who,
};
use socius::store::Store;
use socius::tui::app::Msg;
use socius::tui::i18n::Lang;
use socius::tui::inspect::{Inspector, cache, run_loop};
use socius::tui::run::Scripted;
use socius::tui::theme::Theme;

/// Two choices of `start` lead to `mid` (one with an id of its own, `warm`); `start.3` and
/// `mid.2` have a positive social state but no success ending past them.
const TREE: &str = r#"kind: world_tree
id: inspect-fixture
title: The fence
language: en
orientation: cooperation
characters:
- name: Ana
  role: protagonist
  goal: Fix the fence together.
- name: Ben
  role: supporting
nodes:
- id: start
  type: beginning
  lines:
  - narration: The fence leans over the roses.
  - speaker: Ben
    text: That fence again.
  choices:
  - id: warm
    target: mid
    social_state: [1, 1, 1]
    say: {speaker: Ana, text: Shall we fix it together?}
  - target: mid
    social_state: [0, 0, 0]
    say: {speaker: Ana, text: Whatever you like.}
  - target: bad_end
    social_state: [1, 0, 1]
    say: {speaker: Ana, text: I will do it all myself.}
- id: mid
  type: choice
  lines:
  - speaker: Ben
    text: Saturday then?
  choices:
  - target: win
    social_state: [1, -1, 0]
    say: {speaker: Ana, text: "Saturday, and you bring the nails."}
  - target: sulk
    social_state: [0, 1, 0]
    say: {speaker: Ana, text: Any day that suits you.}
- id: sulk
  type: choice
  lines:
  - speaker: Ben
    text: Never mind.
  choices:
  - target: lose_end
    say: {speaker: Ana, text: Fine.}
- id: win
  type: ending
  outcome: success
  lines:
  - narration: The fence stands.
- id: lose_end
  type: ending
  outcome: failure
- id: bad_end
  type: ending
  outcome: partial
"#;

fn tree_of(text: &str) -> WorldTree {
    let (script, diags, _) = load_str(text);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    match script {
        Some(Script::WorldTree(t)) => t,
        other => panic!("not a tree: {other:?}"),
    }
}

fn hash(text: &str) -> String {
    socius::script::content_hash(text.as_bytes())
}

fn model(name: &str) -> Who {
    Who::Model {
        name: name.to_owned(),
        endpoint_host: "localhost".to_owned(),
        params: serde_json::Map::new(),
    }
}

/// A walk stored the way older versions did: decisions name only the target node. `texts`:
/// per step the presented option's text (which tells two choices with one target apart, or
/// not when it matches none).
fn legacy_walk(
    store: &Store,
    tree: &WorldTree,
    content: &str,
    who: Who,
    steps: &[(&str, &str, &str)],
    ending: &str,
) -> SessionId {
    let session = store
        .create(NewSession::new(
            SessionKind::WorldTreeGae,
            ScriptRef::new(&tree.id, content.as_bytes()),
            who,
            2,
        ))
        .unwrap();
    for (node, target, text) in steps {
        let n = tree.node_index(node).unwrap();
        let options: Vec<PresentedOption> = tree.nodes[n]
            .choices
            .iter()
            .map(|c| PresentedOption {
                id: c.target.clone().into(),
                text: c.say.text.clone(),
            })
            .chain(std::iter::once(PresentedOption {
                id: (*target).into(),
                text: (*text).to_owned(),
            }))
            .collect();
        let index = u32::try_from(options.len() - 1).unwrap();
        store
            .append(
                session.id,
                EventBody::OptionsPresented(OptionsPresented {
                    node: Some((*node).to_owned()),
                    prompt: None,
                    options,
                }),
            )
            .unwrap();
        store
            .append(
                session.id,
                EventBody::Decision(Decision {
                    node: Some((*node).to_owned()),
                    option_index: index,
                    option_id: (*target).into(),
                    latency_ms: 10,
                    options_scrolled: false,
                    choice: None,
                }),
            )
            .unwrap();
    }
    let n = tree.node_index(ending).unwrap();
    store
        .append(
            session.id,
            EventBody::Ending(Ending {
                node: ending.to_owned(),
                outcome: Some(tree.nodes[n].outcome.unwrap().into()),
            }),
        )
        .unwrap();
    store
        .append(
            session.id,
            EventBody::SessionStatus(StatusChange {
                status: Status::Finished,
                reason: None,
            }),
        )
        .unwrap();
    session.id
}

/// One planned walk and what it must count as: the choices (by id; `None` for a decision that
/// cannot be attributed) at each node.
struct Planned {
    agent: Agent,
    steps: Vec<(&'static str, Option<&'static str>)>,
    ending: &'static str,
    other_version: bool,
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    tree: WorldTree,
    plan: Vec<Planned>,
    sessions: Vec<SessionId>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let tree = tree_of(TREE);
    let shared = Arc::new(tree.clone());
    let mut plan = Vec::new();
    let mut sessions = Vec::new();
    let people: [(&str, &[&'static str], &'static str); 5] = [
        ("ann", &["warm", "mid.1"], "win"),
        ("ann", &["start.2", "mid.2", "sulk.1"], "lose_end"),
        ("bob", &["warm", "mid.1"], "win"),
        ("bob", &["start.3"], "bad_end"),
        ("cy", &["warm", "mid.2", "sulk.1"], "lose_end"),
    ];
    for (who, picks, ending) in people {
        sessions.push(walk(&store, &shared, TREE, Who::annotator(who), picks));
        plan.push(Planned {
            agent: Agent::Human(who.to_owned()),
            steps: picks.iter().map(|p| (node_of(p), Some(*p))).collect(),
            ending,
            other_version: false,
        });
    }
    let models: [(&str, &[&'static str], &'static str); 4] = [
        ("gpt-x", &["start.3"], "bad_end"),
        ("gpt-x", &["warm", "mid.2", "sulk.1"], "lose_end"),
        ("gpt-x", &["start.3"], "bad_end"),
        ("llama", &["start.2", "mid.1"], "win"),
    ];
    for (name, picks, ending) in models {
        sessions.push(walk(&store, &shared, TREE, model(name), picks));
        plan.push(Planned {
            agent: Agent::Model(name.to_owned()),
            steps: picks.iter().map(|p| (node_of(p), Some(*p))).collect(),
            ending,
            other_version: false,
        });
    }
    // Stored the old way: the presented text tells `start.2` from `warm` (both lead to
    // `mid`); then a text that matches neither; then a unique target on another version.
    sessions.push(legacy_walk(
        &store,
        &tree,
        TREE,
        Who::annotator("dee"),
        &[
            ("start", "mid", "Whatever you like."),
            ("mid", "win", "Saturday, and you bring the nails."),
        ],
        "win",
    ));
    plan.push(Planned {
        agent: Agent::Human("dee".to_owned()),
        steps: vec![("start", Some("start.2")), ("mid", Some("mid.1"))],
        ending: "win",
        other_version: false,
    });
    sessions.push(legacy_walk(
        &store,
        &tree,
        TREE,
        Who::annotator("dee"),
        &[
            ("start", "mid", "Words this version does not have."),
            ("mid", "sulk", "Any day that suits you."),
            ("sulk", "lose_end", "Fine."),
        ],
        "lose_end",
    ));
    plan.push(Planned {
        agent: Agent::Human("dee".to_owned()),
        steps: vec![
            ("start", None),
            ("mid", Some("mid.2")),
            ("sulk", Some("sulk.1")),
        ],
        ending: "lose_end",
        other_version: false,
    });
    sessions.push(legacy_walk(
        &store,
        &tree,
        "an older version of the file",
        model("llama"),
        &[("start", "bad_end", "I will do it all myself.")],
        "bad_end",
    ));
    plan.push(Planned {
        agent: Agent::Model("llama".to_owned()),
        steps: vec![("start", Some("start.3"))],
        ending: "bad_end",
        other_version: true,
    });
    // Not counted: another tree, an IAE session, a training walk.
    store
        .create(NewSession::new(
            SessionKind::WorldTreeGae,
            ScriptRef::new("another-tree", b"x"),
            Who::annotator("ann"),
            3,
        ))
        .unwrap();
    store
        .create(NewSession::new(
            SessionKind::WorldTreeIae,
            ScriptRef::new(&tree.id, TREE.as_bytes()),
            Who::annotator("ann"),
            4,
        ))
        .unwrap();
    let mut training = NewSession::new(
        SessionKind::WorldTreeGae,
        ScriptRef::new(&tree.id, TREE.as_bytes()),
        Who::annotator("ann"),
        5,
    );
    training.meta = serde_json::json!({"training": true});
    store.create(training).unwrap();
    store.flush().unwrap();
    Fixture {
        _dir: dir,
        store,
        tree,
        plan,
        sessions,
    }
}

/// The node a choice id of the fixture belongs to (its own id, or the part before the dot).
fn node_of(choice: &str) -> &'static str {
    match choice {
        "warm" => "start",
        c if c.starts_with("start.") => "start",
        c if c.starts_with("mid.") => "mid",
        c if c.starts_with("sulk.") => "sulk",
        other => panic!("{other}"),
    }
}

#[test]
fn counts_recomputed_from_the_plan() {
    let f = fixture();
    let walks = load(&f.store, &f.tree, &hash(TREE)).unwrap();
    assert_eq!(
        walks.len(),
        f.plan.len(),
        "only this tree's GAE walks count"
    );
    let stats = inspect(&f.tree, &walks);

    // Expected, from the plan alone.
    let mut taken: BTreeMap<(&str, &str), BTreeMap<Agent, u64>> = BTreeMap::new();
    let mut decisions: BTreeMap<&str, BTreeMap<Agent, u64>> = BTreeMap::new();
    let mut unattributed: BTreeMap<&str, BTreeMap<Agent, u64>> = BTreeMap::new();
    let mut reached: BTreeMap<&str, BTreeMap<Agent, u64>> = BTreeMap::new();
    let mut walks_by: BTreeMap<Agent, u64> = BTreeMap::new();
    let mut other: u64 = 0;
    for p in &f.plan {
        *walks_by.entry(p.agent.clone()).or_default() += 1;
        other += u64::from(p.other_version);
        for (node, choice) in &p.steps {
            *decisions
                .entry(node)
                .or_default()
                .entry(p.agent.clone())
                .or_default() += 1;
            match choice {
                Some(c) => {
                    *taken
                        .entry((node, c))
                        .or_default()
                        .entry(p.agent.clone())
                        .or_default() += 1;
                }
                None => {
                    *unattributed
                        .entry(node)
                        .or_default()
                        .entry(p.agent.clone())
                        .or_default() += 1;
                }
            }
        }
        *reached
            .entry(p.ending)
            .or_default()
            .entry(p.agent.clone())
            .or_default() += 1;
    }

    assert_eq!(stats.walks, walks_by);
    assert_eq!(
        stats.other_version.values().sum::<u64>(),
        other,
        "{:?}",
        stats.other_version
    );
    for (n, node) in f.tree.nodes.iter().enumerate() {
        let s = &stats.nodes[n];
        assert_eq!(
            s.decisions,
            decisions.get(node.id.as_str()).cloned().unwrap_or_default(),
            "decisions at {}",
            node.id
        );
        assert_eq!(
            s.unattributed,
            unattributed
                .get(node.id.as_str())
                .cloned()
                .unwrap_or_default(),
            "unattributed at {}",
            node.id
        );
        assert_eq!(
            s.reached,
            reached.get(node.id.as_str()).cloned().unwrap_or_default(),
            "reached {}",
            node.id
        );
        for (c, _) in node.choices.iter().enumerate() {
            let id = node.choice_id(c);
            let want = taken
                .get(&(node.id.as_str(), id.as_ref()))
                .cloned()
                .unwrap_or_default();
            assert_eq!(s.choices[c].taken, want, "choice {id}");
            // Percent of the people's decisions at the node.
            let people = |m: &BTreeMap<Agent, u64>| -> u64 {
                m.iter()
                    .filter(|(a, _)| matches!(a, Agent::Human(_)))
                    .map(|(_, n)| n)
                    .sum()
            };
            let base = people(&decisions.get(node.id.as_str()).cloned().unwrap_or_default());
            let (n_taken, pct) = stats.taken(n, c, &View::Humans);
            assert_eq!(n_taken, people(&want));
            #[expect(clippy::cast_precision_loss)]
            let expected_pct = (base > 0).then(|| 100.0 * people(&want) as f64 / base as f64);
            assert_eq!(pct, expected_pct, "percent of {id}");
        }
    }
    // The two choices into `mid` are counted apart.
    let start = f.tree.node_index("start").unwrap();
    let warm = &stats.nodes[start].choices[0].taken;
    let other_mid = &stats.nodes[start].choices[1].taken;
    assert_eq!(warm.values().sum::<u64>(), 4);
    assert_eq!(other_mid.values().sum::<u64>(), 3);
    // Endings by outcome.
    for (outcome, counts) in &stats.outcomes {
        let want: u64 = f
            .plan
            .iter()
            .filter(|p| {
                let n = f.tree.node_index(p.ending).unwrap();
                f.tree.nodes[n].outcome == Some(*outcome)
            })
            .count() as u64;
        assert_eq!(counts.values().sum::<u64>(), want, "{outcome:?}");
    }
    // Path distribution of one model, from the plan.
    let shares = stats.path_shares(&View::One(Agent::Model("gpt-x".to_owned())));
    assert_eq!(shares[0].0, "start.3");
    assert_eq!(shares[0].1, 2);
    assert!((shares[0].2 - 200.0 / 3.0).abs() < 1e-9);
    assert_eq!(f.sessions.len(), f.plan.len());
}

#[test]
fn a_model_s_explanations_and_replies_are_kept_with_its_choice() {
    let f = fixture();
    let walks = load(&f.store, &f.tree, &hash(TREE)).unwrap();
    let stats = inspect(&f.tree, &walks);
    let start = f.tree.node_index("start").unwrap();
    let takers = &stats.nodes[start].choices[2].takers;
    // Models that took start.3: gpt-x twice through the driver, llama once (stored the old
    // way, without calls).
    let mut names: Vec<&str> = takers.iter().map(|(a, _)| a.name()).collect();
    names.sort_unstable();
    assert_eq!(names, ["gpt-x", "gpt-x", "llama"]);
    let ids: Vec<SessionId> = takers.iter().map(|(_, id)| *id).collect();
    let calls = calls_at(&f.store, &f.tree, &hash(TREE), &ids, start, 2).unwrap();
    assert_eq!(calls.len(), 2);
    for (agent, _, notes) in &calls {
        assert_eq!(*agent, Agent::Model("gpt-x".to_owned()));
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].explanation.as_deref(), Some("gpt-x picks start.3"));
        assert!(
            notes[0]
                .raw_reply
                .as_deref()
                .unwrap()
                .contains("\"choice\"")
        );
        assert_eq!(notes[0].parsed.as_deref(), Some("A (json)"));
    }
    // People are no takers (they make no calls).
    assert!(
        stats.nodes[start].choices[0]
            .takers
            .iter()
            .all(|(a, _)| !a.is_human())
    );
}

#[test]
fn the_cache_gives_the_same_walks_and_notices_new_sessions() {
    let f = fixture();
    let cache = tempfile::tempdir().unwrap();
    let store_dir = f.store.path().to_path_buf();
    let direct = load(&f.store, &f.tree, &hash(TREE)).unwrap();
    let first = cache::load_walks(
        &f.store,
        &store_dir,
        &f.tree,
        &hash(TREE),
        Some(cache.path()),
    )
    .unwrap();
    let file = cache::path(cache.path(), &store_dir, &f.tree, &hash(TREE));
    assert!(file.is_file());
    let second = cache::load_walks(
        &f.store,
        &store_dir,
        &f.tree,
        &hash(TREE),
        Some(cache.path()),
    )
    .unwrap();
    assert_eq!(first, direct);
    assert_eq!(second, direct);
    // A new walk is read; the cached ones are kept.
    let shared = Arc::new(f.tree.clone());
    walk(&f.store, &shared, TREE, Who::annotator("eve"), &["start.3"]);
    let third = cache::load_walks(
        &f.store,
        &store_dir,
        &f.tree,
        &hash(TREE),
        Some(cache.path()),
    )
    .unwrap();
    assert_eq!(third.len(), direct.len() + 1);
    assert_eq!(third, load(&f.store, &f.tree, &hash(TREE)).unwrap());
}

#[test]
fn new_decisions_name_their_choice_and_need_schema_4() {
    let f = fixture();
    let events = f.store.events(f.sessions[0]).unwrap();
    let decisions: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Decision(d) => Some((e.schema, d.choice.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        decisions,
        [(4, Some("warm".to_owned())), (4, Some("mid.1".to_owned()))]
    );
    // The old way still reads, without the field, at its old schema.
    let legacy = f.store.events(f.sessions[9]).unwrap();
    assert!(legacy.iter().any(|e| matches!(
        &e.body,
        EventBody::Decision(Decision { choice: None, .. })
    ) && e.schema == 1));
}

#[test]
fn prosocial_but_failing_marks() {
    let tree = tree_of(TREE);
    let stats = inspect(&tree, &[]);
    let mut marked = Vec::new();
    let mut positive = Vec::new();
    for (n, node) in tree.nodes.iter().enumerate() {
        for c in 0..node.choices.len() {
            if stats.nodes[n].choices[c].prosocial_failing {
                marked.push(node.choice_id(c).into_owned());
            }
            if stats.nodes[n].choices[c].positive {
                positive.push(node.choice_id(c).into_owned());
            }
        }
    }
    // By hand: warm [1,1,1] → mid → win (success reachable); start.3 [1,0,1] → a partial
    // ending; mid.2 [0,1,0] → sulk → failure only; start.2 [0,0,0] and mid.1 [1,-1,0] are not
    // positive.
    assert_eq!(positive, ["warm", "start.3", "mid.2"]);
    assert_eq!(marked, ["start.3", "mid.2"]);
    assert!(stats.has_success);
    assert!(positive_state(Some(&[0, 1, 0])));
    assert!(!positive_state(Some(&[1, -1, 1])));
    assert!(!positive_state(Some(&[0, 0, 0])));
    assert!(!positive_state(Some(&[])));
    assert!(!positive_state(None));

    // How often each agent took them, from the plan: (taken, decisions at start/mid).
    let f = fixture();
    let walks = load(&f.store, &f.tree, &hash(TREE)).unwrap();
    let stats = inspect(&f.tree, &walks);
    let mut want: BTreeMap<Agent, (u64, u64)> = BTreeMap::new();
    for p in &f.plan {
        let e = want.entry(p.agent.clone()).or_default();
        for (node, choice) in &p.steps {
            if matches!(*node, "start" | "mid") {
                e.1 += 1;
            }
            if matches!(choice, Some("start.3" | "mid.2")) {
                e.0 += 1;
            }
        }
    }
    let got: BTreeMap<Agent, (u64, u64)> = stats
        .prosocial_failing_by_agent()
        .into_iter()
        .map(|(a, t, o)| (a, (t, o)))
        .collect();
    assert_eq!(got, want);

    // A tree without any success ending marks every positive choice.
    let no_success = TREE.replace("outcome: success", "outcome: partial");
    let tree = tree_of(&no_success);
    let stats = inspect(&tree, &[]);
    assert!(!stats.has_success);
    let marked: usize = stats
        .nodes
        .iter()
        .map(|n| n.choices.iter().filter(|c| c.prosocial_failing).count())
        .sum();
    assert_eq!(marked, 3);
}

#[test]
fn duplicate_choice_ids_are_rejected_with_a_position() {
    let text = TREE.replace(
        "  - target: mid\n    social_state: [0, 0, 0]",
        "  - id: warm\n    target: mid\n    social_state: [0, 0, 0]",
    );
    let (_, diags, _) = load_str(&text);
    let dup: Vec<_> = diags
        .iter()
        .filter(|d| d.is_error() && d.message.contains("duplicate choice id `warm`"))
        .collect();
    assert_eq!(dup.len(), 1, "{diags:?}");
    let line = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "- id: warm")
        .nth(1)
        .map(|(i, _)| i + 1)
        .unwrap();
    assert_eq!(dup[0].line as usize, line);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dup.yaml");
    std::fs::write(&path, &text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(["check"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        format!("{stdout}{stderr}").contains(&format!("dup.yaml:{line}:")),
        "{stdout}{stderr}"
    );
}

#[test]
fn bad_scripts_are_refused_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let run = |script: &Path| {
        Command::new(env!("CARGO_BIN_EXE_socius"))
            .arg("inspect")
            .arg(script)
            .arg("--store")
            .arg(&store)
            .output()
            .unwrap()
    };
    let out = run(&dir.path().join("missing.yaml"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be inspected"));
    let cr = common::repo().join("scripts/cr/crdial.yaml");
    let out = run(&cr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a world tree"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// The inspector's screen after `msgs`, as a fresh terminal of the size shows it; session ids
/// are masked (they differ on every run).
fn screen(insp: &mut Inspector, w: u16, h: u16, msgs: Vec<Msg>, ids: &[SessionId]) -> String {
    let mut term = common::terminal(w, h);
    run_loop(&mut term, insp, &mut Scripted(VecDeque::from(msgs))).unwrap();
    let mut fresh = common::terminal(w, h);
    run_loop(&mut fresh, insp, &mut Scripted(VecDeque::new())).unwrap();
    let mut text = common::screen(&fresh);
    for id in ids {
        text = text.replace(&id.to_string(), &"#".repeat(26));
    }
    text
}

fn inspector(f: &Fixture, lang: Lang, pair: Option<(Agent, Agent)>) -> Inspector {
    let walks = load(&f.store, &f.tree, &hash(TREE)).unwrap();
    let stats = inspect(&f.tree, &walks);
    Inspector::new(
        f.tree.clone(),
        stats,
        lang,
        Theme::builtin_default(),
        None,
        pair,
    )
    .with_store(f.store.clone(), hash(TREE))
}

#[test]
fn screens_in_english() {
    let f = fixture();
    let mut insp = inspector(&f, Lang::En, None);
    insta::assert_snapshot!(
        "en_80x24_start",
        screen(&mut insp, 80, 24, Vec::new(), &f.sessions)
    );
    // Down to `start.3` (the prosocial-but-failing one models like), filtered to models.
    let mut insp = inspector(&f, Lang::En, None);
    let s = screen(
        &mut insp,
        160,
        48,
        vec![
            key('j'),
            key('j'),
            key('j'),
            key('j'),
            key('j'),
            key('f'),
            key('f'),
        ],
        &f.sessions,
    );
    insta::assert_snapshot!("en_160x48_choice_models", s);
    // Help over it, at 80×24.
    let mut insp = inspector(&f, Lang::En, None);
    insta::assert_snapshot!(
        "en_80x24_help",
        screen(&mut insp, 80, 24, vec![key('?')], &f.sessions)
    );
}

/// A Chinese tree walked by two people and a model.
fn zh_fixture() -> (tempfile::TempDir, Store, WorldTree, String, Vec<SessionId>) {
    let path = common::repo().join("scripts/zh-group-project.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let tree = tree_of(&text);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let shared = Arc::new(tree.clone());
    let mut ids = Vec::new();
    // First choice everywhere, last choice everywhere.
    for (who, last) in [
        (Who::annotator("小王"), false),
        (Who::annotator("lin"), true),
        (model("qwen"), false),
        (model("qwen"), true),
    ] {
        let mut picks: Vec<String> = Vec::new();
        let mut n = tree.start().unwrap();
        while !tree.nodes[n].choices.is_empty() {
            let c = if last {
                tree.nodes[n].choices.len() - 1
            } else {
                0
            };
            picks.push(tree.nodes[n].choice_id(c).into_owned());
            n = tree.node_index(&tree.nodes[n].choices[c].target).unwrap();
        }
        let picks: Vec<&str> = picks.iter().map(String::as_str).collect();
        ids.push(walk(&store, &shared, &text, who, &picks));
    }
    store.flush().unwrap();
    (dir, store, tree, text, ids)
}

#[test]
fn screens_in_chinese() {
    let (_dir, store, tree, text, ids) = zh_fixture();
    let walks = load(&store, &tree, &hash(&text)).unwrap();
    assert_eq!(walks.len(), 4);
    let stats = inspect(&tree, &walks);
    let mut insp = Inspector::new(
        tree.clone(),
        stats.clone(),
        Lang::Zh,
        Theme::builtin_default(),
        None,
        None,
    );
    insta::assert_snapshot!(
        "zh_80x24_start",
        screen(&mut insp, 80, 24, Vec::new(), &ids)
    );
    // Comparing a person with the model: the start, with both path distributions.
    let pair = (
        Agent::Human("小王".to_owned()),
        Agent::Model("qwen".to_owned()),
    );
    let mut insp = Inspector::new(
        tree,
        stats,
        Lang::Zh,
        Theme::builtin_default(),
        None,
        Some(pair),
    )
    .with_store(store, hash(&text));
    insta::assert_snapshot!(
        "zh_160x48_compare",
        screen(&mut insp, 160, 48, Vec::new(), &ids)
    );
}
