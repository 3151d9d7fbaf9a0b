//! HTTPS end to end: the client against the emulator serving TLS with a CA made at start-up,
//! trusted or not, with a certificate for another host or an expired one, and CA files that
//! cannot be read. Each client test runs through every door (`doors!`: blocking, async on
//! either runtime flavour).

mod common;

use std::time::Duration;

use ims_core::env::EnvSource;
use ims_core::{Client, ClientBuilder, Credentials, Error, ErrorKind, WaitOptions};
use ims_emulator::{Emulator, EmulatorConfig, ServerCertificate};

use common::*;

fn tls_emulator(certificate: ServerCertificate) -> Emulator {
    let config = EmulatorConfig::demo()
        .with_job_duration(Duration::from_millis(50))
        .with_tls(certificate)
        .expect("certificates are made");
    Emulator::start(config).expect("emulator starts")
}

/// A builder for `emu` that reads no environment (so no CA bundle variable of the machine).
fn tls_builder(emu: &Emulator) -> ClientBuilder {
    builder(emu).env(EnvSource::from_map::<&str, &str>([]))
}

fn trusting(emu: &Emulator, kind: DoorKind) -> Door {
    tls_builder(emu)
        .add_root_certificate_pem(emu.ca_pem().expect("serves TLS"))
        .build_door(kind)
        .expect("client builds")
}

fn quick_wait() -> WaitOptions {
    WaitOptions::fixed(Duration::from_millis(10), Duration::from_secs(10))
}

#[test]
fn the_emulator_serves_https_with_a_ca_of_its_own() {
    let emu = tls_emulator(ServerCertificate::Valid);
    assert!(emu.url().starts_with("https://127.0.0.1:"), "{}", emu.url());
    let pem = emu.ca_pem().expect("a CA");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let plain = emulator(Duration::ZERO);
    assert!(plain.url().starts_with("http://"));
    assert_eq!(plain.ca_pem(), None);
}

doors!(with_the_ca_create_and_wait_succeed_over_tls);
fn with_the_ca_create_and_wait_succeed_over_tls(kind: DoorKind) {
    let emu = tls_emulator(ServerCertificate::Valid);
    let c = trusting(&emu, kind);
    let id = c.create_whole_image(&ecs("over-tls")).expect("created");
    let job = c.wait(&id, &quick_wait()).expect("succeeds");
    assert_eq!(job.status.as_str(), "SUCCESS");
    assert_eq!(emu.stats().create_accepted, 1);
}

/// The transport error of a create against `emu` with `client`, and the emulator's counters.
fn refused(emu: &Emulator, c: &Door) -> String {
    let err = c
        .create_whole_image(&ecs("refused"))
        .expect_err("the certificate is refused");
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    let stats = emu.stats();
    assert_eq!(stats.requests_total, 0, "no request got through: {err}");
    assert_eq!(stats.images_created, 0);
    assert_eq!(
        stats.connections, 1,
        "a certificate problem is not retried: {err}"
    );
    err.to_string()
}

doors!(without_the_ca_the_error_says_the_certificate_is_not_trusted);
fn without_the_ca_the_error_says_the_certificate_is_not_trusted(kind: DoorKind) {
    let emu = tls_emulator(ServerCertificate::Valid);
    let c = tls_builder(&emu).build_door(kind).expect("client builds");
    let message = refused(&emu, &c);
    assert!(message.contains("not trusted"), "{message}");
    assert!(message.contains("CA"), "{message}");
    assert!(!message.contains("error sending request"), "{message}");
}

doors!(a_certificate_for_another_host_is_refused_naming_the_mismatch);
fn a_certificate_for_another_host_is_refused_naming_the_mismatch(kind: DoorKind) {
    let emu = tls_emulator(ServerCertificate::OtherHost);
    let message = refused(&emu, &trusting(&emu, kind));
    assert!(message.contains("not valid for 127.0.0.1"), "{message}");
    assert!(message.contains(ims_emulator::OTHER_HOST_NAME), "{message}");
}

doors!(an_expired_certificate_is_refused);
fn an_expired_certificate_is_refused(kind: DoorKind) {
    let emu = tls_emulator(ServerCertificate::Expired);
    let message = refused(&emu, &trusting(&emu, kind));
    assert!(message.contains("expired"), "{message}");
}

doors!(a_wait_stops_at_once_on_a_certificate_problem);
fn a_wait_stops_at_once_on_a_certificate_problem(kind: DoorKind) {
    let emu = tls_emulator(ServerCertificate::Valid);
    let id = trusting(&emu, kind)
        .create_whole_image(&ecs("then-untrusted"))
        .expect("created");
    let untrusted = tls_builder(&emu).build_door(kind).expect("client builds");
    emu.reset_stats();
    let err = untrusted
        .wait(&id, &quick_wait())
        .expect_err("refused, not tolerated as a passing glitch");
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(emu.stats().connections, 1, "{err}");
}

doors!(a_hundred_polls_over_tls_use_one_connection);
fn a_hundred_polls_over_tls_use_one_connection(kind: DoorKind) {
    let emu = tls_emulator(ServerCertificate::Valid);
    emu.update(|s| s.job_duration = Duration::from_secs(3600));
    let c = trusting(&emu, kind);
    let id = c.create_whole_image(&ecs("reuse")).expect("created");
    for _ in 0..100 {
        c.job(&id).expect("polled");
    }
    let stats = emu.stats();
    assert_eq!(stats.requests_total, 101);
    // One, or two on a multi-thread runtime (see `sequential_connections`).
    assert!(
        stats.connections <= sequential_connections(kind),
        "{} connections",
        stats.connections
    );
}

doors!(plain_http_to_a_remote_host_is_refused_before_connecting);
fn plain_http_to_a_remote_host_is_refused_before_connecting(kind: DoorKind) {
    let err = Client::builder()
        .endpoint("http://ims.cn-north-4.myhuaweicloud.com")
        .credentials(Credentials::new("AK", "SK"))
        .build_door(kind)
        .expect_err("https is required");
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.to_string().contains("https"), "{err}");
}

doors!(a_pem_without_any_certificate_is_a_config_error);
fn a_pem_without_any_certificate_is_a_config_error(kind: DoorKind) {
    let emu = tls_emulator(ServerCertificate::Valid);
    for pem in [
        "",
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        // Good base64, but not DER: "not a certificate".
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    ] {
        let err = tls_builder(&emu)
            .add_root_certificate_pem(pem)
            .build_door(kind)
            .expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Config, "{pem:?}: {err}");
        assert!(err.to_string().contains("CA certificate"), "{err}");
    }
    assert_eq!(emu.stats().connections, 0);
}

doors!(the_ca_of_another_emulator_is_not_trusted);
fn the_ca_of_another_emulator_is_not_trusted(kind: DoorKind) {
    // A stale --ca-out file from an earlier run: the same names, another key.
    let emu = tls_emulator(ServerCertificate::Valid);
    let other = tls_emulator(ServerCertificate::Valid);
    let c = tls_builder(&emu)
        .add_root_certificate_pem(other.ca_pem().expect("a CA"))
        .build_door(kind)
        .expect("client builds");
    let message = refused(&emu, &c);
    assert!(message.contains("not trusted"), "{message}");
}

doors!(a_ca_file_is_read_and_trusted);
fn a_ca_file_is_read_and_trusted(kind: DoorKind) {
    let emu = tls_emulator(ServerCertificate::Valid);
    let dir = tempdir();
    let path = dir.join("ca.pem");
    std::fs::write(&path, emu.ca_pem().expect("a CA")).expect("written");
    let c = tls_builder(&emu)
        .add_root_certificate_file(&path)
        .build_door(kind)
        .expect("client builds");
    c.create_whole_image(&ecs("ca-file")).expect("created");
}

doors!(an_unreadable_or_malformed_ca_file_is_a_config_error_naming_the_file);
fn an_unreadable_or_malformed_ca_file_is_a_config_error_naming_the_file(kind: DoorKind) {
    let emu = tls_emulator(ServerCertificate::Valid);
    let dir = tempdir();
    let missing = dir.join("missing.pem");
    let garbage = dir.join("garbage.pem");
    std::fs::write(&garbage, "hello\n").expect("written");
    let not_der = dir.join("not-der.pem");
    std::fs::write(
        &not_der,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    )
    .expect("written");
    for path in [&missing, &garbage, &dir, &not_der] {
        let err = tls_builder(&emu)
            .add_root_certificate_file(path)
            .build_door(kind)
            .expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }
    assert_eq!(emu.stats().connections, 0);
}

doors!(the_ca_bundle_variables_are_honoured_in_order);
fn the_ca_bundle_variables_are_honoured_in_order(kind: DoorKind) {
    let emu = tls_emulator(ServerCertificate::Valid);
    let dir = tempdir();
    let good = dir.join("ca.pem");
    std::fs::write(&good, emu.ca_pem().expect("a CA")).expect("written");
    let good = good.display().to_string();
    let missing = dir.join("missing.pem").display().to_string();
    // Each variable alone is read.
    for var in ["IMS_CA_FILE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"] {
        let c = builder(&emu)
            .env(EnvSource::from_map([(var, good.as_str())]))
            .build_door(kind)
            .expect("client builds");
        c.create_whole_image(&ecs("env-ca"))
            .unwrap_or_else(|e| panic!("{var}: {e}"));
    }
    // IMS_CA_FILE comes first: the others are not read when it is set.
    let c = builder(&emu)
        .env(EnvSource::from_map([
            ("IMS_CA_FILE", good.as_str()),
            ("REQUESTS_CA_BUNDLE", missing.as_str()),
        ]))
        .build_door(kind)
        .expect("client builds");
    c.create_whole_image(&ecs("env-ca-first")).expect("created");
    // A variable naming a file that cannot be read is a config error naming both.
    let err = builder(&emu)
        .env(EnvSource::from_map([("SSL_CERT_FILE", missing.as_str())]))
        .build_door(kind)
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.to_string().contains("SSL_CERT_FILE"), "{err}");
    assert!(err.to_string().contains(&missing), "{err}");
}

doors!(the_transport_error_is_classified_for_every_door);
fn the_transport_error_is_classified_for_every_door(kind: DoorKind) {
    let emu = tls_emulator(ServerCertificate::Valid);
    let err = tls_builder(&emu)
        .build_door(kind)
        .expect("client builds")
        .job(&ims_core::JobId::new("0123456789abcdef0123456789abcdef").expect("id"))
        .expect_err("untrusted");
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Transport);
}

/// A fresh directory under the system temp dir, removed at exit of the test process.
fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ims-tls-test-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
