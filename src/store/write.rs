//! Creating sessions and appending events.

use std::ops::Range;

use chrono::{DateTime, SubsecRound, Utc};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::keys::{encode, event_key, session_key, split_event_key};
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

impl Store {
    /// Start a session: assign its id and start time, store the header, flush.
    ///
    /// # Errors
    /// When `who.params` or `meta` hold something that looks like a credential, or the store
    /// cannot write.
    pub fn create(&self, new: NewSession) -> Result<Session> {
        check_secrets(&new.who, &new.meta)?;
        let started = now();
        let ms = u64::try_from(started.timestamp_millis()).unwrap_or(0);
        let session = Session {
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
        };
        let bytes = encode("session header", &session)?;
        self.sessions
            .insert(session_key(session.id), bytes)
            .map_err(|e| self.sled_error(e))?;
        self.flush()?;
        Ok(session)
    }

    /// Append one event and flush: when this returns, the event survives a crash. Returns
    /// the event's `seq`.
    ///
    /// # Errors
    /// [`StoreError::NoSuchSession`], a credential in an LLM request, or a write failure.
    pub fn append(&self, id: SessionId, body: EventBody) -> Result<u64> {
        let seq = self.append_unflushed(id, body)?;
        self.flush()?;
        Ok(seq)
    }

    /// Append one event without waiting for the disk. It is visible at once and atomic, but
    /// durable only after the next [`Store::flush`] (or sled's own flush within 500 ms).
    ///
    /// # Errors
    /// As [`Store::append`].
    pub fn append_unflushed(&self, id: SessionId, body: EventBody) -> Result<u64> {
        Ok(self.append_batch(id, [body])?.start)
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
        let at = now();
        let at_json = serde_json::to_string(&at).map_err(|source| StoreError::Encode {
            what: "a time".to_owned(),
            source,
        })?;
        let mut prepared = Vec::new();
        let mut status = None;
        for body in bodies {
            check_body_secrets(&body)?;
            if let EventBody::SessionStatus(change) = &body {
                status = Some(change.status.clone());
            }
            prepared.push((body.schema(), encode("an event", &body)?));
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
        let end = start + prepared.len() as u64;
        let stored =
            |seq: u64, (schema, body): &(u32, Vec<u8>)| event_bytes(seq, &at_json, *schema, body);
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
