//! `ims_request`: a full-ECS image creation request built from C, field by field.
//!
//! Setters only record values; every documented rule is checked, all violations at once, by
//! `ims_request_validate`, `ims_request_to_json` and `ims_create_whole_image`.

use std::ffi::c_char;

use ims_core::model::{Source, WholeImageRequest};
use ims_core::validate::ValidationErrors;

use crate::args::{Out, free_box, mut_arg, ref_arg, str_arg};
use crate::error::{FfiResult, ims_result};
use crate::panic::ffi_boundary;
use crate::text::owned_c_string;

/// A full-ECS image creation request (opaque): made by `ims_request_new_ecs` or
/// `ims_request_new_backup`, completed by the `ims_request_set_*`/`_add_*` setters, sent by
/// `ims_create_whole_image`, freed by `ims_request_free`.
///
/// Thread safety: not synchronized. Use a request from one thread at a time while it is
/// changed; once complete it may be read (validated, serialized, sent) from several threads
/// at once.
#[derive(Debug, Clone)]
pub struct ims_request {
    name: String,
    source: Source,
    description: Option<String>,
    image_tags: Vec<(String, String)>,
    legacy_tags: Vec<String>,
    min_ram: Option<i64>,
    max_ram: Option<i64>,
    enterprise_project_id: Option<String>,
}

impl ims_request {
    fn new(name: &str, source: Source) -> ims_request {
        ims_request {
            name: name.to_owned(),
            source,
            description: None,
            image_tags: Vec::new(),
            legacy_tags: Vec::new(),
            min_ram: None,
            max_ram: None,
            enterprise_project_id: None,
        }
    }

    /// The validated core request (every violation at once).
    pub fn build(&self) -> Result<WholeImageRequest, ValidationErrors> {
        let mut b = match &self.source {
            Source::Ecs {
                instance_id,
                vault_id,
            } => WholeImageRequest::from_ecs(&self.name, instance_id, vault_id),
            Source::Backup { backup_id } => WholeImageRequest::from_backup(&self.name, backup_id),
        };
        if let Some(d) = &self.description {
            b = b.description(d);
        }
        for (k, v) in &self.image_tags {
            b = b.tag(k, v);
        }
        for t in &self.legacy_tags {
            b = b.legacy_tag(t);
        }
        if let Some(v) = self.min_ram {
            b = b.min_ram(v);
        }
        if let Some(v) = self.max_ram {
            b = b.max_ram(v);
        }
        if let Some(v) = &self.enterprise_project_id {
            b = b.enterprise_project_id(v);
        }
        b.build()
    }
}

/// Writes a new request handle to `out`.
fn emit(out: Out<*mut ims_request>, request: ims_request) {
    let handle = Box::into_raw(Box::new(request));
    // SAFETY: `out` was checked for NULL; its pointer is valid for a write by the caller's
    // contract.
    unsafe { out.write(handle) };
}

/// A request for an image of the ECS `instance_id`, backed up into the CBR vault `vault_id`.
/// Writes the new handle to `*request_out` (free with `ims_request_free`). Nothing is
/// validated yet (an empty or too long name is reported later, with every other violation).
///
/// # Safety
///
/// The strings must be NULL or NUL-terminated; `request_out` must be NULL or valid for writing
/// one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_request_new_ecs(
    name: *const c_char,
    instance_id: *const c_char,
    vault_id: *const c_char,
    request_out: *mut *mut ims_request,
) -> ims_result {
    ffi_boundary!({
        let out = Out::new(request_out, "request_out")?;
        // SAFETY: forwarded contract (all three).
        let (name, instance_id, vault_id) = unsafe {
            (
                str_arg(name, "name")?,
                str_arg(instance_id, "instance_id")?,
                str_arg(vault_id, "vault_id")?,
            )
        };
        emit(
            out,
            ims_request::new(name, Source::ecs(instance_id, vault_id)),
        );
        Ok(())
    })
}

/// A request for an image of the CBR backup `backup_id` (sent with `"whole_image_type":
/// "CBR"`). Writes the new handle to `*request_out` (free with `ims_request_free`).
///
/// # Safety
///
/// The strings must be NULL or NUL-terminated; `request_out` must be NULL or valid for writing
/// one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_request_new_backup(
    name: *const c_char,
    backup_id: *const c_char,
    request_out: *mut *mut ims_request,
) -> ims_result {
    ffi_boundary!({
        let out = Out::new(request_out, "request_out")?;
        // SAFETY: forwarded contract (both).
        let (name, backup_id) =
            unsafe { (str_arg(name, "name")?, str_arg(backup_id, "backup_id")?) };
        emit(out, ims_request::new(name, Source::backup(backup_id)));
        Ok(())
    })
}

/// Frees a request handle. NULL is accepted and ignored.
///
/// # Safety
///
/// `request` must be NULL or a handle from this library, not yet freed, not in use elsewhere.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_request_free(request: *mut ims_request) {
    ffi_boundary!(fallback = (); {
        // SAFETY: forwarded contract.
        unsafe { free_box(request) }
    })
}

/// Runs `f` on the request behind `request` with one string argument.
///
/// # Safety
///
/// `request` must be NULL or a live handle not used by another thread; `arg` must be NULL or
/// NUL-terminated.
unsafe fn with_string(
    request: *mut ims_request,
    arg: *const c_char,
    name: &str,
    f: impl FnOnce(&mut ims_request, &str),
) -> ims_result {
    ffi_boundary!({
        // SAFETY: forwarded contract.
        let r = unsafe { mut_arg(request, "request") }?;
        // SAFETY: forwarded contract.
        let v = unsafe { str_arg(arg, name) }?;
        f(r, v);
        Ok(())
    })
}

/// Sets the description (at most 1024 characters; `""` = none). Replaces an earlier one.
///
/// # Safety
///
/// `request` must be NULL or a live handle not used by another thread; `description` must be
/// NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_request_set_description(
    request: *mut ims_request,
    description: *const c_char,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        with_string(request, description, "description", |r, v| {
            r.description = Some(v.to_owned());
        })
    }
}

/// Sets the enterprise project (`"0"` or a UUID). Replaces an earlier one.
///
/// # Safety
///
/// `request` must be NULL or a live handle not used by another thread; the string must be NULL
/// or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_request_set_enterprise_project_id(
    request: *mut ims_request,
    enterprise_project_id: *const c_char,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        with_string(
            request,
            enterprise_project_id,
            "enterprise_project_id",
            |r, v| r.enterprise_project_id = Some(v.to_owned()),
        )
    }
}

/// Adds an `image_tags` entry `{"key": key, "value": value}` (key 1–36, value 0–43 characters,
/// at most 10 tags). Mixing with `ims_request_add_legacy_tag` is a validation error.
///
/// # Safety
///
/// `request` must be NULL or a live handle not used by another thread; the strings must be
/// NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_request_add_tag(
    request: *mut ims_request,
    key: *const c_char,
    value: *const c_char,
) -> ims_result {
    ffi_boundary!({
        // SAFETY: forwarded contract.
        let r = unsafe { mut_arg(request, "request") }?;
        // SAFETY: forwarded contract (both).
        let (k, v) = unsafe { (str_arg(key, "key")?, str_arg(value, "value")?) };
        r.image_tags.push((k.to_owned(), v.to_owned()));
        Ok(())
    })
}

/// Adds a legacy `tags` entry `"key.value"` (split at the first dot). Mixing with
/// `ims_request_add_tag` is a validation error.
///
/// # Safety
///
/// `request` must be NULL or a live handle not used by another thread; `tag` must be NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_request_add_legacy_tag(
    request: *mut ims_request,
    tag: *const c_char,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe { with_string(request, tag, "tag", |r, v| r.legacy_tags.push(v.to_owned())) }
}

/// Runs `f` on the request behind `request`.
///
/// # Safety
///
/// `request` must be NULL or a live handle not used by another thread.
unsafe fn with_request(request: *mut ims_request, f: impl FnOnce(&mut ims_request)) -> ims_result {
    ffi_boundary!({
        // SAFETY: forwarded contract.
        f(unsafe { mut_arg(request, "request") }?);
        Ok(())
    })
}

/// Sets the minimum memory in MB (at least 0 and not above max_ram; checked by validation).
///
/// # Safety
///
/// `request` must be NULL or a live handle not used by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_request_set_min_ram(
    request: *mut ims_request,
    min_ram_mb: i64,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe { with_request(request, |r| r.min_ram = Some(min_ram_mb)) }
}

/// Sets the maximum memory in MB (at least 0; checked by validation).
///
/// # Safety
///
/// `request` must be NULL or a live handle not used by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_request_set_max_ram(
    request: *mut ims_request,
    max_ram_mb: i64,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe { with_request(request, |r| r.max_ram = Some(max_ram_mb)) }
}

/// The built request, validated.
///
/// # Safety
///
/// `request` must be NULL or a live handle not changed by another thread meanwhile.
pub(crate) unsafe fn built(request: *const ims_request) -> FfiResult<WholeImageRequest> {
    // SAFETY: forwarded contract.
    let r = unsafe { ref_arg(request, "request") }?;
    Ok(r.build()?)
}

/// Checks every documented rule: `IMS_OK`, or `IMS_ERR_VALIDATION` with every violation (field
/// path, rule, value) in the last error message. Sends nothing.
///
/// # Safety
///
/// `request` must be NULL or a live handle not changed by another thread meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_request_validate(request: *const ims_request) -> ims_result {
    ffi_boundary!({
        // SAFETY: forwarded contract.
        unsafe { built(request) }.map(drop)
    })
}

/// The body that `ims_create_whole_image` would send, as compact JSON, into `*json_out`
/// (free with `ims_string_free`). The request is validated first (`IMS_ERR_VALIDATION`).
///
/// # Safety
///
/// `request` must be NULL or a live handle not changed by another thread meanwhile; `json_out`
/// must be NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_request_to_json(
    request: *const ims_request,
    json_out: *mut *mut c_char,
) -> ims_result {
    ffi_boundary!({
        let out = Out::new(json_out, "json_out")?;
        // SAFETY: forwarded contract.
        let req = unsafe { built(request) }?;
        // SAFETY: checked for NULL; valid for a write by contract.
        unsafe { out.write(owned_c_string(&req.to_json())) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_requests_carry_every_field() {
        let mut r = ims_request::new("n", Source::backup("b-1"));
        r.description = Some("d".into());
        r.image_tags.push(("k".into(), "v".into()));
        r.min_ram = Some(1024);
        let body = r.build().map(|b| b.to_json()).unwrap_or_default();
        assert!(body.contains(r#""whole_image_type":"CBR""#), "{body}");
        assert!(
            body.contains(r#""image_tags":[{"key":"k","value":"v"}]"#),
            "{body}"
        );
        r.legacy_tags.push("a.b".into());
        assert!(r.build().is_err());
    }
}
