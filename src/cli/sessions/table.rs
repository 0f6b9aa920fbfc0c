//! `sessions list`: a table aligned by display width, or one JSON object.

use unicode_width::UnicodeWidthStr;

use crate::session::{RECORD_SCHEMA, Session};

/// Widest a free-text column (script, who) may grow before it is cut with `…`.
const MAX_FREE: usize = 32;

/// `text` cleaned for the terminal, then cut to at most `max` display columns (cleaning first,
/// so a cut never leaves half an escape sequence).
fn truncate(text: &str, max: usize) -> String {
    crate::term::truncate(&crate::term::clean_field(text), max)
}

fn pad(out: &mut String, text: &str, width: usize) {
    out.push_str(&crate::term::pad(text, width));
}

/// The table `sessions list` prints: one row per session and a count.
#[must_use]
pub fn render_table(sessions: &[Session]) -> String {
    const HEADS: [&str; 7] = [
        "ID",
        "KIND",
        "SCRIPT",
        "WHO",
        "STATUS",
        "EVENTS",
        "STARTED (UTC)",
    ];
    let rows: Vec<[String; 7]> = sessions
        .iter()
        .map(|s| {
            [
                s.id.to_string(),
                truncate(&s.kind.to_string(), MAX_FREE),
                truncate(&s.script.id, MAX_FREE),
                truncate(&s.who.to_string(), MAX_FREE),
                truncate(
                    &if s.is_training() {
                        format!("{} (training)", s.status)
                    } else {
                        s.status.to_string()
                    },
                    MAX_FREE,
                ),
                s.events.to_string(),
                s.started.format("%Y-%m-%d %H:%M").to_string(),
            ]
        })
        .collect();
    let mut widths = HEADS.map(UnicodeWidthStr::width);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let mut out = String::with_capacity((rows.len() + 2) * 120);
    let line = |cells: [&str; 7], out: &mut String| {
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else if i == 5 {
                // EVENTS is right-aligned.
                for _ in cell.width()..widths[i] {
                    out.push(' ');
                }
                out.push_str(cell);
                out.push_str("  ");
            } else {
                pad(out, cell, widths[i]);
                out.push_str("  ");
            }
        }
        out.push('\n');
    };
    line(HEADS, &mut out);
    for row in &rows {
        line(row.each_ref().map(String::as_str), &mut out);
    }
    let noun = if sessions.len() == 1 {
        "session"
    } else {
        "sessions"
    };
    out.push_str(&format!("{} {noun}\n", sessions.len()));
    out
}

/// `{"schema":1,"sessions":[…]}` with every header as stored, and a final newline.
#[must_use]
pub fn render_list_json(sessions: &[Session]) -> String {
    #[derive(serde::Serialize)]
    struct Listing<'a> {
        schema: u32,
        sessions: &'a [Session],
    }
    let mut text = crate::term::to_json(&Listing {
        schema: RECORD_SCHEMA,
        sessions,
    })
    .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_cleaned_then_cut() {
        assert_eq!(truncate("ab\u{1b}]52;c;eA==\u{7}", 6), "ab\\x1…");
    }
}
