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
//! another program; a store of a newer format ([`STORE_FORMAT`]); and a store another process
//! has open (sled holds an exclusive file lock).
//!
//! A store is refused untouched. sled writes into its directory every time it opens it (even
//! to read), so a store is opened in place only when it is exactly as socius left it at its
//! last clean close (recorded in `.socius-closed`); any other store is opened from a copy in
//! the temporary directory first, and refused from there. [`Store::open_for_reading`] reads a
//! store that cannot be written from such a copy. See `open.rs`.
//!
//! A `Store` is cheap to clone and can be shared between threads.

mod dir;
mod error;
mod export;
mod filter;
mod keys;
mod merge;
mod open;
mod read;
mod write;

use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand::RngCore;

pub use error::{Result, StoreError};
pub use export::{CsvRows, ExportFormat, ExportOptions, ExportSummary, pseudonym};
pub use filter::Filter;
pub use merge::{MergeProblem, MergeReport};

use open::Access;

use crate::session::SessionId;
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

/// An open session store. See the module documentation.
#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    db: sled::Db,
    meta: sled::Tree,
    sessions: sled::Tree,
    events: sled::Tree,
    salt: [u8; 16],
    /// The next `seq` of sessions appended to since opening; guards seq assignment.
    next_seq: Arc<Mutex<HashMap<SessionId, u64>>>,
    /// Runs when the last clone is dropped, after the sled handles above (fields drop in
    /// order): records a clean close, or removes a temporary copy.
    closing: Arc<open::Closing>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// How long [`Store::open`] waits for a lock that is about to be released.
const LOCK_GRACE: Duration = Duration::from_millis(1500);

impl Store {
    /// Open the store in `dir` to read and write it, creating it when the directory is
    /// missing or empty.
    ///
    /// # Errors
    /// See the module documentation for what is refused; each error is a [`StoreError`] whose
    /// message names the directory.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        open::open(dir.as_ref(), Access::ReadWrite)
    }

    /// Open the store in `dir` only to read it. Like [`Store::open`], except that a store
    /// that cannot be written (read-only media, a directory without write permission) is read
    /// from a temporary copy instead of refused; [`Store::reads_a_copy`] then says so.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_for_reading(dir: impl AsRef<Path>) -> Result<Self> {
        open::open(dir.as_ref(), Access::Read)
    }

    /// Whether this store is a temporary copy of the directory it names (see
    /// [`Store::open_for_reading`]); what is written to it is lost when it closes.
    #[must_use]
    pub fn reads_a_copy(&self) -> bool {
        self.closing.is_copy()
    }

    /// Let sled open the files in `files` and check that they are a socius store; messages
    /// name `shown`, the store directory the user gave. `db_size` is the size of the `db` file
    /// before sled touched it.
    fn open_files(
        files: &Path,
        shown: &Path,
        db_size: u64,
        closing: open::Closing,
    ) -> Result<Self> {
        let path = shown.to_path_buf();
        let config = sled::Config::new().path(files);
        // A store closed a moment ago (in this process, or by one just killed) keeps its lock
        // until sled's last background thread lets go; wait that moment out before calling the
        // store busy.
        let asked = Instant::now();
        let db = loop {
            // sled may panic on some kinds of damaged files; that is a damaged store, not a crash.
            let opened = catch_unwind(AssertUnwindSafe(|| config.open())).map_err(|panic| {
                let detail = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "sled stopped while reading it".to_owned());
                StoreError::Damaged {
                    path: path.clone(),
                    detail,
                }
            })?;
            match opened.map_err(|e| classify_open_error(&path, e)) {
                Err(StoreError::Locked { .. }) if asked.elapsed() < LOCK_GRACE => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                other => break other?,
            }
        };
        let sled_err = |source| StoreError::Sled {
            path: path.clone(),
            source,
        };

        let names = db.tree_names();
        let ours = [TREE_META, TREE_SESSIONS, TREE_EVENTS];
        let foreign = names.iter().any(|n| {
            n.as_ref() != TREE_DEFAULT && !ours.iter().any(|o| n.as_ref() == o.as_bytes())
        });
        let meta = db.open_tree(TREE_META).map_err(sled_err)?;
        let sessions = db.open_tree(TREE_SESSIONS).map_err(sled_err)?;
        let events = db.open_tree(TREE_EVENTS).map_err(sled_err)?;

        let salt = match meta.get(META_FORMAT).map_err(sled_err)? {
            Some(bytes) => {
                let found = <[u8; 4]>::try_from(bytes.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| StoreError::Damaged {
                        path: path.clone(),
                        detail: "the format number is unreadable".to_owned(),
                    })?;
                if found > STORE_FORMAT {
                    return Err(StoreError::NewerFormat {
                        path,
                        found,
                        supported: STORE_FORMAT,
                    });
                }
                let salt = meta.get(META_SALT).map_err(sled_err)?;
                salt.and_then(|s| <[u8; 16]>::try_from(s.as_ref()).ok())
                    .ok_or_else(|| StoreError::Damaged {
                        path: path.clone(),
                        detail: "the pseudonym salt is missing".to_owned(),
                    })?
            }
            None => {
                let empty = !foreign
                    && db.is_empty()
                    && meta.is_empty()
                    && sessions.is_empty()
                    && events.is_empty();
                if !empty {
                    return Err(StoreError::NotAStore {
                        path,
                        reason: "it is a sled database written by another program".to_owned(),
                    });
                }
                // sled reads a `db` whose records all fail their checksums as an empty
                // database. A store that had data is damaged, not new: never reinitialize it.
                if db_size > EMPTY_DB_SIZE {
                    return Err(StoreError::Damaged {
                        path,
                        detail: format!(
                            "sled found no readable records in its {db_size}-byte `db` file"
                        ),
                    });
                }
                initialize(&db, &meta).map_err(sled_err)?
            }
        };
        Ok(Self {
            path,
            db,
            meta,
            sessions,
            events,
            salt,
            next_seq: Arc::new(Mutex::new(HashMap::new())),
            closing: closing.opened(),
        })
    }

    /// The store directory as given to [`Store::open`].
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The format number recorded in the store.
    ///
    /// # Errors
    /// When sled fails to read it.
    pub fn format(&self) -> Result<u32> {
        let bytes = self.meta.get(META_FORMAT).map_err(|e| self.sled_error(e))?;
        Ok(bytes
            .and_then(|b| <[u8; 4]>::try_from(b.as_ref()).ok())
            .map_or(0, u32::from_be_bytes))
    }

    /// Make every write so far durable.
    ///
    /// # Errors
    /// When sled cannot write to disk.
    pub fn flush(&self) -> Result<()> {
        self.db.flush().map(drop).map_err(|e| self.sled_error(e))
    }

    /// The annotator pseudonym this store gives `annotator_id` in anonymized exports.
    #[must_use]
    pub fn pseudonym(&self, annotator_id: &str) -> String {
        pseudonym(&self.salt, annotator_id)
    }

    /// The seq table, locked. Poisoning is harmless: the table only caches what the events
    /// tree says.
    fn lock_seqs(&self) -> MutexGuard<'_, HashMap<SessionId, u64>> {
        self.next_seq.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sled_error(&self, source: sled::Error) -> StoreError {
        StoreError::Sled {
            path: self.path.clone(),
            source,
        }
    }
}

/// Write the metadata of a new store and flush it; returns the new pseudonym salt.
fn initialize(db: &sled::Db, meta: &sled::Tree) -> sled::Result<[u8; 16]> {
    let mut salt = [0_u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut batch = sled::Batch::default();
    batch.insert(META_SALT, &salt[..]);
    batch.insert(META_CREATED, created.as_bytes());
    batch.insert(META_FORMAT, &STORE_FORMAT.to_be_bytes()[..]);
    meta.apply_batch(batch)?;
    db.flush()?;
    Ok(salt)
}

/// Turn sled's open error into a sentence for the user.
fn classify_open_error(path: &Path, error: sled::Error) -> StoreError {
    match error {
        sled::Error::Io(io) => {
            let text = io.to_string();
            if io.kind() == std::io::ErrorKind::WouldBlock
                || text.contains("WouldBlock")
                || text.contains("could not acquire lock")
            {
                StoreError::Locked {
                    path: path.to_path_buf(),
                }
            } else if matches!(
                io.kind(),
                std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
            ) {
                StoreError::ReadOnly {
                    path: path.to_path_buf(),
                    source: io,
                }
            } else {
                StoreError::Io {
                    path: path.to_path_buf(),
                    source: io,
                }
            }
        }
        sled::Error::Corruption { .. }
        | sled::Error::Unsupported(_)
        | sled::Error::ReportableBug(_) => StoreError::Damaged {
            path: path.to_path_buf(),
            detail: error.to_string(),
        },
        other => StoreError::Sled {
            path: path.to_path_buf(),
            source: other,
        },
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
