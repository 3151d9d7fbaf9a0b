//! The Huawei Cloud AK/SK signer: `SDK-HMAC-SHA256`, `SDK-HMAC-SM3` and `V11-HMAC-SHA256`.
//!
//! Shaped like `aws-sigv4`: [`sign`] is a pure function of a [`SignableRequest`] and
//! [`SigningParams`] (the time is an input, never read here). It returns a [`SigningOutput`]
//! holding every stage — the [`CanonicalRequest`] and the [`StringToSign`], which print
//! themselves exactly as signed — plus the headers to send and the URI to put on the wire.
//!
//! [`sign_request`] is the same signature without the staged copies, for a client: the
//! canonical request is written once into one buffer and hashed in one pass, the string to sign
//! is written after it in the same buffer and HMAC'd there, and the buffer is handed back in the
//! [`SignedRequest`] as a [`CanonicalText`] (from which the staged [`CanonicalRequest`] is
//! sliced, should an error need it); the headers to send are read from the request when asked
//! for, not copied. The hot path allocates two buffers: that one and the `Authorization`.
//! [`sign`] runs the very same code and only copies the stages out.
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
pub use canonical::{CanonicalRequest, CanonicalText, StringToSign};
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

/// What a client needs to send a signed request ([`sign_request`]): the headers
/// ([`SignedRequest::headers`]), the `Authorization` and the wire URI, and the canonical request
/// that was signed, kept as the text that was hashed (to explain a "signature mismatch" answer).
#[derive(Clone)]
pub struct SignedRequest<'a> {
    /// The headers to send, read from the request when asked for (nothing is copied).
    headers: HeaderPlan<'a>,
    /// The `Authorization` header value.
    pub authorization: String,
    /// Path plus `?` and the canonical query (when there is one), as sent on the wire.
    pub wire_uri: Cow<'a, str>,
    /// The canonical request that was signed.
    pub canonical: CanonicalText,
}

impl SignedRequest<'_> {
    /// The headers to send, as [`SigningOutput::headers`] lists them (without
    /// `Authorization`): the request's own (values trimmed, `Host` left out, `X-Sdk-Date` set),
    /// then `X-Sdk-Date`, `X-Security-Token` and `X-Sdk-Content-Sha256` where the signer adds
    /// them, and `Host`.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.headers.iter()
    }

    /// The string that was signed, exactly as HMAC'd (the text a staged [`StringToSign`]
    /// displays).
    pub fn string_to_sign(&self) -> &str {
        self.canonical.appended()
    }
}

impl fmt::Debug for SignedRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRequest")
            .field("canonical", &self.canonical)
            .field("wire_uri", &self.wire_uri)
            .field("authorization", &"<redacted>")
            .finish_non_exhaustive()
    }
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
///
/// The staged form of [`sign_request`]: the same signature (computed by the same code), with
/// every stage copied out.
pub fn sign<'a>(
    req: &SignableRequest<'a>,
    params: &SigningParams<'_>,
) -> Result<SigningOutput<'a>, SignError> {
    let mut staged = Staged::default();
    let signed = sign_with(
        req,
        params,
        Cow::Owned(params.date.as_str().to_owned()),
        params
            .credentials
            .security_token()
            .map(|t| Cow::Owned(t.to_owned())),
        Some(&mut staged),
    )?;
    Ok(SigningOutput {
        canonical_request: signed.canonical.to_canonical_request(),
        string_to_sign: StringToSign {
            algorithm: params.algorithm.as_str(),
            date: params.date.as_str().to_owned(),
            scope: staged.scope,
            canonical_request_hash: staged.canonical_request_hash,
        },
        signature: staged.signature,
        headers: signed.headers.to_vec(),
        authorization: signed.authorization,
        wire_uri: signed.wire_uri.into_owned(),
    })
}

/// Signs a request for sending: the headers, `Authorization` and wire URI of [`sign`], and the
/// canonical request as one text, without the staged copies. Pure: same inputs, same output.
///
/// The headers borrow from `params` too (the date and the security token are not copied).
pub fn sign_request<'a>(
    req: &SignableRequest<'a>,
    params: &'a SigningParams<'a>,
) -> Result<SignedRequest<'a>, SignError> {
    let date = Cow::Borrowed(params.date.as_str());
    let token = params.credentials.security_token().map(Cow::Borrowed);
    sign_with(req, params, date, token, None)
}

/// What [`sign`] copies out besides the [`SignedRequest`].
#[derive(Default)]
struct Staged {
    canonical_request_hash: String,
    signature: String,
    /// V11: `yyyymmdd/region/service`.
    scope: Option<String>,
}

/// Signs `req`: checks it, writes the canonical request into one buffer and hashes it, then
/// writes the string to sign after it in the same buffer and HMACs it there. `date_header` and
/// `token` are `params`' date and security token, borrowed or copied, for the headers; `staged`
/// receives copies of the hash, signature and scope.
fn sign_with<'a>(
    req: &SignableRequest<'a>,
    params: &SigningParams<'_>,
    date_header: Cow<'a, str>,
    token: Option<Cow<'a, str>>,
    staged: Option<&mut Staged>,
) -> Result<SignedRequest<'a>, SignError> {
    check_method(req.method)?;
    let alg = params.algorithm;
    let ak = params.credentials.access_key();
    check_access_key(ak, alg)?;
    check_host(req.host)?;
    let plain_path = encode::is_plain_path(req.path);
    check_path(req.path, plain_path)?;
    let date = params.date.as_str();

    let mut signed_headers = canonical::SignedHeaders::new();
    let headers = HeaderPlan::check(req, params, date, date_header, token, &mut signed_headers)?;

    // V11: the scope `yyyymmdd/region/service`, in pieces (written, never joined).
    let scope: Option<[&str; 5]> = match alg {
        Algorithm::V11HmacSha256 => match (params.region, params.service) {
            (Some(r), Some(s)) if !r.is_empty() && !s.is_empty() => {
                check_scope_part(r)?;
                check_scope_part(s)?;
                Some([date.get(..8).unwrap_or(date), "/", r, "/", s])
            }
            _ => return Err(SignError::MissingScope),
        },
        _ => None,
    };
    let scope_len = scope.map_or(0, |pieces| pieces.iter().map(|p| p.len()).sum::<usize>());
    let sts_len = alg.as_str().len() + date.len() + scope_len + 3 + 64;

    let mut canonical = canonical::write(
        req,
        plain_path,
        &mut signed_headers,
        headers.payload_hash(),
        alg,
        sts_len,
    );
    let canonical_hash = digest::hash(alg, canonical.as_str().as_bytes());

    let _ = canonical::write_string_to_sign(
        canonical.buffer(),
        alg.as_str(),
        date,
        scope.as_ref().map(|pieces| &pieces[..]),
        canonical_hash.as_str(),
    );
    let string_to_sign = canonical.appended().as_bytes();
    let sk = params.credentials.secret_key();
    let signature = match &scope {
        Some(pieces) => {
            let key = digest::v11_key(ak, sk, pieces);
            digest::hmac(alg, key.as_slice(), string_to_sign)
        }
        None => digest::hmac(alg, sk.as_bytes(), string_to_sign),
    };

    let authorization = authorization::write(
        alg,
        ak,
        scope.as_ref().map(|pieces| &pieces[..]),
        canonical.signed_headers(),
        signature.as_str(),
    );
    let wire_uri = match canonical.query() {
        "" => Cow::Borrowed(req.path),
        query => {
            let mut uri = String::with_capacity(req.path.len() + 1 + query.len());
            uri.push_str(req.path);
            uri.push('?');
            uri.push_str(query);
            Cow::Owned(uri)
        }
    };
    if let Some(staged) = staged {
        staged.canonical_request_hash = canonical_hash.as_str().to_owned();
        staged.signature = signature.as_str().to_owned();
        staged.scope = scope.map(|pieces| pieces.concat());
    }
    Ok(SignedRequest {
        headers,
        authorization,
        wire_uri,
        canonical,
    })
}

/// One header to send: borrowed from the request where it can be, owned where the signer made it.
pub type Header<'a> = (Cow<'a, str>, Cow<'a, str>);

/// The headers to send, decided once the request's own are checked, and read from the request
/// when asked for: the request's (values trimmed, `Host` left out, `X-Sdk-Date` set to the
/// signing date), then what the signer adds where the official signer adds it, in this order:
/// `X-Sdk-Date` (when the request has none), `X-Security-Token` (temporary credentials, when the
/// request has none), `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` (a `Content-Type` other than
/// JSON, when the request has none), and `Host`.
#[derive(Clone)]
struct HeaderPlan<'a> {
    input: &'a [(&'a str, &'a str)],
    host: &'a str,
    date: Cow<'a, str>,
    add_date: bool,
    /// The security token, when the signer adds it.
    add_token: Option<Cow<'a, str>>,
    add_unsigned_payload: bool,
    /// The request's own `X-Sdk-Content-Sha256`, trimmed.
    content_sha256: Option<&'a str>,
}

impl<'a> HeaderPlan<'a> {
    /// Checks the request's headers in order (a name, then whether it repeats an earlier one,
    /// then its value), then the security token; adds each header to send to `signed`, which
    /// reads each name once (lower-cased, sort key, checked as an HTTP token). `date` is the
    /// signing date; `date_header` and `token` are it and `params`' token, borrowed or copied,
    /// for the headers to send.
    fn check<'h>(
        req: &SignableRequest<'a>,
        params: &'h SigningParams<'_>,
        date: &'h str,
        date_header: Cow<'a, str>,
        token: Option<Cow<'a, str>>,
        signed: &mut canonical::SignedHeaders<'h>,
    ) -> Result<Self, SignError>
    where
        'a: 'h,
    {
        let input = req.headers;
        let (mut has_date, mut has_token) = (false, false);
        let (mut content_type, mut content_sha256) = (None, None);
        for (k, &(name, value)) in input.iter().enumerate() {
            if name.eq_ignore_ascii_case("host") {
                // An HTTP token: nothing to check, nothing to send (the signer sends `Host`).
                continue;
            }
            let is_date = name.eq_ignore_ascii_case(DATE_HEADER);
            let value = trimmed(value);
            if !signed.add(name, if is_date { date } else { value }) {
                return Err(SignError::InvalidHeaderName(printable(name)));
            }
            // An earlier `Host` cannot match: this name is not `host`.
            if input[..k].iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                return Err(SignError::DuplicateHeader(printable(name)));
            }
            if has_control(value, true) {
                return Err(SignError::InvalidHeaderValue(printable(name)));
            }
            if is_date {
                has_date = true;
            } else if name.eq_ignore_ascii_case(SECURITY_TOKEN_HEADER) {
                has_token = true;
            } else if name.eq_ignore_ascii_case("Content-Type") {
                content_type = Some(value);
            } else if name.eq_ignore_ascii_case(CONTENT_SHA256_HEADER) {
                content_sha256 = Some(value);
            }
        }
        if !has_date {
            signed.add(DATE_HEADER, date);
        }
        let add_token = match (token, params.credentials.security_token()) {
            (Some(token), Some(value)) if !has_token => {
                if has_control(value, false) {
                    return Err(SignError::InvalidHeaderValue(SECURITY_TOKEN_HEADER.into()));
                }
                signed.add(SECURITY_TOKEN_HEADER, value);
                Some(token)
            }
            _ => None,
        };
        let non_json = content_type.is_some_and(|ct| !ct.starts_with("application/json"));
        let add_unsigned_payload = non_json && content_sha256.is_none();
        if add_unsigned_payload {
            signed.add(CONTENT_SHA256_HEADER, UNSIGNED_PAYLOAD);
        }
        signed.add("Host", req.host);
        Ok(HeaderPlan {
            input,
            host: req.host,
            date: date_header,
            add_date: !has_date,
            add_token,
            add_unsigned_payload,
            content_sha256,
        })
    }

    /// The headers to send, in order.
    fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let date: &str = &self.date;
        self.input
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
            .map(move |&(name, value)| {
                if name.eq_ignore_ascii_case(DATE_HEADER) {
                    (name, date)
                } else {
                    (name, trimmed(value))
                }
            })
            .chain(self.add_date.then_some((DATE_HEADER, date)))
            .chain(
                self.add_token
                    .as_deref()
                    .map(|t| (SECURITY_TOKEN_HEADER, t)),
            )
            .chain(
                self.add_unsigned_payload
                    .then_some((CONTENT_SHA256_HEADER, UNSIGNED_PAYLOAD)),
            )
            .chain(std::iter::once(("Host", self.host)))
    }

    /// The headers to send, in order, as [`SigningOutput::headers`] holds them.
    fn to_vec(&self) -> Vec<Header<'a>> {
        let mut out: Vec<Header<'a>> = Vec::with_capacity(self.input.len() + 4);
        for &(name, value) in self.input {
            if name.eq_ignore_ascii_case("host") {
                continue;
            }
            let value = if name.eq_ignore_ascii_case(DATE_HEADER) {
                self.date.clone()
            } else {
                Cow::Borrowed(trimmed(value))
            };
            out.push((Cow::Borrowed(name), value));
        }
        if self.add_date {
            out.push((Cow::Borrowed(DATE_HEADER), self.date.clone()));
        }
        if let Some(token) = &self.add_token {
            out.push((Cow::Borrowed(SECURITY_TOKEN_HEADER), token.clone()));
        }
        if self.add_unsigned_payload {
            out.push((
                Cow::Borrowed(CONTENT_SHA256_HEADER),
                Cow::Borrowed(UNSIGNED_PAYLOAD),
            ));
        }
        out.push((Cow::Borrowed("Host"), Cow::Borrowed(self.host)));
        out
    }

    /// The payload hash to sign when it is not the body's: the request's
    /// `X-Sdk-Content-Sha256`, or the `UNSIGNED-PAYLOAD` the signer adds.
    fn payload_hash(&self) -> Option<&'a str> {
        self.content_sha256
            .or(self.add_unsigned_payload.then_some(UNSIGNED_PAYLOAD))
    }
}

/// `value.trim()`, without looking for Unicode spaces when both ends are plain ASCII.
fn trimmed(value: &str) -> &str {
    let plain = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
    let bytes = value.as_bytes();
    if plain(bytes.first()) && plain(bytes.last()) {
        value
    } else {
        value.trim()
    }
}

// The checks read plain ASCII text 8 bytes at a time ([`plain`]) or through a table
// ([`classes`]); only other text is looked at again, by `char`, for the Unicode controls and
// spaces.

/// A byte that may not appear in an HTTP token (RFC 9110 `tchar`).
const NOT_TCHAR: u8 = 1;
/// A byte that may not appear in a `host[:port]`.
const NOT_HOST: u8 = 2;
/// `_`: a header name holding it is sent but not signed.
const UNDERSCORE: u8 = 4;

/// The [`NOT_TCHAR`], [`NOT_HOST`] and [`UNDERSCORE`] classes of each byte value.
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let tchar = b.is_ascii_alphanumeric()
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
        let host =
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':' | b'[' | b']' | b'_');
        let mut c = 0;
        if !tchar {
            c |= NOT_TCHAR;
        }
        if !host {
            c |= NOT_HOST;
        }
        if b == b'_' {
            c |= UNDERSCORE;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// The classes of the bytes of `s`, OR-ed.
fn classes(s: &str) -> u8 {
    s.bytes().fold(0, |acc, b| acc | CLASS[usize::from(b)])
}

/// Whether every byte of `s` is printable ASCII (`' '` to `'~'`) other than those of `avoid`:
/// tested 8 bytes at a time (the usual header value, path or key is such text, and then the
/// checks below need not look at it again by `char`).
#[inline(always)]
fn plain<const N: usize>(s: &str, avoid: [u8; N]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // Whether a byte of `x` is below `n` (exact for n <= 0x80), or is zero.
    let below = |x: u64, n: u8| x.wrapping_sub(LO * u64::from(n)) & !x & HI;
    let bad = |x: u64| {
        let mut bad = (x & HI) | below(x, 0x20) | below(x ^ (LO * 0x7f), 1);
        for a in avoid {
            bad |= below(x ^ (LO * u64::from(a)), 1);
        }
        bad != 0
    };
    let mut words = s.as_bytes().chunks_exact(8);
    for word in words.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        if bad(u64::from_le_bytes(w)) {
            return false;
        }
    }
    // The last bytes, padded with `~`, put together in a register (a copy of a few bytes
    // would call `memcpy`).
    let tail = words
        .remainder()
        .iter()
        .enumerate()
        .fold(u64::from_le_bytes([b'~'; 8]), |w, (i, &b)| {
            w & !(0xff << (8 * i)) | u64::from(b) << (8 * i)
        });
    !bad(tail)
}

/// Whether `s` holds a control character (Unicode `Cc`), tab excepted when `tab_ok`.
fn has_control(s: &str, tab_ok: bool) -> bool {
    !plain(s, []) && s.chars().any(|c| c.is_control() && !(tab_ok && c == '\t'))
}

fn check_method(method: &str) -> Result<(), SignError> {
    if method.is_empty() || method.len() > 32 || classes(method) & NOT_TCHAR != 0 {
        return Err(SignError::InvalidMethod(printable(method)));
    }
    Ok(())
}

/// Whether `s` holds what would break the `Authorization` header's `key=value, ...` form or
/// its reading: whitespace, control characters, `,`.
fn breaks_header(s: &str) -> bool {
    !plain(s, [b' ', b','])
        && s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',')
}

/// The AK goes into `Authorization` as `Access=<AK>` or `Credential=<AK>/<scope>`: it must
/// read back as itself.
fn check_access_key(ak: &str, alg: Algorithm) -> Result<(), SignError> {
    let v11_slash = alg == Algorithm::V11HmacSha256 && ak.contains('/');
    if ak.is_empty() || v11_slash || breaks_header(ak) {
        return Err(SignError::InvalidAccessKey(printable(ak)));
    }
    Ok(())
}

/// A V11 region or service: one `/`-separated part of the `Credential` scope.
fn check_scope_part(part: &str) -> Result<(), SignError> {
    if part.contains('/') || breaks_header(part) {
        return Err(SignError::InvalidScope(printable(part)));
    }
    Ok(())
}

fn check_host(host: &str) -> Result<(), SignError> {
    if host.is_empty() || host.len() > 300 || classes(host) & NOT_HOST != 0 {
        return Err(SignError::InvalidHost(printable(host)));
    }
    Ok(())
}

/// `plain_path` says whether the path [`encode::is_plain_path`] (then only its start is checked).
fn check_path(path: &str, plain_path: bool) -> Result<(), SignError> {
    let bad = !plain_path
        && !plain(path, [b'?', b'#'])
        && path.chars().any(|c| c.is_control() || c == '?' || c == '#');
    if !path.starts_with('/') || bad {
        return Err(SignError::InvalidPath(printable(path)));
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Past the 8 header slots on the stack and past the room for lower-cased names, headers
    /// are signed the same: sorted by lower-cased name, names lower-cased.
    #[test]
    fn many_and_long_header_names_sort_like_few() {
        let owned: Vec<(String, String)> = (0..20)
            .map(|i| {
                let stem = ["Zed", "alpha", "MID"][i % 3];
                let long = if i % 2 == 0 { 40 } else { 3 };
                (
                    format!("X-{stem}-{}{i:02}", "q".repeat(long)),
                    format!("v{i}"),
                )
            })
            .collect();
        let headers: Vec<(&str, &str)> = owned
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let creds = Credentials::new("AK", "SK");
        let date = SdkDate::from_unix(1_700_000_000).unwrap();
        let params = SigningParams {
            credentials: &creds,
            algorithm: Algorithm::SdkHmacSha256,
            date,
            region: None,
            service: None,
        };
        let req = SignableRequest {
            method: "GET",
            host: "h",
            path: "/",
            query: &[],
            headers: &headers,
            body: b"",
        };
        let signed = sign_request(&req, &params).unwrap();
        let mut want: Vec<(String, String)> = owned
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .chain([
                ("host".to_owned(), "h".to_owned()),
                ("x-sdk-date".to_owned(), date.to_string()),
            ])
            .collect();
        want.sort();
        let block: String = want.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
        assert_eq!(signed.canonical.headers(), block);
        let names: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(signed.canonical.signed_headers(), names.join(";"));
        assert_eq!(signed.headers().count(), 22);
    }

    /// The byte-class checks (and the trim) say what the `char` rules they replace say, on
    /// every ASCII character and on the Unicode controls and spaces around them.
    #[test]
    fn byte_classes_match_the_char_rules() {
        let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        let host = |c: char| c.is_ascii_alphanumeric() || "-.:[]_".contains(c);
        let breaks = |c: char| c.is_whitespace() || c.is_control() || c == ',';
        let mut chars: Vec<char> = (0u8..=127).map(char::from).collect();
        chars.extend((0x80u32..=0xff).filter_map(char::from_u32));
        chars.extend([
            '\u{2028}',
            '\u{3000}',
            '\u{feff}',
            '\u{1680}',
            '文',
            '\u{10ffff}',
        ]);
        for c in chars {
            // Short text, and text long enough to be read in words, `c` at every lane.
            let mut texts = vec![
                c.to_string(),
                format!("a{c}"),
                format!("{c}b"),
                format!("/x{c}y"),
            ];
            texts.extend((0..17).map(|i| format!("/{}{c}{}", &"abcdefghijklmnopq"[..i], "rst")));
            for s in texts {
                let what = format!("{s:?}");
                let is_name = canonical::SignedHeaders::new().add(&s, "v");
                assert_eq!(is_name, s.chars().all(tchar), "{what}");
                assert_eq!(check_method(&s).is_ok(), s.chars().all(tchar), "{what}");
                assert_eq!(check_host(&s).is_ok(), s.chars().all(host), "{what}");
                assert_eq!(breaks_header(&s), s.chars().any(breaks), "{what}");
                assert_eq!(
                    has_control(&s, true),
                    s.chars().any(|c| c.is_control() && c != '\t'),
                    "{what}"
                );
                assert_eq!(
                    has_control(&s, false),
                    s.chars().any(char::is_control),
                    "{what}"
                );
                assert_eq!(trimmed(&s), s.trim(), "{what}");
                let padded = format!("{c}{s}{c}");
                assert_eq!(trimmed(&padded), padded.trim(), "{what}");
                let path_ok = s.starts_with('/')
                    && !s.chars().any(|c| c.is_control() || c == '?' || c == '#');
                assert_eq!(check_path(&s, false).is_ok(), path_ok, "{what}");
                let plain_path = encode::is_plain_path(&s);
                assert_eq!(check_path(&s, plain_path).is_ok(), path_ok, "{what}");
            }
        }
    }
}
