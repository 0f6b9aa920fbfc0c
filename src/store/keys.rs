//! Key layout and value codecs.

use serde::Serialize;

use super::local::Local;
use super::{Result, StoreError};
use crate::session::{Event, Session, SessionId};

/// Key of a session header.
pub(super) const fn session_key(id: SessionId) -> [u8; 16] {
    id.to_bytes()
}

/// Key of an event: the session id followed by the big-endian seq.
pub(super) fn event_key(id: SessionId, seq: u64) -> [u8; 24] {
    let mut key = [0_u8; 24];
    key[..16].copy_from_slice(&id.to_bytes());
    key[16..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// The session id and seq of an event key.
pub(super) fn split_event_key(key: &[u8]) -> Option<(SessionId, u64)> {
    let id = SessionId::from_slice(key.get(..16)?)?;
    let seq = u64::from_be_bytes(<[u8; 8]>::try_from(key.get(16..)?).ok()?);
    Some((id, seq))
}

/// JSON bytes of a value.
pub(super) fn encode<T: Serialize>(what: &str, value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|source| StoreError::Encode {
        what: what.to_owned(),
        source,
    })
}

impl Local {
    /// Decode a stored header.
    pub(super) fn decode_session(&self, key: &[u8], bytes: &[u8]) -> Result<Session> {
        let session: Session = serde_json::from_slice(bytes).map_err(|e| self.corrupt(key, &e))?;
        if session.id.to_bytes() != key {
            return Err(self.corrupt(key, &"the header's id differs from its key"));
        }
        Ok(session)
    }

    /// Decode a stored event and check it against its key.
    pub(super) fn decode_event(&self, key: &[u8], bytes: &[u8]) -> Result<Event> {
        let event = Event::from_json(bytes).map_err(|e| self.corrupt(key, &e))?;
        match split_event_key(key) {
            Some((_, seq)) if seq == event.seq => Ok(event),
            _ => Err(self.corrupt(key, &"the event's seq differs from its key")),
        }
    }

    pub(super) fn corrupt(&self, key: &[u8], detail: &dyn std::fmt::Display) -> StoreError {
        let what = match (key.len(), split_event_key(key)) {
            (24, Some((id, seq))) => format!("event {id}#{seq}"),
            _ => match SessionId::from_slice(key) {
                Some(id) => format!("session {id}"),
                None => "a record with an unreadable key".to_owned(),
            },
        };
        StoreError::Corrupt {
            path: self.path.clone(),
            what,
            detail: detail.to_string(),
        }
    }
}
