//! Regression tests of the inputs the fuzzer (`fuzz/`, `scripts/fuzz.sh`) found breaking an
//! invariant: each failed before its fix.
#![allow(clippy::unwrap_used)]

use ims_core::Credentials;
use ims_core::model::WholeImageRequest;
use ims_core::sign::{self, Algorithm, SdkDate, SignError, SignableRequest, SigningParams};

const INSTANCE: &str = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
const VAULT: &str = "de9fcf45-11b2-432c-8562-5c5428574600";

/// request_json: `{"": 1}` was reported as an unknown field with an empty path.
#[test]
fn an_unknown_empty_key_has_a_field_path() {
    let text =
        format!(r#"{{"": 1, "name": "n", "instance_id": "{INSTANCE}", "vault_id": "{VAULT}"}}"#);
    let errs = WholeImageRequest::from_json(&text).unwrap_err();
    assert_eq!(errs.fields(), vec![r#"$[""]"#]);
    let text = format!(
        r#"{{"name": "n", "instance_id": "{INSTANCE}", "vault_id": "{VAULT}", "image_tags": [{{"key": "k", "": 2}}]}}"#
    );
    let errs = WholeImageRequest::from_json(&text).unwrap_err();
    assert_eq!(errs.fields(), vec![r#"image_tags[0][""]"#]);
}

fn sign_with(
    ak: &str,
    algorithm: Algorithm,
    region: &str,
    service: &str,
) -> Result<String, SignError> {
    let credentials = Credentials::new(ak, "SK");
    let request = SignableRequest {
        method: "GET",
        host: "ims.cn-north-4.myhuaweicloud.com",
        path: "/v1/cloudimages/job/ff",
        query: &[],
        headers: &[],
        body: b"",
    };
    let params = SigningParams {
        credentials: &credentials,
        algorithm,
        date: SdkDate::parse("20240102T030405Z").unwrap(),
        region: Some(region),
        service: Some(service),
    };
    sign::sign(&request, &params).map(|out| out.authorization)
}

/// signer: an AK with a control character gave an `Authorization` HTTP cannot carry; an empty
/// AK, or one with `,`, surrounding whitespace or (V11) `/`, one the verifier cannot read back.
#[test]
fn the_signer_refuses_an_access_key_the_header_cannot_carry() {
    for (ak, algorithm) in [
        ("AK\u{8}", Algorithm::SdkHmacSha256),
        ("", Algorithm::SdkHmacSha256),
        ("A,K", Algorithm::SdkHmacSm3),
        ("AK ", Algorithm::SdkHmacSha256),
        (" AK", Algorithm::SdkHmacSha256),
        ("A/K", Algorithm::V11HmacSha256),
    ] {
        let got = sign_with(ak, algorithm, "cn-north-4", "ims");
        assert!(
            matches!(got, Err(SignError::InvalidAccessKey(_))),
            "{ak:?} {algorithm}: {got:?}"
        );
    }
    let header = sign_with("HPUAEXAMPLEAK0000001", Algorithm::SdkHmacSha256, "r", "s").unwrap();
    assert!(
        header.starts_with("SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, "),
        "{header}"
    );
}

/// signer: a V11 region or service holding `/` (or `,`, whitespace, a control character) gave a
/// `Credential` scope the verifier splits wrongly.
#[test]
fn the_signer_refuses_a_v11_scope_the_header_cannot_carry() {
    for (region, service) in [
        ("cn/north-4", "ims"),
        ("cn-north-4", "i,ms"),
        ("cn north", "ims"),
        ("cn-north-4", "ims\n"),
    ] {
        let got = sign_with("AK", Algorithm::V11HmacSha256, region, service);
        assert!(
            matches!(got, Err(SignError::InvalidScope(_))),
            "{region:?} {service:?}: {got:?}"
        );
    }
    let header = sign_with("AK", Algorithm::V11HmacSha256, "cn-north-4", "ims").unwrap();
    assert!(
        header.starts_with("V11-HMAC-SHA256 Credential=AK/20240102/cn-north-4/ims, "),
        "{header}"
    );
}

/// request_json: an accepted body must round-trip through `to_json`. `"instance_id": ""` alone
/// was read as an ECS source that `to_json` (which never sends `""`) then left out, and
/// `"enterprise_project_id": ""` as `Some("")`, also left out: both now read `""` as unset,
/// like `description`.
#[test]
fn empty_ids_read_as_unset_so_accepted_bodies_round_trip() {
    let found = r#"{"instance_id": "", "tags": ["aab"," ..c"], "max_ram": 11, "min_ram": 20}"#;
    let errs = WholeImageRequest::from_json(found).unwrap_err();
    assert_eq!(errs.pairs(), vec![("source", "required")]);
    for body in [
        found.to_owned(),
        r#"{"name": "n", "backup_id": ""}"#.to_owned(),
        format!(r#"{{"name": "n", "instance_id": "", "vault_id": "{VAULT}"}}"#),
        format!(
            r#"{{"name": "n", "instance_id": "{INSTANCE}", "vault_id": "{VAULT}", "backup_id": ""}}"#
        ),
        format!(
            r#"{{"name": "n", "instance_id": "{INSTANCE}", "vault_id": "{VAULT}", "enterprise_project_id": ""}}"#
        ),
    ] {
        if let Ok(req) = WholeImageRequest::from_json(&body) {
            let json = req.to_json();
            assert_eq!(
                WholeImageRequest::from_json(&json),
                Ok(req),
                "{body} -> {json}"
            );
        }
    }
    let body = format!(
        r#"{{"name": "n", "instance_id": "{INSTANCE}", "vault_id": "{VAULT}", "enterprise_project_id": ""}}"#
    );
    let req = WholeImageRequest::from_json_validated(&body).unwrap();
    assert_eq!(req.enterprise_project_id, None);
}

/// signer: a security token with surrounding whitespace was sent and signed untrimmed, while a
/// receiver reads header values trimmed (HTTP drops that whitespace; the emulator's verifier
/// re-signs trimmed values), so the signature did not match. The token is now trimmed once,
/// in `Credentials`, and a blank token is no token.
#[test]
fn a_security_token_is_trimmed_so_the_signature_matches_what_is_received() {
    let credentials = Credentials::new("AK", "SK").with_security_token(" imGEN+622==\n");
    assert_eq!(credentials.security_token(), Some("imGEN+622=="));
    assert_eq!(
        Credentials::new("AK", "SK")
            .with_security_token("  ")
            .security_token(),
        None
    );

    let date = SdkDate::parse("20240102T030405Z").unwrap();
    let request = SignableRequest {
        method: "GET",
        host: "ims.cn-north-4.myhuaweicloud.com",
        path: "/v1/cloudimages/job/ff",
        query: &[],
        headers: &[],
        body: b"",
    };
    let params = SigningParams {
        credentials: &credentials,
        algorithm: Algorithm::SdkHmacSha256,
        date,
        region: None,
        service: None,
    };
    let out = sign::sign(&request, &params).unwrap();
    // What a receiver re-signs: the headers as sent, values trimmed, without the token added.
    let received: Vec<(String, String)> = out
        .headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.trim().to_owned()))
        .collect();
    let received: Vec<(&str, &str)> = received
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let plain = Credentials::new("AK", "SK");
    let again = sign::sign(
        &SignableRequest {
            headers: &received,
            ..request
        },
        &SigningParams {
            credentials: &plain,
            ..params
        },
    )
    .unwrap();
    assert_eq!(again.signature, out.signature, "{}", out.canonical_request);
}
