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

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

pub use authorization::ParsedAuthorization;
pub use canonical::{CanonicalRequest, StringToSign};
pub use date::SdkDate;

use crate::credentials::keys::Credentials;

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
    /// The access key is empty or holds what an `Authorization` header cannot carry (for the
    /// verifier to read it back): whitespace, control characters, `,`, or `/` (V11).
    #[error("access key {0:?} is empty or holds whitespace, control characters, ',' or '/'")]
    InvalidAccessKey(String),
    /// A V11 region or service holds what the `Credential` scope cannot carry: `/`, `,`,
    /// whitespace or control characters.
    #[error("V11 scope part {0:?} must hold no '/', ',', whitespace or control characters")]
    InvalidScope(String),
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

/// Everything signing produced (header names and values borrow from the request).
#[derive(Clone)]
pub struct SigningOutput<'a> {
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
    pub headers: Vec<Header<'a>>,
    /// Path plus `?` and the canonical query (when there is one), as sent on the wire.
    pub wire_uri: String,
}

impl fmt::Debug for SigningOutput<'_> {
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
pub fn sign<'a>(
    req: &SignableRequest<'a>,
    params: &SigningParams<'_>,
) -> Result<SigningOutput<'a>, SignError> {
    let method = checked_method(req.method)?;
    check_access_key(params.credentials.access_key(), params.algorithm)?;
    check_host(req.host)?;
    check_path(req.path)?;
    let alg = params.algorithm;
    let date = params.date.as_str();

    let mut headers = collect_headers(req.headers, date, params.credentials)?;
    headers.push((Cow::Borrowed("Host"), Cow::Borrowed(req.host)));

    let canonical_request = canonical::build(req, &headers, alg, method);
    let canonical_request_hash = canonical_request.hash(alg);

    let scope = match alg {
        Algorithm::V11HmacSha256 => match (params.region, params.service) {
            (Some(r), Some(s)) if !r.is_empty() && !s.is_empty() => {
                check_scope_part(r)?;
                check_scope_part(s)?;
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
        canonical_request_hash,
    };
    let mut sts_text = String::with_capacity(128);
    {
        use std::fmt::Write as _;
        let _ = write!(sts_text, "{string_to_sign}");
    }

    let ak = params.credentials.access_key();
    let sk = params.credentials.secret_key();
    let signature = match &string_to_sign.scope {
        Some(scope) => {
            let key = digest::v11_key(ak, sk, scope);
            digest::hmac_hex(alg, key.as_bytes(), sts_text.as_bytes())
        }
        None => digest::hmac_hex(alg, sk.as_bytes(), sts_text.as_bytes()),
    };
    let authorization = authorization::write(
        alg,
        ak,
        string_to_sign.scope.as_deref(),
        &canonical_request.signed_headers,
        &signature,
    );

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

/// One header to send: borrowed from the request where it can be, owned where the signer made it.
pub type Header<'a> = (Cow<'a, str>, Cow<'a, str>);

/// The input headers, trimmed and checked, with `X-Sdk-Date` set and `X-Security-Token` and
/// `X-Sdk-Content-Sha256` added where the official signer adds them. `Host` is left out.
fn collect_headers<'a>(
    input: &[(&'a str, &'a str)],
    date: &str,
    credentials: &Credentials,
) -> Result<Vec<Header<'a>>, SignError> {
    let mut out: Vec<Header<'a>> = Vec::with_capacity(input.len() + 4);
    let mut has_date = false;
    for &(name, value) in input {
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
            out.push((Cow::Borrowed(name), Cow::Owned(date.to_owned())));
        } else {
            out.push((Cow::Borrowed(name), Cow::Borrowed(value)));
        }
    }
    if !has_date {
        out.push((Cow::Borrowed(DATE_HEADER), Cow::Owned(date.to_owned())));
    }
    if let Some(token) = credentials.security_token() {
        if find(&out, SECURITY_TOKEN_HEADER).is_none() {
            if token.chars().any(char::is_control) {
                return Err(SignError::InvalidHeaderValue(SECURITY_TOKEN_HEADER.into()));
            }
            out.push((
                Cow::Borrowed(SECURITY_TOKEN_HEADER),
                Cow::Owned(token.to_owned()),
            ));
        }
    }
    let non_json = find(&out, "Content-Type").is_some_and(|ct| !ct.starts_with("application/json"));
    if non_json && find(&out, CONTENT_SHA256_HEADER).is_none() {
        out.push((
            Cow::Borrowed(CONTENT_SHA256_HEADER),
            Cow::Borrowed(UNSIGNED_PAYLOAD),
        ));
    }
    Ok(out)
}

/// The value of the header `name` (compared case-insensitively).
fn find<'h>(headers: &'h [Header<'_>], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

/// Whether `b` may appear in an HTTP token (RFC 9110 `tchar`).
const TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        i += 1;
    }
    t
};

fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
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

/// Whether `c` would break the `Authorization` header's `key=value, ...` form or its reading.
fn breaks_header(c: char) -> bool {
    c.is_whitespace() || c.is_control() || c == ','
}

/// The AK goes into `Authorization` as `Access=<AK>` or `Credential=<AK>/<scope>`: it must
/// read back as itself.
fn check_access_key(ak: &str, alg: Algorithm) -> Result<(), SignError> {
    let v11_slash = alg == Algorithm::V11HmacSha256 && ak.contains('/');
    if ak.is_empty() || v11_slash || ak.chars().any(breaks_header) {
        return Err(SignError::InvalidAccessKey(printable(ak)));
    }
    Ok(())
}

/// A V11 region or service: one `/`-separated part of the `Credential` scope.
fn check_scope_part(part: &str) -> Result<(), SignError> {
    if part.contains('/') || part.chars().any(breaks_header) {
        return Err(SignError::InvalidScope(printable(part)));
    }
    Ok(())
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

/// A caller's string made safe to show in a message: the crate's one preview (at most 64
/// characters, escaped).
pub(crate) fn printable(s: &str) -> String {
    crate::violation::preview(s)
}

/// Parses an `Authorization` header value (the inverse of what [`sign`] writes).
pub fn parse_authorization(value: &str) -> Result<ParsedAuthorization, SignError> {
    authorization::parse(value)
}
