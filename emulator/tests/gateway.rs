//! The gateway wording switches: code prefix, always-expired, a raw `Date`, the date form of
//! `Retry-After`, and the AK-lock fault.

mod common;

use common::*;
use ims_emulator::{Api, EmulatorConfig, Fault, GatewayBehaviour, GatewayPrefix};

#[test]
fn apig_prefix_on_every_gateway_error() {
    let mut cfg = EmulatorConfig::demo().with_job_duration(std::time::Duration::ZERO);
    cfg.settings.gateway = GatewayBehaviour {
        prefix: GatewayPrefix::Apig,
        ..GatewayBehaviour::default()
    };
    let emu = start(cfg);
    let r = Call::create(ecs_body("x")).unsigned().send(&emu);
    assert_eq!((r.status, r.code()), (401, "APIG.0301"), "{}", r.text());
    let r = Call::get("/v1/nothing-here").send(&emu);
    assert_eq!(r.code(), "APIG.0101", "{}", r.text());
    emu.faults().throttle_next(Api::Create, 1, 3);
    let r = Call::create(ecs_body("x")).send(&emu);
    assert_eq!((r.status, r.code()), (429, "APIG.0308"), "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("3"));
    // Back to the default at run time.
    emu.update(|s| s.gateway.prefix = GatewayPrefix::Apigw);
    let r = Call::create(ecs_body("x")).unsigned().send(&emu);
    assert_eq!(r.code(), "APIGW.0301");
}

#[test]
fn always_expired_refuses_a_good_signature() {
    let emu = start_with(0);
    emu.update(|s| s.gateway.always_expired = true);
    let r = Call::create(ecs_body("x")).send(&emu);
    assert_eq!((r.status, r.code()), (401, "APIGW.0301"), "{}", r.text());
    assert!(r.message().contains("signature expired"), "{}", r.message());
    assert_eq!(emu.stats().images_created, 0);
    emu.update(|s| s.gateway.always_expired = false);
    let r = Call::create(ecs_body("x")).send(&emu);
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn date_override_is_sent_verbatim_on_every_answer() {
    let emu = start_with(0);
    let hostile = "Sat, 01 Jan 10000 00:00:00 GMT";
    emu.update(|s| s.gateway.date_override = Some(hostile.to_owned()));
    assert_eq!(
        Call::create(ecs_body("x")).send(&emu).header("date"),
        Some(hostile)
    );
    assert_eq!(
        Call::create(ecs_body("x"))
            .unsigned()
            .send(&emu)
            .header("date"),
        Some(hostile)
    );
    emu.update(|s| s.gateway.date_override = None);
    let date = Call::create(ecs_body("y")).send(&emu);
    assert_ne!(date.header("date"), Some(hostile));
    assert!(date.header("date").is_some_and(|d| d.ends_with("GMT")));
}

#[test]
fn retry_after_in_date_form_is_date_plus_seconds() {
    let emu = start_with(0);
    emu.update(|s| s.gateway.retry_after_http_date = true);
    emu.faults().throttle_next(Api::Create, 1, 90);
    let r = Call::create(ecs_body("x")).send(&emu);
    assert_eq!(r.status, 429);
    let date = r.header("date").expect("date");
    let after = r.header("retry-after").expect("retry-after");
    let (d, a) = (ims_core::time::format_http_date(0).len(), after.len());
    assert_eq!(d, a, "IMF-fixdate form: {after}");
    // Same clock reading: Retry-After is exactly 90 s after Date.
    let parse = |s: &str| -> i64 {
        let now = emu.now_unix();
        (now - 200..now + 200)
            .find(|t| ims_core::time::format_http_date(*t) == s)
            .expect("a date near now")
    };
    assert_eq!(parse(after) - parse(date), 90);
}

#[test]
fn ak_locked_fault() {
    let emu = start_with(0);
    emu.faults().inject(Api::Job, Fault::AkLocked, 1);
    let r = Call::job("0123").send(&emu);
    assert_eq!((r.status, r.code()), (401, "APIGW.0301"), "{}", r.text());
    assert!(
        r.message()
            .contains("AK access failed to reach the limit, forbidden"),
        "{}",
        r.message()
    );
}
