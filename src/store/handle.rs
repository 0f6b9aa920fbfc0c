//! What a [`Store`](super::Store) holds: the store's files (this process owns the store) or a
//! connection to the process that owns it, and the switch from one owner to the next.
//!
//! Every call runs on the current backend. When the owner went away, the call opens the store
//! again (see `share::open`), writes again what this handle appended since its last flush,
//! installs the new backend and repeats itself; other threads of the process wait meanwhile.
//! A call runs under a read lock of the backend and a hand-over takes the write lock, so a
//! hand-over never overlaps a call and sees every write the old owner acknowledged.

use std::cell::Cell;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use chrono::{DateTime, Utc};

use super::local::Local;
use super::merge::Outcome;
use super::open::Access;
use super::share::client::{Client, Fail};
use super::share::{self, Backend};
use super::write::now;
use super::{Result, StoreError};
use crate::session::{EventBody, Session, SessionId, SessionRecord};

/// How many times one call follows the store to a new owner before giving up.
const HANDOVERS: u32 = 5;
/// Unflushed events a handle keeps for a hand-over before it flushes on its own.
const PENDING_EVENTS: usize = 4096;
/// Unflushed merged sessions likewise.
const PENDING_MERGES: usize = 64;

#[derive(Debug)]
pub(super) struct Handle {
    path: PathBuf,
    access: Access,
    backend: RwLock<Backend>,
    writes: Mutex<Writes>,
}

/// What this handle wrote through an owner that is not known to be on disk yet, and where its
/// appends to each session ended.
#[derive(Debug, Default)]
struct Writes {
    next_ticket: u64,
    pending: Vec<(u64, Pending)>,
    pending_events: usize,
    pending_merges: usize,
    /// The seq after the last event this handle appended to each session.
    ends: HashMap<SessionId, u64>,
}

#[derive(Debug)]
enum Pending {
    Append {
        id: SessionId,
        at: DateTime<Utc>,
        bodies: Arc<Vec<EventBody>>,
        start: u64,
    },
    Merge(Arc<SessionRecord>),
}

impl Writes {
    /// The ticket the next pending write will get: a flush sent now covers those below it.
    const fn mark(&self) -> u64 {
        self.next_ticket
    }

    fn push(&mut self, write: Pending) {
        match &write {
            Pending::Append { bodies, .. } => self.pending_events += bodies.len(),
            Pending::Merge(_) => self.pending_merges += 1,
        }
        self.pending.push((self.next_ticket, write));
        self.next_ticket += 1;
    }

    /// A flush sent when the next ticket was `mark` succeeded.
    fn flushed(&mut self, mark: u64) {
        self.pending.retain(|(ticket, _)| *ticket >= mark);
        self.pending_events = 0;
        self.pending_merges = 0;
        for (_, write) in &self.pending {
            match write {
                Pending::Append { bodies, .. } => self.pending_events += bodies.len(),
                Pending::Merge(_) => self.pending_merges += 1,
            }
        }
    }

    const fn too_much(&self) -> bool {
        self.pending_events >= PENDING_EVENTS || self.pending_merges >= PENDING_MERGES
    }

    fn ended_at(&mut self, id: SessionId, end: u64) {
        let known = self.ends.entry(id).or_insert(end);
        *known = (*known).max(end);
    }
}

impl Handle {
    pub(super) fn open(path: &Path, access: Access) -> Result<Self> {
        Ok(Self {
            path: path.to_path_buf(),
            access,
            backend: RwLock::new(share::open(path, access)?),
            writes: Mutex::new(Writes::default()),
        })
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    fn backend(&self) -> RwLockReadGuard<'_, Backend> {
        self.backend.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn writes(&self) -> MutexGuard<'_, Writes> {
        self.writes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The store's files, when this process holds them.
    pub(super) fn local(&self) -> Option<Local> {
        match &*self.backend() {
            Backend::Local(owned) => Some(owned.local.clone()),
            Backend::Remote(_) => None,
        }
    }

    pub(super) fn is_local(&self) -> bool {
        matches!(&*self.backend(), Backend::Local(_))
    }

    pub(super) fn reads_a_copy(&self) -> bool {
        match &*self.backend() {
            Backend::Local(owned) => owned.local.reads_a_copy(),
            Backend::Remote(_) => false,
        }
    }

    pub(super) fn salt(&self) -> [u8; 16] {
        match &*self.backend() {
            Backend::Local(owned) => owned.local.salt(),
            Backend::Remote(client) => client.salt(),
        }
    }

    /// Run a call: `local` on the files, or `remote` through the owner, following the store
    /// to a new owner when the old one went away.
    pub(super) fn run<T>(
        &self,
        local: impl FnOnce(&Local) -> Result<T>,
        remote: impl Fn(&Client) -> Result<T, Fail>,
    ) -> Result<T> {
        let mut local = Some(local);
        let mut handovers = 0;
        loop {
            let backend = self.backend();
            let (gone, why) = match &*backend {
                Backend::Local(owned) => {
                    // Taken once: a local call returns right away.
                    return match local.take() {
                        Some(call) => call(&owned.local),
                        None => Err(self.share_error("the call ran twice".to_owned())),
                    };
                }
                Backend::Remote(client) => match remote(client) {
                    Ok(value) => return Ok(value),
                    Err(Fail::Store(e)) => return Err(e),
                    Err(Fail::Gone(why)) => (Arc::clone(client), why),
                },
            };
            drop(backend);
            handovers += 1;
            if handovers > HANDOVERS {
                return Err(self.share_error(format!(
                    "the process that had it open went away {HANDOVERS} times during one call \
                     ({why})"
                )));
            }
            self.hand_over(&gone)?;
        }
    }

    fn share_error(&self, detail: String) -> StoreError {
        StoreError::Share {
            path: self.path.clone(),
            detail,
        }
    }

    /// Replace the backend `gone` (unless another thread did already): open the store again
    /// and write again what was not flushed.
    fn hand_over(&self, gone: &Arc<Client>) -> Result<()> {
        let mut backend = self.backend.write().unwrap_or_else(PoisonError::into_inner);
        if !matches!(&*backend, Backend::Remote(current) if Arc::ptr_eq(current, gone)) {
            return Ok(());
        }
        let mut writes = self.writes();
        let mut tries = 0;
        loop {
            let fresh = share::open(&self.path, self.access)?;
            let salt = match &fresh {
                Backend::Local(owned) => owned.local.salt(),
                Backend::Remote(client) => client.salt(),
            };
            if salt != gone.salt() {
                return Err(self.share_error(
                    "another store has taken its place since it was opened".to_owned(),
                ));
            }
            tracing::info!(
                store = %self.path.display(),
                owner = matches!(fresh, Backend::Local(_)),
                pending = writes.pending.len(),
                "the store's owner went away; the store is open again"
            );
            match replay(&fresh, &writes.pending) {
                Ok(()) => {
                    writes.flushed(u64::MAX);
                    *backend = fresh;
                    return Ok(());
                }
                Err(Fail::Gone(why)) => {
                    tries += 1;
                    if tries >= HANDOVERS {
                        return Err(self.share_error(format!(
                            "the processes that took it over went away {HANDOVERS} times \
                             ({why})"
                        )));
                    }
                }
                Err(Fail::Store(e)) => {
                    // Keep the new owner; what could not be written again is reported once.
                    writes.flushed(u64::MAX);
                    *backend = fresh;
                    return Err(self.share_error(format!(
                        "writes not yet flushed when its owner went away could not be made \
                         again: {e}"
                    )));
                }
            }
        }
    }

    /// Store a new session's header and flush.
    pub(super) fn create(&self, session: &Session) -> Result<Session> {
        self.run(
            |local| local.create_header(session),
            |client| {
                let mark = self.writes().mark();
                let stored = client.create(session)?;
                self.writes().flushed(mark);
                Ok(stored)
            },
        )
    }

    /// Append events to session `id` (all or none), flushing when `flush`.
    pub(super) fn append(
        &self,
        id: SessionId,
        bodies: Vec<EventBody>,
        flush: bool,
    ) -> Result<Range<u64>> {
        let at = now();
        let bodies = Arc::new(bodies);
        let tried = Cell::new(false);
        let too_much = Cell::new(false);
        // A repeated request (the first went to an owner that went away) looks for its events
        // from where this handle's previous append to the session ended, on whichever side
        // it now runs.
        let retry_from = || {
            tried
                .replace(true)
                .then(|| self.writes().ends.get(&id).copied().unwrap_or(0))
        };
        let seqs = self.run(
            |local| {
                let seqs = local.append_at(id, at, &bodies, retry_from())?;
                if flush {
                    local.flush()?;
                }
                Ok(seqs)
            },
            |client| {
                let retry_from = retry_from();
                let mark = self.writes().mark();
                let seqs = client.append(id, at, &bodies, flush, retry_from)?;
                let mut writes = self.writes();
                writes.ended_at(id, seqs.end);
                if flush {
                    writes.flushed(mark);
                } else {
                    writes.push(Pending::Append {
                        id,
                        at,
                        bodies: Arc::clone(&bodies),
                        start: seqs.start,
                    });
                    too_much.set(writes.too_much());
                }
                Ok(seqs)
            },
        )?;
        if too_much.get() {
            self.flush()?;
        }
        Ok(seqs)
    }

    /// Make every write of this handle durable.
    pub(super) fn flush(&self) -> Result<()> {
        self.run(Local::flush, |client| {
            let mark = self.writes().mark();
            client.flush()?;
            self.writes().flushed(mark);
            Ok(())
        })
    }

    /// Merge one session, without flushing; the inner error is why it was left untouched.
    pub(super) fn merge(
        &self,
        record: SessionRecord,
    ) -> Result<std::result::Result<Outcome, String>> {
        let record = Arc::new(record);
        let too_much = Cell::new(false);
        let outcome = self.run(
            |local| local.merge_record((*record).clone()),
            |client| {
                let outcome = client.merge(&record, false)?;
                let mut writes = self.writes();
                writes.push(Pending::Merge(Arc::clone(&record)));
                too_much.set(writes.too_much());
                Ok(outcome)
            },
        )?;
        if too_much.get() {
            self.flush()?;
        }
        Ok(outcome)
    }
}

/// Write the pending writes again on a new backend, then flush.
fn replay(backend: &Backend, pending: &[(u64, Pending)]) -> std::result::Result<(), Fail> {
    match backend {
        Backend::Local(owned) => {
            let local = &owned.local;
            for (_, write) in pending {
                match write {
                    Pending::Append {
                        id,
                        at,
                        bodies,
                        start,
                    } => {
                        local
                            .append_at(*id, *at, bodies, Some(*start))
                            .map_err(Fail::Store)?;
                    }
                    Pending::Merge(record) => {
                        // Merging is idempotent; what it reports was reported the first time.
                        let _outcome = local
                            .merge_record((**record).clone())
                            .map_err(Fail::Store)?;
                    }
                }
            }
            local.flush().map_err(Fail::Store)
        }
        Backend::Remote(client) => {
            for (_, write) in pending {
                match write {
                    Pending::Append {
                        id,
                        at,
                        bodies,
                        start,
                    } => {
                        client.append(*id, *at, bodies, false, Some(*start))?;
                    }
                    Pending::Merge(record) => {
                        let _outcome = client.merge(record, false)?;
                    }
                }
            }
            client.flush()
        }
    }
}
