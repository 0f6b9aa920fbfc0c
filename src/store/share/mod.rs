//! One store, several processes.
//!
//! sled lets one process at a time open a store's files. The first socius process to open a
//! store **owns** it: it opens the files as before and serves every other socius process that
//! opens the store, over a Unix socket in the store directory ([`SOCKET`]). Those hold a
//! client ([`client::Client`]) that sends each call to the owner, on a thread the owner keeps
//! for that connection; the owner runs it on its own store, so writers only ever wait for each
//! other's writes, never for each other's sessions.
//!
//! **Who owns.** Owning takes a lock on the store directory itself (an exclusive `flock` on
//! the directory, [`OwnerLock`]), held from before sled opens the files until after sled has
//! let them go and the clean close is recorded. Opening a store is a loop: connect to the
//! socket if something answers there; else take the directory lock and own the store; else
//! someone else is opening or closing it, so look again a moment later (for at most
//! [`OWNER_WAIT`]). The operating system releases both the directory lock and sled's lock of a
//! process killed with `kill -9`, and the next owner opens the files the way `open.rs` opens any
//! store not closed cleanly: checked from a copy first.
//!
//! **The socket** is bound under a temporary name, made private (mode 600) and renamed into
//! place, which also replaces the socket of an owner that died. Only an owner (holding the
//! directory lock) replaces it, and only when it is a socket: a link or any other file at that
//! name is left alone, and the store is then not shared (and other processes are told why).
//! When the owner closes the store it stops serving, removes the socket and closes every
//! connection, and only then lets sled close.
//!
//! **Hand-over.** A client whose owner went away (the connection fails) opens the store again
//! — owning it now, or reaching whoever took it over — and repeats the call. Repeating is safe:
//! a new session's id and start time are made by the caller, so creating it twice stores one
//! header; an append carries the caller's time and asks the owner to look for its events
//! before appending them again; merging is idempotent. Events a client appended without a
//! flush are kept by the client until a flush covers them, and written again (the same way)
//! after a hand-over, so an owner that dies before flushing loses none of them.

pub(super) mod client;
mod server;
pub(super) mod wire;

use std::fs::{self, File};
use std::io::ErrorKind;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fs2::FileExt;

use super::local::Local;
use super::open::{self, Access};
use super::{Result, StoreError, dir};

/// The owner's socket, in the store directory (a dotfile, so `dir` tolerates it).
pub(super) const SOCKET: &str = ".socius.sock";
/// How long opening waits for another process that holds the directory lock but does not
/// answer yet (it is opening the store, which may mean checking a copy of a large store after
/// a crash, or closing it) before calling the store locked.
const OWNER_WAIT: Duration = Duration::from_secs(30);
/// How often opening looks again while it waits.
const POLL: Duration = Duration::from_millis(5);

/// The lock on the store directory that makes a process its owner; released when dropped (or
/// by the operating system when the process dies).
#[derive(Debug)]
pub(super) struct OwnerLock {
    _dir: File,
}

enum Lock {
    Taken(OwnerLock),
    /// Another process holds it.
    Busy,
    /// The file system cannot lock the directory: the store is not shared.
    Unavailable,
}

impl OwnerLock {
    fn try_take(dir: &Path) -> Lock {
        let Ok(file) = File::open(dir) else {
            return Lock::Unavailable;
        };
        match file.try_lock_exclusive() {
            Ok(()) => Lock::Taken(Self { _dir: file }),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Lock::Busy,
            Err(_) => Lock::Unavailable,
        }
    }
}

/// A store this process owns: the files, and the server that shares them (none when the
/// store is a copy, or the socket could not be made).
#[derive(Debug)]
pub(super) struct Owned {
    // Dropped first: serving stops, and every connection lets go of the store, before sled
    // closes the files.
    _server: Option<server::Server>,
    pub(super) local: Local,
}

/// What a `Store` works on.
#[derive(Debug, Clone)]
pub(super) enum Backend {
    /// The files, held by this process.
    Local(Arc<Owned>),
    /// The process that holds them.
    Remote(Arc<client::Client>),
}

/// The socket path of the store in `dir`, when a socket can have that path at all (a path too
/// long for a socket address means the store cannot be shared).
fn socket_path(dir: &Path) -> Option<PathBuf> {
    let socket = dir.join(SOCKET);
    SocketAddr::from_pathname(&socket).is_ok().then_some(socket)
}

/// Open the store in `path`: through its owner, or as its owner. See the module documentation.
pub(super) fn open(path: &Path, access: Access) -> Result<Backend> {
    // Refuse a path that is not a store before anything is written into it.
    dir::prepare(path)?;
    let socket = socket_path(path);
    let asked = Instant::now();
    loop {
        if let Some(socket) = &socket {
            match client::Client::connect(path, socket) {
                Ok(client) => return Ok(Backend::Remote(Arc::new(client))),
                Err(client::Connect::NoOwner) => {}
                Err(client::Connect::Failed(e)) => return Err(e),
            }
        }
        let Some(socket) = &socket else {
            // Nothing can be served: the store is used as it always was, by one process.
            return own(path, access, None, false).map_err(|e| match e {
                StoreError::Locked { path } => StoreError::Share {
                    detail: format!(
                        "another socius process has it open, and its path is too long for the \
                         socket they would share it through ({} bytes); give the store a shorter \
                         path",
                        path.join(SOCKET).as_os_str().len()
                    ),
                    path,
                },
                other => other,
            });
        };
        match OwnerLock::try_take(path) {
            Lock::Taken(lock) => return own(path, access, Some(lock), true),
            Lock::Unavailable => return own(path, access, None, false),
            Lock::Busy => {}
        }
        // Another process is opening the store, or closing it, or owns it and cannot serve.
        if let Ok(meta) = fs::symlink_metadata(socket)
            && !meta.file_type().is_socket()
        {
            return Err(StoreError::Share {
                path: path.to_path_buf(),
                detail: format!(
                    "{} is not a socket; remove it so that socius processes can share the store",
                    socket.display()
                ),
            });
        }
        if asked.elapsed() >= OWNER_WAIT {
            return Err(StoreError::Locked {
                path: path.to_path_buf(),
            });
        }
        std::thread::sleep(POLL);
    }
}

/// Open the files of the store in `path` in this process, and serve them when `serve`.
fn own(path: &Path, access: Access, lock: Option<OwnerLock>, serve: bool) -> Result<Backend> {
    let local = open::open(path, access, lock)?;
    let server = if serve && !local.reads_a_copy() {
        match server::Server::start(&local, path) {
            Ok(server) => Some(server),
            Err(e) => {
                tracing::warn!(store = %path.display(), error = %e, "the store is not shared");
                None
            }
        }
    } else {
        None
    };
    Ok(Backend::Local(Arc::new(Owned {
        _server: server,
        local,
    })))
}
