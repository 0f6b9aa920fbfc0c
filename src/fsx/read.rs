//! Reading files that come from other people: scripts, SocialEval JSON, prompt templates,
//! themes, settings. Every such read goes through here.
//!
//! - Only regular files are read. A FIFO, socket or device (also one named `*.yaml`) is refused
//!   with a message instead of blocking on it or reading a device; the file is opened without
//!   blocking and checked again after opening, so a file swapped in between is caught too.
//! - Every read has a size bound, so a huge or endless file cannot take the memory.
//! - Folders are walked following each real directory once: symbolic links to folders are
//!   followed, but a link back up the tree (a loop) or a second way to the same folder is not
//!   walked again. A folder that cannot be read is reported and the walk goes on.

use std::collections::HashSet;
use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The largest script (YAML) socius reads. The largest SocialEval tree is about 120 KB.
pub const MAX_SCRIPT_BYTES: u64 = 16 << 20;
/// The largest JSON source the importer reads (the merged SocialEval list is far smaller).
pub const MAX_JSON_BYTES: u64 = 256 << 20;
/// The largest small file (prompt template, theme, configuration).
pub const MAX_SMALL_BYTES: u64 = 1 << 20;
/// The deepest folder nesting a walk descends into.
pub const MAX_WALK_DEPTH: usize = 64;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("no such file")]
    NotFound,
    #[error("is a folder, not a file")]
    Folder,
    #[error("is {0}, not a regular file; socius reads only regular files")]
    Special(&'static str),
    #[error("is larger than {} (socius reads at most that much of such a file)", human_size(*.limit))]
    TooLarge { limit: u64 },
    #[error("too many levels of symbolic links (a link loop?)")]
    LinkLoop,
    #[error("{0}")]
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::NotFound {
            return Self::NotFound;
        }
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return Self::LinkLoop;
        }
        Self::Io(e)
    }
}

/// `1 MiB`, `16 MiB`, `512 bytes`.
fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// What kind of non-regular file the metadata describes ("a FIFO (named pipe)", "a character
/// device", …); `None` for a regular file.
#[must_use]
pub fn special_kind(meta: &Metadata) -> Option<&'static str> {
    super::file_kind(&meta.file_type())
}

fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // A FIFO opened for reading would block until a writer comes; a terminal device would
        // become the controlling terminal. Neither flag changes anything for a regular file.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path)
}

/// Read a whole regular file of at most `limit` bytes (symbolic links to regular files are
/// followed).
///
/// # Errors
/// A missing file, a folder, a special file, a file over `limit`, a link loop, or an I/O
/// error while reading.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    // Look before opening, so that a device is never opened at all.
    let meta = fs::metadata(path)?;
    if meta.is_dir() {
        return Err(ReadError::Folder);
    }
    if let Some(kind) = special_kind(&meta) {
        return Err(ReadError::Special(kind));
    }
    let file = open_nonblocking(path)?;
    // And look again at what was opened: it may have been swapped since.
    let meta = file.metadata()?;
    if let Some(kind) = special_kind(&meta) {
        return Err(ReadError::Special(kind));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    let mut out = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(out)
}

/// [`read_regular`] as UTF-8 text.
///
/// # Errors
/// As [`read_regular`], and text that is not UTF-8 (as [`ReadError::Io`] of kind
/// `InvalidData`).
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_regular(path, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        ReadError::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })
}

/// What a folder walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Regular files whose names `want` accepted, sorted within each folder, folders in order.
    pub files: Vec<PathBuf>,
    /// Entries that were left out, each with the reason (to show as a warning).
    pub skipped: Vec<(PathBuf, String)>,
}

/// The identity of a file on its device, to recognise a folder reached twice.
#[cfg(unix)]
fn identity(meta: &Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt as _;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_meta: &Metadata) -> (u64, u64) {
    (0, 0)
}

/// Walk `dir` recursively, collecting regular files for which `want` says yes. Special files
/// that `want` accepts by name are skipped with a reason; so are folders that cannot be read,
/// folders already walked (link loops) and folders deeper than [`MAX_WALK_DEPTH`].
///
/// # Errors
/// Only when `dir` itself cannot be read.
pub fn walk_folder(dir: &Path, want: &dyn Fn(&Path) -> bool) -> io::Result<Walk> {
    let mut walk = Walk::default();
    let mut seen = HashSet::new();
    let meta = fs::metadata(dir)?;
    seen.insert(identity(&meta));
    let entries = sorted_entries(dir)?;
    walk_entries(entries, 1, want, &mut seen, &mut walk);
    Ok(walk)
}

fn sorted_entries(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    Ok(entries)
}

fn walk_entries(
    entries: Vec<PathBuf>,
    depth: usize,
    want: &dyn Fn(&Path) -> bool,
    seen: &mut HashSet<(u64, u64)>,
    walk: &mut Walk,
) {
    for path in entries {
        // `metadata` follows links: a link to a folder is walked like the folder.
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                if want(&path) {
                    walk.skipped.push((path, ReadError::from(e).to_string()));
                }
                continue;
            }
        };
        if meta.is_dir() {
            if !seen.insert(identity(&meta)) {
                walk.skipped.push((
                    path,
                    "a folder already walked (a symbolic link loop or a second link to it); \
                     not walked again"
                        .to_owned(),
                ));
                continue;
            }
            if depth >= MAX_WALK_DEPTH {
                walk.skipped.push((
                    path,
                    format!("folders nested deeper than {MAX_WALK_DEPTH}; not walked"),
                ));
                continue;
            }
            match sorted_entries(&path) {
                Ok(inner) => walk_entries(inner, depth + 1, want, seen, walk),
                Err(e) => walk
                    .skipped
                    .push((path, format!("cannot read the folder: {e}"))),
            }
        } else if want(&path) {
            match special_kind(&meta) {
                None => walk.files.push(path),
                Some(kind) => walk
                    .skipped
                    .push((path, format!("is {kind}, not a regular file; skipped"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
    }

    #[test]
    fn reads_regular_files_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, b"kind: x\n").unwrap();
        assert_eq!(read_regular(&path, 100).unwrap(), b"kind: x\n");
        let err = read_regular(&path, 4).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { limit: 4 }), "{err}");
        assert!(matches!(
            read_regular(&dir.path().join("none"), 9),
            Err(ReadError::NotFound)
        ));
        assert!(matches!(
            read_regular(dir.path(), 9),
            Err(ReadError::Folder)
        ));
    }

    #[test]
    fn a_fifo_or_a_device_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.yaml");
        mkfifo(&fifo);
        let err = read_regular(&fifo, 100).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
        let err = read_regular(Path::new("/dev/zero"), 100).unwrap_err();
        assert!(err.to_string().contains("a character device"), "{err}");
    }

    #[test]
    fn a_link_loop_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let err = read_regular(&a, 100).unwrap_err();
        assert!(matches!(err, ReadError::LinkLoop), "{err}");
    }

    #[test]
    fn walks_each_real_folder_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("sub")).unwrap();
        fs::write(root.join("one.yaml"), "x").unwrap();
        fs::write(root.join("sub/two.yaml"), "x").unwrap();
        fs::write(root.join("sub/notes.txt"), "x").unwrap();
        std::os::unix::fs::symlink("..", root.join("sub/up")).unwrap();
        std::os::unix::fs::symlink(".", root.join("here")).unwrap();
        std::os::unix::fs::symlink("sub", root.join("same")).unwrap();
        std::os::unix::fs::symlink("missing", root.join("dangling.yaml")).unwrap();
        mkfifo(&root.join("sub/pipe.yml"));
        let is_yaml = |p: &Path| p.extension().is_some_and(|e| e == "yaml" || e == "yml");
        let walk = walk_folder(root, &is_yaml).unwrap();
        let names: Vec<_> = walk
            .files
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect();
        // `same` is a second link to `sub`: one of the two ways is walked, once.
        assert_eq!(names, ["one.yaml", "same/two.yaml"]);
        let skipped: Vec<_> = walk
            .skipped
            .iter()
            .map(|(p, why)| {
                (
                    p.strip_prefix(root).unwrap().display().to_string(),
                    why.clone(),
                )
            })
            .collect();
        assert!(
            skipped
                .iter()
                .any(|(p, w)| p == "dangling.yaml" && w == "no such file"),
            "{skipped:?}"
        );
        assert!(
            skipped
                .iter()
                .any(|(p, w)| p == "here" && w.contains("already walked")),
            "{skipped:?}"
        );
        assert!(
            skipped
                .iter()
                .any(|(p, w)| p == "same/pipe.yml" && w.contains("FIFO")),
            "{skipped:?}"
        );
        assert!(skipped.iter().any(|(p, _)| p == "same/up"), "{skipped:?}");
    }
}
