//! The waiter's options and pacing, connections the server closes, and the connection and
//! cache rules around instance metadata, proxies and the project-id lookup (issue #11: E10,
//! F13, F14 and the pinned defaults of J).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ims_core::client::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, RetryPolicy};
use ims_core::credentials::{CredentialProvider, MetadataProvider};
use ims_core::env::EnvSource;
use ims_core::model::WholeImageRequest;
use ims_core::{Client, ClientBuilder, Credentials, Error, ErrorKind, JobId, WaitOptions};
use ims_emulator::{Emulator, EmulatorConfig, Endpoint as Ep, Fault};

const INSTANCE: &str = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
const VAULT: &str = "de9fcf45-11b2-432c-8562-5c5428574600";
const UNKNOWN_JOB: &str = "ffffffffffffffffffffffffffffffff";

fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).expect("emulator starts")
}

fn builder(emu: &Emulator) -> ClientBuilder {
    let cfg = EmulatorConfig::demo();
    Client::builder()
        .endpoint(emu.url())
        .project_id(emu.project_id())
        .credentials(Credentials::new(cfg.ak, cfg.sk))
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(5))
}

fn ecs(name: &str) -> WholeImageRequest {
    WholeImageRequest::from_ecs(name, INSTANCE, VAULT)
        .build()
        .expect("valid request")
}

fn unknown_job() -> JobId {
    JobId::new(UNKNOWN_JOB).expect("job id")
}

fn validation_fields(err: &Error) -> Vec<String> {
    match err {
        Error::Validation(v) => v.fields().iter().map(|f| (*f).to_owned()).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// Options that break exactly one rule, with the field that must be named.
fn bad_wait_options() -> Vec<(&'static str, WaitOptions)> {
    let ok = WaitOptions::fixed(Duration::from_millis(10), Duration::from_secs(1));
    let year = Duration::from_secs(367 * 24 * 3600);
    vec![
        (
            "interval",
            WaitOptions {
                interval: Duration::ZERO,
                ..ok
            },
        ),
        (
            "interval",
            WaitOptions {
                interval: year,
                ..ok
            },
        ),
        (
            "interval",
            WaitOptions {
                interval: Duration::MAX,
                ..ok
            },
        ),
        (
            "first_delay",
            WaitOptions {
                first_delay: Duration::MAX,
                ..ok
            },
        ),
        (
            "max_interval",
            WaitOptions {
                max_interval: year,
                ..ok
            },
        ),
        (
            "timeout",
            WaitOptions {
                timeout: Duration::MAX,
                ..ok
            },
        ),
        (
            "tick",
            WaitOptions {
                tick: Duration::ZERO,
                ..ok
            },
        ),
        ("tick", WaitOptions { tick: year, ..ok }),
        (
            "backoff",
            WaitOptions {
                backoff: f64::NAN,
                ..ok
            },
        ),
        (
            "backoff",
            WaitOptions {
                backoff: f64::INFINITY,
                ..ok
            },
        ),
        (
            "backoff",
            WaitOptions {
                backoff: -1.5,
                ..ok
            },
        ),
        ("backoff", WaitOptions { backoff: 0.5, ..ok }),
        (
            "backoff",
            WaitOptions {
                backoff: 1000.0,
                ..ok
            },
        ),
        (
            "jitter",
            WaitOptions {
                jitter: f64::NAN,
                ..ok
            },
        ),
        (
            "jitter",
            WaitOptions {
                jitter: f64::NEG_INFINITY,
                ..ok
            },
        ),
        ("jitter", WaitOptions { jitter: -0.1, ..ok }),
        ("jitter", WaitOptions { jitter: 1.5, ..ok }),
    ]
}

// ---------------------------------------------------------------- E10: wait options

#[test]
fn wait_options_validate_names_each_bad_field() {
    assert!(WaitOptions::default().validate().is_ok());
    assert!(
        WaitOptions::fixed(Duration::from_millis(1), Duration::from_secs(1))
            .validate()
            .is_ok()
    );
    for (field, options) in bad_wait_options() {
        let err = options.validate().expect_err(field);
        assert_eq!(err.kind(), ErrorKind::Validation, "{field}");
        assert_eq!(
            validation_fields(&err),
            vec![field.to_owned()],
            "{options:?}"
        );
        assert!(err.to_string().contains(field), "{err}");
    }
    // Several bad fields are all reported at once.
    let err = WaitOptions {
        interval: Duration::ZERO,
        jitter: f64::NAN,
        ..WaitOptions::default()
    }
    .validate()
    .expect_err("two bad fields");
    assert_eq!(validation_fields(&err), vec!["interval", "jitter"]);
}

#[test]
fn wait_with_bad_options_sends_nothing() {
    let emu = start(EmulatorConfig::demo());
    let c = builder(&emu).build().expect("client");
    for (field, options) in bad_wait_options() {
        let err = c.wait(&unknown_job(), &options).expect_err(field);
        assert_eq!(err.kind(), ErrorKind::Validation, "{field}: {err}");
        assert!(err.to_string().contains(field), "{err}");
    }
    assert_eq!(emu.stats().requests_total, 0, "nothing may be sent");
}

#[test]
fn retry_policy_is_validated_at_build() {
    let emu = start(EmulatorConfig::demo());
    let cases = [
        (
            "max_attempts",
            RetryPolicy {
                max_attempts: 0,
                ..RetryPolicy::default()
            },
        ),
        (
            "max_attempts",
            RetryPolicy {
                max_attempts: 101,
                ..RetryPolicy::default()
            },
        ),
        (
            "base_delay",
            RetryPolicy {
                base_delay: Duration::MAX,
                ..RetryPolicy::default()
            },
        ),
        (
            "max_delay",
            RetryPolicy {
                max_delay: Duration::from_secs(367 * 24 * 3600),
                ..RetryPolicy::default()
            },
        ),
    ];
    for (field, policy) in cases {
        assert_eq!(
            validation_fields(&policy.validate().expect_err(field)),
            vec![field.to_owned()]
        );
        let err = builder(&emu).retry_policy(policy).build().expect_err(field);
        assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
        assert!(err.to_string().contains(field), "{err}");
    }
    assert!(RetryPolicy::default().validate().is_ok());
    assert!(RetryPolicy::none().validate().is_ok());
    assert_eq!(emu.stats().requests_total, 0);
}

#[test]
fn throttled_wait_honours_retry_after() {
    // Every poll is throttled with `Retry-After: 1`; the wait polls every 10 ms otherwise. In
    // 1.5 s a waiter that honours the header polls at 0 s, 1 s and 1.5 s (its timeout).
    let emu = start(EmulatorConfig::demo());
    emu.faults().throttle_next(Ep::Job, 1000, 1);
    let c = builder(&emu).build().expect("client");
    let options = WaitOptions {
        transient_error_budget: 1000,
        ..WaitOptions::fixed(Duration::from_millis(10), Duration::from_millis(1500))
    };
    let err = c.wait(&unknown_job(), &options).expect_err("throttled");
    assert_eq!(err.kind(), ErrorKind::WaitTimeout, "{err}");
    let polls = emu.stats().requests_total;
    assert!((1..=3).contains(&polls), "{polls} polls in 1.5 s");
}

#[test]
fn wait_sleeps_at_least_the_retry_backoff_after_a_transient_error() {
    // Every poll answers 500. The retry policy's backoff (≥ 1/4 of 400 ms doubling, capped at
    // 1 s) spaces the polls, not the wait's 10 ms interval: at most 6 polls fit in 1 s.
    let emu = start(EmulatorConfig::demo());
    emu.faults().inject(Ep::Job, Fault::InternalError, 1000);
    let c = builder(&emu)
        .retry_policy(RetryPolicy {
            max_attempts: 1,
            base_delay: Duration::from_millis(400),
            max_delay: Duration::from_secs(1),
        })
        .build()
        .expect("client");
    let options = WaitOptions {
        transient_error_budget: 1000,
        ..WaitOptions::fixed(Duration::from_millis(10), Duration::from_secs(1))
    };
    let err = c.wait(&unknown_job(), &options).expect_err("failing");
    assert_eq!(err.kind(), ErrorKind::WaitTimeout, "{err}");
    let polls = emu.stats().requests_total;
    assert!((1..=6).contains(&polls), "{polls} polls in 1 s");
}

// ---------------------------------------------------------------- J: pinned defaults

#[test]
fn documented_defaults_are_the_readme_numbers() {
    // README "Waiting, retries and clocks" and the client settings table, as literal numbers.
    let d = WaitOptions::default();
    assert_eq!(d.first_delay, Duration::from_secs(10), "first delay 10 s");
    assert_eq!(d.interval, Duration::from_secs(10), "interval 10 s");
    assert_eq!(d.backoff, 1.5, "growing ×1.5");
    assert_eq!(d.max_interval, Duration::from_secs(60), "cap 60 s");
    assert_eq!(d.jitter, 0.1, "±10 % jitter");
    assert_eq!(d.timeout, Duration::from_secs(3600), "60 minutes");
    assert_eq!(d.transient_error_budget, 10, "10 transient errors");
    assert_eq!(
        DEFAULT_CONNECT_TIMEOUT,
        Duration::from_secs(10),
        "connect 10 s"
    );
    assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(30), "exchange 30 s");
}

// ---------------------------------------------------------------- F13: closed connections

#[test]
fn idle_closed_connection_is_not_reused_for_a_create() {
    let emu = start(EmulatorConfig {
        idle_close_ms: Some(150),
        ..EmulatorConfig::demo().with_job_duration(Duration::ZERO)
    });
    let c = builder(&emu).build().expect("client");
    for round in 1..=3u64 {
        let err = c.job(&unknown_job()).expect_err("unknown job");
        assert_eq!(err.api().map(|a| a.status), Some(404), "{err}");
        std::thread::sleep(Duration::from_millis(600));
        c.create_whole_image(&ecs("after-idle"))
            .unwrap_or_else(|e| panic!("round {round}: create after an idle close: {e}"));
        let stats = emu.stats();
        assert_eq!(stats.images_created, round, "exactly one image per create");
        assert_eq!(
            stats.connections,
            round + 1,
            "the server closed the idle one"
        );
    }
}

#[test]
fn close_after_answer_twenty_creates_make_twenty_images() {
    let emu = start(EmulatorConfig {
        close_after_answer: true,
        ..EmulatorConfig::demo().with_job_duration(Duration::ZERO)
    });
    let c = builder(&emu).build().expect("client");
    for i in 0..20 {
        c.create_whole_image(&ecs(&format!("closing-{i}")))
            .unwrap_or_else(|e| panic!("create {i}: {e}"));
    }
    let stats = emu.stats();
    assert_eq!((stats.images_created, stats.create_accepted), (20, 20));
    assert_eq!(stats.connections, 20, "one connection per answer");
}

#[test]
fn emulator_switches_change_at_runtime() {
    let emu = start(EmulatorConfig::demo());
    let c = builder(&emu).build().expect("client");
    emu.set_close_after_answer(true);
    for _ in 0..3 {
        c.job(&unknown_job()).expect_err("404");
    }
    assert_eq!(emu.stats().connections, 3);
    emu.set_close_after_answer(false);
    emu.set_idle_close_ms(None);
    emu.reset_stats();
    for _ in 0..3 {
        c.job(&unknown_job()).expect_err("404");
    }
    assert_eq!(emu.stats().connections, 1, "kept alive again");
}

#[test]
fn pool_idle_timeout_retires_idle_connections() {
    let emu = start(EmulatorConfig::demo());
    let short = builder(&emu)
        .pool_idle_timeout(Duration::from_millis(100))
        .build()
        .expect("client");
    short.job(&unknown_job()).expect_err("404");
    std::thread::sleep(Duration::from_millis(400));
    short.job(&unknown_job()).expect_err("404");
    assert_eq!(
        emu.stats().connections,
        2,
        "idle longer than the pool keeps it"
    );
    emu.reset_stats();
    let default = builder(&emu).build().expect("client");
    default.job(&unknown_job()).expect_err("404");
    std::thread::sleep(Duration::from_millis(400));
    default.job(&unknown_job()).expect_err("404");
    assert_eq!(emu.stats().connections, 1, "reused within the default");
}

