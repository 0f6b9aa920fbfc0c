//! Decoding the `pairwise` and `pointwise` study types (the keys they share, then the question
//! or the rubric). Checks that compare values with each other are in `validate.rs`.

use super::decode::first_key;
use super::model::{
    Annotator, Attention, Judged, Known, Onboarding, Pairwise, Pointwise, RatePer, ReasonRule,
    Rubric, RubricItem, SessionFilter, System, SystemSource,
};
use crate::script::decode::{Decoder, Fields};
use crate::script::yaml::{YNode, YValue};

/// The source keys of a system; exactly one is given.
const SYSTEM_SOURCES: &[&str] = &["model", "human", "run", "sessions"];

impl Decoder {
    pub(super) fn pairwise(&mut self, f: &Fields<'_>, root: &YNode) -> Pairwise {
        let judged = self.judged(f, root, true);
        let start = first_key(f, root);
        let question = self.text(f, "question", "a pairwise study", false);
        if question.is_none() && !f.has("question") {
            self.error(
                start,
                "a pairwise study needs `question` (what the annotator answers, e.g. \"Which therapist would you rather talk to?\")",
            );
        }
        Pairwise {
            judged,
            question: question.unwrap_or_default(),
            question_span: f.get("question").map_or(start, |v| v.span),
        }
    }

    pub(super) fn pointwise(&mut self, f: &Fields<'_>, root: &YNode) -> Pointwise {
        let judged = self.judged(f, root, false);
        let start = first_key(f, root);
        let rubric = match f.get("rubric") {
            Some(v) => self.study_rubric(v),
            None => {
                self.error(
                    start,
                    "a pointwise study needs `rubric` (the Likert items annotators rate)",
                );
                None
            }
        };
        Pointwise {
            judged,
            rubric: rubric.unwrap_or(Rubric {
                per: RatePer::Dialogue,
                items: Vec::new(),
                span: start,
            }),
        }
    }

    fn judged(&mut self, f: &Fields<'_>, root: &YNode, pairwise: bool) -> Judged {
        let what = if pairwise {
            "a pairwise study"
        } else {
            "a pointwise study"
        };
        let start = first_key(f, root);
        let items_node = f.get("items");
        if items_node.is_none() {
            self.error(
                start,
                format!(
                    "{what} needs `items` (world trees or CR cases: files, folders or filters)"
                ),
            );
        }
        let items = items_node.map_or_else(Vec::new, |v| self.tree_sources(v, "`items`"));
        let systems_node = f.get("systems");
        let systems = match systems_node {
            Some(v) => {
                let list = self.list(v, "`systems`");
                list.iter().filter_map(|s| self.system(s)).collect()
            }
            None => {
                self.error(start, format!("{what} needs `systems`"));
                Vec::new()
            }
        };
        let per_key = if pairwise {
            "judgments_per_pair"
        } else {
            "ratings_per_transcript"
        };
        let per_node = f.get(per_key);
        let per_unit = match per_node {
            Some(v) => self.count(v, &format!("`{per_key}`")),
            None => {
                self.error(
                    start,
                    format!(
                        "{what} needs `{per_key}` (distinct annotators per {})",
                        if pairwise {
                            "item and pair of systems"
                        } else {
                            "transcript"
                        }
                    ),
                );
                None
            }
        };
        let annotators_node = f.get("annotators");
        let annotators = match annotators_node {
            Some(v) => {
                let list = self.list(v, "`annotators`");
                list.iter()
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
        let onboarding = f
            .get("onboarding")
            .and_then(|v| self.onboarding(v, pairwise));
        let attention = f
            .get("attention_checks")
            .and_then(|v| self.attention(v, pairwise));
        let min_seconds = f
            .get("min_seconds")
            .and_then(|v| self.whole(v, "`min_seconds`"))
            .unwrap_or(0);
        let cap_node = f.get("cap");
        let cap = cap_node.and_then(|v| self.count(v, "`cap` (judgments per annotator)"));
        let seed = match f.get("seed") {
            Some(v) => self.seed(v),
            None => {
                self.error(start, format!("{what} needs `seed` (a whole number)"));
                None
            }
        };
        let reason = f
            .get("reason")
            .and_then(|v| self.keyword(v, "`reason`", ReasonRule::NAMES, ReasonRule::parse))
            .unwrap_or(ReasonRule::Optional);
        Judged {
            items,
            items_span: items_node.map_or(start, |v| v.span),
            systems,
            systems_span: systems_node.map_or(start, |v| v.span),
            per_unit: per_unit.unwrap_or(1),
            per_unit_span: per_node.map_or(start, |v| v.span),
            annotators,
            annotators_span: annotators_node.map_or(start, |v| v.span),
            onboarding,
            attention,
            min_seconds,
            cap,
            cap_span: cap_node.map_or(start, |v| v.span),
            seed: seed.unwrap_or(0),
            reason,
        }
    }

    /// A whole number ≥ 0.
    fn whole(&mut self, v: &YNode, what: &str) -> Option<u32> {
        match v.value {
            YValue::Int(i) => {
                let n = u32::try_from(i).ok();
                if n.is_none() {
                    self.error(
                        v.span,
                        format!("{what} must be a whole number ≥ 0, found {i}"),
                    );
                }
                n
            }
            ref other => {
                self.error(
                    v.span,
                    format!("{what} must be a whole number, found {}", other.type_name()),
                );
                None
            }
        }
    }

    /// `{name, model | human | run | sessions}`.
    fn system(&mut self, v: &YNode) -> Option<System> {
        let place = "a system in `systems`";
        let mut allowed = vec!["name"];
        allowed.extend_from_slice(SYSTEM_SOURCES);
        let f = self.fields(v, place, &allowed)?;
        let at = first_key(&f, v);
        let name = self.text(&f, "name", place, true);
        let given: Vec<&str> = SYSTEM_SOURCES
            .iter()
            .copied()
            .filter(|k| f.has(k))
            .collect();
        let source = match given.as_slice() {
            [one] => {
                let node = f.get(one)?;
                match *one {
                    "sessions" => self.session_filter(node).map(SystemSource::Sessions),
                    key => {
                        let text = self.text_value(node, &format!("`{key}` in {place}"))?;
                        if text.trim().is_empty() {
                            self.error(node.span, format!("`{key}` in {place} is empty"));
                            return None;
                        }
                        Some(match key {
                            "model" => SystemSource::Model(text),
                            "human" => SystemSource::Human(text),
                            _ => SystemSource::Run(text),
                        })
                    }
                }
            }
            [] => {
                self.error(
                    at,
                    format!(
                        "{place} needs one of {} (where its transcripts come from)",
                        SYSTEM_SOURCES.join(", ")
                    ),
                );
                None
            }
            more => {
                self.error(
                    at,
                    format!(
                        "{place} names {} sources ({}); give exactly one",
                        more.len(),
                        more.join(", ")
                    ),
                );
                None
            }
        };
        Some(System {
            name: name?,
            span: at,
            source: source?,
        })
    }

    fn session_filter(&mut self, v: &YNode) -> Option<SessionFilter> {
        let place = "`sessions` (a session filter)";
        let f = self.fields(v, place, &["who", "run", "since", "until"])?;
        let filter = SessionFilter {
            who: self.text(&f, "who", place, false),
            run: self.text(&f, "run", place, false),
            since: self.text(&f, "since", place, false),
            until: self.text(&f, "until", place, false),
        };
        for (key, value) in [("since", &filter.since), ("until", &filter.until)] {
            if let (Some(text), Some(node)) = (value, f.get(key))
                && !is_date(text)
            {
                self.error(
                    node.span,
                    format!(
                        "`{key}` must be a date (YYYY-MM-DD) or an RFC 3339 time, found `{text}`"
                    ),
                );
            }
        }
        if filter == SessionFilter::default() {
            self.error(
                v.span,
                format!("{place} needs at least one of who, run, since, until"),
            );
            return None;
        }
        Some(filter)
    }

    fn onboarding(&mut self, v: &YNode, pairwise: bool) -> Option<Onboarding> {
        let list_key = if pairwise { "pairs" } else { "transcripts" };
        let place = "`onboarding`";
        let f = self.fields(v, place, &["pass", list_key])?;
        let pass_node = f.get("pass");
        let pass = match pass_node.map(|p| &p.value) {
            Some(YValue::Float(x)) => Some(*x),
            Some(YValue::Int(i)) => i32::try_from(*i).ok().map(f64::from),
            Some(other) => {
                let span = pass_node.map_or(v.span, |p| p.span);
                self.error(
                    span,
                    format!("`pass` must be a number, found {}", other.type_name()),
                );
                None
            }
            None => {
                self.error(
                    v.span,
                    "`onboarding` needs `pass` (the share answered right to go on, e.g. 0.75)",
                );
                None
            }
        };
        let pass_span = pass_node.map_or(v.span, |p| p.span);
        if let Some(p) = pass
            && !(p > 0.0 && p <= 1.0)
        {
            self.error(
                pass_span,
                format!("`pass` must be above 0 and at most 1, found {p}"),
            );
        }
        let items = self.known_list(&f, v, place, list_key, pairwise);
        Some(Onboarding {
            pass: pass.unwrap_or(1.0),
            pass_span,
            items,
            span: v.span,
        })
    }

    fn attention(&mut self, v: &YNode, pairwise: bool) -> Option<Attention> {
        let list_key = if pairwise { "pairs" } else { "transcripts" };
        let place = "`attention_checks`";
        let f = self.fields(v, place, &["max_failures", list_key])?;
        let max_failures = f
            .get("max_failures")
            .and_then(|m| self.whole(m, "`max_failures`"))
            .unwrap_or(0);
        let items = self.known_list(&f, v, place, list_key, pairwise);
        Some(Attention {
            max_failures,
            items,
            span: v.span,
        })
    }

    fn known_list(
        &mut self,
        f: &Fields<'_>,
        v: &YNode,
        place: &str,
        key: &str,
        pairwise: bool,
    ) -> Vec<Known> {
        let Some(list) = f.get(key) else {
            self.error(
                v.span,
                format!(
                    "{place} needs `{key}` ({})",
                    if pairwise {
                        "pairs of stored sessions with the better one named"
                    } else {
                        "stored sessions with the ratings expected"
                    }
                ),
            );
            return Vec::new();
        };
        let items = self.list(list, &format!("`{key}` in {place}"));
        if items.is_empty() {
            self.error(list.span, format!("`{key}` in {place} is empty"));
        }
        items
            .iter()
            .filter_map(|i| {
                if pairwise {
                    self.known_pair(i, place)
                } else {
                    self.known_rating(i, place)
                }
            })
            .collect()
    }

    fn known_pair(&mut self, v: &YNode, place: &str) -> Option<Known> {
        let what = format!("a pair in {place}");
        let f = self.fields(v, &what, &["better", "worse"])?;
        let better = self.text(&f, "better", &what, true);
        let worse = self.text(&f, "worse", &what, true);
        Some(Known::Pair {
            better: better?,
            worse: worse?,
            span: first_key(&f, v),
        })
    }

    fn known_rating(&mut self, v: &YNode, place: &str) -> Option<Known> {
        let what = format!("a transcript in {place}");
        let f = self.fields(v, &what, &["session", "expect"])?;
        let at = first_key(&f, v);
        let session = self.text(&f, "session", &what, true);
        let expect_node = f.get("expect");
        let mut expect = Vec::new();
        match expect_node.map(|e| (&e.value, e.span)) {
            Some((YValue::Map(entries), _)) => {
                for (k, val) in entries {
                    let Some(item) = self.text_value(k, "a rubric item in `expect`") else {
                        continue;
                    };
                    let range = match &val.value {
                        YValue::Int(n) => Some((*n, *n)),
                        YValue::Seq(two) => match two.as_slice() {
                            [
                                YNode {
                                    value: YValue::Int(lo),
                                    ..
                                },
                                YNode {
                                    value: YValue::Int(hi),
                                    ..
                                },
                            ] => Some((*lo, *hi)),
                            _ => None,
                        },
                        _ => None,
                    };
                    match range {
                        Some((lo, hi)) if lo <= hi => expect.push((item, lo, hi, val.span)),
                        Some((lo, hi)) => self.error(
                            val.span,
                            format!("the expected range of `{item}` is empty ({lo} > {hi})"),
                        ),
                        None => self.error(
                            val.span,
                            format!(
                                "the expected rating of `{item}` must be a whole number or [lowest, highest]"
                            ),
                        ),
                    }
                }
                if entries.is_empty() {
                    self.error(at, format!("`expect` in {what} is empty"));
                }
            }
            Some((other, span)) => self.error(
                span,
                format!(
                    "`expect` in {what} must be a mapping of rubric item to rating, found {}",
                    other.type_name()
                ),
            ),
            None => self.error(
                at,
                format!("{what} needs `expect` (rubric item: rating or [lowest, highest])"),
            ),
        }
        Some(Known::Rating {
            session: session?,
            expect,
            span: at,
        })
    }

    fn study_rubric(&mut self, v: &YNode) -> Option<Rubric> {
        let place = "`rubric`";
        let f = self.fields(v, place, &["per", "items"])?;
        let per = f
            .get("per")
            .and_then(|p| self.keyword(p, "`per`", RatePer::NAMES, RatePer::parse))
            .unwrap_or(RatePer::Dialogue);
        let items = match f.get("items") {
            Some(list) => {
                let nodes = self.list(list, "`items` in `rubric`");
                nodes
                    .iter()
                    .filter_map(|i| self.study_rubric_item(i))
                    .collect()
            }
            None => {
                self.error(v.span, "`rubric` needs `items` (the Likert items)");
                Vec::new()
            }
        };
        Some(Rubric {
            per,
            items,
            span: v.span,
        })
    }

    fn study_rubric_item(&mut self, v: &YNode) -> Option<RubricItem> {
        let what = "a rubric item";
        let f = self.fields(v, what, &["id", "question", "scale", "anchors"])?;
        let at = first_key(&f, v);
        let id = self.text(&f, "id", what, true);
        let question = self.text(&f, "question", what, true);
        let scale_node = f.get("scale");
        let scale = match scale_node.map(|s| &s.value) {
            Some(YValue::Seq(two)) => match two.as_slice() {
                [
                    YNode {
                        value: YValue::Int(lo),
                        ..
                    },
                    YNode {
                        value: YValue::Int(hi),
                        ..
                    },
                ] => Some((*lo, *hi)),
                _ => None,
            },
            _ => None,
        };
        let scale_span = scale_node.map_or(at, |s| s.span);
        if scale.is_none() {
            self.error(
                scale_span,
                format!("{what} needs `scale: [lowest, highest]` (two whole numbers)"),
            );
        }
        let anchors_node = f.get("anchors");
        let mut anchors = Vec::new();
        // A rubric item whose anchors are not a mapping is left out (one error, not three).
        let mut anchors_ok = true;
        match anchors_node.map(|a| (&a.value, a.span)) {
            Some((YValue::Map(entries), _)) => {
                for (k, label) in entries {
                    let YValue::Int(point) = k.value else {
                        self.error(
                            k.span,
                            format!(
                                "an anchor's key must be a point of the scale (a whole number), found {}",
                                k.value.type_name()
                            ),
                        );
                        continue;
                    };
                    if let Some(text) = self.text_value(label, "an anchor's label") {
                        anchors.push((point, text, k.span));
                    }
                }
            }
            Some((other, span)) => {
                anchors_ok = false;
                self.error(
                    span,
                    format!(
                        "`anchors` must be a mapping of point to label, found {}",
                        other.type_name()
                    ),
                );
            }
            None => {
                anchors_ok = false;
                self.error(
                    at,
                    format!(
                        "{what} needs `anchors` (labels of at least the lowest and highest point)"
                    ),
                );
            }
        }
        if !anchors_ok {
            return None;
        }
        Some(RubricItem {
            id: id?,
            span: at,
            question: question?,
            scale: scale?,
            scale_span,
            anchors,
            anchors_span: anchors_node.map_or(v.span, |a| a.span),
        })
    }
}

/// `YYYY-MM-DD` or an RFC 3339 time, as `socius sessions list --since/--until` take them.
fn is_date(s: &str) -> bool {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
        || chrono::DateTime::parse_from_rfc3339(s).is_ok()
}
