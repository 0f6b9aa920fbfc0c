//! Runs read back from the store for browsing: every run with its counts, and one run's
//! sessions (episodes) with how each ended. The TUI's runs view is built on these; the
//! figures themselves come from [`super::summary`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::settings::{EvalKind, RunSettings};
use crate::session::{EventBody, Session, Status};
use crate::store::{Filter, Store};

/// One batch run, as its sessions describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub id: String,
    /// `None` when the sessions carry no readable settings (written by another tool).
    pub settings: Option<RunSettings>,
    /// The model's name as the sessions record it.
    pub model: String,
    pub started: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub finished: usize,
    pub failed: usize,
    pub abandoned: usize,
    pub in_progress: usize,
}

impl RunInfo {
    /// `gae` / `iae`, or `?`.
    #[must_use]
    pub fn metric(&self) -> &'static str {
        self.settings.as_ref().map_or("?", |s| s.kind.name())
    }

    /// Sessions of the run, whatever their status.
    #[must_use]
    pub const fn sessions(&self) -> usize {
        self.finished + self.failed + self.abandoned + self.in_progress
    }
}

fn settings_of(s: &Session) -> Option<RunSettings> {
    s.meta
        .get("run")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
}

fn model_of(s: &Session) -> String {
    match &s.who {
        crate::session::Who::Model { name, .. } => name.clone(),
        other => other.to_string(),
    }
}

/// Every run in the store, the most recently active first.
///
/// # Errors
/// The store could not be read.
pub fn list_runs(store: &Store) -> Result<Vec<RunInfo>, String> {
    let sessions = store.list(&Filter::default()).map_err(|e| e.to_string())?;
    let mut runs: BTreeMap<String, RunInfo> = BTreeMap::new();
    for s in &sessions {
        let Some(run) = &s.run_id else { continue };
        let info = runs.entry(run.to_string()).or_insert_with(|| RunInfo {
            id: run.to_string(),
            settings: settings_of(s),
            model: model_of(s),
            started: s.started,
            updated: s.updated,
            finished: 0,
            failed: 0,
            abandoned: 0,
            in_progress: 0,
        });
        info.started = info.started.min(s.started);
        info.updated = info.updated.max(s.updated);
        match s.status {
            Status::Finished => info.finished += 1,
            Status::Failed => info.failed += 1,
            Status::Abandoned => info.abandoned += 1,
            Status::InProgress => info.in_progress += 1,
            // A status from a newer version: counted with the ended ones.
            Status::Other(_) => info.abandoned += 1,
        }
    }
    let mut out: Vec<RunInfo> = runs.into_values().collect();
    out.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// One session of a run, for a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeRow {
    pub session: String,
    pub tree: String,
    pub title: String,
    /// GAE: the episode index; IAE: `None`.
    pub episode: Option<u32>,
    pub status: Status,
    /// How it ended: an outcome (`success`), why it was dropped (`invalid_answer`), the error,
    /// or for IAE `7/9 correct`; empty while running.
    pub result: String,
    /// Model calls recorded so far.
    pub calls: usize,
}

fn meta_str(meta: &Value, key: &str) -> Option<String> {
    meta.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The sessions of run `run_id`, in tree and episode order (later attempts of a slot after
/// earlier ones).
///
/// # Errors
/// The store could not be read.
pub fn episodes(store: &Store, run_id: &str) -> Result<Vec<EpisodeRow>, String> {
    let sessions = store
        .list(&Filter {
            run_id: Some(run_id.into()),
            ..Filter::default()
        })
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::with_capacity(sessions.len());
    for s in &sessions {
        let events = store.events(s.id).map_err(|e| e.to_string())?;
        let kind = settings_of(s).map(|r| r.kind);
        let mut calls = 0;
        let (mut answered, mut correct, mut items) = (0usize, 0usize, 0usize);
        let (mut outcome, mut reason) = (None, None);
        for e in &events {
            match &e.body {
                EventBody::LlmCall(_) => calls += 1,
                EventBody::OptionsPresented(_) => items += 1,
                EventBody::IaeAnswer(a) => {
                    answered += 1;
                    correct += usize::from(a.correct == Some(true));
                }
                EventBody::Ending(end) => outcome.clone_from(&end.outcome),
                EventBody::SessionStatus(change) => reason.clone_from(&change.reason),
                _ => {}
            }
        }
        let result = match (&s.status, kind) {
            (Status::InProgress, _) => String::new(),
            (Status::Finished, Some(EvalKind::Iae)) => {
                let dropped = items.saturating_sub(answered);
                if dropped > 0 {
                    format!("{correct}/{answered} correct, {dropped} dropped")
                } else {
                    format!("{correct}/{answered} correct")
                }
            }
            (Status::Finished, _) => reason
                .map(|r| r.to_string())
                .or_else(|| outcome.map(|o| o.to_string()))
                .unwrap_or_else(|| "finished".to_owned()),
            (_, _) => reason.map_or_else(|| s.status.to_string(), |r| r.to_string()),
        };
        rows.push(EpisodeRow {
            session: s.id.to_string(),
            tree: meta_str(&s.meta, "tree").unwrap_or_else(|| s.script.id.clone()),
            title: meta_str(&s.meta, "title").unwrap_or_else(|| s.script.id.clone()),
            episode: s
                .meta
                .get("episode")
                .and_then(Value::as_u64)
                .and_then(|e| u32::try_from(e).ok()),
            status: s.status.clone(),
            result,
            calls,
        });
    }
    rows.sort_by(|a, b| (&a.tree, a.episode, &a.session).cmp(&(&b.tree, b.episode, &b.session)));
    Ok(rows)
}
