//! A process's side of a store another process owns: each call becomes one request (or, for
//! listings and logs, one per page) on one of a few connections to the owner.

use std::borrow::Cow;
use std::fs;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use super::wire::{
    self, FrameError, Greeting, PROTOCOL, Page, Reply, Request, SCHEMAS, Seqs, WireError,
    WireFilter,
};
use crate::session::{Event, EventBody, Session, SessionId, SessionRecord};
use crate::store::merge::Outcome;
use crate::store::{Filter, StoreError};

/// How long a request may wait for its answer. Long enough for a listing of a large store
/// or a merge of a long session; an owner that takes longer is stuck (or suspended).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// The most connections one client has open to the owner: calls made by more threads at
/// once wait for one of them (the owner serves a bounded number of connections in all).
const CONNECTIONS: usize = 8;

/// Why a call failed.
#[derive(Debug)]
pub(in crate::store) enum Fail {
    /// The owner went away (the connection broke or was refused): hand over and repeat.
    Gone(io::Error),
    /// An answer: the error to give the caller.
    Store(StoreError),
}

/// Why connecting found no owner to use.
#[derive(Debug)]
pub(in crate::store) enum Connect {
    /// Nobody answers at the socket (none there, or its owner died).
    NoOwner,
    /// Something answered, and using it failed.
    Failed(StoreError),
}

/// A connection to the owner of a store.
#[derive(Debug)]
pub(in crate::store) struct Client {
    /// The store directory, as the caller named it (for messages).
    path: PathBuf,
    socket: PathBuf,
    salt: [u8; 16],
    pool: Mutex<Pool>,
    /// Signalled when a connection is given back or closed.
    returned: Condvar,
}

/// The connections of a client: those idle, and how many are open in all.
#[derive(Debug)]
struct Pool {
    idle: Vec<UnixStream>,
    open: usize,
}

impl Client {
    /// Connect to the owner of the store in `path` through `socket`.
    pub(in crate::store) fn connect(path: &Path, socket: &Path) -> Result<Self, Connect> {
        // Only a socket is connected to: never through a link, never to another kind of file.
        let is_socket = fs::symlink_metadata(socket).is_ok_and(|m| m.file_type().is_socket());
        if !is_socket {
            return Err(Connect::NoOwner);
        }
        match dial(path, socket) {
            Ok((stream, salt)) => Ok(Self {
                path: path.to_path_buf(),
                socket: socket.to_path_buf(),
                salt,
                pool: Mutex::new(Pool {
                    idle: vec![stream],
                    open: 1,
                }),
                returned: Condvar::new(),
            }),
            Err(Fail::Gone(_)) => Err(Connect::NoOwner),
            Err(Fail::Store(e)) => Err(Connect::Failed(e)),
        }
    }

    pub(in crate::store) const fn salt(&self) -> [u8; 16] {
        self.salt
    }

    fn pool(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection, or a new one while fewer than [`CONNECTIONS`] are open; else wait
    /// for one to be given back.
    fn take(&self) -> Result<UnixStream, Fail> {
        let mut pool = self.pool();
        loop {
            if let Some(stream) = pool.idle.pop() {
                return Ok(stream);
            }
            if pool.open < CONNECTIONS {
                pool.open += 1;
                drop(pool);
                let dialed = dial(&self.path, &self.socket).and_then(|(stream, salt)| {
                    if salt == self.salt {
                        Ok(stream)
                    } else {
                        // Another store answers at this path now: hand over, and find out.
                        Err(Fail::Gone(io::Error::other("the store was replaced")))
                    }
                });
                if dialed.is_err() {
                    self.give_back(None);
                }
                return dialed;
            }
            pool = self
                .returned
                .wait(pool)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Return a connection to the pool, or (`None`) count one as closed.
    fn give_back(&self, stream: Option<UnixStream>) {
        let mut pool = self.pool();
        match stream {
            Some(stream) => pool.idle.push(stream),
            None => pool.open = pool.open.saturating_sub(1),
        }
        drop(pool);
        self.returned.notify_one();
    }

    /// Send `request` and return the answer.
    fn call<T: DeserializeOwned>(&self, request: &Request<'_>) -> Result<T, Fail> {
        let mut stream = self.take()?;
        let (answer, reusable) = exchange(&mut stream, &self.path, request);
        self.give_back(reusable.then_some(stream));
        answer
    }

    pub(in crate::store) fn format(&self) -> Result<u32, Fail> {
        self.call(&Request::Format)
    }

    pub(in crate::store) fn create(&self, session: &Session) -> Result<Session, Fail> {
        let stored: Session = self.call(&Request::Create {
            session: Cow::Borrowed(session),
        })?;
        if stored.id != session.id {
            return Err(self.nonsense("a session with another id"));
        }
        Ok(stored)
    }

    pub(in crate::store) fn append(
        &self,
        id: SessionId,
        at: DateTime<Utc>,
        bodies: &[EventBody],
        flush: bool,
        retry_from: Option<u64>,
    ) -> Result<Range<u64>, Fail> {
        let seqs: Seqs = self.call(&Request::Append {
            id,
            at,
            bodies: Cow::Borrowed(bodies),
            flush,
            retry_from,
        })?;
        if seqs.end.checked_sub(seqs.start) != Some(bodies.len() as u64) {
            return Err(self.nonsense("seqs that do not fit the events sent"));
        }
        Ok(seqs.start..seqs.end)
    }

    pub(in crate::store) fn flush(&self) -> Result<(), Fail> {
        self.call(&Request::Flush)
    }

    pub(in crate::store) fn session(&self, id: SessionId) -> Result<Option<Session>, Fail> {
        self.call(&Request::Session { id })
    }

    pub(in crate::store) fn resolve(&self, text: &str) -> Result<Session, Fail> {
        self.call(&Request::Resolve {
            text: Cow::Borrowed(text),
        })
    }

    pub(in crate::store) fn list_page(
        &self,
        filter: &Filter,
        after: Option<SessionId>,
    ) -> Result<(Vec<Session>, Option<SessionId>), Fail> {
        let page: Page<Session, SessionId> = self.call(&Request::List {
            filter: WireFilter::from(filter),
            after,
        })?;
        // Each page must move forward, or a listing could go round for ever.
        if page
            .next
            .is_some_and(|next| after.is_some_and(|a| next <= a))
        {
            return Err(self.nonsense("a page of the listing that does not move forward"));
        }
        Ok((page.items, page.next))
    }

    pub(in crate::store) fn session_count(&self) -> Result<usize, Fail> {
        self.call(&Request::Count)
    }

    pub(in crate::store) fn events_page(
        &self,
        id: SessionId,
        from: u64,
    ) -> Result<(Vec<Event>, Option<u64>), Fail> {
        let page: Page<Event, u64> = self.call(&Request::Events { id, from })?;
        if page.next.is_some_and(|next| next <= from) {
            return Err(self.nonsense("a page of the log that does not move forward"));
        }
        Ok((page.items, page.next))
    }

    pub(in crate::store) fn merge(
        &self,
        record: &SessionRecord,
        flush: bool,
    ) -> Result<Result<Outcome, String>, Fail> {
        self.call(&Request::Merge {
            record: Cow::Borrowed(record),
            flush,
        })
    }

    fn nonsense(&self, what: &str) -> Fail {
        Fail::Store(StoreError::Share {
            path: self.path.clone(),
            detail: format!("it answered with {what}"),
        })
    }
}

/// Open a connection and greet the owner; returns the connection and the store's salt.
fn dial(path: &Path, socket: &Path) -> Result<(UnixStream, [u8; 16]), Fail> {
    let mut stream = UnixStream::connect(socket).map_err(Fail::Gone)?;
    stream
        .set_read_timeout(Some(ANSWER_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(ANSWER_TIMEOUT)))
        .map_err(Fail::Gone)?;
    let (greeting, _) = exchange::<Greeting>(
        &mut stream,
        path,
        &Request::Hello {
            protocol: PROTOCOL,
            schemas: SCHEMAS,
        },
    );
    let greeting = greeting?;
    let salt = wire::salt_from_hex(&greeting.salt).ok_or_else(|| {
        Fail::Store(StoreError::Share {
            path: path.to_path_buf(),
            detail: "it sent an unreadable greeting".to_owned(),
        })
    })?;
    Ok((stream, salt))
}

/// One request and its answer; also whether the connection can serve another request.
fn exchange<T: DeserializeOwned>(
    stream: &mut UnixStream,
    path: &Path,
    request: &Request<'_>,
) -> (Result<T, Fail>, bool) {
    let share = |detail: String| {
        Fail::Store(StoreError::Share {
            path: path.to_path_buf(),
            detail,
        })
    };
    let framed = match wire::frame(request) {
        Ok(framed) => framed,
        Err(e) => return (Err(share(format!("cannot send the request: {e}"))), true),
    };
    if let Err(e) = wire::write_frame(stream, &framed) {
        return (Err(broken(path, e)), false);
    }
    let body = match wire::read_frame(stream) {
        Ok(body) => body,
        Err(FrameError::Closed) => {
            return (Err(Fail::Gone(io::ErrorKind::UnexpectedEof.into())), false);
        }
        Err(FrameError::Io(e)) => return (Err(broken(path, e)), false),
        Err(FrameError::TooLarge(len)) => {
            return (
                Err(share(format!(
                    "it answered with a message of {len} bytes, over the limit"
                ))),
                false,
            );
        }
    };
    match serde_json::from_slice::<Reply<T>>(&body) {
        Ok(Reply::Ok(value)) => (Ok(value), true),
        Ok(Reply::Err(error)) => {
            let reusable = !matches!(error, WireError::Refused { .. });
            (Err(Fail::Store(error.into_store_error(path))), reusable)
        }
        Err(e) => (
            Err(share(format!(
                "it answered something that is not a reply: {e}"
            ))),
            false,
        ),
    }
}

/// A failed read or write: a timeout is an owner that does not answer (an error for the
/// caller); anything else means the owner went away.
fn broken(path: &Path, error: io::Error) -> Fail {
    if matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    ) {
        Fail::Store(StoreError::Share {
            path: path.to_path_buf(),
            detail: format!("it did not answer within {} s", ANSWER_TIMEOUT.as_secs()),
        })
    } else {
        Fail::Gone(error)
    }
}
