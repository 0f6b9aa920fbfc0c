//! Drawing the CR dialogue screen: the chat pane (speakers in the theme's colours, strategy tags
//! after the therapist's sentences, stage separators, crisis turns marked withheld), the side
//! panel (stages, channels, loops, turns; one status line below [`SIDE_MIN_WIDTH`] columns),
//! and below the chat whatever the dialogue waits for: the turn being typed, its tags, a
//! model's turn arriving, or the safety handoff. Script and model text reaches the terminal only
//! through [`crate::term::clean`].

mod panels;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Ctx;
use crate::engine::cr::{ChannelStatus, Speaker};
use crate::script::cr::model::CrProtocol;
use crate::term::clean;
use crate::tui::cr::chat::{ChatEntry, ChatTurn};
use crate::tui::cr::text::sentences;
use crate::tui::cr::{CrScreen, Phase};
use crate::tui::wrap::{width, wrap};
use crate::vocab::{CrSpeaker, CrStage};

/// Below this many columns the side panel collapses to one status line.
pub const SIDE_MIN_WIDTH: u16 = 100;
const SIDE_WIDTH: u16 = 34;

/// Where the screen's parts are.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    pub status: Option<Rect>,
    pub side: Option<Rect>,
    pub chat: Rect,
    pub bottom: Rect,
}

/// The parts of the screen at this size.
#[must_use]
pub fn geometry(ctx: &Ctx<'_>, cr: &CrScreen, body: Rect) -> Geometry {
    let (main, side, status) = if body.width >= SIDE_MIN_WIDTH {
        let [main, side] =
            Layout::horizontal([Constraint::Min(40), Constraint::Length(SIDE_WIDTH)]).areas(body);
        (main, Some(side), None)
    } else {
        let [status, main] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body);
        (main, None, Some(status))
    };
    let want = panels::bottom_height(ctx, cr, main.width);
    // The chat keeps at least a third of the screen.
    let room = main.height.saturating_sub((main.height / 3).max(3));
    let bottom_h = want.min(room);
    let [chat, bottom] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(bottom_h)]).areas(main);
    Geometry {
        status,
        side,
        chat,
        bottom,
    }
}

/// A stage's title in the interface language (its id if the protocol lacks it).
#[must_use]
pub fn stage_title(ctx: &Ctx<'_>, p: &CrProtocol, stage: &CrStage) -> String {
    p.stages()
        .find(|s| CrStage::from(s.id) == *stage)
        .map_or_else(
            || stage.to_string(),
            |s| s.title.get(ctx.lang.language()).to_owned(),
        )
}

/// A distortion's name in the interface language (its id if not in the catalogue).
#[must_use]
pub fn distortion_name(ctx: &Ctx<'_>, p: &CrProtocol, id: &str) -> String {
    p.distortion(id).map_or_else(
        || id.to_owned(),
        |d| d.name.get(ctx.lang.language()).to_owned(),
    )
}

/// A strategy's name in the interface language (its id if not in the catalogue).
#[must_use]
pub fn strategy_name(ctx: &Ctx<'_>, p: &CrProtocol, id: &str) -> String {
    p.strategy(id).map_or_else(
        || id.to_owned(),
        |(_, s)| s.name.get(ctx.lang.language()).to_owned(),
    )
}

/// The role's name, with "(you)" when the person plays it.
#[must_use]
pub fn role_name(ctx: &Ctx<'_>, cr: &CrScreen, s: Speaker) -> String {
    let c = ctx.lang.cr();
    let name = match s {
        Speaker::Therapist => c.therapist,
        Speaker::Client => c.client,
    };
    if cr.roles.of(s).is_human() {
        format!("{name}{}", c.you)
    } else {
        name.to_owned()
    }
}

fn speaker_style(ctx: &Ctx<'_>, s: &CrSpeaker) -> Style {
    match s {
        CrSpeaker::Client => ctx.theme.speaker_at(1),
        _ => ctx.theme.speaker_at(0),
    }
}

/// A channel status's word.
#[must_use]
pub fn status_word(ctx: &Ctx<'_>, s: ChannelStatus) -> &'static str {
    let c = ctx.lang.cr();
    match s {
        ChannelStatus::Open => c.open,
        ChannelStatus::Restructuring => c.restructuring,
        ChannelStatus::Closed => c.closed,
        ChannelStatus::Dropped => c.dropped,
    }
}

/// Lines of `text` split into styled spans: what stands between `‹` and `›` (a tag) in
/// `tag`, the rest in `plain`; `inside` carries an open tag over to the next line.
fn tagged_spans(line: &str, inside: &mut bool, plain: Style, tag: Style) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut cur = String::new();
    for ch in line.chars() {
        match ch {
            '‹' if !*inside => {
                if !cur.is_empty() {
                    spans.push(Span::styled(std::mem::take(&mut cur), plain));
                }
                *inside = true;
                cur.push(ch);
            }
            '›' if *inside => {
                cur.push(ch);
                spans.push(Span::styled(std::mem::take(&mut cur), tag));
                *inside = false;
            }
            _ => cur.push(ch),
        }
    }
    if !cur.is_empty() {
        spans.push(Span::styled(cur, if *inside { tag } else { plain }));
    }
    spans
}

/// `Name: text` with continuation lines under the text (a long name gets its own line); the
/// text's `‹tags›` styled as tags.
fn push_speech(
    out: &mut Vec<Line<'static>>,
    ctx: &Ctx<'_>,
    (name, name_style): (&str, Style),
    text: &str,
    text_style: Style,
    w: usize,
) {
    let prefix = format!("{name}{}", ctx.s.colon);
    let pw = width(&prefix);
    let (indent, lines) = if pw * 3 > w {
        out.push(Line::from(Span::styled(name.to_owned(), name_style)));
        (2, wrap(text, w.saturating_sub(2).max(4)))
    } else {
        (pw, wrap(text, w.saturating_sub(pw).max(4)))
    };
    let mut inside = false;
    for (i, l) in lines.into_iter().enumerate() {
        let mut spans = if i == 0 && indent == pw {
            vec![Span::styled(prefix.clone(), name_style)]
        } else {
            vec![Span::raw(" ".repeat(indent))]
        };
        spans.extend(tagged_spans(&l, &mut inside, text_style, ctx.theme.accent));
        out.push(Line::from(spans));
    }
}

/// A therapist turn's text with each sentence's strategy after it (when there is one tag per
/// sentence; otherwise the tags follow the text).
fn with_tags(ctx: &Ctx<'_>, p: &CrProtocol, t: &ChatTurn) -> String {
    let text = clean(&t.text).into_owned();
    if t.strategies.is_empty() {
        return text;
    }
    let tag = |id: &str| format!("‹{}›", strategy_name(ctx, p, id));
    let parts = sentences(&text);
    // Chinese sentences run on without spaces; English ones are spaced.
    let wide = |s: &str| s.chars().last().is_some_and(|c| width(&c.to_string()) > 1);
    if parts.len() == t.strategies.len() {
        let mut out = String::new();
        let mut prev_wide = true;
        for (s, id) in parts.iter().zip(&t.strategies) {
            let w = wide(s);
            if !(out.is_empty() || prev_wide && w) {
                out.push(' ');
            }
            let gap = if w { "" } else { " " };
            out.push_str(&format!("{s}{gap}{}", tag(id)));
            prev_wide = w;
        }
        out
    } else {
        let tags: Vec<String> = t.strategies.iter().map(|id| tag(id)).collect();
        format!("{text} {}", tags.join(" "))
    }
}

fn push_turn(out: &mut Vec<Line<'static>>, ctx: &Ctx<'_>, cr: &CrScreen, t: &ChatTurn, w: usize) {
    let c = ctx.lang.cr();
    let t_ = ctx.theme;
    let name = match t.speaker {
        CrSpeaker::Client => c.client,
        _ => c.therapist,
    };
    let mut text = if t.speaker == CrSpeaker::Therapist {
        with_tags(ctx, &cr.protocol, t)
    } else {
        clean(&t.text).into_owned()
    };
    if t.cut {
        text.push_str(&format!(" ‹{}›", c.cut));
    }
    let (name, style) = if t.withheld {
        (format!("⚠ {name}"), t_.warning)
    } else {
        (name.to_owned(), t_.text)
    };
    push_speech(
        out,
        ctx,
        (&name, speaker_style(ctx, &t.speaker)),
        &text,
        style,
        w,
    );
    let mut notes = Vec::new();
    if t.withheld {
        notes.push(format!("⚠ {}", c.withheld));
    }
    if t.goal_met == Some(true) {
        notes.push(format!("{} ✓", c.goal_met));
    }
    if !t.distortions.is_empty() {
        let names: Vec<String> = t
            .distortions
            .iter()
            .map(|d| distortion_name(ctx, &cr.protocol, d))
            .collect();
        notes.push(format!(
            "{}{}{}",
            c.distortions,
            ctx.s.colon,
            names.join(", ")
        ));
    }
    if !notes.is_empty() {
        let style = if t.withheld { t_.warning } else { t_.muted };
        for l in wrap(&notes.join(" · "), w.saturating_sub(2).max(4)) {
            out.push(Line::from(Span::styled(format!("  {l}"), style)));
        }
    }
}

fn cause_word(ctx: &Ctx<'_>, cause: &str, loops: u32) -> Option<String> {
    let c = ctx.lang.cr();
    Some(match cause {
        "goal_met" => c.cause_goal_met.to_owned(),
        "cap" => c.cause_cap.to_owned(),
        "clinician" => c.cause_clinician.to_owned(),
        "loop" => format!("{} {loops}", c.cause_loop),
        _ => return None,
    })
}

/// The chat as styled, wrapped lines, the model's turn being written last.
#[must_use]
pub fn chat_lines(ctx: &Ctx<'_>, cr: &CrScreen, w: usize) -> Vec<Line<'static>> {
    let c = ctx.lang.cr();
    let t = ctx.theme;
    let p = &cr.protocol;
    let mut out: Vec<Line<'static>> = Vec::new();
    let muted = |out: &mut Vec<Line<'static>>, text: &str, style: Style| {
        for l in wrap(text, w.max(4)) {
            out.push(Line::from(Span::styled(l, style)));
        }
    };
    if cr.roles.client.is_human() {
        // The person playing the client reads the case they play.
        let case = &cr.case;
        muted(
            &mut out,
            &format!("{}{}{}", c.case, ctx.s.colon, clean(&case.title)),
            t.heading,
        );
        muted(&mut out, &clean(&case.situation), t.muted);
    }
    for e in &cr.chat {
        match e {
            ChatEntry::Stage {
                stage,
                channel,
                cause,
                loops,
            } => {
                let mut title = stage_title(ctx, p, stage);
                if let Some(d) = channel {
                    title.push_str(&format!(" · {}", distortion_name(ctx, p, d)));
                }
                if let Some(why) = cause_word(ctx, cause, *loops) {
                    title.push_str(&match ctx.lang {
                        crate::tui::i18n::Lang::En => format!(" ({why})"),
                        crate::tui::i18n::Lang::Zh => format!("（{why}）"),
                    });
                }
                if !out.is_empty() {
                    out.push(Line::default());
                }
                let title = clean(&title).into_owned();
                let rule = w.saturating_sub(width(&title) + 4);
                if rule >= 2 {
                    out.push(Line::from(Span::styled(
                        format!("── {title} {}", "─".repeat(rule)),
                        t.heading,
                    )));
                } else {
                    muted(&mut out, &format!("── {title}"), t.heading);
                }
            }
            ChatEntry::Turn(turn) => push_turn(&mut out, ctx, cr, turn, w),
            ChatEntry::Channel { distortion, action } => {
                let word = match action.as_str() {
                    "opened" => c.channel_opened,
                    "closed" => c.channel_closed,
                    "dropped" => c.channel_dropped,
                    "surfaced" => c.surfaced,
                    "not_opened" => c.not_opened,
                    other => other,
                };
                let name = clean(&distortion_name(ctx, p, distortion)).into_owned();
                muted(
                    &mut out,
                    &format!("  ◆ {name}{}{word}", ctx.s.colon),
                    t.muted,
                );
            }
            ChatEntry::Escalation { category } => {
                let name = p
                    .safety
                    .categories
                    .iter()
                    .find(|x| x.id == *category)
                    .map_or(category.as_str(), |x| x.name.get(ctx.lang.language()));
                muted(
                    &mut out,
                    &c.safety_stop.replace("{category}", &clean(name)),
                    t.warning,
                );
            }
            ChatEntry::Override {
                action,
                stage,
                distortion,
            } => {
                let what = match action.as_str() {
                    "resume" => {
                        muted(&mut out, c.resumed_line, t.accent);
                        continue;
                    }
                    "set_stage" => format!(
                        "{} → {}",
                        c.set_stage,
                        stage
                            .as_ref()
                            .map_or(String::new(), |s| stage_title(ctx, p, s))
                    ),
                    "open_channel" | "close_channel" | "drop_channel" => {
                        let verb = match action.as_str() {
                            "open_channel" => c.open_channel,
                            "close_channel" => c.close_channel,
                            _ => c.drop_channel,
                        };
                        let d = distortion.as_deref().unwrap_or("");
                        format!("{verb} → {}", distortion_name(ctx, p, d))
                    }
                    "finish" => c.finish.to_owned(),
                    other => other.to_owned(),
                };
                muted(
                    &mut out,
                    &c.override_line.replace("{what}", &clean(&what)),
                    t.accent,
                );
            }
            ChatEntry::End { finished_by } => {
                out.push(Line::default());
                let reason = match finished_by.as_str() {
                    "verdicts" => c.reason_verdicts,
                    "no_distortion" => c.reason_no_distortion,
                    "cap" => c.reason_cap,
                    "safety" => c.reason_safety,
                    "clinician" => c.reason_clinician,
                    "error" => c.reason_error,
                    other => other,
                };
                muted(&mut out, &c.ended.replace("{reason}", reason), t.heading);
            }
        }
    }
    if let Some(s) = &cr.stream {
        let name = match s.speaker {
            Speaker::Therapist => c.therapist,
            Speaker::Client => c.client,
        };
        let text = format!("{}▌", clean(&s.text));
        push_speech(
            &mut out,
            ctx,
            (name, speaker_style(ctx, &s.speaker.into())),
            &text,
            t.muted,
            w,
        );
    }
    out
}

/// The side panel: every stage (the current one marked), the channels, loops and turns, and
/// for a human therapist the stage's goal and guidance.
fn side_lines(ctx: &Ctx<'_>, cr: &CrScreen, w: usize) -> Vec<Line<'static>> {
    let c = ctx.lang.cr();
    let t = ctx.theme;
    let p = &cr.protocol;
    let m = cr.driver().machine();
    let current = m.stage();
    let mut out = vec![Line::from(Span::styled(c.stage.to_owned(), t.heading))];
    for s in p.stages() {
        let stage = CrStage::from(s.id);
        let here = current == Some(&stage);
        let title = clean(s.title.get(ctx.lang.language())).into_owned();
        let (mark, style) = if here {
            ("▶ ", t.selection)
        } else if m.stages().any(|v| *v == stage) {
            ("✓ ", t.muted)
        } else {
            ("  ", t.text)
        };
        for (i, l) in wrap(&title, w.saturating_sub(2).max(4))
            .into_iter()
            .enumerate()
        {
            let lead = if i == 0 { mark } else { "  " };
            out.push(Line::from(Span::styled(format!("{lead}{l}"), style)));
        }
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled(c.channels.to_owned(), t.heading)));
    if m.channels().is_empty() && m.surfaced().is_empty() {
        out.push(Line::from(Span::styled(
            format!("  {}", c.no_channels),
            t.muted,
        )));
    }
    for r in m.surfaced() {
        let name = clean(&distortion_name(ctx, p, &r.distortion)).into_owned();
        for l in wrap(
            &format!("{name} — {}", c.surfaced_short),
            w.saturating_sub(2).max(4),
        ) {
            out.push(Line::from(Span::styled(format!("  {l}"), t.muted)));
        }
    }
    for ch in m.channels() {
        let name = clean(&distortion_name(ctx, p, &ch.distortion)).into_owned();
        let style = if ch.status == ChannelStatus::Restructuring {
            t.accent
        } else if ch.status.is_live() {
            t.text
        } else {
            t.muted
        };
        for l in wrap(
            &format!("{name} — {}", status_word(ctx, ch.status)),
            w.saturating_sub(2).max(4),
        ) {
            out.push(Line::from(Span::styled(format!("  {l}"), style)));
        }
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled(
        format!(
            "{} {} · {} {}/{}",
            c.loops,
            m.loops(),
            c.turns,
            m.turn_count(),
            p.loop_policy.max_turns
        ),
        t.text,
    )));
    if cr.roles.therapist.is_human()
        && let Some(stage) =
            current.and_then(|cur| p.stages().find(|s| CrStage::from(s.id) == *cur))
    {
        for (label, text) in [(c.goal, &stage.goal), (c.guidance, &stage.guidance)] {
            out.push(Line::default());
            out.push(Line::from(Span::styled(label.to_owned(), t.heading)));
            for l in wrap(&clean(text.get(ctx.lang.language())), w.max(4)) {
                out.push(Line::from(Span::styled(l, t.muted)));
            }
        }
    }
    out
}

/// The one status line of narrow screens.
fn status_line(ctx: &Ctx<'_>, cr: &CrScreen, w: usize) -> Line<'static> {
    let c = ctx.lang.cr();
    let p = &cr.protocol;
    let m = cr.driver().machine();
    let stage = m
        .stage()
        .map_or_else(|| "—".to_owned(), |s| stage_title(ctx, p, s));
    let live = m.channels().iter().filter(|x| x.status.is_live()).count();
    let channel = m
        .channel()
        .map(|(_, ch)| format!(" ({})", distortion_name(ctx, p, &ch.distortion)))
        .unwrap_or_default();
    let channels = if m.channels().is_empty() {
        "0".to_owned()
    } else {
        format!("{} ({live} {})", m.channels().len(), c.open)
    };
    let text = format!(
        "{}{}{stage}{channel} · {} {channels} · {} {} · {} {}/{}",
        c.stage,
        ctx.s.colon,
        c.channels,
        c.loops,
        m.loops(),
        c.turns,
        m.turn_count(),
        p.loop_policy.max_turns
    );
    Line::from(Span::styled(
        crate::term::truncate(&clean(&text), w),
        ctx.theme.accent,
    ))
}

/// How many lines the chat has at this width, and how many show.
#[must_use]
pub fn chat_extent(ctx: &Ctx<'_>, cr: &CrScreen, body: Rect) -> (usize, usize) {
    let g = geometry(ctx, cr, body);
    let w = usize::from(g.chat.width.saturating_sub(1));
    (chat_lines(ctx, cr, w).len(), usize::from(g.chat.height))
}

/// Draw the CR screen in `area` (the body between the header and the status bar).
pub fn render(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, cr: &CrScreen) {
    match &cr.phase {
        Phase::Notice => return panels::notice(frame, area, ctx),
        Phase::Measure(m) => return panels::measure(frame, area, ctx, cr, m),
        Phase::Dialogue | Phase::Over => {}
    }
    let g = geometry(ctx, cr, area);
    if let Some(s) = g.status {
        frame.render_widget(
            Paragraph::new(status_line(ctx, cr, usize::from(s.width))),
            s,
        );
    }
    if let Some(side) = g.side {
        let block = Block::default()
            .borders(Borders::LEFT)
            .border_style(ctx.theme.border);
        let inner = block.inner(side);
        frame.render_widget(block, side);
        let inner = Rect {
            x: inner.x + 1,
            width: inner.width.saturating_sub(1),
            ..inner
        };
        let lines = side_lines(ctx, cr, usize::from(inner.width));
        frame.render_widget(Paragraph::new(lines), inner);
    }
    let w = usize::from(g.chat.width.saturating_sub(1));
    let lines = chat_lines(ctx, cr, w);
    let h = usize::from(g.chat.height);
    let max = lines.len().saturating_sub(h);
    let top = max.saturating_sub(cr.scroll.min(max));
    let shown: Vec<Line<'static>> = lines.into_iter().skip(top).take(h).collect();
    frame.render_widget(Paragraph::new(shown).style(ctx.theme.text), g.chat);
    panels::bottom(frame, g.bottom, ctx, cr);
    panels::dialog(frame, area, ctx, cr);
}
