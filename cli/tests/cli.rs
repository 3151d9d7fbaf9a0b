//! The `ims` binary end to end, against the in-process emulator (and `ims emulator` as a
//! subprocess): every subcommand, JSON output, exit codes, dry runs, stdin bodies, bad flags.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use ims_emulator::DEMO_SK;

mod common;
use common::*;

#[test]
fn demo_runs_the_whole_story() {
    let (code, out, err) = run(ims(None).args(["demo", "--job-seconds", "0.3"]));
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(out.matches("image id: ").count(), 2, "{out}");
    assert!(out.contains("violations, nothing sent"), "{out}");
    assert!(out.contains("failed with IMG.0010"), "{out}");
}

#[test]
fn create_from_ecs_text_and_json_then_job() {
    let emu = emulator(Duration::ZERO);
    let (code, out, err) = run(ims(Some(&emu)).args([
        "create-whole-image",
        "--name",
        "cli",
        "--instance-id",
        INSTANCE,
        "--vault-id",
        VAULT,
        "--tag",
        "env=test",
        "--min-ram",
        "1024",
    ]));
    assert_eq!(code, 0, "{err}");
    let id = out
        .trim()
        .strip_prefix("job_id: ")
        .expect("text output")
        .to_owned();
    assert_eq!(id.len(), 32);

    let (code, out, _) = run(ims(Some(&emu)).args([
        "--output",
        "json",
        "create-whole-image",
        "--name",
        "cli2",
        "--backup-id",
        "b-cli",
    ]));
    assert_eq!(code, 0);
    assert_eq!(json(&out)["job_id"].as_str().map(str::len), Some(32));

    let (code, out, _) = run(ims(Some(&emu)).args(["job", &id]));
    assert_eq!(code, 0);
    assert!(
        out.contains("status: SUCCESS") && out.contains("image_id: "),
        "{out}"
    );
    let (code, out, _) =
        run(ims(Some(&emu)).args(["--output", "json", "job", &id, "--legacy-endpoint"]));
    assert_eq!(code, 0);
    let doc = json(&out);
    assert_eq!(doc["status"], "SUCCESS");
    assert_eq!(doc["job_id"], id.as_str());
    assert_eq!(
        emu.stats()
            .requests
            .iter()
            .filter(|r| r.path.contains("/jobs/"))
            .count(),
        1,
        "legacy path used"
    );
}

#[test]
fn create_and_wait_shows_progress_and_prints_the_job() {
    let emu = emulator(Duration::from_millis(300));
    let (code, out, err) = run(ims(Some(&emu)).args([
        "--output",
        "json",
        "create-whole-image",
        "--name",
        "w",
        "--backup-id",
        "b-w",
        "--wait",
        "--interval",
        "0.05",
    ]));
    assert_eq!(code, 0, "{err}");
    let doc = json(&out);
    assert_eq!(doc["status"], "SUCCESS");
    assert!(doc["entities"]["image_id"].is_string());
    assert!(
        err.contains("RUNNING") || err.contains("SUCCESS"),
        "plain progress lines on a non-terminal: {err}"
    );
    let id = doc["job_id"].as_str().expect("id").to_owned();
    let (code, out, _) = run(ims(Some(&emu)).args(["job", &id, "--wait", "--interval", "0.05"]));
    assert_eq!(code, 0);
    assert!(out.contains("status: SUCCESS"));
}

#[test]
fn dry_run_sends_nothing_and_redacts() {
    let emu = emulator(Duration::ZERO);
    let (code, out, err) = run(ims(Some(&emu)).args([
        "create-whole-image",
        "--name",
        "dry",
        "--backup-id",
        "b-dry",
        "--dry-run",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("POST http://127.0.0.1:"), "{out}");
    assert!(out.contains("Authorization: <redacted>"), "{out}");
    assert!(out.contains("\"whole_image_type\":\"CBR\""), "{out}");
    assert!(!out.contains(DEMO_SK));
    let (code, out, _) = run(ims(Some(&emu)).args([
        "--output",
        "json",
        "create-whole-image",
        "--name",
        "dry",
        "--backup-id",
        "b-dry",
        "--dry-run",
    ]));
    assert_eq!(code, 0);
    assert_eq!(json(&out)["body"]["backup_id"], "b-dry");
    assert_eq!(emu.stats().requests_total, 0, "a dry run sends nothing");
}

#[test]
fn request_file_from_stdin() {
    let emu = emulator(Duration::ZERO);
    let mut child = ims(Some(&emu))
        .args([
            "--output",
            "json",
            "create-whole-image",
            "--request-file",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let body = format!(
        r#"{{"name": "from-stdin", "instance_id": "{INSTANCE}", "vault_id": "{VAULT}", "tags": ["aaa.111"]}}"#
    );
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(json(&String::from_utf8_lossy(&out.stdout))["job_id"].is_string());

    let mut child = ims(Some(&emu))
        .args(["create-whole-image", "--request-file", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(br#"{"name": "x", "backup_id": "b", "colour": "red"}"#)
        .expect("write");
    let out = child.wait_with_output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("colour"), "unknown field named: {err}");
}

#[test]
fn exit_codes_per_error_class() {
    let emu = emulator(Duration::from_secs(600));
    // 2: validation, with the field named; nothing sent.
    let (code, _, err) = run(ims(Some(&emu)).args([
        "create-whole-image",
        "--name",
        &"n".repeat(129),
        "--backup-id",
        "b",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("name") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(emu.stats().requests_total, 0);
    // 2: usage.
    for bad in [
        vec!["create-whole-image", "--name", "x"],
        vec![
            "create-whole-image",
            "--name",
            "x",
            "--backup-id",
            "b",
            "--tag",
            "novalue",
        ],
        vec!["create-whole-image", "--name", "x", "--instance-id", "i"],
        vec![
            "create-whole-image",
            "--name",
            "x",
            "--backup-id",
            "b",
            "--min-ram",
            "lots",
        ],
        vec!["frobnicate"],
        vec!["job"],
    ] {
        let (code, _, err) = run(ims(Some(&emu)).args(&bad));
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(!err.trim().is_empty());
    }
    // 3: configuration and credentials.
    let (code, _, err) = run(ims(None).args(["job", "0123"]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--region"), "{err}");
    let (code, _, err) = run(ims(Some(&emu))
        .env_remove("HUAWEICLOUD_SDK_AK")
        .env_remove("HUAWEICLOUD_SDK_SK")
        .args(["job", "0123"]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("no credentials found"), "{err}");
    // 4: API errors, with code and request id.
    let (code, _, err) = run(ims(Some(&emu))
        .env("HUAWEICLOUD_SDK_SK", "wrong")
        .args(["job", "0123"]));
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("APIGW.0301") && err.contains("request id"),
        "{err}"
    );
    let (code, _, err) = run(ims(Some(&emu)).args(["job", "ffffffffffffffffffffffffffffffff"]));
    assert_eq!(code, 4, "{err}");
    // 6: the wait times out (a 10-minute job, a zero timeout).
    let (_, out, _) = run(ims(Some(&emu)).args([
        "create-whole-image",
        "--name",
        "slow",
        "--backup-id",
        "b-slow",
    ]));
    let id = out.trim().trim_start_matches("job_id: ").to_owned();
    let (code, _, err) =
        run(ims(Some(&emu)).args(["job", &id, "--wait", "--timeout", "0", "--interval", "0.01"]));
    assert_eq!(code, 6, "{err}");
    // 5: the job fails.
    emu.update(|s| s.job_duration = Duration::ZERO);
    emu.faults().fail_next_jobs(1);
    let (code, out, err) = run(ims(Some(&emu)).args([
        "--output",
        "json",
        "create-whole-image",
        "--name",
        "f",
        "--backup-id",
        "b-f",
        "--wait",
        "--interval",
        "0.01",
    ]));
    assert_eq!(code, 5, "{err}");
    assert_eq!(
        json(out.lines().last().unwrap_or_default())["status"],
        "FAIL"
    );
    assert!(err.contains("failed with IMG.0010"), "{err}");
}

#[test]
fn emulator_subprocess_prints_its_url_and_stops_on_sigterm() {
    let mut child = ims(None)
        .args(["emulator", "--listen", "127.0.0.1:0", "--job-seconds", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let url = first_line(&mut child);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let (code, out, err) = run(ims(None).args([
        "--endpoint",
        &url,
        "--project-id",
        ims_emulator::DEMO_PROJECT_ID,
        "create-whole-image",
        "--name",
        "sub",
        "--backup-id",
        "b",
        "--wait",
        "--interval",
        "0.01",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("status: SUCCESS"), "{out}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr read");
    let status = child.wait().expect("exits");
    assert_eq!(status.code(), Some(0));
    // What it counted, for benchmarks in another process: one client, one connection.
    assert!(
        stderr.contains("stopped after 1 connections, 2 requests, 1 images created"),
        "{stderr}"
    );
}

#[test]
fn emulator_subprocess_connection_switches() {
    use std::io::{Read, Write};
    let mut child = ims(None)
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--idle-close-ms",
            "100",
            "--close-after-answer",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let url = first_line(&mut child);
    let addr = url.trim_start_matches("http://").to_owned();
    let connect = || {
        let s = std::net::TcpStream::connect(&addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s
    };
    // Idle: closed by the server without a byte.
    let mut idle = connect();
    let mut buf = Vec::new();
    assert_eq!(
        idle.read_to_end(&mut buf).expect("closed, not timed out"),
        0
    );
    // A request: answered with `Connection: close`, then closed.
    let mut one = connect();
    one.write_all(format!("GET /v1/cloudimages/job/x HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .expect("write");
    let mut answer = String::new();
    one.read_to_string(&mut answer)
        .expect("closed after the answer");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn help_and_version() {
    let (code, out, _) = run(ims(None).arg("--help"));
    assert_eq!(code, 0);
    for cmd in ["create-whole-image", "job", "emulator", "demo"] {
        assert!(out.contains(cmd), "{out}");
    }
    let (code, out, _) = run(ims(None).arg("--version"));
    assert_eq!(code, 0);
    assert!(out.starts_with("ims "), "{out}");
}
