//! Registering a pairwise or pointwise study (the layout is in `judged.rs`): the stored
//! sessions of each (item, system) are looked up, one is chosen, the tasks and assignments
//! are built (`judged_plan.rs`) and the folder is written beside, then renamed into place.
//! Also: reading a registered judged study or an exported judged assignment back.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

use super::judged::{
    ITEMS_DIR, ItemKind, JUDGED_SCHEMA, JudgedAssignment, JudgedItem, JudgedKind, JudgedPlan,
    Missing, ReasonRule as PlanReason, RubricItemPlan, RubricPlan, Shown, Side, TRANSCRIPTS_DIR,
    Task, TaskBody,
};
use super::judged_plan::{KnownTask, PlanError, assign_tasks, build_tasks, choose};
use super::record::{
    ASSIGNMENT_FILE, ASSIGNMENTS_DIR, PLAN_FILE, RecordError, STUDY_FILE, io, read_json, write_json,
};
use crate::script::model::WorldTree;
use crate::script::study::model::{
    Judged, Known, ReasonRule, Rubric, SessionFilter, StudyBody, SystemSource,
};
use crate::session::{EventBody, SessionId, SessionKind, SessionRecord, Status, StatusReason};
use crate::store::{Filter, Store};

#[derive(Debug, thiserror::Error)]
pub enum JudgedError {
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("known-answer session `{text}` ({what}): {reason}")]
    Known {
        text: String,
        what: &'static str,
        reason: String,
    },
    #[error(
        "system `{system}`: `{field}` value `{text}` is not a date (2025-03-01) or a time (2025-03-01T12:00:00Z)"
    )]
    BadTime {
        system: String,
        field: &'static str,
        text: String,
    },
    #[error(
        "nothing to compare: no item has a transcript of {need}; these (item, system) have no finished session:{missing}"
    )]
    Nothing { need: &'static str, missing: String },
    #[error("{0} is a {1} study; this command needs a pairwise or pointwise one")]
    NotJudged(PathBuf, String),
    #[error("{} holds a transcript id that is not a plain file name: {}", .0.display(), .1)]
    BadSession(PathBuf, String),
    #[error("{}: an item's file name leaves the study folder: {}", .0.display(), .1)]
    BadItemName(PathBuf, String),
    #[error("{}: the study's copy of this item is not a valid world tree", .0.display())]
    BadItem(PathBuf),
}

/// A registered pairwise or pointwise study.
#[derive(Debug, Clone)]
pub struct JudgedRegistered {
    pub dir: PathBuf,
    pub plan: JudgedPlan,
    pub assignments: Vec<JudgedAssignment>,
    /// Judgments of real tasks the cap left out.
    pub short: usize,
    /// Finished sessions that ended early (a dropped walk) and so were not shown (counted when
    /// registering only).
    pub dropped: usize,
}

/// The `type` a `plan.json` in `dir` declares (`baseline`, `pairwise`, `pointwise`), if it
/// can be read.
#[must_use]
pub fn plan_type(dir: &Path) -> Option<String> {
    let value: serde_json::Value = read_json(&dir.join(PLAN_FILE)).ok()?;
    value.get("type")?.as_str().map(str::to_owned)
}

fn parse_time(system: &str, field: &'static str, text: &str) -> Result<DateTime<Utc>, JudgedError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        let t = t.with_timezone(&Utc);
        return Ok(if field == "until" {
            t + TimeDelta::nanoseconds(1)
        } else {
            t
        });
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| JudgedError::BadTime {
        system: system.to_owned(),
        field,
        text: text.to_owned(),
    })?;
    let date = if field == "until" {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    Ok(date.and_time(NaiveTime::MIN).and_utc())
}

/// The store filter of a system's sessions (finished ones only).
fn system_filter(system: &str, source: &SystemSource) -> Result<Filter, JudgedError> {
    let mut f = Filter {
        status: Some(Status::Finished),
        ..Filter::default()
    };
    match source {
        SystemSource::Model(name) => {
            f.who = Some(if name.contains('@') {
                format!("model:{name}")
            } else {
                name.clone()
            });
        }
        SystemSource::Human(id) => f.who = Some(format!("annotator:{id}")),
        SystemSource::Run(id) => f.run_id = Some(id.as_str().into()),
        SystemSource::Sessions(SessionFilter {
            who,
            run,
            since,
            until,
        }) => {
            f.who.clone_from(who);
            f.run_id = run.as_deref().map(Into::into);
            f.since = since
                .as_deref()
                .map(|t| parse_time(system, "since", t))
                .transpose()?;
            f.until = until
                .as_deref()
                .map(|t| parse_time(system, "until", t))
                .transpose()?;
        }
    }
    Ok(f)
}

fn is_judgment(kind: &SessionKind) -> bool {
    matches!(kind, SessionKind::StudyJudgment | SessionKind::StudyRating)
}

/// What `study new` found: the plan and which (item, system) lack a session.
struct Built {
    /// Finished sessions of the systems on the items that ended early (not shown).
    dropped: usize,
    /// The items' files, in plan order.
    sources: Vec<PathBuf>,
    plan: JudgedPlan,
    assignments: Vec<JudgedAssignment>,
    short: usize,
}

fn known_session(
    store: &Store,
    text: &str,
    what: &'static str,
) -> Result<crate::session::Session, JudgedError> {
    store.resolve(text).map_err(|e| JudgedError::Known {
        text: text.to_owned(),
        what,
        reason: e.to_string(),
    })
}

fn known_tasks(
    store: &Store,
    list: &[Known],
    items: &[String],
    what: &'static str,
) -> Result<Vec<KnownTask>, JudgedError> {
    let item_of = |s: &crate::session::Session| items.iter().find(|i| **i == s.script.id).cloned();
    let mut out = Vec::with_capacity(list.len());
    for k in list {
        match k {
            Known::Pair { better, worse, .. } => {
                let good = known_session(store, better, what)?;
                let bad = known_session(store, worse, what)?;
                out.push(KnownTask {
                    item: item_of(&good),
                    body: TaskBody::Pair {
                        a: Shown {
                            system: None,
                            session: good.id.to_string(),
                        },
                        b: Shown {
                            system: None,
                            session: bad.id.to_string(),
                        },
                        better: Some(Side::A),
                    },
                });
            }
            Known::Rating {
                session, expect, ..
            } => {
                let s = known_session(store, session, what)?;
                out.push(KnownTask {
                    item: item_of(&s),
                    body: TaskBody::Transcript {
                        shown: Shown {
                            system: None,
                            session: s.id.to_string(),
                        },
                        expect: expect
                            .iter()
                            .map(|(name, lo, hi, _)| (name.clone(), [*lo, *hi]))
                            .collect(),
                    },
                });
            }
        }
    }
    Ok(out)
}

fn rubric_plan(r: &Rubric) -> RubricPlan {
    RubricPlan {
        per: r.per,
        items: r
            .items
            .iter()
            .map(|i| RubricItemPlan {
                id: i.id.clone(),
                question: i.question.clone(),
                scale: [i.scale.0, i.scale.1],
                anchors: i.anchors.iter().map(|(p, l, _)| (*p, l.clone())).collect(),
            })
            .collect(),
    }
}

fn build(
    study: &crate::script::study::Study,
    resolved: &crate::script::study::Resolved,
    store: &Store,
    study_sha256: String,
) -> Result<Built, JudgedError> {
    let (kind, judged, question, rubric): (
        JudgedKind,
        &Judged,
        Option<String>,
        Option<RubricPlan>,
    ) = match &study.body {
        StudyBody::Pairwise(p) => (
            JudgedKind::Pairwise,
            &p.judged,
            Some(p.question.clone()),
            None,
        ),
        StudyBody::Pointwise(p) => (
            JudgedKind::Pointwise,
            &p.judged,
            None,
            Some(rubric_plan(&p.rubric)),
        ),
        StudyBody::Baseline(_) => {
            return Err(JudgedError::NotJudged(
                PathBuf::from(&study.id),
                "baseline".to_owned(),
            ));
        }
    };
    let item_ids: Vec<String> = resolved.items.iter().map(|i| i.id.clone()).collect();
    let systems: Vec<String> = judged.systems.iter().map(|s| s.name.clone()).collect();
    let mut shown = BTreeMap::new();
    let mut missing = Vec::new();
    let mut dropped_total = 0;
    for system in &judged.systems {
        let filter = system_filter(&system.name, &system.source)?;
        let sessions: Vec<_> = store
            .list_headers(&filter)?
            .into_iter()
            .filter(|s| !is_judgment(&s.kind) && !s.is_training())
            .collect();
        for item in &resolved.items {
            // Only sessions played on this version of the item's file: the transcript is
            // shown against the study's copy of it.
            let (same, other): (Vec<_>, Vec<_>) = sessions
                .iter()
                .filter(|s| s.script.id == item.id)
                .partition(|s| s.script.hash == item.hash);
            // A session that finished early (a dropped walk: no valid answer, a dead end)
            // holds no conversation to judge: not shown, and counted.
            let ids: Vec<SessionId> = same.iter().map(|s| s.id).collect();
            let ended_early = ended_early(store, &ids)?;
            let ids: Vec<String> = ids
                .iter()
                .zip(&ended_early)
                .filter(|(_, early)| !**early)
                .map(|(id, _)| id.to_string())
                .collect();
            let dropped = ended_early.iter().filter(|e| **e).count();
            dropped_total += dropped;
            match choose(judged.seed, &item.id, &system.name, &ids) {
                Some(id) => {
                    shown.insert((item.id.clone(), system.name.clone()), id);
                }
                None => missing.push(Missing {
                    item: item.id.clone(),
                    system: system.name.clone(),
                    other_version: other.len(),
                    dropped,
                }),
            }
        }
    }
    let onboarding = match &judged.onboarding {
        Some(o) => known_tasks(store, &o.items, &item_ids, "onboarding")?,
        None => Vec::new(),
    };
    let attention = match &judged.attention {
        Some(a) => known_tasks(store, &a.items, &item_ids, "attention check")?,
        None => Vec::new(),
    };
    let tasks = build_tasks(kind, &item_ids, &systems, &shown, &onboarding, &attention);
    if !tasks
        .iter()
        .any(|t| t.kind == super::judged::TaskKind::Real)
    {
        return Err(JudgedError::Nothing {
            need: match kind {
                JudgedKind::Pairwise => "two systems",
                JudgedKind::Pointwise => "any system",
            },
            missing: missing
                .iter()
                .map(|m| format!("\n  {}", missing_line(m)))
                .collect(),
        });
    }
    let annotators: Vec<String> = judged.annotators.iter().map(|a| a.id.clone()).collect();
    let assigned = assign_tasks(
        &study.id,
        kind,
        &tasks,
        &annotators,
        judged.per_unit as usize,
        judged.cap.map(|c| c as usize),
        judged.seed,
    )?;
    let plan = JudgedPlan {
        schema: JUDGED_SCHEMA,
        id: study.id.clone(),
        kind,
        created: Utc::now(),
        study_sha256,
        items: item_entries(&resolved.items),
        systems,
        question,
        rubric,
        tasks,
        missing,
        annotators,
        per_unit: judged.per_unit,
        min_seconds: judged.min_seconds,
        reason: match judged.reason {
            ReasonRule::None => PlanReason::None,
            ReasonRule::Optional => PlanReason::Optional,
            ReasonRule::Required => PlanReason::Required,
        },
        onboarding_pass: judged.onboarding.as_ref().map(|o| o.pass),
        attention_max_failures: judged.attention.as_ref().map(|a| a.max_failures),
        cap: judged.cap,
        seed: judged.seed,
        imported: false,
    };
    Ok(Built {
        dropped: dropped_total,
        sources: resolved.items.iter().map(|i| i.path.clone()).collect(),
        plan,
        assignments: assigned.assignments,
        short: assigned.short,
    })
}

/// For each session, whether it finished early: its last status change finished it as a
/// dropped walk (no valid answer, a dead end, an unlabelled ending). A CR dialogue that ended
/// at its cap, or by the clinician, is complete: it has a reason but is no drop.
fn ended_early(store: &Store, ids: &[SessionId]) -> Result<Vec<bool>, JudgedError> {
    let logs = store.events_selected_many(ids, &|t| t == "session_status")?;
    Ok(logs
        .iter()
        .map(|events| {
            events.iter().rev().find_map(|e| match &e.body {
                EventBody::SessionStatus(c) => Some(
                    c.status == Status::Finished
                        && c.reason.as_ref().and_then(StatusReason::dropped).is_some(),
                ),
                _ => None,
            }) == Some(true)
        })
        .collect())
}

/// What `study new` says of an (item, system) with nothing to show.
#[must_use]
pub fn missing_line(m: &Missing) -> String {
    let mut line = format!(
        "missing: no finished session of system `{}` on item `{}`",
        crate::term::clean(&m.system),
        crate::term::clean(&m.item)
    );
    if m.dropped > 0 {
        line.push_str(&format!(
            " ({} finished early, a dropped walk with nothing to judge: not shown)",
            m.dropped
        ));
    }
    if m.other_version > 0 {
        line.push_str(&format!(
            " ({} played on another version of the item's file, not used: register the study \
             against the file they were played on to compare them)",
            m.other_version
        ));
    }
    line
}

/// The plan's items, each with the file name its copy gets (made unique in the study).
fn item_entries(items: &[crate::script::study::ResolvedItem]) -> Vec<JudgedItem> {
    let mut names: Vec<String> = Vec::with_capacity(items.len());
    items
        .iter()
        .map(|i| {
            let base = super::record::file_name(&i.id);
            let mut name = base.clone();
            let mut n = 1;
            while names.iter().any(|x| x.eq_ignore_ascii_case(&name)) {
                n += 1;
                name = format!("{}-{n}.yaml", base.trim_end_matches(".yaml"));
            }
            names.push(name.clone());
            JudgedItem {
                id: i.id.clone(),
                kind: if i.kind == "cr_case" {
                    ItemKind::CrCase
                } else {
                    ItemKind::WorldTree
                },
                sha256: i.hash.clone(),
                title: i.title.clone(),
                file: Some(format!("{ITEMS_DIR}/{name}")),
            }
        })
        .collect()
}

/// The sessions a list of tasks shows, each once, in task order.
#[must_use]
pub fn shown_sessions<'t>(tasks: impl IntoIterator<Item = &'t Task>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: &Shown| {
        if !out.contains(&s.session) {
            out.push(s.session.clone());
        }
    };
    for t in tasks {
        match &t.body {
            TaskBody::Pair { a, b, .. } => {
                add(a);
                add(b);
            }
            TaskBody::Transcript { shown, .. } => add(shown),
        }
    }
    out
}

/// A session id used as a file name: letters, digits and `-` only.
fn transcript_path(dir: &Path, session: &str) -> Result<PathBuf, JudgedError> {
    if session.is_empty()
        || !session
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(JudgedError::BadSession(
            dir.to_path_buf(),
            session.to_owned(),
        ));
    }
    Ok(dir.join(TRANSCRIPTS_DIR).join(format!("{session}.json")))
}

fn write_transcript(store: &Store, dir: &Path, session: &str) -> Result<(), JudgedError> {
    let id = store.resolve(session)?.id;
    let record = store.record(id)?;
    let path = transcript_path(dir, session)?;
    let mut text = crate::term::to_json(&record).map_err(|e| RecordError::Json(path.clone(), e))?;
    text.push('\n');
    fs::write(&path, text).map_err(io(&path))?;
    Ok(())
}

/// Register the pairwise or pointwise study in `study_file` under `out_dir/<id>/`, its
/// transcripts taken from `store`.
///
/// # Errors
/// The file has errors, a known-answer session is not in the store, nothing can be
/// compared, the study is already registered, or a read or write fails.
pub fn register_judged(
    study_file: &Path,
    out_dir: &Path,
    store: &Store,
) -> Result<JudgedRegistered, JudgedError> {
    let (study, resolved) = super::record::load_checked(study_file)?;
    let bytes = crate::fsx::read_regular(study_file, crate::fsx::MAX_SCRIPT_BYTES)
        .map_err(|e| io(study_file)(std::io::Error::other(e.to_string())))?;
    let built = build(
        &study,
        &resolved,
        store,
        crate::script::content_hash(&bytes),
    )?;
    let dir = out_dir.join(&study.id);
    if dir.exists() {
        return Err(RecordError::Exists { id: study.id, dir }.into());
    }
    fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let tmp = out_dir.join(format!(".{}.partial", study.id));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    let written = write_folder(&tmp, &bytes, &built, store);
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, &dir).map_err(io(&dir))?;
    Ok(JudgedRegistered {
        dir,
        plan: built.plan,
        assignments: built.assignments,
        short: built.short,
        dropped: built.dropped,
    })
}

fn write_folder(tmp: &Path, study: &[u8], built: &Built, store: &Store) -> Result<(), JudgedError> {
    let ass_dir = tmp.join(ASSIGNMENTS_DIR);
    let tr_dir = tmp.join(TRANSCRIPTS_DIR);
    fs::create_dir_all(&ass_dir).map_err(io(&ass_dir))?;
    fs::create_dir_all(&tr_dir).map_err(io(&tr_dir))?;
    let to = tmp.join(STUDY_FILE);
    fs::write(&to, study).map_err(io(&to))?;
    for s in shown_sessions(&built.plan.tasks) {
        write_transcript(store, tmp, &s)?;
    }
    let items_dir = tmp.join(ITEMS_DIR);
    fs::create_dir_all(&items_dir).map_err(io(&items_dir))?;
    for (item, from) in built.plan.items.iter().zip(&built.sources) {
        if let Some(file) = &item.file {
            super::record::copy_tree(from, &tmp.join(file), &item.sha256)?;
        }
    }
    write_json(&tmp.join(PLAN_FILE), &built.plan)?;
    for a in &built.assignments {
        write_json(&ass_dir.join(format!("{}.json", a.annotator)), a)?;
    }
    Ok(())
}

/// Read a registered judged study.
///
/// # Errors
/// No `plan.json` there, a baseline plan, or a file that cannot be read.
pub fn open_judged(dir: &Path) -> Result<JudgedRegistered, JudgedError> {
    let plan_path = dir.join(PLAN_FILE);
    if !plan_path.is_file() {
        return Err(RecordError::NotFound(
            dir.to_path_buf(),
            format!("no {PLAN_FILE} (register it with `socius study new FILE`)"),
        )
        .into());
    }
    let plan: JudgedPlan = read_json(&plan_path)?;
    let mut assignments = Vec::with_capacity(plan.annotators.len());
    for name in &plan.annotators {
        let path = dir.join(ASSIGNMENTS_DIR).join(format!("{name}.json"));
        assignments.push(read_json(&path)?);
    }
    Ok(JudgedRegistered {
        dir: dir.to_path_buf(),
        plan,
        assignments,
        short: 0,
        dropped: 0,
    })
}

/// What `study run` judges: one annotator's tasks and the folder its transcripts are in.
#[derive(Debug, Clone)]
pub struct JudgedQueue {
    pub plan: JudgedPlan,
    pub assignment: JudgedAssignment,
    /// Holds `plan.json` and `transcripts/`.
    pub dir: PathBuf,
    /// sha256 of `plan.json` as stored (judgment sessions record it).
    pub plan_sha256: String,
    /// The world trees the annotator's tasks show, by id, from the study's copies (each
    /// checked against its sha256 when the queue opened).
    pub trees: BTreeMap<String, WorldTree>,
}

impl JudgedQueue {
    /// The plan's task of an assigned entry.
    #[must_use]
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.plan.tasks.iter().find(|t| t.id == id)
    }

    /// A shown session's record, from the study folder.
    ///
    /// # Errors
    /// A session id that is not a file name, a missing or unreadable transcript.
    pub fn transcript(&self, session: &str) -> Result<SessionRecord, JudgedError> {
        let path = transcript_path(&self.dir, session)?;
        Ok(read_json(&path)?)
    }

    /// The study's copy of the world tree `script` (a session's script id), when there is one.
    #[must_use]
    pub fn tree(&self, script: &str) -> Option<&WorldTree> {
        self.trees.get(script)
    }
}

/// The world tree of `item` from its copy in `dir` (`None`: a CR case, or no copy kept). A
/// CR case's copy is checked the same way but not parsed (its transcripts hold every turn).
///
/// # Errors
/// A file name that leaves the folder, a copy that is missing, unreadable, changed since
/// registration (its sha256 differs) or, for a world tree, not a valid one.
pub fn item_tree(dir: &Path, item: &JudgedItem) -> Result<Option<WorldTree>, JudgedError> {
    let Some(file) = &item.file else {
        return Ok(None);
    };
    let path = item_path(dir, file)?;
    let bytes = crate::fsx::read_regular(&path, crate::fsx::MAX_SCRIPT_BYTES)
        .map_err(|e| io(&path)(std::io::Error::other(e.to_string())))?;
    if crate::script::content_hash(&bytes) != item.sha256 {
        return Err(RecordError::TreeChanged(path).into());
    }
    if item.kind != ItemKind::WorldTree {
        return Ok(None);
    }
    let loaded = crate::script::load::load_bytes(&path, &bytes);
    match loaded.world_tree() {
        Some(t) if !loaded.has_errors() => Ok(Some(t.clone())),
        _ => Err(JudgedError::BadItem(path)),
    }
}

/// An item copy's path: its name must stay inside the folder (a plan travels).
fn item_path(dir: &Path, file: &str) -> Result<PathBuf, JudgedError> {
    let inside = !file.is_empty()
        && Path::new(file)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !inside {
        return Err(JudgedError::BadItemName(dir.to_path_buf(), file.to_owned()));
    }
    Ok(dir.join(file))
}

fn plan_hash(dir: &Path) -> Result<String, JudgedError> {
    let path = dir.join(PLAN_FILE);
    let bytes = crate::fsx::read_regular(&path, crate::fsx::MAX_JSON_BYTES)
        .map_err(|e| io(&path)(std::io::Error::other(e.to_string())))?;
    Ok(crate::script::content_hash(&bytes))
}

/// One annotator's judged queue, from an exported folder or a registered study's folder.
///
/// # Errors
/// Not theirs, an unknown annotator, unreadable files.
pub fn open_judged_queue(dir: &Path, annotator: &str) -> Result<JudgedQueue, JudgedError> {
    let plan: JudgedPlan = read_json(&dir.join(PLAN_FILE))?;
    let exported = dir.join(ASSIGNMENT_FILE);
    let assignment: JudgedAssignment = if exported.is_file() {
        let a: JudgedAssignment = read_json(&exported)?;
        if a.annotator != annotator {
            return Err(RecordError::NotTheirs {
                dir: dir.to_path_buf(),
                name: annotator.to_owned(),
                owner: a.annotator,
                study: a.study,
            }
            .into());
        }
        a
    } else {
        if !plan.annotators.iter().any(|a| a == annotator) {
            return Err(RecordError::UnknownAnnotator {
                name: annotator.to_owned(),
                study: plan.id,
                known: plan.annotators,
            }
            .into());
        }
        read_json(&dir.join(ASSIGNMENTS_DIR).join(format!("{annotator}.json")))?
    };
    let mut trees = BTreeMap::new();
    for item in &plan.items {
        let shown = assignment.tasks.iter().any(|t| {
            plan.tasks
                .iter()
                .any(|p| p.id == t.task && p.item.as_deref() == Some(item.id.as_str()))
        });
        if shown && let Some(tree) = item_tree(dir, item)? {
            trees.insert(item.id.clone(), tree);
        }
    }
    Ok(JudgedQueue {
        plan_sha256: plan_hash(dir)?,
        plan,
        assignment,
        dir: dir.to_path_buf(),
        trees,
    })
}

/// Write `out/assignment.json`, `out/plan.json` and the transcripts and item files
/// `annotator`'s tasks show.
///
/// # Errors
/// An unknown annotator, `out` not empty, a failed read or write, an item copy changed since
/// registration. Returns (tasks, transcripts, item files).
pub fn export_judged(
    reg: &JudgedRegistered,
    annotator: &str,
    out: &Path,
) -> Result<(usize, usize, usize), JudgedError> {
    let Some(a) = reg.assignments.iter().find(|a| a.annotator == annotator) else {
        return Err(RecordError::UnknownAnnotator {
            name: annotator.to_owned(),
            study: reg.plan.id.clone(),
            known: reg.plan.annotators.clone(),
        }
        .into());
    };
    if out.exists() && fs::read_dir(out).map_err(io(out))?.next().is_some() {
        return Err(RecordError::OutNotEmpty(out.to_path_buf()).into());
    }
    let tr = out.join(TRANSCRIPTS_DIR);
    fs::create_dir_all(&tr).map_err(io(&tr))?;
    let tasks: Vec<&Task> = a
        .tasks
        .iter()
        .filter_map(|t| reg.plan.tasks.iter().find(|p| p.id == t.task))
        .collect();
    let sessions = shown_sessions(tasks);
    for s in &sessions {
        let from = transcript_path(&reg.dir, s)?;
        let to = transcript_path(out, s)?;
        let bytes = crate::fsx::read_regular(&from, crate::fsx::MAX_JSON_BYTES)
            .map_err(|e| io(&from)(std::io::Error::other(e.to_string())))?;
        fs::write(&to, bytes).map_err(io(&to))?;
    }
    let items = out.join(ITEMS_DIR);
    fs::create_dir_all(&items).map_err(io(&items))?;
    let mut copied = 0;
    for item in &reg.plan.items {
        let Some(file) = &item.file else { continue };
        let needed = a.tasks.iter().any(|t| {
            reg.plan
                .tasks
                .iter()
                .any(|p| p.id == t.task && p.item.as_deref() == Some(item.id.as_str()))
        });
        if needed {
            let from = item_path(&reg.dir, file)?;
            super::record::copy_tree(&from, &item_path(out, file)?, &item.sha256)?;
            copied += 1;
        }
    }
    let plan_from = reg.dir.join(PLAN_FILE);
    let bytes = crate::fsx::read_regular(&plan_from, crate::fsx::MAX_JSON_BYTES)
        .map_err(|e| io(&plan_from)(std::io::Error::other(e.to_string())))?;
    let plan_to = out.join(PLAN_FILE);
    fs::write(&plan_to, bytes).map_err(io(&plan_to))?;
    write_json(&out.join(ASSIGNMENT_FILE), a)?;
    Ok((a.tasks.len(), sessions.len(), copied))
}
