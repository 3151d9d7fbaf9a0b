//! The IMS endpoints: create a full-ECS image, query its job (both job endpoints).

use std::time::Instant;

use axum::http::StatusCode;
use ims_core::model::{Source, WholeImageRequest};
use ims_core::validate::{Rule, ValidationErrors};
use serde_json::{Value, json};

use crate::auth::{self, RequestView};
use crate::clock;
use crate::ids;
use crate::images::NewImage;
use crate::jobs::{JobPhase, JobRecord};
use crate::reply::{Reply, clip};
use crate::routes::check_project_header;
use crate::state::{AppState, LimitRefusal};

/// Code of an unknown job (404); the emulator's own choice, documented in the crate docs.
pub const JOB_NOT_FOUND_CODE: &str = "IMG.0404";
/// Code of a create refused because the private-image quota is used up (documented: "The
/// number of private images has reached the maximum allowed").
pub const QUOTA_EXCEEDED_CODE: &str = "IMG.0015";
/// Code of a create refused because too many creation jobs run (documented: "The number of
/// tasks exceeds the flow control limit").
pub const TOO_MANY_TASKS_CODE: &str = "IMG.0060";
/// Code of a generic parameter error.
pub const INVALID_PARAMETER_CODE: &str = "IMG.0001";

/// `POST /v1/cloudimages/wholeimages/action`.
pub(crate) fn create(state: &AppState, req: &RequestView<'_>, request_id: &str) -> Reply {
    let principal = match auth::authenticate(state, req) {
        Ok(p) => p,
        Err(fail) => return fail.reply(request_id),
    };
    let settings = state.settings();
    if let Err(reply) = check_project_header(req.headers, &settings, principal) {
        return reply;
    }

    if req.body.iter().all(u8::is_ascii_whitespace) {
        return bad_request("IMG.0007", "The request body is empty.");
    }
    let Ok(text) = std::str::from_utf8(req.body) else {
        return bad_request(
            INVALID_PARAMETER_CODE,
            "The request message format is invalid: the body is not UTF-8 text",
        );
    };
    let request = match WholeImageRequest::from_json(text) {
        Ok(r) => r,
        Err(errors) => return violations_reply(&errors),
    };
    if let Err(errors) = request.validate() {
        return violations_reply(&errors);
    }

    match &request.source {
        Source::Ecs {
            instance_id,
            vault_id,
        } => {
            if let Some(known) = &settings.known_instances
                && !known.contains(instance_id)
            {
                return bad_request(
                    "IMG.0005",
                    format!("The ECS does not exist: instance_id {}", clip(instance_id)),
                );
            }
            if let Some(known) = &settings.known_vaults
                && !known.contains(vault_id)
            {
                return bad_request(
                    "IMG.0184",
                    format!("The vault does not exist: vault_id {}", clip(vault_id)),
                );
            }
        }
        Source::Backup { backup_id } => {
            if let Some(known) = &settings.known_backups
                && !known.contains(backup_id)
            {
                return bad_request(
                    "IMG.0020",
                    format!("The backup does not exist: backup_id {}", clip(backup_id)),
                );
            }
        }
    }

    let (backup_id, instance_id) = match &request.source {
        Source::Backup { backup_id } => (Some(backup_id.clone()), None),
        Source::Ecs { instance_id, .. } => (None, Some(instance_id.clone())),
    };
    let mut answered_job_id = String::new();
    let started = state.start_job(&settings, backup_id.as_deref(), || {
        let chosen = match settings.next_job_id {
            Some(_) => state.update_settings(|s| s.next_job_id.take()),
            None => None,
        };
        let job_id = chosen.unwrap_or_else(ids::hex32);
        let image_id = ids::uuid_v4();
        answered_job_id.clone_from(&job_id);
        let job = JobRecord {
            job_id,
            job_type: request.source.job_type(),
            image_name: request.name.clone(),
            image_id: image_id.clone(),
            created: Instant::now(),
            begin_millis: state.clock.now_millis(),
            duration: settings.job_duration,
            failure: state.faults.decide_job_failure(),
        };
        let image = NewImage {
            id: image_id,
            name: request.name.clone(),
            description: request.description.clone(),
            tags: request.tags.pairs(),
            owner: settings.project_id.clone(),
            backup_id: backup_id.clone(),
            instance_id: instance_id.clone(),
            min_ram: request.min_ram,
        };
        (job, image)
    });
    if let Err(refusal) = started {
        return limit_reply(&refusal, backup_id.as_deref().unwrap_or(""));
    }
    state.stats.image_created();
    Reply::json(StatusCode::OK, &json!({ "job_id": answered_job_id }))
}

/// The answer to a create refused by a tenant limit.
fn limit_reply(refusal: &LimitRefusal, backup_id: &str) -> Reply {
    match refusal {
        LimitRefusal::Quota { used, quota } => bad_request(
            QUOTA_EXCEEDED_CODE,
            format!(
                "The number of private images has reached the maximum allowed: {used} of the \
                 quota of {quota} private images in the region are used; delete images or \
                 increase the quota"
            ),
        ),
        LimitRefusal::Concurrency { running, max } => bad_request(
            TOO_MANY_TASKS_CODE,
            format!(
                "The number of tasks exceeds the flow control limit: {running} image creation \
                 tasks are running, at most {max} may run at once; try again later"
            ),
        ),
        LimitRefusal::BackupUsed => bad_request(
            "IMG.0029",
            format!(
                "The backup {} has already been used to create a full-ECS image: a backup can \
                 create only one full-ECS image",
                clip(backup_id)
            ),
        ),
    }
}

/// `GET /v1/cloudimages/job/{job_id}` (`legacy_project: None`) and
/// `GET /v1/{project_id}/jobs/{job_id}` (`Some(project_id)`).
pub(crate) fn job(
    state: &AppState,
    req: &RequestView<'_>,
    request_id: &str,
    job_id: &str,
    legacy_project: Option<&str>,
) -> Reply {
    let principal = match auth::authenticate(state, req) {
        Ok(p) => p,
        Err(fail) => return fail.reply(request_id),
    };
    let settings = state.settings();
    match legacy_project {
        Some(project) => {
            if project != settings.project_id {
                return bad_request(
                    "IMG.0104",
                    format!(
                        "The project id {} in the path is not a project of this account in the \
                         region",
                        clip(project)
                    ),
                );
            }
            if req.headers.contains_key("x-project-id")
                && let Err(reply) = check_project_header(req.headers, &settings, principal)
            {
                return reply;
            }
        }
        None => {
            if let Err(reply) = check_project_header(req.headers, &settings, principal) {
                return reply;
            }
        }
    }
    let Some(job) = state.job(job_id) else {
        return Reply::ims_error(
            StatusCode::NOT_FOUND,
            JOB_NOT_FOUND_CODE,
            format!("job {} not found", clip(job_id)),
        );
    };
    Reply::json(
        StatusCode::OK,
        &job_document(&job, Instant::now(), legacy_project.is_some()),
    )
}

fn bad_request(code: &str, message: impl Into<String>) -> Reply {
    Reply::ims_error(StatusCode::BAD_REQUEST, code, message)
}

/// The IMS code of one violation: name problems `IMG.0002` (too long) / `IMG.0003`,
/// description problems `IMG.0004`, anything else `IMG.0001`.
fn code_for(field: &str, rule: Rule) -> &'static str {
    match (field, rule) {
        ("name", Rule::Length) => "IMG.0002",
        ("name", _) => "IMG.0003",
        ("description", _) => "IMG.0004",
        _ => INVALID_PARAMETER_CODE,
    }
}

fn violations_reply(errors: &ValidationErrors) -> Reply {
    let Some(first) = errors.violations.first() else {
        return bad_request(
            INVALID_PARAMETER_CODE,
            "The request message format is invalid.",
        );
    };
    let code = code_for(&first.field, first.rule);
    let headline = match code {
        "IMG.0002" => "The image name contains more than 128 characters",
        "IMG.0003" => "The image name format is invalid",
        "IMG.0004" => "The description is invalid or contains more than 1024 characters",
        _ => "The request message format is invalid (invalid parameter)",
    };
    let details: Vec<String> = errors
        .violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.message))
        .collect();
    bad_request(code, format!("{headline}: {}", details.join("; ")))
}

/// The job document at `now`: INIT for the first 10% of the duration, then RUNNING with a
/// rising `process_percent`, then SUCCESS (or FAIL when a failure was set for the job).
pub(crate) fn job_document(job: &JobRecord, now: Instant, legacy: bool) -> Value {
    let total = job.duration;
    let (status, percent, task, done) = match job.phase(now) {
        JobPhase::Success => ("SUCCESS", 100.0, "", true),
        JobPhase::Fail => ("FAIL", 100.0, "", true),
        JobPhase::Init => ("INIT", 0.0, "", false),
        JobPhase::Running(ratio) => {
            let pct = ((ratio * 1000.0).floor() / 10.0).clamp(0.1, 99.9);
            let task = if ratio < 0.6 {
                "CreateVaultBackup"
            } else {
                "CreateImage"
            };
            ("RUNNING", pct, task, false)
        }
    };
    let end_time = if done {
        let millis = i64::try_from(total.as_millis()).unwrap_or(i64::MAX);
        clock::job_time(job.begin_millis.saturating_add(millis))
    } else {
        String::new()
    };
    let (error_code, fail_reason) = match (&job.failure, status) {
        (Some(f), "FAIL") => (json!(f.error_code), json!(f.fail_reason)),
        _ => (Value::Null, Value::Null),
    };
    let mut entities = serde_json::Map::new();
    entities.insert("image_name".into(), json!(job.image_name));
    if status != "INIT" && status != "FAIL" {
        entities.insert("image_id".into(), json!(job.image_id));
    }
    if !legacy {
        entities.insert("process_percent".into(), json!(percent));
        entities.insert("current_task".into(), json!(task));
        entities.insert("sub_job_id".into(), json!(""));
    }
    json!({
        "status": status,
        "entities": entities,
        "job_id": job.job_id,
        "job_type": job.job_type,
        "begin_time": clock::job_time(job.begin_millis),
        "end_time": end_time,
        "error_code": error_code,
        "fail_reason": fail_reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn record(duration: Duration, fail: bool) -> JobRecord {
        JobRecord {
            job_id: "j".into(),
            job_type: "imsCreateWholeImageByInstanceJob",
            image_name: "img".into(),
            image_id: ids::uuid_v4(),
            created: Instant::now(),
            begin_millis: 1_730_874_494_425,
            duration,
            failure: fail.then(crate::faults::JobFailure::default),
        }
    }

    #[test]
    fn lifecycle() {
        let job = record(Duration::from_secs(10), false);
        let at = |ms: u64| job_document(&job, job.created + Duration::from_millis(ms), false);
        assert_eq!(at(0)["status"], "INIT");
        assert_eq!(at(999)["status"], "INIT");
        let running = at(5000);
        assert_eq!(running["status"], "RUNNING");
        assert_eq!(running["entities"]["process_percent"], 50.0);
        assert_eq!(running["end_time"], "");
        let done = at(10_000);
        assert_eq!(done["status"], "SUCCESS");
        assert_eq!(done["end_time"], "2024-11-06T06:28:24.425Z");
        assert_eq!(done["begin_time"], "2024-11-06T06:28:14.425Z");
        assert_eq!(done["entities"]["process_percent"], 100.0);
        assert!(done["error_code"].is_null());
        let legacy = job_document(&job, job.created + Duration::from_secs(20), true);
        assert!(legacy["entities"].get("process_percent").is_none());
        assert_eq!(legacy["entities"]["image_name"], "img");
    }

    #[test]
    fn zero_duration_and_failure() {
        let job = record(Duration::ZERO, false);
        assert_eq!(job_document(&job, job.created, false)["status"], "SUCCESS");
        let job = record(Duration::ZERO, true);
        let doc = job_document(&job, job.created, false);
        assert_eq!(doc["status"], "FAIL");
        assert_eq!(doc["error_code"], "IMG.0010");
    }

    #[test]
    fn codes() {
        assert_eq!(code_for("name", Rule::Length), "IMG.0002");
        assert_eq!(code_for("name", Rule::Charset), "IMG.0003");
        assert_eq!(code_for("description", Rule::Length), "IMG.0004");
        assert_eq!(code_for("image_tags[0].key", Rule::Length), "IMG.0001");
    }
}
