//! What the owner of a store and the processes it serves say to each other.
//!
//! A message is a frame: its length as a 4-byte big-endian number, then that many bytes of
//! JSON. A connection starts with `hello` (the protocol number both sides must share); then
//! each request gets exactly one reply, `{"ok": …}` or `{"err": …}`. Frames are bounded in
//! both directions, and listings and event logs come in pages of a few MiB, so that neither
//! side allocates what the other merely announces.

use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::session::{
    EVENT_SCHEMA, EventBody, RECORD_SCHEMA, RunId, SESSION_SCHEMA, Session, SessionId, SessionKind,
    SessionRecord, Status,
};
use crate::store::{Filter, StoreError};

/// Bumped whenever a request or reply changes shape; both sides must agree.
pub(crate) const PROTOCOL: u32 = 1;
/// The session, event and record schemas of this version: two processes exchange records
/// only when they agree on them (an older owner would drop fields it does not know).
pub(crate) const SCHEMAS: [u32; 3] = [SESSION_SCHEMA, EVENT_SCHEMA, RECORD_SCHEMA];
/// The largest frame either side reads.
pub(crate) const FRAME_MAX: u32 = 256 << 20;
/// Roughly how many bytes of stored records one page of a listing or log carries.
pub(crate) const PAGE_BYTES: usize = 4 << 20;

/// Why no frame was read.
#[derive(Debug)]
pub(crate) enum FrameError {
    /// The other side closed the connection between frames.
    Closed,
    /// The announced length is over [`FRAME_MAX`].
    TooLarge(u32),
    /// Reading failed, or the connection closed in the middle of a frame.
    Io(io::Error),
}

/// Read one frame.
pub(crate) fn read_frame(input: &mut impl Read) -> Result<Vec<u8>, FrameError> {
    let mut head = [0_u8; 4];
    let mut got = 0;
    while got < head.len() {
        match input.read(&mut head[got..]) {
            Ok(0) if got == 0 => return Err(FrameError::Closed),
            Ok(0) => return Err(FrameError::Io(io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    let len = u32::from_be_bytes(head);
    if len > FRAME_MAX {
        return Err(FrameError::TooLarge(len));
    }
    // Grown as bytes arrive: a length alone reserves nothing.
    let mut body = Vec::new();
    input
        .take(u64::from(len))
        .read_to_end(&mut body)
        .map_err(FrameError::Io)?;
    if body.len() < len as usize {
        return Err(FrameError::Io(io::ErrorKind::UnexpectedEof.into()));
    }
    Ok(body)
}

/// Encode `value` as one frame (length and JSON in one buffer, written with one call).
pub(crate) fn frame<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut buf = vec![0_u8; 4];
    serde_json::to_writer(&mut buf, value)?;
    let len = u32::try_from(buf.len() - 4)
        .ok()
        .filter(|len| *len <= FRAME_MAX)
        .ok_or_else(|| {
            <serde_json::Error as serde::ser::Error>::custom(format!(
                "the message is {} bytes, over the limit of {FRAME_MAX}",
                buf.len() - 4
            ))
        })?;
    buf[..4].copy_from_slice(&len.to_be_bytes());
    Ok(buf)
}

/// Write a frame made by [`frame`].
pub(crate) fn write_frame(output: &mut impl Write, framed: &[u8]) -> io::Result<()> {
    output.write_all(framed)?;
    output.flush()
}

/// A request. Borrowed when sent, owned when received.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Request<'a> {
    /// The first message of every connection: the protocol, and the record schemas the
    /// sender reads and writes ([`SCHEMAS`]); the owner serves only its own.
    Hello {
        protocol: u32,
        #[serde(default)]
        schemas: [u32; 3],
    },
    Format,
    /// Store a new session's header (made by the caller, so that repeating the request
    /// cannot create two sessions) and flush.
    Create {
        session: Cow<'a, Session>,
    },
    /// Append events at the caller's time `at`; see `Local::append_at` for `retry_from`.
    Append {
        id: SessionId,
        at: DateTime<Utc>,
        bodies: Cow<'a, [EventBody]>,
        flush: bool,
        retry_from: Option<u64>,
    },
    Flush,
    Session {
        id: SessionId,
    },
    Resolve {
        text: Cow<'a, str>,
    },
    /// One page of a listing, after the session `after`.
    List {
        filter: WireFilter,
        after: Option<SessionId>,
    },
    Count,
    /// One page of a session's log, from seq `from`.
    Events {
        id: SessionId,
        from: u64,
    },
    /// Merge one session with its log; `flush` when the caller wants it durable at once.
    Merge {
        record: Cow<'a, SessionRecord>,
        flush: bool,
    },
}

/// The owner's answer to `hello`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Greeting {
    pub protocol: u32,
    /// The store's pseudonym salt, as 32 hex digits.
    pub salt: String,
}

/// One page of a listing or a log, and where the next one starts (none: this was the last).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Page<T, C> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

/// The seqs an append got.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Seqs {
    pub start: u64,
    pub end: u64,
}

/// A reply: the result of the request, or why it failed.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Reply<T> {
    Ok(T),
    Err(WireError),
}

/// A [`Filter`] as sent.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct WireFilter {
    kind: Option<SessionKind>,
    script: Option<String>,
    who: Option<String>,
    status: Option<Status>,
    run_id: Option<RunId>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    #[serde(default)]
    training: Option<bool>,
}

impl From<&Filter> for WireFilter {
    fn from(f: &Filter) -> Self {
        Self {
            kind: f.kind.clone(),
            script: f.script.clone(),
            who: f.who.clone(),
            status: f.status.clone(),
            run_id: f.run_id.clone(),
            since: f.since,
            until: f.until,
            training: f.training,
        }
    }
}

impl From<WireFilter> for Filter {
    fn from(f: WireFilter) -> Self {
        Self {
            kind: f.kind,
            script: f.script,
            who: f.who,
            status: f.status,
            run_id: f.run_id,
            since: f.since,
            until: f.until,
            training: f.training,
        }
    }
}

/// An error as sent: the kinds callers tell apart keep their type; the rest travel as the
/// owner's sentence.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum WireError {
    NoSuchSession {
        id: SessionId,
    },
    UnknownId {
        text: String,
    },
    AmbiguousId {
        text: String,
    },
    NotResumable {
        id: SessionId,
        status: Status,
    },
    Secret {
        what: String,
    },
    IdTaken {
        id: SessionId,
    },
    Corrupt {
        what: String,
        detail: String,
    },
    /// The request itself was refused (not a request, too large, another protocol).
    Refused {
        detail: String,
    },
    /// Any other failure, as the owner words it.
    Other {
        detail: String,
    },
}

impl From<StoreError> for WireError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchSession(id) => Self::NoSuchSession { id },
            StoreError::UnknownId(text) => Self::UnknownId { text },
            StoreError::AmbiguousId(text) => Self::AmbiguousId { text },
            StoreError::NotResumable(id, status) => Self::NotResumable { id, status },
            StoreError::Secret(what) => Self::Secret { what },
            StoreError::IdTaken(id) => Self::IdTaken { id },
            StoreError::Corrupt { what, detail, .. } => Self::Corrupt { what, detail },
            other => Self::Other {
                detail: other.to_string(),
            },
        }
    }
}

impl WireError {
    /// The error for a caller whose store directory is `path`.
    pub(crate) fn into_store_error(self, path: &Path) -> StoreError {
        let path = path.to_path_buf();
        match self {
            Self::NoSuchSession { id } => StoreError::NoSuchSession(id),
            Self::UnknownId { text } => StoreError::UnknownId(text),
            Self::AmbiguousId { text } => StoreError::AmbiguousId(text),
            Self::NotResumable { id, status } => StoreError::NotResumable(id, status),
            Self::Secret { what } => StoreError::Secret(what),
            Self::IdTaken { id } => StoreError::IdTaken(id),
            Self::Corrupt { what, detail } => StoreError::Corrupt { path, what, detail },
            Self::Refused { detail } => StoreError::Share {
                path,
                detail: format!("it refused the request: {detail}"),
            },
            Self::Other { detail } => StoreError::Owner { path, detail },
        }
    }
}

/// The salt as hex, and back.
pub(crate) fn salt_to_hex(salt: &[u8; 16]) -> String {
    salt.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn salt_from_hex(text: &str) -> Option<[u8; 16]> {
    if text.len() != 32 || !text.is_ascii() {
        return None;
    }
    let mut salt = [0_u8; 16];
    for (i, byte) in salt.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_reads_back() {
        let framed = frame(&Request::Flush).unwrap();
        let body = read_frame(&mut framed.as_slice()).unwrap();
        assert!(matches!(
            serde_json::from_slice::<Request<'_>>(&body).unwrap(),
            Request::Flush
        ));
    }

    #[test]
    fn bad_frames_are_errors() {
        assert!(matches!(read_frame(&mut &b""[..]), Err(FrameError::Closed)));
        assert!(matches!(
            read_frame(&mut &b"\x00\x00"[..]),
            Err(FrameError::Io(_))
        ));
        assert!(matches!(
            read_frame(&mut &b"\xff\xff\xff\xff"[..]),
            Err(FrameError::TooLarge(u32::MAX))
        ));
        assert!(matches!(
            read_frame(&mut &b"\x00\x00\x00\x09abc"[..]),
            Err(FrameError::Io(_))
        ));
    }

    #[test]
    fn the_salt_survives_hex() {
        let salt = [
            0, 1, 2, 0xfe, 0xff, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
        ];
        assert_eq!(salt_from_hex(&salt_to_hex(&salt)), Some(salt));
        assert_eq!(salt_from_hex("zz"), None);
        assert_eq!(salt_from_hex(&"é".repeat(16)), None);
    }
}
