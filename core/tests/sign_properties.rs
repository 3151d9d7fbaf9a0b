//! Property tests of the signer's encoders, and of the signer itself on hostile input.
#![allow(clippy::unwrap_used)]

use ims_core::Credentials;
use ims_core::sign::{self, Algorithm, SdkDate, SignableRequest, SigningParams, encode};
use proptest::prelude::*;

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

    /// Any input either signs or returns an error; it never panics.
    #[test]
    fn sign_never_panics(
        method in ".{0,8}",
        host in ".{0,20}",
        path in ".{0,30}",
        name in ".{0,12}",
        value in ".{0,40}",
        body in prop::collection::vec(any::<u8>(), 0..64),
        alg in 0u8..3,
    ) {
        let creds = Credentials::new("AK", "SK").with_security_token("tok");
        let headers = [(name.as_str(), value.as_str()), ("Content-Type", "text/plain")];
        let req = SignableRequest { method: &method, host: &host, path: &path, query: &[("a", "b")], headers: &headers, body: &body };
        let algorithm = [Algorithm::SdkHmacSha256, Algorithm::SdkHmacSm3, Algorithm::V11HmacSha256][usize::from(alg)];
        let params = SigningParams { credentials: &creds, algorithm, date: SdkDate::from_unix(1_700_000_000).unwrap(), region: Some("r"), service: Some("ims") };
        if let Ok(out) = sign::sign(&req, &params) {
            prop_assert!(out.authorization.starts_with(algorithm.as_str()));
        }
    }

    /// Parsing any Authorization text never panics.
    #[test]
    fn parse_authorization_never_panics(s in ".{0,120}") {
        let _ = sign::parse_authorization(&s);
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
