//! Errors as C sees them: the result enum, the error type each export's body returns, and the
//! thread-local last error. The `ims_last_error_*` functions that read it are in
//! `last_error.rs` (they run inside the panic boundary, which itself records errors here).

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};

use ims_core::fleet::{FleetError, JournalError};
use ims_core::model::Job;
use ims_core::{Error, ErrorKind};

/// The result of every fallible call: `IMS_OK` (0) or the kind of the error. Details of the
/// error are in the thread's last error (`ims_last_error_message()` and friends).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ims_result {
    /// Success.
    IMS_OK = 0,
    /// A pointer argument that must not be NULL was NULL; nothing was done.
    IMS_ERR_NULL_ARGUMENT = 1,
    /// A string argument was not valid UTF-8; nothing was done.
    IMS_ERR_INVALID_UTF8 = 2,
    /// The request (or the wait options) broke a documented rule; nothing was sent. The
    /// message lists every violation with its field path.
    IMS_ERR_VALIDATION = 3,
    /// No usable credentials, or a credential provider failed.
    IMS_ERR_CREDENTIALS = 4,
    /// The client configuration is wrong (endpoint, region, project, TLS, proxy, an option
    /// value).
    IMS_ERR_CONFIG = 5,
    /// The request could not be signed.
    IMS_ERR_SIGNING = 6,
    /// The connection failed, was dropped, or the body could not be read.
    IMS_ERR_TRANSPORT = 7,
    /// One HTTP exchange took longer than the configured timeout.
    IMS_ERR_TIMEOUT = 8,
    /// The service (or its API gateway) answered with an error: see
    /// `ims_last_error_status()`, `ims_last_error_code()`, `ims_last_error_request_id()`.
    IMS_ERR_API = 9,
    /// The service answered something this client cannot understand.
    IMS_ERR_INVALID_RESPONSE = 10,
    /// The job ended in FAIL; `ims_last_error_job()` gives the job document and
    /// `ims_last_error_code()` its `error_code`.
    IMS_ERR_JOB_FAILED = 11,
    /// The waiter gave up before the job ended; `ims_last_error_job()` gives the last job
    /// document seen, if any.
    IMS_ERR_WAIT_TIMEOUT = 12,
    /// The progress callback cancelled the wait; `ims_last_error_job()` gives the last job
    /// document seen, if any.
    IMS_ERR_CANCELLED = 13,
    /// A bug: the library panicked. The message holds the panic message. The library stays
    /// usable, but the handles the call was given may hold partial changes.
    IMS_ERR_PANIC = 14,
    /// An error of a kind this version of the C enum has no code for (a newer core); the
    /// message says what it is. Never used for a service answer (that is `IMS_ERR_API`).
    IMS_ERR_OTHER = 15,
    /// The fleet manifest cannot be read or has problems; nothing was sent. The message lists
    /// every problem with its line number (`manifest line 3: ...`).
    IMS_ERR_MANIFEST = 16,
    /// The fleet journal is held by another run (another process, or another call of this
    /// process): overlapping runs must not create twice. Nothing was sent.
    IMS_ERR_JOURNAL_LOCKED = 17,
    /// The fleet journal cannot be used: not a journal, damaged, another fleet's, or a file
    /// error. Nothing was sent (the message names the file and the reason).
    IMS_ERR_JOURNAL = 18,
    /// The fleet run would make more images than the region's image quota leaves; nothing was
    /// sent. The message names both numbers (allow a partial run to make what fits).
    IMS_ERR_QUOTA = 19,
}

/// Every code, in numeric order.
const ALL_RESULTS: [ims_result; 20] = [
    ims_result::IMS_OK,
    ims_result::IMS_ERR_NULL_ARGUMENT,
    ims_result::IMS_ERR_INVALID_UTF8,
    ims_result::IMS_ERR_VALIDATION,
    ims_result::IMS_ERR_CREDENTIALS,
    ims_result::IMS_ERR_CONFIG,
    ims_result::IMS_ERR_SIGNING,
    ims_result::IMS_ERR_TRANSPORT,
    ims_result::IMS_ERR_TIMEOUT,
    ims_result::IMS_ERR_API,
    ims_result::IMS_ERR_INVALID_RESPONSE,
    ims_result::IMS_ERR_JOB_FAILED,
    ims_result::IMS_ERR_WAIT_TIMEOUT,
    ims_result::IMS_ERR_CANCELLED,
    ims_result::IMS_ERR_PANIC,
    ims_result::IMS_ERR_OTHER,
    ims_result::IMS_ERR_MANIFEST,
    ims_result::IMS_ERR_JOURNAL_LOCKED,
    ims_result::IMS_ERR_JOURNAL,
    ims_result::IMS_ERR_QUOTA,
];

/// The codes that are not `ims_core` error kinds (the boundary's own, the fallback, and the
/// fleet's, which come from `FleetError`).
const NOT_KINDS: [ims_result; 9] = [
    ims_result::IMS_OK,
    ims_result::IMS_ERR_NULL_ARGUMENT,
    ims_result::IMS_ERR_INVALID_UTF8,
    ims_result::IMS_ERR_PANIC,
    ims_result::IMS_ERR_OTHER,
    ims_result::IMS_ERR_MANIFEST,
    ims_result::IMS_ERR_JOURNAL_LOCKED,
    ims_result::IMS_ERR_JOURNAL,
    ims_result::IMS_ERR_QUOTA,
];

impl ims_result {
    /// A stable lowercase name, NUL-terminated (`"ok"`, `"api"`, ...); the error kinds use the
    /// names of `ims_core::ErrorKind::as_str`.
    pub fn name(self) -> &'static CStr {
        match self {
            ims_result::IMS_OK => c"ok",
            ims_result::IMS_ERR_NULL_ARGUMENT => c"null_argument",
            ims_result::IMS_ERR_INVALID_UTF8 => c"invalid_utf8",
            ims_result::IMS_ERR_VALIDATION => c"validation",
            ims_result::IMS_ERR_CREDENTIALS => c"credentials",
            ims_result::IMS_ERR_CONFIG => c"config",
            ims_result::IMS_ERR_SIGNING => c"signing",
            ims_result::IMS_ERR_TRANSPORT => c"transport",
            ims_result::IMS_ERR_TIMEOUT => c"timeout",
            ims_result::IMS_ERR_API => c"api",
            ims_result::IMS_ERR_INVALID_RESPONSE => c"invalid_response",
            ims_result::IMS_ERR_JOB_FAILED => c"job_failed",
            ims_result::IMS_ERR_WAIT_TIMEOUT => c"wait_timeout",
            ims_result::IMS_ERR_CANCELLED => c"cancelled",
            ims_result::IMS_ERR_PANIC => c"panic",
            ims_result::IMS_ERR_OTHER => c"other",
            ims_result::IMS_ERR_MANIFEST => c"manifest",
            ims_result::IMS_ERR_JOURNAL_LOCKED => c"journal_locked",
            ims_result::IMS_ERR_JOURNAL => c"journal",
            ims_result::IMS_ERR_QUOTA => c"quota",
        }
    }

    /// The code of an `ims_core` error kind: the code of the same name, or `IMS_ERR_OTHER` for
    /// a kind this enum does not know yet.
    pub fn from_kind(kind: ErrorKind) -> ims_result {
        Self::from_kind_name(kind.as_str())
    }

    /// The code named `name` (an `ErrorKind::as_str`), or `IMS_ERR_OTHER`.
    fn from_kind_name(name: &str) -> ims_result {
        ALL_RESULTS
            .into_iter()
            .filter(|r| !NOT_KINDS.contains(r))
            .find(|r| r.name().to_bytes() == name.as_bytes())
            .unwrap_or(ims_result::IMS_ERR_OTHER)
    }
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
        FfiError::new(
            ims_result::IMS_ERR_NULL_ARGUMENT,
            format!("argument `{arg}` is NULL"),
        )
    }

    /// `IMS_ERR_CONFIG`.
    pub(crate) fn config(message: impl Into<String>) -> Self {
        FfiError::new(ims_result::IMS_ERR_CONFIG, message)
    }
}

impl From<Error> for FfiError {
    fn from(e: Error) -> Self {
        let result = ims_result::from_kind(e.kind());
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
            FleetError::Manifest(_) => ims_result::IMS_ERR_MANIFEST,
            FleetError::Options(_) => ims_result::IMS_ERR_VALIDATION,
            FleetError::Journal(JournalError::Locked { .. }) => ims_result::IMS_ERR_JOURNAL_LOCKED,
            FleetError::Journal(_) => ims_result::IMS_ERR_JOURNAL,
            FleetError::Quota { .. } => ims_result::IMS_ERR_QUOTA,
            FleetError::Service(_) => ims_result::IMS_OK,
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
pub(crate) fn result_name(code: i32) -> *const c_char {
    ALL_RESULTS
        .iter()
        .find(|r| **r as i32 == code)
        .map_or(c"unknown".as_ptr(), |r| r.name().as_ptr())
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
        let codes: HashSet<ims_result> = kinds.iter().map(|k| ims_result::from_kind(*k)).collect();
        assert_eq!(codes.len(), kinds.len());
        for k in kinds {
            let name = ims_result::from_kind(k).name().to_str().unwrap_or_default();
            assert_eq!(name, k.as_str());
        }
        for (i, r) in ALL_RESULTS.iter().enumerate() {
            assert_eq!(*r as usize, i);
        }
    }

    #[test]
    fn an_unknown_kind_is_other_not_api() {
        // A kind the C enum does not know (core's `ErrorKind` is non-exhaustive) gets the
        // generic code, never one that claims the service answered.
        assert_eq!(
            ims_result::from_kind_name("some_kind_added_later"),
            ims_result::IMS_ERR_OTHER
        );
        assert_eq!(ims_result::from_kind_name(""), ims_result::IMS_ERR_OTHER);
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
            assert_eq!(
                ims_result::from_kind_name(name),
                ims_result::IMS_ERR_OTHER,
                "{name}"
            );
        }
        assert_eq!(ims_result::IMS_ERR_OTHER as i32, 15);
        assert_eq!(ims_result::IMS_ERR_OTHER.name(), c"other");
        assert_eq!(ims_result::from_kind_name("api"), ims_result::IMS_ERR_API);
        assert_eq!(ALL_RESULTS.last(), Some(&ims_result::IMS_ERR_QUOTA));
    }
}
