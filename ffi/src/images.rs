//! The image calls: the region's image quota, listing images (as JSON), deleting an image.
//!
//! The listing is handed back as one JSON text rather than a handle with accessors: an image
//! has a dozen optional fields and a variable set of tags, which C would read through as many
//! accessors and an iterator, while most callers forward or filter the list; JSON keeps the ABI
//! small and lets fields be added without a new symbol.

use std::ffi::c_char;

use ims_core::model::{Image, ImageQuery};
use ims_core::validate::{Rule, ValidationErrors, Violation};
use serde_json::{Map, Value, json};

use crate::args::{Out, opt_str_arg, ref_arg, str_arg};
use crate::client::ims_client;
use crate::error::IMS_ERR_VALIDATION;
use crate::error::{FfiError, FfiResult, ims_result};
use crate::panic::ffi_boundary;
use crate::text::owned_c_string;

/// Reads the region's private-image quota: `*used_out` images exist of `*quota_out` allowed.
/// Both are written only on success.
///
/// # Safety
///
/// `client` must be NULL or a live handle; `used_out` and `quota_out` must be NULL or valid for
/// writing one `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_image_quota(
    client: *const ims_client,
    used_out: *mut u64,
    quota_out: *mut u64,
) -> ims_result {
    ffi_boundary!({
        let used = Out::new(used_out, "used_out")?;
        let quota_o = Out::new(quota_out, "quota_out")?;
        // SAFETY: forwarded contract.
        let client = unsafe { ref_arg(client, "client") }?;
        let quota = client.core().image_quota()?;
        // SAFETY: both checked for NULL; valid for a write by contract.
        unsafe {
            used.write(quota.used);
            quota_o.write(quota.quota);
        }
        Ok(())
    })
}

/// Deletes an image (`DELETE /v2/images/{image_id}`), with its CBR backup when
/// `delete_backup`. The service answers at once and removes the image shortly after: list the
/// images to see it gone.
///
/// # Safety
///
/// `client` must be NULL or a live handle; `image_id` must be NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_delete_image(
    client: *const ims_client,
    image_id: *const c_char,
    delete_backup: bool,
) -> ims_result {
    ffi_boundary!({
        // SAFETY: forwarded contract.
        let client = unsafe { ref_arg(client, "client") }?;
        // SAFETY: forwarded contract.
        let image_id = unsafe { str_arg(image_id, "image_id") }?;
        client.core().delete_image(image_id, delete_backup)?;
        Ok(())
    })
}

/// Lists images (`GET /v2/cloudimages`, every page to the end) and writes
/// `{"images": [...]}` to `*json_out` (free with `ims_string_free`). Each image is an object
/// with `id`, `name`, `status`, `created_at`, `updated_at`, `tags` (an object of key to value),
/// `imagetype`, `whole_image`, `backup_id` and `owner` (null when the service gave none).
///
/// `query_json` may be NULL (every image) or an object with any of `"tag"` (`"key=value"`),
/// `"name"`, `"status"`, `"imagetype"`, `"created_at"` (`"gte:2026-12-01T00:00:00Z"`),
/// `"sort_key"`, `"sort_dir"` (strings), `"whole_image"` (a boolean) and `"page_size"` (1 to
/// 1000). An unknown field, a wrong type or a broken rule gives `IMS_ERR_VALIDATION` with
/// every violation; nothing is sent then.
///
/// # Safety
///
/// `client` must be NULL or a live handle; `query_json` must be NULL or NUL-terminated;
/// `json_out` must be NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_list_images(
    client: *const ims_client,
    query_json: *const c_char,
    json_out: *mut *mut c_char,
) -> ims_result {
    ffi_boundary!({
        let out = Out::new(json_out, "json_out")?;
        // SAFETY: forwarded contract.
        let client = unsafe { ref_arg(client, "client") }?;
        // SAFETY: forwarded contract.
        let query = match unsafe { opt_str_arg(query_json, "query_json") }? {
            Some(text) => query_from_json(text)?,
            None => ImageQuery::default(),
        };
        query.validate()?;
        let images = client.core().list_images(&query)?;
        let list: Vec<Value> = images.iter().map(image_json).collect();
        let text = json!({ "images": list }).to_string();
        // SAFETY: checked for NULL; valid for a write by contract.
        unsafe { out.write(owned_c_string(&text)) };
        Ok(())
    })
}

/// One image as JSON.
pub(crate) fn image_json(image: &Image) -> Value {
    let tags: Map<String, Value> = image
        .tags
        .iter()
        .map(|t| (t.key.clone(), Value::String(t.value.clone())))
        .collect();
    json!({
        "id": image.id,
        "name": image.name,
        "status": image.status,
        "created_at": image.created_at,
        "updated_at": image.updated_at,
        "tags": tags,
        "imagetype": image.imagetype,
        "whole_image": image.whole_image,
        "backup_id": image.backup_id,
        "owner": image.owner,
    })
}

/// The query a JSON object describes; every problem at once.
fn query_from_json(text: &str) -> FfiResult<ImageQuery> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        violations(vec![Violation::new(
            "query_json",
            Rule::Json,
            format!("not valid JSON: {e}"),
        )])
    })?;
    let Value::Object(fields) = value else {
        return Err(violations(vec![Violation::new(
            "query_json",
            Rule::Type,
            "must be a JSON object",
        )]));
    };
    let mut query = ImageQuery::default();
    let mut problems = Vec::new();
    for (name, v) in fields {
        let text_field = |slot: &mut Option<String>, problems: &mut Vec<Violation>| match &v {
            Value::String(s) => *slot = Some(s.clone()),
            Value::Null => {}
            _ => problems.push(Violation::new(&name, Rule::Type, "must be a string")),
        };
        match name.as_str() {
            "tag" => text_field(&mut query.tag, &mut problems),
            "name" => text_field(&mut query.name, &mut problems),
            "status" => text_field(&mut query.status, &mut problems),
            "imagetype" => text_field(&mut query.imagetype, &mut problems),
            "created_at" => text_field(&mut query.created_at, &mut problems),
            "sort_key" => text_field(&mut query.sort_key, &mut problems),
            "sort_dir" => text_field(&mut query.sort_dir, &mut problems),
            "whole_image" => match v {
                Value::Bool(b) => query.whole_image = Some(b),
                Value::Null => {}
                _ => problems.push(Violation::new(&name, Rule::Type, "must be a boolean")),
            },
            "page_size" => match v.as_u64().map(u32::try_from) {
                Some(Ok(n)) => query.page_size = Some(n),
                _ if v.is_null() => {}
                _ => problems.push(Violation::new(
                    &name,
                    Rule::Type,
                    "must be a whole number from 1 to 1000",
                )),
            },
            _ => problems.push(Violation::new(
                &name,
                Rule::UnknownField,
                "not a field of an image query (tag, name, status, imagetype, whole_image, \
                 created_at, sort_key, sort_dir, page_size)",
            )),
        }
    }
    if problems.is_empty() {
        Ok(query)
    } else {
        Err(violations(problems))
    }
}

/// The error of a list of violations (never empty here).
fn violations(list: Vec<Violation>) -> FfiError {
    match ValidationErrors::from_violations(list) {
        Err(e) => FfiError::from(e),
        Ok(()) => FfiError::new(IMS_ERR_VALIDATION, "invalid image query"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        query_from_json(text)
            .err()
            .map(|e| e.message.clone())
            .unwrap_or_default()
    }

    #[test]
    fn a_query_reads_every_field() {
        let q = query_from_json(
            r#"{"tag":"k=v","name":"n","status":"active","imagetype":"private","whole_image":true,
               "created_at":"gte:2026-12-01T00:00:00Z","sort_key":"created_at","sort_dir":"asc",
               "page_size":5}"#,
        )
        .ok();
        let q = q.unwrap_or_default();
        assert_eq!(q.tag.as_deref(), Some("k=v"));
        assert_eq!(q.whole_image, Some(true));
        assert_eq!(q.page_size, Some(5));
        assert_eq!(q.sort_dir.as_deref(), Some("asc"));
        assert_eq!(query_from_json("{}").ok(), Some(ImageQuery::default()));
    }

    #[test]
    fn every_problem_is_named() {
        let m = message(r#"{"tag": 1, "colour": "red", "whole_image": "yes", "page_size": -1}"#);
        for needle in ["tag", "colour", "whole_image", "page_size"] {
            assert!(m.contains(needle), "{needle}: {m}");
        }
        assert!(message("[1]").contains("object"));
        assert!(message("{").contains("JSON"));
    }
}
