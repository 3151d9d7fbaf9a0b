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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};
    use ims_core::Credentials;
    use ims_core::sign::{self, Algorithm, SdkDate, SignableRequest, SigningParams};

    /// Signs with `ak` (and `token`) and the extra header, sends the headers as UTF-8 bytes.
    fn verify(ak: &str, token: Option<&str>, extra: (&str, &str)) -> Result<(), String> {
        let mut credentials = Credentials::new(ak, "SK");
        let mut config = EmulatorConfig::demo().with_credentials(ak, "SK");
        if let Some(t) = token {
            credentials = credentials.with_security_token(t);
            config.settings.security_token = Some(t.to_owned());
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let request = SignableRequest {
            method: "GET",
            host: "127.0.0.1",
            path: "/v3/projects",
            query: &[],
            headers: &[extra],
            body: b"",
        };
        let params = SigningParams {
            credentials: &credentials,
            algorithm: Algorithm::SdkHmacSha256,
            date: SdkDate::from_unix(now).map_err(|e| e.to_string())?,
            region: None,
            service: None,
        };
        let out = sign::sign(&request, &params).map_err(|e| e.to_string())?;
        let mut headers = HeaderMap::new();
        for (name, value) in out
            .headers
            .iter()
            .map(|(n, v)| (n.as_ref(), v.as_ref()))
            .chain([("Authorization", out.authorization.as_str())])
        {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?,
                HeaderValue::from_bytes(value.as_bytes()).map_err(|e| e.to_string())?,
            );
        }
        let uri: Uri = "/v3/projects"
            .parse()
            .map_err(|e: axum::http::uri::InvalidUri| e.to_string())?;
        verify_signed_request(&config, &Method::GET, &uri, &headers, b"")
    }

    #[test]
    fn accepts_an_ascii_request() {
        assert_eq!(verify("AK", None, ("X-Extra", "plain")), Ok(()));
    }

    /// Fuzz finding (signer): UTF-8 in a signed header value (or in the AK) was refused as
    /// "not text", although the signer signs it and the official SDK's vectors carry a
    /// non-ASCII security token.
    #[test]
    fn accepts_utf8_header_values_the_signer_signs() {
        assert_eq!(verify("AKé", None, ("X-Extra", "plain")), Ok(()));
        assert_eq!(verify("AK", None, ("X-Extra", "镜像 测试")), Ok(()));
        assert_eq!(verify("AK", Some("令牌-token"), ("X-Extra", "v")), Ok(()));
    }

    #[test]
    fn refuses_a_header_that_is_not_utf8() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_bytes(
                b"SDK-HMAC-SHA256 Access=\xff, SignedHeaders=host, Signature=00",
            )
            .unwrap_or(HeaderValue::from_static("x")),
        );
        let uri: Uri = Uri::from_static("/v3/projects");
        let got = verify_signed_request(&EmulatorConfig::demo(), &Method::GET, &uri, &headers, b"");
        assert!(got.unwrap_err().contains("not text"));
    }
}
