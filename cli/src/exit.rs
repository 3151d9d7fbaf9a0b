//! Exit codes, and the one-line failure every command ends with when it does not succeed.

use ims_core::{Error, ErrorKind};

/// Success.
pub const OK: u8 = 0;
/// Bad usage, or a request that breaks a documented rule (nothing was sent).
pub const USAGE: u8 = 2;
/// Credentials or configuration (endpoint, region, project).
pub const CONFIG: u8 = 3;
/// The service answered with an error, or could not be reached.
pub const API: u8 = 4;
/// The job ended in FAIL.
pub const JOB_FAILED: u8 = 5;
/// A timeout: the wait gave up, or one HTTP exchange took too long.
pub const TIMEOUT: u8 = 6;
/// The wait was cancelled (SIGINT).
pub const CANCELLED: u8 = 130;

/// Why a command failed: one line for stderr and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// One readable line (no secrets: core errors never hold any).
    pub message: String,
}

impl Failure {
    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: USAGE,
            message: message.into(),
        }
    }

    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Failure {
            code: CONFIG,
            message: message.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match e.kind() {
            ErrorKind::Validation => USAGE,
            ErrorKind::Credentials | ErrorKind::Config | ErrorKind::Signing => CONFIG,
            ErrorKind::JobFailed => JOB_FAILED,
            ErrorKind::WaitTimeout | ErrorKind::Timeout => TIMEOUT,
            ErrorKind::Cancelled => CANCELLED,
            _ => API,
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}
