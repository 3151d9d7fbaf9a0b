//! Property tests of the signer's encoders, of the signer itself on hostile input, and of the
//! hot path (`sign_request`) against the staged `sign` on random requests.
#![allow(clippy::unwrap_used)]

use hmac::{Hmac, Mac};
use ims_core::Credentials;
use ims_core::sign::{self, Algorithm, SdkDate, SignableRequest, SigningParams, encode};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use sm3::Sm3;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Decoding the canonical query gives back the raw pairs, sorted.
    #[test]
    fn canonical_query_decodes_to_sorted_pairs(pairs in prop::collection::vec((".{0,12}", ".{0,12}"), 0..8)) {
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut canonical = String::new();
        encode::canonical_query(&borrowed, &mut canonical);
        let mut want = pairs.clone();
        want.sort();
        let want: Vec<(String, String)> = want.into_iter().filter(|(k, v)| !(k.is_empty() && v.is_empty())).collect();
        let got: Vec<(String, String)> = encode::parse_query(&canonical).into_iter().filter(|(k, v)| !(k.is_empty() && v.is_empty())).collect();
        prop_assert_eq!(got, want);
        prop_assert!(canonical.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%=&".contains(&b)));
    }

    /// The canonical URI always ends with `/` and holds only unreserved bytes, `%XX` and `/`.
    #[test]
    fn canonical_uri_ends_with_slash(path in "/.{0,40}") {
        let mut uri = String::new();
        encode::canonical_uri(&path, &mut uri);
        prop_assert!(uri.ends_with('/'));
        prop_assert!(uri.starts_with('/'));
        prop_assert!(uri.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%/".contains(&b)));
    }

    /// Encoding then decoding is the identity.
    #[test]
    fn encode_decode_round_trip(s in ".{0,64}") {
        prop_assert_eq!(encode::decode(&encode::encode(&s)), s);
    }

    /// Any input signs, or fails with exactly the error the documented checks predict (in the
    /// signer's order: method, host, path, then each header); it never panics. Valid-looking and
    /// arbitrary inputs are mixed so that both outcomes are exercised.
    #[test]
    fn sign_fails_only_on_inputs_known_invalid(
        method in prop_oneof![Just("GET".to_owned()), "[A-Za-z]{1,8}", ".{0,8}"],
        host in prop_oneof!["[a-z0-9.-]{1,20}(:[0-9]{1,5})?", ".{0,20}"],
        path in prop_oneof!["/[a-zA-Z0-9/%._~-]{0,30}", ".{0,30}"],
        name in prop_oneof!["[A-Za-z][A-Za-z0-9-]{0,11}", Just("Content-Type".to_owned()), Just("Host".to_owned()), ".{0,12}"],
        value in prop_oneof!["[ -~]{0,40}", "(?s).{0,40}", "[a\t\n\r\u{0}\u{7f}\u{85}]{0,6}"],
        body in prop::collection::vec(any::<u8>(), 0..64),
        alg in 0u8..3,
    ) {
        let creds = Credentials::new("AK", "SK").with_security_token("tok");
        let headers = [(name.as_str(), value.as_str()), ("Content-Type", "text/plain")];
        let req = SignableRequest { method: &method, host: &host, path: &path, query: &[("a", "b")], headers: &headers, body: &body };
        let algorithm = [Algorithm::SdkHmacSha256, Algorithm::SdkHmacSm3, Algorithm::V11HmacSha256][usize::from(alg)];
        let params = SigningParams { credentials: &creds, algorithm, date: SdkDate::from_unix(1_700_000_000).unwrap(), region: Some("r"), service: Some("ims") };
        let expected = expected_failure(&method, &host, &path, &name, &value);
        match (sign::sign(&req, &params), expected) {
            (Ok(out), None) => {
                prop_assert!(out.authorization.starts_with(algorithm.as_str()));
                prop_assert!(out.canonical_request.signed_headers.contains("host"));
                prop_assert!(out.canonical_request.signed_headers.contains("x-sdk-date"));
            }
            (Err(got), Some(want)) => prop_assert_eq!(kind(&got), want, "{}", got),
            (Ok(_), Some(want)) => prop_assert!(false, "signed, but {want} was expected"),
            (Err(got), None) => prop_assert!(false, "valid input refused: {got}"),
        }
    }

    /// Parsing any Authorization text never panics.
    #[test]
    fn parse_authorization_never_panics(s in ".{0,120}") {
        let _ = sign::parse_authorization(&s);
    }
}

/// The error [`sign::sign`] must return for these inputs (with a `Content-Type: text/plain`
/// header after `name`), by the documented rules, or `None` when they are valid.
fn expected_failure(
    method: &str,
    host: &str,
    path: &str,
    name: &str,
    value: &str,
) -> Option<&'static str> {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if method.is_empty() || method.len() > 32 || !method.bytes().all(tchar) {
        return Some("method");
    }
    if host.is_empty()
        || host.len() > 300
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
    {
        return Some("host");
    }
    if !path.starts_with('/') || path.chars().any(|c| c.is_control() || c == '?' || c == '#') {
        return Some("path");
    }
    if name.is_empty() || !name.bytes().all(tchar) {
        return Some("header name");
    }
    if name.eq_ignore_ascii_case("host") {
        return None;
    }
    if value.trim().chars().any(|c| c.is_control() && c != '\t') {
        return Some("header value");
    }
    if name.eq_ignore_ascii_case("content-type") {
        return Some("duplicate header");
    }
    None
}

/// The kind of a signing error, in the words of [`expected_failure`].
fn kind(e: &sign::SignError) -> &'static str {
    use sign::SignError as E;
    match e {
        E::InvalidMethod(_) => "method",
        E::InvalidHost(_) => "host",
        E::InvalidPath(_) => "path",
        E::InvalidHeaderName(_) => "header name",
        E::InvalidHeaderValue(_) => "header value",
        E::DuplicateHeader(_) => "duplicate header",
        _ => "other",
    }
}

#[test]
fn errors_name_the_problem_without_values() {
    let creds = Credentials::new("AK", "SK");
    let params = SigningParams {
        credentials: &creds,
        algorithm: Algorithm::SdkHmacSha256,
        date: SdkDate::from_unix(1_700_000_000).unwrap(),
        region: None,
        service: None,
    };
    let base = SignableRequest {
        method: "GET",
        host: "h",
        path: "/",
        query: &[],
        headers: &[],
        body: b"",
    };
    let cases: Vec<(SignableRequest<'_>, &str)> = vec![
        (SignableRequest { method: "", ..base }, "method"),
        (
            SignableRequest {
                method: "G T",
                ..base
            },
            "method",
        ),
        (SignableRequest { host: "", ..base }, "host"),
        (
            SignableRequest {
                host: "a/b",
                ..base
            },
            "host",
        ),
        (
            SignableRequest {
                path: "noslash",
                ..base
            },
            "path",
        ),
        (
            SignableRequest {
                path: "/a?b",
                ..base
            },
            "path",
        ),
        (
            SignableRequest {
                headers: &[("Bad Name", "v")],
                ..base
            },
            "header name",
        ),
        (
            SignableRequest {
                headers: &[("X-A", "secret\r\nvalue")],
                ..base
            },
            "\"X-A\" has a value",
        ),
        (
            SignableRequest {
                headers: &[("X-A", "1"), ("x-a", "2")],
                ..base
            },
            "more than once",
        ),
    ];
    for (req, want) in cases {
        let err = sign::sign(&req, &params).unwrap_err().to_string();
        assert!(err.contains(want), "{err:?} should mention {want:?}");
        assert!(!err.contains("secret"), "{err:?} leaks a header value");
    }
    let v11 = SigningParams {
        algorithm: Algorithm::V11HmacSha256,
        ..params
    };
    assert!(
        sign::sign(&base, &v11)
            .unwrap_err()
            .to_string()
            .contains("region")
    );
}

#[test]
fn security_token_is_added_and_signed_once() {
    let creds = Credentials::new("AK", "SK").with_security_token("TOKEN");
    let params = SigningParams {
        credentials: &creds,
        algorithm: Algorithm::SdkHmacSha256,
        date: SdkDate::from_unix(1_700_000_000).unwrap(),
        region: None,
        service: None,
    };
    let req = SignableRequest {
        method: "get",
        host: "h:1",
        path: "/x",
        query: &[],
        headers: &[],
        body: b"",
    };
    let out = sign::sign(&req, &params).unwrap();
    assert_eq!(out.canonical_request.method, "GET");
    assert_eq!(
        out.canonical_request.signed_headers,
        "host;x-sdk-date;x-security-token"
    );
    assert!(
        out.headers
            .iter()
            .any(|(n, v)| n == "X-Security-Token" && v == "TOKEN")
    );
    assert!(!out.canonical_request.redacted().contains("TOKEN"));
    assert!(!format!("{out:?}").contains("TOKEN"));
}

/// A header name: ordinary, with `_` (not signed), or one the signer treats specially, in any
/// case (so that duplicates differing only in case come up).
fn header_name() -> impl Strategy<Value = String> {
    let special = prop_oneof![
        Just("Content-Type"),
        Just("X-Sdk-Date"),
        Just("Host"),
        Just("X-Security-Token"),
        Just("X-Sdk-Content-Sha256"),
        Just("X-Auth-Token"),
        Just("User-Agent"),
    ]
    .prop_map(str::to_owned);
    let name = prop_oneof![
        "[A-Za-z][A-Za-z0-9-]{0,10}",
        "[A-Za-z]{1,4}_[A-Za-z0-9_-]{0,6}",
        special,
    ];
    (name, any::<u32>()).prop_map(|(name, case_bits)| {
        name.chars()
            .enumerate()
            .map(|(i, c)| {
                if case_bits >> (i % 32) & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    })
}

/// A path segment with odd characters: escapes (good, bad, of `/`), spaces, UTF-8, sub-delims.
fn path_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9._~-]{0,8}",
        "[ -~&&[^?#/]]{0,8}",
        Just("%2F".to_owned()),
        Just("%zz%4".to_owned()),
        Just("%E6%96%87%20x".to_owned()),
        Just("é文 a".to_owned()),
        Just(String::new()),
    ]
}

/// The signature an HMAC of the string to sign gives, computed here from the parts, apart
/// from the signer's code.
fn expected_signature(
    alg: Algorithm,
    ak: &str,
    sk: &str,
    scope: Option<&str>,
    sts: &str,
) -> String {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    match alg {
        Algorithm::SdkHmacSm3 => {
            let mut mac = <Hmac<Sm3> as Mac>::new_from_slice(sk.as_bytes()).unwrap();
            mac.update(sts.as_bytes());
            hex(&mac.finalize().into_bytes())
        }
        Algorithm::SdkHmacSha256 => {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(sk.as_bytes()).unwrap();
            mac.update(sts.as_bytes());
            hex(&mac.finalize().into_bytes())
        }
        Algorithm::V11HmacSha256 => {
            let hk = hkdf::Hkdf::<Sha256>::new(Some(ak.as_bytes()), sk.as_bytes());
            let mut okm = [0u8; 32];
            hk.expand(scope.unwrap().as_bytes(), &mut okm).unwrap();
            let key = hex(&okm);
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).unwrap();
            mac.update(sts.as_bytes());
            hex(&mac.finalize().into_bytes())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(768))]

    /// The hot path and the staged `sign` agree on random requests (all methods, odd paths,
    /// queries, headers with `_` or differing only in case, any body, all three algorithms,
    /// with and without a security token): the same headers, `Authorization` and wire URI, or
    /// the same error; the hot canonical text is the staged canonical request, section by
    /// section, redacted alike; the hot string to sign is the staged one. And both are right:
    /// the string to sign holds the hash of that canonical text, and the signature is the HMAC
    /// of that string to sign.
    #[test]
    fn hot_path_and_staged_sign_agree(
        method in prop_oneof![Just("GET"), Just("POST"), Just("put"), Just("Delete"), Just("PATCH"), Just("HEAD")],
        host in "[a-z0-9.-]{1,16}(:[0-9]{1,5})?",
        segments in prop::collection::vec(path_segment(), 0..5),
        trailing_slash in any::<bool>(),
        query in prop::collection::vec(("(?s).{0,6}", "(?s).{0,6}"), 0..20),
        headers in prop::collection::vec((header_name(), prop_oneof!["[ -~]{0,24}", "[ -~\t]{0,8}", Just(" é文\tx ".to_owned()), Just("text/plain".to_owned())]), 0..7),
        body in prop::collection::vec(any::<u8>(), 0..300),
        alg in 0u8..3,
        token in prop::option::of("[A-Za-z0-9+/=]{1,24}"),
        region in prop::option::of("[a-z0-9-]{0,12}"),
        unix in 0i64..4_102_444_800,
    ) {
        let mut path = format!("/{}", segments.join("/"));
        if trailing_slash {
            path.push('/');
        }
        let algorithm = [Algorithm::SdkHmacSha256, Algorithm::SdkHmacSm3, Algorithm::V11HmacSha256][usize::from(alg)];
        let (ak, sk) = ("HPUAEXAMPLEAK0000001", "exampleSecretKey0123456789abcdefghijklmn");
        let mut creds = Credentials::new(ak, sk);
        if let Some(t) = &token {
            creds = creds.with_security_token(t);
        }
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let req = SignableRequest { method, host: &host, path: &path, query: &query, headers: &headers, body: &body };
        let params = SigningParams {
            credentials: &creds,
            algorithm,
            date: SdkDate::from_unix(unix).unwrap(),
            region: region.as_deref(),
            service: Some("ims"),
        };
        let (hot, staged) = match (sign::sign_request(&req, &params), sign::sign(&req, &params)) {
            (Ok(hot), Ok(staged)) => (hot, staged),
            (Err(a), Err(b)) => {
                prop_assert_eq!(a, b);
                return Ok(());
            }
            (hot, staged) => {
                return Err(TestCaseError::fail(format!(
                    "one signed, one failed: {:?} / {:?}",
                    hot.err(),
                    staged.err()
                )));
            }
        };
        let hot_headers: Vec<(&str, &str)> = hot.headers().collect();
        let staged_headers: Vec<(&str, &str)> =
            staged.headers.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        prop_assert_eq!(hot_headers, staged_headers);
        prop_assert_eq!(&hot.authorization, &staged.authorization);
        prop_assert_eq!(hot.wire_uri.as_ref(), staged.wire_uri.as_str());
        let canonical = staged.canonical_request.to_string();
        prop_assert_eq!(hot.canonical.as_str(), canonical.as_str());
        prop_assert_eq!(hot.canonical.to_string(), canonical.as_str());
        prop_assert_eq!(&hot.canonical.to_canonical_request(), &staged.canonical_request);
        prop_assert_eq!(hot.canonical.redacted(), staged.canonical_request.redacted());
        prop_assert_eq!(hot.string_to_sign(), staged.string_to_sign.to_string());

        let hash = match algorithm {
            Algorithm::SdkHmacSm3 => format!("{:x}", Sm3::digest(canonical.as_bytes())),
            _ => format!("{:x}", Sha256::digest(canonical.as_bytes())),
        };
        prop_assert_eq!(&staged.string_to_sign.canonical_request_hash, &hash);
        let signature = expected_signature(algorithm, ak, sk, staged.string_to_sign.scope.as_deref(), hot.string_to_sign());
        prop_assert!(hot.authorization.ends_with(&format!(", Signature={signature}")), "{}", hot.authorization);
        prop_assert_eq!(&staged.signature, &signature);
        let redacted = hot.canonical.redacted();
        for line in redacted.lines() {
            if line.starts_with("x-security-token:") || line.starts_with("x-auth-token:") {
                prop_assert!(line.ends_with(":<redacted>"), "{}", line);
            }
        }
        if let Some(token) = token.as_deref().filter(|t| t.len() >= 12) {
            let shown = format!("{:?}", hot);
            prop_assert!(!shown.contains(token), "Debug shows the token");
        }
    }
}
