//! Fault injection: throttling, server errors, delays, dropped connections, truncated and
//! mislabelled bodies, failing jobs, clock offset.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use ims_emulator::{Api, EmulatorConfig, Fault, FaultConfig, JobFailure};

#[test]
fn throttled_with_retry_after_then_success() {
    let emu = start_with(0);
    emu.faults().throttle_next(Api::Create, 2, 3);
    for _ in 0..2 {
        let r = Call::create(ecs_body("t")).send(&emu);
        assert_eq!(r.status, 429, "{}", r.text());
        assert_eq!(r.code(), "APIGW.0308");
        assert!(
            r.message()
                .contains("The throttling threshold has been reached")
        );
        assert_eq!(r.header("retry-after"), Some("3"));
        assert_eq!(
            r.json["request_id"],
            r.header("x-request-id").unwrap_or("?")
        );
    }
    // Other endpoints are not affected.
    assert_eq!(Call::job("x").send(&emu).status, 404);
    let r = Call::create(ecs_body("t")).send(&emu);
    assert_eq!(r.status, 200, "{}", r.text());
    let s = emu.stats();
    assert_eq!(s.images_created, 1);
    assert_eq!(s.create_accepted, 1);
    assert_eq!(s.count("POST", ims_emulator::CREATE_PATH, 429), 2);
}

#[test]
fn server_errors_are_ims_shaped() {
    let emu = start_with(0);
    let f = emu.faults();
    f.inject(Api::Job, Fault::InternalError, 1);
    f.inject(Api::Job, Fault::Unavailable, 1);
    let r = Call::job("x").send(&emu);
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(r.json["error"]["code"].is_string() && r.json["error"]["message"].is_string());
    let r = Call::job("x").send(&emu);
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.json["error"]["code"].is_string());
    assert_eq!(Call::job("x").send(&emu).status, 404);
    assert_eq!(f.pending(Api::Job), 0);
}

#[test]
fn faults_on_iam_and_metadata() {
    let emu = start_with(0);
    emu.faults().throttle_next(Api::Iam, 1, 1);
    emu.faults().inject(Api::Metadata, Fault::Unavailable, 1);
    let r = Call::get(ims_emulator::PROJECTS_PATH)
        .project(None)
        .send(&emu);
    assert_eq!(r.status, 429);
    let r = Call::new("PUT", ims_emulator::METADATA_TOKEN_PATH)
        .unsigned()
        .header("X-Metadata-Token-Ttl-Seconds", "60")
        .send(&emu);
    assert_eq!(r.status, 503);
}

#[test]
fn one_shot_and_standing_delays() {
    let emu = start_with(0);
    let delay = Duration::from_millis(700);
    emu.faults().inject(Api::Job, Fault::Delay(delay), 1);
    let t = Instant::now();
    assert_eq!(Call::job("x").send(&emu).status, 404);
    assert!(t.elapsed() >= delay, "{:?}", t.elapsed());
    let t = Instant::now();
    Call::job("x").send(&emu);
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );

    emu.faults().set_response_delay(delay);
    let t = Instant::now();
    Call::job("x").send(&emu);
    assert!(t.elapsed() >= delay);
    emu.faults().clear();
    let t = Instant::now();
    Call::job("x").send(&emu);
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn a_delayed_response_times_a_client_out() {
    let emu = start_with(0);
    emu.faults()
        .inject(Api::Create, Fault::Delay(Duration::from_millis(800)), 1);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let err = Call::create(ecs_body("slow"))
        .client(&client)
        .try_send(&emu)
        .expect_err("times out");
    assert!(err.is_timeout(), "{err:?}");
}

#[test]
fn drop_before_handling_creates_nothing() {
    let emu = start_with(0);
    emu.faults()
        .inject(Api::Create, Fault::DropBeforeHandling, 1);
    let err = Call::create(ecs_body("dropped"))
        .client(&new_client())
        .try_send(&emu)
        .expect_err("transport error");
    assert!(!err.is_status(), "{err:?}");
    let s = emu.stats();
    assert_eq!(s.images_created, 0);
    assert_eq!(s.create_accepted, 0);
    assert_eq!(s.count("POST", ims_emulator::CREATE_PATH, 0), 1);
    assert_eq!(Call::create(ecs_body("next")).send(&emu).status, 200);
}

#[test]
fn drop_after_handling_creates_the_image() {
    let emu = start_with(0);
    emu.faults()
        .inject(Api::Create, Fault::DropAfterHandling, 1);
    let err = Call::create(ecs_body("ghost"))
        .client(&new_client())
        .try_send(&emu)
        .expect_err("transport error");
    assert!(!err.is_status(), "{err:?}");
    let s = emu.stats();
    assert_eq!(s.images_created, 1, "the image was created");
    assert_eq!(s.create_accepted, 0, "but no 200 reached the client");
}

/// Sends `request` on a raw socket and returns every byte received until the server closes.
fn raw_exchange(emu: &ims_emulator::Emulator, request: &[u8]) -> (Vec<u8>, bool) {
    let mut s = TcpStream::connect(emu.addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(3))).ok();
    s.write_all(request).expect("write");
    let mut out = Vec::new();
    let clean = s.read_to_end(&mut out).is_ok();
    (out, clean)
}

fn raw_signed_job_request(emu: &ims_emulator::Emulator, id: &str) -> Vec<u8> {
    let req = Call::job(id).build(emu).build().expect("request");
    let mut text = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\n",
        req.url().path(),
        emu.host()
    );
    for (k, v) in req.headers() {
        text.push_str(&format!("{}: {}\r\n", k, v.to_str().expect("text")));
    }
    text.push_str("Connection: close\r\n\r\n");
    text.into_bytes()
}

#[test]
fn dropped_connection_sends_no_byte_on_a_raw_socket() {
    let emu = start_with(0);
    emu.faults().inject(Api::Job, Fault::DropBeforeHandling, 1);
    emu.faults().inject(Api::Job, Fault::DropAfterHandling, 1);
    for _ in 0..2 {
        let (bytes, _) = raw_exchange(&emu, &raw_signed_job_request(&emu, "x"));
        assert!(bytes.is_empty(), "{:?}", String::from_utf8_lossy(&bytes));
    }
    let (bytes, _) = raw_exchange(&emu, &raw_signed_job_request(&emu, "x"));
    assert!(bytes.starts_with(b"HTTP/1.1 404"));
}

#[test]
fn truncated_body_is_a_transport_error() {
    let emu = start_with(0);
    emu.faults().inject(Api::Create, Fault::TruncatedBody, 1);
    let err = Call::create(ecs_body("cut"))
        .client(&new_client())
        .try_send(&emu)
        .expect_err("body error");
    assert!(!err.is_status(), "{err:?}");
    assert_eq!(emu.stats().images_created, 1);

    // On the wire: Content-Length larger than what arrives.
    emu.faults().inject(Api::Job, Fault::TruncatedBody, 1);
    let (bytes, _) = raw_exchange(&emu, &raw_signed_job_request(&emu, "x"));
    let text = String::from_utf8_lossy(&bytes);
    let (head, body) = text.split_once("\r\n\r\n").expect("head");
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("content-length")
        .parse()
        .expect("number");
    assert!(body.len() < len, "{} < {len}", body.len());
}

#[test]
fn wrong_content_type() {
    let emu = start_with(0);
    emu.faults().inject(Api::Create, Fault::WrongContentType, 1);
    let r = Call::create(ecs_body("html")).send(&emu);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert!(r.text().starts_with("<html>"));
    assert!(r.json.is_null());
    assert_eq!(emu.stats().images_created, 1);
}

#[test]
fn failing_jobs_next_n_with_code_and_reason() {
    let emu = start_with(0);
    let f = emu.faults();
    f.set_job_failure("IMG.0136", "The ECS is being backed up.");
    f.fail_next_jobs(1);
    let failed = Call::create(ecs_body("doomed")).send(&emu).job_id();
    let ok = Call::create(ecs_body("fine")).send(&emu).job_id();
    let j = Call::job(&failed).send(&emu);
    assert_eq!(j.json["status"], "FAIL", "{}", j.text());
    assert_eq!(j.json["error_code"], "IMG.0136");
    assert_eq!(j.json["fail_reason"], "The ECS is being backed up.");
    assert_ne!(j.json["end_time"], "");
    let legacy = Call::legacy_job(ims_emulator::DEMO_PROJECT_ID, &failed).send(&emu);
    assert_eq!(legacy.json["status"], "FAIL");
    assert_eq!(Call::job(&ok).send(&emu).json["status"], "SUCCESS");
}

#[test]
fn failing_jobs_by_rate_from_config() {
    let cfg = EmulatorConfig::demo()
        .with_job_duration(Duration::ZERO)
        .with_faults(FaultConfig {
            job_fail_rate: 1.0,
            job_failure: JobFailure {
                error_code: "IMG.0010".into(),
                fail_reason: "busy".into(),
            },
            ..FaultConfig::default()
        });
    let emu = start(cfg);
    let id = Call::create(ecs_body("r")).send(&emu).job_id();
    assert_eq!(Call::job(&id).send(&emu).json["status"], "FAIL");
    emu.faults().set_job_fail_rate(0.0, 1);
    let id = Call::create(ecs_body("r")).send(&emu).job_id();
    assert_eq!(Call::job(&id).send(&emu).json["status"], "SUCCESS");
}

#[test]
fn a_failing_job_runs_first() {
    let emu = start_with(800);
    emu.faults().fail_next_jobs(1);
    let t0 = Instant::now();
    let id = Call::create(ecs_body("r")).send(&emu).job_id();
    std::thread::sleep(Duration::from_millis(300));
    let mid = Call::job(&id).send(&emu);
    assert_eq!(mid.json["status"], "RUNNING");
    assert!(mid.json["error_code"].is_null());
    std::thread::sleep(Duration::from_millis(850).saturating_sub(t0.elapsed()));
    assert_eq!(Call::job(&id).send(&emu).json["status"], "FAIL");
}

#[test]
fn queued_faults_from_config() {
    let cfg = EmulatorConfig::demo().with_faults(FaultConfig {
        queued: vec![(Api::Job, Fault::Unavailable, 2)],
        ..FaultConfig::default()
    });
    let emu = start(cfg);
    assert_eq!(Call::job("x").send(&emu).status, 503);
    assert_eq!(Call::job("x").send(&emu).status, 503);
    assert_eq!(Call::job("x").send(&emu).status, 404);
}

fn parse_http_date(d: &str) -> i64 {
    // "Tue, 02 Jan 2024 03:34:05 GMT"
    let parts: Vec<&str> = d.split_whitespace().collect();
    let day: i64 = parts[1].parse().expect("day");
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == parts[2])
    .expect("month") as i64
        + 1;
    let year: i64 = parts[3].parse().expect("year");
    let hms: Vec<i64> = parts[4].split(':').map(|x| x.parse().expect("n")).collect();
    let date = ims_core::sign::SdkDate::parse(&format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        hms[0], hms[1], hms[2]
    ))
    .expect("valid");
    date.unix()
}

#[test]
fn clock_offset_moves_expiry_check_and_date_header() {
    let emu = start_with(0);
    let real_now = ims_core::sign::SdkDate::from_system_time(std::time::SystemTime::now())
        .expect("now")
        .unix();
    emu.set_clock_offset(3600);
    assert_eq!(emu.clock_offset(), 3600);
    let r = Call::job("x").send(&emu);
    assert_eq!(r.status, 401);
    assert!(r.message().contains("signature expired"), "{}", r.message());
    let server = parse_http_date(r.header("date").expect("Date"));
    assert!(
        (server - real_now - 3600).abs() <= 5,
        "{server} vs {real_now}"
    );
    // A client that corrected its clock from the Date header gets through.
    assert_eq!(Call::job("x").date_offset(3600).send(&emu).status, 404);
    emu.set_clock_offset(0);
    assert_eq!(Call::job("x").send(&emu).status, 404);

    let mut cfg = EmulatorConfig::demo();
    cfg.clock_offset_secs = -1200;
    let emu2 = start(cfg);
    assert_eq!(Call::job("x").send(&emu2).status, 401);
    assert_eq!(Call::job("x").date_offset(-1200).send(&emu2).status, 404);
}
