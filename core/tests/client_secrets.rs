//! Hostile input and hostile answers, against the in-process emulator: ids that are not one
//! path segment, regions that are not region names, job ids the service answers that our rules
//! refuse, and secrets that the gateway echoes back. Each test runs through every door
//! (`doors!`: blocking, async on either runtime flavour).
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use ims_core::client::RetryPolicy;
use ims_core::model::WholeImageRequest;
use ims_core::{Client, ClientBuilder, Credentials, Error, ErrorKind, JobId};
use ims_emulator::{Emulator, EmulatorConfig};

mod common;
use common::*;

fn builder(emu: &Emulator) -> ClientBuilder {
    builder_with(
        emu,
        RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        },
    )
}

// ---- D9: job ids are one safe path segment ----

doors!(job_ids_that_are_not_one_safe_segment_send_nothing);
fn job_ids_that_are_not_one_safe_segment_send_nothing(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let c = builder(&emu).build_door(kind).unwrap();
    let bad = [
        "", ".", "..", "a/b", "../x", "a?b", "a#b", "a%2e", "%2e%2e", "a b", "a\tb", "a\nb",
        "a\u{0}", "a\u{7f}", "a\\b", "ä",
    ];
    for id in bad {
        let err = JobId::new(id)
            .and_then(|id| c.job(&id))
            .expect_err(&format!("{id:?} must be refused"));
        assert_eq!(err.kind(), ErrorKind::Validation, "{id:?}: {err}");
        let Error::Validation(v) = &err else {
            unreachable!()
        };
        assert_eq!(v.fields(), vec!["job_id"], "{id:?}");
    }
    assert_eq!(emu.stats().requests_total, 0, "nothing may be sent");
    for good in [
        "4010a32b5f909853015f90aaa24b0015",
        "ff8080814dbd65d7014dc0a1d1ba0a3c",
        "877a2cda-ba63-4e1e-b95f-e67e48b6129a",
        "job_1.2",
        "...",
    ] {
        assert_eq!(JobId::new(good).unwrap().as_str(), good);
    }
    // A pasted id keeps working: surrounding whitespace is trimmed.
    assert_eq!(JobId::new(" abc\n").unwrap().as_str(), "abc");
}

// ---- A2: a job id our rules refuse, in the create answer ----

doors!(unusable_job_id_in_the_create_answer_is_an_invalid_response_with_the_body);
fn unusable_job_id_in_the_create_answer_is_an_invalid_response_with_the_body(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let c = builder(&emu).build_door(kind).unwrap();
    for answered in ["has space", &"x".repeat(300), ".."] {
        emu.update(|s| s.next_job_id = Some(answered.to_owned()));
        let err = c.create_whole_image(&ecs("odd-id")).expect_err(answered);
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
        let Error::InvalidResponse {
            status, message, ..
        } = &err
        else {
            unreachable!()
        };
        assert_eq!(*status, 200);
        let raw = format!(r#"{{"job_id":"{answered}"}}"#);
        assert!(message.contains(&raw), "raw body kept: {message}");
        assert!(message.contains("job_id"), "{message}");
    }
    assert_eq!(emu.stats().images_created, 3, "the images do exist");
}

// ---- D8: the region becomes part of a host; check it before any URL ----

doors!(a_region_that_is_not_a_region_name_is_refused_before_anything_is_sent);
fn a_region_that_is_not_a_region_name_is_refused_before_anything_is_sent(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    let iam = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = iam.local_addr().unwrap().port();
    iam.set_nonblocking(true).unwrap();
    let bad = [
        "evil.com/".to_owned(),
        format!("127.0.0.1:{port}/"),
        format!("x@127.0.0.1:{port}"),
        "cn-north-4.evil.com".to_owned(),
        "CN-NORTH-4".to_owned(),
        "cn north 4".to_owned(),
        "cn-north-4?".to_owned(),
        String::new(),
        "a".repeat(65),
    ];
    for region in &bad {
        // An explicit IMS endpoint, and no project id: the region would name the IAM host.
        let built = Client::builder()
            .endpoint(emu.url())
            .region(region.as_str())
            .credentials(Credentials::new("AK", "SK"))
            .build_door(kind);
        let err = match built {
            Err(e) => e,
            Ok(c) => c.create_whole_image(&ecs("x")).expect_err(region),
        };
        assert_eq!(err.kind(), ErrorKind::Config, "{region:?}: {err}");
        assert!(err.to_string().contains("region"), "{region:?}: {err}");
        // Through the region table, too.
        let err = Client::builder()
            .region(region.as_str())
            .build_door(kind)
            .expect_err(region);
        assert_eq!(err.kind(), ErrorKind::Config, "{region:?}: {err}");
        assert!(err.to_string().contains("region"), "{region:?}: {err}");
    }
    assert_eq!(emu.stats().requests_total, 0, "nothing sent to IMS");
    assert!(iam.accept().is_err(), "nothing sent to the listener");
    assert!(
        Client::builder()
            .region("cn-north-4")
            .build_door(kind)
            .is_ok()
    );
    assert!(
        Client::builder()
            .region("eu-west-101")
            .build_door(kind)
            .is_ok()
    );
}

// ---- C6: server text is scrubbed of tokens, signatures and our own secrets ----

const TOKEN: &str = "gQpjbi1ub3J0aC00SECRETTOKENvalue0123456789abcdefABCDEF";
const GOOD_SK: &str = "the-right-secret-key-0123456789abcdefghij";
const WRONG_SK: &str = "WRONG-secret-key-9876543210zyxwvutsrqpo";

doors!(an_unredacted_gateway_echo_never_reaches_errors_or_logs);
fn an_unredacted_gateway_echo_never_reaches_errors_or_logs(kind: DoorKind) {
    let logs = Capture::global();
    let emu = emulator(Duration::ZERO);
    let ak = EmulatorConfig::demo().settings.ak;
    emu.update(|s| {
        s.ak = ak.clone();
        s.sk = GOOD_SK.into();
        s.security_token = Some(TOKEN.to_owned());
        s.echo_unredacted = true;
    });
    let c = builder(&emu)
        .credentials(Credentials::new(ak.as_str(), WRONG_SK).with_security_token(TOKEN))
        .build_door(kind)
        .unwrap();
    let err = c.create_whole_image(&ecs("leak")).expect_err("wrong SK");
    let api = err.api().expect("an API error").clone();
    assert_eq!(api.code.as_deref(), Some("APIGW.0301"), "{err}");
    // The echo did happen, and its token was scrubbed where it stood.
    assert!(
        api.message.contains("x-security-token:<redacted>"),
        "{}",
        api.message
    );
    // The right SK with a wrong token: the job query path, through the same scrubbing.
    emu.update(|s| {
        s.sk = WRONG_SK.into();
        s.security_token = Some("another-token-value-1234".to_owned());
    });
    let id = JobId::new("4010a32b5f909853015f90aaa24b0015").unwrap();
    let err2 = c.job(&id).expect_err("token mismatch");
    assert!(logs.text().contains("status=401"), "tracing captured");
    let shown = [
        err.to_string(),
        format!("{err:?}"),
        api.message.clone(),
        api.hint.clone().unwrap_or_default(),
        api.signed_request.clone().unwrap_or_default(),
        err2.to_string(),
        format!("{err2:?}"),
        logs.text(),
    ];
    for text in &shown {
        for secret in [TOKEN, GOOD_SK, WRONG_SK] {
            assert!(
                !text.contains(secret),
                "secret {secret:?} leaked in: {text}"
            );
        }
    }
}

// ---- C7: a proxy's user info never shows ----

doors!(proxy_passwords_never_show_in_debug_or_config_errors);
fn proxy_passwords_never_show_in_debug_or_config_errors(kind: DoorKind) {
    const PASSWORD: &str = "hunter2-proxy-pass";
    let good = format!("http://user:{PASSWORD}@127.0.0.1:3128");
    let b = Client::builder()
        .region("cn-north-4")
        .credentials(Credentials::new("AK", "SK"))
        .proxy(good.as_str());
    let shown = format!("{b:?}");
    assert!(!shown.contains(PASSWORD), "builder Debug: {shown}");
    assert!(
        shown.contains("127.0.0.1:3128"),
        "the proxy host still shows: {shown}"
    );
    let c = b.build_door(kind).unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains(PASSWORD), "client Debug: {shown}");
    for bad in [
        format!("http://user:{PASSWORD}@bad host:3128"),
        format!("user:{PASSWORD}@[::1"),
        format!("ftp://user:{PASSWORD}@[zz]:1/"),
    ] {
        let err = Client::builder()
            .region("cn-north-4")
            .proxy(bad.as_str())
            .build_door(kind)
            .expect_err(&bad);
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(PASSWORD), "config error: {text}");
            assert!(text.contains("proxy"), "names the proxy: {text}");
        }
    }
}

// ---- C11: a proxy password holding `#`, `/`, `?` or `@` never shows either ----

doors!(proxy_passwords_with_url_delimiters_never_show);
fn proxy_passwords_with_url_delimiters_never_show(kind: DoorKind) {
    const HEAD: &str = "hunter2";
    const TAIL: &str = "Zq9xw";
    // (proxy URL, whether it names its host unambiguously)
    let urls = [
        (format!("http://bob:{HEAD}#{TAIL}@127.0.0.1:3128"), false),
        // Read as a URL, this is the proxy `bob:12` (the rest a fragment): refused, not used.
        (format!("http://bob:12#{TAIL}@127.0.0.1:3128"), false),
        (format!("http://bob:{HEAD}/{TAIL}@127.0.0.1:3128"), false),
        (format!("http://bob:{HEAD}?{TAIL}@127.0.0.1:3128"), false),
        (format!("bob:{HEAD}#{TAIL}@127.0.0.1:3128"), false),
        (format!("http://bob:{HEAD}%23{TAIL}@127.0.0.1:3128"), true),
        (format!("http://bob:{HEAD}@{TAIL}@127.0.0.1:3128"), true),
    ];
    for (url, unambiguous) in &urls {
        let b = Client::builder()
            .region("cn-north-4")
            .credentials(Credentials::new("AK", "SK"))
            .env(ims_core::env::EnvSource::from_map::<&str, &str>([]))
            .proxy(url.as_str());
        let mut shown = vec![format!("{b:?}"), format!("{:?}", b.config())];
        match b.build_door(kind) {
            Ok(c) => {
                assert!(
                    unambiguous,
                    "{url} must be refused, not read as another proxy"
                );
                shown.push(format!("{c:?}"));
            }
            Err(e) => {
                assert!(!unambiguous, "{url}: {e}");
                assert_eq!(e.kind(), ErrorKind::Config, "{url}: {e}");
                assert!(e.to_string().contains("proxy"), "{url}: {e}");
                shown.extend([e.to_string(), format!("{e:?}")]);
            }
        }
        for text in &shown {
            assert!(!text.contains(HEAD), "{url}: {text}");
            assert!(!text.contains(TAIL), "{url}: {text}");
        }
    }
    // The same proxy from the environment is refused the same way, naming the variable.
    let err = Client::builder()
        .region("cn-north-4")
        .credentials(Credentials::new("AK", "SK"))
        .env(ims_core::env::EnvSource::from_map([(
            "HTTPS_PROXY",
            urls[1].0.as_str(),
        )]))
        .build_door(kind)
        .expect_err("ambiguous proxy");
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.to_string().contains("HTTPS_PROXY"), "{err}");
    assert!(!format!("{err} {err:?}").contains(TAIL), "{err:?}");
}

doors!(an_endpoint_with_user_info_is_refused_without_showing_it);
fn an_endpoint_with_user_info_is_refused_without_showing_it(kind: DoorKind) {
    for endpoint in [
        "https://:s3cretPW@ims.example.com",
        "https://bob:s3cr#etPW@ims.example.com",
    ] {
        let b = Client::builder()
            .endpoint(endpoint)
            .iam_endpoint(endpoint)
            .credentials(Credentials::new("AK", "SK"));
        let debug = format!("{b:?}");
        let err = b.build_door(kind).expect_err(endpoint);
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        for text in [debug, err.to_string(), format!("{err:?}")] {
            assert!(!text.contains("etPW"), "{endpoint}: {text}");
        }
    }
}

// ---- C12: escaped tokens, and every server text scrubbed with this client's secrets ----

/// A security token with `/` and `+`, as IAM makes them, and its pieces (none may show).
const SLASHED_TOKEN: &str = "gQpjZ7/AbCwq+SECRETtokenPART/Kk09mm+Tt5Y==";
const SLASHED_PIECES: [&str; 5] = ["gQpjZ7", "AbCwq", "SECRETtokenPART", "Kk09mm", "Tt5Y"];
/// The token as a JSON text may spell it: `\/` for `/`, `\u002B` for `+`.
const ESCAPED_TOKEN: &str = r"gQpjZ7\/AbCwq\u002BSECRETtokenPART\/Kk09mm\u002bTt5Y==";
const STAND_IN_SK: &str = "stand-in-secret-key-0123456789abcdefXYZ";

/// A server of the test's own that answers the n-th request with the n-th of `answers`
/// (status, body), closing each connection after its answer.
fn answering(answers: Vec<(u16, String)>) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for (n, tcp) in listener.incoming().enumerate() {
            let Ok(mut tcp) = tcp else { break };
            let mut reader = BufReader::new(tcp.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let (status, body) = answers.get(n).or(answers.last()).cloned().unwrap();
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = tcp.write_all(head.as_bytes());
            let _ = tcp.write_all(body.as_bytes());
        }
    });
    url
}

doors!(every_server_text_is_scrubbed_of_escaped_tokens_and_our_secrets);
fn every_server_text_is_scrubbed_of_escaped_tokens_and_our_secrets(kind: DoorKind) {
    let echo = format!(r#"\"X-Security-Token\":\"{ESCAPED_TOKEN}\", sk {STAND_IN_SK}"#);
    let failed_job = format!(
        r#"{{"job_id":"0123456789abcdef0123456789abcdef","job_type":"imsCreateWholeImageByInstanceJob","status":"FAIL","error_code":"IMS.0001","fail_reason":"echo POST\nx-security-token:{ESCAPED_TOKEN}\nx-sdk-date:1; sk {STAND_IN_SK}","entities":{{"error":"{echo}","addition_error_msg":"{STAND_IN_SK}"}}}}"#
    );
    let url = answering(vec![
        // A create answer whose job id is unusable: kept whole in the error.
        (200, format!(r#"{{"job_id":"has space","echo":"{echo}"}}"#)),
        // A create answer that is not JSON: a snippet.
        (200, format!("not json: {echo}")),
        // A failed job, queried and waited for.
        (200, failed_job.clone()),
        (200, failed_job),
        // A job answer that is not JSON.
        (200, format!("<html>{echo}</html>")),
        // An API error.
        (
            400,
            format!(r#"{{"error_code":"IMS.0001","error_msg":"bad: {echo}"}}"#),
        ),
    ]);
    let c = Client::builder()
        .endpoint(url)
        .project_id("0123456789abcdef0123456789abcdef")
        .credentials(Credentials::new("AK", STAND_IN_SK).with_security_token(SLASHED_TOKEN))
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(5))
        .build_door(kind)
        .unwrap();
    let id = JobId::new("0123456789abcdef0123456789abcdef").unwrap();
    let mut shown = Vec::new();
    let odd_id = c.create_whole_image(&ecs("a")).expect_err("odd id");
    assert_eq!(odd_id.kind(), ErrorKind::InvalidResponse, "{odd_id}");
    assert!(odd_id.to_string().contains("has space"), "{odd_id}");
    let not_json = c.create_whole_image(&ecs("b")).expect_err("not JSON");
    assert_eq!(not_json.kind(), ErrorKind::InvalidResponse, "{not_json}");
    let job = c.job(&id).expect("a job document");
    assert_eq!(job.status.as_str(), "FAIL");
    assert!(
        job.fail_reason
            .as_deref()
            .unwrap_or("")
            .contains("echo POST"),
        "{job:?}"
    );
    let job_json: serde_json::Value = serde_json::from_str(&job.to_json()).unwrap();
    assert_eq!(job_json["status"], "FAIL", "the document is still JSON");
    shown.extend([
        format!("{job:?}"),
        job.to_json(),
        job.raw.as_str().to_owned(),
        job.fail_reason.clone().unwrap_or_default(),
    ]);
    let failed = c
        .wait(
            &id,
            &ims_core::WaitOptions::fixed(Duration::from_millis(10), Duration::from_secs(10)),
        )
        .expect_err("the job failed");
    assert_eq!(failed.kind(), ErrorKind::JobFailed, "{failed}");
    let html = c.job(&id).expect_err("not JSON");
    assert_eq!(html.kind(), ErrorKind::InvalidResponse, "{html}");
    let api = c.create_whole_image(&ecs("c")).expect_err("API error");
    assert_eq!(api.kind(), ErrorKind::Api, "{api}");
    for e in [&odd_id, &not_json, &failed, &html, &api] {
        shown.extend([e.to_string(), format!("{e:?}")]);
        if let Some(j) = e.job() {
            shown.extend([format!("{j:?}"), j.to_json()]);
        }
    }
    let leaks: Vec<&String> = shown
        .iter()
        .filter(|text| {
            text.contains(STAND_IN_SK) || SLASHED_PIECES.iter().any(|p| text.contains(p))
        })
        .collect();
    assert!(
        leaks.is_empty(),
        "{} of {} texts show the SK or a piece of the token: {leaks:#?}",
        leaks.len(),
        shown.len()
    );
}

// ---- J: the secrets sweep, Rust door ----

const SWEEP_TOKEN: &str = "gQpjbi1ub3J0aC00SWEEPTOKENvalue0123456789abcdefXYZ";
const SWEEP_SK: &str = "sweep-right-secret-key-0123456789abcdefgh";
const SWEEP_WRONG_SK: &str = "SWEEP-WRONG-secret-key-9876543210zyxwvut";

/// Whether `text` shows a signature value (`Signature=` followed by anything but a redaction).
fn shows_a_signature(text: &str) -> bool {
    text.match_indices("Signature=")
        .any(|(i, m)| !text[i + m.len()..].starts_with('<'))
}

doors!(secrets_sweep_through_a_whole_rust_session);
fn secrets_sweep_through_a_whole_rust_session(kind: DoorKind) {
    let logs = Capture::global();
    let emu = emulator(Duration::ZERO);
    let ak = EmulatorConfig::demo().settings.ak;
    emu.update(|s| {
        s.ak = ak.clone();
        s.sk = SWEEP_SK.into();
        s.security_token = Some(SWEEP_TOKEN.to_owned());
        s.echo_unredacted = true;
    });
    let creds = Credentials::new(ak.as_str(), SWEEP_SK).with_security_token(SWEEP_TOKEN);
    let c = builder(&emu)
        .credentials(creds.clone())
        .build_door(kind)
        .unwrap();
    let mut shown: Vec<String> = vec![format!("{c:?}"), format!("{creds:?}")];

    // A dry run.
    let preview = c.preview_create(&ecs("sweep")).unwrap();
    assert!(preview.headers.iter().any(|(k, _)| k == "Authorization"));
    shown.extend([preview.to_string(), format!("{preview:?}")]);
    // Create and wait.
    let backup = WholeImageRequest::from_backup("sweep", "9b27efab-4a17-4c06-bfa2-3e0cf021d3c3")
        .build()
        .unwrap();
    let id = c.create_whole_image(&backup).unwrap();
    let job = c
        .wait(
            &id,
            &ims_core::WaitOptions::fixed(Duration::from_millis(10), Duration::from_secs(10)),
        )
        .unwrap();
    shown.extend([format!("{id:?}"), format!("{job:?}"), job.to_json()]);
    // An API error (the backup was used already).
    let api = c.create_whole_image(&backup).expect_err("backup reused");
    assert_eq!(api.kind(), ErrorKind::Api);
    // A signature error, the gateway echoing the canonical request unredacted.
    let wrong = builder(&emu)
        .credentials(Credentials::new(ak.as_str(), SWEEP_WRONG_SK).with_security_token(SWEEP_TOKEN))
        .build_door(kind)
        .unwrap();
    let signature = wrong
        .create_whole_image(&ecs("sweep"))
        .expect_err("wrong SK");
    assert_eq!(
        signature.api().and_then(|a| a.code.as_deref()),
        Some("APIGW.0301")
    );
    // A transport error.
    let closed = Emulator::start(EmulatorConfig::demo()).unwrap();
    let url = closed.url();
    closed.shutdown();
    let transport = builder(&emu)
        .endpoint(url)
        .credentials(creds)
        .build_door(kind)
        .unwrap()
        .job(&id)
        .expect_err("closed port");
    assert_eq!(transport.kind(), ErrorKind::Transport);
    for e in [&api, &signature, &transport] {
        shown.extend([e.to_string(), format!("{e:?}")]);
        if let Some(a) = e.api() {
            shown.extend([
                a.message.clone(),
                a.hint.clone().unwrap_or_default(),
                a.signed_request.clone().unwrap_or_default(),
            ]);
        }
    }
    let logs = logs.text();
    assert!(logs.contains("status=200"), "tracing captured the session");
    shown.push(logs);
    for text in &shown {
        for secret in [SWEEP_TOKEN, SWEEP_SK, SWEEP_WRONG_SK] {
            assert!(!text.contains(secret), "{secret:?} leaked in: {text}");
        }
        assert!(!shows_a_signature(text), "a signature leaked in: {text}");
    }
}
