//! `ims emulator`'s gateway switches, through the `ims` binary: the APIG. prefix, always-expired
//! and a hostile Date reach the client, which reports the service's clock and applies nothing.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use ims_emulator::{DEMO_AK, DEMO_PROJECT_ID, DEMO_SK};

fn ims() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ims"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("IMS_NO_METADATA", "1")
        .env("HUAWEICLOUD_SDK_AK", DEMO_AK)
        .env("HUAWEICLOUD_SDK_SK", DEMO_SK);
    c
}

/// Starts `ims emulator` with `flags`; returns the child and its URL.
fn emulator(flags: &[&str]) -> (Child, String) {
    let mut child = ims()
        .args(["emulator", "--listen", "127.0.0.1:0", "--job-seconds", "0"])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    (child, first.trim().to_owned())
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

#[test]
fn gateway_switches_reach_the_client() {
    let hostile = "Sat, 01 Jan 10000 00:00:00 GMT";
    let (child, url) = emulator(&[
        "--gateway-prefix",
        "APIG",
        "--always-expired",
        "--date-override",
        hostile,
        "--retry-after-http-date",
    ]);
    let Output { status, stderr, .. } = ims()
        .args(["--endpoint", &url, "--project-id", DEMO_PROJECT_ID])
        .args(["job", "0123456789abcdef0123456789abcdef"])
        .output()
        .expect("ims runs");
    stop(child);
    let err = String::from_utf8_lossy(&stderr);
    assert_ne!(status.code(), Some(0), "{err}");
    assert!(err.contains("APIG.0301"), "{err}");
    assert!(err.contains(hostile) && err.contains("24 h"), "{err}");
}

#[test]
fn a_bad_gateway_prefix_is_a_usage_error() {
    let out = ims()
        .args(["emulator", "--gateway-prefix", "XYZ"])
        .output()
        .expect("ims runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--gateway-prefix") && err.contains("APIGW"),
        "{err}"
    );
}
