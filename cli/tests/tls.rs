//! HTTPS through the CLI: `ims emulator --tls`, `--ca-file`, the CA-bundle variables, and the
//! words of each refusal.

mod common;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ims_emulator::{Emulator, EmulatorConfig, OTHER_HOST_NAME, ServerCertificate};

use common::*;

fn tls_emulator(certificate: ServerCertificate) -> Emulator {
    let config = EmulatorConfig::demo()
        .with_job_duration(Duration::ZERO)
        .with_tls(certificate)
        .expect("certificates are made");
    Emulator::start(config).expect("emulator starts")
}

/// A fresh file path under the temp dir.
fn temp_path(name: &str) -> std::path::PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ims-cli-tls-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// The emulator's CA written to a file.
fn ca_file(emu: &Emulator) -> String {
    let path = temp_path("ca.pem");
    std::fs::write(&path, emu.ca_pem().expect("TLS")).expect("written");
    path.display().to_string()
}

fn create(cmd: &mut Command) -> (i32, String, String) {
    run(cmd.args([
        "create-whole-image",
        "--name",
        "over-tls",
        "--instance-id",
        INSTANCE,
        "--vault-id",
        VAULT,
        "--wait",
        "--interval",
        "0.01",
    ]))
}

#[test]
fn with_ca_file_create_and_wait_succeed() {
    let emu = tls_emulator(ServerCertificate::Valid);
    let ca = ca_file(&emu);
    let (code, out, err) = create(ims(Some(&emu)).args(["--ca-file", &ca]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("SUCCESS"), "{out}");
    // The variable does the same.
    let (code, out, err) = create(ims(Some(&emu)).env("IMS_CA_FILE", &ca));
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = create(ims(Some(&emu)).env("REQUESTS_CA_BUNDLE", &ca));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(emu.stats().create_accepted, 3);
}

#[test]
fn without_the_ca_the_message_says_not_trusted() {
    let emu = tls_emulator(ServerCertificate::Valid);
    let (code, out, err) = create(&mut ims(Some(&emu)));
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("not trusted"), "{err}");
    assert!(err.contains("--ca-file"), "the hint names the flag: {err}");
    assert_eq!(emu.stats().requests_total, 0);
}

#[test]
fn another_host_and_expired_certificates_are_refused_in_words() {
    for (kind, words) in [
        (ServerCertificate::OtherHost, OTHER_HOST_NAME),
        (ServerCertificate::Expired, "expired"),
    ] {
        let emu = tls_emulator(kind);
        let ca = ca_file(&emu);
        let (code, out, err) = create(ims(Some(&emu)).args(["--ca-file", &ca]));
        assert_eq!(code, 4, "{kind:?}: {out}{err}");
        assert!(err.contains(words), "{kind:?}: {err}");
        assert_eq!(emu.stats().connections, 1, "{kind:?}: not retried");
    }
}

#[test]
fn an_unreadable_ca_file_is_a_config_error_naming_it_and_nothing_is_sent() {
    let emu = tls_emulator(ServerCertificate::Valid);
    let missing = temp_path("missing.pem").display().to_string();
    let garbage = temp_path("garbage.pem");
    std::fs::write(&garbage, "not a certificate").expect("written");
    let garbage = garbage.display().to_string();
    for path in [&missing, &garbage] {
        let (code, out, err) = create(ims(Some(&emu)).args(["--ca-file", path]));
        assert_eq!(code, 3, "{out}{err}");
        assert!(err.contains(path.as_str()), "{err}");
        let (code, _, err) = create(ims(Some(&emu)).env("SSL_CERT_FILE", path));
        assert_eq!(code, 3, "{err}");
        assert!(err.contains("SSL_CERT_FILE"), "{err}");
    }
    assert_eq!(emu.stats().connections, 0);
}

#[test]
fn the_emulator_command_serves_tls_and_writes_its_ca() {
    let ca = temp_path("emulator-ca.pem");
    let mut child = bare()
        .args(["emulator", "--tls", "--job-seconds", "0"])
        .args(["--ca-out", &ca.display().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let url = first_line(&mut child);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let pem = std::fs::read_to_string(&ca).expect("the CA was written before the URL");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let (code, out, err) = create(ims(None).args([
        "--endpoint",
        &url,
        "--project-id",
        ims_emulator::DEMO_PROJECT_ID,
        "--ca-file",
        &ca.display().to_string(),
    ]));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn the_emulator_command_can_play_a_bad_certificate() {
    let mut child = bare()
        .args(["emulator", "--tls-certificate", "expired"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let url = first_line(&mut child);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        url.starts_with("https://"),
        "--tls-certificate implies --tls: {url}"
    );
    let (code, _, err) = run(bare().args(["emulator", "--tls-certificate", "mauve"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("other-host"), "the kinds are listed: {err}");
    let (code, _, err) = run(bare().args(["emulator", "--ca-out", "/nonexistent-dir/ca.pem"]));
    assert_eq!(code, 2, "--ca-out needs --tls: {err}");
}

#[test]
fn the_demo_shows_the_https_path() {
    let (code, out, err) = run(ims(None).args(["demo", "--job-seconds", "0.2"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("https://127.0.0.1:"), "{out}");
}

/// Behind a proxy that refuses the tunnel (a wrong password: 407), the message names the proxy
/// (never its password), the host the tunnel was for, and what to check.
#[test]
fn a_proxy_refusing_the_tunnel_is_named_with_the_host_and_what_to_check() {
    use std::io::{Read, Write};
    const PASSWORD: &str = "wr0ng-Pass";
    const TARGET: &str = "ims.cn-north-4.myhuaweicloud.com";
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bound");
    let addr = listener.local_addr().expect("address").to_string();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(mut tcp) = tcp else { break };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && tcp.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let _ = tcp.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n",
            );
        }
    });
    let (code, out, err) = create(
        ims(None)
            .args(["--endpoint", &format!("https://{TARGET}")])
            .args(["--project-id", ims_emulator::DEMO_PROJECT_ID])
            .env("HTTPS_PROXY", format!("http://bob:{PASSWORD}@{addr}")),
    );
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains(&addr), "names the proxy: {err}");
    assert!(err.contains(TARGET), "names the host: {err}");
    assert!(err.contains("407"), "{err}");
    assert!(err.contains("check the proxy's user and password"), "{err}");
    assert!(!format!("{out}{err}").contains(PASSWORD), "{out}{err}");
}
