//! The two intermediate values of signing and their one writer each: [`write`] puts the whole
//! canonical request into one buffer (hashed in one pass, then kept as a [`CanonicalText`],
//! from which a staged [`CanonicalRequest`] is sliced), and [`write_string_to_sign`] writes the
//! string to sign (into the tail of that same buffer when signing, into a formatter when a
//! [`StringToSign`] is displayed).

use std::cmp::Ordering;
use std::fmt;

use super::{Algorithm, CLASS, NOT_TCHAR, SignableRequest, UNDERSCORE, classes, digest, encode};

/// The signed headers of a request, gathered for [`write`] as they are checked: each name
/// lower-cased once, side by side on the stack (checked as UTF-8 all at once), with a sort key
/// (its first 8 lower-cased bytes); the usual handful on the stack, more in a Vec.
pub(super) struct SignedHeaders<'h> {
    /// (sort key, name, value, start of the lower-cased name in `arena`).
    stack: [Slot<'h>; 8],
    heap: Vec<Slot<'h>>,
    n: usize,
    arena: Arena,
    used: usize,
}

/// The lower-cased names, aligned so that checking them as UTF-8 goes a word at a time.
#[repr(align(16))]
struct Arena([u8; ARENA + 8]);

/// Each byte value ASCII-lower-cased, and its classes ([`CLASS`]): one read for both.
const LOWER_CLASS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [(i as u8).to_ascii_lowercase(), CLASS[i]];
        i += 1;
    }
    t
};

/// (sort key, name, value, start of the lower-cased name in the arena).
type Slot<'h> = (u64, &'h str, &'h str, usize);

impl<'h> SignedHeaders<'h> {
    pub(super) fn new() -> Self {
        SignedHeaders {
            stack: [(0, "", "", NOT_IN_ARENA); 8],
            heap: Vec::new(),
            n: 0,
            arena: Arena([0; ARENA + 8]),
            used: 0,
        }
    }

    /// Adds a header to send: signed unless its name holds `_`. Whether the name is an HTTP
    /// token (when it is not, nothing is added).
    pub(super) fn add(&mut self, name: &'h str, value: &'h str) -> bool {
        if name.is_empty() {
            return false;
        }
        let start = self.used;
        let end = start + name.len();
        let mut class = 0;
        let slot = match self.arena.0.get_mut(start..end).filter(|_| end <= ARENA) {
            Some(lower) => {
                for (l, b) in lower.iter_mut().zip(name.bytes()) {
                    let [lowered, c] = LOWER_CLASS[usize::from(b)];
                    class |= c;
                    *l = lowered;
                }
                if class & (UNDERSCORE | NOT_TCHAR) != 0 {
                    // Not signed: wiped, for the zero padding of the next name's sort key.
                    lower.fill(0);
                    return class & NOT_TCHAR == 0;
                }
                // The lower-cased name's first 8 bytes, zero-padded (nothing is written after
                // it yet).
                let mut key = [0u8; 8];
                if let Some(first) = self.arena.0.get(start..start + 8) {
                    key.copy_from_slice(first);
                }
                self.used = end;
                (u64::from_be_bytes(key), name, value, start)
            }
            None => {
                class = classes(name);
                if class & (UNDERSCORE | NOT_TCHAR) != 0 {
                    return class & NOT_TCHAR == 0;
                }
                (sort_key(name), name, value, NOT_IN_ARENA)
            }
        };
        match self.stack.get_mut(self.n) {
            Some(free) => *free = slot,
            None => {
                if self.heap.is_empty() {
                    self.heap.extend_from_slice(&self.stack);
                }
                self.heap.push(slot);
            }
        }
        self.n += 1;
        true
    }
}

/// Writes the canonical request of `req` with the `headers` to send (`Host` included) into one
/// new buffer with `spare` bytes of room left after it, and records where its sections end.
///
/// `req.method` is a checked HTTP token (upper-cased here); `plain_path` says whether
/// `req.path` [`encode::is_plain_path`]. The headers are sorted by
/// lower-cased name; the payload hash is `payload` when given, else the body's.
pub(super) fn write(
    req: &SignableRequest<'_>,
    plain_path: bool,
    headers: &mut SignedHeaders<'_>,
    payload: Option<&str>,
    alg: Algorithm,
    spare: usize,
) -> CanonicalText {
    // Lower-casing ASCII letters keeps UTF-8 valid, so this never falls back.
    let arena = std::str::from_utf8(&headers.arena.0[..headers.used]).unwrap_or_default();
    let order = match headers.stack.get_mut(..headers.n) {
        Some(order) => order,
        None => &mut headers.heap[..],
    };
    order.sort_unstable_by(|&(ka, a, _, _), &(kb, b, _, _)| {
        ka.cmp(&kb).then_with(|| cmp_ignore_ascii_case(a, b))
    });
    let push_name = |text: &mut String, name: &str, start: usize| match arena
        .get(start..start.saturating_add(name.len()))
    {
        Some(lower) => text.push_str(lower),
        None => push_lower(text, name),
    };

    let names_len: usize = order.iter().map(|(_, name, _, _)| name.len() + 1).sum();
    let values_len: usize = order.iter().map(|(_, _, value, _)| value.len() + 2).sum();
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
    encode::push_canonical_uri(req.path, plain_path, &mut text);
    ends[1] = text.len();
    text.push('\n');
    encode::canonical_query(req.query, &mut text);
    ends[2] = text.len();
    text.push('\n');
    let mut secret = false;
    for &(_, name, value, start) in order.iter() {
        secret |= REDACTED.iter().any(|r| name.eq_ignore_ascii_case(r));
        push_name(&mut text, name, start);
        text.push(':');
        text.push_str(value);
        text.push('\n');
    }
    ends[3] = text.len();
    text.push('\n');
    for (k, &(_, name, _, start)) in order.iter().enumerate() {
        if k > 0 {
            text.push(';');
        }
        push_name(&mut text, name, start);
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
