//! Reading headers and event logs; finding sessions to resume.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::keys::{event_key, session_key, split_event_key};
use super::local::Local;
use super::{Filter, Result, Store, StoreError};
use crate::session::{Event, Session, SessionId, SessionRecord, Status, Who};

/// The part of an event needed for the header's derived fields.
#[derive(Deserialize)]
struct Tail {
    seq: u64,
    at: DateTime<Utc>,
}

impl Local {
    /// Decode a stored header and fill in `events` and `updated` from the session's last
    /// event.
    fn read_session(&self, key: &[u8], bytes: &[u8]) -> Result<Session> {
        let mut session = self.decode_session(key, bytes)?;
        self.fill_tail(&mut session)?;
        Ok(session)
    }

    /// Set `events` and `updated` from the session's last event.
    fn fill_tail(&self, session: &mut Session) -> Result<()> {
        let id = session.id;
        let last = self
            .events
            .range(event_key(id, 0)..=event_key(id, u64::MAX))
            .next_back()
            .transpose()
            .map_err(|e| self.sled_error(e))?;
        match last {
            Some((key, bytes)) => {
                let tail: Tail =
                    serde_json::from_slice(&bytes).map_err(|e| self.corrupt(&key, &e))?;
                session.events = tail.seq.saturating_add(1);
                session.updated = tail.at;
            }
            None => {
                session.events = 0;
                session.updated = session.started;
            }
        }
        Ok(())
    }
    /// The header of session `id`, if it exists.
    pub(super) fn session(&self, id: SessionId) -> Result<Option<Session>> {
        let key = session_key(id);
        match self.sessions.get(key).map_err(|e| self.sled_error(e))? {
            Some(bytes) => self.read_session(&key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The session whose id is `text`, or the only one whose id starts with `text`.
    pub(super) fn resolve(&self, text: &str) -> Result<Session> {
        let text = text.trim();
        if let Ok(id) = text.parse::<SessionId>() {
            return self.session(id)?.ok_or(StoreError::NoSuchSession(id));
        }
        let Some((low, high)) = SessionId::prefix_range(text) else {
            return Err(StoreError::UnknownId(text.to_owned()));
        };
        let mut found = Vec::new();
        for item in self
            .sessions
            .range(session_key(low)..=session_key(high))
            .take(2)
        {
            let (key, bytes) = item.map_err(|e| self.sled_error(e))?;
            found.push(self.read_session(&key, &bytes)?);
        }
        match found.len() {
            0 => Err(StoreError::UnknownId(text.to_owned())),
            1 => Ok(found.remove(0)),
            _ => Err(StoreError::AmbiguousId(text.to_owned())),
        }
    }

    /// Every session matching `filter`, oldest first; with `tail`, their event count and last
    /// update are read from their logs.
    pub(super) fn list(&self, filter: &Filter, tail: bool) -> Result<Vec<Session>> {
        let mut out = Vec::new();
        for item in &self.sessions {
            let (key, bytes) = item.map_err(|e| self.sled_error(e))?;
            // The filter looks only at stored fields, so the tail is read for matches only.
            let mut session = self.decode_session(&key, &bytes)?;
            if filter.matches(&session) {
                if tail {
                    self.fill_tail(&mut session)?;
                }
                out.push(session);
            }
        }
        Ok(out)
    }

    /// The number of sessions.
    pub(super) fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// The events of session `id` from `seq` on, in order.
    pub(super) fn events_from(&self, id: SessionId, seq: u64) -> Result<Vec<Event>> {
        let range = event_key(id, seq)..=event_key(id, u64::MAX);
        let mut out = Vec::new();
        for item in self.events.range(range) {
            let (key, bytes) = item.map_err(|e| self.sled_error(e))?;
            out.push(self.decode_event(&key, &bytes)?);
        }
        Ok(out)
    }

    /// The events of session `id` whose type `keep` accepts, in order (the others are not
    /// decoded).
    pub(super) fn events_selected(
        &self,
        id: SessionId,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<Event>> {
        let range = event_key(id, 0)..=event_key(id, u64::MAX);
        let mut out = Vec::new();
        for item in self.events.range(range) {
            let (key, bytes) = item.map_err(|e| self.sled_error(e))?;
            let (seq, event) =
                Event::decode_if(&bytes, keep).map_err(|e| self.corrupt(&key, &e))?;
            if !matches!(split_event_key(&key), Some((_, k)) if k == seq) {
                return Err(self.corrupt(&key, &"the event's seq differs from its key"));
            }
            out.extend(event);
        }
        Ok(out)
    }

    /// As [`Local::events_selected`] for each of `ids` (ascending), in one pass over their
    /// part of the log: the logs of sessions between them are passed over, not decoded.
    pub(super) fn events_selected_many(
        &self,
        ids: &[SessionId],
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<Vec<Event>>> {
        let mut out: Vec<Vec<Event>> = ids.iter().map(|_| Vec::new()).collect();
        let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
            return Ok(out);
        };
        let mut at = 0;
        for item in self
            .events
            .range(event_key(*first, 0)..=event_key(*last, u64::MAX))
        {
            let (key, bytes) = item.map_err(|e| self.sled_error(e))?;
            let Some((id, key_seq)) = split_event_key(&key) else {
                return Err(self.corrupt(&key, &"an event key of the wrong length"));
            };
            while ids.get(at).is_some_and(|wanted| *wanted < id) {
                at += 1;
            }
            let Some(slot) = out.get_mut(at).filter(|_| ids.get(at) == Some(&id)) else {
                continue;
            };
            let (seq, event) =
                Event::decode_if(&bytes, keep).map_err(|e| self.corrupt(&key, &e))?;
            if seq != key_seq {
                return Err(self.corrupt(&key, &"the event's seq differs from its key"));
            }
            slot.extend(event);
        }
        Ok(out)
    }

    /// The sessions matching `filter` after `after` (from the first when `None`), oldest
    /// first, until their stored headers add up to `budget` bytes; with the id to continue
    /// after when there may be more.
    pub(super) fn list_page(
        &self,
        filter: &Filter,
        after: Option<SessionId>,
        budget: usize,
    ) -> Result<(Vec<Session>, Option<SessionId>)> {
        let start = match after {
            Some(id) => Bound::Excluded(session_key(id)),
            None => Bound::Unbounded,
        };
        let mut out = Vec::new();
        let mut used = 0;
        for item in self
            .sessions
            .range::<[u8; 16], _>((start, Bound::Unbounded))
        {
            let (key, bytes) = item.map_err(|e| self.sled_error(e))?;
            let mut session = self.decode_session(&key, &bytes)?;
            if filter.matches(&session) {
                self.fill_tail(&mut session)?;
                used += bytes.len();
                let id = session.id;
                out.push(session);
                if used >= budget {
                    return Ok((out, Some(id)));
                }
            }
        }
        Ok((out, None))
    }

    /// The events of session `id` from `seq` on, until their stored bytes add up to `budget`;
    /// with the seq to continue from when there may be more.
    pub(super) fn events_page(
        &self,
        id: SessionId,
        seq: u64,
        budget: usize,
    ) -> Result<(Vec<Event>, Option<u64>)> {
        let range = event_key(id, seq)..=event_key(id, u64::MAX);
        let mut out = Vec::new();
        let mut used = 0;
        for item in self.events.range(range) {
            let (key, bytes) = item.map_err(|e| self.sled_error(e))?;
            let event = self.decode_event(&key, &bytes)?;
            used += bytes.len();
            let next = event.seq.checked_add(1);
            out.push(event);
            if used >= budget {
                return Ok((out, next));
            }
        }
        Ok((out, None))
    }
}

impl Store {
    /// The header of session `id`, if it exists.
    ///
    /// # Errors
    /// When the header cannot be read or decoded.
    pub fn session(&self, id: SessionId) -> Result<Option<Session>> {
        self.handle
            .run(|local| local.session(id), |client| client.session(id))
    }

    /// The header of session `id`.
    ///
    /// # Errors
    /// [`StoreError::NoSuchSession`], or a read failure.
    pub fn get(&self, id: SessionId) -> Result<Session> {
        self.session(id)?.ok_or(StoreError::NoSuchSession(id))
    }

    /// The session whose id is `text`, or the only one whose id starts with `text`.
    ///
    /// # Errors
    /// [`StoreError::UnknownId`] when nothing (or nothing valid) matches,
    /// [`StoreError::AmbiguousId`] when several sessions do.
    pub fn resolve(&self, text: &str) -> Result<Session> {
        self.handle
            .run(|local| local.resolve(text), |client| client.resolve(text))
    }

    /// Every session matching `filter`, oldest first.
    ///
    /// # Errors
    /// When a header cannot be read or decoded.
    pub fn list(&self, filter: &Filter) -> Result<Vec<Session>> {
        if let Some(local) = self.handle.local() {
            return local.list(filter, true);
        }
        // Through the owner, page by page; a page interrupted by a hand-over is asked again.
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let (page, next) = self.handle.run(
                |local| local.list_page(filter, after, usize::MAX),
                |client| client.list_page(filter, after),
            )?;
            out.extend(page);
            match next {
                Some(id) => after = Some(id),
                None => return Ok(out),
            }
        }
    }

    /// As [`Store::list`], without reading each session's log: `events` is 0 and `updated` the
    /// start time (for readers of many headers that need neither).
    ///
    /// # Errors
    /// A read failure, or a header that cannot be decoded.
    pub fn list_headers(&self, filter: &Filter) -> Result<Vec<Session>> {
        match self.handle.local() {
            Some(local) => {
                let mut out = local.list(filter, false)?;
                for s in &mut out {
                    s.events = 0;
                    s.updated = s.started;
                }
                Ok(out)
            }
            None => self.list(filter),
        }
    }

    /// The number of sessions (0 when the store cannot be asked; the error is logged).
    #[must_use]
    pub fn session_count(&self) -> usize {
        self.handle
            .run(
                |local| Ok(local.session_count()),
                |client| client.session_count(),
            )
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "session count");
                0
            })
    }

    /// The whole event log of session `id`, in order (empty for an unknown id).
    ///
    /// # Errors
    /// When an event cannot be read or decoded.
    pub fn events(&self, id: SessionId) -> Result<Vec<Event>> {
        let mut events = self.events_from(id, 0)?;
        // Read as this version writes them (see `session::compat`); the stored bytes stay.
        crate::session::compat::upgrade_legacy_answers(&mut events);
        Ok(events)
    }

    /// The events of session `id` from `seq` on, in order.
    ///
    /// # Errors
    /// When an event cannot be read or decoded.
    pub fn events_from(&self, id: SessionId, seq: u64) -> Result<Vec<Event>> {
        if let Some(local) = self.handle.local() {
            return local.events_from(id, seq);
        }
        let mut out = Vec::new();
        let mut from = seq;
        loop {
            let (page, next) = self.handle.run(
                |local| local.events_page(id, from, usize::MAX),
                |client| client.events_page(id, from),
            )?;
            out.extend(page);
            match next {
                Some(seq) => from = seq,
                None => return Ok(out),
            }
        }
    }

    /// The events of session `id` whose type `keep` accepts (e.g. `|t| t == "ending"`), in
    /// order; read as [`Store::events`] reads them. Cheaper than the whole log when it holds
    /// long events the caller does not need (through another process's store, the whole log
    /// is fetched and filtered here).
    ///
    /// # Errors
    /// When an event cannot be read or decoded.
    pub fn events_selected(
        &self,
        id: SessionId,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<Event>> {
        let mut events = match self.handle.local() {
            Some(local) => local.events_selected(id, keep)?,
            None => {
                let mut all = self.events_from(id, 0)?;
                all.retain(|e| keep(e.body.type_name()));
                all
            }
        };
        crate::session::compat::upgrade_legacy_answers(&mut events);
        Ok(events)
    }

    /// [`Store::events_selected`] of many sessions at once, in the order of `ids`: read in
    /// a few passes over the log (one per core) rather than one look-up per session.
    ///
    /// # Errors
    /// When an event cannot be read or decoded.
    pub fn events_selected_many(
        &self,
        ids: &[SessionId],
        keep: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Vec<Vec<Event>>> {
        let Some(local) = self.handle.local() else {
            return ids
                .iter()
                .map(|id| self.events_selected(*id, keep))
                .collect();
        };
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i]);
        let sorted: Vec<SessionId> = order.iter().map(|&i| ids[i]).collect();
        let parts = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .clamp(1, 8);
        let chunks: Vec<&[SessionId]> =
            sorted.chunks(sorted.len().div_ceil(parts).max(1)).collect();
        let mut logs = Vec::with_capacity(ids.len());
        for part in crate::par::map(&chunks, &|c: &&[SessionId]| {
            local.events_selected_many(c, keep)
        }) {
            logs.extend(part?);
        }
        let mut out: Vec<Vec<Event>> = ids.iter().map(|_| Vec::new()).collect();
        for (events, i) in logs.into_iter().zip(order) {
            out[i] = events;
        }
        for events in &mut out {
            crate::session::compat::upgrade_legacy_answers(events);
        }
        Ok(out)
    }

    /// A session's header and its whole event log.
    ///
    /// # Errors
    /// [`StoreError::NoSuchSession`], or a read failure.
    pub fn record(&self, id: SessionId) -> Result<SessionRecord> {
        let session = self.get(id)?;
        let events = self.events(id)?;
        Ok(SessionRecord::new(session, events))
    }

    /// Sessions still in progress, optionally only those of one script id and one player,
    /// oldest first: the candidates for resuming.
    ///
    /// # Errors
    /// When a header cannot be read or decoded.
    pub fn resumable(&self, script_id: Option<&str>, who: Option<&Who>) -> Result<Vec<Session>> {
        let filter = Filter {
            status: Some(Status::InProgress),
            ..Filter::default()
        };
        let mut out = self.list(&filter)?;
        out.retain(|s| {
            script_id.is_none_or(|id| s.script.id == id) && who.is_none_or(|w| s.who == *w)
        });
        Ok(out)
    }

    /// Load an in-progress session to continue it: its header and every event so far. The
    /// next event appended gets `seq == header.events`.
    ///
    /// # Errors
    /// [`StoreError::NotResumable`] when the session has ended, or a read failure.
    pub fn resume(&self, id: SessionId) -> Result<SessionRecord> {
        let record = self.record(id)?;
        if record.session.status != Status::InProgress {
            return Err(StoreError::NotResumable(id, record.session.status));
        }
        Ok(record)
    }
}
