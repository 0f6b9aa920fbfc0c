//! The help overlay, generated from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{Ctx, centered};
use crate::tui::i18n::describe;
use crate::tui::keymap::{BINDINGS, Section};
use crate::tui::wrap::width;

/// Help as lines (also used by tests to check every action is listed).
#[must_use]
pub fn lines(ctx: &Ctx<'_>) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let mut out = Vec::new();
    for (section, title) in [
        (Section::Global, ctx.s.section_global),
        (Section::Home, ctx.s.section_home),
        (Section::Play, ctx.s.section_play),
    ] {
        if !out.is_empty() {
            out.push(Line::default());
        }
        out.push(Line::from(Span::styled(title.to_owned(), t.heading)));
        for b in BINDINGS.iter().filter(|b| b.section == section) {
            let pad = 8usize.saturating_sub(width(b.keys));
            out.push(Line::from(vec![
                Span::styled(format!("  {}{}", b.keys, " ".repeat(pad)), t.accent),
                Span::styled(describe(ctx.lang, b.action).to_owned(), t.text),
            ]));
        }
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled(
        ctx.s.help_close.to_owned(),
        t.muted,
    )));
    out
}

/// Draw the help overlay, scrolled by `scroll` lines.
pub fn render(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, scroll: usize) {
    let body = lines(ctx);
    let h = u16::try_from(body.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, 60, h);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(ctx.theme.border_focus)
        .title(Span::styled(
            format!(" {} ", ctx.s.help_title),
            ctx.theme.heading,
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let max = body.len().saturating_sub(usize::from(inner.height));
    let off = u16::try_from(scroll.min(max)).unwrap_or(0);
    frame.render_widget(Paragraph::new(body).scroll((off, 0)), inner);
}
