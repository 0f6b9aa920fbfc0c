//! Rendering. Views read state and draw; they never do I/O and never change state.

pub mod cr;
pub mod detail;
pub mod help;
pub mod home;
pub mod inspect;
pub mod play;
pub mod queue;
pub mod report;
pub mod runs;

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::i18n::{Lang, Strings, hint};
use super::keymap::Action;
use super::theme::Theme;
use super::wrap::wrap;
use crate::term::truncate_words;

/// What every view needs besides its own state.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub theme: &'a Theme,
    pub s: &'static Strings,
    pub lang: Lang,
}

/// A centred rectangle of at most `w`×`h` inside `area`.
#[must_use]
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// Clear a pop-up's rectangle and one column on each side, so no wide (CJK) character of the
/// screen below straddles the pop-up's border.
pub fn clear_for_popup(frame: &mut Frame<'_>, rect: Rect) {
    let full = frame.area();
    let x = rect.x.saturating_sub(1).max(full.x);
    let right = (rect.x + rect.width + 1).min(full.x + full.width);
    frame.render_widget(
        Clear,
        Rect::new(x, rect.y, right.saturating_sub(x), rect.height),
    );
}

/// The one-line bar at the bottom: key hints, or a message.
pub fn status_bar(
    frame: &mut Frame<'_>,
    area: Rect,
    ctx: &Ctx<'_>,
    hints: &[(String, Action)],
    message: Option<(&str, bool)>,
) {
    let t = ctx.theme;
    let room = usize::from(area.width);
    let mut spans = Vec::new();
    let mut used = 0;
    if let Some((msg, is_error)) = message {
        // A message is never cut mid-word; the hints follow only where they fit whole.
        let text = format!(" {} ", truncate_words(msg, room.saturating_sub(2)));
        used += crate::term::width(&text) + 1;
        spans.push(Span::styled(
            text,
            if is_error { t.error } else { t.accent },
        ));
        spans.push(Span::raw(" "));
    }
    for (key, action) in hints {
        let key = format!(" {key} ");
        let label = format!(" {}  ", hint(ctx.lang, *action));
        let w = crate::term::width(&key) + crate::term::width(&label);
        if message.is_some() && used + w > room {
            break;
        }
        used += w;
        spans.push(Span::styled(key, t.key));
        spans.push(Span::styled(label, t.status_bar));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.status_bar), area);
}

/// A bordered pop-up with a title and wrapped body lines.
pub fn popup(
    frame: &mut Frame<'_>,
    area: Rect,
    ctx: &Ctx<'_>,
    title: &str,
    body: &[(String, Style)],
    w: u16,
) {
    let inner_w = usize::from(w.saturating_sub(4)).max(10);
    let mut lines: Vec<Line<'static>> = Vec::new();
    for (text, style) in body {
        for l in wrap(text, inner_w) {
            lines.push(Line::from(Span::styled(l, *style)));
        }
    }
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, w, h);
    clear_for_popup(frame, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(ctx.theme.border_focus)
        .title(Span::styled(format!(" {title} "), ctx.theme.heading));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    frame.render_widget(Paragraph::new(lines).style(ctx.theme.text), inner);
}

/// Split a screen into body and status bar.
#[must_use]
pub fn with_status(area: Rect) -> (Rect, Rect, Rect) {
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .split(area);
    (rows[0], rows[1], rows[2])
}
