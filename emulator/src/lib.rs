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
//! | injected server error / unavailable | 500 / 503 | `IMG.0500` / `IMG.0503` |
//!
//! IMS errors have the shape `{"error": {"code": "IMG.xxxx", "message": "..."}}`; the message
//! names the offending field.
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
pub mod in_process;
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

pub use config::{EmulatorConfig, MAX_BODY_BYTES, MAX_CLOCK_SKEW_SECS};
pub use emulator::{Emulator, SHUTDOWN_GRACE};
pub use faults::{Api, Fault, FaultConfig, FaultHandle, JobFailure};
pub use gateway::{GatewayBehaviour, GatewayPrefix};
pub use routes::ims::{INVALID_PARAMETER_CODE, JOB_NOT_FOUND_CODE};
pub use routes::{CREATE_PATH, METADATA_TOKEN_PATH, PROJECTS_PATH, SECURITY_KEY_PATH};
pub use server::serve;
pub use settings::{
    DEFAULT_JOB_DURATION, DEFAULT_REGION, DEFAULT_TEMPORARY_LIFETIME, DEMO_AK, DEMO_DOMAIN_ID,
    DEMO_PROJECT_ID, DEMO_SK, Settings, TemporaryCredentials,
};
pub use stats::{MAX_RECORDED_REQUESTS, RequestRecord, Stats};
pub use tls::{EMULATOR_TLS_NAMES, EmulatorTls, OTHER_HOST_NAME, ServerCertificate};
