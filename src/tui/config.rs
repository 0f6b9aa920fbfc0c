//! The user's settings file: the annotator id (asked once, then remembered), the theme, and
//! the endpoint and model of the last model run started from the TUI.
//!
//! Location: `$SOCIUS_CONFIG_DIR/config.yaml`, else `$XDG_CONFIG_HOME/socius/config.yaml`, else
//! `~/.config/socius/config.yaml`. User themes live in `themes/` beside it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What is remembered between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
    /// The endpoint of the last model run started from the TUI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The model of the last model run started from the TUI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// The settings folder.
#[must_use]
pub fn config_dir() -> Option<PathBuf> {
    let non_empty = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    non_empty("SOCIUS_CONFIG_DIR")
        .or_else(|| non_empty("XDG_CONFIG_HOME").map(|d| d.join("socius")))
        .or_else(|| non_empty("HOME").map(|h| h.join(".config").join("socius")))
}

/// The data folder (the default session store, the bundled scripts' copies):
/// `$SOCIUS_DATA_DIR`, else `$XDG_DATA_HOME/socius`, else `~/.local/share/socius`.
#[must_use]
pub fn data_dir() -> Option<PathBuf> {
    let non_empty = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    non_empty("SOCIUS_DATA_DIR")
        .or_else(|| non_empty("XDG_DATA_HOME").map(|d| d.join("socius")))
        .or_else(|| non_empty("HOME").map(|h| h.join(".local").join("share").join("socius")))
}

/// The cache folder (library summaries): `$SOCIUS_CACHE_DIR`, else `$XDG_CACHE_HOME/socius`,
/// else `~/.cache/socius`.
#[must_use]
pub fn cache_dir() -> Option<PathBuf> {
    let non_empty = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    non_empty("SOCIUS_CACHE_DIR")
        .or_else(|| non_empty("XDG_CACHE_HOME").map(|d| d.join("socius")))
        .or_else(|| non_empty("HOME").map(|h| h.join(".cache").join("socius")))
}

/// Why the settings could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: {source}", .path.display())]
    Read {
        path: std::path::PathBuf,
        source: crate::fsx::ReadError,
    },
    #[error("{}: {message}", .path.display())]
    Parse {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("{}: {source}", .path.display())]
    Folder {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] crate::fsx::WriteError),
    #[error("cannot encode the settings: {0}")]
    Encode(String),
}

impl Config {
    /// Read the settings; a missing file is an empty config.
    ///
    /// # Errors
    /// A file that exists but cannot be read or parsed (named in the message).
    pub fn load(dir: &Path) -> Result<Self, ConfigError> {
        let path = dir.join("config.yaml");
        match crate::fsx::read_text(&path, crate::fsx::MAX_SMALL_BYTES) {
            Ok(text) if text.trim().is_empty() => Ok(Self::default()),
            Ok(text) => crate::script::yaml::from_str(&text).map_err(|e| ConfigError::Parse {
                path,
                message: e.to_string(),
            }),
            Err(crate::fsx::ReadError::NotFound) => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }

    /// Write the settings whole or not at all (through the one atomic writer, which never
    /// replaces a link or a special file).
    ///
    /// # Errors
    /// The folder or file cannot be written.
    pub fn save(&self, dir: &Path) -> Result<(), ConfigError> {
        std::fs::create_dir_all(dir).map_err(|source| ConfigError::Folder {
            path: dir.to_path_buf(),
            source,
        })?;
        let text =
            crate::script::yaml::to_string(self).map_err(|e| ConfigError::Encode(e.to_string()))?;
        let path = dir.join("config.yaml");
        crate::fsx::write_file_atomic(&path, |w| {
            w.write_all(text.as_bytes())
                .map_err(|source| ConfigError::Folder {
                    path: path.clone(),
                    source,
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_missing_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(Config::load(dir.path()).unwrap(), Config::default());
        let c = Config {
            annotator: Some("ann-07".into()),
            theme: None,
            endpoint: Some("http://127.0.0.1:8080/v1".into()),
            model: None,
        };
        c.save(dir.path()).expect("save");
        assert_eq!(Config::load(dir.path()).unwrap(), c);
        std::fs::write(dir.path().join("config.yaml"), "colour: red\n").expect("write");
        let err = Config::load(dir.path())
            .expect_err("unknown key")
            .to_string();
        assert!(err.contains("config.yaml"), "{err}");
    }
}
