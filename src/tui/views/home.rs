//! The home screen: the library with search and filters, sessions in progress and recent ones.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Ctx;
use crate::script::model::{Language, Orientation};
use crate::tui::i18n::{mode_label, orientation_label};
use crate::tui::library::{Library, ScriptEntry};
use crate::tui::wrap::width;

/// Which list has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Library,
    Sessions,
}

/// A session as the home screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    pub script_id: String,
    pub title: String,
    pub mode: String,
    pub who: String,
    pub when: String,
    pub in_progress: bool,
}

/// The home screen's state.
#[derive(Debug, Clone, Default)]
pub struct Home {
    /// Ids of the scripts the annotator has a session of (marked in the library).
    pub played: std::collections::HashSet<String>,
    pub search: String,
    pub searching: bool,
    pub language: Option<Language>,
    pub orientation: Option<Orientation>,
    pub kind: Option<&'static str>,
    pub selected: usize,
    pub pane: Pane,
    pub session_selected: usize,
    /// In-progress sessions first, then recent finished ones.
    pub sessions: Vec<SessionRow>,
}

impl Home {
    /// Indices into the library of the entries that pass the search and filters.
    #[must_use]
    pub fn visible(&self, lib: &Library) -> Vec<usize> {
        let needle = self.search.to_lowercase();
        lib.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.matches(&needle)
                    && self.language.is_none_or(|l| e.language == Some(l))
                    && self.orientation.is_none_or(|o| e.orientation == Some(o))
                    && self.kind.is_none_or(|k| e.kind == k)
            })
            .map(|(i, _)| i)
            .collect()
    }

    pub fn cycle_language(&mut self) {
        self.language = match self.language {
            None => Some(Language::En),
            Some(Language::En) => Some(Language::Zh),
            Some(Language::Zh) => None,
        };
        self.selected = 0;
    }

    pub fn cycle_orientation(&mut self) {
        self.orientation = match self.orientation {
            None => Some(Orientation::ALL[0]),
            Some(o) => Orientation::ALL
                .iter()
                .position(|x| *x == o)
                .and_then(|i| Orientation::ALL.get(i + 1).copied()),
        };
        self.selected = 0;
    }

    pub fn cycle_kind(&mut self, lib: &Library) {
        let mut kinds: Vec<&'static str> = lib.entries.iter().map(|e| e.kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        self.kind = match self.kind {
            None => kinds.first().copied(),
            Some(k) => kinds
                .iter()
                .position(|x| *x == k)
                .and_then(|i| kinds.get(i + 1).copied()),
        };
        self.selected = 0;
    }
}

pub(crate) use crate::term::{pad as pad_to, truncate};

fn entry_line(
    ctx: &Ctx<'_>,
    e: &ScriptEntry,
    w: usize,
    selected: bool,
    played: bool,
) -> Line<'static> {
    let t = ctx.theme;
    let lang = e.language.map_or("??", Language::code);
    let orient = e
        .orientation
        .map_or("", |o| orientation_label(ctx.lang, o.name()));
    // The widest layout that leaves the title at least 24 columns: labelled counts, bare
    // counts, or none.
    let metas: Vec<String> = match (&e.summary, e.errors) {
        (_, n) if n > 0 => vec![format!("{n:>4} ✗"), String::new()],
        (Some(s), _) => vec![
            format!(
                "{:>3} {} {:>4} {}",
                s.choice_points, ctx.s.choice_points, s.iae_items, ctx.s.iae_items
            ),
            format!(
                "{:>3} {} {:>3} {}",
                s.choice_points, ctx.s.choices_short, s.iae_items, ctx.s.iae_short
            ),
            String::new(),
        ],
        (None, _) => vec![String::new()],
    };
    let right = metas
        .iter()
        .map(|m| format!(" {lang}  {orient:<11} {m}"))
        .find(|r| w.saturating_sub(width(r)) >= 24)
        .unwrap_or_else(|| format!(" {lang}"));
    let left_w = w.saturating_sub(width(&right)).max(8);
    // A script the annotator has a session of is marked, so work is not done twice.
    // ✓ played by this annotator; ⚠ some options are not sentences (flagged on import).
    let mark = match (played, e.not_text) {
        (true, true) => "✓⚠",
        (true, false) => "✓ ",
        (false, true) => "⚠ ",
        (false, false) => "  ",
    };
    let title = pad_to(&truncate(&format!("{mark}{}", e.title), left_w), left_w);
    let text = format!("{title}{right}");
    let text = pad_to(&truncate(&text, w), w);
    let style = if selected {
        t.selection
    } else if e.errors > 0 {
        t.error
    } else {
        t.text
    };
    Line::from(Span::styled(text, style))
}

/// Draw the home screen.
pub fn render(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, home: &Home, lib: &Library) {
    let t = ctx.theme;
    let s = ctx.s;
    let wide = area.width >= 100;
    let sessions_h = if wide {
        0
    } else {
        u16::try_from(home.sessions.len().clamp(1, 5) + 2).unwrap_or(7)
    };
    let (lib_area, sess_area) = if wide {
        let cols = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(62), Constraint::Percentage(38)])
            .split(area);
        (cols[0], cols[1])
    } else {
        let rows = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Min(5), Constraint::Length(sessions_h)])
            .split(area);
        (rows[0], rows[1])
    };
    // Library.
    let focus = home.pane == Pane::Library;
    let visible = home.visible(lib);
    // How many scripts there are, and how many the filters leave.
    let count = if visible.len() == lib.entries.len() {
        lib.entries.len().to_string()
    } else {
        format!("{}/{}", visible.len(), lib.entries.len())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focus { t.border_focus } else { t.border })
        .title(Span::styled(
            format!(" {} · {count} ", s.library),
            t.heading,
        ));
    let inner = block.inner(lib_area);
    frame.render_widget(block, lib_area);
    let w = usize::from(inner.width);
    let all = s.all;
    let filters = format!(
        "/ {}: {}{}  l {}: {}  o {}: {}  t {}: {}",
        s.search,
        home.search,
        if home.searching { "▏" } else { "" },
        s.language,
        home.language.map_or(all, Language::code),
        s.orientation,
        home.orientation
            .map_or(all, |o| orientation_label(ctx.lang, o.name())),
        s.kind,
        home.kind.unwrap_or(all),
    );
    let mut lines = vec![Line::from(Span::styled(
        truncate(&filters, w),
        if home.searching { t.accent } else { t.muted },
    ))];
    let list_h = usize::from(inner.height).saturating_sub(1);
    if visible.is_empty() {
        lines.push(Line::from(Span::styled(s.no_scripts.to_owned(), t.muted)));
    } else {
        let sel = home.selected.min(visible.len() - 1);
        let off = if list_h == 0 {
            0
        } else {
            sel.saturating_sub(list_h - 1)
        };
        for (row, &i) in visible.iter().enumerate().skip(off).take(list_h) {
            let e = &lib.entries[i];
            let played = home.played.contains(&e.id);
            lines.push(entry_line(ctx, e, w, focus && row == sel, played));
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
    // Sessions.
    let focus = home.pane == Pane::Sessions;
    let title = s.sessions_title;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focus { t.border_focus } else { t.border })
        .title(Span::styled(format!(" {title} "), t.heading));
    let inner = block.inner(sess_area);
    frame.render_widget(block, sess_area);
    let w = usize::from(inner.width);
    let h = usize::from(inner.height);
    let mut lines = Vec::new();
    if home.sessions.is_empty() {
        lines.push(Line::from(Span::styled(s.no_sessions.to_owned(), t.muted)));
    }
    let sel = home
        .session_selected
        .min(home.sessions.len().saturating_sub(1));
    let off = if h == 0 {
        0
    } else {
        sel.saturating_sub(h.saturating_sub(1))
    };
    for (i, r) in home.sessions.iter().enumerate().skip(off).take(h) {
        let (mark, state) = if r.in_progress {
            ("▶", s.row_in_progress)
        } else {
            ("✓", s.row_done)
        };
        let text = format!(
            "{mark} {state} · {} · {} · {} · {} {}",
            r.title,
            mode_label(ctx.lang, &r.mode),
            r.who,
            s.last_saved,
            r.when
        );
        let style = if focus && i == sel {
            t.selection
        } else if r.in_progress {
            t.accent
        } else {
            t.muted
        };
        lines.push(Line::from(Span::styled(
            pad_to(&truncate(&text, w), w),
            style,
        )));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
