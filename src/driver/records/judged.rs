//! The events of a pairwise or pointwise study's judgment sessions (see `study::judged` for the
//! record contract): one `judgment` per pairwise vote, one `rating` per rubric item.

use crate::session::{EventBody, Judgment, JudgmentChoice, Rating};

/// A pairwise vote: on task `pair`, session `left` was shown on the left and `right` on the
/// right; `latency_ms` from the moment both were on screen (0 when unknown, e.g. imported).
#[must_use]
pub fn judgment(
    pair: &str,
    left: &str,
    right: &str,
    choice: JudgmentChoice,
    reason: Option<String>,
    latency_ms: u64,
) -> EventBody {
    EventBody::Judgment(Judgment {
        pair: Some(pair.to_owned()),
        left: left.to_owned(),
        right: right.to_owned(),
        choice,
        reason,
        latency_ms,
    })
}

/// A pointwise rating of rubric item `name` on task `task` (about turn `about_seq` of its
/// transcript when the rubric is per turn).
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
