//! The checks of a study that need only its file.

use super::model::{Study, StudyBody};
use crate::script::diag::Diagnostic;

/// Problems of a decoded study: blank id, no trees, no annotators, duplicate or blank
/// annotators, `k` larger than the number of annotators.
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
            if b.annotators.is_empty() {
                out.push(Diagnostic::error(
                    b.annotators_span,
                    "`annotators` is empty: a study needs at least one annotator",
                ));
            }
            for (i, a) in b.annotators.iter().enumerate() {
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
                if let Some(first) = b.annotators[..i].iter().find(|p| p.id == a.id) {
                    out.push(Diagnostic::error(
                        a.span,
                        format!(
                            "duplicate annotator `{}` (first at line {})",
                            a.id, first.span.line
                        ),
                    ));
                }
            }
            let mut ids: Vec<&str> = b.annotators.iter().map(|a| a.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            let n = ids.len();
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
    }
    out
}
