//! The session store: sled 0.34 behind a typed API. No other module touches sled.
//!
//! # Layout
//!
//! One sled database per store directory, with one tree per record kind:
//!
//! | tree       | key                                   | value                         |
//! |------------|---------------------------------------|-------------------------------|
//! | `meta`     | `format`, `salt`, `created`           | u32 big-endian, 16 bytes, RFC 3339 text |
//! | `sessions` | session id (16 bytes, big-endian)     | [`Session`] header as JSON (see below) |
//! | `events`   | session id ‖ seq (8 bytes big-endian) | [`Event`] as JSON             |
//!
//! Ids are time-ordered, so `sessions` iterates oldest first, and a prefix scan of `events`
//! yields one session's log in order. Values are JSON: simple to debug, and forward
//! compatible together with the `schema` numbers (see `session`).
//!
//! # Derived header fields, durability and atomicity
//!
//! An event is one sled insert into `events`, atomic by itself: after a crash an event is
//! either there whole or not at all, and sled recovers a prefix of its log, so a session's
//! seqs stay gap-free. The header is not rewritten for every event: `events` (the count) and
//! `updated` are read from the session's last event whenever a header is read, so they can
//! never disagree with the log. A `session_status` event and the header's `status` and
//! `finished` change together in one transaction over both trees. Seqs are handed out under
//! a lock shared by all clones of the store, from a table filled from the events tree.
//!
//! [`Store::append`] and [`Store::create`] flush before they return, so a decision, turn or
//! judgment the caller has been told about survives `kill -9`. Batch writers use
//! [`Store::append_unflushed`] or [`Store::append_batch`] (several events, all or none) and
//! call [`Store::flush`] when an episode ends; sled also flushes on its own every 500 ms.
//!
//! # Opening
//!
//! [`Store::open`] creates a missing or empty directory. It refuses, with a sentence naming
//! the directory: a path that is a file; a directory holding files that are not part of a
//! store (only sled's files, a README, dotfiles and export files — `.jsonl`, `.csv`, `.md` —
//! may sit in a store directory); sled files that sled cannot read; a sled database written by
//! another program; and a store of a newer format ([`STORE_FORMAT`]).
//!
//! A store is refused untouched. sled writes into its directory every time it opens it (even
//! to read), so a store is opened in place only when it is exactly as socius left it at its
//! last clean close (recorded in `.socius-closed`); any other store is opened from a copy in
//! the temporary directory first, and refused from there. [`Store::open_for_reading`] reads a
//! store that cannot be written from such a copy. See `open.rs`.
//!
//! # Several processes
//!
//! Only one process can have sled's files open. The first process to open a store **owns**
//! it and serves every other socius process that opens it, over a Unix socket in the store
//! directory (`.socius.sock`); those get a `Store` that sends each call to the owner. Both
//! kinds of `Store` behave the same: the same calls, the same errors, the same durability
//! (a remote [`Store::flush`] returns once the owner has flushed). When the owner closes the
//! store or dies, the next call of a remote `Store` opens the store again — owning it now, or
//! reaching whichever process took it over — and repeats the call; writes carry what it takes
//! to be applied exactly once. See `share`.
//!
//! A `Store` is cheap to clone and can be shared between threads.

mod dir;
mod error;
mod export;
mod filter;
mod handle;
mod keys;
mod local;
mod merge;
mod open;
mod read;
mod share;
mod write;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

pub use error::{Result, StoreError};
pub use export::{CsvRows, ExportFormat, ExportOptions, ExportSummary, pseudonym};
pub use filter::Filter;
pub use merge::{MergeProblem, MergeReport};

use handle::Handle;
use local::Local;
use open::Access;

#[cfg(doc)]
use crate::session::{Event, Session};

/// The store layout this version writes and reads.
pub const STORE_FORMAT: u32 = 1;

const META_FORMAT: &[u8] = b"format";
const META_SALT: &[u8] = b"salt";
const META_CREATED: &[u8] = b"created";
const TREE_META: &str = "meta";
const TREE_SESSIONS: &str = "sessions";
const TREE_EVENTS: &str = "events";
const TREE_DEFAULT: &[u8] = b"__sled__default";
/// The largest `db` file sled leaves without holding any record (a clean close writes ~100
/// bytes of its own).
const EMPTY_DB_SIZE: u64 = 512;

/// An open session store, held by this process or reached through the process that holds it.
/// See the module documentation.
#[derive(Clone)]
pub struct Store {
    handle: Arc<Handle>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.handle.path())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Open the store in `dir` to read and write it, creating it when the directory is
    /// missing or empty. When another socius process has the store open, the new `Store`
    /// works through that process.
    ///
    /// # Errors
    /// See the module documentation for what is refused; each error is a [`StoreError`] whose
    /// message names the directory. [`StoreError::Locked`] when a process holds the store
    /// without sharing it (an older socius).
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Handle::open(dir.as_ref(), Access::ReadWrite).map(|handle| Self {
            handle: Arc::new(handle),
        })
    }

    /// Open the store in `dir` only to read it. Like [`Store::open`], except that a store
    /// that cannot be written (read-only media, a directory without write permission) is read
    /// from a temporary copy instead of refused; [`Store::reads_a_copy`] then says so.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_for_reading(dir: impl AsRef<Path>) -> Result<Self> {
        Handle::open(dir.as_ref(), Access::Read).map(|handle| Self {
            handle: Arc::new(handle),
        })
    }

    /// Whether this store is a temporary copy of the directory it names (see
    /// [`Store::open_for_reading`]); what is written to it is lost when it closes.
    #[must_use]
    pub fn reads_a_copy(&self) -> bool {
        self.handle.reads_a_copy()
    }

    /// The store directory as given to [`Store::open`].
    #[must_use]
    pub fn path(&self) -> &Path {
        self.handle.path()
    }

    /// The format number recorded in the store.
    ///
    /// # Errors
    /// When sled fails to read it.
    pub fn format(&self) -> Result<u32> {
        self.handle.run(Local::format, |client| client.format())
    }

    /// Make every write so far durable. Through another process: every write this `Store`
    /// (and its clones) made is on disk once this returns.
    ///
    /// # Errors
    /// When sled cannot write to disk.
    pub fn flush(&self) -> Result<()> {
        self.handle.flush()
    }

    /// The annotator pseudonym this store gives `annotator_id` in anonymized exports.
    #[must_use]
    pub fn pseudonym(&self, annotator_id: &str) -> String {
        pseudonym(&self.handle.salt(), annotator_id)
    }

    /// Whether this `Store` holds the store's files itself (it owns the store), as opposed
    /// to reaching them through another process. Only for tests.
    #[doc(hidden)]
    #[must_use]
    pub fn owns_the_files(&self) -> bool {
        self.handle.is_local()
    }

    /// The local store behind this handle; only tests that poke at sled need it.
    #[cfg(test)]
    fn local(&self) -> Local {
        match self.handle.local() {
            Some(local) => local,
            None => panic!("this test needs a store opened by the test process itself"),
        }
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
