//! A stored session laid out for reading: every event with its label, LLM calls with their
//! prompt, raw reply, parsed answer and attempts.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Ctx;
use crate::tui::app::Detail;
use crate::tui::wrap::wrap;

/// The detail screen as wrapped lines.
#[must_use]
pub fn lines(ctx: &Ctx<'_>, d: &Detail, w: usize) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let mut out = Vec::new();
    for (label, text) in &d.entries {
        out.push(Line::from(Span::styled(label.clone(), t.accent)));
        for l in wrap(text, w.saturating_sub(2).max(8)) {
            out.push(Line::from(Span::styled(format!("  {l}"), t.text)));
        }
    }
    out
}

/// Draw the detail screen.
pub fn render(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, d: &Detail) {
    let body = lines(ctx, d, usize::from(area.width));
    let max = body.len().saturating_sub(usize::from(area.height));
    let off = u16::try_from(d.scroll.min(max)).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(body).scroll((off, 0)), area);
}
