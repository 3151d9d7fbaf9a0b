//! Hostile input and hostile answers, against the in-process emulator: ids that are not one
//! path segment, regions that are not region names, job ids the service answers that our rules
//! refuse, and secrets that the gateway echoes back.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ims_core::client::RetryPolicy;
use ims_core::model::WholeImageRequest;
use ims_core::{Client, ClientBuilder, Credentials, Error, ErrorKind, JobId};
use ims_emulator::{Emulator, EmulatorConfig};

const INSTANCE: &str = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
const VAULT: &str = "de9fcf45-11b2-432c-8562-5c5428574600";

fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::demo().with_job_duration(Duration::ZERO))
        .expect("emulator starts")
}

fn builder(emu: &Emulator) -> ClientBuilder {
    let cfg = EmulatorConfig::demo();
    Client::builder()
        .endpoint(emu.url())
        .project_id(emu.project_id())
        .credentials(Credentials::new(cfg.ak, cfg.sk))
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
        .timeout(Duration::from_secs(5))
}

fn ecs(name: &str) -> WholeImageRequest {
    WholeImageRequest::from_ecs(name, INSTANCE, VAULT)
        .build()
        .expect("valid request")
}

// ---- D9: job ids are one safe path segment ----

#[test]
fn job_ids_that_are_not_one_safe_segment_send_nothing() {
    let emu = emulator();
    let c = builder(&emu).build().unwrap();
    let bad = [
        "", ".", "..", "a/b", "../x", "a?b", "a#b", "a%2e", "%2e%2e", "a b", "a\tb", "a\nb",
        "a\u{0}", "a\u{7f}", "a\\b", "ä",
    ];
    for id in bad {
        let err = JobId::new(id)
            .and_then(|id| c.job(&id))
            .expect_err(&format!("{id:?} must be refused"));
        assert_eq!(err.kind(), ErrorKind::Validation, "{id:?}: {err}");
        let Error::Validation(v) = &err else {
            unreachable!()
        };
        assert_eq!(v.fields(), vec!["job_id"], "{id:?}");
    }
    assert_eq!(emu.stats().requests_total, 0, "nothing may be sent");
    for good in [
        "4010a32b5f909853015f90aaa24b0015",
        "ff8080814dbd65d7014dc0a1d1ba0a3c",
        "877a2cda-ba63-4e1e-b95f-e67e48b6129a",
        "job_1.2",
        "...",
    ] {
        assert_eq!(JobId::new(good).unwrap().as_str(), good);
    }
    // A pasted id keeps working: surrounding whitespace is trimmed.
    assert_eq!(JobId::new(" abc\n").unwrap().as_str(), "abc");
}

// ---- A2: a job id our rules refuse, in the create answer ----

#[test]
fn unusable_job_id_in_the_create_answer_is_an_invalid_response_with_the_body() {
    let emu = emulator();
    let c = builder(&emu).build().unwrap();
    for answered in ["has space", &"x".repeat(300), ".."] {
        emu.set_next_job_id(Some(answered.to_owned()));
        let err = c.create_whole_image(&ecs("odd-id")).expect_err(answered);
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
        let Error::InvalidResponse {
            status, message, ..
        } = &err
        else {
            unreachable!()
        };
        assert_eq!(*status, 200);
        let raw = format!(r#"{{"job_id":"{answered}"}}"#);
        assert!(message.contains(&raw), "raw body kept: {message}");
        assert!(message.contains("job_id"), "{message}");
    }
    assert_eq!(emu.stats().images_created, 3, "the images do exist");
}

// ---- D8: the region becomes part of a host; check it before any URL ----

#[test]
fn a_region_that_is_not_a_region_name_is_refused_before_anything_is_sent() {
    let emu = emulator();
    let iam = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = iam.local_addr().unwrap().port();
    iam.set_nonblocking(true).unwrap();
    let bad = [
        "evil.com/".to_owned(),
        format!("127.0.0.1:{port}/"),
        format!("x@127.0.0.1:{port}"),
        "cn-north-4.evil.com".to_owned(),
        "CN-NORTH-4".to_owned(),
        "cn north 4".to_owned(),
        "cn-north-4?".to_owned(),
        String::new(),
        "a".repeat(65),
    ];
    for region in &bad {
        // An explicit IMS endpoint, and no project id: the region would name the IAM host.
        let built = Client::builder()
            .endpoint(emu.url())
            .region(region.as_str())
            .credentials(Credentials::new("AK", "SK"))
            .build();
        let err = match built {
            Err(e) => e,
            Ok(c) => c.create_whole_image(&ecs("x")).expect_err(region),
        };
        assert_eq!(err.kind(), ErrorKind::Config, "{region:?}: {err}");
        assert!(err.to_string().contains("region"), "{region:?}: {err}");
        // Through the region table, too.
        let err = Client::builder()
            .region(region.as_str())
            .build()
            .expect_err(region);
        assert_eq!(err.kind(), ErrorKind::Config, "{region:?}: {err}");
        assert!(err.to_string().contains("region"), "{region:?}: {err}");
    }
    assert_eq!(emu.stats().requests_total, 0, "nothing sent to IMS");
    assert!(iam.accept().is_err(), "nothing sent to the listener");
    assert!(Client::builder().region("cn-north-4").build().is_ok());
    assert!(Client::builder().region("eu-west-101").build().is_ok());
}
