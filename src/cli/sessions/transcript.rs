//! `sessions show`: a transcript wrapped by display width (Chinese and English alike).
//!
//! Wrapping uses the same line breaker as the TUI (`tui::wrap`), so a transcript breaks the
//! same way on the screen and in the terminal.

use unicode_width::UnicodeWidthStr;

use crate::session::{EventBody, SessionRecord, describe};
use crate::tui::wrap::wrap;

/// Narrowest text column; below it the transcript overflows rather than wrapping one
/// character per line.
const MIN_TEXT: usize = 20;
/// Indent of text set below its prefix on a narrow terminal.
const NARROW_INDENT: usize = 4;

/// The readable transcript of `record`, wrapped to `width` columns. With `prompts`, every model
/// call is followed by the messages it sent.
#[must_use]
pub fn render_transcript(record: &SessionRecord, width: usize, prompts: bool) -> String {
    let s = &record.session;
    let time =
        |t: &chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string();
    let fields = crate::session::header_fields(s, &time);
    let mut out = String::new();
    block(
        &mut out,
        &format!("{:<9}", "session"),
        &s.id.to_string(),
        width,
    );
    for (name, value) in fields {
        block(&mut out, &format!("{name:<9}"), &value, width);
    }
    out.push('\n');
    let label_w = record
        .events
        .iter()
        .map(|e| describe(e).label.width())
        .max()
        .unwrap_or(0)
        .clamp(8, 12);
    let seq_w = record.events.last().map_or(1, |e| e.seq.to_string().len());
    for event in &record.events {
        let line = describe(event);
        let mut prefix = format!("#{:<seq_w$} {} ", event.seq, event.at.format("%H:%M:%S"));
        prefix.push_str(&line.label);
        for _ in line.label.width()..label_w {
            prefix.push(' ');
        }
        prefix.push(' ');
        block(&mut out, &prefix, &line.text, width);
        if prompts && let EventBody::LlmCall(call) = &event.body {
            let pad = " ".repeat(prefix.width().min(NARROW_INDENT * 4));
            for m in call.request["messages"].as_array().into_iter().flatten() {
                let role = m["role"].as_str().unwrap_or("?");
                let content = m["content"].as_str().unwrap_or("");
                block(&mut out, &format!("{pad}[{role}] "), content, width);
            }
        }
    }
    out
}

/// `text` wrapped beside `prefix`, continuation lines indented to the prefix's width. When
/// that leaves less than [`MIN_TEXT`] columns, the text goes below the prefix, indented by
/// [`NARROW_INDENT`].
fn block(out: &mut String, prefix: &str, text: &str, width: usize) {
    let mut indent = prefix.width();
    if width.saturating_sub(indent) < MIN_TEXT {
        out.push_str(prefix.trim_end());
        out.push('\n');
        indent = NARROW_INDENT;
    }
    let text_w = width.saturating_sub(indent).max(MIN_TEXT);
    let first_beside = indent == prefix.width();
    for (i, line) in wrap(text, text_w).iter().enumerate() {
        if i == 0 && first_beside {
            out.push_str(prefix);
        } else {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(line);
        out.push('\n');
    }
}
