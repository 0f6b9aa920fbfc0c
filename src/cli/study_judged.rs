//! `socius study new|export-assignment|status|run` for pairwise and pointwise studies (see
//! `study::judged` for the layout and how judgments are stored).

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use super::study::{RunArgs, StatusArgs};
use super::{CmdResult, Failure, Globals, StoreArg};
use crate::session::{Session, SessionId, SessionKind, SessionRecord, Status, Who};
use crate::store::{Filter, Store};
use crate::study::judged::{JUDGED_SCHEMA, JudgedKind, TaskKind};
use crate::study::judged_record::{self, JudgedQueue};
use crate::study::judged_status::{answers, progress};
use crate::tui::judge::{JudgeScreen, JudgeSink};

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

const fn type_name(kind: JudgedKind) -> &'static str {
    match kind {
        JudgedKind::Pairwise => "pairwise",
        JudgedKind::Pointwise => "pointwise",
    }
}

/// `study new` for a pairwise or pointwise file.
pub fn new(globals: &Globals, file: &Path, out: &Path) -> CmdResult {
    let dir = globals.store_dir();
    if !dir.exists() {
        return Err(Failure::Error(format!(
            "{}: no such store directory (a {} study shows stored sessions; give --store)",
            dir.display(),
            "pairwise or pointwise"
        )));
    }
    let store = Store::open_for_reading(&dir)?;
    // The missing (item, system) are said even when nothing can be compared.
    let reg = match judged_record::register_judged(file, out, &store) {
        Ok(r) => r,
        Err(judged_record::JudgedError::Plan(e)) => {
            return Err(Failure::Error(format!("{}: {e}", file.display())));
        }
        Err(e) => return Err(e.into()),
    };
    let p = &reg.plan;
    let count = |k: TaskKind| p.tasks.iter().filter(|t| t.kind == k).count();
    let mut text = format!(
        "registered study `{}` ({}, {} {}, seed {}) in {}\n  {} item{}, {} system{}, {} task{} ({} onboarding, {} attention check{}), {} annotator{}\n",
        p.id,
        type_name(p.kind),
        p.per_unit,
        match (p.kind, p.per_unit) {
            (JudgedKind::Pairwise, 1) => "judgment per pair",
            (JudgedKind::Pairwise, _) => "judgments per pair",
            (JudgedKind::Pointwise, 1) => "rating per transcript",
            (JudgedKind::Pointwise, _) => "ratings per transcript",
        },
        p.seed,
        reg.dir.display(),
        p.items.len(),
        plural(p.items.len()),
        p.systems.len(),
        plural(p.systems.len()),
        count(TaskKind::Real),
        plural(count(TaskKind::Real)),
        count(TaskKind::Onboarding),
        count(TaskKind::Attention),
        plural(count(TaskKind::Attention)),
        p.annotators.len(),
        plural(p.annotators.len()),
    );
    for m in &p.missing {
        let _ = writeln!(text, "  {}", judged_record::missing_line(m));
    }
    if reg.dropped > 0 {
        let _ = writeln!(
            text,
            "  note: {} finished session{} ended early (dropped walks: no valid answer, a dead \
             end) and {} not shown",
            reg.dropped,
            plural(reg.dropped),
            if reg.dropped == 1 { "is" } else { "are" }
        );
    }
    if reg.short > 0 {
        let _ = writeln!(
            text,
            "  note: the cap leaves {} judgment{} unassigned",
            reg.short,
            plural(reg.short)
        );
    }
    for a in &reg.assignments {
        let _ = writeln!(
            text,
            "  {}: {} task{} → {}",
            a.annotator,
            a.tasks.len(),
            plural(a.tasks.len()),
            reg.dir
                .join(crate::study::record::ASSIGNMENTS_DIR)
                .join(format!("{}.json", a.annotator))
                .display()
        );
    }
    out!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// `study export-assignment` for a pairwise or pointwise study.
pub fn export(dir: &Path, annotator: &str, out: &Path) -> CmdResult {
    let reg = judged_record::open_judged(dir)?;
    let (tasks, transcripts, items) = judged_record::export_judged(&reg, annotator, out)?;
    outln!(
        "wrote {}: the assignment of `{annotator}` in study `{}` ({tasks} task{}), {transcripts} transcript{} and {items} item file{}",
        out.display(),
        reg.plan.id,
        plural(tasks),
        plural(transcripts),
        plural(items)
    );
    Ok(ExitCode::SUCCESS)
}

/// Every judgment session of study `study` in `store`, with events.
fn judgment_records(store: &Store, study: &str) -> Result<Vec<SessionRecord>, Failure> {
    let mut out = Vec::new();
    for kind in [SessionKind::StudyJudgment, SessionKind::StudyRating] {
        let filter = Filter {
            kind: Some(kind),
            script: Some(study.to_owned()),
            ..Filter::default()
        };
        for s in store.list_headers(&filter)? {
            out.push(store.record(s.id)?);
        }
    }
    Ok(out)
}

/// `study status` for a pairwise or pointwise study.
pub fn status(globals: &Globals, args: &StatusArgs, dir: &Path) -> CmdResult {
    let reg = judged_record::open_judged(dir)?;
    let stores = if args.store.is_empty() {
        vec![globals.store_dir()]
    } else {
        args.store.clone()
    };
    let mut records: Vec<SessionRecord> = Vec::new();
    for d in &stores {
        if !d.exists() {
            errln!(
                "socius: warning: {}: no such store directory (counted as no sessions)",
                d.display()
            );
            continue;
        }
        let store = Store::open_for_reading(d)?;
        for r in judgment_records(&store, &reg.plan.id)? {
            if !records.iter().any(|x| x.session.id == r.session.id) {
                records.push(r);
            }
        }
    }
    let prog = progress(&reg.plan, &reg.assignments, &records);
    let done: usize = prog.iter().map(|p| p.done).sum();
    let total: usize = prog.iter().map(|p| p.total).sum();
    if args.json {
        let report = serde_json::json!({
            "schema": JUDGED_SCHEMA,
            "study": reg.plan.id,
            "type": type_name(reg.plan.kind),
            "stores": stores,
            "done": done,
            "total": total,
            "annotators": prog,
        });
        outln!("{}", crate::term::to_json_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!(
        "study `{}` ({}): {done}/{total} tasks done\n",
        reg.plan.id,
        type_name(reg.plan.kind)
    );
    for p in &prog {
        let _ = write!(
            text,
            "{}: {} done, {} not done",
            p.annotator,
            p.done,
            p.total - p.done
        );
        if p.onboarding_total > 0 {
            let _ = write!(
                text,
                "; onboarding {} ({}/{} right)",
                p.onboarding.name(),
                p.onboarding_right,
                p.onboarding_total
            );
        }
        if p.attention_answered > 0 {
            let _ = write!(
                text,
                "; attention checks failed {}/{}",
                p.attention_failed, p.attention_answered
            );
            if reg
                .plan
                .attention_max_failures
                .is_some_and(|m| p.attention_failed > m as usize)
            {
                text.push_str(" (excluded)");
            }
        }
        text.push('\n');
        if !p.not_done.is_empty() {
            let _ = writeln!(text, "  not done: {}", p.not_done.join(", "));
        }
    }
    out!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// Writes judgments into the annotator's open judgment session of the study (made on the
/// first answer), flushing each batch.
pub struct StoreSink {
    store: Store,
    session: Option<SessionId>,
    pairwise: bool,
    study: String,
    plan_sha256: String,
    annotator: String,
}

impl std::fmt::Debug for StoreSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSink")
            .field("session", &self.session)
            .field("study", &self.study)
            .finish_non_exhaustive()
    }
}

impl StoreSink {
    /// A sink over `store` for `annotator` in `queue`'s study: resumes their open session of
    /// the study when there is one.
    ///
    /// # Errors
    /// The store cannot be read.
    pub fn open(store: Store, queue: &JudgedQueue, annotator: &str) -> Result<Self, Failure> {
        let who = Who::annotator(annotator);
        let open: Vec<Session> = store.resumable(Some(&queue.plan.id), Some(&who))?;
        let kind = match queue.plan.kind {
            JudgedKind::Pairwise => SessionKind::StudyJudgment,
            JudgedKind::Pointwise => SessionKind::StudyRating,
        };
        let session = open
            .iter()
            .rev()
            .find(|s| s.kind == kind && s.script.hash == queue.plan_sha256)
            .map(|s| s.id);
        Ok(Self {
            store,
            session,
            pairwise: queue.plan.kind == JudgedKind::Pairwise,
            study: queue.plan.id.clone(),
            plan_sha256: queue.plan_sha256.clone(),
            annotator: annotator.to_owned(),
        })
    }
}

impl JudgeSink for StoreSink {
    fn record(&mut self, events: Vec<crate::session::EventBody>) -> Result<(), String> {
        let id = match self.session {
            Some(id) => id,
            None => {
                let new = crate::driver::records::study::judged_session(
                    self.pairwise,
                    &self.study,
                    &self.plan_sha256,
                    &self.annotator,
                );
                let s = self.store.create(new).map_err(|e| e.to_string())?;
                self.session = Some(s.id);
                s.id
            }
        };
        self.store
            .append_batch(id, events)
            .map_err(|e| e.to_string())?;
        self.store.flush().map_err(|e| e.to_string())
    }

    fn finish(&mut self) -> Result<(), String> {
        if let Some(id) = self.session.take() {
            self.store
                .set_status(id, Status::Finished, None)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// The annotator's answers so far in `store`.
///
/// # Errors
/// The store cannot be read.
pub fn stored_answers(
    store: &Store,
    queue: &JudgedQueue,
    annotator: &str,
) -> Result<std::collections::BTreeMap<String, crate::study::judged_status::Answer>, Failure> {
    let records = judgment_records(store, &queue.plan.id)?;
    Ok(answers(&queue.plan, annotator, &records))
}

/// `study run` for a pairwise or pointwise study (a registered folder or an exported one).
pub fn run(globals: &Globals, args: &RunArgs, dir: &Path) -> CmdResult {
    let queue = judged_record::open_judged_queue(dir, &args.annotator)?;
    let globals = globals.with(&StoreArg::default(), Some(&args.ui), None);
    let lang = crate::tui::i18n::Lang::pick(globals.lang.as_deref());
    let store = Store::open(globals.store_dir())?;
    let answers = stored_answers(&store, &queue, &args.annotator)?;
    let sink = StoreSink::open(store, &queue, &args.annotator)?;
    let mut screen = JudgeScreen::new(queue, answers, lang, Box::new(sink), Instant::now());
    let signal = crate::tui::judge::run_terminal(&mut screen)
        .map_err(|e| Failure::Error(format!("terminal: {e}")))?;
    if let Some(sig) = signal {
        errln!(
            "socius: stopped by {}; every answer given was already saved, and `socius study \
             run` goes on at the first task without one",
            super::play::signal_name(sig)
        );
        return Ok(ExitCode::from(u8::try_from(128 + sig).unwrap_or(1)));
    }
    Ok(ExitCode::SUCCESS)
}
