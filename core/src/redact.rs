//! Redaction of secrets in text this crate did not write: a server's error message (the
//! gateway echoes the canonical request it computed, security token included), a body snippet,
//! a job document, or a proxy URL with user info.
//!
//! A server may spell a secret in more ways than one: JSON escapes (`\/` for `/`, `\u002B` for
//! `+`, `\n` between the header lines of an echoed canonical request, several levels deep),
//! percent-encoding (`%2B`), a header folded onto the next line. The text is searched as it
//! reads once those spellings are decoded, and what is found is replaced where it stands in
//! the text as received, whole escapes included, so a JSON text stays a JSON text.

use std::borrow::Cow;

/// What a secret is replaced with.
pub(crate) const REDACTED: &str = "<redacted>";

/// Names whose values are secrets wherever they appear as `name:value` or `name=value`
/// (case-insensitive; quotes and spaces around the separator allowed).
const SECRET_NAMES: [&str; 3] = ["x-security-token", "x-auth-token", "signature"];

/// Shortest known secret that is replaced wherever it occurs (shorter ones would mangle text).
const MIN_KNOWN_LEN: usize = 4;

/// `text` with the values of [`SECRET_NAMES`] and every occurrence of the `known` secrets
/// replaced by `<redacted>`, however the text spells them (see the module's documentation).
pub(crate) fn scrub(text: &str, known: &[&str]) -> String {
    scrub_cow(text, known.iter().copied()).into_owned()
}

/// The secrets a client knows it holds or sent (SK, security token, auth token, signature):
/// what every text a server wrote is scrubbed of, besides the values of [`SECRET_NAMES`].
/// Wiped when dropped.
#[derive(Default)]
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) struct KnownSecrets(Vec<zeroize::Zeroizing<String>>);

#[cfg_attr(not(feature = "client"), allow(dead_code))]
impl KnownSecrets {
    /// Adds a secret (one too short to replace safely, or already known, is left out).
    pub(crate) fn push(&mut self, secret: &str) {
        if secret.len() >= MIN_KNOWN_LEN && !self.0.iter().any(|s| s.as_str() == secret) {
            self.0.push(zeroize::Zeroizing::new(secret.to_owned()));
        }
    }

    /// `text` scrubbed of these secrets and of the values of [`SECRET_NAMES`].
    pub(crate) fn scrub(&self, text: &str) -> String {
        self.scrub_cow(text).into_owned()
    }

    /// [`KnownSecrets::scrub`], borrowing `text` when there was nothing to replace.
    pub(crate) fn scrub_cow<'a>(&self, text: &'a str) -> Cow<'a, str> {
        scrub_cow(text, self.0.iter().map(|s| s.as_str()))
    }
}

/// [`scrub`], borrowing `text` when there was nothing to replace.
fn scrub_cow<'t, 'k>(text: &'t str, known: impl Iterator<Item = &'k str> + Clone) -> Cow<'t, str> {
    let decoded = Decoded::new(text);
    let plain = decoded.text();
    let mut spans = Vec::new();
    named_spans(plain, &mut spans);
    // `contains` first: most texts hold no secret, and it answers that for less.
    for secret in known.clone().filter(|s| s.len() >= MIN_KNOWN_LEN) {
        if plain.contains(secret) {
            spans.extend(plain.match_indices(secret).map(|(i, m)| (i, i + m.len())));
        }
    }
    let mut spans: Vec<(usize, usize)> = spans
        .into_iter()
        .map(|(start, end)| (decoded.source_start(start), decoded.source_end(end)))
        .collect();
    if decoded.changed() {
        // A secret that itself holds what reads as an escape (`%2B`) is found as written.
        for secret in known.filter(|s| s.len() >= MIN_KNOWN_LEN) {
            if text.contains(secret) {
                spans.extend(text.match_indices(secret).map(|(i, m)| (i, i + m.len())));
            }
        }
    }
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut current: Option<(usize, usize)> = None;
    for (start, end) in spans {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                out.push_str(&text[copied..s]);
                out.push_str(REDACTED);
                copied = e;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        out.push_str(&text[copied..s]);
        out.push_str(REDACTED);
        copied = e;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// A text with its escapes decoded (see [`Decoded::new`]), and where each decoded escape
/// stands in the text as received, to map positions back.
struct Decoded<'a> {
    text: Cow<'a, str>,
    /// In order: (position in the decoded text, position in the source, length in the source,
    /// length of the one decoded character).
    marks: Vec<(usize, usize, usize, usize)>,
}

impl<'a> Decoded<'a> {
    /// Decodes, each to the one character it stands for: a JSON escape (`\/`, `\"`, `\'`,
    /// `\n`, `\r`, `\t`, `\uXXXX` with surrogate pairs, `\\`), also behind more backslashes
    /// (an escape escaped again: `\\\/`), and a percent-encoded ASCII character (`%2B`).
    /// Anything else stays as it is.
    fn new(source: &'a str) -> Self {
        if !source.bytes().any(|b| b == b'\\' || b == b'%') {
            return Decoded {
                text: Cow::Borrowed(source),
                marks: Vec::new(),
            };
        }
        let bytes = source.as_bytes();
        let mut out = String::with_capacity(source.len());
        let mut marks = Vec::new();
        let (mut i, mut copied) = (0, 0);
        while i < bytes.len() {
            let found = match bytes[i] {
                b'\\' => json_escape(bytes, i),
                b'%' => percent_escape(bytes, i),
                _ => None,
            };
            let Some((c, len)) = found else {
                i += 1;
                continue;
            };
            // `i` is at an ASCII byte, so on a character boundary.
            out.push_str(&source[copied..i]);
            marks.push((out.len(), i, len, c.len_utf8()));
            out.push(c);
            i += len;
            copied = i;
        }
        out.push_str(&source[copied..]);
        Decoded {
            text: Cow::Owned(out),
            marks,
        }
    }

    fn text(&self) -> &str {
        &self.text
    }

    /// Whether any escape was decoded.
    fn changed(&self) -> bool {
        !self.marks.is_empty()
    }

    /// The source position of decoded position `at`, as the start of a span (a position inside
    /// a decoded character moves to the start of its escape).
    fn source_start(&self, at: usize) -> usize {
        self.source(at, false)
    }

    /// The source position of decoded position `at`, as the end of a span (a position inside a
    /// decoded character moves to the end of its escape).
    fn source_end(&self, at: usize) -> usize {
        self.source(at, true)
    }

    fn source(&self, at: usize, end: bool) -> usize {
        let n = self.marks.partition_point(|m| m.0 <= at);
        let Some(&(decoded, source, source_len, decoded_len)) =
            n.checked_sub(1).map(|n| &self.marks[n])
        else {
            return at;
        };
        if at == decoded {
            source
        } else if at >= decoded + decoded_len {
            source + source_len + (at - decoded - decoded_len)
        } else if end {
            source + source_len
        } else {
            source
        }
    }
}

/// The character a JSON escape at `i` (a run of backslashes, then the escaped character)
/// stands for, and the escape's length.
fn json_escape(bytes: &[u8], i: usize) -> Option<(char, usize)> {
    let run = bytes[i..].iter().take_while(|&&b| b == b'\\').count();
    let j = i + run;
    let simple = match bytes.get(j) {
        Some(b'/') => Some('/'),
        Some(b'"') => Some('"'),
        Some(b'\'') => Some('\''),
        Some(b'n') => Some('\n'),
        Some(b'r') => Some('\r'),
        Some(b't') => Some('\t'),
        _ => None,
    };
    let escaped = match simple {
        Some(c) => Some((c, run + 1)),
        None if bytes.get(j) == Some(&b'u') => {
            unicode_escape(bytes, j + 1).map(|(c, len)| (c, run + 1 + len))
        }
        None => None,
    };
    // Else `\\` (an escaped backslash), one pair at a time.
    escaped.or_else(|| (run >= 2).then_some(('\\', 2)))
}

/// The character of the four hex digits at `at` (after `\u`), with the low half of a
/// surrogate pair when it follows as an escape of its own, and the length read from `at`.
fn unicode_escape(bytes: &[u8], at: usize) -> Option<(char, usize)> {
    let unit = hex4(bytes, at)?;
    if !(0xD800..0xDC00).contains(&unit) {
        return char::from_u32(unit).map(|c| (c, 4));
    }
    let run = bytes[at + 4..].iter().take_while(|&&b| b == b'\\').count();
    let u = at + 4 + run;
    if run == 0 || bytes.get(u) != Some(&b'u') {
        return None;
    }
    let low = hex4(bytes, u + 1).filter(|low| (0xDC00..0xE000).contains(low))?;
    let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    char::from_u32(code).map(|c| (c, 4 + run + 5))
}

/// Four hex digits at `at`, as a number.
fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at + 4)?;
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// The ASCII character a percent-encoding at `i` (`%2B`) stands for, and its length (3).
fn percent_escape(bytes: &[u8], i: usize) -> Option<(char, usize)> {
    let hex = |b: u8| (b as char).to_digit(16);
    let high = hex(*bytes.get(i + 1)?)?;
    let low = hex(*bytes.get(i + 2)?)?;
    let value = high * 16 + low;
    (value < 0x80).then(|| (char::from(value as u8), 3))
}

/// The spans of the values after each secret name.
fn named_spans(text: &str, spans: &mut Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Every name begins with `x` or `s`: most bytes are passed over at this test.
        let first = bytes[i].to_ascii_lowercase();
        let name = if first == b'x' || first == b's' {
            SECRET_NAMES
                .iter()
                .find(|n| {
                    bytes
                        .get(i..i + n.len())
                        .is_some_and(|b| b.eq_ignore_ascii_case(n.as_bytes()))
                })
                .filter(|_| i == 0 || !is_name_byte(bytes[i - 1]))
        } else {
            None
        };
        let Some(name) = name else {
            i += 1;
            continue;
        };
        let Some((start, end)) = value_span(bytes, i + name.len()) else {
            i += name.len();
            continue;
        };
        spans.push((start, end));
        i = end;
    }
}

/// The byte span of the value after a secret name ending at `j`: a separator (`:` or `=`)
/// with optional quotes and spaces around it (and a line break that folds the value onto the
/// next line, which begins with a space or tab), then everything up to a delimiter. `None`
/// when there is no separator or no value (or it is already redacted).
fn value_span(bytes: &[u8], mut j: usize) -> Option<(usize, usize)> {
    let skip = |j: &mut usize| {
        while *j < bytes.len() && matches!(bytes[*j], b' ' | b'\t' | b'"' | b'\'' | b'\\') {
            *j += 1;
        }
    };
    skip(&mut j);
    if !matches!(bytes.get(j), Some(b':' | b'=')) {
        return None;
    }
    j += 1;
    loop {
        skip(&mut j);
        let newline = if bytes.get(j) == Some(&b'\r') {
            j + 1
        } else {
            j
        };
        if bytes.get(newline) == Some(&b'\n')
            && matches!(bytes.get(newline + 1), Some(b' ' | b'\t'))
        {
            j = newline + 1;
            continue;
        }
        break;
    }
    let start = j;
    while j < bytes.len() && !is_delimiter(bytes[j]) {
        j += 1;
    }
    (j > start).then_some((start, j))
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\'' | b',' | b';' | b'&' | b'<' | b'>' | b'\\' | b')' | b']' | b'}'
        )
}

/// The text after a URL's scheme (`user:pw@host` of `http://user:pw@host`), or all of it.
fn after_scheme(url: &str) -> &str {
    url.find("://").map_or(url, |i| &url[i + 3..])
}

/// The user info of a URL (`user:pw` of `http://user:pw@host`), when there is one: everything
/// after the scheme up to the LAST `@`. A password may hold `#`, `/`, `?` and `@` (a URL parser
/// would end the host part at the first of the first three), so this takes the widest reading:
/// nothing that may be a password is left out (an `@` in a path is taken for one too).
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) fn userinfo(url: &str) -> Option<&str> {
    let rest = after_scheme(url);
    rest.rfind('@').map(|at| &rest[..at])
}

/// Whether the user info of `url` ([`userinfo`]) holds a `#`, `/` or `?`: a URL parser ends
/// the host part at the first of them, so the URL names another host than the one after the
/// `@` (`http://bob:12#x@proxy:3128` reads as host `bob`, port 12).
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) fn userinfo_is_ambiguous(url: &str) -> bool {
    userinfo(url).is_some_and(|info| info.contains(['#', '/', '?']))
}

/// A URL with its user info ([`userinfo`]) replaced: `http://user:pw@host:8080` →
/// `http://<redacted>@host:8080`. Text without an `@` is returned as is.
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) fn url_userinfo(url: &str) -> String {
    let scheme = &url[..url.len() - after_scheme(url).len()];
    match url.rfind('@') {
        Some(at) if at >= scheme.len() => format!("{scheme}{REDACTED}{}", &url[at..]),
        _ => url.to_owned(),
    }
}

/// `text` with its percent-encoded bytes decoded (invalid UTF-8 replaced): the password of a
/// proxy URL as a server or library may show it.
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: Option<&u8>| b.and_then(|&b| (b as char).to_digit(16));
        match (bytes[i], hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_values_are_scrubbed() {
        let echo = "canonical request: POST\n/v1/x/\n\ncontent-type:application/json\nx-security-token:gQpj+/=abc\nx-sdk-date:20240101T000000Z\n";
        let got = scrub(echo, &[]);
        assert!(
            got.contains("x-security-token:<redacted>\nx-sdk-date:2024"),
            "{got}"
        );
        assert!(!got.contains("gQpj"), "{got}");
        assert_eq!(
            scrub(
                "X-Auth-Token: tok123, Signature=abcdef01; \"x-security-token\":\"t\"",
                &[]
            ),
            "X-Auth-Token: <redacted>, Signature=<redacted>; \"x-security-token\":\"<redacted>\""
        );
        assert_eq!(
            scrub("verify aksk signature fail, signature does not match", &[]),
            "verify aksk signature fail, signature does not match"
        );
        assert_eq!(
            scrub("x-auth-token:<redacted>", &[]),
            "x-auth-token:<redacted>"
        );
        assert_eq!(scrub("my-signature=1", &[]), "my-signature=1");
        assert_eq!(
            scrub("ünï x-auth-token=é", &[]),
            "ünï x-auth-token=<redacted>"
        );
    }

    #[test]
    fn known_secrets_are_scrubbed_anywhere() {
        assert_eq!(
            scrub("sk is SECRETSK and again SECRETSK", &["SECRETSK", "", "ab"]),
            "sk is <redacted> and again <redacted>"
        );
    }

    #[test]
    fn user_info_is_scrubbed_from_urls() {
        assert_eq!(
            url_userinfo("http://user:pa:ss@proxy.example:8080/x"),
            "http://<redacted>@proxy.example:8080/x"
        );
        assert_eq!(url_userinfo("user:pw@proxy:3128"), "<redacted>@proxy:3128");
        assert_eq!(url_userinfo("http://proxy:3128"), "http://proxy:3128");
        // An `@` after a `/` may be in a password (`http://bob:a/b@proxy`): taken for one.
        assert_eq!(url_userinfo("http://proxy/a@b"), "http://<redacted>@b");
    }

    /// A password may hold `#`, `/`, `?` and `@` (spelled as is or percent-encoded): the user
    /// info ends at the last `@`, and none of it shows.
    #[test]
    fn user_info_with_url_delimiters_is_scrubbed_whole() {
        for (url, shown) in [
            (
                "http://bob:S3cr#tPW@proxy:3128",
                "http://<redacted>@proxy:3128",
            ),
            ("bob:12#xPW@proxy:3128", "<redacted>@proxy:3128"),
            (
                "http://bob:a/b?cPW@proxy:3128/",
                "http://<redacted>@proxy:3128/",
            ),
            (
                "http://bob:p@s#s/PW?@proxy:3128",
                "http://<redacted>@proxy:3128",
            ),
            (
                "http://bob:S3cr%23tPW@proxy:3128",
                "http://<redacted>@proxy:3128",
            ),
            ("https://:s3cretPW@host", "https://<redacted>@host"),
        ] {
            assert_eq!(url_userinfo(url), shown, "{url}");
            let info = userinfo(url).unwrap_or_default();
            assert!(
                info.ends_with("PW") || info.ends_with("PW?"),
                "{url}: {info:?}"
            );
        }
    }

    /// The gateway may answer its echo inside JSON: `\/` for `/`, `\u002B` for `+`, `\n`
    /// between header lines. The whole token goes, not only its first characters.
    #[test]
    fn json_escaped_tokens_are_scrubbed_whole() {
        let escaped = r#"gQpjZ7\/AbCwq\u002BSECRETtokenPART\/Kk09mm\u002bTt5Y=="#;
        let token = "gQpjZ7/AbCwq+SECRETtokenPART/Kk09mm+Tt5Y==";
        let pieces = ["gQpjZ7", "AbCwq", "SECRETtokenPART", "Kk09mm", "Tt5Y"];
        let texts = [
            format!(r#"{{"error_msg":"echo \"X-Security-Token\":\"{escaped}\", end"}}"#),
            format!(r#"{{"canonical":"POST\n/v1/x\nx-security-token:{escaped}\nx-sdk-date:1"}}"#),
            format!(r#"x-security-token=\"{escaped}\""#),
        ];
        for text in &texts {
            let got = scrub(text, &[]);
            for piece in pieces {
                assert!(!got.contains(piece), "{piece} of {text}: {got}");
            }
            assert!(got.contains(REDACTED), "{got}");
        }
        // A known secret is found in any of its spellings, with no name around it.
        for spelled in [
            escaped.to_owned(),
            "gQpjZ7%2FAbCwq%2BSECRETtokenPART%2fKk09mm%2bTt5Y%3D%3D".to_owned(),
            r#"gQpjZ7\\\/AbCwq+SECRETtokenPART/Kk09mm+Tt5Y=="#.to_owned(),
        ] {
            let got = scrub(&format!("seen {spelled} here"), &[token]);
            assert_eq!(got, "seen <redacted> here", "{spelled}");
        }
    }

    /// What is scrubbed out of a JSON text leaves a JSON text.
    #[test]
    fn scrubbed_json_is_still_json() {
        let token = "tok/en+VALUE\"quoted\\slash";
        let doc = serde_json::json!({
            "fail_reason": format!("x-security-token:{token}\nx-auth-token: abc\\def"),
            "error": format!("sk {token} and X-Auth-Token=\u{2028}zz"),
            "nested": {"Signature": "abcdef0123", "list": ["signature=1a2b3c", token]},
        })
        .to_string();
        let got = scrub(&doc, &[token]);
        let parsed: serde_json::Value =
            serde_json::from_str(&got).unwrap_or_else(|e| panic!("{e}: {got}"));
        let text = parsed.to_string();
        for piece in ["VALUE", "quoted", "abc", "1a2b3c", "abcdef0123"] {
            assert!(!text.contains(piece), "{piece}: {text}");
        }
    }

    /// A header folded onto the next line (obsolete line folding) keeps its value secret.
    #[test]
    fn folded_header_values_are_scrubbed() {
        for text in [
            "x-security-token:\n  TOKENvalue123\nx-sdk-date: 1",
            "X-Security-Token:\r\n\tTOKENvalue123\r\nx-sdk-date: 1",
            "x-auth-token: \r\n TOKENvalue123",
        ] {
            let got = scrub(text, &[]);
            assert!(!got.contains("TOKENvalue123"), "{text:?}: {got:?}");
        }
        // An empty value followed by another header is not a fold.
        assert_eq!(
            scrub("x-security-token:\nx-sdk-date:1", &[]),
            "x-security-token:\nx-sdk-date:1"
        );
    }
}
