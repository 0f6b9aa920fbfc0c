//! Files from and to elsewhere. This module depends on nothing but `std`, `libc` (one open
//! flag) and `thiserror`, so every layer may use it.
//!
//! Reading ([`read_regular`], [`walk_folder`]): regular files only, with size bounds, and
//! folder walks that visit each real folder once (see [`read`]).
//!
//! Writing: [`write_file_atomic`] writes a file whole or not at all, and never writes through anything
//! that is not an ordinary file: a device, a FIFO, a socket, a directory or a symbolic link at
//! the target is refused before any byte is written. Both the session export (`--out`) and
//! the SocialEval importer's YAML files go through it.

mod read;

pub use read::{
    MAX_JSON_BYTES, MAX_SCRIPT_BYTES, MAX_SMALL_BYTES, MAX_WALK_DEPTH, ReadError, Walk,
    read_regular, read_text, special_kind, walk_folder,
};

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};

/// Why [`write_file_atomic`] did not write the file.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Something other than a regular file sits at the target path.
    #[error("{} is {what}, not a regular file; refusing to replace it", .path.display())]
    NotAFile { path: PathBuf, what: &'static str },

    /// The target path is a symbolic link.
    #[error("{} is a symbolic link; give the file it points to", .path.display())]
    SymbolicLink { path: PathBuf },

    /// Reading, writing, syncing or renaming failed.
    #[error("cannot write {}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
}

impl WriteError {
    /// An I/O failure while writing `path`.
    #[must_use]
    pub fn io(path: &Path, source: io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// How many temporary names beside the target are tried before giving up.
const TEMP_ATTEMPTS: u32 = 64;

/// Write `path` through `write`, atomically: the bytes go to a new temporary file in the same
/// directory, which is flushed, synced and then renamed over `path`. On any failure, the
/// callback's included, the temporary file is removed and `path` is left as it was.
///
/// An existing `path` must be a regular file (its permissions carry over to the new one); a
/// symbolic link, directory, device, FIFO or socket there is refused with
/// [`WriteError::SymbolicLink`] or [`WriteError::NotAFile`]. The temporary file is created
/// with `create_new`, so a file or link planted at its name is never followed or reused.
///
/// # Errors
/// The callback's error, or a [`WriteError`] converted into `E`.
pub fn write_file_atomic<T, E>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<WriteError>,
{
    let existing = check_target(path)?;
    let (tmp, file) = create_temp(path)?;
    let result = fill(path, &file, existing.as_ref(), write).and_then(|value| {
        // Narrow the window in which something else can take the target's place.
        check_target(path)?;
        fs::rename(&tmp, path).map_err(|e| WriteError::io(path, e))?;
        Ok(value)
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    // Make the rename itself durable; some file systems cannot sync a directory, and the
    // data is already safe, so a failure here is not worth reporting.
    if let Ok(dir) = File::open(parent_of(path)) {
        let _ = dir.sync_all();
    }
    result
}

/// Run the callback on a buffered writer over `file`, then flush and sync it.
fn fill<T, E: From<WriteError>>(
    path: &Path,
    file: &File,
    existing: Option<&fs::Permissions>,
    write: impl FnOnce(&mut dyn Write) -> Result<T, E>,
) -> Result<T, E> {
    let mut out = BufWriter::new(file);
    let value = write(&mut out)?;
    out.flush().map_err(|e| WriteError::io(path, e))?;
    drop(out);
    if let Some(permissions) = existing {
        file.set_permissions(permissions.clone())
            .map_err(|e| WriteError::io(path, e))?;
    }
    file.sync_all().map_err(|e| WriteError::io(path, e))?;
    Ok(value)
}

/// Refuse a target that is not a regular file; return the permissions of one that is.
fn check_target(path: &Path) -> Result<Option<fs::Permissions>, WriteError> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(WriteError::io(path, e)),
        Ok(meta) if meta.file_type().is_symlink() => Err(WriteError::SymbolicLink {
            path: path.to_path_buf(),
        }),
        Ok(meta) if meta.is_file() => Ok(Some(meta.permissions())),
        Ok(meta) => Err(WriteError::NotAFile {
            path: path.to_path_buf(),
            what: file_kind(&meta.file_type()).unwrap_or("a special file"),
        }),
    }
}

/// What a file that is not a regular file is, for a message ("a FIFO (named pipe)", …);
/// `None` for a regular file.
#[must_use]
pub fn file_kind(kind: &fs::FileType) -> Option<&'static str> {
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    if kind.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return Some("a character device");
        }
        if kind.is_block_device() {
            return Some("a block device");
        }
        if kind.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

/// The directory `path` lives in (`.` for a bare file name).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Create a fresh temporary file beside `path`: `.NAME.PID.N.partial`, with the first `N`
/// whose name is free.
fn create_temp(path: &Path) -> Result<(PathBuf, File), WriteError> {
    let Some(name) = path.file_name() else {
        return Err(WriteError::io(
            path,
            io::Error::new(ErrorKind::InvalidInput, "the path does not name a file"),
        ));
    };
    let name = name.to_string_lossy();
    let dir = parent_of(path);
    let pid = std::process::id();
    for n in 0..TEMP_ATTEMPTS {
        let tmp = dir.join(format!(".{name}.{pid}.{n}.partial"));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(WriteError::io(path, e)),
        }
    }
    Err(WriteError::io(
        path,
        io::Error::new(
            ErrorKind::AlreadyExists,
            format!("{TEMP_ATTEMPTS} temporary names beside it are all taken"),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_text(path: &Path, text: &str) -> Result<(), WriteError> {
        write_file_atomic(path, |out| {
            out.write_all(text.as_bytes())
                .map_err(|e| WriteError::io(path, e))
        })
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_file_and_a_replaced_file_hold_exactly_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_text(&path, "first").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "first");
        write_text(&path, "second").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second");
        assert_eq!(names(dir.path()), ["out.txt"]);
    }

    #[test]
    fn a_failing_writer_leaves_the_old_file_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        fs::write(&path, "old").unwrap();
        let result: Result<(), WriteError> = write_file_atomic(&path, |out| {
            out.write_all(b"half").unwrap();
            Err(WriteError::io(&path, io::Error::other("disk on fire")))
        });
        assert!(result.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(names(dir.path()), ["out.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_planted_at_the_temporary_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        let path = dir.path().join("out.txt");
        let planted = dir
            .path()
            .join(format!(".out.txt.{}.0.partial", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        write_text(&path, "export").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(fs::read_to_string(&path).unwrap(), "export");
        assert!(fs::symlink_metadata(&planted).unwrap().is_symlink());
    }

    #[cfg(unix)]
    #[test]
    fn the_permissions_of_a_replaced_file_carry_over() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        write_text(&path, "new").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_directory_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_text(dir.path(), "x").unwrap_err();
        assert!(
            err.to_string()
                .ends_with("is a directory, not a regular file; refusing to replace it"),
            "{err}"
        );
    }
}
