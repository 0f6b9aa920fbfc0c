//! The example scripts that ship with socius, compiled into the binary, so the library always
//! has them, whatever folder socius is started from.

use std::path::{Path, PathBuf};

/// The bundled scripts: file name and text (the files under `scripts/` in the source tree).
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "en-salary-talk.yaml",
        include_str!("../../scripts/en-salary-talk.yaml"),
    ),
    (
        "en-shared-kitchen.yaml",
        include_str!("../../scripts/en-shared-kitchen.yaml"),
    ),
    (
        "zh-group-project.yaml",
        include_str!("../../scripts/zh-group-project.yaml"),
    ),
    (
        "zh-rival-bakery.yaml",
        include_str!("../../scripts/zh-rival-bakery.yaml"),
    ),
];

/// Whether `dir` already holds every bundled script, byte for byte (the project's own
/// `scripts/` folder): then the copies are not needed.
#[must_use]
pub fn all_in(dir: &Path) -> bool {
    BUNDLED.iter().all(|(name, text)| {
        crate::fsx::read_regular(&dir.join(name), crate::fsx::MAX_SCRIPT_BYTES)
            .is_ok_and(|bytes| bytes == text.as_bytes())
    })
}

/// Write the bundled scripts into `dir` (those missing or different), so the library can read
/// them like any other file; the folder.
///
/// # Errors
/// A file could not be written.
pub fn write_into(dir: &Path) -> Result<PathBuf, crate::fsx::WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| crate::fsx::WriteError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    if all_in(dir) {
        return Ok(dir.to_path_buf());
    }
    for (name, text) in BUNDLED {
        crate::fsx::write_file_atomic(&dir.join(name), |w| {
            w.write_all(text.as_bytes())
                .map_err(|source| crate::fsx::WriteError::Io {
                    path: dir.join(name),
                    source,
                })
        })?;
    }
    Ok(dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_scripts_are_valid_and_written_once() {
        for (name, text) in BUNDLED {
            let (script, diags, _) = crate::script::load::load_str(text);
            assert!(script.is_some(), "{name}");
            assert!(diags.iter().all(|d| !d.is_error()), "{name}: {diags:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        let out = write_into(dir.path()).unwrap();
        assert!(all_in(&out));
        assert!(all_in(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts"
        ))));
    }
}
