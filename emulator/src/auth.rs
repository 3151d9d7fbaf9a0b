//! Request authentication as the API gateway does it: AK/SK signatures (`SDK-HMAC-SHA256`,
//! `SDK-HMAC-SM3`, `V11-HMAC-SHA256`) recomputed with the core signer, or an `X-Auth-Token`.

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use ims_core::Credentials;
use ims_core::sign::{
    self, Algorithm, DATE_HEADER, ParsedAuthorization, SECURITY_TOKEN_HEADER, SdkDate,
    SignableRequest, SigningParams, encode,
};

use crate::clock;
use crate::config::MAX_CLOCK_SKEW_SECS;
use crate::reply::{Reply, clip};
use crate::state::AppState;

/// The prefix of every authentication failure message.
const PREFIX: &str = "Incorrect IAM authentication information";

/// Who a request was authenticated as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Principal {
    /// An AK/SK signature (permanent or temporary credentials).
    AkSk,
    /// A project-scoped `X-Auth-Token`.
    Token,
}

/// Why a request was refused: the gateway's code and message (HTTP 401).
#[derive(Debug, Clone)]
pub(crate) struct AuthFailure {
    pub code: String,
    pub message: String,
}

impl AuthFailure {
    fn signature(detail: impl std::fmt::Display) -> Self {
        AuthFailure {
            code: "APIGW.0301".to_owned(),
            message: format!("{PREFIX}: verify aksk signature fail, {detail}"),
        }
    }

    /// The gateway-shaped 401 answer.
    pub fn reply(&self, request_id: &str) -> Reply {
        Reply::gateway_error(
            StatusCode::UNAUTHORIZED,
            &self.code,
            &self.message,
            request_id,
        )
    }
}

/// The parts of a request authentication looks at.
pub(crate) struct RequestView<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Authenticates a request: `Authorization` (AK/SK signature) first, else `X-Auth-Token`.
pub(crate) fn authenticate(
    state: &AppState,
    req: &RequestView<'_>,
) -> Result<Principal, AuthFailure> {
    authenticate_apigw(state, req).map_err(|mut fail| {
        fail.code = state.settings().gateway.prefix.rename(&fail.code);
        fail
    })
}

/// [`authenticate`], with codes written `APIGW.nnnn`.
fn authenticate_apigw(state: &AppState, req: &RequestView<'_>) -> Result<Principal, AuthFailure> {
    if let Some(value) = req.headers.get("authorization") {
        // UTF-8, not only visible ASCII: the signer signs any text a header value may hold.
        let value = std::str::from_utf8(value.as_bytes())
            .map_err(|_| AuthFailure::signature("the Authorization header is not text"))?;
        let parsed = sign::parse_authorization(value).map_err(AuthFailure::signature)?;
        verify_signature(state, req, &parsed)?;
        return Ok(Principal::AkSk);
    }
    if let Some(token) = req.headers.get("x-auth-token") {
        let settings = state.settings();
        let ok = settings
            .auth_token
            .as_deref()
            .is_some_and(|expected| constant_time_eq(expected.as_bytes(), token.as_bytes()));
        if ok {
            return Ok(Principal::Token);
        }
        return Err(AuthFailure {
            code: "APIGW.0301".to_owned(),
            message: format!("{PREFIX}: decrypt token fail"),
        });
    }
    Err(AuthFailure {
        code: "APIGW.0301".to_owned(),
        message: format!(
            "{PREFIX}: missing authorization: neither an Authorization nor an X-Auth-Token \
             header was sent"
        ),
    })
}

fn verify_signature(
    state: &AppState,
    req: &RequestView<'_>,
    auth: &ParsedAuthorization,
) -> Result<(), AuthFailure> {
    let settings = state.settings();
    let key = settings.key_for(&auth.access_key).ok_or_else(|| {
        AuthFailure::signature(format_args!(
            "access key {} does not exist",
            clip(&auth.access_key)
        ))
    })?;

    let has = |name: &str| auth.signed_headers.iter().any(|h| h == name);
    if !has("x-sdk-date") || !has("host") {
        return Err(AuthFailure::signature(
            "SignedHeaders must include x-sdk-date and host",
        ));
    }

    // Exactly the signed headers, as received.
    let mut host: Option<String> = None;
    let mut signed: Vec<(&str, String)> = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let mut values = req.headers.get_all(name.as_str()).iter().peekable();
        if values.peek().is_none() {
            return Err(AuthFailure::signature(format_args!(
                "signed header {} is missing from the request",
                clip(name)
            )));
        }
        let mut joined = String::new();
        for (i, v) in values.enumerate() {
            let text = std::str::from_utf8(v.as_bytes()).map_err(|_| {
                AuthFailure::signature(format_args!(
                    "signed header {} has a value that is not text",
                    clip(name)
                ))
            })?;
            if i > 0 {
                joined.push(',');
            }
            joined.push_str(text);
        }
        if name == "host" {
            host = Some(joined);
        } else {
            signed.push((name.as_str(), joined));
        }
    }
    let host = host.unwrap_or_default();

    let date_text = signed
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(DATE_HEADER))
        .map(|(_, v)| v.trim())
        .unwrap_or_default();
    let date = SdkDate::parse(date_text)
        .map_err(|e| AuthFailure::signature(format_args!("invalid X-Sdk-Date: {e}")))?;
    let now = state.clock.now_unix();
    let window = settings
        .gateway
        .signature_window_secs
        .map_or(MAX_CLOCK_SKEW_SECS, i64::from);
    if settings.gateway.always_expired || (date.unix() - now).abs() > window {
        return Err(AuthFailure::signature(format_args!(
            "signature expired, X-Sdk-Date {}, server time {}",
            date.as_str(),
            clock::sdk_date(now)
        )));
    }

    let (region, service) = match (&auth.algorithm, &auth.scope) {
        (Algorithm::V11HmacSha256, Some(scope)) => {
            let mut parts = scope.split('/');
            let (day, region, service) = (parts.next(), parts.next(), parts.next());
            match (day, region, service, parts.next()) {
                (Some(day), Some(r), Some(s), None) if !r.is_empty() && !s.is_empty() => {
                    if day != date.day() {
                        return Err(AuthFailure::signature(format_args!(
                            "credential scope date {} does not match X-Sdk-Date {}",
                            clip(day),
                            date.as_str()
                        )));
                    }
                    (Some(r), Some(s))
                }
                _ => {
                    return Err(AuthFailure::signature(
                        "Credential scope must be <yyyymmdd>/<region>/<service>",
                    ));
                }
            }
        }
        _ => (None, None),
    };

    let query_pairs = encode::parse_query(req.uri.query().unwrap_or(""));
    let query: Vec<(&str, &str)> = query_pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let headers: Vec<(&str, &str)> = signed.iter().map(|(n, v)| (*n, v.as_str())).collect();
    // Without the token: the request's own X-Security-Token (if signed) is among `headers`.
    let credentials = Credentials::new(auth.access_key.as_str(), key.sk);
    let signable = SignableRequest {
        method: req.method.as_str(),
        host: &host,
        path: req.uri.path(),
        query: &query,
        headers: &headers,
        body: req.body,
    };
    let params = SigningParams {
        credentials: &credentials,
        algorithm: auth.algorithm,
        date,
        region,
        service,
    };
    let out = sign::sign(&signable, &params).map_err(AuthFailure::signature)?;
    if !constant_time_eq(out.signature.as_bytes(), auth.signature.as_bytes()) {
        let echoed = if settings.echo_unredacted {
            out.canonical_request.to_string()
        } else {
            out.canonical_request.redacted()
        };
        return Err(AuthFailure::signature(format_args!(
            "the signature does not match, canonical request: {echoed}"
        )));
    }

    if let Some(expected) = key.security_token {
        let sent = req.headers.get(SECURITY_TOKEN_HEADER).map(|v| v.as_bytes());
        match sent {
            None => {
                return Err(AuthFailure::signature(
                    "temporary credentials need the X-Security-Token header",
                ));
            }
            Some(sent) if !constant_time_eq(sent, expected.as_bytes()) => {
                return Err(AuthFailure::signature(
                    "the X-Security-Token does not belong to this access key",
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(expires) = key.expires_at_unix
        && expires <= now
    {
        return Err(AuthFailure {
            code: "APIGW.0307".to_owned(),
            message: format!(
                "{PREFIX}: the security token has expired (expired at {}, server time {})",
                clock::metadata_time(expires),
                clock::sdk_date(now)
            ),
        });
    }
    Ok(())
}

/// Compares two byte strings in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn ct_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
