//! The `ims` binary never shows a secret, even when the gateway echoes one: run against
//! `ims emulator --echo-unredacted` with temporary credentials and a wrong SK.

use std::process::{Command, Output, Stdio};

use ims_emulator::{DEMO_AK, DEMO_PROJECT_ID};

mod common;
use common::*;

const TOKEN: &str = "gQpjbi1ub3J0aC00CLISECRETTOKENvalue0123456789abcdef";
const GOOD_SK: &str = "cli-right-secret-key-0123456789abcdefghij";
const WRONG_SK: &str = "CLI-WRONG-secret-key-9876543210zyxwvutsr";

/// `ims` with the demo AK and a security token, nothing from this machine's environment.
fn ims() -> Command {
    let mut c = bare();
    c.env("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN);
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
    let url = first_line(&mut child.0);
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

/// Whether `text` shows a signature value (`Signature=` followed by anything but a redaction).
fn shows_a_signature(text: &str) -> bool {
    text.match_indices("Signature=")
        .any(|(i, m)| !text[i + m.len()..].starts_with('<'))
}

#[test]
fn secrets_sweep_through_a_whole_cli_session() {
    use ims_emulator::{Emulator, EmulatorConfig, Settings};
    let cfg = EmulatorConfig {
        settings: Settings {
            ak: DEMO_AK.to_owned(),
            sk: GOOD_SK.to_owned(),
            security_token: Some(TOKEN.to_owned()),
            echo_unredacted: true,
            job_duration: std::time::Duration::ZERO,
            ..Settings::default()
        },
        ..EmulatorConfig::demo()
    };
    let emu = Emulator::start(cfg).expect("emulator");
    let closed = Emulator::start(EmulatorConfig::demo()).expect("emulator");
    let closed_url = closed.url();
    closed.shutdown();
    let backup = [
        "create-whole-image",
        "--name",
        "sweep",
        "--backup-id",
        "sweep-backup",
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        v.extend(backup.iter().map(|s| (*s).to_owned()));
        v
    };
    // (SK, endpoint, args, expected exit code)
    let runs: Vec<(&str, String, Vec<String>, i32)> = vec![
        (
            GOOD_SK,
            emu.url(),
            with(&[])
                .into_iter()
                .chain(["--dry-run".to_owned()])
                .collect(),
            0,
        ),
        (
            GOOD_SK,
            emu.url(),
            with(&["--output", "json"])
                .into_iter()
                .chain(["--dry-run".to_owned()])
                .collect(),
            0,
        ),
        (
            GOOD_SK,
            emu.url(),
            with(&[])
                .into_iter()
                .chain([
                    "--wait".to_owned(),
                    "--interval".to_owned(),
                    "0.01".to_owned(),
                ])
                .collect(),
            0,
        ),
        (GOOD_SK, emu.url(), with(&["--output", "json"]), 4),
        (WRONG_SK, emu.url(), with(&[]), 4),
        (WRONG_SK, emu.url(), with(&["--output", "json"]), 4),
        (GOOD_SK, closed_url, with(&[]), 4),
    ];
    for (sk, url, args, want) in runs {
        let Output {
            status,
            stdout,
            stderr,
        } = ims()
            .env("HUAWEICLOUD_SDK_SK", sk)
            .args(["--endpoint", &url, "--project-id", DEMO_PROJECT_ID])
            .args(&args)
            .output()
            .expect("ims runs");
        let (out, err) = (
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr),
        );
        assert_eq!(status.code(), Some(want), "{args:?}: {out} {err}");
        for text in [&out, &err] {
            for secret in [TOKEN, GOOD_SK, WRONG_SK] {
                assert!(
                    !text.contains(secret),
                    "{args:?}: {secret:?} leaked: {text}"
                );
            }
            assert!(
                !shows_a_signature(text),
                "{args:?}: a signature leaked: {text}"
            );
        }
    }
}

/// `ims emulator --security-token T` accepts the AK/SK only with that token, as temporary
/// credentials (the C sweep of tests/c/run.sh starts its emulator so).
#[test]
fn emulator_security_token_flag_makes_the_pair_temporary() {
    let mut child = Child(
        ims()
            .args(["emulator", "--listen", "127.0.0.1:0", "--ak", DEMO_AK])
            .args([
                "--sk",
                GOOD_SK,
                "--security-token",
                TOKEN,
                "--job-seconds",
                "0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    let url = first_line(&mut child.0);
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "emulator started: {url:?}"
    );
    let job = |token: Option<&str>| -> (Option<i32>, String) {
        let mut c = ims();
        c.env_remove("HUAWEICLOUD_SDK_SECURITY_TOKEN")
            .env("HUAWEICLOUD_SDK_SK", GOOD_SK)
            .args(["--endpoint", &url, "--project-id", DEMO_PROJECT_ID])
            .args(["job", "4010a32b5f909853015f90aaa24b0015"]);
        if let Some(t) = token {
            c.env("HUAWEICLOUD_SDK_SECURITY_TOKEN", t);
        }
        let out = c.output().expect("ims runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = job(None);
    assert_eq!(code, Some(4), "{err}");
    assert!(
        err.contains("APIGW.0301") && err.contains("X-Security-Token"),
        "without the token: {err}"
    );
    let (code, err) = job(Some(TOKEN));
    assert_eq!(code, Some(4), "{err}");
    assert!(
        err.contains("404") && !err.contains("APIGW"),
        "with it, the job is looked up: {err}"
    );
}
