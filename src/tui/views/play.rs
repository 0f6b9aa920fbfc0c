//! Drawing the play screen: transcript (scenario, cards, dialogue), the character panel on wide
//! terminals, and the options pane. Text is wrapped by display width before it reaches ratatui.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Ctx;
use crate::engine::DropReason;
use crate::script::model::{self, Character, Outcome, Role, WorldTree};
use crate::tui::play::{Entry, Phase, Play};
use crate::tui::wrap::{width, wrap};

/// Width at which the character panel moves to the side.
pub const WIDE: u16 = 110;
const PANEL_WIDTH: u16 = 40;

/// Push `text` wrapped to `w` columns, every line styled alike, with an indent.
fn push_wrapped(out: &mut Vec<Line<'static>>, text: &str, w: usize, indent: usize, style: Style) {
    let pad = " ".repeat(indent);
    for l in wrap(text, w.saturating_sub(indent).max(4)) {
        out.push(Line::from(Span::styled(format!("{pad}{l}"), style)));
    }
}

/// `Name: text`, continuation lines aligned under the text; a long name gets its own line.
fn push_speech(
    out: &mut Vec<Line<'static>>,
    colon: &str,
    name: &str,
    text: &str,
    w: usize,
    (name_style, text_style): (Style, Style),
    marker: &str,
) {
    let prefix = format!("{marker}{name}{colon}");
    let pw = width(&prefix);
    if pw * 3 > w {
        out.push(Line::from(Span::styled(
            format!("{marker}{name}"),
            name_style,
        )));
        push_wrapped(out, text, w, 2, text_style);
        return;
    }
    let lines = wrap(text, w - pw);
    for (i, l) in lines.into_iter().enumerate() {
        if i == 0 {
            out.push(Line::from(vec![
                Span::styled(prefix.clone(), name_style),
                Span::styled(l, text_style),
            ]));
        } else {
            out.push(Line::from(Span::styled(
                format!("{}{l}", " ".repeat(pw)),
                text_style,
            )));
        }
    }
}

/// Characters visible so far: protagonist, supporting, and those introduced in the transcript.
fn visible_characters<'t>(tree: &'t WorldTree, transcript: &[Entry]) -> Vec<&'t Character> {
    let mut out: Vec<&Character> = tree
        .characters
        .iter()
        .filter(|c| c.role == Some(Role::Protagonist))
        .chain(
            tree.characters
                .iter()
                .filter(|c| c.role == Some(Role::Supporting)),
        )
        .collect();
    for e in transcript {
        if let Entry::Line { node, line } = e
            && let Some(model::Line::Introduce { name: key, .. }) =
                tree.nodes[*node].lines.get(*line)
            && !out.iter().any(|c| c.key() == key)
            && let Some(c) = tree.character(key)
        {
            out.push(c);
        }
    }
    out
}

fn push_cards(out: &mut Vec<Line<'static>>, ctx: &Ctx<'_>, play: &Play, w: usize) {
    let s = ctx.s;
    let t = ctx.theme;
    out.push(Line::from(Span::styled(s.characters.to_owned(), t.heading)));
    for c in visible_characters(&play.tree, &play.transcript) {
        let me = c.role == Some(Role::Protagonist);
        let mut name = c.name.clone();
        if me {
            name.push_str(&format!(" ({})", s.you));
        }
        let style = if me {
            t.protagonist
        } else {
            t.speaker(&c.name)
        };
        out.push(Line::from(Span::styled(format!("• {name}"), style)));
        if !c.public_profile.is_empty() {
            push_wrapped(out, &c.public_profile, w, 2, t.text);
        }
        if me {
            if !c.goal.is_empty() {
                push_labelled(out, s.goal, &c.goal, w, ctx);
            }
            if !c.private_profile.is_empty() {
                push_labelled(out, s.private, &c.private_profile, w, ctx);
            }
        }
    }
}

fn push_labelled(out: &mut Vec<Line<'static>>, label: &str, text: &str, w: usize, ctx: &Ctx<'_>) {
    let first = format!("{label}{}{text}", ctx.s.colon);
    let lines = wrap(&first, w.saturating_sub(2).max(4));
    for (i, l) in lines.into_iter().enumerate() {
        if i == 0 && l.starts_with(label) {
            let rest = l[label.len()..].to_owned();
            out.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(label.to_owned(), ctx.theme.accent),
                Span::styled(rest, ctx.theme.text),
            ]));
        } else {
            out.push(Line::from(Span::styled(format!("  {l}"), ctx.theme.text)));
        }
    }
}

fn outcome_text<'a>(
    ctx: &Ctx<'a>,
    outcome: Option<Outcome>,
    dropped: Option<DropReason>,
) -> (&'a str, Style) {
    let s = ctx.s;
    let t = ctx.theme;
    match (outcome, dropped) {
        (Some(Outcome::Success), _) => (s.success, t.success),
        (Some(Outcome::Partial), _) => (s.partial, t.partial),
        (Some(Outcome::Failure), _) => (s.failure, t.failure),
        (_, Some(DropReason::DeadEnd)) => (s.dead_end, t.warning),
        _ => (s.unlabelled, t.warning),
    }
}

/// Training feedback: whether the answer was right, the reply that shows the item's ability,
/// and the ability with its category.
fn push_feedback(
    out: &mut Vec<Line<'static>>,
    ctx: &Ctx<'_>,
    tree: &WorldTree,
    item: &crate::engine::iae::ItemRef,
    correct: bool,
    w: usize,
) {
    let t = ctx.theme;
    let s = ctx.s;
    let abilities = crate::driver::records::item_abilities(tree, item);
    let named: Vec<String> = abilities
        .iter()
        .map(|a| match crate::script::bessi::category_of(a) {
            Some(c) => format!("{a} ({c})"),
            None => a.clone(),
        })
        .collect();
    let ability = if named.is_empty() {
        s.feedback_no_ability.to_owned()
    } else {
        named.join(", ")
    };
    let (head, style) = if correct {
        (s.feedback_right, t.success)
    } else {
        (s.feedback_wrong, t.failure)
    };
    push_wrapped(out, &head.replace("{ability}", &ability), w, 0, style);
    if let Some(c) = tree
        .nodes
        .get(item.node)
        .and_then(|n| n.choices.get(item.choice))
    {
        let colon = match tree.language {
            model::Language::Zh => "：",
            model::Language::En => ": ",
        };
        push_speech(
            out,
            colon,
            &c.say.speaker,
            &c.say.text,
            w,
            (t.protagonist, t.text),
            "✓ ",
        );
    }
}

/// The transcript as styled, wrapped lines.
#[must_use]
pub fn transcript_lines(
    ctx: &Ctx<'_>,
    play: &Play,
    w: usize,
    with_cards: bool,
) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let s = ctx.s;
    let tree = &play.tree;
    let mut out = Vec::new();
    if !tree.scenario.is_empty() {
        out.push(Line::from(Span::styled(s.scenario.to_owned(), t.heading)));
        push_wrapped(&mut out, &tree.scenario, w, 0, t.text);
        out.push(Line::default());
    }
    if with_cards {
        push_cards(&mut out, ctx, play, w);
        out.push(Line::default());
    }
    if matches!(play.phase, Phase::Intro) {
        out.push(Line::from(Span::styled(
            s.press_enter_begin.to_owned(),
            t.accent,
        )));
        return out;
    }
    let protagonist = tree.protagonist().map(|c| c.name.as_str()).unwrap_or("");
    // Speech follows the script's language; labels follow the interface's.
    let colon = match tree.language {
        model::Language::Zh => "：",
        model::Language::En => ": ",
    };
    for e in &play.transcript {
        match e {
            Entry::Line { node, line } => match tree.nodes[*node].lines.get(*line) {
                Some(model::Line::Speech(u)) => {
                    let style = if u.speaker == protagonist {
                        t.protagonist
                    } else {
                        t.speaker(&u.speaker)
                    };
                    push_speech(&mut out, colon, &u.speaker, &u.text, w, (style, t.text), "");
                }
                Some(model::Line::Narration { text, .. }) => {
                    push_wrapped(&mut out, text, w, 0, t.narration);
                }
                Some(model::Line::Introduce { name: key, .. }) => {
                    let name = tree
                        .character(key)
                        .map_or(key.as_str(), |c| c.name.as_str());
                    out.push(Line::from(Span::styled(
                        format!("— {name} {} —", s.enters),
                        t.muted,
                    )));
                }
                None => {}
            },
            Entry::Chosen { node, choice } => {
                if let Some(c) = tree.nodes[*node].choices.get(*choice) {
                    push_speech(
                        &mut out,
                        colon,
                        &c.say.speaker,
                        &c.say.text,
                        w,
                        (t.protagonist, t.text),
                        "▶ ",
                    );
                }
            }
            Entry::ItemHeader { index, total } => {
                out.push(Line::from(Span::styled(
                    format!("{} {}/{}", s.item, index + 1, total),
                    t.heading,
                )));
            }
            Entry::Answered { correct } => {
                let (mark, text, style) = match correct {
                    None => ("✓", s.answer_recorded, t.muted),
                    Some(true) => ("✓", s.correct, t.success),
                    Some(false) => ("✗", s.incorrect, t.failure),
                };
                out.push(Line::from(Span::styled(format!("{mark} {text}"), style)));
            }
            Entry::Ending {
                outcome, dropped, ..
            } => {
                out.push(Line::default());
                let (text, style) = outcome_text(ctx, *outcome, *dropped);
                out.push(Line::from(vec![
                    Span::styled(format!("■ {} — {}: ", s.the_end, s.outcome), t.heading),
                    Span::styled(text.to_owned(), style),
                ]));
            }
            Entry::Feedback { item, correct } => {
                push_feedback(&mut out, ctx, tree, item, *correct, w);
            }
            Entry::Hold => {}
            Entry::ItemsDone => {
                out.push(Line::default());
                let (n, _) = play.item_score();
                out.push(Line::from(Span::styled(
                    format!("■ {} ({n})", s.items_done),
                    t.heading,
                )));
            }
        }
    }
    if matches!(play.phase, Phase::Over) {
        out.push(Line::from(Span::styled(
            if play.from_queue {
                ctx.lang.queue_strings().finished_hint
            } else {
                s.finished_hint
            }
            .to_owned(),
            t.muted,
        )));
    } else if play.has_pending_lines() {
        out.push(Line::from(Span::styled(
            format!("▼ {}", s.press_enter_more),
            t.accent,
        )));
    }
    out
}

/// The options pane's lines and, per option, its first and last line index.
fn option_lines(ctx: &Ctx<'_>, play: &Play, w: usize) -> (Vec<Line<'static>>, Vec<(usize, usize)>) {
    let t = ctx.theme;
    let mut out = Vec::new();
    let mut ranges = Vec::new();
    let tree = &play.tree;
    let texts: Vec<String> = match &play.phase {
        Phase::Gae(q) => q
            .order
            .iter()
            .map(|&c| tree.nodes[q.node].choices[c].say.text.clone())
            .collect(),
        Phase::Iae(q) => {
            let c = &tree.nodes[q.item.node].choices[q.item.choice];
            q.order
                .iter()
                .map(|&src| {
                    if src == 0 {
                        c.say.text.clone()
                    } else {
                        c.iae
                            .as_ref()
                            .and_then(|i| i.distractors.get(src - 1))
                            .map(|d| d.text.clone())
                            .unwrap_or_default()
                    }
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let selected = play.selected();
    for (i, text) in texts.iter().enumerate() {
        let is_sel = selected == Some(i);
        // The selection is marked by a sign as well as by colour (some terminals show no
        // background colours).
        let number = format!("{}{}. ", if is_sel { "▶ " } else { "  " }, i + 1);
        let nw = width(&number);
        let start = out.len();
        let text_style = if is_sel { t.selection } else { t.text };
        let num_style = if is_sel { t.selection } else { t.option_number };
        for (k, l) in wrap(text, w.saturating_sub(nw).max(4))
            .into_iter()
            .enumerate()
        {
            let lead = if k == 0 {
                number.clone()
            } else {
                " ".repeat(nw)
            };
            let pad = w.saturating_sub(nw + width(&l));
            let tail = if is_sel {
                " ".repeat(pad)
            } else {
                String::new()
            };
            out.push(Line::from(vec![
                Span::styled(lead, num_style),
                Span::styled(format!("{l}{tail}"), text_style),
            ]));
        }
        ranges.push((start, out.len() - 1));
    }
    (out, ranges)
}

/// The IAE question above its options (it stays in place while the options scroll).
fn question_lines(ctx: &Ctx<'_>, play: &Play, w: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Phase::Iae(q) = &play.phase
        && let Some(iae) = &play.tree.nodes[q.item.node].choices[q.item.choice].iae
    {
        push_wrapped(&mut out, &iae.question, w, 0, ctx.theme.question);
    }
    out
}

/// Rows kept for the story above the options when the options need the room.
const MIN_STORY_ROWS: u16 = 3;

/// Where everything of the play screen goes in an area: computed the same way for drawing and
/// for the state (which needs to know whether every option is on screen, and how far the
/// transcript and the options can scroll).
#[derive(Debug, Clone)]
pub struct Geometry {
    /// The character panel (wide terminals).
    pub side: Option<Rect>,
    /// The transcript, and its "press Enter to begin" line pinned below it in the intro.
    pub text: Rect,
    pub pinned: Option<Rect>,
    /// Lines of the transcript at the text's width.
    pub text_lines: usize,
    /// The options box (borders included); `None` when no question is asked.
    pub options: Option<Rect>,
    /// Lines of the IAE question, pinned at the top of the options box.
    pub question_lines: usize,
    /// Lines of the options and each option's first and last line.
    pub option_lines: usize,
    pub option_ranges: Vec<(usize, usize)>,
}

impl Geometry {
    /// Rows inside the options box.
    #[must_use]
    pub fn options_height(&self) -> usize {
        self.options.map_or(0, |r| {
            usize::from(r.height.saturating_sub(2)).saturating_sub(self.question_lines)
        })
    }

    /// The options do not all fit in their box.
    #[must_use]
    pub fn options_overflow(&self) -> bool {
        self.option_lines > self.options_height()
    }

    /// The furthest the options pane scrolls.
    #[must_use]
    pub fn max_options_scroll(&self) -> usize {
        self.option_lines.saturating_sub(self.options_height())
    }

    /// The furthest the transcript scrolls back.
    #[must_use]
    pub fn max_text_scroll(&self) -> usize {
        self.text_lines
            .saturating_sub(usize::from(self.text.height))
    }

    /// With the options scrolled by `scroll`: whether the last option's last line is visible.
    #[must_use]
    pub fn last_option_visible(&self, scroll: usize) -> bool {
        let h = self.options_height();
        h > 0 && self.option_lines <= scroll + h
    }
}

/// Lay out the play screen in `area`.
#[must_use]
pub fn geometry(ctx: &Ctx<'_>, play: &Play, area: Rect) -> Geometry {
    lay_out(ctx, play, area).0
}

/// The lines the layout was computed from, so drawing does not wrap them a second time.
struct Drawn {
    transcript: Vec<Line<'static>>,
    question: Vec<Line<'static>>,
    options: Vec<Line<'static>>,
}

fn lay_out(ctx: &Ctx<'_>, play: &Play, area: Rect) -> (Geometry, Drawn) {
    let wide = area.width >= WIDE;
    let (main, side) = if wide {
        let cols = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Min(40), Constraint::Length(PANEL_WIDTH)])
            .split(area);
        (cols[0], Some(cols[1]))
    } else {
        (area, None)
    };
    let inner_w = usize::from(main.width.saturating_sub(2)).max(8);
    let (opts, option_ranges) = option_lines(ctx, play, inner_w);
    // The question keeps at most half the box; the options scroll below it.
    let question_text = question_lines(ctx, play, inner_w);
    let question = question_text.len();
    // The options come first: they take what they need, leaving the story a few rows.
    let opts_h = if opts.is_empty() {
        0
    } else {
        let want = u16::try_from(question + opts.len() + 2).unwrap_or(u16::MAX);
        want.min(main.height.saturating_sub(MIN_STORY_ROWS)).max(3)
    };
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(1), Constraint::Length(opts_h)])
        .split(main);
    // The introduction keeps its "press Enter" line pinned below it, since it is read from
    // the top.
    let (text, pinned) = if matches!(play.phase, Phase::Intro) && rows[0].height > 2 {
        let parts = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Min(1), Constraint::Length(1)])
            .split(rows[0]);
        (parts[0], Some(parts[1]))
    } else {
        (rows[0], None)
    };
    let tw = usize::from(text.width.saturating_sub(1)).max(8);
    let mut transcript = transcript_lines(ctx, play, tw, !wide);
    if pinned.is_some() {
        // The pinned line says it already.
        transcript.pop();
    }
    let g = Geometry {
        side,
        text,
        pinned,
        text_lines: transcript.len(),
        options: (opts_h > 0).then_some(rows[1]),
        question_lines: question.min(usize::from(opts_h.saturating_sub(2)) / 2),
        option_lines: opts.len(),
        option_ranges,
    };
    let drawn = Drawn {
        transcript,
        question: question_text,
        options: opts,
    };
    (g, drawn)
}

/// The options pane's scroll that shows the option at `position` whole (as near to `scroll` as
/// possible).
#[must_use]
pub fn scroll_to_option(g: &Geometry, scroll: usize, position: usize) -> usize {
    let h = g.options_height().max(1);
    match g.option_ranges.get(position) {
        Some(&(start, end)) if end >= scroll + h => (end + 1).saturating_sub(h).min(start),
        Some(&(start, _)) if start < scroll => start,
        _ => scroll,
    }
}

/// Draw the play screen into `area`.
pub fn render(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, play: &Play) {
    let t = ctx.theme;
    let (g, drawn) = lay_out(ctx, play, area);
    if let Some(side) = g.side {
        let block = Block::default()
            .borders(Borders::LEFT)
            .border_style(t.border);
        let inner = block.inner(side);
        frame.render_widget(block, side);
        let mut lines = Vec::new();
        push_cards(
            &mut lines,
            ctx,
            play,
            usize::from(inner.width.saturating_sub(1)),
        );
        frame.render_widget(Paragraph::new(lines), inner);
    }
    if let Some(pin) = g.pinned {
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("▶ {}", ctx.s.press_enter_begin),
                t.accent,
            )),
            pin,
        );
    }
    let lines = drawn.transcript;
    // Following the bottom unless scrolled back.
    let max_off = g.max_text_scroll();
    let off = max_off.saturating_sub(play.scroll.min(max_off));
    let para = Paragraph::new(lines).scroll((u16::try_from(off).unwrap_or(u16::MAX), 0));
    frame.render_widget(para, g.text);
    let Some(area) = g.options else {
        return;
    };
    let n = play.option_count();
    let count = if n == 1 {
        ctx.s.one_option.to_owned()
    } else {
        ctx.s.n_options.replace("{n}", &n.to_string())
    };
    let title = match &play.phase {
        Phase::Gae(_) => format!(
            " {} · {} {} · {count} ",
            ctx.s.your_reply,
            ctx.s.choice_point,
            play.transcript
                .iter()
                .filter(|e| matches!(e, Entry::Chosen { .. }))
                .count()
                + 1
        ),
        Phase::Iae(q) => format!(
            " {} · {} {}/{} · {count} ",
            ctx.s.question,
            ctx.s.item,
            q.index + 1,
            q.total
        ),
        _ => String::new(),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(Span::styled(title, t.heading));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let opts = drawn.options;
    let q_rows = u16::try_from(g.question_lines)
        .unwrap_or(0)
        .min(inner.height);
    if q_rows > 0 {
        let q_area = Rect::new(inner.x, inner.y, inner.width, q_rows);
        frame.render_widget(Paragraph::new(drawn.question), q_area);
    }
    let o_area = Rect::new(
        inner.x,
        inner.y + q_rows,
        inner.width,
        inner.height.saturating_sub(q_rows),
    );
    let off = play.options_scroll.min(g.max_options_scroll());
    let more_below = g.option_lines > off + g.options_height();
    frame.render_widget(
        Paragraph::new(opts).scroll((u16::try_from(off).unwrap_or(u16::MAX), 0)),
        o_area,
    );
    if area.width > 8 {
        // Narrow boxes get the arrows alone, so the title stays readable.
        let narrow = area.width < 60;
        let marks = [
            (off > 0, area.y, if narrow { "▲" } else { "▲ PgUp" }),
            (
                more_below,
                area.y + area.height - 1,
                if narrow { "▼" } else { "▼ PgDn" },
            ),
        ];
        for (show, y, text) in marks {
            if show {
                let w = u16::try_from(width(text)).unwrap_or(6);
                let mark = Rect::new(area.x + area.width - w - 2, y, w, 1);
                frame.render_widget(Paragraph::new(Span::styled(text, t.accent)), mark);
            }
        }
    }
}
