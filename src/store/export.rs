//! Exports: JSONL (one session with all its events per line — the import format), CSV (one
//! row per decision or IAE answer) and Markdown (readable transcripts).
//!
//! Sessions come out oldest first and events in `seq` order, and every format is a pure
//! function of the stored records, so exporting the same data twice gives the same bytes.
//!
//! With `anonymize`, annotator ids become pseudonyms: `annotator-` and the first 8 hex digits
//! of sha256(salt ‖ id), where the salt is drawn when the store is created and kept in its
//! `meta` tree — a pseudonym is stable within one store and says nothing across stores.
//! Models are not pseudonymized; `meta` and event texts are exported as they are, except that
//! Markdown and CSV show control characters as visible escapes (`\x1b`) and JSONL writes DEL,
//! C1 controls and bidi overrides as `\uXXXX` (the same data for any JSON reader).

use std::io::Write;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Filter, Result, Store, StoreError};
use crate::session::{EventBody, PresentedOption, SessionRecord, Who, describe};

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// One `SessionRecord` JSON object per line.
    #[default]
    Jsonl,
    /// One row per decision and IAE answer, with a header row.
    Csv,
    /// Readable transcripts.
    Md,
}

/// What to export and how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportOptions {
    pub format: ExportFormat,
    pub anonymize: bool,
    pub filter: Filter,
    /// CSV: a row per decision or answer, or one per session.
    pub per: CsvRows,
}

/// What a CSV row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvRows {
    /// One per GAE decision or IAE answer ([`CSV_COLUMNS`]).
    #[default]
    Decision,
    /// One per session, a summary ([`CSV_SESSION_COLUMNS`]).
    Session,
}

/// The per-session CSV's columns, in order.
pub const CSV_SESSION_COLUMNS: &[&str] = &[
    "session",
    "who",
    "script",
    "kind",
    "mode",
    "status",
    "outcome",
    "path_length",
    "iae_correct",
    "iae_total",
    "started",
    "finished",
    "duration_s",
    "training",
];

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    pub sessions: usize,
    /// Data rows (CSV) or events (JSONL, Markdown).
    pub rows: usize,
}

/// The pseudonym of `annotator_id` under `salt`.
#[must_use]
pub fn pseudonym(salt: &[u8], annotator_id: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(annotator_id.as_bytes());
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("annotator-{hex}")
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "session",
    "kind",
    "script",
    "script_hash",
    "who",
    "status",
    "seed",
    "run_id",
    "seq",
    "at",
    "type",
    "node",
    "item",
    "option_index",
    "option_id",
    "option_text",
    "ability",
    "correct",
    "latency_ms",
    "mode",
    "ending",
    "training",
    "options_scrolled",
];

/// The outcome of the session's ending, if it reached one.
fn ending_of(record: &SessionRecord) -> String {
    record
        .events
        .iter()
        .rev()
        .find_map(|e| match &e.body {
            EventBody::Ending(end) => Some(
                end.outcome
                    .as_ref()
                    .map_or_else(|| "unlabelled".to_owned(), ToString::to_string),
            ),
            _ => None,
        })
        .unwrap_or_default()
}

/// The summary row of one session.
fn csv_session_row(record: &SessionRecord) -> String {
    let s = &record.session;
    let mut decisions = 0usize;
    let (mut correct, mut answered) = (0usize, 0usize);
    for e in &record.events {
        match &e.body {
            EventBody::Decision(_) => decisions += 1,
            EventBody::IaeAnswer(a) => {
                answered += 1;
                correct += usize::from(a.correct == Some(true));
            }
            _ => {}
        }
    }
    let time =
        |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let duration = s.finished.map_or_else(String::new, |f| {
        format!("{:.3}", (f - s.started).num_milliseconds() as f64 / 1000.0)
    });
    csv_row(&[
        s.id.to_string(),
        s.who.to_string(),
        s.script.id.clone(),
        s.kind.to_string(),
        s.mode_name(),
        s.status.to_string(),
        ending_of(record),
        decisions.to_string(),
        correct.to_string(),
        answered.to_string(),
        time(&s.started),
        s.finished.as_ref().map(time).unwrap_or_default(),
        duration,
        s.is_training().to_string(),
    ])
}

/// One CSV field: control characters other than line feeds shown as escapes (the data stays
/// readable and cannot drive a terminal that prints the file), quoted when needed.
fn csv_field(out: &mut String, field: &str) {
    let field = crate::term::clean(field);
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&field);
    }
}

fn csv_row(fields: &[String]) -> String {
    let mut line = String::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        csv_field(&mut line, field);
    }
    line.push_str("\r\n");
    line
}

/// The CSV rows of one session.
fn csv_rows(record: &SessionRecord) -> Vec<String> {
    let s = &record.session;
    let (mode, ending, training) = (
        s.mode_name(),
        ending_of(record),
        s.is_training().to_string(),
    );
    let mut shown: &[PresentedOption] = &[];
    let mut shown_node: Option<String> = None;
    let mut rows = Vec::new();
    for event in &record.events {
        let (node, item, index, option_id, ability, correct, latency, scrolled) = match &event.body
        {
            EventBody::OptionsPresented(o) => {
                shown = &o.options;
                shown_node.clone_from(&o.node);
                continue;
            }
            EventBody::Decision(d) => (
                d.node.clone(),
                None,
                d.option_index,
                &d.option_id,
                None,
                None,
                d.latency_ms,
                d.options_scrolled,
            ),
            EventBody::IaeAnswer(a) => (
                shown_node.clone(),
                Some(a.item.clone()),
                a.option_index,
                &a.option_id,
                a.ability.clone(),
                a.correct,
                a.latency_ms,
                a.options_scrolled,
            ),
            _ => continue,
        };
        let text = shown
            .iter()
            .find(|o| o.id == *option_id)
            .map(|o| o.text.clone())
            .unwrap_or_default();
        rows.push(csv_row(&[
            s.id.to_string(),
            s.kind.to_string(),
            s.script.id.clone(),
            s.script.hash.clone(),
            s.who.to_string(),
            s.status.to_string(),
            s.seed.to_string(),
            s.run_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            event.seq.to_string(),
            event
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            event.body.type_name().to_owned(),
            node.unwrap_or_default(),
            item.map(|i| i.0).unwrap_or_default(),
            index.to_string(),
            option_id.to_string(),
            text,
            ability.unwrap_or_default(),
            correct.map(|c| c.to_string()).unwrap_or_default(),
            latency.to_string(),
            mode.clone(),
            ending.clone(),
            training.clone(),
            scrolled.to_string(),
        ]));
    }
    rows
}

fn md_cell(text: &str) -> String {
    crate::term::clean(text)
        .replace('|', "\\|")
        .replace('\n', " ")
}

/// The Markdown transcript of one session.
fn markdown(record: &SessionRecord) -> String {
    let s = &record.session;
    let time =
        |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let mut out = format!("# Session {}\n\n| field | value |\n|---|---|\n", s.id);
    let rows = crate::session::header_fields(s, &time);
    for (field, value) in rows {
        out.push_str(&format!("| {field} | {} |\n", md_cell(&value)));
    }
    out.push('\n');
    for event in &record.events {
        let line = describe(event);
        // Paragraphs after the first continue the list item after a hard line break (`\`).
        let text = crate::term::clean(&line.text).replace('\n', "\\\n  ");
        out.push_str(&format!(
            "- `#{}` {} **{}** {text}\n",
            event.seq,
            time(&event.at),
            md_cell(&line.label)
        ));
    }
    out.push('\n');
    out
}

impl Store {
    /// The record with annotator ids replaced by this store's pseudonyms.
    #[must_use]
    pub fn anonymized(&self, mut record: SessionRecord) -> SessionRecord {
        if let Who::Annotator { id } = &mut record.session.who {
            *id = self.pseudonym(id);
        }
        record
    }

    /// Write the sessions matching `options.filter` to `out`.
    ///
    /// # Errors
    /// A store failure, or [`StoreError::Write`] when `out` fails.
    pub fn export(&self, options: &ExportOptions, out: &mut dyn Write) -> Result<ExportSummary> {
        let mut summary = ExportSummary::default();
        if options.format == ExportFormat::Csv {
            let columns = match options.per {
                CsvRows::Decision => CSV_COLUMNS,
                CsvRows::Session => CSV_SESSION_COLUMNS,
            };
            let header: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
            out.write_all(csv_row(&header).as_bytes())
                .map_err(StoreError::Write)?;
        }
        for session in self.list(&options.filter)? {
            let mut record = self.record(session.id)?;
            if options.anonymize {
                record = self.anonymized(record);
            }
            summary.sessions += 1;
            let text = match options.format {
                ExportFormat::Jsonl => {
                    summary.rows += record.events.len();
                    // JSON escapes C0 controls itself; DEL, C1 and bidi overrides are escaped
                    // too, so the file is safe to print and the data is unchanged.
                    let mut line =
                        crate::term::to_json(&record).map_err(|source| StoreError::Encode {
                            what: format!("session {}", record.session.id),
                            source,
                        })?;
                    line.push('\n');
                    line
                }
                ExportFormat::Csv if options.per == CsvRows::Session => {
                    summary.rows += 1;
                    csv_session_row(&record)
                }
                ExportFormat::Csv => {
                    let rows = csv_rows(&record);
                    summary.rows += rows.len();
                    rows.concat()
                }
                ExportFormat::Md => {
                    summary.rows += record.events.len();
                    markdown(&record)
                }
            };
            out.write_all(text.as_bytes()).map_err(StoreError::Write)?;
        }
        out.flush().map_err(StoreError::Write)?;
        Ok(summary)
    }
}
