//! `ims_fleet_report`: the result of a fleet run, one row per item in manifest order, and the
//! whole as JSON.
//!
//! Every string a getter returns is prepared when the report is made and owned by it: valid
//! until `ims_fleet_report_free`, never freed by the caller; NULL when the item lacks the
//! field, the index is out of range, or the handle is NULL.

use std::ffi::{CString, c_char};

use ims_core::fleet::FleetReport;

use crate::args::free_box;
use crate::panic::ffi_boundary;
use crate::text::{c_string, opt_ptr};

use super::{IMS_FLEET_OUTCOME_UNKNOWN, IMS_FLEET_STATE_NONE, outcome_code, state_code};

/// One item's row, its strings prepared for C.
#[derive(Debug)]
struct Row {
    key: CString,
    state: u32,
    already_done: bool,
    line: usize,
    job_id: Option<CString>,
    image_id: Option<CString>,
    error_code: Option<CString>,
    error_message: Option<CString>,
}

/// The report of a fleet run (opaque): made by `ims_fleet_run`, freed by
/// `ims_fleet_report_free`.
///
/// Thread safety: immutable; it may be read from several threads at once, and freed by one
/// thread once no other uses it.
#[derive(Debug)]
pub struct ims_fleet_report {
    outcome: u32,
    stopped: bool,
    dry_run: bool,
    rows: Vec<Row>,
    json: CString,
}

impl ims_fleet_report {
    /// The C view of a core report.
    pub(crate) fn new(report: &FleetReport) -> ims_fleet_report {
        let opt = |s: Option<&str>| s.map(c_string);
        ims_fleet_report {
            outcome: outcome_code(report.outcome),
            stopped: report.stopped,
            dry_run: report.dry_run,
            rows: report
                .items
                .iter()
                .map(|i| Row {
                    key: c_string(&i.key),
                    state: state_code(i.state),
                    already_done: i.already_done,
                    line: i.line,
                    job_id: opt(i.job_id.as_deref()),
                    image_id: opt(i.image_id.as_deref()),
                    error_code: opt(i.error.as_ref().and_then(|e| e.code.as_deref())),
                    error_message: opt(i.error.as_ref().map(|e| e.message.as_str())),
                })
                .collect(),
            json: c_string(&report.to_json()),
        }
    }
}

/// Runs `f` on the report, or gives `fallback` for NULL.
///
/// # Safety
///
/// `report` must be NULL or a live handle.
unsafe fn read<T>(
    report: *const ims_fleet_report,
    fallback: T,
    f: impl FnOnce(&ims_fleet_report) -> T,
) -> T {
    // SAFETY: by this function's contract a non-NULL `report` is a live handle, only read.
    match unsafe { report.as_ref() } {
        Some(r) => f(r),
        None => fallback,
    }
}

/// Runs `f` on row `index`, or gives `fallback` for NULL or an index out of range.
///
/// # Safety
///
/// `report` must be NULL or a live handle.
unsafe fn row<T>(
    report: *const ims_fleet_report,
    index: usize,
    fallback: T,
    f: impl FnOnce(&Row) -> T,
) -> T {
    // SAFETY: forwarded contract.
    match unsafe { report.as_ref() }.and_then(|r| r.rows.get(index)) {
        Some(r) => f(r),
        None => fallback,
    }
}

/// Frees a report. NULL is accepted and ignored.
///
/// # Safety
///
/// `report` must be NULL or a handle from `ims_fleet_run`, not yet freed, that no other thread
/// is reading; the strings borrowed from it die with it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_free(report: *mut ims_fleet_report) {
    ffi_boundary!(fallback = (); {
        // SAFETY: forwarded contract.
        unsafe { free_box(report) }
    })
}

/// The worst outcome of any item (`IMS_FLEET_OUTCOME_*`); `IMS_FLEET_OUTCOME_UNKNOWN` for NULL.
///
/// # Safety
///
/// `report` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_outcome(report: *const ims_fleet_report) -> u32 {
    ffi_boundary!(fallback = IMS_FLEET_OUTCOME_UNKNOWN; {
        // SAFETY: forwarded contract.
        unsafe { read(report, IMS_FLEET_OUTCOME_UNKNOWN, |r| r.outcome) }
    })
}

/// Whether the callback stopped the run (false for NULL).
///
/// # Safety
///
/// `report` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_stopped(report: *const ims_fleet_report) -> bool {
    ffi_boundary!(fallback = false; {
        // SAFETY: forwarded contract.
        unsafe { read(report, false, |r| r.stopped) }
    })
}

/// Whether it was a dry run (false for NULL).
///
/// # Safety
///
/// `report` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_dry_run(report: *const ims_fleet_report) -> bool {
    ffi_boundary!(fallback = false; {
        // SAFETY: forwarded contract.
        unsafe { read(report, false, |r| r.dry_run) }
    })
}

/// The number of items (0 for NULL).
///
/// # Safety
///
/// `report` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_item_count(report: *const ims_fleet_report) -> usize {
    ffi_boundary!(fallback = 0; {
        // SAFETY: forwarded contract.
        unsafe { read(report, 0, |r| r.rows.len()) }
    })
}

/// Item `index`'s key; NULL out of range. Owned by the report.
///
/// # Safety
///
/// `report` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_item_key(
    report: *const ims_fleet_report,
    index: usize,
) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { row(report, index, std::ptr::null(), |r| r.key.as_ptr()) }
    })
}

/// Item `index`'s state at the end of the run (`IMS_FLEET_STATE_*`); `IMS_FLEET_STATE_NONE`
/// out of range.
///
/// # Safety
///
/// `report` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_item_state(
    report: *const ims_fleet_report,
    index: usize,
) -> u32 {
    ffi_boundary!(fallback = IMS_FLEET_STATE_NONE; {
        // SAFETY: forwarded contract.
        unsafe { row(report, index, IMS_FLEET_STATE_NONE, |r| r.state) }
    })
}

/// Whether item `index` had already succeeded before this run (nothing was done to it);
/// false out of range.
///
/// # Safety
///
/// `report` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_item_already_done(
    report: *const ims_fleet_report,
    index: usize,
) -> bool {
    ffi_boundary!(fallback = false; {
        // SAFETY: forwarded contract.
        unsafe { row(report, index, false, |r| r.already_done) }
    })
}

/// Item `index`'s line in the manifest (from 1); 0 out of range.
///
/// # Safety
///
/// `report` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_item_line(
    report: *const ims_fleet_report,
    index: usize,
) -> usize {
    ffi_boundary!(fallback = 0; {
        // SAFETY: forwarded contract.
        unsafe { row(report, index, 0, |r| r.line) }
    })
}

/// Item `index`'s creation job id, or NULL (not known, or out of range). Owned by the report.
///
/// # Safety
///
/// `report` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_item_job_id(
    report: *const ims_fleet_report,
    index: usize,
) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { row(report, index, std::ptr::null(), |r| opt_ptr(&r.job_id)) }
    })
}

/// Item `index`'s image id, or NULL (not known, or out of range). Owned by the report.
///
/// # Safety
///
/// `report` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_item_image_id(
    report: *const ims_fleet_report,
    index: usize,
) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { row(report, index, std::ptr::null(), |r| opt_ptr(&r.image_id)) }
    })
}

/// The code of item `index`'s error (the service's `"IMG.0029"`, the job's `error_code`, or
/// this library's `"fleet.ambiguous"`, `"fleet.listing"`, `"fleet.gone"`), or NULL. Owned by
/// the report.
///
/// # Safety
///
/// `report` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_item_error_code(
    report: *const ims_fleet_report,
    index: usize,
) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { row(report, index, std::ptr::null(), |r| opt_ptr(&r.error_code)) }
    })
}

/// Why item `index` failed, is unknown, or was left unfinished; NULL when nothing went wrong.
/// Owned by the report.
///
/// # Safety
///
/// `report` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_item_error_message(
    report: *const ims_fleet_report,
    index: usize,
) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { row(report, index, std::ptr::null(), |r| opt_ptr(&r.error_message)) }
    })
}

/// The whole report as one JSON object: `fleet`, `run`, `dry_run`, `stopped`, `states` (a
/// count per state), `already_done`, `deletions`, `journal_writes`, `outcome` and `items` (per
/// item: `key`, `line`, `state`, `already_done`, `action`, `job_id`, `image_id`,
/// `duration_secs`, `error`). Owned by the report; NULL for NULL.
///
/// # Safety
///
/// `report` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_report_json(report: *const ims_fleet_report) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(report, std::ptr::null(), |r| r.json.as_ptr()) }
    })
}
