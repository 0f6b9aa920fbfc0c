//! Study plans (`kind: study`): which trees, modes and annotators a human study covers.
//!
//! - `model.rs`: the types; `decode.rs`: YAML shape → model (the `type` picks the body, so
//!   `pairwise` and `pointwise` plans can be added next to `baseline`); `validate.rs`: the
//!   checks that need only the file (k against the annotators, duplicates);
//! - `resolve.rs`: the checks that need the file system (tree paths relative to the study
//!   file, filters over folders), used by `socius check` and `socius study new`.

pub mod decode;
pub mod model;
pub mod resolve;
pub mod validate;

pub use model::{Baseline, Study, StudyBody, StudyMode, TreeSource};
pub use resolve::{Resolved, ResolvedTree, cross_check, resolve};

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
    })
}
