//! The checks of a study that need only its file.

use super::model::{Annotator, Judged, Known, Rubric, Study, StudyBody};
use crate::script::diag::Diagnostic;
use crate::script::model::Span;

/// Problems of a decoded study: blank id, no trees or items, no annotators, duplicate or blank
/// annotators, `k` (or judgments per pair, ratings per transcript) larger than the number of
/// annotators, too few or duplicate systems, an empty question, a rubric that does not hold
/// together, known-answer items that contradict themselves.
#[must_use]
pub fn validate(study: &Study) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if study.id.trim().is_empty() {
        out.push(Diagnostic::error(study.id_span, "the study `id` is empty"));
    } else if study.id.contains(['/', '\\']) || study.id.starts_with('.') {
        out.push(Diagnostic::error(
            study.id_span,
            format!(
                "the study id `{}` names a folder of the studies directory: no `/`, `\\` or leading `.`",
                study.id
            ),
        ));
    }
    match &study.body {
        StudyBody::Baseline(b) => {
            if b.trees.is_empty() {
                out.push(Diagnostic::error(
                    b.trees_span,
                    "`trees` is empty: a study needs at least one tree",
                ));
            }
            let n = annotators(&b.annotators, b.annotators_span, &mut out);
            if !b.annotators.is_empty() && b.k as usize > n {
                out.push(Diagnostic::error(
                    b.k_span,
                    format!(
                        "k = {} but there {} only {n} distinct annotator{}: each tree needs k distinct annotators",
                        b.k,
                        if n == 1 { "is" } else { "are" },
                        if n == 1 { "" } else { "s" }
                    ),
                ));
            }
        }
        StudyBody::Pairwise(p) => {
            judged(&p.judged, true, &mut out);
            if p.question.trim().is_empty() {
                out.push(Diagnostic::error(
                    p.question_span,
                    "`question` is empty: say what the annotator answers",
                ));
            }
            for k in known(&p.judged) {
                if let Known::Pair {
                    better,
                    worse,
                    span,
                } = k
                {
                    if better.trim().is_empty() || worse.trim().is_empty() {
                        out.push(Diagnostic::error(*span, "a session id is empty"));
                    } else if better == worse {
                        out.push(Diagnostic::error(
                            *span,
                            format!("`better` and `worse` are the same session `{better}`"),
                        ));
                    }
                }
            }
        }
        StudyBody::Pointwise(p) => {
            judged(&p.judged, false, &mut out);
            rubric(&p.rubric, &mut out);
            for k in known(&p.judged) {
                let Known::Rating {
                    session,
                    expect,
                    span,
                } = k
                else {
                    continue;
                };
                if session.trim().is_empty() {
                    out.push(Diagnostic::error(*span, "a session id is empty"));
                }
                for (item, lo, hi, at) in expect {
                    match p.rubric.items.iter().find(|i| i.id == *item) {
                        None => out.push(Diagnostic::error(
                            *at,
                            format!(
                                "`{item}` is not an item of the rubric (items: {})",
                                p.rubric
                                    .items
                                    .iter()
                                    .map(|i| i.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )),
                        Some(i) if *lo < i.scale.0 || *hi > i.scale.1 => {
                            out.push(Diagnostic::error(
                                *at,
                                format!(
                                    "the expected rating of `{item}` is outside its scale {}..{}",
                                    i.scale.0, i.scale.1
                                ),
                            ));
                        }
                        Some(_) => {}
                    }
                }
            }
        }
    }
    out
}

/// Checks the annotators; returns how many distinct ids there are.
fn annotators(list: &[Annotator], span: Span, out: &mut Vec<Diagnostic>) -> usize {
    if list.is_empty() {
        out.push(Diagnostic::error(
            span,
            "`annotators` is empty: a study needs at least one annotator",
        ));
    }
    for (i, a) in list.iter().enumerate() {
        if a.id.trim().is_empty() {
            out.push(Diagnostic::error(a.span, "an annotator id is empty"));
        } else if a.id.contains(['/', '\\']) || a.id.starts_with('.') {
            out.push(Diagnostic::error(
                a.span,
                format!(
                    "annotator id `{}` must not hold `/`, `\\` or start with `.` (it names a file)",
                    a.id
                ),
            ));
        }
        if let Some(first) = list[..i].iter().find(|p| p.id == a.id) {
            out.push(Diagnostic::error(
                a.span,
                format!(
                    "duplicate annotator `{}` (first at line {})",
                    a.id, first.span.line
                ),
            ));
        }
    }
    let mut ids: Vec<&str> = list.iter().map(|a| a.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

fn known(j: &Judged) -> impl Iterator<Item = &Known> {
    j.onboarding
        .iter()
        .flat_map(|o| o.items.iter())
        .chain(j.attention.iter().flat_map(|a| a.items.iter()))
}

fn judged(j: &Judged, pairwise: bool, out: &mut Vec<Diagnostic>) {
    if j.items.is_empty() {
        out.push(Diagnostic::error(
            j.items_span,
            "`items` is empty: a study needs at least one item (a world tree or a CR case)",
        ));
    }
    let need = if pairwise { 2 } else { 1 };
    if j.systems.len() < need {
        out.push(Diagnostic::error(
            j.systems_span,
            if pairwise {
                "a pairwise study needs at least two systems to compare"
            } else {
                "a pointwise study needs at least one system"
            },
        ));
    }
    for (i, s) in j.systems.iter().enumerate() {
        if s.name.trim().is_empty() {
            out.push(Diagnostic::error(s.span, "a system's `name` is empty"));
        }
        if let Some(first) = j.systems[..i].iter().find(|p| p.name == s.name) {
            out.push(Diagnostic::error(
                s.span,
                format!(
                    "duplicate system name `{}` (first at line {})",
                    s.name, first.span.line
                ),
            ));
        }
    }
    let n = annotators(&j.annotators, j.annotators_span, out);
    if !j.annotators.is_empty() && j.per_unit as usize > n {
        out.push(Diagnostic::error(
            j.per_unit_span,
            format!(
                "{} = {} but there {} only {n} distinct annotator{}",
                if pairwise {
                    "judgments_per_pair"
                } else {
                    "ratings_per_transcript"
                },
                j.per_unit,
                if n == 1 { "is" } else { "are" },
                if n == 1 { "" } else { "s" }
            ),
        ));
    }
    let checks = j.onboarding.as_ref().map_or(0, |o| o.items.len())
        + j.attention.as_ref().map_or(0, |a| a.items.len());
    if let Some(cap) = j.cap
        && (cap as usize) <= checks
    {
        out.push(Diagnostic::error(
            j.cap_span,
            format!(
                "`cap` = {cap} leaves no room for real judgments after the {checks} onboarding and attention items"
            ),
        ));
    }
}

/// Points a rubric may have at most (a 0..10 scale).
const MAX_POINTS: i64 = 11;

fn rubric(r: &Rubric, out: &mut Vec<Diagnostic>) {
    if r.items.is_empty() {
        out.push(Diagnostic::error(
            r.span,
            "the rubric has no items: a pointwise study rates at least one",
        ));
    }
    for (i, item) in r.items.iter().enumerate() {
        if item.id.trim().is_empty() {
            out.push(Diagnostic::error(
                item.span,
                "a rubric item's `id` is empty",
            ));
        }
        if let Some(first) = r.items[..i].iter().find(|p| p.id == item.id) {
            out.push(Diagnostic::error(
                item.span,
                format!(
                    "duplicate rubric item `{}` (first at line {})",
                    item.id, first.span.line
                ),
            ));
        }
        if item.question.trim().is_empty() {
            out.push(Diagnostic::error(
                item.span,
                format!("rubric item `{}` has an empty `question`", item.id),
            ));
        }
        let (lo, hi) = item.scale;
        if lo >= hi {
            out.push(Diagnostic::error(
                item.scale_span,
                format!("the scale must go up: [{lo}, {hi}]"),
            ));
            continue;
        }
        if hi.saturating_sub(lo).saturating_add(1) > MAX_POINTS {
            out.push(Diagnostic::error(
                item.scale_span,
                format!(
                    "a Likert scale of {} points is too long (at most {MAX_POINTS})",
                    hi.saturating_sub(lo).saturating_add(1)
                ),
            ));
        }
        for (k, (point, label, span)) in item.anchors.iter().enumerate() {
            if *point < lo || *point > hi {
                out.push(Diagnostic::error(
                    *span,
                    format!("anchor {point} is outside the scale [{lo}, {hi}]"),
                ));
            }
            if label.trim().is_empty() {
                out.push(Diagnostic::error(
                    *span,
                    format!("anchor {point} has no label"),
                ));
            }
            if item.anchors[..k].iter().any(|(p, _, _)| p == point) {
                out.push(Diagnostic::error(
                    *span,
                    format!("anchor {point} is given twice"),
                ));
            }
        }
        for end in [lo, hi] {
            if !item.anchors.iter().any(|(p, _, _)| *p == end) {
                out.push(Diagnostic::error(
                    item.anchors_span,
                    format!(
                        "rubric item `{}` needs a label for point {end} (both ends of the scale are labelled)",
                        item.id
                    ),
                ));
            }
        }
    }
}
