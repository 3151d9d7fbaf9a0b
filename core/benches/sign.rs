//! Signing cost of the `create-whole-image-sha256` vector, against the floor: the bare SHA-256
//! passes and HMAC over the same bytes.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use ims_core::Credentials;
use ims_core::sign::{self, Algorithm, SdkDate, SignableRequest, SigningParams};
use sha2::{Digest, Sha256};

const BODY: &[u8] = br#"{"name": "ims-whole-image-test", "description": "full-ECS image created by test vector", "instance_id": "1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901", "vault_id": "9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0", "tags": ["owner.alice", "env.test"], "max_ram": 0, "min_ram": 0}"#;

fn bench(c: &mut Criterion) {
    let creds = Credentials::new(
        "HPUAEXAMPLEAK0000001",
        "exampleSecretKey0123456789abcdefghijklmn",
    );
    let headers = [
        ("Content-Type", "application/json;charset=utf-8"),
        ("User-Agent", "huaweicloud-usdk-python/3.0; test-agent"),
        ("X-Project-Id", "0123456789abcdef0123456789abcdef"),
    ];
    let req = SignableRequest {
        method: "POST",
        host: "ims.cn-north-4.myhuaweicloud.com",
        path: "/v1/cloudimages/wholeimages/action",
        query: &[],
        headers: &headers,
        body: BODY,
    };
    let params = SigningParams {
        credentials: &creds,
        algorithm: Algorithm::SdkHmacSha256,
        date: SdkDate::parse("20240102T030405Z").unwrap(),
        region: None,
        service: None,
    };
    let out = sign::sign(&req, &params).unwrap();
    assert!(
        out.authorization
            .ends_with("b6ae8b88354b7602e60931aeee7be9216e69bc1fb3c07f9f6a230ad7cebdad96")
    );
    let canonical = out.canonical_request.to_string();
    let sts = out.string_to_sign.to_string();

    c.bench_function("sign create-whole-image SDK-HMAC-SHA256", |b| {
        b.iter(|| sign::sign(black_box(&req), black_box(&params)).unwrap())
    });
    c.bench_function("floor: sha256(body) + sha256(canonical) + hmac(sts)", |b| {
        b.iter(|| {
            let h1 = Sha256::digest(black_box(BODY));
            let h2 = Sha256::digest(black_box(canonical.as_bytes()));
            let mut mac =
                <Hmac<Sha256> as Mac>::new_from_slice(b"exampleSecretKey0123456789abcdefghijklmn")
                    .unwrap();
            mac.update(black_box(sts.as_bytes()));
            (h1, h2, mac.finalize().into_bytes())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
