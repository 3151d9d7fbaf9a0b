//! The client's clock and gateway handling against the emulator: skew correction (bounded,
//! once, per attempt, under concurrency), hostile `Date` headers, both gateway code prefixes,
//! the AK lock, `Retry-After` in date form, and counted retries on a refused connection. Each
//! test runs through every door (`doors!`: blocking, async on either runtime flavour; the
//! slowest skip the multi-thread one).

use std::sync::{Arc, Barrier};
use std::time::Duration;

use ims_core::client::RetryPolicy;
use ims_core::{Client, Credentials, Error, JobId};
use ims_emulator::{Api as Ep, Emulator, EmulatorConfig, Fault, GatewayPrefix};

mod common;
use common::*;

/// A job that exists, created by a client of its own (so the client under test starts
/// uncorrected).
fn some_job(emu: &Emulator, kind: DoorKind) -> JobId {
    client(emu, kind)
        .create_whole_image(&ecs("setup"))
        .expect("setup create")
}

fn api(err: Error) -> ims_core::ApiError {
    match err {
        Error::Api(api) => *api,
        other => panic!("expected an API error, got {:?}: {other}", other.kind()),
    }
}

// ---- B4: hostile Date headers, bounded correction ----

doors!(hostile_dates_do_not_poison_the_client);
fn hostile_dates_do_not_poison_the_client(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let id = some_job(&emu, kind);
    let c = client(&emu, kind);
    let far = ims_core::time::format_http_date(emu.now_unix() + 25 * 3600);
    for date in [
        "Sat, 01 Jan 10000 00:00:00 GMT",
        "Wed, 31 Dec 1969 23:59:59 GMT",
        "Mon, 01 Jan 99999999999999999 00:00:00 GMT",
        "Mon, 01 Jan -9999999999999999 00:00:00 GMT",
        far.as_str(),
    ] {
        emu.reset_stats();
        emu.update(|s| {
            s.gateway.always_expired = true;
            s.gateway.date_override = Some(date.to_owned());
        });
        let err = api(c.job(&id).expect_err("refused as expired"));
        assert_eq!(err.code.as_deref(), Some("APIGW.0301"), "{date}");
        let hint = err.hint.clone().unwrap_or_default();
        assert!(
            hint.contains(date) && hint.contains("24 h"),
            "{date}: the hint must report the service's clock and the bound: {hint}"
        );
        assert_eq!(c.clock_offset_secs(), 0, "{date}: nothing applied");
        assert_eq!(emu.stats().requests_total, 1, "{date}: no corrected retry");
        emu.update(|s| {
            s.gateway.always_expired = false;
            s.gateway.date_override = None;
        });
        c.job(&id)
            .unwrap_or_else(|e| panic!("{date}: the client is poisoned: {e}"));
    }
}

doors!(correction_is_bounded_to_24_hours);
fn correction_is_bounded_to_24_hours(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let id = some_job(&emu, kind);
    // 23 h ahead: corrected.
    emu.set_clock_offset(23 * 3600);
    let c = client(&emu, kind);
    c.job(&id).expect("23 h is corrected");
    assert!(
        (c.clock_offset_secs() - 23 * 3600).abs() <= 5,
        "{}",
        c.clock_offset_secs()
    );
    // 25 h behind: not applied, the last good offset stays, the hint names the service's clock.
    emu.set_clock_offset(-25 * 3600);
    let err = api(c.job(&id).expect_err("25 h is not corrected"));
    let hint = err.hint.unwrap_or_default();
    assert!(hint.contains("24 h") && hint.contains("GMT"), "{hint}");
    assert!((c.clock_offset_secs() - 23 * 3600).abs() <= 5);
    // A later sane answer replaces the offset.
    emu.set_clock_offset(-3600);
    c.job(&id).expect("-1 h is corrected");
    assert!(
        (c.clock_offset_secs() + 3600).abs() <= 5,
        "{}",
        c.clock_offset_secs()
    );
}

// ---- B5: the offset each attempt was signed with ----

doors!(calls_signed_before_another_threads_correction_all_succeed);
fn calls_signed_before_another_threads_correction_all_succeed(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let id = some_job(&emu, kind);
    emu.set_clock_offset(1800);
    // Every answer waits, so all eight sign with the old offset before the first 401 lands.
    // On the async door the eight threads' calls are futures in flight on its one runtime.
    emu.faults().set_response_delay(Duration::from_millis(300));
    for round in 0..3 {
        let c = Arc::new(client(&emu, kind));
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (c, barrier, id) = (Arc::clone(&c), Arc::clone(&barrier), id.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    c.job(&id).map(|_| ()).map_err(|e| e.to_string())
                })
            })
            .collect();
        for t in threads {
            let outcome = t.join().expect("thread");
            assert_eq!(outcome, Ok(()), "round {round}");
        }
        assert!((c.clock_offset_secs() - 1800).abs() <= 5);
    }
}

// ---- J: skew correction once, the 300 s threshold ----

doors!(skew_threshold_and_a_single_correction_are_counted);
fn skew_threshold_and_a_single_correction_are_counted(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let id = some_job(&emu, kind);
    emu.update(|s| s.gateway.always_expired = true);

    // 299 s: within the threshold: no correction, one request, the AK/SK hint.
    emu.set_clock_offset(299);
    emu.reset_stats();
    let c = client(&emu, kind);
    let err = api(c.job(&id).expect_err("always expired"));
    assert_eq!(emu.stats().requests_total, 1);
    assert_eq!(c.clock_offset_secs(), 0);
    let hint = err.hint.unwrap_or_default();
    assert!(hint.contains("check the AK/SK"), "{hint}");

    // 302 s: corrected once, then the "still expired" message; exactly two requests.
    emu.set_clock_offset(302);
    emu.reset_stats();
    let c = client(&emu, kind);
    let err = api(c.job(&id).expect_err("always expired"));
    assert_eq!(emu.stats().requests_total, 2);
    assert!(
        (301..=302).contains(&c.clock_offset_secs()),
        "{}",
        c.clock_offset_secs()
    );
    let hint = err.hint.unwrap_or_default();
    assert!(
        hint.contains("corrected once and the signature still expired"),
        "{hint}"
    );
}

// ---- I17: both gateway prefixes, the AK lock, no retried authentication failure ----

doors!(apig_prefix_gets_the_skew_correction_and_the_signature_hint);
fn apig_prefix_gets_the_skew_correction_and_the_signature_hint(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let id = some_job(&emu, kind);
    emu.update(|s| s.gateway.prefix = GatewayPrefix::Apig);
    emu.set_clock_offset(3600);
    emu.reset_stats();
    let c = client(&emu, kind);
    c.job(&id).expect("APIG.0301 expired is corrected");
    assert_eq!(emu.stats().requests_total, 2);
    assert!((c.clock_offset_secs() - 3600).abs() <= 5);

    emu.set_clock_offset(0);
    let wrong = builder(&emu)
        .credentials(Credentials::new(
            EmulatorConfig::demo().settings.ak,
            "wrong-secret",
        ))
        .build_door(kind)
        .expect("builds");
    emu.reset_stats();
    let err = api(wrong.job(&id).expect_err("wrong SK"));
    assert_eq!(err.code.as_deref(), Some("APIG.0301"));
    assert!(
        err.signed_request.is_some(),
        "our canonical request is shown"
    );
    assert!(
        err.hint.unwrap_or_default().contains("check the AK/SK"),
        "signature hint"
    );
    assert_eq!(emu.stats().requests_total, 1, "not retried");

    // APIG.0308 throttling is retried like APIGW.0308.
    emu.reset_stats();
    emu.faults().throttle_next(Ep::Create, 2, 0);
    let c = client(&emu, kind);
    c.create_whole_image(&ecs("apig-throttle"))
        .expect("retried after APIG.0308");
    assert_eq!(emu.stats().images_created, 1);
}

doors!(ak_lock_says_five_minutes_and_is_never_retried);
fn ak_lock_says_five_minutes_and_is_never_retried(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let id = some_job(&emu, kind);
    let c = client(&emu, kind);
    for prefix in [GatewayPrefix::Apigw, GatewayPrefix::Apig] {
        emu.update(|s| s.gateway.prefix = prefix);
        for endpoint in [Ep::Create, Ep::Job] {
            emu.reset_stats();
            emu.faults().inject(endpoint, Fault::AkLocked, 1);
            let err = match endpoint {
                Ep::Create => c.create_whole_image(&ecs("locked")).map(|_| ()),
                _ => c.job(&id).map(|_| ()),
            };
            let err = api(err.expect_err("locked"));
            assert_eq!(err.code, Some(format!("{}.0301", prefix.as_str())));
            let hint = err.hint.unwrap_or_default();
            assert!(
                hint.contains("locked") && hint.contains("5 minutes") && hint.contains("five"),
                "{prefix:?} {endpoint:?}: {hint}"
            );
            assert_eq!(
                emu.stats().requests_total,
                1,
                "{prefix:?} {endpoint:?}: retried"
            );
            assert_eq!(emu.stats().images_created, 0);
        }
    }
}

// ---- E11: Retry-After as an HTTP date ----

// Slow (sleeps on the clock): the blocking door and one async flavour only.
doors!(only [blocking, async_current_thread]: retry_after_http_date_is_honoured_and_capped);
fn retry_after_http_date_is_honoured_and_capped(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    emu.update(|s| s.gateway.retry_after_http_date = true);
    let capture = Capture::default();
    for (secs, cap, expected_ms) in [(2u64, 5u64, 2000u64), (30, 1, 1000)] {
        let c = builder(&emu)
            .retry_policy(RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_secs(cap),
            })
            .build_door(kind)
            .expect("builds");
        emu.faults().throttle_next(Ep::Create, 1, secs);
        capture.clear();
        capture
            .run(|| c.create_whole_image(&ecs("ra-date")))
            .expect("after the pause");
        let delays: Vec<String> = capture
            .with_message("transient error; retrying")
            .iter()
            .filter_map(|f| f.get("delay_ms").cloned())
            .collect();
        assert_eq!(
            delays,
            vec![expected_ms.to_string()],
            "Retry-After {secs} s"
        );
    }
}

// ---- J: create retries on a refused connection, the default policy ----

#[test]
fn default_retry_policy_is_pinned() {
    assert_eq!(
        RetryPolicy::default(),
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
        }
    );
}

// Slow (sleeps on the clock): the blocking door and one async flavour only.
doors!(only [blocking, async_current_thread]: create_on_a_refused_connection_is_tried_four_times_by_default);
fn create_on_a_refused_connection_is_tried_four_times_by_default(kind: DoorKind) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let c = Client::builder()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .project_id("0123456789abcdef0123456789abcdef")
        .credentials(Credentials::new("a", "b"))
        .build_door(kind)
        .expect("builds");
    let capture = Capture::default();
    let err = capture
        .run(|| c.create_whole_image(&ecs("refused")))
        .expect_err("nothing listens");
    assert!(
        matches!(err, Error::Transport { not_sent: true, .. }),
        "{err}"
    );
    let attempts: Vec<String> = capture
        .with_message("request failed")
        .iter()
        .filter_map(|f| f.get("attempt").cloned())
        .collect();
    assert_eq!(attempts, ["1", "2", "3", "4"]);
}
