//! Percent-encoding and decoding as the Huawei Cloud signer does it.
//!
//! Only `A-Z a-z 0-9 - _ . ~` stay as they are; every other byte of the UTF-8 form becomes an
//! upper-case `%XX` (so a space is `%20`, never `+`).

/// Whether a byte is left as-is by [`encode_into`].
#[inline]
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the encoded form of `input` to `out`.
pub fn encode_into(input: &[u8], out: &mut String) {
    for &b in input {
        if is_unreserved(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// The encoded form of `input`.
pub fn encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 2);
    encode_into(input.as_bytes(), &mut out);
    out
}

/// Percent-decodes `input`. A `%` not followed by two hex digits stays as it is; bytes that do
/// not form UTF-8 become U+FFFD, as Python's `unquote` does.
pub fn decode(input: &str) -> String {
    decode_cow(input).into_owned()
}

/// [`decode`] without a copy when there is nothing to decode.
fn decode_cow(input: &str) -> std::borrow::Cow<'_, str> {
    if !input.contains('%') {
        return std::borrow::Cow::Borrowed(input);
    }
    let b = input.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The canonical URI of a wire path: decoded, split on `/`, each segment encoded, joined, and
/// ending in `/`.
pub fn canonical_uri(path: &str, out: &mut String) {
    let decoded = decode_cow(path);
    for (i, segment) in decoded.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        encode_into(segment.as_bytes(), out);
    }
    if !out.ends_with('/') {
        out.push('/');
    }
}

/// The canonical query of raw (decoded) pairs: sorted by key then value, each encoded,
/// `k=v` joined with `&` (an empty value keeps its `=`).
pub fn canonical_query(pairs: &[(&str, &str)], out: &mut String) {
    let mut sorted: Vec<&(&str, &str)> = pairs.iter().collect();
    sorted.sort_unstable();
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(k.as_bytes(), out);
        out.push('=');
        encode_into(v.as_bytes(), out);
    }
}

/// Splits a raw query string (as received on the wire) into decoded pairs.
///
/// A `+` is kept as a literal `+` (the signer encodes `+` as `%2B`, and space as `%20`).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_and_utf8() {
        assert_eq!(encode("a b+c/é~_.-"), "a%20b%2Bc%2F%C3%A9~_.-");
        assert_eq!(encode(""), "");
    }

    #[test]
    fn decodes_and_keeps_bad_escapes() {
        assert_eq!(decode("a%20b"), "a b");
        assert_eq!(decode("%9Z&%"), "%9Z&%");
        assert_eq!(decode("%4"), "%4");
        assert_eq!(decode("%e6%96%87"), "文");
        assert_eq!(decode("%FF"), "\u{FFFD}");
    }

    #[test]
    fn canonical_uri_rules() {
        let mut s = String::new();
        canonical_uri("/B%2Fo%27~m%21B", &mut s);
        assert_eq!(s, "/B/o%27~m%21B/");
        s.clear();
        canonical_uri("", &mut s);
        assert_eq!(s, "/");
        s.clear();
        canonical_uri("/a//b/", &mut s);
        assert_eq!(s, "/a//b/");
    }

    #[test]
    fn query_round_trip() {
        let mut s = String::new();
        canonical_query(&[("b", "2"), ("a", "x y"), ("a", "")], &mut s);
        assert_eq!(s, "a=&a=x%20y&b=2");
        assert_eq!(
            parse_query(&s),
            vec![
                ("a".into(), "".into()),
                ("a".into(), "x y".into()),
                ("b".into(), "2".into())
            ]
        );
    }
}
