//! `ims-emulator`: a local Huawei Cloud IMS for tests and demos.
//!
//! It serves, over plain HTTP or HTTPS ([`EmulatorConfig::tls`], with a CA made at start-up)
//! on a loopback address:
//!
//! | endpoint | what |
//! |---|---|
//! | `POST /v1/cloudimages/wholeimages/action` | create a full-ECS image: `{"job_id": "<32 hex>"}` |
//! | `GET /v1/cloudimages/job/{job_id}` | the job document, with `process_percent`, `current_task`, `sub_job_id` |
//! | `GET /v1/{project_id}/jobs/{job_id}` | the job document (legacy form) |
//! | `GET /v2/cloudimages` | the images: `{"images": [...]}` (see [Images](#images)) |
//! | `GET /v1/cloudimages/quota`, `GET /v1/{project_id}/cloudimages/quota` | `{"quotas": {"resources": [{"type": "image", "used", "quota", "min": 1, "max": 1000}]}}` |
//! | `DELETE /v2/images/{image_id}` | delete an image (body `{"delete_backup": bool}`, optional): 204, no body |
//! | `GET /v3/projects?name={region}` | IAM project lookup |
//! | `PUT /meta-data/latest/api/token` | metadata session token (unsigned) |
//! | `GET /openstack/latest/securitykey` | temporary AK/SK/security token (unsigned, needs the session token) |
//!
//! Every IMS and IAM request is authenticated like the API gateway does it: the
//! `Authorization` header is verified by recomputing the signature with [`ims_core::sign`]
//! (`SDK-HMAC-SHA256`, `SDK-HMAC-SM3`, `V11-HMAC-SHA256`), the `X-Sdk-Date` must be within 15
//! minutes of the emulator's clock, temporary credentials need their `X-Security-Token`; an
//! `X-Auth-Token` equal to [`Settings::auth_token`] is accepted instead. Failures are
//! HTTP 401 `{"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication
//! information: verify aksk signature fail, ...", "request_id": ...}`; a signature mismatch
//! shows the canonical request the emulator computed (security token redacted); an expired
//! date says `signature expired`. Every response carries `X-Request-Id` (32 hex) and a `Date`
//! from the emulator's clock (clock offset included).
//!
//! Jobs run on the clock, not on background tasks: a job is `INIT` for the first 10% of
//! [`Settings::job_duration`], `RUNNING` (with a rising `process_percent`) until the
//! duration has passed, then `SUCCESS` — or `FAIL` when a failure was injected for it.
//!
//! # Error codes
//!
//! | case | HTTP | code |
//! |---|---|---|
//! | missing / bad / expired signature, unknown AK, missing security token | 401 | `APIGW.0301` |
//! | expired temporary credentials | 401 | `APIGW.0307` |
//! | throttled (injected) | 429 + `Retry-After` | `APIGW.0308` |
//! | unknown path | 404 | `APIGW.0101` |
//! | known path, wrong method | 405 + `Allow` | `APIGW.0101` |
//! | `X-Project-Id` missing (AK/SK auth) or not the configured project; legacy path project wrong | 400 | `IMG.0104` |
//! | empty body | 400 | `IMG.0007` |
//! | body not UTF-8 / not JSON / any other parameter problem | 400 | `IMG.0001` |
//! | body over 12 MB | 413 | `IMG.0001` |
//! | name too long / otherwise invalid | 400 | `IMG.0002` / `IMG.0003` |
//! | description invalid | 400 | `IMG.0004` |
//! | unknown ECS / vault / backup (when known sets are configured) | 400 | `IMG.0005` / `IMG.0184` / `IMG.0020` |
//! | backup already used for a full-ECS image | 400 | `IMG.0029` |
//! | unknown job | 404 | `IMG.0404` (the emulator's own choice) |
//! | create while [`Settings::image_quota`] images exist | 400 | `IMG.0015` |
//! | create while [`Settings::max_concurrent_jobs`] jobs run | 400 | `IMG.0060` |
//! | list: `__imagetype` not `gold`/`private`/`shared`/`market` | 400 | `IMG.0024` |
//! | list: bad `__whole_image`, `created_at`/`updated_at`, `sort_key`, `sort_dir`, `limit` (not 1–1000) | 400 | `IMG.0001` |
//! | list: `marker` naming no listed image | 400 | `IMG.0144` |
//! | delete: unknown (or already gone) image | 404 | `IMG.0144` |
//! | delete: image still `queued`/`saving` | 400 | `IMG.0090` |
//! | injected server error / unavailable | 500 / 503 | `IMG.0500` / `IMG.0503` |
//!
//! IMS errors have the shape `{"error": {"code": "IMG.xxxx", "message": "..."}}`; the message
//! names the offending field.
//!
//! # Images
//!
//! Every accepted create makes an image record at once: id = the job's `image_id`, the name,
//! the tags of either request form (`tags` `"key.value"` strings and `image_tags` objects,
//! listed as `"key=value"` strings), `created_at`/`updated_at` as `2024-11-06T06:28:14Z`,
//! `owner` = the project id, `__imagetype` `"private"`, `visibility` `"private"`,
//! `__whole_image` `true`, `__backup_id` (the backup, else `""`). Its status follows its job:
//! `queued` while INIT, `saving` while RUNNING, `active` after SUCCESS, `killed` after FAIL.
//!
//! What the documentation says and the emulator does (sources: the IMS API reference, "Querying
//! Images" <https://docs.otc.t-systems.com/en-us/api/ims/en-us_topic_0020091565.html> and
//! <https://support.huaweicloud.com/intl/en-us/api-ims/ims_03_0602.html>, "Querying the Image
//! Quota" (topic 0093967372), "Deleting an Image (Native OpenStack API)" (topic 0020092108),
//! "Error Codes" <https://support.huaweicloud.com/intl/en-us/eu-west-0-api-ims/en-us_topic_0022473689.html>,
//! "Constraints" <https://docs.otc.t-systems.com/image-management-service/umn/overview/constraints.html>):
//!
//! - The list answer is `{"images": [...]}`: the extension API documents no `next` or
//!   `first` link (those belong to the native `GET /v2/images`). The official Python SDK
//!   3.1.219's `ListImagesResponse` also reads `"page_info": {"next_marker": "<image id>"}`;
//!   the emulator adds it when more matching images follow the page. Page with `limit` (default
//!   500; no maximum is documented, the emulator refuses above [`MAX_LIST_LIMIT`]) and
//!   `marker` (the id of the last image of the previous page); a page shorter than `limit`,
//!   or an empty one, is the end.
//! - Filters: `__imagetype`, `__whole_image`, `status`, `name`, `id`, `owner`, `tag`
//!   (`key=value`, split at the first `=`, exact match of one tag), `created_at` and
//!   `updated_at` (`gt:`/`gte:`/`lt:`/`lte:`/`eq:`/`neq:` then `yyyy-MM-ddThh:mm:ssZ` or
//!   `yyyy-MM-dd hh:mm:ss`); `sort_key` (`created_at`, the default, `updated_at`, `name`,
//!   `status`, `id`; `container_format`, `disk_format`, `size` accepted) and `sort_dir`
//!   (`desc`, the default, or `asc`). Other documented parameters are accepted and ignored.
//! - The quota is the documented 50 private images per region and concurrent creation is
//!   limited to 40 tasks per tenant ([`Settings::image_quota`],
//!   [`Settings::max_concurrent_jobs`]). Every image not gone counts against the quota —
//!   `killed` ones, ones not listed yet ([`Settings::list_delay`]) and ones whose deletion is
//!   pending included: a fleet must delete its failed images to free the quota.
//! - A delete answers 204 at once; the image stays listed, its status unchanged, for
//!   [`Settings::delete_delay`], then leaves the list and the quota (a repeated delete while it
//!   is pending is accepted again). Once gone, a backup-made image frees its backup for
//!   another image unless `delete_backup` was `true`.
//! - The concurrency gauge: [`Stats::peak_running_jobs`] (and [`Stats::running_jobs`]).
//!
//! # Use
//!
//! In-process (tests, blocking code): [`Emulator::start`] with an [`EmulatorConfig`]
//! ([`EmulatorConfig::demo`]: AK [`DEMO_AK`], SK [`DEMO_SK`], project [`DEMO_PROJECT_ID`],
//! region `cn-north-4`; everything that may change while it runs is one [`Settings`], in
//! [`EmulatorConfig::settings`]), then [`Emulator::url`], [`Emulator::update`] to change the
//! settings, [`Emulator::faults`],
//! [`Emulator::stats`], [`Emulator::shutdown`]. Inside a tokio runtime: [`serve`]. Without
//! sockets (fuzzing): [`in_process::router`] and [`in_process::verify_signed_request`]. From a
//! shell: `ims emulator` (crate `ims-cli`), whose first stdout line is its base URL.

#![forbid(unsafe_code)]

mod auth;
mod body;
mod clock;
mod config;
mod emulator;
mod faults;
mod gateway;
mod ids;
mod images;
pub mod in_process;
mod jobs;
mod listener;
mod reply;
mod routes;
mod server;
mod server_io;
mod settings;
mod state;
mod stats;
mod stream;
mod tls;

pub use config::{EmulatorConfig, MAX_BODY_BYTES, MAX_CLOCK_SKEW_SECS, UNLIMITED};
pub use emulator::{Emulator, SHUTDOWN_GRACE};
pub use faults::{Api, Fault, FaultConfig, FaultHandle, JobFailure};
pub use gateway::{GatewayBehaviour, GatewayPrefix};
pub use routes::images::{
    DEFAULT_LIST_LIMIT, IMAGE_IN_CREATION_CODE, IMAGE_NOT_FOUND_CODE, INVALID_IMAGETYPE_CODE,
    MAX_LIST_LIMIT,
};
pub use routes::ims::{
    INVALID_PARAMETER_CODE, JOB_NOT_FOUND_CODE, QUOTA_EXCEEDED_CODE, TOO_MANY_TASKS_CODE,
};
pub use routes::{
    CREATE_PATH, IMAGES_PATH, METADATA_TOKEN_PATH, PROJECTS_PATH, QUOTA_PATH, SECURITY_KEY_PATH,
};
pub use server::serve;
pub use settings::{
    DEFAULT_DELETE_DELAY, DEFAULT_IMAGE_QUOTA, DEFAULT_JOB_DURATION, DEFAULT_MAX_CONCURRENT_JOBS,
    DEFAULT_REGION, DEFAULT_TEMPORARY_LIFETIME, DEMO_AK, DEMO_DOMAIN_ID, DEMO_PROJECT_ID, DEMO_SK,
    Settings, TemporaryCredentials,
};
pub use stats::{MAX_RECORDED_REQUESTS, RequestRecord, Stats};
pub use tls::{EMULATOR_TLS_NAMES, EmulatorTls, OTHER_HOST_NAME, ServerCertificate};
