//! `ims_fleet_status_json`: what a journal holds, read without taking it (a run may hold it).

use std::ffi::c_char;

use ims_core::fleet::{Journal, RunRecord, SqliteJournal};
use serde_json::json;

use crate::args::{Out, str_arg};
use crate::error::ims_result;
use crate::panic::ffi_boundary;
use crate::text::owned_c_string;

/// Reads the journal at `journal_path` without locking or changing it (a run may be going on)
/// and writes `{"fleet": ..., "runs": [{"run", "started_at", "states", "items": [...],
/// "deletions": [...]}]}` to `*json_out` (free with `ims_string_free`), oldest run first; times
/// are RFC 3339 UTC with milliseconds, item states the journal's names (the JSON of `ims fleet
/// status --output json`). `IMS_ERR_JOURNAL` when the file does not exist or is not a fleet
/// journal.
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
            "runs": runs.iter().map(RunRecord::to_json).collect::<Vec<_>>(),
        })
        .to_string();
        // SAFETY: checked for NULL; valid for a write by contract.
        unsafe { out.write(owned_c_string(&text)) };
        Ok(())
    })
}
