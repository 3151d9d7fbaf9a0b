//! Percent-encoding and decoding as the Huawei Cloud signer does it.
//!
//! Only `A-Z a-z 0-9 - _ . ~` stay as they are; every other byte of the UTF-8 form becomes an
//! upper-case `%XX` (so a space is `%20`, never `+`).

/// Whether a byte is left as-is by [`encode_into`].
#[inline]
fn is_unreserved(b: u8) -> bool {
    KEPT[usize::from(b)] & UNRESERVED != 0
}

/// An unreserved byte, left as it is.
const UNRESERVED: u8 = 1;
/// A byte a canonical URI keeps: unreserved, or `/`.
const URI_KEPT: u8 = 2;

/// The classes above of each byte value.
const KEPT: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            t[i] = UNRESERVED | URI_KEPT;
        } else if b == b'/' {
            t[i] = URI_KEPT;
        }
        i += 1;
    }
    t
};

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

/// [`encode_into`] for text: runs of unreserved bytes are copied whole.
fn encode_str_into(input: &str, out: &mut String) {
    encode_text(input, out, UNRESERVED);
}

/// Appends `input` with every byte not of class `kept` percent-encoded, runs of kept bytes
/// copied whole.
fn encode_text(input: &str, out: &mut String, kept: u8) {
    let mut run = 0;
    for (i, &b) in input.as_bytes().iter().enumerate() {
        if KEPT[usize::from(b)] & kept == 0 {
            // `run..i` holds only kept ASCII bytes, so both ends are char boundaries.
            if let Some(ascii) = input.get(run..i) {
                out.push_str(ascii);
            }
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
            run = i + 1;
        }
    }
    if let Some(ascii) = input.get(run..) {
        out.push_str(ascii);
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
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
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
    push_canonical_uri(path, is_plain_path(path), out);
}

/// Whether `path` holds only unreserved bytes and `/`: nothing to decode (no `%`) nor to
/// encode, nor anything a path may not hold (controls, `?`, `#`).
pub(crate) fn is_plain_path(path: &str) -> bool {
    path.bytes().all(|b| KEPT[usize::from(b)] & URI_KEPT != 0)
}

/// [`canonical_uri`], told whether the path [`is_plain_path`].
pub(crate) fn push_canonical_uri(path: &str, plain: bool, out: &mut String) {
    let start = out.len();
    if plain {
        // The usual path: copied as it is.
        out.push_str(path);
    } else {
        // Each segment encoded, joined by `/`: the decoded text encoded with its `/` kept.
        encode_text(&decode_cow(path), out, URI_KEPT);
    }
    if out.len() == start || !out.ends_with('/') {
        out.push('/');
    }
}

/// The canonical query of raw (decoded) pairs: sorted by key then value, each encoded,
/// `k=v` joined with `&` (an empty value keeps its `=`).
pub fn canonical_query(pairs: &[(&str, &str)], out: &mut String) {
    if pairs.is_empty() {
        return;
    }
    // Up to 16 pairs (every IMS call) are sorted on the stack, more in a Vec.
    let mut stack: [&(&str, &str); 16] = [&("", ""); 16];
    let mut heap: Vec<&(&str, &str)> = Vec::new();
    let sorted: &mut [&(&str, &str)] = match stack.get_mut(..pairs.len()) {
        Some(slots) => {
            for (slot, pair) in slots.iter_mut().zip(pairs) {
                *slot = pair;
            }
            slots
        }
        None => {
            heap.extend(pairs);
            &mut heap
        }
    };
    sorted.sort_unstable();
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_str_into(k, out);
        out.push('=');
        encode_str_into(v, out);
    }
}

/// The bound [`canonical_query`] stays within: every byte encoded, plus `=` and `&`.
pub(crate) fn canonical_query_max_len(pairs: &[(&str, &str)]) -> usize {
    pairs.iter().map(|(k, v)| 3 * (k.len() + v.len()) + 2).sum()
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
    fn text_and_byte_encoders_agree() {
        for input in [
            "", "abc", "a b", "é", "aé", "éa", "文a b~", "%/?&=+", "x\u{0}y",
        ] {
            let mut text = String::new();
            encode_str_into(input, &mut text);
            let mut bytes = String::new();
            encode_into(input.as_bytes(), &mut bytes);
            assert_eq!(text, bytes, "{input:?}");
        }
    }

    #[test]
    fn many_query_pairs_sort_like_few() {
        let owned: Vec<(String, String)> = (0..40)
            .rev()
            .map(|i| (format!("k{}", i % 7), format!("v {i}")))
            .collect();
        let pairs: Vec<(&str, &str)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut s = String::new();
        canonical_query(&pairs, &mut s);
        assert!(s.len() <= canonical_query_max_len(&pairs));
        let mut want = owned.clone();
        want.sort();
        assert_eq!(parse_query(&s), want);
        for n in [0, 1, 2, 16, 17] {
            let mut s = String::new();
            canonical_query(&pairs[..n], &mut s);
            let mut want = owned[..n].to_vec();
            want.sort();
            assert_eq!(parse_query(&s), want, "{n} pairs");
        }
    }

    #[test]
    fn canonical_uri_is_each_segment_encoded() {
        for path in [
            "/",
            "//",
            "/a//b",
            "/a%2Fb/c d/",
            "/é/%E6%96%87/x~",
            "/%2F%2f/",
            "/a b%",
        ] {
            let decoded = decode(path);
            let mut want: String = decoded.split('/').map(encode).collect::<Vec<_>>().join("/");
            if !want.ends_with('/') {
                want.push('/');
            }
            let mut got = String::new();
            canonical_uri(path, &mut got);
            assert_eq!(got, want, "{path:?}");
        }
    }

    #[test]
    fn canonical_uri_appends() {
        let mut s = String::from("GET\n");
        canonical_uri("", &mut s);
        assert_eq!(s, "GET\n/");
        let mut s = String::from("x/");
        canonical_uri("", &mut s);
        assert_eq!(s, "x//");
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
