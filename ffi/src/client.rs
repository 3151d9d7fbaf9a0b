//! `ims_client`: create a full-ECS image, query its job, wait for it.

use std::ffi::{c_char, c_void};

use ims_core::model::WholeImageRequest;
use ims_core::{Client, JobId};

use crate::args::{Out, free_box, ref_arg, str_arg};
use crate::error::{FfiResult, ims_result};
use crate::job::ims_job;
use crate::options::ims_client_options;
use crate::panic::ffi_boundary;
use crate::request::{built, ims_request};
use crate::text::{c_string, owned_c_string};
use crate::wait::{CallbackObserver, ims_progress_cb, ims_wait_options};

/// An IMS client (opaque): made by `ims_client_new`, freed by `ims_client_free`.
///
/// Thread safety: shareable. One client may be used from any number of threads at once (it
/// keeps one connection pool; share it rather than making one per thread); only
/// `ims_client_free` must not race with other uses.
pub struct ims_client {
    client: Client,
}

impl ims_client {
    /// The core client (a cheap clone shares its connections and state).
    pub(crate) fn core(&self) -> &Client {
        &self.client
    }
}

/// Makes a client from `options` (copied: free or reuse them afterwards) into `*client_out`;
/// free it with `ims_client_free`.
///
/// Errors: `IMS_ERR_CONFIG` for a missing or bad endpoint or region, a bad proxy or CA
/// certificate. Credentials are looked up lazily, on the first request.
///
/// # Safety
///
/// `options` must be NULL or a live options handle not changed by another thread meanwhile;
/// `client_out` must be NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_new(
    options: *const ims_client_options,
    client_out: *mut *mut ims_client,
) -> ims_result {
    ffi_boundary!({
        let out = Out::new(client_out, "client_out")?;
        // SAFETY: forwarded contract.
        let options = unsafe { ref_arg(options, "options") }?;
        let client = ims_core::Client::new(options.config())?;
        let handle = Box::into_raw(Box::new(ims_client { client }));
        // SAFETY: checked for NULL; valid for a write by contract.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Frees a client (closing its connections). NULL is accepted and ignored.
///
/// # Safety
///
/// `client` must be NULL or a handle from `ims_client_new`, not yet freed, that no other thread
/// is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_client_free(client: *mut ims_client) {
    ffi_boundary!(fallback = (); {
        // SAFETY: forwarded contract.
        unsafe { free_box(client) }
    })
}

/// Sends `request` and writes the job id to `*job_id_out`.
fn create(client: &ims_client, request: &WholeImageRequest, out: Out<*mut c_char>) -> FfiResult {
    let job_id = client.client.create_whole_image(request)?;
    // SAFETY: `out` was checked for NULL; valid for a write by the caller's contract.
    unsafe { out.write(owned_c_string(job_id.as_str())) };
    Ok(())
}

/// Creates a full-ECS image: validates `request` (nothing is sent when it breaks a rule:
/// `IMS_ERR_VALIDATION`), sends it, and writes the job id to `*job_id_out` (free with
/// `ims_string_free`). The create call is never retried in a way that could make two images.
///
/// # Safety
///
/// `client` and `request` must be NULL or live handles (the request not changed by another
/// thread meanwhile); `job_id_out` must be NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_create_whole_image(
    client: *const ims_client,
    request: *const ims_request,
    job_id_out: *mut *mut c_char,
) -> ims_result {
    ffi_boundary!({
        let out = Out::new(job_id_out, "job_id_out")?;
        // SAFETY: forwarded contract.
        let client = unsafe { ref_arg(client, "client") }?;
        // SAFETY: forwarded contract.
        let request = unsafe { built(request) }?;
        create(client, &request, out)
    })
}

/// Creates a full-ECS image from the documented JSON body (`{"name": ..., "instance_id": ...,
/// "vault_id": ...}` or `{"name": ..., "backup_id": ..., "whole_image_type": "CBR"}`, plus the
/// optional fields). Unknown fields, wrong types and broken rules give `IMS_ERR_VALIDATION`
/// with every violation and its path; nothing is sent then. Writes the job id to
/// `*job_id_out` (free with `ims_string_free`).
///
/// # Safety
///
/// `client` must be NULL or a live handle; `body_json` must be NULL or NUL-terminated;
/// `job_id_out` must be NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_create_whole_image_json(
    client: *const ims_client,
    body_json: *const c_char,
    job_id_out: *mut *mut c_char,
) -> ims_result {
    ffi_boundary!({
        let out = Out::new(job_id_out, "job_id_out")?;
        // SAFETY: forwarded contract.
        let client = unsafe { ref_arg(client, "client") }?;
        // SAFETY: forwarded contract.
        let body = unsafe { str_arg(body_json, "body_json") }?;
        let request = WholeImageRequest::from_json(body)?;
        create(client, &request, out)
    })
}

/// Queries a job once and writes its document to `*job_out` (free with `ims_job_free`).
///
/// # Safety
///
/// `client` must be NULL or a live handle; `job_id` must be NULL or NUL-terminated; `job_out`
/// must be NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_job_status(
    client: *const ims_client,
    job_id: *const c_char,
    job_out: *mut *mut ims_job,
) -> ims_result {
    ffi_boundary!({
        let out = Out::new(job_out, "job_out")?;
        // SAFETY: forwarded contract.
        let client = unsafe { ref_arg(client, "client") }?;
        // SAFETY: forwarded contract.
        let id = JobId::new(unsafe { str_arg(job_id, "job_id") }?)?;
        let job = client.client.job(&id)?;
        // SAFETY: checked for NULL; valid for a write by contract.
        unsafe { out.write(ims_job::into_raw(job)) };
        Ok(())
    })
}

/// Waits for a job to end, polling it as `options` says (NULL: the defaults of
/// `ims_wait_options_init`). Calls `callback` (may be NULL) with `user_data` after each poll;
/// a non-zero return cancels the wait (except after the poll that saw the job end: its outcome
/// stands).
///
/// On SUCCESS writes the final job to `*job_out` (free with `ims_job_free`) and returns
/// `IMS_OK`. Otherwise nothing is written and the result says why: `IMS_ERR_JOB_FAILED` (the job
/// ended in FAIL), `IMS_ERR_WAIT_TIMEOUT`, `IMS_ERR_CANCELLED`, or the error of a poll that
/// failed for good; for the first three `ims_last_error_job` gives the failed (or last seen)
/// job document. Transient errors (429, 5xx, connection errors) are absorbed up to
/// `transient_error_budget` in a row. Blocks the calling thread.
///
/// # Safety
///
/// `client` must be NULL or a live handle when the call begins (the progress callback may free
/// it: the wait keeps its own reference to what it needs); `job_id` must be NULL or
/// NUL-terminated; `options` must be NULL or an `ims_wait_options` filled by
/// `ims_wait_options_init`; `callback` must be NULL or a function with the documented
/// signature; `job_out` must be NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_wait_job(
    client: *const ims_client,
    job_id: *const c_char,
    options: *const ims_wait_options,
    callback: ims_progress_cb,
    user_data: *mut c_void,
    job_out: *mut *mut ims_job,
) -> ims_result {
    ffi_boundary!({
        let out = Out::new(job_out, "job_out")?;
        // The wait holds its own reference to the client's shared state (an `Arc` clone): the
        // handle is read here, once, and never again, so a callback may free it meanwhile.
        // SAFETY: forwarded contract.
        let shared: Client = unsafe { ref_arg(client, "client") }?.client.clone();
        // SAFETY: forwarded contract.
        let id = JobId::new(unsafe { str_arg(job_id, "job_id") }?)?;
        // SAFETY: forwarded contract.
        let wait = unsafe { ims_wait_options::read(options) }?;
        let mut observer = CallbackObserver {
            callback,
            user_data,
            job_id: c_string(id.as_str()),
        };
        let job = shared.wait_with(&id, &wait, &mut observer)?;
        // SAFETY: checked for NULL; valid for a write by contract.
        unsafe { out.write(ims_job::into_raw(job)) };
        Ok(())
    })
}
