//! The inspector's cache of walks: a store with thousands of model walks takes most of a second
//! to read (every event of every log is decoded, the model requests included), so the walks
//! read once are kept in the user's cache folder, one file per store and version of a tree, and
//! only sessions that are new or have grown since are read again. A missing, unreadable or
//! outdated cache is rebuilt; failing to write it only costs time the next time.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::report::inspect::{Known, Walk, sessions_of, walks_of};
use crate::script::model::WorldTree;
use crate::session::SessionId;
use crate::store::{Store, StoreError};

/// Bumped whenever [`Walk`] changes shape.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    walks: Vec<(SessionId, u64, Walk)>,
}

/// The cache file of one store and one version of one tree.
#[must_use]
pub fn path(cache_dir: &Path, store_dir: &Path, tree: &WorldTree, hash: &str) -> PathBuf {
    let store = std::fs::canonicalize(store_dir).unwrap_or_else(|_| store_dir.to_path_buf());
    let key =
        crate::script::content_hash(format!("{}\0{}\0{hash}", store.display(), tree.id).as_bytes());
    cache_dir
        .join("inspect")
        .join(format!("{}.json", &key[..32]))
}

fn read(file: &Path) -> Known {
    crate::fsx::read_regular(file, crate::fsx::MAX_JSON_BYTES)
        .ok()
        .and_then(|b| serde_json::from_slice::<CacheFile>(&b).ok())
        .filter(|c| c.version == VERSION)
        .map(|c| {
            c.walks
                .into_iter()
                .map(|(id, events, walk)| (id, (events, walk)))
                .collect()
        })
        .unwrap_or_default()
}

fn write(file: &Path, known: &Known) {
    let mut walks: Vec<(SessionId, u64, Walk)> = known
        .iter()
        .map(|(id, (events, walk))| (*id, *events, walk.clone()))
        .collect();
    walks.sort_by_key(|(id, _, _)| *id);
    let body = CacheFile {
        version: VERSION,
        walks,
    };
    let result = file
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            crate::fsx::write_file_atomic(file, |out| {
                serde_json::to_writer(out, &body).map_err(|e| CacheError(e.to_string()))
            })
            .map_err(|e| e.0)
        });
    if let Err(e) = result {
        tracing::warn!(error = %e, file = %file.display(), "the inspector's cache was not written");
    }
}

struct CacheError(String);

impl From<crate::fsx::WriteError> for CacheError {
    fn from(e: crate::fsx::WriteError) -> Self {
        Self(e.to_string())
    }
}

/// The walks of `tree` in `store`, through the cache in `cache_dir` (none: no cache).
///
/// # Errors
/// A store read error.
pub fn load_walks(
    store: &Store,
    store_dir: &Path,
    tree: &WorldTree,
    hash: &str,
    cache_dir: Option<&Path>,
) -> Result<Vec<Walk>, StoreError> {
    let file = cache_dir.map(|d| path(d, store_dir, tree, hash));
    // The cache is read while the store lists the sessions.
    let (known, sessions) = std::thread::scope(|scope| {
        let reader = file.as_deref().map(|f| scope.spawn(move || read(f)));
        let sessions = sessions_of(store, tree);
        let known = reader.and_then(|r| r.join().ok()).unwrap_or_default();
        (known, sessions)
    });
    let (walks, now) = walks_of(store, tree, hash, &sessions?, &known)?;
    if let Some(file) = &file
        && now != known
    {
        write(file, &now);
    }
    Ok(walks)
}
