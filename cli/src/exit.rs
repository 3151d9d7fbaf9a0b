//! Exit codes, and the one-line failure every command ends with when it does not succeed.

use ims_core::fleet::{FleetError, JournalError, Outcome};
use ims_core::{Error, ErrorKind};

/// Success. `ims fleet run`: every item succeeded or was already done (a dry run: the plan
/// was made, unless the journal holds failed or unknown items).
pub const OK: u8 = 0;
/// Bad usage, or a request that breaks a documented rule (nothing was sent).
pub const USAGE: u8 = 2;
/// Credentials or configuration (endpoint, region, project).
pub const CONFIG: u8 = 3;
/// The service answered with an error, or could not be reached.
pub const API: u8 = 4;
/// The job ended in FAIL. `ims fleet run`: some item failed (none unknown).
pub const JOB_FAILED: u8 = 5;
/// A timeout: the wait gave up, or one HTTP exchange took too long. `ims fleet run`: some item
/// was left unfinished (a wait gave up; none failed or unknown): a rerun resumes it.
pub const TIMEOUT: u8 = 6;
/// `ims fleet run`: some item is unknown (two images carry its tag, or listings kept failing);
/// the worst outcome wins: unknown (7) over failed (5) over unfinished (6).
pub const FLEET_UNKNOWN: u8 = 7;
/// `ims fleet run`: the journal is held by another process (a run in progress); nothing sent.
pub const JOURNAL_LOCKED: u8 = 8;
/// `ims fleet run` / `ims fleet status`: the journal cannot be read (missing for status,
/// unreadable, not a fleet journal, damaged); nothing sent.
pub const JOURNAL_UNREADABLE: u8 = 9;
/// `ims fleet run`: the image quota leaves fewer images than the run would make (both numbers
/// named); nothing sent (`--allow-partial` makes what fits).
pub const QUOTA: u8 = 10;
/// The wait was cancelled (SIGINT); `ims fleet run` stopped by SIGINT or SIGTERM (no new create
/// was sent, the jobs in flight go on, a rerun resumes).
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

impl From<FleetError> for Failure {
    fn from(e: FleetError) -> Self {
        let code = match &e {
            FleetError::Manifest(_) | FleetError::Options(_) => USAGE,
            FleetError::Journal(JournalError::Locked { .. }) => JOURNAL_LOCKED,
            FleetError::Journal(JournalError::OtherFleet { .. }) => USAGE,
            FleetError::Journal(JournalError::Corrupt { .. } | JournalError::Io { .. }) => {
                JOURNAL_UNREADABLE
            }
            FleetError::Quota { .. } => QUOTA,
            FleetError::Service(inner) => match inner.kind() {
                ErrorKind::Credentials | ErrorKind::Config | ErrorKind::Signing => CONFIG,
                ErrorKind::Validation => USAGE,
                _ => API,
            },
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

impl From<JournalError> for Failure {
    fn from(e: JournalError) -> Self {
        FleetError::Journal(e).into()
    }
}

/// The exit code of a fleet run's worst outcome (0 when every item succeeded or was already
/// done).
pub fn of_outcome(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Succeeded => OK,
        Outcome::Incomplete => TIMEOUT,
        Outcome::Failed => JOB_FAILED,
        Outcome::Unknown => FLEET_UNKNOWN,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fleet_error_and_outcome_has_its_documented_code() {
        let path = std::path::PathBuf::from("j.db");
        let cases: [(FleetError, u8); 7] = [
            (FleetError::Options("parallel: range".into()), USAGE),
            (
                JournalError::Locked { path: path.clone() }.into(),
                JOURNAL_LOCKED,
            ),
            (
                JournalError::Corrupt {
                    path: path.clone(),
                    reason: "x".into(),
                }
                .into(),
                JOURNAL_UNREADABLE,
            ),
            (
                JournalError::Io {
                    path: path.clone(),
                    reason: "x".into(),
                }
                .into(),
                JOURNAL_UNREADABLE,
            ),
            (
                JournalError::OtherFleet {
                    path,
                    journal_fleet: "a".into(),
                    fleet: "b".into(),
                }
                .into(),
                USAGE,
            ),
            (
                FleetError::Quota {
                    needed: 3,
                    quota: ims_core::model::ImageQuota {
                        used: 49,
                        quota: 50,
                    },
                },
                QUOTA,
            ),
            (
                FleetError::Service(Error::Config("no endpoint".into())),
                CONFIG,
            ),
        ];
        for (e, code) in cases {
            let text = e.to_string();
            assert_eq!(Failure::from(e).code, code, "{text}");
        }
        assert_eq!(of_outcome(Outcome::Succeeded), OK);
        assert_eq!(of_outcome(Outcome::Incomplete), TIMEOUT);
        assert_eq!(of_outcome(Outcome::Failed), JOB_FAILED);
        assert_eq!(of_outcome(Outcome::Unknown), FLEET_UNKNOWN);
    }
}
