//! `ims_core::sign::sign` on arbitrary method, host, path, query, headers, body, algorithm
//! (all three) and AK/SK/security token, checked by the emulator's own verifier
//! (`ims_emulator::in_process::verify_signed_request`).
//!
//! Invariants: either a `SignError`, or a request that can be put on the wire as signed (its
//! method, URI, header names and values are valid HTTP) and that the emulator, knowing the same
//! AK/SK, accepts; its `Authorization` parses and re-renders to itself. Requests the transport
//! would not carry unchanged (a path `http::Uri` refuses or rewrites) and inputs that bring
//! their own `Authorization` header are skipped; an input `X-Security-Token` other than the
//! credentials' token must be refused, naming that header.
#![no_main]

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use ims_core::Credentials;
use ims_core::sign::{
    self, Algorithm, SECURITY_TOKEN_HEADER, SdkDate, SignableRequest, SigningParams,
};
use ims_emulator::EmulatorConfig;
use ims_emulator::in_process::verify_signed_request;
use libfuzzer_sys::fuzz_target;

/// The input, written like an HTTP request so that seeds are readable (see `corpus/signer/`):
///
/// ```text
/// <algorithm name, or any line: picked by its first byte>
/// <AK>
/// <SK>
/// <security token, empty for none>
/// <region, empty for none>
/// <service, empty for none>
/// <seconds off the emulator's clock (kept within its 15 minutes)>
/// <method>
/// <host>
/// <path>
/// <query: pairs joined by '&', each split at its first '='; nothing is decoded>
/// <header name>: <value>      (any number of lines)
///
/// <body: the rest, any bytes>
/// ```
struct Input<'a> {
    algorithm: Algorithm,
    access_key: &'a str,
    secret_key: &'a str,
    security_token: Option<&'a str>,
    region: Option<&'a str>,
    service: Option<&'a str>,
    date_offset: i64,
    method: &'a str,
    host: &'a str,
    path: &'a str,
    query: Vec<(&'a str, &'a str)>,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

impl<'a> Input<'a> {
    fn read(data: &'a [u8]) -> Option<Input<'a>> {
        let mut rest = data;
        let mut line = || -> Option<&'a str> {
            let end = rest.iter().position(|&b| b == b'\n')?;
            let (l, r) = rest.split_at(end);
            rest = &r[1..];
            std::str::from_utf8(l).ok()
        };
        let algorithm = line()?;
        let algorithm = algorithm.parse().unwrap_or(
            [
                Algorithm::SdkHmacSha256,
                Algorithm::SdkHmacSm3,
                Algorithm::V11HmacSha256,
            ][usize::from(algorithm.bytes().next().unwrap_or(0) % 3)],
        );
        let (access_key, secret_key) = (line()?, line()?);
        let security_token = non_empty(line()?);
        let (region, service) = (non_empty(line()?), non_empty(line()?));
        let date_offset = line()?.trim().parse::<i64>().unwrap_or(0) % 800;
        let (method, host, path) = (line()?, line()?, line()?);
        let query = match line()? {
            "" => Vec::new(),
            q => q
                .split('&')
                .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
                .collect(),
        };
        let mut headers = Vec::new();
        loop {
            match line() {
                None | Some("") => break,
                Some(h) => headers.push(h.split_once(':').unwrap_or((h, ""))),
            }
        }
        Some(Input {
            algorithm,
            access_key,
            secret_key,
            security_token,
            region,
            service,
            date_offset,
            method,
            host,
            path,
            query,
            headers,
            body: rest,
        })
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::read(data) else {
        return;
    };
    let headers = &input.headers;
    if headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
    {
        return;
    }
    let mut credentials = Credentials::new(input.access_key, input.secret_key);
    if let Some(token) = input.security_token {
        credentials = credentials.with_security_token(token);
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let date = SdkDate::from_unix(now + input.date_offset).expect("a date now");
    let request = SignableRequest {
        method: input.method,
        host: input.host,
        path: input.path,
        query: &input.query,
        headers,
        body: input.body,
    };
    let params = SigningParams {
        credentials: &credentials,
        algorithm: input.algorithm,
        date,
        region: input.region,
        service: input.service,
    };
    let Ok(out) = sign::sign(&request, &params) else {
        return;
    };

    let parsed = sign::parse_authorization(&out.authorization)
        .unwrap_or_else(|e| panic!("the signer's Authorization does not parse: {e}"));
    assert_eq!(parsed.to_header_value(), out.authorization);

    let method = Method::from_bytes(request.method.as_bytes())
        .unwrap_or_else(|e| panic!("signed method {:?} is not HTTP: {e}", request.method));
    let Ok(uri) = out.wire_uri.parse::<Uri>() else {
        return; // not a path the transport takes as is
    };
    if uri.path() != request.path || uri.query().unwrap_or("") != out.canonical_request.query {
        return; // the transport would send another path or query than was signed
    }
    let mut map = HeaderMap::new();
    for (name, value) in &out.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|e| panic!("signed header name {name:?} is not HTTP: {e}"));
        let value = HeaderValue::from_str(value)
            .unwrap_or_else(|e| panic!("signed header {name} has a value HTTP refuses: {e}"));
        map.append(name, value);
    }
    let authorization = HeaderValue::from_str(&out.authorization)
        .unwrap_or_else(|e| panic!("Authorization is not an HTTP header value: {e}"));
    map.insert("authorization", authorization);

    let mut config = EmulatorConfig::demo().with_credentials(input.access_key, input.secret_key);
    config.settings.security_token = credentials.security_token().map(str::to_owned);
    let verdict = verify_signed_request(&config, &method, &uri, &map, input.body);

    let foreign_token = credentials.security_token().is_some_and(|token| {
        headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case(SECURITY_TOKEN_HEADER) && v.trim() != token)
    });
    if foreign_token {
        let message = verdict.expect_err("a foreign X-Security-Token was accepted");
        assert!(message.contains("X-Security-Token"), "{message}");
        return;
    }
    if let Err(message) = verdict {
        panic!("the emulator refuses a signed request: {message}\nrequest: {request:?}");
    }
});
