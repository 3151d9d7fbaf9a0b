//! Signing cost of the three `create-whole-image-*` vectors (one per algorithm), against the
//! floor of each: the bare hash passes and HMAC over the same bytes (and, for V11, its key
//! derivation as the signer does it).
//!
//! Rows (the names `bench/harness.py` and `bench/sign_ratio.sh` read): `sign create-whole-image
//! <ALG>` is the signer as the client calls it (`sign::sign_request`), `staged sign ...` is
//! `sign::sign` with every stage copied out, and the floors are [`FLOOR_SHA256`], [`FLOOR_SM3`]
//! and [`FLOOR_V11`].
#![allow(missing_docs, clippy::unwrap_used)]

use base64::Engine;
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use ims_core::Credentials;
use ims_core::sign::{self, Algorithm, SdkDate, SignableRequest, SigningParams};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sm3::Sm3;

const FLOOR_SHA256: &str = "floor: sha256(body) + sha256(canonical) + hmac(sts)";
const FLOOR_SM3: &str = "floor SM3: sm3(body) + sm3(canonical) + hmac-sm3(sts)";
const FLOOR_V11: &str = "floor V11: hkdf(sk) + sha256(body) + sha256(canonical) + hmac";

/// One vector of `core/tests/data/signing-vectors.json`, owned.
struct Case {
    algorithm: Algorithm,
    creds: Credentials,
    /// The SK again, for the floor (`Credentials` does not hand it out).
    sk: String,
    method: String,
    host: String,
    path: String,
    /// Without `X-Sdk-Date`: as the client passes them, the signer adds the date.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    date: SdkDate,
    region: Option<String>,
    service: Option<String>,
    authorization: String,
}

fn load(name: &str) -> Case {
    let doc: Value =
        serde_json::from_str(include_str!("../tests/data/signing-vectors.json")).unwrap();
    let case = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap();
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    let headers = case["headers"].as_object().unwrap();
    assert!(case["query"].as_array().unwrap().is_empty());
    Case {
        algorithm: s(&case["algorithm"]).parse().unwrap(),
        creds: Credentials::new(s(&case["ak"]), s(&case["sk"])),
        sk: s(&case["sk"]),
        method: s(&case["method"]),
        host: s(&case["host"]),
        path: s(&case["path"]),
        headers: headers
            .iter()
            .filter(|(k, _)| *k != "X-Sdk-Date")
            .map(|(k, v)| (k.clone(), s(v)))
            .collect(),
        body: base64::engine::general_purpose::STANDARD
            .decode(s(&case["body_base64"]))
            .unwrap(),
        date: SdkDate::parse(headers["X-Sdk-Date"].as_str().unwrap()).unwrap(),
        region: case["region"].as_str().map(str::to_owned),
        service: case["service"].as_str().map(str::to_owned),
        authorization: s(&case["expected"]["authorization"]),
    }
}

/// Lower-case hex of 32 bytes, on the stack (as the V11 key is used: its hex text).
fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 15)];
    }
    out
}

fn bench_case(c: &mut Criterion, name: &str) {
    let case = load(name);
    let headers: Vec<(&str, &str)> = case
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let req = SignableRequest {
        method: &case.method,
        host: &case.host,
        path: &case.path,
        query: &[],
        headers: &headers,
        body: &case.body,
    };
    let params = SigningParams {
        credentials: &case.creds,
        algorithm: case.algorithm,
        date: case.date,
        region: case.region.as_deref(),
        service: case.service.as_deref(),
    };
    let out = sign::sign(&req, &params).unwrap();
    assert_eq!(out.authorization, case.authorization, "{name}");
    let canonical = out.canonical_request.to_string();
    let sts = out.string_to_sign.to_string();
    let (ak, sk) = (case.creds.access_key().as_bytes(), case.sk.as_bytes());
    let body = case.body.as_slice();
    let alg = case.algorithm;

    let hot = sign::sign_request(&req, &params).unwrap();
    assert_eq!(hot.authorization, case.authorization, "{name}");
    assert_eq!(hot.string_to_sign(), sts, "{name}");

    c.bench_function(&format!("sign create-whole-image {alg}"), |b| {
        b.iter(|| sign::sign_request(black_box(&req), black_box(&params)).unwrap())
    });
    c.bench_function(&format!("staged sign create-whole-image {alg}"), |b| {
        b.iter(|| sign::sign(black_box(&req), black_box(&params)).unwrap())
    });

    match alg {
        Algorithm::SdkHmacSha256 => c.bench_function(FLOOR_SHA256, |b| {
            b.iter(|| {
                let h1 = Sha256::digest(black_box(body));
                let h2 = Sha256::digest(black_box(canonical.as_bytes()));
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(black_box(sk)).unwrap();
                mac.update(black_box(sts.as_bytes()));
                (h1, h2, mac.finalize().into_bytes())
            })
        }),
        Algorithm::SdkHmacSm3 => c.bench_function(FLOOR_SM3, |b| {
            b.iter(|| {
                let h1 = Sm3::digest(black_box(body));
                let h2 = Sm3::digest(black_box(canonical.as_bytes()));
                let mut mac = <Hmac<Sm3> as Mac>::new_from_slice(black_box(sk)).unwrap();
                mac.update(black_box(sts.as_bytes()));
                (h1, h2, mac.finalize().into_bytes())
            })
        }),
        Algorithm::V11HmacSha256 => {
            let scope = out.string_to_sign.scope.clone().unwrap();
            c.bench_function(FLOOR_V11, |b| {
                b.iter(|| {
                    let hk = hkdf::Hkdf::<Sha256>::new(Some(black_box(ak)), black_box(sk));
                    let mut okm = [0u8; 32];
                    hk.expand(black_box(scope.as_bytes()), &mut okm).unwrap();
                    let key = hex32(&okm);
                    let h1 = Sha256::digest(black_box(body));
                    let h2 = Sha256::digest(black_box(canonical.as_bytes()));
                    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
                    mac.update(black_box(sts.as_bytes()));
                    (h1, h2, mac.finalize().into_bytes())
                })
            })
        }
    };
}

fn bench(c: &mut Criterion) {
    for name in [
        "create-whole-image-sha256",
        "create-whole-image-sm3",
        "create-whole-image-v11-derived",
    ] {
        bench_case(c, name);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
