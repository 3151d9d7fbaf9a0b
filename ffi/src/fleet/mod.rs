//! Fleet imaging through C: `ims_fleet_options` (what a run is asked to do), `ims_fleet_run`
//! (a blocking run with an event callback), `ims_fleet_event` (what the callback reads),
//! `ims_fleet_report` (one row per item, and the whole as JSON) and `ims_fleet_status_json`
//! (a journal read without taking it).
//!
//! States, outcomes and event kinds are `uint32_t` values with `IMS_FLEET_*` constants rather
//! than C enums, so that their width never depends on the compiler and values can be added
//! without breaking a caller's `switch`.

pub mod event;
pub mod options;
pub mod report;
pub mod run;
pub mod status;

use ims_core::fleet::{ItemState, Outcome};

/// Item state `pending`: nothing done yet.
pub const IMS_FLEET_STATE_PENDING: u32 = 0;
/// Item state `sending`: the create is being sent (recorded before the POST).
pub const IMS_FLEET_STATE_SENDING: u32 = 1;
/// Item state `submitted`: the service accepted the create; the job (or adopted image) is known.
pub const IMS_FLEET_STATE_SUBMITTED: u32 = 2;
/// Item state `succeeded`: the image exists and is active.
pub const IMS_FLEET_STATE_SUCCEEDED: u32 = 3;
/// Item state `failed`: the create was refused or the job failed; no image was made.
pub const IMS_FLEET_STATE_FAILED: u32 = 4;
/// Item state `unknown`: ambiguous; never created again unless asked (`_set_retry_unknown`).
pub const IMS_FLEET_STATE_UNKNOWN: u32 = 5;
/// Item state `skipped`: not attempted in this run.
pub const IMS_FLEET_STATE_SKIPPED: u32 = 6;
/// Not a state: what a state getter gives for a NULL handle, an index out of range, or an
/// event that is about no item state.
pub const IMS_FLEET_STATE_NONE: u32 = u32::MAX;

/// Outcome `succeeded`: every item succeeded (in this run or before).
pub const IMS_FLEET_OUTCOME_SUCCEEDED: u32 = 0;
/// Outcome `incomplete`: some item is unfinished (the run was stopped, or a wait gave up); a
/// rerun resumes it.
pub const IMS_FLEET_OUTCOME_INCOMPLETE: u32 = 1;
/// Outcome `failed`: some item failed.
pub const IMS_FLEET_OUTCOME_FAILED: u32 = 2;
/// Outcome `unknown`: some item is unknown; look at it before asking for it again. Also what
/// `ims_fleet_report_outcome` gives for a NULL handle.
pub const IMS_FLEET_OUTCOME_UNKNOWN: u32 = 3;

/// The C value of a state.
pub(crate) fn state_code(state: ItemState) -> u32 {
    match state {
        ItemState::Pending => IMS_FLEET_STATE_PENDING,
        ItemState::Sending => IMS_FLEET_STATE_SENDING,
        ItemState::Submitted => IMS_FLEET_STATE_SUBMITTED,
        ItemState::Succeeded => IMS_FLEET_STATE_SUCCEEDED,
        ItemState::Failed => IMS_FLEET_STATE_FAILED,
        ItemState::Unknown => IMS_FLEET_STATE_UNKNOWN,
        ItemState::Skipped => IMS_FLEET_STATE_SKIPPED,
    }
}

/// The C value of an outcome.
pub(crate) fn outcome_code(outcome: Outcome) -> u32 {
    match outcome {
        Outcome::Succeeded => IMS_FLEET_OUTCOME_SUCCEEDED,
        Outcome::Incomplete => IMS_FLEET_OUTCOME_INCOMPLETE,
        Outcome::Failed => IMS_FLEET_OUTCOME_FAILED,
        Outcome::Unknown => IMS_FLEET_OUTCOME_UNKNOWN,
    }
}

/// The name of an item state (`"pending"`, `"succeeded"`, ...; the journal's and the JSON's
/// names), or `"none"` for any other number: a static string, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn ims_fleet_state_str(state: u32) -> *const std::ffi::c_char {
    crate::panic::ffi_boundary!(fallback = c"none".as_ptr(); {
        match state {
            IMS_FLEET_STATE_PENDING => c"pending".as_ptr(),
            IMS_FLEET_STATE_SENDING => c"sending".as_ptr(),
            IMS_FLEET_STATE_SUBMITTED => c"submitted".as_ptr(),
            IMS_FLEET_STATE_SUCCEEDED => c"succeeded".as_ptr(),
            IMS_FLEET_STATE_FAILED => c"failed".as_ptr(),
            IMS_FLEET_STATE_UNKNOWN => c"unknown".as_ptr(),
            IMS_FLEET_STATE_SKIPPED => c"skipped".as_ptr(),
            _ => c"none".as_ptr(),
        }
    })
}

/// The name of an outcome (`"succeeded"`, `"incomplete"`, `"failed"`, `"unknown"`; `"none"`
/// for any other number): a static string, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn ims_fleet_outcome_str(outcome: u32) -> *const std::ffi::c_char {
    crate::panic::ffi_boundary!(fallback = c"none".as_ptr(); {
        match outcome {
            IMS_FLEET_OUTCOME_SUCCEEDED => c"succeeded".as_ptr(),
            IMS_FLEET_OUTCOME_INCOMPLETE => c"incomplete".as_ptr(),
            IMS_FLEET_OUTCOME_FAILED => c"failed".as_ptr(),
            IMS_FLEET_OUTCOME_UNKNOWN => c"unknown".as_ptr(),
            _ => c"none".as_ptr(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_core() {
        for s in ItemState::ALL {
            // SAFETY: a static NUL-terminated string.
            let name = unsafe { std::ffi::CStr::from_ptr(ims_fleet_state_str(state_code(s))) };
            assert_eq!(name.to_str().ok(), Some(s.as_str()));
        }
        for o in [
            Outcome::Succeeded,
            Outcome::Incomplete,
            Outcome::Failed,
            Outcome::Unknown,
        ] {
            // SAFETY: a static NUL-terminated string.
            let name = unsafe { std::ffi::CStr::from_ptr(ims_fleet_outcome_str(outcome_code(o))) };
            assert_eq!(name.to_str().ok(), Some(o.as_str()));
        }
        // SAFETY: a static NUL-terminated string.
        let none = unsafe { std::ffi::CStr::from_ptr(ims_fleet_state_str(IMS_FLEET_STATE_NONE)) };
        assert_eq!(none.to_str().ok(), Some("none"));
    }
}
