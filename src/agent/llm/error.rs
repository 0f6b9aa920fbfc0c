//! Typed client errors.

use std::time::Duration;

use super::types::{Attempt, ErrorKind};

/// Why an attempt (and, when it was the last, the call) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("invalid client configuration: {0}")]
    Config(String),
    #[error("could not connect to {endpoint}: {message}")]
    Connect { endpoint: String, message: String },
    #[error("no complete answer within {:.1} s", .timeout.as_secs_f64())]
    Timeout { timeout: Duration },
    #[error("HTTP {status} from the server: {message}")]
    Status {
        status: u16,
        kind: ErrorKind,
        message: String,
    },
    #[error("the connection broke while reading the answer: {message}")]
    Transport { message: String },
    #[error("the server's answer is not a usable completion: {message}")]
    InvalidResponse { message: String },
    /// A success status with a body that is not JSON at all (a proxy's HTML page, a body cut
    /// short): recorded as `invalid_response`, but retried like a server error.
    #[error("the server's answer is not JSON: {message}")]
    NotJson { message: String },
    #[error("the server reported an error in the stream: {message}")]
    Stream { message: String },
}

impl LlmError {
    /// The attempt-record kind of this error (configuration errors never reach an attempt).
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Config(_) | Self::InvalidResponse { .. } | Self::NotJson { .. } => {
                ErrorKind::InvalidResponse
            }
            Self::Connect { .. } => ErrorKind::Connect,
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::Status { kind, .. } => *kind,
            Self::Transport { .. } => ErrorKind::Transport,
            Self::Stream { .. } => ErrorKind::StreamError,
        }
    }

    /// Whether another attempt may succeed: the kind says so, or the body was not JSON
    /// (proxies and overloaded servers answer 200 with an HTML page or a cut body).
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        matches!(self, Self::NotJson { .. }) || self.kind().is_retryable()
    }

    /// The HTTP status, for status errors.
    #[must_use]
    pub const fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A call that produced no completion: the last error and every attempt made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error} (after {} attempt{})", .attempts.len(), if .attempts.len() == 1 { "" } else { "s" })]
pub struct CallError {
    #[source]
    pub error: LlmError,
    pub attempts: Vec<Attempt>,
    /// The whole call, retries and waits included.
    pub latency: Duration,
}
