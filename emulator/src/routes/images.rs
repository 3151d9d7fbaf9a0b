//! The image endpoints a fleet needs besides create and job: list the images
//! (`GET /v2/cloudimages`), read the quota (`GET /v1/cloudimages/quota`) and delete an image
//! (`DELETE /v2/images/{image_id}`).

use std::cmp::Ordering;
use std::time::Instant;

use axum::http::StatusCode;
use ims_core::sign::encode;
use serde_json::{Value, json};

use crate::auth::{self, Principal, RequestView};
use crate::clock;
use crate::images::{DeleteRefusal, ImageRecord};
use crate::reply::{Reply, clip};
use crate::routes::check_project_header;
use crate::routes::ims::INVALID_PARAMETER_CODE;
use crate::settings::Settings;
use crate::state::AppState;

/// How many images one list answer holds unless `limit` says otherwise (documented: 500).
pub const DEFAULT_LIST_LIMIT: usize = 500;
/// The largest `limit` accepted. No page documents a maximum; 1000 is the emulator's own
/// bound (the quota's documented `max`), refused above with 400 `IMG.0001`.
pub const MAX_LIST_LIMIT: usize = 1000;
/// Code of an invalid `__imagetype` (the documented example of the error shape).
pub const INVALID_IMAGETYPE_CODE: &str = "IMG.0024";
/// Code of an unknown image: a delete of an id that does not exist (404) and a `marker` that
/// names no image (400). Documented as "The image does not exist".
pub const IMAGE_NOT_FOUND_CODE: &str = "IMG.0144";
/// Code of a delete of an image still being created (documented: "The image being created
/// cannot be deleted").
pub const IMAGE_IN_CREATION_CODE: &str = "IMG.0090";
/// The quota's documented minimum (`min`).
const QUOTA_MIN: u32 = 1;
/// The quota's documented maximum (`max`), raised to the quota when that is larger.
const QUOTA_MAX: u32 = 1000;

/// Authenticates like every IMS route and checks `X-Project-Id`.
fn admit(
    state: &AppState,
    req: &RequestView<'_>,
    request_id: &str,
) -> Result<(Principal, std::sync::Arc<Settings>), Reply> {
    let principal = auth::authenticate(state, req).map_err(|fail| fail.reply(request_id))?;
    let settings = state.settings();
    check_project_header(req.headers, &settings, principal)?;
    Ok((principal, settings))
}

fn bad_request(code: &str, message: impl Into<String>) -> Reply {
    Reply::ims_error(StatusCode::BAD_REQUEST, code, message)
}

/// `GET /v2/cloudimages`: the filtered, sorted page `{"images": [...]}`, with
/// `"page_info": {"next_marker": "<last id>"}` when more matching images follow (the field of
/// the official SDK's `ListImagesResponse`; no `next` or `first` link: the extension API
/// documents none). Page with `marker`.
pub(crate) fn list(state: &AppState, req: &RequestView<'_>, request_id: &str) -> Reply {
    if let Err(reply) = admit(state, req, request_id) {
        return reply;
    }
    let query = match ListQuery::parse(req.uri.query().unwrap_or("")) {
        Ok(q) => q,
        Err(reply) => return reply,
    };
    state.with_images(|store, now| {
        let mut all: Vec<&ImageRecord> = store.listed(now).collect();
        all.sort_by(|a, b| query.order(a, b, now));
        let start = match &query.marker {
            None => 0,
            Some(marker) => match all.iter().position(|i| i.image.id == *marker) {
                Some(at) => at + 1,
                None => {
                    return bad_request(
                        IMAGE_NOT_FOUND_CODE,
                        format!(
                            "The image does not exist: marker {} names no image",
                            clip(marker)
                        ),
                    );
                }
            },
        };
        let mut matching = all[start..]
            .iter()
            .copied()
            .filter(|i| query.matches(i, now));
        let page: Vec<&ImageRecord> = matching.by_ref().take(query.limit).collect();
        let documents: Vec<Value> = page.iter().map(|i| i.document(now)).collect();
        let mut answer = json!({ "images": documents });
        if let (Some(last), Some(_)) = (page.last(), matching.next()) {
            answer["page_info"] = json!({ "next_marker": last.image.id });
        }
        Reply::json(StatusCode::OK, &answer)
    })
}

/// `GET /v1/cloudimages/quota` and `GET /v1/{project_id}/cloudimages/quota`.
pub(crate) fn quota(
    state: &AppState,
    req: &RequestView<'_>,
    request_id: &str,
    project: Option<&str>,
) -> Reply {
    let principal = match auth::authenticate(state, req) {
        Ok(p) => p,
        Err(fail) => return fail.reply(request_id),
    };
    let settings = state.settings();
    if let Some(project) = project
        && project != settings.project_id
    {
        return bad_request(
            "IMG.0104",
            format!(
                "The project id {} in the path is not a project of this account in the region",
                clip(project)
            ),
        );
    }
    if (project.is_none() || req.headers.contains_key("x-project-id"))
        && let Err(reply) = check_project_header(req.headers, &settings, principal)
    {
        return reply;
    }
    let used = state.with_images(|store, _| store.used());
    Reply::json(
        StatusCode::OK,
        &json!({"quotas": {"resources": [{
            "type": "image",
            "used": used,
            "quota": settings.image_quota,
            "min": QUOTA_MIN,
            "max": QUOTA_MAX.max(settings.image_quota),
        }]}}),
    )
}

/// `DELETE /v2/images/{image_id}`, body `{"delete_backup": bool}` (optional): 204 with no
/// body; the image leaves the list [`Settings::delete_delay`] later.
pub(crate) fn delete(
    state: &AppState,
    req: &RequestView<'_>,
    request_id: &str,
    image_id: &str,
) -> Reply {
    let settings = match admit(state, req, request_id) {
        Ok((_, s)) => s,
        Err(reply) => return reply,
    };
    let delete_backup = match delete_backup_flag(req.body) {
        Ok(flag) => flag,
        Err(reply) => return reply,
    };
    let outcome = state.with_images(|store, now| {
        store.delete(image_id, now, settings.delete_delay, delete_backup)
    });
    match outcome {
        Ok(()) => Reply {
            status: StatusCode::NO_CONTENT,
            content_type: crate::reply::JSON_CONTENT_TYPE,
            body: Vec::new(),
            headers: Vec::new(),
        },
        Err(DeleteRefusal::NotFound) => Reply::ims_error(
            StatusCode::NOT_FOUND,
            IMAGE_NOT_FOUND_CODE,
            format!("The image does not exist: image_id {}", clip(image_id)),
        ),
        Err(DeleteRefusal::BeingCreated) => bad_request(
            IMAGE_IN_CREATION_CODE,
            format!(
                "The image being created cannot be deleted: image_id {}; delete it after its \
                 creation ended",
                clip(image_id)
            ),
        ),
    }
}

/// `delete_backup` of a delete body: an empty body is `false`; otherwise a JSON object whose
/// `delete_backup`, when present, is a boolean.
fn delete_backup_flag(body: &[u8]) -> Result<bool, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    let invalid = |why: &str| {
        bad_request(
            INVALID_PARAMETER_CODE,
            format!("The request message format is invalid: {why}"),
        )
    };
    let value: Value =
        serde_json::from_slice(body).map_err(|_| invalid("the body is not a JSON object"))?;
    let Some(object) = value.as_object() else {
        return Err(invalid("the body is not a JSON object"));
    };
    match object.get("delete_backup") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(invalid("delete_backup must be true or false")),
    }
}

/// A time comparison of the `created_at`/`updated_at` filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeOp {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

impl TimeOp {
    fn holds(self, value: i64, bound: i64) -> bool {
        match self {
            TimeOp::Gt => value > bound,
            TimeOp::Gte => value >= bound,
            TimeOp::Lt => value < bound,
            TimeOp::Lte => value <= bound,
            TimeOp::Eq => value == bound,
            TimeOp::Neq => value != bound,
        }
    }
}

/// The field the list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    CreatedAt,
    UpdatedAt,
    Name,
    Status,
    Id,
    /// `container_format`, `disk_format`, `size`: the same for every emulated image, so the
    /// order falls to the tie-breaks (creation time, then id).
    Constant,
}

/// The query of one list call.
#[derive(Debug)]
struct ListQuery {
    imagetype: Option<String>,
    whole_image: Option<bool>,
    status: Option<String>,
    name: Option<String>,
    id: Option<String>,
    owner: Option<String>,
    tag: Option<(String, String)>,
    created_at: Option<(TimeOp, i64)>,
    updated_at: Option<(TimeOp, i64)>,
    sort_key: SortKey,
    descending: bool,
    limit: usize,
    marker: Option<String>,
}

impl ListQuery {
    /// Reads the query string (percent-decoded; unknown parameters are ignored, as the
    /// service ignores the filters it has no use for). A bad value is 400.
    fn parse(raw: &str) -> Result<ListQuery, Reply> {
        let mut q = ListQuery {
            imagetype: None,
            whole_image: None,
            status: None,
            name: None,
            id: None,
            owner: None,
            tag: None,
            created_at: None,
            updated_at: None,
            sort_key: SortKey::CreatedAt,
            descending: true,
            limit: DEFAULT_LIST_LIMIT,
            marker: None,
        };
        let invalid = |name: &str, value: &str, why: &str| {
            bad_request(
                INVALID_PARAMETER_CODE,
                format!(
                    "The request message format is invalid: {name}={} {why}",
                    clip(value)
                ),
            )
        };
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, value) = (encode::decode(k), encode::decode(v));
            match key.as_str() {
                "__imagetype" => {
                    if !matches!(value.as_str(), "gold" | "private" | "shared" | "market") {
                        return Err(bad_request(
                            INVALID_IMAGETYPE_CODE,
                            format!(
                                "The imagetype is invalid: {}; use gold, private, shared or \
                                 market",
                                clip(&value)
                            ),
                        ));
                    }
                    q.imagetype = Some(value);
                }
                "__whole_image" => {
                    q.whole_image = Some(match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(invalid(&key, &value, "is not true or false")),
                    });
                }
                "status" => q.status = Some(value),
                "name" => q.name = Some(value),
                "id" => q.id = Some(value),
                "owner" => q.owner = Some(value),
                "tag" => {
                    let (k, v) = value.split_once('=').unwrap_or((value.as_str(), ""));
                    q.tag = Some((k.to_owned(), v.to_owned()));
                }
                "created_at" | "updated_at" => {
                    let filter = parse_time_filter(&value)
                        .ok_or_else(|| invalid(&key, &value, "is not OPERATOR:UTC-TIME"))?;
                    if key == "created_at" {
                        q.created_at = Some(filter);
                    } else {
                        q.updated_at = Some(filter);
                    }
                }
                "sort_key" => {
                    q.sort_key = match value.as_str() {
                        "created_at" => SortKey::CreatedAt,
                        "updated_at" => SortKey::UpdatedAt,
                        "name" => SortKey::Name,
                        "status" => SortKey::Status,
                        "id" => SortKey::Id,
                        "container_format" | "disk_format" | "size" => SortKey::Constant,
                        _ => return Err(invalid(&key, &value, "is not a sort key")),
                    };
                }
                "sort_dir" => {
                    q.descending = match value.as_str() {
                        "desc" => true,
                        "asc" => false,
                        _ => return Err(invalid(&key, &value, "is not asc or desc")),
                    };
                }
                "limit" => {
                    q.limit = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_LIST_LIMIT).contains(n))
                        .ok_or_else(|| {
                            invalid(
                                &key,
                                &value,
                                &format!("is not an integer from 1 to {MAX_LIST_LIMIT}"),
                            )
                        })?;
                }
                "marker" => q.marker = Some(value),
                _ => {}
            }
        }
        Ok(q)
    }

    /// Whether `img` passes every filter at `now`.
    fn matches(&self, img: &ImageRecord, now: Instant) -> bool {
        let i = &img.image;
        self.imagetype.as_deref().is_none_or(|t| t == "private")
            && self.whole_image.is_none_or(|w| w)
            && self
                .status
                .as_deref()
                .is_none_or(|s| s == img.status(now).as_str())
            && self.name.as_deref().is_none_or(|n| n == i.name)
            && self.id.as_deref().is_none_or(|id| id == i.id)
            && self.owner.as_deref().is_none_or(|o| o == i.owner)
            && self.tag.as_ref().is_none_or(|(k, v)| img.has_tag(k, v))
            && self
                .created_at
                .is_none_or(|(op, t)| op.holds(img.created_unix(), t))
            && self
                .updated_at
                .is_none_or(|(op, t)| op.holds(img.updated_unix(now), t))
    }

    /// The list order: the sort key in the asked direction, then creation time and id in the
    /// same direction (a total order, so a marker pages without gaps or repeats).
    fn order(&self, a: &ImageRecord, b: &ImageRecord, now: Instant) -> Ordering {
        let by_key = match self.sort_key {
            SortKey::CreatedAt | SortKey::Constant => Ordering::Equal,
            SortKey::UpdatedAt => a.updated_unix(now).cmp(&b.updated_unix(now)),
            SortKey::Name => a.image.name.cmp(&b.image.name),
            SortKey::Status => a.status(now).as_str().cmp(b.status(now).as_str()),
            SortKey::Id => a.image.id.cmp(&b.image.id),
        };
        let ascending = by_key
            .then_with(|| a.job.begin_millis.cmp(&b.job.begin_millis))
            .then_with(|| a.job.created.cmp(&b.job.created))
            .then_with(|| a.image.id.cmp(&b.image.id));
        if self.descending {
            ascending.reverse()
        } else {
            ascending
        }
    }
}

/// `gte:2024-11-06T06:28:14Z` (or `... 06:28:14`) as an operator and Unix seconds.
fn parse_time_filter(value: &str) -> Option<(TimeOp, i64)> {
    let (op, time) = value.split_once(':')?;
    let op = match op {
        "gt" => TimeOp::Gt,
        "gte" => TimeOp::Gte,
        "lt" => TimeOp::Lt,
        "lte" => TimeOp::Lte,
        "eq" => TimeOp::Eq,
        "neq" => TimeOp::Neq,
        _ => return None,
    };
    Some((op, clock::parse_image_time(time)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_filters() {
        assert_eq!(
            parse_time_filter("gte:2024-11-06T06:28:14Z"),
            Some((TimeOp::Gte, 1_730_874_494))
        );
        assert_eq!(
            parse_time_filter("lt:2024-11-06 06:28:14"),
            Some((TimeOp::Lt, 1_730_874_494))
        );
        assert_eq!(parse_time_filter("2024-11-06T06:28:14Z"), None);
        assert_eq!(parse_time_filter("ge:2024-11-06T06:28:14Z"), None);
        assert!(TimeOp::Neq.holds(1, 2) && !TimeOp::Eq.holds(1, 2));
    }

    #[test]
    fn query_parsing() {
        let q = ListQuery::parse("tag=fleet%3Dnightly&limit=2&sort_dir=asc&x=1").unwrap();
        assert_eq!(q.tag, Some(("fleet".into(), "nightly".into())));
        assert_eq!((q.limit, q.descending), (2, false));
        let q = ListQuery::parse("tag=a=b=c").unwrap();
        assert_eq!(q.tag, Some(("a".into(), "b=c".into())));
        assert!(ListQuery::parse("limit=0").is_err());
        assert!(ListQuery::parse("limit=1001").is_err());
        assert!(ListQuery::parse("limit=1000").is_ok());
        assert!(ListQuery::parse("__imagetype=mine").is_err());
        assert!(ListQuery::parse("sort_key=colour").is_err());
        assert!(ListQuery::parse("__whole_image=yes").is_err());
    }

    #[test]
    fn delete_bodies() {
        assert_eq!(delete_backup_flag(b"").ok(), Some(false));
        assert_eq!(
            delete_backup_flag(br#"{"delete_backup": true}"#).ok(),
            Some(true)
        );
        assert_eq!(delete_backup_flag(b"{}").ok(), Some(false));
        assert!(delete_backup_flag(br#"{"delete_backup": "yes"}"#).is_err());
        assert!(delete_backup_flag(b"[1]").is_err());
    }
}
