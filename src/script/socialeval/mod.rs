//! The SocialEval importer: per-tree JSON (or the merged `[{data_id, cn_data, en_data}]` list)
//! → world-tree YAML.
//!
//! The release is irregular, so the JSON is read as [`serde_json::Value`] and converted by hand.
//! The mapping:
//!
//! - node `cid` → node id `n{cid}`; `type` beginning/choice/ending as is;
//! - dialog `{role, content}` → a speech line, except the narration roles `description` and
//!   `content` → a narration line labelled with the role; `{profile: {...}}` → an `introduce`
//!   line plus a character card (no role) unless a card of that name exists;
//! - `predefined_profiles[0]` → the protagonist, the others → supporting characters;
//! - choice `cid` → `target`; `skill choice`/`situation choice` → `kind`; `skill` → BESSI
//!   `abilities` (the source tags kept in `abilities_original` when any changed; unknown names
//!   kept as written); `social state` → `social_state`; `content` → `say`; `skill question`,
//!   `skill confusion`, `ending confusion` → the IAE item and `ending_confusions`;
//! - an IAE item is kept whenever the source has a skill question **or** distractors, so no
//!   source text is lost: distractors without a usable question give an item with an empty
//!   `question` (flagged `iae_without_question`), from which evaluators build no IAE item. Its
//!   `abilities` are the question's own `skill` tags (or the name in an embedded `#skill#`
//!   marker when that list is empty);
//! - ending `goal achievement` → `outcome` ([`Outcome::from_goal_achievement`]), `state` kept.
//!
//! Everything the importer changes is a [`Repair`]; everything odd it keeps is a [`Flag`] (see
//! [`RepairKind`] and [`FlagKind`] for the full lists). The flag kinds of a tree also go to its
//! `provenance.flags`, the number of repairs to `provenance.repairs`. Nothing that changes what a
//! walk or an IAE item shows is repaired silently, and nothing is invented: an ending without a
//! label stays `unlabelled`, a dead end stays a dead end, a state triple in place of an utterance
//! stays as its text (the tree is flagged `not_playable_as_text`).
//!
//! [`Outcome::from_goal_achievement`]: crate::script::model::Outcome::from_goal_achievement

mod batch;
mod choice;
mod convert;
mod naming;
mod nodes;
mod notes;
mod question;
mod text;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::script::model::{Language, WorldTree};

pub use batch::import_paths;
pub use notes::{Flag, FlagKind, Repair, RepairKind};

/// Importer name and version written to `provenance.importer`.
pub const IMPORTER: &str = "socius-import-socialeval/1";

/// Why a file (or one tree of a merged file) could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read: {0}")]
    Read(crate::fsx::ReadError),
    #[error("empty file")]
    Empty,
    #[error("not UTF-8 text (invalid byte at offset {offset}); expected SocialEval JSON")]
    NotText { offset: usize },
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// The JSON is valid but not shaped like a SocialEval tree.
    #[error("{0}")]
    Shape(String),
    /// The YAML file could not be written (or something that is not a file is in its way).
    #[error(transparent)]
    Write(#[from] crate::fsx::WriteError),
    #[error("cannot write the tree as YAML: {0}")]
    Yaml(String),
}

/// A converted tree with what the importer did to it.
#[derive(Debug, Clone)]
pub struct Converted {
    pub tree: WorldTree,
    pub repairs: Vec<Repair>,
    pub flags: Vec<Flag>,
}

/// What `import_paths` did; serialises as the `--json` report of `socius import socialeval`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Report format version (1).
    pub schema: u32,
    /// JSON source files read (including the ones that failed).
    pub files: usize,
    /// Trees converted.
    pub trees: usize,
    /// The YAML files written.
    pub written: Vec<String>,
    pub failed: Vec<FailedFile>,
    pub repairs: Vec<RepairRecord>,
    pub flags: Vec<FlagRecord>,
}

/// A source that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedFile {
    pub file: String,
    pub error: String,
}

/// A [`Repair`] with its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepairRecord {
    pub file: String,
    pub node: String,
    pub kind: RepairKind,
    pub detail: String,
}

/// A [`Flag`] with its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagRecord {
    pub file: String,
    pub kind: FlagKind,
    pub detail: String,
}

impl ImportReport {
    /// Whether the import succeeded: at least one tree written and no failure.
    #[must_use]
    pub fn ok(&self) -> bool {
        !self.written.is_empty() && self.failed.is_empty()
    }
}

/// What a source name says about its tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceMeta {
    /// For `provenance.source`: the file name, plus `#<data_id>/<lang>` for merged entries.
    pub source: String,
    /// The file name without `.json` (used in the title).
    pub stem: String,
    /// Tree id, e.g. `socialeval-1_1-en-0`.
    pub id: String,
    /// Output file name without `.yaml`, e.g. `1_1_en_example_0`.
    pub file_stem: String,
    pub language: Option<Language>,
    /// The `[a,b]_` prefix of the file name.
    pub orientation: Option<[i8; 2]>,
}

/// Convert one SocialEval tree without touching the filesystem.
///
/// `source_name` is the file name (`[1,1]_en_example_0.json`); for an entry of a merged list it
/// is `file.json#<data_id>/<cn|en>`. It supplies the tree id, the language (`_cn_` / `_en_`;
/// otherwise the text decides: CJK share above 30 % means Chinese) and the fallback orientation
/// (the `[a,b]_` prefix; the protagonist's `orientation` wins).
///
/// # Errors
/// When the value is not a SocialEval tree: no protagonist, no nodes, a node or choice without
/// an integer `cid`, an unknown node type, two nodes with one cid, a choice leading nowhere, or an
/// orientation that is missing or not one of the seven.
pub fn convert_tree(
    value: &serde_json::Value,
    source_name: &str,
) -> Result<Converted, ImportError> {
    convert::convert(value, &naming::meta_for(source_name))
}

/// The output file name (`<stem>.yaml`) and tree id a source name maps to.
#[must_use]
pub fn output_name(source_name: &str) -> (String, String) {
    let meta = naming::meta_for(source_name);
    (format!("{}.yaml", meta.file_stem), meta.id)
}

/// Expand sources into JSON files: files as given, folders' `*.json` files (not recursive,
/// sorted). Problems (a missing path, a folder without JSON) are returned as failures.
#[must_use]
pub fn collect_sources(sources: &[PathBuf]) -> (Vec<PathBuf>, Vec<FailedFile>) {
    batch::collect(sources)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
