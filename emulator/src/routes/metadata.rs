//! The ECS instance metadata service (unsigned): a session token, then temporary credentials.

use axum::http::{HeaderName, StatusCode};
use serde_json::json;

use crate::auth::RequestView;
use crate::clock;
use crate::ids;
use crate::reply::Reply;
use crate::state::AppState;

/// Longest session-token lifetime accepted, in seconds (six hours).
pub const MAX_TOKEN_TTL_SECS: i64 = 21_600;

fn not_found() -> Reply {
    Reply::text(StatusCode::NOT_FOUND, "404 Not Found")
}

/// `PUT /meta-data/latest/api/token` with `X-Metadata-Token-Ttl-Seconds`: 200 and the token
/// as text.
pub(crate) fn token(state: &AppState, req: &RequestView<'_>) -> Reply {
    if !state.settings().metadata_enabled {
        return not_found();
    }
    let ttl = req
        .headers
        .get("x-metadata-token-ttl-seconds")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let Some(ttl) = ttl.filter(|t| (1..=MAX_TOKEN_TTL_SECS).contains(t)) else {
        return Reply::text(
            StatusCode::BAD_REQUEST,
            "400 Bad Request: X-Metadata-Token-Ttl-Seconds must be an integer from 1 to 21600",
        );
    };
    let token = ids::alnum(56);
    state.issue_metadata_token(token.clone(), state.clock.now_unix() + ttl);
    Reply::text(StatusCode::OK, token).with_header(
        HeaderName::from_static("x-metadata-token-ttl-seconds"),
        &ttl.to_string(),
    )
}

/// `GET /openstack/latest/securitykey` with `X-Metadata-Token`: the temporary credentials.
pub(crate) fn security_key(state: &AppState, req: &RequestView<'_>) -> Reply {
    let settings = state.settings();
    if !settings.metadata_enabled {
        return not_found();
    }
    let token_ok = req
        .headers
        .get("x-metadata-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| state.metadata_token_valid(t.trim()));
    if !token_ok {
        return Reply::text(StatusCode::UNAUTHORIZED, "401 Unauthorized");
    }
    let Some(t) = settings.current_temporary() else {
        return not_found();
    };
    Reply::json(
        StatusCode::OK,
        &json!({
            "credential": {
                "access": t.access,
                "secret": t.secret,
                "securitytoken": t.security_token,
                "expires_at": clock::metadata_time(t.expires_at_unix),
            }
        }),
    )
}
