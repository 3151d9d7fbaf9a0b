//! The emulator driven without sockets, for fuzzing and other in-process tests: its request
//! handling as an axum [`Router`], and its signature verifier on its own.
//!
//! Both behave exactly as the emulator that [`crate::Emulator`] serves (same dispatcher, same
//! verifier); only the connection is missing, so the faults that act on a connection
//! (dropping it, idle close) have nothing to act on.

use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Uri};
use axum::{Extension, Router};

use crate::auth::{self, RequestView};
use crate::config::EmulatorConfig;
use crate::listener::ConnMeta;
use crate::state::AppState;

/// The emulator's request handling for `config`, as a router to call in process (e.g. with
/// `tower::ServiceExt::oneshot`) inside a tokio runtime. `config.listen` is not used. Each call
/// makes a new emulator: its jobs and statistics live as long as the router.
pub fn router(config: &EmulatorConfig) -> Router {
    let state = Arc::new(AppState::new(config));
    crate::server::app(state).layer(Extension(ConnectInfo(ConnMeta::detached())))
}

/// Authenticates a request as the emulator does on its IMS and IAM endpoints (an AK/SK
/// signature in `Authorization`, else an `X-Auth-Token`), against an emulator set up with
/// `config` (its AK/SK, security token, clock offset). `Ok(())` when the emulator would accept
/// it; otherwise the message of its 401 answer.
pub fn verify_signed_request(
    config: &EmulatorConfig,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    let state = AppState::new(config);
    let view = RequestView {
        method,
        uri,
        headers,
        body,
    };
    auth::authenticate(&state, &view)
        .map(|_| ())
        .map_err(|failure| failure.message)
}
