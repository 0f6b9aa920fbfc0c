//! Semantic checks on a decoded world tree, and the per-tree summary `socius check` prints.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::bessi::{self, Normalized};
use super::diag::{Diagnostic, Severity};
use super::model::{
    FLAG_DEAD_END, FLAG_EMPTY_UTTERANCE, Line, NodeIndex, NodeKind, Outcome, Role, WorldTree,
};

/// Shape numbers of a tree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub nodes: usize,
    /// Nodes that offer at least one choice.
    pub choice_points: usize,
    /// Root-to-leaf paths (saturating).
    pub paths: u64,
    /// Most choice points on one path.
    pub depth: usize,
    /// Fewest choice points on one path.
    pub min_depth: usize,
    pub endings: EndingCounts,
    /// Choices carrying an IAE question.
    pub iae_items: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndingCounts {
    pub success: usize,
    pub partial: usize,
    pub failure: usize,
    pub unlabelled: usize,
}

/// Validate a tree: every problem found, and the summary.
#[must_use]
pub fn validate(tree: &WorldTree) -> (Vec<Diagnostic>, Summary) {
    let mut v = Validator {
        tree,
        diags: Vec::new(),
    };
    v.header();
    v.characters();
    let index = v.node_ids();
    v.nodes(&index);
    let summary = v.graph(&index);
    (v.diags, summary)
}

struct Validator<'a> {
    tree: &'a WorldTree,
    diags: Vec<Diagnostic>,
}

impl Validator<'_> {
    /// A structural problem the source data is known to have (recorded by an importer in
    /// `provenance.flags`) is kept visible as a warning instead of failing the file.
    fn structural(&self, flag: &str) -> Severity {
        if self.tree.has_flag(flag) {
            Severity::Warning
        } else {
            Severity::Error
        }
    }

    fn header(&mut self) {
        let t = self.tree;
        if t.id.trim().is_empty() {
            self.diags
                .push(Diagnostic::error(t.span, "the tree's `id` is empty"));
        }
        if t.nodes.is_empty() {
            self.diags
                .push(Diagnostic::error(t.span, "the tree has no nodes"));
        }
    }

    fn characters(&mut self) {
        let t = self.tree;
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for c in &t.characters {
            if c.name.trim().is_empty() {
                self.diags
                    .push(Diagnostic::error(c.span, "a character without a name"));
            } else if let Some(first) = seen.insert(c.key(), c.span.line) {
                let msg = if c.id.is_some() {
                    format!(
                        "duplicate character id `{}` (first on line {first})",
                        c.key()
                    )
                } else {
                    format!(
                        "duplicate character `{}` (first on line {first}); give one an `id` if \
                         they are different people",
                        c.name
                    )
                };
                self.diags.push(Diagnostic::error(c.span, msg));
            }
        }
        let protagonists: Vec<_> = t
            .characters
            .iter()
            .filter(|c| c.role == Some(Role::Protagonist))
            .collect();
        match protagonists.as_slice() {
            [] => self.diags.push(Diagnostic::error(
                t.span,
                "no character has `role: protagonist`",
            )),
            [_] => {}
            [_, rest @ ..] => {
                for c in rest {
                    self.diags.push(Diagnostic::error(
                        c.span,
                        format!("a second protagonist `{}`; a tree has exactly one", c.name),
                    ));
                }
            }
        }
    }

    fn node_ids(&mut self) -> NodeIndex {
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for n in &self.tree.nodes {
            if n.id.trim().is_empty() {
                self.diags
                    .push(Diagnostic::error(n.span, "a node with an empty `id`"));
            } else if let Some(first) = seen.insert(n.id.as_str(), n.span.line) {
                self.diags.push(Diagnostic::error(
                    n.span,
                    format!("duplicate node id `{}` (first on line {first})", n.id),
                ));
            }
        }
        NodeIndex::new(self.tree)
    }

    fn nodes(&mut self, index: &NodeIndex) {
        let t = self.tree;
        let names: HashSet<&str> = t
            .characters
            .iter()
            .map(super::model::Character::key)
            .collect();
        let protagonist = t.protagonist().map(|c| c.name.as_str());
        let beginnings = t
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Beginning)
            .count();
        if beginnings == 0 && !t.nodes.is_empty() {
            self.diags.push(Diagnostic::error(
                t.span,
                "no node has `type: beginning`; walks need a root",
            ));
        }
        let mut beginning_seen = false;
        for n in &t.nodes {
            if n.kind == NodeKind::Beginning {
                if beginning_seen {
                    self.diags.push(Diagnostic::error(
                        n.span,
                        format!("node `{}` is a second beginning; a tree has one root", n.id),
                    ));
                }
                beginning_seen = true;
            }
            for line in &n.lines {
                match line {
                    Line::Introduce { name, span } if !names.contains(name.as_str()) => {
                        self.diags.push(Diagnostic::error(
                            *span,
                            format!("`introduce: {name}` names no character in `characters`"),
                        ));
                    }
                    Line::Speech(u) if u.text.trim().is_empty() => {
                        self.diags
                            .push(Diagnostic::error(u.span, "an empty speech line"));
                    }
                    _ => {}
                }
            }
            match n.kind {
                NodeKind::Ending => {
                    if !n.choices.is_empty() {
                        self.diags.push(Diagnostic::error(
                            n.span,
                            format!("ending `{}` has choices; endings are leaves", n.id),
                        ));
                    }
                    if matches!(n.outcome, None | Some(Outcome::Unlabelled)) {
                        self.diags.push(Diagnostic::warning(
                            n.span,
                            format!(
                                "ending `{}` is unlabelled (no success/partial/failure outcome); GAE drops walks that end here",
                                n.id
                            ),
                        ));
                    }
                }
                NodeKind::Beginning | NodeKind::Choice => match n.choices.len() {
                    0 => self.diags.push(Diagnostic::new(
                        n.span,
                        self.structural(FLAG_DEAD_END),
                        format!(
                            "{} node `{}` has no choices (a dead end)",
                            n.kind.name(),
                            n.id
                        ),
                    )),
                    1 => self.diags.push(Diagnostic::warning(
                        n.choices[0].span,
                        format!("node `{}` offers a single option", n.id),
                    )),
                    _ => {}
                },
            }
            let mut choice_ids: HashMap<&str, u32> = HashMap::new();
            for c in &n.choices {
                if !c.id.is_empty()
                    && let Some(first) = choice_ids.insert(c.id.as_str(), c.span.line)
                {
                    self.diags.push(Diagnostic::error(
                        c.span,
                        format!(
                            "duplicate choice id `{}` in node `{}` (first on line {first}); \
                             choice ids are unique within a node",
                            c.id, n.id
                        ),
                    ));
                }
                if index.get(&c.target).is_none() {
                    self.diags.push(Diagnostic::error(
                        c.target_span,
                        format!("target `{}` is not a node id", c.target),
                    ));
                }
                if c.say.text.trim().is_empty() {
                    self.diags.push(Diagnostic::new(
                        c.say.span,
                        self.structural(FLAG_EMPTY_UTTERANCE),
                        "the candidate utterance is empty",
                    ));
                }
                if let Some(p) = protagonist
                    && !c.say.speaker.is_empty()
                    && c.say.speaker != p
                    && !self.tree.has_flag(super::model::FLAG_NOT_PLAYABLE_AS_TEXT)
                {
                    self.diags.push(Diagnostic::warning(
                        c.say.span,
                        format!(
                            "the candidate utterance is spoken by `{}`, not the protagonist `{p}`",
                            c.say.speaker
                        ),
                    ));
                }
                for a in &c.abilities {
                    self.ability(a, c.span);
                }
                if let Some(iae) = &c.iae {
                    if iae.question.trim().is_empty() {
                        self.diags.push(Diagnostic::warning(
                            iae.span,
                            "the IAE question is empty; no IAE item is built from it",
                        ));
                    }
                    for a in &iae.abilities {
                        self.ability(a, iae.span);
                    }
                    for d in &iae.distractors {
                        if d.text.trim().is_empty() {
                            self.diags.push(Diagnostic::new(
                                d.span,
                                self.structural(FLAG_EMPTY_UTTERANCE),
                                "an empty distractor",
                            ));
                        }
                    }
                }
            }
        }
    }

    fn ability(&mut self, name: &str, span: super::model::Span) {
        if bessi::is_canonical(name) {
            return;
        }
        let msg = match bessi::normalize(name) {
            Normalized::Exact(n) | Normalized::Repaired(n) => {
                format!("ability `{name}` is not written as a BESSI name; write `{n}`")
            }
            Normalized::Unknown { nearest } => {
                format!("unknown ability `{name}`; the nearest BESSI name is `{nearest}`")
            }
        };
        self.diags.push(Diagnostic::warning(span, msg));
    }

    /// Reachability, cycles, and the path-shaped numbers of the summary.
    fn graph(&mut self, index: &NodeIndex) -> Summary {
        let t = self.tree;
        let n = t.nodes.len();
        let children: Vec<Vec<usize>> = t
            .nodes
            .iter()
            .map(|node| {
                node.choices
                    .iter()
                    .filter_map(|c| index.get(&c.target))
                    .collect()
            })
            .collect();
        let mut summary = Summary {
            nodes: n,
            choice_points: t.nodes.iter().filter(|x| !x.choices.is_empty()).count(),
            iae_items: t
                .nodes
                .iter()
                .flat_map(|x| &x.choices)
                .filter(|c| {
                    c.iae
                        .as_ref()
                        .is_some_and(|i| !i.question.trim().is_empty())
                })
                .count(),
            ..Summary::default()
        };
        let Some(root) = t.start() else {
            return summary;
        };
        // Iterative DFS with colours: 0 new, 1 on the stack, 2 done. Post-order fills the
        // per-node path count and depth range.
        let mut colour = vec![0u8; n];
        let mut paths = vec![0u64; n];
        let mut depth = vec![(0usize, 0usize); n];
        let mut cyclic = false;
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        colour[root] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&w) = children[v].get(*next) {
                *next += 1;
                match colour[w] {
                    0 => {
                        colour[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => {
                        cyclic = true;
                        let choice = t.nodes[v]
                            .choices
                            .iter()
                            .find(|c| c.target == t.nodes[w].id);
                        let span = choice.map_or(t.nodes[v].span, |c| c.target_span);
                        self.diags.push(Diagnostic::error(
                            span,
                            format!(
                                "cycle: `{}` leads back to `{}`; a world tree has no loops",
                                t.nodes[v].id, t.nodes[w].id
                            ),
                        ));
                    }
                    _ => {}
                }
            } else {
                stack.pop();
                colour[v] = 2;
                let kids = &children[v];
                let here = usize::from(!t.nodes[v].choices.is_empty());
                if kids.is_empty() {
                    paths[v] = 1;
                    depth[v] = (here, here);
                } else {
                    paths[v] = kids
                        .iter()
                        .fold(0u64, |acc, &k| acc.saturating_add(paths[k]));
                    let lo = kids.iter().map(|&k| depth[k].0).min().unwrap_or(0);
                    let hi = kids.iter().map(|&k| depth[k].1).max().unwrap_or(0);
                    depth[v] = (lo + here, hi + here);
                }
            }
        }
        for (i, node) in t.nodes.iter().enumerate() {
            if colour[i] == 0 {
                self.diags.push(Diagnostic::error(
                    node.span,
                    format!("node `{}` cannot be reached from the beginning", node.id),
                ));
            } else if node.kind == NodeKind::Ending {
                let e = &mut summary.endings;
                match node.outcome.unwrap_or(Outcome::Unlabelled) {
                    Outcome::Success => e.success += 1,
                    Outcome::Partial => e.partial += 1,
                    Outcome::Failure => e.failure += 1,
                    Outcome::Unlabelled => e.unlabelled += 1,
                }
            }
        }
        if summary.endings.success == 0 {
            self.diags.push(Diagnostic::warning(
                t.span,
                "no success ending can be reached: every GAE walk of this tree fails",
            ));
        }
        if !cyclic {
            summary.paths = paths[root];
            summary.min_depth = depth[root].0;
            summary.depth = depth[root].1;
        }
        summary
    }
}
