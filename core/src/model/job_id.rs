//! [`JobId`]: the id of an asynchronous job, checked to be one safe URL path segment.

use std::fmt;

use crate::error::{Error, Result};
use crate::validate::{Rule, ValidationErrors, Violation};

/// The id of an asynchronous job (32 hex characters as the service issues them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(String);

/// Longest job id accepted, in characters (the service issues 32).
pub const JOB_ID_MAX_CHARS: usize = 128;

impl JobId {
    /// Wraps a job id. Surrounding whitespace is trimmed; what remains must be one safe URL
    /// path segment: 1-[`JOB_ID_MAX_CHARS`] ASCII letters, digits, `-`, `_` and `.`, and not
    /// `.` or `..` (which a URL parser would resolve to another resource). Anything else
    /// (`/`, `?`, `#`, `%`, whitespace, control or non-ASCII characters) is a
    /// [`Error::Validation`] on field `job_id`, and nothing is sent.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        let trimmed = id.trim_matches(|c: char| c.is_ascii_whitespace());
        let safe = !trimmed.is_empty()
            && trimmed.len() <= JOB_ID_MAX_CHARS
            && trimmed != "."
            && trimmed != ".."
            && trimmed
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !safe {
            let violation = Violation::new(
                "job_id",
                Rule::Format,
                format!(
                    "must be one path segment of 1-{JOB_ID_MAX_CHARS} ASCII letters, digits, '-', '_' and '.', not '.' or '..'"
                ),
            )
            .with_value(&id);
            return Err(Error::Validation(ValidationErrors {
                violations: vec![violation],
            }));
        }
        Ok(JobId(trimmed.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for JobId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
