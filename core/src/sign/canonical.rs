//! The two intermediate values of signing, each a value that prints itself exactly as signed,
//! and how the canonical request is built from a request and its headers and hashed.

use std::fmt;

use super::{Algorithm, CONTENT_SHA256_HEADER, Header, SignableRequest, digest, encode, find};

/// The canonical request of `req` with the headers to send (`Host` included): names without
/// `_` are signed, lower-cased and sorted (compared case-insensitively in place rather than
/// lower-cased into new strings: this is the hot path); the payload hash is
/// `X-Sdk-Content-Sha256` when given, else the body's.
pub(super) fn build(
    req: &SignableRequest<'_>,
    headers: &[Header<'_>],
    alg: Algorithm,
    method: String,
) -> CanonicalRequest {
    let payload_hash = match find(headers, CONTENT_SHA256_HEADER) {
        Some(v) => v.to_owned(),
        None => digest::hash_hex(alg, req.body),
    };
    let mut signed: Vec<&Header<'_>> = headers.iter().filter(|(n, _)| !n.contains('_')).collect();
    signed.sort_unstable_by(|a, b| {
        let (x, y) = (
            a.0.bytes().map(|c| c.to_ascii_lowercase()),
            b.0.bytes().map(|c| c.to_ascii_lowercase()),
        );
        x.cmp(y)
    });
    let block_len: usize = signed.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    let mut header_block = String::with_capacity(block_len);
    let mut signed_headers = String::with_capacity(block_len);
    for (i, (name, value)) in signed.iter().enumerate() {
        push_lower(&mut header_block, name);
        header_block.push(':');
        header_block.push_str(value);
        header_block.push('\n');
        if i > 0 {
            signed_headers.push(';');
        }
        push_lower(&mut signed_headers, name);
    }
    let mut uri = String::with_capacity(req.path.len() + 8);
    encode::canonical_uri(req.path, &mut uri);
    let mut query = String::new();
    encode::canonical_query(req.query, &mut query);
    CanonicalRequest {
        method,
        uri,
        query,
        headers: header_block,
        signed_headers,
        payload_hash,
    }
}

/// Appends the ASCII-lower-cased `name` (header names are ASCII tokens).
fn push_lower(out: &mut String, name: &str) {
    let start = out.len();
    out.push_str(name);
    out[start..].make_ascii_lowercase();
}

/// The canonical request: `METHOD\nURI\nQUERY\nHEADERS\nSIGNED\nPAYLOAD_HASH`.
#[derive(Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    /// Upper-case HTTP method.
    pub method: String,
    /// Canonical URI (each segment encoded, ending in `/`).
    pub uri: String,
    /// Canonical query (sorted, encoded pairs).
    pub query: String,
    /// Canonical header block: `name:value\n` per signed header, sorted by name.
    pub headers: String,
    /// Signed header names joined with `;`.
    pub signed_headers: String,
    /// Hex hash of the payload, or `UNSIGNED-PAYLOAD`.
    pub payload_hash: String,
}

impl fmt::Display for CanonicalRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.method, self.uri, self.query, self.headers, self.signed_headers, self.payload_hash
        )
    }
}

impl fmt::Debug for CanonicalRequest {
    /// Header values may hold a security token, so `Debug` prints only the structure.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CanonicalRequest")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("query", &self.query)
            .field("signed_headers", &self.signed_headers)
            .field("payload_hash", &self.payload_hash)
            .finish_non_exhaustive()
    }
}

impl CanonicalRequest {
    /// The hex hash of the canonical request as signed (its parts fed to the hasher one by one,
    /// never joined into a new string).
    pub(super) fn hash(&self, alg: Algorithm) -> String {
        let mut h = digest::Hasher::new(alg);
        for (i, part) in [
            &self.method,
            &self.uri,
            &self.query,
            &self.headers,
            &self.signed_headers,
            &self.payload_hash,
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                h.update(b"\n");
            }
            h.update(part.as_bytes());
        }
        h.finish_hex()
    }

    /// The canonical request as signed, with the value of `x-security-token` (a secret)
    /// replaced by `<redacted>`: safe to show in an error message or a log.
    pub fn redacted(&self) -> String {
        let headers: String = self
            .headers
            .split_inclusive('\n')
            .map(|line| {
                if line.starts_with("x-security-token:") || line.starts_with("x-auth-token:") {
                    let (name, _) = line.split_once(':').unwrap_or((line, ""));
                    format!("{name}:<redacted>\n")
                } else {
                    line.to_owned()
                }
            })
            .collect();
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.method, self.uri, self.query, headers, self.signed_headers, self.payload_hash
        )
    }
}

/// The string to sign: algorithm, date, (V11: scope,) and the hash of the canonical request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringToSign {
    /// Algorithm name, e.g. `SDK-HMAC-SHA256`.
    pub algorithm: &'static str,
    /// The `X-Sdk-Date` value.
    pub date: String,
    /// V11 only: `yyyymmdd/region/service`.
    pub scope: Option<String>,
    /// Hex hash of the canonical request.
    pub canonical_request_hash: String,
}

impl fmt::Display for StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.algorithm)?;
        f.write_str("\n")?;
        f.write_str(&self.date)?;
        f.write_str("\n")?;
        if let Some(scope) = &self.scope {
            f.write_str(scope)?;
            f.write_str("\n")?;
        }
        f.write_str(&self.canonical_request_hash)
    }
}
