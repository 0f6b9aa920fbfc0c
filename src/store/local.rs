//! The store as this process sees it when it holds the files itself: sled's handles, the seq
//! table and what happens at close. The public [`Store`] handle wraps one of these, or a
//! connection to the process that holds one (see `share`).

use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand::RngCore;

use super::open;
use super::{
    EMPTY_DB_SIZE, META_CREATED, META_FORMAT, META_SALT, Result, STORE_FORMAT, StoreError,
    TREE_DEFAULT, TREE_EVENTS, TREE_META, TREE_SESSIONS,
};
use crate::session::SessionId;

/// A store whose sled files this process has open. Cheap to clone; clones share everything.
#[derive(Clone)]
pub(super) struct Local {
    pub(super) path: PathBuf,
    pub(super) db: sled::Db,
    pub(super) meta: sled::Tree,
    pub(super) sessions: sled::Tree,
    pub(super) events: sled::Tree,
    salt: [u8; 16],
    /// The next `seq` of sessions appended to since opening; guards seq assignment.
    next_seq: Arc<Mutex<HashMap<SessionId, u64>>>,
    /// Runs when the last clone is dropped, after the sled handles above (fields drop in
    /// order): records a clean close, or removes a temporary copy.
    closing: Arc<open::Closing>,
}

impl fmt::Debug for Local {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// How long opening waits for a lock that is about to be released.
pub(super) const LOCK_GRACE: Duration = Duration::from_millis(1500);

impl Local {
    /// Whether this store is a temporary copy of the directory it names.
    pub(super) fn reads_a_copy(&self) -> bool {
        self.closing.is_copy()
    }

    /// Let sled open the files in `files` and check that they are a socius store; messages
    /// name `shown`, the store directory the user gave. `db_size` is the size of the `db` file
    /// before sled touched it.
    pub(super) fn open_files(
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

    /// The format number recorded in the store.
    pub(super) fn format(&self) -> Result<u32> {
        let bytes = self.meta.get(META_FORMAT).map_err(|e| self.sled_error(e))?;
        Ok(bytes
            .and_then(|b| <[u8; 4]>::try_from(b.as_ref()).ok())
            .map_or(0, u32::from_be_bytes))
    }

    /// Make every write so far durable.
    pub(super) fn flush(&self) -> Result<()> {
        self.db.flush().map(drop).map_err(|e| self.sled_error(e))
    }

    /// The pseudonym salt drawn when the store was created.
    pub(super) const fn salt(&self) -> [u8; 16] {
        self.salt
    }

    /// The seq table, locked. Poisoning is harmless: the table only caches what the events
    /// tree says.
    pub(super) fn lock_seqs(&self) -> MutexGuard<'_, HashMap<SessionId, u64>> {
        self.next_seq.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn sled_error(&self, source: sled::Error) -> StoreError {
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
