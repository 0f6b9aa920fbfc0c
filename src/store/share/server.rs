//! The owner's side: a thread that accepts connections on the store's socket, and a thread
//! per connection that answers its requests on the store this process holds.
//!
//! Everything a connection sends is untrusted: frames are bounded (see `wire`), anything that
//! is not a request is answered with an error and the connection closed, a panic while
//! answering becomes an error reply, and at most [`MAX_CONNECTIONS`] connections are served
//! at once.

use std::fs;
use std::io;
use std::net::Shutdown;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::SOCKET;
use super::wire::{
    self, FRAME_MAX, FrameError, Greeting, PAGE_BYTES, PROTOCOL, Page, Reply, Request, SCHEMAS,
    Seqs, WireError,
};
use crate::store::local::Local;
use crate::store::{Filter, Result};

/// The most connections served at once; more are refused with an error.
const MAX_CONNECTIONS: usize = 128;
/// How long writing a reply may block (a peer that stopped reading).
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Distinguishes the temporary socket names of one process.
static BINDS: AtomicU32 = AtomicU32::new(0);

/// A running server; stops serving when dropped.
#[derive(Debug)]
pub(super) struct Server {
    shared: Arc<Shared>,
    socket: PathBuf,
    /// Device and inode of the socket bound, to remove only that one.
    bound: (u64, u64),
    accept: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    /// The store, until the server stops. Requests are answered under a read lock, so
    /// stopping (the write lock) waits for those being answered, and none starts after.
    local: RwLock<Option<Local>>,
    stop: AtomicBool,
    peers: Mutex<Vec<Peer>>,
}

#[derive(Debug)]
struct Peer {
    /// A second handle on the connection, to shut it down when the server stops.
    stream: UnixStream,
    thread: JoinHandle<()>,
}

impl Server {
    /// Bind the socket of the store in `dir` and start serving `local`.
    ///
    /// # Errors
    /// When something other than a socket sits at the socket's path, or binding fails.
    pub(super) fn start(local: &Local, dir: &Path) -> io::Result<Self> {
        use std::os::unix::fs::FileTypeExt;
        let socket = dir.join(SOCKET);
        if let Ok(meta) = fs::symlink_metadata(&socket)
            && !meta.file_type().is_socket()
        {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", socket.display()),
            ));
        }
        let n = BINDS.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!("{SOCKET}.{}.{n}", std::process::id()));
        let listener = UnixListener::bind(&temp)?;
        // Private before it is reachable under its name; the rename replaces the socket of
        // an owner that died (never a directory; a link is replaced, not followed).
        let placed = fs::set_permissions(&temp, fs::Permissions::from_mode(0o600))
            .and_then(|()| fs::rename(&temp, &socket))
            .and_then(|()| fs::symlink_metadata(&socket));
        let meta = match placed {
            Ok(meta) => meta,
            Err(e) => {
                let _ = fs::remove_file(&temp);
                return Err(e);
            }
        };
        let shared = Arc::new(Shared {
            local: RwLock::new(Some(local.clone())),
            stop: AtomicBool::new(false),
            peers: Mutex::new(Vec::new()),
        });
        let accepting = Arc::clone(&shared);
        let accept = thread::Builder::new()
            .name("socius-store-accept".to_owned())
            .spawn(move || accept_loop(&listener, &accepting));
        let accept = match accept {
            Ok(thread) => thread,
            Err(e) => {
                let _ = fs::remove_file(&socket);
                return Err(e);
            }
        };
        Ok(Self {
            shared,
            socket,
            bound: (meta.dev(), meta.ino()),
            accept: Some(accept),
        })
    }

    /// Whether the socket at our path is still the one we bound.
    fn still_ours(&self) -> bool {
        fs::symlink_metadata(&self.socket).is_ok_and(|m| (m.dev(), m.ino()) == self.bound)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept thread with a connection of our own, so that it sees `stop`.
        let ours = self.still_ours();
        let woken = ours && UnixStream::connect(&self.socket).is_ok();
        if ours {
            let _ = fs::remove_file(&self.socket);
        }
        if woken && let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        let peers = std::mem::take(&mut *lock(&self.shared.peers));
        for peer in &peers {
            let _ = peer.stream.shutdown(Shutdown::Both);
        }
        // Wait for the requests being answered; no connection touches the store after this.
        *self
            .shared
            .local
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
        for peer in peers {
            let _ = peer.thread.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept_loop(listener: &UnixListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        match stream {
            Ok(stream) => admit(shared, stream),
            Err(e) => {
                // Out of file descriptors and the like: try again a little later rather than
                // spinning.
                tracing::warn!(error = %e, "store socket: accept failed");
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// Start a thread for a new connection, unless there are too many.
fn admit(shared: &Arc<Shared>, mut stream: UnixStream) {
    let mut peers = lock(&shared.peers);
    // Finished threads need no joining; dropping their handles is enough.
    peers.retain(|peer| !peer.thread.is_finished());
    if peers.len() >= MAX_CONNECTIONS {
        drop(peers);
        let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
        refuse(
            &mut stream,
            format!("it already serves {MAX_CONNECTIONS} connections"),
        );
        return;
    }
    let Ok(watch) = stream.try_clone() else {
        return;
    };
    let serving = Arc::clone(shared);
    let spawned = thread::Builder::new()
        .name("socius-store-peer".to_owned())
        .spawn(move || serve(&serving, stream));
    match spawned {
        Ok(thread) => peers.push(Peer {
            stream: watch,
            thread,
        }),
        Err(e) => tracing::warn!(error = %e, "store socket: no thread for a connection"),
    }
}

/// Send an error reply for a request that cannot be answered; the caller closes the
/// connection.
fn refuse(stream: &mut UnixStream, detail: String) {
    let reply: Reply<()> = Reply::Err(WireError::Refused { detail });
    if let Ok(framed) = wire::frame(&reply) {
        let _ = wire::write_frame(stream, &framed);
    }
}

/// Answer the requests of one connection until it closes, breaks a rule, or the server stops;
/// then close it (the server's second handle on it would keep it open otherwise).
fn serve(shared: &Shared, mut stream: UnixStream) {
    answer_all(shared, &mut stream);
    let _ = stream.shutdown(Shutdown::Both);
}

fn answer_all(shared: &Shared, stream: &mut UnixStream) {
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut greeted = false;
    loop {
        let body = match wire::read_frame(stream) {
            Ok(body) => body,
            Err(FrameError::Closed | FrameError::Io(_)) => return,
            Err(FrameError::TooLarge(len)) => {
                refuse(
                    stream,
                    format!("a message of {len} bytes is over the limit of {FRAME_MAX}"),
                );
                return;
            }
        };
        let request: Request<'static> = match serde_json::from_slice(&body) {
            Ok(request) => request,
            Err(e) => {
                refuse(stream, format!("not a request: {e}"));
                return;
            }
        };
        let hello = matches!(request, Request::Hello { .. });
        if hello == greeted {
            let detail = if hello {
                "`hello` twice"
            } else {
                "a request before `hello`"
            };
            refuse(stream, detail.to_owned());
            return;
        }
        let reply = {
            let store = shared.local.read().unwrap_or_else(PoisonError::into_inner);
            let Some(local) = store.as_ref() else {
                return;
            };
            answer(local, request)
        };
        let framed = match reply {
            Ok(framed) => framed,
            Err(error) => {
                let refused = matches!(error, WireError::Refused { .. });
                let framed = encode(&Reply::<()>::Err(error));
                if refused {
                    let _ = wire::write_frame(stream, &framed);
                    return;
                }
                framed
            }
        };
        if wire::write_frame(stream, &framed).is_err() {
            return;
        }
        greeted = true;
    }
}

/// A reply as a frame; a reply too large to send becomes an error reply.
fn encode<T: serde::Serialize>(reply: &Reply<T>) -> Vec<u8> {
    wire::frame(reply).unwrap_or_else(|e| {
        let error: Reply<()> = Reply::Err(WireError::Other {
            detail: format!("cannot send the answer: {e}"),
        });
        // An error reply of a few words always encodes.
        wire::frame(&error).unwrap_or_default()
    })
}

/// Answer one request; a panic (sled panics on some damaged files) becomes an error.
fn answer(local: &Local, request: Request<'static>) -> std::result::Result<Vec<u8>, WireError> {
    catch_unwind(AssertUnwindSafe(|| dispatch(local, request))).unwrap_or_else(|_| {
        Err(WireError::Other {
            detail: "the store stopped while answering".to_owned(),
        })
    })
}

fn ok<T: serde::Serialize>(value: Result<T>) -> std::result::Result<Vec<u8>, WireError> {
    Ok(encode(&Reply::Ok(value?)))
}

fn dispatch(local: &Local, request: Request<'static>) -> std::result::Result<Vec<u8>, WireError> {
    match request {
        Request::Hello { protocol, schemas } => {
            if (protocol, schemas) != (PROTOCOL, SCHEMAS) {
                return Err(WireError::Refused {
                    detail: format!(
                        "it speaks protocol {PROTOCOL} with record schemas {SCHEMAS:?}, and \
                         this process protocol {protocol} with {schemas:?}; use the same version \
                         of socius"
                    ),
                });
            }
            ok(Ok(Greeting {
                protocol: PROTOCOL,
                salt: wire::salt_to_hex(&local.salt()),
            }))
        }
        Request::Format => ok(local.format()),
        Request::Create { session } => ok(local.create_header(&session)),
        Request::Append {
            id,
            at,
            bodies,
            flush,
            retry_from,
        } => ok(local
            .append_at(id, at, &bodies, retry_from)
            .and_then(|seqs| {
                if flush {
                    local.flush()?;
                }
                Ok(Seqs {
                    start: seqs.start,
                    end: seqs.end,
                })
            })),
        Request::Flush => ok(local.flush()),
        Request::Session { id } => ok(local.session(id)),
        Request::Resolve { text } => ok(local.resolve(&text)),
        Request::List { filter, after } => ok(local
            .list_page(&Filter::from(filter), after, PAGE_BYTES)
            .map(|(items, next)| Page { items, next })),
        Request::Count => ok(Ok(local.session_count())),
        Request::Events { id, from } => ok(local
            .events_page(id, from, PAGE_BYTES)
            .map(|(items, next)| Page { items, next })),
        Request::Merge { record, flush } => {
            ok(local.merge_record(record.into_owned()).and_then(|outcome| {
                if flush {
                    local.flush()?;
                }
                Ok(outcome)
            }))
        }
    }
}
