//! Creating sessions and appending events.

use std::ops::Range;

use chrono::{DateTime, SubsecRound, Utc};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::keys::{encode, event_key, session_key, split_event_key};
use super::local::Local;
use super::{Result, Store, StoreError};
use crate::session::{
    EventBody, NewSession, SESSION_SCHEMA, Session, SessionId, Status, StatusChange, StatusReason,
    Who, find_secret,
};

/// The current time at the store's resolution (milliseconds).
pub(super) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// The stored bytes of an event whose body is already encoded. Equal to
/// `serde_json::to_vec(&Event { … })`, without encoding the body again for every retry of the
/// transaction.
pub(super) fn event_bytes(seq: u64, at_json: &str, schema: u32, body_json: &[u8]) -> Vec<u8> {
    let head = format!(r#"{{"seq":{seq},"at":{at_json},"schema":{schema},"body":"#);
    let mut bytes = Vec::with_capacity(head.len() + body_json.len() + 1);
    bytes.extend_from_slice(head.as_bytes());
    bytes.extend_from_slice(body_json);
    bytes.push(b'}');
    bytes
}

/// Refuse values that look like they carry a credential.
pub(super) fn check_secrets(who: &Who, meta: &serde_json::Value) -> Result<()> {
    if let Who::Model { params, .. } = who {
        let params = serde_json::Value::Object(params.clone());
        if let Some(path) = find_secret(&params) {
            return Err(StoreError::Secret(format!("who.params.{path}")));
        }
    }
    if let Some(path) = find_secret(meta) {
        return Err(StoreError::Secret(format!("meta.{path}")));
    }
    Ok(())
}

/// Refuse an event body that looks like it carries a credential.
pub(super) fn check_body_secrets(body: &EventBody) -> Result<()> {
    if let EventBody::LlmCall(call) = body
        && let Some(path) = find_secret(&call.request)
    {
        return Err(StoreError::Secret(format!("llm_call.request.{path}")));
    }
    Ok(())
}

/// An event body encoded for the log, with the schema it is written under.
type Prepared = (u32, Vec<u8>);

/// How far back a repeated append looks for the events of its first attempt.
const RETRY_WINDOW: u64 = 256;

/// The header of a new session: a fresh id and start time, and the derived fields of a session
/// without events.
pub(super) fn new_header(new: NewSession) -> Session {
    let started = now();
    let ms = u64::try_from(started.timestamp_millis()).unwrap_or(0);
    Session {
        id: SessionId::generate_at(ms),
        schema: SESSION_SCHEMA,
        kind: new.kind,
        script: new.script,
        who: new.who,
        seed: new.seed,
        run_id: new.run_id,
        started,
        finished: None,
        status: Status::InProgress,
        events: 0,
        updated: started,
        meta: new.meta,
    }
}

impl Store {
    /// Start a session: assign its id and start time, store the header, flush.
    ///
    /// # Errors
    /// When `who.params` or `meta` hold something that looks like a credential, or the store
    /// cannot write.
    pub fn create(&self, new: NewSession) -> Result<Session> {
        check_secrets(&new.who, &new.meta)?;
        self.handle.create(&new_header(new))
    }

    /// Append one event and flush: when this returns, the event survives a crash. Returns
    /// the event's `seq`.
    ///
    /// # Errors
    /// [`StoreError::NoSuchSession`], a credential in an LLM request, or a write failure.
    pub fn append(&self, id: SessionId, body: EventBody) -> Result<u64> {
        Ok(self.handle.append(id, vec![body], true)?.start)
    }

    /// Append one event without waiting for the disk. It is visible at once and atomic, but
    /// durable only after the next [`Store::flush`] (or sled's own flush within 500 ms).
    ///
    /// # Errors
    /// As [`Store::append`].
    pub fn append_unflushed(&self, id: SessionId, body: EventBody) -> Result<u64> {
        Ok(self.handle.append(id, vec![body], false)?.start)
    }

    /// Append several events atomically (all or none become visible), without flushing.
    /// Returns the range of their `seq`s.
    ///
    /// # Errors
    /// As [`Store::append`]; on error nothing is appended.
    pub fn append_batch(
        &self,
        id: SessionId,
        bodies: impl IntoIterator<Item = EventBody>,
    ) -> Result<Range<u64>> {
        self.handle.append(id, bodies.into_iter().collect(), false)
    }

    /// Record a status change (finished, abandoned, failed, or back to in progress) and flush.
    ///
    /// # Errors
    /// As [`Store::append`].
    pub fn set_status(
        &self,
        id: SessionId,
        status: Status,
        reason: Option<StatusReason>,
    ) -> Result<u64> {
        self.append(
            id,
            EventBody::SessionStatus(StatusChange { status, reason }),
        )
    }
}

impl Local {
    /// Store the header of a new session and flush. Storing the same header again changes
    /// nothing (a repeated request after a hand-over); another header under the same id is
    /// refused.
    pub(super) fn create_header(&self, session: &Session) -> Result<Session> {
        check_secrets(&session.who, &session.meta)?;
        // Only the origin fields come from the caller; a new session has no events.
        let session = Session {
            schema: SESSION_SCHEMA,
            finished: None,
            status: Status::InProgress,
            events: 0,
            updated: session.started,
            ..session.clone()
        };
        let bytes = encode("session header", &session)?;
        let swapped = self
            .sessions
            .compare_and_swap(
                session_key(session.id),
                None::<&[u8]>,
                Some(bytes.as_slice()),
            )
            .map_err(|e| self.sled_error(e))?;
        if let Err(held) = swapped
            && held.current.as_deref() != Some(bytes.as_slice())
        {
            return Err(StoreError::IdTaken(session.id));
        }
        self.flush()?;
        Ok(session)
    }

    /// Append `bodies` to session `id` at time `at`, atomically, without flushing; returns
    /// their seqs.
    ///
    /// `retry_from` marks a repeated request whose first attempt may have been applied: when
    /// the session holds exactly these events (same bodies, same time) at some seq from
    /// `retry_from` on, near the end of its log, their seqs are returned and nothing is
    /// written again.
    pub(super) fn append_at(
        &self,
        id: SessionId,
        at: DateTime<Utc>,
        bodies: &[EventBody],
        retry_from: Option<u64>,
    ) -> Result<Range<u64>> {
        let at_json = serde_json::to_string(&at).map_err(|source| StoreError::Encode {
            what: "a time".to_owned(),
            source,
        })?;
        let mut prepared = Vec::new();
        let mut status = None;
        for body in bodies {
            check_body_secrets(body)?;
            if let EventBody::SessionStatus(change) = body {
                status = Some(change.status.clone());
            }
            prepared.push((body.schema(), encode("an event", body)?));
        }
        let mut seqs = self.lock_seqs();
        let start = match seqs.get(&id) {
            Some(&next) => next,
            None => {
                if !self
                    .sessions
                    .contains_key(session_key(id))
                    .map_err(|e| self.sled_error(e))?
                {
                    return Err(StoreError::NoSuchSession(id));
                }
                self.next_seq_in_log(id)?
            }
        };
        let stored =
            |seq: u64, (schema, body): &Prepared| event_bytes(seq, &at_json, *schema, body);
        if let Some(floor) = retry_from
            && let Some(found) = self.find_appended(id, floor, start, &prepared, &stored)?
        {
            seqs.insert(id, start);
            return Ok(found);
        }
        let end = start + prepared.len() as u64;
        match (status, prepared.as_slice()) {
            (_, []) => {}
            (None, [body]) => {
                self.events
                    .insert(event_key(id, start), stored(start, body))
                    .map_err(|e| self.sled_error(e))?;
            }
            (None, bodies) => {
                let mut batch = sled::Batch::default();
                for (seq, body) in (start..).zip(bodies) {
                    batch.insert(&event_key(id, seq)[..], stored(seq, body));
                }
                self.events
                    .apply_batch(batch)
                    .map_err(|e| self.sled_error(e))?;
            }
            (Some(status), bodies) => {
                self.append_with_status(id, start, bodies, &stored, at, &status)?;
            }
        }
        seqs.insert(id, end);
        Ok(start..end)
    }

    /// Where the events `bodies` (encoded) were stored by an earlier attempt, if they were:
    /// a run of exactly these stored bytes at some seq from `floor` (and at most
    /// [`RETRY_WINDOW`] before `end`, the next seq) up to `end`.
    fn find_appended(
        &self,
        id: SessionId,
        floor: u64,
        end: u64,
        bodies: &[Prepared],
        stored: &dyn Fn(u64, &Prepared) -> Vec<u8>,
    ) -> Result<Option<Range<u64>>> {
        let n = bodies.len() as u64;
        let Some(last_start) = end.checked_sub(n) else {
            return Ok(None);
        };
        if n == 0 {
            return Ok(None);
        }
        let first_start = floor.max(end.saturating_sub(RETRY_WINDOW));
        'start: for start in first_start..=last_start {
            for (seq, body) in (start..).zip(bodies) {
                let held = self
                    .events
                    .get(event_key(id, seq))
                    .map_err(|e| self.sled_error(e))?;
                if held.as_deref() != Some(stored(seq, body).as_slice()) {
                    continue 'start;
                }
            }
            return Ok(Some(start..start + n));
        }
        Ok(None)
    }

    /// Append events that change the session's status, and update the header's `status` and
    /// `finished` in the same transaction.
    fn append_with_status(
        &self,
        id: SessionId,
        start: u64,
        bodies: &[Prepared],
        stored: &dyn Fn(u64, &Prepared) -> Vec<u8>,
        at: DateTime<Utc>,
        status: &Status,
    ) -> Result<()> {
        let key = session_key(id);
        let end = start + bodies.len() as u64;
        let outcome = (&self.sessions, &self.events).transaction(|(sessions, events)| {
            let abort = ConflictableTransactionError::Abort;
            let Some(bytes) = sessions.get(key)? else {
                return Err(abort(StoreError::NoSuchSession(id)));
            };
            let mut header = self.decode_session(&key, &bytes).map_err(abort)?;
            for (seq, body) in (start..).zip(bodies) {
                events.insert(&event_key(id, seq)[..], stored(seq, body))?;
            }
            header.advance(end - 1, at, Some(status));
            sessions.insert(&key[..], encode("session header", &header).map_err(abort)?)?;
            Ok(())
        });
        outcome.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => self.sled_error(e),
        })
    }

    /// The seq after the last event of session `id` in the events tree (0 for none).
    pub(super) fn next_seq_in_log(&self, id: SessionId) -> Result<u64> {
        let last = self
            .events
            .range(event_key(id, 0)..=event_key(id, u64::MAX))
            .next_back()
            .transpose()
            .map_err(|e| self.sled_error(e))?;
        Ok(last
            .and_then(|(key, _)| split_event_key(&key))
            .map_or(0, |(_, seq)| seq.saturating_add(1)))
    }
}
