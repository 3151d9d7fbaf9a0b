//! The two intermediate values of signing, each a value that prints itself exactly as signed.

use std::fmt;

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
