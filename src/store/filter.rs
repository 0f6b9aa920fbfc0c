//! Which sessions a listing or an export covers.

use chrono::{DateTime, Utc};

use crate::session::{Session, SessionKind, Status};

/// A conjunction of optional conditions on a session header; the default matches everything.
/// Every condition is on a field the header stores (none on `events` or `updated`, which are
/// read from the log only for the sessions that match).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub kind: Option<SessionKind>,
    /// The script id, or at least 8 leading hex digits of the script's content hash.
    pub script: Option<String>,
    /// See [`crate::session::Who::matches`].
    pub who: Option<String>,
    pub status: Option<Status>,
    pub run_id: Option<crate::session::RunId>,
    /// Started at or after.
    pub since: Option<DateTime<Utc>>,
    /// Started before.
    pub until: Option<DateTime<Utc>>,
    /// Only training sessions (`Some(true)`) or none of them (`Some(false)`).
    pub training: Option<bool>,
}

impl Filter {
    /// Whether `session` passes every condition.
    #[must_use]
    pub fn matches(&self, session: &Session) -> bool {
        self.kind.as_ref().is_none_or(|k| *k == session.kind)
            && self.script.as_ref().is_none_or(|s| {
                *s == session.script.id
                    || (s.len() >= 8 && session.script.hash.starts_with(s.as_str()))
            })
            && self.who.as_ref().is_none_or(|w| session.who.matches(w))
            && self.status.as_ref().is_none_or(|s| *s == session.status)
            && self
                .run_id
                .as_ref()
                .is_none_or(|r| session.run_id.as_ref() == Some(r))
            && self.since.is_none_or(|t| session.started >= t)
            && self.until.is_none_or(|t| session.started < t)
            && self.training.is_none_or(|t| session.is_training() == t)
    }
}
