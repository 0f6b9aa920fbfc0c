//! Model runs: the form that starts one, the list of runs, and one run's view (live progress,
//! results table, episodes).

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::home::{pad_to, truncate};
use super::{Ctx, centered, clear_for_popup};
use crate::eval::progress::render as progress_line;
use crate::eval::report::table;
use crate::eval::settings::EvalKind;
use crate::session::Status;
use crate::tui::i18n::result_word;
use crate::tui::runs::{Field, Live, RunForm, RunPane, RunView, RunsList};
use crate::tui::wrap::wrap;

/// The header of a run's screen: id, metric, model, protocol.
#[must_use]
pub fn header(ctx: &Ctx<'_>, v: &RunView) -> String {
    let _ = ctx;
    match &v.data.settings {
        Some(st) => format!(
            "{} · {} · {} · {}",
            v.run_id,
            st.kind.name().to_uppercase(),
            st.model,
            st.protocol.name()
        ),
        None => v.run_id.clone(),
    }
}

/// The form, as a pop-up.
pub fn render_form(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, form: &RunForm) {
    let t = ctx.theme;
    let s = ctx.s;
    let w: u16 = 70.min(area.width.saturating_sub(2)).max(30);
    let inner_w = usize::from(w.saturating_sub(4));
    let label_w = Field::ALL
        .iter()
        .map(|f| crate::tui::wrap::width(f.label(s)))
        .max()
        .unwrap_or(10)
        + 2;
    let mut lines: Vec<Line<'static>> = Vec::new();
    for (i, field) in Field::ALL.iter().enumerate() {
        let focused = i == form.focus;
        let label = pad_to(field.label(s), label_w);
        let mut value = if focused && *field == Field::MaxTokens && form.max_tokens.is_empty() {
            String::new()
        } else {
            form.value(*field, s)
        };
        let choice = matches!(field, Field::Metric | Field::Protocol | Field::Scripts);
        if focused && choice {
            value = format!("‹ {value} ›");
        } else if focused {
            value.push('▏');
        }
        let room = inner_w.saturating_sub(label_w + 2);
        let marker = if focused { "▶ " } else { "  " };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{marker}{label}"),
                if focused { t.accent } else { t.muted },
            ),
            Span::styled(
                truncate_left(&value, room),
                if focused { t.selection } else { t.text },
            ),
        ]));
    }
    lines.push(Line::from(""));
    for l in wrap(s.form_key_note, inner_w) {
        lines.push(Line::from(Span::styled(l, t.muted)));
    }
    if let Some(e) = &form.error {
        for l in wrap(e, inner_w) {
            lines.push(Line::from(Span::styled(l, t.error)));
        }
    }
    for l in wrap(s.form_hint, inner_w) {
        lines.push(Line::from(Span::styled(l, t.accent)));
    }
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, w, h);
    clear_for_popup(frame, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(Span::styled(format!(" {} ", s.run_form_title), t.heading));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    frame.render_widget(Paragraph::new(lines).style(t.text), inner);
}

/// Keep the end of a long value (an endpoint being typed) in view.
fn truncate_left(s: &str, max: usize) -> String {
    use crate::tui::wrap::width;
    if width(s) <= max {
        return s.to_owned();
    }
    let mut out: Vec<char> = Vec::new();
    let mut w = 1;
    for c in s.chars().rev() {
        let cw = width(c.encode_utf8(&mut [0; 4]));
        if w + cw > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.reverse();
    format!("…{}", out.into_iter().collect::<String>())
}

fn boxed<'a>(ctx: &Ctx<'_>, title: &str, focus: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focus {
            ctx.theme.border_focus
        } else {
            ctx.theme.border
        })
        .title(Span::styled(format!(" {title} "), ctx.theme.heading))
}

/// Rows `off..off + h` of a list of `len` rows keeping `sel` in view.
const fn window(sel: usize, h: usize) -> usize {
    if h == 0 { 0 } else { sel.saturating_sub(h - 1) }
}

/// The list of runs.
pub fn render_list(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, list: &RunsList) {
    let t = ctx.theme;
    let s = ctx.s;
    let block = boxed(ctx, s.runs_title, true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let h = usize::from(inner.height);
    let mut lines = Vec::new();
    if list.rows.is_empty() {
        for l in wrap(s.no_runs, w) {
            lines.push(Line::from(Span::styled(l, t.muted)));
        }
    }
    let sel = list.selected.min(list.rows.len().saturating_sub(1));
    for (i, r) in list.rows.iter().enumerate().skip(window(sel, h)).take(h) {
        let protocol = r.settings.as_ref().map_or("?", |st| st.protocol.name());
        let mut counts = format!("✓{}", r.finished);
        if r.failed > 0 {
            counts.push_str(&format!(" ✗{}", r.failed));
        }
        if r.in_progress > 0 {
            counts.push_str(&format!(" ▶{}", r.in_progress));
        }
        if r.abandoned > 0 {
            counts.push_str(&format!(" ·{}", r.abandoned));
        }
        let text = format!(
            "{} · {} · {} · {} · {} · {}",
            r.id,
            r.metric().to_uppercase(),
            r.model,
            protocol,
            counts,
            r.updated.format("%Y-%m-%d %H:%M"),
        );
        let style = if i == sel {
            t.selection
        } else if r.in_progress > 0 {
            t.accent
        } else {
            t.text
        };
        lines.push(Line::from(Span::styled(
            pad_to(&truncate(&text, w), w),
            style,
        )));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The progress block's lines: the bar, and the state or last error.
fn live_lines(ctx: &Ctx<'_>, v: &RunView, w: usize) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let s = ctx.s;
    let unit = match v.data.settings.as_ref().map(|st| st.kind) {
        Some(EvalKind::Iae) => "trees",
        _ => "episodes",
    };
    let mut out = Vec::new();
    match &v.live {
        Live::Stored => {
            if let Some((_, tally)) = &v.data.report {
                out.push(Line::from(Span::styled(
                    format!(
                        "{}/{} {unit} · ✗ {} · {} {}",
                        tally.finished, tally.slots, tally.failed, tally.pending, "pending"
                    ),
                    t.text,
                )));
            }
        }
        Live::Running {
            snapshot,
            stopping,
            last_error,
        } => {
            out.push(Line::from(Span::styled(
                progress_line(snapshot, unit, w),
                t.accent,
            )));
            if *stopping {
                out.push(Line::from(Span::styled(
                    s.run_stopping.to_owned(),
                    t.warning,
                )));
            } else if let Some(e) = last_error {
                out.push(Line::from(Span::styled(truncate(e, w), t.error)));
            } else {
                out.push(Line::from(Span::styled(s.run_running.to_owned(), t.muted)));
            }
        }
        Live::Ended {
            snapshot,
            line,
            resume,
            error,
        } => {
            out.push(Line::from(Span::styled(
                progress_line(snapshot, unit, w),
                t.muted,
            )));
            let style = if *error { t.error } else { t.success };
            for l in wrap(line, w) {
                out.push(Line::from(Span::styled(l, style)));
            }
            if let Some(cmd) = resume {
                for l in wrap(cmd, w) {
                    out.push(Line::from(Span::styled(l, t.accent)));
                }
            }
        }
    }
    out
}

fn status_style(ctx: &Ctx<'_>, status: &Status, result: &str) -> Style {
    let t = ctx.theme;
    match status {
        Status::InProgress => t.accent,
        Status::Finished if result == "success" => t.success,
        Status::Finished if result == "partial" => t.partial,
        Status::Finished if result == "failure" => t.failure,
        Status::Finished if result.contains("correct") => t.text,
        Status::Finished => t.warning,
        _ => t.error,
    }
}

fn episode_lines(
    ctx: &Ctx<'_>,
    v: &RunView,
    w: usize,
    h: usize,
    focus: bool,
) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let mut out = Vec::new();
    if v.data.episodes.is_empty() {
        out.push(Line::from(Span::styled(
            ctx.s.no_sessions.to_owned(),
            t.muted,
        )));
        return out;
    }
    let sel = v.selected.min(v.data.episodes.len() - 1);
    for (i, e) in v
        .data
        .episodes
        .iter()
        .enumerate()
        .skip(window(sel, h))
        .take(h)
    {
        let ended = matches!(e.result.as_str(), "success" | "partial" | "failure");
        let mark = match e.status {
            Status::InProgress => "▶",
            // An IAE tree, or a walk that reached a labelled ending.
            Status::Finished if ended || e.episode.is_none() => "✓",
            // Dropped: an unlabelled ending, a dead end, an unusable answer.
            Status::Finished => "○",
            Status::Abandoned => "·",
            _ => "✗",
        };
        let episode = e.episode.map(|n| format!(" #{n}")).unwrap_or_default();
        let stored = if e.result.is_empty() {
            e.status.to_string()
        } else {
            e.result.clone()
        };
        let result = result_word(ctx.lang, &stored);
        let text = format!(
            "{mark} {}{episode} · {result} · {} {}",
            e.title, e.calls, ctx.s.calls
        );
        let style = if focus && i == sel {
            t.selection
        } else {
            status_style(ctx, &e.status, &e.result)
        };
        out.push(Line::from(Span::styled(
            pad_to(&truncate(&text, w), w),
            style,
        )));
    }
    out
}

fn result_lines(ctx: &Ctx<'_>, v: &RunView, w: usize) -> Vec<Line<'static>> {
    let t = ctx.theme;
    match &v.data.report {
        Some((report, tally)) if tally.finished + tally.failed > 0 => table(report)
            .lines()
            .map(|l| Line::from(Span::styled(truncate(l, w), t.text)))
            .collect(),
        _ => vec![Line::from(Span::styled(
            ctx.s.no_results.to_owned(),
            t.muted,
        ))],
    }
}

/// One run: progress on top; episodes and results side by side on wide screens, else the
/// pane with the focus (Tab switches).
pub fn render_run(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, v: &RunView) {
    let s = ctx.s;
    let live = live_lines(ctx, v, usize::from(area.width.saturating_sub(2)));
    let live_h = u16::try_from(live.len()).unwrap_or(4).min(6);
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(live_h + 2), Constraint::Min(3)])
        .split(area);
    let block = boxed(ctx, &v.run_id, false);
    let inner = block.inner(rows[0]);
    frame.render_widget(block, rows[0]);
    frame.render_widget(Paragraph::new(live), inner);
    let body = rows[1];
    let wide = body.width >= 120;
    let (ep_area, res_area) = if wide {
        let cols = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(55), Constraint::Percentage(45)])
            .split(body);
        (Some(cols[0]), Some(cols[1]))
    } else {
        match v.pane {
            RunPane::Episodes => (Some(body), None),
            RunPane::Results => (None, Some(body)),
        }
    };
    if let Some(a) = ep_area {
        let focus = v.pane == RunPane::Episodes;
        let title = format!("{} ({})", s.episodes_pane, v.data.episodes.len());
        let block = boxed(ctx, &title, focus);
        let inner = block.inner(a);
        frame.render_widget(block, a);
        let lines = episode_lines(
            ctx,
            v,
            usize::from(inner.width),
            usize::from(inner.height),
            focus,
        );
        frame.render_widget(Paragraph::new(lines), inner);
    }
    if let Some(a) = res_area {
        let focus = v.pane == RunPane::Results;
        let block = boxed(ctx, s.results_pane, focus);
        let inner = block.inner(a);
        frame.render_widget(block, a);
        let lines = result_lines(ctx, v, usize::from(inner.width));
        let max = lines.len().saturating_sub(usize::from(inner.height));
        let off = u16::try_from(v.results_scroll.min(max)).unwrap_or(u16::MAX);
        frame.render_widget(Paragraph::new(lines).scroll((off, 0)), inner);
    }
}
