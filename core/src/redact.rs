//! Redaction of secrets in text this crate did not write: a server's error message (the
//! gateway echoes the canonical request it computed, security token included), a body snippet,
//! or a proxy URL with user info.

/// What a secret is replaced with.
pub(crate) const REDACTED: &str = "<redacted>";

/// Names whose values are secrets wherever they appear as `name:value` or `name=value`
/// (case-insensitive; quotes and spaces around the separator allowed).
const SECRET_NAMES: [&str; 3] = ["x-security-token", "x-auth-token", "signature"];

/// Shortest known secret that is replaced wherever it occurs (shorter ones would mangle text).
const MIN_KNOWN_LEN: usize = 4;

/// `text` with the values of [`SECRET_NAMES`] and every occurrence of the `known` secrets
/// replaced by `<redacted>`.
pub(crate) fn scrub(text: &str, known: &[&str]) -> String {
    let mut out = scrub_named(text);
    for secret in known {
        if secret.len() >= MIN_KNOWN_LEN && out.contains(secret) {
            out = out.replace(secret, REDACTED);
        }
    }
    out
}

/// Replaces the value after each secret name.
fn scrub_named(text: &str) -> String {
    // ASCII lower-casing keeps byte offsets, so positions found in `lower` index `text`.
    let lower = text.to_ascii_lowercase();
    let lower = lower.as_bytes();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let Some(name) = SECRET_NAMES
            .iter()
            .find(|n| lower[i..].starts_with(n.as_bytes()))
            .filter(|_| i == 0 || !is_name_byte(bytes[i - 1]))
        else {
            i += 1;
            continue;
        };
        let Some((start, end)) = value_span(bytes, i + name.len()) else {
            i += name.len();
            continue;
        };
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = end;
        i = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// The byte span of the value after a secret name ending at `j`: a separator (`:` or `=`)
/// with optional quotes and spaces around it, then everything up to a delimiter. `None` when
/// there is no separator or no value (or it is already redacted).
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
    skip(&mut j);
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
}
