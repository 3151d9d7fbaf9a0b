//! The service's rules: project header, body validation codes, known resources, backups used
//! once, size limit, garbage.

mod common;

use std::collections::HashSet;

use common::*;
use ims_emulator::EmulatorConfig;
use serde_json::json;

fn assert_ims(r: &Resp, status: u16, code: &str, field: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.code(), code, "{}", r.text());
    assert!(
        r.message().contains(field),
        "message {:?} does not name {field:?}",
        r.message()
    );
    assert!(
        r.json["error"]["message"].is_string(),
        "IMS shape: {}",
        r.text()
    );
}

#[test]
fn project_header_mismatch_and_missing() {
    let emu = start_with(0);
    let r = Call::create(ecs_body("x"))
        .project(Some("ffffffffffffffffffffffffffffffff"))
        .send(&emu);
    assert_ims(&r, 400, "IMG.0104", "X-Project-Id");
    let r = Call::job("x").project(Some("other")).send(&emu);
    assert_ims(&r, 400, "IMG.0104", "X-Project-Id");
    let r = Call::create(ecs_body("x")).project(None).send(&emu);
    assert_ims(&r, 400, "IMG.0104", "X-Project-Id is missing");
    assert_eq!(emu.stats().images_created, 0);
}

#[test]
fn name_too_long_is_img_0002() {
    let emu = start_with(0);
    let r = Call::create(ecs_body(&"a".repeat(129))).send(&emu);
    assert_ims(&r, 400, "IMG.0002", "name");
    // 128 is fine, Chinese characters count as one each.
    assert_eq!(
        Call::create(ecs_body(&"a".repeat(128))).send(&emu).status,
        200
    );
    assert_eq!(
        Call::create(ecs_body(&"镜".repeat(128))).send(&emu).status,
        200
    );
}

#[test]
fn bad_name_is_img_0003() {
    let emu = start_with(0);
    for name in ["bad/name", " leading", "", "a*b"] {
        let r = Call::create(ecs_body(name)).send(&emu);
        assert_ims(&r, 400, "IMG.0003", "name");
    }
}

#[test]
fn description_is_img_0004() {
    let emu = start_with(0);
    for desc in ["d".repeat(1025), "line\nbreak".to_owned(), "<b>".to_owned()] {
        let body =
            json!({"name": "n", "description": desc, "instance_id": INSTANCE, "vault_id": VAULT});
        let r = Call::create(body.to_string()).send(&emu);
        assert_ims(&r, 400, "IMG.0004", "description");
    }
}

#[test]
fn other_parameter_problems_are_img_0001() {
    let emu = start_with(0);
    let cases = [
        (json!({"name": "n", "instance_id": INSTANCE}), "vault_id"),
        (json!({"name": "n"}), "source"),
        (
            json!({"name": "n", "instance_id": INSTANCE, "vault_id": VAULT, "backup_id": BACKUP}),
            "source",
        ),
        (
            json!({"name": "n", "instance_id": INSTANCE, "vault_id": VAULT, "min_ram": 2048, "max_ram": 1024}),
            "ram",
        ),
        (
            json!({"name": "n", "instance_id": INSTANCE, "vault_id": VAULT, "image_tags": [{"key": "", "value": "v"}]}),
            "image_tags[0].key",
        ),
        (
            json!({"name": 5, "instance_id": INSTANCE, "vault_id": VAULT}),
            "name",
        ),
        (json!(["not", "an", "object"]), "$"),
    ];
    for (body, field) in cases {
        let r = Call::create(body.to_string()).send(&emu);
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert!(r.code().starts_with("IMG.0"), "{}", r.text());
        assert!(r.message().contains(field), "{body}: {}", r.message());
    }
    assert_eq!(emu.stats().images_created, 0);
}

#[test]
fn garbage_bodies_never_panic() {
    let emu = start_with(0);
    let bodies: Vec<Vec<u8>> = vec![
        b"not json".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x80],
        b"{\"name\": \"\xff\"}".to_vec(),
        b"{".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{\"name\": {\"deep\": [[[[[[]]]]]]}}".to_vec(),
        "{\"a\":".repeat(10_000).into_bytes(),
    ];
    for body in bodies {
        let r = Call::create(body.clone()).send(&emu);
        assert_eq!(
            r.status,
            400,
            "{:?}: {}",
            String::from_utf8_lossy(&body),
            r.text()
        );
        assert!(matches!(r.code(), "IMG.0001" | "IMG.0003"), "{}", r.text());
    }
    let empty = Call::create(Vec::new()).send(&emu);
    assert_eq!(empty.status, 400);
    assert_eq!(empty.code(), "IMG.0007");
    // The emulator is still alive.
    assert_eq!(Call::create(ecs_body("alive")).send(&emu).status, 200);
}

#[test]
fn backup_creates_only_one_image() {
    let emu = start_with(0);
    assert_eq!(
        Call::create(backup_body("first", BACKUP)).send(&emu).status,
        200
    );
    let r = Call::create(backup_body("second", BACKUP)).send(&emu);
    assert_ims(&r, 400, "IMG.0029", BACKUP);
    assert_eq!(emu.stats().images_created, 1);
    // Another backup is fine.
    assert_eq!(
        Call::create(backup_body("third", "other-backup"))
            .send(&emu)
            .status,
        200
    );
}

#[test]
fn known_sets() {
    let mut cfg = EmulatorConfig::demo();
    cfg.settings.known_instances = Some(HashSet::from([INSTANCE.to_owned()]));
    cfg.settings.known_vaults = Some(HashSet::from([VAULT.to_owned()]));
    cfg.settings.known_backups = Some(HashSet::from([BACKUP.to_owned()]));
    let emu = start(cfg);
    let unknown_ecs = json!({"name": "n", "instance_id": "11111111-2222-4333-8444-555555555555", "vault_id": VAULT});
    assert_ims(
        &Call::create(unknown_ecs.to_string()).send(&emu),
        400,
        "IMG.0005",
        "instance_id",
    );
    let unknown_vault = json!({"name": "n", "instance_id": INSTANCE, "vault_id": "11111111-2222-4333-8444-555555555555"});
    assert_ims(
        &Call::create(unknown_vault.to_string()).send(&emu),
        400,
        "IMG.0184",
        "vault_id",
    );
    assert_ims(
        &Call::create(backup_body("n", "unknown-backup")).send(&emu),
        400,
        "IMG.0020",
        "backup_id",
    );
    assert_eq!(Call::create(ecs_body("known")).send(&emu).status, 200);
    assert_eq!(
        Call::create(backup_body("known", BACKUP)).send(&emu).status,
        200
    );
}

#[test]
fn body_over_12_mb_is_refused() {
    let emu = start_with(0);
    let mut big = ecs_body("big").into_bytes();
    big.pop();
    big.extend_from_slice(b", \"description\": \"");
    big.resize(ims_emulator::MAX_BODY_BYTES + 1024, b'a');
    big.extend_from_slice(b"\"}");
    let r = Call::create(big).send(&emu);
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.code().starts_with("IMG."), "{}", r.text());
    assert_eq!(emu.stats().images_created, 0);
    assert_eq!(Call::create(ecs_body("after")).send(&emu).status, 200);
}

#[test]
fn wrong_method_and_unknown_path() {
    let emu = start_with(0);
    let r = Call::get(ims_emulator::CREATE_PATH).send(&emu);
    assert_eq!(r.status, 405, "{}", r.text());
    assert_eq!(r.header("allow"), Some("POST"));
    assert!(r.json["error_code"].is_string() && r.json["request_id"].is_string());
    for method in ["DELETE", "PUT", "PATCH", "OPTIONS"] {
        let r = Call::new(method, "/v1/cloudimages/job/abc").send(&emu);
        assert_eq!(r.status, 405, "{method}: {}", r.text());
    }
    for path in [
        "/",
        "/v2/cloudimages/job/x",
        "/v1/cloudimages/wholeimages",
        "/%ff%fe",
        "/v1//jobs/x",
    ] {
        let r = Call::get(path).send(&emu);
        assert_eq!(r.status, 404, "{path}: {}", r.text());
        assert_eq!(r.code(), "APIGW.0101");
        assert!(
            r.message()
                .contains("The API does not exist or has not been published")
        );
        assert!(is_hex32(r.header("x-request-id").unwrap_or("")));
    }
}

#[test]
fn raw_garbage_on_the_socket_never_kills_the_server() {
    use std::io::{Read, Write};
    let emu = start_with(0);
    for junk in [
        &b"\x00\x01\x02garbage\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: \xff\xfe\r\n\r\n",
        b"POST /v1/cloudimages/wholeimages/action HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"POST /v1/cloudimages/wholeimages/action HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /v1/cloudimages/job/%zz HTTP/1.1\r\nHost: x\r\nAuthorization: \xff\r\n\r\n",
    ] {
        let mut s = std::net::TcpStream::connect(emu.addr()).expect("connect");
        s.set_read_timeout(Some(std::time::Duration::from_secs(2))).ok();
        let _ = s.write_all(junk);
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
    }
    assert_eq!(Call::create(ecs_body("still-alive")).send(&emu).status, 200);
}
