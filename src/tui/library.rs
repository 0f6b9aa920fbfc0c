//! The library: every script found in the folders the TUI was given, loaded and summarised.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::script::load::{Script, collect_paths, load_file};
use crate::script::model::{Language, Orientation, WorldTree};
use crate::script::validate::Summary;

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
    /// The tree, when the file holds a world tree without errors.
    pub tree: Option<Arc<WorldTree>>,
    /// Lower-cased title, id and scenario, for the search box.
    haystack: String,
}

impl ScriptEntry {
    /// Whether the entry matches a lower-cased search string.
    #[must_use]
    pub fn matches(&self, needle: &str) -> bool {
        needle.is_empty() || self.haystack.contains(needle)
    }
}

/// All scripts, sorted by language, then title.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub entries: Vec<ScriptEntry>,
}

impl Library {
    /// Load every script under `paths` (files or folders). Missing folders are skipped: the
    /// library shows what exists.
    #[must_use]
    pub fn scan(paths: &[PathBuf]) -> Self {
        let mut files = Vec::new();
        for p in paths {
            if let Ok(mut found) = collect_paths(std::slice::from_ref(p)) {
                files.append(&mut found);
            }
        }
        files.sort();
        files.dedup();
        let mut entries = load_parallel(&files);
        entries.sort_by(|a, b| {
            (a.language, a.title.to_lowercase(), &a.path).cmp(&(
                b.language,
                b.title.to_lowercase(),
                &b.path,
            ))
        });
        Self { entries }
    }

    /// Find a script by id and content hash (resume needs the exact version), else by id.
    #[must_use]
    pub fn find(&self, id: &str, hash: &str) -> Option<&ScriptEntry> {
        self.entries
            .iter()
            .find(|e| e.id == id && e.hash == hash)
            .or_else(|| self.entries.iter().find(|e| e.id == id && e.tree.is_some()))
    }
}

/// Load files on every core (parsing dominates start-up with a big library).
fn load_parallel(files: &[PathBuf]) -> Vec<ScriptEntry> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(files.len().max(1));
    if threads <= 1 || files.len() < 8 {
        return files.iter().map(|f| entry(f)).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|f| entry(f)).collect::<Vec<_>>()))
            .collect();
        let mut out = Vec::with_capacity(files.len());
        for (h, part) in handles.into_iter().zip(files.chunks(chunk)) {
            // A panic while loading one chunk is a bug; load that chunk again on this thread
            // so the library still opens.
            match h.join() {
                Ok(mut v) => out.append(&mut v),
                Err(_) => out.extend(part.iter().map(|f| entry(f))),
            }
        }
        out
    })
}

fn entry(path: &Path) -> ScriptEntry {
    let loaded = load_file(path);
    let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    let tree = loaded.world_tree().cloned().map(Arc::new);
    let (id, title, kind, language, orientation, scenario) = match &loaded.script {
        Some(Script::WorldTree(t)) => (
            t.id.clone(),
            if t.title.is_empty() {
                t.id.clone()
            } else {
                t.title.clone()
            },
            "world_tree",
            Some(t.language),
            Some(t.orientation),
            t.scenario.clone(),
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
    ScriptEntry {
        path: path.to_path_buf(),
        id,
        title,
        kind,
        language,
        orientation,
        errors,
        summary: loaded.summary,
        hash: loaded.hash,
        tree,
        haystack,
    }
}
