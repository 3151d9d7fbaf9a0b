//! `ims_fleet_status_json`: what a journal holds, read without taking it (a run may hold it).

use std::ffi::c_char;

use ims_core::fleet::{Journal, RunRecord, SqliteJournal};
use serde_json::{Value, json};

use crate::args::{Out, str_arg};
use crate::error::ims_result;
use crate::panic::ffi_boundary;
use crate::text::owned_c_string;

/// One run of the journal as JSON.
fn run_json(run: &RunRecord) -> Value {
    json!({
        "run": run.run,
        "started_at": run.started_at,
        "items": run.items.iter().map(|i| json!({
            "key": i.key,
            "state": i.state.as_str(),
            "job_id": i.job_id,
            "image_id": i.image_id,
            "error_code": i.error_code,
            "error_message": i.error_message,
            "intent_at": i.intent_at,
            "started_at": i.started_at,
            "updated_at": i.updated_at,
            "attempts": i.attempts,
        })).collect::<Vec<_>>(),
        "deletions": run.deletions.iter().map(|d| json!({
            "key": d.key,
            "image_id": d.image_id,
            "created_at": d.created_at,
            "state": d.state.as_str(),
            "error": d.error,
            "updated_at": d.updated_at,
        })).collect::<Vec<_>>(),
    })
}

/// Reads the journal at `journal_path` without locking or changing it (a run may be going on)
/// and writes `{"fleet": ..., "runs": [{"run", "started_at", "items": [...], "deletions":
/// [...]}]}` to `*json_out` (free with `ims_string_free`), oldest run first; times are Unix
/// milliseconds, item states the journal's names. `IMS_ERR_JOURNAL` when the file does not
/// exist or is not a fleet journal.
///
/// # Safety
///
/// `journal_path` must be NULL or NUL-terminated; `json_out` must be NULL or valid for writing
/// one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_status_json(
    journal_path: *const c_char,
    json_out: *mut *mut c_char,
) -> ims_result {
    ffi_boundary!({
        let out = Out::new(json_out, "json_out")?;
        // SAFETY: forwarded contract.
        let path = unsafe { str_arg(journal_path, "journal_path") }?;
        let journal = SqliteJournal::open_read_only(path)?;
        let runs = journal.runs()?;
        let text = json!({
            "fleet": journal.fleet()?,
            "runs": runs.iter().map(run_json).collect::<Vec<_>>(),
        })
        .to_string();
        // SAFETY: checked for NULL; valid for a write by contract.
        unsafe { out.write(owned_c_string(&text)) };
        Ok(())
    })
}
