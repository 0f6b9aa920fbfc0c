//! CRDial scripts: the protocol (`kind: cr_protocol`), cases (`kind: cr_case`) and red-team
//! files (`kind: cr_redteam`), decoded by the common loader with positioned diagnostics, and
//! the pure safety screen over a protocol's lexicon.
//!
//! - `model.rs`: the types; `decode.rs`, `decode_protocol.rs`: YAML shape → model;
//!   `validate.rs`: ids, references, stage order, languages, and the checks across files;
//! - `safety.rs`: the lexicon matcher (no I/O);
//! - here: the bundled protocol, loading a protocol file, and [`cross_check`] for
//!   `socius check` (cases and red-team files against the protocol they are used with).

pub mod decode;
pub mod decode_protocol;
pub mod model;
pub mod safety;
pub mod validate;

use std::path::Path;
use std::sync::OnceLock;

pub use model::{CrCase, CrProtocol, RedTeam, StageId};
pub use safety::{Screen, Screener, Verdict};

use crate::script::diag::Diagnostic;
use crate::script::load::{Loaded, Script, load_file, load_str};

/// The bundled protocol's file name (under `scripts/cr/` in the source tree).
pub const BUNDLED_PROTOCOL_FILE: &str = "crdial.yaml";

/// The bundled protocol's text, compiled into the binary.
pub const BUNDLED_PROTOCOL: &str = include_str!("../../../scripts/cr/crdial.yaml");

/// Why a protocol could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The file has errors (or could not be read); the first few, rendered.
    #[error("{file} has errors (run `socius check {file}`):{}", render_list(.errors, *.more))]
    Invalid {
        file: String,
        errors: Vec<String>,
        more: usize,
    },
    /// The file holds another kind of script.
    #[error("{file} is a {kind} script, not a cr_protocol")]
    NotAProtocol { file: String, kind: &'static str },
}

fn render_list(errors: &[String], more: usize) -> String {
    let mut out = String::new();
    for e in errors {
        out.push_str("\n  ");
        out.push_str(e);
    }
    if more > 0 {
        out.push_str(&format!("\n  … and {more} more"));
    }
    out
}

/// How many errors a [`ProtocolError::Invalid`] shows.
const SHOWN_ERRORS: usize = 5;

fn protocol_of(loaded: Loaded, file: &str) -> Result<CrProtocol, ProtocolError> {
    if loaded.has_errors() {
        let errors: Vec<&Diagnostic> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
        return Err(ProtocolError::Invalid {
            file: file.to_owned(),
            more: errors.len().saturating_sub(SHOWN_ERRORS),
            errors: errors
                .iter()
                .take(SHOWN_ERRORS)
                .map(|d| d.render(file))
                .collect(),
        });
    }
    match loaded.script {
        Some(Script::CrProtocol(p)) => Ok(*p),
        Some(other) => Err(ProtocolError::NotAProtocol {
            file: file.to_owned(),
            kind: other.kind().name(),
        }),
        None => Err(ProtocolError::Invalid {
            file: file.to_owned(),
            errors: Vec::new(),
            more: 0,
        }),
    }
}

/// Load a protocol file; it must hold a `cr_protocol` without errors (warnings are fine).
///
/// # Errors
/// The file cannot be read, has errors, or is another kind of script.
pub fn load_protocol(path: &Path) -> Result<CrProtocol, ProtocolError> {
    protocol_of(load_file(path), &path.display().to_string())
}

/// The bundled protocol, decoded once.
///
/// # Errors
/// Only if the bundled file is broken (a bug: a test keeps it valid).
pub fn bundled_protocol() -> Result<&'static CrProtocol, ProtocolError> {
    static BUNDLED: OnceLock<Result<CrProtocol, ProtocolError>> = OnceLock::new();
    BUNDLED
        .get_or_init(|| {
            let (script, diagnostics, summary) = load_str(BUNDLED_PROTOCOL);
            let loaded = Loaded {
                path: BUNDLED_PROTOCOL_FILE.into(),
                script,
                diagnostics,
                summary,
                hash: crate::script::content_hash(BUNDLED_PROTOCOL.as_bytes()),
            };
            protocol_of(loaded, BUNDLED_PROTOCOL_FILE)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The protocol a case or red-team file is checked with, and how messages name it.
enum Chosen<'a> {
    Use(&'a CrProtocol, String),
    Skip(Diagnostic),
}

/// Pick the protocol for a file that names `wanted` (or nothing): a protocol among the files
/// checked, else the bundled one.
fn choose<'a>(
    wanted: Option<&model::IdRef>,
    given: &'a [(String, CrProtocol)],
    broken: &[String],
    bundled: Option<&'a CrProtocol>,
    at: crate::script::model::Span,
    what: &str,
) -> Chosen<'a> {
    let bundled_name = |p: &CrProtocol| format!("the bundled protocol `{}`", p.id);
    match wanted {
        Some(w) => {
            if let Some((file, p)) = given.iter().find(|(_, p)| p.id == w.id) {
                return Chosen::Use(p, format!("protocol `{}` ({file})", p.id));
            }
            if broken.contains(&w.id) {
                return Chosen::Skip(Diagnostic::warning(
                    w.span,
                    format!(
                        "protocol `{}` has errors; {what} not checked against it",
                        w.id
                    ),
                ));
            }
            match bundled.filter(|b| b.id == w.id) {
                Some(b) => Chosen::Use(b, bundled_name(b)),
                None => Chosen::Skip(Diagnostic::warning(
                    w.span,
                    format!(
                        "protocol `{}` is neither among the files checked nor bundled; {what} \
                         not checked (check the protocol file together with this one)",
                        w.id
                    ),
                )),
            }
        }
        None => match (given, bundled) {
            ([(file, p)], _) => Chosen::Use(p, format!("protocol `{}` ({file})", p.id)),
            ([], Some(b)) => Chosen::Use(b, bundled_name(b)),
            ([], None) => Chosen::Skip(Diagnostic::warning(
                at,
                format!("no protocol to check {what} against"),
            )),
            _ => Chosen::Skip(Diagnostic::warning(
                at,
                format!(
                    "several protocols are checked with this file; name one with `protocol:` \
                     to have its {what} checked"
                ),
            )),
        },
    }
}

/// The checks across files for `socius check`: each case's distortions and each red-team
/// file's categories against the protocol it names, or the one protocol among the files, or
/// the bundled protocol. Diagnostics are added to the file they are about.
pub fn cross_check(files: &mut [Loaded]) {
    let referring = |l: &Loaded| matches!(l.script, Some(Script::CrCase(_) | Script::CrRedTeam(_)));
    if !files.iter().any(referring) {
        return;
    }
    let mut given: Vec<(String, CrProtocol)> = Vec::new();
    let mut broken: Vec<String> = Vec::new();
    for l in files.iter() {
        if let Some(Script::CrProtocol(p)) = &l.script {
            if l.has_errors() {
                broken.push(p.id.clone());
            } else {
                given.push((l.path.display().to_string(), (**p).clone()));
            }
        }
    }
    let bundled = bundled_protocol().ok();
    for l in files.iter_mut() {
        let more = match &l.script {
            Some(Script::CrCase(case)) => {
                match choose(
                    case.protocol.as_ref(),
                    &given,
                    &broken,
                    bundled,
                    case.span,
                    "its distortions",
                ) {
                    Chosen::Use(p, name) => validate::case_against(case, p, &name),
                    Chosen::Skip(d) => vec![d],
                }
            }
            Some(Script::CrRedTeam(r)) => {
                match choose(
                    r.protocol.as_ref(),
                    &given,
                    &broken,
                    bundled,
                    r.span,
                    "its categories",
                ) {
                    Chosen::Use(p, name) => validate::redteam_against(r, p, &name),
                    Chosen::Skip(d) => vec![d],
                }
            }
            _ => Vec::new(),
        };
        if !more.is_empty() {
            l.diagnostics.extend(more);
            l.diagnostics.sort_by_key(|d| (d.line, d.col, d.severity));
        }
    }
}

/// One line about a CR script for `socius check`; `None` for other kinds.
#[must_use]
pub fn describe(script: &Script) -> Option<String> {
    match script {
        Script::CrProtocol(p) => {
            let langs = |lang| p.safety.terms.iter().filter(|t| t.language == lang).count();
            Some(format!(
                "cr_protocol `{}`: {} stages, loop after verdict to {} (max {} channels, {} \
                 turns), {} distortions, {} strategy categories / {} strategies, lexicon {} en \
                 + {} zh terms in {} categories, {} exclusions, {} measures, rubric {} items \
                 ({}-{})",
                p.id,
                p.stages().count(),
                p.loop_policy.after_verdict.name(),
                p.loop_policy.max_channels,
                p.loop_policy.max_turns,
                p.distortions.len(),
                p.strategies.len(),
                p.all_strategies().count(),
                langs(crate::script::model::Language::En),
                langs(crate::script::model::Language::Zh),
                p.safety.categories.len(),
                p.safety.exclusions.len(),
                p.measures.len(),
                p.rubric.items.len(),
                p.rubric.scale.min,
                p.rubric.scale.max,
            ))
        }
        Script::CrCase(c) => Some(match &c.profile {
            Some(p) => {
                let distortions: Vec<&str> = p.distortions.iter().map(|d| d.id.as_str()).collect();
                let families: Vec<&str> = p.core_beliefs.iter().map(|b| b.family.name()).collect();
                format!(
                    "cr_case `{}` ({}): {} automatic thoughts, core beliefs {}, distortions {}, \
                     style {}, resistance {}",
                    c.id,
                    c.language.code(),
                    p.automatic_thoughts.len(),
                    families.join("/"),
                    distortions.join(", "),
                    p.style.name(),
                    p.resistance.level.name()
                )
            }
            None => format!(
                "cr_case `{}` ({}): no profile (human clients only)",
                c.id,
                c.language.code()
            ),
        }),
        Script::CrRedTeam(r) => {
            let count = |class| r.messages.iter().filter(|m| m.class == class).count();
            Some(format!(
                "cr_redteam `{}`: {} messages ({} explicit, {} indirect, {} near-miss)",
                r.id,
                r.messages.len(),
                count(model::RedTeamClass::Explicit),
                count(model::RedTeamClass::Indirect),
                count(model::RedTeamClass::NearMiss),
            ))
        }
        Script::WorldTree(_) | Script::Study(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_protocol_is_valid_and_complete() {
        let (script, diags, _) = load_str(BUNDLED_PROTOCOL);
        assert!(
            diags.iter().all(|d| !d.is_error()),
            "{:#?}",
            diags
                .iter()
                .map(|d| d.render("crdial.yaml"))
                .collect::<Vec<_>>()
        );
        assert!(matches!(script, Some(Script::CrProtocol(_))));
        let p = bundled_protocol().expect("bundled");
        assert_eq!(p.stages().count(), 6);
        assert_eq!(p.distortions.len(), 12);
        assert_eq!(p.strategies.len(), 5);
        assert!(p.measure("belief").is_some() && p.measure("emotion").is_some());
    }
}
