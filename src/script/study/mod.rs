//! Study plans (`kind: study`): which trees, modes and annotators a human study covers.
//!
//! - `model.rs`: the types; `decode.rs`: YAML shape → model (the `type` picks the body:
//!   `baseline`, or `pairwise` / `pointwise`, whose keys `judged.rs` decodes); `validate.rs`:
//!   the checks that need only the file (k against the annotators, duplicates, the rubric);
//! - `resolve.rs`: the checks that need the file system (tree paths relative to the study
//!   file, filters over folders), used by `socius check` and `socius study new`.

pub mod decode;
mod judged;
pub mod model;
pub mod resolve;
pub mod validate;

pub use model::{
    Baseline, Judged, Pairwise, Pointwise, Study, StudyBody, StudyMode, System, SystemSource,
    TreeSource,
};
pub use resolve::{Resolved, ResolvedItem, ResolvedTree, cross_check, resolve};

use crate::script::load::Script;

/// One line about a study for `socius check`.
#[must_use]
pub fn describe(script: &Script) -> Option<String> {
    let Script::Study(s) = script else {
        return None;
    };
    Some(match &s.body {
        StudyBody::Baseline(b) => format!(
            "study `{}` (baseline, {}): {} annotator{}, k = {}, {} tree source{}, {} training source{}",
            s.id,
            b.mode.name(),
            b.annotators.len(),
            if b.annotators.len() == 1 { "" } else { "s" },
            b.k,
            b.trees.len(),
            if b.trees.len() == 1 { "" } else { "s" },
            b.training.len(),
            if b.training.len() == 1 { "" } else { "s" },
        ),
        StudyBody::Pairwise(p) => format!(
            "study `{}` (pairwise): {}, {} judgment{} per pair",
            s.id,
            judged_line(&p.judged),
            p.judged.per_unit,
            if p.judged.per_unit == 1 { "" } else { "s" },
        ),
        StudyBody::Pointwise(p) => format!(
            "study `{}` (pointwise): {}, {} rating{} per transcript, {} rubric item{}",
            s.id,
            judged_line(&p.judged),
            p.judged.per_unit,
            if p.judged.per_unit == 1 { "" } else { "s" },
            p.rubric.items.len(),
            if p.rubric.items.len() == 1 { "" } else { "s" },
        ),
    })
}

fn judged_line(j: &Judged) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    format!(
        "{} system{}, {} annotator{}, {} item source{}",
        j.systems.len(),
        plural(j.systems.len()),
        j.annotators.len(),
        plural(j.annotators.len()),
        j.items.len(),
        plural(j.items.len()),
    )
}
