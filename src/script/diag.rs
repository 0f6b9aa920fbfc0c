//! Diagnostics: what `socius check` prints as `file:line:col: severity: message`.

use std::fmt;

use serde::Serialize;

use super::model::Span;

/// How bad a problem is. Errors make `socius check` exit 1; warnings don't.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// One problem at one place in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub line: u32,
    pub col: u32,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    #[must_use]
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Self::new(span, Severity::Error, message)
    }

    #[must_use]
    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Self::new(span, Severity::Warning, message)
    }

    #[must_use]
    pub fn new(span: Span, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            line: span.line.max(1),
            col: span.col.max(1),
            severity,
            message: message.into(),
        }
    }

    /// `file:line:col: severity: message`.
    #[must_use]
    pub fn render(&self, file: &str) -> String {
        format!(
            "{file}:{}:{}: {}: {}",
            self.line, self.col, self.severity, self.message
        )
    }

    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
