//! Checks on the store directory before sled is let loose on it.
//!
//! sled happily creates its files in any directory, and reads a random `db` file without a
//! `conf` as an empty database. These checks keep a mistyped `--store` from littering a
//! foreign directory, and a damaged store from being silently reinitialized.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use super::{Result, StoreError};

/// Names sled creates inside its directory.
pub(super) fn is_sled_file(name: &str) -> bool {
    matches!(name, "conf" | "db" | "blobs") || name.starts_with("snap.")
}

/// Names that may share the directory with a store: dotfiles, a README, and export files.
fn is_tolerated(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with('.')
        || lower.starts_with("readme")
        || [".jsonl", ".csv", ".md"]
            .iter()
            .any(|ext| lower.ends_with(ext))
}

/// Create `path` when missing; refuse it when it cannot be a store. Returns the size of
/// sled's `db` file before opening (0 when there is none).
pub(super) fn prepare(path: &Path) -> Result<u64> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    match fs::metadata(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return fs::create_dir_all(path).map(|()| 0).map_err(io);
        }
        Err(e) => return Err(io(e)),
        Ok(meta) if !meta.is_dir() => {
            return Err(StoreError::NotAStore {
                path: path.to_path_buf(),
                reason: "it is a file, not a directory".to_owned(),
            });
        }
        Ok(_) => {}
    }
    let mut db_size = None;
    let mut has_conf = false;
    let mut strangers = Vec::new();
    for entry in fs::read_dir(path).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "db" {
            db_size = Some(entry.metadata().map_err(io)?.len());
        }
        has_conf |= name == "conf";
        if !is_sled_file(&name) && !is_tolerated(&name) {
            strangers.push(name);
        }
    }
    if !strangers.is_empty() {
        strangers.sort();
        let shown: Vec<String> = strangers.iter().take(3).map(|n| format!("`{n}`")).collect();
        let more = if strangers.len() > 3 {
            format!(" and {} more", strangers.len() - 3)
        } else {
            String::new()
        };
        return Err(StoreError::NotAStore {
            path: path.to_path_buf(),
            reason: format!(
                "it holds files a store does not have ({}{more}); give --store an empty or new \
                 directory",
                shown.join(", ")
            ),
        });
    }
    if db_size.is_some() && !has_conf {
        return Err(StoreError::Damaged {
            path: path.to_path_buf(),
            detail: "sled's `conf` file is missing beside `db`".to_owned(),
        });
    }
    Ok(db_size.unwrap_or(0))
}
