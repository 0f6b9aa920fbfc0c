//! The branch inspector's screen: header, the tree of branches with their numbers, the details
//! of the selection, the key hints; the help on top when asked. Text from the script and the
//! sessions goes through [`clean`] / [`clean_field`].

use std::collections::HashSet;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use tui_tree_widget::{Tree, TreeItem};

use super::{centered, clear_for_popup};
use crate::report::inspect::{Agent, ChoiceStats, Counts, View, percent, total};
use crate::script::model::{Line as ScriptLine, NodeKind, Outcome, WorldTree};
use crate::term::{clean, clean_field, truncate};
use crate::tui::i18n::InspectStrings;
use crate::tui::inspect::{Inspector, Key, MAX_REPLIES};
use crate::tui::theme::Theme;

/// Widest a choice's utterance gets on its row.
const ROW_UTTERANCE: usize = 48;
/// Most paths listed in a comparison.
const MAX_PATHS: usize = 12;

fn outcome_word(s: &InspectStrings, o: Outcome) -> &'static str {
    match o {
        Outcome::Success => s.success,
        Outcome::Partial => s.partial,
        Outcome::Failure => s.failure,
        Outcome::Unlabelled => s.unlabelled,
    }
}

fn outcome_style(t: &Theme, o: Option<Outcome>) -> Style {
    match o {
        Some(Outcome::Success) => t.success,
        Some(Outcome::Partial) => t.partial,
        Some(Outcome::Failure) => t.failure,
        _ => t.muted,
    }
}

fn kind_word(s: &InspectStrings, k: NodeKind) -> &'static str {
    match k {
        NodeKind::Beginning => s.beginning,
        NodeKind::Choice => s.choice_node,
        NodeKind::Ending => s.ending,
    }
}

/// `12 (40%)`, or `0 (–)` when nobody decided at the node.
fn count_pct(n: u64, whole: u64) -> String {
    match percent(n, whole) {
        Some(p) => format!("{n} ({p:.0}%)"),
        None => format!("{n} (–)"),
    }
}

fn agent_view(agent: &Agent) -> View {
    View::One(agent.clone())
}

fn view_name(s: &InspectStrings, v: &View) -> String {
    match v {
        View::All => s.everyone.to_owned(),
        View::Humans => s.people.to_owned(),
        View::Models => s.models.to_owned(),
        View::One(a) => clean_field(&a.to_string()).into_owned(),
    }
}

/// A choice row's numbers for the current filter (or the compared pair).
fn choice_counts(insp: &Inspector, n: usize, c: usize) -> String {
    let s = insp.lang.inspect();
    let part = |view: &View| {
        let (taken, pct) = insp.stats.taken(n, c, view);
        match pct {
            Some(p) => format!("{taken} {p:.0}%"),
            None => format!("{taken} –"),
        }
    };
    if insp.comparing
        && let Some((a, b)) = &insp.pair
    {
        return format!("A {} │ B {}", part(&agent_view(a)), part(&agent_view(b)));
    }
    match insp.current_view() {
        View::All => format!(
            "{} {} · {} {}",
            s.people_mark,
            part(&View::Humans),
            s.models_mark,
            part(&View::Models)
        ),
        View::Humans => format!("{} {}", s.people_mark, part(&View::Humans)),
        View::Models => format!("{} {}", s.models_mark, part(&View::Models)),
        v @ View::One(_) => part(v),
    }
}

fn node_label(insp: &Inspector, n: usize) -> Line<'static> {
    let s = insp.lang.inspect();
    let t = &insp.theme;
    let node = &insp.tree.nodes[n];
    let id = clean_field(&node.id).into_owned();
    match node.kind {
        NodeKind::Ending => {
            let outcome = node.outcome.unwrap_or(Outcome::Unlabelled);
            let reached = reached_text(insp, n);
            Line::from(vec![
                Span::styled(format!("■ {id} "), outcome_style(t, Some(outcome))),
                Span::styled(
                    format!("{} · {reached}", outcome_word(s, outcome)),
                    outcome_style(t, Some(outcome)),
                ),
            ])
        }
        kind => {
            let mark = if node.choices.is_empty() {
                "□"
            } else {
                "●"
            };
            Line::from(vec![
                Span::styled(format!("{mark} {id} "), t.heading),
                Span::styled(kind_word(s, kind).to_owned(), t.muted),
            ])
        }
    }
}

fn reached_text(insp: &Inspector, n: usize) -> String {
    let s = insp.lang.inspect();
    let reached = &insp.stats.nodes[n].reached;
    if insp.comparing
        && let Some((a, b)) = &insp.pair
    {
        return format!(
            "{} A {} │ B {}",
            s.reached,
            total(reached, &agent_view(a)),
            total(reached, &agent_view(b))
        );
    }
    match insp.current_view() {
        View::All => format!(
            "{} {} {} · {} {}",
            s.reached,
            s.people_mark,
            total(reached, &View::Humans),
            s.models_mark,
            total(reached, &View::Models)
        ),
        v => format!("{} {}", s.reached, total(reached, v)),
    }
}

fn choice_label(insp: &Inspector, n: usize, c: usize) -> Line<'static> {
    let t = &insp.theme;
    let node = &insp.tree.nodes[n];
    let choice = &node.choices[c];
    let stats = &insp.stats.nodes[n].choices[c];
    let mut spans = vec![Span::styled(
        format!("{} ", clean_field(&node.choice_id(c))),
        t.accent,
    )];
    if stats.prosocial_failing {
        spans.push(Span::styled("⚑ ".to_owned(), t.warning));
    }
    spans.push(Span::styled(
        format!("{} ", choice_counts(insp, n, c)),
        t.text,
    ));
    spans.push(Span::styled(
        format!(
            "“{}”",
            truncate(&clean_field(&choice.say.text), ROW_UTTERANCE)
        ),
        t.muted,
    ));
    Line::from(spans)
}

fn node_item(insp: &Inspector, n: usize, seen: &mut HashSet<usize>) -> TreeItem<'static, Key> {
    seen.insert(n);
    let node = &insp.tree.nodes[n];
    let children: Vec<TreeItem<'static, Key>> = (0..node.choices.len())
        .map(|c| {
            let target = insp.tree.node_index(&node.choices[c].target);
            let child = match target {
                Some(t) if !seen.contains(&t) => Some(node_item(insp, t, seen)),
                Some(t) => Some(TreeItem::new_leaf(
                    Key::Node(t),
                    Line::from(Span::styled(
                        format!(
                            "→ {} {}",
                            clean_field(&insp.tree.nodes[t].id),
                            insp.lang.inspect().seen_above
                        ),
                        insp.theme.muted,
                    )),
                )),
                None => None,
            };
            let label = choice_label(insp, n, c);
            match child {
                Some(child) => TreeItem::new(Key::Choice(c), label.clone(), vec![child])
                    .unwrap_or_else(|_| TreeItem::new_leaf(Key::Choice(c), label)),
                None => TreeItem::new_leaf(Key::Choice(c), label),
            }
        })
        .collect();
    let label = node_label(insp, n);
    if children.is_empty() {
        TreeItem::new_leaf(Key::Node(n), label)
    } else {
        TreeItem::new(Key::Node(n), label.clone(), children)
            .unwrap_or_else(|_| TreeItem::new_leaf(Key::Node(n), label))
    }
}

/// The tree widget's items: from the start node down, each node expanded once (a node reached
/// again is a leaf saying so); nodes no walk from the start reaches follow as roots of their
/// own.
#[must_use]
pub fn items(insp: &Inspector) -> Vec<TreeItem<'static, Key>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    if let Some(start) = insp.tree.start() {
        out.push(node_item(insp, start, &mut seen));
    }
    for n in 0..insp.tree.nodes.len() {
        if !seen.contains(&n) {
            out.push(node_item(insp, n, &mut seen));
        }
    }
    out
}

fn heading(t: &Theme, text: &str) -> Line<'static> {
    Line::from(Span::styled(text.to_owned(), t.heading))
}

fn plain(style: Style, text: String) -> Line<'static> {
    Line::from(Span::styled(text, style))
}

/// The views listed in a per-agent table: the filter's agents, with the people's and models'
/// totals first under "everyone".
fn table_views(insp: &Inspector) -> Vec<View> {
    if insp.comparing
        && let Some((a, b)) = &insp.pair
    {
        return vec![agent_view(a), agent_view(b)];
    }
    let current = insp.current_view().clone();
    let mut out = Vec::new();
    match &current {
        View::All => {
            out.push(View::Humans);
            out.push(View::Models);
        }
        View::Humans | View::Models => out.push(current.clone()),
        View::One(_) => {}
    }
    out.extend(
        insp.stats
            .agents
            .iter()
            .filter(|a| current.counts(a))
            .map(agent_view),
    );
    out
}

fn counts_table(
    insp: &Inspector,
    counts: &Counts,
    base: Option<&Counts>,
    out: &mut Vec<Line<'static>>,
) {
    let s = insp.lang.inspect();
    let t = &insp.theme;
    for v in table_views(insp) {
        let n = total(counts, &v);
        let text = match base {
            Some(b) => count_pct(n, total(b, &v)),
            None => n.to_string(),
        };
        let name = if insp.comparing {
            let mark = match &insp.pair {
                Some((a, _)) if View::One(a.clone()) == v => "A ",
                _ => "B ",
            };
            format!("{mark}{}", view_name(s, &v))
        } else {
            view_name(s, &v)
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {}  ", truncate(&name, 36)), t.muted),
            Span::styled(text, t.text),
        ]));
    }
}

fn node_detail(insp: &Inspector, n: usize, out: &mut Vec<Line<'static>>) {
    let s = insp.lang.inspect();
    let t = &insp.theme;
    let node = &insp.tree.nodes[n];
    let stats = &insp.stats.nodes[n];
    let mut title = vec![Span::styled(
        format!("{} {}", kind_word(s, node.kind), clean_field(&node.id)),
        t.heading,
    )];
    if node.kind == NodeKind::Ending {
        let o = node.outcome.unwrap_or(Outcome::Unlabelled);
        title.push(Span::styled(
            format!(" · {}", outcome_word(s, o)),
            outcome_style(t, Some(o)),
        ));
    }
    out.push(Line::from(title));
    if !node.lines.is_empty() {
        out.push(heading(t, s.dialogue));
        for line in &node.lines {
            match line {
                ScriptLine::Speech(u) => out.push(Line::from(vec![
                    Span::styled(
                        format!("{}{}", clean_field(&u.speaker), insp.lang.strings().colon),
                        t.speaker(&u.speaker),
                    ),
                    Span::styled(clean(&u.text).into_owned(), t.text),
                ])),
                ScriptLine::Narration { text, .. } => {
                    out.push(plain(t.narration, clean(text).into_owned()));
                }
                ScriptLine::Introduce { name, .. } => {
                    out.push(plain(t.muted, format!("+ {}", clean_field(name))));
                }
            }
        }
    }
    if node.kind == NodeKind::Ending || !stats.reached.is_empty() {
        out.push(heading(t, s.reached));
        counts_table(insp, &stats.reached, None, out);
    }
    if !node.choices.is_empty() {
        out.push(heading(t, s.decisions_here));
        counts_table(insp, &stats.decisions, None, out);
        if !stats.unattributed.is_empty() {
            out.push(heading(t, s.unattributed));
            counts_table(insp, &stats.unattributed, Some(&stats.decisions), out);
        }
    }
}

fn choice_detail(insp: &Inspector, n: usize, c: usize, out: &mut Vec<Line<'static>>) {
    let s = insp.lang.inspect();
    let t = &insp.theme;
    let node = &insp.tree.nodes[n];
    let choice = &node.choices[c];
    let stats: &ChoiceStats = &insp.stats.nodes[n].choices[c];
    let colon = insp.lang.strings().colon;
    let target = insp.tree.node_index(&choice.target);
    let target_style = target.map_or(t.muted, |i| {
        let tn = &insp.tree.nodes[i];
        if tn.kind == NodeKind::Ending {
            outcome_style(t, Some(tn.outcome.unwrap_or(Outcome::Unlabelled)))
        } else {
            t.text
        }
    });
    out.push(Line::from(vec![
        Span::styled(
            format!("{} {} ", s.choice, clean_field(&node.choice_id(c))),
            t.heading,
        ),
        Span::styled(
            format!("{} {}", s.leads_to, clean_field(&choice.target)),
            target_style,
        ),
    ]));
    let kind = match choice.kind {
        crate::script::model::ChoiceKind::Skill => "skill",
        crate::script::model::ChoiceKind::Situation => "situation",
    };
    out.push(plain(t.muted, format!("{}{colon}{kind}", s.kind)));
    if !choice.abilities.is_empty() {
        out.push(plain(
            t.text,
            format!(
                "{}{colon}{}",
                s.abilities,
                clean_field(&choice.abilities.join(", "))
            ),
        ));
    }
    let state = choice.social_state.as_ref().map_or_else(
        || s.none.to_owned(),
        |v| {
            format!(
                "[{}]",
                v.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            )
        },
    );
    let mut state_line = vec![Span::styled(
        format!("{}{colon}{state}", s.social_state),
        t.text,
    )];
    if stats.positive {
        state_line.push(Span::styled(format!(" · {}", s.positive), t.success));
    }
    out.push(Line::from(state_line));
    if stats.prosocial_failing {
        out.push(plain(t.warning, s.prosocial_failing.to_owned()));
    }
    out.push(heading(t, s.says));
    out.push(Line::from(vec![
        Span::styled(
            format!("{}{colon}", clean_field(&choice.say.speaker)),
            t.speaker(&choice.say.speaker),
        ),
        Span::styled(clean(&choice.say.text).into_owned(), t.text),
    ]));
    out.push(heading(
        t,
        &format!("{} · {} ({})", s.by_agent, s.taken, s.of_decisions),
    ));
    counts_table(
        insp,
        &stats.taken,
        Some(&insp.stats.nodes[n].decisions),
        out,
    );
    match insp.current_replies() {
        Some(Ok(replies)) if !replies.is_empty() => {
            out.push(heading(t, s.explanations));
            for (agent, session, calls) in replies {
                out.push(plain(
                    t.accent,
                    format!(
                        "{} · {} {}",
                        clean_field(&agent.to_string()),
                        s.session,
                        session
                    ),
                ));
                for call in calls {
                    if let Some(p) = &call.parsed {
                        out.push(plain(
                            t.muted,
                            format!("  {}{colon}{}", s.parsed, clean_field(p)),
                        ));
                    }
                    if let Some(e) = &call.explanation {
                        out.push(plain(
                            t.text,
                            format!("  {}{colon}{}", s.explanation, clean(e)),
                        ));
                    }
                    if let Some(r) = &call.raw_reply {
                        out.push(plain(
                            t.muted,
                            format!("  {}{colon}{}", s.raw_reply, clean(r)),
                        ));
                    }
                    if let Some(e) = &call.error {
                        out.push(plain(t.error, format!("  {}{colon}{}", s.error, clean(e))));
                    }
                }
            }
            let more = stats
                .takers
                .iter()
                .filter(|(a, _)| match (&insp.pair, insp.comparing) {
                    (Some((x, y)), true) => a == x || a == y,
                    _ => insp.current_view().counts(a),
                })
                .count()
                .saturating_sub(MAX_REPLIES);
            if more > 0 {
                out.push(plain(t.muted, format!("  … +{more}")));
            }
        }
        Some(Err(e)) => out.push(plain(t.error, format!("{}{colon}{}", s.error, clean(e)))),
        _ => {}
    }
}

/// The whole tree's numbers: endings reached by outcome, the prosocial-but-failing choices
/// taken, and (comparing) the two path distributions side by side.
fn overview(insp: &Inspector, width: usize, out: &mut Vec<Line<'static>>) {
    let s = insp.lang.inspect();
    let t = &insp.theme;
    if insp.stats.agents.is_empty() {
        out.push(plain(t.muted, s.no_walks.to_owned()));
        return;
    }
    out.push(heading(t, s.walks_heading));
    counts_table(insp, &insp.stats.walks, None, out);
    out.push(heading(t, s.outcomes));
    // One line per outcome: people and models (everyone), the filter's total, or A and B.
    let labelled: Vec<(String, View)> = match (&insp.pair, insp.current_view()) {
        (Some((a, b)), _) if insp.comparing => vec![
            ("A ".to_owned(), agent_view(a)),
            ("B ".to_owned(), agent_view(b)),
        ],
        (_, View::All) => vec![
            (format!("{} ", s.people_mark), View::Humans),
            (format!("{} ", s.models_mark), View::Models),
        ],
        (_, v) => vec![(String::new(), v.clone())],
    };
    for (outcome, counts) in &insp.stats.outcomes {
        let parts: Vec<String> = labelled
            .iter()
            .map(|(label, v)| format!("{label}{}", total(counts, v)))
            .collect();
        out.push(Line::from(vec![
            Span::styled(
                format!("  {}  ", outcome_word(s, *outcome)),
                outcome_style(t, Some(*outcome)),
            ),
            Span::styled(parts.join(" · "), t.text),
        ]));
    }
    let pf = insp.stats.prosocial_failing_by_agent();
    if insp
        .stats
        .nodes
        .iter()
        .any(|n| n.choices.iter().any(|c| c.prosocial_failing))
    {
        out.push(heading(t, s.pf_taken));
        for (agent, taken, offered) in pf {
            let shown = if insp.comparing {
                insp.pair
                    .as_ref()
                    .is_some_and(|(a, b)| *a == agent || *b == agent)
            } else {
                insp.current_view().counts(&agent)
            };
            if shown {
                let mark = match &insp.pair {
                    Some((a, _)) if insp.comparing && *a == agent => "A ",
                    Some(_) if insp.comparing => "B ",
                    _ => "",
                };
                out.push(Line::from(vec![
                    Span::styled(
                        format!(
                            "  {mark}{}  ",
                            truncate(&clean_field(&agent.to_string()), 36)
                        ),
                        t.muted,
                    ),
                    Span::styled(count_pct(taken, offered), t.text),
                ]));
            }
        }
    }
    if !insp.stats.unknown_node.is_empty() {
        out.push(plain(
            t.warning,
            format!(
                "{}: {}",
                s.unknown_node,
                total(&insp.stats.unknown_node, &View::All)
            ),
        ));
    }
    if insp.comparing
        && let Some((a, b)) = &insp.pair
    {
        let pa = insp.stats.path_shares(&agent_view(a));
        let pb = insp.stats.path_shares(&agent_view(b));
        out.push(heading(
            t,
            &format!(
                "{} · A {} │ B {}",
                s.paths,
                clean_field(&a.to_string()),
                clean_field(&b.to_string())
            ),
        ));
        let mut order: Vec<&str> = Vec::new();
        for (p, _, _) in pa.iter().chain(pb.iter()) {
            if !order.contains(&p.as_str()) {
                order.push(p);
            }
        }
        let share = |list: &[(String, u64, f64)], p: &str| {
            list.iter()
                .find(|(q, _, _)| q == p)
                .map_or_else(|| "–".to_owned(), |(_, n, pct)| format!("{n} {pct:.0}%"))
        };
        for p in order.iter().take(MAX_PATHS) {
            let nums = format!("A {:>8} │ B {:>8}  ", share(&pa, p), share(&pb, p));
            let room = width.saturating_sub(crate::term::width(&nums)).max(8);
            out.push(Line::from(vec![
                Span::styled(nums, t.text),
                Span::styled(truncate(&clean_field(p), room), t.muted),
            ]));
        }
        if order.len() > MAX_PATHS {
            out.push(plain(t.muted, format!("… +{}", order.len() - MAX_PATHS)));
        }
    }
}

/// The details pane's lines for the selection.
#[must_use]
pub fn detail(insp: &Inspector, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let start = insp.tree.start();
    match insp.selection() {
        Some((n, Some(c))) if c < insp.tree.nodes[n].choices.len() => {
            choice_detail(insp, n, c, &mut out);
        }
        Some((n, _)) if n < insp.tree.nodes.len() => {
            node_detail(insp, n, &mut out);
            if Some(n) == start {
                overview(insp, width, &mut out);
            }
        }
        _ => overview(insp, width, &mut out),
    }
    out
}

fn header(insp: &Inspector, width: usize) -> Text<'static> {
    let s = insp.lang.inspect();
    let t = &insp.theme;
    let tree: &WorldTree = &insp.tree;
    let walks = &insp.stats.walks;
    let counts = format!(
        " · {} {} · {} {} {} · ",
        s.people_mark,
        total(walks, &View::Humans),
        s.models_mark,
        total(walks, &View::Models),
        s.walks,
    );
    let filter = match &insp.pair {
        Some((a, b)) if insp.comparing => format!(
            "{}: A {} │ B {}",
            s.compare,
            clean_field(&a.to_string()),
            clean_field(&b.to_string())
        ),
        _ => format!("{}: {}", s.filter, view_name(s, insp.current_view())),
    };
    let name = format!(
        "{} · {} ({})",
        s.title,
        clean_field(&tree.title),
        clean_field(&tree.id)
    );
    let room = width
        .saturating_sub(crate::term::width(&counts) + crate::term::width(&filter))
        .max(12);
    let first = vec![
        Span::styled(truncate(&name, room), t.heading),
        Span::styled(counts, t.muted),
        Span::styled(filter, t.accent),
    ];
    let mut notes = Vec::new();
    let other = total(&insp.stats.other_version, &View::All);
    if other > 0 {
        notes.push(Span::styled(
            format!("{} ", s.other_version.replace("{n}", &other.to_string())),
            t.warning,
        ));
    }
    if !insp.stats.has_success {
        notes.push(Span::styled(format!("{} ", s.no_success), t.warning));
    }
    if notes.is_empty() {
        notes.push(Span::styled(s.legend.to_owned(), t.muted));
    }
    Text::from(vec![Line::from(first), Line::from(notes)])
}

fn boxed<'a>(t: &Theme, title: &str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(t.border)
        .title(Span::styled(format!(" {title} "), t.heading))
}

fn help(frame: &mut Frame<'_>, area: Rect, insp: &Inspector) {
    let s = insp.lang.inspect();
    let t = &insp.theme;
    let mut lines: Vec<Line<'static>> = s
        .help
        .iter()
        .map(|(keys, what)| {
            let pad = 14usize.saturating_sub(crate::term::width(keys)).max(1);
            Line::from(vec![
                Span::styled(format!(" {keys}{}", " ".repeat(pad)), t.accent),
                Span::styled((*what).to_owned(), t.text),
            ])
        })
        .collect();
    lines.push(Line::default());
    lines.push(plain(t.muted, s.legend.to_owned()));
    let w = area.width.saturating_sub(4).min(76);
    let h = u16::try_from(lines.len() + 3).unwrap_or(u16::MAX);
    let rect = centered(area, w, h);
    clear_for_popup(frame, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(boxed(t, s.help_title).border_style(t.border_focus)),
        rect,
    );
}

/// Draw the inspector.
pub fn render(frame: &mut Frame<'_>, insp: &mut Inspector) {
    let area = frame.area();
    let s = insp.lang.inspect();
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(4),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(header(insp, usize::from(top.width))), top);
    let wide = body.width >= 110;
    let [left, right] = if wide {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body)
    } else {
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body)
    };
    let theme = insp.theme.clone();
    match Tree::new(&insp.items) {
        Ok(tree) => {
            let tree = tree
                .block(boxed(&theme, s.branches))
                .highlight_style(theme.selection)
                .highlight_symbol("▶ ")
                .style(theme.text);
            frame.render_stateful_widget(tree, left, &mut insp.state);
        }
        Err(e) => frame.render_widget(
            Paragraph::new(format!("{e}")).block(boxed(&theme, s.branches)),
            left,
        ),
    }
    let inner_width = usize::from(right.width.saturating_sub(2));
    let lines = detail(insp, inner_width);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((insp.scroll, 0))
            .block(boxed(&theme, s.details)),
        right,
    );
    let status = match &insp.message {
        Some(m) => Span::styled(m.clone(), theme.warning),
        None => Span::styled(s.hints.to_owned(), theme.status_bar),
    };
    frame.render_widget(
        Paragraph::new(Line::from(status)).style(theme.status_bar),
        bottom,
    );
    if insp.help {
        help(frame, area, insp);
    }
}
