//! The HTTP side: one dispatcher that every request goes through (routing, body limit, fault
//! injection, common headers, statistics), and [`serve`].

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use tokio::net::TcpListener;

use crate::auth::RequestView;
use crate::body::{self, BodyError, TruncatedBody};
use crate::clock;
use crate::config::{EmulatorConfig, MAX_BODY_BYTES};
use crate::faults::Fault;
use crate::gateway::GatewayBehaviour;
use crate::ids;
use crate::listener::{ConnMeta, CountingListener};
use crate::reply::{Reply, clip};
use crate::routes::{self, Matched, Route, iam, images, ims, metadata};
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The page sent by [`Fault::WrongContentType`].
const HTML_PAGE: &str = "<html><head><title>502 Bad Gateway</title></head><body><center>\
                         <h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";

/// Serves the emulator on `listener` until `shutdown` completes, then stops gracefully
/// (in-flight requests finish). The listener must be bound to a loopback address.
///
/// This is the entry point for running the emulator inside an existing tokio runtime; tests and
/// blocking code use [`crate::Emulator`], which runs its own.
pub async fn serve<F>(config: EmulatorConfig, listener: TcpListener, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let state = Arc::new(AppState::new(&config));
    serve_state(state, listener, shutdown).await
}

pub(crate) async fn serve_state<F>(
    state: Arc<AppState>,
    listener: TcpListener,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let local = listener.local_addr()?;
    if !local.ip().is_loopback() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the emulator listens on loopback addresses only, not {local}"),
        ));
    }
    let app = app(Arc::clone(&state));
    let listener = CountingListener::new(listener, state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<ConnMeta>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// The router every request goes through: one dispatcher for all paths.
pub(crate) fn app(state: Arc<AppState>) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

/// What happens to the response after the handler ran.
enum After {
    Normal,
    Drop,
    Truncate,
    Html,
}

/// Every request: refused early (unknown path, wrong method, unreadable or too large body), or
/// through the fault plan and then its route; the answer is then delayed, dropped or finished as
/// the plan says.
async fn dispatch(
    State(state): State<Arc<AppState>>,
    ConnectInfo(conn): ConnectInfo<ConnMeta>,
    request: Request,
) -> Response {
    // No idle close while a request is being handled.
    let _busy = conn.busy();
    let request_id = ids::hex32();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let matched = routes::match_route(&parts.method, &path);
    let body = body::read_limited(body, MAX_BODY_BYTES).await;
    let gateway = state.settings().gateway.clone();

    let (reply, after, delay) = match (&matched, body) {
        (Matched::Route(route), Ok(bytes)) => {
            let (fault, standing_delay) = state.faults.take(route.endpoint());
            match plan_fault(&state, fault, &gateway, &request_id) {
                FaultPlan::DropNow => {
                    conn.kill();
                    state.stats.request(parts.method.as_str(), &path, 0);
                    return Response::new(Body::empty());
                }
                FaultPlan::Answer(reply) => (reply, After::Normal, standing_delay),
                FaultPlan::Handle { after, delay } => {
                    let view = RequestView {
                        method: &parts.method,
                        uri: &parts.uri,
                        headers: &parts.headers,
                        body: &bytes,
                    };
                    let reply = handle(&state, route, &view, &request_id);
                    (reply, after, standing_delay + delay)
                }
            }
        }
        (matched, body) => {
            let reply = refusal(
                matched,
                body.err(),
                &parts.method,
                &path,
                &gateway,
                &request_id,
            );
            (reply, After::Normal, Duration::ZERO)
        }
    };

    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if matches!(after, After::Drop) {
        conn.kill();
        state.stats.request(parts.method.as_str(), &path, 0);
        return Response::new(Body::empty());
    }
    let status = reply.status;
    state
        .stats
        .request(parts.method.as_str(), &path, status.as_u16());
    if status == StatusCode::OK && matches!(matched, Matched::Route(Route::Create)) {
        state.stats.create_accepted();
    }
    let mut response = finish(&state, reply, &request_id, after);
    if let Some(v) = gateway
        .date_override
        .as_deref()
        .and_then(|d| HeaderValue::from_str(d).ok())
    {
        response.headers_mut().insert(header::DATE, v);
    }
    response
}

/// What an injected fault (or none) does to one routed request.
enum FaultPlan {
    /// Answer this instead of handling the request.
    Answer(Reply),
    /// Drop the connection before handling anything.
    DropNow,
    /// Handle the request, wait `delay` more, then treat the answer as `after` says.
    Handle { after: After, delay: Duration },
}

/// The plan for `fault`: the gateway's and the service's injected answers, drops, delays and
/// damaged bodies.
fn plan_fault(
    state: &AppState,
    fault: Option<Fault>,
    gateway: &GatewayBehaviour,
    request_id: &str,
) -> FaultPlan {
    let code = |apigw_code: &str| gateway.prefix.rename(apigw_code);
    let handle = |after| FaultPlan::Handle {
        after,
        delay: Duration::ZERO,
    };
    match fault {
        None => handle(After::Normal),
        Some(Fault::Throttle { retry_after_secs }) => {
            let reply = Reply::gateway_error(
                StatusCode::TOO_MANY_REQUESTS,
                &code("APIGW.0308"),
                "The throttling threshold has been reached: policy user over ratelimit,limit:20,time:1 second",
                request_id,
            );
            FaultPlan::Answer(retry_after(
                reply,
                retry_after_secs,
                state,
                gateway.retry_after_http_date,
            ))
        }
        Some(Fault::AkLocked) => FaultPlan::Answer(Reply::gateway_error(
            StatusCode::UNAUTHORIZED,
            &code("APIGW.0301"),
            "Incorrect IAM authentication information: AK access failed to reach the limit, forbidden",
            request_id,
        )),
        Some(Fault::InternalError) => FaultPlan::Answer(Reply::ims_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "IMG.0500",
            "Internal server error (injected fault)",
        )),
        Some(Fault::Unavailable) => FaultPlan::Answer(Reply::ims_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "IMG.0503",
            "The service is temporarily unavailable (injected fault)",
        )),
        Some(Fault::DropBeforeHandling) => FaultPlan::DropNow,
        Some(Fault::Delay(delay)) => FaultPlan::Handle {
            after: After::Normal,
            delay,
        },
        Some(Fault::DropAfterHandling) => handle(After::Drop),
        Some(Fault::TruncatedBody) => handle(After::Truncate),
        Some(Fault::WrongContentType) => handle(After::Html),
    }
}

/// The answer to a request refused before any route handles it: a body that could not be read
/// (whatever the path), an unknown path, a method the path does not serve, a body too large.
fn refusal(
    matched: &Matched,
    body_error: Option<BodyError>,
    method: &Method,
    path: &str,
    gateway: &GatewayBehaviour,
    request_id: &str,
) -> Reply {
    let code = |apigw_code: &str| gateway.prefix.rename(apigw_code);
    match (matched, body_error) {
        (_, Some(BodyError::Broken)) => Reply::ims_error(
            StatusCode::BAD_REQUEST,
            ims::INVALID_PARAMETER_CODE,
            "The request message format is invalid: the body could not be read",
        ),
        (Matched::MethodNotAllowed(allowed), _) => Reply::gateway_error(
            StatusCode::METHOD_NOT_ALLOWED,
            &code("APIGW.0101"),
            format!(
                "The API does not exist or has not been published in the environment: method \
                 {} is not allowed on {}, use {allowed}",
                clip(method.as_str()),
                clip(path)
            ),
            request_id,
        )
        .with_header(header::ALLOW, allowed),
        (Matched::Route(_), Some(BodyError::TooLarge)) => Reply::ims_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            ims::INVALID_PARAMETER_CODE,
            format!("The request body is larger than {MAX_BODY_BYTES} bytes (12 MB)"),
        ),
        // Unknown paths, and (never reached) a route whose body was read.
        _ => Reply::gateway_error(
            StatusCode::NOT_FOUND,
            &code("APIGW.0101"),
            "The API does not exist or has not been published in the environment",
            request_id,
        ),
    }
}

/// Adds `Retry-After: secs`, or in date form the emulator's now plus `secs` (IMF-fixdate) with
/// a `Date` of the same now, so a client can subtract the two exactly.
fn retry_after(reply: Reply, secs: u64, state: &AppState, http_date: bool) -> Reply {
    if !http_date {
        return reply.with_header(header::RETRY_AFTER, &secs.to_string());
    }
    let now = state.clock.now_unix();
    let later = now.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX));
    reply
        .with_header(header::RETRY_AFTER, &clock::http_date(later))
        .with_header(header::DATE, &clock::http_date(now))
}

fn handle(state: &AppState, route: &Route, view: &RequestView<'_>, request_id: &str) -> Reply {
    match route {
        Route::Create => ims::create(state, view, request_id),
        Route::Job { job_id } => ims::job(state, view, request_id, job_id, None),
        Route::LegacyJob { project_id, job_id } => {
            ims::job(state, view, request_id, job_id, Some(project_id))
        }
        Route::ListImages => images::list(state, view, request_id),
        Route::Quota { project_id } => {
            images::quota(state, view, request_id, project_id.as_deref())
        }
        Route::DeleteImage { image_id } => images::delete(state, view, request_id, image_id),
        Route::Projects => iam::projects(state, view, request_id),
        Route::MetadataToken => metadata::token(state, view),
        Route::SecurityKey => metadata::security_key(state, view),
    }
}

/// Builds the response: body, `Content-Type`, `X-Request-Id`, `Date` (emulator clock) and the
/// reply's own headers; applies the body faults.
fn finish(state: &AppState, reply: Reply, request_id: &str, after: After) -> Response {
    let full_len = reply.body.len();
    let (body, content_type) = match after {
        After::Html => (Body::from(HTML_PAGE), "text/html"),
        After::Truncate => {
            let keep = full_len / 2;
            let first = Bytes::from(reply.body).slice(..keep);
            (Body::new(TruncatedBody::new(first)), reply.content_type)
        }
        _ => (Body::from(reply.body), reply.content_type),
    };
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if matches!(after, After::Truncate) {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(full_len.max(1)));
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID, v);
    }
    if let Ok(v) = HeaderValue::from_str(&clock::http_date(state.clock.now_unix())) {
        headers.insert(header::DATE, v);
    }
    for (name, value) in reply.headers {
        headers.insert(name, value);
    }
    if state.settings().close_after_answer {
        // hyper closes the connection once this response is written.
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
