//! `ims emulator`'s gateway switches, through the `ims` binary: the APIG. prefix, always-expired
//! and a hostile Date reach the client, which reports the service's clock and applies nothing.

use std::process::{Child, Command, Output, Stdio};

use ims_emulator::DEMO_PROJECT_ID;

mod common;
use common::*;

/// Starts `ims emulator` with `flags`; returns the child and its URL.
fn emulator(flags: &[&str]) -> (Child, String) {
    let mut child = ims(None)
        .args(["emulator", "--listen", "127.0.0.1:0", "--job-seconds", "0"])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let url = first_line(&mut child);
    (child, url)
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
    let Output { status, stderr, .. } = ims(None)
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
    let out = ims(None)
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
