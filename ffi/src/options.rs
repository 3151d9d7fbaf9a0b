//! `ims_client_options`: the settings of a client, one setter per setting.
//!
//! Setters copy their arguments (the caller's strings may be freed right after) and only
//! check what can be checked alone (a zero timeout, an unknown algorithm); everything else (a
//! bad endpoint URL, an unknown region, an invalid CA) is reported by `ims_client_new` as
//! `IMS_ERR_CONFIG`. Secrets (SK, security token, auth token) are wiped from memory when the
//! options are freed or replaced.

use std::ffi::c_char;
use std::time::Duration;

use ims_core::client::RetryPolicy;
use ims_core::client::{ClientAuth, ProxyUrl};
use ims_core::sign::Algorithm;
use ims_core::{ClientConfig, Credentials, JobEndpoint};

use crate::args::{Out, free_box, mut_arg, opt_str_arg, str_arg};
use crate::error::{FfiError, FfiResult, ims_result};
use crate::panic::ffi_boundary;

/// A signing algorithm, for `ims_client_options_set_algorithm`: one of the `IMS_ALGORITHM_*`
/// constants. A fixed-width integer, not a C enum (its size never depends on the compiler).
pub type ims_algorithm = u32;

/// `SDK-HMAC-SHA256`, the default.
pub const IMS_ALGORITHM_SDK_HMAC_SHA256: ims_algorithm = 0;
/// `SDK-HMAC-SM3`.
pub const IMS_ALGORITHM_SDK_HMAC_SM3: ims_algorithm = 1;
/// `V11-HMAC-SHA256` (a key derived per day, region and service).
pub const IMS_ALGORITHM_V11_HMAC_SHA256: ims_algorithm = 2;

/// The settings of a client (opaque): make with `ims_client_options_new`, fill with the
/// `ims_client_options_set_*` setters, pass to `ims_client_new` (which copies what it needs:
/// the options may be freed or reused afterwards), free with `ims_client_options_free`.
///
/// Only the endpoint is required: a region (`_set_region`) or an URL (`_set_endpoint`).
/// Credentials default to the official chain (`HUAWEICLOUD_SDK_AK`/`_SK`/`_SECURITY_TOKEN`,
/// then the profile file, then ECS instance metadata); `_set_credentials`, `_set_auth_token`
/// and `_set_use_default_chain` replace each other (the last call wins).
///
/// Thread safety: not synchronized; use one options handle from one thread at a time.
#[derive(Clone, Default)]
pub struct ims_client_options {
    /// Core's settings: each setter changes one field.
    config: ClientConfig,
}

impl ims_client_options {
    /// The settings these options describe.
    pub(crate) fn config(&self) -> ClientConfig {
        self.config.clone()
    }
}

/// A timeout in milliseconds: at least 1 ms, at most 24 hours.
fn duration_ms(ms: u64, name: &str) -> FfiResult<Duration> {
    if ms == 0 || ms > 24 * 3600 * 1000 {
        return Err(FfiError::config(format!(
            "{name} must be between 1 and 86400000 milliseconds, got {ms}"
        )));
    }
    Ok(Duration::from_millis(ms))
}

/// Runs `f` on the options handle behind `options` (NULL-checked first).
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread.
unsafe fn with_options(
    options: *mut ims_client_options,
    f: impl FnOnce(&mut ims_client_options) -> FfiResult,
) -> FfiResult {
    // SAFETY: forwarded contract.
    let o = unsafe { mut_arg(options, "options") }?;
    f(o)
}

/// Makes an empty options handle (every setting at its default) into `*options_out`; free it
/// with `ims_client_options_free`.
///
/// # Safety
///
/// `options_out` must be NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_new(
    options_out: *mut *mut ims_client_options,
) -> ims_result {
    ffi_boundary!({
        let out = Out::new(options_out, "options_out")?;
        let handle = Box::into_raw(Box::new(ims_client_options::default()));
        // SAFETY: checked for NULL; valid for a write by contract.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Frees an options handle, wiping the secrets it holds. NULL is accepted and ignored.
///
/// # Safety
///
/// `options` must be NULL or a handle from `ims_client_options_new`, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_free(options: *mut ims_client_options) {
    ffi_boundary!(fallback = (); {
        // SAFETY: forwarded contract.
        unsafe { free_box(options) }
    })
}

/// A setter taking one required string: the string is checked (NULL, UTF-8) and copied.
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread; `arg` must be
/// NULL or NUL-terminated.
unsafe fn set_string(
    options: *mut ims_client_options,
    arg: *const c_char,
    name: &str,
    apply: impl FnOnce(&mut ims_client_options, String),
) -> ims_result {
    ffi_boundary!({
        // SAFETY: forwarded contract.
        let o = unsafe { mut_arg(options, "options") }?;
        // SAFETY: forwarded contract.
        let v = unsafe { str_arg(arg, name) }?.to_owned();
        apply(o, v);
        Ok(())
    })
}

/// The region (e.g. `"cn-north-4"`): picks the IMS endpoint from the region table (or
/// `HUAWEICLOUD_SDK_REGION_IMS_<REGION>`) and names the project looked up in IAM.
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread; `region` must be
/// NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_region(
    options: *mut ims_client_options,
    region: *const c_char,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe { set_string(options, region, "region", |o, v| o.config.region = Some(v)) }
}

/// An explicit IMS endpoint URL (overrides the region's), e.g. `"https://ims.example.com"`
/// or, for a local emulator, `"http://127.0.0.1:8080"` (plain http is allowed to loopback).
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread; `endpoint` must be
/// NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_endpoint(
    options: *mut ims_client_options,
    endpoint: *const c_char,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_string(options, endpoint, "endpoint", |o, v| {
            o.config.endpoint = Some(v)
        })
    }
}

/// An explicit IAM endpoint URL for the project id lookup (default:
/// `HUAWEICLOUD_SDK_IAM_ENDPOINT`, else the region's IAM).
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread; `iam_endpoint` must be
/// NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_iam_endpoint(
    options: *mut ims_client_options,
    iam_endpoint: *const c_char,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_string(options, iam_endpoint, "iam_endpoint", |o, v| {
            o.config.iam_endpoint = Some(v)
        })
    }
}

/// The project id (sent as `X-Project-Id`). Without it, the credentials' source is asked,
/// then IAM, on first use.
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread; `project_id` must be
/// NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_project_id(
    options: *mut ims_client_options,
    project_id: *const c_char,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_string(options, project_id, "project_id", |o, v| {
            o.config.project_id = Some(v)
        })
    }
}

/// IAM token authentication (`X-Auth-Token`) instead of AK/SK signing; needs a project id.
/// Replaces `_set_credentials` and `_set_use_default_chain`.
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread; `token` must be
/// NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_auth_token(
    options: *mut ims_client_options,
    token: *const c_char,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_string(options, token, "token", |o, v| {
            o.config.auth = Some(ClientAuth::token(v))
        })
    }
}

/// The profile file read by the default chain (default: `HUAWEICLOUD_SDK_CREDENTIALS_FILE`,
/// else `~/.huaweicloud/credentials`).
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread; `path` must be
/// NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_profile_file(
    options: *mut ims_client_options,
    path: *const c_char,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_string(options, path, "path", |o, v| {
            o.config.profile_file = Some(v.into())
        })
    }
}

/// Appended to the `User-Agent` header (`ims/<version> <suffix>`).
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread; `suffix` must be
/// NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_user_agent_suffix(
    options: *mut ims_client_options,
    suffix: *const c_char,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_string(options, suffix, "suffix", |o, v| {
            o.config.user_agent_suffix = Some(v)
        })
    }
}

/// A proxy URL for every request (default: `HTTPS_PROXY`/`NO_PROXY`, never for loopback).
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread; `proxy` must be
/// NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_proxy(
    options: *mut ims_client_options,
    proxy: *const c_char,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_string(options, proxy, "proxy", |o, v| {
            o.config.proxy = Some(ProxyUrl::new(v))
        })
    }
}

/// Extra trusted CA certificates, as PEM text holding one or more certificates (beside the
/// bundled web PKI roots). Replaces the PEM of an earlier call. Text without any certificate, or
/// with a damaged one, gives `IMS_ERR_CONFIG` at once (its message names `CA certificate`).
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread; `pem` must be
/// NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_ca_pem(
    options: *mut ims_client_options,
    pem: *const c_char,
) -> ims_result {
    ffi_boundary!({
        // SAFETY: forwarded contract.
        let o = unsafe { mut_arg(options, "options") }?;
        // SAFETY: forwarded contract.
        let text = unsafe { str_arg(pem, "pem") }?;
        ims_core::client::tls::count_pem_certificates(text.as_bytes())?;
        o.config.ca_pems = vec![text.as_bytes().to_vec()];
        Ok(())
    })
}

/// Extra trusted CA certificates from a PEM file, read by `ims_client_new` (whose
/// `IMS_ERR_CONFIG` names the file when it cannot be read or holds no certificate). Replaces the
/// file of an earlier call; adds to `ims_client_options_set_ca_pem`. Without either, the file
/// named by `IMS_CA_FILE`, else `REQUESTS_CA_BUNDLE`, else `SSL_CERT_FILE` is read the same way.
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread; `path` must be
/// NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_ca_file(
    options: *mut ims_client_options,
    path: *const c_char,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_string(options, path, "path", |o, v| {
            o.config.ca_files = vec![v.into()]
        })
    }
}

/// Fixed AK/SK credentials, with the security token of temporary credentials (or NULL).
/// Replaces `_set_auth_token` and `_set_use_default_chain`.
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread; the strings
/// must be NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_credentials(
    options: *mut ims_client_options,
    access_key: *const c_char,
    secret_key: *const c_char,
    security_token: *const c_char,
) -> ims_result {
    ffi_boundary!({
        // SAFETY: forwarded contract (all three).
        let (ak, sk, token) = unsafe {
            (
                str_arg(access_key, "access_key")?,
                str_arg(secret_key, "secret_key")?,
                opt_str_arg(security_token, "security_token")?,
            )
        };
        let mut credentials = Credentials::new(ak, sk);
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            credentials = credentials.with_security_token(token);
        }
        let auth = ClientAuth::credentials(credentials);
        // SAFETY: forwarded contract.
        unsafe {
            with_options(options, |o| {
                o.config.auth = Some(auth);
                Ok(())
            })
        }
    })
}

/// Credentials from the default chain (the default): environment, profile file, instance
/// metadata. Replaces `_set_credentials` and `_set_auth_token`.
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_use_default_chain(
    options: *mut ims_client_options,
) -> ims_result {
    ffi_boundary!({
        // SAFETY: forwarded contract.
        unsafe {
            with_options(options, |o| {
                o.config.auth = None;
                Ok(())
            })
        }
    })
}

/// The signing algorithm: one of `ims_algorithm` (default `IMS_ALGORITHM_SDK_HMAC_SHA256`).
/// Another number gives `IMS_ERR_CONFIG`.
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_algorithm(
    options: *mut ims_client_options,
    algorithm: ims_algorithm,
) -> ims_result {
    ffi_boundary!({
        let algorithm = match algorithm {
            IMS_ALGORITHM_SDK_HMAC_SHA256 => Algorithm::SdkHmacSha256,
            IMS_ALGORITHM_SDK_HMAC_SM3 => Algorithm::SdkHmacSm3,
            IMS_ALGORITHM_V11_HMAC_SHA256 => Algorithm::V11HmacSha256,
            other => {
                return Err(FfiError::config(format!(
                    "unknown signing algorithm {other} (expected an ims_algorithm value)"
                )));
            }
        };
        // SAFETY: forwarded contract.
        unsafe {
            with_options(options, |o| {
                o.config.algorithm = algorithm;
                Ok(())
            })
        }
    })
}

/// Timeout of one whole HTTP exchange in milliseconds (1..=86400000; default 30000).
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_timeout_ms(
    options: *mut ims_client_options,
    timeout_ms: u64,
) -> ims_result {
    ffi_boundary!({
        let d = duration_ms(timeout_ms, "timeout_ms")?;
        // SAFETY: forwarded contract.
        unsafe {
            with_options(options, |o| {
                o.config.timeout = d;
                Ok(())
            })
        }
    })
}

/// Connect timeout in milliseconds (1..=86400000; default 10000).
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_connect_timeout_ms(
    options: *mut ims_client_options,
    timeout_ms: u64,
) -> ims_result {
    ffi_boundary!({
        let d = duration_ms(timeout_ms, "connect_timeout_ms")?;
        // SAFETY: forwarded contract.
        unsafe {
            with_options(options, |o| {
                o.config.connect_timeout = d;
                Ok(())
            })
        }
    })
}

/// How long an unused keep-alive connection is kept for reuse, in milliseconds
/// (1..=86400000; default 50000). Keep it below the idle timeout of the server or load balancer.
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_pool_idle_timeout_ms(
    options: *mut ims_client_options,
    timeout_ms: u64,
) -> ims_result {
    ffi_boundary!({
        let d = duration_ms(timeout_ms, "pool_idle_timeout_ms")?;
        // SAFETY: forwarded contract.
        unsafe {
            with_options(options, |o| {
                o.config.pool_idle_timeout = d;
                Ok(())
            })
        }
    })
}

/// HTTP exchanges the client has in flight at once, and so its connections (1..=65535; default
/// 32). Threads beyond it wait for a slot before sending anything.
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_max_concurrent_requests(
    options: *mut ims_client_options,
    n: u32,
) -> ims_result {
    ffi_boundary!({
        let max = ims_core::client::MAX_CONCURRENT_REQUESTS;
        if n == 0 || n as usize > max {
            return Err(FfiError::config(format!(
                "max_concurrent_requests must be between 1 and {max}, got {n}"
            )));
        }
        // SAFETY: forwarded contract.
        unsafe {
            with_options(options, |o| {
                o.config.max_concurrent_requests = n as usize;
                Ok(())
            })
        }
    })
}

/// Allows plain `http` to hosts that are not loopback (default false: https is required;
/// loopback may always use http).
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_allow_http(
    options: *mut ims_client_options,
    allow: bool,
) -> ims_result {
    ffi_boundary!({
        // SAFETY: forwarded contract.
        unsafe {
            with_options(options, |o| {
                o.config.allow_http = allow;
                Ok(())
            })
        }
    })
}

/// Queries jobs through the legacy endpoint `GET /v1/{project_id}/jobs/{job_id}` instead of
/// `GET /v1/cloudimages/job/{job_id}` (default false).
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_legacy_job_endpoint(
    options: *mut ims_client_options,
    legacy: bool,
) -> ims_result {
    ffi_boundary!({
        // SAFETY: forwarded contract.
        unsafe {
            with_options(options, |o| {
                o.config.job_endpoint = if legacy {
                    JobEndpoint::Legacy
                } else {
                    JobEndpoint::Progress
                };
                Ok(())
            })
        }
    })
}

/// Attempts per HTTP call, the first included (1 = never retry; default 4; at most 100).
/// Reads are retried on transient errors; the create call only when it surely was not
/// received or was throttled, so it never creates two images.
///
/// # Safety
///
/// `options` must be NULL or a live options handle not used by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_options_set_max_attempts(
    options: *mut ims_client_options,
    max_attempts: u32,
) -> ims_result {
    ffi_boundary!({
        if !(1..=100).contains(&max_attempts) {
            return Err(FfiError::config(format!(
                "max_attempts must be between 1 and 100, got {max_attempts}"
            )));
        }
        // SAFETY: forwarded contract.
        unsafe {
            with_options(options, |o| {
                o.config.retry = RetryPolicy {
                    max_attempts,
                    ..RetryPolicy::default()
                };
                Ok(())
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::IMS_ERR_CONFIG;

    #[test]
    fn zero_timeouts_are_refused() {
        assert!(duration_ms(0, "t").is_err());
        assert!(duration_ms(1, "t").is_ok());
    }

    #[test]
    fn pool_idle_timeouts_beyond_a_day_are_refused_naming_the_field_and_the_rule() {
        let day = 24 * 3600 * 1000;
        for bad in [0, day + 1, u64::MAX] {
            let mut o = ims_client_options::default();
            // SAFETY: a live options handle used by this thread only.
            let rc = unsafe { ims_client_options_set_pool_idle_timeout_ms(&mut o, bad) };
            assert_eq!(rc, IMS_ERR_CONFIG, "{bad}");
            let message =
                crate::error::last_error_value(|e| e.message.to_string_lossy().into_owned())
                    .unwrap_or_default();
            assert!(
                message.contains("pool_idle_timeout_ms")
                    && message.contains("between 1 and 86400000 milliseconds"),
                "{message}"
            );
            assert_eq!(
                o.config.pool_idle_timeout,
                ims_core::client::DEFAULT_POOL_IDLE_TIMEOUT
            );
        }
    }
}
