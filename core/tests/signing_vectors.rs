//! Every case of `signing-vectors.json` (computed by the official Python SDK signer), checked
//! stage by stage: a failure names the case and the first stage that differs.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use base64::Engine;
use ims_core::Credentials;
use ims_core::sign::{self, Algorithm, SdkDate, SignableRequest, SigningParams};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    algorithm: String,
    ak: String,
    sk: String,
    method: String,
    host: String,
    path: String,
    query: Vec<(String, String)>,
    headers: BTreeMap<String, String>,
    body_base64: String,
    region: Option<String>,
    service: Option<String>,
    expected: Expected,
}

#[derive(Deserialize)]
struct Expected {
    canonical_request: String,
    string_to_sign: String,
    authorization: String,
    wire_uri: String,
    signed_headers: BTreeMap<String, String>,
}

/// The vectors as shipped in `shared/spec`, with a copy kept beside the tests.
fn load() -> File {
    let text = include_str!("data/signing-vectors.json");
    serde_json::from_str(text).unwrap()
}

fn check(case: &Case) -> Result<(), String> {
    let body = base64::engine::general_purpose::STANDARD
        .decode(&case.body_base64)
        .map_err(|e| format!("body_base64: {e}"))?;
    let date = SdkDate::parse(&case.headers["X-Sdk-Date"]).map_err(|e| e.to_string())?;
    let mut creds = Credentials::new(&case.ak, &case.sk);
    if let Some(tok) = case.headers.get("X-Security-Token") {
        creds = creds.with_security_token(tok);
    }
    let query: Vec<(&str, &str)> = case
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let headers: Vec<(&str, &str)> = case
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let req = SignableRequest {
        method: &case.method,
        host: &case.host,
        path: &case.path,
        query: &query,
        headers: &headers,
        body: &body,
    };
    let params = SigningParams {
        credentials: &creds,
        algorithm: case
            .algorithm
            .parse::<Algorithm>()
            .map_err(|e| e.to_string())?,
        date,
        region: case.region.as_deref(),
        service: case.service.as_deref(),
    };
    let out = sign::sign(&req, &params).map_err(|e| format!("sign failed: {e}"))?;
    let stage = |name: &str, got: &str, want: &str| {
        if got == want {
            Ok(())
        } else {
            Err(format!(
                "stage {name} differs\n--- got:\n{got}\n--- want:\n{want}"
            ))
        }
    };
    stage(
        "canonical request",
        &out.canonical_request.to_string(),
        &case.expected.canonical_request,
    )?;
    stage(
        "string to sign",
        &out.string_to_sign.to_string(),
        &case.expected.string_to_sign,
    )?;
    stage(
        "authorization",
        &out.authorization,
        &case.expected.authorization,
    )?;
    stage("wire uri", &out.wire_uri, &case.expected.wire_uri)?;
    let got_headers: BTreeMap<String, String> = out
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    stage(
        "signed headers",
        &format!("{got_headers:#?}"),
        &format!("{:#?}", case.expected.signed_headers),
    )?;
    // Verifying is signing again from what a server sees: parse the Authorization back.
    let parsed = sign::parse_authorization(&out.authorization).map_err(|e| e.to_string())?;
    stage("parsed signature", &parsed.signature, &out.signature)?;
    stage("parsed access key", &parsed.access_key, &case.ak)?;
    Ok(())
}

#[test]
fn all_vectors_match_the_official_sdk() {
    let file = load();
    assert_eq!(file.cases.len(), 47, "the vector file holds 47 cases");
    let failures: Vec<String> = file
        .cases
        .iter()
        .filter_map(|c| check(c).err().map(|e| format!("case {}: {e}", c.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of 47 cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn vectors_copy_matches_shared_spec() {
    // The copy beside the tests keeps them runnable without ../shared; when ../shared is there,
    // it must be the same file.
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/spec/signing-vectors.json");
    if let Ok(text) = std::fs::read_to_string(&shared) {
        assert_eq!(
            text,
            include_str!("data/signing-vectors.json"),
            "tests/data copy is stale"
        );
    }
}

#[test]
fn a_changed_secret_changes_the_signature() {
    let file = load();
    let mut case = file.cases.into_iter().next().unwrap();
    case.sk.push('x');
    let err = check(&case).unwrap_err();
    assert!(err.contains("stage authorization"), "{err}");
}

#[test]
fn every_stage_of_a_tampered_case_is_named() {
    let file = load();
    let mut case = file.cases.into_iter().next().unwrap();
    case.method = "PUT".into();
    let err = check(&case).unwrap_err();
    assert!(err.contains("stage canonical request"), "{err}");
}
