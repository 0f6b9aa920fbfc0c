//! The events and session header of pairwise and pointwise judgments (the layout is in
//! `study::judged`): one `judgment` per pairwise vote, one `rating` per rubric item (and turn).

use serde_json::json;

use crate::session::{
    EventBody, Judgment, JudgmentChoice, NewSession, Rating, ScriptRef, SessionKind, Who,
};

/// A new judgment session (pairwise, else pointwise ratings) of `annotator` in study `study` whose `plan.json` has `plan_sha256`.
#[must_use]
pub fn judged_session(
    pairwise: bool,
    study: &str,
    plan_sha256: &str,
    annotator: &str,
) -> NewSession {
    let mut new = NewSession::new(
        if pairwise {
            SessionKind::StudyJudgment
        } else {
            SessionKind::StudyRating
        },
        ScriptRef {
            id: study.to_owned(),
            hash: plan_sha256.to_owned(),
        },
        Who::annotator(annotator),
        0,
    );
    new.meta = json!({ "study": study });
    new
}

/// A pairwise vote on task `task`: the sessions shown left and right, the choice, the reason
/// (empty: none) and the time from both transcripts on screen to the vote.
#[must_use]
pub fn judgment(
    task: &str,
    left: &str,
    right: &str,
    choice: JudgmentChoice,
    reason: &str,
    latency_ms: u64,
) -> EventBody {
    let reason = reason.trim();
    EventBody::Judgment(Judgment {
        pair: Some(task.to_owned()),
        left: left.to_owned(),
        right: right.to_owned(),
        choice,
        reason: (!reason.is_empty()).then(|| reason.to_owned()),
        latency_ms,
    })
}

/// A rating of rubric item `name` on pointwise task `task` (`about_seq`: the rated turn's seq
/// in the transcript, for a per-turn rubric).
#[must_use]
pub fn rating(task: &str, name: &str, value: f64, about_seq: Option<u64>) -> EventBody {
    EventBody::Rating(Rating {
        name: name.to_owned(),
        value,
        about_seq,
        comment: None,
        task: Some(task.to_owned()),
    })
}

/// One rating per (rubric item, turn) of pointwise task `task`: `(item, turn seq or none,
/// value)`.
#[must_use]
pub fn ratings(task: &str, values: &[(String, Option<u64>, i64)]) -> Vec<EventBody> {
    values
        .iter()
        .map(|(name, about, value)| {
            #[expect(clippy::cast_precision_loss, reason = "rubric points are small")]
            let value = *value as f64;
            rating(task, name, value, *about)
        })
        .collect()
}
