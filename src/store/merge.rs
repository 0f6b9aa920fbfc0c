//! Import (JSONL) and merge (another store): idempotent, never overwriting.
//!
//! Each incoming session is a header with its whole log. For every one:
//!
//! * a session the store lacks is added as it is;
//! * a session the store has must have the same origin (every header field that is not
//!   derived from the events) and the same events at every `seq` both sides hold; the events
//!   past the local end are appended;
//! * anything else — a different header, a different event at the same `seq`, a log with gaps,
//!   a credential — is a [`MergeProblem`]: reported, and that session is left untouched.
//!
//! The derived header fields are recomputed from the events, so importing or merging the same
//! data twice changes nothing. One incoming session is applied in one transaction; the store
//! is flushed once at the end, also when the caller stops an import or merge between sessions.

use std::io::BufRead;

use serde::Serialize;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::keys::{encode, event_key, session_key};
use super::local::Local;
use super::write::{check_body_secrets, check_secrets};
use super::{Filter, Result, Store, StoreError};
use crate::session::{RECORD_SCHEMA, SESSION_SCHEMA, Session, SessionId, SessionRecord};

/// What an import or merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MergeReport {
    /// Sessions new to this store.
    pub added: usize,
    /// Sessions this store had, that gained events.
    pub extended: usize,
    /// Sessions this store already had in full.
    pub unchanged: usize,
    /// Events written.
    pub events_added: u64,
    /// Sessions left untouched, and why.
    pub problems: Vec<MergeProblem>,
    /// Whether the caller asked to stop before every session was handled. The sessions
    /// counted above are stored and flushed; the rest were not looked at.
    pub interrupted: bool,
}

impl MergeReport {
    /// Sessions handled: added, extended or found complete already.
    #[must_use]
    pub fn done(&self) -> usize {
        self.added + self.extended + self.unchanged
    }
}

/// A session an import or merge did not apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeProblem {
    pub id: SessionId,
    pub reason: String,
}

/// What merging one session did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Outcome {
    Added(u64),
    Extended(u64),
    Unchanged,
}

enum Abort {
    Store(StoreError),
    Conflict(String),
}

/// The first origin field in which two headers of one id differ.
fn origin_difference(local: &Session, incoming: &Session) -> Option<&'static str> {
    [
        (local.kind != incoming.kind, "kind"),
        (local.script != incoming.script, "script"),
        (local.who != incoming.who, "who"),
        (local.seed != incoming.seed, "seed"),
        (local.run_id != incoming.run_id, "run_id"),
        (local.started != incoming.started, "started"),
        (local.meta != incoming.meta, "meta"),
    ]
    .into_iter()
    .find_map(|(differs, field)| differs.then_some(field))
}

/// Why a record cannot be merged as it is, if it cannot.
fn validate(record: &SessionRecord) -> Option<String> {
    // A header of a newer schema may carry fields this version would drop when it stores the
    // session, so it is refused like a newer record layout. (Event bodies of a newer schema
    // are fine: they are kept as raw JSON, see `session`.)
    let newer = [
        ("record", record.schema, RECORD_SCHEMA),
        ("session", record.session.schema, SESSION_SCHEMA),
    ];
    if let Some((what, found, known)) = newer.into_iter().find(|(_, found, known)| found > known) {
        return Some(format!(
            "written by a newer socius ({what} schema {found}, this one reads up to {known})"
        ));
    }
    if let Some((i, e)) = record
        .events
        .iter()
        .enumerate()
        .find(|(i, e)| e.seq != *i as u64)
    {
        return Some(format!(
            "its events are not numbered 0, 1, 2, …: position {i} has seq {}",
            e.seq
        ));
    }
    let secret = check_secrets(&record.session.who, &record.session.meta).and_then(|()| {
        record
            .events
            .iter()
            .try_for_each(|e| check_body_secrets(&e.body))
    });
    secret.err().map(|e| e.to_string())
}

impl Local {
    /// Merge one session with its log, without flushing. See the module documentation. The
    /// inner error is why the session was left untouched.
    pub(super) fn merge_record(
        &self,
        record: SessionRecord,
    ) -> Result<std::result::Result<Outcome, String>> {
        if let Some(reason) = validate(&record) {
            return Ok(Err(reason));
        }
        let SessionRecord {
            mut session,
            events,
            ..
        } = record;
        session.derive_from(&events);
        let id = session.id;
        let key = session_key(id);
        let header_bytes = encode("session header", &session)?;
        let mut event_bytes = Vec::with_capacity(events.len());
        for event in &events {
            event_bytes.push(encode("an event", event)?);
        }
        let incoming_len = events.len() as u64;
        // Appends wait while the session is merged: those of other processes come through
        // this one (see `share`).
        let mut seqs = self.lock_seqs();
        let local_len = self.next_seq_in_log(id)?;
        let skip = usize::try_from(local_len).unwrap_or(usize::MAX);

        let result = (&self.sessions, &self.events).transaction(|(sessions, tree)| {
            let abort = |a| ConflictableTransactionError::Abort(a);
            let Some(local_bytes) = sessions.get(key)? else {
                if local_len > 0 {
                    return Err(abort(Abort::Conflict(
                        "the store holds events of this id without a header".to_owned(),
                    )));
                }
                for (event, bytes) in events.iter().zip(&event_bytes) {
                    tree.insert(&event_key(id, event.seq)[..], bytes.clone())?;
                }
                sessions.insert(&key[..], header_bytes.clone())?;
                return Ok(Outcome::Added(incoming_len));
            };
            let local = self
                .decode_session(&key, &local_bytes)
                .map_err(|e| abort(Abort::Store(e)))?;
            if let Some(field) = origin_difference(&local, &session) {
                return Err(abort(Abort::Conflict(format!(
                    "the store holds a session with this id and a different `{field}`"
                ))));
            }
            for event in events.iter().take(skip) {
                let ekey = event_key(id, event.seq);
                let Some(bytes) = tree.get(ekey)? else {
                    return Err(abort(Abort::Conflict(format!(
                        "the store's log of this session has a gap at #{}",
                        event.seq
                    ))));
                };
                let mine = self
                    .decode_event(&ekey, &bytes)
                    .map_err(|e| abort(Abort::Store(e)))?;
                if !crate::session::compat::same_event(&mine, event) {
                    return Err(abort(Abort::Conflict(format!(
                        "event #{} differs from the store's event #{}",
                        event.seq, event.seq
                    ))));
                }
            }
            if incoming_len <= local_len {
                return Ok(Outcome::Unchanged);
            }
            for (event, bytes) in events.iter().zip(&event_bytes).skip(skip) {
                tree.insert(&event_key(id, event.seq)[..], bytes.clone())?;
            }
            sessions.insert(&key[..], header_bytes.clone())?;
            Ok(Outcome::Extended(incoming_len - local_len))
        });
        seqs.remove(&id);
        drop(seqs);
        match result {
            Ok(outcome) => Ok(Ok(outcome)),
            Err(TransactionError::Abort(Abort::Conflict(reason))) => Ok(Err(reason)),
            Err(TransactionError::Abort(Abort::Store(e))) => Err(e),
            Err(TransactionError::Storage(e)) => Err(self.sled_error(e)),
        }
    }
}

impl Store {
    fn merge_all(
        &self,
        records: impl IntoIterator<Item = Result<SessionRecord>>,
        stop: &dyn Fn() -> bool,
    ) -> Result<MergeReport> {
        let mut report = MergeReport::default();
        for record in records {
            // Stopping between sessions leaves every session whole: each is one transaction.
            if stop() {
                report.interrupted = true;
                break;
            }
            let record = record?;
            let id = record.session.id;
            match self.handle.merge(record)? {
                Ok(Outcome::Added(n)) => {
                    report.added += 1;
                    report.events_added += n;
                }
                Ok(Outcome::Extended(n)) => {
                    report.extended += 1;
                    report.events_added += n;
                }
                Ok(Outcome::Unchanged) => report.unchanged += 1,
                Err(reason) => report.problems.push(MergeProblem { id, reason }),
            }
        }
        self.flush()?;
        Ok(report)
    }

    /// Import a JSONL export (one [`SessionRecord`] per line; blank lines are skipped).
    /// Every line is parsed before anything is written, so a malformed file changes nothing.
    /// `source_name` names the input in error messages.
    ///
    /// # Errors
    /// [`StoreError::Import`] with the line number of the first malformed line, or a store
    /// failure. Sessions that conflict with the store are reported in the result instead.
    pub fn import_jsonl(&self, input: impl BufRead, source_name: &str) -> Result<MergeReport> {
        self.import_jsonl_until(input, source_name, &|| false)
    }

    /// [`Store::import_jsonl`], asking `stop` before each line is parsed and before each
    /// session is written. Once it answers `true` the import ends early with
    /// [`MergeReport::interrupted`] set: the sessions it reports are stored and flushed, and
    /// importing the same file again adds the rest.
    ///
    /// # Errors
    /// As [`Store::import_jsonl`].
    pub fn import_jsonl_until(
        &self,
        input: impl BufRead,
        source_name: &str,
        stop: &dyn Fn() -> bool,
    ) -> Result<MergeReport> {
        let mut records = Vec::new();
        for (index, line) in input.lines().enumerate() {
            if stop() {
                return Ok(MergeReport {
                    interrupted: true,
                    ..MergeReport::default()
                });
            }
            let line = line.map_err(|e| StoreError::Import {
                source_name: source_name.to_owned(),
                line: index + 1,
                detail: e.to_string(),
            })?;
            if line.trim().is_empty() {
                continue;
            }
            let mut record: SessionRecord =
                serde_json::from_str(&line).map_err(|e| StoreError::Import {
                    source_name: source_name.to_owned(),
                    line: index + 1,
                    detail: e.to_string(),
                })?;
            // Answers an earlier version stored by screen position get their presented ids.
            crate::session::compat::upgrade_legacy_answers(&mut record.events);
            records.push(record);
        }
        self.merge_all(records.into_iter().map(Ok), stop)
    }

    /// Merge every session of `other` into this store.
    ///
    /// # Errors
    /// When either store fails; conflicting sessions are reported in the result instead.
    pub fn merge_from(&self, other: &Self) -> Result<MergeReport> {
        self.merge_from_until(other, &|| false)
    }

    /// [`Store::merge_from`], asking `stop` before each session; see
    /// [`Store::import_jsonl_until`].
    ///
    /// # Errors
    /// As [`Store::merge_from`].
    pub fn merge_from_until(&self, other: &Self, stop: &dyn Fn() -> bool) -> Result<MergeReport> {
        let sessions = other.list(&Filter::default())?;
        self.merge_all(sessions.into_iter().map(|s| other.record(s.id)), stop)
    }
}
