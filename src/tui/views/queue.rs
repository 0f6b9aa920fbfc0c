//! The study queue (`socius study run`): progress, then the annotator's items in playing
//! order with their states, then what Enter does.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Ctx;
use crate::study::ItemState;
use crate::term::{clean_field, pad, truncate, width};
use crate::tui::i18n::{QueueStrings, mode_label};
use crate::tui::library::Library;
use crate::tui::queue::{Queue, QueueRow};
use crate::tui::wrap::wrap;

/// From this inner width on, the tree ids are shown in a column of their own.
const WIDE: usize = 100;
/// The widest the title column gets on wide screens.
const TITLE_COLUMN: usize = 60;

fn state_label(qs: &QueueStrings, state: ItemState) -> (&'static str, &'static str) {
    match state {
        ItemState::Done => ("✓", qs.done),
        ItemState::InProgress => ("▶", qs.in_progress),
        ItemState::NotStarted => ("·", qs.not_started),
    }
}

/// A bar of `cells` cells, `done` of `all` filled.
fn bar(done: usize, all: usize, cells: usize) -> String {
    let filled = (done * cells).checked_div(all).unwrap_or(0);
    format!(
        "{}{}",
        "█".repeat(filled),
        "░".repeat(cells.saturating_sub(filled))
    )
}

fn row_line(
    ctx: &Ctx<'_>,
    lib: &Library,
    n: usize,
    r: &QueueRow,
    w: usize,
    id_w: Option<usize>,
    selected: bool,
) -> Line<'static> {
    let t = ctx.theme;
    let qs = ctx.lang.queue_strings();
    let state_w = [qs.done, qs.in_progress, qs.not_started]
        .iter()
        .map(|s| width(s))
        .max()
        .unwrap_or(0);
    let mode_w = ["gae", "iae", "both"]
        .iter()
        .map(|m| width(mode_label(ctx.lang, m)))
        .max()
        .unwrap_or(0);
    let (mark, state) = state_label(qs, r.state);
    let tree = clean_field(&r.item.tree).into_owned();
    let title = lib
        .entries
        .iter()
        .find(|e| e.id == r.item.tree)
        .map_or_else(|| tree.clone(), |e| clean_field(&e.title).into_owned());
    let training = if r.item.training {
        format!("[{}] ", qs.training)
    } else {
        String::new()
    };
    let left = format!(
        "{} {n:>2}. {mark} {}  {}  ",
        if selected { "›" } else { " " },
        pad(state, state_w),
        pad(mode_label(ctx.lang, r.item.mode.name()), mode_w),
    );
    let title = format!("{training}{title}");
    // The tree ids in a column at the right on wide screens.
    let text = match id_w {
        Some(id_w) => {
            // Titles get what is left, up to a column's width: the id stays near its title.
            let title_w = w.saturating_sub(width(&left) + id_w + 2).min(TITLE_COLUMN);
            format!(
                "{left}{}  {}",
                pad(&truncate(&title, title_w), title_w),
                pad(&tree, id_w)
            )
        }
        None => format!("{left}{title}"),
    };
    let style = if selected {
        t.selection
    } else {
        match r.state {
            ItemState::Done => t.muted,
            ItemState::InProgress => t.accent,
            ItemState::NotStarted => t.text,
        }
    };
    Line::from(Span::styled(pad(&truncate(&text, w), w), style))
}

/// Draw the queue.
pub fn render(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, q: &Queue, lib: &Library) {
    let t = ctx.theme;
    let qs = ctx.lang.queue_strings();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(Span::styled(
            format!(
                " {} ",
                truncate(
                    &clean_field(&q.spec.title),
                    usize::from(area.width).saturating_sub(4)
                )
            ),
            t.heading,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let h = usize::from(inner.height);
    let mut top: Vec<Line<'static>> = Vec::new();
    let mut bottom: Vec<Line<'static>> = Vec::new();
    if !q.loaded {
        top.push(Line::from(Span::styled(qs.loading.to_owned(), t.muted)));
        frame.render_widget(Paragraph::new(top), inner);
        return;
    }
    let (done, all) = q.progress();
    let mut progress = qs
        .progress
        .replace("{n}", &done.to_string())
        .replace("{m}", &all.to_string());
    let (tdone, tall) = q.training_progress();
    if tall > 0 {
        progress.push_str(" · ");
        progress.push_str(
            &qs.training_progress
                .replace("{n}", &tdone.to_string())
                .replace("{m}", &tall.to_string()),
        );
    }
    let cells = w.saturating_sub(width(&progress) + 3).min(40);
    let mut spans = vec![Span::styled(progress, t.heading)];
    if cells >= 10 {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(bar(done, all, cells), t.success));
    }
    top.push(Line::from(spans));
    if q.all_done() {
        top.push(Line::default());
        top.push(Line::from(Span::styled(
            format!("✓ {}", qs.all_done),
            t.success,
        )));
        for l in wrap(qs.all_done_hint, w) {
            top.push(Line::from(Span::styled(l, t.muted)));
        }
    } else if let Some(next) = q.next() {
        let hint = qs.next_hint.replace("{n}", &(next + 1).to_string());
        for l in wrap(&hint, w) {
            bottom.push(Line::from(Span::styled(l, t.muted)));
        }
    }
    top.push(Line::default());
    if q.rows.is_empty() {
        top.push(Line::from(Span::styled(qs.empty.to_owned(), t.muted)));
    }
    let list_h = h.saturating_sub(top.len() + bottom.len() + usize::from(!bottom.is_empty()));
    let sel = q.selected.min(q.rows.len().saturating_sub(1));
    let off = if list_h == 0 {
        0
    } else {
        sel.saturating_sub(list_h - 1)
    };
    let mut lines = top;
    let shown = q.rows.iter().enumerate().skip(off).take(list_h);
    let id_w = (w >= WIDE).then(|| {
        q.rows
            .iter()
            .map(|r| width(&clean_field(&r.item.tree)))
            .max()
            .unwrap_or(0)
            .min(w / 3)
    });
    let mut used = 0;
    for (i, r) in shown {
        let selected = i == sel && !q.all_done();
        lines.push(row_line(ctx, lib, i + 1, r, w, id_w, selected));
        used += 1;
    }
    if !bottom.is_empty() {
        // The hint sits at the bottom of the box.
        let fill = list_h.saturating_sub(used) + 1;
        lines.extend(std::iter::repeat_n(Line::default(), fill));
        lines.extend(bottom);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
