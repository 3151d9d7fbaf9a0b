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
//! sliced, should an error need it). [`sign`] runs the very same code and only copies the
//! stages out.
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

/// What a client needs to send a signed request ([`sign_request`]): the headers, the
/// `Authorization` and the wire URI, and the canonical request that was signed, kept as the
/// text that was hashed (to explain a "signature mismatch" answer).
#[derive(Clone)]
pub struct SignedRequest<'a> {
    /// The headers to send, as in [`SigningOutput::headers`] (without `Authorization`).
    pub headers: Vec<Header<'a>>,
    /// The `Authorization` header value.
    pub authorization: String,
    /// Path plus `?` and the canonical query (when there is one), as sent on the wire.
    pub wire_uri: Cow<'a, str>,
    /// The canonical request that was signed.
    pub canonical: CanonicalText,
}

impl SignedRequest<'_> {
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
    let Signature {
        signed,
        canonical_hash,
        signature,
        scope,
    } = sign_with(
        req,
        params,
        Cow::Owned(params.date.as_str().to_owned()),
        params
            .credentials
            .security_token()
            .map(|t| Cow::Owned(t.to_owned())),
    )?;
    Ok(SigningOutput {
        canonical_request: signed.canonical.to_canonical_request(),
        string_to_sign: StringToSign {
            algorithm: params.algorithm.as_str(),
            date: params.date.as_str().to_owned(),
            scope: scope.map(|pieces| pieces.concat()),
            canonical_request_hash: canonical_hash.as_str().to_owned(),
        },
        signature: signature.as_str().to_owned(),
        authorization: signed.authorization,
        headers: signed.headers,
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
    sign_with(req, params, date, token).map(|signature| signature.signed)
}

/// A signed request and the values [`sign`] also copies out.
struct Signature<'a, 'p> {
    signed: SignedRequest<'a>,
    canonical_hash: digest::Hex,
    signature: digest::Hex,
    /// V11: the scope `yyyymmdd/region/service`, in pieces.
    scope: Option<[&'p str; 5]>,
}

/// Signs `req`: checks it, writes the canonical request into one buffer and hashes it, then
/// writes the string to sign after it in the same buffer and HMACs it there. `date_value` and
/// `token` are `params`' date and security token, borrowed or copied, for the headers.
fn sign_with<'a, 'p>(
    req: &SignableRequest<'a>,
    params: &'p SigningParams<'_>,
    date_value: Cow<'a, str>,
    token: Option<Cow<'a, str>>,
) -> Result<Signature<'a, 'p>, SignError> {
    check_method(req.method)?;
    let alg = params.algorithm;
    let ak = params.credentials.access_key();
    check_access_key(ak, alg)?;
    check_host(req.host)?;
    check_path(req.path)?;
    let date = params.date.as_str();

    let mut headers = collect_headers(req.headers, date_value, token)?;
    headers.push((Cow::Borrowed("Host"), Cow::Borrowed(req.host)));

    // V11: the scope `yyyymmdd/region/service`, in pieces (written, never joined).
    let scope: Option<[&'p str; 5]> = match alg {
        Algorithm::V11HmacSha256 => match (params.region, params.service) {
            (Some(r), Some(s)) if !r.is_empty() && !s.is_empty() => {
                check_scope_part(r)?;
                check_scope_part(s)?;
                Some([params.date.day(), "/", r, "/", s])
            }
            _ => return Err(SignError::MissingScope),
        },
        _ => None,
    };
    let scope_len = scope.map_or(0, |pieces| pieces.iter().map(|p| p.len()).sum::<usize>());
    let sts_len = alg.as_str().len() + date.len() + scope_len + 3 + 64;

    let mut canonical = canonical::write(req, &headers, alg, sts_len);
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
    let signed = SignedRequest {
        headers,
        authorization,
        wire_uri,
        canonical,
    };
    Ok(Signature {
        signed,
        canonical_hash,
        signature,
        scope,
    })
}

/// One header to send: borrowed from the request where it can be, owned where the signer made it.
pub type Header<'a> = (Cow<'a, str>, Cow<'a, str>);

/// The input headers, trimmed and checked, with `X-Sdk-Date` set and `X-Security-Token` and
/// `X-Sdk-Content-Sha256` added where the official signer adds them. `Host` is left out.
fn collect_headers<'a>(
    input: &[(&'a str, &'a str)],
    date: Cow<'a, str>,
    token: Option<Cow<'a, str>>,
) -> Result<Vec<Header<'a>>, SignError> {
    // Checked first, in order (a header's name, then whether it repeats an earlier one, then
    // its value); then copied in one go, which writes each header straight into the Vec.
    let mut has_date = false;
    for (k, &(name, value)) in input.iter().enumerate() {
        check_header_name(name)?;
        if name.eq_ignore_ascii_case("host") {
            continue;
        }
        if input[..k].iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Err(SignError::DuplicateHeader(printable(name)));
        }
        if has_control(trimmed(value), true) {
            return Err(SignError::InvalidHeaderValue(printable(name)));
        }
        has_date |= name.eq_ignore_ascii_case(DATE_HEADER);
    }
    let mut out: Vec<Header<'a>> = Vec::with_capacity(input.len() + 4);
    out.extend(
        input
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
            .map(|&(name, value)| {
                let value = if name.eq_ignore_ascii_case(DATE_HEADER) {
                    date.clone()
                } else {
                    Cow::Borrowed(trimmed(value))
                };
                (Cow::Borrowed(name), value)
            }),
    );
    if !has_date {
        out.push((Cow::Borrowed(DATE_HEADER), date));
    }
    if let Some(token) = token {
        if find(&out, SECURITY_TOKEN_HEADER).is_none() {
            if has_control(&token, false) {
                return Err(SignError::InvalidHeaderValue(SECURITY_TOKEN_HEADER.into()));
            }
            out.push((Cow::Borrowed(SECURITY_TOKEN_HEADER), token));
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

/// The value of the header `name` (compared case-insensitively).
fn find<'h>(headers: &'h [Header<'_>], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

// The checks read plain ASCII text 8 bytes at a time ([`plain`]) or through a table
// ([`classes`]); only other text is looked at again, by `char`, for the Unicode controls and
// spaces.

/// A byte that may not appear in an HTTP token (RFC 9110 `tchar`).
const NOT_TCHAR: u8 = 1;
/// A byte that may not appear in a `host[:port]`.
const NOT_HOST: u8 = 2;

/// The [`NOT_TCHAR`] and [`NOT_HOST`] classes of each byte value.
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
    let tail = words.remainder();
    let mut w = [b'~'; 8];
    w[..tail.len()].copy_from_slice(tail);
    !bad(u64::from_le_bytes(w))
}

/// Whether `s` holds a control character (Unicode `Cc`), tab excepted when `tab_ok`.
fn has_control(s: &str, tab_ok: bool) -> bool {
    !plain(s, []) && s.chars().any(|c| c.is_control() && !(tab_ok && c == '\t'))
}

fn check_header_name(name: &str) -> Result<(), SignError> {
    if name.is_empty() || classes(name) & NOT_TCHAR != 0 {
        return Err(SignError::InvalidHeaderName(printable(name)));
    }
    Ok(())
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

fn check_path(path: &str) -> Result<(), SignError> {
    let bad =
        !plain(path, [b'?', b'#']) && path.chars().any(|c| c.is_control() || c == '?' || c == '#');
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
                assert_eq!(
                    check_header_name(&s).is_ok(),
                    s.chars().all(tchar),
                    "{what}"
                );
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
                assert_eq!(check_path(&s).is_ok(), path_ok, "{what}");
            }
        }
    }
}
