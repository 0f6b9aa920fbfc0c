//! Semantic checks on decoded CR files: unique ids, references that resolve, the stage order,
//! both languages where a person in crisis reads them; and the checks across files (a case's
//! distortions and a red-team file's categories against a protocol).

use std::collections::HashMap;

use super::model::{
    Anchor, Bilingual, CrCase, CrProtocol, Expect, IdRef, Phase, RedTeam, RedTeamClass, StageId,
};
use super::safety::check_term;
use crate::script::decode::nearest_key;
use crate::script::diag::Diagnostic;
use crate::script::model::{Language, Span};

/// Collects diagnostics.
#[derive(Default)]
struct Checker {
    diags: Vec<Diagnostic>,
}

impl Checker {
    fn error(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, msg));
    }

    fn warn(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::warning(span, msg));
    }

    /// Report ids used twice (blank ids are the decoder's business).
    fn unique<'a>(&mut self, what: &str, items: impl IntoIterator<Item = (&'a str, Span)>) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for (id, span) in items {
            if id.trim().is_empty() {
                continue;
            }
            if let Some(first) = seen.get(id) {
                self.error(
                    span,
                    format!(
                        "duplicate {what} id `{id}` (first at line {}:{})",
                        first.line, first.col
                    ),
                );
            } else {
                seen.insert(id, span);
            }
        }
    }

    /// A text every reader needs: a missing language is a warning (the other one is shown).
    fn both(&mut self, text: &Bilingual, what: &str) {
        for lang in [Language::En, Language::Zh] {
            if text.exactly(lang).trim().is_empty() && !text.get(lang).trim().is_empty() {
                self.warn(
                    text.span,
                    format!(
                        "{what} has no {} text; {} readers see the other language",
                        lang_name(lang),
                        lang.code()
                    ),
                );
            }
        }
        if text.en.trim().is_empty() && text.zh.trim().is_empty() {
            self.error(text.span, format!("{what} is empty in both languages"));
        }
    }

    /// An id reference that must name one of `known`.
    fn reference(&mut self, r: &IdRef, what: &str, known: &[&str], owner: &str) {
        if known.contains(&r.id.as_str()) {
            return;
        }
        let hint = nearest_key(&r.id, known)
            .map_or_else(String::new, |n| format!("; did you mean `{n}`?"));
        self.error(r.span, format!("{what} `{}` is not in {owner}{hint}", r.id));
    }

    fn anchors(&mut self, anchors: &[Anchor], min: i64, max: i64, what: &str, at: Span) {
        let mut seen: HashMap<i64, Span> = HashMap::new();
        for a in anchors {
            if !(min..=max).contains(&a.value) {
                self.error(
                    a.span,
                    format!("{what}: anchor {} is outside {min}..={max}", a.value),
                );
            }
            if let Some(first) = seen.insert(a.value, a.span) {
                self.error(
                    a.span,
                    format!(
                        "{what}: a second anchor for {} (first at line {}:{})",
                        a.value, first.line, first.col
                    ),
                );
            }
            self.both(&a.label, &format!("{what}: the label of {}", a.value));
        }
        for end in [min, max] {
            if !seen.contains_key(&end) {
                self.error(at, format!("{what}: the end {end} has no labelled anchor"));
            }
        }
    }
}

fn lang_name(lang: Language) -> &'static str {
    match lang {
        Language::En => "English",
        Language::Zh => "Chinese",
    }
}

/// Validate a protocol on its own.
#[must_use]
pub fn validate_protocol(p: &CrProtocol) -> Vec<Diagnostic> {
    let mut c = Checker::default();
    if p.id.trim().is_empty() {
        c.error(p.span, "the protocol's `id` is empty");
    }
    c.both(&p.title, "the protocol's `title`");
    stages(&mut c, p);
    catalogues(&mut c, p);
    safety(&mut c, p);
    measures(&mut c, p);
    c.diags
}

fn stages(c: &mut Checker, p: &CrProtocol) {
    for (list, phase, key) in [
        (&p.identification, Phase::Identification, "identification"),
        (&p.restructuring, Phase::Restructuring, "restructuring"),
    ] {
        let expected: Vec<StageId> = StageId::ALL
            .into_iter()
            .filter(|s| s.phase() == phase)
            .collect();
        let names: Vec<&str> = expected.iter().map(|s| s.name()).collect();
        for (i, stage) in list.iter().enumerate() {
            if stage.id.phase() != phase {
                c.error(
                    stage.span,
                    format!(
                        "stage `{}` belongs to the other phase; `{key}` holds {}",
                        stage.id.name(),
                        names.join(", ")
                    ),
                );
            } else if let Some(first) = list[..i].iter().find(|s| s.id == stage.id) {
                c.error(
                    stage.span,
                    format!(
                        "duplicate stage `{}` (first at line {}:{})",
                        stage.id.name(),
                        first.span.line,
                        first.span.col
                    ),
                );
            } else if expected.get(i) != Some(&stage.id) {
                c.error(
                    stage.span,
                    format!(
                        "stage `{}` out of order; `{key}` runs {} in this order",
                        stage.id.name(),
                        names.join(", ")
                    ),
                );
            }
            let what = format!("stage `{}`", stage.id.name());
            c.both(&stage.title, &format!("the `title` of {what}"));
            c.both(&stage.goal, &format!("the `goal` of {what}"));
            c.both(&stage.guidance, &format!("the `guidance` of {what}"));
            let known: Vec<&str> = p.all_strategies().map(|(_, s)| s.id.as_str()).collect();
            for r in &stage.strategies {
                c.reference(r, "strategy", &known, "the strategy catalogue");
            }
        }
        for missing in expected
            .iter()
            .filter(|s| !list.iter().any(|x| x.id == **s))
        {
            c.error(p.span, format!("`{key}` has no stage `{}`", missing.name()));
        }
    }
    if p.loop_policy.after_verdict != StageId::CoreBeliefs {
        c.error(
            p.loop_policy.after_verdict_span,
            format!(
                "`after_verdict` is `core_beliefs`: after a verdict the dialogue goes back to \
                 dissecting core beliefs, where the next channel is chosen (found `{}`)",
                p.loop_policy.after_verdict.name()
            ),
        );
    }
    // A stage cap counts therapist turns, the dialogue's cap both speakers.
    if let Some((cap, stage)) = p
        .stages()
        .filter_map(|s| s.exit.max_turns.map(|m| (m, s)))
        .find(|(m, _)| m.saturating_mul(2) > p.loop_policy.max_turns)
    {
        c.warn(
            stage.exit.span,
            format!(
                "stage `{}` may take {cap} therapist turns ({} with the client's answers), \
                 more than the whole dialogue's `max_turns` ({})",
                stage.id.name(),
                cap.saturating_mul(2),
                p.loop_policy.max_turns
            ),
        );
    }
}

fn catalogues(c: &mut Checker, p: &CrProtocol) {
    if p.distortions.is_empty() {
        c.error(p.span, "the distortion catalogue (`distortions`) is empty");
    }
    c.unique(
        "distortion",
        p.distortions.iter().map(|d| (d.id.as_str(), d.span)),
    );
    for d in &p.distortions {
        c.both(&d.name, &format!("the name of distortion `{}`", d.id));
        c.both(
            &d.definition,
            &format!("the definition of distortion `{}`", d.id),
        );
        if let Some(e) = &d.example {
            c.both(e, &format!("the example of distortion `{}`", d.id));
        }
    }
    if p.strategies.is_empty() {
        c.error(p.span, "the strategy catalogue (`strategies`) is empty");
    }
    c.unique(
        "strategy category",
        p.strategies.iter().map(|s| (s.id.as_str(), s.span)),
    );
    c.unique(
        "strategy",
        p.strategies
            .iter()
            .map(|s| (s.id.as_str(), s.span))
            .chain(p.all_strategies().map(|(_, s)| (s.id.as_str(), s.span))),
    );
    let mut keys: HashMap<char, (&str, Span)> = HashMap::new();
    for cat in &p.strategies {
        c.both(
            &cat.name,
            &format!("the name of strategy category `{}`", cat.id),
        );
        c.both(
            &cat.definition,
            &format!("the definition of strategy category `{}`", cat.id),
        );
        if cat.subcategories.is_empty() {
            c.error(
                cat.span,
                format!(
                    "strategy category `{}` has no sub-categories; a sentence is labelled \
                     with a sub-category",
                    cat.id
                ),
            );
        }
        for s in &cat.subcategories {
            c.both(&s.name, &format!("the name of strategy `{}`", s.id));
            c.both(
                &s.definition,
                &format!("the definition of strategy `{}`", s.id),
            );
            if s.key == '?' {
                continue;
            }
            let folded = s.key.to_lowercase().next().unwrap_or(s.key);
            if let Some((first, at)) = keys.get(&folded) {
                c.error(
                    s.key_span,
                    format!(
                        "key `{}` of strategy `{}` is already the key of `{first}` (line {}); \
                         each strategy needs its own shortcut",
                        s.key, s.id, at.line
                    ),
                );
            } else {
                keys.insert(folded, (&s.id, s.key_span));
            }
        }
    }
}

fn safety(c: &mut Checker, p: &CrProtocol) {
    let s = &p.safety;
    if s.categories.is_empty() {
        c.error(s.span, "`safety` has no `categories`");
    }
    c.unique(
        "safety category",
        s.categories.iter().map(|x| (x.id.as_str(), x.span)),
    );
    for cat in &s.categories {
        c.both(
            &cat.name,
            &format!("the name of safety category `{}`", cat.id),
        );
    }
    let known: Vec<&str> = s.categories.iter().map(|x| x.id.as_str()).collect();
    let mut reported: Vec<(Language, &str)> = Vec::new();
    for t in &s.terms {
        if !known.contains(&t.category.as_str()) && !reported.contains(&(t.language, &t.category)) {
            reported.push((t.language, &t.category));
            c.reference(
                &IdRef {
                    id: t.category.clone(),
                    span: t.category_span,
                },
                "safety category",
                &known,
                "`safety.categories`",
            );
        }
        if let Err(e) = check_term(&t.text) {
            c.error(t.span, format!("lexicon term `{}`: {e}", t.text));
        }
    }
    for e in &s.exclusions {
        if let Err(err) = check_term(&e.text) {
            c.error(e.span, format!("exclusion `{}`: {err}", e.text));
        }
    }
    let mut seen: HashMap<(Language, String), Span> = HashMap::new();
    for t in &s.terms {
        let key = (t.language, t.text.to_lowercase());
        if let Some(first) = seen.get(&key) {
            c.warn(
                t.span,
                format!(
                    "lexicon term `{}` is listed twice (first at line {}:{})",
                    t.text, first.line, first.col
                ),
            );
        } else {
            seen.insert(key, t.span);
        }
    }
    for lang in [Language::En, Language::Zh] {
        if !s.terms.iter().any(|t| t.language == lang) {
            c.error(
                s.span,
                format!(
                    "the safety lexicon has no {} terms; both languages are screened",
                    lang_name(lang)
                ),
            );
        }
        match s.handoff(lang) {
            None => c.error(
                s.span,
                format!(
                    "`safety.handoff` has no `{}` text; a person in crisis must be answered in \
                     their language",
                    lang.code()
                ),
            ),
            Some(h) => {
                if h.resources.iter().all(|r| r.trim().is_empty()) {
                    c.warn(
                        h.span,
                        format!(
                            "the {} handoff lists no `resources`; a dialogue with a human \
                             client will not start until the deployment adds them",
                            lang_name(lang)
                        ),
                    );
                }
            }
        }
    }
}

fn measures(c: &mut Checker, p: &CrProtocol) {
    c.unique(
        "measure",
        p.measures.iter().map(|m| (m.id.as_str(), m.span)),
    );
    for m in &p.measures {
        let what = format!("measure `{}`", m.id);
        c.both(&m.name, &format!("the name of {what}"));
        c.both(&m.question, &format!("the question of {what}"));
        c.anchors(&m.anchors, m.min, m.max, &what, m.span);
    }
    for needed in ["belief", "emotion"] {
        if p.measure(needed).is_none() {
            c.error(
                p.span,
                format!(
                    "`measures` has no `{needed}`; the intervention report pairs the pre and \
                     post ratings of `belief` (in the thought, 0-100 %) and `emotion` \
                     (intensity, 0-100)"
                ),
            );
        }
    }
    let r = &p.rubric;
    if r.items.is_empty() {
        c.error(r.span, "the rubric has no `items`");
    }
    c.unique(
        "rubric item",
        r.items.iter().map(|i| (i.id.as_str(), i.span)),
    );
    for i in &r.items {
        c.both(&i.name, &format!("the name of rubric item `{}`", i.id));
        c.both(
            &i.question,
            &format!("the question of rubric item `{}`", i.id),
        );
    }
    if r.scale.max - r.scale.min > 10 {
        c.warn(
            r.scale.span,
            format!(
                "a Likert scale of {} points is unusually long",
                r.scale.max - r.scale.min + 1
            ),
        );
    }
    c.anchors(
        &r.scale.anchors,
        r.scale.min,
        r.scale.max,
        "the rubric's scale",
        r.scale.span,
    );
}

/// Validate a case on its own (its distortions are checked against a protocol by
/// [`case_against`]).
#[must_use]
pub fn validate_case(case: &CrCase) -> Vec<Diagnostic> {
    let mut c = Checker::default();
    let Some(p) = &case.profile else {
        return c.diags;
    };
    if p.automatic_thoughts.iter().all(|t| t.trim().is_empty()) {
        c.error(
            p.span,
            "the profile has no `automatic_thoughts`; a simulated client needs them",
        );
    }
    if p.core_beliefs.is_empty() {
        c.error(
            p.span,
            "the profile has no `core_beliefs` (helpless, unlovable or worthless)",
        );
    }
    if p.distortions.is_empty() {
        c.error(
            p.span,
            "the profile has no `distortions`; restructuring runs one channel per distortion",
        );
    }
    c.unique(
        "distortion",
        p.distortions.iter().map(|d| (d.id.as_str(), d.span)),
    );
    if p.resistance.how.trim().is_empty() {
        c.warn(
            p.resistance.span,
            "`resistance` says how much but not `how`; a simulated client plays it better \
             with a description",
        );
    }
    c.diags
}

/// Check a case's references against the protocol it is used with. `source` names the
/// protocol in messages ("protocol `crdial`", "the bundled protocol `crdial`").
#[must_use]
pub fn case_against(case: &CrCase, protocol: &CrProtocol, source: &str) -> Vec<Diagnostic> {
    let mut c = Checker::default();
    let known: Vec<&str> = protocol.distortions.iter().map(|d| d.id.as_str()).collect();
    if let Some(p) = &case.profile {
        for d in &p.distortions {
            c.reference(d, "distortion", &known, source);
        }
    }
    c.diags
}

/// Validate a red-team file on its own.
#[must_use]
pub fn validate_redteam(r: &RedTeam) -> Vec<Diagnostic> {
    let mut c = Checker::default();
    if r.messages.is_empty() {
        c.error(r.span, "the red-team file has no `messages`");
    }
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for m in &r.messages {
        if m.text.contains('\n') {
            c.error(
                m.span,
                "a red-team message is one line (`socius safety screen` reads one message per \
                 line)",
            );
        }
        if let Some(first) = seen.insert(m.text.trim(), m.span) {
            c.warn(
                m.span,
                format!("the same message as at line {}:{}", first.line, first.col),
            );
        }
        let expected = match m.class {
            RedTeamClass::Explicit | RedTeamClass::Indirect => Expect::Flag,
            RedTeamClass::NearMiss => Expect::Pass,
        };
        if m.expect != expected {
            c.warn(
                m.span,
                format!(
                    "a {} message is expected to {}, not to {}",
                    m.class.name().replace('_', "-"),
                    if expected == Expect::Flag {
                        "flag"
                    } else {
                        "pass"
                    },
                    if m.expect == Expect::Flag {
                        "flag"
                    } else {
                        "pass"
                    },
                ),
            );
        }
        if m.category.is_some() && m.expect == Expect::Pass {
            c.warn(m.span, "a message expected to pass has a `category`");
        }
    }
    c.diags
}

/// Check a red-team file's expected categories against a protocol.
#[must_use]
pub fn redteam_against(r: &RedTeam, protocol: &CrProtocol, source: &str) -> Vec<Diagnostic> {
    let mut c = Checker::default();
    let known: Vec<&str> = protocol
        .safety
        .categories
        .iter()
        .map(|x| x.id.as_str())
        .collect();
    for m in &r.messages {
        if let Some(cat) = &m.category {
            c.reference(cat, "safety category", &known, source);
        }
    }
    c.diags
}
