//! Errors as C sees them: the result enum, the error type each export's body returns, and the
//! thread-local last error. The `ims_last_error_*` functions that read it are in
//! `last_error.rs` (they run inside the panic boundary, which itself records errors here).

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};

use ims_core::fleet::{FleetError, JournalError};
use ims_core::model::Job;
use ims_core::{Error, ErrorKind};

/// The result of every fallible call: `IMS_OK` (0) or the kind of the error (the `IMS_ERR_*`
/// constants). A fixed-width integer, not a C enum: its size never depends on the compiler, and
/// a newer library may return a code this header does not name yet (`ims_result_str` then
/// says `"unknown"`; treat it as a failure). Details of the error are in the thread's last
/// error (`ims_last_error_message()` and friends).
pub type ims_result = i32;

/// Success.
pub const IMS_OK: ims_result = 0;
/// A pointer argument that must not be NULL was NULL; nothing was done.
pub const IMS_ERR_NULL_ARGUMENT: ims_result = 1;
/// A string argument was not valid UTF-8; nothing was done.
pub const IMS_ERR_INVALID_UTF8: ims_result = 2;
/// The request (or the wait options) broke a documented rule; nothing was sent. The
/// message lists every violation with its field path.
pub const IMS_ERR_VALIDATION: ims_result = 3;
/// No usable credentials, or a credential provider failed.
pub const IMS_ERR_CREDENTIALS: ims_result = 4;
/// The client configuration is wrong (endpoint, region, project, TLS, proxy, an option
/// value).
pub const IMS_ERR_CONFIG: ims_result = 5;
/// The request could not be signed.
pub const IMS_ERR_SIGNING: ims_result = 6;
/// The connection failed, was dropped, or the body could not be read.
pub const IMS_ERR_TRANSPORT: ims_result = 7;
/// One HTTP exchange took longer than the configured timeout.
pub const IMS_ERR_TIMEOUT: ims_result = 8;
/// The service (or its API gateway) answered with an error: see
/// `ims_last_error_status()`, `ims_last_error_code()`, `ims_last_error_request_id()`.
pub const IMS_ERR_API: ims_result = 9;
/// The service answered something this client cannot understand.
pub const IMS_ERR_INVALID_RESPONSE: ims_result = 10;
/// The job ended in FAIL; `ims_last_error_job()` gives the job document and
/// `ims_last_error_code()` its `error_code`.
pub const IMS_ERR_JOB_FAILED: ims_result = 11;
/// The waiter gave up before the job ended; `ims_last_error_job()` gives the last job
/// document seen, if any.
pub const IMS_ERR_WAIT_TIMEOUT: ims_result = 12;
/// The progress callback cancelled the wait; `ims_last_error_job()` gives the last job
/// document seen, if any.
pub const IMS_ERR_CANCELLED: ims_result = 13;
/// A bug: the library panicked. The message holds the panic message. The library stays
/// usable, but the handles the call was given may hold partial changes.
pub const IMS_ERR_PANIC: ims_result = 14;
/// An error of a kind this version of the C enum has no code for (a newer core); the
/// message says what it is. Never used for a service answer (that is `IMS_ERR_API`).
pub const IMS_ERR_OTHER: ims_result = 15;
/// The fleet manifest cannot be read or has problems; nothing was sent. The message lists
/// every problem with its line number (`manifest line 3: ...`).
pub const IMS_ERR_MANIFEST: ims_result = 16;
/// The fleet journal is held by another run (another process, or another call of this
/// process): overlapping runs must not create twice. Nothing was sent.
pub const IMS_ERR_JOURNAL_LOCKED: ims_result = 17;
/// The fleet journal cannot be used: not a journal, damaged, another fleet's, or a file
/// error. Nothing was sent (the message names the file and the reason).
pub const IMS_ERR_JOURNAL: ims_result = 18;
/// The fleet run would make more images than the region's image quota leaves; nothing was
/// sent. The message names both numbers (allow a partial run to make what fits).
pub const IMS_ERR_QUOTA: ims_result = 19;

/// Every code, in numeric order.
const ALL_RESULTS: [ims_result; 20] = [
    IMS_OK,
    IMS_ERR_NULL_ARGUMENT,
    IMS_ERR_INVALID_UTF8,
    IMS_ERR_VALIDATION,
    IMS_ERR_CREDENTIALS,
    IMS_ERR_CONFIG,
    IMS_ERR_SIGNING,
    IMS_ERR_TRANSPORT,
    IMS_ERR_TIMEOUT,
    IMS_ERR_API,
    IMS_ERR_INVALID_RESPONSE,
    IMS_ERR_JOB_FAILED,
    IMS_ERR_WAIT_TIMEOUT,
    IMS_ERR_CANCELLED,
    IMS_ERR_PANIC,
    IMS_ERR_OTHER,
    IMS_ERR_MANIFEST,
    IMS_ERR_JOURNAL_LOCKED,
    IMS_ERR_JOURNAL,
    IMS_ERR_QUOTA,
];

/// The codes that are not `ims_core` error kinds (the boundary's own, the fallback, and the
/// fleet's, which come from `FleetError`).
const NOT_KINDS: [ims_result; 9] = [
    IMS_OK,
    IMS_ERR_NULL_ARGUMENT,
    IMS_ERR_INVALID_UTF8,
    IMS_ERR_PANIC,
    IMS_ERR_OTHER,
    IMS_ERR_MANIFEST,
    IMS_ERR_JOURNAL_LOCKED,
    IMS_ERR_JOURNAL,
    IMS_ERR_QUOTA,
];

/// A stable lowercase name of a code, NUL-terminated (`"ok"`, `"api"`, ...; `"unknown"` for
/// a number that is not a code); the error kinds use the names of `ims_core::ErrorKind::as_str`.
pub fn code_name(code: ims_result) -> &'static CStr {
    match code {
        IMS_OK => c"ok",
        IMS_ERR_NULL_ARGUMENT => c"null_argument",
        IMS_ERR_INVALID_UTF8 => c"invalid_utf8",
        IMS_ERR_VALIDATION => c"validation",
        IMS_ERR_CREDENTIALS => c"credentials",
        IMS_ERR_CONFIG => c"config",
        IMS_ERR_SIGNING => c"signing",
        IMS_ERR_TRANSPORT => c"transport",
        IMS_ERR_TIMEOUT => c"timeout",
        IMS_ERR_API => c"api",
        IMS_ERR_INVALID_RESPONSE => c"invalid_response",
        IMS_ERR_JOB_FAILED => c"job_failed",
        IMS_ERR_WAIT_TIMEOUT => c"wait_timeout",
        IMS_ERR_CANCELLED => c"cancelled",
        IMS_ERR_PANIC => c"panic",
        IMS_ERR_OTHER => c"other",
        IMS_ERR_MANIFEST => c"manifest",
        IMS_ERR_JOURNAL_LOCKED => c"journal_locked",
        IMS_ERR_JOURNAL => c"journal",
        IMS_ERR_QUOTA => c"quota",
        _ => c"unknown",
    }
}

/// The code of an `ims_core` error kind: the code of the same name, or `IMS_ERR_OTHER` for a
/// kind this library has no code for yet.
pub fn code_of_kind(kind: ErrorKind) -> ims_result {
    code_of_kind_name(kind.as_str())
}

/// The code named `name` (an `ErrorKind::as_str`), or `IMS_ERR_OTHER`.
fn code_of_kind_name(name: &str) -> ims_result {
    ALL_RESULTS
        .into_iter()
        .filter(|r| !NOT_KINDS.contains(r))
        .find(|r| code_name(*r).to_bytes() == name.as_bytes())
        .unwrap_or(IMS_ERR_OTHER)
}

/// An error on its way to the thread's last error (boxed: it travels in every `Result`).
#[derive(Debug, Clone)]
pub(crate) struct FfiError(Box<ErrorData>);

/// What an [`FfiError`] holds.
#[derive(Debug, Clone)]
pub(crate) struct ErrorData {
    pub(crate) result: ims_result,
    pub(crate) message: String,
    pub(crate) status: u16,
    pub(crate) code: Option<String>,
    pub(crate) request_id: Option<String>,
    pub(crate) job: Option<Job>,
}

impl std::ops::Deref for FfiError {
    type Target = ErrorData;

    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

impl FfiError {
    /// An error with only a code and a message.
    pub(crate) fn new(result: ims_result, message: impl Into<String>) -> Self {
        FfiError(Box::new(ErrorData {
            result,
            message: message.into(),
            status: 0,
            code: None,
            request_id: None,
            job: None,
        }))
    }

    /// `IMS_ERR_NULL_ARGUMENT` naming the parameter.
    pub(crate) fn null(arg: &str) -> Self {
        FfiError::new(IMS_ERR_NULL_ARGUMENT, format!("argument `{arg}` is NULL"))
    }

    /// `IMS_ERR_CONFIG`.
    pub(crate) fn config(message: impl Into<String>) -> Self {
        FfiError::new(IMS_ERR_CONFIG, message)
    }
}

impl From<Error> for FfiError {
    fn from(e: Error) -> Self {
        let result = code_of_kind(e.kind());
        let (status, code) = match &e {
            Error::Api(api) => (api.status, api.code.clone()),
            Error::InvalidResponse { status, .. } => (*status, None),
            Error::JobFailed { job } => (0, job.error_code.clone()),
            _ => (0, None),
        };
        FfiError(Box::new(ErrorData {
            result,
            message: e.to_string(),
            status,
            code,
            request_id: e.request_id().map(str::to_owned),
            job: e.job().cloned(),
        }))
    }
}

impl From<FleetError> for FfiError {
    fn from(e: FleetError) -> Self {
        let result = match &e {
            FleetError::Manifest(_) => IMS_ERR_MANIFEST,
            FleetError::Options(_) => IMS_ERR_VALIDATION,
            FleetError::Journal(JournalError::Locked { .. }) => IMS_ERR_JOURNAL_LOCKED,
            FleetError::Journal(_) => IMS_ERR_JOURNAL,
            FleetError::Quota { .. } => IMS_ERR_QUOTA,
            FleetError::Service(_) => IMS_OK,
        };
        match e {
            FleetError::Service(inner) => {
                // The service error keeps its own code, status and request id.
                let mut out = FfiError::from(inner);
                out.0.message = format!("before the first create: {}", out.0.message);
                out
            }
            other => FfiError::new(result, other.to_string()),
        }
    }
}

impl From<JournalError> for FfiError {
    fn from(e: JournalError) -> Self {
        FfiError::from(FleetError::Journal(e))
    }
}

impl From<ims_core::validate::ValidationErrors> for FfiError {
    fn from(e: ims_core::validate::ValidationErrors) -> Self {
        FfiError::from(Error::Validation(e))
    }
}

/// What the body of a result-returning function gives.
pub(crate) type FfiResult<T = ()> = Result<T, FfiError>;

/// The last error as stored for C: NUL-terminated copies, so that pointers can be handed out.
pub(crate) struct LastError {
    pub(crate) result: ims_result,
    pub(crate) message: CString,
    pub(crate) status: u16,
    pub(crate) code: Option<CString>,
    pub(crate) request_id: Option<CString>,
    pub(crate) job: Option<Job>,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// Records `e` as this thread's last error (never panics on a healthy thread).
pub(crate) fn set_last_error(e: FfiError) {
    let e = *e.0;
    let stored = LastError {
        result: e.result,
        message: crate::text::c_string(&e.message),
        status: e.status,
        code: e.code.as_deref().map(crate::text::c_string),
        request_id: e.request_id.as_deref().map(crate::text::c_string),
        job: e.job,
    };
    let _ = LAST_ERROR.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            *slot = Some(stored);
        }
    });
}

/// Clears this thread's last error (after a successful call).
pub(crate) fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            // Dropping the old value outside the borrow would not matter: its destructors
            // only free memory.
            *slot = None;
        }
    });
}

/// `f` of this thread's last error, `None` when the last call succeeded (or the thread is
/// being torn down).
pub(crate) fn last_error_value<T>(f: impl Fn(&LastError) -> T) -> Option<T> {
    LAST_ERROR
        .try_with(|cell| {
            cell.try_borrow()
                .ok()
                .and_then(|slot| slot.as_ref().map(&f))
        })
        .ok()
        .flatten()
}

/// `ims_result_str` of an integer that may not be a valid code.
pub(crate) fn result_name(code: ims_result) -> *const c_char {
    code_name(code).as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_code() {
        use std::collections::HashSet;
        let kinds = [
            ErrorKind::Validation,
            ErrorKind::Credentials,
            ErrorKind::Config,
            ErrorKind::Signing,
            ErrorKind::Transport,
            ErrorKind::Timeout,
            ErrorKind::Api,
            ErrorKind::InvalidResponse,
            ErrorKind::JobFailed,
            ErrorKind::WaitTimeout,
            ErrorKind::Cancelled,
        ];
        let codes: HashSet<ims_result> = kinds.iter().map(|k| code_of_kind(*k)).collect();
        assert_eq!(codes.len(), kinds.len());
        for k in kinds {
            let name = code_name(code_of_kind(k)).to_str().unwrap_or_default();
            assert_eq!(name, k.as_str());
        }
        for (i, r) in ALL_RESULTS.iter().enumerate() {
            assert_eq!(usize::try_from(*r).ok(), Some(i));
        }
    }

    #[test]
    fn an_unknown_kind_is_other_not_api() {
        // A kind the C enum does not know (core's `ErrorKind` is non-exhaustive) gets the
        // generic code, never one that claims the service answered.
        assert_eq!(code_of_kind_name("some_kind_added_later"), IMS_ERR_OTHER);
        assert_eq!(code_of_kind_name(""), IMS_ERR_OTHER);
        // Codes that are not error kinds are never the image of a kind.
        for name in [
            "ok",
            "null_argument",
            "invalid_utf8",
            "panic",
            "other",
            "manifest",
            "journal_locked",
            "journal",
            "quota",
        ] {
            assert_eq!(code_of_kind_name(name), IMS_ERR_OTHER, "{name}");
        }
        assert_eq!(IMS_ERR_OTHER, 15);
        assert_eq!(code_name(IMS_ERR_OTHER), c"other");
        assert_eq!(code_name(99), c"unknown");
        assert_eq!(code_name(-1), c"unknown");
        assert_eq!(code_of_kind_name("api"), IMS_ERR_API);
        assert_eq!(ALL_RESULTS.last(), Some(&IMS_ERR_QUOTA));
    }
}
