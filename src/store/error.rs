//! The store's errors. Each one reads as a complete sentence for the user.

use std::path::PathBuf;

use crate::session::{SessionId, Status};

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the store's lock and does not share it (an older socius, or one
    /// that cannot serve the store's socket), or did not answer in time.
    #[error(
        "the store at {} is in use by another socius process that does not share it (close it \
         first, or pass --store to use another store)",
        .path.display()
    )]
    Locked { path: PathBuf },

    /// The store is open in another socius process, and talking to it failed.
    #[error("cannot use the store at {} through the socius process that has it open: {detail}", .path.display())]
    Share { path: PathBuf, detail: String },

    /// The socius process that has the store open reported an error while doing what was
    /// asked; `detail` is its sentence.
    #[error("{detail} (reported by the socius process that has the store at {} open)", .path.display())]
    Owner { path: PathBuf, detail: String },

    /// The directory is not a store and will not be turned into one.
    #[error("{} is not a socius store: {reason}", .path.display())]
    NotAStore { path: PathBuf, reason: String },

    /// The store cannot be written: sled needs to, even to read it.
    #[error(
        "the store at {} cannot be written ({source}); `socius sessions list`, `show` and \
         `export` can still read it",
        .path.display()
    )]
    ReadOnly {
        path: PathBuf,
        source: std::io::Error,
    },

    /// A store that socius did not close itself could not be copied to be checked.
    #[error(
        "cannot copy the store at {} into {} to check it before opening it ({source}); set \
         TMPDIR to a directory with room",
        .path.display(),
        .temp.display()
    )]
    Copy {
        path: PathBuf,
        temp: PathBuf,
        source: std::io::Error,
    },

    /// The files are a store, but sled cannot read them.
    #[error("the store at {} is damaged or not a socius store: {detail}", .path.display())]
    Damaged { path: PathBuf, detail: String },

    /// A store written by a newer socius.
    #[error(
        "the store at {} has format {found}, but this socius reads formats up to {supported}; \
         upgrade socius to open it",
        .path.display()
    )]
    NewerFormat {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    /// A record in the store does not decode.
    #[error("the store at {} holds a damaged record ({what}): {detail}", .path.display())]
    Corrupt {
        path: PathBuf,
        what: String,
        detail: String,
    },

    /// No session with this id.
    #[error("no session {0} in this store")]
    NoSuchSession(SessionId),

    /// A new session's id is already taken by another session.
    #[error("a different session with id {0} is already stored")]
    IdTaken(SessionId),

    /// No session id is, or starts with, this text.
    #[error("no session matches `{0}`")]
    UnknownId(String),

    /// Several session ids start with this text.
    #[error("`{0}` matches several sessions; give more characters of the id")]
    AmbiguousId(String),

    /// The session has ended.
    #[error("session {0} is {1}, not in progress; it cannot be resumed")]
    NotResumable(SessionId, Status),

    /// A line of an import file is not a session record.
    #[error("{source_name}:{line}: not a session record: {detail}")]
    Import {
        source_name: String,
        line: usize,
        detail: String,
    },

    /// Writing an export failed.
    #[error("cannot write the export: {0}")]
    Write(#[source] std::io::Error),

    /// A value to be stored looks like it holds a credential.
    #[error(
        "refusing to store `{0}`: it looks like a credential (API keys never go into the store)"
    )]
    Secret(String),

    /// A value could not be encoded (should not happen with the types in `session`).
    #[error("cannot encode {what}: {source}")]
    Encode {
        what: String,
        source: serde_json::Error,
    },

    /// A file-system error outside sled.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    /// Any other error reported by sled.
    #[error("the store at {} reported an error: {source}", .path.display())]
    Sled { path: PathBuf, source: sled::Error },
}

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
