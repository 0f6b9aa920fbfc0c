//! Loading script files: bytes → text → YAML → model → validation, with every problem as a
//! positioned [`Diagnostic`].

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::cr::{self, CrCase, CrProtocol, RedTeam};
use super::decode::Decoder;
use super::diag::Diagnostic;
use super::model::{Span, WorldTree};
use super::study::Study;
use super::validate::{Summary, validate};
use super::yaml::{self, YValue};
pub use crate::fsx::Walk;

/// The kinds of script socius knows (a file's `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptKind {
    WorldTree,
    /// A CRDial protocol: stages, loop, catalogues, safety lexicon, measures, rubric.
    CrProtocol,
    /// A CRDial case: presenting situation and the client's hidden profile.
    CrCase,
    /// Messages with the safety verdict a lexicon should give.
    CrRedTeam,
    /// A study plan (`type: baseline`): trees, modes, annotators, k, seed.
    Study,
}

impl ScriptKind {
    pub const ALL: [Self; 5] = [
        Self::WorldTree,
        Self::CrProtocol,
        Self::CrCase,
        Self::CrRedTeam,
        Self::Study,
    ];

    /// The name a file gives in `kind:`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::WorldTree => "world_tree",
            Self::CrProtocol => "cr_protocol",
            Self::CrCase => "cr_case",
            Self::CrRedTeam => "cr_redteam",
            Self::Study => "study",
        }
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// The kind names socius knows, for messages.
pub const KINDS: &[&str] = &[
    "world_tree",
    "cr_protocol",
    "cr_case",
    "cr_redteam",
    "study",
];

/// A decoded script of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Script {
    WorldTree(WorldTree),
    CrProtocol(Box<CrProtocol>),
    CrCase(Box<CrCase>),
    CrRedTeam(RedTeam),
    Study(Box<Study>),
}

impl Script {
    #[must_use]
    pub const fn kind(&self) -> ScriptKind {
        match self {
            Self::WorldTree(_) => ScriptKind::WorldTree,
            Self::CrProtocol(_) => ScriptKind::CrProtocol,
            Self::CrCase(_) => ScriptKind::CrCase,
            Self::CrRedTeam(_) => ScriptKind::CrRedTeam,
            Self::Study(_) => ScriptKind::Study,
        }
    }

    #[must_use]
    pub fn id(&self) -> &str {
        match self {
            Self::WorldTree(t) => &t.id,
            Self::CrProtocol(p) => &p.id,
            Self::CrCase(c) => &c.id,
            Self::CrRedTeam(r) => &r.id,
            Self::Study(s) => &s.id,
        }
    }
}

/// One loaded file.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    /// The decoded script; present whenever decoding got that far, even with errors.
    pub script: Option<Script>,
    /// Sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// The shape numbers of a world tree (other kinds have none).
    pub summary: Option<Summary>,
    /// sha256 of the file's bytes, lower-case hex (ties sessions to a script version).
    pub hash: String,
}

impl Loaded {
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The world tree, when the file holds one without errors.
    #[must_use]
    pub fn world_tree(&self) -> Option<&WorldTree> {
        match (&self.script, self.has_errors()) {
            (Some(Script::WorldTree(t)), false) => Some(t),
            _ => None,
        }
    }

    /// The CR protocol, when the file holds one without errors.
    #[must_use]
    pub fn cr_protocol(&self) -> Option<&CrProtocol> {
        match (&self.script, self.has_errors()) {
            (Some(Script::CrProtocol(p)), false) => Some(p),
            _ => None,
        }
    }

    /// The CR case, when the file holds one without errors (its distortions are checked
    /// against a protocol by [`crate::script::cr::validate::case_against`]).
    #[must_use]
    pub fn cr_case(&self) -> Option<&CrCase> {
        match (&self.script, self.has_errors()) {
            (Some(Script::CrCase(c)), false) => Some(c),
            _ => None,
        }
    }

    /// The study plan, when the file holds one without errors (its trees are found on disk
    /// by [`crate::script::study::resolve`]).
    #[must_use]
    pub fn study(&self) -> Option<&Study> {
        match (&self.script, self.has_errors()) {
            (Some(Script::Study(s)), false) => Some(s),
            _ => None,
        }
    }

    /// The red-team file, when it loads without errors.
    #[must_use]
    pub fn cr_redteam(&self) -> Option<&RedTeam> {
        match (&self.script, self.has_errors()) {
            (Some(Script::CrRedTeam(r)), false) => Some(r),
            _ => None,
        }
    }
}

/// sha256 of some bytes as lower-case hex.
#[must_use]
pub fn content_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Load and validate a script file (a regular file of at most
/// [`MAX_SCRIPT_BYTES`](crate::fsx::MAX_SCRIPT_BYTES); a FIFO or device is refused, not read).
#[must_use]
pub fn load_file(path: &Path) -> Loaded {
    match crate::fsx::read_regular(path, crate::fsx::MAX_SCRIPT_BYTES) {
        Ok(bytes) => load_bytes(path, &bytes),
        Err(e) => Loaded {
            path: path.to_path_buf(),
            script: None,
            diagnostics: vec![Diagnostic::error(
                Span::new(1, 1),
                format!("cannot read: {e}"),
            )],
            summary: None,
            hash: String::new(),
        },
    }
}

/// Load and validate many files, on every core, in the order given.
#[must_use]
pub fn load_files(paths: &[PathBuf]) -> Vec<Loaded> {
    crate::par::map(paths, &|p| load_file(p))
}

/// Load and validate script bytes (the path is only recorded).
#[must_use]
pub fn load_bytes(path: &Path, bytes: &[u8]) -> Loaded {
    let hash = content_hash(bytes);
    let (script, diagnostics, summary) = match std::str::from_utf8(bytes) {
        Ok(text) => load_str(text),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            let col = good.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            let span = Span::new(
                u32::try_from(line).unwrap_or(u32::MAX),
                u32::try_from(col).unwrap_or(u32::MAX),
            );
            (
                None,
                vec![Diagnostic::error(
                    span,
                    format!(
                        "not UTF-8 text (invalid byte at offset {}); scripts are UTF-8 YAML",
                        e.valid_up_to()
                    ),
                )],
                None,
            )
        }
    };
    Loaded {
        path: path.to_path_buf(),
        script,
        diagnostics,
        summary,
        hash,
    }
}

/// Decode and validate script text.
#[must_use]
pub fn load_str(text: &str) -> (Option<Script>, Vec<Diagnostic>, Option<Summary>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return (
            None,
            vec![Diagnostic::error(Span::new(1, 1), "empty file")],
            None,
        );
    }
    if let Some(d) = forbidden_control(text) {
        return (None, vec![d], None);
    }
    let doc = yaml::read(text);
    let mut diags: Vec<Diagnostic> = doc
        .problems
        .iter()
        .map(|p| Diagnostic::error(p.span, p.message.clone()))
        .collect();
    let Some(root) = doc.root else {
        if diags.is_empty() {
            diags.push(Diagnostic::error(Span::new(1, 1), "no YAML document"));
        }
        return (None, diags, None);
    };
    let kind = match &root.value {
        YValue::Map(entries) => entries
            .iter()
            .find(|(k, _)| matches!(&k.value, YValue::Str(s) if s == "kind"))
            .map(|(_, v)| v),
        other => {
            diags.push(Diagnostic::error(
                root.span,
                format!(
                    "a script is a mapping with a `kind` ({}), found {}",
                    KINDS.join(", "),
                    other.type_name()
                ),
            ));
            return (None, diags, None);
        }
    };
    let known = kind.and_then(|k| match &k.value {
        YValue::Str(s) => ScriptKind::from_name(s),
        _ => None,
    });
    let script = match (known, kind.map(|k| &k.value)) {
        (Some(known), _) => {
            let mut dec = Decoder::default();
            let script = match known {
                ScriptKind::WorldTree => dec.world_tree(&root).map(Script::WorldTree),
                ScriptKind::CrProtocol => dec
                    .cr_protocol(&root)
                    .map(|p| Script::CrProtocol(Box::new(p))),
                ScriptKind::CrCase => dec.cr_case(&root).map(|c| Script::CrCase(Box::new(c))),
                ScriptKind::CrRedTeam => dec.cr_redteam(&root).map(Script::CrRedTeam),
                ScriptKind::Study => dec.study(&root).map(|s| Script::Study(Box::new(s))),
            };
            diags.append(&mut dec.diags);
            script
        }
        (None, Some(other)) => {
            let span = kind.map_or(root.span, |k| k.span);
            let shown = match other {
                YValue::Str(s) => format!("`{s}`"),
                v => v.type_name().to_owned(),
            };
            diags.push(Diagnostic::error(
                span,
                format!(
                    "unknown script kind {shown}; known kinds: {}",
                    KINDS.join(", ")
                ),
            ));
            None
        }
        (None, None) => {
            diags.push(Diagnostic::error(
                root.span,
                format!("a script needs `kind` (one of {})", KINDS.join(", ")),
            ));
            None
        }
    };
    let summary = match &script {
        Some(Script::WorldTree(tree)) => {
            let (mut more, summary) = validate(tree);
            diags.append(&mut more);
            Some(summary)
        }
        Some(Script::CrProtocol(p)) => {
            diags.append(&mut cr::validate::validate_protocol(p));
            None
        }
        Some(Script::CrCase(c)) => {
            diags.append(&mut cr::validate::validate_case(c));
            None
        }
        Some(Script::CrRedTeam(r)) => {
            diags.append(&mut cr::validate::validate_redteam(r));
            None
        }
        Some(Script::Study(s)) => {
            diags.append(&mut super::study::validate::validate(s));
            None
        }
        None => None,
    };
    diags.sort_by_key(|d| (d.line, d.col, d.severity));
    (script, diags, summary)
}

/// The first character YAML text may not hold raw (control characters other than tab, line
/// feed and carriage return, DEL, and C1 controls other than NEL), as an error at its place.
/// The YAML reader would otherwise take a NUL for the end of the file and report the wrong
/// cause somewhere else. In quoted strings such characters can still be written as escapes
/// (`"\x1b"`).
fn forbidden_control(text: &str) -> Option<Diagnostic> {
    let (mut line, mut col) = (1u32, 1u32);
    for c in text.chars() {
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{85}') {
            let name = match c {
                '\0' => " (NUL)".to_owned(),
                '\u{1b}' => " (ESC)".to_owned(),
                '\u{7f}' => " (DEL)".to_owned(),
                _ => String::new(),
            };
            return Some(Diagnostic::error(
                Span::new(line, col),
                format!(
                    "control character U+{:04X}{name} in the text; YAML files may not hold \
                     control characters (write it as an escape in a double-quoted string)",
                    u32::from(c)
                ),
            ));
        }
        if c == '\n' {
            line = line.saturating_add(1);
            col = 1;
        } else {
            col = col.saturating_add(1);
        }
    }
    None
}

/// Whether a file name looks like a script (`.yaml` / `.yml`).
#[must_use]
pub fn is_script_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// Expand files and folders (recursively, sorted) into script files. Files named on the
/// command line are kept as given (loading reports what is wrong with them); inside folders,
/// special files, unreadable folders and folders reached twice are skipped with a reason.
///
/// # Errors
/// A path that does not exist, or a folder holding no script.
pub fn collect_paths(paths: &[PathBuf]) -> Result<Walk, String> {
    let mut out = Walk::default();
    for p in paths {
        if p.is_dir() {
            let mut found = crate::fsx::walk_folder(p, &is_script_file)
                .map_err(|e| format!("{}: cannot read folder: {e}", p.display()))?;
            if found.files.is_empty() && found.skipped.is_empty() {
                return Err(format!(
                    "{}: no scripts (*.yaml, *.yml) in this folder",
                    p.display()
                ));
            }
            out.files.append(&mut found.files);
            out.skipped.append(&mut found.skipped);
        } else if p.exists() || p.symlink_metadata().is_ok() {
            out.files.push(p.clone());
        } else {
            return Err(format!("{}: no such file or folder", p.display()));
        }
    }
    Ok(out)
}
