//! Which endpoint a method and path name, and the handlers behind them.

pub(crate) mod iam;
pub(crate) mod images;
pub(crate) mod ims;
pub(crate) mod metadata;

use axum::http::{HeaderMap, Method, StatusCode};
use ims_core::sign::encode;

use crate::auth::Principal;
use crate::faults::Api;
use crate::reply::{Reply, clip};
use crate::settings::Settings;

/// Path of the create endpoint.
pub const CREATE_PATH: &str = "/v1/cloudimages/wholeimages/action";
/// Path of the image list (`GET`).
pub const IMAGES_PATH: &str = "/v2/cloudimages";
/// Path of the image quota (`GET`); also served as `/v1/{project_id}/cloudimages/quota`.
pub const QUOTA_PATH: &str = "/v1/cloudimages/quota";
/// Path of the IAM project lookup.
pub const PROJECTS_PATH: &str = "/v3/projects";
/// Path of the metadata session-token endpoint.
pub const METADATA_TOKEN_PATH: &str = "/meta-data/latest/api/token";
/// Path of the metadata temporary-credentials endpoint.
pub const SECURITY_KEY_PATH: &str = "/openstack/latest/securitykey";

/// A known endpoint, with its path parameters (percent-decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `POST /v1/cloudimages/wholeimages/action`.
    Create,
    /// `GET /v1/cloudimages/job/{job_id}`.
    Job { job_id: String },
    /// `GET /v1/{project_id}/jobs/{job_id}`.
    LegacyJob { project_id: String, job_id: String },
    /// `GET /v2/cloudimages`.
    ListImages,
    /// `GET /v1/cloudimages/quota` (`project_id: None`) and
    /// `GET /v1/{project_id}/cloudimages/quota`.
    Quota { project_id: Option<String> },
    /// `DELETE /v2/images/{image_id}`.
    DeleteImage { image_id: String },
    /// `GET /v3/projects`.
    Projects,
    /// `PUT /meta-data/latest/api/token`.
    MetadataToken,
    /// `GET /openstack/latest/securitykey`.
    SecurityKey,
}

impl Route {
    /// The API it belongs to (what faults are aimed at). Kept as `endpoint()` so the
    /// dispatcher's call stays as it was.
    pub fn endpoint(&self) -> Api {
        match self {
            Route::Create => Api::Create,
            Route::Job { .. } | Route::LegacyJob { .. } => Api::Job,
            Route::Projects => Api::Iam,
            Route::MetadataToken | Route::SecurityKey => Api::Metadata,
            Route::ListImages | Route::Quota { .. } | Route::DeleteImage { .. } => Api::Images,
        }
    }
}

/// The outcome of matching a request line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Matched {
    /// A known endpoint with the right method.
    Route(Route),
    /// A known path with another method; holds the allowed one.
    MethodNotAllowed(&'static str),
    /// No such API.
    NotFound,
}

/// Matches a method and a raw (wire) path.
pub(crate) fn match_route(method: &Method, path: &str) -> Matched {
    let segments: Vec<&str> = path.split('/').collect();
    let (route, allowed) = match segments.as_slice() {
        ["", "v1", "cloudimages", "wholeimages", "action"] => (Route::Create, Method::POST),
        ["", "v1", "cloudimages", "job", id] if !id.is_empty() => (
            Route::Job {
                job_id: encode::decode(id),
            },
            Method::GET,
        ),
        ["", "v1", project, "jobs", id] if !project.is_empty() && !id.is_empty() => (
            Route::LegacyJob {
                project_id: encode::decode(project),
                job_id: encode::decode(id),
            },
            Method::GET,
        ),
        ["", "v2", "cloudimages"] => (Route::ListImages, Method::GET),
        ["", "v1", "cloudimages", "quota"] => (Route::Quota { project_id: None }, Method::GET),
        ["", "v1", project, "cloudimages", "quota"] if !project.is_empty() => (
            Route::Quota {
                project_id: Some(encode::decode(project)),
            },
            Method::GET,
        ),
        ["", "v2", "images", id] if !id.is_empty() => (
            Route::DeleteImage {
                image_id: encode::decode(id),
            },
            Method::DELETE,
        ),
        ["", "v3", "projects"] => (Route::Projects, Method::GET),
        ["", "meta-data", "latest", "api", "token"] => (Route::MetadataToken, Method::PUT),
        ["", "openstack", "latest", "securitykey"] => (Route::SecurityKey, Method::GET),
        _ => return Matched::NotFound,
    };
    if *method == allowed {
        Matched::Route(route)
    } else {
        Matched::MethodNotAllowed(if allowed == Method::POST {
            "POST"
        } else if allowed == Method::PUT {
            "PUT"
        } else if allowed == Method::DELETE {
            "DELETE"
        } else {
            "GET"
        })
    }
}

/// The `X-Project-Id` rule of the IMS endpoints.
///
/// A header that is present must equal the configured project id (else 400 `IMG.0104`). A
/// missing header is accepted with token authentication (the token is project-scoped) and
/// refused with AK/SK authentication, also with 400 `IMG.0104` ("send X-Project-Id"), since an
/// AK/SK alone does not say which project of the region is meant.
pub(crate) fn check_project_header(
    headers: &HeaderMap,
    settings: &Settings,
    principal: Principal,
) -> Result<(), Reply> {
    match headers.get("x-project-id") {
        Some(value) => {
            let sent = value.to_str().unwrap_or("").trim();
            if sent == settings.project_id {
                Ok(())
            } else {
                Err(Reply::ims_error(
                    StatusCode::BAD_REQUEST,
                    "IMG.0104",
                    format!(
                        "The project id {:?} in X-Project-Id is not a project of this account \
                         in the region: check X-Project-Id",
                        clip(&String::from_utf8_lossy(value.as_bytes()))
                    ),
                ))
            }
        }
        None if principal == Principal::Token => Ok(()),
        None => Err(Reply::ims_error(
            StatusCode::BAD_REQUEST,
            "IMG.0104",
            "X-Project-Id is missing: with AK/SK authentication the project must be sent in the \
             X-Project-Id header",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches() {
        assert_eq!(
            match_route(&Method::POST, CREATE_PATH),
            Matched::Route(Route::Create)
        );
        assert_eq!(
            match_route(&Method::GET, CREATE_PATH),
            Matched::MethodNotAllowed("POST")
        );
        assert_eq!(
            match_route(&Method::GET, "/v1/cloudimages/job/abc%20d"),
            Matched::Route(Route::Job {
                job_id: "abc d".into()
            })
        );
        assert_eq!(
            match_route(&Method::GET, "/v1/p1/jobs/j1"),
            Matched::Route(Route::LegacyJob {
                project_id: "p1".into(),
                job_id: "j1".into()
            })
        );
        assert_eq!(
            match_route(&Method::GET, "/v1/cloudimages/job/"),
            Matched::NotFound
        );
        assert_eq!(match_route(&Method::GET, "/"), Matched::NotFound);
        assert_eq!(
            match_route(&Method::GET, IMAGES_PATH),
            Matched::Route(Route::ListImages)
        );
        assert_eq!(
            match_route(&Method::GET, "/v1/p1/cloudimages/quota"),
            Matched::Route(Route::Quota {
                project_id: Some("p1".into())
            })
        );
        assert_eq!(
            match_route(&Method::GET, "/v2/images/i-1"),
            Matched::MethodNotAllowed("DELETE")
        );
        assert_eq!(
            match_route(&Method::DELETE, "/v2/images/i-1"),
            Matched::Route(Route::DeleteImage {
                image_id: "i-1".into()
            })
        );
        assert_eq!(match_route(&Method::GET, ""), Matched::NotFound);
        assert_eq!(
            match_route(&Method::DELETE, METADATA_TOKEN_PATH),
            Matched::MethodNotAllowed("PUT")
        );
    }
}
