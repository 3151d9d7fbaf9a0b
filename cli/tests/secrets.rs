//! The `ims` binary never shows a secret, even when the gateway echoes one: run against
//! `ims emulator --echo-unredacted` with temporary credentials and a wrong SK.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use ims_emulator::{DEMO_AK, DEMO_PROJECT_ID};

const TOKEN: &str = "gQpjbi1ub3J0aC00CLISECRETTOKENvalue0123456789abcdef";
const GOOD_SK: &str = "cli-right-secret-key-0123456789abcdefghij";
const WRONG_SK: &str = "CLI-WRONG-secret-key-9876543210zyxwvutsr";

/// `ims` with nothing from this machine's environment.
fn ims() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ims"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("IMS_NO_METADATA", "1")
        .env("HUAWEICLOUD_SDK_AK", DEMO_AK)
        .env("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN);
    c
}

/// Kills the emulator subprocess when the test ends, passed or not.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn an_unredacted_gateway_echo_never_reaches_stdout_or_stderr() {
    let mut child = Child(
        ims()
            .env("HUAWEICLOUD_SDK_SK", GOOD_SK)
            .args(["emulator", "--listen", "127.0.0.1:0", "--echo-unredacted"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    let mut first = String::new();
    BufReader::new(child.0.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    let url = first.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let calls: [&[&str]; 3] = [
        &["job", "4010a32b5f909853015f90aaa24b0015"],
        &[
            "--output",
            "json",
            "job",
            "4010a32b5f909853015f90aaa24b0015",
        ],
        &["create-whole-image", "--name", "n", "--backup-id", "b"],
    ];
    for args in calls {
        let Output {
            status,
            stdout,
            stderr,
        } = ims()
            .env("HUAWEICLOUD_SDK_SK", WRONG_SK)
            .args(["--endpoint", &url, "--project-id", DEMO_PROJECT_ID])
            .args(args)
            .output()
            .expect("ims runs");
        let (out, err) = (
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr),
        );
        assert_eq!(status.code(), Some(4), "{args:?}: {err}");
        assert!(err.contains("APIGW.0301"), "{args:?}: {err}");
        assert!(
            err.contains("x-security-token:<redacted>"),
            "the echo is shown, scrubbed: {err}"
        );
        for secret in [TOKEN, GOOD_SK, WRONG_SK] {
            assert!(!out.contains(secret), "{args:?}: stdout leaked: {out}");
            assert!(!err.contains(secret), "{args:?}: stderr leaked: {err}");
        }
    }
}
