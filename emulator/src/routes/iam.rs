//! IAM's project lookup: `GET /v3/projects?name={region}`.

use axum::http::StatusCode;
use ims_core::sign::encode;
use serde_json::json;

use crate::auth::{self, RequestView};
use crate::reply::Reply;
use crate::state::AppState;

/// `GET /v3/projects[?name=...]`: signed like the IMS calls; no `X-Project-Id` needed.
pub(crate) fn projects(state: &AppState, req: &RequestView<'_>, request_id: &str) -> Reply {
    if let Err(fail) = auth::authenticate(state, req) {
        return fail.reply(request_id);
    }
    let settings = state.settings();
    let query = encode::parse_query(req.uri.query().unwrap_or(""));
    let wanted = query
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.as_str());
    let host = req
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let projects: Vec<serde_json::Value> = settings
        .projects()
        .into_iter()
        .filter(|(name, _)| wanted.is_none_or(|w| w == name))
        .map(|(name, id)| {
            json!({
                "id": id,
                "name": name,
                "domain_id": settings.domain_id,
                "parent_id": settings.domain_id,
                "description": "",
                "enabled": true,
                "is_domain": false,
                "links": {"self": format!("http://{host}/v3/projects/{id}")},
            })
        })
        .collect();
    let self_link = match req.uri.query() {
        Some(q) => format!("http://{host}/v3/projects?{q}"),
        None => format!("http://{host}/v3/projects"),
    };
    Reply::json(
        StatusCode::OK,
        &json!({
            "projects": projects,
            "links": {"self": self_link, "previous": null, "next": null},
        }),
    )
}
