//! The trees a study names, found on disk: paths are relative to the study file's folder;
//! folders give every world tree in them (other kinds of script, such as the study itself,
//! are passed over); filters keep the trees of some orientations and languages.

use std::path::{Path, PathBuf};

use super::model::{Judged, Study, StudyBody, TreeSource};
use crate::script::diag::Diagnostic;
use crate::script::load::{Loaded, Script, ScriptKind, is_script_file, load_files};
use crate::script::model::{Language, Orientation, Span};

/// One tree of a study, as found on disk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResolvedTree {
    pub id: String,
    pub path: PathBuf,
    /// sha256 of the file (as sessions record it).
    pub hash: String,
    pub language: Language,
    pub orientation: Orientation,
}

/// The trees and training trees of a study, in the order the file names them (baseline), or
/// the items of a pairwise or pointwise study.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    pub trees: Vec<ResolvedTree>,
    pub training: Vec<ResolvedTree>,
    pub items: Vec<ResolvedItem>,
}

/// One item of a pairwise or pointwise study: a world tree or a CR case, as found on disk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResolvedItem {
    pub id: String,
    pub path: PathBuf,
    /// sha256 of the file.
    pub hash: String,
    /// `world_tree` or `cr_case`.
    pub kind: String,
    pub language: Language,
    /// The tree's or case's title.
    pub title: String,
}

/// Find the trees of `study`, whose file is in `base`. Every problem is a diagnostic at the
/// place in the study file that caused it.
#[must_use]
pub fn resolve(study: &Study, base: &Path) -> (Resolved, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let b = match &study.body {
        StudyBody::Baseline(b) => b,
        StudyBody::Pairwise(p) => return resolve_items(&p.judged, base),
        StudyBody::Pointwise(p) => return resolve_items(&p.judged, base),
    };
    let trees = sources(&b.trees, base, &mut diags);
    let mut training = sources(&b.training, base, &mut diags);
    if trees.is_empty() && !b.trees.is_empty() && !diags.iter().any(Diagnostic::is_error) {
        diags.push(Diagnostic::error(
            b.trees_span,
            "`trees` names no world tree (the folders and filters matched none)",
        ));
    }
    let mut kept = Vec::with_capacity(training.len());
    for (t, span) in training.drain(..) {
        if trees.iter().any(|(s, _)| s.id == t.id) {
            diags.push(Diagnostic::error(
                span,
                format!(
                    "training tree `{}` is also one of the study's trees; training trees are played for practice only",
                    t.id
                ),
            ));
        } else {
            kept.push(t);
        }
    }
    (
        Resolved {
            trees: trees.into_iter().map(|(t, _)| t).collect(),
            training: kept,
            items: Vec::new(),
        },
        diags,
    )
}

fn sources(
    list: &[TreeSource],
    base: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(ResolvedTree, Span)> {
    let mut found = Vec::new();
    for source in list {
        found.extend(source_scripts(source, base, diags, Accept::WorldTrees));
    }
    distinct(found, "tree", diags)
        .into_iter()
        .filter_map(|(item, orientation, span)| {
            Some((
                ResolvedTree {
                    id: item.id,
                    path: item.path,
                    hash: item.hash,
                    language: item.language,
                    orientation: orientation?,
                },
                span,
            ))
        })
        .collect()
}

/// Each id once: the same file named twice is kept once; one id from two files is an error.
fn distinct(
    found: Vec<(ResolvedItem, Option<Orientation>, Span)>,
    noun: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(ResolvedItem, Option<Orientation>, Span)> {
    let mut out: Vec<(ResolvedItem, Option<Orientation>, Span)> = Vec::new();
    for (item, orientation, span) in found {
        if let Some((prev, _, _)) = out.iter().find(|(t, _, _)| t.id == item.id) {
            if !same_file(&prev.path, &item.path) {
                diags.push(Diagnostic::error(
                    span,
                    format!(
                        "{noun} id `{}` comes from two files: {} and {}",
                        item.id,
                        prev.path.display(),
                        item.path.display()
                    ),
                ));
            }
            continue;
        }
        out.push((item, orientation, span));
    }
    out
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The items of a pairwise or pointwise study: world trees or CR cases (one kind per study),
/// each id once.
fn resolve_items(j: &Judged, base: &Path) -> (Resolved, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut found = Vec::new();
    for source in &j.items {
        found.extend(source_scripts(source, base, &mut diags, Accept::Items));
    }
    let mut items: Vec<ResolvedItem> = Vec::new();
    for (item, _, span) in distinct(found, "item", &mut diags) {
        if let Some(first) = items.first()
            && first.kind != item.kind
        {
            diags.push(Diagnostic::error(
                span,
                format!(
                    "{} is a {}, but the study's first item `{}` is a {}: a study compares items of one kind",
                    item.path.display(),
                    item.kind,
                    first.id,
                    first.kind
                ),
            ));
            continue;
        }
        items.push(item);
    }
    if items.is_empty() && !j.items.is_empty() && !diags.iter().any(Diagnostic::is_error) {
        diags.push(Diagnostic::error(
            j.items_span,
            "`items` names no world tree or CR case (the folders and filters matched none)",
        ));
    }
    (
        Resolved {
            items,
            ..Resolved::default()
        },
        diags,
    )
}

fn item_of(loaded: &Loaded) -> Option<(ResolvedItem, Option<Orientation>)> {
    let (id, title, kind, language, orientation) = if let Some(t) = loaded.world_tree() {
        (
            &t.id,
            &t.title,
            "world_tree",
            t.language,
            Some(t.orientation),
        )
    } else {
        let c = loaded.cr_case()?;
        (&c.id, &c.title, "cr_case", c.language, None)
    };
    Some((
        ResolvedItem {
            id: id.clone(),
            path: loaded.path.clone(),
            hash: loaded.hash.clone(),
            kind: kind.to_owned(),
            language,
            title: title.clone(),
        },
        orientation,
    ))
}

/// What a source may name: a baseline's world trees, or a judged study's items.
#[derive(Clone, Copy)]
enum Accept {
    WorldTrees,
    Items,
}

impl Accept {
    fn takes(self, kind: ScriptKind) -> bool {
        match self {
            Self::WorldTrees => kind == ScriptKind::WorldTree,
            Self::Items => matches!(kind, ScriptKind::WorldTree | ScriptKind::CrCase),
        }
    }

    const fn what(self) -> &'static str {
        match self {
            Self::WorldTrees => "a world tree",
            Self::Items => "a world tree or a CR case",
        }
    }
}

/// The scripts one source names (a file, or a folder's files kept by the filters), each
/// with its orientation (world trees) and the source's span; problems are diagnostics there.
fn source_scripts(
    source: &TreeSource,
    base: &Path,
    diags: &mut Vec<Diagnostic>,
    accept: Accept,
) -> Vec<(ResolvedItem, Option<Orientation>, Span)> {
    let span = source.span();
    let (written, orientations, languages): (&str, &[Orientation], &[Language]) = match source {
        TreeSource::Path { path, .. } => (path, &[], &[]),
        TreeSource::Filter {
            folder,
            orientations,
            languages,
            ..
        } => (folder, orientations, languages),
    };
    let full = base.join(written);
    let is_filter = matches!(source, TreeSource::Filter { .. });
    if !full.exists() {
        diags.push(Diagnostic::error(
            span,
            format!(
                "no such {}: {written} (paths are relative to the study file's folder)",
                if is_filter {
                    "folder"
                } else {
                    "file or folder"
                }
            ),
        ));
        return Vec::new();
    }
    if full.is_dir() {
        let walk = match crate::fsx::walk_folder(&full, &is_script_file) {
            Ok(w) => w,
            Err(e) => {
                diags.push(Diagnostic::error(
                    span,
                    format!("cannot read folder {written}: {e}"),
                ));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for loaded in load_files(&walk.files) {
            // Other kinds of script in the folder (the study itself, a protocol) are passed
            // over; a file that does not load is an error.
            if loaded
                .script
                .as_ref()
                .is_some_and(|s| !accept.takes(s.kind()))
            {
                continue;
            }
            match item_of(&loaded) {
                Some((item, orientation)) => {
                    let orientation_ok = orientations.is_empty()
                        || orientation.is_some_and(|o| orientations.contains(&o));
                    if orientation_ok
                        && (languages.is_empty() || languages.contains(&item.language))
                    {
                        out.push((item, orientation, span));
                    }
                }
                None => diags.push(Diagnostic::error(
                    span,
                    format!(
                        "{} (in {written}) has errors; run `socius check` on it",
                        loaded.path.display()
                    ),
                )),
            }
        }
        return out;
    }
    if is_filter {
        diags.push(Diagnostic::error(
            span,
            format!("`folder` {written} is a file, not a folder"),
        ));
        return Vec::new();
    }
    let loaded = crate::script::load_file(&full);
    match (&loaded.script, item_of(&loaded)) {
        (Some(s), _) if !accept.takes(s.kind()) => {
            diags.push(Diagnostic::error(
                span,
                format!(
                    "{written} is a {} script, not {}",
                    s.kind().name(),
                    accept.what()
                ),
            ));
            Vec::new()
        }
        (_, Some((item, orientation))) => vec![(item, orientation, span)],
        _ => {
            diags.push(Diagnostic::error(
                span,
                format!("{written} has errors; run `socius check {written}`"),
            ));
            Vec::new()
        }
    }
}

/// The folder a study file's paths are relative to.
#[must_use]
pub fn base_of(study_file: &Path) -> PathBuf {
    match study_file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// For `socius check`: resolve the trees of every study among `files` and add the problems
/// to the study's diagnostics.
pub fn cross_check(files: &mut [Loaded]) {
    for l in files.iter_mut() {
        let Some(Script::Study(study)) = &l.script else {
            continue;
        };
        let (_, mut more) = resolve(study, &base_of(&l.path));
        if more.is_empty() {
            continue;
        }
        l.diagnostics.append(&mut more);
        l.diagnostics.sort_by_key(|d| (d.line, d.col, d.severity));
    }
}
