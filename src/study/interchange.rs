//! Judgments in and out of socius: `study export --format arena|acute` and
//! `study import --format arena`.
//!
//! **Arena CSV** (as Chatbot Arena publishes its votes): a header row, then one row per
//! judgment. Columns by name, in any order: `model_a`, `model_b`, `winner` (`model_a`,
//! `model_b`, `tie` or `tie (bothbad)`), optional `judge` (without it, every row is the judge
//! [`ANONYMOUS`]) and optional `item` (alias `question_id`: what was compared — rows with the
//! same item, pair and judge are one task, so agreement can be measured; without it every row
//! is its own task). Other columns are ignored. Export writes
//! `model_a,model_b,winner,judge,item` with `model_a` the first-named system of the pair.
//!
//! **ACUTE-Eval JSONL**: one object per counted judgment —
//! `{"study","task","item","judge","speakers_to_eval":[a,b],"outcome":"a"|"b"|"tie"|"both_bad",
//! "winner":a|b|null,"reason","dialogue_dicts":[{"speaker":a,"session","dialogue":[{"id","text"}]},
//! {…b}]}` where each dialogue is the shown transcript's turns (CR turns, or the text a world
//! tree showed), empty when the study has no copy of it (an imported study).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::driver::records::study as rec;
use crate::report::judged::{Counted, cell};
use crate::script::model::WorldTree;
use crate::session::{
    EventBody, JudgmentChoice, NewSession, ScriptRef, SessionKind, SessionRecord, Status, Who,
};
use crate::stats::pairwise::Outcome;
use crate::store::{Store, StoreError};
use crate::study::judged::{
    ItemKind, JUDGED_SCHEMA, JudgedItem, JudgedKind, JudgedPlan, ReasonRule, Shown,
    TRANSCRIPTS_DIR, Task, TaskBody, TaskKind,
};
use crate::study::transcript::Speaker;

/// The judge of rows without a `judge` column.
pub const ANONYMOUS: &str = "anonymous";
/// Largest arena file read.
pub const MAX_FILE: u64 = 64 * 1024 * 1024;
/// Most rows read.
pub const MAX_ROWS: usize = 1_000_000;
/// Longest field (characters).
pub const MAX_FIELD: usize = 256;
/// Most errors listed before giving up.
const MAX_ERRORS: usize = 20;
/// Largest transcript read for the ACUTE export.
const TRANSCRIPT_LIMIT: u64 = 64 * 1024 * 1024;

/// What a winner cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Winner {
    ModelA,
    ModelB,
    Tie,
    BothBad,
}

impl Winner {
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::ModelA => "model_a",
            Self::ModelB => "model_b",
            Self::Tie => "tie",
            Self::BothBad => "tie (bothbad)",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "model_a" => Self::ModelA,
            "model_b" => Self::ModelB,
            "tie" => Self::Tie,
            "tie (bothbad)" => Self::BothBad,
            _ => return None,
        })
    }
}

/// One arena row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArenaRow {
    /// 1-based line of the file.
    pub line: usize,
    pub model_a: String,
    pub model_b: String,
    pub winner: Winner,
    pub judge: String,
    pub item: Option<String>,
}

/// Why an arena file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArenaError {
    #[error("{}", .0.join("\n"))]
    Lines(Vec<String>),
}

/// The arena export of counted judgments.
#[must_use]
pub fn arena_csv(counted: &[Counted]) -> String {
    let mut s = String::from("model_a,model_b,winner,judge,item\n");
    for c in counted {
        let winner = match (c.outcome, c.both_bad) {
            (Outcome::A, _) => Winner::ModelA,
            (Outcome::B, _) => Winner::ModelB,
            (Outcome::Tie, true) => Winner::BothBad,
            (Outcome::Tie, false) => Winner::Tie,
        };
        let _ = writeln!(
            s,
            "{},{},{},{},{}",
            cell(&c.a),
            cell(&c.b),
            winner.name(),
            cell(&c.annotator),
            cell(c.item.as_deref().unwrap_or(""))
        );
    }
    s
}

/// Split CSV text into records of fields (RFC 4180: quoted fields may hold commas, doubled
/// quotes and line breaks), each with the line it starts on. Bounded by [`MAX_ROWS`] and
/// [`MAX_FIELD`].
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut out = Vec::new();
    let mut line = 1usize;
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut was_quoted = false;
        loop {
            let Some(c) = chars.next() else {
                if quoted {
                    return Err(format!("line {start}: a quoted field is not closed"));
                }
                break;
            };
            if quoted {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => quoted = false,
                    '\n' => {
                        line += 1;
                        field.push(c);
                    }
                    _ => field.push(c),
                }
            } else {
                match c {
                    '"' if field.is_empty() && !was_quoted => {
                        quoted = true;
                        was_quoted = true;
                    }
                    '"' => return Err(format!("line {line}: a quote inside an unquoted field")),
                    ',' => {
                        fields.push(std::mem::take(&mut field));
                        was_quoted = false;
                    }
                    '\r' if chars.peek() == Some(&'\n') => {}
                    '\n' => {
                        line += 1;
                        break;
                    }
                    _ => {
                        if was_quoted {
                            return Err(format!("line {line}: text after a closing quote"));
                        }
                        field.push(c);
                    }
                }
            }
            if field.chars().count() > MAX_FIELD {
                return Err(format!(
                    "line {start}: a field longer than {MAX_FIELD} characters"
                ));
            }
        }
        fields.push(field);
        if fields.len() == 1 && fields[0].is_empty() {
            continue; // an empty line
        }
        if out.len() > MAX_ROWS {
            return Err(format!("more than {MAX_ROWS} rows"));
        }
        out.push((start, fields));
    }
    Ok(out)
}

/// Parse an arena CSV.
///
/// # Errors
/// The lines that are wrong (at most a few are listed), or a malformed file.
pub fn parse_arena(text: &str) -> Result<Vec<ArenaRow>, ArenaError> {
    let recs = records(text.strip_prefix('\u{feff}').unwrap_or(text))
        .map_err(|e| ArenaError::Lines(vec![e]))?;
    let Some(((_, header), rows)) = recs.split_first() else {
        return Err(ArenaError::Lines(vec![
            "line 1: empty file (expected a header `model_a,model_b,winner[,judge][,item]`)".into(),
        ]));
    };
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let (Some(ca), Some(cb), Some(cw)) = (col("model_a"), col("model_b"), col("winner")) else {
        return Err(ArenaError::Lines(vec![format!(
            "line 1: the header needs columns model_a, model_b and winner (found: {})",
            crate::term::clean_field(&header.join(", "))
        )]));
    };
    let cj = col("judge");
    let ci = col("item").or_else(|| col("question_id"));
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    for (line, f) in rows {
        if errors.len() >= MAX_ERRORS {
            errors.push("… (more errors not listed)".to_owned());
            break;
        }
        if f.len() != header.len() {
            errors.push(format!(
                "line {line}: {} fields, the header has {}",
                f.len(),
                header.len()
            ));
            continue;
        }
        let get = |i: usize| f.get(i).map_or("", |s| s.trim());
        let (a, b, w) = (get(ca), get(cb), get(cw));
        if a.is_empty() || b.is_empty() {
            errors.push(format!(
                "line {line}: model_a and model_b must not be empty"
            ));
            continue;
        }
        if a == b {
            errors.push(format!(
                "line {line}: model_a and model_b are the same (`{}`)",
                crate::term::clean_field(a)
            ));
            continue;
        }
        let Some(winner) = Winner::parse(w) else {
            errors.push(format!(
                "line {line}: winner `{}` is not model_a, model_b, tie or tie (bothbad)",
                crate::term::clean_field(w)
            ));
            continue;
        };
        let judge = cj.map(get).filter(|s| !s.is_empty()).unwrap_or(ANONYMOUS);
        let item = ci.map(get).filter(|s| !s.is_empty()).map(str::to_owned);
        out.push(ArenaRow {
            line: *line,
            model_a: a.to_owned(),
            model_b: b.to_owned(),
            winner,
            judge: judge.to_owned(),
            item,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ArenaError::Lines(errors))
    }
}

/// The systems of `rows` in an order where, as far as possible, every `model_a` comes before
/// its `model_b` (ties broken by first appearance), after `known`. An export lists the
/// first-named system as `model_a`, so a re-import finds the study's order again.
fn system_order(known: &[String], rows: &[ArenaRow]) -> Vec<String> {
    let mut appearance: Vec<&str> = Vec::new();
    let mut seen: BTreeSet<&str> = known.iter().map(String::as_str).collect();
    for r in rows {
        for s in [r.model_a.as_str(), r.model_b.as_str()] {
            if seen.insert(s) {
                appearance.push(s);
            }
        }
    }
    let pos: HashMap<&str, usize> = appearance
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, i))
        .collect();
    let mut before: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); appearance.len()];
    for r in rows {
        if let (Some(&a), Some(&b)) = (pos.get(r.model_a.as_str()), pos.get(r.model_b.as_str())) {
            before[b].insert(a);
        }
    }
    let mut out: Vec<String> = known.to_vec();
    let mut placed = vec![false; appearance.len()];
    for _ in 0..appearance.len() {
        // The first unplaced system whose predecessors are placed; with a cycle, the first
        // unplaced one.
        let next = (0..appearance.len())
            .find(|&i| !placed[i] && before[i].iter().all(|&p| placed[p]))
            .or_else(|| (0..appearance.len()).find(|&i| !placed[i]));
        let Some(i) = next else { break };
        placed[i] = true;
        out.push(appearance[i].to_owned());
    }
    out
}

/// The session id an imported task shows for `system` (imported studies have no transcripts).
fn imported_session(system: &str) -> String {
    format!("arena:{system}")
}

/// What an import did.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub plan: JudgedPlan,
    pub created: bool,
    pub judgments: usize,
    pub judges: usize,
    pub new_tasks: usize,
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Study(String),
}

/// Add the judgments of `rows` to study `id` in `dir` (a new imported study when `dir` has no
/// `plan.json`; an existing one must be an imported pairwise study) and store them in `store`:
/// one finished `study_judgment` session per judge.
///
/// # Errors
/// An existing study that is not an imported pairwise one, a plan that cannot be written, or a
/// store that cannot be written.
pub fn import_arena(
    store: &Store,
    dir: &Path,
    id: &str,
    rows: &[ArenaRow],
    seed: u64,
    source: &str,
) -> Result<Imported, ImportError> {
    let plan_path = dir.join(crate::study::record::PLAN_FILE);
    let (mut plan, created) = if plan_path.is_file() {
        let text = crate::fsx::read_text(&plan_path, MAX_FILE)
            .map_err(|e| ImportError::Study(format!("{}: {e}", plan_path.display())))?;
        let plan: JudgedPlan = serde_json::from_str(&text).map_err(|e| {
            ImportError::Study(format!(
                "{}: not a pairwise or pointwise study plan ({e})",
                plan_path.display()
            ))
        })?;
        if !plan.imported || plan.kind != JudgedKind::Pairwise {
            return Err(ImportError::Study(format!(
                "study `{}` exists and was not made by an import: arena judgments go into a new or an imported pairwise study",
                plan.id
            )));
        }
        (plan, false)
    } else {
        (
            JudgedPlan {
                schema: JUDGED_SCHEMA,
                id: id.to_owned(),
                kind: JudgedKind::Pairwise,
                created: chrono::Utc::now(),
                study_sha256: String::new(),
                items: Vec::new(),
                systems: Vec::new(),
                question: None,
                rubric: None,
                tasks: Vec::new(),
                missing: Vec::new(),
                annotators: Vec::new(),
                per_unit: 1,
                min_seconds: 0,
                reason: ReasonRule::None,
                onboarding_pass: None,
                attention_max_failures: None,
                cap: None,
                seed,
                imported: true,
            },
            true,
        )
    };
    plan.systems = system_order(&plan.systems, rows);
    let rank: HashMap<&str, usize> = plan
        .systems
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut items: BTreeSet<String> = plan.items.iter().map(|i| i.id.clone()).collect();
    // (item, a, b) -> task id, for the tasks with an item.
    let mut tasks: HashMap<(String, String, String), String> = HashMap::new();
    for t in &plan.tasks {
        if let (Some(item), TaskBody::Pair { a, b, .. }) = (&t.item, &t.body)
            && let (Some(sa), Some(sb)) = (&a.system, &b.system)
        {
            tasks.insert((item.clone(), sa.clone(), sb.clone()), t.id.clone());
        }
    }
    let mut next = plan.tasks.len() + 1;
    let before = plan.tasks.len();
    let mut per_judge: BTreeMap<&str, Vec<EventBody>> = BTreeMap::new();
    let mut judges_per_task: HashMap<String, BTreeSet<&str>> = HashMap::new();
    for r in rows {
        let ra = rank.get(r.model_a.as_str()).copied().unwrap_or(0);
        let rb = rank.get(r.model_b.as_str()).copied().unwrap_or(0);
        // The task's `a` is the first-named system; a row naming them the other way round is
        // turned around.
        let (a, b, winner) = if ra <= rb {
            (&r.model_a, &r.model_b, r.winner)
        } else {
            let w = match r.winner {
                Winner::ModelA => Winner::ModelB,
                Winner::ModelB => Winner::ModelA,
                other => other,
            };
            (&r.model_b, &r.model_a, w)
        };
        let mut new_task = |item: Option<String>| {
            let tid = format!("t{next:05}");
            next += 1;
            plan.tasks.push(Task {
                id: tid.clone(),
                kind: TaskKind::Real,
                item,
                body: TaskBody::Pair {
                    a: Shown {
                        system: Some(a.clone()),
                        session: imported_session(a),
                    },
                    b: Shown {
                        system: Some(b.clone()),
                        session: imported_session(b),
                    },
                    better: None,
                },
            });
            tid
        };
        let tid = match &r.item {
            Some(item) => {
                if items.insert(item.clone()) {
                    plan.items.push(JudgedItem {
                        id: item.clone(),
                        kind: ItemKind::CrCase,
                        sha256: String::new(),
                        title: String::new(),
                        file: None,
                    });
                }
                let key = (item.clone(), a.clone(), b.clone());
                if let Some(t) = tasks.get(&key) {
                    t.clone()
                } else {
                    let t = new_task(Some(item.clone()));
                    tasks.insert(key, t.clone());
                    t
                }
            }
            None => new_task(None),
        };
        let choice = match winner {
            Winner::ModelA => JudgmentChoice::Left,
            Winner::ModelB => JudgmentChoice::Right,
            Winner::Tie => JudgmentChoice::Tie,
            Winner::BothBad => JudgmentChoice::BothBad,
        };
        judges_per_task
            .entry(tid.clone())
            .or_default()
            .insert(r.judge.as_str());
        per_judge
            .entry(r.judge.as_str())
            .or_default()
            .push(rec::judgment(
                &tid,
                &imported_session(a),
                &imported_session(b),
                choice,
                "",
                0,
            ));
    }
    let widest = judges_per_task
        .values()
        .map(BTreeSet::len)
        .max()
        .unwrap_or(1);
    plan.per_unit = plan.per_unit.max(u32::try_from(widest).unwrap_or(u32::MAX));
    let mut annotators: BTreeSet<String> = plan.annotators.iter().cloned().collect();
    annotators.extend(per_judge.keys().map(|s| (*s).to_owned()));
    plan.annotators = annotators.into_iter().collect();

    std::fs::create_dir_all(dir)
        .map_err(|e| ImportError::Study(format!("{}: {e}", dir.display())))?;
    let json =
        crate::term::to_json_pretty(&plan).map_err(|e| ImportError::Study(format!("plan: {e}")))?;
    write_atomic(&plan_path, json.as_bytes())?;
    let hash = ScriptRef::hash_of(json.as_bytes());
    let judges = per_judge.len();
    let mut judgments = 0;
    for (judge, events) in per_judge {
        let mut new = NewSession::new(
            SessionKind::StudyJudgment,
            ScriptRef {
                id: plan.id.clone(),
                hash: hash.clone(),
            },
            Who::annotator(judge),
            plan.seed,
        );
        new.meta = serde_json::json!({ "study": plan.id, "imported_from": source });
        let s = store.create(new)?;
        judgments += events.len();
        let mut events = events;
        while !events.is_empty() {
            let rest = events.split_off(events.len().min(10_000));
            store.append_batch(s.id, events)?;
            events = rest;
        }
        store.set_status(s.id, Status::Finished, None)?;
    }
    store.flush()?;
    Ok(Imported {
        new_tasks: plan.tasks.len() - before,
        plan,
        created,
        judgments,
        judges,
    })
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ImportError> {
    crate::fsx::write_file_atomic(path, |w| {
        w.write_all(bytes)
            .map_err(|e| crate::fsx::WriteError::io(path, e))
    })
    .map_err(|e| ImportError::Study(e.to_string()))
}

/// One line of a dialogue in the ACUTE export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Utterance {
    id: String,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct DialogueDict {
    speaker: String,
    session: String,
    dialogue: Vec<Utterance>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct AcuteLine<'a> {
    study: &'a str,
    task: &'a str,
    item: Option<&'a str>,
    judge: &'a str,
    speakers_to_eval: [&'a str; 2],
    outcome: &'static str,
    winner: Option<&'a str>,
    reason: Option<&'a str>,
    dialogue_dicts: [DialogueDict; 2],
}

/// The turns of a stored transcript (see [`super::transcript`]): a CR dialogue's turns, or a
/// world-tree walk told from the study's copy of its tree. Speaker ids are the roles
/// (`client`, `therapist`), a tree's character names, `narrator`, `scenario`, `goal`,
/// `prompt` (an IAE question) and `note`; a choice is its speaker's (`chose` when the tree
/// does not tell).
fn dialogue(
    dir: &Path,
    session: &str,
    trees: &HashMap<String, WorldTree>,
) -> Result<Vec<Utterance>, String> {
    let path = dir.join(TRANSCRIPTS_DIR).join(format!("{session}.json"));
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = crate::fsx::read_text(&path, TRANSCRIPT_LIMIT)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let record: SessionRecord =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let tree = trees.get(&record.session.script.id);
    Ok(super::transcript::turns(&record, tree)
        .into_iter()
        .map(|t| {
            let id = match t.who {
                Speaker::Client => "client".to_owned(),
                Speaker::Therapist => "therapist".to_owned(),
                Speaker::Other(name) | Speaker::Character(name) | Speaker::Chose(Some(name)) => {
                    name
                }
                Speaker::Scenario => "scenario".to_owned(),
                Speaker::Goal(_) => "goal".to_owned(),
                Speaker::Narrator | Speaker::Enters => "narrator".to_owned(),
                Speaker::Prompt => "prompt".to_owned(),
                Speaker::Chose(None) => "chose".to_owned(),
                Speaker::Stopped => {
                    return Utterance {
                        id: "note".to_owned(),
                        text: "the walk stopped before reaching an ending".to_owned(),
                    };
                }
            };
            let text = if t.cut {
                format!("{} [cut off]", t.text.trim_end())
            } else {
                t.text
            };
            Utterance { id, text }
        })
        .collect())
}

/// The ACUTE-Eval JSONL export of counted judgments, with the transcripts of `dir`.
///
/// # Errors
/// A transcript that cannot be read or decoded.
pub fn acute_jsonl(plan: &JudgedPlan, dir: &Path, counted: &[Counted]) -> Result<String, String> {
    let tasks: HashMap<&str, &Task> = plan.tasks.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut cache: HashMap<String, Vec<Utterance>> = HashMap::new();
    let mut trees: HashMap<String, WorldTree> = HashMap::new();
    for item in &plan.items {
        if let Some(tree) = super::judged_record::item_tree(dir, item).map_err(|e| e.to_string())? {
            trees.insert(item.id.clone(), tree);
        }
    }
    let mut out = String::new();
    for c in counted {
        let Some(TaskBody::Pair { a, b, .. }) = tasks.get(c.task.as_str()).map(|t| &t.body) else {
            continue;
        };
        let mut dict = |system: &str, shown: &Shown| -> Result<DialogueDict, String> {
            let d = match cache.get(&shown.session) {
                Some(d) => d.clone(),
                None => {
                    let d = dialogue(dir, &shown.session, &trees)?;
                    cache.insert(shown.session.clone(), d.clone());
                    d
                }
            };
            Ok(DialogueDict {
                speaker: system.to_owned(),
                session: shown.session.clone(),
                dialogue: d,
            })
        };
        let da = dict(&c.a, a)?;
        let db = dict(&c.b, b)?;
        let (outcome, winner) = match (c.outcome, c.both_bad) {
            (Outcome::A, _) => ("a", Some(c.a.as_str())),
            (Outcome::B, _) => ("b", Some(c.b.as_str())),
            (Outcome::Tie, true) => ("both_bad", None),
            (Outcome::Tie, false) => ("tie", None),
        };
        let line = AcuteLine {
            study: &plan.id,
            task: &c.task,
            item: c.item.as_deref(),
            judge: &c.annotator,
            speakers_to_eval: [&c.a, &c.b],
            outcome,
            winner,
            reason: c.reason.as_deref(),
            dialogue_dicts: [da, db],
        };
        let json = crate::term::to_json(&line).map_err(|e| e.to_string())?;
        out.push_str(&json);
        out.push('\n');
    }
    Ok(out)
}
