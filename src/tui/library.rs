//! The library: every script found in the folders the TUI was given, summarised for the home
//! screen.
//!
//! Parsing YAML is what start-up spends its time on, so the summaries are kept in a small
//! cache file keyed by path, size and modification time. A script whose file is unchanged is
//! listed from the cache and parsed only when it is opened (and then checked against the
//! cached content hash); changed and new files are parsed on every core. Without a cache
//! folder, everything is parsed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::script::load::{Script, ScriptKind, collect_paths, load_file};
use crate::script::model::{Language, Orientation, WorldTree};
use crate::script::validate::Summary;

/// Cache layout version; a different number means the cache is ignored. 3: the loader knows
/// the CR kinds, so a file cached as an unknown kind may now be a CR script.
const CACHE_VERSION: u32 = 3;
const CACHE_FILE: &str = "library-v3.json";

/// One script in the library.
#[derive(Debug, Clone)]
pub struct ScriptEntry {
    pub path: PathBuf,
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub language: Option<Language>,
    pub orientation: Option<Orientation>,
    pub errors: usize,
    pub summary: Option<Summary>,
    /// sha256 of the file's bytes.
    pub hash: String,
    /// Lower-cased title, id and scenario, for the search box.
    haystack: String,
    /// Flagged `not_playable_as_text` by its importer: some options are not utterances (game
    /// moves, state triples); people are warned before playing it.
    pub not_text: bool,
    /// The parsed tree, once loaded.
    tree: Arc<OnceLock<Arc<WorldTree>>>,
}

/// Why a script could not be opened for play.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("{}: the script has errors; run `socius check {}`", .0.display(), .0.display())]
    HasErrors(PathBuf),
    #[error("{} changed on disk since the library was read; restart socius to reload it", .0.display())]
    Changed(PathBuf),
    #[error("{}: not a script in the library", .0.display())]
    NotInLibrary(PathBuf),
}

impl ScriptEntry {
    /// Whether the entry matches a lower-cased search string.
    #[must_use]
    pub fn matches(&self, needle: &str) -> bool {
        needle.is_empty() || self.haystack.contains(needle)
    }

    /// Whether the library lists it: world trees and files that did not load (to show their
    /// errors). CR protocols, cases and red-team files are not played from the library.
    #[must_use]
    pub fn listed(&self) -> bool {
        self.kind == ScriptKind::WorldTree.name() || self.kind == "?"
    }

    /// A world tree without errors.
    #[must_use]
    pub fn playable(&self) -> bool {
        self.kind == ScriptKind::WorldTree.name() && self.errors == 0
    }

    /// The tree, parsed on first use.
    ///
    /// # Errors
    /// The script has errors, is not a world tree, or changed on disk since the library was
    /// read (its content hash differs).
    pub fn tree(&self) -> Result<Arc<WorldTree>, OpenError> {
        if let Some(t) = self.tree.get() {
            return Ok(Arc::clone(t));
        }
        if !self.playable() {
            return Err(OpenError::HasErrors(self.path.clone()));
        }
        let loaded = load_file(&self.path);
        if loaded.hash != self.hash {
            return Err(OpenError::Changed(self.path.clone()));
        }
        let tree = loaded
            .world_tree()
            .cloned()
            .map(Arc::new)
            .ok_or_else(|| OpenError::HasErrors(self.path.clone()))?;
        Ok(Arc::clone(self.tree.get_or_init(|| tree)))
    }
}

/// One piece of a natural sort key: numbers compare as numbers (`example_2` before
/// `example_10`), text as text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Piece {
    Number(u128, usize),
    Text(String),
}

/// The natural sort key of `text`.
fn natural_key(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        let digits = c.is_ascii_digit();
        let mut run = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_ascii_digit() != digits {
                break;
            }
            run.push(c);
            chars.next();
        }
        out.push(match run.parse::<u128>() {
            // The length breaks ties (`007` after `7`) and keeps over-long numbers ordered.
            Ok(n) if digits => Piece::Number(n, run.len()),
            _ => Piece::Text(run),
        });
    }
    out
}

/// All scripts, sorted by language, then title (numbers in titles in numeric order).
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub entries: Vec<ScriptEntry>,
}

/// A cached summary of one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cached {
    size: u64,
    mtime_ns: u128,
    id: String,
    title: String,
    kind: String,
    language: Option<Language>,
    orientation: Option<Orientation>,
    errors: usize,
    summary: Option<Summary>,
    hash: String,
    haystack: String,
    #[serde(default)]
    not_text: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    entries: HashMap<PathBuf, Cached>,
}

fn stamp(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some((meta.len(), mtime.as_nanos()))
}

fn kind_name(kind: &str) -> &'static str {
    ScriptKind::from_name(kind).map_or("?", ScriptKind::name)
}

impl Library {
    /// Parse every script under `paths` (files or folders). Missing folders are skipped.
    #[must_use]
    pub fn scan(paths: &[PathBuf]) -> Self {
        Self::scan_cached(paths, None)
    }

    /// As [`Library::scan`], reusing and refreshing the summaries cached in `cache_dir`.
    /// A missing or unreadable cache is rebuilt; failing to write it is not an error.
    #[must_use]
    pub fn scan_cached(paths: &[PathBuf], cache_dir: Option<&Path>) -> Self {
        let mut files = Vec::new();
        for p in paths {
            if let Ok(mut found) = collect_paths(std::slice::from_ref(p)) {
                files.append(&mut found.files);
            }
        }
        files.sort();
        files.dedup();
        let cache = cache_dir.map(read_cache).unwrap_or_default();
        let mut entries = Vec::with_capacity(files.len());
        let mut misses = Vec::new();
        for f in files {
            let hit = stamp(&f).and_then(|(size, mtime_ns)| {
                cache
                    .entries
                    .get(&f)
                    .filter(|c| c.size == size && c.mtime_ns == mtime_ns)
            });
            match hit {
                Some(c) => entries.push(from_cache(&f, c)),
                None => misses.push(f),
            }
        }
        let fresh = load_parallel(&misses);
        let changed = !fresh.is_empty() || cache.entries.len() != entries.len();
        entries.extend(fresh);
        entries.sort_by_cached_key(|e| {
            (
                e.language,
                natural_key(&e.title.to_lowercase()),
                natural_key(&e.path.to_string_lossy()),
            )
        });
        let mut lib = Self { entries };
        if changed && let Some(dir) = cache_dir {
            lib.write_cache(dir);
        }
        // After caching, so unchanged CR files are not parsed again on the next start.
        lib.entries.retain(ScriptEntry::listed);
        lib
    }

    /// Find a script by id and content hash (resume needs the exact version), else by id.
    #[must_use]
    pub fn find(&self, id: &str, hash: &str) -> Option<&ScriptEntry> {
        self.entries
            .iter()
            .find(|e| e.id == id && e.hash == hash)
            .or_else(|| self.entries.iter().find(|e| e.id == id && e.playable()))
    }

    fn write_cache(&self, dir: &Path) {
        let mut file = CacheFile {
            version: CACHE_VERSION,
            entries: HashMap::with_capacity(self.entries.len()),
        };
        for e in &self.entries {
            if let Some((size, mtime_ns)) = stamp(&e.path) {
                file.entries.insert(
                    e.path.clone(),
                    Cached {
                        size,
                        mtime_ns,
                        id: e.id.clone(),
                        title: e.title.clone(),
                        kind: e.kind.to_owned(),
                        language: e.language,
                        orientation: e.orientation,
                        errors: e.errors,
                        summary: e.summary.clone(),
                        hash: e.hash.clone(),
                        haystack: e.haystack.clone(),
                        not_text: e.not_text,
                    },
                );
            }
        }
        let Ok(bytes) = serde_json::to_vec(&file) else {
            return;
        };
        // Best effort: a cache that cannot be written only costs time on the next start.
        let _ = std::fs::create_dir_all(dir);
        let tmp = dir.join(format!("{CACHE_FILE}.tmp{}", std::process::id()));
        if std::fs::write(&tmp, bytes).is_ok() {
            let _ = std::fs::rename(&tmp, dir.join(CACHE_FILE));
        }
    }
}

fn read_cache(dir: &Path) -> CacheFile {
    crate::fsx::read_regular(&dir.join(CACHE_FILE), crate::fsx::MAX_JSON_BYTES)
        .ok()
        .and_then(|b| serde_json::from_slice::<CacheFile>(&b).ok())
        .filter(|c| c.version == CACHE_VERSION)
        .unwrap_or_default()
}

fn from_cache(path: &Path, c: &Cached) -> ScriptEntry {
    ScriptEntry {
        path: path.to_path_buf(),
        id: c.id.clone(),
        title: c.title.clone(),
        kind: kind_name(&c.kind),
        language: c.language,
        orientation: c.orientation,
        errors: c.errors,
        summary: c.summary.clone(),
        hash: c.hash.clone(),
        haystack: c.haystack.clone(),
        not_text: c.not_text,
        tree: Arc::new(OnceLock::new()),
    }
}

/// Load files on every core (parsing dominates start-up with a big library).
fn load_parallel(files: &[PathBuf]) -> Vec<ScriptEntry> {
    crate::par::map(files, &|f| entry(f))
}

fn entry(path: &Path) -> ScriptEntry {
    let loaded = load_file(path);
    let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    let cell = OnceLock::new();
    if let Some(t) = loaded.world_tree() {
        let _ = cell.set(Arc::new(t.clone()));
    }
    let (id, title, kind, language, orientation, scenario) = match &loaded.script {
        Some(Script::WorldTree(t)) => (
            t.id.clone(),
            if t.title.is_empty() {
                t.id.clone()
            } else {
                t.title.clone()
            },
            ScriptKind::WorldTree.name(),
            Some(t.language),
            Some(t.orientation),
            t.scenario.clone(),
        ),
        // CR scripts are kept (cached) but not listed: see `ScriptEntry::listed`.
        Some(other) => (
            other.id().to_owned(),
            other.id().to_owned(),
            other.kind().name(),
            None,
            None,
            String::new(),
        ),
        None => {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name.clone(), name, "?", None, None, String::new())
        }
    };
    let haystack = format!("{title}\n{id}\n{scenario}").to_lowercase();
    let not_text = loaded
        .world_tree()
        .is_some_and(|t| t.has_flag(crate::script::model::FLAG_NOT_PLAYABLE_AS_TEXT));
    ScriptEntry {
        not_text,
        path: path.to_path_buf(),
        id,
        title,
        kind,
        language,
        orientation,
        errors,
        summary: loaded.summary,
        hash: loaded.hash,
        haystack,
        tree: Arc::new(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_sort_naturally() {
        let mut titles = vec![
            "example_10",
            "example_2",
            "example_1",
            "Example_02",
            "alpha",
        ];
        titles.sort_by_cached_key(|t| natural_key(&t.to_lowercase()));
        assert_eq!(
            titles,
            [
                "alpha",
                "example_1",
                "example_2",
                "Example_02",
                "example_10"
            ]
        );
    }

    fn bundled() -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts"))
    }

    #[test]
    fn the_cache_lists_the_same_library_and_trees_load_lazily() {
        let cache = tempfile::tempdir().expect("tempdir");
        let fresh = Library::scan_cached(&[bundled()], Some(cache.path()));
        assert!(cache.path().join(CACHE_FILE).exists());
        let cached = Library::scan_cached(&[bundled()], Some(cache.path()));
        assert_eq!(fresh.entries.len(), cached.entries.len());
        for (a, b) in fresh.entries.iter().zip(&cached.entries) {
            assert_eq!(
                (&a.id, &a.title, &a.hash, &a.summary),
                (&b.id, &b.title, &b.hash, &b.summary)
            );
            assert!(b.tree.get().is_none(), "not parsed until opened");
            assert_eq!(b.tree().expect("loads").id, a.id);
        }
    }

    #[test]
    fn cr_scripts_are_cached_but_not_listed() {
        let cache = tempfile::tempdir().expect("tempdir");
        let lib = Library::scan_cached(&[bundled()], Some(cache.path()));
        assert!(lib.entries.iter().all(|e| e.kind == "world_tree"));
        assert_eq!(lib.entries.len(), crate::script::bundled::BUNDLED.len());
        let cached = read_cache(cache.path());
        assert!(
            cached.entries.values().any(|c| c.kind == "cr_protocol"),
            "CR files are cached so they are not parsed on every start"
        );
        let again = Library::scan_cached(&[bundled()], Some(cache.path()));
        assert_eq!(again.entries.len(), lib.entries.len());
    }

    #[test]
    fn a_changed_file_is_parsed_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = tempfile::tempdir().expect("tempdir");
        let src = bundled().join("en-shared-kitchen.yaml");
        let path = dir.path().join("k.yaml");
        std::fs::copy(&src, &path).expect("copy");
        let first = Library::scan_cached(&[dir.path().to_path_buf()], Some(cache.path()));
        assert_eq!(first.entries[0].errors, 0);
        // Break the file (a different size, so the stamp changes even on coarse clocks).
        std::fs::write(&path, "kind: world_tree\nid: [\n").expect("write");
        let second = Library::scan_cached(&[dir.path().to_path_buf()], Some(cache.path()));
        assert!(second.entries[0].errors > 0);
        assert!(second.entries[0].tree().is_err());
    }
}
