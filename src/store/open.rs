//! Opening a store directory without harming it.
//!
//! sled 0.34 cannot open a database read-only: it opens `db` for writing, and every open runs
//! a recovery that writes to `db` (it syncs and trims the tail of the log) and adds a `snap.*`
//! file. On a healthy store that is harmless. On a damaged store, a sled database of another
//! program or a store of a newer format it would mean changing files socius then refuses to
//! use, and possibly losing what a repair tool could have saved.
//!
//! So a store is opened in place only when it is exactly as socius left it when it last closed
//! it cleanly. Any other store (never opened by this version, left by a crash, changed since)
//! is first opened from a copy in the temporary directory: if that copy is refused, the store
//! is refused without one byte of it changed; if it opens, the copy is dropped and the store
//! opened in place.
//!
//! **Clean close.** When the last handle on a store opened in place is dropped and sled has
//! let go of its lock, socius writes `.socius-closed`: the name, size and modification time of
//! each of sled's files. A successful open in place deletes it, so a crash leaves none.
//!
//! **Read-only stores.** `Store::open_for_reading` (`sessions list`, `show`, `export`) falls back to a
//! copy when the store cannot be written (a read-only mount, a directory without write
//! permission); `Store::reads_a_copy` tells the caller, who says so.
//!
//! Copies live in a private directory (mode 700) under `std::env::temp_dir()` and are removed
//! when the store closes. Copying and checking the fingerprint happen under the same `flock`
//! sled takes, so a store another process is writing is never copied half-written.

use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Instant, UNIX_EPOCH};

use fs2::FileExt;

use super::dir::{self, is_sled_file};
use super::local::{LOCK_GRACE, Local};
use super::share::OwnerLock;
use super::{Result, StoreError};
use crate::fsx::{self, WriteError};

/// The clean-close record in a store directory.
const MARKER: &str = ".socius-closed";
/// Its first line, so that a marker of another layout never matches.
const MARKER_HEADER: &str = "socius clean close 1";
/// A larger "marker" is not ours.
const MARKER_MAX_LEN: u64 = 1 << 20;

/// What the caller will do with the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// Write sessions: the store must be opened in place.
    ReadWrite,
    /// Only read: a copy will do when the store cannot be written.
    Read,
}

/// Open the store in `path` for `access`; see the module documentation. `owner`, the lock
/// that makes this process the store's owner (see `share`), is kept by a store opened in place
/// until it has closed.
pub(super) fn open(path: &Path, access: Access, owner: Option<OwnerLock>) -> Result<Local> {
    let db_size = dir::prepare(path)?;
    if db_size == 0 {
        // A new store: nothing of value to protect.
        return in_place(path, db_size, owner).map_err(|e| match e {
            StoreError::ReadOnly { path, .. } if access == Access::Read => StoreError::NotAStore {
                path,
                reason: "it holds no store, and cannot be written to start one".to_owned(),
            },
            other => other,
        });
    }
    let lock = DbLock::wait(path)?;
    if lock.is_some() && clean_close_matches(path) {
        drop(lock);
        return match in_place(path, db_size, owner) {
            Err(e) if access == Access::Read && is_read_only(&e) => from_copy(path, db_size),
            other => other,
        };
    }
    let copy = TempCopy::of(path)?;
    drop(lock);
    // A store refused here is refused untouched.
    let files = copy.dir.clone();
    let trial = Local::open_files(&files, path, db_size, Closing::copy(copy))?;
    if access == Access::ReadWrite {
        drop(trial);
        return in_place(path, db_size, owner);
    }
    match in_place(path, db_size, owner) {
        Err(e) if is_read_only(&e) => Ok(trial),
        other => other,
    }
}

fn is_read_only(error: &StoreError) -> bool {
    matches!(error, StoreError::ReadOnly { .. })
}

fn in_place(path: &Path, db_size: u64, owner: Option<OwnerLock>) -> Result<Local> {
    let closing = Closing::in_place(path.to_path_buf(), owner);
    let store = Local::open_files(path, path, db_size, closing)?;
    // From now on sled may change the files: only a clean close vouches for them again. A
    // marker that cannot be removed stops matching as soon as sled writes, so that failure
    // is not worth reporting.
    let _ = fs::remove_file(path.join(MARKER));
    Ok(store)
}

fn from_copy(path: &Path, db_size: u64) -> Result<Local> {
    let lock = DbLock::wait(path)?;
    let copy = TempCopy::of(path)?;
    drop(lock);
    let files = copy.dir.clone();
    Local::open_files(&files, path, db_size, Closing::copy(copy))
}

/// What happens when the last handle on an open store goes: record a clean close of a store
/// opened in place, or remove a copy.
#[derive(Debug)]
pub(super) struct Closing {
    place: Place,
    /// Set once sled opened the files and every check passed: a store that failed to open
    /// gets no record of a clean close.
    opened: bool,
}

#[derive(Debug)]
enum Place {
    /// The store's own files; the owner lock (if any) is let go after the clean close is
    /// recorded, so that the next owner finds the record.
    InPlace {
        dir: PathBuf,
        _owner: Option<OwnerLock>,
    },
    /// Held for its `Drop`, which removes the copy.
    Copy { _files: TempCopy },
}

impl Closing {
    const fn in_place(dir: PathBuf, owner: Option<OwnerLock>) -> Self {
        Self {
            place: Place::InPlace { dir, _owner: owner },
            opened: false,
        }
    }

    const fn copy(copy: TempCopy) -> Self {
        Self {
            place: Place::Copy { _files: copy },
            opened: false,
        }
    }

    /// The store opened: from now on closing it is a clean close.
    pub(super) fn opened(mut self) -> Arc<Self> {
        self.opened = true;
        Arc::new(self)
    }

    /// Whether the store's files are a temporary copy.
    pub(super) const fn is_copy(&self) -> bool {
        matches!(self.place, Place::Copy { .. })
    }
}

impl Drop for Closing {
    fn drop(&mut self) {
        if let Place::InPlace { dir, .. } = &self.place
            && self.opened
        {
            record_clean_close(dir);
        }
    }
}

/// Write the clean-close marker, once sled has let go of the store (its lock is free).
fn record_clean_close(dir: &Path) {
    let Ok(Some(_lock)) = DbLock::wait(dir) else {
        return;
    };
    let Some(print) = fingerprint(dir) else {
        return;
    };
    let path = dir.join(MARKER);
    let _: std::result::Result<(), WriteError> = fsx::write_file_atomic(&path, |out| {
        out.write_all(print.as_bytes())
            .map_err(|e| WriteError::io(&path, e))
    });
}

/// Whether the store's files are exactly those recorded at its last clean close.
fn clean_close_matches(dir: &Path) -> bool {
    let path = dir.join(MARKER);
    let regular_and_small =
        fs::symlink_metadata(&path).is_ok_and(|m| m.is_file() && m.len() <= MARKER_MAX_LEN);
    if !regular_and_small {
        return false;
    }
    let mut recorded = String::new();
    let read = File::open(&path)
        .and_then(|f| f.take(MARKER_MAX_LEN).read_to_string(&mut recorded))
        .is_ok();
    read && fingerprint(dir).is_some_and(|now| now == recorded)
}

/// Name, size and modification time (ns) of each of sled's files, one per line, sorted.
fn fingerprint(dir: &Path) -> Option<String> {
    fn line(name: &str, meta: &fs::Metadata) -> Option<String> {
        let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(format!("{name}\t{}\t{}", meta.len(), modified.as_nanos()))
    }
    let mut lines = Vec::new();
    for entry in fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let name = entry.file_name().into_string().ok()?;
        if !is_sled_file(&name) {
            continue;
        }
        let meta = entry.metadata().ok()?;
        if name == "blobs" && meta.is_dir() {
            for blob in fs::read_dir(entry.path()).ok()? {
                let blob = blob.ok()?;
                let blob_name = blob.file_name().into_string().ok()?;
                lines.push(line(&format!("blobs/{blob_name}"), &blob.metadata().ok()?)?);
            }
        }
        lines.push(line(&name, &meta)?);
    }
    lines.sort();
    Some(format!("{MARKER_HEADER}\n{}\n", lines.join("\n")))
}

/// The lock sled takes on `db` (an exclusive `flock`, through the same crate sled uses),
/// taken by socius itself; released when dropped.
struct DbLock {
    _file: File,
}

impl DbLock {
    /// Take the lock, waiting out one that is about to be released. `None` when there is no
    /// `db` or the file system cannot lock (sled will then say what is wrong).
    fn wait(dir: &Path) -> Result<Option<Self>> {
        let Ok(file) = File::open(dir.join("db")) else {
            return Ok(None);
        };
        let asked = Instant::now();
        loop {
            match file.try_lock_exclusive() {
                Ok(()) => return Ok(Some(Self { _file: file })),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if asked.elapsed() >= LOCK_GRACE {
                        return Err(StoreError::Locked {
                            path: dir.to_path_buf(),
                        });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(_) => return Ok(None),
            }
        }
    }
}

/// A private copy of a store's sled files in the temporary directory, removed when dropped.
#[derive(Debug)]
pub(super) struct TempCopy {
    dir: PathBuf,
}

/// Distinguishes the copies one process makes.
static COPIES: AtomicU32 = AtomicU32::new(0);

impl TempCopy {
    /// Copy the sled files of `store` (`conf`, `db`, `snap.*`, `blobs/`).
    fn of(store: &Path) -> Result<Self> {
        let base = std::env::temp_dir();
        let fail = |source| StoreError::Copy {
            path: store.to_path_buf(),
            temp: base.clone(),
            source,
        };
        let copy = Self {
            dir: private_dir(&base).map_err(fail)?,
        };
        copy_sled_files(store, &copy.dir).map_err(fail)?;
        Ok(copy)
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        // Let sled's threads finish with the copy first.
        let lock = DbLock::wait(&self.dir);
        let _ = fs::remove_dir_all(&self.dir);
        drop(lock);
    }
}

/// A new directory only this user can read, under `base`.
fn private_dir(base: &Path) -> std::io::Result<PathBuf> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    loop {
        let n = COPIES.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("socius-store-{}-{n}", std::process::id()));
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == ErrorKind::AlreadyExists && n < 10_000 => {}
            Err(e) => return Err(e),
        }
    }
}

fn copy_sled_files(store: &Path, copy: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(store)? {
        let entry = entry?;
        let name = entry.file_name();
        if !is_sled_file(&name.to_string_lossy()) {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            fs::create_dir(copy.join(&name))?;
            for inner in fs::read_dir(entry.path())? {
                let inner = inner?;
                if inner.file_type()?.is_file() {
                    fs::copy(inner.path(), copy.join(&name).join(inner.file_name()))?;
                }
            }
        } else if kind.is_file() {
            fs::copy(entry.path(), copy.join(&name))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    /// A directory with files named like sled's; their content does not matter here.
    fn sled_like_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("conf"), "conf").unwrap();
        fs::write(dir.path().join("db"), "db bytes").unwrap();
        fs::create_dir(dir.path().join("blobs")).unwrap();
        dir
    }

    #[test]
    fn only_a_store_that_opened_gets_a_record_of_a_clean_close() {
        let dir = sled_like_dir();
        drop(Closing::in_place(dir.path().to_path_buf(), None));
        assert!(!dir.path().join(MARKER).exists());
        drop(Closing::in_place(dir.path().to_path_buf(), None).opened());
        assert!(clean_close_matches(dir.path()));
    }

    #[test]
    fn any_change_to_sleds_files_breaks_the_record() {
        let dir = sled_like_dir();
        drop(Closing::in_place(dir.path().to_path_buf(), None).opened());
        assert!(clean_close_matches(dir.path()));

        // Same size, other bytes: only the modification time tells.
        let db = dir.path().join("db");
        fs::write(&db, "DB BYTES").unwrap();
        let then = SystemTime::now() - Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&db)
            .unwrap()
            .set_modified(then)
            .unwrap();
        assert!(!clean_close_matches(dir.path()));

        drop(Closing::in_place(dir.path().to_path_buf(), None).opened());
        assert!(clean_close_matches(dir.path()));
        fs::write(dir.path().join("snap.0000000000000001"), "snapshot").unwrap();
        assert!(!clean_close_matches(dir.path()));

        drop(Closing::in_place(dir.path().to_path_buf(), None).opened());
        fs::write(dir.path().join("blobs/7"), "blob").unwrap();
        assert!(!clean_close_matches(dir.path()));
    }

    #[cfg(unix)]
    #[test]
    fn a_marker_that_is_not_a_small_regular_file_is_not_read() {
        let dir = sled_like_dir();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join(MARKER)).unwrap();
        assert!(!clean_close_matches(dir.path()));
        // Nor is it replaced: the clean close is simply not recorded.
        drop(Closing::in_place(dir.path().to_path_buf(), None).opened());
        assert!(
            fs::symlink_metadata(dir.path().join(MARKER))
                .unwrap()
                .is_symlink()
        );
    }
}
