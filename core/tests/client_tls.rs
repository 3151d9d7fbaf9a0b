//! HTTPS end to end: the client against the emulator serving TLS with a CA made at start-up,
//! trusted or not, with a certificate for another host or an expired one, and CA files that
//! cannot be read. Each client test runs through every door (`doors!`: blocking, async on
//! either runtime flavour).
//!
//! A TLS server of the test's own breaks the connection once it has read a request, and a
//! proxy of its own refuses the tunnel.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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

// ---- C13: a TLS failure after the request was written is not "nothing was sent" ----

/// What the stand-in TLS server does once it has read a whole request.
#[derive(Debug, Clone, Copy)]
enum AfterRequest {
    /// Sends an application-data record the client cannot decrypt (a bad record MAC).
    CorruptRecord,
    /// Sends a fatal alert (bad_record_mac), encrypted as a TLS 1.3 alert after the handshake is.
    FatalAlert,
}

/// A TLS server of the test's own: completes the handshake (its CA is [`TlsStandIn::ca_pem`]),
/// reads one whole request, then breaks the connection as `after` says.
struct TlsStandIn {
    url: String,
    ca_pem: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

/// A CA and a server certificate it signed for 127.0.0.1, and the server's key.
fn stand_in_certificates() -> (
    String,
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "stand-in CA");
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let key = KeyPair::generate().expect("server key");
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("server params");
    let cert = server
        .signed_by(&key, &ca_cert, &ca_key)
        .expect("server certificate");
    (
        ca_cert.pem(),
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
}

fn tls_stand_in(after: AfterRequest) -> TlsStandIn {
    let (ca_pem, chain, key) = stand_in_certificates();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server config"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").expect("bound");
    let url = format!("https://{}", listener.local_addr().expect("address"));
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let (seen, served) = (Arc::clone(&connections), Arc::clone(&requests));
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { break };
            seen.fetch_add(1, Ordering::SeqCst);
            let (config, served) = (Arc::clone(&config), Arc::clone(&served));
            std::thread::spawn(move || {
                // A failure here shows in the client's error, which the test checks.
                let _ = serve_then_break(tcp, config, after, &served);
            });
        }
    });
    TlsStandIn {
        url,
        ca_pem,
        connections,
        requests,
    }
}

fn serve_then_break(
    mut tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    after: AfterRequest,
    requests: &AtomicUsize,
) -> std::io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)?;
    }
    read_request(&mut rustls::Stream::new(&mut conn, &mut tcp))?;
    requests.fetch_add(1, Ordering::SeqCst);
    while conn.wants_write() {
        conn.write_tls(&mut tcp)?;
    }
    // An application-data record of 32 bytes that no key of this session encrypted.
    let mut bogus = vec![0x17, 0x03, 0x03, 0x00, 0x20];
    bogus.extend([0x5a; 32]);
    match after {
        AfterRequest::CorruptRecord => tcp.write_all(&bogus)?,
        AfterRequest::FatalAlert => {
            // Fed the bogus record, rustls fails to decrypt it and queues the fatal alert
            // (bad_record_mac) it sends its peer, encrypted with the session's keys.
            conn.read_tls(&mut bogus.as_slice())?;
            assert!(conn.process_new_packets().is_err(), "the record is refused");
            while conn.wants_write() {
                conn.write_tls(&mut tcp)?;
            }
        }
    }
    tcp.flush()?;
    // Until the client hangs up.
    let mut sink = [0u8; 1024];
    while tcp.read(&mut sink)? > 0 {}
    Ok(())
}

/// Reads one request: its head, then as many body bytes as its `Content-Length` says.
fn read_request(stream: &mut impl Read) -> std::io::Result<String> {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        got.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&got).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body)?;
    Ok(head)
}

/// A builder for `stand_in` that trusts its CA and reads no environment.
fn stand_in_builder(stand_in: &TlsStandIn) -> ClientBuilder {
    Client::builder()
        .endpoint(stand_in.url.as_str())
        .project_id("0123456789abcdef0123456789abcdef")
        .credentials(Credentials::new("AK", "SK"))
        .retry_policy(fast_retry())
        .timeout(Duration::from_secs(5))
        .env(EnvSource::from_map::<&str, &str>([]))
        .add_root_certificate_pem(stand_in.ca_pem.as_str())
}

doors!(a_tls_failure_after_the_request_was_sent_is_never_not_sent);
fn a_tls_failure_after_the_request_was_sent_is_never_not_sent(kind: DoorKind) {
    for after in [AfterRequest::CorruptRecord, AfterRequest::FatalAlert] {
        let stand_in = tls_stand_in(after);
        let c = stand_in_builder(&stand_in)
            .build_door(kind)
            .expect("client builds");
        let err = c
            .create_whole_image(&ecs("maybe-created"))
            .expect_err("the answer is broken");
        assert!(
            matches!(
                err,
                Error::Transport {
                    not_sent: false,
                    ..
                }
            ),
            "{after:?}: the request was written, so it may have been processed: {err:?}"
        );
        assert_eq!(err.kind(), ErrorKind::Transport);
        let text = err.to_string();
        assert!(text.contains("TLS"), "{after:?}: says it was TLS: {text}");
        assert!(!text.contains("handshake"), "{after:?}: {text}");
        assert_eq!(
            stand_in.requests.load(Ordering::SeqCst),
            1,
            "{after:?}: a create that may have been processed is never sent again: {err}"
        );
        assert_eq!(stand_in.connections.load(Ordering::SeqCst), 1, "{after:?}");
        // A read is sent again, as after any broken connection (four attempts).
        let err = c
            .job(&ims_core::JobId::new("0123456789abcdef0123456789abcdef").expect("id"))
            .expect_err("the answer is broken");
        assert!(
            matches!(
                err,
                Error::Transport {
                    not_sent: false,
                    ..
                }
            ),
            "{after:?}: {err:?}"
        );
        assert_eq!(stand_in.requests.load(Ordering::SeqCst), 1 + 4, "{after:?}");
    }
}

// ---- C14: a proxy that refuses the tunnel is named, with the host and its status ----

/// A proxy of the test's own: answers every CONNECT with `answer` and hangs up. Its address,
/// and the request heads it read.
fn refusing_proxy(answer: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bound");
    let addr = listener.local_addr().expect("address").to_string();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&heads);
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(mut tcp) = tcp else { break };
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
            if let Ok(head) = read_request(&mut tcp) {
                seen.lock().expect("heads").push(head);
                let _ = tcp.write_all(answer.as_bytes());
            }
        }
    });
    (addr, heads)
}

doors!(a_proxy_refusing_the_tunnel_is_named_with_the_host_and_its_status);
fn a_proxy_refusing_the_tunnel_is_named_with_the_host_and_its_status(kind: DoorKind) {
    const PASSWORD: &str = "wr0ng-Pass";
    const TARGET: &str = "ims.cn-north-4.myhuaweicloud.com";
    let answers = [
        (
            "HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\n\r\n",
            true,
        ),
        (
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n",
            true,
        ),
        ("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", false),
    ];
    for (answer, is_407) in answers {
        let (addr, heads) = refusing_proxy(answer);
        let proxy = format!("http://bob:{PASSWORD}@{addr}");
        let base = || {
            Client::builder()
                .endpoint(format!("https://{TARGET}"))
                .project_id("0123456789abcdef0123456789abcdef")
                .credentials(Credentials::new("AK", "SK"))
                .retry_policy(fast_retry())
                .timeout(Duration::from_secs(5))
        };
        let explicit = base()
            .env(EnvSource::from_map::<&str, &str>([]))
            .proxy(proxy.as_str());
        let from_env = base().env(EnvSource::from_map([("HTTPS_PROXY", proxy.as_str())]));
        for (how, b) in [("explicit", explicit), ("HTTPS_PROXY", from_env)] {
            let err = b
                .build_door(kind)
                .expect("client builds")
                .create_whole_image(&ecs("behind-a-proxy"))
                .expect_err("the proxy refuses");
            assert!(
                matches!(err, Error::Transport { not_sent: true, .. }),
                "{how}: {err:?}"
            );
            let text = err.to_string();
            let context = format!("{how}, {}: {text}", answer.lines().next().unwrap_or(""));
            assert!(text.contains(&addr), "names the proxy: {context}");
            assert!(text.contains(TARGET), "names the host: {context}");
            assert!(text.contains("proxy"), "{context}");
            for shown in [text.clone(), format!("{err:?}")] {
                assert!(!shown.contains(PASSWORD), "{context}: {shown}");
            }
            if is_407 {
                assert!(text.contains("407"), "{context}");
                assert!(
                    text.contains("check the proxy's user and password"),
                    "{context}"
                );
            } else {
                assert!(!text.contains("407"), "{context}");
            }
        }
        let heads = heads.lock().expect("heads");
        assert!(
            heads
                .iter()
                .all(|h| h.starts_with(&format!("CONNECT {TARGET}:443 "))),
            "{heads:?}"
        );
    }
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
