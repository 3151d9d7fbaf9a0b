//! The client against the in-process emulator: every call, every error path, every fault the
//! emulator can inject, retries, clock skew, credentials providers, the waiter, connection
//! reuse, threads, and the no-duplicate property of create retries. Every test of the client's
//! behavior runs against both doors ([`common::Door`]: blocking, async on either runtime; the
//! slowest skip the multi-thread one).

use std::sync::Arc;
use std::time::Duration;

use ims_core::client::{Control, RetryPolicy};
use ims_core::credentials::MetadataProvider;
use ims_core::model::{JobStatus, WholeImageRequest};
use ims_core::sign::Algorithm;
use ims_core::{Client, Credentials, Error, ErrorKind, JobEndpoint, JobId, WaitOptions};
use ims_emulator::{Api as Ep, EmulatorConfig, Fault};

mod common;
use common::*;

fn ecs(name: &str) -> WholeImageRequest {
    WholeImageRequest::from_ecs(name, INSTANCE, VAULT)
        .tag("team", "infra")
        .build()
        .expect("valid request")
}

fn backup(name: &str, id: &str) -> WholeImageRequest {
    WholeImageRequest::from_backup(name, id)
        .build()
        .expect("valid request")
}

fn quick_wait() -> WaitOptions {
    WaitOptions::fixed(Duration::from_millis(20), Duration::from_secs(10))
}

doors!(create_from_ecs_and_backup_then_wait);
fn create_from_ecs_and_backup_then_wait(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let c = client(&emu, kind);
    for req in [
        ecs("from-ecs"),
        backup("from-backup", "9b27efab-4a17-4c06-bfa2-3e0cf021d3c3"),
    ] {
        let id = c.create_whole_image(&req).expect("created");
        assert_eq!(id.as_str().len(), 32);
        let job = c.wait(&id, &quick_wait()).expect("succeeds");
        assert_eq!(job.status, JobStatus::Success);
        assert_eq!(job.job_id, id.as_str());
        assert_eq!(job.entities.image_name.as_deref(), Some(req.name.as_str()));
        assert_eq!(job.image_id().map(str::len), Some(36), "a UUID image id");
        assert_eq!(job.job_type.as_deref(), Some(req.job_type()));
        let legacy = c
            .job_via(&id, JobEndpoint::Legacy)
            .expect("legacy endpoint");
        assert_eq!(legacy.image_id(), job.image_id());
    }
    let stats = emu.stats();
    assert_eq!((stats.create_accepted, stats.images_created), (2, 2));
}

doors!(invalid_request_sends_nothing);
fn invalid_request_sends_nothing(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let c = client(&emu, kind);
    let mut req = ecs("ok");
    req.name = "x".repeat(129);
    req.description = Some("<b>".into());
    let err = c.create_whole_image(&req).expect_err("invalid");
    assert_eq!(err.kind(), ErrorKind::Validation);
    let text = err.to_string();
    assert!(
        text.contains("name") && text.contains("description"),
        "{text}"
    );
    assert_eq!(
        emu.stats().requests_total,
        0,
        "nothing may reach the service"
    );
}

doors!(backup_reuse_is_an_api_error_with_code_and_request_id);
fn backup_reuse_is_an_api_error_with_code_and_request_id(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let c = client(&emu, kind);
    let req = backup("once", "b-1");
    c.create_whole_image(&req).expect("first use");
    let err = c.create_whole_image(&req).expect_err("second use");
    let api = err.api().expect("api error");
    assert_eq!((api.status, api.code.as_deref()), (400, Some("IMG.0029")));
    assert_eq!(api.request_id.as_deref().map(str::len), Some(32));
    let text = err.to_string();
    assert!(
        text.contains("IMG.0029") && text.contains("request id"),
        "{text}"
    );
    assert_eq!(emu.stats().images_created, 1);
}

doors!(unknown_ids_and_jobs_and_project);
fn unknown_ids_and_jobs_and_project(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    emu.update(|s| s.known_instances = Some(["known".to_owned()].into()));
    let c = client(&emu, kind);
    let err = c.create_whole_image(&ecs("x")).expect_err("unknown ecs");
    assert_eq!(err.api().and_then(|a| a.code.as_deref()), Some("IMG.0005"));
    let err = c
        .job(&JobId::new("ffffffffffffffffffffffffffffffff").expect("id"))
        .expect_err("unknown job");
    assert_eq!(err.api().map(|a| a.status), Some(404));
    let wrong_project = builder(&emu)
        .project_id("not-the-project")
        .build_door(kind)
        .expect("builds");
    let err = wrong_project
        .create_whole_image(&backup("p", "b-2"))
        .expect_err("wrong project");
    let api = err.api().expect("api");
    assert_eq!(api.code.as_deref(), Some("IMG.0104"));
    assert!(
        api.hint.as_deref().unwrap_or("").contains("project id"),
        "{api:?}"
    );
}

doors!(wrong_secret_is_apigw_0301_with_our_canonical_request);
fn wrong_secret_is_apigw_0301_with_our_canonical_request(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let c = builder(&emu)
        .credentials(Credentials::new(
            EmulatorConfig::demo().settings.ak,
            "WRONG-SECRET-VALUE",
        ))
        .build_door(kind)
        .expect("builds");
    let err = c.create_whole_image(&ecs("x")).expect_err("rejected");
    let api = err.api().expect("api error");
    assert_eq!((api.status, api.code.as_deref()), (401, Some("APIGW.0301")));
    assert!(
        api.hint
            .as_deref()
            .unwrap_or("")
            .contains("this client signed POST"),
        "{api:?}"
    );
    let signed = api
        .signed_request
        .as_deref()
        .expect("canonical request kept");
    assert!(
        signed.starts_with("POST\n/v1/cloudimages/wholeimages/action/\n"),
        "{signed}"
    );
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(
            !shown.contains("WRONG-SECRET-VALUE"),
            "secret leaked: {shown}"
        );
    }
    assert_eq!(
        emu.stats().requests_total,
        1,
        "a rejected signature is not retried"
    );
}

doors!(every_algorithm_is_accepted);
fn every_algorithm_is_accepted(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    for alg in [
        Algorithm::SdkHmacSha256,
        Algorithm::SdkHmacSm3,
        Algorithm::V11HmacSha256,
    ] {
        let c = builder(&emu)
            .region("cn-north-4")
            .algorithm(alg)
            .build_door(kind)
            .expect("builds");
        let id = c
            .create_whole_image(&ecs("alg"))
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        c.job(&id).unwrap_or_else(|e| panic!("{alg}: {e}"));
    }
}

doors!(token_auth);
fn token_auth(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    emu.update(|s| s.auth_token = Some("iam-token-value".into()));
    let c = Client::builder()
        .endpoint(emu.url())
        .project_id(emu.project_id())
        .auth_token("iam-token-value")
        .build_door(kind)
        .expect("builds");
    let id = c.create_whole_image(&ecs("tok")).expect("token accepted");
    assert!(c.job(&id).is_ok());
    let bad = Client::builder()
        .endpoint(emu.url())
        .project_id(emu.project_id())
        .auth_token("other")
        .build_door(kind)
        .expect("builds");
    assert_eq!(
        bad.job(&id).expect_err("rejected").api().map(|a| a.status),
        Some(401)
    );
}

doors!(get_retries_transient_faults_until_success);
fn get_retries_transient_faults_until_success(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let c = client(&emu, kind);
    let id = c.create_whole_image(&ecs("r")).expect("created");
    for fault in [
        Fault::Throttle {
            retry_after_secs: 0,
        },
        Fault::InternalError,
        Fault::Unavailable,
        Fault::TruncatedBody,
        Fault::DropBeforeHandling,
        Fault::DropAfterHandling,
    ] {
        emu.faults().inject(Ep::Job, fault.clone(), 2);
        let job = c.job(&id).unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(job.status, JobStatus::Success, "{fault:?}");
    }
    emu.faults().inject(Ep::Job, Fault::InternalError, 10);
    let err = c.job(&id).expect_err("budget exhausted");
    assert_eq!(err.api().map(|a| a.status), Some(500));
}

doors!(wrong_content_type_is_an_invalid_response_with_a_snippet);
fn wrong_content_type_is_an_invalid_response_with_a_snippet(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let c = builder(&emu)
        .retry_policy(RetryPolicy::none())
        .build_door(kind)
        .expect("builds");
    let id = c.create_whole_image(&ecs("ct")).expect("created");
    emu.faults().inject(Ep::Job, Fault::WrongContentType, 1);
    let err = c.job(&id).expect_err("html");
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(err.to_string().contains("<"), "{err}");
    assert!(err.request_id().is_some());
}

doors!(slow_response_times_out);
fn slow_response_times_out(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let c = builder(&emu)
        .timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::none())
        .build_door(kind)
        .expect("builds");
    let id = c.create_whole_image(&ecs("slow")).expect("created");
    emu.faults()
        .inject(Ep::Job, Fault::Delay(Duration::from_millis(800)), 1);
    let err = c.job(&id).expect_err("too slow");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
}

doors!(create_is_retried_only_when_surely_not_processed);
fn create_is_retried_only_when_surely_not_processed(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let c = client(&emu, kind);
    // Throttled twice: retried, one image.
    emu.faults().throttle_next(Ep::Create, 2, 0);
    c.create_whole_image(&ecs("t"))
        .expect("throttling is retried");
    assert_eq!(emu.stats().images_created, 1);
    // 500 and 503 may have been processed: not retried.
    for fault in [Fault::InternalError, Fault::Unavailable] {
        emu.reset_stats();
        emu.faults().inject(Ep::Create, fault.clone(), 1);
        let err = c.create_whole_image(&ecs("5xx")).expect_err("not retried");
        assert_eq!(err.kind(), ErrorKind::Api, "{fault:?}");
        assert_eq!(emu.stats().requests_total, 1, "{fault:?}");
    }
    // The connection drops after the image was created: the client must not retry.
    for fault in [
        Fault::DropAfterHandling,
        Fault::TruncatedBody,
        Fault::DropBeforeHandling,
    ] {
        emu.reset_stats();
        emu.faults().inject(Ep::Create, fault.clone(), 1);
        let err = c
            .create_whole_image(&ecs("drop"))
            .expect_err("broken connection");
        assert_eq!(err.kind(), ErrorKind::Transport, "{fault:?}: {err}");
        assert!(
            matches!(
                err,
                Error::Transport {
                    not_sent: false,
                    ..
                }
            ),
            "{fault:?}"
        );
        assert_eq!(emu.stats().requests_total, 1, "{fault:?} was retried");
    }
}

doors!(connection_refused_is_retried_and_marked_not_sent);
fn connection_refused_is_retried_and_marked_not_sent(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let url = emu.url();
    emu.shutdown();
    let c = Client::builder()
        .endpoint(url)
        .project_id("p")
        .credentials(Credentials::new("a", "b"))
        .retry_policy(fast_retry())
        .build_door(kind)
        .expect("builds");
    let err = c
        .create_whole_image(&ecs("refused"))
        .expect_err("closed port");
    assert!(
        matches!(err, Error::Transport { not_sent: true, .. }),
        "{err}"
    );
}

// Slow (sleeps on the clock): the blocking door and one async flavour only.
doors!(only [blocking, async_current_thread]: no_duplicate_images_under_random_faults);
fn no_duplicate_images_under_random_faults(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let c = client(&emu, kind);
    let mut rng = fastrand::Rng::with_seed(20_261_127);
    let (mut successes, mut processed_failures) = (0u64, 0u64);
    for run in 0..300 {
        let before = emu.stats().images_created;
        let faults = rng.usize(0..3);
        for _ in 0..faults {
            let fault = match rng.usize(0..7) {
                0 => Fault::Throttle {
                    retry_after_secs: 0,
                },
                1 => Fault::InternalError,
                2 => Fault::Unavailable,
                3 => Fault::DropBeforeHandling,
                4 => Fault::DropAfterHandling,
                5 => Fault::TruncatedBody,
                _ => Fault::WrongContentType,
            };
            emu.faults().inject(Ep::Create, fault, 1);
        }
        let result = c.create_whole_image(&ecs(&format!("run-{run}")));
        let created = emu.stats().images_created - before;
        // Faults left over (the call failed before using them) must not leak into the next run.
        emu.faults().clear();
        assert!(created <= 1, "run {run}: {created} images for one call");
        match result {
            Ok(_) => {
                assert_eq!(created, 1, "run {run}: success without an image");
                successes += 1;
            }
            Err(_) if created == 1 => processed_failures += 1,
            Err(_) => {}
        }
    }
    let stats = emu.stats();
    assert_eq!(stats.images_created, successes + processed_failures);
    assert!(
        successes > 60,
        "the property must be exercised on successes too ({successes})"
    );
}

doors!(clock_skew_is_corrected_once);
fn clock_skew_is_corrected_once(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    emu.set_clock_offset(3600);
    let c = client(&emu, kind);
    let id = c
        .create_whole_image(&ecs("skew"))
        .expect("corrected and retried");
    assert!(
        (c.clock_offset_secs() - 3600).abs() <= 5,
        "{}",
        c.clock_offset_secs()
    );
    assert!(c.job(&id).is_ok());
    assert_eq!(emu.stats().images_created, 1);
}

doors!(clock_correction_follows_the_service);
fn clock_correction_follows_the_service(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let c = client(&emu, kind);
    let id = c.create_whole_image(&ecs("skew2")).expect("created");
    // The service's clock jumps 20 minutes back, then 20 minutes ahead: each time the client
    // learns the new offset from the gateway's Date and retries once.
    emu.set_clock_offset(-1200);
    assert!(c.job(&id).is_ok(), "one correction");
    emu.set_clock_offset(1200);
    assert!(c.job(&id).is_ok());
    assert!(
        (c.clock_offset_secs() - 1200).abs() <= 5,
        "{}",
        c.clock_offset_secs()
    );
}

// Slow (sleeps on the clock): the blocking door and one async flavour only.
doors!(only [blocking, async_current_thread]: retry_after_is_honoured);
fn retry_after_is_honoured(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let policy = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_secs(5),
    };
    let c = builder(&emu)
        .retry_policy(policy)
        .build_door(kind)
        .expect("builds");
    emu.faults().throttle_next(Ep::Create, 1, 1);
    let started = std::time::Instant::now();
    c.create_whole_image(&ecs("ra")).expect("after the pause");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

doors!(metadata_credentials_are_fetched_and_accepted);
fn metadata_credentials_are_fetched_and_accepted(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let provider = Arc::new(MetadataProvider::new(emu.url()));
    // The door's way of asking: credentials() blocking, credentials_async() awaited.
    let creds = kind
        .credentials_of(provider.as_ref())
        .expect("from metadata");
    let temp = emu
        .temporary_credentials()
        .expect("emulator hands out a triple");
    assert_eq!(creds.access_key(), temp.access);
    assert_eq!(creds.security_token(), Some(temp.security_token.as_str()));
    let c = Client::builder()
        .endpoint(emu.url())
        .project_id(emu.project_id())
        .credentials_provider(provider)
        .build_door(kind)
        .expect("builds");
    let id = c
        .create_whole_image(&ecs("meta"))
        .expect("temporary credentials accepted");
    assert!(c.job(&id).is_ok());
    emu.update(|s| s.metadata_enabled = false);
    let missing = kind
        .credentials_of(&MetadataProvider::new(emu.url()))
        .expect_err("no metadata service");
    assert_eq!(missing.kind(), ErrorKind::Credentials);
}

doors!(project_id_is_looked_up_in_iam);
fn project_id_is_looked_up_in_iam(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let cfg = EmulatorConfig::demo();
    let lookup = |ak: &str| {
        Client::builder()
            .endpoint(emu.url())
            .iam_endpoint(emu.url())
            .region("cn-north-4")
            .credentials(Credentials::new(ak, cfg.settings.sk.clone()))
            .retry_policy(fast_retry())
            .build_door(kind)
            .expect("builds")
    };
    emu.update(|s| s.ak = "LOOKUPAK1".to_owned());
    let c = lookup("LOOKUPAK1");
    assert_eq!(c.project_id().expect("found"), emu.project_id());
    c.create_whole_image(&ecs("iam"))
        .expect("uses the found project");

    emu.update(|s| {
        s.ak = "LOOKUPAK2".to_owned();
        s.projects = Some(vec![]);
    });
    let err = lookup("LOOKUPAK2").project_id().expect_err("none");
    assert!(
        err.to_string().contains("no project named \"cn-north-4\""),
        "{err}"
    );

    emu.update(|s| {
        s.ak = "LOOKUPAK3".to_owned();
        s.projects = Some(vec![
            ("cn-north-4".into(), "p1".into()),
            ("cn-north-4".into(), "p2".into()),
        ]);
    });
    let err = lookup("LOOKUPAK3").project_id().expect_err("several");
    assert!(
        err.to_string().contains("2 projects") && err.to_string().contains("p1, p2"),
        "{err}"
    );
}

doors!(wait_reports_progress_then_success);
fn wait_reports_progress_then_success(kind: DoorKind) {
    let emu = emulator(Duration::from_millis(400));
    let c = client(&emu, kind);
    let id = c.create_whole_image(&ecs("progress")).expect("created");
    let mut seen = Vec::new();
    let mut observer = |p: &ims_core::client::Progress<'_>| {
        seen.push((p.status.clone(), p.percent));
        Control::Continue
    };
    let job = c
        .wait_with(&id, &quick_wait(), &mut observer)
        .expect("success");
    assert!(job.image_id().is_some());
    assert!(
        seen.iter()
            .any(|(s, p)| *s == JobStatus::Running && p.is_some_and(|p| p > 0.0 && p < 100.0)),
        "{seen:?}"
    );
    assert_eq!(seen.last().map(|s| s.0.clone()), Some(JobStatus::Success));
}

doors!(wait_can_be_cancelled_and_times_out_with_the_last_job);
fn wait_can_be_cancelled_and_times_out_with_the_last_job(kind: DoorKind) {
    let emu = emulator(Duration::from_secs(60));
    let c = client(&emu, kind);
    let id = c.create_whole_image(&ecs("long")).expect("created");
    let mut cancel = |p: &ims_core::client::Progress<'_>| {
        if p.polls >= 2 {
            Control::Cancel
        } else {
            Control::Continue
        }
    };
    let err = c
        .wait_with(&id, &quick_wait(), &mut cancel)
        .expect_err("cancelled");
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(err.job().is_some());
    let short = WaitOptions::fixed(Duration::from_millis(20), Duration::from_millis(150));
    let err = c.wait(&id, &short).expect_err("times out");
    assert_eq!(err.kind(), ErrorKind::WaitTimeout);
    assert!(
        matches!(
            err.job().map(|j| &j.status),
            Some(JobStatus::Init | JobStatus::Running)
        ),
        "{err}"
    );
}

doors!(failed_job_carries_code_and_reason);
fn failed_job_carries_code_and_reason(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    emu.faults().fail_next_jobs(1);
    emu.faults().set_job_failure("IMG.0010", "ECS busy");
    let c = client(&emu, kind);
    let id = c.create_whole_image(&ecs("fail")).expect("created");
    let err = c.wait(&id, &quick_wait()).expect_err("fails");
    assert_eq!(err.kind(), ErrorKind::JobFailed);
    let job = err.job().expect("job kept");
    assert_eq!(
        (job.error_code.as_deref(), job.fail_reason.as_deref()),
        (Some("IMG.0010"), Some("ECS busy"))
    );
    assert!(
        err.to_string().contains("IMG.0010") && err.to_string().contains("ECS busy"),
        "{err}"
    );
}

// Slow (sleeps on the clock): the blocking door and one async flavour only.
doors!(only [blocking, async_current_thread]: wait_absorbs_transient_errors);
fn wait_absorbs_transient_errors(kind: DoorKind) {
    let emu = emulator(Duration::from_millis(100));
    let c = builder(&emu)
        .retry_policy(RetryPolicy::none())
        .build_door(kind)
        .expect("builds");
    let id = c.create_whole_image(&ecs("transient")).expect("created");
    emu.faults().inject(Ep::Job, Fault::Unavailable, 3);
    emu.faults().inject(Ep::Job, Fault::DropBeforeHandling, 1);
    let job = c.wait(&id, &quick_wait()).expect("the wait goes on");
    assert_eq!(job.status, JobStatus::Success);
    emu.faults().inject(Ep::Job, Fault::Unavailable, 50);
    let opts = WaitOptions {
        transient_error_budget: 3,
        ..quick_wait()
    };
    let err = c.wait(&id, &opts).expect_err("budget spent");
    assert_eq!(err.api().map(|a| a.status), Some(503));
}

doors!(one_connection_for_a_hundred_polls);
fn one_connection_for_a_hundred_polls(kind: DoorKind) {
    let emu = emulator(Duration::from_secs(600));
    let c = client(&emu, kind);
    let id = c.create_whole_image(&ecs("conn")).expect("created");
    for _ in 0..100 {
        c.job(&id).expect("poll");
    }
    // One, or two on a multi-thread runtime (see `sequential_connections`).
    let connections = emu.stats().connections;
    assert!(
        connections <= sequential_connections(kind),
        "{connections} connections"
    );
}

/// Blocking only: threads sharing one blocking `Client` (the async door's counterpart, tasks
/// sharing one `AsyncClient`, is in client_async.rs).
#[test]
fn one_client_many_threads() {
    let emu = emulator(Duration::ZERO);
    let c = builder(&emu).build().expect("client builds");
    std::thread::scope(|s| {
        for t in 0..8 {
            let c = c.clone();
            s.spawn(move || {
                for i in 0..10 {
                    let id = c
                        .create_whole_image(&ecs(&format!("t{t}-{i}")))
                        .expect("created");
                    c.wait(&id, &quick_wait()).expect("done");
                }
            });
        }
    });
    assert_eq!(emu.stats().images_created, 80);
}

doors!(redirects_are_not_followed);
fn redirects_are_not_followed(kind: DoorKind) {
    use std::io::{Read, Write};
    // A listener that must never be contacted, and one that redirects there.
    let target = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    target.set_nonblocking(true).expect("nonblocking");
    let redirector = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", redirector.local_addr().expect("addr"));
    let location = format!(
        "http://{}/v1/cloudimages/job/x",
        target.local_addr().expect("addr")
    );
    let server = std::thread::spawn(move || {
        let (mut conn, _) = redirector.accept().expect("accept");
        let mut buf = [0u8; 8192];
        let _ = conn.read(&mut buf);
        let reply = format!(
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nX-Request-Id: r302\r\nContent-Length: 0\r\n\r\n"
        );
        conn.write_all(reply.as_bytes()).expect("reply");
    });
    let c = Client::builder()
        .endpoint(endpoint)
        .project_id("p")
        .credentials(Credentials::new("a", "b").with_security_token("SECRET-TOKEN"))
        .retry_policy(RetryPolicy::none())
        .build_door(kind)
        .expect("builds");
    let err = c
        .job(&JobId::new("x").expect("id"))
        .expect_err("a redirect is an error");
    server.join().expect("server thread");
    let api = err.api().expect("api error");
    assert_eq!((api.status, api.request_id.as_deref()), (302, Some("r302")));
    assert!(
        target.accept().is_err(),
        "the redirect target was contacted"
    );
}
