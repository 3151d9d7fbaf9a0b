//! The two intermediate values of signing and their one writer each: [`write`] puts the whole
//! canonical request into one buffer (hashed in one pass, then kept as a [`CanonicalText`],
//! from which a staged [`CanonicalRequest`] is sliced), and [`write_string_to_sign`] writes the
//! string to sign (into the tail of that same buffer when signing, into a formatter when a
//! [`StringToSign`] is displayed).

use std::cmp::Ordering;
use std::fmt;

use super::{Algorithm, CONTENT_SHA256_HEADER, Header, SignableRequest, digest, encode, find};

/// Writes the canonical request of `req` with the headers to send (`Host` included) into one
/// new buffer with `spare` bytes of room left after it, and records where its sections end.
///
/// `method` is a checked HTTP token (upper-cased here). Header names without `_` are signed,
/// lower-cased and sorted (compared case-insensitively in place: nothing is lower-cased into
/// new strings); the payload hash is `X-Sdk-Content-Sha256` when given, else the body's.
pub(super) fn write(
    req: &SignableRequest<'_>,
    headers: &[Header<'_>],
    alg: Algorithm,
    spare: usize,
) -> CanonicalText {
    // The signed headers in canonical order, as (sort key, index into `headers`, start of the
    // lower-cased name in `arena`) triples: on the stack for the usual handful, in a Vec beyond
    // 32. The names are lower-cased once, side by side, and checked as UTF-8 all at once.
    let mut stack = [(0u64, 0usize, NOT_IN_ARENA); 32];
    let mut heap = Vec::new();
    let slots: &mut [(u64, usize, usize)] = match stack.get_mut(..headers.len()) {
        Some(slots) => slots,
        None => {
            heap.resize(headers.len(), (0, 0, NOT_IN_ARENA));
            &mut heap
        }
    };
    let mut arena = [0u8; ARENA + 8];
    let mut used = 0;
    let mut n = 0;
    for (i, (name, _)) in headers.iter().enumerate() {
        let end = used + name.len();
        let slot = match arena.get_mut(used..end).filter(|_| end <= ARENA) {
            Some(lower) => {
                let mut underscore = false;
                for (l, b) in lower.iter_mut().zip(name.bytes()) {
                    underscore |= b == b'_';
                    *l = b.to_ascii_lowercase();
                }
                if underscore {
                    // Not signed: wiped, for the zero padding of the next name's sort key.
                    lower.fill(0);
                    continue;
                }
                // The lower-cased name's first 8 bytes, zero-padded (nothing is written
                // after it yet).
                let mut key = [0u8; 8];
                key.copy_from_slice(&arena[used..used + 8]);
                let slot = (u64::from_be_bytes(key), i, used);
                used = end;
                slot
            }
            None if name.bytes().any(|b| b == b'_') => continue,
            None => (sort_key(name), i, NOT_IN_ARENA),
        };
        slots[n] = slot;
        n += 1;
    }
    // Lower-casing ASCII letters keeps UTF-8 valid, so this never falls back.
    let arena = std::str::from_utf8(&arena[..used]).unwrap_or_default();
    let order = &mut slots[..n];
    order.sort_unstable_by(|&(ka, a, _), &(kb, b, _)| {
        ka.cmp(&kb)
            .then_with(|| cmp_ignore_ascii_case(&headers[a].0, &headers[b].0))
    });
    let push_name = |text: &mut String, i: usize, start: usize| {
        let name: &str = &headers[i].0;
        match arena.get(start..start.saturating_add(name.len())) {
            Some(lower) => text.push_str(lower),
            None => push_lower(text, name),
        }
    };

    let payload = find(headers, CONTENT_SHA256_HEADER);
    let names_len: usize = order.iter().map(|&(_, i, _)| headers[i].0.len() + 1).sum();
    let values_len: usize = order.iter().map(|&(_, i, _)| headers[i].1.len() + 2).sum();
    let capacity = req.method.len()
        + 3 * req.path.len()
        + 2
        + encode::canonical_query_max_len(req.query)
        + 2 * names_len
        + values_len
        + payload.map_or(64, str::len)
        + 5
        + spare;

    let mut text = String::with_capacity(capacity);
    let mut ends = [0usize; 5];
    text.push_str(req.method);
    text.make_ascii_uppercase();
    ends[0] = text.len();
    text.push('\n');
    encode::canonical_uri(req.path, &mut text);
    ends[1] = text.len();
    text.push('\n');
    encode::canonical_query(req.query, &mut text);
    ends[2] = text.len();
    text.push('\n');
    let mut secret = false;
    for &(_, i, start) in order.iter() {
        let (name, value) = &headers[i];
        secret |= REDACTED.iter().any(|r| name.eq_ignore_ascii_case(r));
        push_name(&mut text, i, start);
        text.push(':');
        text.push_str(value);
        text.push('\n');
    }
    ends[3] = text.len();
    text.push('\n');
    for (k, &(_, i, start)) in order.iter().enumerate() {
        if k > 0 {
            text.push(';');
        }
        push_name(&mut text, i, start);
    }
    ends[4] = text.len();
    text.push('\n');
    match payload {
        Some(value) => text.push_str(value),
        None => text.push_str(digest::hash(alg, req.body).as_str()),
    }
    let len = text.len();
    CanonicalText {
        text,
        ends,
        len,
        secret,
    }
}

/// Room for the lower-cased signed header names (what does not fit is lower-cased as written).
const ARENA: usize = 256;

/// The arena start of a name that did not fit in it.
const NOT_IN_ARENA: usize = usize::MAX;

/// The headers whose values are secrets (a security token, an auth token), by lower-case name.
const REDACTED: [&str; 2] = ["x-security-token", "x-auth-token"];

/// The first 8 bytes of the ASCII-lower-cased `name`, zero-padded, as a big-endian number:
/// ordered as the names are, except that names sharing those 8 bytes tie.
fn sort_key(name: &str) -> u64 {
    let mut key = [0u8; 8];
    for (k, b) in key.iter_mut().zip(name.bytes()) {
        *k = b.to_ascii_lowercase();
    }
    u64::from_be_bytes(key)
}

/// `a` and `b` compared as if ASCII-lower-cased (header names are ASCII tokens).
fn cmp_ignore_ascii_case(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

/// Appends the ASCII-lower-cased `name` (header names are ASCII tokens).
fn push_lower(out: &mut String, name: &str) {
    let start = out.len();
    out.push_str(name);
    if let Some(added) = out.get_mut(start..) {
        added.make_ascii_lowercase();
    }
}

/// The canonical request as it was signed: one buffer holding
/// `METHOD\nURI\nQUERY\nHEADERS\nSIGNED\nPAYLOAD_HASH`, and where each section ends.
///
/// What the client keeps of a signature, to explain a "signature mismatch" answer: its parts
/// are slices of the text that was hashed, and [`CanonicalText::to_canonical_request`] makes the
/// staged [`CanonicalRequest`] from them, so the two cannot disagree. `Debug` shows the
/// structure only; a text holding a security token is wiped when dropped.
///
/// The signer writes the string to sign into the same buffer, after the canonical request: it
/// stays there ([`super::SignedRequest::string_to_sign`]), outside what this type shows.
#[derive(Clone, PartialEq, Eq)]
pub struct CanonicalText {
    text: String,
    /// The byte offsets of the five `\n` that end the sections before the payload hash.
    ends: [usize; 5],
    /// Where the canonical request ends (what follows is the signer's).
    len: usize,
    /// Whether a signed header holds a secret (then the text is wiped on drop).
    secret: bool,
}

impl CanonicalText {
    /// The whole canonical request, exactly as hashed.
    pub fn as_str(&self) -> &str {
        self.text.get(..self.len).unwrap_or_default()
    }

    /// Section `i` (0 to 5): the text between the `\n` that end sections `i - 1` and `i`.
    fn section(&self, i: usize) -> &str {
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] + 1,
        };
        let end = self.ends.get(i).copied().unwrap_or(self.len);
        self.text.get(start..end).unwrap_or_default()
    }

    /// The upper-case HTTP method.
    pub fn method(&self) -> &str {
        self.section(0)
    }

    /// The canonical URI (each segment encoded, ending in `/`).
    pub fn uri(&self) -> &str {
        self.section(1)
    }

    /// The canonical query (sorted, encoded pairs).
    pub fn query(&self) -> &str {
        self.section(2)
    }

    /// The canonical header block: `name:value\n` per signed header, sorted by name.
    pub fn headers(&self) -> &str {
        self.section(3)
    }

    /// The signed header names joined with `;`.
    pub fn signed_headers(&self) -> &str {
        self.section(4)
    }

    /// The hex hash of the payload, or `UNSIGNED-PAYLOAD`.
    pub fn payload_hash(&self) -> &str {
        self.section(5)
    }

    /// The staged form, each part copied out of this text.
    pub fn to_canonical_request(&self) -> CanonicalRequest {
        CanonicalRequest {
            method: self.method().to_owned(),
            uri: self.uri().to_owned(),
            query: self.query().to_owned(),
            headers: self.headers().to_owned(),
            signed_headers: self.signed_headers().to_owned(),
            payload_hash: self.payload_hash().to_owned(),
        }
    }

    /// The text with the values of secret headers replaced by `<redacted>`, as
    /// [`CanonicalRequest::redacted`] gives it.
    pub fn redacted(&self) -> String {
        redacted([
            self.method(),
            self.uri(),
            self.query(),
            self.headers(),
            self.signed_headers(),
            self.payload_hash(),
        ])
    }

    /// The buffer, for the signer to append the string to sign to, without another buffer.
    pub(super) fn buffer(&mut self) -> &mut String {
        &mut self.text
    }

    /// What the signer appended after the canonical request.
    pub(super) fn appended(&self) -> &str {
        self.text.get(self.len..).unwrap_or_default()
    }
}

impl fmt::Display for CanonicalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CanonicalText {
    /// Header values may hold a security token, so `Debug` prints only the structure.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CanonicalText")
            .field("method", &self.method())
            .field("uri", &self.uri())
            .field("query", &self.query())
            .field("signed_headers", &self.signed_headers())
            .field("payload_hash", &self.payload_hash())
            .finish_non_exhaustive()
    }
}

impl Drop for CanonicalText {
    fn drop(&mut self) {
        if self.secret {
            zeroize::Zeroize::zeroize(&mut self.text);
        }
    }
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
    /// The canonical request as signed, with the value of `x-security-token` (a secret)
    /// replaced by `<redacted>`: safe to show in an error message or a log.
    pub fn redacted(&self) -> String {
        redacted([
            &self.method,
            &self.uri,
            &self.query,
            &self.headers,
            &self.signed_headers,
            &self.payload_hash,
        ])
    }
}

/// The canonical request of these six sections with the values of [`REDACTED`] headers
/// replaced by `<redacted>`.
fn redacted(parts: [&str; 6]) -> String {
    let [
        method,
        uri,
        query,
        header_block,
        signed_headers,
        payload_hash,
    ] = parts;
    let headers: String = header_block
        .split_inclusive('\n')
        .map(|line| match line.split_once(':') {
            Some((name, _)) if REDACTED.contains(&name) => format!("{name}:<redacted>\n"),
            _ => line.to_owned(),
        })
        .collect();
    format!("{method}\n{uri}\n{query}\n{headers}\n{signed_headers}\n{payload_hash}")
}

/// Writes the string to sign: algorithm, date, (V11: the scope, given in pieces,) and the hex
/// hash of the canonical request, one per line. The one writer of that text: the signer writes
/// it into a buffer it HMACs, [`StringToSign`] into a formatter.
pub(super) fn write_string_to_sign<W: fmt::Write>(
    out: &mut W,
    algorithm: &str,
    date: &str,
    scope: Option<&[&str]>,
    canonical_request_hash: &str,
) -> fmt::Result {
    out.write_str(algorithm)?;
    out.write_char('\n')?;
    out.write_str(date)?;
    out.write_char('\n')?;
    if let Some(scope) = scope {
        for piece in scope {
            out.write_str(piece)?;
        }
        out.write_char('\n')?;
    }
    out.write_str(canonical_request_hash)
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
        let scope: Option<&str> = self.scope.as_deref();
        let scope = scope.as_ref().map(std::slice::from_ref);
        write_string_to_sign(
            f,
            self.algorithm,
            &self.date,
            scope,
            &self.canonical_request_hash,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_only_secret_values() {
        let request = CanonicalRequest {
            method: "GET".into(),
            uri: "/".into(),
            query: String::new(),
            headers: "host:h\nx-auth-token:AUTH\nx-security-token:TOK\nx-security-tokens:ok\n"
                .into(),
            signed_headers: "host;x-auth-token;x-security-token;x-security-tokens".into(),
            payload_hash: "UNSIGNED-PAYLOAD".into(),
        };
        let shown = request.redacted();
        assert_eq!(
            shown,
            "GET\n/\n\nhost:h\nx-auth-token:<redacted>\nx-security-token:<redacted>\n\
             x-security-tokens:ok\n\nhost;x-auth-token;x-security-token;x-security-tokens\n\
             UNSIGNED-PAYLOAD"
        );
    }

    #[test]
    fn sort_keys_order_as_names_do() {
        let names = [
            "a",
            "A-b",
            "host",
            "Host-X",
            "x-sdk-date",
            "X-Sdk-Dat",
            "x-sdk-datf",
            "x-sdk-dateA",
            "content-type",
            "Content-Typ",
            "x",
            "x-",
            "user-agent",
            "X-Project-Id",
        ];
        for a in names {
            for b in names {
                let by_key = sort_key(a).cmp(&sort_key(b));
                let by_name = cmp_ignore_ascii_case(a, b);
                assert!(
                    by_key == by_name || by_key == Ordering::Equal,
                    "{a:?} {b:?}: key {by_key:?}, name {by_name:?}"
                );
            }
        }
    }

    #[test]
    fn ignore_case_order() {
        assert_eq!(cmp_ignore_ascii_case("X-A", "x-b"), Ordering::Less);
        assert_eq!(cmp_ignore_ascii_case("Host", "host"), Ordering::Equal);
        assert_eq!(cmp_ignore_ascii_case("x", "X-a"), Ordering::Less);
        assert_eq!(
            cmp_ignore_ascii_case("x-sdk-date", "X-Sdk"),
            Ordering::Greater
        );
    }
}
