//! Every authentication failure answers 401 APIGW.0301 like the API gateway.

mod common;

use common::*;
use ims_core::Credentials;
use ims_core::sign::Algorithm;
use ims_emulator::{DEMO_AK, DEMO_SK};

fn assert_denied(r: &Resp, phrase: &str) {
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.code(), "APIGW.0301", "{}", r.text());
    assert!(
        r.message().contains(phrase),
        "message {:?} lacks {phrase:?}",
        r.message()
    );
    let rid = r.header("x-request-id").expect("request id header");
    assert_eq!(r.json["request_id"], rid);
    assert!(is_hex32(rid));
}

#[test]
fn missing_authorization() {
    let emu = start_with(0);
    let r = Call::create(ecs_body("x")).unsigned().send(&emu);
    assert_denied(&r, "missing authorization");
    assert_eq!(emu.stats().images_created, 0);
}

#[test]
fn wrong_access_key() {
    let emu = start_with(0);
    let r = Call::create(ecs_body("x"))
        .creds(Credentials::new("SOMEOTHERAK000000000", DEMO_SK))
        .send(&emu);
    assert_denied(&r, "verify aksk signature fail");
    assert!(r.message().contains("SOMEOTHERAK000000000"));
}

#[test]
fn wrong_secret_key_shows_the_canonical_request() {
    let emu = start_with(0);
    let r = Call::create(ecs_body("x"))
        .creds(Credentials::new(DEMO_AK, "not-the-secret"))
        .send(&emu);
    assert_denied(&r, "verify aksk signature fail");
    let msg = r.message();
    let canonical = msg
        .split_once("canonical request: ")
        .map(|(_, c)| c)
        .expect("canonical request in message");
    assert!(
        canonical.starts_with("POST\n/v1/cloudimages/wholeimages/action/\n\n"),
        "{canonical:?}"
    );
    assert!(canonical.contains("x-project-id:"));
    assert!(canonical.contains("content-type;host;x-project-id;x-sdk-date"));
    assert!(!msg.contains(DEMO_SK));
}

#[test]
fn canonical_request_in_message_redacts_the_security_token() {
    let mut cfg = ims_emulator::EmulatorConfig::demo();
    cfg.settings.security_token = Some("very-secret-token".into());
    let emu = start(cfg);
    let r = Call::job("x")
        .creds(Credentials::new(DEMO_AK, "wrong").with_security_token("very-secret-token"))
        .send(&emu);
    assert_denied(&r, "canonical request");
    assert!(!r.text().contains("very-secret-token"));
    assert!(r.message().contains("x-security-token:<redacted>"));
}

#[test]
fn tampered_body() {
    let emu = start_with(0);
    let r = Call::create(ecs_body("signed"))
        .tamper_body(ecs_body("tampered"))
        .send(&emu);
    assert_denied(&r, "canonical request");
    assert_eq!(emu.stats().images_created, 0);
}

#[test]
fn tampered_query() {
    let emu = start_with(0);
    let call = Call::get(ims_emulator::PROJECTS_PATH)
        .query("name", "cn-north-4")
        .project(None);
    let req = call.build(&emu).build().expect("request");
    let url = req.url().as_str().replace("cn-north-4", "cn-north-1");
    let mut rb = new_client().get(url);
    for (k, v) in req.headers() {
        rb = rb.header(k, v);
    }
    let r = Resp::read(rb.send().expect("sent"));
    assert_denied(
        &r,
        "canonical request: GET\n/v3/projects/\nname=cn-north-1\n",
    );
}

#[test]
fn date_not_signed() {
    let emu = start_with(0);
    // Sign, then rewrite SignedHeaders without x-sdk-date.
    let req = Call::job("x").build(&emu).build().expect("request");
    let auth = req.headers()["authorization"]
        .to_str()
        .expect("text")
        .to_owned();
    let forged = auth.replace(";x-sdk-date", "");
    let mut rb = new_client().get(req.url().as_str());
    for (k, v) in req.headers() {
        if k != "authorization" {
            rb = rb.header(k, v);
        }
    }
    let r = Resp::read(rb.header("Authorization", forged).send().expect("sent"));
    assert_denied(&r, "SignedHeaders must include x-sdk-date and host");
}

#[test]
fn signed_header_missing_from_request() {
    let emu = start_with(0);
    let r = Call::job("x").drop_header("x-project-id").send(&emu);
    assert_denied(&r, "signed header x-project-id is missing");
}

#[test]
fn date_16_minutes_old_or_ahead_is_expired_and_date_header_is_sent() {
    let emu = start_with(0);
    for offset in [-16 * 60, 16 * 60] {
        let r = Call::job("x").date_offset(offset).send(&emu);
        assert_denied(&r, "signature expired");
        assert!(r.message().contains("X-Sdk-Date "), "{}", r.message());
        assert!(r.message().contains("server time "), "{}", r.message());
        let date = r.header("date").expect("Date header");
        assert!(date.ends_with(" GMT"), "{date}");
    }
    // 14 minutes either way is fine.
    for offset in [-14 * 60, 14 * 60] {
        assert_eq!(Call::job("x").date_offset(offset).send(&emu).status, 404);
    }
}

#[test]
fn malformed_authorization_and_date() {
    let emu = start_with(0);
    let r = Call::job("x")
        .unsigned()
        .header("Authorization", "SDK-HMAC-SHA256 garbage")
        .send(&emu);
    assert_denied(&r, "verify aksk signature fail");
    let r = Call::job("x")
        .unsigned()
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=x")
        .send(&emu);
    assert_denied(&r, "verify aksk signature fail");
    let r = Call::job("x")
        .unsigned()
        .header(
            "Authorization",
            &format!(
                "SDK-HMAC-SHA256 Access={DEMO_AK}, SignedHeaders=host;x-sdk-date, Signature=00"
            ),
        )
        .header("X-Sdk-Date", "2024-01-02T03:04:05Z")
        .send(&emu);
    assert_denied(&r, "invalid X-Sdk-Date");
}

#[test]
fn v11_scope_date_must_match() {
    let emu = start_with(0);
    let req = Call::job("x")
        .algorithm(Algorithm::V11HmacSha256)
        .build(&emu)
        .build()
        .expect("request");
    let auth = req.headers()["authorization"]
        .to_str()
        .expect("text")
        .to_owned();
    // Credential=AK/yyyymmdd/region/service: change the day.
    let day_start = auth.find(&format!("{DEMO_AK}/")).expect("credential") + DEMO_AK.len() + 1;
    let mut forged = auth.clone();
    forged.replace_range(day_start..day_start + 8, "19990101");
    let mut rb = new_client().get(req.url().as_str());
    for (k, v) in req.headers() {
        if k != "authorization" {
            rb = rb.header(k, v);
        }
    }
    let r = Resp::read(rb.header("Authorization", forged).send().expect("sent"));
    assert_denied(&r, "credential scope date 19990101 does not match");
}

#[test]
fn every_ims_endpoint_requires_auth() {
    let emu = start_with(0);
    for call in [
        Call::job("x").unsigned(),
        Call::legacy_job(ims_emulator::DEMO_PROJECT_ID, "x").unsigned(),
        Call::get(ims_emulator::PROJECTS_PATH).unsigned(),
    ] {
        assert_denied(&call.send(&emu), "missing authorization");
    }
}
