//! From a positioned YAML tree to a [`Study`]: the common keys, then the body its `type`
//! names. A new study type adds its keys to [`TYPE_KEYS`] and a branch in [`Decoder::study`].

use super::model::{
    Annotator, Baseline, STUDY_TYPES, STUDY_TYPES_PLANNED, Study, StudyBody, StudyMode, TreeSource,
};
use crate::script::decode::{Decoder, Fields};
use crate::script::model::{Language, Orientation, Span};
use crate::script::yaml::{YNode, YValue};

/// The keys every study has.
const COMMON_KEYS: &[&str] = &["kind", "type", "id", "title"];
/// The keys of each study type.
const TYPE_KEYS: &[(&str, &[&str])] = &[
    (
        "baseline",
        &["trees", "training", "modes", "annotators", "k", "seed"],
    ),
    (
        "pairwise",
        &[
            "items",
            "systems",
            "question",
            "judgments_per_pair",
            "annotators",
            "onboarding",
            "attention_checks",
            "min_seconds",
            "cap",
            "seed",
            "reason",
        ],
    ),
    (
        "pointwise",
        &[
            "items",
            "systems",
            "rubric",
            "ratings_per_transcript",
            "annotators",
            "onboarding",
            "attention_checks",
            "min_seconds",
            "cap",
            "seed",
            "reason",
        ],
    ),
];

pub(super) fn first_key(f: &Fields<'_>, node: &YNode) -> Span {
    f.entries.first().map_or(node.span, |(k, _)| k.span)
}

impl Decoder {
    /// Decode a whole `kind: study` document.
    pub fn study(&mut self, root: &YNode) -> Option<Study> {
        let what = "a study";
        // The type decides which keys are allowed; read it before checking the keys.
        let type_node = match &root.value {
            YValue::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.value, YValue::Str(s) if s == "type"))
                .map(|(_, v)| v),
            _ => None,
        };
        let study_type = match type_node.map(|t| (&t.value, t.span)) {
            Some((YValue::Str(s), _)) if STUDY_TYPES.contains(&s.as_str()) => Some(s.as_str()),
            Some((YValue::Str(s), span)) if STUDY_TYPES_PLANNED.contains(&s.as_str()) => {
                self.error(
                    span,
                    format!(
                        "study type `{s}` is not available in this version of socius (known: {})",
                        STUDY_TYPES.join(", ")
                    ),
                );
                None
            }
            Some((other, span)) => {
                let shown = match other {
                    YValue::Str(s) => format!("`{s}`"),
                    v => v.type_name().to_owned(),
                };
                self.error(
                    span,
                    format!(
                        "unknown study type {shown}; known types: {}",
                        STUDY_TYPES.join(", ")
                    ),
                );
                None
            }
            None => None,
        };
        let mut keys: Vec<&str> = COMMON_KEYS.to_vec();
        match study_type {
            Some(t) => {
                if let Some((_, more)) = TYPE_KEYS.iter().find(|(name, _)| *name == t) {
                    keys.extend_from_slice(more);
                }
            }
            // Unknown type: accept every type's keys so only the type is reported.
            None => keys.extend(TYPE_KEYS.iter().flat_map(|(_, k)| k.iter().copied())),
        }
        let f = self.fields(root, what, &keys)?;
        if type_node.is_none() {
            self.error(
                first_key(&f, root),
                format!("a study needs `type` (one of {})", STUDY_TYPES.join(", ")),
            );
        }
        let id = self.text(&f, "id", what, true).unwrap_or_default();
        let id_span = f.get("id").map_or(root.span, |v| v.span);
        let title = self.text(&f, "title", what, false).unwrap_or_default();
        let body = match study_type? {
            "baseline" => StudyBody::Baseline(self.baseline(&f, root)?),
            "pairwise" => StudyBody::Pairwise(self.pairwise(&f, root)),
            "pointwise" => StudyBody::Pointwise(self.pointwise(&f, root)),
            _ => return None,
        };
        Some(Study {
            span: root.span,
            id,
            id_span,
            title,
            body,
        })
    }

    fn baseline(&mut self, f: &Fields<'_>, root: &YNode) -> Option<Baseline> {
        // (Always `Some`: the shape problems are diagnostics; `Option` leaves room for a type
        // that cannot be decoded at all.)
        let what = "a baseline study";
        let start = first_key(f, root);
        let trees_node = f.get("trees");
        if trees_node.is_none() {
            self.error(start, format!("{what} needs `trees`"));
        }
        let trees = trees_node.map_or_else(Vec::new, |v| self.tree_sources(v, "`trees`"));
        let trees_span = trees_node.map_or(start, |v| v.span);
        let training = f
            .get("training")
            .map_or_else(Vec::new, |v| self.tree_sources(v, "`training`"));
        let mode = match f.get("modes") {
            Some(v) => self.modes(v),
            None => {
                self.error(start, format!("{what} needs `modes` (gae, iae or both)"));
                None
            }
        };
        let annotators_node = f.get("annotators");
        let annotators = match annotators_node {
            Some(v) => {
                let items = self.list(v, "`annotators`");
                items
                    .iter()
                    .filter_map(|i| {
                        self.text_value(i, "`annotators`")
                            .map(|id| Annotator { id, span: i.span })
                    })
                    .collect()
            }
            None => {
                self.error(start, format!("{what} needs `annotators`"));
                Vec::new()
            }
        };
        let annotators_span = annotators_node.map_or(start, |v| v.span);
        let k_node = f.get("k");
        let k = match k_node {
            Some(v) => self.count(v, "`k`"),
            None => {
                self.error(start, format!("{what} needs `k` (annotators per tree)"));
                None
            }
        };
        let k_span = k_node.map_or(start, |v| v.span);
        let seed = match f.get("seed") {
            Some(v) => self.seed(v),
            None => {
                self.error(start, format!("{what} needs `seed` (a whole number)"));
                None
            }
        };
        Some(Baseline {
            trees,
            trees_span,
            training,
            // Missing or wrong values were reported; the defaults let the other checks run.
            mode: mode.unwrap_or(StudyMode::Gae),
            annotators,
            annotators_span,
            k: k.unwrap_or(1),
            k_span,
            seed: seed.unwrap_or(0),
        })
    }

    /// `modes: gae | iae | both`, or a list of them (`[gae, iae]` is `both`).
    fn modes(&mut self, v: &YNode) -> Option<StudyMode> {
        let what = "`modes`";
        if let YValue::Seq(items) = &v.value {
            let modes: Vec<StudyMode> = items
                .iter()
                .filter_map(|i| self.keyword(i, what, StudyMode::NAMES, StudyMode::parse))
                .collect();
            if modes.len() != items.len() {
                return None;
            }
            let gae = modes
                .iter()
                .any(|m| matches!(m, StudyMode::Gae | StudyMode::Both));
            let iae = modes
                .iter()
                .any(|m| matches!(m, StudyMode::Iae | StudyMode::Both));
            return match (gae, iae) {
                (true, true) => Some(StudyMode::Both),
                (true, false) => Some(StudyMode::Gae),
                (false, true) => Some(StudyMode::Iae),
                (false, false) => {
                    self.error(v.span, "`modes` is empty (gae, iae or both)");
                    None
                }
            };
        }
        self.keyword(v, what, StudyMode::NAMES, StudyMode::parse)
    }

    pub(super) fn count(&mut self, v: &YNode, what: &str) -> Option<u32> {
        match v.value {
            YValue::Int(i) => match u32::try_from(i) {
                Ok(n) if n > 0 => Some(n),
                _ if i > 0 => {
                    self.error(
                        v.span,
                        format!("{what} is too large, found {i} (at most {})", u32::MAX),
                    );
                    None
                }
                _ => {
                    self.error(v.span, format!("{what} must be at least 1, found {i}"));
                    None
                }
            },
            ref other => {
                self.error(
                    v.span,
                    format!("{what} must be a whole number, found {}", other.type_name()),
                );
                None
            }
        }
    }

    pub(super) fn seed(&mut self, v: &YNode) -> Option<u64> {
        match &v.value {
            YValue::Int(i) => {
                let s = u64::try_from(*i).ok();
                if s.is_none() {
                    self.error(v.span, format!("`seed` must not be negative, found {i}"));
                }
                s
            }
            // Seeds above i64::MAX, written as text.
            YValue::Str(s) if s.parse::<u64>().is_ok() => s.parse().ok(),
            other => {
                self.error(
                    v.span,
                    format!("`seed` must be a whole number, found {}", other.type_name()),
                );
                None
            }
        }
    }

    pub(super) fn tree_sources(&mut self, v: &YNode, what: &str) -> Vec<TreeSource> {
        let items = self.list(v, what);
        items
            .iter()
            .filter_map(|i| self.tree_source(i, what))
            .collect()
    }

    /// A path (file or folder), or `{folder, orientation, language}`.
    fn tree_source(&mut self, v: &YNode, what: &str) -> Option<TreeSource> {
        if let YValue::Map(_) = v.value {
            let place = format!("a tree filter in {what}");
            let f = self.fields(v, &place, &["folder", "orientation", "language"])?;
            let folder = self.text(&f, "folder", &place, true)?;
            let names: Vec<&str> = Orientation::ALL.iter().map(|o| o.name()).collect();
            let orientations = f.get("orientation").map_or_else(Vec::new, |o| {
                self.one_or_many(o, "`orientation`", &names, |s| {
                    Orientation::ALL.into_iter().find(|x| x.name() == s)
                })
            });
            let languages = f.get("language").map_or_else(Vec::new, |l| {
                self.one_or_many(l, "`language`", &["en", "zh"], Language::parse)
            });
            return Some(TreeSource::Filter {
                folder,
                span: v.span,
                orientations,
                languages,
            });
        }
        let path = self.text_value(v, what)?;
        if path.trim().is_empty() {
            self.error(v.span, format!("an empty path in {what}"));
            return None;
        }
        Some(TreeSource::Path { path, span: v.span })
    }

    fn one_or_many<T>(
        &mut self,
        v: &YNode,
        what: &str,
        names: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Vec<T> {
        match &v.value {
            YValue::Seq(items) => items
                .iter()
                .filter_map(|i| self.keyword(i, what, names, &parse))
                .collect(),
            _ => self.keyword(v, what, names, parse).into_iter().collect(),
        }
    }
}
