//! The Huawei Cloud AK/SK signer: `SDK-HMAC-SHA256`, `SDK-HMAC-SM3` and `V11-HMAC-SHA256`.
//!
//! Shaped like `aws-sigv4`: [`sign`] is a pure function of a [`SignableRequest`] and
//! [`SigningParams`] (the time is an input, never read here). It returns a [`SigningOutput`]
//! holding every stage — the [`CanonicalRequest`] and the [`StringToSign`], which print
//! themselves exactly as signed — plus the headers to send and the URI to put on the wire.
//!
//! It signs any method, path, query, headers and body, not just the IMS calls, and matches the
//! official Python SDK byte for byte (see `tests/signing_vectors.rs`).

mod authorization;
mod canonical;
mod date;
mod digest;
pub mod encode;

use std::fmt;
use std::str::FromStr;

pub use authorization::ParsedAuthorization;
pub use canonical::{CanonicalRequest, StringToSign};
pub use date::SdkDate;

use crate::credentials::Credentials;

/// The signing algorithms of the official SDKs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// `SDK-HMAC-SHA256`, the default.
    #[default]
    SdkHmacSha256,
    /// `SDK-HMAC-SM3`: the same scheme with SM3 and HMAC-SM3.
    SdkHmacSm3,
    /// `V11-HMAC-SHA256`: HMAC-SHA256 under a key derived per day, region and service.
    V11HmacSha256,
}

impl Algorithm {
    /// The name used in the `Authorization` header and the string to sign.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::SdkHmacSha256 => "SDK-HMAC-SHA256",
            Algorithm::SdkHmacSm3 => "SDK-HMAC-SM3",
            Algorithm::V11HmacSha256 => "V11-HMAC-SHA256",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = SignError;

    fn from_str(s: &str) -> Result<Self, SignError> {
        match s {
            "SDK-HMAC-SHA256" => Ok(Algorithm::SdkHmacSha256),
            "SDK-HMAC-SM3" => Ok(Algorithm::SdkHmacSm3),
            "V11-HMAC-SHA256" => Ok(Algorithm::V11HmacSha256),
            other => Err(SignError::UnknownAlgorithm(printable(other))),
        }
    }
}

/// Why a request could not be signed (or an `Authorization` header not parsed).
///
/// Header *values* are never part of the message: they may hold a security token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The method is empty or not an HTTP token.
    #[error("method {0:?} is not an http method")]
    InvalidMethod(String),
    /// The host is empty or holds characters a host cannot.
    #[error("host {0:?} is not a valid host[:port]")]
    InvalidHost(String),
    /// The path does not start with `/` or holds `?`, `#` or control characters.
    #[error("path {0:?} must start with '/' and hold no '?', '#' or control characters")]
    InvalidPath(String),
    /// A header name is empty or not an HTTP token.
    #[error("header name {0:?} is not an http token")]
    InvalidHeaderName(String),
    /// A header value holds control characters (the value itself is not shown).
    #[error("header {0:?} has a value with control characters")]
    InvalidHeaderValue(String),
    /// The same header name (ignoring case) appears twice.
    #[error("header {0:?} appears more than once")]
    DuplicateHeader(String),
    /// A date is malformed or out of range.
    #[error("invalid signing date: {0}")]
    InvalidDate(String),
    /// `V11-HMAC-SHA256` needs a region and a service for its scope.
    #[error("V11-HMAC-SHA256 needs a region and a service")]
    MissingScope,
    /// An algorithm name none of the SDKs uses.
    #[error("unknown signing algorithm {0:?}")]
    UnknownAlgorithm(String),
    /// An `Authorization` header that cannot be parsed.
    #[error("malformed authorization header: {0}")]
    InvalidAuthorization(String),
}

/// A request to sign: everything is borrowed, nothing is changed.
#[derive(Debug, Clone, Copy)]
pub struct SignableRequest<'a> {
    /// HTTP method (upper-cased for signing).
    pub method: &'a str,
    /// `host` or `host:port` of the endpoint; sent and signed as `Host`.
    pub host: &'a str,
    /// Path as sent on the wire (already percent-encoded per segment).
    pub path: &'a str,
    /// Query as raw (decoded) pairs, in any order.
    pub query: &'a [(&'a str, &'a str)],
    /// Request headers before signing. A `Host` or `X-Sdk-Date` here is replaced.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body bytes (any bytes).
    pub body: &'a [u8],
}

/// How to sign: with which credentials, algorithm and time.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// The AK/SK (and security token, added as `X-Security-Token` when not already present).
    pub credentials: &'a Credentials,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The signing time, sent as `X-Sdk-Date`.
    pub date: SdkDate,
    /// Region of the V11 scope (ignored by the other algorithms).
    pub region: Option<&'a str>,
    /// Service of the V11 scope (ignored by the other algorithms).
    pub service: Option<&'a str>,
}

/// Everything signing produced.
#[derive(Clone)]
pub struct SigningOutput {
    /// The canonical request that was signed.
    pub canonical_request: CanonicalRequest,
    /// The string that was signed.
    pub string_to_sign: StringToSign,
    /// Hex signature.
    pub signature: String,
    /// The `Authorization` header value.
    pub authorization: String,
    /// The headers to send (input headers with trimmed values, plus `X-Sdk-Date`, `Host` and,
    /// when added, `X-Security-Token` and `X-Sdk-Content-Sha256`), without `Authorization`.
    pub headers: Vec<(String, String)>,
    /// Path plus `?` and the canonical query (when there is one), as sent on the wire.
    pub wire_uri: String,
}

impl fmt::Debug for SigningOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningOutput")
            .field("canonical_request", &self.canonical_request)
            .field("wire_uri", &self.wire_uri)
            .field("authorization", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Name of the date header.
pub const DATE_HEADER: &str = "X-Sdk-Date";
/// Name of the security-token header of temporary credentials.
pub const SECURITY_TOKEN_HEADER: &str = "X-Security-Token";
/// Name of the header that overrides the payload hash.
pub const CONTENT_SHA256_HEADER: &str = "X-Sdk-Content-Sha256";
/// The payload hash of bodies that are not JSON.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Signs a request. Pure: same inputs, same output.
pub fn sign(
    req: &SignableRequest<'_>,
    params: &SigningParams<'_>,
) -> Result<SigningOutput, SignError> {
    let method = checked_method(req.method)?;
    check_host(req.host)?;
    check_path(req.path)?;
    let alg = params.algorithm;
    let date = params.date.as_str();

    let mut headers = collect_headers(req.headers, date, params.credentials)?;
    headers.push(("Host".to_owned(), req.host.to_owned()));

    let payload_hash = match find(&headers, CONTENT_SHA256_HEADER) {
        Some(v) => v.to_owned(),
        None => digest::hash_hex(alg, req.body),
    };

    let mut signed: Vec<(String, &str)> = headers
        .iter()
        .filter(|(n, _)| !n.contains('_'))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.as_str()))
        .collect();
    signed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut header_block = String::with_capacity(256);
    let mut signed_headers = String::with_capacity(64);
    for (i, (name, value)) in signed.iter().enumerate() {
        header_block.push_str(name);
        header_block.push(':');
        header_block.push_str(value);
        header_block.push('\n');
        if i > 0 {
            signed_headers.push(';');
        }
        signed_headers.push_str(name);
    }

    let mut uri = String::with_capacity(req.path.len() + 8);
    encode::canonical_uri(req.path, &mut uri);
    let mut query = String::new();
    encode::canonical_query(req.query, &mut query);

    let canonical_request = CanonicalRequest {
        method,
        uri,
        query,
        headers: header_block,
        signed_headers,
        payload_hash,
    };
    let canonical_text = canonical_request.to_string();

    let scope = match alg {
        Algorithm::V11HmacSha256 => match (params.region, params.service) {
            (Some(r), Some(s)) if !r.is_empty() && !s.is_empty() => {
                Some(format!("{}/{r}/{s}", params.date.day()))
            }
            _ => return Err(SignError::MissingScope),
        },
        _ => None,
    };
    let string_to_sign = StringToSign {
        algorithm: alg.as_str(),
        date: date.to_owned(),
        scope,
        canonical_request_hash: digest::hash_hex(alg, canonical_text.as_bytes()),
    };
    let sts_text = string_to_sign.to_string();

    let ak = params.credentials.access_key();
    let sk = params.credentials.secret_key();
    let (signature, authorization) = match &string_to_sign.scope {
        Some(scope) => {
            let key = digest::v11_key(ak, sk, scope);
            let sig = digest::hmac_hex(alg, key.as_bytes(), sts_text.as_bytes());
            let auth = format!(
                "{} Credential={ak}/{scope}, SignedHeaders={}, Signature={sig}",
                alg.as_str(),
                canonical_request.signed_headers
            );
            (sig, auth)
        }
        None => {
            let sig = digest::hmac_hex(alg, sk.as_bytes(), sts_text.as_bytes());
            let auth = format!(
                "{} Access={ak}, SignedHeaders={}, Signature={sig}",
                alg.as_str(),
                canonical_request.signed_headers
            );
            (sig, auth)
        }
    };

    let wire_uri = if canonical_request.query.is_empty() {
        req.path.to_owned()
    } else {
        format!("{}?{}", req.path, canonical_request.query)
    };

    Ok(SigningOutput {
        canonical_request,
        string_to_sign,
        signature,
        authorization,
        headers,
        wire_uri,
    })
}

/// The input headers, trimmed and checked, with `X-Sdk-Date` set and `X-Security-Token` and
/// `X-Sdk-Content-Sha256` added where the official signer adds them. `Host` is left out.
fn collect_headers(
    input: &[(&str, &str)],
    date: &str,
    credentials: &Credentials,
) -> Result<Vec<(String, String)>, SignError> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(input.len() + 4);
    let mut has_date = false;
    for (name, value) in input {
        check_header_name(name)?;
        if name.eq_ignore_ascii_case("host") {
            continue;
        }
        if out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Err(SignError::DuplicateHeader(printable(name)));
        }
        let value = value.trim();
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(SignError::InvalidHeaderValue(printable(name)));
        }
        if name.eq_ignore_ascii_case(DATE_HEADER) {
            has_date = true;
            out.push(((*name).to_owned(), date.to_owned()));
        } else {
            out.push(((*name).to_owned(), value.to_owned()));
        }
    }
    if !has_date {
        out.push((DATE_HEADER.to_owned(), date.to_owned()));
    }
    if let Some(token) = credentials.security_token() {
        if find(&out, SECURITY_TOKEN_HEADER).is_none() {
            if token.chars().any(char::is_control) {
                return Err(SignError::InvalidHeaderValue(SECURITY_TOKEN_HEADER.into()));
            }
            out.push((SECURITY_TOKEN_HEADER.to_owned(), token.to_owned()));
        }
    }
    let non_json = find(&out, "Content-Type").is_some_and(|ct| !ct.starts_with("application/json"));
    if non_json && find(&out, CONTENT_SHA256_HEADER).is_none() {
        out.push((
            CONTENT_SHA256_HEADER.to_owned(),
            UNSIGNED_PAYLOAD.to_owned(),
        ));
    }
    Ok(out)
}

fn find<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn check_header_name(name: &str) -> Result<(), SignError> {
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Err(SignError::InvalidHeaderName(printable(name)));
    }
    Ok(())
}

fn checked_method(method: &str) -> Result<String, SignError> {
    if method.is_empty() || method.len() > 32 || !method.bytes().all(is_tchar) {
        return Err(SignError::InvalidMethod(printable(method)));
    }
    Ok(method.to_ascii_uppercase())
}

fn check_host(host: &str) -> Result<(), SignError> {
    let ok = !host.is_empty()
        && host.len() <= 300
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(SignError::InvalidHost(printable(host)))
    }
}

fn check_path(path: &str) -> Result<(), SignError> {
    let ok = path.starts_with('/') && !path.chars().any(|c| c.is_control() || c == '?' || c == '#');
    if ok {
        Ok(())
    } else {
        Err(SignError::InvalidPath(printable(path)))
    }
}

/// A caller's string made safe to show in a message: at most 64 characters, escaped.
pub(crate) fn printable(s: &str) -> String {
    let mut out: String = s.chars().take(64).flat_map(char::escape_debug).collect();
    if s.chars().nth(64).is_some() {
        out.push('…');
    }
    out
}

/// Parses an `Authorization` header value (the inverse of what [`sign`] writes).
pub fn parse_authorization(value: &str) -> Result<ParsedAuthorization, SignError> {
    authorization::parse(value)
}
