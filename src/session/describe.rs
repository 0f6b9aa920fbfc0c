//! Human-readable text for events, shared by `sessions show` and the Markdown export.

use serde_json::Value;

use super::{Event, EventBody, Session};

/// A session header as (field, value) rows, in the order transcripts and exports show them;
/// `time` formats the start and end.
#[must_use]
pub fn header_fields(
    s: &Session,
    time: &dyn Fn(&chrono::DateTime<chrono::Utc>) -> String,
) -> [(&'static str, String); 11] {
    [
        ("kind", s.kind.to_string()),
        ("script", s.script.id.clone()),
        ("sha256", s.script.hash.clone()),
        ("who", s.who.to_string()),
        ("seed", s.seed.to_string()),
        (
            "run",
            s.run_id
                .as_ref()
                .map_or_else(|| "—".to_owned(), ToString::to_string),
        ),
        (
            "status",
            if s.is_training() {
                format!("{} (training)", s.status)
            } else {
                s.status.to_string()
            },
        ),
        ("started", time(&s.started)),
        (
            "finished",
            s.finished.as_ref().map_or_else(|| "—".to_owned(), time),
        ),
        ("events", s.events.to_string()),
        ("meta", meta_text(&s.meta)),
    ]
}

/// A session's `meta` as `key: value` pairs (mode, training, the screen it was played on, …).
fn meta_text(meta: &serde_json::Value) -> String {
    let Some(map) = meta.as_object() else {
        return "—".to_owned();
    };
    if map.is_empty() {
        return "—".to_owned();
    }
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    keys.iter()
        .map(|k| match &map[*k] {
            serde_json::Value::String(v) => format!("{k}: {v}"),
            v => format!("{k}: {v}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An event as a short label and a text (which may hold several paragraphs, one per `\n`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub label: String,
    pub text: String,
}

impl Line {
    fn new(label: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            text: text.into(),
        }
    }
}

fn node_prefix(node: Option<&String>) -> String {
    node.map(|n| format!("[{n}] ")).unwrap_or_default()
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Describe one event for a reader.
#[must_use]
pub fn describe(event: &Event) -> Line {
    match &event.body {
        EventBody::TextShown(t) => {
            let who = t
                .speaker
                .as_ref()
                .map(|s| format!("{s}: "))
                .unwrap_or_default();
            Line::new(
                "text",
                format!("{}{who}{}", node_prefix(t.node.as_ref()), t.text),
            )
        }
        EventBody::OptionsPresented(o) => {
            let mut text = node_prefix(o.node.as_ref());
            if let Some(prompt) = &o.prompt {
                text.push_str(prompt);
            }
            let mut text = text.trim_end().to_owned();
            for (i, opt) in o.options.iter().enumerate() {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&format!("{}) {} ({})", i + 1, opt.text, opt.id));
            }
            Line::new("options", text)
        }
        EventBody::Decision(d) => Line::new(
            "decision",
            format!(
                "{}chose {} ({}) after {} ms",
                node_prefix(d.node.as_ref()),
                u64::from(d.option_index) + 1,
                d.option_id,
                d.latency_ms
            ),
        ),
        EventBody::LlmCall(c) => {
            let mut text = format!(
                "{}{} ms, {} attempt(s)",
                c.model
                    .as_ref()
                    .map(|m| format!("{m}: "))
                    .unwrap_or_default(),
                c.latency_ms,
                c.attempts.len()
            );
            if let Some(usage) = c.usage {
                text.push_str(&format!(
                    ", {}+{} tokens",
                    usage.prompt_tokens, usage.completion_tokens
                ));
            }
            if let Some(purpose) = &c.purpose {
                text.push_str(&format!(" for {purpose}"));
            }
            for (i, attempt) in c.attempts.iter().enumerate() {
                if let Some(err) = &attempt.error {
                    let status = attempt
                        .status
                        .map(|s| format!("HTTP {s}: "))
                        .unwrap_or_default();
                    text.push_str(&format!("\nattempt {}: {status}{err}", i + 1));
                }
            }
            if let Some(reply) = &c.raw_reply {
                text.push_str(&format!("\nreply: {reply}"));
            }
            if let Some(parsed) = &c.parsed {
                text.push_str(&format!("\nparsed: {}", compact(parsed)));
            }
            if let Some(err) = &c.error {
                text.push_str(&format!("\nerror: {err}"));
            }
            Line::new("llm", text)
        }
        EventBody::CrTurn(t) => {
            let mut tags: Vec<&str> = Vec::new();
            tags.extend(t.stage.as_ref().map(super::CrStage::as_str));
            tags.extend(t.channel.as_deref());
            tags.extend(t.strategies.iter().map(String::as_str));
            let goal = t
                .stage_goal_met
                .map(|m| if m { "goal met" } else { "goal not met" });
            tags.extend(goal);
            tags.extend(t.distortions.iter().map(String::as_str));
            tags.extend(t.unlabelled.then_some("unlabelled"));
            tags.extend(t.cut.then_some("cut"));
            tags.extend(t.withheld.then_some("withheld from model context"));
            let mut text = t.text.clone();
            if !tags.is_empty() {
                text.push_str(&format!("\n[{}]", tags.join(", ")));
            }
            Line::new(t.speaker.as_str(), text)
        }
        EventBody::CrStage(e) => {
            let mut text = format!("{} ({}", e.stage, e.cause);
            if let Some(c) = &e.channel {
                text.push_str(&format!(", channel {c}"));
            }
            if e.loops > 0 {
                text.push_str(&format!(", loop {}", e.loops));
            }
            text.push(')');
            Line::new("stage", text)
        }
        EventBody::CrChannel(c) => Line::new(
            "channel",
            format!(
                "{} {} ({})",
                c.distortion,
                c.action.replace('_', " "),
                c.cause
            ),
        ),
        EventBody::CrOverride(o) => {
            let mut text = o.action.replace('_', " ");
            for part in [
                o.stage.as_ref().map(super::CrStage::as_str),
                o.distortion.as_deref(),
            ]
            .into_iter()
            .flatten()
            {
                text.push(' ');
                text.push_str(part);
            }
            Line::new("clinician", text)
        }
        EventBody::CrEnd(e) => {
            let mut text = format!("finished by {}", e.finished_by);
            if let Some(d) = &e.detail {
                text.push_str(&format!(": {d}"));
            }
            Line::new("end", text)
        }
        EventBody::Rating(r) => {
            let mut text = format!("{} = {}", r.name, r.value);
            if let Some(seq) = r.about_seq {
                text.push_str(&format!(" (about #{seq})"));
            }
            if let Some(c) = &r.comment {
                text.push_str(&format!(": {c}"));
            }
            Line::new("rating", text)
        }
        EventBody::Note(n) => Line::new("note", n.text.clone()),
        EventBody::Escalation(e) => {
            let mut text = e.reason.clone();
            if let Some(seq) = e.about_seq {
                text.push_str(&format!(" (about #{seq})"));
            }
            if let Some(m) = &e.matched {
                text.push_str(&format!(" [matched {m:?}]"));
            }
            if let Some(action) = &e.action {
                text.push_str(&format!("; {action}"));
            }
            Line::new("ESCALATION", text)
        }
        EventBody::IaeAnswer(a) => {
            let mut text = format!(
                "[{}] chose {} ({}) after {} ms",
                a.item,
                u64::from(a.option_index) + 1,
                a.option_id,
                a.latency_ms
            );
            if let Some(ability) = &a.ability {
                text.push_str(&format!(", ability {ability}"));
            }
            match a.correct {
                Some(true) => text.push_str(", correct"),
                Some(false) => text.push_str(", wrong"),
                None => {}
            }
            Line::new("iae", text)
        }
        EventBody::Judgment(j) => {
            let mut text = format!(
                "{} vs {}: {} after {} ms",
                j.left, j.right, j.choice, j.latency_ms
            );
            if let Some(reason) = &j.reason {
                text.push_str(&format!("\nreason: {reason}"));
            }
            Line::new("judgment", text)
        }
        EventBody::Ending(e) => Line::new(
            "ending",
            match &e.outcome {
                Some(outcome) => format!("{} ({outcome})", e.node),
                None => e.node.clone(),
            },
        ),
        EventBody::SessionStatus(s) => Line::new(
            "status",
            match &s.reason {
                Some(reason) => format!("{}: {reason}", s.status),
                None => s.status.to_string(),
            },
        ),
        EventBody::LinesRevealed(r) => Line::new(
            "lines",
            format!("{}: {} line(s) revealed ({})", r.node, r.lines, r.how),
        ),
        EventBody::Paused(p) => Line::new("paused", p.reason.clone()),
        EventBody::Resumed(_) => Line::new("resumed", String::new()),
        EventBody::Unknown(raw) => Line::new(
            event.body.type_name().to_owned(),
            format!(
                "(schema {}, not known to this version) {}",
                event.schema,
                compact(raw)
            ),
        ),
    }
}
