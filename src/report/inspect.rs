//! The branch inspector's numbers (`socius inspect SCRIPT`): for one world tree and the stored
//! sessions of it, how often each choice was taken by people and by each model, how often each
//! ending was reached, what a model said when it chose, and the "prosocial but failing" choices.
//!
//! Pure computation over sessions and their events, except [`load`], which reads the store.
//!
//! # Attributing a decision to a choice
//!
//! A `decision` event written since event schema 4 names its choice by id (`choice`). An older
//! one names only the target node (`option_id`); it is attributed to the one choice of its node
//! with that target, else (several choices share the target) to the one of those whose
//! utterance is the text of the option presented at `option_index`, else it is counted as
//! *unattributed* (and shown as such).
//!
//! # Positive social state, and "prosocial but failing"
//!
//! SocialEval annotates each choice with a `social state` triple whose components are signed
//! directions (-1, 0, 1); the release does not name them one by one. socius calls a social state
//! **positive** when it has at least one component above 0 and none below 0 (`[1, 0, 1]`,
//! `[0, 1, 0]`; not `[1, -1, 1]`, not `[0, 0, 0]`, not a missing or empty state). A choice is
//! **prosocial but failing** when its social state is positive and no `success` ending can be
//! reached from its target node — the behaviour the SocialEval paper finds models prefer even
//! when it costs the goal.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::script::model::{NodeIndex, NodeKind, Outcome, WorldTree};
use crate::session::attribute::{attribute, presented_text};
use crate::session::{Event, EventBody, Session, SessionId, SessionKind, Who};
use crate::store::{Filter, Store, StoreError};

/// Who took a path: a person (by annotator id) or a model (by name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Agent {
    Human(String),
    Model(String),
}

impl Agent {
    #[must_use]
    pub fn of(who: &Who) -> Self {
        match who {
            Who::Annotator { id } => Self::Human(id.clone()),
            Who::Model { name, .. } => Self::Model(name.clone()),
        }
    }

    #[must_use]
    pub const fn is_human(&self) -> bool {
        matches!(self, Self::Human(_))
    }

    /// The bare name (annotator id or model name).
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Human(n) | Self::Model(n) => n,
        }
    }

    /// Parse `annotator:ID`, `model:NAME`, or a bare name looked up among `known`.
    #[must_use]
    pub fn parse(text: &str, known: &[Self]) -> Option<Self> {
        if let Some(id) = text.strip_prefix("annotator:") {
            return Some(Self::Human(id.to_owned()));
        }
        if let Some(name) = text.strip_prefix("model:") {
            return Some(Self::Model(name.to_owned()));
        }
        known.iter().find(|a| a.name() == text).cloned()
    }
}

impl fmt::Display for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Human(id) => write!(f, "annotator:{id}"),
            Self::Model(name) => write!(f, "model:{name}"),
        }
    }
}

/// Which agents a view counts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum View {
    /// Everyone.
    #[default]
    All,
    /// Every person.
    Humans,
    /// Every model.
    Models,
    /// One agent.
    One(Agent),
}

impl View {
    #[must_use]
    pub fn counts(&self, agent: &Agent) -> bool {
        match self {
            Self::All => true,
            Self::Humans => agent.is_human(),
            Self::Models => !agent.is_human(),
            Self::One(a) => a == agent,
        }
    }
}

/// One model call behind a decision.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallNote {
    /// The explanation the reply gave (a JSON reply's `explanation`/`reason`/…, or a
    /// reasoning block), when one can be told apart from the rest.
    pub explanation: Option<String>,
    pub raw_reply: Option<String>,
    /// What the reply parsed to (`B (strict)`), or why it did not.
    pub parsed: Option<String>,
    /// The call's final error.
    pub error: Option<String>,
}

/// One decision of a walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The node's index in the tree (`None`: a node this version of the tree does not have).
    pub node: Option<usize>,
    /// The chosen choice's index in its node (`None`: unattributed).
    pub choice: Option<usize>,
    /// A model's calls that led to it (read only when asked for: see [`calls_at`]).
    #[serde(skip)]
    pub calls: Vec<CallNote>,
}

/// One stored session of the tree, reduced to its walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Walk {
    pub session: SessionId,
    pub agent: Agent,
    /// Played on another version of the tree (its content hash differs).
    pub other_version: bool,
    pub steps: Vec<Step>,
    /// The ending reached: node index (when this version has it) and outcome.
    pub ending: Option<(Option<usize>, Option<Outcome>)>,
}

/// The explanation in a reply: a JSON object's explanation-like field, else the text of a
/// reasoning block (`<think>…</think>`).
#[must_use]
pub fn explanation_of(reply: &str) -> Option<String> {
    const KEYS: [&str; 6] = [
        "explanation",
        "reason",
        "reasoning",
        "rationale",
        "analysis",
        "thought",
    ];
    let trimmed = reply.trim();
    let json = trimmed
        .find('{')
        .and_then(|start| trimmed.rfind('}').map(|end| (start, end)))
        .filter(|(s, e)| s < e)
        .and_then(|(s, e)| serde_json::from_str::<Value>(&trimmed[s..=e]).ok());
    if let Some(Value::Object(map)) = json {
        for (k, v) in &map {
            if KEYS.contains(&k.to_ascii_lowercase().as_str())
                && let Some(text) = v.as_str()
                && !text.trim().is_empty()
            {
                return Some(text.trim().to_owned());
            }
        }
    }
    let lower = trimmed.to_ascii_lowercase();
    let open = lower.find("<think>")?;
    let rest = &trimmed[open + "<think>".len()..];
    let end = rest
        .to_ascii_lowercase()
        .find("</think>")
        .unwrap_or(rest.len());
    let text = rest[..end].trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn call_note(call: &crate::session::LlmCall) -> CallNote {
    let parsed = call.parsed.as_ref().map(|p| {
        if let Some(letter) = p.get("letter").and_then(Value::as_str) {
            match p.get("method").and_then(Value::as_str) {
                Some(m) => format!("{letter} ({m})"),
                None => letter.to_owned(),
            }
        } else if let Some(kind) = p
            .get("failure")
            .and_then(|f| f.get("kind"))
            .and_then(Value::as_str)
        {
            format!("unparsed: {kind}")
        } else {
            p.to_string()
        }
    });
    CallNote {
        explanation: call.raw_reply.as_deref().and_then(explanation_of),
        raw_reply: call.raw_reply.clone(),
        parsed,
        error: call.error.clone(),
    }
}

/// Whether a session kind walks the tree (GAE or both).
const fn walks(kind: &SessionKind) -> bool {
    matches!(kind, SessionKind::WorldTreeGae | SessionKind::WorldTreeBoth)
}

/// A session's walk. `None` for a session that does not walk this tree (another tree, an IAE
/// or CR session, a training session).
#[must_use]
pub fn walk_of(
    tree: &WorldTree,
    index: &NodeIndex,
    hash: &str,
    session: &Session,
    events: &[Event],
) -> Option<Walk> {
    walk_with(tree, index, hash, session, events, false)
}

/// As [`walk_of`]; with `calls`, each step keeps the model calls that led to it.
fn walk_with(
    tree: &WorldTree,
    index: &NodeIndex,
    hash: &str,
    session: &Session,
    events: &[Event],
    with_calls: bool,
) -> Option<Walk> {
    if session.script.id != tree.id || !walks(&session.kind) || session.is_training() {
        return None;
    }
    let mut steps = Vec::new();
    let mut ending = None;
    let mut last_presented = None;
    let mut calls = Vec::new();
    for e in events {
        match &e.body {
            EventBody::OptionsPresented(p) => {
                last_presented = Some(p);
                calls.clear();
            }
            EventBody::LlmCall(call) if with_calls => calls.push(call_note(call)),
            EventBody::Decision(d) => {
                let node = d.node.as_deref().and_then(|n| index.get(n));
                let choice = node.and_then(|n| {
                    attribute(tree, n, d, presented_text(last_presented, d.option_index))
                });
                steps.push(Step {
                    node,
                    choice,
                    calls: std::mem::take(&mut calls),
                });
            }
            EventBody::Ending(end) => {
                ending = Some((
                    index.get(&end.node),
                    end.outcome.as_ref().and_then(|o| o.outcome()),
                ));
            }
            _ => {}
        }
    }
    Some(Walk {
        session: session.id,
        agent: Agent::of(&session.who),
        other_version: session.script.hash != hash,
        steps,
        ending,
    })
}

/// Walks already read, by session, with the number of events the session had then (a session
/// with more events since is read again). Valid for one version of one tree.
pub type Known = HashMap<SessionId, (u64, Walk)>;

/// The walks of every stored session of `tree` (`hash`: the content hash of the version being
/// inspected). Logs are read and reduced on every core; only the walks are kept.
///
/// # Errors
/// A store read error.
pub fn load(store: &Store, tree: &WorldTree, hash: &str) -> Result<Vec<Walk>, StoreError> {
    load_known(store, tree, hash, &Known::new()).map(|(walks, _)| walks)
}

/// As [`load`], taking the walks of `known` sessions that have not changed since instead of
/// reading their logs; also returns what is known now.
///
/// # Errors
/// A store read error.
pub fn load_known(
    store: &Store,
    tree: &WorldTree,
    hash: &str,
    known: &Known,
) -> Result<(Vec<Walk>, Known), StoreError> {
    let sessions = sessions_of(store, tree)?;
    walks_of(store, tree, hash, &sessions, known)
}

/// The stored sessions that walk `tree` (GAE or both, not training), oldest first.
///
/// # Errors
/// A store read error.
pub fn sessions_of(store: &Store, tree: &WorldTree) -> Result<Vec<Session>, StoreError> {
    let filter = Filter {
        script: Some(tree.id.clone()),
        ..Filter::default()
    };
    Ok(store
        .list(&filter)?
        .into_iter()
        .filter(|s| s.script.id == tree.id && walks(&s.kind) && !s.is_training())
        .collect())
}

/// The walks of `sessions`: those `known` at their present length as known, the others read.
/// Also returns what is known now.
///
/// # Errors
/// A store read error.
pub fn walks_of(
    store: &Store,
    tree: &WorldTree,
    hash: &str,
    sessions: &[Session],
    known: &Known,
) -> Result<(Vec<Walk>, Known), StoreError> {
    let index = NodeIndex::new(tree);
    let fresh: Vec<&Session> = sessions
        .iter()
        .filter(|s| {
            known
                .get(&s.id)
                .is_none_or(|(events, _)| *events != s.events)
        })
        .collect();
    let read = crate::par::map(&fresh, &|s: &&Session| {
        store
            .events(s.id)
            .map(|events| walk_of(tree, &index, hash, s, &events))
    });
    let mut read_walks: HashMap<SessionId, Walk> = HashMap::with_capacity(fresh.len());
    for (s, walk) in fresh.iter().zip(read) {
        if let Some(walk) = walk? {
            read_walks.insert(s.id, walk);
        }
    }
    let mut out = Vec::with_capacity(sessions.len());
    let mut now = Known::with_capacity(sessions.len());
    for s in sessions {
        let walk = match read_walks.remove(&s.id) {
            Some(w) => w,
            None => match known.get(&s.id) {
                Some((events, w)) if *events == s.events => w.clone(),
                _ => continue,
            },
        };
        now.insert(s.id, (s.events, walk.clone()));
        out.push(walk);
    }
    Ok((out, now))
}

/// The model calls behind each time one of `sessions` chose choice `c` of node `n`: (agent,
/// session, calls), in the order given.
///
/// # Errors
/// A store read error.
pub fn calls_at(
    store: &Store,
    tree: &WorldTree,
    hash: &str,
    sessions: &[SessionId],
    n: usize,
    c: usize,
) -> Result<Vec<(Agent, SessionId, Vec<CallNote>)>, StoreError> {
    let index = NodeIndex::new(tree);
    let mut out = Vec::new();
    for id in sessions {
        let Some(session) = store.session(*id)? else {
            continue;
        };
        let events = store.events(*id)?;
        let Some(walk) = walk_with(tree, &index, hash, &session, &events, true) else {
            continue;
        };
        for step in walk.steps {
            if step.node == Some(n) && step.choice == Some(c) && !step.calls.is_empty() {
                out.push((walk.agent.clone(), walk.session, step.calls));
            }
        }
    }
    Ok(out)
}

/// Counts per agent.
pub type Counts = BTreeMap<Agent, u64>;

/// Sum of the counts of the agents a view counts.
#[must_use]
pub fn total(counts: &Counts, view: &View) -> u64 {
    counts
        .iter()
        .filter(|(a, _)| view.counts(a))
        .map(|(_, n)| n)
        .sum()
}

/// Percent of `part` in `whole` (None when `whole` is 0).
#[must_use]
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

/// One choice's numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChoiceStats {
    /// How often each agent took it.
    pub taken: Counts,
    /// Its social state is positive (see the module documentation).
    pub positive: bool,
    /// Positive, and no success ending is reachable from its target.
    pub prosocial_failing: bool,
    /// The models' walks that took it: (model, session), for reading their calls
    /// ([`calls_at`]).
    pub takers: Vec<(Agent, SessionId)>,
}

/// One node's numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Decisions made here, per agent (attributed or not): the base of a choice's percent.
    pub decisions: Counts,
    /// Decisions here that could not be attributed to a choice.
    pub unattributed: Counts,
    /// Walks that ended here (endings and dead ends).
    pub reached: Counts,
    /// A success ending is reachable from here.
    pub success_reachable: bool,
    pub choices: Vec<ChoiceStats>,
}

/// Everything the inspector shows about one tree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inspection {
    /// Per node, in tree order.
    pub nodes: Vec<NodeStats>,
    /// Every agent that walked the tree: people first, then models, each by name.
    pub agents: Vec<Agent>,
    /// Walks per agent.
    pub walks: Counts,
    /// Walks played on another version of the tree (their content hash differs).
    pub other_version: Counts,
    /// Endings reached per outcome and agent (a walk without an ending is not counted).
    pub outcomes: BTreeMap<Outcome, Counts>,
    /// Decisions at a node this version does not have.
    pub unknown_node: Counts,
    /// Whole paths (choice ids joined by ` → `, `?` for an unattributed step) per agent.
    pub paths: BTreeMap<Agent, BTreeMap<String, u64>>,
    /// The tree has at least one success ending.
    pub has_success: bool,
}

/// Whether a social state is positive: some component above 0, none below.
#[must_use]
pub fn positive_state(state: Option<&[i64]>) -> bool {
    state.is_some_and(|s| s.iter().any(|&v| v > 0) && s.iter().all(|&v| v >= 0))
}

/// Per node: can a `success` ending be reached from it (itself included)? One backward
/// search from the success endings over the choice edges.
#[must_use]
pub fn success_reachable(tree: &WorldTree, index: &NodeIndex) -> Vec<bool> {
    let n = tree.nodes.len();
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, node) in tree.nodes.iter().enumerate() {
        for c in &node.choices {
            if let Some(t) = index.get(&c.target) {
                parents[t].push(i);
            }
        }
    }
    let mut reach = vec![false; n];
    let mut queue: VecDeque<usize> = tree
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| node.kind == NodeKind::Ending && node.outcome == Some(Outcome::Success))
        .map(|(i, _)| i)
        .collect();
    for &i in &queue {
        reach[i] = true;
    }
    while let Some(i) = queue.pop_front() {
        for &p in &parents[i] {
            if !reach[p] {
                reach[p] = true;
                queue.push_back(p);
            }
        }
    }
    reach
}

/// Aggregate the walks of a tree.
#[must_use]
pub fn inspect(tree: &WorldTree, walks: &[Walk]) -> Inspection {
    let index = NodeIndex::new(tree);
    let reach = success_reachable(tree, &index);
    let mut nodes: Vec<NodeStats> = tree
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| NodeStats {
            success_reachable: reach[i],
            choices: node
                .choices
                .iter()
                .map(|c| {
                    let positive = positive_state(c.social_state.as_deref());
                    ChoiceStats {
                        positive,
                        prosocial_failing: positive
                            && index.get(&c.target).is_some_and(|t| !reach[t]),
                        ..ChoiceStats::default()
                    }
                })
                .collect(),
            ..NodeStats::default()
        })
        .collect();
    let mut out = Inspection {
        has_success: reach
            .iter()
            .zip(&tree.nodes)
            .any(|(r, n)| *r && n.kind == NodeKind::Ending),
        ..Inspection::default()
    };
    // Agents are numbered first and counted in vectors; the maps are built once at the end.
    let mut numbers: HashMap<&Agent, usize> = HashMap::new();
    let mut agents: Vec<&Agent> = Vec::new();
    for w in walks {
        numbers.entry(&w.agent).or_insert_with(|| {
            agents.push(&w.agent);
            agents.len() - 1
        });
    }
    let k = agents.len();
    let zeros = || vec![0_u64; k];
    let mut walks_by = zeros();
    let mut other = zeros();
    let mut unknown = zeros();
    let mut decisions: Vec<Vec<u64>> = vec![zeros(); nodes.len()];
    let mut unattributed: Vec<Vec<u64>> = vec![zeros(); nodes.len()];
    let mut reached: Vec<Vec<u64>> = vec![zeros(); nodes.len()];
    let mut taken: Vec<Vec<Vec<u64>>> = tree
        .nodes
        .iter()
        .map(|n| vec![zeros(); n.choices.len()])
        .collect();
    let mut takers: Vec<Vec<Vec<(usize, SessionId)>>> = tree
        .nodes
        .iter()
        .map(|n| vec![Vec::new(); n.choices.len()])
        .collect();
    let mut outcomes: BTreeMap<Outcome, Vec<u64>> = BTreeMap::new();
    // (agent, the (node, choice) of each step, None where unattributed) → walks.
    type PathKey = (usize, Vec<Option<(usize, usize)>>);
    let mut paths: HashMap<PathKey, u64> = HashMap::new();
    for w in walks {
        let a = numbers.get(&w.agent).copied().unwrap_or(0);
        walks_by[a] += 1;
        if w.other_version {
            other[a] += 1;
        }
        let mut path = Vec::with_capacity(w.steps.len());
        for step in &w.steps {
            let Some(n) = step.node else {
                unknown[a] += 1;
                path.push(None);
                continue;
            };
            decisions[n][a] += 1;
            match step.choice {
                Some(c) => {
                    taken[n][c][a] += 1;
                    if !w.agent.is_human() {
                        takers[n][c].push((a, w.session));
                    }
                    path.push(Some((n, c)));
                }
                None => {
                    unattributed[n][a] += 1;
                    path.push(None);
                }
            }
        }
        if let Some((node, outcome)) = &w.ending {
            if let Some(n) = node {
                reached[*n][a] += 1;
            }
            outcomes
                .entry(outcome.unwrap_or(Outcome::Unlabelled))
                .or_insert_with(zeros)[a] += 1;
        }
        if !path.is_empty() || w.ending.is_some() {
            *paths.entry((a, path)).or_default() += 1;
        }
    }
    let counts = |v: &[u64]| -> Counts {
        v.iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (agents[i].clone(), *n))
            .collect()
    };
    for (n, stats) in nodes.iter_mut().enumerate() {
        stats.decisions = counts(&decisions[n]);
        stats.unattributed = counts(&unattributed[n]);
        stats.reached = counts(&reached[n]);
        for (c, choice) in stats.choices.iter_mut().enumerate() {
            choice.taken = counts(&taken[n][c]);
            choice.takers = takers[n][c]
                .iter()
                .map(|(a, id)| (agents[*a].clone(), *id))
                .collect();
        }
    }
    out.walks = counts(&walks_by);
    out.other_version = counts(&other);
    out.unknown_node = counts(&unknown);
    out.outcomes = outcomes.into_iter().map(|(o, v)| (o, counts(&v))).collect();
    for ((a, path), count) in paths {
        let text: Vec<std::borrow::Cow<'_, str>> = path
            .iter()
            .map(|step| match step {
                Some((n, c)) => tree.nodes[*n].choice_id(*c),
                None => std::borrow::Cow::Borrowed("?"),
            })
            .collect();
        *out.paths
            .entry(agents[a].clone())
            .or_default()
            .entry(text.join(" → "))
            .or_default() += count;
    }
    let mut agents: Vec<Agent> = agents.into_iter().cloned().collect();
    agents.sort_by(|a, b| (!a.is_human(), a.name()).cmp(&(!b.is_human(), b.name())));
    out.agents = agents;
    out.nodes = nodes;
    out
}

impl Inspection {
    /// How often a view's agents took choice `c` of node `n`, and the percent of the
    /// decisions they made at that node.
    #[must_use]
    pub fn taken(&self, n: usize, c: usize, view: &View) -> (u64, Option<f64>) {
        let node = &self.nodes[n];
        let taken = node.choices.get(c).map_or(0, |s| total(&s.taken, view));
        (taken, percent(taken, total(&node.decisions, view)))
    }

    /// A view's path distribution: (path, count, percent of the view's walks), most taken
    /// first.
    #[must_use]
    pub fn path_shares(&self, view: &View) -> Vec<(String, u64, f64)> {
        let mut merged: HashMap<&str, u64> = HashMap::new();
        for (agent, paths) in &self.paths {
            if view.counts(agent) {
                for (p, n) in paths {
                    *merged.entry(p.as_str()).or_default() += n;
                }
            }
        }
        let all: u64 = merged.values().sum();
        let mut out: Vec<(String, u64, f64)> = merged
            .into_iter()
            .map(|(p, n)| (p.to_owned(), n, percent(n, all).unwrap_or(0.0)))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// How often each agent took a prosocial-but-failing choice: (agent, times, decisions at
    /// the nodes that offer one).
    #[must_use]
    pub fn prosocial_failing_by_agent(&self) -> Vec<(Agent, u64, u64)> {
        self.agents
            .iter()
            .map(|a| {
                let mut taken = 0;
                let mut offered = 0;
                for node in &self.nodes {
                    if node.choices.iter().any(|c| c.prosocial_failing) {
                        offered += node.decisions.get(a).copied().unwrap_or(0);
                        taken += node
                            .choices
                            .iter()
                            .filter(|c| c.prosocial_failing)
                            .map(|c| c.taken.get(a).copied().unwrap_or(0))
                            .sum::<u64>();
                    }
                }
                (a.clone(), taken, offered)
            })
            .collect()
    }
}
