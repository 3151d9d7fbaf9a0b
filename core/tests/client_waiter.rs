//! The waiter's options and pacing, connections the server closes, and the connection and
//! cache rules around instance metadata, proxies and the project-id lookup (issue #11: E10,
//! F13, F14 and the pinned defaults of J). Each client test runs through every door (`doors!`:
//! blocking, async on either runtime flavour; the slowest skip the multi-thread one).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ims_core::client::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_TIMEOUT, RetryPolicy,
};
use ims_core::credentials::MetadataProvider;
use ims_core::env::EnvSource;
use ims_core::{Client, ClientBuilder, Credentials, Error, ErrorKind, JobId, WaitOptions};
use ims_emulator::{Api as Ep, Emulator, EmulatorConfig, Fault};

mod common;
use common::*;

const UNKNOWN_JOB: &str = "ffffffffffffffffffffffffffffffff";

fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).expect("emulator starts")
}

fn builder(emu: &Emulator) -> ClientBuilder {
    builder_with(emu, RetryPolicy::none())
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

doors!(wait_with_bad_options_sends_nothing);
fn wait_with_bad_options_sends_nothing(kind: DoorKind) {
    let emu = start(EmulatorConfig::demo());
    let c = builder(&emu).build_door(kind).expect("client");
    for (field, options) in bad_wait_options() {
        let err = c.wait(&unknown_job(), &options).expect_err(field);
        assert_eq!(err.kind(), ErrorKind::Validation, "{field}: {err}");
        assert!(err.to_string().contains(field), "{err}");
    }
    assert_eq!(emu.stats().requests_total, 0, "nothing may be sent");
}

doors!(retry_policy_is_validated_at_build);
fn retry_policy_is_validated_at_build(kind: DoorKind) {
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
        let err = builder(&emu)
            .retry_policy(policy)
            .build_door(kind)
            .expect_err(field);
        assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
        assert!(err.to_string().contains(field), "{err}");
    }
    assert!(RetryPolicy::default().validate().is_ok());
    assert!(RetryPolicy::none().validate().is_ok());
    assert_eq!(emu.stats().requests_total, 0);
}

// Slow (sleeps on the clock): the blocking door and one async flavour only.
doors!(only [blocking, async_current_thread]: throttled_wait_honours_retry_after);
fn throttled_wait_honours_retry_after(kind: DoorKind) {
    // Every poll is throttled with `Retry-After: 1`; the wait polls every 10 ms otherwise. In
    // 1.5 s a waiter that honours the header polls at 0 s, 1 s and 1.5 s (its timeout).
    let emu = start(EmulatorConfig::demo());
    emu.faults().throttle_next(Ep::Job, 1000, 1);
    let c = builder(&emu).build_door(kind).expect("client");
    let options = WaitOptions {
        transient_error_budget: 1000,
        ..WaitOptions::fixed(Duration::from_millis(10), Duration::from_millis(1500))
    };
    let err = c.wait(&unknown_job(), &options).expect_err("throttled");
    assert_eq!(err.kind(), ErrorKind::WaitTimeout, "{err}");
    let polls = emu.stats().requests_total;
    assert!((1..=3).contains(&polls), "{polls} polls in 1.5 s");
}

// Slow (sleeps on the clock): the blocking door and one async flavour only.
doors!(only [blocking, async_current_thread]: wait_sleeps_at_least_the_retry_backoff_after_a_transient_error);
fn wait_sleeps_at_least_the_retry_backoff_after_a_transient_error(kind: DoorKind) {
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
        .build_door(kind)
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
    assert_eq!(
        DEFAULT_POOL_IDLE_TIMEOUT,
        Duration::from_secs(50),
        "idle connections 50 s"
    );
}

// ---------------------------------------------------------------- F13: closed connections

// Slow (sleeps on the clock): the blocking door and one async flavour only.
doors!(only [blocking, async_current_thread]: idle_closed_connection_is_not_reused_for_a_create);
fn idle_closed_connection_is_not_reused_for_a_create(kind: DoorKind) {
    let mut cfg = EmulatorConfig::demo().with_job_duration(Duration::ZERO);
    cfg.settings.idle_close_ms = Some(150);
    let emu = start(cfg);
    let c = builder(&emu).build_door(kind).expect("client");
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

doors!(close_after_answer_twenty_creates_make_twenty_images);
fn close_after_answer_twenty_creates_make_twenty_images(kind: DoorKind) {
    let mut cfg = EmulatorConfig::demo().with_job_duration(Duration::ZERO);
    cfg.settings.close_after_answer = true;
    let emu = start(cfg);
    let c = builder(&emu).build_door(kind).expect("client");
    for i in 0..20 {
        c.create_whole_image(&ecs(&format!("closing-{i}")))
            .unwrap_or_else(|e| panic!("create {i}: {e}"));
    }
    let stats = emu.stats();
    assert_eq!((stats.images_created, stats.create_accepted), (20, 20));
    assert_eq!(stats.connections, 20, "one connection per answer");
}

doors!(emulator_switches_change_at_runtime);
fn emulator_switches_change_at_runtime(kind: DoorKind) {
    let emu = start(EmulatorConfig::demo());
    let c = builder(&emu).build_door(kind).expect("client");
    emu.update(|s| s.close_after_answer = true);
    for _ in 0..3 {
        c.job(&unknown_job()).expect_err("404");
    }
    assert_eq!(emu.stats().connections, 3);
    emu.update(|s| {
        s.close_after_answer = false;
        s.idle_close_ms = None;
    });
    emu.reset_stats();
    for _ in 0..3 {
        c.job(&unknown_job()).expect_err("404");
    }
    let connections = emu.stats().connections;
    assert!(
        connections <= sequential_connections(kind),
        "kept alive again: {connections} connections"
    );
}

// Slow (sleeps on the clock): the blocking door and one async flavour only.
doors!(only [blocking, async_current_thread]: pool_idle_timeout_retires_idle_connections);
fn pool_idle_timeout_retires_idle_connections(kind: DoorKind) {
    let emu = start(EmulatorConfig::demo());
    let short = builder(&emu)
        .pool_idle_timeout(Duration::from_millis(100))
        .build_door(kind)
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
    let default = builder(&emu).build_door(kind).expect("client");
    default.job(&unknown_job()).expect_err("404");
    std::thread::sleep(Duration::from_millis(400));
    default.job(&unknown_job()).expect_err("404");
    let connections = emu.stats().connections;
    assert!(
        connections <= sequential_connections(kind),
        "reused within the default: {connections} connections"
    );
}

// ---------------------------------------------------------------- F14: metadata, proxy, cache

/// A one-shot-per-connection HTTP server on loopback: answers every request with `answer(head)`
/// and counts them. Returns its address, the request lines seen, and the count.
fn fake_server(
    answer: impl Fn(&str) -> String + Send + 'static,
) -> (SocketAddr, Arc<Mutex<Vec<String>>>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let hits = Arc::new(AtomicUsize::new(0));
    let (l2, h2) = (Arc::clone(&lines), Arc::clone(&hits));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            h2.fetch_add(1, Ordering::SeqCst);
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                match stream.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            l2.lock()
                .expect("lines")
                .push(head.lines().next().unwrap_or_default().to_owned());
            let _ = stream.write_all(answer(&head).as_bytes());
        }
    });
    (addr, lines, hits)
}

fn http_answer(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

doors!(metadata_redirect_is_not_followed);
fn metadata_redirect_is_not_followed(kind: DoorKind) {
    let (target, _, target_hits) = fake_server(|_| http_answer("200 OK", "", "{}"));
    let (meta, lines, _) = fake_server(move |_| {
        http_answer(
            "302 Found",
            &format!("Location: http://{target}/openstack/latest/securitykey\r\n"),
            "",
        )
    });
    let provider = MetadataProvider::new(format!("http://{meta}"));
    let err = kind
        .credentials_of(&provider)
        .expect_err("a redirect is refused");
    assert_eq!(err.kind(), ErrorKind::Credentials);
    let text = err.to_string();
    assert!(text.contains("302") && text.contains("redirect"), "{text}");
    assert_eq!(
        target_hits.load(Ordering::SeqCst),
        0,
        "the redirect target saw nothing"
    );
    assert_eq!(
        lines.lock().expect("lines").len(),
        1,
        "one request, not followed"
    );
}

doors!(env_proxy_is_used_for_remote_iam_but_not_for_loopback_ims);
fn env_proxy_is_used_for_remote_iam_but_not_for_loopback_ims(kind: DoorKind) {
    // The project cache is process-wide, keyed by AK, region and IAM URL: an AK per door.
    let ak = format!("PROXYAK1{}", kind.tag());
    let emu = start(EmulatorConfig::demo().with_credentials(&ak, "proxy-sk-1"));
    let project = emu.project_id();
    let body = format!(r#"{{"projects":[{{"id":"{project}","name":"cn-north-4"}}]}}"#);
    let (proxy, lines, hits) = fake_server(move |_| http_answer("200 OK", "", &body));
    let env = EnvSource::from_map([("HTTP_PROXY", format!("http://{proxy}"))]);
    let c = Client::builder()
        .endpoint(emu.url())
        .region("cn-north-4")
        .iam_endpoint("http://iam.cn-north-4.example.invalid")
        .allow_http(true)
        .env(env)
        .credentials(Credentials::new(ak, "proxy-sk-1"))
        .retry_policy(RetryPolicy::none())
        .build_door(kind)
        .expect("client");
    let err = c.job(&unknown_job()).expect_err("unknown job");
    assert_eq!(err.api().map(|a| a.status), Some(404), "{err}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the IAM lookup went through the proxy"
    );
    let seen = lines.lock().expect("lines").clone();
    assert!(
        seen[0]
            .starts_with("GET http://iam.cn-north-4.example.invalid/v3/projects?name=cn-north-4"),
        "{seen:?}"
    );
    let stats = emu.stats();
    assert_eq!(
        stats.requests_total, 1,
        "IMS reached directly: {:?}",
        stats.requests
    );
}

doors!(env_no_proxy_is_honoured);
fn env_no_proxy_is_honoured(kind: DoorKind) {
    let (proxy, _, hits) = fake_server(|_| http_answer("502 Bad Gateway", "", "{}"));
    let ak = format!("PROXYAK2{}", kind.tag());
    let emu = start(EmulatorConfig::demo().with_credentials(&ak, "proxy-sk-2"));
    let env = EnvSource::from_map([
        ("HTTPS_PROXY", format!("http://{proxy}")),
        ("HTTP_PROXY", format!("http://{proxy}")),
        ("NO_PROXY", "example.invalid".to_owned()),
    ]);
    let c = Client::builder()
        .endpoint(emu.url())
        .region("cn-north-4")
        .iam_endpoint("http://iam.cn-north-4.example.invalid")
        .allow_http(true)
        .env(env)
        .credentials(Credentials::new(ak, "proxy-sk-2"))
        .retry_policy(RetryPolicy::none())
        .build_door(kind)
        .expect("client");
    c.project_id()
        .expect_err("no such host, and no proxy for it");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

fn lookup_client(emu: &Emulator, ak: &str, sk: &str, kind: DoorKind) -> Door {
    Client::builder()
        .endpoint(emu.url())
        .region("cn-north-4")
        .iam_endpoint(emu.url())
        .credentials(Credentials::new(ak, sk))
        .retry_policy(RetryPolicy::none())
        .build_door(kind)
        .expect("client")
}

doors!(project_cache_is_keyed_by_the_iam_endpoint);
fn project_cache_is_keyed_by_the_iam_endpoint(kind: DoorKind) {
    let (ak, sk) = (format!("CACHEKEYAK1{}", kind.tag()), "cache-key-sk-1");
    let a = start(EmulatorConfig::demo().with_credentials(&ak, sk));
    let b = start(
        EmulatorConfig::demo()
            .with_credentials(&ak, sk)
            .with_project_id("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
    );
    let ca = lookup_client(&a, &ak, sk, kind);
    let cb = lookup_client(&b, &ak, sk, kind);
    assert_eq!(ca.project_id().expect("a"), a.project_id());
    assert_eq!(
        cb.project_id().expect("b"),
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    );
    let err = cb.job(&unknown_job()).expect_err("unknown job");
    assert_eq!(err.api().map(|x| x.status), Some(404), "{err}");
    assert_eq!(b.stats().count("GET", "/v3/projects", 200), 1);
    // A third client of the same key is served from the cache.
    assert_eq!(
        lookup_client(&a, &ak, sk, kind).project_id().expect("a"),
        a.project_id()
    );
    assert_eq!(a.stats().count("GET", "/v3/projects", 200), 1);
}

// Slow (sleeps on the clock): the blocking door and one async flavour only.
doors!(only [blocking, async_current_thread]: project_lookup_holds_no_lock_while_iam_is_slow);
fn project_lookup_holds_no_lock_while_iam_is_slow(kind: DoorKind) {
    let (ak, sk) = (format!("LOCKAK1{}", kind.tag()), "lock-sk-1");
    let emu = start(EmulatorConfig::demo().with_credentials(&ak, sk));
    emu.faults()
        .inject(Ep::Iam, Fault::Delay(Duration::from_secs(2)), 1);
    let c = lookup_client(&emu, &ak, sk, kind);
    std::thread::scope(|s| {
        // On the async door both calls are futures in flight on the one runtime at once.
        let slow = s.spawn(|| c.project_id());
        std::thread::sleep(Duration::from_millis(300));
        // While the lookup is in flight, a dry run of the same client is not held up by it: it
        // shows the placeholder, not the id the lookup brings back later.
        let preview = c.preview_create(&ecs("dry")).expect("preview");
        let shown = preview
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-project-id"))
            .map(|(_, v)| v.clone());
        assert_eq!(shown.as_deref(), Some("<looked up in IAM when sent>"));
        assert_eq!(slow.join().expect("thread").expect("id"), emu.project_id());
    });
}
