//! A registered study on disk, without sessions (the store only holds sessions; a plan is
//! a few small files that can be read, diffed and copied):
//!
//! ```text
//! DIR/<study-id>/study.yaml.orig           the study file as registered
//! DIR/<study-id>/plan.json                 the resolved plan (trees with their hashes)
//! DIR/<study-id>/trees/<tree-id>.yaml      the trees, copied when registered
//! DIR/<study-id>/assignments/<name>.json   one assignment per annotator
//! ```
//!
//! `DIR` is `studies/` next to the store unless `--out` names another. An exported
//! assignment is a folder with `assignment.json` (the same file) and `trees/`: all an
//! annotator's machine needs.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::assign::{AssignError, Assignment, assign};
use crate::script::load::load_file;
use crate::script::model::{Language, Orientation};
use crate::script::study::resolve::{ResolvedTree, base_of};
use crate::script::study::{StudyBody, StudyMode, resolve};

/// The layout version of `plan.json` and assignment files.
pub const PLAN_SCHEMA: u32 = 1;
pub const PLAN_FILE: &str = "plan.json";
/// The study file as registered; not `.yaml`, so `socius check` and the library pass it over
/// (its tree paths are relative to where it was registered from, not to this folder).
pub const STUDY_FILE: &str = "study.yaml.orig";
pub const ASSIGNMENTS_DIR: &str = "assignments";
pub const TREES_DIR: &str = "trees";
/// The assignment file in an exported folder.
pub const ASSIGNMENT_FILE: &str = "assignment.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeEntry {
    pub id: String,
    /// Relative to the study (or exported) folder.
    pub file: String,
    pub sha256: String,
    pub language: Language,
    pub orientation: Orientation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub schema: u32,
    pub id: String,
    pub title: String,
    #[serde(rename = "type")]
    pub study_type: String,
    pub mode: StudyMode,
    pub k: u32,
    #[serde(with = "crate::session::seed_text")]
    pub seed: u64,
    pub annotators: Vec<String>,
    pub trees: Vec<TreeEntry>,
    pub training: Vec<TreeEntry>,
    pub registered: DateTime<Utc>,
}

/// One annotator's file: the queue and the trees it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentFile {
    pub schema: u32,
    pub study: String,
    pub title: String,
    #[serde(flatten)]
    pub assignment: Assignment,
    pub trees: Vec<TreeEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{file} has errors (run `socius check {file}`):{}", list(.errors))]
    Invalid { file: String, errors: Vec<String> },
    #[error("{0} is not a study file (kind: study)")]
    NotAStudy(String),
    #[error(
        "`{0}` studies are checked by `socius check` but cannot be registered yet: `socius study new` handles baseline studies only in this version"
    )]
    NotYet(&'static str),
    #[error("study `{id}` is already registered in {}; remove that folder or change the study's id", .dir.display())]
    Exists { id: String, dir: PathBuf },
    #[error("no registered study at {}: {}", .0.display(), .1)]
    NotFound(PathBuf, String),
    #[error("`{name}` is not an annotator of study `{study}` (annotators: {})", .known.join(", "))]
    UnknownAnnotator {
        name: String,
        study: String,
        known: Vec<String>,
    },
    #[error("{} holds the assignment of `{owner}` in study `{study}`, not of `{name}`", .dir.display())]
    NotTheirs {
        dir: PathBuf,
        name: String,
        owner: String,
        study: String,
    },
    #[error("{} exists and is not empty; choose a new folder", .0.display())]
    OutNotEmpty(PathBuf),
    #[error("trees `{0}` and `{1}` would be copied to the same file name; rename one of their ids")]
    SameFileName(String, String),
    #[error("{} changed since the study was registered (its sha256 differs)", .0.display())]
    TreeChanged(PathBuf),
    #[error(transparent)]
    Assign(#[from] AssignError),
    #[error("{}: {}", .0.display(), .1)]
    Io(PathBuf, std::io::Error),
    #[error("{}: {}", .0.display(), .1)]
    Json(PathBuf, serde_json::Error),
}

fn list(errors: &[String]) -> String {
    errors.iter().map(|e| format!("\n  {e}")).collect()
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RecordError + '_ {
    move |e| RecordError::Io(path.to_path_buf(), e)
}

/// A file name for a tree id (anything but letters, digits, `-`, `_`, `.` becomes `_`).
pub(crate) fn file_name(id: &str) -> String {
    let name: String = id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}.yaml", name.trim_start_matches('.'))
}

fn entry(t: &ResolvedTree) -> TreeEntry {
    TreeEntry {
        id: t.id.clone(),
        file: format!("{TREES_DIR}/{}", file_name(&t.id)),
        sha256: t.hash.clone(),
        language: t.language,
        orientation: t.orientation,
    }
}

pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), RecordError> {
    let mut text =
        serde_json::to_string_pretty(value).map_err(|e| RecordError::Json(path.into(), e))?;
    text.push('\n');
    fs::write(path, text).map_err(io(path))
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, RecordError> {
    // Study folders travel between machines: a regular file only, bounded.
    let text = crate::fsx::read_text(path, crate::fsx::MAX_JSON_BYTES)
        .map_err(|e| io(path)(std::io::Error::other(e.to_string())))?;
    serde_json::from_str(&text).map_err(|e| RecordError::Json(path.into(), e))
}

/// Copy a tree, checking that it is still the version the plan recorded.
pub(crate) fn copy_tree(from: &Path, to: &Path, sha256: &str) -> Result<(), RecordError> {
    let bytes = crate::fsx::read_regular(from, crate::fsx::MAX_SCRIPT_BYTES)
        .map_err(|e| io(from)(std::io::Error::other(e.to_string())))?;
    if crate::script::content_hash(&bytes) != sha256 {
        return Err(RecordError::TreeChanged(from.to_path_buf()));
    }
    fs::write(to, bytes).map_err(io(to))
}

/// A registered study: its folder, plan and assignments.
#[derive(Debug, Clone)]
pub struct Registered {
    pub dir: PathBuf,
    pub plan: PlanRecord,
    pub assignments: Vec<Assignment>,
}

/// Load a study file and find what it names: every error (the file's, its trees' or items')
/// is reported at once.
///
/// # Errors
/// Not a study file, or a file with errors.
pub fn load_checked(
    study_file: &Path,
) -> Result<(crate::script::study::Study, crate::script::study::Resolved), RecordError> {
    let file = study_file.display().to_string();
    let loaded = load_file(study_file);
    let mut errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render(&file))
        .collect();
    let Some(study) = loaded.study().cloned() else {
        if errors.is_empty() {
            return Err(RecordError::NotAStudy(file));
        }
        return Err(RecordError::Invalid { file, errors });
    };
    let (resolved, diags) = resolve(&study, &base_of(study_file));
    errors.extend(
        diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.render(&file)),
    );
    if !errors.is_empty() {
        return Err(RecordError::Invalid { file, errors });
    }
    Ok((study, resolved))
}

/// Register the study in `study_file` under `out_dir/<id>/` (see the module documentation).
///
/// # Errors
/// The file has errors (its trees included), the study is already registered, or a write
/// fails.
pub fn register(study_file: &Path, out_dir: &Path) -> Result<Registered, RecordError> {
    let (study, resolved) = load_checked(study_file)?;
    let b = match &study.body {
        StudyBody::Baseline(b) => b,
        other => return Err(RecordError::NotYet(other.type_name())),
    };
    let ids = |ts: &[ResolvedTree]| ts.iter().map(|t| t.id.clone()).collect::<Vec<_>>();
    let annotators: Vec<String> = b.annotators.iter().map(|a| a.id.clone()).collect();
    let assignments = assign(
        &ids(&resolved.trees),
        &ids(&resolved.training),
        &annotators,
        b.k as usize,
        b.mode,
        b.seed,
    )?;
    let plan = PlanRecord {
        schema: PLAN_SCHEMA,
        id: study.id.clone(),
        title: study.title.clone(),
        study_type: "baseline".to_owned(),
        mode: b.mode,
        k: b.k,
        seed: b.seed,
        annotators,
        trees: resolved.trees.iter().map(entry).collect(),
        training: resolved.training.iter().map(entry).collect(),
        registered: Utc::now(),
    };
    let all: Vec<&TreeEntry> = plan.trees.iter().chain(&plan.training).collect();
    for (i, t) in all.iter().enumerate() {
        if let Some(prev) = all[..i].iter().find(|p| p.file == t.file) {
            return Err(RecordError::SameFileName(prev.id.clone(), t.id.clone()));
        }
    }
    let dir = out_dir.join(&study.id);
    if dir.exists() {
        return Err(RecordError::Exists { id: study.id, dir });
    }
    fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    // Written beside, then renamed: a study folder is complete or absent.
    let tmp = out_dir.join(format!(".{}.partial", study.id));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    let written = write_record(&tmp, study_file, &plan, &resolved, &assignments);
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, &dir).map_err(io(&dir))?;
    Ok(Registered {
        dir,
        plan,
        assignments,
    })
}

fn write_record(
    tmp: &Path,
    study_file: &Path,
    plan: &PlanRecord,
    resolved: &crate::script::study::Resolved,
    assignments: &[Assignment],
) -> Result<(), RecordError> {
    let trees_dir = tmp.join(TREES_DIR);
    let ass_dir = tmp.join(ASSIGNMENTS_DIR);
    fs::create_dir_all(&trees_dir).map_err(io(&trees_dir))?;
    fs::create_dir_all(&ass_dir).map_err(io(&ass_dir))?;
    let to = tmp.join(STUDY_FILE);
    fs::copy(study_file, &to).map_err(io(&to))?;
    for t in resolved.trees.iter().chain(&resolved.training) {
        copy_tree(&t.path, &tmp.join(&entry(t).file), &t.hash)?;
    }
    write_json(&tmp.join(PLAN_FILE), plan)?;
    for a in assignments {
        let file = assignment_file(plan, a);
        write_json(&ass_dir.join(format!("{}.json", a.annotator)), &file)?;
    }
    Ok(())
}

fn assignment_file(plan: &PlanRecord, a: &Assignment) -> AssignmentFile {
    let trees = a
        .items
        .iter()
        .filter_map(|i| {
            plan.trees
                .iter()
                .chain(&plan.training)
                .find(|t| t.id == i.tree)
                .cloned()
        })
        .collect();
    AssignmentFile {
        schema: PLAN_SCHEMA,
        study: plan.id.clone(),
        title: plan.title.clone(),
        assignment: a.clone(),
        trees,
    }
}

/// The folder of a registered study: `study` itself when it is one (holds `plan.json`),
/// else `studies_dir/<study>`.
#[must_use]
pub fn locate(study: &str, studies_dir: &Path) -> PathBuf {
    let given = PathBuf::from(study);
    if given.join(PLAN_FILE).is_file() {
        given
    } else {
        studies_dir.join(study)
    }
}

/// Read a registered study.
///
/// # Errors
/// No `plan.json` there, or a file that cannot be read.
pub fn open(dir: &Path) -> Result<Registered, RecordError> {
    let plan_path = dir.join(PLAN_FILE);
    if !plan_path.is_file() {
        return Err(RecordError::NotFound(
            dir.to_path_buf(),
            format!("no {PLAN_FILE} (register it with `socius study new FILE`)"),
        ));
    }
    let plan: PlanRecord = read_json(&plan_path)?;
    let mut assignments = Vec::with_capacity(plan.annotators.len());
    for name in &plan.annotators {
        let path = dir.join(ASSIGNMENTS_DIR).join(format!("{name}.json"));
        let file: AssignmentFile = read_json(&path)?;
        assignments.push(file.assignment);
    }
    Ok(Registered {
        dir: dir.to_path_buf(),
        plan,
        assignments,
    })
}

/// What [`export_assignment`] wrote.
#[derive(Debug, Clone)]
pub struct Exported {
    pub out: PathBuf,
    pub items: usize,
    pub trees: usize,
}

/// Write `out/assignment.json` and `out/trees/*.yaml` for `annotator` of a registered study.
///
/// # Errors
/// An unknown annotator, `out` not empty, a tree copy that changed, a failed write.
pub fn export_assignment(
    reg: &Registered,
    annotator: &str,
    out: &Path,
) -> Result<Exported, RecordError> {
    let Some(a) = reg.assignments.iter().find(|a| a.annotator == annotator) else {
        return Err(RecordError::UnknownAnnotator {
            name: annotator.to_owned(),
            study: reg.plan.id.clone(),
            known: reg.plan.annotators.clone(),
        });
    };
    if out.exists() && fs::read_dir(out).map_err(io(out))?.next().is_some() {
        return Err(RecordError::OutNotEmpty(out.to_path_buf()));
    }
    let file = assignment_file(&reg.plan, a);
    let trees_dir = out.join(TREES_DIR);
    fs::create_dir_all(&trees_dir).map_err(io(&trees_dir))?;
    for t in &file.trees {
        copy_tree(&reg.dir.join(&t.file), &out.join(&t.file), &t.sha256)?;
    }
    write_json(&out.join(ASSIGNMENT_FILE), &file)?;
    Ok(Exported {
        out: out.to_path_buf(),
        items: a.items.len(),
        trees: file.trees.len(),
    })
}

/// Whether `dir` is an exported assignment folder (holds `assignment.json`).
#[must_use]
pub fn is_exported(dir: &Path) -> bool {
    dir.join(ASSIGNMENT_FILE).is_file()
}

/// Read an exported assignment folder's `assignment.json` (see [`export_assignment`]).
///
/// # Errors
/// No `assignment.json` there, or a file that cannot be read.
pub fn open_exported(dir: &Path) -> Result<AssignmentFile, RecordError> {
    let path = dir.join(ASSIGNMENT_FILE);
    if !path.is_file() {
        return Err(RecordError::NotFound(
            dir.to_path_buf(),
            format!("no {ASSIGNMENT_FILE} (write one with `socius study export-assignment`)"),
        ));
    }
    read_json(&path)
}

/// What `study run` plays: one annotator's queue, from a registered study or an exported
/// assignment folder, and the folder its tree copies are in.
#[derive(Debug, Clone)]
pub struct Queue {
    pub study: String,
    pub title: String,
    pub assignment: Assignment,
    /// The trees the items play: `file` relative to `dir`, `sha256` as the plan recorded.
    pub trees: Vec<TreeEntry>,
    /// The folder the entries' `file`s are relative to.
    pub dir: PathBuf,
}

impl Queue {
    /// The tree copies the items play (each once).
    #[must_use]
    pub fn tree_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = Vec::new();
        for t in &self.trees {
            let path = self.dir.join(&t.file);
            if !files.contains(&path) {
                files.push(path);
            }
        }
        files
    }
}

/// One annotator's queue: `study` is an exported assignment folder (it must be `annotator`'s),
/// a registered study's folder, or the id of a study registered in `studies_dir`.
///
/// # Errors
/// No such study, an unknown annotator (or an assignment folder of someone else), or files
/// that cannot be read.
pub fn open_queue(study: &str, annotator: &str, studies_dir: &Path) -> Result<Queue, RecordError> {
    let given = Path::new(study);
    if is_exported(given) {
        let file = open_exported(given)?;
        if file.assignment.annotator != annotator {
            return Err(RecordError::NotTheirs {
                dir: given.to_path_buf(),
                name: annotator.to_owned(),
                owner: file.assignment.annotator,
                study: file.study,
            });
        }
        let queue = Queue {
            study: file.study,
            title: file.title,
            assignment: file.assignment,
            trees: file.trees,
            dir: given.to_path_buf(),
        };
        return check_copies(queue);
    }
    let reg = open(&locate(study, studies_dir))?;
    let Some(a) = reg.assignments.iter().find(|a| a.annotator == annotator) else {
        return Err(RecordError::UnknownAnnotator {
            name: annotator.to_owned(),
            study: reg.plan.id,
            known: reg.plan.annotators,
        });
    };
    let file = assignment_file(&reg.plan, a);
    check_copies(Queue {
        study: file.study,
        title: file.title,
        assignment: file.assignment,
        trees: file.trees,
        dir: reg.dir,
    })
}

/// Every item's tree copy is there, and is the version the plan recorded.
fn check_copies(queue: Queue) -> Result<Queue, RecordError> {
    for item in &queue.assignment.items {
        let Some(t) = queue.trees.iter().find(|t| t.id == item.tree) else {
            return Err(RecordError::NotFound(
                queue.dir.clone(),
                format!("the assignment lists tree `{}` but not its file", item.tree),
            ));
        };
        // An assignment travels: its file names stay inside its folder.
        let inside = Path::new(&t.file)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside {
            return Err(RecordError::NotFound(
                queue.dir.clone(),
                format!(
                    "tree `{}` has a file name outside the folder: {}",
                    t.id, t.file
                ),
            ));
        }
        let path = queue.dir.join(&t.file);
        let bytes = crate::fsx::read_regular(&path, crate::fsx::MAX_SCRIPT_BYTES)
            .map_err(|e| io(&path)(std::io::Error::other(e.to_string())))?;
        if crate::script::content_hash(&bytes) != t.sha256 {
            return Err(RecordError::TreeChanged(path));
        }
    }
    Ok(queue)
}
