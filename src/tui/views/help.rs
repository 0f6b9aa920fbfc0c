//! The help overlay, generated from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{Ctx, centered, clear_for_popup};
use crate::tui::i18n::describe;
use crate::tui::keymap::{Action, BINDINGS, Section};
use crate::tui::wrap::width;

/// Actions whose help row is merged into the previous one (↑ with ↓, PgUp with PgDn).
const MERGED: [(Action, Action); 3] = [
    (Action::Up, Action::Down),
    (Action::PageUp, Action::PageDown),
    (Action::Top, Action::Bottom),
];

/// Columns for the keys (the widest: `Home g End G`, and a space).
const KEYS_COLUMN: usize = 13;

/// Help as lines (also used by tests to check every action is listed).
#[must_use]
pub fn lines(ctx: &Ctx<'_>) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let mut out = Vec::new();
    for (section, title) in [
        (Section::Global, ctx.s.section_global),
        (Section::Home, ctx.s.section_home),
        (Section::Play, ctx.s.section_play),
        (Section::Runs, ctx.s.section_runs),
        (Section::Cr, ctx.s.section_cr),
    ] {
        out.push(Line::from(Span::styled(title.to_owned(), t.heading)));
        let rows: Vec<_> = BINDINGS.iter().filter(|b| b.section == section).collect();
        for b in &rows {
            if MERGED.iter().any(|(_, second)| *second == b.action) {
                continue;
            }
            let (keys, text) = match MERGED.iter().find(|(first, _)| *first == b.action) {
                Some((_, second)) => {
                    let other = rows.iter().find(|r| r.action == *second);
                    (
                        format!("{} {}", b.keys, other.map_or("", |o| o.keys)),
                        format!(
                            "{} · {}",
                            describe(ctx.lang, b.action),
                            describe(ctx.lang, *second)
                        ),
                    )
                }
                None => (b.keys.to_owned(), describe(ctx.lang, b.action).to_owned()),
            };
            let pad = KEYS_COLUMN.saturating_sub(width(&keys)).max(1);
            out.push(Line::from(vec![
                Span::styled(format!("  {keys}{}", " ".repeat(pad)), t.accent),
                Span::styled(text, t.text),
            ]));
        }
    }
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
    let rect = centered(area, 72, h);
    clear_for_popup(frame, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(ctx.theme.border_focus)
        .title(Span::styled(
            format!(" {} ", ctx.s.help_title),
            ctx.theme.heading,
        ));
    // When the help is taller than the screen, the way out and the scroll keys stay visible
    // on the bottom border.
    let block = if body.len() + 2 > usize::from(area.height) {
        block.title_bottom(Span::styled(
            format!(" {} · ↑↓ PgUp PgDn ", ctx.s.help_close),
            ctx.theme.accent,
        ))
    } else {
        block
    };
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let max = body.len().saturating_sub(usize::from(inner.height));
    let off = u16::try_from(scroll.min(max)).unwrap_or(0);
    frame.render_widget(Paragraph::new(body).scroll((off, 0)), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::i18n::Lang;
    use crate::tui::theme::Theme;

    #[test]
    fn help_lists_every_bound_action_in_both_languages() {
        let theme = Theme::builtin_default();
        for lang in [Lang::En, Lang::Zh] {
            let ctx = Ctx {
                theme: &theme,
                s: lang.strings(),
                lang,
            };
            let text: String = lines(&ctx)
                .iter()
                .map(|l| {
                    l.spans
                        .iter()
                        .map(|s| s.content.as_ref())
                        .collect::<String>()
                        + "\n"
                })
                .collect();
            for b in BINDINGS {
                assert!(
                    text.contains(describe(lang, b.action)),
                    "{:?} missing:\n{text}",
                    b.action
                );
                assert!(text.contains(b.keys), "keys {} missing", b.keys);
            }
        }
    }
}
